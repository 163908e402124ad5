//! The canonical layout of stack and tfvars files: what `ggplan fmt` writes, byte for byte what
//! `terraform fmt` (1.15) writes.
//!
//! One token stream ([`token`]) goes through two steps: Terraform's own rewrites
//! ([`normalize`]: quoted block labels, `"${x}"` -> `x`, legacy variable types), then
//! hclwrite's whitespace rules ([`layout`]: indentation, spacing, alignment of `=` and trailing
//! comments). Comments, string literals and heredoc bodies are tokens, so they come out exactly
//! as they went in.
//!
//! Invariant: layout changes only whitespace, so the text before and after it parses (with
//! hcl-edit) to the same structure. [`format_source`] checks this on every call and refuses to
//! produce a text that fails it.

mod layout;
mod normalize;
mod token;
mod verify;

use std::path::{Path, PathBuf};

/// File name endings that `ggplan fmt` formats in a directory.
const FORMATTED_EXTENSIONS: [&str; 3] = [".tf", ".hcl", ".tfvars"];

/// A file whose canonical form differs from its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormattedFile {
    pub path: PathBuf,
    pub before: String,
    pub after: String,
}

/// Why a file could not be formatted.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// The text is not HCL native syntax.
    #[error("invalid HCL syntax at line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    /// A file of a directory could not be formatted.
    #[error("{}: {error}", path.display())]
    InFile {
        path: PathBuf,
        error: Box<FormatError>,
    },
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The formatted text would not mean what the input means (a formatter bug).
    #[error("formatting would change the structure of the file (a bug in ggplan fmt); left as is")]
    Unfaithful,
}

/// The canonical form of one stack or tfvars file, as `terraform fmt` writes it; Err with a
/// message (line/column) when the text does not parse as HCL (then nothing is written).
pub fn format_source(text: &str) -> Result<String, FormatError> {
    let parsed = hcl_edit::parser::parse_body(text).map_err(|e| FormatError::Syntax {
        line: e.location().line(),
        column: e.location().column(),
        message: e.message().to_string(),
    })?;
    let tokens = token::lex(text).map_err(|e| syntax_error_at(text, e.offset, e.message))?;
    let mut tokens = normalize::normalize(tokens);
    let normalized: String = tokens.iter().flat_map(|t| [t.gap, &t.text]).collect();
    layout::layout(&mut tokens);
    let formatted = layout::render(&tokens);
    let before = if normalized == text {
        parsed
    } else {
        hcl_edit::parser::parse_body(&normalized).map_err(|_| FormatError::Unfaithful)?
    };
    if !verify::same_structure(before, &formatted) {
        return Err(FormatError::Unfaithful);
    }
    Ok(formatted)
}

fn syntax_error_at(text: &str, offset: usize, message: &str) -> FormatError {
    let before = &text[..offset.min(text.len())];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    FormatError::Syntax {
        line: before.matches('\n').count() + 1,
        column: before[line_start..].chars().count() + 1,
        message: message.to_string(),
    }
}

/// Formats every *.tf, *.hcl, *.tfvars file in `dir` (recursively if asked), returning the
/// files whose text changed with their new text (the caller writes them, or prints a diff for
/// --check/--diff).
///
/// Like `terraform fmt`, entries are visited in name order, and hidden files and directories
/// (`.name`) and editor leftovers (`name~`, `#name#`) are skipped. The first file that cannot
/// be read or parsed ends the walk with its error.
pub fn format_dir(dir: &Path, recursive: bool) -> Result<Vec<FormattedFile>, FormatError> {
    let mut changed = Vec::new();
    visit(dir, recursive, &mut changed)?;
    Ok(changed)
}

