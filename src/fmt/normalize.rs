//! The rewrites `terraform fmt` makes beyond whitespace, applied to the token stream before
//! layout:
//! - block labels are written as quoted strings (`resource foo bar` -> `resource "foo" "bar"`),
//!   re-escaped canonically, with comments between them dropped (Terraform also drops a label
//!   it cannot read, such as one containing `$${`; we keep it and re-escape it instead);
//! - an attribute whose whole value is one interpolation loses the wrapper
//!   (`"${var.x}"` -> `var.x`; parenthesised when it spans lines);
//! - in a `variable` block, legacy and bare collection types are spelled out
//!   (`"string"` -> `string`, `"list"` -> `list(string)`, `map` -> `map(any)`).

use std::ops::Range;

use super::token::{Kind, Token};

/// Applies Terraform's rewrites to the tokens of a whole file.
pub(super) fn normalize<'a>(mut tokens: Vec<Token<'a>>) -> Vec<Token<'a>> {
    let mut walker = Walker {
        tokens: &tokens,
        pos: 0,
        edits: Vec::new(),
    };
    walker.body(&mut Vec::new());
    let edits = walker.edits;
    // Edits come in source order and never overlap: apply them from the back.
    for (range, replacement) in edits.into_iter().rev() {
        tokens.splice(range, replacement);
    }
    tokens
}

/// Walks the body structure (attributes and blocks) over the tokens, collecting edits.
struct Walker<'t, 'a> {
    tokens: &'t [Token<'a>],
    pos: usize,
    edits: Vec<(Range<usize>, Vec<Token<'a>>)>,
}

impl<'a> Walker<'_, 'a> {
    fn kind(&self) -> Option<Kind> {
        self.tokens.get(self.pos).map(|t| t.kind)
    }

    fn skip_inline_comments(&mut self) {
        while self
            .tokens
            .get(self.pos)
            .is_some_and(|t| t.kind == Kind::Comment && !t.ends_line())
        {
            self.pos += 1;
        }
    }

    /// A body's attributes and blocks, up to (not including) the `}` that closes it.
    /// `blocks` holds the types of the enclosing blocks.
    fn body(&mut self, blocks: &mut Vec<String>) {
        loop {
            match self.kind() {
                None | Some(Kind::CBrace) => return,
                Some(Kind::Ident) => {}
                // Blank lines and comments, and (in input hcl-edit accepted but this walk does
                // not understand) anything else: leave it as it is.
                Some(_) => {
                    self.pos += 1;
                    continue;
                }
            }
            let name = self.tokens[self.pos].text.to_string();
            self.pos += 1;
            let after_name = self.pos;
            self.skip_inline_comments();
            if self.kind() == Some(Kind::Equal) {
                self.pos += 1;
                self.attribute(&name, blocks);
            } else {
                self.pos = after_name;
                self.block(name, blocks);
            }
        }
    }

    fn attribute(&mut self, name: &str, blocks: &[String]) {
        let start = self.pos;
        let mut depth = 0i32;
        while let Some(token) = self.tokens.get(self.pos) {
            let change = match token.kind {
                Kind::OQuote | Kind::OHeredoc => 1,
                Kind::CQuote | Kind::CHeredoc => -1,
                kind => kind.bracket_change(),
            };
            if depth == 0 && (token.ends_line() || token.kind == Kind::CBrace) {
                break;
            }
            depth += change;
            self.pos += 1;
        }
        let mut end = self.pos;
        while end > start && self.tokens[end - 1].kind == Kind::Comment {
            end -= 1;
        }
        let expr = &self.tokens[start..end];
        let rewritten = if blocks.len() == 1 && blocks[0] == "variable" && name == "type" {
            type_expr(expr)
        } else {
            unwrap_interpolation(expr)
        };
        if let Some(rewritten) = rewritten {
            self.edits.push((start..end, rewritten));
        }
    }

    fn block(&mut self, name: String, blocks: &mut Vec<String>) {
        let labels_start = self.pos;
        let mut labels_end = self.pos;
        let mut labels = Some(Vec::new());
        loop {
            match self.kind() {
                Some(Kind::OBrace) => break,
                Some(Kind::Ident) => {
                    push_label(&mut labels, Some(self.tokens[self.pos].text.to_string()));
                    self.pos += 1;
                }
                Some(Kind::OQuote) => {
                    let literal = self.quoted_label();
                    push_label(&mut labels, literal);
                }
                Some(Kind::Comment) if !self.tokens[self.pos].ends_line() => {
                    self.pos += 1;
                    continue;
                }
                // Not a block header after all; let the body walk resynchronise.
                _ => return,
            }
            labels_end = self.pos;
        }
        // Terraform rewrites the labels from the first token after the type to the end of the
        // last label: comments among them go, a comment before the `{` stays.
        if let Some(labels) = labels.filter(|l| !l.is_empty()) {
            let replacement = labels.iter().flat_map(|l| quoted_tokens(l)).collect();
            self.edits.push((labels_start..labels_end, replacement));
        }
        self.pos += 1;
        blocks.push(name);
        self.body(blocks);
        blocks.pop();
        if self.kind() == Some(Kind::CBrace) {
            self.pos += 1;
        }
    }

    /// A quoted label's value, or `None` when it is not a plain literal.
    fn quoted_label(&mut self) -> Option<String> {
        self.pos += 1;
        let mut raw = String::new();
        loop {
            let token = self.tokens.get(self.pos)?;
            self.pos += 1;
            match token.kind {
                Kind::CQuote => return unescape(&raw),
                Kind::QuotedLit => raw.push_str(&token.text),
                _ => return None,
            }
        }
    }
}

