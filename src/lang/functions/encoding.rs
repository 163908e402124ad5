//! Encoding functions: base64, CSV, JSON, character encodings and URL query escaping.

use super::args::Args;
use super::format::go_quote;
use super::json::encode as json_encode;
use super::{FunctionError, fail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ggplan_sdk::Value;
use std::collections::BTreeMap;

type Result = std::result::Result<Value, FunctionError>;

pub(super) fn base64encode(args: Args) -> Result {
    Ok(Value::String(STANDARD.encode(args.string(0)?)))
}

pub(super) fn base64decode(args: Args) -> Result {
    let s = args.string(0)?;
    let bytes = decode_base64(&s)?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Value::String(text)),
        Err(_) => fail("the result of decoding the provided string is not valid UTF-8"),
    }
}

/// Standard base64 with padding; line breaks are ignored, as Go ignores them.
fn decode_base64(s: &str) -> std::result::Result<Vec<u8>, FunctionError> {
    let cleaned: String = s.chars().filter(|c| *c != '\n' && *c != '\r').collect();
    STANDARD
        .decode(cleaned)
        .or_else(|_| fail(format!("failed to decode base64 data {}", go_quote(s))))
}

pub(super) fn jsonencode(args: Args) -> Result {
    Ok(Value::String(json_encode(args.value(0))))
}

pub(super) fn jsondecode(args: Args) -> Result {
    let s = args.string(0)?;
    match serde_json::from_str::<serde_json::Value>(&s) {
        Ok(json) => Ok(Value::from_json(&json)),
        Err(e) => fail(format!("invalid JSON: {e}")),
    }
}

pub(super) fn csvdecode(args: Args) -> Result {
    let s = args.string(0)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(s.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => return fail(csv_error(e)),
        None => return fail("missing header line"),
    };
    let names: Vec<String> = header.iter().map(str::to_string).collect();
    let mut rows = Vec::new();
    for record in records {
        let record = record.or_else(|e| fail(csv_error(e)))?;
        let row: BTreeMap<String, Value> = names
            .iter()
            .cloned()
            .zip(record.iter().map(Value::string))
            .collect();
        rows.push(Value::Map(row));
    }
    Ok(Value::List(rows))
}

fn csv_error(e: csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths { pos, .. } => format!(
            "CSV parse error on line {}: wrong number of fields",
            pos.as_ref().map_or(0, |p| p.line())
        ),
        _ => format!("CSV parse error: {e}"),
    }
}

pub(super) fn urlencode(args: Args) -> Result {
    let mut out = String::new();
    for b in args.string(0)?.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    Ok(Value::String(out))
}

pub(super) fn textencodebase64(args: Args) -> Result {
    let (s, name) = (args.string(0)?, args.string(1)?);
    let charset = Charset::named(&name).ok_or_else(|| unsupported(&args, &name))?;
    let bytes = charset.encode(&s).ok_or_else(|| {
        args.error(
            0,
            format!("the given string contains characters that cannot be represented in {name}"),
        )
    })?;
    Ok(Value::String(STANDARD.encode(bytes)))
}

pub(super) fn textdecodebase64(args: Args) -> Result {
    let (s, name) = (args.string(0)?, args.string(1)?);
    let charset = Charset::named(&name).ok_or_else(|| unsupported(&args, &name))?;
    let cleaned: String = s.chars().filter(|c| *c != '\n' && *c != '\r').collect();
    let bytes = STANDARD.decode(&cleaned).map_err(|e| {
        let offset = match e {
            base64::DecodeError::InvalidByte(at, _)
            | base64::DecodeError::InvalidLastSymbol { offset: at, .. } => at,
            _ => cleaned.len() / 4 * 4,
        };
        args.error(
            0,
            format!("the given value is has an invalid base64 symbol at offset {offset}"),
        )
    })?;
    charset
        .decode(&bytes)
        .map(Value::String)
        .ok_or_else(|| args.error(0, format!("the given value cannot be decoded as {name}")))
}

fn unsupported(args: &Args, name: &str) -> FunctionError {
    args.error(
        1,
        format!(
            "{} is not a supported IANA encoding name or alias in this Terraform version",
            go_quote(name)
        ),
    )
}

/// A character encoding named by an IANA name or alias.
enum Charset {
    Utf16 { big_endian: bool },
    Other(&'static encoding_rs::Encoding),
}

impl Charset {
    fn named(name: &str) -> Option<Charset> {
        match name.to_ascii_uppercase().as_str() {
            "UTF-16" | "UTF-16BE" => Some(Charset::Utf16 { big_endian: true }),
            "UTF-16LE" => Some(Charset::Utf16 { big_endian: false }),
            _ => encoding_rs::Encoding::for_label(name.as_bytes())
                .filter(|e| *e != encoding_rs::REPLACEMENT)
                .map(Charset::Other),
        }
    }

    fn encode(&self, s: &str) -> Option<Vec<u8>> {
        match self {
            Charset::Utf16 { big_endian } => Some(
                s.encode_utf16()
                    .flat_map(|u| {
                        if *big_endian {
                            u.to_be_bytes()
                        } else {
                            u.to_le_bytes()
                        }
                    })
                    .collect(),
            ),
            Charset::Other(encoding) => {
                let (bytes, _, unmappable) = encoding.encode(s);
                (!unmappable).then(|| bytes.into_owned())
            }
        }
    }

    fn decode(&self, bytes: &[u8]) -> Option<String> {
        match self {
            Charset::Utf16 { big_endian } => {
                if !bytes.len().is_multiple_of(2) {
                    return None;
                }
                let units: Vec<u16> = bytes
                    .chunks(2)
                    .map(|c| {
                        let pair = [c[0], c[1]];
                        if *big_endian {
                            u16::from_be_bytes(pair)
                        } else {
                            u16::from_le_bytes(pair)
                        }
                    })
                    .collect();
                String::from_utf16(&units).ok()
            }
            Charset::Other(encoding) => {
                let (text, malformed) = encoding.decode_without_bom_handling(bytes);
                (!malformed).then(|| text.into_owned())
            }
        }
    }
}
