//! Saved plans: `ggplan plan --out FILE` writes one, `ggplan apply FILE` applies exactly it.
//!
//! A plan file is JSON (documented in `docs/json-format.md`), mode 0600. It records what the
//! plan was made from (a SHA-256 of every stack file and of the variable values, the state's
//! lineage and serial, the options) and the plan itself as the three value trees of
//! [`crate::plan::json`], with secrets kept in plain text and their paths recorded in the
//! `*_sensitive` trees, as the state keeps them.
//!
//! The engine cannot apply a deserialised plan without the run it came from, so applying a
//! file re-plans: [`PlanFile::check_stack`] refuses a changed configuration,
//! [`PlanFile::check_state`] a changed state, and [`PlanFile::check_same`] a fresh plan that
//! differs in any instance, action, value, unknown or mark from the saved one. Only then is
//! the fresh plan applied, which is therefore exactly the plan that was shown.

use crate::address::{InstanceAddr, ProviderAddr};
use crate::config::Module;
use crate::encryption::Target;
use crate::plan::json::{self as js, Secrets};
use crate::plan::{OutputChange, Plan, ResourceChange};
use crate::state::State;
use ggplan_sdk::{AttrPath, Value};
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The `format` field of every plan file.
pub const FORMAT: &str = "ggplan-plan";
/// The format version this build reads and writes.
pub const FORMAT_VERSION: u32 = 2;

/// Why a plan file cannot be read or applied. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum PlanFileError {
    #[error("cannot {action} the plan file {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} cannot be read or written: {source}. Nothing was changed.")]
    Encryption {
        path: PathBuf,
        source: crate::encryption::EncryptionError,
    },
    #[error("{path} is not a ggplan plan file ({detail})")]
    NotAPlan { path: PathBuf, detail: String },
    #[error("the plan file is damaged: {detail}. Make the plan again.")]
    Corrupt { detail: String },
    #[error(
        "{path} was changed after ggplan wrote it (its content no longer matches its \
         content_sha256): every field of a saved plan, where it writes the state included, is \
         part of what was reviewed. Make the plan again with `ggplan plan --out`."
    )]
    Edited { path: PathBuf },
    #[error(
        "{path} is a plan file of format version {found}; this ggplan reads version \
         {FORMAT_VERSION}. Make the plan again with this ggplan."
    )]
    Version { path: PathBuf, found: u32 },
    #[error(
        "The configuration changed since the plan was made ({detail}). Run `ggplan plan --out` \
         again and review the new plan."
    )]
    ConfigChanged { detail: String },
    #[error(
        "The plan file describes changes to the {planned:?} workspace, but the {selected:?} \
         workspace is selected. Applying it here would record the changes in the wrong state. \
         Run `ggplan workspace select {planned}` (or set TF_WORKSPACE={planned}) and apply the \
         plan again, or make a new plan in this workspace."
    )]
    OtherWorkspace { planned: String, selected: String },
    #[error(
        "The state changed since the plan was made ({detail}). Another run has applied changes; \
         run `ggplan plan --out` again and review the new plan."
    )]
    StateChanged { detail: String },
    #[error(
        "The plan is no longer what it was when saved: {detail}. Something changed outside \
         ggplan since; run `ggplan plan --out` again and review the new plan."
    )]
    PlanChanged { detail: String },
}

/// A value with its secrets stored in plain text and their paths recorded (as in the state).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedValue {
    pub value: Json,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensitive_paths: Vec<AttrPath>,
}

impl SavedValue {
    fn from_value(v: &Value) -> SavedValue {
        let (plain, sensitive_paths) = v.clone().unmark_deep();
        SavedValue {
            value: js::value(&plain, Secrets::Keep),
            sensitive_paths,
        }
    }

    fn to_value(&self) -> Value {
        Value::from_json(&self.value).mark_paths(&self.sensitive_paths)
    }
}

