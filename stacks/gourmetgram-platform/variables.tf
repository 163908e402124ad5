variable "kubeconfig" {
  description = "The cluster's kubeconfig (the seed copies it to node1's ~/.kube/config after kubespray)."
  type        = string
  default     = "~/.kube/config"
}

variable "external_ip" {
  description = "node1's address on sharednet1 (10.56.*), where the platform and the apps are reached: the seed's Ansible finds it on the host; examples/ssh's external_ip output reads it the same way."
  type        = string
}

variable "repo_url" {
  description = "The Git repository Argo CD deploys the charts from."
  type        = string
  default     = "https://github.com/teaching-on-testbeds/gourmetgram-iac.git"
}

variable "argocd_namespace" {
  description = "Where Argo CD runs."
  type        = string
  default     = "argocd"
}

variable "cascade" {
  description = "Whether destroying an application deletes what Argo CD deployed for it (Argo CD's resources finalizer)."
  type        = bool
  default     = true
}

variable "environments" {
  description = "The app environments, as the seed's argocd_add_ENVIRONMENT playbooks deploy them."
  type        = set(string)
  default     = ["staging", "canary", "production"]
}
