//! Quoted strings split over lines: HCL forbids them (Terraform says "Invalid multi-line
//! string"), but hcl-edit's parser accepts them, so `validate` passed files that `fmt` (and
//! Terraform) refuse. This check walks a parsed file and refuses them at their line.

use hcl_edit::structure::Body;
use hcl_edit::template::{HeredocTemplate, StringTemplate};
use hcl_edit::visit::{self, Visit};
use hcl_edit::{Decorated, Span, Spanned};
use std::ops::Range;

/// The spans of the quoted strings of `body` that hold a raw line break (`text` is the
/// file's text: a `\n` escape is fine, a line break is not).
pub fn multi_line_strings(body: &Body, text: &str) -> Vec<Range<usize>> {
    let mut finder = Finder {
        text,
        quoted: Vec::new(),
        found: Vec::new(),
    };
    finder.visit_body(body);
    finder.found
}

struct Finder<'a> {
    text: &'a str,
    /// Whether each template being walked is quoted (true) or a heredoc (false): a heredoc's
    /// literals may span lines, a quoted string nested in its interpolations may not.
    quoted: Vec<bool>,
    found: Vec<Range<usize>>,
}

impl Finder<'_> {
    fn check(&mut self, value: &str, span: Option<Range<usize>>) {
        let Some(span) = span else { return };
        let raw_break = self
            .text
            .get(span.clone())
            .is_some_and(|t| t.contains('\n'));
        if value.contains('\n') && raw_break {
            self.found.push(span);
        }
    }
}

impl Visit for Finder<'_> {
    fn visit_string(&mut self, node: &Decorated<String>) {
        self.check(node.value(), node.span());
    }

    fn visit_string_template(&mut self, node: &StringTemplate) {
        self.quoted.push(true);
        visit::visit_string_template(self, node);
        self.quoted.pop();
    }

    fn visit_heredoc_template(&mut self, node: &HeredocTemplate) {
        self.quoted.push(false);
        visit::visit_heredoc_template(self, node);
        self.quoted.pop();
    }

    fn visit_literal(&mut self, node: &Spanned<String>) {
        if self.quoted.last() == Some(&true) {
            self.check(node.value(), node.span());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(src: &str) -> Vec<&str> {
        let body = hcl_edit::parser::parse_body(src).unwrap();
        multi_line_strings(&body, src)
            .into_iter()
            .map(|span| &src[span])
            .collect()
    }

    #[test]
    fn a_line_break_in_a_quoted_string_is_found_an_escape_or_heredoc_is_not() {
        assert_eq!(found("a = \"x\ny\"\n"), ["\"x\ny\""]);
        assert_eq!(found("a = \"x ${1}\ny\"\n"), ["\ny"]);
        assert!(found("a = \"x\\ny\"\nb = <<EOT\nx\ny\nEOT\n").is_empty());
        assert_eq!(found("b = <<EOT\n${\"p\nq\"}\nEOT\n"), ["\"p\nq\""]);
        assert!(
            found("c = \"${\n  1\n}\"\n").is_empty(),
            "breaks inside an interpolation are allowed"
        );
    }
}
