output "minio_secret_key" {
  description = "MinIO's secret key (access key: your-access-key), for its console on port 9001."
  value       = random_password.minio.result
  sensitive   = true
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
