//! `openstack_blazar_lease`: a Blazar lease of `flavor:instance` reservations, what the seed
//! makes by hand with `openstack reservation lease create`. Each reservation exports the private
//! flavor Blazar creates for it (`reservation[0].reserved_flavor_id`), which servers boot with.
//!
//! Create waits until a lease that starts now (or in the past) is ACTIVE: only then may servers
//! use its flavor. The name changes in place; the end date changes in place once the lease has
//! started; a new start date, or a new end date before the start, replaces the lease (Blazar
//! cannot move them then, see [`plan_dates`]); so do the reservations (Blazar cannot
//! change a reservation's flavor or amount). A lease that ended or was deleted is gone: the
//! next plan creates it again.
//!
//! Blazar takes a Keystone trust from the caller's token on create; Keystone refuses that to
//! application-credential tokens, and Blazar then answers 500, which the diagnostic explains.

use super::date::{self, NOW};
use crate::OpenStack;
use crate::convert::{encode, int_attr, str_attr, text};
use crate::error::ApiError;
use crate::resource::{id_stub, read_back};
use crate::session::{Service, Session};
use crate::wait::{Poll, timeout, timeouts_block, until, validate_timeouts};
use async_trait::async_trait;
use ggplan_sdk::typed::{Partial, ResourceType};
use ggplan_sdk::{
    AttrPath, Attribute, BlockNesting, Diagnostic, Diagnostics, NestedBlock, PlanRequest, Schema,
    Type, Value,
};
use serde_json::{Value as Json, json};

pub struct Lease;

/// The one kind of reservation ggplan makes: instances of a flavor.
const FLAVOR_INSTANCE: &str = "flavor:instance";

/// Lease states after which it holds nothing any more.
const ENDED: &[&str] = &["TERMINATED", "DELETED"];

fn lease_path(id: &str) -> String {
    format!("/leases/{}", encode(id))
}

fn reservation_block() -> Schema {
    Schema::new(
        "One reservation of the lease.",
        [
            (
                "resource_type",
                Attribute::required(Type::String)
                    .force_new()
                    .describe("What is reserved: \"flavor:instance\"."),
            ),
            (
                "flavor_id",
                Attribute::required(Type::String)
                    .force_new()
                    .describe("The flavor whose instances are reserved (m1.large's id, say)."),
            ),
            (
                "amount",
                Attribute::required(Type::Number)
                    .force_new()
                    .describe("How many instances are reserved."),
            ),
            (
                "id",
                Attribute::computed(Type::String).describe("The reservation's id."),
            ),
            (
                "reserved_flavor_id",
                Attribute::computed(Type::String).describe(
                    "The private flavor Blazar made for this reservation: servers boot with it.",
                ),
            ),
        ],
    )
}

/// The reservations of a lease as Blazar shows them, in the configuration's form.
fn reservations_state(api: &Json) -> Value {
    let items = api.as_array().into_iter().flatten().map(|r| {
        // Blazar answers with the reserved flavor as `flavor_id`; the flavor asked for is
        // in the copy of its details it keeps as `resource_properties`.
        let source: Json = r["resource_properties"]
            .as_str()
            .and_then(|text| serde_json::from_str(text).ok())
            .unwrap_or(Json::Null);
        Value::object([
            ("resource_type", text(&r["resource_type"])),
            ("flavor_id", text(&source["id"])),
            ("amount", Value::from_json(&r["amount"])),
            ("id", text(&r["id"])),
            ("reserved_flavor_id", text(&r["flavor_id"])),
        ])
    });
    Value::List(items.collect())
}

/// The state of a lease from Blazar's answer; `prior` gives what only the configuration knows.
fn lease_state(api: &Json, prior: &Value) -> Value {
    let when = |name: &str| {
        api[name]
            .as_str()
            .and_then(date::from_api)
            .map_or(Value::Null, Value::String)
    };
    Value::object([
        ("id", text(&api["id"])),
        ("name", text(&api["name"])),
        ("start_date", when("start_date")),
        ("end_date", when("end_date")),
        ("status", text(&api["status"])),
        ("project_id", text(&api["project_id"])),
        ("reservation", reservations_state(&api["reservations"])),
        ("timeouts", prior.get("timeouts").clone()),
    ])
}

/// The lease `id` as Blazar shows it; `None` when it is gone or over.
async fn show_lease(session: &Session, id: &str) -> Result<Option<Json>, ApiError> {
    let doc = session
        .get_optional(Service::Reservation, &lease_path(id))
        .await?;
    Ok(doc
        .map(|d| d["lease"].clone())
        .filter(|l| !ENDED.contains(&l["status"].as_str().unwrap_or_default())))
}

