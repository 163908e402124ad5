//! The token stream the formatter works on: HCL native syntax cut into the same tokens as
//! Terraform's lexer (hclsyntax), with the whitespace between them kept aside so that
//! formatting can change nothing but that whitespace.

use std::borrow::Cow;

/// What a token is, named after hclsyntax's token types so the layout rules read the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    OBrace,
    CBrace,
    OBrack,
    CBrack,
    OParen,
    CParen,
    /// `"` opening a quoted template.
    OQuote,
    /// `"` closing a quoted template.
    CQuote,
    /// `<<EOT` or `<<-EOT` with its line end.
    OHeredoc,
    /// The whole line holding a heredoc's closing marker, without its line end.
    CHeredoc,
    /// `${` or `${~`.
    TemplateInterp,
    /// `%{` or `%{~`.
    TemplateControl,
    /// `}` or `~}` closing an interpolation or directive.
    TemplateSeqEnd,
    /// Literal text of a quoted template, escapes included as written.
    QuotedLit,
    /// Literal text of a heredoc, line ends included.
    StringLit,
    NumberLit,
    Ident,
    /// A comment; `#` and `//` comments include their line end.
    Comment,
    Newline,
    Equal,
    EqualOp,
    NotEqual,
    LessThan,
    LessThanEq,
    GreaterThan,
    GreaterThanEq,
    And,
    Or,
    Bang,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Dot,
    Comma,
    Colon,
    DoubleColon,
    Question,
    Ellipsis,
    FatArrow,
    /// The end of the file, after any trailing blanks (which Terraform keeps).
    Eof,
}

impl Kind {
    /// +1 for tokens that open a nesting level, -1 for tokens that close one (the
    /// hclwrite rule: quotes and heredoc markers do not count).
    pub(super) fn bracket_change(self) -> i32 {
        match self {
            Kind::OBrace
            | Kind::OBrack
            | Kind::OParen
            | Kind::TemplateControl
            | Kind::TemplateInterp => 1,
            Kind::CBrace | Kind::CBrack | Kind::CParen | Kind::TemplateSeqEnd => -1,
            _ => 0,
        }
    }
}

/// One token: its text as written, and the whitespace before it.
#[derive(Debug, Clone)]
pub(super) struct Token<'a> {
    pub kind: Kind,
    pub text: Cow<'a, str>,
    /// The blanks that preceded the token in the source (none for tokens the formatter made).
    pub gap: &'a str,
    /// The number of spaces the formatter puts before the token.
    pub spaces: usize,
}

impl<'a> Token<'a> {
    /// A token the formatter introduces (not from the source).
    pub(super) fn new(kind: Kind, text: impl Into<Cow<'a, str>>) -> Self {
        Token {
            kind,
            text: text.into(),
            gap: "",
            spaces: 0,
        }
    }

    /// True for tokens that end a line: newlines and `#`/`//` comments.
    pub(super) fn ends_line(&self) -> bool {
        match self.kind {
            Kind::Newline => true,
            Kind::Comment => self.text.ends_with('\n'),
            _ => false,
        }
    }
}

/// Where and why the text could not be cut into tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct LexError {
    pub offset: usize,
    pub message: &'static str,
}

/// Cuts `src` into tokens, the last being [`Kind::Eof`]. Whitespace between tokens (spaces
/// and tabs) is kept in `gap`.
pub(super) fn lex(src: &str) -> Result<Vec<Token<'_>>, LexError> {
    let mut lexer = Lexer {
        src,
        pos: 0,
        tokens: Vec::new(),
        modes: vec![Mode::Main {
            braces: 0,
            in_template: false,
        }],
    };
    lexer.run()?;
    if lexer.tokens.last().map(|t| t.kind) != Some(Kind::Eof) {
        lexer.push(Kind::Eof, 0, "");
    }
    Ok(lexer.tokens)
}

/// What the lexer is inside of: ordinary expressions, a quoted template, or a heredoc.
#[derive(Debug)]
enum Mode<'a> {
    /// Expressions; `in_template` when opened by `${`/`%{`, whose closing `}` comes when
    /// `braces` (object/block braces opened since) is back at zero.
    Main {
        braces: usize,
        in_template: bool,
    },
    Quoted,
    Heredoc {
        marker: &'a str,
        start_of_line: bool,
    },
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    tokens: Vec<Token<'a>>,
    modes: Vec<Mode<'a>>,
}