/// The run options a plan was made with; applying the file uses the same.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SavedOptions {
    pub destroy: bool,
    pub refresh: bool,
    pub targets: Vec<String>,
    pub replace: Vec<String>,
}

/// The plan itself, as the value trees of `terraform show -json` with secrets kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedPlan {
    pub resource_changes: Vec<Json>,
    pub output_changes: BTreeMap<String, Json>,
    #[serde(default)]
    pub resource_drift: Vec<Json>,
    /// The outcomes of the check blocks, as `checks` in `show -json`.
    #[serde(default)]
    pub checks: Json,
}

impl SavedPlan {
    /// The saved form of a plan and the drift found while making it.
    pub fn new(plan: &Plan, drift: &[ResourceChange]) -> SavedPlan {
        let keep = |changes: &[ResourceChange]| {
            changes
                .iter()
                .map(|c| Json::Object(js::resource_change(c, Secrets::Keep)))
                .collect()
        };
        SavedPlan {
            resource_changes: keep(&plan.resource_changes),
            output_changes: plan
                .output_changes
                .iter()
                .map(|c| (c.name.clone(), js::output_change(c, Secrets::Keep)))
                .collect(),
            resource_drift: keep(drift),
            checks: crate::checks::to_json(&plan.checks),
        }
    }
}

/// A saved plan file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlanFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    pub ggplan_version: String,
    /// When the plan was made (RFC 3339).
    pub created: String,
    /// The stack directory, as given to `plan`.
    pub stack_dir: PathBuf,
    /// The state file the plan was made against.
    pub state_path: PathBuf,
    /// The workspace the plan was made in: applying it in another is refused.
    #[serde(default = "default_workspace")]
    pub workspace: String,
    /// SHA-256 of every stack file (by its path relative to the stack directory) and of the
    /// variable values.
    pub config_sha256: String,
    /// SHA-256 of each stack file, to say which one changed.
    pub files: BTreeMap<String, String>,
    /// The input variables' values, used again by `apply FILE`.
    pub variables: BTreeMap<String, SavedValue>,
    pub options: SavedOptions,
    /// The state the plan was made against (its lineage and serial are checked on apply).
    pub prior_state: State,
    pub plan: SavedPlan,
    /// SHA-256 of the file's JSON with this field empty: a file edited by hand is refused,
    /// whatever field was edited (the state path, the options, the plan).
    pub content_sha256: String,
}

/// The workspace of a plan file written before workspaces were recorded.
fn default_workspace() -> String {
    crate::state::DEFAULT_WORKSPACE.to_string()
}

