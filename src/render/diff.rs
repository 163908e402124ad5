//! Value diffs as Terraform prints them inside a resource block or an output change:
//! `~ name = "a" -> "b"`, maps and lists with a symbol per entry, multi-line strings as heredoc
//! line diffs, `(known after apply)`, `(sensitive value)` and `# forces replacement`.
//!
//! Layout: an entry's symbol sits at column `indent`; its children at `indent + 4`; the closing
//! bracket, `EOT` and the symbol-less lines of a heredoc line up with the entry's name
//! (`indent + 2`, heredoc text at `indent + 6`); `# (N unchanged ... hidden)` lines line up
//! with the children's names.

use super::value::{key_label, quote};
use super::{Style, ansi};
use ggplan_sdk::{AttrPath, Value};
use similar::{Algorithm, DiffTag, capture_diff_slices};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// What happens to one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Keep,
    Create,
    Update,
    Delete,
}

/// One side of a change: `None` when the value does not exist on that side.
type Side<'v> = Option<&'v Value>;

fn op_of(before: Side, after: Side) -> Op {
    match (before, after) {
        (None, None) => Op::Keep,
        (None, Some(_)) => Op::Create,
        (Some(_), None) => Op::Delete,
        (Some(b), Some(a)) if b == a => Op::Keep,
        (Some(_), Some(_)) => Op::Update,
    }
}

/// Attribute names shown in an update even when unchanged, because they identify the object.
const IDENTIFYING: [&str; 3] = ["id", "name", "tags"];

/// Renders diffs in one style, marking the attributes whose change forces a replacement.
pub(super) struct Differ<'a> {
    pub style: &'a Style,
    pub replace_paths: &'a [AttrPath],
}

