//! The results of `check` blocks (Terraform 1.5): per check, per module instance, whether
//! its assertions passed, failed (with what each failure said), or are not known yet. A
//! check never fails a run: its failures are warnings, and its results are reported with
//! the plan (`checks` in the plan's JSON, as Terraform writes it).

use crate::address::{ModuleInstance, ModulePath};
use ggplan_sdk::{Diagnostic, Diagnostics};
use serde_json::{Map, Value as Json, json};
use std::collections::BTreeMap;

/// Terraform's check statuses, worst last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CheckStatus {
    Pass,
    /// An assertion refers to values known only after apply.
    Unknown,
    Fail,
}

impl CheckStatus {
    /// Its name in Terraform's JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Pass => "pass",
            CheckStatus::Unknown => "unknown",
            CheckStatus::Fail => "fail",
        }
    }

    fn parse(text: &str) -> Option<CheckStatus> {
        [CheckStatus::Pass, CheckStatus::Unknown, CheckStatus::Fail]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// One check block in one module instance.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckInstance {
    pub status: CheckStatus,
    /// What each failure said: an assertion's error message, or the scoped data source's
    /// error.
    pub problems: Vec<String>,
}

/// One check block and its instances (one per instance of its module).
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    pub module: ModulePath,
    pub name: String,
    pub instances: BTreeMap<ModuleInstance, CheckInstance>,
}

impl CheckResult {
    /// The worst status of its instances.
    pub fn status(&self) -> CheckStatus {
        let worst = self.instances.values().map(|i| i.status).max();
        worst.unwrap_or(CheckStatus::Unknown)
    }

    /// `check.NAME`, inside its module: `module.a.check.NAME`.
    pub fn display(&self) -> String {
        display(&self.module.to_string(), &self.name)
    }
}

/// The results as Terraform writes `checks` in `show -json`: per check block its address,
/// worst status and instances, each with its status and problems.
pub fn to_json(results: &[CheckResult]) -> Json {
    let with_module = |mut address: Map<String, Json>, module: String| {
        if !module.is_empty() {
            address.insert("module".into(), json!(module));
        }
        Json::Object(address)
    };
    let entries = results.iter().map(|r| {
        let mut address = Map::new();
        address.insert("kind".into(), json!("check"));
        address.insert("name".into(), json!(r.name));
        address.insert("to_display".into(), json!(r.display()));
        let instances: Vec<Json> = r
            .instances
            .iter()
            .map(|(module, i)| {
                let module = module.to_string();
                let mut address = Map::new();
                address.insert("to_display".into(), json!(display(&module, &r.name)));
                let mut out = json!({
                    "address": with_module(address, module),
                    "status": i.status.as_str(),
                });
                if !i.problems.is_empty() {
                    let problems: Vec<Json> =
                        i.problems.iter().map(|p| json!({ "message": p })).collect();
                    out["problems"] = json!(problems);
                }
                out
            })
            .collect();
        json!({
            "address": with_module(address, r.module.to_string()),
            "status": r.status().as_str(),
            "instances": instances,
        })
    });
    Json::Array(entries.collect())
}

/// The results [`to_json`] wrote (a saved plan's); `None` if they are not in that shape.
pub fn from_json(checks: &Json) -> Option<Vec<CheckResult>> {
    let mut results = CheckResults::default();
    for check in checks.as_array()? {
        let name = check["address"]["name"].as_str()?;
        for instance in check["instances"].as_array()? {
            let module = instance["address"]["module"].as_str().unwrap_or_default();
            let module = match module {
                "" => ModuleInstance::root(),
                text => ModuleInstance::parse(text)?,
            };
            let problems = instance["problems"]
                .as_array()
                .map_or(Some(Vec::new()), |ps| {
                    ps.iter()
                        .map(|p| p["message"].as_str().map(str::to_string))
                        .collect()
                })?;
            let status = CheckStatus::parse(instance["status"].as_str()?)?;
            results.record(&module, name, CheckInstance { status, problems });
        }
    }
    Some(results.into_vec())
}

/// `check.NAME` in the module written `module` (empty for the root).
pub fn display(module: &str, name: &str) -> String {
    if module.is_empty() {
        format!("check.{name}")
    } else {
        format!("{module}.check.{name}")
    }
}

/// The results gathered during one plan or one apply.
#[derive(Debug, Default)]
pub struct CheckResults {
    results: BTreeMap<(ModulePath, String), CheckResult>,
}

