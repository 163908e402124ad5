//! `mlflow_model_alias`: which version of a registered model an alias (`production`,
//! `canary`...) points at. Re-pointing is an in-place update (MLflow's set-alias silently
//! moves an alias); an alias moved or deleted outside ggplan is drift that apply reverts.
//!
//! A version that does not exist is caught at plan time whenever the model and version are
//! known then, instead of half-way through an apply.

use crate::Mlflow;
use crate::client::{Client, Method};
use crate::registered_model::fetch;
use crate::resource::{check_version_number, delete_object, required_str, split_id};
use crate::wire::ModelVersionResponse;
use async_trait::async_trait;
use ggplan_sdk::typed::{Partial, ResourceType};
use ggplan_sdk::{AttrPath, Attribute, Diagnostic, Diagnostics, PlanRequest, Schema, Type, Value};
use serde::de::IgnoredAny;
use serde_json::json;

const TYPE: &str = "mlflow_model_alias";
const ID_FORMAT: &str = "MODEL/ALIAS";
/// MLflow's limit on alias names.
const MAX_ALIAS_LEN: usize = 255;

/// The managed alias.
pub(crate) struct ModelAlias;

fn state(model: &str, alias: &str, version: &str) -> Value {
    Value::object([
        ("id", Value::string(format!("{model}/{alias}"))),
        ("model", Value::string(model)),
        ("alias", Value::string(alias)),
        ("version", Value::string(version)),
    ])
}

/// Why MLflow would refuse an alias name, if it would.
fn alias_problem(alias: &str) -> Option<String> {
    let reserved = alias.eq_ignore_ascii_case("latest")
        || (alias.len() > 1
            && alias.starts_with(['v', 'V'])
            && alias[1..].bytes().all(|b| b.is_ascii_digit()));
    if alias.is_empty() {
        Some("an alias name cannot be empty".to_string())
    } else if reserved {
        Some(format!(
            "{alias:?} is reserved by MLflow (\"latest\" and v<number> name versions)"
        ))
    } else if alias.len() > MAX_ALIAS_LEN {
        Some(format!("it is longer than {MAX_ALIAS_LEN} characters"))
    } else if !alias
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        Some(format!(
            "{alias:?} has characters other than letters, digits, '_' and '-'"
        ))
    } else {
        None
    }
}

/// Fails when the model has no such version (or no such model): the apply would fail, so the
/// plan does.
async fn check_version_exists(
    client: &Client,
    model: &str,
    alias: &str,
    version: &str,
) -> Result<(), Diagnostics> {
    let found = client
        .get::<ModelVersionResponse>(
            "model-versions/get",
            &[("name", model), ("version", version)],
        )
        .await;
    match found {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() => {
            let why = match fetch(client, model).await? {
                Some(found) => {
                    let mut latest: Vec<&str> = found
                        .latest_versions
                        .iter()
                        .map(|v| v.version.as_str())
                        .collect();
                    latest.sort_by_key(|v| v.parse::<u64>().unwrap_or(0));
                    match latest.last() {
                        Some(last) => format!("its latest version is {last}"),
                        None => "it has no versions yet".to_string(),
                    }
                }
                None => "the registered model does not exist yet, so it has no versions".into(),
            };
            Err(Diagnostic::error(
                format!("Model {model:?} has no version {version}"),
                format!(
                    "Alias {alias:?} cannot point at version {version} of {model:?}: {e}; {why}. \
                     Point the alias at a registered version, or register \
                     version {version} first (a training run, or an mlflow_model_version \
                     resource whose version this alias references)."
                ),
            )
            .at_attribute(AttrPath::attr("version"))
            .into())
        }
        Err(e) => Err(client.fail(
            &e,
            &format!("checking that version {version} of model {model:?} exists"),
        )),
    }
}

/// Points the planned alias at the planned version (creating the alias, or moving it) and
/// returns its state.
async fn point(client: &Client, planned: &Value) -> Result<Value, Diagnostics> {
    let model = required_str(planned, "model")?;
    let alias = required_str(planned, "alias")?;
    let version = required_str(planned, "version")?;
    client
        .call::<IgnoredAny>(
            Method::Post,
            "registered-models/alias",
            json!({"name": model, "alias": alias, "version": version}),
        )
        .await
        .map_err(|e| {
            client.fail(
                &e,
                &format!("pointing alias {alias:?} of model {model:?} at version {version}"),
            )
        })?;
    Ok(state(model, alias, version))
}

