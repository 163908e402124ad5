//! Where the provider's credentials come from: the `provider "openstack"` block, the `OS_*`
//! environment variables and a `clouds.yaml` entry, in that order of precedence (as in
//! Terraform's OpenStack provider: explicit settings override the cloud entry).
//!
//! `clouds.yaml` is looked up as openstacksdk does: `OS_CLIENT_CONFIG_FILE`, then the current
//! directory, then `~/.config/openstack/`, then `/etc/openstack/`.

use crate::error::ApiError;
use ggplan_sdk::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use yaml_rust2::{Yaml, YamlLoader};

/// How to authenticate to Keystone v3.
#[derive(Clone, PartialEq)]
pub enum Credentials {
    /// A user name or id and a password, scoped to a project.
    Password {
        user_name: Option<String>,
        user_id: Option<String>,
        user_domain_name: Option<String>,
        user_domain_id: Option<String>,
        password: String,
        project_name: Option<String>,
        project_id: Option<String>,
        project_domain_name: Option<String>,
        project_domain_id: Option<String>,
    },
    /// An application credential (already scoped to its project).
    ApplicationCredential {
        id: Option<String>,
        name: Option<String>,
        user_name: Option<String>,
        user_id: Option<String>,
        user_domain_name: Option<String>,
        user_domain_id: Option<String>,
        secret: String,
    },
}

// Written by hand so that no secret can reach a log through `{:?}`.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::Password { user_name, .. } => f
                .debug_struct("Password")
                .field("user_name", user_name)
                .finish_non_exhaustive(),
            Credentials::ApplicationCredential { id, name, .. } => f
                .debug_struct("ApplicationCredential")
                .field("id", id)
                .field("name", name)
                .finish_non_exhaustive(),
        }
    }
}

/// Everything needed to open a session.
#[derive(Debug, Clone, PartialEq)]
pub struct Cloud {
    /// The Keystone v3 endpoint, ending in `/v3`.
    pub auth_url: String,
    pub credentials: Credentials,
    pub region: Option<String>,
    /// `public`, `internal` or `admin`.
    pub interface: String,
}

/// The settings gathered from one source, by clouds.yaml key name.
type Settings = BTreeMap<String, String>;

/// The provider block attributes and the clouds.yaml / `OS_*` names they stand for.
pub const PROVIDER_ATTRIBUTES: &[(&str, &str, &str)] = &[
    // (provider attribute, clouds.yaml key, environment variable)
    ("auth_url", "auth_url", "OS_AUTH_URL"),
    ("region", "region_name", "OS_REGION_NAME"),
    ("endpoint_type", "interface", "OS_INTERFACE"),
    ("user_name", "username", "OS_USERNAME"),
    ("user_id", "user_id", "OS_USER_ID"),
    ("password", "password", "OS_PASSWORD"),
    ("tenant_name", "project_name", "OS_PROJECT_NAME"),
    ("tenant_id", "project_id", "OS_PROJECT_ID"),
    (
        "user_domain_name",
        "user_domain_name",
        "OS_USER_DOMAIN_NAME",
    ),
    ("user_domain_id", "user_domain_id", "OS_USER_DOMAIN_ID"),
    (
        "project_domain_name",
        "project_domain_name",
        "OS_PROJECT_DOMAIN_NAME",
    ),
    (
        "project_domain_id",
        "project_domain_id",
        "OS_PROJECT_DOMAIN_ID",
    ),
    (
        "application_credential_id",
        "application_credential_id",
        "OS_APPLICATION_CREDENTIAL_ID",
    ),
    (
        "application_credential_name",
        "application_credential_name",
        "OS_APPLICATION_CREDENTIAL_NAME",
    ),
    (
        "application_credential_secret",
        "application_credential_secret",
        "OS_APPLICATION_CREDENTIAL_SECRET",
    ),
    ("auth_type", "auth_type", "OS_AUTH_TYPE"),
];

/// Where the configuration is read from: the environment and the file system, abstracted so
/// tests can supply their own.
pub trait Environment {
    fn var(&self, name: &str) -> Option<String>;
    fn read(&self, path: &Path) -> Option<String>;
    fn current_dir(&self) -> Option<PathBuf>;
}

/// The process's environment and file system.
pub struct ProcessEnvironment;

impl Environment for ProcessEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
    fn read(&self, path: &Path) -> Option<String> {
        std::fs::read_to_string(path).ok()
    }
    fn current_dir(&self) -> Option<PathBuf> {
        std::env::current_dir().ok()
    }
}

