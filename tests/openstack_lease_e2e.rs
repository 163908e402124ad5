//! `openstack_blazar_lease` run by the real `ggplan` binary against a real Blazar 18 on
//! loopback (`tests/support/openstack.sh`, started by `scripts/test.sh`), beside Nova and
//! Placement: the seed's lease (three m1.large instances, from now for 12 hours) is created,
//! a server boots with the reserved flavor it exports, the stack re-plans clean, the lease's
//! name and end change in place, a hand edit is repaired, and destroy removes everything. A
//! lease that starts later stays PENDING, a new start replaces it, and one deleted by hand is
//! made again; a lease that reaches its end is gone (drift, planned again, refused by Blazar for
//! its past end date with nothing recorded); more instances than the cloud holds and an
//! application credential are refused with the reason; bad dates are refused before anything is
//! made.
//!
//! Needs GGPLAN_TEST_OPENSTACK_CLOUDS (the clouds.yaml the script writes); fails when it is
//! missing.

#[path = "support/binary.rs"]
mod binary;
#[path = "support/openstack_cloud.rs"]
mod openstack_cloud;

use chrono::{Duration, Utc};
use openstack_cloud::{Cloud, Stack, wait_gone};
use serde_json::json;

fn unique(what: &str) -> String {
    format!("{what}-lease{}", std::process::id())
}

