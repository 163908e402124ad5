//! The contract between the ggplan engine and its providers.
//!
//! The engine never names a provider type and providers never see the graph: everything that
//! crosses that line is defined here. A provider implements [`Provider`]; it describes its
//! resource types with a [`Schema`], receives and returns [`Value`]s, and reports problems as
//! [`Diagnostic`]s.

mod diagnostic;
mod path;
mod provider;
mod schema;
mod value;

pub use diagnostic::{Diagnostic, Diagnostics, Severity, SourcePos, SourceRange};
pub use path::{AttrPath, PathStep};
pub use provider::{
    ApplyRequest, ApplyResponse, PlanRequest, PlanResponse, Provider, ProviderFactory, ReadRequest,
    ResourceKind,
};
pub use schema::{Attribute, BlockNesting, NestedBlock, ProviderSchema, Schema, Type, set_of};
pub use value::{Number, Value};
