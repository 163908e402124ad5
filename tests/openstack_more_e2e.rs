//! The OpenStack resource types the GourmetGram layout does not use, run by the real `ggplan`
//! binary against a real OpenStack on loopback (`tests/support/openstack.sh`, started by
//! `scripts/test.sh`): routers and their interfaces, security groups and a rule repaired after
//! a hand deletion, keypairs (imported and generated, the private key never printed), `import`
//! of a network and a port made through the API, and an in-place server metadata update.
//!
//! Needs GGPLAN_TEST_OPENSTACK_CLOUDS (the clouds.yaml the script writes); fails when it is
//! missing.

#[path = "support/binary.rs"]
mod binary;
#[path = "support/openstack_cloud.rs"]
mod openstack_cloud;

use openstack_cloud::{Cloud, Stack, wait_gone};
use serde_json::json;

/// A name unique to this run and test, so that objects left by an earlier failed run (or a
/// run from another checkout against its own cloud) do not count.
fn unique(what: &str) -> String {
    format!("{what}-more{}", std::process::id())
}

/// A stack of one `main.tf`: the provider block (application credential) and `body`.
fn stack(what: &str, body: &str) -> Stack {
    Stack::single(what, "openstack", body)
}

/// Rewrites the stack's `main.tf` with a new `body`.
fn rewrite(stack: &Stack, body: &str) {
    stack.rewrite("openstack", body);
}

