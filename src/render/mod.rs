//! Renderers for people: the plan as `terraform plan` prints it ([`plan`]), diagnostics with
//! source snippets ([`diagnostics`]) and single values in console syntax ([`value`]).
//!
//! Every renderer honours sensitive marks: the content of a [`ggplan_sdk::Value::Sensitive`]
//! is never printed, not even its length or kind.

pub mod diagnostic;
mod diff;
pub mod drift;
pub mod human;
pub mod json;
pub mod json_events;
pub mod live;
pub mod markdown;
pub mod progress;
pub mod schema_doc;
pub mod state;
mod value;

pub use diagnostic::diagnostics;
pub use human::{LayerOf, plan, plan_by_layer};
pub use value::{value, value_at};

/// The column names are aligned to (`name = value`): the longest of `lengths`, but at most
/// 1,000, past which alignment helps no reader and a format width would be refused.
pub(crate) fn align_width(lengths: impl Iterator<Item = usize>) -> usize {
    lengths.max().unwrap_or(0).min(1_000)
}

/// How to print: with ANSI colours or as plain text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Style {
    pub color: bool,
}

/// ANSI codes used by the renderers.
mod ansi {
    pub const BOLD: &str = "1";
    pub const UNDERLINE: &str = "4";
    pub const RED: &str = "31";
    pub const GREEN: &str = "32";
    pub const YELLOW: &str = "33";
    pub const CYAN: &str = "36";
    pub const GREY: &str = "90";
}

impl Style {
    /// `text` wrapped in the ANSI code `code` when colouring, else `text` as is.
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}
