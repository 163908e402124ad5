//! Plans and drift as GitHub-flavoured Markdown for pull-request comments: a summary line,
//! destroys and replacements called out first, a table of changed resources, one collapsible
//! `<details>` section per resource with its diff, and the output changes. The comment stays
//! under GitHub's 65,536-character limit: what does not fit is left out with a note saying so.
//!
//! The diffs are the human renderer's text with each line's change symbol moved to the first
//! column (`~` becomes `!`), so GitHub colours them as a diff. Secrets never appear: the
//! human renderer prints them as `(sensitive value)`.

use super::human::{counts, describe, headline, is_shown, output_changes, resource_block};
use super::{Style, drift};
use crate::plan::{Action, OutputChange, Plan, ResourceChange};
use std::fmt::Write;

/// GitHub's limit on the length of a comment.
pub const COMMENT_LIMIT: usize = 65_536;

/// Room kept for the truncation note and closing text.
const RESERVE: usize = 1_024;

/// At most this many destroys are listed in the call-out; the table has them all.
const CALLOUT_MAX: usize = 20;

const PLAIN: Style = Style { color: false };

/// A comment under construction, within a length budget.
struct Comment {
    text: String,
    limit: usize,
    omitted: usize,
}

impl Comment {
    fn new(limit: usize) -> Comment {
        Comment {
            text: String::new(),
            limit,
            omitted: 0,
        }
    }

    /// Appends `part` if it fits in the budget (less the reserve); counts it as omitted if not.
    fn push(&mut self, part: &str) -> bool {
        if self.text.len() + part.len() + RESERVE <= self.limit {
            self.text.push_str(part);
            true
        } else {
            self.omitted += 1;
            false
        }
    }

    /// The text, with a note when something was left out.
    fn finish(mut self, what: &str) -> String {
        if self.omitted > 0 {
            let _ = write!(
                self.text,
                "\n> [!NOTE]\n> This comment was shortened to fit GitHub's {COMMENT_LIMIT}-character \
                 limit: {} {what} not shown. The full text is in the CI log \
                 (`ggplan show PLANFILE` prints it).\n",
                self.omitted
            );
        }
        self.text
    }
}

/// Destroys first, then replacements, updates, creates and reads; by address within each.
fn order(action: Action) -> u8 {
    match action {
        Action::Delete => 0,
        Action::DeleteThenCreate | Action::CreateThenDelete => 1,
        Action::Update => 2,
        Action::Create => 3,
        Action::Read => 4,
        Action::Forget => 5,
        Action::NoOp => 6,
    }
}

fn action_word(action: Action) -> &'static str {
    match action {
        Action::NoOp => "no-op",
        Action::Create => "create",
        Action::Read => "read",
        Action::Update => "update",
        Action::DeleteThenCreate => "replace (destroy, then create)",
        Action::CreateThenDelete => "replace (create, then destroy)",
        Action::Delete => "destroy",
        Action::Forget => "forget (no longer managed, not destroyed)",
    }
}