impl Differ<'_> {
    /// The lines (each ending in a newline) of the attributes of a resource object, children at
    /// `indent + 4`. At this level a null attribute is as good as absent: nulls are omitted,
    /// a removed value reads `- name = old -> null`, and `id`, `name` and `tags` are shown even
    /// when unchanged.
    pub fn resource_attributes(&self, before: Side, after: Side, indent: usize) -> String {
        self.entries(
            &present(before),
            &present(after),
            &AttrPath::root(),
            indent,
            true,
        )
    }

    /// The text after `name = ` for one change whose symbol is at column `indent`; lines after
    /// the first are indented already. With `null_suffix`, a removal ends in `-> null`.
    pub fn change(
        &self,
        before: Side,
        after: Side,
        path: &AttrPath,
        indent: usize,
        null_suffix: bool,
    ) -> String {
        let op = op_of(before, after);
        let body = match (before, after) {
            (Some(Value::Sensitive(_)), _) | (_, Some(Value::Sensitive(_))) => {
                "(sensitive value)".to_string()
            }
            (Some(b), Some(a)) if op == Op::Update => self.update(b, a, path, indent),
            _ => {
                let shown = if op == Op::Delete { before } else { after };
                shown.map_or_else(|| "null".to_string(), |v| self.whole(v, op, indent))
            }
        };
        let mut text = match op {
            Op::Delete if null_suffix => format!("{body} {} null", self.arrow()),
            _ => body,
        };
        if op != Op::Keep && self.replace_paths.contains(path) {
            let mark = format!(" {}", self.style.paint(ansi::RED, "# forces replacement"));
            let end_of_first_line = text.find('\n').unwrap_or(text.len());
            text.insert_str(end_of_first_line, &mark);
        }
        text
    }

    fn update(&self, before: &Value, after: &Value, path: &AttrPath, indent: usize) -> String {
        match (before, after) {
            (_, Value::Unknown) => format!(
                "{} {} (known after apply)",
                self.whole(before, Op::Delete, indent),
                self.arrow()
            ),
            (Value::Map(b), Value::Map(a)) => {
                let b = b.iter().map(|(k, v)| (k.clone(), v)).collect();
                let a = a.iter().map(|(k, v)| (k.clone(), v)).collect();
                format!(
                    "{{\n{}{}}}",
                    self.entries(&b, &a, path, indent, false),
                    pad(indent + 2)
                )
            }
            (Value::List(b), Value::List(a)) => self.list(b, a, path, indent),
            (Value::String(b), Value::String(a)) if b.contains('\n') || a.contains('\n') => {
                self.heredoc_diff(b, a, indent)
            }
            _ => format!(
                "{} {} {}",
                self.whole(before, Op::Delete, indent),
                self.arrow(),
                self.whole(after, Op::Create, indent)
            ),
        }
    }

    /// The entry lines of a map or object diff, and the count of unchanged entries hidden.
    fn entries(
        &self,
        before: &BTreeMap<String, &Value>,
        after: &BTreeMap<String, &Value>,
        path: &AttrPath,
        indent: usize,
        top: bool,
    ) -> String {
        let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
        // Terraform aligns on `=` over all entries, the hidden ones included.
        let width = super::align_width(keys.iter().map(|k| key_label(k).chars().count()));
        let mut out = String::new();
        let mut hidden = 0;
        for key in keys {
            let (b, a) = (before.get(key).copied(), after.get(key).copied());
            let op = op_of(b, a);
            if op == Op::Keep && !(top && IDENTIFYING.contains(&key.as_str())) {
                hidden += 1;
                continue;
            }
            let value = self.change(b, a, &path.key(key), indent + 4, top);
            let label = key_label(key);
            let _ = writeln!(
                out,
                "{}{} {label:<width$} = {value}",
                pad(indent + 4),
                self.symbol(op)
            );
        }
        out.push_str(&self.hidden(hidden, "attribute", indent));
        out
    }

    fn list(&self, before: &[Value], after: &[Value], path: &AttrPath, indent: usize) -> String {
        let pairs = pair_elements(before, after);
        let ops: Vec<Op> = pairs.iter().map(|&(b, a, _)| op_of(b, a)).collect();
        // Unchanged elements next to a change are shown for context; the others are hidden.
        let shown = |i: usize| {
            ops[i] != Op::Keep
                || (i > 0 && ops[i - 1] != Op::Keep)
                || ops.get(i + 1).is_some_and(|&op| op != Op::Keep)
        };
        let mut out = String::from("[\n");
        let mut hidden = 0;
        for (i, &(b, a, index)) in pairs.iter().enumerate() {
            if !shown(i) {
                hidden += 1;
                continue;
            }
            out.push_str(&self.hidden(hidden, "element", indent));
            hidden = 0;
            let value = self.change(b, a, &path.index(index), indent + 4, false);
            let _ = writeln!(out, "{}{} {value},", pad(indent + 4), self.symbol(ops[i]));
        }
        out.push_str(&self.hidden(hidden, "element", indent));
        let _ = write!(out, "{}]", pad(indent + 2));
        out
    }

    fn heredoc_diff(&self, before: &str, after: &str, indent: usize) -> String {
        let (b, a) = (heredoc_lines(before), heredoc_lines(after));
        let mut out = String::from("<<-EOT\n");
        for op in capture_diff_slices(Algorithm::Myers, &b, &a) {
            let (tag, old, new) = op.as_tag_tuple();
            let lines: Vec<(Op, &str)> = if tag == DiffTag::Equal {
                b[old].iter().map(|l| (Op::Keep, *l)).collect()
            } else {
                let removed = b[old].iter().map(|l| (Op::Delete, *l));
                removed
                    .chain(a[new].iter().map(|l| (Op::Create, *l)))
                    .collect()
            };
            for (op, line) in lines {
                let text = format!("{}{} {line}", pad(indent + 4), self.symbol(op));
                let _ = writeln!(out, "{}", text.trim_end());
            }
        }
        let _ = write!(out, "{}EOT", pad(indent + 2));
        out
    }

    /// A whole value whose every part takes the same symbol (`+` created, `-` destroyed,
    /// blank unchanged).
    fn whole(&self, value: &Value, op: Op, indent: usize) -> String {
        match value {
            Value::Sensitive(_) => "(sensitive value)".to_string(),
            Value::Unknown => "(known after apply)".to_string(),
            Value::Null => "null".to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            Value::String(s) if s.contains('\n') => {
                let mut out = String::from("<<-EOT\n");
                for line in heredoc_lines(s) {
                    let text = format!("{}{line}", pad(indent + 6));
                    let _ = writeln!(out, "{}", text.trim_end());
                }
                let _ = write!(out, "{}EOT", pad(indent + 2));
                out
            }
            Value::String(s) => quote(s),
            Value::List(items) if items.is_empty() => "[]".to_string(),
            Value::List(items) => {
                let mut out = String::from("[\n");
                for item in items {
                    let text = self.whole(item, op, indent + 4);
                    let _ = writeln!(out, "{}{} {text},", pad(indent + 4), self.symbol(op));
                }
                let _ = write!(out, "{}]", pad(indent + 2));
                out
            }
            Value::Map(map) if map.is_empty() => "{}".to_string(),
            Value::Map(map) => {
                let width = super::align_width(map.keys().map(|k| key_label(k).chars().count()));
                let mut out = String::from("{\n");
                for (key, item) in map {
                    let text = self.whole(item, op, indent + 4);
                    let label = key_label(key);
                    let _ = writeln!(
                        out,
                        "{}{} {label:<width$} = {text}",
                        pad(indent + 4),
                        self.symbol(op)
                    );
                }
                let _ = write!(out, "{}}}", pad(indent + 2));
                out
            }
        }
    }

    /// `# (N unchanged <noun>s hidden)` at the children's name column, or nothing for zero.
    fn hidden(&self, count: usize, noun: &str, indent: usize) -> String {
        if count == 0 {
            return String::new();
        }
        let plural = if count == 1 { "" } else { "s" };
        let text = format!("# ({count} unchanged {noun}{plural} hidden)");
        format!(
            "{}{}\n",
            pad(indent + 6),
            self.style.paint(ansi::GREY, &text)
        )
    }

    fn symbol(&self, op: Op) -> String {
        match op {
            Op::Keep => " ".to_string(),
            Op::Create => self.style.paint(ansi::GREEN, "+"),
            Op::Update => self.style.paint(ansi::YELLOW, "~"),
            Op::Delete => self.style.paint(ansi::RED, "-"),
        }
    }

    fn arrow(&self) -> String {
        self.style.paint(ansi::YELLOW, "->")
    }
}

