//! The typed resource layer: what terraform-plugin-framework is to Go providers.
//!
//! A provider written on this layer is its client and its types, nothing else:
//!
//! - [`TypedProvider`] names the provider, describes its `provider` block and turns that block
//!   into the client every call gets (an HTTP session, an SSH pool, `()`);
//! - each managed type implements [`ResourceType`] (schema, checks, plan refinements, read,
//!   create, update, delete, import id, the search for an unfinished create's object) and each data source [`DataSourceType`];
//! - [`factory`] builds the [`TypeTable`], which implements the raw [`crate::Provider`]
//!   protocol from them: it dispatches by type name (and function name, for the provider's
//!   [`ProviderFunction`]s), keeps the configured client in its slot,
//!   applies the planning rules every type shares ([`planning`]), turns failed writes into the
//!   partial states the engine records, and speaks the standard errors (an unsupported type, a
//!   call before configure, a type that cannot be imported, an import id that finds nothing).

mod planning;
mod table;

pub use planning::plan_with_rules;
pub use table::{TypeTable, factory};

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::function::{FunctionError, FunctionSignature};
use crate::path::AttrPath;
use crate::provider::{Found, PlanRequest};
use crate::schema::Schema;
use crate::value::Value;
use async_trait::async_trait;
use std::time::SystemTime;

/// A provider built from typed resource types.
#[async_trait]
pub trait TypedProvider: Sized + Send + Sync + 'static {
    /// What [`TypedProvider::configure`] makes and every call then receives.
    type Client: Send + Sync + 'static;
    /// What the types' calls fail with.
    type Error: CallError;

    /// The provider's local name in stack files (`openstack`, `random`...).
    const NAME: &'static str;
    /// The source address of the Terraform provider whose types it mirrors
    /// (`registry.terraform.io/hashicorp/random`), which `show -json` prints as
    /// `provider_name` so that tools written for Terraform recognise it.
    const SOURCE: &'static str;

    /// The schema of the `provider "NAME" { ... }` block (none by default).
    fn schema() -> Schema {
        Schema::default()
    }

    /// The managed resource types.
    fn resources() -> Vec<Box<dyn ResourceType<Self>>>;

    /// The data sources (none by default).
    fn data_sources() -> Vec<Box<dyn DataSourceType<Self>>> {
        Vec::new()
    }

    /// The provider's functions, `provider::NAME::FUNC(...)` in stack files (none by
    /// default).
    fn functions() -> Vec<Box<dyn ProviderFunction>> {
        Vec::new()
    }

    /// Makes the client from the evaluated `provider` block (wholly known, without marks).
    async fn configure(config: &Value) -> Result<Self::Client, Diagnostics>;
}

/// One provider-defined function. It gets no client: as in Terraform, functions work on an
/// unconfigured provider, so they may be called anywhere, even before any provider block is
/// evaluated.
pub trait ProviderFunction: Send + Sync {
    /// The name after `provider::NAME::`.
    fn name(&self) -> &'static str;

    fn signature(&self) -> FunctionSignature;

    /// Computes the result from arguments converted to the parameter types, wholly known,
    /// without marks, and null only where a parameter allows it. The result must be wholly
    /// known.
    fn call(&self, args: &[Value]) -> Result<Value, FunctionError>;
}

/// An error of a provider's own calls, turned into diagnostics once the layer knows what was
/// being done ("Cannot create openstack_networking_port_v2").
pub trait CallError: Send + 'static {
    fn into_diagnostics(self, doing: &str) -> Diagnostics;

    /// Whether the call was sent and its answer lost, so that a create may have made its
    /// object (see [`crate::ApplyResponse::outcome_unknown`]); a [`Partial`] made from the
    /// error says so.
    fn outcome_unknown(&self) -> bool {
        false
    }
}

/// Diagnostics already say what failed; they pass unchanged.
impl CallError for Diagnostics {
    fn into_diagnostics(self, _doing: &str) -> Diagnostics {
        self
    }
}

/// A create or update that failed, with the state of whatever it left behind, so that the
/// engine records what exists.
#[derive(Debug)]
pub struct Partial<E> {
    /// The object as it exists after the failure; `None` when a create made nothing, or
    /// when an update left the prior object as it was.
    pub state: Option<Value>,
    pub error: E,
    /// The request was sent and its answer lost: a create may have made its object (see
    /// [`crate::ApplyResponse::outcome_unknown`]).
    pub outcome_unknown: bool,
}

impl<E: CallError> From<E> for Partial<E> {
    fn from(error: E) -> Partial<E> {
        Partial {
            state: None,
            outcome_unknown: error.outcome_unknown(),
            error,
        }
    }
}

