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

/// A table of more rows than this is folded into a `<details>` section.
const FOLD_ROWS: usize = 50;

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

    /// Appends `part`, a short closing text, from the reserve.
    fn close(&mut self, part: &str) {
        self.text.push_str(part);
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

/// Destroys first, then replacements, updates, creates and reads; by address within each, an
/// instance key in its own order (`[2]` before `[10]`), as the text plan lists them.
fn sort(changes: &mut [&ResourceChange]) {
    changes.sort_by_cached_key(|c| {
        let addr = &c.addr;
        (
            order(c.action),
            addr.resource.to_string(),
            addr.key.clone(),
            c.deposed.clone(),
        )
    });
}

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
    let mut heredoc: Option<Heredoc> = None;
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        if let Some(open) = heredoc {
            if indent == open.column + 2 && closes_heredoc(&line[indent..]) {
                heredoc = None;
            } else {
                out.push_str(&open.line(line));
                out.push('\n');
                continue;
            }
        }
        let symbol = line[indent..].chars().next();
        match symbol {
            Some(c @ ('+' | '-' | '~')) if indent > 0 => {
                out.push(if c == '~' { '!' } else { c });
                out.push_str(&line[1..indent]);
                out.push(' ');
                out.push_str(&line[indent + 1..]);
                if line.ends_with("<<-EOT") || line.contains("<<-EOT #") {
                    heredoc = Some(Heredoc {
                        symbol: c,
                        column: indent,
                    });
                }
            }
            // A replacement's `-/+` or `+/-` would colour as a removal or an addition.
            Some('-' | '+') if line.starts_with("-/+") || line.starts_with("+/-") => {
                out.push_str("! ");
                out.push_str(line);
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// Whether a line's text (after its indent) ends a heredoc: `EOT`, or `EOT -> null` when the
/// value is destroyed.
fn closes_heredoc(text: &str) -> bool {
    text.trim_end() == "EOT" || text.starts_with("EOT ")
}

/// A multi-line string being shown, opened by an attribute line whose change symbol stood at
/// `column`: the text of a created or destroyed one has no symbols of its own (it takes the
/// attribute's), an updated one's lines carry theirs at `column + 4`.
#[derive(Clone, Copy)]
struct Heredoc {
    symbol: char,
    column: usize,
}

impl Heredoc {
    /// One line inside the heredoc, its symbol in the first column. Its text is never read
    /// as a symbol (a YAML list item starts with `-`).
    fn line(self, line: &str) -> String {
        let at = self.column + 4;
        let own = match self.symbol {
            '~' => line.get(at..at + 1).filter(|c| *c == "+" || *c == "-"),
            _ => None,
        };
        match (own, self.symbol) {
            (Some(c), _) => format!("{c}{} {}", &line[1..at], &line[at + 1..]),
            (None, '~') => line.to_string(),
            (None, c) => format!("{c}{}", line.get(1..).unwrap_or("")),
        }
    }
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

/// The plan of the stack named `stack` as a pull-request comment.
pub fn plan(plan: &Plan, stack: &str) -> String {
    plan_within(plan, stack, COMMENT_LIMIT)
}

fn plan_within(plan: &Plan, stack: &str, limit: usize) -> String {
    let mut changes: Vec<&ResourceChange> = plan
        .resource_changes
        .iter()
        .filter(|c| is_shown(c))
        .collect();
    sort(&mut changes);
    let outputs: Vec<&OutputChange> = plan
        .output_changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .collect();
    let mut comment = Comment::new(limit);
    if changes.is_empty() && outputs.is_empty() {
        comment.push(&format!(
            "### ggplan plan of {}: no changes\n\nThe real infrastructure matches the \
             configuration.\n",
            table_code(stack)
        ));
        return comment.finish("parts");
    }
    comment.push(&heading(&changes, stack));
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
fn heading(changes: &[&ResourceChange], stack: &str) -> String {
    let (add, change, destroy) = counts(changes.iter().copied());
    let imports = changes.iter().filter(|c| c.importing.is_some()).count();
    let imports = match imports {
        0 => String::new(),
        n => format!("{n} to import, "),
    };
    let mut head = format!(
        "### ggplan plan of {}: {imports}{add} to add, {change} to change, {destroy} to \
         destroy\n\n",
        table_code(stack)
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
    let rows: Vec<String> = changes.iter().map(|c| table_row(c)).collect();
    push_table(comment, "| Action | Resource |\n|---|---|\n", &rows);
    for c in changes {
        comment.push(&details(c, &describe(c)));
    }
}

/// One row of the table of changes.
fn table_row(c: &ResourceChange) -> String {
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
    format!("| {symbol}{word} | {} |\n", table_code(&c.label()))
}

/// A table, folded into a `<details>` section when long; the rows that do not fit are
/// counted in a last row (they are the last in order: destroys always come first).
fn push_table(comment: &mut Comment, header: &str, rows: &[String]) {
    let folded = rows.len() > FOLD_ROWS;
    if folded {
        comment.push(&format!(
            "<details><summary>Table of the {} changes</summary>\n\n",
            rows.len()
        ));
    }
    comment.push(header);
    let shown = rows.iter().take_while(|row| comment.push(row)).count();
    if shown < rows.len() {
        // The row that did not fit was counted as omitted: the rest are counted here.
        comment.omitted += rows.len() - shown - 1;
        comment.close(&format!("| … | {} more, not shown |\n", rows.len() - shown));
    }
    comment.close(if folded { "\n</details>\n\n" } else { "\n" });
}

/// Drift as a comment or issue body; `checked` is how many managed objects were refreshed.
pub fn drift(changes: &[ResourceChange], checked: usize, stack: &str) -> String {
    drift_within(changes, checked, stack, COMMENT_LIMIT)
}

fn drift_within(changes: &[ResourceChange], checked: usize, stack: &str, limit: usize) -> String {
    let mut comment = Comment::new(limit);
    let stack = table_code(stack);
    if changes.is_empty() {
        comment.push(&format!(
            "### ggplan drift in {stack}: no drift\n\nThe {checked} managed object(s) match the \
             state.\n"
        ));
        return comment.finish("parts");
    }
    comment.push(&format!(
        "### ggplan drift in {stack}: {} (of {checked} managed objects)\n\n",
        drift::summary(changes)
    ));
    let mut sorted: Vec<&ResourceChange> = changes.iter().collect();
    sort(&mut sorted);
    let rows: Vec<String> = sorted
        .iter()
        .map(|c| format!("| {} | {} |\n", drift::headline(c), table_code(&c.label())))
        .collect();
    push_table(&mut comment, "| Drift | Resource |\n|---|---|\n", &rows);
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
            "  # a will be updated in-place\n!   resource \"t\" \"a\" {\n        id = 1\n!       x  = 1 -> 2\n-       y  = 3 -> null\n    }\n! -/+ resource\n"
        );
    }

    #[test]
    fn heredoc_lines_take_their_attributes_symbol_and_are_never_read_as_one() {
        let text = "      + content = <<-EOT # forces replacement\n            - name: a\n\n            b\n        EOT\n      - old     = <<-EOT\n            x\n        EOT -> null\n      ~ multi   = <<-EOT\n            - keep\n          - gone\n          + new\n        EOT\n        id      = 1\n";
        assert_eq!(
            diff_text(text),
            "+       content = <<-EOT # forces replacement\n+           - name: a\n+\n+           b\n        EOT\n-       old     = <<-EOT\n-           x\n        EOT -> null\n!       multi   = <<-EOT\n            - keep\n-           gone\n+           new\n        EOT\n        id      = 1\n"
        );
    }

    #[test]
    fn a_replacement_does_not_start_with_a_removal() {
        assert_eq!(
            diff_text("+/- resource \"t\" \"a\" {\n"),
            "! +/- resource \"t\" \"a\" {\n"
        );
    }

    #[test]
    fn the_heading_names_the_stack_and_keys_sort_in_their_own_order() {
        let plan = Plan {
            resource_changes: [10, 2, 1]
                .iter()
                .map(|i| {
                    change(
                        &format!("terraform_data.n[{i}]"),
                        Action::Create,
                        None,
                        Some(obj("a")),
                    )
                })
                .collect(),
            output_changes: vec![],
            checks: Vec::new(),
        };
        let text = plan_within(&plan, "gourmet|gram", COMMENT_LIMIT);
        assert!(
            text.starts_with("### ggplan plan of <code>gourmet&#124;gram</code>: 3 to add"),
            "{text}"
        );
        let at = |key: &str| {
            text.find(&format!("<code>terraform_data.n[{key}]</code> |"))
                .unwrap()
        };
        assert!(at("1") < at("2") && at("2") < at("10"), "{text}");
    }

    #[test]
    fn a_long_table_folds_and_keeps_its_destroys_within_the_limit() {
        let mut changes: Vec<ResourceChange> = (0..1_900)
            .map(|i| {
                change(
                    &format!("terraform_data.new[{i}]"),
                    Action::Create,
                    None,
                    Some(obj("a")),
                )
            })
            .collect();
        changes.extend((0..100).map(|i| {
            change(
                &format!("terraform_data.old[{i}]"),
                Action::Delete,
                Some(obj("a")),
                None,
            )
        }));
        let plan = Plan {
            resource_changes: changes,
            output_changes: vec![],
            checks: Vec::new(),
        };
        let text = plan_within(&plan, "web", COMMENT_LIMIT);
        assert!(text.len() <= COMMENT_LIMIT, "{}", text.len());
        let table = text
            .find("<details><summary>Table of the 2000 changes</summary>")
            .unwrap();
        let rows = &text[table..text[table..].find("</details>").unwrap() + table];
        assert!(rows.contains("| `-` destroy | <code>terraform_data.old[99]</code> |"));
        assert!(rows.find("old[99]").unwrap() < rows.find("new[0]").unwrap());
        let shown = rows.matches("| `").count();
        assert!(
            rows.contains(&format!("| … | {} more, not shown |", 2_000 - shown)),
            "{rows}"
        );
        assert!(text.contains("This comment was shortened"));
        let small = Plan {
            resource_changes: plan.resource_changes[..FOLD_ROWS].to_vec(),
            ..plan
        };
        assert!(!plan_within(&small, "web", COMMENT_LIMIT).contains("Table of the"));
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
        let text = plan_within(&plan, "web", COMMENT_LIMIT);
        assert!(text.len() <= COMMENT_LIMIT, "{}", text.len());
        assert!(text.contains("This comment was shortened"));
        assert!(text.contains("0 to add, 400 to change, 0 to destroy"));
        assert!(!text.contains("hunter2"));
        let full = plan_within(&plan, "web", usize::MAX);
        assert!(!full.contains("shortened"));
        assert_eq!(full.matches("<details><summary><code>").count(), 400);
    }
}