/// The non-null attributes of a resource object.
fn present(side: Side<'_>) -> BTreeMap<String, &Value> {
    match side {
        Some(Value::Map(map)) => map
            .iter()
            .filter(|(_, v)| !matches!(v, Value::Null))
            .map(|(k, v)| (k.clone(), v))
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// Pairs up the elements of two lists: position by position when the lengths match (an
/// element changed in place), else along their longest common subsequence, so an insertion
/// or removal shows as one `+` or `-`. Each pair carries the index used for its path.
fn pair_elements<'v>(before: &'v [Value], after: &'v [Value]) -> Vec<(Side<'v>, Side<'v>, usize)> {
    if before.len() == after.len() {
        return before
            .iter()
            .zip(after)
            .enumerate()
            .map(|(i, (b, a))| (Some(b), Some(a), i))
            .collect();
    }
    let (b_ids, a_ids) = equality_classes(before, after);
    let mut pairs = Vec::new();
    for op in capture_diff_slices(Algorithm::Myers, &b_ids, &a_ids) {
        let (tag, old, new) = op.as_tag_tuple();
        if tag == DiffTag::Equal {
            pairs.extend(
                old.zip(new)
                    .map(|(i, j)| (Some(&before[i]), Some(&after[j]), j)),
            );
            continue;
        }
        // Objects replaced by objects are diffed against each other, as Terraform does.
        let objects = old
            .clone()
            .zip(new.clone())
            .take_while(|&(i, j)| {
                matches!(before[i], Value::Map(_)) && matches!(after[j], Value::Map(_))
            })
            .count();
        let (old_rest, new_rest) = (old.start + objects..old.end, new.start + objects..new.end);
        pairs.extend(
            old.zip(new)
                .take(objects)
                .map(|(i, j)| (Some(&before[i]), Some(&after[j]), j)),
        );
        pairs.extend(old_rest.map(|i| (Some(&before[i]), None, i)));
        pairs.extend(new_rest.map(|j| (None, Some(&after[j]), j)));
    }
    pairs
}

/// Numbers each element so that equal values get equal numbers: a hashable stand-in for
/// values, which never turns a secret into text.
fn equality_classes<'v>(before: &'v [Value], after: &'v [Value]) -> (Vec<usize>, Vec<usize>) {
    let mut seen: Vec<&'v Value> = Vec::new();
    let mut class = |v: &'v Value| match seen.iter().position(|s| *s == v) {
        Some(i) => i,
        None => {
            seen.push(v);
            seen.len() - 1
        }
    };
    let b = before.iter().map(&mut class).collect();
    let a = after.iter().map(&mut class).collect();
    (b, a)
}

/// The lines of a multi-line string; a final newline ends the last line rather than adding
/// an empty one.
fn heredoc_lines(s: &str) -> Vec<&str> {
    s.strip_suffix('\n').unwrap_or(s).split('\n').collect()
}

fn pad(width: usize) -> String {
    " ".repeat(width)
}
