//! The `provider "kubernetes"` block, as hashicorp/kubernetes reads it: a kubeconfig file
//! (`config_path`, `config_paths`, with `config_context*` picking the context) and explicit
//! settings (`host`, `token`, certificates...) that override it; each with Terraform's
//! `KUBE_*` variable as fallback (`config_path` also takes `KUBECONFIG`, as kubectl does).
//!
//! Everything is turned into one kubeconfig (the files merged, or an empty one) whose chosen
//! context is overridden by the explicit settings; kube-rs then reads it as kubectl would, so
//! certificate and base64 handling is kube's.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ggplan_sdk::{AttrPath, Attribute, Diagnostic, Diagnostics, Schema, Type, Value};
use kube::config::{
    AuthInfo, Cluster, Context, KubeConfigOptions, Kubeconfig, NamedAuthInfo, NamedCluster,
    NamedContext,
};
use secrecy::SecretString;

/// Each string setting, its `KUBE_*` variable, and what it is.
const STRINGS: [(&str, &str, &str); 9] = [
    (
        "host",
        "KUBE_HOST",
        "The API server's address, e.g. https://10.0.0.1:6443.",
    ),
    (
        "username",
        "KUBE_USER",
        "The user for HTTP basic authentication.",
    ),
    (
        "tls_server_name",
        "KUBE_TLS_SERVER_NAME",
        "The name the server's certificate must show.",
    ),
    (
        "client_certificate",
        "KUBE_CLIENT_CERT_DATA",
        "The client certificate, PEM-encoded, for TLS client authentication.",
    ),
    (
        "cluster_ca_certificate",
        "KUBE_CLUSTER_CA_CERT_DATA",
        "The certificate authority that signed the server's certificate, PEM-encoded.",
    ),
    (
        "config_path",
        "KUBE_CONFIG_PATH",
        "A kubeconfig file (also KUBECONFIG).",
    ),
    (
        "config_context",
        "KUBE_CTX",
        "The kubeconfig context to use (default: its current one).",
    ),
    (
        "config_context_auth_info",
        "KUBE_CTX_AUTH_INFO",
        "The kubeconfig user to use instead of the context's.",
    ),
    (
        "config_context_cluster",
        "KUBE_CTX_CLUSTER",
        "The kubeconfig cluster to use instead of the context's.",
    ),
];

/// The secret settings and their variables.
const SECRETS: [(&str, &str, &str); 3] = [
    ("token", "KUBE_TOKEN", "A bearer token."),
    (
        "password",
        "KUBE_PASSWORD",
        "The password for HTTP basic authentication.",
    ),
    (
        "client_key",
        "KUBE_CLIENT_KEY_DATA",
        "The client certificate's private key, PEM-encoded.",
    ),
];

/// The schema of the provider block.
pub fn schema() -> Schema {
    let strings = STRINGS.iter().map(|(name, var, text)| {
        (
            *name,
            described(Attribute::optional(Type::String), text, var),
        )
    });
    let secrets = SECRETS.iter().map(|(name, var, text)| {
        let attribute = Attribute::optional(Type::String).sensitive();
        (*name, described(attribute, text, var))
    });
    let others = [
        (
            "insecure",
            described(
                Attribute::optional(Type::Bool),
                "Skip the check of the server's certificate (testing only).",
                "KUBE_INSECURE",
            ),
        ),
        (
            "config_paths",
            described(
                Attribute::optional(Type::List(Box::new(Type::String))),
                "Kubeconfig files to merge, first one first.",
                "KUBE_CONFIG_PATHS",
            ),
        ),
    ];
    Schema::new(
        "How to reach a Kubernetes cluster: a kubeconfig file, explicit settings, or both.",
        strings.chain(secrets).chain(others),
    )
}

fn described(attribute: Attribute, text: &str, variable: &str) -> Attribute {
    attribute.describe(&format!("{text} Default: ${variable}."))
}

/// The kube-rs configuration of a provider block; `env` reads the process environment.
pub async fn config(
    block: &Value,
    env: impl Fn(&str) -> Option<String>,
) -> Result<kube::Config, Diagnostics> {
    let resolved = kubeconfig(block, env)?;
    let options = KubeConfigOptions {
        context: Some(resolved.context),
        ..KubeConfigOptions::default()
    };
    kube::Config::from_custom_kubeconfig(resolved.kubeconfig, &options)
        .await
        .map_err(|e| {
            Diagnostic::error(
                "Cannot use the kubernetes provider's settings",
                format!("{e}. Check the kubeconfig and the provider block."),
            )
            .into()
        })
}