/// SHA-256 of each stack file, keyed by its path relative to the stack directory.
pub fn file_hashes(module: &Module) -> BTreeMap<String, String> {
    module
        .sources
        .names()
        .into_iter()
        .filter_map(|name| {
            let text = module.sources.text_of(&name)?;
            let path = Path::new(&name);
            let key = path
                .strip_prefix(&module.dir)
                .unwrap_or(path)
                .to_string_lossy()
                .into_owned();
            Some((key, hex(&Sha256::digest(text.as_bytes()))))
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The hash over file hashes and variable values that identifies a configuration.
fn config_hash(
    files: &BTreeMap<String, String>,
    variables: &BTreeMap<String, SavedValue>,
) -> String {
    let canonical = json!({ "files": files, "variables": variables });
    hex(&Sha256::digest(canonical.to_string().as_bytes()))
}

/// What a plan file is made from.
pub struct PlanSource<'a> {
    pub module: &'a Module,
    pub variables: &'a BTreeMap<String, Value>,
    pub options: SavedOptions,
    pub state_path: &'a Path,
    pub workspace: &'a str,
    pub prior: &'a State,
}

impl PlanFile {
    /// A plan file for `plan`, made from `source`, with the drift found while planning.
    pub fn new(source: PlanSource, plan: &Plan, drift: &[ResourceChange]) -> PlanFile {
        let files = file_hashes(source.module);
        let variables: BTreeMap<String, SavedValue> = source
            .variables
            .iter()
            .map(|(k, v)| (k.clone(), SavedValue::from_value(v)))
            .collect();
        PlanFile {
            format: FORMAT.to_string(),
            format_version: FORMAT_VERSION,
            ggplan_version: env!("CARGO_PKG_VERSION").to_string(),
            created: crate::clock::now_rfc3339(),
            stack_dir: source.module.dir.clone(),
            state_path: source.state_path.to_path_buf(),
            workspace: source.workspace.to_string(),
            config_sha256: config_hash(&files, &variables),
            files,
            variables,
            options: source.options,
            prior_state: source.prior.clone(),
            plan: SavedPlan::new(plan, drift),
            content_sha256: String::new(),
        }
    }

    /// The SHA-256 of this file's content, `content_sha256` left out.
    fn content_hash(&self) -> Result<String, PlanFileError> {
        let json = serde_json::to_value(self).map_err(|e| PlanFileError::Corrupt {
            detail: e.to_string(),
        })?;
        Ok(unsealed_hash(json))
    }

    /// Writes the file with mode 0600 (it may hold secrets).
    /// Writes the plan to `path`, sealed as `encryption` (the `plan` target) says.
    pub fn write(&self, path: &Path, encryption: &Target) -> Result<(), PlanFileError> {
        let io = |action| {
            move |source| PlanFileError::Io {
                action,
                path: path.to_path_buf(),
                source,
            }
        };
        let sealed = PlanFile {
            content_sha256: self.content_hash()?,
            ..self.clone()
        };
        let mut bytes = serde_json::to_vec_pretty(&sealed)
            .map_err(|e| io("encode")(std::io::Error::other(e.to_string())))?;
        bytes.push(b'\n');
        let bytes = encryption
            .seal(&bytes)
            .map_err(|source| PlanFileError::Encryption {
                path: path.to_path_buf(),
                source,
            })?;
        let mut file = crate::state::create_private(path, false).map_err(io("create"))?;
        file.write_all(&bytes)
            .and_then(|()| file.sync_all())
            .map_err(io("write"))
    }

    /// Reads a plan file, refusing other files and other format versions.
    /// An encrypted plan is opened with `encryption` (the `plan` target).
    pub fn read(path: &Path, encryption: &Target) -> Result<PlanFile, PlanFileError> {
        let stored = std::fs::read(path).map_err(|source| PlanFileError::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        })?;
        let bytes = encryption
            .open(&stored)
            .map_err(|source| PlanFileError::Encryption {
                path: path.to_path_buf(),
                source,
            })?;
        let not_a_plan = |detail: String| PlanFileError::NotAPlan {
            path: path.to_path_buf(),
            detail,
        };
        let json: Json = serde_json::from_slice(&bytes).map_err(|e| not_a_plan(e.to_string()))?;
        if json.get("format").and_then(Json::as_str) != Some(FORMAT) {
            return Err(not_a_plan(format!("no \"format\": \"{FORMAT}\" field")));
        }
        let found = json
            .get("format_version")
            .and_then(Json::as_u64)
            .unwrap_or(0);
        if found != u64::from(FORMAT_VERSION) {
            return Err(PlanFileError::Version {
                path: path.to_path_buf(),
                found: u32::try_from(found).unwrap_or(u32::MAX),
            });
        }
        // The seal covers the document as written, not only what ggplan decodes from it: a
        // field added, renamed or dropped is an edit too.
        let sealed = json
            .get("content_sha256")
            .and_then(Json::as_str)
            .map(str::to_string);
        if sealed != Some(unsealed_hash(json.clone())) {
            return Err(PlanFileError::Edited {
                path: path.to_path_buf(),
            });
        }
        serde_json::from_value(json).map_err(|e| not_a_plan(e.to_string()))
    }

    /// The saved variable values, with their sensitive marks.
    pub fn variables(&self) -> BTreeMap<String, Value> {
        self.variables
            .iter()
            .map(|(k, v)| (k.clone(), v.to_value()))
            .collect()
    }

    /// Refuses when the stack's files or the saved variable values differ from those the plan
    /// was made from.
    pub fn check_stack(&self, module: &Module) -> Result<(), PlanFileError> {
        let files = file_hashes(module);
        if config_hash(&files, &self.variables) == self.config_sha256 {
            return Ok(());
        }
        let mut changed: Vec<String> = Vec::new();
        for (name, hash) in &files {
            match self.files.get(name) {
                None => changed.push(format!("{name} was added")),
                Some(old) if old != hash => changed.push(format!("{name} changed")),
                Some(_) => {}
            }
        }
        for name in self.files.keys() {
            if !files.contains_key(name) {
                changed.push(format!("{name} was removed"));
            }
        }
        if changed.is_empty() {
            changed.push("the saved variable values were edited".to_string());
        }
        Err(PlanFileError::ConfigChanged {
            detail: changed.join(", "),
        })
    }

    /// Refuses when `selected` is not the workspace the plan was made in, as Terraform does.
    pub fn check_workspace(&self, selected: &str) -> Result<(), PlanFileError> {
        if self.workspace == selected {
            return Ok(());
        }
        Err(PlanFileError::OtherWorkspace {
            planned: self.workspace.clone(),
            selected: selected.to_string(),
        })
    }

    /// Refuses when the state is not the one the plan was made against.
    pub fn check_state(&self, state: &State) -> Result<(), PlanFileError> {
        let saved = &self.prior_state;
        // Serial 0 is a state never saved: each load makes up a new lineage for it.
        let fresh = saved.serial == 0 && state.serial == 0;
        let detail = if fresh {
            return Ok(());
        } else if state.lineage != saved.lineage {
            format!(
                "its lineage is {}, the plan was made against {}",
                state.lineage, saved.lineage
            )
        } else if state.serial != saved.serial {
            format!(
                "its serial is {}, the plan was made at serial {}",
                state.serial, saved.serial
            )
        } else {
            return Ok(());
        };
        Err(PlanFileError::StateChanged { detail })
    }

    /// Refuses unless `fresh` (the plan made again now) is the saved plan.
    pub fn check_same(&self, fresh: &Plan) -> Result<(), PlanFileError> {
        let now = SavedPlan::new(fresh, &[]);
        let saved = &self.plan;
        // A deposed object's change shares its instance's address.
        let address = |c: &Json| match c["deposed"].as_str() {
            Some(key) => format!(
                "{} (deposed object {key})",
                c["address"].as_str().unwrap_or("?")
            ),
            None => c["address"].as_str().unwrap_or("?").to_string(),
        };
        let by_address = |list: &[Json]| -> BTreeMap<String, Json> {
            list.iter().map(|c| (address(c), c.clone())).collect()
        };
        let (before, after) = (
            by_address(&saved.resource_changes),
            by_address(&now.resource_changes),
        );
        let mut differences: Vec<String> = Vec::new();
        for (addr, change) in &after {
            match before.get(addr) {
                None => differences.push(format!("{addr} is new")),
                Some(old) if old["change"]["actions"] != change["change"]["actions"] => differences
                    .push(format!(
                        "{addr} would now be {} instead of {}",
                        change["change"]["actions"], old["change"]["actions"]
                    )),
                Some(old) if old != change => {
                    differences.push(format!("{addr} would change differently"))
                }
                Some(_) => {}
            }
        }
        for addr in before.keys() {
            if !after.contains_key(addr) {
                differences.push(format!("{addr} is no longer in the plan"));
            }
        }
        for (name, change) in &now.output_changes {
            if saved.output_changes.get(name) != Some(change) {
                differences.push(format!("output {name:?} would change differently"));
            }
        }
        for name in saved.output_changes.keys() {
            if !now.output_changes.contains_key(name) {
                differences.push(format!("output {name:?} is no longer in the plan"));
            }
        }
        if differences.is_empty() {
            Ok(())
        } else {
            Err(PlanFileError::PlanChanged {
                detail: differences.join("; "),
            })
        }
    }

    /// The saved plan, with its values, unknowns and marks.
    pub fn plan(&self) -> Result<Plan, PlanFileError> {
        let resource_changes = self
            .plan
            .resource_changes
            .iter()
            .map(|c| self.decode_change(c))
            .collect::<Result<_, _>>()?;
        let output_changes = self
            .plan
            .output_changes
            .iter()
            .map(|(name, c)| {
                let action = self.action(&c["actions"])?;
                let (before, after) = sides(c);
                // A sensitive output is secret as a whole (and its values marked).
                let sensitive =
                    c["before_sensitive"] == json!(true) || c["after_sensitive"] == json!(true);
                Ok(OutputChange {
                    name: name.clone(),
                    action,
                    before,
                    after,
                    sensitive,
                })
            })
            .collect::<Result<_, PlanFileError>>()?;
        let checks = match &self.plan.checks {
            Json::Null => Vec::new(),
            written => crate::checks::from_json(written)
                .ok_or_else(|| self.corrupt(format!("unreadable checks {written}")))?,
        };
        Ok(Plan {
            resource_changes,
            output_changes,
            checks,
        })
    }

    /// The drift found while the plan was made.
    pub fn drift(&self) -> Result<Vec<ResourceChange>, PlanFileError> {
        self.plan
            .resource_drift
            .iter()
            .map(|c| self.decode_change(c))
            .collect()
    }

    fn corrupt(&self, detail: String) -> PlanFileError {
        PlanFileError::Corrupt { detail }
    }

    fn action(&self, actions: &Json) -> Result<crate::plan::Action, PlanFileError> {
        js::action_of(actions).ok_or_else(|| self.corrupt(format!("unknown actions {actions}")))
    }

    fn decode_change(&self, c: &Json) -> Result<ResourceChange, PlanFileError> {
        let address = c["address"].as_str().unwrap_or_default();
        let addr = InstanceAddr::parse(address).map_err(|e| self.corrupt(e))?;
        let change = &c["change"];
        let (before, after) = sides(change);
        let replace_paths: Vec<AttrPath> =
            serde_json::from_value(change["replace_paths"].clone()).unwrap_or_default();
        Ok(ResourceChange {
            addr,
            provider: ProviderAddr::parse(c["provider_name"].as_str().unwrap_or_default())
                .map_err(|e| self.corrupt(e))?,
            action: self.action(&change["actions"])?,
            before,
            after,
            replace_paths,
            reason: c["action_reason"].as_str().and_then(js::reason_of),
            deposed: c["deposed"].as_str().map(str::to_string),
            planned_without_provider: false,
            moved_from: match c["previous_address"].as_str() {
                Some(text) => Some(InstanceAddr::parse(text).map_err(|e| self.corrupt(e))?),
                None => None,
            },
            importing: change["importing"]["id"].as_str().map(str::to_string),
            generated_config: None,
        })
    }
}

/// The SHA-256 of a plan file's document with its `content_sha256` left out.
fn unsealed_hash(mut json: Json) -> String {
    json["content_sha256"] = Json::String(String::new());
    hex(&Sha256::digest(json.to_string().as_bytes()))
}

/// The `before` and `after` values of a `change` object (`None` for a missing side).
fn sides(change: &Json) -> (Option<Value>, Option<Value>) {
    let before = match &change["before"] {
        Json::Null => None,
        v => Some(js::decode(
            v,
            &Json::Bool(false),
            &change["before_sensitive"],
        )),
    };
    let after_unknown = &change["after_unknown"];
    let after = match change.get("after") {
        Some(Json::Null) if *after_unknown != json!(true) => None,
        Some(v) => Some(js::decode(v, after_unknown, &change["after_sensitive"])),
        None => Some(js::decode(
            &Json::Null,
            after_unknown,
            &change["after_sensitive"],
        )),
    };
    (before, after)
}