#[async_trait]
impl ResourceType<Mlflow> for ModelAlias {
    fn name(&self) -> &'static str {
        TYPE
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "An alias of a registered model (production, canary...) and the version it \
             points at.",
            [
                (
                    "model",
                    Attribute::required(Type::String)
                        .force_new()
                        .describe("The registered model's name."),
                ),
                (
                    "alias",
                    Attribute::required(Type::String)
                        .force_new()
                        .describe("The alias: letters, digits, '_' and '-'; not latest or v<N>."),
                ),
                (
                    "version",
                    Attribute::required(Type::String)
                        .describe("The version number it points at (a string or a number)."),
                ),
                (
                    "id",
                    Attribute::computed(Type::String).describe("MODEL/ALIAS."),
                ),
            ],
        )
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diagnostics = check_version_number(config, "version");
        if let Some(problem) = config.get("alias").as_str().and_then(alias_problem) {
            diagnostics.push(
                Diagnostic::error(
                    "Invalid MLflow alias name",
                    format!("MLflow would refuse this alias: {problem}. Choose another name."),
                )
                .at_attribute(AttrPath::attr("alias")),
            );
        }
        diagnostics
    }

    async fn read(&self, client: &Client, state_now: &Value) -> Result<Option<Value>, Diagnostics> {
        let model = required_str(state_now, "model")?;
        let alias = required_str(state_now, "alias")?;
        // The model's alias list, not registered-models/alias: a missing alias answers that
        // with 400 INVALID_PARAMETER_VALUE, indistinguishable from a real error.
        let Some(found) = fetch(client, model).await? else {
            return Ok(None);
        };
        Ok(found
            .aliases
            .iter()
            .find(|a| a.alias == alias)
            .map(|a| state(model, alias, &a.version)))
    }

    async fn modify_plan(
        &self,
        client: &Client,
        request: &PlanRequest<'_>,
        planned: &mut Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Vec<AttrPath>, Diagnostics> {
        let config = request.config;
        let validation = self.validate(config);
        if validation.has_errors() {
            return Err(validation);
        }
        let (model, alias, version) = (
            config.get("model").as_str(),
            config.get("alias").as_str(),
            config.get("version").as_str(),
        );
        planned.set_attr(
            "id",
            match (model, alias) {
                (Some(model), Some(alias)) => Value::string(format!("{model}/{alias}")),
                _ => Value::Unknown,
            },
        );
        let unchanged = request.prior.is_some_and(|prior| {
            prior.get("version").as_str() == version && prior.get("model").as_str() == model
        });
        if let (Some(model), Some(alias), Some(version), false) = (model, alias, version, unchanged)
        {
            check_version_exists(client, model, alias, version).await?;
        }
        Ok(Vec::new())
    }

    async fn create(
        &self,
        client: &Client,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<Diagnostics>> {
        Ok(point(client, planned).await?)
    }

    /// MLflow's set-alias moves an existing alias: an update is the same call as a create.
    async fn update(
        &self,
        client: &Client,
        _prior: &Value,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<Diagnostics>> {
        Ok(point(client, planned).await?)
    }

    async fn delete(
        &self,
        client: &Client,
        prior: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<(), Diagnostics> {
        let model = required_str(prior, "model")?;
        let alias = required_str(prior, "alias")?;
        let doing = format!("deleting alias {alias:?} of model {model:?}");
        delete_object(
            client,
            Method::Delete,
            "registered-models/alias",
            json!({"name": model, "alias": alias}),
            &doing,
        )
        .await
    }

    fn import_stub(&self, id: &str) -> Result<Value, Diagnostics> {
        let (model, alias) = split_id(id, "a model alias", ID_FORMAT)?;
        Ok(Value::object([
            ("model", Value::string(model)),
            ("alias", Value::string(alias)),
        ]))
    }

    fn import_id_format(&self) -> &'static str {
        ID_FORMAT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_names_follow_mlflow_s_rules() {
        for ok in [
            "production",
            "staging-approved",
            "canary_2",
            "v",
            "version1",
        ] {
            assert_eq!(alias_problem(ok), None, "{ok}");
        }
        for bad in ["latest", "LATEST", "v3", "V12", "", "pro duction", "a/b"] {
            assert!(alias_problem(bad).is_some(), "{bad}");
        }
        assert!(alias_problem(&"a".repeat(256)).is_some());
    }

    #[test]
    fn validate_names_the_attribute_at_fault() {
        let config = Value::object([
            ("model", Value::string("m")),
            ("alias", Value::string("latest")),
            ("version", Value::string("latest")),
        ]);
        let diagnostics = ModelAlias.validate(&config);
        let attributes: Vec<_> = diagnostics
            .0
            .iter()
            .filter_map(|d| d.attribute.clone())
            .collect();
        assert_eq!(
            attributes,
            vec![AttrPath::attr("version"), AttrPath::attr("alias")]
        );
    }

    #[test]
    fn import_stub_reads_model_and_alias() {
        let stub = ModelAlias
            .import_stub("GourmetGramFood11Model/production")
            .unwrap();
        assert_eq!(stub.get("model"), &Value::string("GourmetGramFood11Model"));
        assert_eq!(stub.get("alias"), &Value::string("production"));
        let err = ModelAlias.import_stub("production").unwrap_err();
        assert!(err.0[0].detail.contains("MODEL/ALIAS"));
    }
}
