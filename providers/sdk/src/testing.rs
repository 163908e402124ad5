//! Drives a provider through the protocol as the engine does, for providers' own tests: the
//! proposed state made by [`crate::objchange`], the provider's checks before a plan, and
//! assertions on what comes back. (Test support: every function panics on an error.)

use crate::diagnostic::Diagnostics;
use crate::objchange;
use crate::provider::{
    ApplyRequest, PlanRequest, PlanResponse, Provider, ReadRequest, ResourceKind,
};
use crate::schema::Schema;
use crate::typed::{TypeTable, TypedProvider};
use crate::value::Value;

/// An instance of provider `P` configured with `config`.
pub async fn configured<P: TypedProvider>(config: &Value) -> TypeTable<P> {
    let provider = TypeTable::<P>::new();
    provider
        .configure(config)
        .await
        .unwrap_or_else(|d| panic!("configure failed:\n{d}"));
    provider
}

/// The schema of a managed resource type.
pub fn schema(provider: &dyn Provider, type_name: &str) -> Schema {
    provider.schema().resources[type_name].clone()
}

/// Plans with the proposed state the engine would pass, after the provider's checks, which
/// must find no error.
pub async fn plan(
    provider: &dyn Provider,
    type_name: &str,
    prior: Option<&Value>,
    config: &Value,
) -> PlanResponse {
    let checked = provider.validate(ResourceKind::Managed, type_name, config);
    assert!(!checked.has_errors(), "{checked}");
    let proposed = objchange::proposed_new(&schema(provider, type_name), prior, config);
    let request = PlanRequest {
        type_name,
        prior,
        config,
        proposed: &proposed,
    };
    provider
        .plan(request)
        .await
        .unwrap_or_else(|d| panic!("plan failed:\n{d}"))
}

/// Creates (no `prior`) or updates an instance, which must succeed and leave a wholly known
/// state.
pub async fn apply(
    provider: &dyn Provider,
    type_name: &str,
    prior: Option<&Value>,
    planned: &Value,
    config: &Value,
) -> Value {
    let request = ApplyRequest {
        type_name,
        prior,
        planned: Some(planned),
        config,
    };
    let response = provider.apply(request).await;
    let errors = &response.diagnostics;
    assert!(!errors.has_errors(), "{errors}");
    let state = response.new_state.expect("apply leaves a state");
    assert!(state.is_wholly_known(), "{state:?}");
    state
}

/// Plans and applies a create.
pub async fn create(provider: &dyn Provider, type_name: &str, config: &Value) -> Value {
    let planned = plan(provider, type_name, None, config).await.planned;
    apply(provider, type_name, None, &planned, config).await
}

/// Destroys an instance, which must leave no state; returns the response's diagnostics.
pub async fn destroy(provider: &dyn Provider, type_name: &str, prior: &Value) -> Diagnostics {
    let request = ApplyRequest {
        type_name,
        prior: Some(prior),
        planned: None,
        config: &Value::Null,
    };
    let response = provider.apply(request).await;
    assert_eq!(response.new_state, None);
    response.diagnostics
}

/// Refreshes an instance, which must succeed.
pub async fn read(provider: &dyn Provider, type_name: &str, state: &Value) -> Option<Value> {
    let request = ReadRequest { type_name, state };
    provider
        .read(request)
        .await
        .unwrap_or_else(|d| panic!("read failed:\n{d}"))
}