impl CheckResults {
    /// Records one instance's outcome; a failure recorded earlier (by the scoped data source)
    /// is kept.
    pub fn record(&mut self, module: &ModuleInstance, name: &str, outcome: CheckInstance) {
        let path = module.path();
        let result = self
            .results
            .entry((path.clone(), name.to_string()))
            .or_insert_with(|| CheckResult {
                module: path,
                name: name.to_string(),
                instances: BTreeMap::new(),
            });
        let entry = result
            .instances
            .entry(module.clone())
            .or_insert(CheckInstance {
                status: CheckStatus::Pass,
                problems: Vec::new(),
            });
        entry.status = entry.status.max(outcome.status);
        entry.problems.extend(outcome.problems);
    }

    /// Whether the check's scoped data source failed in this module instance (its
    /// assertions are then not evaluated, as in Terraform).
    pub fn failed(&self, module: &ModuleInstance, name: &str) -> bool {
        self.results
            .get(&(module.path(), name.to_string()))
            .and_then(|r| r.instances.get(module))
            .is_some_and(|i| i.status == CheckStatus::Fail)
    }

    /// Every check's result, by module and name.
    pub fn into_vec(self) -> Vec<CheckResult> {
        self.results.into_values().collect()
    }
}

/// The errors of a check's scoped data source as warnings (they never stop a run), and the
/// problem to record for the check.
pub fn scoped_data_failure(diagnostics: Diagnostics) -> (Diagnostics, CheckInstance) {
    let problems = diagnostics
        .0
        .iter()
        .filter(|d| d.severity == ggplan_sdk::Severity::Error)
        .map(|d| format!("{}: {}", d.summary, d.detail))
        .collect();
    let warnings = diagnostics
        .0
        .into_iter()
        .map(|d| Diagnostic {
            severity: ggplan_sdk::Severity::Warning,
            ..d
        })
        .collect();
    let outcome = CheckInstance {
        status: CheckStatus::Fail,
        problems,
    };
    (Diagnostics(warnings), outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instance_keeps_its_worst_status_and_every_problem() {
        let mut results = CheckResults::default();
        let root = ModuleInstance::root();
        let fail = |p: &str| CheckInstance {
            status: CheckStatus::Fail,
            problems: vec![p.into()],
        };
        results.record(&root, "health", fail("data source failed"));
        assert!(results.failed(&root, "health"));
        let pass = CheckInstance {
            status: CheckStatus::Pass,
            problems: vec![],
        };
        results.record(&root, "health", pass.clone());
        results.record(&root, "other", pass);
        let all = results.into_vec();
        assert_eq!(all[0].status(), CheckStatus::Fail);
        assert_eq!(all[0].instances[&root].problems, ["data source failed"]);
        assert_eq!(all[1].status(), CheckStatus::Pass);
        assert_eq!(all[1].display(), "check.other");
    }

    #[test]
    fn results_go_to_terraforms_json_and_back() {
        let mut results = CheckResults::default();
        let inner = ModuleInstance::parse("module.app[\"a\"]").unwrap();
        let fail = CheckInstance {
            status: CheckStatus::Fail,
            problems: vec!["down".into()],
        };
        results.record(&inner, "health", fail);
        let unknown = CheckInstance {
            status: CheckStatus::Unknown,
            problems: vec![],
        };
        results.record(&ModuleInstance::root(), "up", unknown);
        let results = results.into_vec();
        // The root module first.
        let written = to_json(&results);
        assert_eq!(
            written[1]["address"]["to_display"],
            "module.app.check.health"
        );
        assert_eq!(written[1]["address"]["module"], "module.app");
        assert_eq!(
            written[1]["instances"][0]["address"]["to_display"],
            "module.app[\"a\"].check.health"
        );
        assert_eq!(written[1]["instances"][0]["problems"][0]["message"], "down");
        assert_eq!(written[0]["status"], "unknown");
        assert!(written[0]["instances"][0].get("problems").is_none());
        assert_eq!(from_json(&written), Some(results));
    }

    #[test]
    fn a_scoped_data_source_error_becomes_a_warning_and_the_problem() {
        let error = Diagnostic::error("Read failed", "no such file");
        let (warnings, outcome) = scoped_data_failure(error.into());
        assert!(!warnings.has_errors());
        assert_eq!(warnings.0[0].summary, "Read failed");
        assert_eq!(outcome.problems, ["Read failed: no such file"]);
    }
}
