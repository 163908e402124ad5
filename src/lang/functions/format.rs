//! `format` and `formatlist`: Go-style verbs as Terraform implements them.
//!
//! Verbs: `%v` (`%#v` is JSON), `%t`, `%b %d %o %x %X`, `%e %E %f %g %G`, `%s %q`, `%%`, with
//! flags `+ - # 0 space`, width, precision and `%[n]` argument indexes.

use super::args::{Args, to_bool, to_number, to_string};
use super::json::encode as json_encode;
use super::{FunctionError, fail};
use ggplan_sdk::{Number, Value};

type Result = std::result::Result<Value, FunctionError>;

pub(super) fn format(args: Args) -> Result {
    let spec = args.string(0)?;
    let values = args.rest(1);
    let (text, used) = render(&spec, values)?;
    if used < values.len() {
        return Err(args.error(
            1,
            format!("too many arguments; only {used} used by format string"),
        ));
    }
    Ok(Value::String(text))
}

pub(super) fn formatlist(args: Args) -> Result {
    let spec = args.string(0)?;
    let values = args.rest(1);
    // The lists are iterated together; every other argument repeats.
    let mut rows: Option<(usize, usize)> = None;
    for (i, v) in values.iter().enumerate() {
        if let Some(items) = v.as_list() {
            match rows {
                None => rows = Some((items.len(), i)),
                Some((n, first)) if n != items.len() => {
                    return Err(args.error(
                        i + 1,
                        format!(
                            "argument {} has length {}, which is inconsistent with argument {} of length {n}",
                            i + 1,
                            items.len(),
                            first + 1
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
    }
    let count = rows.map_or(1, |(n, _)| n);
    let mut out = Vec::with_capacity(count);
    for row in 0..count {
        let row_args: Vec<Value> = values
            .iter()
            .map(|v| match v.as_list() {
                Some(items) => items[row].clone(),
                None => v.clone(),
            })
            .collect();
        let (text, used) = render(&spec, &row_args)?;
        if used < row_args.len() {
            return Err(args.error(
                1,
                format!("too many arguments; only {used} used by format string"),
            ));
        }
        out.push(Value::String(text));
    }
    Ok(Value::List(out))
}

/// One `%` directive.
#[derive(Default)]
struct Verb {
    minus: bool,
    plus: bool,
    sharp: bool,
    zero: bool,
    space: bool,
    width: Option<usize>,
    precision: Option<usize>,
    mode: char,
}

impl Verb {
    /// Go's fmt (Terraform's) refuses a width or precision above a million as BADWIDTH and
    /// BADPREC; a larger one would ask for gigabytes of padding.
    fn too_large(&self) -> bool {
        self.width
            .max(self.precision)
            .is_some_and(|n| n > MAX_WIDTH)
    }
}

/// The formatted text and how many arguments the format used (the highest index).
fn render(spec: &str, values: &[Value]) -> std::result::Result<(String, usize), FunctionError> {
    let mut out = String::new();
    let mut next = 0usize;
    let mut used = 0usize;
    let mut chars = spec.char_indices().peekable();
    while let Some((offset, c)) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut verb = Verb::default();
        while let Some(&(_, f)) = chars.peek() {
            match f {
                '-' => verb.minus = true,
                '+' => verb.plus = true,
                '#' => verb.sharp = true,
                '0' => verb.zero = true,
                ' ' => verb.space = true,
                _ => break,
            }
            chars.next();
        }
        if chars.peek().map(|&(_, c)| c) == Some('[') {
            chars.next();
            let n = digits(&mut chars).unwrap_or(0);
            if chars.next().map(|(_, c)| c) != Some(']') || n == 0 {
                return fail(format!(
                    "invalid argument index in format at offset {offset}"
                ));
            }
            next = n - 1;
        }
        verb.width = digits(&mut chars);
        if chars.peek().map(|&(_, c)| c) == Some('.') {
            chars.next();
            verb.precision = Some(digits(&mut chars).unwrap_or(0));
        }
        if verb.too_large() {
            return fail(format!(
                "the width or precision at offset {offset} is above {MAX_WIDTH}"
            ));
        }
        let Some((end, mode)) = chars.next() else {
            return fail(format!("invalid format string starting at offset {offset}"));
        };
        let raw = &spec[offset..end + mode.len_utf8()];
        if mode == '%' {
            out.push('%');
            continue;
        }
        verb.mode = mode;
        let Some(arg) = values.get(next) else {
            return fail(format!(
                "not enough arguments for {} at {offset}: need index {} but have {} total",
                go_quote(raw),
                next + 1,
                values.len()
            ));
        };
        next += 1;
        used = used.max(next);
        let text = format_one(&mut verb, arg)
            .or_else(|e| {
                fail(format!(
                    "unsupported value for {} at {offset}: {e}.",
                    go_quote(raw)
                ))
            })?
            .ok_or_else(|| {
                FunctionError::Call(format!(
                    "unsupported format verb '{mode}' in {} at offset {offset}",
                    go_quote(raw)
                ))
            })?;
        out.push_str(&pad(&verb, text));
    }
    Ok((out, used))
}

/// The largest width or precision, as in Go's fmt.
const MAX_WIDTH: usize = 1_000_000;

fn digits(chars: &mut std::iter::Peekable<std::str::CharIndices>) -> Option<usize> {
    let mut n: Option<usize> = None;
    while let Some(&(_, c)) = chars.peek() {
        let Some(d) = c.to_digit(10) else { break };
        n = Some(n.unwrap_or(0).saturating_mul(10).saturating_add(d as usize));
        chars.next();
    }
    n
}

/// One argument by its verb: `Ok(None)` for a verb Terraform does not know.
fn format_one(verb: &mut Verb, arg: &Value) -> std::result::Result<Option<String>, String> {
    if verb.mode == 'v' {
        if verb.sharp || !matches!(arg, Value::Bool(_) | Value::Number(_) | Value::String(_)) {
            if arg.is_null() && !verb.sharp {
                return Ok(Some("null".to_string()));
            }
            return Ok(Some(json_encode(arg)));
        }
        verb.mode = match arg {
            Value::Bool(_) => 't',
            Value::Number(_) => 'g',
            _ => 's',
        };
    }
    if arg.is_null() {
        return Err("null value cannot be formatted".to_string());
    }
    Ok(Some(match verb.mode {
        't' => to_bool(arg)
            .ok_or_else(|| required("bool", arg))?
            .to_string(),
        's' => {
            let s = to_string(arg).ok_or_else(|| required("string", arg))?;
            match verb.precision {
                Some(p) => s.chars().take(p).collect(),
                None => s,
            }
        }
        'q' => go_quote(&to_string(arg).ok_or_else(|| required("string", arg))?),
        'b' | 'd' | 'o' | 'x' | 'X' | 'e' | 'E' | 'f' | 'g' | 'G' => {
            let n = to_number(arg).ok_or_else(|| required("number", arg))?;
            format_number(verb, n)?
        }
        _ => return Ok(None),
    }))
}

fn required(what: &str, arg: &Value) -> String {
    let have = match arg {
        Value::List(_) => "tuple",
        other => other.kind_name(),
    };
    format!("{what} required, but have {have}")
}

fn format_number(verb: &Verb, n: Number) -> std::result::Result<String, String> {
    let f = n.as_f64();
    let negative = f < 0.0;
    let body = match verb.mode {
        'b' | 'd' | 'o' | 'x' | 'X' => {
            let i = n.as_i64().ok_or("an integer is required")?;
            let m = i.unsigned_abs();
            match verb.mode {
                'b' => format!("{}{m:b}", if verb.sharp { "0b" } else { "" }),
                'o' => format!("{}{m:o}", if verb.sharp { "0" } else { "" }),
                'x' => format!("{}{m:x}", if verb.sharp { "0x" } else { "" }),
                'X' => format!("{}{m:X}", if verb.sharp { "0X" } else { "" }),
                _ => m.to_string(),
            }
        }
        'e' | 'E' => exponent_form(f.abs(), verb.precision.unwrap_or(6), verb.mode == 'E'),
        'f' => format!("{:.*}", verb.precision.unwrap_or(6), f.abs()),
        _ => general_form(f.abs(), verb.precision, verb.mode == 'G'),
    };
    let sign = if negative {
        "-"
    } else if verb.plus {
        "+"
    } else if verb.space {
        " "
    } else {
        ""
    };
    Ok(format!("{sign}{body}"))
}

/// `d.dddde+XX` with `precision` digits after the point.
fn exponent_form(f: f64, precision: usize, upper: bool) -> String {
    let text = format!("{f:.precision$e}");
    go_exponent(&text, upper)
}

/// Rewrites Rust's `1.5e3` exponent as Go's `1.5e+03`.
fn go_exponent(text: &str, upper: bool) -> String {
    let (mantissa, exp) = text.split_once('e').unwrap_or((text, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let sign = if exp < 0 { '-' } else { '+' };
    let e = if upper { 'E' } else { 'e' };
    format!("{mantissa}{e}{sign}{:02}", exp.abs())
}

/// Go's `%g`: the shortest digits (or `precision` significant ones), in exponent form when
/// the exponent is below -4 or at least the precision (6 when shortest).
fn general_form(f: f64, precision: Option<usize>, upper: bool) -> String {
    let sci = match precision {
        Some(p) => format!("{f:.*e}", p.max(1) - 1),
        None => format!("{f:e}"),
    };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mantissa = if mantissa.contains('.') {
        mantissa.trim_end_matches('0').trim_end_matches('.')
    } else {
        mantissa
    };
    let limit = precision.map_or(6, |p| p.max(1) as i32);
    if exp < -4 || exp >= limit {
        return go_exponent(&format!("{mantissa}e{exp}"), upper);
    }
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if exp < 0 {
        format!("0.{}{digits}", "0".repeat((-exp - 1) as usize))
    } else {
        let point = exp as usize + 1;
        if digits.len() <= point {
            format!("{digits}{}", "0".repeat(point - digits.len()))
        } else {
            format!("{}.{}", &digits[..point], &digits[point..])
        }
    }
}

/// Pads to the verb's width (zeros after the sign with `0`, spaces on the right with `-`).
/// Terraform gives `%t` no width.
fn pad(verb: &Verb, text: String) -> String {
    let Some(width) = verb.width.filter(|_| verb.mode != 't') else {
        return text;
    };
    let len = text.chars().count();
    if len >= width {
        return text;
    }
    let fill = width - len;
    if verb.minus {
        format!("{text}{}", " ".repeat(fill))
    } else if verb.zero && verb.mode != 's' && verb.mode != 'q' {
        let sign_len = usize::from(text.starts_with(['-', '+', ' ']));
        format!(
            "{}{}{}",
            &text[..sign_len],
            "0".repeat(fill),
            &text[sign_len..]
        )
    } else {
        format!("{}{text}", " ".repeat(fill))
    }
}

/// A string in double quotes with Go's escapes (`strconv.Quote`).
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
