//! `kubernetes_service_account_v1`: a service account (the dashboard's admin-user). On a
//! cluster older than 1.24, a create waits (up to `timeouts { create }`, default 30s) for the
//! token Secret the cluster makes for it, whose name is `default_secret_name`.
//!
//! As hashicorp/kubernetes, but: `secret` and `image_pull_secret` are compared on the names the
//! stack sets (an import reads them all).

use super::metadata::Shape;
use super::names::NameRule;
use super::resource::ObjectType;
use crate::cluster::Cluster;
use crate::error::KubeError;
use crate::object::ObjectRef;
use crate::wait::timeout_or;
use async_trait::async_trait;
use ggplan_sdk::{Attribute, BlockNesting, NestedBlock, Schema, Type, Value, set_of};
use serde_json::{Value as Json, json};
use std::time::Duration;

/// How long a create waits for the token Secret, by default (hashicorp/kubernetes's).
const TOKEN_TIMEOUT: Duration = Duration::from_secs(30);

/// `kubernetes_service_account_v1`.
pub struct ServiceAccount;

/// The blocks naming Secrets, and the fields they are.
const REFERENCES: [(&str, &str); 2] = [
    ("secret", "secrets"),
    ("image_pull_secret", "imagePullSecrets"),
];

/// A block with a Secret's name.
fn reference(what: &str) -> NestedBlock {
    let name = Attribute::optional(Type::String).describe("The Secret's name.");
    NestedBlock::new(BlockNesting::Set, Schema::new(what, [("name", name)]))
}

/// The token Secret the cluster made for the service account `live` (`<name>-token-...`).
fn token_secret(live: &Json) -> Option<&str> {
    let prefix = format!("{}-token-", live["metadata"]["name"].as_str()?);
    let secrets = live["secrets"].as_array()?;
    secrets
        .iter()
        .filter_map(|secret| secret["name"].as_str())
        .find(|name| name.starts_with(&prefix))
}

#[async_trait]
impl ObjectType for ServiceAccount {
    const TYPE: &'static str = "kubernetes_service_account_v1";
    const API_VERSION: &'static str = "v1";
    const KIND: &'static str = "ServiceAccount";
    const OBJECT: &'static str = "service account";
    const METADATA: Shape = Shape {
        namespaced: true,
        generate_name: true,
        names: NameRule::Subdomain,
    };

    fn schema(&self) -> Schema {
        let automount = Attribute::optional(Type::Bool)
            .default(Value::Bool(true))
            .describe("Whether pods mount the account's token automatically.");
        let default_secret = Attribute::computed(Type::String).describe(
            "The token Secret the cluster made for the account (before Kubernetes 1.24).",
        );
        let create = Attribute::optional(Type::String)
            .describe("How long a create waits for the token Secret (default 30s).");
        Schema::new(
            "A service account: an identity for pods (and for people, through its tokens).",
            [
                ("automount_service_account_token", automount),
                ("default_secret_name", default_secret),
            ],
        )
        .with_block(
            "secret",
            reference("A Secret pods of this account may use."),
        )
        .with_block(
            "image_pull_secret",
            reference("A Secret with credentials to pull images."),
        )
        .with_block(
            "timeouts",
            NestedBlock::new(
                BlockNesting::Single,
                Schema::new("How long to wait.", [("create", create)]),
            ),
        )
    }

    fn body(&self, state: &Value) -> Option<Json> {
        let mut body = json!({});
        let automount = state.get("automount_service_account_token");
        if !automount.is_null() {
            body["automountServiceAccountToken"] = automount.to_json()?;
        }
        for (block, field) in REFERENCES {
            let names = state.get(block).as_list().unwrap_or_default();
            let listed: Option<Vec<Json>> = names
                .iter()
                .map(|b| Some(json!({"name": b.get("name").to_json()?})))
                .collect();
            if !names.is_empty() {
                body[field] = Json::Array(listed?);
            }
        }
        Some(body)
    }

    fn read_body(&self, state: &mut Value, live: &Json) {
        // Unset is Kubernetes's default: tokens are mounted (kubectl create serviceaccount).
        let automount = live["automountServiceAccountToken"]
            .as_bool()
            .unwrap_or(true);
        state.set_attr("automount_service_account_token", Value::Bool(automount));
        let token = token_secret(live);
        for (block, field) in REFERENCES {
            let set = state.get(block).clone();
            let ours = |name: &str| match set.as_list() {
                _ if set.is_unknown() => Some(name) != token,
                Some(blocks) => blocks.iter().any(|b| b.get("name").as_str() == Some(name)),
                None => false,
            };
            let names = live[field]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| r["name"].as_str());
            let read: Vec<Value> = names
                .filter(|name| ours(name))
                .map(|name| Value::object([("name", Value::string(name))]))
                .collect();
            state.set_attr(block, Value::List(set_of(read)));
        }
        state.set_attr(
            "default_secret_name",
            token.map_or(Value::Null, Value::string),
        );
    }

    async fn after_create(
        &self,
        cluster: &Cluster,
        object: &ObjectRef,
        planned: &Value,
    ) -> Result<Option<Json>, KubeError> {
        // Since 1.24 the cluster makes no token Secrets for service accounts.
        if !cluster.older_than(1, 24).await? {
            return Ok(None);
        }
        let limit = timeout_or(planned, "create", TOKEN_TIMEOUT)?;
        let made = |live: &Option<Json>| live.as_ref().and_then(token_secret).is_some();
        cluster
            .wait_until(object, limit, "to get its token Secret", made)
            .await
    }

    fn import_stub(&self, stub: &mut Value) {
        for (block, _) in REFERENCES {
            stub.set_attr(block, Value::Unknown);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Value {
        Value::List(
            list.iter()
                .map(|n| Value::object([("name", Value::string(*n))]))
                .collect(),
        )
    }

    #[test]
    fn secrets_are_sent_and_read_back_on_the_names_set_with_the_token_apart() {
        let mut state = Value::object([
            (
                "metadata",
                Value::List(vec![Value::object([("name", Value::string("admin-user"))])]),
            ),
            ("automount_service_account_token", Value::Bool(true)),
            ("secret", names(&["extra"])),
            ("image_pull_secret", Value::List(Vec::new())),
        ]);
        assert_eq!(
            ServiceAccount.body(&state),
            Some(json!({"automountServiceAccountToken": true, "secrets": [{"name": "extra"}]}))
        );
        let live = json!({"metadata": {"name": "admin-user"}, "automountServiceAccountToken": true,
            "secrets": [{"name": "admin-user-token-x1"}, {"name": "extra"}, {"name": "other"}]});
        ServiceAccount.read_body(&mut state, &live);
        assert_eq!(state.get("secret"), &names(&["extra"]));
        assert_eq!(
            state.get("default_secret_name"),
            &Value::string("admin-user-token-x1")
        );
        let mut imported = state.clone();
        ServiceAccount.import_stub(&mut imported);
        ServiceAccount.read_body(&mut imported, &live);
        assert_eq!(imported.get("secret"), &names(&["extra", "other"]));
        let made_by_kubectl = json!({"metadata": {"name": "admin-user"}});
        ServiceAccount.read_body(&mut imported, &made_by_kubectl);
        let automount = imported.get("automount_service_account_token");
        assert_eq!(automount, &Value::Bool(true));
    }
}