/// A date `hours` from now in Blazar's form, as the seed computes them with `date -d`.
fn hours_from_now(hours: i64) -> String {
    (Utc::now() + Duration::hours(hours))
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// A stack with a lease of three m1.large instances and, when `with_server`, a server that
/// boots with the reserved flavor (as the seed's `main.tf` does with `var.reservation`).
fn lease_tf(name: &str, start: &str, end: &str, with_server: bool) -> String {
    let server = if with_server {
        format!(
            r#"
resource "openstack_compute_instance_v2" "node" {{
  name       = "{name}-node"
  image_name = "CC-Ubuntu24.04"
  flavor_id  = openstack_blazar_lease.lease.reservation[0].reserved_flavor_id
  network {{
    name = "sharednet1"
  }}
}}
"#
        )
    } else {
        String::new()
    };
    format!(
        r#"
data "openstack_compute_flavor_v2" "large" {{
  name = "m1.large"
}}
resource "openstack_blazar_lease" "lease" {{
  name       = "{name}"
  start_date = "{start}"
  end_date   = "{end}"
  reservation {{
    resource_type = "flavor:instance"
    flavor_id     = data.openstack_compute_flavor_v2.large.id
    amount        = 3
  }}
}}
output "reserved_flavor" {{
  value = openstack_blazar_lease.lease.reservation[0].reserved_flavor_id
}}
{server}"#
    )
}

/// Blazar's date `2026-11-22T14:59:00.000000` in the configuration's form.
fn minutes(api_date: &serde_json::Value) -> String {
    api_date.as_str().unwrap()[..16].replace('T', " ")
}

#[tokio::test(flavor = "multi_thread")]
async fn seed_lease_reserves_a_flavor_a_server_boots_with_and_changes_in_place() {
    let name = unique("seed");
    let end = hours_from_now(12);
    let stack = Stack::single(
        &name,
        "ggplan-password",
        &lease_tf(&name, "now", &end, true),
    );
    let user = Cloud::login("ggplan-password").await;

    let run = stack.run(&["apply", "-auto-approve"]).expect(0);
    assert!(
        run.all().contains("2 added, 0 changed, 0 destroyed"),
        "{}",
        run.all()
    );
    let lease_id = stack.id_of("openstack_blazar_lease.lease");
    let lease = &user
        .get("reservation", &format!("/leases/{lease_id}"))
        .await["lease"];
    assert_eq!(lease["status"], "ACTIVE", "{lease:#}");
    assert_eq!(minutes(&lease["end_date"]), end);
    let reservation = &lease["reservations"][0];
    assert_eq!(reservation["resource_type"], "flavor:instance");
    assert_eq!(reservation["amount"], 3);
    let reserved = reservation["flavor_id"].as_str().unwrap().to_string();

    // The server runs on the reserved flavor: Blazar's flavor, not m1.large.
    let server_id = stack.id_of("openstack_compute_instance_v2.node");
    let server = user.get("compute", &format!("/servers/{server_id}")).await;
    assert_eq!(server["server"]["status"], "ACTIVE");
    assert_eq!(server["server"]["flavor"]["id"], reserved.as_str());
    let attributes = stack.attributes_of("openstack_blazar_lease.lease");
    assert_eq!(
        attributes["reservation"][0]["reserved_flavor_id"],
        reserved.as_str()
    );
    assert_eq!(attributes["start_date"], minutes(&lease["start_date"]));
    let output = stack.run(&["output", "-raw", "reserved_flavor"]).expect(0);
    assert_eq!(output.stdout.trim(), reserved);

    // "now" matches the lease that started: nothing to do.
    stack.run(&["plan", "-detailed-exitcode"]).expect(0);

    // The name and the end change in place: the same lease, the server untouched.
    let later = hours_from_now(36);
    let renamed = format!("{name}-renamed");
    stack.rewrite(
        "ggplan-password",
        &lease_tf(&renamed, "now", &later, true)
            .replace(&format!("\"{renamed}-node\""), &format!("\"{name}-node\"")),
    );
    let run = stack.run(&["apply", "-auto-approve"]).expect(0);
    assert!(
        run.all().contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        run.all()
    );
    assert_eq!(stack.id_of("openstack_blazar_lease.lease"), lease_id);
    assert_eq!(stack.id_of("openstack_compute_instance_v2.node"), server_id);
    let lease = &user
        .get("reservation", &format!("/leases/{lease_id}"))
        .await["lease"];
    assert_eq!(lease["name"], renamed.as_str());
    assert_eq!(minutes(&lease["end_date"]), later);
    stack.run(&["plan", "-detailed-exitcode"]).expect(0);

    // Shortened by hand: the drift is seen and repaired in place.
    let shorter = hours_from_now(20);
    user.put(
        "reservation",
        &format!("/leases/{lease_id}"),
        json!({ "end_date": shorter }),
    )
    .await;
    let drift = stack.run(&["plan", "-detailed-exitcode"]).expect(2);
    assert!(
        drift.all().contains("0 to add, 1 to change, 0 to destroy"),
        "{}",
        drift.all()
    );
    assert!(drift.all().contains(&later), "{}", drift.all());
    stack.run(&["apply", "-auto-approve"]).expect(0);
    let lease = &user
        .get("reservation", &format!("/leases/{lease_id}"))
        .await["lease"];
    assert_eq!(minutes(&lease["end_date"]), later);

    stack.run(&["destroy", "-auto-approve"]).expect(0);
    wait_gone(&user, &format!("/servers/{server_id}")).await;
    assert_eq!(
        user.status("reservation", &format!("/leases/{lease_id}"))
            .await,
        404
    );
    let admin = Cloud::login("admin").await;
    assert_eq!(
        admin
            .status("compute", &format!("/flavors/{reserved}"))
            .await,
        404,
        "the reserved flavor outlived its lease"
    );
    assert_eq!(user.leftovers(&name).await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn lease_starting_later_stays_pending_a_new_start_replaces_it_and_a_deleted_one_returns() {
    let name = unique("later");
    let (start, end) = (hours_from_now(48), hours_from_now(72));
    let stack = Stack::single(
        &name,
        "ggplan-password",
        &lease_tf(&name, &start, &end, false),
    );
    let user = Cloud::login("ggplan-password").await;

    stack.run(&["apply", "-auto-approve"]).expect(0);
    let lease_id = stack.id_of("openstack_blazar_lease.lease");
    let lease = &user
        .get("reservation", &format!("/leases/{lease_id}"))
        .await["lease"];
    assert_eq!(lease["status"], "PENDING", "{lease:#}");
    assert_eq!(minutes(&lease["start_date"]), start);
    stack.run(&["plan", "-detailed-exitcode"]).expect(0);

    // Blazar cannot move a pending flavor reservation for its owner: a new start replaces it.
    let sooner = hours_from_now(24);
    stack.rewrite("ggplan-password", &lease_tf(&name, &sooner, &end, false));
    let plan = stack.run(&["plan"]).expect(0);
    assert!(
        plan.all().contains("must be replaced") && plan.all().contains("# forces replacement"),
        "{}",
        plan.all()
    );
    let run = stack.run(&["apply", "-auto-approve"]).expect(0);
    assert!(
        run.all().contains("1 added, 0 changed, 1 destroyed"),
        "{}",
        run.all()
    );
    let replaced = stack.id_of("openstack_blazar_lease.lease");
    assert_ne!(replaced, lease_id);
    assert_eq!(
        user.status("reservation", &format!("/leases/{lease_id}"))
            .await,
        404
    );
    let lease = &user
        .get("reservation", &format!("/leases/{replaced}"))
        .await["lease"];
    assert_eq!(lease["status"], "PENDING", "{lease:#}");
    assert_eq!(minutes(&lease["start_date"]), sooner);
    stack.run(&["plan", "-detailed-exitcode"]).expect(0);

    // Deleted by hand: gone from the cloud, so planned (and made) again.
    user.delete("reservation", &format!("/leases/{replaced}"))
        .await;
    let drift = stack.run(&["plan", "-detailed-exitcode"]).expect(2);
    assert!(
        drift.all().contains("1 to add, 0 to change, 0 to destroy"),
        "{}",
        drift.all()
    );
    stack.run(&["apply", "-auto-approve"]).expect(0);
    let replaced = stack.id_of("openstack_blazar_lease.lease");
    let lease = &user
        .get("reservation", &format!("/leases/{replaced}"))
        .await["lease"];
    assert_eq!(lease["status"], "PENDING", "{lease:#}");

    stack.run(&["destroy", "-auto-approve"]).expect(0);
    assert_eq!(
        user.status("reservation", &format!("/leases/{replaced}"))
            .await,
        404
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn application_credential_is_refused_with_the_reason_and_nothing_is_recorded() {
    let name = unique("appcred");
    let stack = Stack::single(
        &name,
        "openstack",
        &lease_tf(&name, "now", &hours_from_now(12), false),
    );
    let run = stack.run(&["apply", "-auto-approve"]).expect(1);
    assert!(
        run.all().contains("Cannot create openstack_blazar_lease"),
        "{}",
        run.all()
    );
    assert!(
        run.all().contains("Delegated tokens cannot manage trusts"),
        "{}",
        run.all()
    );
    let state = stack.state();
    let managed = state["resources"].as_array().unwrap().iter();
    let recorded = managed.filter(|r| !r["address"].as_str().unwrap().starts_with("data."));
    assert_eq!(recorded.count(), 0, "{state:#}");
    let user = Cloud::login("ggplan-password").await;
    let leases = user.get("reservation", "/leases").await;
    assert!(
        !leases["leases"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["name"] == name.as_str()),
        "{leases:#}"
    );
}

#[test]
fn bad_dates_are_refused_with_their_place_before_anything_is_made() {
    let name = unique("bad");
    let body = lease_tf(&name, "tomorrow", "2026-13-01 10:00", false);
    let stack = Stack::single(&name, "ggplan-password", &body);
    let run = stack.run(&["plan"]).expect(1);
    let all = run.all();
    assert!(all.contains("start_date = \"tomorrow\""), "{all}");
    assert!(all.contains("end_date = \"2026-13-01 10:00\""), "{all}");
    assert!(all.contains("main.tf line 10"), "{all}");
    assert!(all.contains("main.tf line 11"), "{all}");
    assert!(!stack.dir.join("state/kvm.json").exists());
}

/// Polls the lease until Blazar reports `status` (leases end on Blazar's clock: the manager
/// acts on its events every few seconds).
async fn wait_for_status(user: &Cloud, lease_id: &str, status: &str) {
    let started = std::time::Instant::now();
    loop {
        let lease = &user
            .get("reservation", &format!("/leases/{lease_id}"))
            .await["lease"];
        if lease["status"] == status {
            return;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(300),
            "lease {lease_id} never became {status}: {lease:#}"
        );
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn lease_that_reaches_its_end_is_gone_and_reported_as_drift() {
    let name = unique("short");
    // Blazar keeps whole minutes: a lease from now until three minutes from now (at least
    // two whole minutes, so that a loaded machine still applies and re-plans it before it
    // ends).
    let end = (Utc::now() + Duration::minutes(3))
        .format("%Y-%m-%d %H:%M")
        .to_string();
    let stack = Stack::single(
        &name,
        "ggplan-password",
        &lease_tf(&name, "now", &end, false),
    );
    let user = Cloud::login("ggplan-password").await;
    stack.run(&["apply", "-auto-approve"]).expect(0);
    let lease_id = stack.id_of("openstack_blazar_lease.lease");
    stack.run(&["plan", "-detailed-exitcode"]).expect(0);

    wait_for_status(&user, &lease_id, "TERMINATED").await;
    // It holds nothing any more: gone, as a deleted object is.
    let drift = stack.run(&["drift"]).expect(2);
    assert!(
        drift.all().contains("openstack_blazar_lease.lease"),
        "{}",
        drift.all()
    );
    let plan = stack.run(&["plan", "-detailed-exitcode"]).expect(2);
    assert!(
        plan.all().contains("1 to add, 0 to change, 0 to destroy"),
        "{}",
        plan.all()
    );
    // Its end date is past: Blazar refuses a new lease for it, and nothing is recorded.
    let refused = stack.run(&["apply", "-auto-approve"]).expect(1);
    assert!(
        refused
            .all()
            .contains("Cannot create openstack_blazar_lease"),
        "{}",
        refused.all()
    );
    let listed = stack.run(&["state", "list"]).expect(0);
    assert!(
        !listed.all().contains("openstack_blazar_lease.lease"),
        "{}",
        listed.all()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn more_instances_than_the_cloud_holds_are_refused_and_nothing_is_recorded() {
    let name = unique("huge");
    let body = lease_tf(&name, "now", &hours_from_now(12), false)
        .replace("amount        = 3", "amount        = 100000");
    let stack = Stack::single(&name, "ggplan-password", &body);
    let refused = stack.run(&["apply", "-auto-approve"]).expect(1);
    let all = refused.all();
    assert!(
        all.contains("Cannot create openstack_blazar_lease"),
        "{all}"
    );
    assert!(all.contains("Not enough hosts available"), "{all}");
    assert!(
        all.contains("no free capacity for this reservation"),
        "{all}"
    );
    let listed = stack.run(&["state", "list"]).expect(0);
    assert!(
        !listed.all().contains("openstack_blazar_lease"),
        "{}",
        listed.all()
    );
    let user = Cloud::login("ggplan-password").await;
    let leases = user.get("reservation", "/leases").await;
    let named = leases["leases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["name"] == name.as_str())
        .count();
    assert_eq!(named, 0, "{leases:#}");
}
