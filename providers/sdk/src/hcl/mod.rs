//! HCL text as Terraform's `hclwrite` writes it, for whoever writes HCL: the engine's
//! formatter and providers whose results are HCL (the `terraform` provider's `encode_expr`).

use std::fmt::Write;

/// The text between the quotes of a string literal holding `value`, escaped as hclwrite's
/// `escapeQuotedStringLit` does: the usual backslash escapes, template introducers doubled
/// (`$${`, `%%{`), and characters Go does not print as `\uXXXX` (`\UXXXXXXXX` beyond the
/// basic plane).
pub fn escape_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if is_printable(c) => out.push(c),
            c if (c as u32) < 0x10000 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out
}

/// Go's `unicode.IsPrint`, as far as the standard library can tell without Unicode's tables:
/// not a control character, not a space other than U+0020, not a format or private-use
/// character. (Unassigned code points, which Go does not print either, pass.)
fn is_printable(c: char) -> bool {
    let code = c as u32;
    let space = matches!(
        code,
        0xA0 | 0x1680 | 0x2000..=0x200A | 0x2028 | 0x2029 | 0x202F | 0x205F | 0x3000
    );
    let format = matches!(
        code,
        0xAD | 0x600..=0x605
            | 0x61C
            | 0x6DD
            | 0x70F
            | 0x180E
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0xE0001
            | 0xE0020..=0xE007F
    );
    let private = matches!(code, 0xE000..=0xF8FF | 0xF0000..=0x10FFFF);
    !(c.is_control() || space || format || private)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_hclwrite() {
        assert_eq!(
            escape_string("a\nb${x}%{y} $ % \"q\" \\ \t"),
            r#"a\nb$${x}%%{y} $ % \"q\" \\ \t"#
        );
        assert_eq!(
            escape_string("\u{7} \u{a0} \u{200b} \u{feff} é 😀 \u{f0000}"),
            r"\u0007 \u00a0 \u200b \ufeff é 😀 \U000f0000"
        );
    }
}

mod value;

pub use value::{Body, expression, is_identifier, tfvars};
