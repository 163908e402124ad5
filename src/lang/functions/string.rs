//! String functions: case, trimming, searching, splitting, regular expressions.
//!
//! Lengths and offsets count grapheme clusters, as Terraform does; case mapping is Go's
//! simple one-to-one mapping (`ß` stays `ß` in `upper`).

use super::args::Args;
use super::{FunctionError, fail};
use ggplan_sdk::Value;
use regex::Regex;
use std::collections::BTreeMap;
use unicode_segmentation::UnicodeSegmentation;

type Result = std::result::Result<Value, FunctionError>;

pub(super) fn upper(args: Args) -> Result {
    Ok(Value::String(map_case(
        &args.string(0)?,
        char::to_uppercase,
    )))
}

pub(super) fn lower(args: Args) -> Result {
    Ok(Value::String(map_case(
        &args.string(0)?,
        char::to_lowercase,
    )))
}

/// Maps each character on its own, keeping it where the full mapping would need several.
fn map_case<I: ExactSizeIterator<Item = char>>(s: &str, map: fn(char) -> I) -> String {
    s.chars()
        .map(|c| {
            let mut mapped = map(c);
            match (mapped.len(), mapped.next()) {
                (1, Some(m)) => m,
                _ => c,
            }
        })
        .collect()
}

pub(super) fn title(args: Args) -> Result {
    // Go's strings.Title: a letter follows a separator when the previous character is not a
    // letter, digit, underscore or (outside ASCII) anything but a space.
    let mut out = String::new();
    let mut prev = ' ';
    for c in args.string(0)?.chars() {
        let separator = if prev.is_ascii() {
            !(prev.is_ascii_alphanumeric() || prev == '_')
        } else {
            prev.is_whitespace()
        };
        if separator {
            out.extend(c.to_uppercase().take(1));
        } else {
            out.push(c);
        }
        prev = c;
    }
    Ok(Value::String(out))
}

pub(super) fn chomp(args: Args) -> Result {
    let s = args.string(0)?;
    Ok(Value::string(s.trim_end_matches(['\r', '\n'])))
}

pub(super) fn trimspace(args: Args) -> Result {
    Ok(Value::string(args.string(0)?.trim()))
}

pub(super) fn trim(args: Args) -> Result {
    let (s, cutset) = (args.string(0)?, args.string(1)?);
    let cut: Vec<char> = cutset.chars().collect();
    Ok(Value::string(s.trim_matches(cut.as_slice())))
}

pub(super) fn trimprefix(args: Args) -> Result {
    let (s, prefix) = (args.string(0)?, args.string(1)?);
    Ok(Value::string(s.strip_prefix(&prefix).unwrap_or(&s)))
}

pub(super) fn trimsuffix(args: Args) -> Result {
    let (s, suffix) = (args.string(0)?, args.string(1)?);
    Ok(Value::string(s.strip_suffix(&suffix).unwrap_or(&s)))
}

pub(super) fn startswith(args: Args) -> Result {
    Ok(Value::Bool(args.string(0)?.starts_with(&args.string(1)?)))
}

pub(super) fn endswith(args: Args) -> Result {
    Ok(Value::Bool(args.string(0)?.ends_with(&args.string(1)?)))
}

pub(super) fn strcontains(args: Args) -> Result {
    Ok(Value::Bool(args.string(0)?.contains(&args.string(1)?)))
}

pub(super) fn strrev(args: Args) -> Result {
    Ok(Value::String(
        args.string(0)?.graphemes(true).rev().collect(),
    ))
}

pub(super) fn indent(args: Args) -> Result {
    let (spaces, s) = (args.int(0)?, args.string(1)?);
    // Beyond Go's fmt bound a pad is a mistake, and could ask for more memory than exists.
    const MAX_INDENT: i64 = 1_000_000;
    if spaces > MAX_INDENT {
        return Err(args.error(0, format!("at most {MAX_INDENT} spaces")));
    }
    let pad = " ".repeat(usize::try_from(spaces).unwrap_or(0));
    Ok(Value::String(s.replace('\n', &format!("\n{pad}"))))
}

pub(super) fn join(args: Args) -> Result {
    let separator = args.string(0)?;
    let lists = args.rest(1);
    if lists.is_empty() {
        return Err(args.error(1, "at least one list is required"));
    }
    let mut parts = Vec::new();
    for (j, list) in lists.iter().enumerate() {
        let items = list
            .as_list()
            .ok_or_else(|| args.error(j + 1, "list of string required"))?;
        for (i, item) in items.iter().enumerate() {
            if item.is_null() {
                let which = if lists.len() > 1 {
                    format!("element {i} of list {}", j + 1)
                } else {
                    format!("element {i}")
                };
                return Err(args.error(
                    j + 1,
                    format!("{which} is null; cannot concatenate null values"),
                ));
            }
            let s = super::args::to_string(item)
                .ok_or_else(|| args.error(j + 1, "list of string required"))?;
            parts.push(s);
        }
    }
    Ok(Value::String(parts.join(&separator)))
}

