//! A bound on the items of one object literal, checked on the text before it is parsed.
//!
//! The parser (hcl-edit) checks each new key of an object against every key before it, so a
//! literal of n keys costs n² comparisons: 20,000 keys take seconds, 100,000 minutes. Rather
//! than hang, a file with a literal over [`MAX_OBJECT_ITEMS`] is refused with a diagnostic
//! that says how to write the data instead. The scan is a small lexer (comments, quoted
//! strings with their `${...}` interpolations, heredocs, brackets) that counts the lines and
//! commas at an object's own depth: an upper bound of its keys, found in one pass.

use crate::config::{FileId, SourceMap};
use ggplan_sdk::Diagnostic;

/// The most items an object literal may have (about 0.7 s of parsing in a release build).
pub const MAX_OBJECT_ITEMS: usize = 10_000;

/// What a bracket opened.
enum Frame {
    /// An object literal opened at this byte, with the separators counted so far.
    Object { start: usize, items: usize },
    /// A block body, parentheses or brackets.
    Other,
    /// An interpolation inside a quoted string; closing it resumes the string.
    Interpolation,
}

/// The byte where an object literal with more than [`MAX_OBJECT_ITEMS`] items opens.
pub fn oversized_object(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut in_string = false;
    // The last significant byte: a `{` after `=`, `:`, `(`, `[`, `,`, `?` or `=>` opens an
    // object; after a name or a label, a block.
    let mut prev = b'=';
    let mut i = 0;
    while i < b.len() {
        if in_string {
            i = string_part(b, i, &mut in_string, &mut stack);
            prev = b'"';
            continue;
        }
        let next = b.get(i + 1).copied();
        match b[i] {
            // To the line's end, which the next turn reads (a file may end in a comment).
            b'#' => {
                i = line_end(b, i);
                continue;
            }
            b'/' if next == Some(b'/') => {
                i = line_end(b, i);
                continue;
            }
            b'/' if next == Some(b'*') => {
                i = text[i + 2..]
                    .find("*/")
                    .map_or(b.len(), |end| i + 2 + end + 2);
                continue;
            }
            b'"' => in_string = true,
            b'<' if next == Some(b'<') && heredoc_marker(text, i).is_some() => {
                i = heredoc_end(text, i);
                prev = b'"';
                continue;
            }
            b'{' => {
                let object = matches!(prev, b'=' | b':' | b'(' | b'[' | b',' | b'?' | b'>');
                stack.push(if object {
                    Frame::Object { start: i, items: 0 }
                } else {
                    Frame::Other
                });
            }
            b'(' | b'[' => stack.push(Frame::Other),
            b'}' | b')' | b']' => in_string = matches!(stack.pop(), Some(Frame::Interpolation)),
            b'\n' | b',' => {
                if let Some(Frame::Object { start, items }) = stack.last_mut() {
                    *items += 1;
                    if *items > MAX_OBJECT_ITEMS {
                        return Some(*start);
                    }
                }
            }
            _ => {}
        }
        if !b[i].is_ascii_whitespace() {
            prev = b[i];
        }
        i += 1;
    }
    None
}

/// Scans a quoted string from `i` to its end (clearing `in_string`) or to an interpolation
/// (pushed); returns where the scan goes on.
fn string_part(b: &[u8], mut i: usize, in_string: &mut bool, stack: &mut Vec<Frame>) -> usize {
    while i < b.len() {
        match (b[i], b.get(i + 1).copied()) {
            (b'\\', _) => i += 2,
            // `$${` and `%%{` are the literal text `${` and `%{`.
            (b'$', Some(b'$')) | (b'%', Some(b'%')) => i += 2,
            (b'$' | b'%', Some(b'{')) => {
                stack.push(Frame::Interpolation);
                *in_string = false;
                return i + 2;
            }
            (b'"', _) => {
                *in_string = false;
                return i + 1;
            }
            _ => i += 1,
        }
    }
    i
}

fn line_end(b: &[u8], i: usize) -> usize {
    b[i..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |n| i + n)
}