const TWO_CHAR_OPERATORS: [(&str, Kind); 8] = [
    ("==", Kind::EqualOp),
    ("!=", Kind::NotEqual),
    ("<=", Kind::LessThanEq),
    (">=", Kind::GreaterThanEq),
    ("&&", Kind::And),
    ("||", Kind::Or),
    ("=>", Kind::FatArrow),
    ("::", Kind::DoubleColon),
];

impl<'a> Lexer<'a> {
    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn error(&self, message: &'static str) -> LexError {
        LexError {
            offset: self.pos,
            message,
        }
    }

    /// Emits the token spanning `len` bytes from the current position.
    fn push(&mut self, kind: Kind, len: usize, gap: &'a str) {
        let text = &self.src[self.pos..self.pos + len];
        self.tokens.push(Token {
            kind,
            text: Cow::Borrowed(text),
            gap,
            spaces: 0,
        });
        self.pos += len;
    }

    fn run(&mut self) -> Result<(), LexError> {
        while self.pos < self.src.len() {
            match self.modes.last() {
                Some(Mode::Main { .. }) | None => self.main()?,
                Some(Mode::Quoted) => self.quoted()?,
                Some(Mode::Heredoc { .. }) => self.heredoc()?,
            }
        }
        match self.modes.last() {
            Some(Mode::Main {
                in_template: false, ..
            })
            | None => Ok(()),
            Some(Mode::Heredoc { .. }) => {
                Err(self.error("unterminated heredoc: no closing marker was found"))
            }
            Some(_) => Err(self.error("unterminated template string")),
        }
    }

    fn main(&mut self) -> Result<(), LexError> {
        let rest = self.rest();
        let blanks = rest.len() - rest.trim_start_matches([' ', '\t']).len();
        let gap = &self.src[self.pos..self.pos + blanks];
        self.pos += blanks;
        let rest = self.rest();
        let Some(c) = rest.chars().next() else {
            self.push(Kind::Eof, 0, gap);
            return Ok(());
        };
        match c {
            '\n' => self.push(Kind::Newline, 1, gap),
            '\r' if rest.starts_with("\r\n") => self.push(Kind::Newline, 2, gap),
            '#' => self.push(Kind::Comment, line_comment_len(rest), gap),
            '/' if rest.starts_with("//") => self.push(Kind::Comment, line_comment_len(rest), gap),
            '/' if rest.starts_with("/*") => match rest[2..].find("*/") {
                Some(end) => self.push(Kind::Comment, end + 4, gap),
                None => return Err(self.error("unterminated /* comment")),
            },
            '0'..='9' => self.push(Kind::NumberLit, number_len(rest), gap),
            '"' => {
                self.push(Kind::OQuote, 1, gap);
                self.modes.push(Mode::Quoted);
            }
            '<' if rest.starts_with("<<") => match heredoc_opener(rest) {
                Some((len, marker)) => {
                    self.push(Kind::OHeredoc, len, gap);
                    self.modes.push(Mode::Heredoc {
                        marker,
                        start_of_line: true,
                    });
                }
                None => self.push(Kind::LessThan, 1, gap),
            },
            '{' => {
                if let Some(Mode::Main { braces, .. }) = self.modes.last_mut() {
                    *braces += 1;
                }
                self.push(Kind::OBrace, 1, gap);
            }
            '}' => self.close_brace(1, gap)?,
            '~' if rest.starts_with("~}") => self.close_brace(2, gap)?,
            c if c == '_' || unicode_ident::is_xid_start(c) => {
                let len = rest
                    .char_indices()
                    .find(|&(_, c)| !(c == '-' || unicode_ident::is_xid_continue(c)))
                    .map_or(rest.len(), |(i, _)| i);
                self.push(Kind::Ident, len, gap);
            }
            _ => {
                let kind = if rest.starts_with("...") {
                    Some((Kind::Ellipsis, 3))
                } else {
                    TWO_CHAR_OPERATORS
                        .iter()
                        .find(|(op, _)| rest.starts_with(op))
                        .map(|&(_, kind)| (kind, 2))
                        .or_else(|| single_char_operator(c).map(|kind| (kind, 1)))
                };
                match kind {
                    Some((kind, len)) => self.push(kind, len, gap),
                    None => return Err(self.error("invalid character")),
                }
            }
        }
        Ok(())
    }

