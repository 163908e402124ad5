//! The `terraform` provider and its one resource, `terraform_data`: a value that lives in the
//! state, and a lifecycle (`triggers_replace`) other resources can hang off. Its functions are
//! in `terraform_functions`.
//!
//! Behaviour checked against Terraform 1.15.5 (`terraform plan` + `terraform show -json`):
//! - create: `id` is unknown; `output` is unknown when `input` is set, null when it is not;
//! - `input` changes (also to null): an in-place update, `output` unknown, `id` kept;
//! - `triggers_replace` changes: a replace (`replace_paths = [["triggers_replace"]]`), `id`
//!   unknown, `output` as on create (null when `input` is null);
//! - both change: a replace, as above;
//! - import of id `X`: `{id = "X", input = null, output = null, triggers_replace = null}`;
//! - read returns the prior state: there is nothing outside the state to refresh from.
//!
//! Terraform's ids come from `go-uuid` (random bytes, no version bits); ours are UUIDv4.

use crate::entropy;
use async_trait::async_trait;
use ggplan_sdk::typed::{DataSourceType, Partial, ProviderFunction, ResourceType, TypedProvider};
use ggplan_sdk::{AttrPath, Attribute, Diagnostics, PlanRequest, Schema, Type, Value};

/// The `terraform` provider.
pub(crate) struct Terraform;

#[async_trait]
impl TypedProvider for Terraform {
    type Client = ();
    type Error = Diagnostics;
    const NAME: &'static str = "terraform";
    // Terraform's own built-in provider, not a registry one.
    const SOURCE: &'static str = "terraform.io/builtin/terraform";

    fn resources() -> Vec<Box<dyn ResourceType<Self>>> {
        vec![Box::new(TerraformData)]
    }

    fn data_sources() -> Vec<Box<dyn DataSourceType<Self>>> {
        vec![Box::new(crate::terraform_remote_state::RemoteState)]
    }

    fn functions() -> Vec<Box<dyn ProviderFunction>> {
        crate::terraform_functions::all()
    }

    async fn configure(_config: &Value) -> Result<(), Diagnostics> {
        Ok(())
    }
}

const TYPE: &str = "terraform_data";

/// `terraform_data`.
struct TerraformData;

/// The planned `output` of a new instance: known only when there is no input to copy.
fn new_output(input: &Value) -> Value {
    if input.is_null() {
        Value::Null
    } else {
        Value::Unknown
    }
}

/// The state after a create or an update: `output` is `input`, `id` kept or made.
fn stored(planned: &Value) -> Result<Value, Diagnostics> {
    let id = match planned.get("id").as_str() {
        Some(id) => id.to_string(),
        None => entropy::uuid_v4()?,
    };
    let mut state = planned.clone();
    state.set_attr("id", Value::String(id));
    state.set_attr("output", planned.get("input").clone());
    Ok(state)
}

