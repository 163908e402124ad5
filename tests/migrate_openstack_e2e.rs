//! `ggplan state migrate` round trip against a real OpenStack on loopback
//! (`tests/support/openstack.sh`, started by `scripts/test.sh`): a network, subnet, security
//! group, rule and port (with a data source) created by ggplan; its state rewritten in
//! Terraform's format as terraform-provider-openstack writes it (every object with `region`
//! and `timeouts`, blocks as lists, dependencies on whole resources, the data source in
//! state); ggplan's own state removed; migrated back; the next plan shows no changes; the
//! migrated objects are then destroyed by ggplan, which proves it manages them.
//!
//! Needs GGPLAN_TEST_OPENSTACK_CLOUDS (the clouds.yaml the script writes); fails when it is
//! missing.

#[path = "support/binary.rs"]
mod binary;
#[path = "support/openstack_cloud.rs"]
mod openstack_cloud;

use openstack_cloud::Stack;
use serde_json::{Value as Json, json};
use std::collections::BTreeMap;

const PROVIDER: &str = "provider[\"registry.terraform.io/terraform-provider-openstack/openstack\"]";

/// ggplan's state document in Terraform's format 4, as Terraform and
/// terraform-provider-openstack would have written it for the same objects.
fn as_terraform_state(state: &Json) -> Json {
    let mut resources: BTreeMap<(String, String), Json> = BTreeMap::new();
    for instance in state["resources"].as_array().unwrap() {
        let address = instance["address"].as_str().unwrap();
        let (mode, rest) = match address.strip_prefix("data.") {
            Some(rest) => ("data", rest),
            None => ("managed", address),
        };
        let (type_name, name) = rest.split_once('.').unwrap();
        // `port[0]`: the resource `port`, instance key 0.
        let (name, index_key) = match name.split_once('[') {
            Some((name, key)) => (
                name,
                serde_json::from_str(key.trim_end_matches(']')).unwrap(),
            ),
            None => (name, Json::Null),
        };
        let mut attributes = instance["attributes"].clone();
        attributes["region"] = json!("RegionOne");
        attributes["timeouts"] = Json::Null;
        // Terraform records dependencies on whole resources.
        let dependencies: Vec<Json> = instance["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| json!(d.as_str().unwrap().split('[').next().unwrap()))
            .collect();
        let sensitive: Vec<Json> = instance["sensitive_paths"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| json!([{"type": "get_attr", "value": p[0]}]))
            .collect();
        let entry = resources
            .entry((mode.to_string(), format!("{type_name}.{name}")))
            .or_insert_with(|| {
                json!({"mode": mode, "type": type_name, "name": name, "provider": PROVIDER,
                       "instances": []})
            });
        entry["instances"].as_array_mut().unwrap().push(json!({
            "index_key": index_key,
            "schema_version": 0,
            "attributes": attributes,
            "sensitive_attributes": sensitive,
            "dependencies": dependencies,
            "private": "bnVsbA==",
        }));
    }
    json!({
        "version": 4, "terraform_version": "1.15.5", "serial": 9,
        "lineage": "7d1b0b5e-0000-4000-8000-000000000001",
        "outputs": {"port_ip": {"value": state["outputs"]["port_ip"]["value"], "type": "string"}},
        "resources": resources.into_values().collect::<Vec<_>>(),
        "check_results": null,
    })
}

/// On a failed test, puts ggplan's own state back and destroys what it holds, so that no
/// object outlives the run in the shared cloud.
struct DestroyOnFailure<'a> {
    stack: &'a Stack,
    state: String,
}

impl Drop for DestroyOnFailure<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let path = self.stack.dir.join("state/kvm.json");
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, &self.state).unwrap();
            let run = self.stack.run(&["destroy", "-auto-approve"]);
            eprintln!("cleanup after failure: {}", run.all());
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn objects_terraform_recorded_migrate_and_plan_clean_against_the_cloud() {
    let name = format!("mig{}", std::process::id());
    let stack = Stack::single(
        &name,
        "openstack",
        &format!(
            r#"
resource "openstack_networking_network_v2" "net" {{
  name = "{name}-net"
  tags = ["migrated"]
}}
resource "openstack_networking_subnet_v2" "subnet" {{
  name       = "{name}-subnet"
  network_id = openstack_networking_network_v2.net.id
  cidr       = "192.168.91.0/24"
}}
resource "openstack_networking_secgroup_v2" "sg" {{
  name        = "{name}-sg"
  description = "migrated from Terraform"
}}
resource "openstack_networking_secgroup_rule_v2" "ssh" {{
  direction         = "ingress"
  ethertype         = "IPv4"
  protocol          = "tcp"
  port_range_min    = 22
  port_range_max    = 22
  remote_ip_prefix  = "0.0.0.0/0"
  security_group_id = openstack_networking_secgroup_v2.sg.id
}}
resource "openstack_networking_port_v2" "port" {{
  count              = 1
  name               = "{name}-port-${{count.index}}"
  network_id         = openstack_networking_network_v2.net.id
  security_group_ids = [openstack_networking_secgroup_v2.sg.id]
  fixed_ip {{
    subnet_id = openstack_networking_subnet_v2.subnet.id
  }}
}}
data "openstack_networking_network_v2" "net" {{
  network_id = openstack_networking_network_v2.net.id
}}
output "port_ip" {{
  value = openstack_networking_port_v2.port[0].all_fixed_ips[0]
}}
"#
        ),
    );
    stack.run(&["apply", "-auto-approve"]).expect(0);
    let ids: Vec<String> = [
        "openstack_networking_network_v2.net",
        "openstack_networking_subnet_v2.subnet",
        "openstack_networking_port_v2.port[0]",
    ]
    .iter()
    .map(|a| stack.id_of(a))
    .collect();

    let _cleanup = DestroyOnFailure {
        stack: &stack,
        state: std::fs::read_to_string(stack.dir.join("state/kvm.json")).unwrap(),
    };
    let tfstate = as_terraform_state(&stack.state());
    std::fs::write(stack.dir.join("terraform.tfstate"), tfstate.to_string()).unwrap();
    std::fs::remove_dir_all(stack.dir.join("state")).unwrap();

    let run = stack
        .run(&["state", "migrate", "terraform.tfstate"])
        .expect(0);
    assert!(
        run.stdout.contains("Migrated 6 resource instance(s)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("not carried over (ggplan's openstack_networking_network_v2 has no such attributes): region"),
        "{}",
        run.stdout
    );
    let plan = stack.run(&["plan", "-detailed-exitcode"]).expect(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
    for (address, id) in [
        "openstack_networking_network_v2.net",
        "openstack_networking_subnet_v2.subnet",
        "openstack_networking_port_v2.port[0]",
    ]
    .iter()
    .zip(&ids)
    {
        assert_eq!(&stack.id_of(address), id, "{address} changed identity");
    }
    let state = stack.state();
    assert_eq!(state["lineage"], tfstate["lineage"]);

    let destroy = stack.run(&["destroy", "-auto-approve"]).expect(0);
    assert!(destroy.all().contains("5 destroyed"), "{}", destroy.all());
}
