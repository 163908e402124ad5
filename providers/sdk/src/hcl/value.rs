//! Values written as HCL the way Terraform writes them (`encode_expr`, `encode_tfvars`, the
//! configuration `plan -generate-config-out` writes): hclwrite's `TokensForValue` (the token
//! stream of a value) followed by `hclwrite.Format` (indentation and alignment of `=`), so
//! that the text is byte for byte Terraform's.
//!
//! Only what those token streams contain is formatted here: identifiers and literals, the
//! brackets of tuples, objects and blocks, commas, `=`, a comment ending a line and newlines
//! (no heredocs).

use crate::Value;
use std::collections::BTreeMap;

/// One token of a value's HCL text.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// An identifier or a literal (`null`, `true`, `1.5`, `"text"`), written as is.
    Word(String),
    Open(char),
    Close(char),
    Comma,
    Equals,
    /// A comment ending its line (`# sensitive`).
    Comment(String),
    Newline,
}

/// `value` as a Terraform expression (`encode_expr`).
pub fn expression(value: &Value) -> String {
    let mut tokens = Vec::new();
    value_tokens(value, &mut tokens);
    format(&tokens)
}

/// `attributes` as the lines of a `.tfvars` file (`encode_tfvars`); the names are valid
/// identifiers (the caller checks).
pub fn tfvars(attributes: &BTreeMap<String, Value>) -> String {
    let mut tokens = Vec::new();
    for (name, value) in attributes {
        tokens.push(Token::Word(name.clone()));
        tokens.push(Token::Equals);
        value_tokens(value, &mut tokens);
        tokens.push(Token::Newline);
    }
    format(&tokens)
}

/// Whether `name` is an HCL identifier, which an object key or a variable name may be written
/// as without quotes: Unicode's ID_Start or `_`, then ID_Continue or `-`.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| unicode_ident::is_xid_start(c) || c == '_')
        && chars.all(|c| unicode_ident::is_xid_continue(c) || c == '-')
}

/// A configuration body being written (attributes and nested blocks, in the order given),
/// laid out as `hclwrite.Format` lays it out.
#[derive(Debug, Default)]
pub struct Body {
    tokens: Vec<Token>,
}

impl Body {
    /// `name = value`.
    pub fn attribute(&mut self, name: &str, value: &Value) {
        self.tokens.extend([word(name), Token::Equals]);
        value_tokens(value, &mut self.tokens);
        self.tokens.push(Token::Newline);
    }

    /// `name = null # comment`: an attribute whose value is not written (a secret).
    pub fn withheld(&mut self, name: &str, comment: &str) {
        let comment = Token::Comment(format!("# {comment}"));
        self.tokens.extend([
            word(name),
            Token::Equals,
            word("null"),
            comment,
            Token::Newline,
        ]);
    }

    /// A line holding only `# text`.
    pub fn comment(&mut self, text: &str) {
        self.tokens
            .extend([Token::Comment(format!("# {text}")), Token::Newline]);
    }

    /// Opens `TYPE "LABEL"... {`; what follows is inside it until [`Body::close`].
    pub fn open(&mut self, block_type: &str, labels: &[&str]) {
        self.tokens.push(word(block_type));
        self.tokens
            .extend(labels.iter().map(|l| Token::Word(quoted(l))));
        self.tokens.extend([Token::Open('{'), Token::Newline]);
    }

    /// Closes the block opened last.
    pub fn close(&mut self) {
        self.tokens.extend([Token::Close('}'), Token::Newline]);
    }

    /// The text, each line ending with a newline.
    pub fn text(&self) -> String {
        format(&self.tokens)
    }
}

/// The tokens of a value, as `TokensForValue` makes them: a tuple on one line, an object with
/// one attribute per line (`{}` when empty), keys bare when they are identifiers.
fn value_tokens(value: &Value, out: &mut Vec<Token>) {
    match value.peel() {
        Value::Null | Value::Unknown | Value::Sensitive(_) => out.push(word("null")),
        Value::Bool(b) => out.push(word(&b.to_string())),
        Value::Number(n) => out.push(word(&n.to_string())),
        Value::String(s) => out.push(Token::Word(quoted(s))),
        Value::List(items) => {
            out.push(Token::Open('['));
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(Token::Comma);
                }
                value_tokens(item, out);
            }
            out.push(Token::Close(']'));
        }
        Value::Map(map) => {
            out.push(Token::Open('{'));
            if !map.is_empty() {
                out.push(Token::Newline);
            }
            for (key, item) in map {
                let key = if is_identifier(key) {
                    key.clone()
                } else {
                    quoted(key)
                };
                out.extend([Token::Word(key), Token::Equals]);
                value_tokens(item, out);
                out.push(Token::Newline);
            }
            out.push(Token::Close('}'));
        }
    }
}

