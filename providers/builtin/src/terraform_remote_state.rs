//! `data "terraform_remote_state"`, Terraform's built-in data source that reads another
//! stack's root outputs, for the `local` backend: `config = { path = "..." }` names the state
//! file (default `terraform.tfstate`, relative to the current directory as in Terraform);
//! `workspace = "NAME"` reads `<workspace_dir>/NAME/terraform.tfstate` instead (`workspace_dir`
//! default `terraform.tfstate.d`), where the local backend keeps a workspace's state.
//! Both a ggplan state and a Terraform state (format version 4) are read: each keeps its root
//! outputs as `outputs.NAME = { value, sensitive }`. Sensitive outputs stay sensitive;
//! `defaults` fills in outputs the state does not have.
//!
//! Other backends are refused by name rather than read from somewhere else.

use async_trait::async_trait;
use ggplan_sdk::typed::DataSourceType;
use ggplan_sdk::{AttrPath, Attribute, Diagnostic, Diagnostics, Schema, Type, Value};
use std::collections::BTreeMap;

use crate::terraform_data::Terraform;

/// `terraform_remote_state`.
pub(crate) struct RemoteState;

/// The state file the local backend reads when `config` names none, as Terraform's; also the
/// name of a workspace's state file in its directory.
const DEFAULT_PATH: &str = "terraform.tfstate";

/// Where the local backend keeps workspaces other than `default`, unless `workspace_dir` says.
const DEFAULT_WORKSPACE_DIR: &str = "terraform.tfstate.d";

fn refused(summary: &str, detail: String, attribute: &str) -> Diagnostics {
    Diagnostic::error(summary, detail)
        .at_attribute(AttrPath::attr(attribute))
        .into()
}

/// The state file a configuration names, or why it names none ggplan can read.
fn state_path(config: &Value) -> Result<String, Diagnostics> {
    let backend = config.get("backend").as_str().unwrap_or_default();
    let workspace = config.get("workspace").as_str().unwrap_or("default");
    if backend != "local" {
        return Err(refused(
            "Unsupported backend for terraform_remote_state",
            format!(
                "ggplan reads terraform_remote_state from the \"local\" backend only (a state \
                 file named by config = {{ path = \"...\" }}); backend {backend:?} is not \
                 supported. Copy the other stack's state to a file (`terraform state pull > \
                 FILE` or `ggplan state pull > FILE`) and read it with backend = \"local\"."
            ),
            "backend",
        ));
    }
    let config = config.get("config");
    if let Some(Value::Map(fields)) = Some(config).filter(|c| !c.is_null())
        && let Some(other) = fields
            .keys()
            .find(|k| *k != "path" && *k != "workspace_dir")
    {
        return Err(refused(
            "Unsupported local backend setting",
            format!(
                "The local backend's config takes path and workspace_dir; {other:?} is not \
                 supported by ggplan."
            ),
            "config",
        ));
    }
    let setting = |name, default| config.get(name).as_str().unwrap_or(default).to_string();
    Ok(match workspace {
        "default" => setting("path", DEFAULT_PATH),
        // As Terraform's local backend: the workspace's own file, whatever `path` says.
        name => format!(
            "{}/{name}/{DEFAULT_PATH}",
            setting("workspace_dir", DEFAULT_WORKSPACE_DIR)
        ),
    })
}

/// The root outputs of the state document in `text` (ggplan's or Terraform's format).
fn outputs_of(text: &str, path: &str) -> Result<BTreeMap<String, Value>, Diagnostics> {
    let unreadable = |why: String| {
        refused(
            "Unable to read the remote state",
            format!("{path} is not a state ggplan can read: {why}."),
            "config",
        )
    };
    let doc: serde_json::Value =
        serde_json::from_str(text).map_err(|e| unreadable(e.to_string()))?;
    let is_state = doc.get("ggplan_version").is_some() || doc.get("terraform_version").is_some();
    if !is_state {
        return Err(unreadable(
            "it has neither ggplan_version nor terraform_version, so it is neither a ggplan \
             nor a Terraform state"
                .to_string(),
        ));
    }
    if doc.get("terraform_version").is_some() && doc["version"] != 4 {
        return Err(unreadable(format!(
            "it is a Terraform state of format version {}; only format 4 (Terraform 0.12 and \
             later) is read",
            doc["version"]
        )));
    }
    let empty = serde_json::Map::new();
    let outputs = doc["outputs"].as_object().unwrap_or(&empty);
    Ok(outputs
        .iter()
        .map(|(name, output)| {
            let value = Value::from_json(&output["value"]);
            let value = if output["sensitive"] == true {
                value.into_sensitive()
            } else {
                value
            };
            (name.clone(), value)
        })
        .collect())
}

