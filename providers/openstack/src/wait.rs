//! Waiting for a server to reach a state: Terraform-style `timeouts` durations and a polling
//! loop with a growing interval.

use crate::error::ApiError;
use std::future::Future;
use std::time::{Duration, Instant};

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
