//! Date and time functions over RFC 3339 timestamps.

use super::args::Args;
use super::{FunctionError, fail};
use chrono::{DateTime, Datelike, FixedOffset, TimeDelta, Timelike, Utc};
use ggplan_sdk::Value;

type Result = std::result::Result<Value, FunctionError>;

pub(super) fn timestamp(_args: Args) -> Result {
    Ok(Value::String(rfc3339(&Utc::now().fixed_offset())))
}

pub(super) fn plantimestamp(args: Args) -> Result {
    Ok(Value::string(&args.ctx.plan_timestamp))
}

pub(super) fn timecmp(args: Args) -> Result {
    let a = parse(&args, 0)?;
    let b = parse(&args, 1)?;
    Ok(Value::int(match a.cmp(&b) {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1,
    }))
}

pub(super) fn timeadd(args: Args) -> Result {
    let t = parse(&args, 0)?;
    let text = args.string(1)?;
    let nanos = parse_duration(&text).or_else(|m| fail(format!("time: {m}")))?;
    let sum = t
        .checked_add_signed(TimeDelta::nanoseconds(nanos))
        .ok_or_else(|| FunctionError::Call("the resulting time is out of range".to_string()))?;
    Ok(Value::String(rfc3339(&sum)))
}

/// A time as Go's `time.RFC3339` layout prints it: whole seconds, `Z` for UTC.
pub(super) fn rfc3339(t: &DateTime<FixedOffset>) -> String {
    format!("{}{}", t.format("%Y-%m-%dT%H:%M:%S"), zone(t, true))
}

/// The offset as `Z` (UTC, when `z` allows), `+07:00`.
fn zone(t: &DateTime<FixedOffset>, z: bool) -> String {
    if z && t.offset().local_minus_utc() == 0 {
        "Z".to_string()
    } else {
        t.format("%:z").to_string()
    }
}

/// The timestamp argument at `index`.
fn parse(args: &Args, index: usize) -> std::result::Result<DateTime<FixedOffset>, FunctionError> {
    let text = args.string(index)?;
    // chrono also takes a space or a lowercase `t` between date and time; Go does not.
    let has_date =
        chrono::NaiveDate::parse_from_str(text.get(..10).unwrap_or(""), "%Y-%m-%d").is_ok();
    if has_date && text.as_bytes().get(10) != Some(&b'T') {
        return Err(args.error(
            index,
            "not a valid RFC3339 timestamp: missing required time introducer 'T'",
        ));
    }
    match DateTime::parse_from_rfc3339(&text) {
        Ok(t) if !text.ends_with('z') => Ok(t),
        Ok(_) => Err(args.error(index, "not a valid RFC3339 timestamp: invalid time zone")),
        Err(e) => Err(args.error(index, format!("not a valid RFC3339 timestamp: {e}"))),
    }
}

/// A Go duration (`1h30m`, `-2.5s`, `300ms`) in nanoseconds, or Go's complaint about it.
pub fn parse_duration(text: &str) -> std::result::Result<i64, String> {
    let quoted = super::format::go_quote(text);
    let invalid = || format!("invalid duration {quoted}");
    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (num, tail) = rest.split_at(num_len);
        if num.is_empty() || num == "." {
            return Err(invalid());
        }
        let value: f64 = num.parse().map_err(|_| invalid())?;
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let scale = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => return Err(format!("missing unit in duration {quoted}")),
            u => {
                let unit = super::format::go_quote(u);
                return Err(format!("unknown unit {unit} in duration {quoted}"));
            }
        };
        total += value * scale;
        rest = tail;
    }
    let total = if negative { -total } else { total };
    if total.abs() < 9.2e18 {
        Ok(total.round() as i64)
    } else {
        Err(invalid())
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

pub(super) fn formatdate(args: Args) -> Result {
    let spec = args.string(0)?;
    let t = parse(&args, 1)?;
    let chars: Vec<char> = spec.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            // Quoted literal text; '' is a literal quote.
            let mut j = i + 1;
            if chars.get(j) == Some(&'\'') {
                out.push('\'');
                i = j + 1;
                continue;
            }
            loop {
                match chars.get(j) {
                    None => return Err(args.error(0, "unterminated literal '")),
                    Some('\'') if chars.get(j + 1) == Some(&'\'') => {
                        out.push('\'');
                        j += 2;
                    }
                    Some('\'') => break,
                    Some(&ch) => {
                        out.push(ch);
                        j += 1;
                    }
                }
            }
            i = j + 1;
            continue;
        }
        if !c.is_ascii_alphabetic() {
            out.push(c);
            i += 1;
            continue;
        }
        let n = chars[i..].iter().take_while(|x| **x == c).count();
        let token: String = chars[i..i + n].iter().collect();
        let text = date_verb(c, n, &t).map_err(|why| {
            let token = super::format::go_quote(&token);
            args.error(0, format!("invalid date format verb {token}{why}"))
        })?;
        out.push_str(&text);
        i += n;
    }
    Ok(Value::String(out))
}

