//! `yamldecode` and `yamlencode`, as Terraform's YAML library does them.
//!
//! Decoding resolves plain scalars by YAML 1.1 rules (`yes` is true, timestamps become RFC 3339
//! strings). Encoding writes libyaml's block style: keys and strings double-quoted, strings
//! with line breaks as literal blocks where YAML allows it, long quoted lines folded at 80
//! columns.

use super::args::Args;
use super::{FunctionError, fail};
use ggplan_sdk::{Number, Value};
use std::collections::{BTreeMap, HashMap};
use yaml_rust2::Event;
use yaml_rust2::parser::Parser;
use yaml_rust2::scanner::{Marker, TScalarStyle};

type Result = std::result::Result<Value, FunctionError>;

/// libyaml's preferred line width for folding quoted scalars.
const WIDTH: usize = 80;

pub(super) fn yamldecode(args: Args) -> Result {
    let src = args.string(0)?;
    Decoder::new(&src).document().or_else(fail)
}

struct Decoder<'a> {
    parser: Parser<std::str::Chars<'a>>,
    /// Each anchor's value and how many values it holds.
    anchors: HashMap<usize, (Value, usize)>,
    /// How many values the document has made so far, aliases expanded.
    made: usize,
}

/// The most values one document may make, aliases expanded: aliases of aliases grow
/// exponentially (nine levels of nine made 20 GB before this bound).
const MAX_VALUES: usize = 1_000_000;

impl<'a> Decoder<'a> {
    fn new(src: &'a str) -> Self {
        Decoder {
            parser: Parser::new_from_str(src),
            anchors: HashMap::new(),
            made: 0,
        }
    }

    fn next(&mut self) -> std::result::Result<(Event, Marker), String> {
        self.parser.next_token().map_err(|e| {
            let m = e.marker();
            format!("on line {}, column {}: {}", m.line(), m.col() + 1, e.info())
        })
    }

    fn document(&mut self) -> std::result::Result<Value, String> {
        // Terraform reports document-level problems at the start of the stream.
        let (mut event, mark) = self.next()?;
        if event == Event::StreamStart {
            event = self.next()?.0;
        }
        if event != Event::DocumentStart {
            return Err(at(&mark, "missing start of document"));
        }
        let (event, _) = self.next()?;
        let value = self.node(event)?;
        let (event, _) = self.next()?;
        if event != Event::DocumentEnd {
            return Err(at(&mark, "unexpected extra content after value"));
        }
        match self.next()? {
            (Event::StreamEnd, _) => Ok(value),
            _ => Err(at(&mark, "unexpected extra content after value")),
        }
    }

    /// Counts `n` more values made, or fails past [`MAX_VALUES`].
    fn made(&mut self, n: usize) -> std::result::Result<(), String> {
        self.made = self.made.saturating_add(n);
        match self.made > MAX_VALUES {
            true => Err(format!(
                "the document expands to more than {MAX_VALUES} values (aliases of aliases)"
            )),
            false => Ok(()),
        }
    }

    fn node(&mut self, event: Event) -> std::result::Result<Value, String> {
        let before = self.made;
        if let Event::Alias(id) = event {
            let Some(size) = self.anchors.get(&id).map(|(_, size)| *size) else {
                return Ok(Value::Null);
            };
            // Counted before it is copied: a copy past the bound is never made.
            self.made(size)?;
            return Ok(self.anchors[&id].0.clone());
        }
        self.made(1)?;
        let (value, anchor) = match event {
            Event::Scalar(text, style, anchor, tag) => {
                let tag = tag.map(|t| format!("{}{}", t.handle, t.suffix));
                (scalar(&text, style, tag.as_deref()), anchor)
            }
            Event::SequenceStart(anchor, _) => {
                let mut items = Vec::new();
                loop {
                    match self.next()?.0 {
                        Event::SequenceEnd => break,
                        e => items.push(self.node(e)?),
                    }
                }
                (Value::List(items), anchor)
            }
            Event::MappingStart(anchor, _) => {
                let mut map = BTreeMap::new();
                loop {
                    let key = match self.next()?.0 {
                        Event::MappingEnd => break,
                        e => self.node(e)?,
                    };
                    let key = match key {
                        Value::String(s) => s,
                        Value::Null => "null".to_string(),
                        other => super::args::to_string(&other)
                            .ok_or("only scalar values can be used as mapping keys")?,
                    };
                    let (event, _) = self.next()?;
                    map.insert(key, self.node(event)?);
                }
                (Value::Map(map), anchor)
            }
            other => return Err(format!("unexpected YAML event {other:?}")),
        };
        if anchor > 0 {
            self.anchors
                .insert(anchor, (value.clone(), self.made - before));
        }
        Ok(value)
    }
}

