//! Waiting for an object to reach a state: Terraform-style `timeouts` blocks and durations,
//! and a polling loop with a growing interval.

use crate::error::ApiError;
use ggplan_sdk::{
    AttrPath, Attribute, BlockNesting, Diagnostic, Diagnostics, NestedBlock, Schema, Type, Value,
};
use std::future::Future;
use std::time::{Duration, Instant};

/// Terraform's default for each of create, update and delete.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// The optional `timeouts` block: how long to wait for `what` on create, update and delete.
pub fn timeouts_block(what: &str) -> NestedBlock {
    NestedBlock::new(
        BlockNesting::Single,
        Schema::new(
            &format!("How long to wait for {what} (Terraform durations such as \"30m\")."),
            [
                ("create", Attribute::optional(Type::String)),
                ("update", Attribute::optional(Type::String)),
                ("delete", Attribute::optional(Type::String)),
            ],
        ),
    )
}

/// The timeout the `timeouts` block of `state` sets for `operation`, or Terraform's default.
pub fn timeout(state: &Value, operation: &str) -> Duration {
    state
        .get("timeouts")
        .get(operation)
        .as_str()
        .and_then(parse_duration)
        .unwrap_or(DEFAULT_TIMEOUT)
}

/// Errors for the durations of the `timeouts` block of `config` that do not parse.
pub fn validate_timeouts(config: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for operation in ["create", "update", "delete"] {
        if let Some(text) = config.get("timeouts").get(operation).as_str()
            && parse_duration(text).is_none()
        {
            diags.push(
                Diagnostic::error(
                    "Invalid timeout",
                    format!("{text:?} is not a duration such as \"30m\" or \"1h30m\"."),
                )
                .at_attribute(AttrPath::attr("timeouts").key(operation)),
            );
        }
    }
    diags
}

/// Parses a Terraform duration such as `30m`, `1h30m`, `90s` or `500ms`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let mut total = Duration::ZERO;
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let amount: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += Duration::from_secs_f64(amount * seconds);
    }
    Some(total)
}

/// Whether polling should stop: with the final value, or with an error.
pub enum Poll<T> {
    Done(T),
    Pending(String),
}

/// Calls `check` until it is done or `timeout` passes; the error names `what` and the last
/// state seen.
pub async fn until<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>, ApiError>>,
{
    let started = Instant::now();
    let mut interval = Duration::from_millis(500);
    loop {
        match check().await? {
            Poll::Done(value) => return Ok(value),
            Poll::Pending(state) => {
                if started.elapsed() >= timeout {
                    return Err(ApiError::Failed(format!(
                        "timed out after {}s waiting for {what} (last state: {state}); raise the \
                         timeouts block's limit if the cloud is slow",
                        timeout.as_secs()
                    )));
                }
            }
        }
        tokio::time::sleep(interval).await;
        interval = (interval * 3 / 2).min(Duration::from_secs(5));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_terraform_durations() {
        assert_eq!(parse_duration("30m"), Some(Duration::from_secs(1800)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("10x"), None);
        assert_eq!(parse_duration(""), None);
    }

    #[tokio::test]
    async fn stops_when_done_or_times_out() {
        let mut calls = 0;
        let done = until("x", Duration::from_secs(5), || {
            calls += 1;
            let n = calls;
            async move {
                Ok(if n >= 2 {
                    Poll::Done(n)
                } else {
                    Poll::Pending("BUILD".into())
                })
            }
        })
        .await
        .unwrap();
        assert_eq!(done, 2);
        let err = until::<(), _, _>("server s to become ACTIVE", Duration::ZERO, || async {
            Ok(Poll::Pending("BUILD".into()))
        })
        .await
        .unwrap_err()
        .to_string();
        assert!(err.contains("last state: BUILD"), "{err}");
    }
}
