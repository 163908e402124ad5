//! [`TypeTable`]: the raw [`Provider`] protocol implemented from typed resource types.

use super::{
    CallError, DataSourceType, Partial, ProviderFunction, ResourceType, TypedProvider,
    plan_with_rules,
};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::function::FunctionError;
use crate::objchange;
use crate::provider::{
    ApplyRequest, ApplyResponse, CLOCK_SLACK, FindRequest, Found, PlanRequest, PlanResponse,
    Provider, ProviderFactory, ReadRequest, ResourceKind,
};
use crate::schema::{ProviderSchema, Schema};
use crate::value::Value;
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

/// The factory of provider `P`: the engine instantiates one [`TypeTable`] per `provider`
/// block.
pub fn factory<P: TypedProvider>() -> ProviderFactory {
    ProviderFactory::new(P::NAME, || -> Arc<dyn Provider> {
        Arc::new(TypeTable::<P>::new())
    })
    .with_source(P::SOURCE)
}

/// One instance of provider `P`: its types and functions by name, their schemas, and the slot
/// that holds the client once the provider is configured.
pub struct TypeTable<P: TypedProvider> {
    resources: BTreeMap<&'static str, Box<dyn ResourceType<P>>>,
    data_sources: BTreeMap<&'static str, Box<dyn DataSourceType<P>>>,
    functions: BTreeMap<&'static str, Box<dyn ProviderFunction>>,
    schema: ProviderSchema,
    client: OnceLock<P::Client>,
}

impl<P: TypedProvider> Default for TypeTable<P> {
    fn default() -> Self {
        TypeTable::new()
    }
}

impl<P: TypedProvider> TypeTable<P> {
    /// An unconfigured instance.
    pub fn new() -> TypeTable<P> {
        let resources: BTreeMap<_, _> = P::resources().into_iter().map(|r| (r.name(), r)).collect();
        let data_sources: BTreeMap<_, _> = P::data_sources()
            .into_iter()
            .map(|d| (d.name(), d))
            .collect();
        let functions: BTreeMap<_, _> = P::functions().into_iter().map(|f| (f.name(), f)).collect();
        let schema = ProviderSchema {
            provider: P::schema(),
            resources: resources
                .iter()
                .map(|(name, r)| (name.to_string(), r.schema()))
                .collect(),
            data_sources: data_sources
                .iter()
                .map(|(name, d)| (name.to_string(), d.schema()))
                .collect(),
            functions: functions
                .iter()
                .map(|(name, f)| (name.to_string(), f.signature()))
                .collect(),
        };
        TypeTable {
            resources,
            data_sources,
            functions,
            schema,
            client: OnceLock::new(),
        }
    }

    /// The configured client, or the error for a call before configure.
    pub fn client(&self) -> Result<&P::Client, Diagnostics> {
        self.client.get().ok_or_else(|| {
            Diagnostic::error(
                format!("The {} provider is not configured", P::NAME),
                "This is a bug in ggplan: the engine configures a provider before any other call.",
            )
            .into()
        })
    }

    /// The managed type called `name` with its schema, or the error naming what exists.
    fn resource(&self, name: &str) -> Result<(&dyn ResourceType<P>, &Schema), Diagnostics> {
        match (self.resources.get(name), self.schema.resources.get(name)) {
            (Some(resource), Some(schema)) => Ok((resource.as_ref(), schema)),
            _ => Err(unsupported::<P>(ResourceKind::Managed, name)),
        }
    }

    fn data_source(&self, name: &str) -> Result<&dyn DataSourceType<P>, Diagnostics> {
        self.data_sources
            .get(name)
            .map(Box::as_ref)
            .ok_or_else(|| unsupported::<P>(ResourceKind::Data, name))
    }

