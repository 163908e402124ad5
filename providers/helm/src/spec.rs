//! What a `helm_release` configuration asks helm for, and the arguments that say it: one
//! set of chart and value arguments shared by `helm template` (plans) and `helm upgrade
//! --install` (applies), so that the plan renders exactly what the apply installs.

use crate::binary::{Arg, flag};
use crate::error::HelmError;
use ggplan_sdk::{AttrPath, Value};

/// The attributes helm and the cluster fill in, never the configuration.
const COMPUTED: [&str; 4] = ["id", "status", "metadata", "manifest"];

/// A boolean attribute that is one helm flag when true: its name, the flag, whether `helm
/// template` takes it too (it changes what renders), and what it does.
#[derive(Debug, PartialEq)]
pub struct Switch {
    pub attribute: &'static str,
    pub flag: &'static str,
    pub renders: bool,
    pub text: &'static str,
}

/// hashicorp/helm's boolean attributes that are one helm flag each (all false by default).
pub const SWITCHES: [Switch; 9] = [
    Switch {
        attribute: "wait_for_jobs",
        flag: "--wait-for-jobs",
        renders: false,
        text: "With wait, also wait for the release's Jobs to complete.",
    },
    Switch {
        attribute: "skip_crds",
        flag: "--skip-crds",
        renders: false,
        text: "Do not install the CRDs of the chart's crds/ directory.",
    },
    Switch {
        attribute: "devel",
        flag: "--devel",
        renders: true,
        text: "Accept development versions of the chart (alpha, beta, rc) too.",
    },
    Switch {
        attribute: "dependency_update",
        flag: "--dependency-update",
        renders: true,
        text: "Update the chart's dependencies (charts/) before rendering it.",
    },
    Switch {
        attribute: "disable_openapi_validation",
        flag: "--disable-openapi-validation",
        renders: true,
        text: "Do not validate the rendered objects against the Kubernetes OpenAPI schema.",
    },
    Switch {
        attribute: "disable_webhooks",
        flag: "--no-hooks",
        renders: true,
        text: "Do not run the chart's hooks.",
    },
    Switch {
        attribute: "cleanup_on_fail",
        flag: "--cleanup-on-fail",
        renders: false,
        text: "Delete the objects a failed upgrade created.",
    },
    Switch {
        attribute: "render_subchart_notes",
        flag: "--render-subchart-notes",
        renders: false,
        text: "Render the notes of subcharts too.",
    },
    Switch {
        attribute: "take_ownership",
        flag: "--take-ownership",
        renders: false,
        text: "Adopt existing objects the chart renders although no helm release owns them.",
    },
];

/// A `set` or `set_sensitive` block.
#[derive(Debug, Clone, PartialEq)]
pub struct SetValue {
    pub name: String,
    pub value: String,
    /// `type = "string"`: always a string (helm's --set-string), never a number or bool.
    pub string: bool,
}

/// The release a configuration describes, every value known.
#[derive(Debug, Clone, PartialEq)]
pub struct ReleaseSpec {
    pub name: String,
    pub namespace: String,
    pub chart: String,
    pub repository: Option<String>,
    pub version: Option<String>,
    pub values: Vec<String>,
    pub set: Vec<SetValue>,
    pub set_sensitive: Vec<SetValue>,
    pub create_namespace: bool,
    pub wait: bool,
    pub timeout_seconds: i64,
    pub atomic: bool,
    pub max_history: i64,
    /// `force_update`: replace objects an upgrade cannot patch (helm 4's --force-replace).
    pub force_update: bool,
    /// `reuse_values`: merge the last release's values under the configuration's.
    pub reuse_values: bool,
    /// The [`SWITCHES`] that are on.
    pub switches: Vec<&'static Switch>,
    pub description: Option<String>,
}

