//! Provider fault injection against the loopback OpenStack (`tests/support/openstack.sh`):
//! `tests/support/fault_proxy.rs` stands in front of Keystone and every service in its
//! catalog (the catalog is rewritten to point at the proxies) and answers chosen requests
//! with 503s, lost answers and broken-off bodies. Each test checks what ggplan said, what its
//! state records and, asking the cloud directly, what exists: the state must hold exactly
//! what the cloud holds, and a POST that may have arrived is never sent twice.

#[path = "support/binary.rs"]
mod binary;
#[path = "support/fault_proxy.rs"]
mod fault_proxy;
#[path = "support/openstack_cloud.rs"]
mod openstack_cloud;

use fault_proxy::{Fault, Faults, Rule};
use openstack_cloud::{Cloud, Stack, wait_gone};

/// A suffix no other run uses.
fn unique() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{}-{}", std::process::id(), nanos % 1_000_000_000)
}

/// A stack whose clouds.yaml points at a proxy in front of Keystone, whose catalog points at
/// proxies in front of every service.
async fn faulty(suffix: &str, body: &str) -> (Stack, Faults, Cloud) {
    let user = Cloud::login("ggplan-password").await;
    let faults = Faults::new();
    for addr in user.endpoint_addrs() {
        faults.front(addr.parse().unwrap());
    }
    let stack = Stack::single(suffix, "ggplan-password", body);
    let clouds = stack.dir.join("clouds.yaml");
    let mut text = std::fs::read_to_string(&clouds).unwrap();
    let keystone = user
        .endpoint_addrs()
        .into_iter()
        .find(|addr| text.contains(addr.as_str()))
        .expect("clouds.yaml names none of the catalog's endpoints");
    let proxy = faults.front(keystone.parse().unwrap());
    text = text.replace(&keystone, &proxy.to_string());
    std::fs::write(&clouds, text).unwrap();
    (stack, faults, user)
}

/// The ids of the networks (or servers) the cloud holds with `name`.
async fn ids_named(user: &Cloud, service: &str, collection: &str, name: &str) -> Vec<String> {
    let path = format!("/{collection}?name={name}");
    let doc = user.get(service, &path).await;
    doc[collection]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["name"] == name)
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_answer_to_creating_a_network_is_found_and_the_post_is_not_sent_again() {
    let name = format!("faults-net-{}", unique());
    let body = format!(
        "resource \"openstack_networking_network_v2\" \"net\" {{\n  name = \"{name}\"\n}}\n"
    );
    let (stack, faults, user) = faulty("faults-net", &body).await;
    faults.add(Rule::new("POST", "/v2.0/networks", 1, Fault::LoseAnswer));
    let run = stack.run(&["apply", "-auto-approve"]).expect(0);
    assert!(
        run.all().contains("was lost; the object was found"),
        "{}",
        run.all()
    );
    assert_eq!(faults.count("POST", "/v2.0/networks"), (1, 1));
    let ids = ids_named(&user, "network", "networks", &name).await;
    assert_eq!(
        ids,
        vec![stack.id_of("openstack_networking_network_v2.net")]
    );
    stack.run(&["plan", "-detailed-exitcode"]).expect(0);
    stack.run(&["destroy", "-auto-approve"]).expect(0);
    assert!(
        ids_named(&user, "network", "networks", &name)
            .await
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_whose_create_outcome_is_unknown_is_found_by_the_next_plan() {
    let name = format!("faults-server-{}", unique());
    let body = format!(
        "resource \"openstack_compute_instance_v2\" \"server\" {{\n  name        = \"{name}\"\n  \
         image_name  = \"CC-Ubuntu24.04\"\n  flavor_name = \"m1.small\"\n  network {{\n    name = \
         \"sharednet1\"\n  }}\n}}\n"
    );
    let (stack, faults, user) = faulty("faults-server", &body).await;
    // The answer to the create is lost, and so is every attempt to look for the server.
    faults.add(Rule::new("POST", "/servers", 1, Fault::LoseAnswer));
    faults.add(Rule::new("GET", "/servers/detail", 100, Fault::Status(503)));
    let out = stack.run(&["apply", "-auto-approve"]).expect(1).all();
    assert!(
        out.contains("openstack_compute_instance_v2.server: the create's outcome is unknown"),
        "{out}"
    );
    assert_eq!(faults.count("POST", "/servers"), (1, 1));
    let made = ids_named(&user, "compute", "servers", &name).await;
    assert_eq!(made.len(), 1, "the cloud holds {made:?}");
    let state = stack.state();
    assert!(state["resources"].as_array().unwrap().is_empty(), "{state}");
    assert!(state["pending"].is_object(), "{state}");

    faults.clear();
    let plan = stack.run(&["plan"]).expect(0).all();
    assert!(
        plan.contains(
            "openstack_compute_instance_v2.server: found the object an unfinished create made"
        ),
        "{plan}"
    );
    stack.run(&["apply", "-auto-approve"]).expect(0);
    assert_eq!(stack.id_of("openstack_compute_instance_v2.server"), made[0]);
    assert_eq!(ids_named(&user, "compute", "servers", &name).await, made);
    stack.run(&["plan", "-detailed-exitcode"]).expect(0);
    stack.run(&["destroy", "-auto-approve"]).expect(0);
    wait_gone(&user, &format!("/servers/{}", made[0])).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn transient_errors_are_retried_and_a_lasting_one_is_a_clear_error_that_records_nothing() {
    let name = format!("faults-retry-{}", unique());
    let body = format!(
        "resource \"openstack_networking_network_v2\" \"net\" {{\n  name = \"{name}\"\n}}\n"
    );
    let (stack, faults, user) = faulty("faults-retry", &body).await;
    // Two 503s on the create, and a broken-off answer to the first read-back: retried.
    faults.add(Rule::new("POST", "/v2.0/networks", 2, Fault::Status(503)));
    faults.add(Rule::new("GET", "/v2.0/networks/", 1, Fault::Truncate));
    stack.run(&["apply", "-auto-approve"]).expect(0);
    assert_eq!(faults.count("POST", "/v2.0/networks"), (3, 2));
    assert_eq!(faults.count("GET", "/v2.0/networks/").1, 1);
    let id = stack.id_of("openstack_networking_network_v2.net");
    assert_eq!(
        ids_named(&user, "network", "networks", &name).await,
        vec![id]
    );
    stack.run(&["destroy", "-auto-approve"]).expect(0);

    // A service that keeps failing: four attempts, then an error naming it; nothing exists.
    faults.add(Rule::new("POST", "/v2.0/networks", 100, Fault::Status(503)));
    let before = faults.count("POST", "/v2.0/networks").0;
    let out = stack.run(&["apply", "-auto-approve"]).expect(1).all();
    assert!(out.contains("HTTP 503"), "{out}");
    assert_eq!(faults.count("POST", "/v2.0/networks").0 - before, 4);
    assert!(
        ids_named(&user, "network", "networks", &name)
            .await
            .is_empty()
    );
    let state = stack.state();
    assert!(state["resources"].as_array().unwrap().is_empty(), "{state}");
    assert!(state["pending"].is_null(), "{state}");
}
