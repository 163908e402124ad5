//! The ggplan engine: stack files in, one resource graph, plan, apply, JSON state out.
//!
//! The binary (`main.rs`) is a thin shell over [`cli`]. See ARCHITECTURE.md for the code map.

pub mod address;
pub mod apply;
pub mod checks;
pub mod cli;
pub mod clock;
pub mod conditions;
pub mod config;
pub mod drift;
pub mod encryption;
pub mod events;
pub mod fmt;
pub mod genconfig;
pub mod graph;
pub mod import;
pub mod lang;
pub mod locks;
pub mod log;
pub mod migrate;
pub mod moved;
pub mod plan;
pub mod planfile;
pub mod providers;
pub mod removed;
pub mod render;
pub mod run;
pub mod scope;
pub mod slots;
pub mod state;
pub mod suggest;
pub mod vars;
pub mod walk;
