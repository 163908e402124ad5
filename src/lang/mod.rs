//! The expression language: evaluation, templates, references and the function library.

pub mod body;
pub mod eval;
pub mod functions;
pub mod references;
mod template;
pub mod types;
