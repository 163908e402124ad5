# Layer 7, the seed's workflow_templates_apply.yml: the WorkflowTemplates train-model,
# build-container-image, deploy-container-image, test-staging and promote-model, and the daily
# cron-train, from workflows/*.yaml (one object per file, as Argo's UI shows them).

resource "kubernetes_manifest" "workflow" {
  for_each = fileset("${path.module}/workflows", "*.yaml")
  manifest = yamldecode(file("${path.module}/workflows/${each.key}"))
  # Their kinds are Argo Workflows' CRDs, and the deploy workflows read the Argo CD password.
  depends_on = [kubernetes_manifest.release, kubernetes_secret_v1.argocd_admin_for_workflows]
}