    /// A `}` (or `~}`, `len` 2): the end of a template sequence when it balances the `${`/`%{`
    /// that opened this expression mode, otherwise an ordinary closing brace.
    fn close_brace(&mut self, len: usize, gap: &'a str) -> Result<(), LexError> {
        match self.modes.last_mut() {
            Some(Mode::Main {
                braces: 0,
                in_template: true,
            }) => {
                self.modes.pop();
                self.push(Kind::TemplateSeqEnd, len, gap);
                if let Some(Mode::Heredoc { start_of_line, .. }) = self.modes.last_mut() {
                    *start_of_line = false;
                }
            }
            Some(Mode::Main { braces, .. }) if len == 1 => {
                *braces = braces.saturating_sub(1);
                self.push(Kind::CBrace, 1, gap);
            }
            _ => return Err(self.error("invalid character")),
        }
        Ok(())
    }

    /// Opens `${` or `%{` (with an optional `~`) if one starts here.
    fn template_sequence(&mut self) -> bool {
        let rest = self.rest();
        let kind = if rest.starts_with("${") {
            Kind::TemplateInterp
        } else if rest.starts_with("%{") {
            Kind::TemplateControl
        } else {
            return false;
        };
        let len = if rest[2..].starts_with('~') { 3 } else { 2 };
        self.push(kind, len, "");
        if let Some(Mode::Heredoc { start_of_line, .. }) = self.modes.last_mut() {
            *start_of_line = false;
        }
        self.modes.push(Mode::Main {
            braces: 0,
            in_template: true,
        });
        true
    }

    fn quoted(&mut self) -> Result<(), LexError> {
        if self.rest().starts_with('"') {
            self.push(Kind::CQuote, 1, "");
            self.modes.pop();
            return Ok(());
        }
        if self.template_sequence() {
            return Ok(());
        }
        let len = literal_len(self.rest(), true);
        if len == 0 {
            return Err(self.error("unterminated template string"));
        }
        self.push(Kind::QuotedLit, len, "");
        Ok(())
    }

    fn heredoc(&mut self) -> Result<(), LexError> {
        let Some(&Mode::Heredoc {
            marker,
            start_of_line,
        }) = self.modes.last()
        else {
            return Ok(());
        };
        let rest = self.rest();
        if start_of_line && let Some(eol) = rest.find('\n') {
            let line = rest[..eol].strip_suffix('\r').unwrap_or(&rest[..eol]);
            if line.trim() == marker {
                // The closing marker line, then its line end as a separate newline token
                // (so it ends the attribute like any other line).
                self.push(Kind::CHeredoc, line.len(), "");
                self.push(Kind::Newline, eol + 1 - line.len(), "");
                self.modes.pop();
                return Ok(());
            }
        }
        if self.template_sequence() {
            return Ok(());
        }
        let len = literal_len(rest, false);
        let through_eol = rest[..len].ends_with('\n');
        self.push(Kind::StringLit, len, "");
        if let Some(Mode::Heredoc { start_of_line, .. }) = self.modes.last_mut() {
            *start_of_line = through_eol;
        }
        Ok(())
    }
}

/// Length of a `#` or `//` comment, its line end included.
fn line_comment_len(rest: &str) -> usize {
    rest.find('\n').map_or(rest.len(), |i| i + 1)
}

/// Length of a number literal: digits, a fraction, an exponent.
fn number_len(rest: &str) -> usize {
    let bytes = rest.as_bytes();
    let digits = |from: usize| {
        bytes[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let mut len = digits(0);
    loop {
        match bytes.get(len) {
            Some(b'.') if bytes.get(len + 1).is_some_and(u8::is_ascii_digit) => {
                len += 1 + digits(len + 1);
            }
            Some(b'e' | b'E') => {
                let sign = usize::from(matches!(bytes.get(len + 1), Some(b'+' | b'-')));
                if !bytes.get(len + 1 + sign).is_some_and(u8::is_ascii_digit) {
                    return len;
                }
                len += 1 + sign + digits(len + 1 + sign);
            }
            _ => return len,
        }
    }
}

/// `<<EOT` or `<<-EOT` followed by a line end: the opener's length (line end included) and
/// the marker.
fn heredoc_opener(rest: &str) -> Option<(usize, &str)> {
    let start = if rest[2..].starts_with('-') { 3 } else { 2 };
    let after = &rest[start..];
    let first = after.chars().next()?;
    if !(first == '_' || unicode_ident::is_xid_start(first)) {
        return None;
    }
    let marker_len = after
        .char_indices()
        .find(|&(_, c)| !(c == '-' || unicode_ident::is_xid_continue(c)))
        .map_or(after.len(), |(i, _)| i);
    let eol = if after[marker_len..].starts_with('\n') {
        1
    } else if after[marker_len..].starts_with("\r\n") {
        2
    } else {
        return None;
    };
    Some((start + marker_len + eol, &after[..marker_len]))
}

/// Length of template literal text from the start of `rest`: up to an unescaped `${`/`%{`,
/// and in a quoted template up to the closing quote or a line end; in a heredoc through the
/// line end.
fn literal_len(rest: &str, quoted: bool) -> usize {
    let bytes = rest.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quoted => {
                i += 1;
                if let Some(c) = rest[i..].chars().next()
                    && c != '\n'
                    && c != '\r'
                {
                    i += c.len_utf8();
                }
            }
            // `$${` and `%%{` are escapes for a literal `${` and `%{`.
            b @ (b'$' | b'%')
                if bytes.get(i + 1) == Some(&b) && bytes.get(i + 2) == Some(&b'{') =>
            {
                i += 3;
            }
            b'$' | b'%' if bytes.get(i + 1) == Some(&b'{') => return i,
            b'"' | b'\r' | b'\n' if quoted => return i,
            b'\n' => return i + 1,
            _ => i += 1,
        }
    }
    i
}

