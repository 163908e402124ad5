//! The `provider "helm"` block, as hashicorp/helm reads it: a `kubernetes { ... }` block
//! with the kubernetes provider's settings (its schema and resolution are that provider's
//! own, [`ggplan_provider_kubernetes::settings`]), where helm keeps releases and
//! repositories, and (ggplan's own) `helm_path`, the binary that renders and installs charts.

use crate::binary::{self, HelmBinary};
use ggplan_provider_kubernetes::cluster::Cluster;
use ggplan_provider_kubernetes::settings;
use ggplan_sdk::{
    AttrPath, Attribute, BlockNesting, Diagnostic, Diagnostics, NestedBlock, PathStep, Schema,
    Type, Value,
};

/// The string settings beside `kubernetes`, and the helm flag each becomes.
const OPTIONS: [(&str, Option<&str>, &str); 5] = [
    (
        "helm_path",
        None,
        "The helm binary (3 or 4) that renders and installs charts. Default: $HELM_BIN, else \
         helm on PATH.",
    ),
    (
        "helm_driver",
        None,
        "Where helm stores releases: secret, configmap, memory or sql. Default: $HELM_DRIVER, \
         else secret.",
    ),
    (
        "repository_config_path",
        Some("--repository-config"),
        "The file of chart repositories (helm repo add). Default: helm's.",
    ),
    (
        "repository_cache",
        Some("--repository-cache"),
        "The directory of cached repository indexes. Default: helm's.",
    ),
    (
        "registry_config_path",
        Some("--registry-config"),
        "The file of OCI registry credentials. Default: helm's.",
    ),
];

/// The schema of the provider block.
pub fn schema() -> Schema {
    let options = OPTIONS
        .iter()
        .map(|(name, _, text)| (*name, Attribute::optional(Type::String).describe(text)));
    let mut kubernetes = settings::schema();
    kubernetes.description = "How helm reaches the cluster, as the kubernetes provider's block: \
                              a kubeconfig file, explicit settings, or both (KUBE_* and \
                              KUBECONFIG when absent)."
        .to_string();
    Schema::new(
        "Chart releases installed by the helm binary into one Kubernetes cluster.",
        options,
    )
    .with_block(
        "kubernetes",
        NestedBlock::new(BlockNesting::Single, kubernetes),
    )
}

/// The configured provider: the helm binary for its cluster, and a client of the same
/// cluster for the release's objects.
pub struct Client {
    pub helm: HelmBinary,
    pub cluster: Cluster,
}

/// The client of a provider block; `env` reads the process environment.
pub async fn configure(
    config: &Value,
    env: impl Fn(&str) -> Option<String> + Copy,
) -> Result<Client, Diagnostics> {
    let block = config.get("kubernetes");
    let resolved = settings::kubeconfig(block, env).map_err(in_kubernetes_block)?;
    let kube_config = settings::config(block, env)
        .await
        .map_err(in_kubernetes_block)?;
    let cluster = Cluster::new(kube_config).map_err(|e| {
        Diagnostics::from(Diagnostic::error(
            "Cannot configure the helm provider's cluster",
            format!("{e:?}"),
        ))
    })?;
    let option = |name: &str| config.get(name).as_str().filter(|s| !s.is_empty());
    let path = binary::find(option("helm_path"), env).map_err(|why| {
        Diagnostics::from(
            Diagnostic::error("Cannot find the helm binary", why)
                .at_attribute(AttrPath::attr("helm_path")),
        )
    })?;
    let major = helm_major(&path).await?;
    let global = OPTIONS
        .iter()
        .filter_map(|(name, flag, _)| Some([flag.as_ref()?.to_string(), option(name)?.into()]))
        .flatten()
        .collect();
    let driver = option("helm_driver")
        .map(str::to_string)
        .or_else(|| env("HELM_DRIVER"));
    let helm = HelmBinary::new(path, major, &resolved, global, driver)
        .map_err(|why| Diagnostics::from(Diagnostic::error("Cannot configure helm", why)))?;
    Ok(Client { helm, cluster })
}

/// The major version of the helm binary at `path` (3 or 4); older ones are refused.
async fn helm_major(path: &std::path::Path) -> Result<u32, Diagnostics> {
    let output = tokio::process::Command::new(path)
        .args(["version", "--template", "{{.Version}}"])
        .output()
        .await;
    let version = match output {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).into_owned(),
        Ok(out) => String::from_utf8_lossy(&out.stderr).into_owned(),
        Err(e) => e.to_string(),
    };
    match binary::major_version(&version) {
        Some(major) if major >= 3 => Ok(major),
        _ => Err(Diagnostic::error(
            format!("{} is not helm 3 or 4", path.display()),
            format!(
                "`helm version` says: {}. Set helm_path to a helm 3 or 4 binary \
                 (https://helm.sh/docs/intro/install/).",
                version.trim()
            ),
        )
        .at_attribute(AttrPath::attr("helm_path"))
        .into()),
    }
}

/// The kubernetes settings' diagnostics, placed inside the `kubernetes` block.
fn in_kubernetes_block(mut diagnostics: Diagnostics) -> Diagnostics {
    for diagnostic in &mut diagnostics.0 {
        if let Some(attribute) = &mut diagnostic.attribute {
            attribute.0.insert(0, PathStep::Key("kubernetes".into()));
        }
    }
    diagnostics
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(config: Value, env: &[(&str, &str)]) -> Diagnostic {
        let lookup = |name: &str| {
            let found = env.iter().find(|(n, _)| *n == name);
            found.map(|(_, value)| value.to_string())
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let Err(diagnostics) = runtime.block_on(configure(&config, lookup)) else {
            panic!("configured");
        };
        diagnostics.0.into_iter().next().unwrap()
    }

    #[test]
    fn the_kubernetes_blocks_errors_are_placed_inside_it() {
        let block = Value::object([("config_path", Value::string("/nonexistent/kubeconfig"))]);
        let error = error_of(Value::object([("kubernetes", block)]), &[]);
        assert!(
            error.summary.contains("/nonexistent/kubeconfig"),
            "{error:?}"
        );
        let at = AttrPath::attr("kubernetes").key("config_path");
        assert_eq!(error.attribute, Some(at));
    }

    #[test]
    fn without_a_cluster_or_helm_the_provider_says_what_to_set() {
        let none = error_of(Value::object([("kubernetes", Value::Null)]), &[]);
        assert!(none.summary.contains("no cluster to talk to"), "{none:?}");
        let host = Value::object([("host", Value::string("https://127.0.0.1:1"))]);
        let config = Value::object([
            ("kubernetes", host),
            ("helm_path", Value::string("/nonexistent/helm")),
        ]);
        let missing = error_of(config, &[("PATH", "/nonexistent")]);
        assert_eq!(missing.summary, "Cannot find the helm binary");
        assert_eq!(missing.attribute, Some(AttrPath::attr("helm_path")));
    }
}