/// Resolves the cloud to use from the provider block `config` and `env`.
pub fn resolve(config: &Value, env: &dyn Environment) -> Result<Cloud, ApiError> {
    let cloud_name = config
        .get("cloud")
        .as_str()
        .map(str::to_string)
        .or_else(|| env.var("OS_CLOUD"));
    let mut settings = match &cloud_name {
        Some(name) => cloud_entry(name, env)?,
        None => Settings::new(),
    };
    for (attribute, key, variable) in PROVIDER_ATTRIBUTES {
        let explicit = config
            .get(attribute)
            .as_str()
            .map(str::to_string)
            .or_else(|| env.var(variable));
        if let Some(value) = explicit {
            settings.insert(key.to_string(), value);
        }
    }
    from_settings(settings, cloud_name.as_deref())
}

fn from_settings(mut s: Settings, cloud: Option<&str>) -> Result<Cloud, ApiError> {
    let source = match cloud {
        Some(name) => format!("cloud {name:?}"),
        None => "the provider configuration".to_string(),
    };
    let auth_url = s.remove("auth_url").ok_or_else(|| {
        ApiError::Config(format!(
            "{source} has no auth_url (set it in clouds.yaml, OS_AUTH_URL or the provider block)"
        ))
    })?;
    let auth_type = s
        .remove("auth_type")
        .unwrap_or_else(|| {
            if s.contains_key("application_credential_secret") {
                "v3applicationcredential".to_string()
            } else {
                "password".to_string()
            }
        })
        .to_lowercase();
    let credentials = match auth_type.as_str() {
        "password" | "v3password" => Credentials::Password {
            password: s.remove("password").ok_or_else(|| {
                ApiError::Config(format!("{source} uses password auth but has no password"))
            })?,
            user_name: s.remove("username"),
            user_id: s.remove("user_id"),
            user_domain_name: s.remove("user_domain_name"),
            user_domain_id: s.remove("user_domain_id"),
            project_name: s.remove("project_name"),
            project_id: s.remove("project_id"),
            project_domain_name: s.remove("project_domain_name"),
            project_domain_id: s.remove("project_domain_id"),
        },
        "v3applicationcredential" => Credentials::ApplicationCredential {
            secret: s.remove("application_credential_secret").ok_or_else(|| {
                ApiError::Config(format!(
                    "{source} uses v3applicationcredential auth but has no \
                     application_credential_secret"
                ))
            })?,
            id: s.remove("application_credential_id"),
            name: s.remove("application_credential_name"),
            user_name: s.remove("username"),
            user_id: s.remove("user_id"),
            user_domain_name: s.remove("user_domain_name"),
            user_domain_id: s.remove("user_domain_id"),
        },
        other => {
            return Err(ApiError::Config(format!(
                "{source} uses auth_type {other:?}; this provider supports password and \
                 v3applicationcredential"
            )));
        }
    };
    let interface = s
        .remove("interface")
        .unwrap_or_else(|| "public".to_string())
        .trim_end_matches("URL")
        .to_lowercase();
    Ok(Cloud {
        auth_url: v3_url(&auth_url)?,
        credentials,
        region: s.remove("region_name"),
        interface,
    })
}

/// The Keystone v3 root for an auth URL given with or without its version.
fn v3_url(auth_url: &str) -> Result<String, ApiError> {
    let base = auth_url.trim_end_matches('/');
    if base.ends_with("/v3") {
        Ok(base.to_string())
    } else if base.ends_with("/v2.0") {
        Err(ApiError::Config(format!(
            "auth_url {auth_url} is Keystone v2.0, which is gone: use the /v3 endpoint"
        )))
    } else {
        Ok(format!("{base}/v3"))
    }
}

/// The candidate clouds.yaml files, most specific first.
fn clouds_files(env: &dyn Environment) -> Vec<PathBuf> {
    let mut files = Vec::new();
    if let Some(file) = env.var("OS_CLIENT_CONFIG_FILE") {
        files.push(PathBuf::from(file));
    }
    if let Some(dir) = env.current_dir() {
        files.push(dir.join("clouds.yaml"));
    }
    if let Some(home) = env.var("HOME") {
        files.push(Path::new(&home).join(".config/openstack/clouds.yaml"));
    }
    files.push(PathBuf::from("/etc/openstack/clouds.yaml"));
    files
}

/// The settings of the named cloud from the first clouds.yaml that has it.
fn cloud_entry(name: &str, env: &dyn Environment) -> Result<Settings, ApiError> {
    let files = clouds_files(env);
    for file in &files {
        let Some(text) = env.read(file) else { continue };
        let docs = YamlLoader::load_from_str(&text)
            .map_err(|e| ApiError::Config(format!("{} is not valid YAML: {e}", file.display())))?;
        let Some(doc) = docs.first() else { continue };
        let entry = &doc["clouds"][name];
        if entry.is_badvalue() {
            continue;
        }
        let mut settings = Settings::new();
        if let Yaml::Hash(top) = entry {
            for (key, value) in top {
                if let (Some(key), Some(value)) = (key.as_str(), scalar(value)) {
                    settings.insert(key.to_string(), value);
                }
            }
        }
        if let Yaml::Hash(auth) = &entry["auth"] {
            for (key, value) in auth {
                if let (Some(key), Some(value)) = (key.as_str(), scalar(value)) {
                    settings.insert(key.to_string(), value);
                }
            }
        }
        return Ok(settings);
    }
    let searched: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    Err(ApiError::Config(format!(
        "no clouds.yaml defines the cloud {name:?} (searched {})",
        searched.join(", ")
    )))
}