/// The marker of a heredoc starting at `i` (`<<EOT` or `<<-EOT`, the rest of the line empty).
fn heredoc_marker(text: &str, i: usize) -> Option<&str> {
    let rest = text[i + 2..].strip_prefix('-').unwrap_or(&text[i + 2..]);
    let line = rest.split('\n').next().unwrap_or(rest).trim_end();
    let is_name = !line.is_empty()
        && line
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-');
    is_name.then_some(line)
}

/// Where the heredoc starting at `i` ends: after its closing marker line.
fn heredoc_end(text: &str, i: usize) -> usize {
    let Some(marker) = heredoc_marker(text, i) else {
        return i + 2;
    };
    let mut at = line_end(text.as_bytes(), i);
    while at < text.len() {
        let line_start = at + 1;
        let end = line_end(text.as_bytes(), line_start);
        if text[line_start.min(end)..end].trim() == marker {
            return end;
        }
        at = end;
    }
    text.len()
}

/// The error for an object literal opening at byte `at` of `file`.
pub fn too_many_items(sources: &SourceMap, file: FileId, at: usize) -> Diagnostic {
    Diagnostic::error(
        "Object literal too large",
        format!(
            "This object has more than {MAX_OBJECT_ITEMS} lines or items; ggplan reads at most \
             that many in one literal, because parsing costs grow with the square of its keys. \
             Split it into several objects joined with merge(), or keep the data in a JSON or \
             YAML file and read it with jsondecode(file(...)) or yamldecode(file(...))."
        ),
    )
    .at_range(Some(sources.range(file, at..at + 1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(keys: usize, separator: &str) -> String {
        let items: Vec<String> = (0..keys).map(|i| format!("k{i} = {i}")).collect();
        format!("{{\n{}\n}}", items.join(separator))
    }

    #[test]
    fn counts_the_items_of_object_literals_only() {
        let big = object(MAX_OBJECT_ITEMS + 5, "\n");
        let text = format!("locals {{\n  m = {big}\n}}\n");
        assert_eq!(oversized_object(&text), Some(text.find("= {").unwrap() + 2));
        let commas = format!("x = merge({}, {{}})\n", object(MAX_OBJECT_ITEMS + 5, ", "));
        assert_eq!(oversized_object(&commas), Some(10));
        // Just under the bound, and a block body of any size, pass.
        let small = format!(
            "locals {{\n  m = {}\n}}\n",
            object(MAX_OBJECT_ITEMS - 5, "\n")
        );
        assert_eq!(oversized_object(&small), None);
        let attributes: Vec<String> = (0..MAX_OBJECT_ITEMS + 5)
            .map(|i| format!("a{i} = 1"))
            .collect();
        let block = format!("locals {{\n{}\n}}\n", attributes.join("\n"));
        assert_eq!(oversized_object(&block), None);
    }

    #[test]
    fn a_file_may_end_in_a_comment_without_a_newline() {
        for text in ["locals {}\n# last", "locals {}\n// last", "x = [\"${a # b"] {
            assert_eq!(oversized_object(text), None, "{text}");
        }
    }

    #[test]
    fn strings_comments_and_heredocs_do_not_confuse_the_count() {
        let lines = "\n".repeat(MAX_OBJECT_ITEMS + 5);
        // Newlines inside a heredoc, a comment block and a nested list are not the object's.
        let heredoc = format!("m = {{\n  a = <<-EOT\n{lines}  EOT\n  b = 1\n}}\n");
        assert_eq!(oversized_object(&heredoc), None);
        let comment = format!("m = {{\n  /*{lines}*/\n  a = 1\n}}\n");
        assert_eq!(oversized_object(&comment), None);
        let list = format!("m = {{\n  a = [{lines}]\n}}\n");
        assert_eq!(oversized_object(&list), None);
        // A brace inside a string, or inside an interpolation's string, opens nothing.
        let quoted = format!(
            "m = {{\n  a = \"}}${{\"}}\"}}\"\n{}}}\n",
            "b = 1\n".repeat(3)
        );
        assert_eq!(oversized_object(&quoted), None);
        let after = format!("{quoted}n = {}\n", object(MAX_OBJECT_ITEMS + 5, "\n"));
        assert_eq!(oversized_object(&after), Some(quoted.len() + 4));
    }
}
