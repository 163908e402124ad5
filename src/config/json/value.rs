//! JSON text as a tree that keeps where every value and key is written (serde_json's values
//! do not), so that blocks, expressions and diagnostics point into the file.

use std::ops::Range;

/// One JSON value and the bytes it spans.
#[derive(Debug)]
pub struct Json {
    pub span: Range<usize>,
    pub kind: Kind,
}

#[derive(Debug)]
pub enum Kind {
    Null,
    Bool,
    Number,
    String(String),
    Array(Vec<Json>),
    /// Members in the order written; a key written twice is kept twice.
    Object(Vec<Member>),
}

/// `"key": value` in an object.
#[derive(Debug)]
pub struct Member {
    pub key: String,
    /// The key with its quotes.
    pub key_span: Range<usize>,
    pub value: Json,
}

impl Json {
    /// What kind of value this is, for messages ("a string").
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            Kind::Null => "null",
            Kind::Bool => "a bool",
            Kind::Number => "a number",
            Kind::String(_) => "a string",
            Kind::Array(_) => "an array",
            Kind::Object(_) => "an object",
        }
    }
}

/// Where the text stops being JSON, and why.
#[derive(Debug, PartialEq)]
pub struct SyntaxError {
    pub at: usize,
    pub message: String,
}

/// How deep arrays and objects may nest: deeper text is refused rather than risk the stack
/// (serde_json's own limit).
const MAX_DEPTH: usize = 128;

/// Parses a whole JSON document (a leading byte-order mark is skipped).
pub fn parse(text: &str) -> Result<Json, SyntaxError> {
    let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        at: start,
        depth: 0,
    };
    let value = parser.value()?;
    parser.skip_space();
    if parser.at < text.len() {
        return Err(parser.error("unexpected text after the JSON value"));
    }
    Ok(value)
}

struct Parser<'t> {
    text: &'t str,
    bytes: &'t [u8],
    at: usize,
    depth: usize,
}