/// Blazar's error when it could not take a trust, explained.
fn explain_trust_failure(session: &Session, error: ApiError) -> ApiError {
    match error {
        ApiError::Status { status: 500, .. } if session.uses_application_credential() => {
            ApiError::Failed(format!(
                "{error}. Blazar creates a Keystone trust from the caller's token, and Keystone \
                 refuses that to application credentials (\"Delegated tokens cannot manage \
                 trusts\"): configure this provider with a password (or an unrestricted \
                 application credential) for leases"
            ))
        }
        other => other,
    }
}

/// Plans the dates of an existing lease (`prior`): keeps its actual start for "now", and names
/// the date changes that replace it.
fn plan_dates(prior: &Value, planned: &mut Value) -> Vec<AttrPath> {
    let started = prior.get("status").as_str() != Some("PENDING");
    if started && planned.get("start_date").as_str() == Some(NOW) {
        // "now" (said, or the default) asked for a lease that starts at once, and this one
        // did.
        planned.set_attr("start_date", prior.get("start_date").clone());
    }
    // Blazar moves the start of a lease only before it starts. And before it starts, it
    // cannot move either date for the lease's owner: checking the new dates, it looks up the
    // reserved flavor as the owner, who gets access to it only at the start (Blazar 18 answers
    // 404). A lease that holds nothing yet is replaced instead.
    let movable: &[&str] = if started { &["end_date"] } else { &[] };
    ["start_date", "end_date"]
        .into_iter()
        .filter(|name| !movable.contains(name))
        .filter(|name| planned.get(name) != prior.get(name))
        .map(AttrPath::attr)
        .collect()
}

impl Lease {
    /// Waits until the lease `id` is ACTIVE; ERROR fails.
    async fn wait_active(session: &Session, id: &str, planned: &Value) -> Result<Json, ApiError> {
        until(
            &format!("lease {id} to become ACTIVE"),
            timeout(planned, "create"),
            || async {
                let lease = show_lease(session, id).await?.ok_or_else(|| {
                    ApiError::Failed(format!("lease {id} ended or disappeared while starting"))
                })?;
                Ok(match lease["status"].as_str().unwrap_or_default() {
                    "ACTIVE" => Poll::Done(lease),
                    "ERROR" => {
                        return Err(ApiError::Failed(format!(
                            "lease {id} went to ERROR while starting (Blazar could not set up \
                             its reservations; `openstack reservation lease show {id}` and the \
                             blazar-manager log say why)"
                        )));
                    }
                    other => Poll::Pending(other.to_string()),
                })
            },
        )
        .await
    }
}