fn word(text: &str) -> Token {
    Token::Word(text.to_string())
}

/// A string literal, quoted and escaped as hclwrite writes it.
fn quoted(s: &str) -> String {
    format!("\"{}\"", super::escape_string(s))
}

/// One line of tokens, split as `hclwrite.Format` splits it: `lead` before the `=` of an
/// attribute whose value ends on this line, `assign` from that `=` on (empty otherwise).
struct Line<'a> {
    lead: &'a [Token],
    assign: &'a [Token],
    indent: usize,
}

/// The text of a token stream: every line indented two spaces per open bracket level (a line
/// opening several brackets adds one level, as hclwrite's indent stack does), and the `=` of
/// consecutive one-line attributes aligned.
fn format(tokens: &[Token]) -> String {
    let mut lines: Vec<Line> = tokens
        .split(|t| *t == Token::Newline)
        .map(|line| {
            let equals = line
                .iter()
                .enumerate()
                .position(|(i, t)| i > 0 && *t == Token::Equals)
                .filter(|&i| net_brackets(&line[i..]) == 0);
            let (lead, assign) = line.split_at(equals.unwrap_or(line.len()));
            Line {
                lead,
                assign,
                indent: 0,
            }
        })
        .collect();
    indent(&mut lines);
    let mut out = String::new();
    for (i, (line, equals_at)) in lines.iter().zip(alignment(&lines)).enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if line.lead.is_empty() && line.assign.is_empty() {
            continue;
        }
        out.push_str(&" ".repeat(line.indent));
        let lead = spaced(line.lead);
        out.push_str(&lead);
        if !line.assign.is_empty() {
            let pad = equals_at.saturating_sub(line.indent + lead.chars().count());
            out.push_str(&" ".repeat(pad.max(1)));
            out.push_str(&spaced(line.assign));
        }
    }
    out
}

/// Opening minus closing brackets.
fn net_brackets(tokens: &[Token]) -> i64 {
    tokens
        .iter()
        .map(|t| match t {
            Token::Open(_) => 1,
            Token::Close(_) => -1,
            _ => 0,
        })
        .sum()
}

/// hclwrite's indentation: a line that opens brackets is indented at the current level and
/// pushes one level remembering how many it opened; a line that closes them pops the levels
/// it closes and is indented at what remains.
fn indent(lines: &mut [Line]) {
    let mut levels: Vec<i64> = Vec::new();
    for line in lines.iter_mut() {
        let net = net_brackets(line.lead) + net_brackets(line.assign);
        if net < 0 {
            let mut closed = -net;
            while closed > 0 {
                let Some(top) = levels.last_mut() else { break };
                if closed < *top {
                    *top -= closed;
                    closed = 0;
                } else {
                    closed -= *top;
                    levels.pop();
                }
            }
        }
        line.indent = 2 * levels.len();
        if net > 0 {
            levels.push(net);
        }
    }
}

/// The column each line's `=` goes to: one past the longest lead of its run of consecutive
/// lines with an `assign` part (0 for lines without one).
fn alignment(lines: &[Line]) -> Vec<usize> {
    let mut columns = vec![0; lines.len()];
    let mut start = 0;
    while start < lines.len() {
        let run = lines[start..]
            .iter()
            .take_while(|l| !l.assign.is_empty())
            .count();
        let widest = lines[start..start + run]
            .iter()
            .map(|l| l.indent + spaced(l.lead).chars().count())
            .max()
            .unwrap_or(0);
        for column in &mut columns[start..start + run] {
            *column = widest + 1;
        }
        start += run.max(1);
    }
    columns
}

