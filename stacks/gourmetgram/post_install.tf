# Layer 4, the seed's post_k8s_configure.yml: the cluster's DNS pointed at working upstream
# resolvers (CoreDNS and nodelocaldns patched, then restarted), the dashboard's admin user,
# Argo Workflows and Argo Events from their release manifests, and Argo CD's admin password
# copied into the argo namespace for the workflows that call Argo CD.

variable "upstream_dns" {
  description = "The resolvers CoreDNS and nodelocaldns forward to (the nodes' own resolv.conf points at the private network, which has none)."
  type        = list(string)
  default     = ["8.8.8.8", "8.8.4.4"]
}

variable "argo_workflows_manifest_url" {
  description = "Argo Workflows' release manifest. (The tests serve a stand-in.)"
  type        = string
  default     = "https://github.com/argoproj/argo-workflows/releases/download/v3.6.5/install.yaml"
}

variable "argo_events_manifest_url" {
  description = "Argo Events' release manifest. (The tests serve a stand-in.)"
  type        = string
  default     = "https://github.com/argoproj/argo-events/releases/download/v1.9.6/install.yaml"
}

locals {
  corefile = templatefile("${path.module}/templates/Corefile.tftpl", { upstream = var.upstream_dns })
  # The kinds of these manifests that have no namespace.
  cluster_scoped = ["CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding", "Namespace", "PriorityClass"]
  argo_manifests = merge(
    { for m in provider::kubernetes::manifest_decode_multi(data.http.argo_workflows.response_body) :
      "${m.kind}/argo/${m.metadata.name}" => merge(m, { metadata = merge(m.metadata, contains(local.cluster_scoped, m.kind) ? {} : { namespace = "argo" }) })
    },
    { for m in provider::kubernetes::manifest_decode_multi(data.http.argo_events.response_body) :
      "${m.kind}/argo-events/${m.metadata.name}" => merge(m, { metadata = merge(m.metadata, contains(local.cluster_scoped, m.kind) ? {} : { namespace = "argo-events" }) })
    },
  )
}

resource "kubernetes_config_map_v1_data" "coredns" {
  metadata {
    name      = "coredns"
    namespace = "kube-system"
  }
  data  = { Corefile = local.corefile }
  force = true
  # kubespray writes this ConfigMap on every run: the patch is made again after it.
  lifecycle {
    replace_triggered_by = [terraform_data.kubespray]
  }
}

resource "kubernetes_config_map_v1_data" "nodelocaldns" {
  metadata {
    name      = "nodelocaldns"
    namespace = "kube-system"
  }
  data = {
    Corefile = templatefile("${path.module}/templates/nodelocaldns.tftpl", { upstream = var.upstream_dns })
  }
  force = true
  # kubespray writes this ConfigMap on every run: the patch is made again after it.
  lifecycle {
    replace_triggered_by = [terraform_data.kubespray]
  }
}

# kubectl rollout restart, as a change of the pod template's annotation: only when the
# configuration it restarts for changes.
resource "kubernetes_annotations" "coredns_restart" {
  api_version = "apps/v1"
  kind        = "Deployment"
  metadata {
    name      = "coredns"
    namespace = "kube-system"
  }
  template_annotations = {
    "kubectl.kubernetes.io/restartedAt" = sha256(kubernetes_config_map_v1_data.coredns.data["Corefile"])
  }
}

resource "kubernetes_annotations" "nodelocaldns_restart" {
  api_version = "apps/v1"
  kind        = "DaemonSet"
  metadata {
    name      = "nodelocaldns"
    namespace = "kube-system"
  }
  template_annotations = {
    "kubectl.kubernetes.io/restartedAt" = sha256(kubernetes_config_map_v1_data.nodelocaldns.data["Corefile"])
  }
}

resource "kubernetes_service_account_v1" "dashboard_admin" {
  metadata {
    name      = "admin-user"
    namespace = "kube-system"
  }
}

resource "kubernetes_cluster_role_binding_v1" "dashboard_admin" {
  metadata {
    name = "admin-user"
  }
  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "ClusterRole"
    name      = "cluster-admin"
  }
  subject {
    kind      = "ServiceAccount"
    name      = kubernetes_service_account_v1.dashboard_admin.metadata[0].name
    namespace = "kube-system"
  }
}

resource "kubernetes_namespace_v1" "argo" {
  for_each = toset(["argo", "argo-events"])
  metadata {
    name = each.key
  }
}

# Read at plan time, so a plan shows every object of the release; anything but the manifest
# (an error page, a redirect to a login) stops the plan there.
data "http" "argo_workflows" {
  url = var.argo_workflows_manifest_url
  lifecycle {
    postcondition {
      condition     = self.status_code == 200
      error_message = "Argo Workflows' manifest could not be downloaded from ${self.url} (HTTP ${self.status_code})."
    }
  }
}

data "http" "argo_events" {
  url = var.argo_events_manifest_url
  lifecycle {
    postcondition {
      condition     = self.status_code == 200
      error_message = "Argo Events' manifest could not be downloaded from ${self.url} (HTTP ${self.status_code})."
    }
  }
}

resource "kubernetes_manifest" "argo" {
  for_each   = local.argo_manifests
  manifest   = each.value
  depends_on = [kubernetes_namespace_v1.argo]
}

data "kubernetes_secret_v1" "argocd_admin" {
  metadata {
    name      = "argocd-initial-admin-secret"
    namespace = var.argocd_namespace
  }
  depends_on = [terraform_data.cluster]
}

resource "kubernetes_secret_v1" "argocd_admin_for_workflows" {
  metadata {
    name      = "argocd-initial-admin-secret"
    namespace = kubernetes_namespace_v1.argo["argo"].metadata[0].name
  }
  data = data.kubernetes_secret_v1.argocd_admin.data
}