/// One run of `n` formatdate verb letters `c`, or what is wrong with it.
fn date_verb(
    c: char,
    n: usize,
    t: &DateTime<FixedOffset>,
) -> std::result::Result<String, &'static str> {
    let hour12 = match t.hour() % 12 {
        0 => 12,
        h => h,
    };
    let pm = t.hour() >= 12;
    let text = match (c, n) {
        ('Y', 2) => format!("{:02}", t.year().rem_euclid(100)),
        ('Y', 4) => format!("{:04}", t.year()),
        ('M', 1) => t.month().to_string(),
        ('M', 2) => format!("{:02}", t.month()),
        ('M', 3) => MONTHS[t.month0() as usize][..3].to_string(),
        ('M', 4) => MONTHS[t.month0() as usize].to_string(),
        ('D', 1) => t.day().to_string(),
        ('D', 2) => format!("{:02}", t.day()),
        ('E', 3) => WEEKDAYS[t.weekday().num_days_from_monday() as usize][..3].to_string(),
        ('E', 4) => WEEKDAYS[t.weekday().num_days_from_monday() as usize].to_string(),
        ('h', 1) => t.hour().to_string(),
        ('h', 2) => format!("{:02}", t.hour()),
        ('H', 1) => hour12.to_string(),
        ('H', 2) => format!("{hour12:02}"),
        ('A', 2) => (if pm { "PM" } else { "AM" }).to_string(),
        ('a', 2) => (if pm { "pm" } else { "am" }).to_string(),
        ('m', 1) => t.minute().to_string(),
        ('m', 2) => format!("{:02}", t.minute()),
        ('s', 1) => t.second().to_string(),
        ('s', 2) => format!("{:02}", t.second()),
        ('Z', 1) => zone(t, true),
        ('Z', 3) if t.offset().local_minus_utc() == 0 => "UTC".to_string(),
        ('Z', 3) | ('Z', 4) => t.format("%z").to_string(),
        ('Z', 5) => zone(t, false),
        ('Y', _) => return Err(": year must either be \"YY\" or \"YYYY\""),
        ('M', _) => return Err(": month must be \"M\", \"MM\", \"MMM\", or \"MMMM\""),
        ('D', _) => return Err(": day of month must either be \"D\" or \"DD\""),
        ('E', _) => return Err(": day of week must either be \"EEE\" or \"EEEE\""),
        ('h', _) => return Err(": 24-hour must either be \"h\" or \"hh\""),
        ('H', _) => return Err(": 12-hour must either be \"H\" or \"HH\""),
        ('A', _) => return Err(": must be \"AA\""),
        ('a', _) => return Err(": must be \"aa\""),
        ('m', _) => return Err(": minute must either be \"m\" or \"mm\""),
        ('s', _) => return Err(": second must either be \"s\" or \"ss\""),
        ('Z', _) => return Err(": timezone must be Z, ZZZZ, or ZZZZZ"),
        _ => return Err(""),
    };
    Ok(text)
}
