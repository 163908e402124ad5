# The GourmetGram model registry: the Food-11 classifier and which of its versions serves in
# each environment. The training pipeline registers versions; this stack decides where they run.
# Promote a model by changing one line of promotion.auto.tfvars and reviewing `ggplan plan`.

variable "tracking_uri" {
  description = "The MLflow tracking server; null uses MLFLOW_TRACKING_URI."
  type        = string
  default     = null
}

variable "model_name" {
  description = "The registered model the training pipeline registers versions of."
  type        = string
  default     = "GourmetGramFood11Model"
}

variable "development" {
  description = "The version the development environment serves (null: no alias)."
  type        = string
  default     = null
}

variable "staging" {
  description = "The version under test in staging (null: no alias)."
  type        = string
  default     = null
}

variable "staging_approved" {
  description = "The version that passed staging's tests (alias staging-approved; null: none)."
  type        = string
  default     = null
}

variable "canary" {
  description = "The version serving the canary share of production traffic (null: no canary)."
  type        = string
  default     = null
}

variable "production" {
  description = "The version serving production (null: no alias)."
  type        = string
  default     = null
}

provider "mlflow" {
  tracking_uri = var.tracking_uri
}

locals {
  aliases = {
    development        = var.development
    staging            = var.staging
    "staging-approved" = var.staging_approved
    canary             = var.canary
    production         = var.production
  }
}

resource "mlflow_registered_model" "food11" {
  name        = var.model_name
  description = "Food-11 classifier behind GourmetGram's photo tagging"
  tags = {
    team    = "ml"
    dataset = "food-11"
  }
}

resource "mlflow_model_alias" "env" {
  for_each = { for alias, version in local.aliases : alias => version if version != null }

  model   = mlflow_registered_model.food11.name
  alias   = each.key
  version = each.value
}

output "serving" {
  description = "Each alias and the version it points at."
  value       = { for alias, a in mlflow_model_alias.env : alias => a.version }
}
