//! The expressions of a JSON file, parsed by the native syntax's parser at the bytes where the
//! JSON writes them.
//!
//! A JSON value is, once its strings are written as native quoted templates, an expression of
//! the native syntax: `{"a": [1, "${var.x}"]}` is a native object. Escaped that way, a string
//! never takes more bytes than JSON's escapes did, so every value fits where it stands. All
//! values of a file are laid out at their own offsets in one text of the file's length (blanks
//! elsewhere), joined into one tuple and parsed once: every expression, down to each
//! interpolation, carries spans into the JSON file, for diagnostics and for the evaluator.

use super::value::{Json, Kind};
use hcl_edit::Span;
use std::ops::Range;

/// How a JSON string is read: as a template (`"${var.x}-web"`), the default, or as an
/// expression, where Terraform reads a reference or a keyword (`"depends_on":
/// ["aws_instance.a"]`, `"type": "list(string)"`, `"ignore_changes": "all"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Template,
    Expression,
}

/// A value whose expression is wanted, and how its strings are read.
pub struct Wanted<'j> {
    pub value: &'j Json,
    pub mode: Mode,
}

/// A value whose text does not parse: where, and the parser's message.
#[derive(Debug)]
pub struct Invalid {
    pub at: usize,
    pub span: Range<usize>,
    pub mode: Mode,
    pub message: String,
}

