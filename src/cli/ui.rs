//! Printing for the CLI: colours when the terminal wants them, diagnostics with snippets.

use crate::config::SourceMap;
use crate::render::{self, Style, json_events};
use ggplan_sdk::{Diagnostic, Diagnostics};
use std::io::{IsTerminal, Write};

/// How the CLI prints.
#[derive(Debug, Clone, Copy)]
pub struct Ui {
    pub style: Style,
    /// `--json`: diagnostics are JSON lines on standard output, like the rest of the output.
    json: bool,
    /// `--compact-warnings`: warnings without errors are listed a line or two each.
    compact_warnings: bool,
}

impl Ui {
    /// Colours only on a terminal, and never with `--no-color` or `NO_COLOR` set.
    pub fn new(no_color: bool) -> Ui {
        let color = !no_color
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && std::io::stdout().is_terminal();
        Ui {
            style: Style { color },
            json: false,
            compact_warnings: false,
        }
    }

    /// This Ui for a command run with (or without) `--json`.
    pub fn json(self, json: bool) -> Ui {
        Ui { json, ..self }
    }

    /// Whether output is JSON lines (`--json`), where nothing may be asked.
    pub fn is_json(&self) -> bool {
        self.json
    }

    /// This Ui for a command run with (or without) `--compact-warnings`.
    pub fn compact_warnings(self, compact_warnings: bool) -> Ui {
        Ui {
            compact_warnings,
            ..self
        }
    }

    /// Prints to standard output.
    pub fn out(&self, text: &str) {
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(text.as_bytes());
        let _ = stdout.flush();
    }

    /// Prints a message for people to standard error.
    pub fn note(&self, text: &str) {
        let mut stderr = std::io::stderr().lock();
        let _ = stderr.write_all(text.as_bytes());
        let _ = stderr.flush();
    }

    /// Prints diagnostics to standard error, with snippets from any of `sources`.
    pub fn diagnostics(&self, diags: &Diagnostics, sources: &[&SourceMap]) {
        if diags.is_empty() {
            return;
        }
        let lookup = |name: &str| sources.iter().find_map(|s| s.text_of(name));
        // The same problem found twice (a module called twice, say) is shown once.
        let mut shown: Vec<&ggplan_sdk::Diagnostic> = Vec::new();
        for d in &diags.0 {
            if !shown.contains(&d) {
                shown.push(d);
            }
        }
        if self.json {
            let lines: String = shown
                .iter()
                .map(|d| json_events::diagnostic(d, &lookup) + "\n")
                .collect();
            self.out(&lines);
            return;
        }
        let unique = Diagnostics(shown.into_iter().cloned().collect());
        let text = if self.compact_warnings && !unique.has_errors() {
            render::diagnostic::warnings_compact(&unique, &self.style)
        } else {
            render::diagnostics(&unique, &lookup, &self.style)
        };
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(stderr, "\n{}", text.trim_end());
    }

    /// Prints one error without a source position.
    pub fn error(&self, summary: &str, detail: impl Into<String>) {
        self.diagnostics(&Diagnostic::error(summary, detail).into(), &[]);
    }

    /// `text` in bold green when colouring (the success summary).
    pub fn style_bold_green(&self, text: &str) -> String {
        if self.style.color {
            format!("\x1b[1;32m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}