#[tokio::test(flavor = "multi_thread")]
async fn router_with_gateway_and_interface_applies_replans_clean_and_destroys() {
    let name = unique("rt");
    let stack = stack(
        &name,
        &format!(
            r#"
data "openstack_networking_network_v2" "public" {{
  name = "public"
}}
resource "openstack_networking_network_v2" "net" {{
  name = "{name}-net"
}}
resource "openstack_networking_subnet_v2" "subnet" {{
  name       = "{name}-subnet"
  network_id = openstack_networking_network_v2.net.id
  cidr       = "192.168.77.0/24"
}}
resource "openstack_networking_router_v2" "router" {{
  name                = "{name}"
  external_network_id = data.openstack_networking_network_v2.public.id
}}
resource "openstack_networking_router_interface_v2" "interface" {{
  router_id = openstack_networking_router_v2.router.id
  subnet_id = openstack_networking_subnet_v2.subnet.id
}}
"#
        ),
    );
    let user = Cloud::login("ggplan-password").await;

    let run = stack.run(&["apply", "-auto-approve"]).expect(0);
    assert!(
        run.all().contains("4 added, 0 changed, 0 destroyed"),
        "{}",
        run.all()
    );
    let router_id = stack.id_of("openstack_networking_router_v2.router");
    let public = user.get("network", "/networks?name=public").await["networks"][0]["id"].clone();
    let router = user.get("network", &format!("/routers/{router_id}")).await;
    assert_eq!(
        router["router"]["external_gateway_info"]["network_id"],
        public
    );
    let interface = stack.attributes_of("openstack_networking_router_interface_v2.interface");
    let port_id = interface["port_id"].as_str().unwrap();
    let port = user.get("network", &format!("/ports/{port_id}")).await;
    assert_eq!(port["port"]["device_id"], router_id.as_str());
    assert_eq!(
        port["port"]["fixed_ips"][0]["subnet_id"],
        stack
            .id_of("openstack_networking_subnet_v2.subnet")
            .as_str()
    );
    assert_eq!(port["port"]["fixed_ips"][0]["ip_address"], "192.168.77.1");

    let replan = stack.run(&["plan", "-detailed-exitcode"]).expect(0);
    assert!(replan.all().contains("No changes"), "{}", replan.all());

    // The interface removed by hand is planned again and put back.
    user.put(
        "network",
        &format!("/routers/{router_id}/remove_router_interface"),
        json!({ "port_id": port_id }),
    )
    .await;
    let drift = stack.run(&["plan", "-detailed-exitcode"]).expect(2);
    assert!(
        drift.all().contains("1 to add, 0 to change, 0 to destroy"),
        "{}",
        drift.all()
    );
    stack.run(&["apply", "-auto-approve"]).expect(0);
    let repaired = stack.id_of("openstack_networking_router_interface_v2.interface");
    let port = user.get("network", &format!("/ports/{repaired}")).await;
    assert_eq!(port["port"]["device_id"], router_id.as_str());
    stack.run(&["plan", "-detailed-exitcode"]).expect(0);

    stack.run(&["destroy", "-auto-approve"]).expect(0);
    assert_eq!(stack.state()["resources"].as_array().map_or(0, Vec::len), 0);
    assert_eq!(
        user.status("network", &format!("/ports/{repaired}")).await,
        404
    );
    assert_eq!(
        user.status("network", &format!("/routers/{router_id}"))
            .await,
        404
    );
    assert_eq!(
        user.status("network", &format!("/ports/{port_id}")).await,
        404
    );
    assert_eq!(user.leftovers(&name).await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn security_group_rule_deleted_by_hand_is_planned_as_create_and_repaired() {
    let name = unique("sg");
    let config = format!(
        r#"
resource "openstack_networking_secgroup_v2" "group" {{
  name                 = "{name}"
  description          = "ssh from anywhere"
  delete_default_rules = true
}}
resource "openstack_networking_secgroup_rule_v2" "ssh" {{
  direction         = "ingress"
  ethertype         = "IPv4"
  protocol          = "tcp"
  port_range_min    = 22
  port_range_max    = 22
  remote_ip_prefix  = "0.0.0.0/0"
  security_group_id = openstack_networking_secgroup_v2.group.id
}}
"#
    );
    let stack = stack(&name, &config);
    let user = Cloud::login("ggplan-password").await;

    stack.run(&["apply", "-auto-approve"]).expect(0);
    let group_id = stack.id_of("openstack_networking_secgroup_v2.group");
    let rules = |doc: serde_json::Value| doc["security_group"]["security_group_rules"].clone();
    let group = rules(
        user.get("network", &format!("/security-groups/{group_id}"))
            .await,
    );
    // Only the configured rule: the default egress rules were deleted.
    assert_eq!(group.as_array().unwrap().len(), 1, "{group:#}");
    assert_eq!(group[0]["port_range_min"], 22);
    stack.run(&["plan", "-detailed-exitcode"]).expect(0);

    let rule_id = stack.id_of("openstack_networking_secgroup_rule_v2.ssh");
    user.delete("network", &format!("/security-group-rules/{rule_id}"))
        .await;
    let drift = stack.run(&["plan", "-detailed-exitcode"]).expect(2);
    assert!(
        drift.all().contains("1 to add, 0 to change, 0 to destroy"),
        "{}",
        drift.all()
    );
    stack.run(&["apply", "-auto-approve"]).expect(0);
    let repaired = rules(
        user.get("network", &format!("/security-groups/{group_id}"))
            .await,
    );
    assert_eq!(repaired.as_array().unwrap().len(), 1, "{repaired:#}");
    assert_eq!(
        repaired[0]["id"],
        stack
            .id_of("openstack_networking_secgroup_rule_v2.ssh")
            .as_str()
    );
    assert_eq!(repaired[0]["remote_ip_prefix"], "0.0.0.0/0");
    stack.run(&["plan", "-detailed-exitcode"]).expect(0);

    // The group's description changes in place: same group, same rule.
    let rule_id = stack.id_of("openstack_networking_secgroup_rule_v2.ssh");
    rewrite(
        &stack,
        &config.replace("ssh from anywhere", "ssh from the world"),
    );
    let run = stack.run(&["apply", "-auto-approve"]).expect(0);
    assert!(
        run.all().contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        run.all()
    );
    assert_eq!(
        stack.id_of("openstack_networking_secgroup_v2.group"),
        group_id
    );
    assert_eq!(
        stack.id_of("openstack_networking_secgroup_rule_v2.ssh"),
        rule_id
    );
    let group = user
        .get("network", &format!("/security-groups/{group_id}"))
        .await;
    assert_eq!(group["security_group"]["description"], "ssh from the world");

    stack.run(&["destroy", "-auto-approve"]).expect(0);
    assert_eq!(
        user.status("network", &format!("/security-groups/{group_id}"))
            .await,
        404
    );
}

const PUBLIC_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEuqZ/eYpsGXWbEZgmvlhm/DQ6P7E2bnX7L8LPFgTb5Z ggplan-more";

#[tokio::test(flavor = "multi_thread")]
async fn keypairs_imported_and_generated_and_the_private_key_is_never_printed() {
    let name = unique("kp");
    let stack = stack(
        &name,
        &format!(
            r#"
resource "openstack_compute_keypair_v2" "imported" {{
  name       = "{name}-imported"
  public_key = "{PUBLIC_KEY}\n"
}}
resource "openstack_compute_keypair_v2" "generated" {{
  name = "{name}-generated"
}}
output "fingerprint" {{
  value = openstack_compute_keypair_v2.generated.fingerprint
}}
"#
        ),
    );
    let user = Cloud::login("ggplan-password").await;

    let mut runs = vec![stack.run(&["apply", "-auto-approve"]).expect(0)];
    let imported = user
        .get("compute", &format!("/os-keypairs/{name}-imported"))
        .await;
    assert_eq!(
        imported["keypair"]["public_key"].as_str().unwrap().trim(),
        PUBLIC_KEY
    );
    let generated = stack.attributes_of("openstack_compute_keypair_v2.generated");
    let private_key = generated["private_key"].as_str().unwrap().to_string();
    assert!(private_key.contains("PRIVATE KEY"), "{generated:#}");
    let api = user
        .get("compute", &format!("/os-keypairs/{name}-generated"))
        .await;
    assert_eq!(api["keypair"]["public_key"], generated["public_key"]);
    assert_eq!(api["keypair"]["fingerprint"], generated["fingerprint"]);
    assert_eq!(
        stack.attributes_of("openstack_compute_keypair_v2.imported")["private_key"],
        ""
    );

    let replan = stack.run(&["plan", "-detailed-exitcode"]).expect(0);
    assert!(replan.all().contains("No changes"), "{}", replan.all());
    runs.push(replan);
    runs.push(stack.run(&["show"]).expect(0));
    let shown = stack
        .run(&["state", "show", "openstack_compute_keypair_v2.generated"])
        .expect(0);
    assert!(
        shown.stdout.contains("private_key") && shown.stdout.contains("(sensitive value)"),
        "{}",
        shown.all()
    );
    runs.push(shown);
    runs.push(stack.run(&["output"]).expect(0));
    runs.push(stack.run(&["destroy", "-auto-approve"]).expect(0));
    // Any line of the key would do: none may appear anywhere.
    let body_line = private_key
        .lines()
        .find(|l| l.len() > 40)
        .unwrap()
        .to_string();
    for run in &runs {
        assert!(!run.all().contains(&body_line), "{}", run.all());
        assert!(!run.all().contains("PRIVATE KEY"), "{}", run.all());
    }
    for suffix in ["imported", "generated"] {
        assert_eq!(
            user.status("compute", &format!("/os-keypairs/{name}-{suffix}"))
                .await,
            404
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn network_and_port_made_through_the_api_are_imported_and_plan_clean() {
    let name = unique("imp");
    let user = Cloud::login("ggplan-password").await;
    let network = user
        .post(
            "network",
            "/networks",
            json!({ "network": { "name": format!("{name}-net") } }),
        )
        .await;
    let network_id = network["network"]["id"].as_str().unwrap().to_string();
    user.post(
        "network",
        "/subnets",
        json!({ "subnet": { "network_id": network_id, "cidr": "192.168.78.0/24",
                            "ip_version": 4, "name": format!("{name}-subnet") } }),
    )
    .await;
    let port = user
        .post(
            "network",
            "/ports",
            json!({ "port": { "network_id": network_id, "name": format!("{name}-port") } }),
        )
        .await;
    let port_id = port["port"]["id"].as_str().unwrap().to_string();

    let stack = stack(
        &name,
        &format!(
            r#"
resource "openstack_networking_network_v2" "net" {{
  name = "{name}-net"
}}
resource "openstack_networking_port_v2" "port" {{
  name       = "{name}-port"
  network_id = openstack_networking_network_v2.net.id
}}
"#
        ),
    );
    let run = stack
        .run(&["import", "openstack_networking_network_v2.net", &network_id])
        .expect(0);
    assert!(run.all().contains("Import successful"), "{}", run.all());
    stack
        .run(&["import", "openstack_networking_port_v2.port", &port_id])
        .expect(0);
    assert_eq!(stack.id_of("openstack_networking_port_v2.port"), port_id);

    let plan = stack.run(&["plan", "-detailed-exitcode"]).expect(0);
    assert!(plan.all().contains("No changes"), "{}", plan.all());

    // A configuration that differs is an in-place update of the imported objects.
    rewrite(
        &stack,
        &format!(
            r#"
resource "openstack_networking_network_v2" "net" {{
  name        = "{name}-net"
  description = "now managed"
}}
resource "openstack_networking_port_v2" "port" {{
  name       = "{name}-port"
  network_id = openstack_networking_network_v2.net.id
}}
"#
        ),
    );
    let plan = stack.run(&["plan", "-detailed-exitcode"]).expect(2);
    assert!(
        plan.all().contains("0 to add, 1 to change, 0 to destroy"),
        "{}",
        plan.all()
    );
    stack.run(&["apply", "-auto-approve"]).expect(0);
    let updated = user
        .get("network", &format!("/networks/{network_id}"))
        .await;
    assert_eq!(updated["network"]["description"], "now managed");

    // Deleting the network takes the subnet made beside it along (Neutron deletes the subnets
    // of a network that has no ports left).
    stack.run(&["destroy", "-auto-approve"]).expect(0);
    assert_eq!(user.leftovers(&name).await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn server_metadata_changes_in_place() {
    let name = unique("md");
    let server = |metadata: &str| {
        format!(
            r#"
resource "openstack_compute_instance_v2" "server" {{
  name        = "{name}"
  image_name  = "CC-Ubuntu24.04"
  flavor_name = "m1.small"
  metadata    = {metadata}
  network {{
    name = "sharednet1"
  }}
}}
"#
        )
    };
    let stack = stack(&name, &server(r#"{ role = "a", keep = "yes" }"#));
    let user = Cloud::login("ggplan-password").await;

    stack.run(&["apply", "-auto-approve"]).expect(0);
    let id = stack.id_of("openstack_compute_instance_v2.server");
    stack.run(&["plan", "-detailed-exitcode"]).expect(0);

    rewrite(&stack, &server(r#"{ role = "b", extra = "x" }"#));
    let plan = stack.run(&["plan", "-detailed-exitcode"]).expect(2);
    assert!(
        plan.all().contains("0 to add, 1 to change, 0 to destroy"),
        "{}",
        plan.all()
    );
    let run = stack.run(&["apply", "-auto-approve"]).expect(0);
    assert!(
        run.all().contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        run.all()
    );
    assert_eq!(stack.id_of("openstack_compute_instance_v2.server"), id);
    let metadata = user
        .get("compute", &format!("/servers/{id}/metadata"))
        .await;
    assert_eq!(metadata["metadata"], json!({ "role": "b", "extra": "x" }));
    stack.run(&["plan", "-detailed-exitcode"]).expect(0);

    stack.run(&["destroy", "-auto-approve"]).expect(0);
    wait_gone(&user, &format!("/servers/{id}")).await;
    assert_eq!(user.leftovers(&name).await, Vec::<String>::new());
}