/// A provider block's settings as one kubeconfig: the files it names merged, and the context
/// to use, overridden by the explicit settings. For a tool that reads a kubeconfig (helm)
/// rather than a client of its own.
pub struct ResolvedKubeconfig {
    pub kubeconfig: Kubeconfig,
    pub context: String,
}

/// The kubeconfig a provider block (or a `kubernetes {}` block of the helm and argocd
/// providers) describes; `env` reads the process environment.
pub fn kubeconfig(
    block: &Value,
    env: impl Fn(&str) -> Option<String>,
) -> Result<ResolvedKubeconfig, Diagnostics> {
    let setting = |name: &str| -> Option<String> {
        let variable = STRINGS
            .iter()
            .chain(SECRETS.iter())
            .find(|(n, _, _)| *n == name)
            .map(|(_, var, _)| *var);
        block
            .get(name)
            .as_str()
            .map(str::to_string)
            .or_else(|| variable.and_then(&env))
            .filter(|s| !s.is_empty())
    };
    let paths = config_paths(block, &setting, &env);
    let mut kubeconfig = read_kubeconfigs(&paths)?;
    if paths.is_empty() && setting("host").is_none() {
        return Err(no_cluster());
    }
    let options = KubeConfigOptions {
        context: setting("config_context"),
        cluster: setting("config_context_cluster"),
        user: setting("config_context_auth_info"),
    };
    let insecure = block
        .get("insecure")
        .as_bool()
        .or_else(|| env("KUBE_INSECURE").map(|v| v == "true" || v == "1"));
    let context = override_context(&mut kubeconfig, &options, &setting, insecure)?;
    Ok(ResolvedKubeconfig {
        kubeconfig,
        context,
    })
}