impl ReleaseSpec {
    /// The spec of a configuration or planned state; `None` while any of it is unknown.
    pub fn of(value: &Value) -> Result<Option<ReleaseSpec>, HelmError> {
        let mut configured = value.clone();
        for computed in COMPUTED {
            configured.set_attr(computed, Value::Null);
        }
        // Unknown only when the configuration leaves it to the chart.
        if configured.get("version").is_unknown() {
            configured.set_attr("version", Value::Null);
        }
        if !configured.is_wholly_known() {
            return Ok(None);
        }
        let text = |name: &str| value.get(name).as_str().map(str::to_string);
        let flag = |name: &str, default: bool| value.get(name).as_bool().unwrap_or(default);
        let number = |name: &str, default: i64| {
            let found = value.get(name).as_number().and_then(|n| n.as_i64());
            found.unwrap_or(default)
        };
        let values = value.get("values").as_list().unwrap_or_default();
        Ok(Some(ReleaseSpec {
            name: text("name").unwrap_or_default(),
            namespace: text("namespace").unwrap_or_else(|| "default".into()),
            chart: text("chart").unwrap_or_default(),
            repository: text("repository").filter(|r| !r.is_empty()),
            version: text("version").filter(|v| !v.is_empty()),
            values: values
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            set: set_blocks(value, "set")?
                .into_iter()
                .chain(set_list_blocks(value))
                .collect(),
            set_sensitive: set_blocks(value, "set_sensitive")?,
            create_namespace: flag("create_namespace", false),
            wait: flag("wait", true),
            timeout_seconds: number("timeout", 300),
            atomic: flag("atomic", false),
            max_history: number("max_history", 0),
            force_update: flag("force_update", false),
            reuse_values: flag("reuse_values", false),
            switches: SWITCHES
                .iter()
                .filter(|s| flag(s.attribute, false))
                .collect(),
            description: text("description").filter(|d| !d.is_empty()),
        }))
    }

    /// The values of `set_sensitive`: what must never be printed.
    pub fn secrets(&self) -> Vec<String> {
        let values = self.set_sensitive.iter().map(|s| s.value.clone());
        values.filter(|v| !v.is_empty()).collect()
    }

    /// The chart, where it comes from, and the values: what `template` and `upgrade` share.
    fn chart_and_values(&self) -> Vec<Arg> {
        let mut args = vec![Arg::word(&self.name), Arg::word(&self.chart)];
        if let Some(repository) = &self.repository {
            args.extend(flag("--repo", repository));
        }
        if let Some(version) = &self.version {
            args.extend(flag("--version", version));
        }
        args.extend(flag("--namespace", &self.namespace));
        for document in &self.values {
            args.push(Arg::File {
                flag: "--values",
                prefix: String::new(),
                content: document.clone(),
            });
        }
        for set in &self.set {
            let option = if set.string { "--set-string" } else { "--set" };
            args.extend(flag(option, format!("{}={}", set.name, set.value)));
        }
        // --set-file reads the value as a string, from a file: never on a command line.
        for set in &self.set_sensitive {
            args.push(Arg::File {
                flag: "--set-file",
                prefix: format!("{}=", set.name),
                content: set.value.clone(),
            });
        }
        args
    }