fn at(mark: &Marker, message: &str) -> String {
    format!(
        "on line {}, column {}: {message}",
        mark.line(),
        mark.col() + 1
    )
}

/// A scalar's value by its tag, or by YAML 1.1 resolution when it is plain and untagged.
fn scalar(text: &str, style: TScalarStyle, tag: Option<&str>) -> Value {
    match tag {
        Some("tag:yaml.org,2002:str") => return Value::string(text),
        Some(t) if t.starts_with("tag:yaml.org,2002:") && t != "tag:yaml.org,2002:binary" => {
            return resolve(text);
        }
        Some(_) => return Value::string(text),
        None => {}
    }
    if style != TScalarStyle::Plain {
        return Value::string(text);
    }
    resolve(text)
}

fn resolve(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Value::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Value::Bool(false);
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Number(Number::Float(f64::INFINITY));
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Number(Number::Float(f64::NEG_INFINITY)),
        ".nan" | ".NaN" | ".NAN" => return Value::Number(Number::Float(f64::NAN)),
        _ => {}
    }
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let radix = [("0x", 16), ("0o", 8)]
        .iter()
        .find_map(|(p, r)| digits.strip_prefix(p).map(|d| (d, *r)));
    if let Some((d, r)) = radix
        && let Ok(i) = i64::from_str_radix(d, r)
    {
        return Value::int(if negative { -i } else { i });
    }
    let numeric = !digits.is_empty()
        && digits.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && digits != ".";
    if numeric && let Some(n) = Number::parse(text) {
        return Value::Number(match n {
            Number::Float(f) => Number::from_f64(f),
            n => n,
        });
    }
    if let Some(ts) = timestamp(text) {
        return Value::String(ts);
    }
    Value::string(text)
}

/// A YAML timestamp as RFC 3339 (a date alone is midnight UTC).
fn timestamp(text: &str) -> Option<String> {
    if let Ok(date) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        && text.len() == 10
    {
        return Some(format!("{}T00:00:00Z", date.format("%Y-%m-%d")));
    }
    let t = chrono::DateTime::parse_from_rfc3339(text).ok()?;
    Some(super::datetime::rfc3339(&t))
}

pub(super) fn yamlencode(args: Args) -> Result {
    let value = args.value(0);
    let mut out = String::new();
    match value {
        Value::Map(m) if !m.is_empty() => block(value, 0, false, &mut out),
        Value::List(l) if !l.is_empty() => block(value, 0, false, &mut out),
        Value::String(_) | Value::Map(_) | Value::List(_) => {
            out.push_str(&scalar_text(value, 2, 0))
        }
        _ => {
            out.push_str(&scalar_text(value, 2, 0));
            // libyaml closes a document that ends in a plain scalar explicitly.
            out.push_str("\n...");
        }
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(Value::String(out))
}

/// Starts a new line at `indent` (unless nothing is written yet or the line is fresh).
fn newline(out: &mut String, indent: usize) {
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    if !out.is_empty() {
        out.push_str(&" ".repeat(indent));
    }
}

/// A non-empty map or list in block style, its entries at column `indent`; with `inline`, the
/// first entry continues the current line (after `- `).
fn block(value: &Value, indent: usize, inline: bool, out: &mut String) {
    match value {
        Value::Map(map) => {
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 || !inline {
                    newline(out, indent);
                }
                out.push_str(&double_quoted(k, indent + 2, column(out)));
                out.push(':');
                match v {
                    Value::Map(m) if !m.is_empty() => block(v, indent + 2, false, out),
                    Value::List(l) if !l.is_empty() => block(v, indent, false, out),
                    _ => {
                        out.push(' ');
                        out.push_str(&scalar_text(v, indent + 2, column(out)));
                    }
                }
            }
        }
        Value::List(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 || !inline {
                    newline(out, indent);
                }
                out.push_str("- ");
                match item {
                    Value::Map(m) if !m.is_empty() => block(item, indent + 2, true, out),
                    Value::List(l) if !l.is_empty() => block(item, indent + 2, true, out),
                    _ => out.push_str(&scalar_text(item, indent + 2, column(out))),
                }
            }
        }
        other => out.push_str(&scalar_text(other, indent, column(out))),
    }
}