/// Tokens written with hclwrite's spacing: none after an opening bracket or before a closing
/// one or a comma, one elsewhere.
fn spaced(tokens: &[Token]) -> String {
    let mut out = String::new();
    for (i, token) in tokens.iter().enumerate() {
        let tight = i == 0
            || matches!(tokens[i - 1], Token::Open(_))
            || matches!(token, Token::Close(_) | Token::Comma);
        if !tight {
            out.push(' ');
        }
        match token {
            Token::Word(text) => out.push_str(text),
            Token::Open(c) | Token::Close(c) => out.push(*c),
            Token::Comma => out.push(','),
            Token::Equals => out.push('='),
            Token::Comment(text) => out.push_str(text),
            Token::Newline => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object<const N: usize>(items: [(&str, Value); N]) -> Value {
        Value::object(items)
    }

    #[test]
    fn objects_are_one_attribute_a_line_with_the_equals_of_one_line_values_aligned() {
        let value = object([
            ("a", Value::int(1)),
            ("b c", Value::string("x")),
            ("c", Value::List(vec![Value::int(1), Value::int(2)])),
            ("d", object([("e", Value::Bool(true)), ("f", Value::Null)])),
        ]);
        assert_eq!(
            expression(&value),
            "{\n  a     = 1\n  \"b c\" = \"x\"\n  c     = [1, 2]\n  d = {\n    e = true\n    f = null\n  }\n}"
        );
    }

    #[test]
    fn objects_in_tuples_indent_one_level_per_line_as_hclwrite_does() {
        let value = Value::List(vec![
            object([("a", Value::int(1))]),
            object([("b", Value::int(2))]),
            Value::List(vec![object([("c", object([("d", Value::int(1))]))])]),
        ]);
        assert_eq!(
            expression(&value),
            "[{\n  a = 1\n  }, {\n  b = 2\n  }, [{\n    c = {\n      d = 1\n    }\n}]]"
        );
        assert_eq!(expression(&Value::List(vec![])), "[]");
        assert_eq!(expression(&object([])), "{}");
        assert_eq!(expression(&Value::Null), "null");
    }

    #[test]
    fn strings_escape_like_hcl_and_keys_are_bare_when_they_are_identifiers() {
        let text = "a\nb${x}%{y} $ \u{a0} \u{200b} é \"q\" \\ \t";
        assert_eq!(
            expression(&Value::string(text)),
            r#""a\nb$${x}%%{y} $ \u00a0 \u200b é \"q\" \\ \t""#
        );
        let keys = object([
            ("1a", Value::int(1)),
            ("a-b", Value::int(2)),
            ("é", Value::int(3)),
        ]);
        assert_eq!(
            expression(&keys),
            "{\n  \"1a\" = 1\n  a-b  = 2\n  é    = 3\n}"
        );
    }

    #[test]
    fn a_body_lays_out_blocks_attributes_and_comments_as_hclwrite_format_does() {
        let mut body = Body::default();
        body.open("resource", &["x_thing", "a \"b\""]);
        body.attribute("name", &Value::string("m"));
        body.withheld("password", "sensitive");
        body.open("rule", &[]);
        body.attribute("port", &Value::int(22));
        body.close();
        body.open("secret", &[]);
        body.comment("sensitive");
        body.close();
        body.close();
        assert_eq!(
            body.text(),
            "resource \"x_thing\" \"a \\\"b\\\"\" {\n  name     = \"m\"\n  password = null # \
             sensitive\n  rule {\n    port = 22\n  }\n  secret {\n    # sensitive\n  }\n}\n"
        );
    }

    #[test]
    fn tfvars_are_attribute_lines_each_ending_with_a_newline() {
        let vars = BTreeMap::from([
            ("a".to_string(), Value::int(1)),
            ("bbbb".to_string(), Value::string("x")),
            ("c".to_string(), object([("e", Value::Bool(true))])),
            (
                "small".to_string(),
                Value::Number(crate::Number::Float(0.1)),
            ),
        ]);
        assert_eq!(
            tfvars(&vars),
            "a    = 1\nbbbb = \"x\"\nc = {\n  e = true\n}\nsmall = 0.1\n"
        );
        assert_eq!(tfvars(&BTreeMap::new()), "");
    }
}
