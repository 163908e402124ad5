//! The GourmetGram infrastructure layer (`stacks/gourmetgram`, the seed's `tf/kvm` files) run by
//! the real `ggplan` binary against a real OpenStack on loopback (`tests/support/openstack.sh`,
//! started by `scripts/test.sh`): apply, a re-plan with no changes, drift made by hand through
//! the REST APIs and repaired, `--replace` of node3, destroy to nothing; and bad credentials,
//! quota and build failures reported clearly with nothing lost.
//!
//! Needs GGPLAN_TEST_OPENSTACK_CLOUDS (the clouds.yaml the script writes) and
//! GGPLAN_TEST_OPENSTACK_RESERVATION (the reserved flavor's id); fails when they are missing.

#[path = "support/binary.rs"]
mod binary;
#[path = "support/openstack_cloud.rs"]
mod openstack_cloud;

use openstack_cloud::{Cloud, Stack, wait_gone};
use serde_json::{Value as Json, json};

fn sorted(value: &Json) -> Vec<String> {
    let mut items: Vec<String> = value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    items.sort();
    items
}

#[tokio::test(flavor = "multi_thread")]
async fn seed_layout_applies_replans_clean_repairs_drift_replaces_and_destroys() {
    // A suffix of its own, so that objects left by an earlier failed run do not count.
    let suffix = format!("e2e{}", std::process::id());
    let stack = Stack::gourmetgram(&suffix);
    let user = Cloud::login("ggplan-password").await;

    let run = stack.run(&["apply", "-auto-approve"]).expect(0);
    assert!(
        run.all().contains("14 added, 0 changed, 0 destroyed"),
        "{}",
        run.all()
    );
    let output = stack.run(&["output", "-raw", "floating_ip_out"]).expect(0);
    assert!(
        output.all().trim().starts_with("203.0.113."),
        "{}",
        output.all()
    );

    // The servers have both ports, with the fixed private addresses.
    let node1 = stack.id_of("openstack_compute_instance_v2.nodes[\"node1\"]");
    let interfaces = user
        .get("compute", &format!("/servers/{node1}/os-interface"))
        .await;
    let addresses: Vec<&str> = interfaces["interfaceAttachments"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| i["fixed_ips"].as_array().unwrap())
        .filter_map(|ip| ip["ip_address"].as_str())
        .collect();
    assert!(addresses.contains(&"192.168.1.11"), "{addresses:?}");

    let replan = stack.run(&["plan", "-detailed-exitcode"]).expect(0);
    assert!(replan.all().contains("No changes"), "{}", replan.all());

    // Drift by hand: node2's shared port loses its security groups but one, node3's server is
    // deleted, the floating IP moves to node2.
    let port2 = stack.id_of("openstack_networking_port_v2.sharednet1_ports[\"node2\"]");
    let groups =
        user.get("network", &format!("/ports/{port2}")).await["port"]["security_groups"].clone();
    let ssh =
        user.get("network", "/security-groups?name=allow-ssh").await["security_groups"][0]["id"]
            .clone();
    user.put(
        "network",
        &format!("/ports/{port2}"),
        json!({ "port": { "security_groups": [ssh] } }),
    )
    .await;
    let node3 = stack.id_of("openstack_compute_instance_v2.nodes[\"node3\"]");
    user.call(
        reqwest::Method::DELETE,
        "compute",
        &format!("/servers/{node3}"),
        None,
    )
    .await;
    wait_gone(&user, &format!("/servers/{node3}")).await;
    let fip = stack.id_of("openstack_networking_floatingip_v2.floating_ip");
    user.put(
        "network",
        &format!("/floatingips/{fip}"),
        json!({ "floatingip": { "port_id": port2 } }),
    )
    .await;

    let drift = stack.run(&["plan", "-detailed-exitcode"]).expect(2);
    assert!(
        drift.all().contains("1 to add, 2 to change, 0 to destroy"),
        "{}",
        drift.all()
    );
    stack.run(&["apply", "-auto-approve"]).expect(0);
    let repaired = user.get("network", &format!("/ports/{port2}")).await;
    assert_eq!(
        sorted(&repaired["port"]["security_groups"]),
        sorted(&groups)
    );
    let port1 = stack.id_of("openstack_networking_port_v2.sharednet1_ports[\"node1\"]");
    let moved_back = user.get("network", &format!("/floatingips/{fip}")).await;
    assert_eq!(moved_back["floatingip"]["port_id"], port1.as_str());
    stack.run(&["plan", "-detailed-exitcode"]).expect(0);

    // The seed's "node3 is broken" step.
    let before = stack.id_of("openstack_compute_instance_v2.nodes[\"node3\"]");
    let replace = stack
        .run(&[
            "apply",
            "-replace=openstack_compute_instance_v2.nodes[\"node3\"]",
            "-auto-approve",
        ])
        .expect(0);
    assert!(
        replace.all().contains("1 added, 0 changed, 1 destroyed"),
        "{}",
        replace.all()
    );
    assert_ne!(
        stack.id_of("openstack_compute_instance_v2.nodes[\"node3\"]"),
        before
    );

    stack.run(&["destroy", "-auto-approve"]).expect(0);
    assert_eq!(stack.state()["resources"].as_array().map_or(0, Vec::len), 0);
    assert_eq!(
        user.leftovers(&format!("-mlops-{suffix}")).await,
        Vec::<String>::new()
    );
    let (status, _) = user
        .call(
            reqwest::Method::GET,
            "network",
            &format!("/floatingips/{fip}"),
            None,
        )
        .await;
    assert_eq!(status, 404);
}