/// A code fence longer than any run of backticks in `text`.
fn fence(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

/// The human text with each change symbol moved to the first column, for a ```diff block.
fn diff_text(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        let symbol = line[indent..].chars().next();
        match symbol {
            Some(c @ ('+' | '-' | '~')) if indent > 0 => {
                out.push(if c == '~' { '!' } else { c });
                out.push_str(&line[1..indent]);
                out.push(' ');
                out.push_str(&line[indent + 1..]);
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// A fenced `diff` block of `text`.
fn diff_block(text: &str) -> String {
    let body = diff_text(text);
    let fence = fence(&body);
    format!("{fence}diff\n{body}{fence}\n")
}

/// One resource's collapsible section.
fn details(change: &ResourceChange, headline: &str) -> String {
    let block = resource_block(change, headline, &PLAIN);
    format!(
        "<details><summary><code>{}</code> {headline}</summary>\n\n{}\n</details>\n",
        html_escape(&change.label()),
        diff_block(&block)
    )
}

/// Text safe inside HTML (addresses may hold quotes and any for_each key).
fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Text safe inside a Markdown table cell's code span.
fn table_code(text: &str) -> String {
    format!("<code>{}</code>", html_escape(text).replace('|', "&#124;"))
}

/// The plan as a pull-request comment.
pub fn plan(plan: &Plan) -> String {
    plan_within(plan, COMMENT_LIMIT)
}

fn plan_within(plan: &Plan, limit: usize) -> String {
    let mut changes: Vec<&ResourceChange> = plan
        .resource_changes
        .iter()
        .filter(|c| is_shown(c))
        .collect();
    changes.sort_by_cached_key(|c| (order(c.action), c.label()));
    let outputs: Vec<&OutputChange> = plan
        .output_changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .collect();
    let mut comment = Comment::new(limit);
    if changes.is_empty() && outputs.is_empty() {
        comment.push(
            "### ggplan plan: no changes\n\nThe real infrastructure matches the configuration.\n",
        );
        return comment.finish("parts");
    }
    comment.push(&heading(&changes));
    if !changes.is_empty() {
        push_changes(&mut comment, &changes);
    }
    if !outputs.is_empty() {
        let text = output_changes(&outputs, &PLAIN);
        comment.push(&format!(
            "\n#### Changes to outputs\n\n{}",
            diff_block(&text)
        ));
    }
    comment.finish("parts (table rows, resource diffs or outputs) were")
}

/// The comment's heading: the counts, and a caution naming what is destroyed or replaced.
fn heading(changes: &[&ResourceChange]) -> String {
    let (add, change, destroy) = counts(changes.iter().copied());
    let imports = changes.iter().filter(|c| c.importing.is_some()).count();
    let imports = match imports {
        0 => String::new(),
        n => format!("{n} to import, "),
    };
    let mut head = format!(
        "### ggplan plan: {imports}{add} to add, {change} to change, {destroy} to destroy\n\n"
    );
    let destructive: Vec<&&ResourceChange> = changes
        .iter()
        .filter(|c| c.action == Action::Delete || c.action.is_replace())
        .collect();
    if !destructive.is_empty() {
        head.push_str("> [!CAUTION]\n> This plan destroys or replaces objects:\n>\n");
        for c in destructive.iter().take(CALLOUT_MAX) {
            let _ = writeln!(
                head,
                "> - {} {}",
                table_code(&c.label()),
                headline(c.action, c.reason.as_ref())
            );
        }
        if destructive.len() > CALLOUT_MAX {
            let _ = writeln!(
                head,
                "> - and {} more (see the table)",
                destructive.len() - CALLOUT_MAX
            );
        }
        head.push('\n');
    }
    head
}

/// The table of changes, then each change's diff.
fn push_changes(comment: &mut Comment, changes: &[&ResourceChange]) {
    comment.push("| Action | Resource |\n|---|---|\n");
    for c in changes {
        let word = match (&c.moved_from, &c.importing, c.action) {
            (_, Some(_), Action::NoOp) => "import".to_string(),
            (Some(from), _, Action::NoOp) => {
                format!("move from {}", table_code(&from.to_string()))
            }
            _ => action_word(c.action).to_string(),
        };
        // A move or an import alone has no symbol.
        let symbol = match c.action {
            Action::NoOp => String::new(),
            action => format!("`{}` ", action.symbol()),
        };
        comment.push(&format!(
            "| {symbol}{word} | {} |\n",
            table_code(&c.label())
        ));
    }
    comment.push("\n");
    for c in changes {
        comment.push(&details(c, &describe(c)));
    }
}

/// Drift as a comment or issue body; `checked` is how many managed objects were refreshed.
pub fn drift(changes: &[ResourceChange], checked: usize) -> String {
    drift_within(changes, checked, COMMENT_LIMIT)
}

fn drift_within(changes: &[ResourceChange], checked: usize, limit: usize) -> String {
    let mut comment = Comment::new(limit);
    if changes.is_empty() {
        comment.push(&format!(
            "### ggplan drift: no drift\n\nThe {checked} managed object(s) match the state.\n"
        ));
        return comment.finish("parts");
    }
    comment.push(&format!(
        "### ggplan drift: {} (of {checked} managed objects)\n\n\
         | Drift | Resource |\n|---|---|\n",
        drift::summary(changes)
    ));
    let mut sorted: Vec<&ResourceChange> = changes.iter().collect();
    sorted.sort_by_cached_key(|c| (order(c.action), c.label()));
    for c in &sorted {
        comment.push(&format!(
            "| {} | {} |\n",
            drift::headline(c),
            table_code(&c.label())
        ));
    }
    comment.push("\n");
    for c in &sorted {
        comment.push(&details(c, drift::headline(c)));
    }
    comment.push(
        "\nRun `ggplan apply --refresh-only` to accept these changes into the state, or \
         `ggplan apply` to put the configuration back.\n",
    );
    comment.finish("parts (table rows or resource diffs) were")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::InstanceAddr;
    use ggplan_sdk::Value;

    fn change(
        addr: &str,
        action: Action,
        before: Option<Value>,
        after: Option<Value>,
    ) -> ResourceChange {
        ResourceChange::new(
            InstanceAddr::parse(addr).unwrap(),
            crate::address::ProviderAddr::default_of("terraform"),
            action,
            before,
            after,
        )
    }

    fn obj(input: &str) -> Value {
        Value::object([
            ("id", Value::string("x")),
            ("input", Value::string(input)),
            ("secret", Value::string("hunter2").into_sensitive()),
        ])
    }

    #[test]
    fn symbols_move_to_the_first_column_keeping_alignment() {
        let text = "  # a will be updated in-place\n  ~ resource \"t\" \"a\" {\n        id = 1\n      ~ x  = 1 -> 2\n      - y  = 3 -> null\n    }\n-/+ resource\n";
        assert_eq!(
            diff_text(text),
            "  # a will be updated in-place\n!   resource \"t\" \"a\" {\n        id = 1\n!       x  = 1 -> 2\n-       y  = 3 -> null\n    }\n-/+ resource\n"
        );
    }

    #[test]
    fn fences_outgrow_backticks_in_the_content() {
        assert_eq!(fence("no ticks"), "```");
        assert_eq!(fence("a ```` b"), "`````");
    }

    #[test]
    fn long_plans_are_shortened_with_a_note_and_no_secret() {
        let changes: Vec<ResourceChange> = (0..400)
            .map(|i| {
                change(
                    &format!("terraform_data.n[{i}]"),
                    Action::Update,
                    Some(obj(&"a".repeat(200))),
                    Some(obj(&"b".repeat(200))),
                )
            })
            .collect();
        let plan = Plan {
            resource_changes: changes,
            output_changes: vec![],
            checks: Vec::new(),
        };
        let text = plan_within(&plan, COMMENT_LIMIT);
        assert!(text.len() <= COMMENT_LIMIT, "{}", text.len());
        assert!(text.contains("This comment was shortened"));
        assert!(text.contains("0 to add, 400 to change, 0 to destroy"));
        assert!(!text.contains("hunter2"));
        let full = plan_within(&plan, usize::MAX);
        assert!(!full.contains("shortened"));
        assert_eq!(full.matches("<details>").count(), 400);
    }
}