    /// The flags of the switches that are on (only those that change what renders, for
    /// `helm template`).
    fn switch_args(&self, rendering: bool) -> impl Iterator<Item = Arg> + '_ {
        let wanted = self
            .switches
            .iter()
            .filter(move |s| s.renders || !rendering);
        wanted.map(|s| Arg::word(s.flag))
    }

    /// `helm template`: the objects the release would have (`upgrade`: as an upgrade of an
    /// installed release, for charts that look at .Release.IsUpgrade), rendered against the
    /// cluster (helm 4's --dry-run=server, helm 3's --validate): with the cluster's version
    /// and APIs as .Capabilities, as the install will render them. (Offline, helm renders for
    /// its own Kubernetes version, and a chart choosing policy/v1 or policy/v1beta1 by
    /// capabilities would plan another object than it installs.)
    pub fn template_args(&self, upgrade: bool, major: u32) -> Vec<Arg> {
        let mut args = vec![Arg::word("template")];
        args.extend(self.chart_and_values());
        args.extend(self.switch_args(true));
        let against_cluster = if major >= 4 {
            "--dry-run=server"
        } else {
            "--validate"
        };
        args.push(Arg::word(against_cluster));
        if upgrade {
            args.push(Arg::word("--is-upgrade"));
        }
        args
    }

    /// `helm upgrade --install` with helm `major`'s spelling of waits and rollbacks.
    pub fn upgrade_args(&self, major: u32) -> Vec<Arg> {
        let mut args = vec![Arg::word("upgrade"), Arg::word("--install")];
        args.extend(self.chart_and_values());
        // Unless asked to reuse them, values are the configuration's alone, never merged with
        // the last release's (which helm reuses when an upgrade is given none).
        let values = if self.reuse_values {
            "--reuse-values"
        } else {
            "--reset-values"
        };
        args.push(Arg::word(values));
        args.extend(self.switch_args(false));
        args.extend(flag("--timeout", format!("{}s", self.timeout_seconds)));
        args.extend(flag("--history-max", self.max_history.to_string()));
        if self.create_namespace {
            args.push(Arg::word("--create-namespace"));
        }
        if let Some(description) = &self.description {
            args.extend(flag("--description", description));
        }
        args.extend(self.wait_args(major, true));
        if self.force_update {
            let option = if major >= 4 {
                "--force-replace"
            } else {
                "--force"
            };
            args.push(Arg::word(option));
        }
        if self.atomic {
            let option = if major >= 4 {
                "--rollback-on-failure"
            } else {
                "--atomic"
            };
            args.push(Arg::word(option));
        }
        if major >= 4 {
            // Server-side apply whatever the last revision used (a release helm 3 installed
            // applies client-side, and its three-way merge leaves a field changed by hand as
            // it is), taking back the fields the chart sets from whoever changed them: drift
            // is repaired, not a conflict.
            args.push(Arg::word("--server-side=true"));
            args.push(Arg::word("--force-conflicts"));
        }
        args
    }

    /// `helm uninstall`, waiting for the objects to go when the release waits.
    pub fn uninstall_args(&self, major: u32) -> Vec<Arg> {
        let mut args = vec![Arg::word("uninstall"), Arg::word(&self.name)];
        args.extend(flag("--namespace", &self.namespace));
        args.extend(flag("--timeout", format!("{}s", self.timeout_seconds)));
        args.extend(self.wait_args(major, false));
        args
    }

    /// `wait`: helm 4's `--wait=watcher` (readiness) or `--wait=hookOnly` (its default),
    /// helm 3's `--wait` or nothing.
    fn wait_args(&self, major: u32, readiness: bool) -> Vec<Arg> {
        match (major >= 4, self.wait) {
            (true, true) if readiness => vec![Arg::word("--wait=watcher")],
            (true, true) => vec![Arg::word("--wait")],
            (true, false) => vec![Arg::word("--wait=hookOnly")],
            (false, true) => vec![Arg::word("--wait")],
            (false, false) => vec![],
        }
    }
}

/// The `set` or `set_sensitive` blocks of a configuration.
fn set_blocks(value: &Value, block: &str) -> Result<Vec<SetValue>, HelmError> {
    let blocks = value.get(block).as_list().unwrap_or_default();
    blocks
        .iter()
        .enumerate()
        .map(|(index, set)| {
            let at = AttrPath::attr(block).index(index);
            let string = match set.get("type").as_str() {
                None | Some("") | Some("auto") => false,
                Some("string") => true,
                Some(other) => {
                    return Err(HelmError::invalid(
                        at.key("type"),
                        format!("type {other:?} is not one of \"auto\", \"string\""),
                    ));
                }
            };
            Ok(SetValue {
                name: set.get("name").as_str().unwrap_or_default().to_string(),
                value: value_text(set.get("value")),
                string,
            })
        })
        .collect()
}

/// The `set_list` blocks, as the `set` values helm reads as lists: `name={a,b}` (a comma
/// inside an element escaped, as helm's --set parser wants it).
fn set_list_blocks(value: &Value) -> Vec<SetValue> {
    let blocks = value.get("set_list").as_list().unwrap_or_default();
    blocks
        .iter()
        .map(|set| {
            let items = set.get("value").as_list().unwrap_or_default();
            let texts: Vec<String> = items
                .iter()
                .map(|item| value_text(item).replace(',', "\\,"))
                .collect();
            SetValue {
                name: set.get("name").as_str().unwrap_or_default().to_string(),
                value: format!("{{{}}}", texts.join(",")),
                string: false,
            }
        })
        .collect()
}

