//! The ggplan engine: stack files in, one resource graph, plan, apply, JSON state out.
//!
//! The binary (`main.rs`) is a thin shell over [`cli`]. See ARCHITECTURE.md for the code map.

pub mod address;
pub mod lang;
pub mod plan;