fn single_char_operator(c: char) -> Option<Kind> {
    Some(match c {
        '[' => Kind::OBrack,
        ']' => Kind::CBrack,
        '(' => Kind::OParen,
        ')' => Kind::CParen,
        '=' => Kind::Equal,
        '<' => Kind::LessThan,
        '>' => Kind::GreaterThan,
        '!' => Kind::Bang,
        '+' => Kind::Plus,
        '-' => Kind::Minus,
        '*' => Kind::Star,
        '/' => Kind::Slash,
        '%' => Kind::Percent,
        '.' => Kind::Dot,
        ',' => Kind::Comma,
        ':' => Kind::Colon,
        '?' => Kind::Question,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(Kind, String)> {
        lex(src)
            .unwrap()
            .into_iter()
            .map(|t| (t.kind, t.text.into_owned()))
            .collect()
    }

    #[test]
    fn round_trips_the_source() {
        let src = "a = \"x${b}%{ if c }y$${z}%%{w}\\\"q%{ endif }\" # c\r\nh = <<-EOT\n  ${ {a=1} }\n  EOT\n/* m\n*/ n = -1.5e+3\n";
        let back: String = lex(src)
            .unwrap()
            .iter()
            .map(|t| format!("{}{}", t.gap, t.text))
            .collect();
        assert_eq!(back, src);
    }

    #[test]
    fn cuts_templates_like_hclsyntax() {
        use Kind::*;
        let got = kinds("a = \"x${ {b=1} }$${y}\"\n");
        let want = [
            (Ident, "a"),
            (Equal, "="),
            (OQuote, "\""),
            (QuotedLit, "x"),
            (TemplateInterp, "${"),
            (OBrace, "{"),
            (Ident, "b"),
            (Equal, "="),
            (NumberLit, "1"),
            (CBrace, "}"),
            (TemplateSeqEnd, "}"),
            (QuotedLit, "$${y}"),
            (CQuote, "\""),
            (Newline, "\n"),
            (Eof, ""),
        ];
        let want: Vec<_> = want.iter().map(|&(k, t)| (k, t.to_string())).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn heredoc_closing_marker_is_a_line_of_its_own() {
        use Kind::*;
        let got = kinds("x = <<-EOT\n  a ${b}EOT\n  EOT\n");
        let got: Vec<_> = got.iter().map(|(k, t)| (*k, t.as_str())).collect();
        assert_eq!(
            got,
            [
                (Ident, "x"),
                (Equal, "="),
                (OHeredoc, "<<-EOT\n"),
                (StringLit, "  a "),
                (TemplateInterp, "${"),
                (Ident, "b"),
                (TemplateSeqEnd, "}"),
                (StringLit, "EOT\n"),
                (CHeredoc, "  EOT"),
                (Newline, "\n"),
                (Eof, ""),
            ]
        );
    }

    #[test]
    fn numbers_stop_before_a_trailing_dot() {
        assert_eq!(number_len("1.5e-3]"), 6);
        assert_eq!(number_len("0.b"), 1);
        assert_eq!(number_len("2e"), 1);
    }

    #[test]
    fn reports_unterminated_constructs() {
        assert_eq!(
            lex("x = <<EOT\nfoo\nEOT").unwrap_err().message,
            "unterminated heredoc: no closing marker was found"
        );
        assert_eq!(lex("/* x").unwrap_err().offset, 0);
        assert!(lex("x = \"abc").is_err());
        assert!(lex("x = @").is_err());
    }
}
