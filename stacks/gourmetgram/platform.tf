# Layer 5, the seed's argocd_add_platform.yml: the platform namespace, the MinIO and
# Postgres credentials generated once (never printed: `ggplan output -raw minio_secret_key`
# shows the key when you need it for MinIO's console), the repository, and the Helm
# application with this site's external IP: node1's sharednet1 address, which the seed looks
# up by hand and the stack reads from the port.

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

variable "argocd_wait" {
  description = "Whether applying waits until Argo CD reports the platform Synced and Healthy (so that MLflow is up for the registry layer). (No Argo CD controller runs in the tests.)"
  type        = bool
  default     = true
}

variable "cascade" {
  description = "Whether destroying an application deletes what Argo CD deployed for it (Argo CD's resources finalizer)."
  type        = bool
  default     = true
}

resource "kubernetes_namespace_v1" "platform" {
  metadata {
    name = "gourmetgram-platform"
  }
}

resource "random_password" "minio" {
  length  = 20
  special = false
}

resource "random_password" "postgres" {
  length  = 20
  special = false
}

resource "kubernetes_secret_v1" "minio" {
  metadata {
    name      = "minio-credentials"
    namespace = kubernetes_namespace_v1.platform.metadata[0].name
  }
  data = {
    accesskey = "your-access-key"
    secretkey = random_password.minio.result
  }
}

resource "kubernetes_secret_v1" "postgres" {
  metadata {
    name      = "postgres-credentials"
    namespace = kubernetes_namespace_v1.platform.metadata[0].name
  }
  data = {
    username = "user"
    password = random_password.postgres.result
    dbname   = "mlflowdb"
  }
}

resource "argocd_repository" "iac" {
  repo = var.repo_url
}

resource "argocd_application" "platform" {
  metadata {
    name = "gourmetgram-platform"
  }
  cascade = var.cascade
  wait    = var.argocd_wait
  spec {
    source {
      repo_url        = argocd_repository.iac.repo
      path            = "k8s/platform"
      target_revision = "HEAD"
      helm {
        parameter {
          name         = "minio.externalIP"
          value        = local.external_ip
          force_string = true
        }
        parameter {
          name         = "mlflow.externalIP"
          value        = local.external_ip
          force_string = true
        }
      }
    }
    # No namespace, as the seed's --dest-namespace "": the charts name their own.
    destination {
      server = "https://kubernetes.default.svc"
    }
    sync_policy {
      automated {
        self_heal = true
      }
    }
  }
  # The charts refer to the credentials by name, and route with the Gateway API's kinds:
  # they exist before Argo CD syncs.
  depends_on = [kubernetes_secret_v1.minio, kubernetes_secret_v1.postgres, kubernetes_manifest.release]
}

output "minio_secret_key" {
  description = "MinIO's secret key (access key: your-access-key), for its console on port 9001."
  value       = random_password.minio.result
  sensitive   = true
}
