# The seed's argocd_add_platform.yml: the platform namespace, the MinIO and Postgres
# credentials generated once (never printed: `ggplan output -raw minio_secret_key` shows the
# key when you need it for MinIO's console), the repository, and the Helm application with
# the external IP of this site.

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
  spec {
    source {
      repo_url        = argocd_repository.iac.repo
      path            = "k8s/platform"
      target_revision = "HEAD"
      helm {
        parameter {
          name         = "minio.externalIP"
          value        = var.external_ip
          force_string = true
        }
        parameter {
          name         = "mlflow.externalIP"
          value        = var.external_ip
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
  # The charts refer to the credentials by name: they exist before Argo CD syncs.
  depends_on = [kubernetes_secret_v1.minio, kubernetes_secret_v1.postgres]
}
