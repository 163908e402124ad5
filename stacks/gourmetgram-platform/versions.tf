terraform {
  required_providers {
    kubernetes = {
      source = "hashicorp/kubernetes"
    }
    argocd = {
      source = "argoproj-labs/argocd"
    }
    random = {
      source = "hashicorp/random"
    }
  }
}
