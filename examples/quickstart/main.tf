# The GourmetGram platform's first layer, with no cloud: generated secrets for the platform
# services, a Helm-style values file for the MLflow platform chart, and the inventory of the
# three nodes that the SSH layer will prepare.

variable "nodes" {
  description = "The cluster nodes and their private addresses on 192.168.1.0/24."
  type        = map(string)
  default = {
    node1 = "192.168.1.11"
    node2 = "192.168.1.12"
    node3 = "192.168.1.13"
  }
}

variable "external_ip" {
  description = "The address the platform is reached at (the floating IP on node1)."
  type        = string
  default     = "129.114.25.10"
}

variable "output_dir" {
  description = "Where the rendered files go."
  type        = string
  default     = "generated"
}

locals {
  out         = "${path.module}/${var.output_dir}"
  bucket      = "mlflow-artifacts"
  minio_user  = "your-access-key"
  mlflow_port = 8000
}

resource "random_password" "minio_secret_key" {
  length  = 20
  special = false
}

resource "random_password" "postgres" {
  length           = 24
  special          = true
  override_special = "-_"
}

resource "local_sensitive_file" "platform_values" {
  filename = "${local.out}/platform-values.yaml"
  content  = <<-EOT
    # Values for the GourmetGram platform chart (MLflow, Postgres, MinIO).
    externalIP: ${var.external_ip}
    minio:
      accessKey: ${local.minio_user}
      secretKey: ${random_password.minio_secret_key.result}
      bucket: ${local.bucket}
    postgres:
      user: user
      password: ${random_password.postgres.result}
      database: mlflowdb
    mlflow:
      port: ${local.mlflow_port}
      artifactRoot: s3://${local.bucket}/
  EOT
}

resource "local_file" "inventory" {
  filename        = "${local.out}/inventory.yml"
  file_permission = "0644"
  content         = <<-EOT
    all:
      vars:
        ansible_python_interpreter: /usr/bin/python3
      hosts:
    %{~for name, ip in var.nodes}
        ${name}:
          ansible_host: ${ip}
          ansible_user: cc
    %{~endfor}
  EOT
}

resource "local_file" "node_env" {
  for_each        = var.nodes
  filename        = "${local.out}/nodes/${each.key}.env"
  file_permission = "0644"
  content         = "NODE_NAME=${each.key}\nNODE_IP=${each.value}\nEXTERNAL_IP=${var.external_ip}\n"
}

output "inventory_file" {
  description = "The rendered inventory."
  value       = local_file.inventory.filename
}

output "node_env_files" {
  value = { for name, f in local_file.node_env : name => f.filename }
}

output "mlflow_url" {
  value = "http://${var.external_ip}:${local.mlflow_port}"
}

output "postgres_password" {
  description = "Read it with: ggplan output postgres_password"
  value       = random_password.postgres.result
  sensitive   = true
}