fn visit(dir: &Path, recursive: bool, changed: &mut Vec<FormattedFile>) -> Result<(), FormatError> {
    let io_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| FormatError::Io { path, source }
    };
    let mut entries = std::fs::read_dir(dir)
        .and_then(|entries| entries.collect::<Result<Vec<_>, _>>())
        .map_err(io_error(dir))?;
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if is_ignored(name) {
            continue;
        }
        let path = entry.path();
        if entry.file_type().map_err(io_error(&path))?.is_dir() {
            if recursive {
                visit(&path, recursive, changed)?;
            }
            continue;
        }
        if !FORMATTED_EXTENSIONS.iter().any(|ext| name.ends_with(ext)) {
            continue;
        }
        let before = std::fs::read_to_string(&path).map_err(io_error(&path))?;
        let after = format_source(&before).map_err(|error| FormatError::InFile {
            path: path.clone(),
            error: Box::new(error),
        })?;
        if after != before {
            changed.push(FormattedFile {
                path,
                before,
                after,
            });
        }
    }
    Ok(())
}

/// Hidden files and editor backup/lock files, which Terraform also ignores.
fn is_ignored(name: &str) -> bool {
    name.starts_with('.') || name.ends_with('~') || (name.starts_with('#') && name.ends_with('#'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each directory under `testdata/` holds `input.tf` and `expected.tf`, the latter written
    /// by `terraform fmt` (1.15.5) from the former.
    fn golden_cases() -> Vec<(String, String, String)> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/fmt/testdata");
        let mut cases: Vec<_> = std::fs::read_dir(&root)
            .unwrap()
            .map(|entry| {
                let dir = entry.unwrap().path();
                let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
                let name = dir.file_name().unwrap().to_string_lossy().into_owned();
                (name, read("input.tf"), read("expected.tf"))
            })
            .collect();
        cases.sort();
        assert!(cases.len() >= 10, "golden cases missing");
        cases
    }

    #[test]
    fn matches_terraform_fmt_on_every_golden_case() {
        for (name, input, expected) in golden_cases() {
            let got = format_source(&input).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(got, expected, "case {name}");
        }
    }

    #[test]
    fn formatting_is_idempotent() {
        for (name, input, expected) in golden_cases() {
            let once = format_source(&input).unwrap();
            assert_eq!(format_source(&once).unwrap(), once, "case {name}");
            assert_eq!(format_source(&expected).unwrap(), expected, "case {name}");
        }
    }

    #[test]
    fn reports_a_parse_error_with_its_position() {
        let err = format_source("variable \"a\" {\n  default = [1, 2\n}\n").unwrap_err();
        let FormatError::Syntax { line, column, .. } = err else {
            panic!("expected a syntax error, got {err:?}");
        };
        assert_eq!((line, column), (3, 1));
    }

    #[test]
    fn rejects_a_heredoc_without_closing_marker_like_terraform() {
        let err = format_source("x = <<EOT\nfoo\nEOT").unwrap_err();
        assert!(
            matches!(err, FormatError::Syntax { line: 3, .. }),
            "got {err:?}"
        );
    }

    #[test]
    fn keeps_crlf_line_ends() {
        assert_eq!(
            format_source("a = 1\r\nbb = 2\r\n").unwrap(),
            "a  = 1\r\nbb = 2\r\n"
        );
    }

    #[test]
    fn formats_a_directory_tree() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("sub/.hidden")).unwrap();
        let messy = "a=1\n";
        for name in [
            "main.tf",
            "stack.hcl",
            "prod.tfvars",
            "notes.txt",
            ".x.tf",
            "b.tf~",
            "sub/inner.tf",
            "sub/.hidden/h.tf",
        ] {
            std::fs::write(root.join(name), messy).unwrap();
        }
        std::fs::write(root.join("tidy.tf"), "a = 1\n").unwrap();

        let names = |files: Vec<FormattedFile>| {
            files
                .into_iter()
                .map(|f| {
                    assert_eq!((f.before.as_str(), f.after.as_str()), (messy, "a = 1\n"));
                    f.path
                        .strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned()
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(format_dir(root, false).unwrap()),
            ["main.tf", "prod.tfvars", "stack.hcl"]
        );
        assert_eq!(
            names(format_dir(root, true).unwrap()),
            ["main.tf", "prod.tfvars", "stack.hcl", "sub/inner.tf"]
        );

        std::fs::write(root.join("sub/broken.tf"), "a = {\n").unwrap();
        let err = format_dir(root, true).unwrap_err();
        assert!(
            matches!(&err, FormatError::InFile { path, .. } if path.ends_with("sub/broken.tf")),
            "got {err:?}"
        );
    }
}