/// A set value as helm's --set reads it (numbers and bools as written).
fn value_text(value: &Value) -> String {
    match value.to_json() {
        Some(serde_json::Value::String(text)) => text,
        Some(serde_json::Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(args: &[Arg]) -> Vec<String> {
        args.iter()
            .map(|arg| match arg {
                Arg::Word(word) => word.clone(),
                Arg::File { flag, prefix, .. } => format!("{flag} {prefix}FILE"),
            })
            .collect()
    }

    fn spec() -> ReleaseSpec {
        let config = Value::object([
            ("name", Value::string("platform")),
            ("chart", Value::string("./charts/platform")),
            ("namespace", Value::string("gourmetgram-platform")),
            ("values", Value::List(vec![Value::string("a: 1\n")])),
            (
                "set",
                Value::List(vec![Value::object([
                    ("name", Value::string("minio.externalIP")),
                    ("value", Value::string("10.56.0.10")),
                    ("type", Value::string("string")),
                ])]),
            ),
            (
                "set_sensitive",
                Value::List(vec![Value::object([
                    ("name", Value::string("postgres.password")),
                    ("value", Value::string("s3cr3t")),
                ])]),
            ),
            (
                "set_list",
                Value::List(vec![Value::object([
                    ("name", Value::string("hosts")),
                    (
                        "value",
                        Value::List(vec![Value::string("a"), Value::string("b,c")]),
                    ),
                ])]),
            ),
            ("wait", Value::Bool(false)),
            ("atomic", Value::Bool(true)),
            ("devel", Value::Bool(true)),
            ("cleanup_on_fail", Value::Bool(true)),
        ]);
        ReleaseSpec::of(&config).unwrap().unwrap()
    }

    #[test]
    fn a_sensitive_value_never_reaches_the_command_line() {
        let spec = spec();
        assert_eq!(spec.secrets(), ["s3cr3t"]);
        for args in [spec.template_args(false, 4), spec.upgrade_args(4)] {
            let line = words(&args).join(" ");
            assert!(!line.contains("s3cr3t"), "{line}");
            assert!(line.contains("--set-file postgres.password=FILE"), "{line}");
            assert!(line.contains("--values FILE"), "{line}");
            assert!(line.contains("--set hosts={a,b\\,c}"), "{line}");
            assert!(
                line.contains("--set-string minio.externalIP=10.56.0.10"),
                "{line}"
            );
        }
    }

    #[test]
    fn waits_and_rollbacks_are_spelled_as_each_helm_major_spells_them() {
        let spec = spec();
        let four = words(&spec.upgrade_args(4)).join(" ");
        assert!(four.contains("--wait=hookOnly"), "{four}");
        assert!(
            four.contains("--rollback-on-failure --server-side=true --force-conflicts"),
            "{four}"
        );
        assert!(four.contains("--timeout 300s --history-max 0"), "{four}");
        // A switch that changes what renders goes to helm template too; others do not.
        let template = words(&spec.template_args(false, 4)).join(" ");
        assert!(template.contains("--dry-run=server"), "{template}");
        let template_three = words(&spec.template_args(true, 3)).join(" ");
        assert!(
            template_three.contains("--validate --is-upgrade"),
            "{template_three}"
        );
        assert!(template.contains("--devel") && !template.contains("--cleanup-on-fail"));
        assert!(
            four.contains("--reset-values --devel --cleanup-on-fail"),
            "{four}"
        );
        let three = words(&spec.upgrade_args(3)).join(" ");
        assert!(
            !three.contains("--wait") && three.contains("--atomic"),
            "{three}"
        );
        assert!(!three.contains("--force-conflicts"), "{three}");
    }

    #[test]
    fn an_unknown_set_type_is_refused_at_its_block() {
        let config = Value::object([(
            "set",
            Value::List(vec![Value::object([
                ("name", Value::string("a")),
                ("value", Value::string("b")),
                ("type", Value::string("literal")),
            ])]),
        )]);
        let Err(HelmError::Invalid { attribute, .. }) = ReleaseSpec::of(&config) else {
            panic!("accepted");
        };
        assert_eq!(attribute, AttrPath::attr("set").index(0).key("type"));
    }
}