pub(super) fn split(args: Args) -> Result {
    let (separator, s) = (args.string(0)?, args.string(1)?);
    let parts: Vec<Value> = if separator.is_empty() {
        s.chars().map(|c| Value::String(c.to_string())).collect()
    } else {
        s.split(separator.as_str()).map(Value::string).collect()
    };
    Ok(Value::List(parts))
}

pub(super) fn substr(args: Args) -> Result {
    let s = args.string(0)?;
    let (offset, length) = (args.int(1)?, args.int(2)?);
    let clusters: Vec<&str> = s.graphemes(true).collect();
    let total = clusters.len() as i64;
    let start = if offset < 0 { offset + total } else { offset };
    let start = start.max(0);
    if start >= total {
        return Ok(Value::string(""));
    }
    let end = if length < 0 {
        total
    } else {
        start.saturating_add(length).min(total)
    };
    Ok(Value::String(
        clusters[start as usize..end as usize].concat(),
    ))
}

pub(super) fn replace(args: Args) -> Result {
    let (s, substr, replacement) = (args.string(0)?, args.string(1)?, args.string(2)?);
    if let Some(pattern) = substr
        .strip_prefix('/')
        .and_then(|rest| rest.strip_suffix('/'))
    {
        let re = Regex::new(pattern)
            .or_else(|e| fail(format!("error parsing regexp: {}", one_line(&e))))?;
        return Ok(Value::String(
            re.replace_all(&s, replacement.as_str()).into_owned(),
        ));
    }
    Ok(Value::String(s.replace(&substr, &replacement)))
}

pub(super) fn regex(args: Args) -> Result {
    let (pattern, s) = (args.string(0)?, args.string(1)?);
    let re = compile(&args, &pattern)?;
    let shape = Shape::of(&re)?;
    match re.captures(&s) {
        Some(caps) => Ok(shape.result(&caps)),
        None => fail("pattern did not match any part of the given string"),
    }
}

pub(super) fn regexall(args: Args) -> Result {
    let (pattern, s) = (args.string(0)?, args.string(1)?);
    let re = compile(&args, &pattern)?;
    let shape = Shape::of(&re)?;
    Ok(Value::List(
        re.captures_iter(&s).map(|c| shape.result(&c)).collect(),
    ))
}

fn compile(args: &Args, pattern: &str) -> std::result::Result<Regex, FunctionError> {
    Regex::new(pattern)
        .map_err(|e| args.error(0, format!("invalid regexp pattern: {}", one_line(&e))))
}

/// The regex crate's error without its multi-line caret diagram.
fn one_line(e: &regex::Error) -> String {
    let text = e.to_string();
    text.lines()
        .last()
        .unwrap_or_default()
        .trim_start_matches("error: ")
        .to_string()
}

/// What a match of a pattern yields, by its capture groups.
enum Shape {
    /// No groups: the matched text.
    Whole,
    /// Unnamed groups: a list of the captures (null where a group took no part).
    Unnamed,
    /// Named groups: an object of the captures.
    Named(Vec<String>),
}

impl Shape {
    fn of(re: &Regex) -> std::result::Result<Shape, FunctionError> {
        let groups: Vec<Option<&str>> = re.capture_names().skip(1).collect();
        let named: Vec<String> = groups.iter().flatten().map(|n| n.to_string()).collect();
        match (groups.len(), named.len()) {
            (0, _) => Ok(Shape::Whole),
            (_, 0) => Ok(Shape::Unnamed),
            (all, n) if all == n => Ok(Shape::Named(named)),
            _ => fail(
                "invalid regular expression pattern: may not mix named and unnamed capture groups",
            ),
        }
    }

    fn result(&self, caps: &regex::Captures) -> Value {
        let text = |m: Option<regex::Match>| m.map_or(Value::Null, |m| Value::string(m.as_str()));
        match self {
            Shape::Whole => text(caps.get(0)),
            Shape::Unnamed => Value::List(caps.iter().skip(1).map(text).collect()),
            Shape::Named(names) => Value::Map(
                names
                    .iter()
                    .map(|n| (n.clone(), text(caps.name(n))))
                    .collect::<BTreeMap<_, _>>(),
            ),
        }
    }
}
