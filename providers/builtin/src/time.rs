//! The `time` provider and its resource `time_sleep`, as in `hashicorp/time` v0.13: a pause
//! after a creation (`create_duration`) or before a destruction (`destroy_duration`), for what
//! an API makes eventually consistent, and a way to give a graph known durations.
//!
//! Behaviour as the Terraform provider's:
//! - durations are a number immediately followed by `ms`, `s`, `m` or `h` (`30s`, `1.5m`); at
//!   least one of the two must be set;
//! - create waits `create_duration`, then records `id`, the time it finished as RFC 3339 in UTC
//!   (`2020-02-12T06:36:13Z`); destroy waits the `destroy_duration` recorded in state;
//! - changing a duration alone updates in place, with no wait, and keeps `id`; a change of
//!   `triggers` (a map of strings) replaces the resource, so both waits run again;
//! - read keeps the state (there is nothing outside it);
//! - import id `CREATE,DESTROY[,KEY=VALUE...]` (either duration may be empty, not both), `id`
//!   the time of the import.
//!
//! Unlike Terraform, whose provider is told to stop by the first Ctrl-C, a wait in progress
//! runs to its end after the first Ctrl-C (as every running operation does in ggplan); the
//! second abandons it. The provider's other types (`time_static`, `time_offset`,
//! `time_rotating`) are not offered.

use async_trait::async_trait;
use chrono::{SecondsFormat, Utc};
use ggplan_sdk::typed::{Partial, ResourceType, TypedProvider};
use ggplan_sdk::{
    AttrPath, Attribute, Diagnostic, Diagnostics, PlanRequest, Schema, Type, Value, objchange,
};
use std::collections::BTreeMap;
use std::time::Duration;

const SLEEP: &str = "time_sleep";
const DURATIONS: [&str; 2] = ["create_duration", "destroy_duration"];

/// The `time` provider.
pub(crate) struct Time;

#[async_trait]
impl TypedProvider for Time {
    type Client = ();
    type Error = Diagnostics;
    const NAME: &'static str = "time";
    const SOURCE: &'static str = "registry.terraform.io/hashicorp/time";

    fn resources() -> Vec<Box<dyn ResourceType<Self>>> {
        vec![Box::new(TimeSleep)]
    }

    async fn configure(_config: &Value) -> Result<(), Diagnostics> {
        Ok(())
    }
}

