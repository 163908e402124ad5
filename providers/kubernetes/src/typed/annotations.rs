//! `kubernetes_annotations`: annotations on any object something else made, and on the pod
//! template of a workload (`template_annotations`: changing one rolls the workload out again,
//! which is how a stack restarts a Deployment after changing what it reads). Only these
//! annotations are compared; destroy removes them.
//!
//! As hashicorp/kubernetes, but: what is compared is the keys the configuration sets
//! (hashicorp/kubernetes also shows those any manager called "Terraform" owns), and
//! `template_annotations` on a built-in kind without a pod template is refused when planned.

use super::maps;
use super::metadata;
use super::patch::{PatchKind, nested};
use crate::error::Place;
use ggplan_sdk::{AttrPath, Attribute, Diagnostic, Diagnostics, Schema, Type, Value};
use serde_json::{Value as Json, json};

/// `kubernetes_annotations`.
pub struct Annotations;

/// The built-in kinds with a pod template at `spec.template` (CronJob: in its job template).
const WORKLOADS: [&str; 6] = [
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "ReplicationController",
];
/// The apiVersions of built-in kinds (for the others, a CRD decides what a template is).
const BUILT_IN: [&str; 5] = [
    "v1",
    "apps/v1",
    "batch/v1",
    "batch/v1beta1",
    "extensions/v1beta1",
];

/// Where a kind's pod template keeps its annotations.
fn template_path(kind: &str) -> &'static [&'static str] {
    match kind {
        "CronJob" => &[
            "spec",
            "jobTemplate",
            "spec",
            "template",
            "metadata",
            "annotations",
        ],
        _ => &["spec", "template", "metadata", "annotations"],
    }
}

impl PatchKind for Annotations {
    const TYPE: &'static str = "kubernetes_annotations";
    const ID_WITH_KIND: bool = true;
    const DEFAULT_NAMESPACE: bool = false;

    fn schema(&self) -> Schema {
        let strings = || Type::Map(Box::new(Type::String));
        let namespace = Attribute::optional(Type::String)
            .force_new()
            .describe("The object's namespace (default: \"default\" for a namespaced kind).");
        let target = |what: &str| Attribute::required(Type::String).force_new().describe(what);
        Schema::new(
            "Annotations on an object something else made, and on its pod template. Destroy \
             removes them; the object stays.",
            [
                (
                    "api_version",
                    target("The object's apiVersion, e.g. apps/v1."),
                ),
                ("kind", target("The object's kind, e.g. Deployment.")),
                (
                    "annotations",
                    Attribute::optional(strings()).describe("Annotations of the object."),
                ),
                (
                    "template_annotations",
                    Attribute::optional(strings()).describe(
                        "Annotations of the pod template of a Deployment, StatefulSet, DaemonSet, \
                         Job or CronJob: a change rolls it out again.",
                    ),
                ),
            ],
        )
        .with_block("metadata", metadata::target_block("object", namespace))
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diagnostics = Diagnostics::new();
        let (annotations, template) = (
            config.get("annotations"),
            config.get("template_annotations"),
        );
        if annotations.is_null() && template.is_null() {
            let detail = "Set annotations, template_annotations, or both.";
            diagnostics.push(
                Diagnostic::error("No annotations to set", detail).at_attribute(AttrPath::root()),
            );
        }
        let (api_version, kind) = (
            config.get("api_version").as_str(),
            config.get("kind").as_str(),
        );
        if let (Some(api_version), Some(kind), false) = (api_version, kind, template.is_null()) {
            let templated = kind == "CronJob" || WORKLOADS.contains(&kind);
            if BUILT_IN.contains(&api_version) && !templated {
                let summary = format!("{kind} objects have no pod template");
                let detail = "template_annotations is for Deployments, StatefulSets, DaemonSets, \
                              ReplicaSets, Jobs and CronJobs; use annotations for the object itself.";
                let at = AttrPath::attr("template_annotations");
                diagnostics.push(Diagnostic::error(summary, detail).at_attribute(at));
            }
        }
        diagnostics
    }

    fn target<'a>(&self, state: &'a Value) -> Option<(&'a str, &'a str)> {
        Some((
            state.get("api_version").as_str()?,
            state.get("kind").as_str()?,
        ))
    }

    fn fields(&self, state: &Value) -> Option<Json> {
        let mut fields = json!({});
        if let Some(annotations) = maps::known(state.get("annotations"))? {
            fields["metadata"] = json!({ "annotations": annotations });
        }
        if let Some(template) = maps::known(state.get("template_annotations"))? {
            let path = template_path(state.get("kind").as_str()?);
            fields["spec"] = nested(&path[1..], template);
        }
        Some(fields)
    }

    fn read(&self, state: &Value, live: &Json) -> Value {
        let mut state = state.clone();
        let annotations = &live["metadata"]["annotations"];
        let read = maps::compare(annotations, state.get("annotations"), maps::nothing);
        state.set_attr("annotations", read);
        let kind = state.get("kind").as_str().unwrap_or_default();
        let template = template_path(kind)
            .iter()
            .fold(live, |value, key| &value[key]);
        let read = maps::compare(template, state.get("template_annotations"), maps::nothing);
        state.set_attr("template_annotations", read);
        state
    }

    fn maps(&self, state: &Value) -> Vec<&'static [&'static str]> {
        let kind = state.get("kind").as_str().unwrap_or_default();
        vec![&["metadata", "annotations"], template_path(kind)]
    }

    fn place(&self) -> Place {
        Place {
            object: AttrPath::attr("annotations"),
            take_over: "To take them over, set force = true on the resource; to leave them to \
                        the other manager, remove them from the configuration.",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(kind: &str, annotations: Value, template: Value) -> Value {
        Value::object([
            ("api_version", Value::string("batch/v1beta1")),
            ("kind", Value::string(kind)),
            ("annotations", annotations),
            ("template_annotations", template),
        ])
    }

    fn restart() -> Value {
        Value::object([("restartedAt", Value::string("1"))])
    }

    #[test]
    fn template_annotations_go_to_the_pod_template() {
        let cron = config("CronJob", Value::Null, restart());
        assert_eq!(
            Annotations.fields(&cron),
            Some(
                json!({"spec": {"jobTemplate": {"spec": {"template": {"metadata": {
                "annotations": {"restartedAt": "1"}}}}}}})
            )
        );
        let deployment = config("Deployment", restart(), restart());
        let live = json!({"metadata": {"annotations": {"restartedAt": "1", "other": "x"}},
            "spec": {"template": {"metadata": {"annotations": {"restartedAt": "0"}}}}});
        let read = Annotations.read(&deployment, &live);
        assert_eq!(read.get("annotations"), &restart());
        assert_eq!(
            read.get("template_annotations"),
            &Value::object([("restartedAt", Value::string("0"))])
        );
    }

    #[test]
    fn annotations_are_needed_and_templates_only_where_kinds_have_them() {
        assert!(
            Annotations
                .validate(&config("Job", Value::Null, Value::Null))
                .has_errors()
        );
        let mut map = config("ConfigMap", Value::Null, restart());
        map.set_attr("api_version", Value::string("v1"));
        let diagnostics = Annotations.validate(&map);
        assert_eq!(
            diagnostics.0[0].attribute,
            Some(AttrPath::attr("template_annotations"))
        );
        let mut custom = config("Rollout", Value::Null, restart());
        custom.set_attr("api_version", Value::string("argoproj.io/v1alpha1"));
        assert!(Annotations.validate(&custom).is_empty());
    }
}