impl Parser<'_> {
    fn error(&self, message: &str) -> SyntaxError {
        SyntaxError {
            at: self.at,
            message: message.to_string(),
        }
    }

    fn skip_space(&mut self) {
        while matches!(self.bytes.get(self.at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn value(&mut self) -> Result<Json, SyntaxError> {
        self.skip_space();
        let start = self.at;
        let kind = match self.bytes.get(self.at) {
            Some(b'{') => self.nested(Self::object)?,
            Some(b'[') => self.nested(Self::array)?,
            Some(b'"') => Kind::String(self.string()?),
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(b't') => self.word("true", Kind::Bool)?,
            Some(b'f') => self.word("false", Kind::Bool)?,
            Some(b'n') => self.word("null", Kind::Null)?,
            Some(_) => return Err(self.error("expected a JSON value")),
            None => return Err(self.error("the file ends where a JSON value was expected")),
        };
        Ok(Json {
            span: start..self.at,
            kind,
        })
    }

    fn nested(
        &mut self,
        parse: fn(&mut Self) -> Result<Kind, SyntaxError>,
    ) -> Result<Kind, SyntaxError> {
        if self.depth == MAX_DEPTH {
            return Err(self.error("arrays and objects nest more than 128 deep"));
        }
        self.depth += 1;
        let kind = parse(self);
        self.depth -= 1;
        kind
    }

    fn word(&mut self, word: &str, kind: Kind) -> Result<Kind, SyntaxError> {
        if !self.text[self.at..].starts_with(word) {
            return Err(self.error("expected a JSON value"));
        }
        self.at += word.len();
        Ok(kind)
    }

    /// Reads past `byte`, or fails with what was expected.
    fn expect(&mut self, byte: u8, expected: &str) -> Result<(), SyntaxError> {
        self.skip_space();
        if self.bytes.get(self.at) != Some(&byte) {
            return Err(self.error(&format!("expected {expected}")));
        }
        self.at += 1;
        Ok(())
    }

    /// After an item: whether another follows (a comma) or the collection ends at `close`.
    fn another(&mut self, close: u8, expected: &str) -> Result<bool, SyntaxError> {
        self.skip_space();
        match self.bytes.get(self.at) {
            Some(b',') => {
                self.at += 1;
                Ok(true)
            }
            Some(&b) if b == close => {
                self.at += 1;
                Ok(false)
            }
            _ => Err(self.error(&format!("expected a comma or {expected}"))),
        }
    }

    fn object(&mut self) -> Result<Kind, SyntaxError> {
        self.at += 1;
        let mut members = Vec::new();
        self.skip_space();
        if self.bytes.get(self.at) == Some(&b'}') {
            self.at += 1;
            return Ok(Kind::Object(members));
        }
        loop {
            self.skip_space();
            if self.bytes.get(self.at) != Some(&b'"') {
                return Err(self.error("expected a property name in double quotes"));
            }
            let key_start = self.at;
            let key = self.string()?;
            let key_span = key_start..self.at;
            self.expect(b':', "a colon after the property name")?;
            let value = self.value()?;
            members.push(Member {
                key,
                key_span,
                value,
            });
            if !self.another(b'}', "a closing brace")? {
                return Ok(Kind::Object(members));
            }
        }
    }

    fn array(&mut self) -> Result<Kind, SyntaxError> {
        self.at += 1;
        let mut items = Vec::new();
        self.skip_space();
        if self.bytes.get(self.at) == Some(&b']') {
            self.at += 1;
            return Ok(Kind::Array(items));
        }
        loop {
            items.push(self.value()?);
            if !self.another(b']', "a closing bracket")? {
                return Ok(Kind::Array(items));
            }
        }
    }

    /// A quoted string, unescaped (serde_json applies JSON's escapes).
    fn string(&mut self) -> Result<String, SyntaxError> {
        let start = self.at;
        self.at += 1;
        loop {
            match self.bytes.get(self.at) {
                Some(b'"') => break,
                Some(b'\\') => self.at += 2,
                Some(b) if *b < 0x20 => {
                    return Err(self.error("a control character (such as a newline) inside a string; write it as an escape, \\n"));
                }
                Some(_) => self.at += 1,
                None => {
                    self.at = start;
                    return Err(self.error("a string that is never closed"));
                }
            }
        }
        self.at += 1;
        serde_json::from_str(&self.text[start..self.at]).map_err(|e| SyntaxError {
            at: start,
            message: format!("an invalid string: {e}"),
        })
    }

    /// A number, by JSON's grammar: `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`.
    fn number(&mut self) -> Result<Kind, SyntaxError> {
        let digits = |p: &mut Self| {
            let from = p.at;
            while p.bytes.get(p.at).is_some_and(u8::is_ascii_digit) {
                p.at += 1;
            }
            p.at > from
        };
        let start = self.at;
        let invalid = |p: &Self, why: &str| SyntaxError {
            at: start,
            message: format!("an invalid number{why} ({})", &p.text[start..p.at]),
        };
        if self.bytes.get(self.at) == Some(&b'-') {
            self.at += 1;
        }
        let leading_zero = self.bytes.get(self.at) == Some(&b'0');
        let integer_start = self.at;
        if !digits(self) || (leading_zero && self.at - integer_start > 1) {
            return Err(invalid(self, ""));
        }
        if self.bytes.get(self.at) == Some(&b'.') {
            self.at += 1;
            if !digits(self) {
                return Err(invalid(self, ": digits must follow the point"));
            }
        }
        if matches!(self.bytes.get(self.at), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.bytes.get(self.at), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if !digits(self) {
                return Err(invalid(self, ": digits must follow the exponent"));
            }
        }
        Ok(Kind::Number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_keep_their_spans_and_keys_their_order() {
        let text = r#" {"b": [1, -2.5e3, true, null], "a": "x\"y", "b": {}} "#;
        let json = parse(text).unwrap();
        assert_eq!(&text[json.span.clone()], &text[1..text.len() - 1]);
        let Kind::Object(members) = &json.kind else {
            panic!("{json:?}")
        };
        let keys: Vec<_> = members.iter().map(|m| m.key.as_str()).collect();
        assert_eq!(keys, ["b", "a", "b"]);
        assert_eq!(&text[members[1].key_span.clone()], "\"a\"");
        assert!(matches!(&members[1].value.kind, Kind::String(s) if s == "x\"y"));
        let Kind::Array(items) = &members[0].value.kind else {
            panic!()
        };
        assert_eq!(&text[items[1].span.clone()], "-2.5e3");
    }

    #[test]
    fn errors_say_where_and_what() {
        for (text, at, says) in [
            ("{\"a\": 1,}", 8, "property name"),
            ("{\"a\" 1}", 5, "colon"),
            ("[1 2]", 3, "comma"),
            ("{\"a\": 01}", 6, "invalid number"),
            ("{\"a\": \"x\ny\"}", 8, "control character"),
            ("{\"a\": \"x}", 6, "never closed"),
            ("{} {}", 3, "after the JSON value"),
            ("{\"a\": tru}", 6, "expected a JSON value"),
            ("{\"a\": \"\\q\"}", 6, "invalid string"),
        ] {
            let err = parse(text).unwrap_err();
            assert_eq!(err.at, at, "{text}: {err:?}");
            assert!(err.message.contains(says), "{text}: {err:?}");
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let text = "[".repeat(100_000);
        assert!(parse(&text).unwrap_err().message.contains("128 deep"));
    }
}