#[async_trait]
impl ResourceType<OpenStack> for Lease {
    fn name(&self) -> &'static str {
        "openstack_blazar_lease"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "A Blazar lease reserving instances of flavors for a period (ggplan's own resource: \
             Terraform's OpenStack provider has none).",
            [
                (
                    "id",
                    Attribute::computed(Type::String).describe("The lease's id."),
                ),
                ("name", Attribute::required(Type::String)),
                (
                    "start_date",
                    Attribute::optional(Type::String)
                        .default(Value::string(NOW))
                        .describe(
                            "\"now\" or \"YYYY-MM-DD HH:MM\" (UTC). Once the lease has started, \
                             \"now\" matches its actual start. A new start replaces the lease.",
                        ),
                ),
                (
                    "end_date",
                    Attribute::required(Type::String).describe(
                        "\"YYYY-MM-DD HH:MM\" (UTC). Changes in place once the lease has \
                         started; before, a new end replaces the lease.",
                    ),
                ),
                (
                    "status",
                    Attribute::computed(Type::String)
                        .describe("PENDING, STARTING, ACTIVE, ERROR..."),
                ),
                ("project_id", Attribute::computed(Type::String)),
            ],
        )
        .with_block(
            "reservation",
            NestedBlock {
                nesting: BlockNesting::List,
                block: reservation_block(),
                min_items: 1,
                max_items: None,
            },
        )
        .with_block("timeouts", timeouts_block("the lease"))
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = validate_timeouts(config);
        let bad_date = |attribute: &str, text: &str, now_allowed: bool| {
            Diagnostic::error(
                "Invalid lease date",
                format!(
                    "{attribute} = {text:?} is not a date Blazar takes: write \"YYYY-MM-DD HH:MM\" \
                     (UTC){}.",
                    if now_allowed { " or \"now\"" } else { "" }
                ),
            )
            .at_attribute(AttrPath::attr(attribute))
        };
        if let Some(start) = config.get("start_date").as_str()
            && start != NOW
            && date::parse(start).is_none()
        {
            diags.push(bad_date("start_date", start, true));
        }
        if let Some(end) = config.get("end_date").as_str()
            && date::parse(end).is_none()
        {
            diags.push(bad_date("end_date", end, false));
        }
        if let (Some(start), Some(end)) = (
            config.get("start_date").as_str().and_then(date::parse),
            config.get("end_date").as_str().and_then(date::parse),
        ) && end <= start
        {
            diags.push(
                Diagnostic::error(
                    "Lease ends before it starts",
                    "end_date must be later than start_date.",
                )
                .at_attribute(AttrPath::attr("end_date")),
            );
        }
        for (i, block) in config
            .get("reservation")
            .as_list()
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let at = AttrPath::attr("reservation").index(i);
            if let Some(kind) = block.get("resource_type").as_str()
                && kind != FLAVOR_INSTANCE
            {
                diags.push(
                    Diagnostic::error(
                        "Unsupported reservation type",
                        format!(
                            "resource_type = {kind:?}: ggplan makes \"{FLAVOR_INSTANCE}\" \
                             reservations (instances of a flavor, as Chameleon's KVM site \
                             uses); reserve hosts or floating IPs with the openstack CLI."
                        ),
                    )
                    .at_attribute(at.key("resource_type")),
                );
            }
            if let Some(amount) = int_attr(block, "amount")
                && amount < 1
            {
                diags.push(
                    Diagnostic::error(
                        "Invalid reservation amount",
                        format!("amount = {amount}: reserve at least one instance."),
                    )
                    .at_attribute(at.key("amount")),
                );
            }
        }
        diags
    }

    async fn modify_plan(
        &self,
        _session: &Session,
        request: &PlanRequest<'_>,
        planned: &mut Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Vec<AttrPath>, ApiError> {
        Ok(request
            .prior
            .map_or_else(Vec::new, |prior| plan_dates(prior, planned)))
    }

    async fn read(&self, session: &Session, state: &Value) -> Result<Option<Value>, ApiError> {
        let Some(id) = str_attr(state, "id") else {
            return Ok(None);
        };
        Ok(show_lease(session, id)
            .await?
            .map(|lease| lease_state(&lease, state)))
    }

    async fn create(
        &self,
        session: &Session,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<ApiError>> {
        let reservations: Vec<Json> = planned
            .get("reservation")
            .as_list()
            .unwrap_or_default()
            .iter()
            .map(|r| {
                json!({
                    "resource_type": r.get("resource_type").as_str(),
                    "flavor_id": r.get("flavor_id").as_str(),
                    "amount": int_attr(r, "amount"),
                    // Blazar requires the key and supports no value but null.
                    "affinity": null,
                })
            })
            .collect();
        let start = planned.get("start_date").as_str().unwrap_or(NOW);
        let body = json!({
            "name": planned.get("name").as_str(),
            "start_date": start,
            "end_date": planned.get("end_date").as_str(),
            "reservations": reservations,
            "events": [],
        });
        let doc = session
            .post(Service::Reservation, "/leases", &body)
            .await
            .map_err(|e| explain_trust_failure(session, e))?;
        let lease = &doc["lease"];
        let state = lease_state(lease, planned);
        let Some(id) = lease["id"].as_str() else {
            return Err(Partial::from(ApiError::Decode {
                service: "reservation",
                message: "creating a lease returned no id".into(),
            }));
        };
        if !date::has_come(start, chrono::Utc::now()) {
            return Ok(state);
        }
        match Self::wait_active(session, id, planned).await {
            Ok(active) => Ok(lease_state(&active, planned)),
            Err(e) => Err(Partial::left(state, e)),
        }
    }

    async fn update(
        &self,
        session: &Session,
        prior: &Value,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<ApiError>> {
        let id = str_attr(prior, "id").unwrap_or_default();
        let mut body = serde_json::Map::new();
        for name in ["name", "start_date", "end_date"] {
            if planned.get(name) != prior.get(name) {
                body.insert(name.into(), json!(planned.get(name).as_str()));
            }
        }
        if body.is_empty() {
            // Only `timeouts` changed: nothing to tell Blazar.
            return read_back(self, session, planned.clone()).await;
        }
        let doc = session
            .put(Service::Reservation, &lease_path(id), &Json::Object(body))
            .await?;
        Ok(lease_state(&doc["lease"], planned))
    }

    async fn delete(
        &self,
        session: &Session,
        prior: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<(), ApiError> {
        let Some(id) = str_attr(prior, "id") else {
            return Ok(());
        };
        session
            .delete(Service::Reservation, &lease_path(id))
            .await?;
        until(
            &format!("lease {id} to be deleted"),
            timeout(prior, "delete"),
            || async {
                Ok(match show_lease(session, id).await? {
                    None => Poll::Done(()),
                    Some(lease) => {
                        Poll::Pending(lease["status"].as_str().unwrap_or_default().into())
                    }
                })
            },
        )
        .await
    }

    fn import_stub(&self, id: &str) -> Result<Value, Diagnostics> {
        id_stub(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::planned_by_rules;

    fn api_lease(status: &str) -> Json {
        json!({
            "id": "l-1",
            "name": "lease_mlops_abc",
            "start_date": "2026-11-22T02:59:00.000000",
            "end_date": "2026-11-22T14:59:00.000000",
            "status": status,
            "project_id": "p-1",
            "reservations": [{
                "id": "r-1",
                "resource_type": "flavor:instance",
                "amount": 3,
                "flavor_id": "r-1",
                "resource_properties": "{\"id\": \"m1-large\", \"name\": \"m1.large\"}",
            }],
        })
    }

    #[test]
    fn state_separates_the_flavor_asked_for_from_the_reserved_one() {
        let state = lease_state(&api_lease("ACTIVE"), &Value::Null);
        assert_eq!(state.get("start_date"), &Value::string("2026-11-22 02:59"));
        assert_eq!(state.get("end_date"), &Value::string("2026-11-22 14:59"));
        let reservation = &state.get("reservation").as_list().unwrap()[0];
        assert_eq!(reservation.get("flavor_id"), &Value::string("m1-large"));
        assert_eq!(reservation.get("reserved_flavor_id"), &Value::string("r-1"));
        assert_eq!(reservation.get("amount"), &Value::int(3));
    }

    fn config(start: &str, end: &str, kind: &str, amount: i64) -> Value {
        Value::object([
            ("name", Value::string("l")),
            ("start_date", Value::string(start)),
            ("end_date", Value::string(end)),
            (
                "reservation",
                Value::List(vec![Value::object([
                    ("resource_type", Value::string(kind)),
                    ("flavor_id", Value::string("f")),
                    ("amount", Value::int(amount)),
                ])]),
            ),
        ])
    }

    #[test]
    fn validate_names_each_bad_value() {
        let ok = config("now", "2026-11-22 14:59", FLAVOR_INSTANCE, 3);
        assert!(Lease.validate(&ok).0.is_empty());
        let bad = config("tomorrow", "2026-11-22T14:59Z", "physical:host", 0);
        let summaries: Vec<String> = Lease
            .validate(&bad)
            .0
            .iter()
            .map(|d| format!("{}: {}", d.summary, d.detail))
            .collect();
        assert_eq!(summaries.len(), 4, "{summaries:?}");
        assert!(summaries[0].contains("start_date = \"tomorrow\""));
        assert!(summaries[1].contains("end_date"));
        assert!(summaries[2].contains("physical:host"));
        assert!(summaries[3].contains("amount = 0"));
        let backwards = config("2026-11-22 15:00", "2026-11-22 14:59", FLAVOR_INSTANCE, 1);
        assert!(
            Lease.validate(&backwards).0[0]
                .summary
                .contains("ends before")
        );
    }

    #[test]
    fn now_matches_a_started_lease_and_only_a_started_lease_moves_its_end_in_place() {
        let prior = lease_state(&api_lease("ACTIVE"), &Value::Null);
        let now = config("now", "2026-11-22 14:59", FLAVOR_INSTANCE, 3);
        let mut planned = now.clone();
        assert!(plan_dates(&prior, &mut planned).is_empty());
        assert_eq!(planned.get("start_date"), prior.get("start_date"));
        // Left out, start_date is "now" by default: the same.
        let mut unsaid = now.clone();
        if let Value::Map(map) = &mut unsaid {
            map.remove("start_date");
        }
        let mut planned = planned_by_rules(&Lease, Some(&prior), &unsaid);
        assert!(plan_dates(&prior, &mut planned).is_empty());
        assert_eq!(planned.get("start_date"), prior.get("start_date"));

        let moved = config("2026-11-23 00:00", "2026-11-23 14:59", FLAVOR_INSTANCE, 3);
        let mut planned = moved.clone();
        assert_eq!(
            plan_dates(&prior, &mut planned),
            vec![AttrPath::attr("start_date")]
        );

        let longer = config("now", "2026-11-23 14:59", FLAVOR_INSTANCE, 3);
        let mut planned = longer.clone();
        assert!(plan_dates(&prior, &mut planned).is_empty());

        let pending = lease_state(&api_lease("PENDING"), &Value::Null);
        let mut planned = moved.clone();
        assert_eq!(
            plan_dates(&pending, &mut planned),
            vec![AttrPath::attr("start_date"), AttrPath::attr("end_date")]
        );
        let mut planned = now.clone();
        plan_dates(&pending, &mut planned);
        assert_eq!(planned.get("start_date"), &Value::string("now"));
    }
}