/// `config_paths`, else `config_path`, else their variables, else `KUBECONFIG`.
fn config_paths(
    block: &Value,
    setting: &impl Fn(&str) -> Option<String>,
    env: &impl Fn(&str) -> Option<String>,
) -> Vec<String> {
    let listed: Vec<String> = block
        .get("config_paths")
        .as_list()
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_str().map(str::to_string))
        .collect();
    if !listed.is_empty() {
        return listed;
    }
    if let Some(path) = setting("config_path") {
        return vec![path];
    }
    let joined = env("KUBE_CONFIG_PATHS").or_else(|| env("KUBECONFIG"));
    joined
        .map(|paths| {
            paths
                .split(':')
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// The kubeconfig files merged (the first one wins where they disagree), or an empty one.
fn read_kubeconfigs(paths: &[String]) -> Result<Kubeconfig, Diagnostics> {
    let mut merged = Kubeconfig::default();
    for path in paths {
        let path = expand_home(path);
        let read = Kubeconfig::read_from(&path).map_err(|e| {
            Diagnostics::from(
                Diagnostic::error(
                    format!("Cannot read the kubeconfig {path}"),
                    format!(
                        "{e}. Check config_path (or KUBE_CONFIG_PATH / KUBECONFIG): it must \
                         name a readable kubeconfig file."
                    ),
                )
                .at_attribute(AttrPath::attr("config_path")),
            )
        })?;
        merged = merged.merge(read).map_err(|e| {
            Diagnostics::from(Diagnostic::error(
                "Cannot merge the kubeconfig files",
                e.to_string(),
            ))
        })?;
    }
    Ok(merged)
}

fn expand_home(path: &str) -> String {
    match (path.strip_prefix("~/"), std::env::var("HOME")) {
        (Some(rest), Ok(home)) => format!("{home}/{rest}"),
        _ => path.to_string(),
    }
}

/// The name of the context to use, after giving it the explicit settings: a context made
/// for them when the kubeconfig has none to use.
fn override_context(
    kubeconfig: &mut Kubeconfig,
    options: &KubeConfigOptions,
    setting: &impl Fn(&str) -> Option<String>,
    insecure: Option<bool>,
) -> Result<String, Diagnostics> {
    let name = options
        .context
        .clone()
        .or_else(|| kubeconfig.current_context.clone())
        .unwrap_or_else(|| "ggplan".to_string());
    let context = context_entry(kubeconfig, &name)?;
    let cluster_name = options.cluster.clone().unwrap_or(context.cluster.clone());
    let user_name = options
        .user
        .clone()
        .or(context.user.clone())
        .unwrap_or_else(|| cluster_name.clone());
    if let Some(entry) = kubeconfig.contexts.iter_mut().find(|c| c.name == name) {
        entry.context = Some(Context {
            cluster: cluster_name.clone(),
            user: Some(user_name.clone()),
            ..context
        });
    }
    let cluster = cluster_entry(kubeconfig, &cluster_name);
    if let Some(host) = setting("host") {
        cluster.server = Some(host);
    }
    if let Some(ca) = setting("cluster_ca_certificate") {
        cluster.certificate_authority = None;
        cluster.certificate_authority_data = Some(STANDARD.encode(ca));
    }
    if let Some(insecure) = insecure {
        cluster.insecure_skip_tls_verify = Some(insecure);
    }
    if let Some(server_name) = setting("tls_server_name") {
        cluster.tls_server_name = Some(server_name);
    }
    override_user(auth_entry(kubeconfig, &user_name), setting);
    Ok(name)
}

/// The explicit credentials, over the kubeconfig user's.
fn override_user(user: &mut AuthInfo, setting: &impl Fn(&str) -> Option<String>) {
    if let Some(token) = setting("token") {
        user.token = Some(SecretString::from(token));
        user.token_file = None;
    }
    if let Some(certificate) = setting("client_certificate") {
        user.client_certificate = None;
        user.client_certificate_data = Some(STANDARD.encode(certificate));
    }
    if let Some(key) = setting("client_key") {
        user.client_key = None;
        user.client_key_data = Some(SecretString::from(STANDARD.encode(key)));
    }
    if let Some(username) = setting("username") {
        user.username = Some(username);
    }
    if let Some(password) = setting("password") {
        user.password = Some(SecretString::from(password));
    }
}

/// The context called `name`; a new one when the kubeconfig has no contexts at all (explicit
/// settings only), an error naming the contexts it has otherwise.
fn context_entry(kubeconfig: &mut Kubeconfig, name: &str) -> Result<Context, Diagnostics> {
    if let Some(found) = kubeconfig.contexts.iter().find(|c| c.name == name) {
        return Ok(found.context.clone().unwrap_or_default());
    }
    if !kubeconfig.contexts.is_empty() {
        let known: Vec<&str> = kubeconfig
            .contexts
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        return Err(Diagnostic::error(
            format!("The kubeconfig has no context {name:?}"),
            format!(
                "Its contexts are: {}. Set config_context to one of them.",
                known.join(", ")
            ),
        )
        .at_attribute(AttrPath::attr("config_context"))
        .into());
    }
    let context = Context {
        cluster: name.to_string(),
        user: Some(name.to_string()),
        ..Context::default()
    };
    kubeconfig.contexts.push(NamedContext {
        name: name.to_string(),
        context: Some(context.clone()),
        ..NamedContext::default()
    });
    Ok(context)
}

/// The cluster called `name`, added when the kubeconfig has none.
fn cluster_entry<'a>(kubeconfig: &'a mut Kubeconfig, name: &str) -> &'a mut Cluster {
    let named = named_entry(
        &mut kubeconfig.clusters,
        name,
        |n| &n.name,
        |name| NamedCluster {
            name,
            ..NamedCluster::default()
        },
    );
    named.cluster.get_or_insert_with(Cluster::default)
}

/// The user called `name`, added when the kubeconfig has none.
fn auth_entry<'a>(kubeconfig: &'a mut Kubeconfig, name: &str) -> &'a mut AuthInfo {
    let named = named_entry(
        &mut kubeconfig.auth_infos,
        name,
        |n| &n.name,
        |name| NamedAuthInfo {
            name,
            ..NamedAuthInfo::default()
        },
    );
    named.auth_info.get_or_insert_with(AuthInfo::default)
}

/// The entry of a kubeconfig list called `name`, made by `make` when there is none.
fn named_entry<'a, T>(
    entries: &'a mut Vec<T>,
    name: &str,
    name_of: impl Fn(&T) -> &String,
    make: impl FnOnce(String) -> T,
) -> &'a mut T {
    let index = match entries.iter().position(|e| name_of(e) == name) {
        Some(index) => index,
        None => {
            entries.push(make(name.to_string()));
            entries.len() - 1
        }
    };
    &mut entries[index]
}

fn no_cluster() -> Diagnostics {
    Diagnostic::error(
        "The kubernetes provider has no cluster to talk to",
        "Set config_path to a kubeconfig file (or KUBE_CONFIG_PATH / KUBECONFIG), or host with \
         credentials (token, or client_certificate and client_key) and cluster_ca_certificate.",
    )
    .into()
}