/// The native text of the `wanted` values (in the order written, none inside another) at
/// their offsets in a text of `text`'s length, as one tuple.
pub fn layout(text: &str, wanted: &[Wanted<'_>]) -> Vec<u8> {
    let mut out = vec![b' '; text.len()];
    // The file is an object, so its first and last bytes are outside every value.
    if let Some(last) = out.len().checked_sub(1) {
        out[0] = b'[';
        out[last] = b']';
    }
    for (i, w) in wanted.iter().enumerate() {
        write(&mut out, text, w.value, w.mode);
        if i + 1 < wanted.len() {
            out[w.value.span.end] = b',';
        }
    }
    out
}

/// Parses the laid-out values: their expressions in order, or the first value that does not
/// parse, or whose expression runs past its own bytes (`"depends_on": ["a, b"]` would make
/// two).
pub fn parse(
    laid_out: &[u8],
    wanted: &[Wanted<'_>],
) -> Result<Vec<hcl_edit::expr::Expression>, Invalid> {
    let text = String::from_utf8_lossy(laid_out);
    let items: Vec<_> = match hcl_edit::parser::parse_expr(&text) {
        Ok(hcl_edit::expr::Expression::Array(items)) => items.into_iter().collect(),
        Ok(_) => unreachable!("a layout opens with [ and closes with ]: a tuple"),
        Err(e) => {
            // The layout is one line: the column is a character count.
            let at = text
                .char_indices()
                .nth(e.location().column().saturating_sub(1))
                .map_or(text.len(), |(i, _)| i);
            return Err(invalid(wanted, at, e.message().to_string()));
        }
    };
    let outside = (0..items.len().max(wanted.len())).find(|&i| {
        let within = |w: &Wanted| {
            items[i]
                .span()
                .is_some_and(|s| w.value.span.start <= s.start && s.end <= w.value.span.end)
        };
        i >= items.len() || !wanted.get(i).is_some_and(within)
    });
    match outside {
        None => Ok(items),
        Some(i) => {
            let at = items
                .get(i)
                .and_then(|e| e.span())
                .map_or(text.len(), |s| s.start);
            Err(invalid(
                wanted,
                at,
                "this is more than one expression".into(),
            ))
        }
    }
}

/// The wanted value at or before byte `at` is invalid.
fn invalid(wanted: &[Wanted<'_>], at: usize, message: String) -> Invalid {
    let culprit = wanted.iter().rev().find(|w| w.value.span.start <= at);
    let (span, mode) = culprit
        .or(wanted.first())
        .map_or((at..at, Mode::Template), |w| (w.value.span.clone(), w.mode));
    Invalid {
        at,
        span,
        mode,
        message,
    }
}

/// Replaces the value at `span` in the layout by `null`, so the others can still be parsed.
pub fn blank(laid_out: &mut [u8], span: &Range<usize>) {
    laid_out[span.clone()].fill(b' ');
    let null = b"null";
    let n = null.len().min(span.len());
    laid_out[span.start..span.start + n].copy_from_slice(&null[..n]);
}

/// Writes `value` as native syntax over its own bytes.
fn write(out: &mut [u8], text: &str, value: &Json, mode: Mode) {
    let span = value.span.clone();
    match &value.kind {
        Kind::Null | Kind::Bool | Kind::Number => {
            out[span.clone()].copy_from_slice(&text.as_bytes()[span]);
        }
        Kind::String(s) => write_string(out, span.start, s, mode),
        Kind::Array(items) => {
            out[span.start] = b'[';
            out[span.end - 1] = b']';
            for (i, item) in items.iter().enumerate() {
                write(out, text, item, mode);
                if i + 1 < items.len() {
                    out[item.span.end] = b',';
                }
            }
        }
        Kind::Object(members) => {
            out[span.start] = b'{';
            out[span.end - 1] = b'}';
            for (i, m) in members.iter().enumerate() {
                write_string(out, m.key_span.start, &m.key, mode);
                out[m.key_span.end] = b':';
                write(out, text, &m.value, mode);
                if i + 1 < members.len() {
                    out[m.value.span.end] = b',';
                }
            }
        }
    }
}

/// A string whose opening quote is at `at`: a quoted template, or the bare expression.
fn write_string(out: &mut [u8], at: usize, s: &str, mode: Mode) {
    let text = match mode {
        Mode::Template => format!("\"{}\"", escape(s)),
        // On one line, and never a comment that would swallow the values after it: `#` and
        // `/` have no place in a reference or keyword, and `@` fails to parse right here.
        Mode::Expression => format!(" {s}")
            .replace(['\n', '\r'], " ")
            .replace(['#', '/'], "@"),
    };
    out[at..at + text.len()].copy_from_slice(text.as_bytes());
}

/// The template source `s` as the inside of a native quoted template: the literal text
/// escaped, interpolations and directives as written (they are expressions, whose own strings
/// are written `"x"` in both). Never longer than JSON's escaped form of `s`: every character
/// escaped here was escaped by JSON in as many bytes or more.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while let Some(c) = s[i..].chars().next() {
        let rest = &s[i..];
        if rest.starts_with("$${") || rest.starts_with("%%{") {
            out.push_str(&rest[..3]);
            i += 3;
            continue;
        }
        if rest.starts_with("${") || rest.starts_with("%{") {
            let end = sequence_end(s, i + 2);
            // A line break inside an interpolation is a space to the expression.
            out.push_str(&s[i..end].replace(['\n', '\r'], " "));
            i = end;
            continue;
        }
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
        i += c.len_utf8();
    }
    out
}

/// Where the interpolation or directive whose expression starts at `from` ends (after its
/// `}`), skipping nested braces and quoted strings; the end of `s` if it never does.
fn sequence_end(s: &str, from: usize) -> usize {
    let b = s.as_bytes();
    let (mut i, mut depth) = (from, 1);
    while i < b.len() {
        match b[i] {
            b'"' => i = quoted_end(s, i + 1),
            b'{' => (depth, i) = (depth + 1, i + 1),
            b'}' if depth == 1 => return i + 1,
            b'}' => (depth, i) = (depth - 1, i + 1),
            _ => i += 1,
        }
    }
    b.len()
}

/// Where a quoted string whose text starts at `from` ends (after its closing quote).
fn quoted_end(s: &str, from: usize) -> usize {
    let b = s.as_bytes();
    let mut i = from;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            b'$' | b'%' if b.get(i + 1) == Some(&b'{') => i = sequence_end(s, i + 2),
            _ => i += 1,
        }
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::json::value;
    use hcl_edit::expr::Expression;

    fn parse_all(text: &str, mode: Mode) -> Result<Vec<Expression>, Invalid> {
        let json = value::parse(text).unwrap();
        let Kind::Object(members) = &json.kind else {
            panic!()
        };
        let wanted: Vec<_> = members
            .iter()
            .map(|m| Wanted {
                value: &m.value,
                mode,
            })
            .collect();
        parse(&layout(text, &wanted), &wanted)
    }

    #[test]
    fn expressions_are_parsed_where_the_json_writes_them() {
        let text = "{\n  \"a\": \"${var.x}-web\",\n  \"b\": {\"k\": [1, \"${local.y}\"]}\n}";
        let exprs = parse_all(text, Mode::Template).unwrap();
        let Expression::StringTemplate(t) = &exprs[0] else {
            panic!("{exprs:?}")
        };
        assert_eq!(&text[exprs[0].span().unwrap()], "\"${var.x}-web\"");
        assert_eq!(t.iter().count(), 2, "{t:?}");
        let Expression::Object(obj) = &exprs[1] else {
            panic!()
        };
        let (_, v) = obj.iter().next().unwrap();
        let Expression::Array(items) = v.expr() else {
            panic!()
        };
        assert_eq!(
            &text[items.iter().nth(1).unwrap().span().unwrap()],
            "\"${local.y}\""
        );
    }

    #[test]
    fn escaped_strings_fit_and_keep_their_meaning() {
        let text = r#"{"a": "say \"hi\"\n\u00e9\/ \\${x} ${f(\"}\", {a = \"${y}\"})} $${z}"}"#;
        let exprs = parse_all(text, Mode::Template).unwrap();
        let shown = format!("{}", exprs[0]);
        let want = r#"say \"hi\"\né/ \\${x} ${f("}", {a = "${y}"})} $${z}"#;
        assert!(shown.contains(want), "{shown}");
    }

    #[test]
    fn expression_strings_are_bare() {
        let text = r#"{"d": ["aws_instance.a", "module.m[\"k\"]"], "t": "map(string)"}"#;
        let exprs = parse_all(text, Mode::Expression).unwrap();
        assert!(matches!(&exprs[0], Expression::Array(_)), "{exprs:?}");
        assert!(matches!(&exprs[1], Expression::FuncCall(_)), "{exprs:?}");
        assert_eq!(&text[exprs[1].span().unwrap()], "map(string)");
    }

    #[test]
    fn an_expression_string_stays_within_its_own_bytes() {
        for (text, culprit) in [
            (r#"{"a": "x.y, z", "b": "w"}"#, "\"x.y, z\""),
            (r#"{"a": "x # c", "b": "w"}"#, "\"x # c\""),
            (r#"{"a": "x", "b": "y ]"}"#, "\"y ]\""),
        ] {
            let err = parse_all(text, Mode::Expression).err().unwrap();
            assert_eq!(&text[err.span.clone()], culprit, "{text}");
        }
    }

    #[test]
    fn a_value_that_does_not_parse_is_named() {
        let text = "{\"a\": \"ok\",\n \"b\": \"${var.x\"}";
        let err = parse_all(text, Mode::Template).err().unwrap();
        assert_eq!(&text[err.span.clone()], "\"${var.x\"");
        assert!(err.at >= err.span.start, "{}", err.at);
    }
}
