//! The whitespace rules of `terraform fmt` (Terraform's hclwrite formatter): indentation by
//! bracket nesting, spacing between tokens, and vertical alignment of `=` and trailing
//! comments. Only the spaces before tokens change; token text never does.

use unicode_segmentation::UnicodeSegmentation;

use super::token::{Kind, Token};

/// One source line cut into cells whose first tokens get aligned with neighbouring lines:
/// `lead` (everything up to the others), `assign` (from a single-line attribute's `=` on) and
/// `comment` (a trailing `#`/`//` comment after other tokens). Ranges index the token list.
#[derive(Debug, Default)]
struct Line {
    lead: std::ops::Range<usize>,
    assign: Option<std::ops::Range<usize>>,
    comment: Option<std::ops::Range<usize>>,
}

/// Sets `spaces` on every token to the canonical layout.
pub(super) fn layout(tokens: &mut [Token<'_>]) {
    for token in tokens.iter_mut() {
        token.spaces = token.gap.len();
    }
    let lines = lines(tokens);
    indent(&lines, tokens);
    space(&lines, tokens);
    align(&lines, tokens);
}

/// Writes the tokens with their formatted spacing.
pub(super) fn render(tokens: &[Token<'_>]) -> String {
    let mut out = String::with_capacity(tokens.iter().map(|t| t.text.len() + t.spaces).sum());
    for token in tokens {
        out.extend(std::iter::repeat_n(' ', token.spaces));
        out.push_str(&token.text);
    }
    out
}

fn lines(tokens: &[Token<'_>]) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut start = 0;
    for (i, token) in tokens.iter().enumerate() {
        if token.kind == Kind::Eof {
            // Not part of any line: Terraform leaves the blanks before the end as they are.
            lines.push(Line {
                lead: start..i,
                ..Line::default()
            });
            start = tokens.len();
            break;
        }
        if token.ends_line() {
            lines.push(Line {
                lead: start..i + 1,
                ..Line::default()
            });
            start = i + 1;
        }
    }
    if start < tokens.len() {
        lines.push(Line {
            lead: start..tokens.len(),
            ..Line::default()
        });
    }
    for line in &mut lines {
        let lead = line.lead.clone();
        if lead.len() > 1 && tokens[lead.end - 1].kind == Kind::Comment {
            line.comment = Some(lead.end - 1..lead.end);
            line.lead.end -= 1;
        }
        let lead = line.lead.clone();
        if let Some(eq) = lead
            .clone()
            .skip(1)
            .find(|&i| tokens[i].kind == Kind::Equal)
        {
            // Only a right-hand side that closes every bracket it opens is a single-line
            // value; otherwise the `=` introduces a multi-line expression and stays in `lead`.
            if net_brackets(&tokens[eq..lead.end]) == 0 {
                line.assign = Some(eq..lead.end);
                line.lead.end = eq;
            }
        }
    }
    lines
}

fn net_brackets(tokens: &[Token<'_>]) -> i32 {
    tokens.iter().map(|t| t.kind.bracket_change()).sum()
}

/// Two spaces per nesting level. A line that opens brackets indents the following lines one
/// level, however many it opened; a line that closes them pops levels as it balances them.
fn indent(lines: &[Line], tokens: &mut [Token<'_>]) {
    let mut levels: Vec<i32> = Vec::new();
    for line in lines {
        if line.lead.is_empty() {
            continue;
        }
        if tokens[line.lead.start].kind == Kind::Newline {
            tokens[line.lead.start].spaces = 0;
            continue;
        }
        let mut net = 0;
        for token in &tokens[line.lead.clone()] {
            net += token.kind.bracket_change();
            if token.kind == Kind::OHeredoc {
                break;
            }
        }
        if let Some(assign) = &line.assign {
            net += net_brackets(&tokens[assign.clone()]);
        }
        let mut closed = -net;
        while closed > 0
            && let Some(top) = levels.last_mut()
        {
            if closed >= *top {
                closed -= *top;
                levels.pop();
            } else {
                *top -= closed;
                closed = 0;
            }
        }
        tokens[line.lead.start].spaces = 2 * levels.len();
        if net > 0 {
            levels.push(net);
        }
    }
}

/// Spaces between the tokens of each cell, by [`space_after`].
fn space(lines: &[Line], tokens: &mut [Token<'_>]) {
    for line in lines {
        space_cell(line.lead.clone(), tokens);
        if let Some(assign) = &line.assign {
            // One space separates the `=` from the name (widened later by alignment).
            tokens[assign.start].spaces = 1;
            space_cell(assign.clone(), tokens);
        }
    }
}

fn space_cell(cell: std::ops::Range<usize>, tokens: &mut [Token<'_>]) {
    for i in cell.start..cell.end.saturating_sub(1) {
        let before = if i > cell.start {
            Some(tokens[i - 1].kind)
        } else {
            None
        };
        let spaced = space_after(&tokens[i], before, &tokens[i + 1]);
        tokens[i + 1].spaces = usize::from(spaced);
    }
}

/// Whether `subject` is followed by a space when `after` comes next (`before` is the token
/// ahead of `subject` in the same cell, if any). The order of the rules matters.
fn space_after(subject: &Token<'_>, before: Option<Kind>, after: &Token<'_>) -> bool {
    use Kind::*;
    let (s, a) = (subject.kind, after.kind);
    match () {
        _ if a == Newline => false,
        _ if s == Ident && a == OParen => false,
        _ if (s == Ident && a == DoubleColon) || (s == DoubleColon && a == Ident) => false,
        _ if s == Dot || a == Dot => false,
        _ if a == Comma || a == Ellipsis => false,
        _ if s == Comma => true,
        _ if matches!(s, QuotedLit | StringLit | OQuote | OHeredoc)
            || matches!(a, QuotedLit | StringLit | CQuote | CHeredoc) =>
        {
            false
        }
        // `for x in [foo]`: `in` is the keyword here, not a reference being indexed.
        _ if s == Ident && subject.text == "in" && before == Some(Ident) => true,
        _ if a == OBrack && (s == Ident || s == NumberLit || s.bracket_change() < 0) => false,
        _ if s == Bang => false,
        // A minus after something that cannot end an operand is a negation.
        _ if s == Minus => !matches!(
            before,
            None | Some(
                OParen
                    | OBrace
                    | OBrack
                    | Equal
                    | Colon
                    | Comma
                    | Question
                    | Plus
                    | Star
                    | Slash
                    | Percent
                    | Minus
                    | EqualOp
                    | NotEqual
                    | GreaterThan
                    | GreaterThanEq
                    | LessThan
                    | LessThanEq
                    | And
                    | Or
                    | Bang
            )
        ),
        // Braces get spaces inside (`{ a = 1 }`), except an empty pair (`{}`).
        _ if s == OBrace || a == CBrace => !(s == OBrace && a == CBrace),
        // `${ {a = 1} }`: keep the template braces apart from the object's.
        _ if matches!(s, TemplateInterp | TemplateControl) && a == OBrace => true,
        _ if s == CBrace && a == TemplateSeqEnd => true,
        _ if s == TemplateSeqEnd && matches!(a, TemplateInterp | TemplateControl) => false,
        _ if s.bracket_change() > 0 => false,
        _ if a.bracket_change() < 0 => false,
        _ => true,
    }
}

/// Aligns the `=` of consecutive lines that have an assign cell, then the trailing comments
/// of consecutive lines that have one. Any other line ends a run.
fn align(lines: &[Line], tokens: &mut [Token<'_>]) {
    let lead_width = |line: &Line, tokens: &[Token<'_>]| columns(&tokens[line.lead.clone()]);
    align_runs(lines, tokens, |line| line.assign.clone(), lead_width);
    align_runs(
        lines,
        tokens,
        |line| line.comment.clone(),
        |line, tokens| {
            lead_width(line, tokens)
                + line
                    .assign
                    .as_ref()
                    .map_or(0, |a| columns(&tokens[a.clone()]))
        },
    );
}

fn align_runs(
    lines: &[Line],
    tokens: &mut [Token<'_>],
    cell: impl Fn(&Line) -> Option<std::ops::Range<usize>>,
    width: impl Fn(&Line, &[Token<'_>]) -> usize,
) {
    for run in lines.chunk_by(|a, b| cell(a).is_some() == cell(b).is_some()) {
        if cell(&run[0]).is_none() {
            continue;
        }
        let widest = run.iter().map(|l| width(l, tokens)).max().unwrap_or(0);
        for line in run {
            let w = width(line, tokens);
            if let Some(cell) = cell(line) {
                tokens[cell.start].spaces = widest - w + 1;
            }
        }
    }
}

/// Display width as hclwrite counts it: one column per space and per grapheme cluster.
fn columns(tokens: &[Token<'_>]) -> usize {
    tokens
        .iter()
        .map(|t| t.spaces + t.text.graphemes(true).count())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::super::token::lex;
    use super::*;

    fn fmt(src: &str) -> String {
        let mut tokens = lex(src).unwrap();
        layout(&mut tokens);
        render(&tokens)
    }

    #[test]
    fn indents_by_nesting_and_aligns_equals() {
        assert_eq!(
            fmt("a {\nb=1\n    ccc = [1,2]\nd = {\nx=1\n}\n}\n"),
            "a {\n  b   = 1\n  ccc = [1, 2]\n  d = {\n    x = 1\n  }\n}\n"
        );
    }

    #[test]
    fn aligns_trailing_comments_by_graphemes() {
        assert_eq!(
            fmt("a = 1 # x\nbbb = \"é\" # y\n"),
            "a   = 1   # x\nbbb = \"é\" # y\n"
        );
    }

    #[test]
    fn spaces_operators_and_negation() {
        assert_eq!(
            fmt("x = a -1\ny = -1\nz = {for k,v in m: k=>-v...}\nw = !f(a...)[0]\nv = a-1\n"),
            "x = a - 1\ny = -1\nz = { for k, v in m : k => - v... }\nw = !f(a...)[0]\nv = a-1\n"
        );
    }
}