fn push_label(labels: &mut Option<Vec<String>>, label: Option<String>) {
    match (labels.as_mut(), label) {
        (Some(list), Some(label)) => list.push(label),
        _ => *labels = None,
    }
}

fn quoted_tokens<'a>(value: &str) -> Vec<Token<'a>> {
    let escaped = ggplan_sdk::hcl::escape_string(value);
    let mut tokens = vec![Token::new(Kind::OQuote, "\"")];
    if !escaped.is_empty() {
        tokens.push(Token::new(Kind::QuotedLit, escaped));
    }
    tokens.push(Token::new(Kind::CQuote, "\""));
    tokens
}

/// `"${expr}"` -> `expr`, when the template is exactly one interpolation; repeated, so that
/// `"${"${x}"}"` becomes `x` at once. (Terraform unwraps one level per run, so it changes such
/// a file again on the next run; we prefer a formatter whose output is a fixed point.)
fn unwrap_interpolation<'a>(tokens: &[Token<'a>]) -> Option<Vec<Token<'a>>> {
    let once = unwrap_once(tokens)?;
    Some(unwrap_interpolation(&once).unwrap_or(once))
}

fn unwrap_once<'a>(tokens: &[Token<'a>]) -> Option<Vec<Token<'a>>> {
    let [first, second, inside @ .., second_last, last] = tokens else {
        return None;
    };
    if first.kind != Kind::OQuote
        || second.kind != Kind::TemplateInterp
        || second_last.kind != Kind::TemplateSeqEnd
        || last.kind != Kind::CQuote
        || inside.is_empty()
    {
        return None;
    }
    // Anything else in the outer template (text, another sequence) keeps it a template;
    // nested quoted strings are part of the inner expression.
    let mut quotes = 0i32;
    for token in inside {
        match token.kind {
            Kind::OQuote => quotes += 1,
            Kind::CQuote => quotes -= 1,
            _ if quotes > 0 => {}
            Kind::TemplateInterp | Kind::TemplateSeqEnd | Kind::QuotedLit => return None,
            _ => {}
        }
    }
    let start = inside
        .iter()
        .position(|t| t.kind != Kind::Newline)
        .unwrap_or(inside.len());
    let end = inside
        .iter()
        .rposition(|t| t.kind != Kind::Newline)
        .map_or(start, |i| i + 1);
    let trimmed = &inside[start..end];
    let multi_line = trimmed.iter().any(|t| t.kind == Kind::Newline);
    let parenthesised = trimmed.first().is_some_and(|t| t.kind == Kind::OParen)
        && trimmed.last().is_some_and(|t| t.kind == Kind::CParen);
    let mut out = Vec::with_capacity(trimmed.len() + 2);
    // Without the quotes a line break could end the expression early (e.g. in a
    // conditional), so a multi-line expression keeps a grouping.
    let wrap = multi_line && !parenthesised;
    if wrap {
        out.push(Token::new(Kind::OParen, "("));
    }
    out.extend_from_slice(trimmed);
    if wrap {
        out.push(Token::new(Kind::CParen, ")"));
    }
    Some(out)
}

