//! Drift as text for people: each object changed or deleted outside ggplan with its attribute
//! diff (as Terraform prints "Objects have changed outside of Terraform"), then a summary.

use super::human::resource_block;
use super::{Style, ansi};
use crate::plan::{Action, ResourceChange};

/// What happened to a drifted object, after its address.
pub fn headline(change: &ResourceChange) -> &'static str {
    if change.action == Action::Delete {
        "has been deleted"
    } else {
        "has changed"
    }
}

/// `N changed, M deleted outside ggplan`.
pub fn summary(changes: &[ResourceChange]) -> String {
    let deleted = changes
        .iter()
        .filter(|c| c.action == Action::Delete)
        .count();
    format!(
        "{} changed, {deleted} deleted outside ggplan",
        changes.len() - deleted
    )
}

/// The drift report; `checked` is how many managed objects were refreshed.
pub fn drift(changes: &[ResourceChange], checked: usize, style: &Style) -> String {
    if changes.is_empty() {
        return format!(
            "{} The {checked} managed object(s) match the state.\n",
            style.paint(&format!("{};{}", ansi::BOLD, ansi::GREEN), "No drift.")
        );
    }
    let mut out = String::from("Objects have changed outside of ggplan since the last apply:\n\n");
    for change in changes {
        out.push_str(&resource_block(change, headline(change), style));
        out.push('\n');
    }
    out.push_str(&format!(
        "{} {} (of {checked} managed objects). Run `ggplan apply --refresh-only` to accept \
         these changes into the state, or `ggplan apply` to put the configuration back.\n",
        style.paint(ansi::BOLD, "Drift:"),
        summary(changes)
    ));
    out
}
