provider "kubernetes" {
  config_path = var.kubeconfig
}

provider "argocd" {
  namespace = var.argocd_namespace
  kubernetes {
    config_path = var.kubeconfig
  }
}
