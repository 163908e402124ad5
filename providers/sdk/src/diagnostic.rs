//! Diagnostics: errors and warnings with enough context to act on.

use crate::path::AttrPath;
use serde::Serialize;
use std::fmt;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

/// A position in a source file (1-based line and column; 0-based byte offset).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct SourcePos {
    pub line: usize,
    pub column: usize,
    pub byte: usize,
}

/// A range in a source file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceRange {
    pub file: String,
    pub start: SourcePos,
    pub end: SourcePos,
}

impl fmt::Display for SourceRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.start.line, self.start.column)
    }
}

/// One problem: a one-line summary, a detail that says what to do, and where it is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub summary: String,
    pub detail: String,
    /// The attribute of the resource the problem is about, when a provider knows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribute: Option<AttrPath>,
    /// Where in the stack files the problem is, when the engine knows it (boxed to keep
    /// `Result<_, Diagnostic>` small).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range: Option<Box<SourceRange>>,
}

impl Diagnostic {
    /// An error.
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            summary: summary.into(),
            detail: detail.into(),
            attribute: None,
            range: None,
        }
    }

    /// A warning.
    pub fn warning(summary: impl Into<String>, detail: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(summary, detail)
        }
    }

    /// The same diagnostic about an attribute. The root path names no attribute (the
    /// problem is about the whole resource): the diagnostic stays without one.
    pub fn at_attribute(mut self, path: AttrPath) -> Diagnostic {
        self.attribute = (!path.0.is_empty()).then_some(path);
        self
    }

    /// The same diagnostic at a source range (kept if it already has one).
    pub fn at_range(mut self, range: Option<SourceRange>) -> Diagnostic {
        if self.range.is_none() {
            self.range = range.map(Box::new);
        }
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "Error",
            Severity::Warning => "Warning",
        };
        write!(f, "{level}: {}", self.summary)?;
        if let Some(range) = &self.range {
            write!(f, "\n  on {range}")?;
        }
        if let Some(attr) = &self.attribute {
            write!(f, "\n  attribute {attr}")?;
        }
        if !self.detail.is_empty() {
            write!(f, "\n\n{}", self.detail)?;
        }
        Ok(())
    }
}

/// A list of diagnostics; the unit in which errors travel.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// No diagnostics.
    pub fn new() -> Diagnostics {
        Diagnostics(Vec::new())
    }

    /// Adds one diagnostic.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    /// Adds all of `other`.
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    /// Whether any of them is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` if there is no error, else these diagnostics.
    pub fn into_result<T>(self, value: T) -> Result<T, Diagnostics> {
        if self.has_errors() {
            Err(self)
        } else {
            Ok(value)
        }
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(diagnostic: Diagnostic) -> Diagnostics {
        Diagnostics(vec![diagnostic])
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_diagnostic_about_the_root_path_names_no_attribute() {
        let whole = Diagnostic::error("refused", "").at_attribute(AttrPath::root());
        assert_eq!(whole.attribute, None);
        assert!(!whole.to_string().contains("attribute"), "{whole}");
        let data = Diagnostic::error("refused", "").at_attribute(AttrPath::attr("data"));
        assert_eq!(data.attribute, Some(AttrPath::attr("data")));
    }
}