fn single_file(text: &str) -> Vec<(&'static str, String)> {
    vec![("main.tf", text.to_string())]
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_credentials_are_a_clear_error_without_the_secret() {
    let stack = Stack::new(
        "badcred",
        &single_file(
            "provider \"openstack\" {\n  cloud = \"bad-secret\"\n}\n\
             data \"openstack_networking_network_v2\" \"n\" {\n  name = \"sharednet1\"\n}\n",
        ),
    );
    let run = stack.run(&["plan"]).expect(1);
    assert!(
        run.all().contains("refused the credentials with HTTP 401"),
        "{}",
        run.all()
    );
    assert!(run.all().contains("clouds.yaml"), "{}", run.all());
    assert!(!run.all().contains("not-the-secret"), "{}", run.all());
}

#[tokio::test(flavor = "multi_thread")]
async fn quota_exhaustion_is_reported_and_nothing_is_lost() {
    let stack = Stack::new(
        "quota",
        &single_file(
            "provider \"openstack\" {\n  cloud = \"quota\"\n}\n\
             resource \"openstack_networking_secgroup_v2\" \"g\" {\n  name = \"quota-ok\"\n}\n\
             resource \"openstack_networking_network_v2\" \"n\" {\n  name = \"quota-net\"\n}\n",
        ),
    );
    let run = stack.run(&["apply", "-auto-approve"]).expect(1);
    assert!(run.all().contains("OverQuota"), "{}", run.all());
    assert!(run.all().contains("quota is exhausted"), "{}", run.all());
    // The group that could be created is recorded; destroying it leaves nothing.
    stack.id_of("openstack_networking_secgroup_v2.g");
    stack.run(&["destroy", "-auto-approve"]).expect(0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_fails_to_build_is_reported_with_its_fault_and_removed() {
    let stack = Stack::new(
        "fault",
        &single_file(
            "provider \"openstack\" {\n  cloud = \"openstack\"\n}\n\
             resource \"openstack_compute_instance_v2\" \"big\" {\n  name = \"too-big-fault\"\n  \
             image_name = \"CC-Ubuntu24.04\"\n  flavor_name = \"ggplan.too-big\"\n  \
             network {\n    name = \"sharednet1\"\n  }\n}\n",
        ),
    );
    let run = stack.run(&["apply", "-auto-approve"]).expect(1);
    assert!(run.all().contains("went to ERROR"), "{}", run.all());
    assert!(run.all().contains("No valid host"), "{}", run.all());
    assert_eq!(stack.state()["resources"].as_array().map_or(0, Vec::len), 0);
    let user = Cloud::login("ggplan-password").await;
    assert_eq!(user.leftovers("too-big-fault").await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn seed_layout_with_its_own_lease_boots_the_nodes_on_the_reserved_flavor() {
    let suffix = format!("lease{}", std::process::id());
    let stack = Stack::gourmetgram(&suffix);
    // Blazar takes a trust from the caller's token, which application credentials may not
    // give: the stack's `openstack` cloud is the password user here.
    let clouds = std::fs::read_to_string(stack.dir.join("clouds.yaml")).unwrap();
    let clouds = clouds
        .replace("\n  openstack:\n", "\n  app-credential:\n")
        .replace("\n  ggplan-password:\n", "\n  openstack:\n");
    std::fs::write(stack.dir.join("clouds.yaml"), clouds).unwrap();
    let end = (chrono::Utc::now() + chrono::Duration::hours(12))
        .format("%Y-%m-%d %H:%M")
        .to_string();
    let lease_vars = ["-var", "reservation=", "-var"];
    let lease_end = format!("lease_end={end}");
    let with_lease = |command: &[&str]| {
        let mut args: Vec<&str> = command.to_vec();
        args.extend(lease_vars);
        args.push(&lease_end);
        stack.run(&args)
    };
    let user = Cloud::login("ggplan-password").await;

    let run = with_lease(&["apply", "-auto-approve"]).expect(0);
    assert!(
        run.all().contains("15 added, 0 changed, 0 destroyed"),
        "{}",
        run.all()
    );
    let lease = stack.attributes_of("openstack_blazar_lease.mlops[0]");
    assert_eq!(lease["name"], format!("lease_mlops_{suffix}"));
    assert_eq!(lease["status"], "ACTIVE");
    assert_eq!(lease["reservation"][0]["amount"], 3);
    let reserved = lease["reservation"][0]["reserved_flavor_id"]
        .as_str()
        .unwrap()
        .to_string();
    for node in ["node1", "node2", "node3"] {
        let id = stack.id_of(&format!("openstack_compute_instance_v2.nodes[\"{node}\"]"));
        let server = user.get("compute", &format!("/servers/{id}")).await;
        assert_eq!(server["server"]["status"], "ACTIVE", "{node}");
        assert_eq!(
            server["server"]["flavor"]["id"],
            reserved.as_str(),
            "{node}"
        );
    }
    with_lease(&["plan", "-detailed-exitcode"]).expect(0);

    // Neither a reservation nor a lease: refused at the flavor, before anything changes.
    let refused = stack.run(&["plan", "-var", "reservation="]).expect(1);
    assert!(
        refused.all().contains("Server without a flavor")
            && refused.all().contains("main.tf line 45"),
        "{}",
        refused.all()
    );

    let lease_id = stack.id_of("openstack_blazar_lease.mlops[0]");
    with_lease(&["destroy", "-auto-approve"]).expect(0);
    assert_eq!(
        user.status("reservation", &format!("/leases/{lease_id}"))
            .await,
        404
    );
    assert_eq!(user.leftovers(&suffix).await, Vec::<String>::new());
}
