//! `kubernetes_cluster_role_binding_v1`: grants a ClusterRole to users, groups or service
//! accounts across the cluster (the dashboard's admin-user as cluster-admin). Its `role_ref`
//! cannot change (Kubernetes refuses): a change replaces the binding.

use super::metadata::Shape;
use super::names::NameRule;
use super::resource::ObjectType;
use async_trait::async_trait;
use ggplan_sdk::{Attribute, BlockNesting, NestedBlock, Schema, Type, Value};
use serde_json::{Map, Value as Json, json};

/// `kubernetes_cluster_role_binding_v1`.
pub struct ClusterRoleBinding;

/// The attributes of `role_ref` and `subject` blocks, and the fields they are.
const ROLE_REF: [(&str, &str); 3] = [
    ("api_group", "apiGroup"),
    ("kind", "kind"),
    ("name", "name"),
];
const SUBJECT: [(&str, &str); 4] = [
    ("api_group", "apiGroup"),
    ("kind", "kind"),
    ("name", "name"),
    ("namespace", "namespace"),
];

fn role_ref() -> NestedBlock {
    let required = |what: &str| Attribute::required(Type::String).force_new().describe(what);
    let schema = Schema::new(
        "The role granted (a change replaces the binding).",
        [
            (
                "api_group",
                required("The role's API group: rbac.authorization.k8s.io."),
            ),
            ("kind", required("ClusterRole.")),
            ("name", required("The role's name, e.g. cluster-admin.")),
        ],
    );
    NestedBlock {
        nesting: BlockNesting::List,
        block: schema,
        min_items: 1,
        max_items: Some(1),
    }
}

fn subject() -> NestedBlock {
    let text = |what: &str| Attribute::required(Type::String).describe(what);
    let schema = Schema::new(
        "Who the role is granted to.",
        [
            ("kind", text("User, Group or ServiceAccount.")),
            (
                "name",
                text("The user's, group's or service account's name."),
            ),
            (
                "namespace",
                Attribute::optional(Type::String).describe("The service account's namespace."),
            ),
            (
                "api_group",
                Attribute::optional_computed(Type::String).describe(
                    "rbac.authorization.k8s.io for users and groups, empty for service accounts \
                     (the cluster's default).",
                ),
            ),
        ],
    );
    NestedBlock {
        nesting: BlockNesting::List,
        block: schema,
        min_items: 1,
        max_items: None,
    }
}

/// A block as the object's fields: its known, non-null attributes (an api_group the server
/// defaults is left out while unknown); `None` while a configured one is unknown.
fn fields(block: &Value, names: &[(&str, &str)]) -> Option<Json> {
    let mut object = Map::new();
    for (attribute, field) in names {
        match block.get(attribute) {
            Value::Null | Value::Unknown if *attribute == "api_group" => {}
            Value::Null => {}
            value => {
                object.insert(field.to_string(), value.to_json()?);
            }
        }
    }
    Some(Json::Object(object))
}

/// The object's fields as a block.
fn block(live: &Json, names: &[(&str, &str)]) -> Value {
    let read = names.iter().map(|(attribute, field)| {
        let value = live[field].as_str().map_or(Value::Null, Value::string);
        (*attribute, value)
    });
    Value::object(read)
}

#[async_trait]
impl ObjectType for ClusterRoleBinding {
    const TYPE: &'static str = "kubernetes_cluster_role_binding_v1";
    const API_VERSION: &'static str = "rbac.authorization.k8s.io/v1";
    const KIND: &'static str = "ClusterRoleBinding";
    const OBJECT: &'static str = "cluster role binding";
    const METADATA: Shape = Shape {
        namespaced: false,
        generate_name: false,
        names: NameRule::PathSegment,
    };

    fn schema(&self) -> Schema {
        Schema::new("Grants a ClusterRole across the cluster.", [])
            .with_block("role_ref", role_ref())
            .with_block("subject", subject())
    }

    fn body(&self, state: &Value) -> Option<Json> {
        let role = state.get("role_ref").as_list()?.first()?;
        let subjects = state.get("subject").as_list().unwrap_or_default();
        let subjects: Option<Vec<Json>> = subjects.iter().map(|s| fields(s, &SUBJECT)).collect();
        Some(json!({"roleRef": fields(role, &ROLE_REF)?, "subjects": subjects?}))
    }

    fn read_body(&self, state: &mut Value, live: &Json) {
        state.set_attr(
            "role_ref",
            Value::List(vec![block(&live["roleRef"], &ROLE_REF)]),
        );
        let subjects = live["subjects"].as_array().into_iter().flatten();
        let read = subjects.map(|subject| block(subject, &SUBJECT)).collect();
        state.set_attr("subject", Value::List(read));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_binding_is_sent_without_the_api_group_the_server_defaults() {
        let subject = Value::object([
            ("kind", Value::string("ServiceAccount")),
            ("name", Value::string("admin-user")),
            ("namespace", Value::string("kube-system")),
            ("api_group", Value::Unknown),
        ]);
        let role = Value::object([
            ("api_group", Value::string("rbac.authorization.k8s.io")),
            ("kind", Value::string("ClusterRole")),
            ("name", Value::string("cluster-admin")),
        ]);
        let state = Value::object([
            ("role_ref", Value::List(vec![role.clone()])),
            ("subject", Value::List(vec![subject])),
        ]);
        let body = ClusterRoleBinding.body(&state).unwrap();
        assert_eq!(
            body["subjects"],
            json!([{"kind": "ServiceAccount", "name": "admin-user", "namespace": "kube-system"}])
        );
        let mut read = state.clone();
        let live = json!({"roleRef": body["roleRef"], "subjects": [{"kind": "ServiceAccount",
            "name": "admin-user", "namespace": "kube-system", "apiGroup": ""}]});
        ClusterRoleBinding.read_body(&mut read, &live);
        assert_eq!(read.get("role_ref"), &Value::List(vec![role]));
        let subject = &read.get("subject").as_list().unwrap()[0];
        assert_eq!(subject.get("api_group"), &Value::string(""));
    }
}