    /// Creates, updates or deletes through `resource`, with the warnings of a write that
    /// succeeded and the partial state of one that failed.
    async fn write(
        &self,
        resource: &dyn ResourceType<P>,
        prior: Option<&Value>,
        planned: Option<&Value>,
    ) -> ApplyResponse {
        let client = match self.client() {
            Ok(client) => client,
            Err(diagnostics) => return ApplyResponse::failed(prior, diagnostics),
        };
        let mut warnings = Diagnostics::new();
        let name = resource.name();
        let written = match (prior, planned) {
            (None, Some(planned)) => self
                .create(resource, client, planned, &mut warnings)
                .await
                .map(Some),
            (Some(prior), Some(planned)) => resource
                .update(client, prior, planned, &mut warnings)
                .await
                .map(Some)
                .map_err(|partial| failed(partial, Some(prior), &format!("Cannot update {name}"))),
            (Some(prior), None) => resource
                .delete(client, prior, &mut warnings)
                .await
                .map(|()| None)
                .map_err(|e| {
                    ApplyResponse::failed(
                        Some(prior),
                        e.into_diagnostics(&format!("Cannot delete {name}")),
                    )
                }),
            (None, None) => Ok(None),
        };
        match written {
            Ok(new_state) => ApplyResponse {
                new_state,
                diagnostics: warnings,
                outcome_unknown: false,
            },
            Err(mut response) => {
                warnings.extend(response.diagnostics);
                response.diagnostics = warnings;
                response
            }
        }
    }
}

impl<P: TypedProvider> TypeTable<P> {
    /// Creates through `resource`. When the create's answer was lost, looks at once for the
    /// object it made, so that an answer lost on its way back costs nothing; found nothing
    /// (the service may still be making it) or unable to look, the outcome stays unknown.
    async fn create(
        &self,
        resource: &dyn ResourceType<P>,
        client: &P::Client,
        planned: &Value,
        warnings: &mut Diagnostics,
    ) -> Result<Value, ApplyResponse> {
        let began = SystemTime::now() - CLOCK_SLACK;
        let name = resource.name();
        let partial = match resource.create(client, planned, warnings).await {
            Ok(state) => return Ok(state),
            Err(partial) => partial,
        };
        if partial.outcome_unknown && partial.state.is_none() {
            let found = resource.find_created(client, planned, began).await;
            if let Ok(Found::Object(stub)) = found
                && let Ok(Some(state)) = resource.read(client, &stub).await
            {
                warnings.push(Diagnostic::warning(
                    format!("The answer to creating {name} was lost; the object was found"),
                    "The service made the object but its answer did not arrive; the provider \
                     found the object and records it.",
                ));
                return Ok(state);
            }
        }
        Err(failed(partial, None, &format!("Cannot create {name}")))
    }
}

/// The response to a failed create or update: what it left behind, else the prior state.
/// A create that made nothing the type knows of, after a lost answer, may have made its object.
fn failed<E: CallError>(partial: Partial<E>, prior: Option<&Value>, doing: &str) -> ApplyResponse {
    let outcome_unknown = prior.is_none() && partial.state.is_none() && partial.outcome_unknown;
    ApplyResponse {
        new_state: partial.state.or_else(|| prior.cloned()),
        diagnostics: partial.error.into_diagnostics(doing),
        outcome_unknown,
    }
}

fn unsupported<P: TypedProvider>(kind: ResourceKind, name: &str) -> Diagnostics {
    let kind = match kind {
        ResourceKind::Managed => "resource type",
        ResourceKind::Data => "data source",
    };
    Diagnostic::error(
        format!("The {} provider has no {kind} {name:?}", P::NAME),
        format!(
            "Check the spelling of the type; `ggplan providers` lists the types the {} provider \
             offers.",
            P::NAME
        ),
    )
    .into()
}

#[async_trait]
impl<P: TypedProvider> Provider for TypeTable<P> {
    fn schema(&self) -> ProviderSchema {
        self.schema.clone()
    }