/// The column the next character of `out` lands in.
fn column(out: &str) -> usize {
    out.rsplit('\n').next().map_or(0, |l| l.chars().count())
}

/// A scalar (or empty collection); `indent` is where continuation lines start and `col`
/// where the scalar itself starts.
fn scalar_text(value: &Value, indent: usize, col: usize) -> String {
    match value {
        Value::Null | Value::Unknown => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if s.contains('\n') && literal_allowed(s) => literal(s, indent),
        Value::String(s) => double_quoted(s, indent, col),
        Value::List(_) => "[]".to_string(),
        Value::Map(_) => "{}".to_string(),
        Value::Sensitive(inner) => scalar_text(inner, indent, col),
    }
}

/// Whether libyaml prints `c` as it is.
fn printable(c: char) -> bool {
    matches!(c as u32, 0x0A | 0x20..=0x7E | 0x85 | 0xA0..=0xD7FF | 0xE000..=0xFFFD | 0x10000..)
        && c != '\u{FEFF}'
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// libyaml refuses a literal block for text with unprintable characters, trailing spaces or
/// a space right before a line break.
fn literal_allowed(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    chars.iter().all(|c| printable(*c))
        && chars.last() != Some(&' ')
        && !chars.windows(2).any(|w| w[0] == ' ' && is_break(w[1]))
}

fn literal(s: &str, indent: usize) -> String {
    let mut out = String::from("|");
    if s.starts_with([' ', '\n']) {
        out.push('2');
    }
    let trailing = s.len() - s.trim_end_matches('\n').len();
    out.push_str(match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    });
    out.push('\n');
    let mut line_start = true;
    for c in s.chars() {
        if c == '\n' {
            out.push('\n');
            line_start = true;
            continue;
        }
        if line_start {
            out.push_str(&" ".repeat(indent));
            line_start = false;
        }
        out.push(c);
    }
    out
}

/// A double-quoted scalar with libyaml's escapes, folded at spaces past column 80.
fn double_quoted(s: &str, indent: usize, start_col: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::from("\"");
    let mut col = start_col + 1;
    let mut after_space = false;
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            if !after_space && col > WIDTH && i != 0 && i != chars.len() - 1 {
                out.push('\n');
                out.push_str(&" ".repeat(indent));
                col = indent;
                if chars.get(i + 1) == Some(&' ') {
                    out.push('\\');
                    col += 1;
                }
            } else {
                out.push(' ');
                col += 1;
            }
            after_space = true;
            continue;
        }
        after_space = false;
        let escaped = match c {
            '\0' => "\\0".to_string(),
            '\u{7}' => "\\a".to_string(),
            '\u{8}' => "\\b".to_string(),
            '\t' => "\\t".to_string(),
            '\n' => "\\n".to_string(),
            '\u{b}' => "\\v".to_string(),
            '\u{c}' => "\\f".to_string(),
            '\r' => "\\r".to_string(),
            '\u{1b}' => "\\e".to_string(),
            '"' => "\\\"".to_string(),
            '\\' => "\\\\".to_string(),
            '\u{85}' => "\\N".to_string(),
            '\u{2028}' => "\\L".to_string(),
            '\u{2029}' => "\\P".to_string(),
            c if !printable(c) && (c as u32) <= 0xFF => format!("\\x{:02X}", c as u32),
            c if !printable(c) && (c as u32) <= 0xFFFF => format!("\\u{:04X}", c as u32),
            c if !printable(c) => format!("\\U{:08X}", c as u32),
            c => c.to_string(),
        };
        col += escaped.chars().count();
        out.push_str(&escaped);
    }
    out.push('"');
    out
}
