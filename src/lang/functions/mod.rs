//! Placeholder until the function library branch is merged (replaced wholesale by it).

use ggplan_sdk::Value;
use std::path::PathBuf;

pub struct FunctionContext {
    pub base_dir: PathBuf,
    pub plan_timestamp: String,
}

#[derive(Debug, thiserror::Error)]
pub enum FunctionError {
    #[error("Call to unknown function {0:?}")]
    Unknown(String),
    #[error("{0}")]
    Call(String),
}

pub fn exists(name: &str) -> bool {
    matches!(
        name,
        "jsonencode" | "length" | "sensitive" | "upper" | "join"
    )
}

pub fn names() -> impl Iterator<Item = &'static str> {
    ["jsonencode", "length", "sensitive", "upper", "join"].into_iter()
}

pub fn call(name: &str, args: Vec<Value>, _ctx: &FunctionContext) -> Result<Value, FunctionError> {
    if name == "sensitive" {
        return Ok(args.into_iter().next().unwrap_or_default().into_sensitive());
    }
    let sensitive = args.iter().any(Value::contains_sensitive);
    if args.iter().any(|a| !a.is_wholly_known()) {
        return Ok(Value::Unknown);
    }
    let args: Vec<Value> = args.into_iter().map(|a| a.unmark_deep().0).collect();
    let out = match (name, args.as_slice()) {
        ("jsonencode", [v]) => {
            Value::string(v.to_json().map(|j| j.to_string()).unwrap_or_default())
        }
        ("length", [Value::List(l)]) => Value::int(l.len() as i64),
        ("length", [Value::Map(m)]) => Value::int(m.len() as i64),
        ("length", [Value::String(s)]) => Value::int(s.chars().count() as i64),
        ("upper", [Value::String(s)]) => Value::string(s.to_uppercase()),
        ("join", [Value::String(sep), Value::List(items)]) => Value::string(
            items
                .iter()
                .map(|i| i.as_str().unwrap_or_default().to_string())
                .collect::<Vec<_>>()
                .join(sep),
        ),
        _ if exists(name) => {
            return Err(FunctionError::Call(format!("invalid arguments to {name}")));
        }
        _ => return Err(FunctionError::Unknown(name.to_string())),
    };
    Ok(if sensitive { out.into_sensitive() } else { out })
}
