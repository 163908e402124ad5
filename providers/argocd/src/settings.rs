//! The `provider "argocd"` block: how to reach the cluster Argo CD runs in (a `kubernetes {}`
//! block, read exactly as the kubernetes provider reads its own block, or the `KUBECONFIG`
//! default) and the namespace Argo CD watches. argoproj-labs/argocd's settings for Argo CD's
//! own API server are refused, never ignored: ggplan does not talk to that server.

use crate::ArgoCluster;
use ggplan_provider_kubernetes::cluster::Cluster;
use ggplan_provider_kubernetes::settings;
use ggplan_sdk::{
    AttrPath, Attribute, BlockNesting, Diagnostic, Diagnostics, NestedBlock, Schema, Type, Value,
};

/// Where Argo CD runs unless `namespace` says otherwise (its install manifests' namespace).
pub const DEFAULT_NAMESPACE: &str = "argocd";

/// argoproj-labs/argocd's settings for reaching Argo CD's API server (or a port-forward to
/// it): accepted by the schema so that writing one is refused with a reason.
const API_SERVER_SETTINGS: [&str; 12] = [
    "server_addr",
    "auth_token",
    "username",
    "password",
    "insecure",
    "plain_text",
    "grpc_web",
    "port_forward",
    "port_forward_with_namespace",
    "use_local_config",
    "core",
    "context",
];

pub fn schema() -> Schema {
    let namespace = Attribute::optional(Type::String).describe(&format!(
        "The namespace Argo CD runs in and reads Applications and repository Secrets from. \
         Default: \"{DEFAULT_NAMESPACE}\"."
    ));
    let refused = API_SERVER_SETTINGS.iter().map(|name| {
        let attribute = Attribute::optional(Type::Any).describe(
            "Not supported: argoproj-labs/argocd's setting for Argo CD's API server. ggplan \
             writes Argo CD's objects through the Kubernetes API; configure the kubernetes block.",
        );
        (*name, attribute)
    });
    let mut kubernetes = NestedBlock::new(BlockNesting::List, settings::schema());
    kubernetes.max_items = Some(1);
    Schema::new(
        "Reaches the cluster Argo CD runs in through the Kubernetes API (no argocd login, no \
         port-forward): a kubernetes block, read as the kubernetes provider reads its own, or \
         KUBECONFIG. argoproj-labs/argocd's settings for Argo CD's API server (server_addr, \
         auth_token, username, password, port_forward...) are refused: ggplan does not talk to \
         that server.",
        std::iter::once(("namespace", namespace)).chain(refused),
    )
    .with_block("kubernetes", kubernetes)
}

/// The client of a provider block; `env` reads the process environment.
pub async fn configure(
    config: &Value,
    env: impl Fn(&str) -> Option<String>,
) -> Result<ArgoCluster, Diagnostics> {
    refuse_api_server_settings(config)?;
    let block = config
        .get("kubernetes")
        .as_list()
        .and_then(<[Value]>::first)
        .unwrap_or(&Value::Null);
    let kube_config = settings::config(block, env).await?;
    let cluster = Cluster::new(kube_config).map_err(|e| {
        Diagnostics::from(Diagnostic::error(
            "Cannot configure the argocd provider",
            format!("{e:?}"),
        ))
    })?;
    let namespace = config
        .get("namespace")
        .as_str()
        .unwrap_or(DEFAULT_NAMESPACE);
    Ok(ArgoCluster {
        cluster,
        namespace: namespace.to_string(),
    })
}

fn refuse_api_server_settings(config: &Value) -> Result<(), Diagnostics> {
    let mut diagnostics = Diagnostics::new();
    for name in API_SERVER_SETTINGS {
        if !config.get(name).is_null() {
            diagnostics.push(
                Diagnostic::error(
                    format!("The argocd provider does not use {name}"),
                    "ggplan writes Argo CD's Applications and repository Secrets through the \
                     Kubernetes API, never through Argo CD's API server, so it needs no server \
                     address, login or port-forward. Remove it, and say how to reach the \
                     cluster in a kubernetes { ... } block (or with KUBECONFIG).",
                )
                .at_attribute(AttrPath::attr(name)),
            );
        }
    }
    diagnostics.into_result(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn settings_for_argo_cds_api_server_are_refused_by_name() {
        let config = Value::object([
            ("server_addr", Value::string("argocd.example:443")),
            ("auth_token", Value::string("t")),
        ]);
        let Err(diagnostics) = configure(&config, |_| None).await else {
            panic!("configured with server_addr");
        };
        let text = format!("{diagnostics:?}");
        assert!(text.contains("does not use server_addr"), "{text}");
        assert!(text.contains("does not use auth_token"), "{text}");
    }
}
