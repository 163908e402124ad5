//! Progress lines for people, as Terraform prints them during apply:
//! `random_password.pg: Creating...`, `... Creation complete after 0s [id=none]`.

use super::Style;
use crate::events::Event;
use crate::plan::Action;

/// Whether people see a line for the event: as in Terraform, the end of a refresh is only
/// for machines (`refresh_complete`), its start being all a reader needs.
pub fn is_shown(event: &Event) -> bool {
    !matches!(event, Event::Refreshed { .. })
}

/// The line for one event.
pub fn line(event: &Event, style: &Style) -> String {
    let id = |id: &Option<String>| match id {
        Some(id) => format!(" [id={id}]"),
        None => String::new(),
    };
    match event {
        Event::Refreshing { addr, id: i } => format!("{addr}: Refreshing state...{}", id(i)),
        Event::Refreshed { addr, id: i } => format!("{addr}: Refresh complete{}", id(i)),
        Event::ApplyStarted {
            addr,
            action,
            id: i,
        } => {
            let (verb, show_id) = match action {
                Action::Delete => ("Destroying...", true),
                Action::Update => ("Modifying...", true),
                Action::Read => ("Reading...", false),
                _ => ("Creating...", false),
            };
            let suffix = if show_id { id(i) } else { String::new() };
            format!(
                "{}: {verb}{suffix}",
                style.paint(super::ansi::BOLD, &addr.to_string())
            )
        }
        Event::ApplyProgress {
            addr,
            action,
            elapsed,
        } => format!(
            "{addr}: Still {}... [{}s elapsed]",
            doing(*action),
            elapsed.as_secs()
        ),
        Event::ApplyFinished {
            addr,
            action,
            elapsed,
            id: i,
        } => {
            let what = match action {
                Action::Delete => "Destruction complete",
                Action::Update => "Modifications complete",
                Action::Read => "Read complete",
                _ => "Creation complete",
            };
            let suffix = if *action == Action::Delete {
                String::new()
            } else {
                id(i)
            };
            format!(
                "{}: {what} after {}s{suffix}",
                style.paint(super::ansi::BOLD, &addr.to_string()),
                elapsed.as_secs()
            )
        }
        Event::ProvisionStarted { addr, provisioner } => {
            format!("{addr}: Provisioning with '{provisioner}'...")
        }
        Event::ProvisionOutput {
            addr,
            provisioner,
            line,
        } => format!("{addr} ({provisioner}): {line}"),
        Event::ApplyFailed { addr, action } => format!(
            "{}: Error while {}",
            style.paint(super::ansi::RED, &addr.to_string()),
            doing(*action)
        ),
    }
}

/// What a change is doing, as its progress and error lines say it.
fn doing(action: Action) -> &'static str {
    match action {
        Action::Delete => "destroying",
        Action::Update => "modifying",
        Action::Read => "reading",
        _ => "creating",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::InstanceAddr;
    use std::time::Duration;

    #[test]
    fn lines_read_like_terraform() {
        let addr = InstanceAddr::parse("random_password.pg").unwrap();
        let plain = Style::default();
        let done = Event::ApplyFinished {
            addr: addr.clone(),
            action: Action::Create,
            elapsed: Duration::from_millis(2100),
            id: Some("none".into()),
        };
        assert_eq!(
            line(&done, &plain),
            "random_password.pg: Creation complete after 2s [id=none]"
        );
        let tick = Event::ApplyProgress {
            addr,
            action: Action::Delete,
            elapsed: Duration::from_secs(10),
        };
        assert_eq!(
            line(&tick, &plain),
            "random_password.pg: Still destroying... [10s elapsed]"
        );
    }
}
