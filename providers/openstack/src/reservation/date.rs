//! Blazar's dates: it takes `YYYY-MM-DD HH:MM` (UTC) or `now`, and answers with
//! `YYYY-MM-DDTHH:MM:SS.ffffff`. The state keeps the form the configuration uses.

use chrono::{DateTime, NaiveDateTime, Utc};

/// The form Blazar takes and the configuration uses.
pub const FORMAT: &str = "%Y-%m-%d %H:%M";

/// The word that starts a lease as soon as it is created.
pub const NOW: &str = "now";

/// A configured date (`YYYY-MM-DD HH:MM`, UTC).
pub fn parse(text: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text, FORMAT).ok()
}

/// A date as Blazar answers it, in the configuration's form (Blazar keeps whole minutes).
pub fn from_api(text: &str) -> Option<String> {
    let parsed = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f"))
        .ok()?;
    Some(parsed.format(FORMAT).to_string())
}

/// Whether a configured start (`now` or a date) is not in the future at `now`.
pub fn has_come(start: &str, now: DateTime<Utc>) -> bool {
    start == NOW || parse(start).is_some_and(|date| date <= now.naive_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_dates_become_the_configured_form() {
        assert_eq!(
            from_api("2026-11-22T14:59:00.000000").as_deref(),
            Some("2026-11-22 14:59")
        );
        assert_eq!(
            from_api("2026-11-22 14:59:00").as_deref(),
            Some("2026-11-22 14:59")
        );
        assert_eq!(from_api("tomorrow"), None);
    }

    #[test]
    fn configured_dates_parse_only_in_blazars_form() {
        assert!(parse("2026-11-22 14:59").is_some());
        assert!(parse("2026-11-22T14:59:00Z").is_none());
        assert!(parse("22/11/2026 14:59").is_none());
    }

    #[test]
    fn a_start_has_come_when_it_is_now_or_past() {
        let at = DateTime::parse_from_rfc3339("2026-11-22T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert!(has_come("now", at));
        assert!(has_come("2026-11-22 12:00", at));
        assert!(!has_come("2026-11-22 12:01", at));
    }
}
