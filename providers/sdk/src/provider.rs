//! The provider protocol, modelled on Terraform's plugin protocol.
//!
//! Values the engine sends carry no sensitive marks: the engine strips them before a call and
//! restores them (plus the schema's sensitive attributes) after. A provider may mark parts of
//! what it returns sensitive (a secret its schema cannot name, such as the data of a Secret
//! inside a dynamic manifest); the engine keeps those marks too. Values may contain
//! [`Value::Unknown`] during planning, never during apply.

use crate::diagnostic::Diagnostics;
use crate::function::FunctionError;
use crate::path::AttrPath;
use crate::schema::ProviderSchema;
use crate::value::Value;
use async_trait::async_trait;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// Whether a type is a managed resource or a data source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResourceKind {
    Managed,
    Data,
}

/// Refresh one resource instance from reality.
#[derive(Debug)]
pub struct ReadRequest<'a> {
    pub type_name: &'a str,
    /// The state recorded after the last apply.
    pub state: &'a Value,
}

/// Plan one resource instance.
#[derive(Debug)]
pub struct PlanRequest<'a> {
    pub type_name: &'a str,
    /// The refreshed prior state; `None` when the instance is being created.
    pub prior: Option<&'a Value>,
    /// The evaluated configuration (may contain unknowns).
    pub config: &'a Value,
    /// [`crate::objchange::proposed_new`] of prior and config: the answer when the provider has
    /// nothing to add.
    pub proposed: &'a Value,
}

/// What a provider plans for one resource instance.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanResponse {
    /// The state the instance will have after apply; unknown where only apply can tell.
    pub planned: Value,
    /// Paths, beyond the schema's force-new attributes, whose change forces replacement.
    pub requires_replace: Vec<AttrPath>,
    /// What a reviewer of the plan should know (warnings only: errors fail the call).
    pub warnings: Diagnostics,
}

impl PlanResponse {
    /// A plan of `planned` with nothing more to say.
    pub fn of(planned: Value) -> PlanResponse {
        PlanResponse {
            planned,
            requires_replace: Vec::new(),
            warnings: Diagnostics::new(),
        }
    }
}

/// Create, update or delete one resource instance.
#[derive(Debug)]
pub struct ApplyRequest<'a> {
    pub type_name: &'a str,
    /// `None` to create.
    pub prior: Option<&'a Value>,
    /// `None` to delete.
    pub planned: Option<&'a Value>,
    /// The configuration, wholly known.
    pub config: &'a Value,
}

/// The outcome of an apply. A failed create that left something behind returns both the
/// partial state and the error, so the engine records what exists.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplyResponse {
    /// The state after the call; `None` when the instance no longer exists.
    pub new_state: Option<Value>,
    pub diagnostics: Diagnostics,
    /// A create failed without knowing whether the service made the object: the request
    /// was sent and its answer lost (a timeout, a reset connection, a truncated body). The
    /// engine keeps the create pending in state, and the next plan asks
    /// [`Provider::find_created`] for the object instead of creating a second one.
    pub outcome_unknown: bool,
}

impl ApplyResponse {
    /// A successful apply.
    pub fn ok(new_state: Option<Value>) -> ApplyResponse {
        ApplyResponse {
            new_state,
            diagnostics: Diagnostics::new(),
            outcome_unknown: false,
        }
    }

    /// A failed apply that changed nothing: the prior state stands.
    pub fn failed(prior: Option<&Value>, diagnostics: Diagnostics) -> ApplyResponse {
        ApplyResponse {
            new_state: prior.cloned(),
            diagnostics,
            outcome_unknown: false,
        }
    }

    /// A create whose answer was lost after its request was sent: the object may exist.
    pub fn outcome_unknown(diagnostics: Diagnostics) -> ApplyResponse {
        ApplyResponse {
            new_state: None,
            diagnostics,
            outcome_unknown: true,
        }
    }
}

/// Look for the object an unfinished create may have made: the run that sent it was
/// killed, or the create's answer was lost ([`ApplyResponse::outcome_unknown`]).
#[derive(Debug)]
pub struct FindRequest<'a> {
    pub type_name: &'a str,
    /// The instance's configuration as the plan evaluates it now (may contain unknowns).
    pub config: &'a Value,
    /// When the create began, less [`CLOCK_SLACK`]: an object made before is not the one
    /// looked for.
    pub since: SystemTime,
}

/// How far a service's clock may lag the engine's: an object a service stamps as made up to
/// this long before a create began still counts as that create's.
pub const CLOCK_SLACK: Duration = Duration::from_secs(60);

/// What [`Provider::find_created`] found.
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    /// The object the create made, as a state [`Provider::read`] would return.
    Object(Value),
    /// The create made nothing: planning it again cannot make a second object.
    Nothing,
    /// The provider cannot tell (it cannot look, or several objects match); says why.
    CannotTell(String),
}

/// A provider: the only door from the engine to the outside world.
///
/// One instance serves one `provider` block (one alias); `configure` is called once before
/// any other call except `schema` and `validate`. Providers retry transient faults themselves.
#[async_trait]
pub trait Provider: Send + Sync {
    /// The provider's types and their schemas.
    fn schema(&self) -> ProviderSchema;

