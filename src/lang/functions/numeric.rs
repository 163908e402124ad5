//! Numeric functions: abs ceil floor log max min parseint pow signum.

use super::args::{Args, WHOLE_NUMBER, number, number_of};
use super::format::go_quote;
use super::{FunctionError, fail};
use ggplan_sdk::{Number, Value};

type Result = std::result::Result<Value, FunctionError>;

pub(super) fn abs(args: Args) -> Result {
    Ok(match args.number(0)? {
        Number::Int(i) => match i.checked_abs() {
            Some(a) => Value::int(a),
            None => number((i as f64).abs()),
        },
        Number::Float(f) => number(f.abs()),
    })
}

pub(super) fn ceil(args: Args) -> Result {
    Ok(number(args.number(0)?.as_f64().ceil()))
}

pub(super) fn floor(args: Args) -> Result {
    Ok(number(args.number(0)?.as_f64().floor()))
}

pub(super) fn log(args: Args) -> Result {
    let (num, base) = (args.number(0)?.as_f64(), args.number(1)?.as_f64());
    finite(num.ln() / base.ln())
}

pub(super) fn pow(args: Args) -> Result {
    let (num, power) = (args.number(0)?, args.number(1)?);
    if let (Number::Int(b), Some(e)) = (num, power.as_i64())
        && let Some(p) = u32::try_from(e).ok().and_then(|e| b.checked_pow(e))
    {
        return Ok(Value::int(p));
    }
    finite(num.as_f64().powf(power.as_f64()))
}

pub(super) fn signum(args: Args) -> Result {
    match args.number(0)?.as_i64() {
        Some(n) => Ok(Value::int(n.signum())),
        None => fail(WHOLE_NUMBER),
    }
}

pub(super) fn max(args: Args) -> Result {
    extreme(&args, |a, b| a > b)
}

pub(super) fn min(args: Args) -> Result {
    extreme(&args, |a, b| a < b)
}

/// The number that beats every other by `better`.
fn extreme(args: &Args, better: fn(&Number, &Number) -> bool) -> Result {
    let mut best: Option<Number> = None;
    for (i, v) in args.rest(0).iter().enumerate() {
        let n = number_of(v).map_err(|m| args.error(i, m))?;
        if best.is_none_or(|b| better(&n, &b)) {
            best = Some(n);
        }
    }
    match best {
        Some(n) => Ok(Value::Number(n)),
        None => fail("must pass at least one number"),
    }
}

pub(super) fn parseint(args: Args) -> Result {
    let Value::String(text) = args.value(0) else {
        return Err(args.error(
            0,
            format!(
                "first argument must be a string, not {}",
                args.value(0).kind_name()
            ),
        ));
    };
    let base = args.int(1)?;
    if !(2..=62).contains(&base) {
        return Err(args.error(1, "base must be a whole number between 2 and 62 inclusive"));
    }
    parse_digits(text, base as u32).ok_or_else(|| {
        args.error(
            0,
            format!("cannot parse {} as a base {base} integer.", go_quote(text)),
        )
    })
}

/// Parses an integer in `base` as Go's `big.Int.SetString` does: an optional sign, then
/// digits `0-9a-z` (case-insensitive up to base 36, `A-Z` worth 36..61 above it).
fn parse_digits(text: &str, base: u32) -> Option<Value> {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() {
        return None;
    }
    let mut exact: Option<i128> = Some(0);
    let mut approx = 0f64;
    for c in digits.chars() {
        let d = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'a'..='z' => c as u32 - 'a' as u32 + 10,
            'A'..='Z' if base <= 36 => c as u32 - 'A' as u32 + 10,
            'A'..='Z' => c as u32 - 'A' as u32 + 36,
            _ => return None,
        };
        if d >= base {
            return None;
        }
        exact = exact.and_then(|v| v.checked_mul(base as i128)?.checked_add(d as i128));
        approx = approx * base as f64 + d as f64;
    }
    let sign = if negative { -1 } else { 1 };
    Some(match exact.and_then(|v| i64::try_from(v * sign).ok()) {
        Some(i) => Value::int(i),
        None => number(approx * sign as f64),
    })
}

/// A result that must be a finite number (JSON and our values have no infinities).
fn finite(f: f64) -> Result {
    if f.is_finite() {
        Ok(number(f))
    } else {
        fail("the result is not a finite number")
    }
}