#[async_trait]
impl ResourceType<Terraform> for TerraformData {
    fn name(&self) -> &'static str {
        TYPE
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "Stores a value in the state and follows its lifecycle; `triggers_replace` replaces \
             it (and whatever depends on it through replace_triggered_by) when it changes.",
            [
                (
                    "input",
                    Attribute::optional(Type::Any)
                        .describe("A value to store; a change updates the instance in place."),
                ),
                (
                    "output",
                    Attribute::computed(Type::Any)
                        .describe("The stored value of input after apply."),
                ),
                (
                    "triggers_replace",
                    Attribute::optional(Type::Any)
                        .force_new()
                        .describe("A value whose change replaces the instance."),
                ),
                (
                    "id",
                    Attribute::computed(Type::String).describe("A random UUID set on create."),
                ),
            ],
        )
    }

    async fn modify_plan(
        &self,
        _client: &(),
        request: &PlanRequest<'_>,
        planned: &mut Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Vec<AttrPath>, Diagnostics> {
        let input = request.config.get("input");
        match request.prior {
            Some(prior)
                if prior.get("triggers_replace") == request.config.get("triggers_replace") =>
            {
                if prior.get("input") != input {
                    planned.set_attr("output", Value::Unknown);
                }
            }
            // Created or replaced (the schema's force_new names triggers_replace).
            _ => {
                planned.set_attr("id", Value::Unknown);
                planned.set_attr("output", new_output(input));
            }
        }
        Ok(Vec::new())
    }

    /// The object exists only in the state: an unfinished create made nothing elsewhere.
    async fn find_created(
        &self,
        _client: &(),
        _config: &Value,
        _since: std::time::SystemTime,
    ) -> Result<ggplan_sdk::Found, Diagnostics> {
        Ok(ggplan_sdk::Found::Nothing)
    }

    async fn read(&self, _client: &(), state: &Value) -> Result<Option<Value>, Diagnostics> {
        Ok(Some(state.clone()))
    }

    async fn create(
        &self,
        _client: &(),
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<Diagnostics>> {
        Ok(stored(planned)?)
    }

    async fn update(
        &self,
        _client: &(),
        _prior: &Value,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<Diagnostics>> {
        Ok(stored(planned)?)
    }

    async fn delete(
        &self,
        _client: &(),
        _prior: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<(), Diagnostics> {
        Ok(())
    }

    fn import_stub(&self, id: &str) -> Result<Value, Diagnostics> {
        Ok(Value::object([
            ("id", Value::string(id)),
            ("input", Value::Null),
            ("output", Value::Null),
            ("triggers_replace", Value::Null),
        ]))
    }

    fn import_id_format(&self) -> &'static str {
        "any string, which becomes its id"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{apply, configured, create, destroy, plan, read, schema};
    use ggplan_sdk::{Provider, objchange};

    fn config(input: Value, triggers: Value) -> Value {
        Value::object([("input", input), ("triggers_replace", triggers)])
    }

    #[tokio::test]
    async fn create_plans_id_and_output_unknown_then_apply_copies_input() {
        let p = configured::<Terraform>().await;
        let cfg = config(Value::string("a"), Value::string("t1"));
        let planned = plan(&p, TYPE, None, &cfg).await.planned;
        assert_eq!(planned.get("id"), &Value::Unknown);
        assert_eq!(planned.get("output"), &Value::Unknown);
        assert_eq!(planned.get("input"), &Value::string("a"));

        let state = apply(&p, TYPE, None, &planned, &cfg).await;
        assert_eq!(state.get("output"), &Value::string("a"));
        assert_eq!(state.get("id").as_str().map(str::len), Some(36));
        assert_eq!(read(&p, TYPE, &state).await, Some(state.clone()));
        assert!(destroy(&p, TYPE, &state).await.is_empty());
    }

    #[tokio::test]
    async fn create_without_input_plans_output_null() {
        let p = configured::<Terraform>().await;
        let planned = plan(&p, TYPE, None, &config(Value::Null, Value::Null))
            .await
            .planned;
        assert_eq!(planned.get("output"), &Value::Null);
        assert_eq!(planned.get("id"), &Value::Unknown);
    }

    #[tokio::test]
    async fn input_change_updates_in_place_with_output_unknown() {
        let p = configured::<Terraform>().await;
        let prior = create(&p, TYPE, &config(Value::string("a"), Value::string("t1"))).await;
        for input in [Value::string("b"), Value::Null] {
            let cfg = config(input.clone(), Value::string("t1"));
            let planned = plan(&p, TYPE, Some(&prior), &cfg).await.planned;
            assert_eq!(planned.get("output"), &Value::Unknown);
            assert_eq!(planned.get("id"), prior.get("id"));
            assert!(objchange::replace_paths(&schema(&p, TYPE), &prior, &planned).is_empty());

            let state = apply(&p, TYPE, Some(&prior), &planned, &cfg).await;
            assert_eq!(state.get("output"), &input);
            assert_eq!(state.get("id"), prior.get("id"));
        }
    }

    #[tokio::test]
    async fn unchanged_config_plans_the_prior_state() {
        let p = configured::<Terraform>().await;
        let cfg = config(Value::List(vec![Value::int(1)]), Value::string("t1"));
        let prior = create(&p, TYPE, &cfg).await;
        let planned = plan(&p, TYPE, Some(&prior), &cfg).await.planned;
        assert_eq!(planned, prior);
    }

    #[tokio::test]
    async fn triggers_change_replaces() {
        let p = configured::<Terraform>().await;
        let prior = create(&p, TYPE, &config(Value::Null, Value::string("t1"))).await;
        let cfg = config(Value::Null, Value::string("t2"));
        let planned = plan(&p, TYPE, Some(&prior), &cfg).await.planned;
        assert_eq!(
            objchange::replace_paths(&schema(&p, TYPE), &prior, &planned),
            vec![AttrPath::attr("triggers_replace")]
        );
        assert_eq!(planned.get("id"), &Value::Unknown);
        assert_eq!(planned.get("output"), &Value::Null);

        let with_input = config(Value::string("x"), Value::Unknown);
        let planned = plan(&p, TYPE, Some(&prior), &with_input).await.planned;
        assert_eq!(planned.get("output"), &Value::Unknown);
        assert!(!objchange::replace_paths(&schema(&p, TYPE), &prior, &planned).is_empty());
    }

    #[tokio::test]
    async fn import_sets_only_the_id() {
        let p = configured::<Terraform>().await;
        let state = p.import(TYPE, "my-id").await.unwrap();
        assert_eq!(state.get("id"), &Value::string("my-id"));
        assert_eq!(state.get("input"), &Value::Null);
        assert!(p.import("terraform_other", "x").await.is_err());
    }
}