    /// Checks a configuration beyond what the schema says (conflicting attributes...).
    fn validate(&self, _kind: ResourceKind, _type_name: &str, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Configures the provider from its `provider` block.
    async fn configure(&self, config: &Value) -> Result<(), Diagnostics>;

    /// Refreshes a managed resource; `Ok(None)` means it no longer exists.
    async fn read(&self, request: ReadRequest<'_>) -> Result<Option<Value>, Diagnostics>;

    /// Plans a managed resource. The default accepts the proposed new state.
    async fn plan(&self, request: PlanRequest<'_>) -> Result<PlanResponse, Diagnostics> {
        Ok(PlanResponse::of(request.proposed.clone()))
    }

    /// Creates, updates or deletes a managed resource.
    async fn apply(&self, request: ApplyRequest<'_>) -> ApplyResponse;

    /// Reads a data source.
    async fn read_data(&self, type_name: &str, config: &Value) -> Result<Value, Diagnostics>;

    /// Reads an existing object into a state, for `ggplan import`.
    async fn import(&self, type_name: &str, id: &str) -> Result<Value, Diagnostics> {
        let _ = id;
        Err(crate::Diagnostic::error(
            format!("{type_name} cannot be imported"),
            "This resource type does not support import; declare it and let ggplan create it.",
        )
        .into())
    }

    /// Looks for the object an unfinished create may have made, so that the plan records it
    /// instead of creating a second one (Pulumi's pending operations, reconciled). The
    /// default cannot tell: the plan then warns and creates again, which is safe only where
    /// the service refuses a duplicate. Types whose objects are not unique by their
    /// configuration (cloud servers, networks) should look by name and creation time.
    async fn find_created(&self, request: FindRequest<'_>) -> Result<Found, Diagnostics> {
        Ok(Found::CannotTell(format!(
            "the provider cannot look for a {} it may have made",
            request.type_name
        )))
    }

    /// Calls the provider function `name` (`provider::NAME::name(...)`). It needs no
    /// configuration and is synchronous, as in Terraform: a function is a pure computation.
    /// The arguments are converted to the parameter types, wholly known and unmarked (the
    /// engine applies the rules of null, unknown and sensitive arguments first); the result
    /// must be wholly known and unmarked. The default offers no function.
    fn call_function(&self, name: &str, args: &[Value]) -> Result<Value, FunctionError> {
        let _ = args;
        Err(FunctionError::new(format!(
            "this provider has no function named {name:?}"
        )))
    }
}

/// Makes a new provider instance.
pub type NewProvider = Arc<dyn Fn() -> Arc<dyn Provider> + Send + Sync>;

/// A named provider implementation the engine can instantiate once per `provider` block.
#[derive(Clone)]
pub struct ProviderFactory {
    /// The local name used in stack files (`random`, `openstack`...).
    pub name: &'static str,
    /// The source address of the Terraform provider it mirrors
    /// (`registry.terraform.io/hashicorp/random`), as `terraform show -json` names it.
    pub source: String,
    pub new: NewProvider,
}

impl ProviderFactory {
    /// A factory that calls `new` for each instance. Its source is the one Terraform implies
    /// for a local name no `required_providers` entry names: `registry.terraform.io/hashicorp/NAME`.
    pub fn new(
        name: &'static str,
        new: impl Fn() -> Arc<dyn Provider> + Send + Sync + 'static,
    ) -> ProviderFactory {
        ProviderFactory {
            name,
            source: format!("registry.terraform.io/hashicorp/{name}"),
            new: Arc::new(new),
        }
    }

    /// The factory with another source address.
    pub fn with_source(self, source: &str) -> ProviderFactory {
        ProviderFactory {
            source: source.to_string(),
            ..self
        }
    }
}

impl std::fmt::Debug for ProviderFactory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderFactory")
            .field("name", &self.name)
            .field("source", &self.source)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A provider that implements only what it must.
    struct Bare;

    #[async_trait]
    impl Provider for Bare {
        fn schema(&self) -> ProviderSchema {
            ProviderSchema::default()
        }

        async fn configure(&self, _: &Value) -> Result<(), Diagnostics> {
            Ok(())
        }

        async fn read(&self, request: ReadRequest<'_>) -> Result<Option<Value>, Diagnostics> {
            Ok(Some(request.state.clone()))
        }

        async fn apply(&self, request: ApplyRequest<'_>) -> ApplyResponse {
            ApplyResponse::ok(request.planned.cloned())
        }

        async fn read_data(&self, _: &str, config: &Value) -> Result<Value, Diagnostics> {
            Ok(config.clone())
        }
    }

    #[test]
    fn a_provider_offers_no_function_by_default() {
        let err = Bare
            .call_function("upper", &[Value::string("a")])
            .unwrap_err();
        assert_eq!(
            err,
            FunctionError::new("this provider has no function named \"upper\"")
        );
        assert!(Bare.schema().functions.is_empty());
    }
}