#[async_trait]
impl DataSourceType<Terraform> for RemoteState {
    fn name(&self) -> &'static str {
        "terraform_remote_state"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "The root outputs of another stack's latest state (the local backend: a ggplan or \
             Terraform state file).",
            [
                (
                    "backend",
                    Attribute::required(Type::String)
                        .describe("The backend holding the state; only \"local\" is supported."),
                ),
                (
                    "config",
                    Attribute::optional(Type::Any).describe(
                        "The backend's settings: { path = \"...\" } (default terraform.tfstate), \
                         workspace_dir (default terraform.tfstate.d).",
                    ),
                ),
                (
                    "defaults",
                    Attribute::optional(Type::Any)
                        .describe("Values for outputs the state does not have."),
                ),
                (
                    "workspace",
                    Attribute::optional(Type::String).describe(
                        "The workspace whose state to read (default \"default\"); another's \
                         is workspace_dir/NAME/terraform.tfstate.",
                    ),
                ),
                (
                    "outputs",
                    Attribute::computed(Type::Any)
                        .describe("The state's root outputs, by name; sensitive ones stay so."),
                ),
            ],
        )
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        if config.get("backend").is_unknown() || config.get("config").is_unknown() {
            return Diagnostics::new();
        }
        state_path(config).err().unwrap_or_default()
    }

    async fn read(&self, _client: &(), config: &Value) -> Result<Value, Diagnostics> {
        let path = state_path(config)?;
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => {
                return Err(refused(
                    "Unable to find remote state",
                    format!(
                        "No state could be read from {path:?} ({e}); a relative path is \
                         resolved from the current directory. Apply the other stack first, or \
                         fix config.path."
                    ),
                    "config",
                ));
            }
        };
        let mut outputs = outputs_of(&text, &path)?;
        if let Value::Map(defaults) = config.get("defaults") {
            for (name, value) in defaults {
                outputs.entry(name.clone()).or_insert_with(|| value.clone());
            }
        }
        let mut state = config.clone();
        state.set_attr("outputs", Value::Map(outputs));
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(path: &str, defaults: Value) -> Value {
        Value::object([
            ("backend", Value::string("local")),
            ("config", Value::object([("path", Value::string(path))])),
            ("defaults", defaults),
            ("workspace", Value::Null),
            ("outputs", Value::Unknown),
        ])
    }

    #[tokio::test]
    async fn reads_outputs_of_both_formats_keeping_secrets_and_filling_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let ggplan = dir.path().join("net.json");
        std::fs::write(
            &ggplan,
            r#"{"version": 1, "ggplan_version": "0.1.0", "serial": 2, "lineage": "x",
                "outputs": {"net": {"value": {"id": "n1"}, "sensitive": false},
                            "pw": {"value": "hunter2", "sensitive": true}}}"#,
        )
        .unwrap();
        let terraform = dir.path().join("terraform.tfstate");
        std::fs::write(
            &terraform,
            r#"{"version": 4, "terraform_version": "1.15.5", "serial": 1, "lineage": "y",
                "outputs": {"ids": {"value": ["a", "b"], "type": ["tuple", ["string", "string"]]}},
                "resources": []}"#,
        )
        .unwrap();
        let defaults = Value::object([
            ("region", Value::string("KVM@TACC")),
            ("pw", Value::string("no")),
        ]);
        let read = RemoteState
            .read(&(), &config(ggplan.to_str().unwrap(), defaults))
            .await
            .unwrap();
        let outputs = read.get("outputs");
        assert_eq!(outputs.get("net").get("id").as_str(), Some("n1"));
        assert!(outputs.get("pw").is_sensitive());
        assert_eq!(outputs.get("region").as_str(), Some("KVM@TACC"));
        let read = RemoteState
            .read(&(), &config(terraform.to_str().unwrap(), Value::Null))
            .await
            .unwrap();
        assert_eq!(
            read.get("outputs").get("ids"),
            &Value::List(vec![Value::string("a"), Value::string("b")])
        );
    }

    #[tokio::test]
    async fn a_workspace_is_read_from_its_directory_in_workspace_dir() {
        let dir = tempfile::tempdir().unwrap();
        let envs = dir.path().join("envs");
        std::fs::create_dir_all(envs.join("staging")).unwrap();
        std::fs::write(
            envs.join("staging/terraform.tfstate"),
            r#"{"version": 1, "ggplan_version": "0.1.0", "serial": 1, "lineage": "x",
                "outputs": {"net": {"value": "staging-net", "sensitive": false}}}"#,
        )
        .unwrap();
        let mut staging = config("ignored.tfstate", Value::Null);
        staging.set_attr("workspace", Value::string("staging"));
        staging.set_attr(
            "config",
            Value::object([("workspace_dir", Value::string(envs.to_str().unwrap()))]),
        );
        let read = RemoteState.read(&(), &staging).await.unwrap();
        assert_eq!(read.get("outputs").get("net").as_str(), Some("staging-net"));
        staging.set_attr("workspace", Value::string("prod"));
        let err = RemoteState.read(&(), &staging).await.unwrap_err();
        assert!(
            err.to_string().contains("envs/prod/terraform.tfstate"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn what_it_cannot_read_is_refused_by_name() {
        let s3 = Value::object([("backend", Value::string("s3")), ("config", Value::Null)]);
        let err = RemoteState.validate(&s3);
        assert!(
            err.to_string().contains("backend \"s3\" is not supported"),
            "{err}"
        );
        let mut other = config("x", Value::Null);
        other.set_attr(
            "config",
            Value::object([("workspace_dirr", Value::string("x"))]),
        );
        let err = RemoteState.validate(&other);
        assert!(err.to_string().contains("\"workspace_dirr\""), "{err}");
        let err = RemoteState
            .read(&(), &config("/nonexistent/x.tfstate", Value::Null))
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("Unable to find remote state"),
            "{err}"
        );
        let dir = tempfile::tempdir().unwrap();
        let plan = dir.path().join("plan.json");
        std::fs::write(&plan, r#"{"format_version": "1.2", "outputs": {}}"#).unwrap();
        let err = RemoteState
            .read(&(), &config(plan.to_str().unwrap(), Value::Null))
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("neither a ggplan nor a Terraform state"),
            "{err}"
        );
    }
}