/// A duration as hashicorp/time accepts it: `^[0-9]+(\.[0-9]+)?(ms|s|m|h)$`.
fn parse_duration(text: &str) -> Option<Duration> {
    let split = text.find(|c: char| !c.is_ascii_digit() && c != '.')?;
    let (number, unit) = text.split_at(split);
    let (whole, fraction) = number.split_once('.').unwrap_or((number, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(fraction) {
        return None;
    }
    let seconds_per_unit = match unit {
        "ms" => 0.001,
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ => return None,
    };
    let amount: f64 = number.parse().ok()?;
    Duration::try_from_secs_f64(amount * seconds_per_unit).ok()
}

/// The duration `name` of `value`: none when null (or not yet known), an error naming the
/// attribute when it is not a duration.
fn duration(value: &Value, name: &str) -> Result<Option<Duration>, Diagnostic> {
    let Some(text) = value.get(name).as_str() else {
        return Ok(None);
    };
    parse_duration(text).map(Some).ok_or_else(|| {
        Diagnostic::error(
            format!("Invalid value for {name}"),
            format!(
                "{name} is {text:?}; it must be a number immediately followed by ms \
                 (milliseconds), s (seconds), m (minutes), or h (hours). For example, \"30s\" \
                 for 30 seconds."
            ),
        )
        .at_attribute(AttrPath::attr(name))
    })
}

/// Waits the duration `name` of `value` (set or not).
async fn wait(value: &Value, name: &str) -> Result<(), Diagnostics> {
    if let Some(pause) = duration(value, name)? {
        tokio::time::sleep(pause).await;
    }
    Ok(())
}

/// Now, as the provider records it: RFC 3339 in UTC, whole seconds.
fn now() -> Value {
    Value::String(Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// `time_sleep`.
struct TimeSleep;

#[async_trait]
impl ResourceType<Time> for TimeSleep {
    fn name(&self) -> &'static str {
        SLEEP
    }

    fn schema(&self) -> Schema {
        let duration =
            |description: &'static str| Attribute::optional(Type::String).describe(description);
        Schema::new(
            "Waits after its creation and/or before its destruction, for what depends on it.",
            [
                (
                    "create_duration",
                    duration(
                        "How long to wait after creating, such as 30s or 5m (ms, s, m or h). \
                         Changing it alone waits nothing.",
                    ),
                ),
                (
                    "destroy_duration",
                    duration(
                        "How long to wait before destroying, such as 30s or 5m (ms, s, m or h). \
                         Changing it alone waits nothing.",
                    ),
                ),
                (
                    "triggers",
                    Attribute::optional(Type::Map(Box::new(Type::String)))
                        .force_new()
                        .describe("Values whose change replaces the resource, so it waits again."),
                ),
                (
                    "id",
                    Attribute::computed(Type::String)
                        .describe("When the creation finished, as RFC 3339 in UTC."),
                ),
            ],
        )
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diagnostics = Diagnostics(
            DURATIONS
                .iter()
                .filter_map(|name| duration(config, name).err())
                .collect(),
        );
        if DURATIONS.iter().all(|name| config.get(name).is_null()) {
            diagnostics.push(Diagnostic::error(
                "Invalid attribute combination",
                "A time_sleep waits after its creation (create_duration) or before its \
                 destruction (destroy_duration): set at least one of them.",
            ));
        }
        diagnostics
    }

    async fn modify_plan(
        &self,
        _client: &(),
        request: &PlanRequest<'_>,
        planned: &mut Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Vec<AttrPath>, Diagnostics> {
        objchange::unknown_when_new(&self.schema(), request.prior, planned);
        Ok(Vec::new())
    }

    /// The object exists only in the state: an unfinished create made nothing elsewhere.
    async fn find_created(
        &self,
        _client: &(),
        _config: &Value,
        _since: std::time::SystemTime,
    ) -> Result<ggplan_sdk::Found, Diagnostics> {
        Ok(ggplan_sdk::Found::Nothing)
    }

    async fn read(&self, _client: &(), state: &Value) -> Result<Option<Value>, Diagnostics> {
        Ok(Some(state.clone()))
    }

    async fn create(
        &self,
        _client: &(),
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<Diagnostics>> {
        wait(planned, "create_duration").await?;
        let mut state = planned.clone();
        state.set_attr("id", now());
        Ok(state)
    }

    async fn update(
        &self,
        _client: &(),
        _prior: &Value,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<Diagnostics>> {
        Ok(planned.clone())
    }

    async fn delete(
        &self,
        _client: &(),
        prior: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<(), Diagnostics> {
        wait(prior, "destroy_duration").await
    }

    fn import_stub(&self, id: &str) -> Result<Value, Diagnostics> {
        import_stub(id)
    }

    fn import_id_format(&self) -> &'static str {
        "CREATE_DURATION,DESTROY_DURATION[,KEY=VALUE...] (one duration may be empty)"
    }
}

/// The state an import id `CREATE,DESTROY[,KEY=VALUE...]` describes.
fn import_stub(id: &str) -> Result<Value, Diagnostics> {
    let invalid =
        |detail: String| Diagnostics::from(Diagnostic::error("Invalid import id", detail));
    let parts: Vec<&str> = id.split(',').collect();
    if parts.len() < 2 || (parts[0].is_empty() && parts[1].is_empty()) {
        return Err(invalid(format!(
            "The import id of time_sleep is CREATE_DURATION,DESTROY_DURATION,KEY=VALUE,... \
             with at least one duration, not {id:?}."
        )));
    }
    let mut state = Value::object([("id", now())]);
    for (name, text) in DURATIONS.iter().zip(&parts) {
        let value = if text.is_empty() {
            Value::Null
        } else {
            Value::string(*text)
        };
        state.set_attr(name, value);
        duration(&state, name).map_err(Diagnostics::from)?;
    }
    let mut triggers = BTreeMap::new();
    for pair in &parts[2..] {
        let Some((key, value)) = pair.split_once('=').filter(|(_, v)| !v.contains('=')) else {
            return Err(invalid(format!(
                "A trigger of a time_sleep import id is KEY=VALUE, not {pair:?}."
            )));
        };
        triggers.insert(key.to_string(), Value::string(value));
    }
    state.set_attr("triggers", Value::Map(triggers));
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{apply, configured, create, destroy, plan, read, schema};
    use ggplan_sdk::{Provider, ResourceKind};
    use std::time::Instant;

    fn config(create: Value, destroy: Value, triggers: Value) -> Value {
        Value::object([
            ("create_duration", create),
            ("destroy_duration", destroy),
            ("triggers", triggers),
        ])
    }

    fn triggers(value: &str) -> Value {
        Value::object([("k", Value::string(value))])
    }

    /// Fails when a call that must not wait (an hour) waits.
    async fn promptly<T>(call: impl std::future::Future<Output = T>) -> T {
        tokio::time::timeout(Duration::from_secs(30), call)
            .await
            .expect("the call waited")
    }

    #[test]
    fn durations_are_a_number_and_a_unit() {
        let cases = [
            ("30s", Some(Duration::from_secs(30))),
            ("250ms", Some(Duration::from_millis(250))),
            ("1.5m", Some(Duration::from_secs(90))),
            ("2h", Some(Duration::from_secs(7200))),
            ("0s", Some(Duration::ZERO)),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_duration(text), expected, "{text}");
        }
        for bad in [
            "30", "s", "1d", "-1s", "1.s", ".5s", "1m30s", " 1s", "1e3s", "1.5.2s",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[tokio::test]
    async fn create_waits_then_records_when_it_finished() {
        let p = configured::<Time>().await;
        let cfg = config(Value::string("200ms"), Value::Null, Value::Null);
        let planned = plan(&p, SLEEP, None, &cfg).await.planned;
        assert_eq!(planned.get("id"), &Value::Unknown);
        let started = Utc::now();
        let clock = Instant::now();
        let state = apply(&p, SLEEP, None, &planned, &cfg).await;
        assert!(clock.elapsed() >= Duration::from_millis(200));
        let id = state.get("id").as_str().unwrap();
        assert!(id.ends_with('Z') && id.len() == 20, "{id}");
        let recorded = chrono::DateTime::parse_from_rfc3339(id).unwrap();
        assert!(recorded.timestamp() >= started.timestamp(), "{id}");
        assert_eq!(state.get("create_duration"), &Value::string("200ms"));
        assert_eq!(read(&p, SLEEP, &state).await, Some(state.clone()));
    }

    #[tokio::test]
    async fn destroy_waits_its_recorded_duration() {
        let p = configured::<Time>().await;
        let cfg = config(Value::Null, Value::string("0.2s"), Value::Null);
        let state = promptly(create(&p, SLEEP, &cfg)).await;
        let clock = Instant::now();
        assert!(destroy(&p, SLEEP, &state).await.is_empty());
        assert!(clock.elapsed() >= Duration::from_millis(200));
    }

    #[tokio::test]
    async fn a_duration_change_updates_in_place_without_waiting() {
        let p = configured::<Time>().await;
        let prior = create(
            &p,
            SLEEP,
            &config(Value::string("1ms"), Value::Null, triggers("a")),
        )
        .await;
        let cfg = config(Value::string("1h"), Value::string("1h"), triggers("a"));
        let planned = plan(&p, SLEEP, Some(&prior), &cfg).await.planned;
        assert!(objchange::replace_paths(&schema(&p, SLEEP), &prior, &planned).is_empty());
        assert_eq!(planned.get("id"), prior.get("id"));
        let state = promptly(apply(&p, SLEEP, Some(&prior), &planned, &cfg)).await;
        assert_eq!(state.get("create_duration"), &Value::string("1h"));
        assert_eq!(state.get("id"), prior.get("id"));
    }

    #[tokio::test]
    async fn a_triggers_change_replaces() {
        let p = configured::<Time>().await;
        let prior = create(
            &p,
            SLEEP,
            &config(Value::string("1ms"), Value::Null, triggers("a")),
        )
        .await;
        let cfg = config(Value::string("1ms"), Value::Null, triggers("b"));
        let planned = plan(&p, SLEEP, Some(&prior), &cfg).await.planned;
        assert_eq!(
            objchange::replace_paths(&schema(&p, SLEEP), &prior, &planned),
            vec![AttrPath::attr("triggers")]
        );
        assert_eq!(planned.get("id"), &Value::Unknown);
    }

    #[tokio::test]
    async fn validation_names_a_bad_duration_and_asks_for_one() {
        let p = configured::<Time>().await;
        let check = |cfg: &Value| p.validate(ResourceKind::Managed, SLEEP, cfg);
        let bad = check(&config(
            Value::string("30"),
            Value::string("1d"),
            Value::Null,
        ));
        let at: Vec<_> = bad.0.iter().map(|d| d.attribute.clone()).collect();
        assert_eq!(
            at,
            [
                Some(AttrPath::attr("create_duration")),
                Some(AttrPath::attr("destroy_duration"))
            ]
        );
        let neither = check(&config(Value::Null, Value::Null, Value::Null));
        assert!(neither.has_errors());
        assert!(neither.0[0].detail.contains("at least one"), "{neither}");
        let unknown = check(&config(Value::Unknown, Value::Null, Value::Null));
        assert!(!unknown.has_errors(), "{unknown}");
    }

    #[tokio::test]
    async fn import_reads_durations_and_triggers_from_the_id() {
        let p = configured::<Time>().await;
        let state = p.import(SLEEP, "30s,,zone=a,rack=7").await.unwrap();
        assert_eq!(state.get("create_duration"), &Value::string("30s"));
        assert_eq!(state.get("destroy_duration"), &Value::Null);
        assert_eq!(
            state.get("triggers"),
            &Value::object([("zone", Value::string("a")), ("rack", Value::string("7"))])
        );
        assert!(chrono::DateTime::parse_from_rfc3339(state.get("id").as_str().unwrap()).is_ok());
        for bad in ["30s", ",", "30x,", "1s,1s,novalue", "1s,,a=b=c"] {
            assert!(p.import(SLEEP, bad).await.is_err(), "{bad}");
        }
    }
}
