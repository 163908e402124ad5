//! The contract between the ggplan engine and its providers.
//!
//! The engine never names a provider type and providers never see the graph: everything that
//! crosses that line is defined here. A provider implements [`Provider`]; it describes its
//! resource types with a [`Schema`], receives and returns [`Value`]s, and reports problems as
//! [`Diagnostic`]s; it may offer functions ([`FunctionSignature`], called through
//! [`Provider::call_function`]). Most providers implement it through the typed resource layer
//! ([`typed`]): their client and their types, nothing else. [`objchange`] holds the rules of
//! what a planned object may become, shared by the engine and providers.

mod diagnostic;
mod function;
pub mod hcl;
pub mod objchange;
mod path;
mod provider;
mod schema;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod typed;
mod value;

pub use diagnostic::{Diagnostic, Diagnostics, Severity, SourcePos, SourceRange};
pub use function::{FunctionError, FunctionParameter, FunctionSignature};
pub use path::{AttrPath, PathStep};
pub use provider::{
    ApplyRequest, ApplyResponse, CLOCK_SLACK, FindRequest, Found, NewProvider, PlanRequest,
    PlanResponse, Provider, ProviderFactory, ReadRequest, ResourceKind,
};
pub use schema::{Attribute, BlockNesting, NestedBlock, ProviderSchema, Schema, Type, set_of};
pub use value::{Number, Value};
