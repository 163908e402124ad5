//! `kubernetes_namespace_v1`: a namespace. Destroy waits until it is gone (its finalizers
//! have run and everything in it is deleted), up to `timeouts { delete }` (default 5m).
//!
//! As hashicorp/kubernetes, but: `wait_for_default_service_account` waits up to 10 minutes
//! (hashicorp/kubernetes: 20, its create timeout, which the schema does not let one set).

use super::metadata::Shape;
use super::names::NameRule;
use super::resource::ObjectType;
use crate::cluster::Cluster;
use crate::error::KubeError;
use crate::object::ObjectRef;
use crate::wait::timeout_or;
use async_trait::async_trait;
use ggplan_sdk::{Attribute, BlockNesting, NestedBlock, Schema, Type, Value};
use serde_json::{Value as Json, json};
use std::time::Duration;

/// How long a destroy waits for the namespace to be gone, by default (hashicorp/kubernetes's).
const DELETE_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// How long a create waits for the default service account.
const ACCOUNT_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// `kubernetes_namespace_v1`.
pub struct Namespace;

#[async_trait]
impl ObjectType for Namespace {
    const TYPE: &'static str = "kubernetes_namespace_v1";
    const API_VERSION: &'static str = "v1";
    const KIND: &'static str = "Namespace";
    const OBJECT: &'static str = "namespace";
    const METADATA: Shape = Shape {
        namespaced: false,
        generate_name: true,
        names: NameRule::Label,
    };

    fn schema(&self) -> Schema {
        let wait = Attribute::optional(Type::Bool)
            .default(Value::Bool(false))
            .describe("Wait until the namespace's default service account exists.");
        let delete = Attribute::optional(Type::String)
            .describe("How long a destroy waits for the namespace to be gone (default 5m).");
        let timeouts = Schema::new("How long to wait.", [("delete", delete)]);
        Schema::new(
            "A namespace. Destroy waits until it is gone, with everything in it.",
            [("wait_for_default_service_account", wait)],
        )
        .with_block("timeouts", NestedBlock::new(BlockNesting::Single, timeouts))
    }

    fn body(&self, _state: &Value) -> Option<Json> {
        Some(json!({}))
    }

    fn read_body(&self, _state: &mut Value, _live: &Json) {}

    async fn after_create(
        &self,
        cluster: &Cluster,
        object: &ObjectRef,
        planned: &Value,
    ) -> Result<Option<Json>, KubeError> {
        if planned.get("wait_for_default_service_account").as_bool() != Some(true) {
            return Ok(None);
        }
        let account = ObjectRef {
            kind: cluster.kind("v1", "ServiceAccount").await?,
            namespace: Some(object.name.clone()),
            name: "default".into(),
        };
        let exists = Option::is_some;
        let waited = cluster.wait_until(&account, ACCOUNT_TIMEOUT, "to exist", exists);
        waited.await.map(|_| None)
    }

    fn delete_timeout(&self, state: &Value) -> Result<Duration, KubeError> {
        timeout_or(state, "delete", DELETE_TIMEOUT)
    }
}
