# Layer 4, the seed's post_k8s_configure.yml: the cluster's DNS pointed at working upstream
# resolvers (CoreDNS and nodelocaldns patched, then restarted), the dashboard's admin user,
# Argo Workflows and Argo Events from their release manifests, and Argo CD's admin password
# copied into the argo namespace for the workflows that call Argo CD. With them, the Gateway
# API's CRDs, which the platform's routes need (the seed installs them with the platform).

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

variable "gateway_api_manifest_url" {
  description = "The Gateway API's release manifest (its standard channel's CRDs). (The tests serve a stand-in.)"
  type        = string
  default     = "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.2.1/standard-install.yaml"
}

locals {
  # The DNS servers kubespray runs, the workload kind that restarts each, and its Corefile.
  dns = {
    coredns = {
      kind     = "Deployment"
      corefile = templatefile("${path.module}/templates/Corefile.tftpl", { upstream = var.upstream_dns })
    }
    nodelocaldns = {
      kind     = "DaemonSet"
      corefile = templatefile("${path.module}/templates/nodelocaldns.tftpl", { upstream = var.upstream_dns })
    }
  }
  # Each release installed from its manifest: where that is, and the namespace it is
  # installed in (none: cluster-scoped objects only).
  releases = {
    "Argo Workflows" = { url = var.argo_workflows_manifest_url, namespace = "argo" }
    "Argo Events"    = { url = var.argo_events_manifest_url, namespace = "argo-events" }
    "Gateway API"    = { url = var.gateway_api_manifest_url, namespace = null }
  }
  # The kinds of these manifests that have no namespace.
  cluster_scoped = ["CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding", "Namespace", "PriorityClass"]
  release_manifests = merge([
    for release, r in local.releases : {
      for m in provider::kubernetes::manifest_decode_multi(data.http.release[release].response_body) :
      join("/", compact([m.kind, r.namespace, m.metadata.name])) => merge(m, {
        metadata = merge(m.metadata, r.namespace == null || contains(local.cluster_scoped, m.kind) ? {} : { namespace = r.namespace })
      })
    }
  ]...)
}

resource "kubernetes_config_map_v1_data" "dns" {
  for_each = local.dns
  metadata {
    name      = each.key
    namespace = "kube-system"
  }
  data  = { Corefile = each.value.corefile }
  force = true
  # kubespray writes this ConfigMap on every run: the patch is made again after it.
  lifecycle {
    replace_triggered_by = [terraform_data.kubespray]
  }
}

# kubectl rollout restart, as a change of the pod template's annotation: only when the
# configuration it restarts for changes.
resource "kubernetes_annotations" "dns_restart" {
  for_each    = local.dns
  api_version = "apps/v1"
  kind        = each.value.kind
  metadata {
    name      = each.key
    namespace = "kube-system"
  }
  template_annotations = {
    "kubectl.kubernetes.io/restartedAt" = sha256(kubernetes_config_map_v1_data.dns[each.key].data["Corefile"])
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

resource "kubernetes_namespace_v1" "release" {
  for_each = toset(compact([for r in local.releases : r.namespace]))
  metadata {
    name = each.key
  }
}

# Read at plan time, so a plan shows every object of the release; anything but the manifest
# (an error page, a redirect to a login) stops the plan there.
data "http" "release" {
  for_each = local.releases
  url      = each.value.url
  lifecycle {
    postcondition {
      condition     = self.status_code == 200
      error_message = "The ${each.key} manifest could not be downloaded from ${self.url} (HTTP ${self.status_code})."
    }
  }
}

resource "kubernetes_manifest" "release" {
  for_each   = local.release_manifests
  manifest   = each.value
  depends_on = [kubernetes_namespace_v1.release]
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
    namespace = kubernetes_namespace_v1.release["argo"].metadata[0].name
  }
  data = data.kubernetes_secret_v1.argocd_admin.data
}