    fn validate(&self, kind: ResourceKind, type_name: &str, config: &Value) -> Diagnostics {
        let checked = match kind {
            ResourceKind::Managed => self.resource(type_name).map(|(r, _)| r.validate(config)),
            ResourceKind::Data => self.data_source(type_name).map(|d| d.validate(config)),
        };
        checked.unwrap_or_else(|unsupported| unsupported)
    }

    async fn configure(&self, config: &Value) -> Result<(), Diagnostics> {
        let client = P::configure(config).await?;
        // A second configure of the same instance keeps the first client.
        let _ = self.client.set(client);
        Ok(())
    }

    async fn read(&self, request: ReadRequest<'_>) -> Result<Option<Value>, Diagnostics> {
        let (resource, _) = self.resource(request.type_name)?;
        resource
            .read(self.client()?, request.state)
            .await
            .map_err(|e| e.into_diagnostics(&format!("Cannot read {}", request.type_name)))
    }

    async fn plan(&self, request: PlanRequest<'_>) -> Result<PlanResponse, Diagnostics> {
        let (resource, schema) = self.resource(request.type_name)?;
        let mut planned = plan_with_rules(
            resource,
            schema,
            request.prior,
            request.config,
            request.proposed,
        );
        let mut warnings = Diagnostics::new();
        let requires_replace = resource
            .modify_plan(self.client()?, &request, &mut planned, &mut warnings)
            .await
            .map_err(|e| e.into_diagnostics(&format!("Cannot plan {}", request.type_name)))?;
        Ok(PlanResponse {
            planned,
            requires_replace,
            warnings,
        })
    }

    async fn apply(&self, request: ApplyRequest<'_>) -> ApplyResponse {
        match self.resource(request.type_name) {
            Ok((resource, _)) => self.write(resource, request.prior, request.planned).await,
            Err(diagnostics) => ApplyResponse::failed(request.prior, diagnostics),
        }
    }

    async fn read_data(&self, type_name: &str, config: &Value) -> Result<Value, Diagnostics> {
        let source = self.data_source(type_name)?;
        source
            .read(self.client()?, config)
            .await
            .map_err(|e| e.into_diagnostics(&format!("Cannot read data source {type_name}")))
    }

    /// The import id's stub, read from the service. The result has no configuration to take
    /// blocks from, so its list and set blocks are empty rather than null, as in a
    /// configuration without them: a matching configuration then plans no change.
    async fn import(&self, type_name: &str, id: &str) -> Result<Value, Diagnostics> {
        let (resource, schema) = self.resource(type_name)?;
        let stub = resource.import_stub(id)?;
        let doing = format!("Cannot import {type_name} {id:?}");
        let found = resource
            .read(self.client()?, &stub)
            .await
            .map_err(|e| e.into_diagnostics(&doing))?;
        let state = found.ok_or_else(|| {
            Diagnostics::from(Diagnostic::error(
                doing.clone(),
                format!(
                    "The {} provider found no object with import id {id:?}; the import id of \
                     {type_name} is {}. Check the id, or declare the resource without importing \
                     it so that ggplan creates it.",
                    P::NAME,
                    resource.import_id_format()
                ),
            ))
        })?;
        Ok(objchange::with_empty_block_lists(schema, state))
    }

    /// What the type found, read as after a create (the type's stub holds the configuration
    /// and the object's id, so attributes only the configuration knows are kept).
    async fn find_created(&self, request: FindRequest<'_>) -> Result<Found, Diagnostics> {
        let (resource, _) = self.resource(request.type_name)?;
        let doing = format!("Cannot look for an unfinished {}", request.type_name);
        let client = self.client()?;
        let found = resource
            .find_created(client, request.config, request.since)
            .await
            .map_err(|e| e.into_diagnostics(&doing))?;
        let Found::Object(stub) = found else {
            return Ok(found);
        };
        let read = resource
            .read(client, &stub)
            .await
            .map_err(|e| e.into_diagnostics(&doing))?;
        Ok(read.map_or(Found::Nothing, Found::Object))
    }

