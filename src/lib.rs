//! The ggplan engine: stack files in, one resource graph, plan, apply, JSON state out.
//!
//! The binary (`main.rs`) is a thin shell over [`cli`]. See ARCHITECTURE.md for the code map.

pub mod address;
pub mod config;
pub mod graph;
pub mod lang;
pub mod plan;
pub mod render;
pub mod scope;
pub mod state;
pub mod suggest;
pub mod walk;
pub mod providers;
pub mod events;
pub mod clock;
pub mod run;
pub mod fmt;
pub mod apply;
