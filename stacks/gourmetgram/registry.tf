# Layer 8, the model registry: MLflow's registered model GourmetGramFood11Model on the
# platform's MLflow (the platform application's mlflow.externalIP, port 8000).
#
# The aliases development, staging, canary, production and staging-approved say which
# version runs where; the pipelines move them (train-model, build-container-image,
# promote-model, test-staging), so they are not the stack's: a moved alias is the system
# working, not drift, and a stack that set them would undo every promotion. The stack owns
# the model itself (its description and tags), which the workflows only add versions to.

variable "mlflow_tracking_uri" {
  description = "The platform's MLflow; null: http://EXTERNAL_IP:8000. (The tests point it at a stand-in.)"
  type        = string
  default     = null
}

provider "mlflow" {
  tracking_uri = coalesce(var.mlflow_tracking_uri, "http://${local.external_ip}:8000")
}

resource "mlflow_registered_model" "food11" {
  name        = "GourmetGramFood11Model"
  description = "Food-11 classifier served by GourmetGram; aliases: development, staging, canary, production, staging-approved (moved by the Argo workflows)."
  tags = {
    project = "gourmetgram"
  }
  # MLflow is deployed by the platform application: its server is up once Argo CD has synced.
  depends_on = [argocd_application.platform]
}
