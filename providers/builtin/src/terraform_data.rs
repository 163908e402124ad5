//! The `terraform` provider and its one resource, `terraform_data`: a value that lives in the
//! state, and a lifecycle (`triggers_replace`) other resources can hang off.
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

use crate::{entropy, set_attr, unsupported_type};
use async_trait::async_trait;
use ggplan_sdk::{
    ApplyRequest, ApplyResponse, Attribute, Diagnostics, PlanRequest, PlanResponse, Provider,
    ProviderSchema, ReadRequest, Schema, Type, Value,
};

const PROVIDER: &str = "terraform";
const TYPE: &str = "terraform_data";

/// The `terraform` provider.
pub(crate) struct TerraformProvider;

fn resource_schema() -> Schema {
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
                Attribute::computed(Type::Any).describe("The stored value of input after apply."),
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

fn check_type(type_name: &str) -> Result<(), Diagnostics> {
    if type_name == TYPE {
        Ok(())
    } else {
        Err(unsupported_type(PROVIDER, type_name))
    }
}

/// The planned `output` of a new instance: known only when there is no input to copy.
fn new_output(input: &Value) -> Value {
    if input.is_null() {
        Value::Null
    } else {
        Value::Unknown
    }
}

#[async_trait]
impl Provider for TerraformProvider {
    fn schema(&self) -> ProviderSchema {
        ProviderSchema {
            resources: [(TYPE.to_string(), resource_schema())].into(),
            ..ProviderSchema::default()
        }
    }

    async fn configure(&self, _config: &Value) -> Result<(), Diagnostics> {
        Ok(())
    }

    async fn read(&self, request: ReadRequest<'_>) -> Result<Option<Value>, Diagnostics> {
        check_type(request.type_name)?;
        Ok(Some(request.state.clone()))
    }

    async fn plan(&self, request: PlanRequest<'_>) -> Result<PlanResponse, Diagnostics> {
        check_type(request.type_name)?;
        let mut planned = request.proposed.clone();
        let input = request.config.get("input");
        match request.prior {
            Some(prior)
                if prior.get("triggers_replace") == request.config.get("triggers_replace") =>
            {
                if prior.get("input") != input {
                    set_attr(&mut planned, "output", Value::Unknown);
                }
            }
            // Created or replaced (the schema's force_new names triggers_replace).
            _ => {
                set_attr(&mut planned, "id", Value::Unknown);
                set_attr(&mut planned, "output", new_output(input));
            }
        }
        Ok(PlanResponse {
            planned,
            requires_replace: Vec::new(),
        })
    }

    async fn apply(&self, request: ApplyRequest<'_>) -> ApplyResponse {
        if let Err(diagnostics) = check_type(request.type_name) {
            return ApplyResponse::failed(request.prior, diagnostics);
        }
        let Some(planned) = request.planned else {
            return ApplyResponse::ok(None);
        };
        let id = match planned.get("id").as_str() {
            Some(id) => id.to_string(),
            None => match entropy::uuid_v4() {
                Ok(id) => id,
                Err(errors) => return ApplyResponse::failed(request.prior, errors),
            },
        };
        let mut state = planned.clone();
        set_attr(&mut state, "id", Value::String(id));
        set_attr(&mut state, "output", planned.get("input").clone());
        ApplyResponse::ok(Some(state))
    }

    async fn read_data(&self, type_name: &str, _config: &Value) -> Result<Value, Diagnostics> {
        Err(unsupported_type(PROVIDER, type_name))
    }

    async fn import(&self, type_name: &str, id: &str) -> Result<Value, Diagnostics> {
        check_type(type_name)?;
        Ok(Value::object([
            ("id", Value::string(id)),
            ("input", Value::Null),
            ("output", Value::Null),
            ("triggers_replace", Value::Null),
        ]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{apply, create, destroy, plan, read, schema};
    use ggplan_sdk::AttrPath;

    fn config(input: Value, triggers: Value) -> Value {
        Value::object([("input", input), ("triggers_replace", triggers)])
    }

    #[tokio::test]
    async fn create_plans_id_and_output_unknown_then_apply_copies_input() {
        let p = TerraformProvider;
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
        let p = TerraformProvider;
        let planned = plan(&p, TYPE, None, &config(Value::Null, Value::Null))
            .await
            .planned;
        assert_eq!(planned.get("output"), &Value::Null);
        assert_eq!(planned.get("id"), &Value::Unknown);
    }

    #[tokio::test]
    async fn input_change_updates_in_place_with_output_unknown() {
        let p = TerraformProvider;
        let prior = create(&p, TYPE, &config(Value::string("a"), Value::string("t1"))).await;
        for input in [Value::string("b"), Value::Null] {
            let cfg = config(input.clone(), Value::string("t1"));
            let planned = plan(&p, TYPE, Some(&prior), &cfg).await.planned;
            assert_eq!(planned.get("output"), &Value::Unknown);
            assert_eq!(planned.get("id"), prior.get("id"));
            assert!(schema(&p, TYPE).replace_paths(&prior, &planned).is_empty());

            let state = apply(&p, TYPE, Some(&prior), &planned, &cfg).await;
            assert_eq!(state.get("output"), &input);
            assert_eq!(state.get("id"), prior.get("id"));
        }
    }

    #[tokio::test]
    async fn unchanged_config_plans_the_prior_state() {
        let p = TerraformProvider;
        let cfg = config(Value::List(vec![Value::int(1)]), Value::string("t1"));
        let prior = create(&p, TYPE, &cfg).await;
        let planned = plan(&p, TYPE, Some(&prior), &cfg).await.planned;
        assert_eq!(planned, prior);
    }

    #[tokio::test]
    async fn triggers_change_replaces() {
        let p = TerraformProvider;
        let prior = create(&p, TYPE, &config(Value::Null, Value::string("t1"))).await;
        let cfg = config(Value::Null, Value::string("t2"));
        let planned = plan(&p, TYPE, Some(&prior), &cfg).await.planned;
        assert_eq!(
            schema(&p, TYPE).replace_paths(&prior, &planned),
            vec![AttrPath::attr("triggers_replace")]
        );
        assert_eq!(planned.get("id"), &Value::Unknown);
        assert_eq!(planned.get("output"), &Value::Null);

        let with_input = config(Value::string("x"), Value::Unknown);
        let planned = plan(&p, TYPE, Some(&prior), &with_input).await.planned;
        assert_eq!(planned.get("output"), &Value::Unknown);
        assert!(!schema(&p, TYPE).replace_paths(&prior, &planned).is_empty());
    }

    #[tokio::test]
    async fn import_sets_only_the_id() {
        let p = TerraformProvider;
        let state = p.import(TYPE, "my-id").await.unwrap();
        assert_eq!(state.get("id"), &Value::string("my-id"));
        assert_eq!(state.get("input"), &Value::Null);
        assert!(p.import("terraform_other", "x").await.is_err());
    }
}
