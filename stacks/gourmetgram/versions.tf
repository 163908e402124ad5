terraform {
  required_version = ">= 0.14.0"
  required_providers {
    openstack = {
      source  = "terraform-provider-openstack/openstack"
      version = "~> 1.51.1"
    }
    ssh = {
      source = "ggplan/ssh"
    }
    local = {
      source = "hashicorp/local"
    }
    http = {
      source = "hashicorp/http"
    }
    kubernetes = {
      source = "hashicorp/kubernetes"
    }
    argocd = {
      source = "argoproj-labs/argocd"
    }
    random = {
      source = "hashicorp/random"
    }
    mlflow = {
      source = "ggplan/mlflow"
    }
  }
}
