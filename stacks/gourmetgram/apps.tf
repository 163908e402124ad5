# Layer 6, the seed's argocd_add_staging.yml, argocd_add_canary.yml and argocd_add_prod.yml:
# one namespace and one Helm application per environment, each Service on this site's
# external IP.

variable "environments" {
  description = "The app environments, as the seed's argocd_add_ENVIRONMENT playbooks deploy them."
  type        = set(string)
  default     = ["staging", "canary", "production"]
}

resource "kubernetes_namespace_v1" "environment" {
  for_each = var.environments
  metadata {
    name = "gourmetgram-${each.key}"
  }
}

resource "argocd_application" "environment" {
  for_each = var.environments
  metadata {
    name = "gourmetgram-${each.key}"
  }
  cascade = var.cascade
  spec {
    source {
      repo_url        = argocd_repository.iac.repo
      path            = "k8s/${each.key}"
      target_revision = "HEAD"
      helm {
        parameter {
          name         = "service.externalIP"
          value        = local.external_ip
          force_string = true
        }
      }
    }
    destination {
      server    = "https://kubernetes.default.svc"
      namespace = kubernetes_namespace_v1.environment[each.key].metadata[0].name
    }
    sync_policy {
      automated {
        self_heal = true
      }
    }
  }
  depends_on = [argocd_application.platform]
}

output "applications" {
  description = "Each Argo CD application's sync and health status, as last read (null until Argo CD reports)."
  value = {
    for app in concat([argocd_application.platform], values(argocd_application.environment)) :
    app.metadata[0].name => {
      sync   = try(app.status[0].sync[0].status, null)
      health = try(app.status[0].health[0].status, null)
    }
  }
}