fn scalar(value: &Yaml) -> Option<String> {
    match value {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct FakeEnv {
        vars: BTreeMap<String, String>,
        files: BTreeMap<PathBuf, String>,
    }

    impl Environment for FakeEnv {
        fn var(&self, name: &str) -> Option<String> {
            self.vars.get(name).cloned()
        }
        fn read(&self, path: &Path) -> Option<String> {
            self.files.get(path).cloned()
        }
        fn current_dir(&self) -> Option<PathBuf> {
            Some(PathBuf::from("/stack"))
        }
    }

    const SEED_CLOUDS: &str = r#"
clouds:
  openstack:
    auth:
      auth_url: https://kvm.tacc.chameleoncloud.org:5000
      application_credential_id: "REDACTED_UNIQUE_ID"
      application_credential_secret: "REDACTED_SECRET"
    region_name: "KVM@TACC"
    interface: "public"
    identity_api_version: 3
    auth_type: "v3applicationcredential"
"#;

    fn env(vars: &[(&str, &str)], files: &[(&str, &str)]) -> FakeEnv {
        FakeEnv {
            vars: vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            files: files
                .iter()
                .map(|(k, v)| (PathBuf::from(k), v.to_string()))
                .collect(),
        }
    }

    fn cloud_config(name: &str) -> Value {
        Value::object([("cloud", Value::string(name))])
    }

    #[test]
    fn reads_the_seed_clouds_yaml_from_the_stack_directory() {
        let env = env(&[], &[("/stack/clouds.yaml", SEED_CLOUDS)]);
        let cloud = resolve(&cloud_config("openstack"), &env).unwrap();
        assert_eq!(
            cloud.auth_url,
            "https://kvm.tacc.chameleoncloud.org:5000/v3"
        );
        assert_eq!(cloud.region.as_deref(), Some("KVM@TACC"));
        assert_eq!(cloud.interface, "public");
        assert_eq!(
            cloud.credentials,
            Credentials::ApplicationCredential {
                id: Some("REDACTED_UNIQUE_ID".into()),
                name: None,
                user_name: None,
                user_id: None,
                user_domain_name: None,
                user_domain_id: None,
                secret: "REDACTED_SECRET".into(),
            }
        );
        assert!(!format!("{cloud:?}").contains("REDACTED_SECRET"));
    }

    #[test]
    fn environment_overrides_the_cloud_entry_and_home_is_searched() {
        let env = env(
            &[("HOME", "/home/u"), ("OS_REGION_NAME", "Other")],
            &[("/home/u/.config/openstack/clouds.yaml", SEED_CLOUDS)],
        );
        let cloud = resolve(&cloud_config("openstack"), &env).unwrap();
        assert_eq!(cloud.region.as_deref(), Some("Other"));
    }

    #[test]
    fn password_auth_from_os_variables_alone() {
        let env = env(
            &[
                ("OS_AUTH_URL", "http://127.0.0.1:5000/v3/"),
                ("OS_USERNAME", "demo"),
                ("OS_PASSWORD", "pw"),
                ("OS_PROJECT_NAME", "demo"),
                ("OS_INTERFACE", "internalURL"),
            ],
            &[],
        );
        let cloud = resolve(&Value::Null, &env).unwrap();
        assert_eq!(cloud.auth_url, "http://127.0.0.1:5000/v3");
        assert_eq!(cloud.interface, "internal");
        assert!(matches!(cloud.credentials, Credentials::Password { .. }));
    }

    #[test]
    fn missing_cloud_names_every_file_searched() {
        let env = env(&[("HOME", "/h")], &[]);
        let err = resolve(&cloud_config("kvm"), &env).unwrap_err().to_string();
        assert!(err.contains("\"kvm\""), "{err}");
        assert!(err.contains("/stack/clouds.yaml"), "{err}");
        assert!(err.contains("/etc/openstack/clouds.yaml"), "{err}");
    }

    #[test]
    fn unsupported_auth_type_and_missing_secret_are_config_errors() {
        let env = env(
            &[("OS_AUTH_URL", "http://x/v2.0"), ("OS_PASSWORD", "p")],
            &[],
        );
        assert!(
            resolve(&Value::Null, &env)
                .unwrap_err()
                .to_string()
                .contains("v2.0")
        );
        let env2 = FakeEnv {
            vars: [("OS_AUTH_URL", "http://x"), ("OS_AUTH_TYPE", "token")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            files: BTreeMap::new(),
        };
        assert!(
            resolve(&Value::Null, &env2)
                .unwrap_err()
                .to_string()
                .contains("\"token\"")
        );
    }
}