impl<E> Partial<E> {
    /// A failure after `state` came to exist.
    pub fn left(state: Value, error: E) -> Partial<E> {
        Partial {
            state: Some(state),
            error,
            outcome_unknown: false,
        }
    }

    /// The same failure with its error changed (placed at an attribute, say).
    pub fn map_error<F>(self, change: impl FnOnce(E) -> F) -> Partial<F> {
        Partial {
            state: self.state,
            error: change(self.error),
            outcome_unknown: self.outcome_unknown,
        }
    }

    /// A failure whose answer was lost: the object may exist.
    pub fn unknown(error: E) -> Partial<E> {
        Partial {
            state: None,
            error,
            outcome_unknown: true,
        }
    }
}

/// One managed resource type of provider `P`.
///
/// Planning starts from the engine's proposed new state; the layer fills in the schema's
/// defaults, [`ResourceType::computed_blocks`] and [`ResourceType::derived`] attributes
/// ([`plan_with_rules`]), then lets the type refine the result ([`ResourceType::modify_plan`]).
#[async_trait]
pub trait ResourceType<P: TypedProvider>: Send + Sync {
    /// The type's name (`openstack_networking_port_v2`).
    fn name(&self) -> &'static str;

    fn schema(&self) -> Schema;

    /// Checks a configuration beyond the schema, without the client (conflicting attributes,
    /// formats). Values not yet known are the type's to skip.
    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Computed attributes (or computed blocks) that become unknown when one of the listed
    /// attributes changes in an update, unless the configuration sets them itself.
    fn derived(&self) -> &'static [(&'static str, &'static [&'static str])] {
        &[]
    }

    /// Nested blocks the service fills in when the configuration has none (Terraform's
    /// optional and computed blocks): kept from the prior state, unknown on create.
    fn computed_blocks(&self) -> &'static [&'static str] {
        &[]
    }

    /// Refines the planned state for rules the schema cannot express (Terraform's
    /// ModifyPlan): a value the service spells its own way kept as the prior spelling, computed
    /// values only apply can tell made unknown, a check against the service. Returns the
    /// changed paths that replace the object although they are not force-new. `warnings`
    /// takes what a reviewer of the plan should know.
    async fn modify_plan(
        &self,
        _client: &P::Client,
        _request: &PlanRequest<'_>,
        _planned: &mut Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Vec<AttrPath>, P::Error> {
        Ok(Vec::new())
    }

    /// Refreshes the object `state` describes; `None` when it is gone.
    async fn read(&self, client: &P::Client, state: &Value) -> Result<Option<Value>, P::Error>;

    /// Creates the object and returns its state. `warnings` takes what the user should know
    /// about a write that succeeded (the same goes for update and delete).
    async fn create(
        &self,
        client: &P::Client,
        planned: &Value,
        warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<P::Error>>;

    /// Changes the object in place and returns its state.
    async fn update(
        &self,
        client: &P::Client,
        prior: &Value,
        planned: &Value,
        warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<P::Error>>;

    /// Deletes the object; one already gone is not an error.
    async fn delete(
        &self,
        client: &P::Client,
        prior: &Value,
        warnings: &mut Diagnostics,
    ) -> Result<(), P::Error>;

    /// Looks for the object an unfinished create made since `since` (see
    /// [`crate::Provider::find_created`]): [`Found::Object`] holds the least state
    /// [`ResourceType::read`] needs to read it, as after a create (the configuration with the
    /// object's id). The default cannot tell.
    async fn find_created(
        &self,
        _client: &P::Client,
        _config: &Value,
        _since: SystemTime,
    ) -> Result<Found, P::Error> {
        Ok(Found::CannotTell(format!(
            "the provider cannot look for a {} it may have made",
            self.name()
        )))
    }

    /// The least state [`ResourceType::read`] needs to find the object an import id names
    /// (Terraform's ImportState). The default refuses: the type cannot be imported.
    fn import_stub(&self, _id: &str) -> Result<Value, Diagnostics> {
        Err(Diagnostic::error(
            format!("{} cannot be imported", self.name()),
            "This resource type does not support import; declare it and let ggplan create it.",
        )
        .into())
    }

    /// How an import id of this type looks, for the message when it finds nothing.
    fn import_id_format(&self) -> &'static str {
        "the object's id"
    }
}

/// One data source of provider `P`.
#[async_trait]
pub trait DataSourceType<P: TypedProvider>: Send + Sync {
    /// The data source's name (`openstack_images_image_v2`).
    fn name(&self) -> &'static str;

    fn schema(&self) -> Schema;

    /// Checks a configuration beyond the schema, without the client.
    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Looks the object up from the configuration.
    async fn read(&self, client: &P::Client, config: &Value) -> Result<Value, P::Error>;
}