    fn call_function(&self, name: &str, args: &[Value]) -> Result<Value, FunctionError> {
        match self.functions.get(name) {
            Some(function) => function.call(args),
            None => Err(FunctionError::new(format!(
                "the {} provider has no function named {name:?}",
                P::NAME
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::function::{FunctionParameter, FunctionSignature};
    use crate::path::AttrPath;
    use crate::schema::{Attribute, Type};

    /// A provider whose one type fails its writes the way the test asks.
    struct Fake;

    #[async_trait]
    impl TypedProvider for Fake {
        type Client = &'static str;
        type Error = Diagnostics;
        const NAME: &'static str = "fake";
        const SOURCE: &'static str = "registry.terraform.io/hashicorp/fake";

        fn resources() -> Vec<Box<dyn ResourceType<Self>>> {
            vec![Box::new(Thing), Box::new(Plain)]
        }

        fn functions() -> Vec<Box<dyn ProviderFunction>> {
            vec![Box::new(Repeat)]
        }

        async fn configure(config: &Value) -> Result<&'static str, Diagnostics> {
            match config.get("fail").as_bool() {
                Some(true) => Err(Diagnostic::error("bad credentials", "").into()),
                _ => Ok("client"),
            }
        }
    }

    struct Thing;

    fn error(summary: &str) -> Diagnostics {
        Diagnostic::error(summary, "").into()
    }

    #[async_trait]
    impl ResourceType<Fake> for Thing {
        fn name(&self) -> &'static str {
            "fake_thing"
        }

        fn schema(&self) -> Schema {
            Schema::new(
                "thing",
                [
                    ("name", Attribute::required(Type::String)),
                    (
                        "size",
                        Attribute::optional(Type::Number).default(Value::int(1)),
                    ),
                    ("id", Attribute::computed(Type::String)),
                ],
            )
        }

        async fn modify_plan(
            &self,
            client: &&'static str,
            _request: &PlanRequest<'_>,
            planned: &mut Value,
            _warnings: &mut Diagnostics,
        ) -> Result<Vec<AttrPath>, Diagnostics> {
            planned.set_attr("id", Value::string(format!("{client}-planned")));
            Ok(vec![AttrPath::attr("name")])
        }

        async fn read(
            &self,
            _: &&'static str,
            state: &Value,
        ) -> Result<Option<Value>, Diagnostics> {
            Ok((state.get("name").as_str() != Some("gone")).then(|| state.clone()))
        }

        async fn create(
            &self,
            _: &&'static str,
            planned: &Value,
            warnings: &mut Diagnostics,
        ) -> Result<Value, Partial<Diagnostics>> {
            match planned.get("name").as_str() {
                Some("half") => Err(Partial::left(planned.clone(), error("half made"))),
                Some("nothing") => Err(error("nothing made").into()),
                _ => {
                    warnings.push(Diagnostic::warning("made with a warning", ""));
                    Ok(planned.clone())
                }
            }
        }

        async fn update(
            &self,
            _: &&'static str,
            _prior: &Value,
            _planned: &Value,
            _: &mut Diagnostics,
        ) -> Result<Value, Partial<Diagnostics>> {
            Err(error("cannot change").into())
        }

        async fn delete(
            &self,
            _: &&'static str,
            _prior: &Value,
            _: &mut Diagnostics,
        ) -> Result<(), Diagnostics> {
            Ok(())
        }

        fn import_stub(&self, id: &str) -> Result<Value, Diagnostics> {
            match id {
                "" => Err(error("an empty id")),
                name => Ok(Value::object([("name", Value::string(name))])),
            }
        }
    }

    /// `provider::fake::repeat(text, times)`.
    struct Repeat;

    impl ProviderFunction for Repeat {
        fn name(&self) -> &'static str {
            "repeat"
        }

        fn signature(&self) -> FunctionSignature {
            FunctionSignature::new(
                "Repeats a text.",
                [
                    FunctionParameter::new("text", Type::String, "What to repeat."),
                    FunctionParameter::new("times", Type::Number, "How often."),
                ],
                Type::String,
            )
        }

        fn call(&self, args: &[Value]) -> Result<Value, FunctionError> {
            let text = args.first().and_then(Value::as_str).unwrap_or_default();
            let times = args
                .get(1)
                .and_then(Value::as_number)
                .and_then(|n| n.as_i64());
            match times.and_then(|n| usize::try_from(n).ok()) {
                Some(n) => Ok(Value::string(text.repeat(n))),
                None => Err(FunctionError::argument(
                    1,
                    "must be a whole number, at least 0",
                )),
            }
        }
    }

    /// A type without import.
    struct Plain;

    #[async_trait]
    impl ResourceType<Fake> for Plain {
        fn name(&self) -> &'static str {
            "fake_plain"
        }

        fn schema(&self) -> Schema {
            Schema::default()
        }

        async fn read(&self, _: &&'static str, _: &Value) -> Result<Option<Value>, Diagnostics> {
            Ok(None)
        }

        async fn create(
            &self,
            _: &&'static str,
            planned: &Value,
            _: &mut Diagnostics,
        ) -> Result<Value, Partial<Diagnostics>> {
            Ok(planned.clone())
        }

        async fn update(
            &self,
            _: &&'static str,
            _prior: &Value,
            planned: &Value,
            _: &mut Diagnostics,
        ) -> Result<Value, Partial<Diagnostics>> {
            Ok(planned.clone())
        }

        async fn delete(
            &self,
            _: &&'static str,
            _prior: &Value,
            _: &mut Diagnostics,
        ) -> Result<(), Diagnostics> {
            Ok(())
        }
    }

    async fn configured() -> TypeTable<Fake> {
        let table = TypeTable::<Fake>::new();
        table.configure(&Value::Null).await.unwrap();
        table
    }

    fn create(name: &str) -> Value {
        Value::object([("name", Value::string(name)), ("size", Value::int(1))])
    }

    async fn apply(
        table: &TypeTable<Fake>,
        prior: Option<&Value>,
        planned: Option<&Value>,
    ) -> ApplyResponse {
        let request = ApplyRequest {
            type_name: "fake_thing",
            prior,
            planned,
            config: &Value::Null,
        };
        table.apply(request).await
    }

    #[tokio::test]
    async fn calls_before_configure_and_unknown_types_get_the_standard_errors() {
        let table = TypeTable::<Fake>::new();
        let state = create("a");
        let read = ReadRequest {
            type_name: "fake_thing",
            state: &state,
        };
        let err = table.read(read).await.unwrap_err();
        assert_eq!(err.0[0].summary, "The fake provider is not configured");
        let err = table
            .read_data("fake_other", &Value::Null)
            .await
            .unwrap_err();
        assert_eq!(
            err.0[0].summary,
            "The fake provider has no data source \"fake_other\""
        );
        let err = table
            .validate(ResourceKind::Managed, "fake_other", &Value::Null)
            .0;
        assert_eq!(
            err[0].summary,
            "The fake provider has no resource type \"fake_other\""
        );
        let failed = TypeTable::<Fake>::new()
            .configure(&Value::object([("fail", Value::Bool(true))]))
            .await;
        assert!(failed.is_err());
    }

    #[tokio::test]
    async fn planning_applies_the_schema_defaults_then_the_types_refinements() {
        let table = configured().await;
        let config = Value::object([("name", Value::string("a"))]);
        let proposed = objchange::proposed_new(&Thing.schema(), None, &config);
        let request = PlanRequest {
            type_name: "fake_thing",
            prior: None,
            config: &config,
            proposed: &proposed,
        };
        let response = table.plan(request).await.unwrap();
        assert_eq!(response.planned.get("size"), &Value::int(1));
        assert_eq!(response.planned.get("id"), &Value::string("client-planned"));
        assert_eq!(response.requires_replace, vec![AttrPath::attr("name")]);
    }

    #[tokio::test]
    async fn failed_writes_record_what_they_left_and_warnings_reach_the_engine() {
        let table = configured().await;
        let made = apply(&table, None, Some(&create("a"))).await;
        assert_eq!(made.new_state, Some(create("a")));
        assert_eq!(made.diagnostics.0[0].summary, "made with a warning");
        assert!(!made.diagnostics.has_errors());

        let half = apply(&table, None, Some(&create("half"))).await;
        assert_eq!(half.new_state, Some(create("half")));
        assert!(half.diagnostics.has_errors());

        let nothing = apply(&table, None, Some(&create("nothing"))).await;
        assert_eq!(nothing.new_state, None);

        // A failed update that says nothing of what it left keeps the prior object.
        let prior = create("a");
        let unchanged = apply(&table, Some(&prior), Some(&create("b"))).await;
        assert_eq!(unchanged.new_state, Some(prior.clone()));
        assert!(unchanged.diagnostics.has_errors());

        let deleted = apply(&table, Some(&prior), None).await;
        assert_eq!(deleted, ApplyResponse::ok(None));
    }

    #[tokio::test]
    async fn import_reads_the_stub_and_refuses_what_it_cannot_find() {
        let table = configured().await;
        let found = table.import("fake_thing", "x").await.unwrap();
        assert_eq!(found, Value::object([("name", Value::string("x"))]));
        let err = table.import("fake_thing", "gone").await.unwrap_err();
        assert_eq!(err.0[0].summary, "Cannot import fake_thing \"gone\"");
        assert!(
            err.0[0]
                .detail
                .contains("found no object with import id \"gone\"")
        );
        let err = table.import("fake_thing", "").await.unwrap_err();
        assert_eq!(err.0[0].summary, "an empty id");
        let err = table.import("fake_plain", "x").await.unwrap_err();
        assert_eq!(err.0[0].summary, "fake_plain cannot be imported");
    }

    #[test]
    fn functions_are_in_the_schema_and_called_by_name_without_configure() {
        let table = TypeTable::<Fake>::new();
        let schema = table.schema();
        let repeat = &schema.functions["repeat"];
        assert_eq!(repeat.parameters[1].name, "times");
        assert_eq!(repeat.return_type, Type::String);
        let args = [Value::string("ab"), Value::int(2)];
        assert_eq!(
            table.call_function("repeat", &args),
            Ok(Value::string("abab"))
        );
        let bad = table.call_function("repeat", &[Value::string("ab"), Value::int(-1)]);
        assert_eq!(bad.unwrap_err().argument, Some(1));
        let missing = table.call_function("reverse", &args).unwrap_err();
        assert_eq!(
            missing,
            FunctionError::new("the fake provider has no function named \"reverse\"")
        );
    }

    #[test]
    fn a_provider_without_functions_leaves_them_out_of_its_json_schema() {
        struct Bare;

        #[async_trait]
        impl TypedProvider for Bare {
            type Client = ();
            type Error = Diagnostics;
            const NAME: &'static str = "bare";
            const SOURCE: &'static str = "registry.terraform.io/hashicorp/bare";

            fn resources() -> Vec<Box<dyn ResourceType<Self>>> {
                Vec::new()
            }

            async fn configure(_: &Value) -> Result<(), Diagnostics> {
                Ok(())
            }
        }

        let bare = serde_json::to_value(TypeTable::<Bare>::new().schema()).unwrap();
        assert!(bare.get("functions").is_none(), "{bare}");
        let fake = serde_json::to_value(TypeTable::<Fake>::new().schema()).unwrap();
        assert_eq!(
            fake["functions"]["repeat"]["parameters"][0]["name"],
            serde_json::json!("text")
        );
    }
}
