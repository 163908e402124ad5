//! Diagnostics in Terraform's layout: the severity and summary, where it is (with the source
//! lines and the range marked), then the detail.
//!
//! Plain text marks the range with `^` under the exact columns (Terraform prints no marker
//! without colour); coloured text underlines the range in the line itself and frames the
//! diagnostic in Terraform's `╷ │ ╵` box. The detail is printed as written, not re-wrapped.

use super::{Style, ansi};
use ggplan_sdk::{Diagnostic, Diagnostics, Severity, SourceRange};

/// All diagnostics, separated by blank lines; `sources` gives a file's text by its name.
pub fn diagnostics(
    diags: &Diagnostics,
    sources: &dyn Fn(&str) -> Option<String>,
    style: &Style,
) -> String {
    diags
        .0
        .iter()
        .map(|d| diagnostic(d, sources, style))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Warnings as `terraform -compact-warnings` lists them: each summary, and where it is.
pub fn warnings_compact(diags: &Diagnostics, style: &Style) -> String {
    let heading = style.paint(&format!("{};{}", ansi::BOLD, ansi::YELLOW), "Warnings:");
    let mut out = format!("{heading}\n\n");
    for d in &diags.0 {
        out.push_str(&format!("- {}\n", d.summary));
        if let Some(range) = &d.range {
            out.push_str(&format!("  on {} line {}\n", range.file, range.start.line));
        }
    }
    out.push_str("\nTo see the full warning notes, run ggplan without --compact-warnings.\n");
    out
}

fn diagnostic(d: &Diagnostic, sources: &dyn Fn(&str) -> Option<String>, style: &Style) -> String {
    let (label, colour) = match d.severity {
        Severity::Error => ("Error", ansi::RED),
        Severity::Warning => ("Warning", ansi::YELLOW),
    };
    let mut lines = vec![
        format!(
            "{}{}",
            style.paint(&format!("{};{colour}", ansi::BOLD), &format!("{label}: ")),
            style.paint(ansi::BOLD, &d.summary)
        ),
        String::new(),
    ];
    if let Some(attr) = &d.attribute {
        lines.push(format!("  with {attr},"));
    }
    if let Some(range) = &d.range {
        let text = sources(&range.file);
        lines.extend(snippet(range, text.as_deref(), style));
    }
    if lines.len() > 2 {
        lines.push(String::new());
    }
    lines.extend(d.detail.lines().map(str::to_string));
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    if !style.color {
        return lines.iter().map(|l| format!("{l}\n")).collect();
    }
    let bar = style.paint(colour, "│");
    let mut out = format!("{}\n", style.paint(colour, "╷"));
    for line in &lines {
        if line.is_empty() {
            out.push_str(&format!("{bar}\n"));
        } else {
            out.push_str(&format!("{bar} {line}\n"));
        }
    }
    out.push_str(&format!("{}\n", style.paint(colour, "╵")));
    out
}

/// `on FILE line N, in BLOCK:` and the source lines of the range, marked.
fn snippet(range: &SourceRange, text: Option<&str>, style: &Style) -> Vec<String> {
    let Some(text) = text else {
        return vec![
            format!("  on {} line {}:", range.file, range.start.line),
            "  (source code not available)".to_string(),
        ];
    };
    // Split on every newline (not `lines()`) so that a position after the file's final newline,
    // where a parser stops at the end of the file, has its (empty) line.
    let source: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let first = range.start.line.max(1);
    let last = range.end.line.max(first).min(source.len());
    let context = enclosing_block(&source, first - 1)
        .map(|header| format!(", in {header}"))
        .unwrap_or_default();
    let mut lines = vec![format!("  on {} line {first}{context}:", range.file)];
    for number in first..=last {
        let line = source[number - 1];
        let chars: Vec<char> = line.chars().collect();
        let from = if number == first {
            range.start.column.saturating_sub(1)
        } else {
            chars.iter().take_while(|c| c.is_whitespace()).count()
        };
        let to = if number == range.end.line {
            range.end.column.saturating_sub(1)
        } else {
            chars.len()
        };
        // An empty range still points at one character.
        let to = if range.start == range.end {
            from + 1
        } else {
            to
        };
        // A range that starts at the end of its line (a parser stopping at a newline or at the
        // end of the file) is marked just past the line's last character.
        let past_end = usize::from(number == first && from >= chars.len());
        let (from, to) = (from.min(chars.len()), to.min(chars.len()));
        let prefix = format!("{number:>4}: ");
        if style.color {
            let part = |r: std::ops::Range<usize>| chars[r].iter().collect::<String>();
            lines.push(format!(
                "{prefix}{}{}{}",
                part(0..from),
                style.paint(
                    ansi::UNDERLINE,
                    &(part(from..to.max(from)) + &" ".repeat(past_end))
                ),
                part(to.max(from)..chars.len())
            ));
            continue;
        }
        lines.push(format!("{prefix}{line}"));
        if to + past_end > from {
            // Tabs are repeated so the marks line up whatever the tab width.
            let lead: String = chars[..from]
                .iter()
                .map(|&c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            lines.push(format!(
                "{}{lead}{}",
                " ".repeat(prefix.len()),
                "^".repeat(to + past_end - from)
            ));
        }
    }
    lines
}

/// The header of the top-level block around line `index` (0-based), as in
/// `resource "local_file" "inv"`: the nearest line above that starts in the first column,
/// if it opens a block.
fn enclosing_block(source: &[&str], index: usize) -> Option<String> {
    let line = source
        .iter()
        .take(index + 1)
        .rev()
        .find(|l| l.starts_with(|c: char| !c.is_whitespace()))?;
    let header = line.trim_end().strip_suffix('{')?;
    let header = header.split_whitespace().collect::<Vec<_>>().join(" ");
    (!header.is_empty() && !header.starts_with('#') && !header.contains('=')).then_some(header)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ggplan_sdk::{AttrPath, SourcePos};

    const MAIN_TF: &str = r#"resource "random_pet" "y" {
  length = 2
}

resource "local_file" "inv" {
  filename = "inventory.ini"
	content  = random_pet.x.id
  file_permission = {
    mode = "0640"
  }
}
"#;

    fn source(name: &str) -> Option<String> {
        (name == "main.tf").then(|| MAIN_TF.to_string())
    }

    fn pos(line: usize, column: usize) -> SourcePos {
        SourcePos {
            line,
            column,
            byte: 0,
        }
    }

    fn undeclared() -> Diagnostic {
        Diagnostic::error(
            "Reference to undeclared resource",
            "A managed resource \"random_pet\" \"x\" has not been declared in the root module.",
        )
        .at_range(Some(SourceRange {
            file: "main.tf".to_string(),
            start: pos(7, 13),
            end: pos(7, 25),
        }))
    }

    fn plain(diags: impl Into<Diagnostics>) -> String {
        diagnostics(&diags.into(), &source, &Style { color: false })
    }

    #[test]
    fn snippet_with_underline() {
        let text = plain(undeclared());
        insta::assert_snapshot!(text);
        assert!(text.contains("in resource \"local_file\" \"inv\":"));
        assert!(
            text.contains("   7: \tcontent  = random_pet.x.id\n      \t           ^^^^^^^^^^^^\n")
        );
    }

    #[test]
    fn without_range_there_is_no_snippet() {
        let d = Diagnostic::warning("Deprecated attribute", "Use \"mode\" instead.");
        assert_eq!(
            plain(d),
            "Warning: Deprecated attribute\n\nUse \"mode\" instead.\n"
        );
    }

    #[test]
    fn two_together_with_attribute_and_multi_line_range() {
        let multi = Diagnostic::error("Incorrect attribute value type", "A string is required.")
            .at_attribute(AttrPath::attr("file_permission"))
            .at_range(Some(SourceRange {
                file: "main.tf".to_string(),
                start: pos(8, 21),
                end: pos(10, 4),
            }));
        let missing =
            Diagnostic::warning("Value from a file that is gone", "").at_range(Some(SourceRange {
                file: "gone.tf".to_string(),
                start: pos(1, 1),
                end: pos(1, 1),
            }));
        let text = plain(Diagnostics(vec![undeclared(), multi, missing]));
        insta::assert_snapshot!(text);
    }

    #[test]
    fn a_position_at_a_line_end_or_the_file_end_is_marked_past_the_last_character() {
        let at = |line, column| {
            Diagnostic::error("Invalid HCL syntax", "").at_range(Some(SourceRange {
                file: "main.tf".to_string(),
                start: pos(line, column),
                end: pos(line, column),
            }))
        };
        // `length = 2` ends at column 13; the file's last newline is followed by line 12.
        assert!(
            plain(at(2, 13)).contains("   2:   length = 2\n                  ^\n"),
            "{}",
            plain(at(2, 13))
        );
        assert!(
            plain(at(12, 1)).contains("  12: \n      ^\n"),
            "{}",
            plain(at(12, 1))
        );
        let coloured = diagnostics(&at(2, 13).into(), &source, &Style { color: true });
        assert!(
            coloured.contains("length = 2\x1b[4m \x1b[0m"),
            "{coloured:?}"
        );
    }

    #[test]
    fn coloured_underlines_in_a_box() {
        let text = diagnostics(&undeclared().into(), &source, &Style { color: true });
        assert!(text.contains("\x1b[4mrandom_pet.x\x1b[0m.id"));
        insta::assert_snapshot!(text.replace('\x1b', "<ESC>"));
    }
}