/// Terraform 0.11 quoted type names and bare collection types, spelled out.
fn type_expr<'a>(tokens: &[Token<'a>]) -> Option<Vec<Token<'a>>> {
    let call = |name: &'a str, arg: &'a str| {
        vec![
            Token::new(Kind::Ident, name),
            Token::new(Kind::OParen, "("),
            Token::new(Kind::Ident, arg),
            Token::new(Kind::CParen, ")"),
        ]
    };
    match tokens {
        [word] if word.kind == Kind::Ident => match &*word.text {
            "list" => Some(call("list", "any")),
            "map" => Some(call("map", "any")),
            "set" => Some(call("set", "any")),
            _ => None,
        },
        [open, word, close]
            if open.kind == Kind::OQuote
                && word.kind == Kind::QuotedLit
                && close.kind == Kind::CQuote =>
        {
            match &*word.text {
                "string" => Some(vec![Token::new(Kind::Ident, "string")]),
                "list" => Some(call("list", "string")),
                "map" => Some(call("map", "string")),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The value of quoted-string literal text, or `None` for an invalid escape.
fn unescape(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                '"' => out.push('"'),
                '\\' => out.push('\\'),
                u @ ('u' | 'U') => {
                    let digits: String =
                        chars.by_ref().take(if u == 'u' { 4 } else { 8 }).collect();
                    let code = u32::from_str_radix(&digits, 16).ok()?;
                    out.push(char::from_u32(code)?);
                }
                _ => return None,
            },
            // `$${` and `%%{` stand for a literal `${` and `%{`.
            '$' | '%' if chars.peek() == Some(&c) => {
                chars.next();
                out.push(c);
                if chars.peek() != Some(&'{') {
                    out.push(c);
                }
            }
            c => out.push(c),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::super::token::lex;
    use super::*;

    fn normalized(src: &str) -> String {
        normalize(lex(src).unwrap())
            .iter()
            .map(|t| format!("{}{}", t.gap, t.text))
            .collect()
    }

    #[test]
    fn quotes_and_re_escapes_labels() {
        assert_eq!(
            normalized(
                "resource /* a */ foo /* b */ bar /* c */ {}\nb \"a\\u0041\" \"$${x}\" {}\nc /* d */ {}\n"
            ),
            "resource\"foo\"\"bar\" /* c */ {}\nb\"aA\"\"$${x}\" {}\nc /* d */ {}\n"
        );
    }

    #[test]
    fn unwraps_interpolation_only_values() {
        assert_eq!(normalized("a = \"${x}\"\n"), "a =x\n");
        assert_eq!(normalized("a = \"${\"${ x }\"}\"\n"), "a = x\n");
        assert_eq!(normalized("a = \"${f(\"${y}\")}\"\n"), "a =f(\"${y}\")\n");
        assert_eq!(normalized("a = \"${x}${y}\"\n"), "a = \"${x}${y}\"\n");
        assert_eq!(normalized("a = \"${x}-\"\n"), "a = \"${x}-\"\n");
        assert_eq!(
            normalized("a = \"${\nb ?\nc : d\n}\"\n"),
            "a =(b ?\nc : d)\n"
        );
    }

    #[test]
    fn spells_out_variable_types_only_in_variable_blocks() {
        assert_eq!(
            normalized("variable \"v\" {\ntype = \"map\"\n}\nlocals {\ntype = \"map\"\n}\n"),
            "variable\"v\" {\ntype =map(string)\n}\nlocals {\ntype = \"map\"\n}\n"
        );
        assert_eq!(
            normalized("variable \"v\" {\n  type = list\n}\n"),
            "variable\"v\" {\n  type =list(any)\n}\n"
        );
    }

    #[test]
    fn escape_and_unescape_round_trip() {
        for raw in ["a\\\"b\\\\c", "$${x} %%{y} $z", "tab\\there", "\\u00e9"] {
            let value = unescape(raw).unwrap();
            assert_eq!(
                unescape(&ggplan_sdk::hcl::escape_string(&value)).unwrap(),
                value
            );
        }
        assert_eq!(unescape("\\q"), None);
    }
}
