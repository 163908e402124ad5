//! The text of every stack file, so diagnostics can point into it.

use ggplan_sdk::{SourcePos, SourceRange};
use std::ops::Range;

/// Which file of a [`SourceMap`] a span is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub usize);

/// One loaded file.
#[derive(Debug)]
pub struct SourceFile {
    /// The name shown in diagnostics (relative to the working directory where possible).
    pub name: String,
    pub text: String,
    line_starts: Vec<usize>,
}

/// All loaded files.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// Adds a file and returns its id.
    pub fn add(&mut self, name: String, text: String) -> FileId {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        self.files.push(SourceFile {
            name,
            text,
            line_starts,
        });
        FileId(self.files.len() - 1)
    }

    /// A file by id.
    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0]
    }

    /// The text of a file by its name, for rendering snippets.
    pub fn text_of(&self, name: &str) -> Option<String> {
        self.files
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.text.clone())
    }

    /// The names of the files it holds.
    pub fn names(&self) -> Vec<String> {
        self.files.iter().map(|f| f.name.clone()).collect()
    }

    /// A byte span of a file as a line/column range.
    pub fn range(&self, id: FileId, span: Range<usize>) -> SourceRange {
        let file = self.file(id);
        SourceRange {
            file: file.name.clone(),
            start: file.pos(span.start),
            end: file.pos(span.end),
        }
    }
}

impl SourceFile {
    fn pos(&self, byte: usize) -> SourcePos {
        // A span from the parser may end inside a character (found by tests/fuzz.rs): the
        // position is that character's.
        let mut byte = byte.min(self.text.len());
        while !self.text.is_char_boundary(byte) {
            byte -= 1;
        }
        let line = self.line_starts.partition_point(|&s| s <= byte);
        let start = self.line_starts[line - 1];
        let column = self.text[start..byte].chars().count() + 1;
        SourcePos { line, column, byte }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based() {
        let mut map = SourceMap::default();
        let id = map.add("a.tf".into(), "ab\ncdé\nx".into());
        let r = map.range(id, 3..5);
        assert_eq!((r.start.line, r.start.column), (2, 1));
        assert_eq!((r.end.line, r.end.column), (2, 3));
        assert_eq!(r.to_string(), "a.tf:2:1");
    }

    #[test]
    fn a_position_inside_a_character_is_that_character() {
        let mut map = SourceMap::default();
        let id = map.add("a.tf".into(), "cdé".into());
        let r = map.range(id, 3..4);
        assert_eq!((r.start.column, r.end.column), (3, 4));
    }
}
