//! Live proofs of the OpenStack provider's finer features, run by the real `ggplan` binary
//! against a real OpenStack on loopback (`tests/support/openstack.sh`, started by
//! `scripts/test.sh`) and checked through the REST APIs: a router's gateway (SNAT, fixed
//! address, another network, none), security group rules beyond the simple case (remote
//! groups, IPv6, port ranges and protocols), `import` of objects made through the API
//! followed by a plan with no changes, and a server's tags, security groups, flavor and
//! metadata changed in place and repaired after hand edits.
//!
//! Needs GGPLAN_TEST_OPENSTACK_CLOUDS (the clouds.yaml the script writes); fails when it is
//! missing.

#[path = "support/binary.rs"]
mod binary;
#[path = "support/openstack_cloud.rs"]
mod openstack_cloud;

use openstack_cloud::{Cloud, Stack, wait_gone};
use serde_json::{Value as Json, json};

/// A name unique to this run and test, so that objects left by an earlier failed run (or a
/// run from another checkout against its own cloud) do not count.
fn unique(what: &str) -> String {
    format!("{what}-proof{}", std::process::id())
}

/// Applies and checks the summary line.
fn apply(stack: &Stack, summary: &str) {
    let run = stack.run(&["apply", "-auto-approve"]).expect(0);
    assert!(run.all().contains(summary), "{}", run.all());
}

/// Plans and checks that nothing would change.
fn plans_clean(stack: &Stack) {
    let run = stack.run(&["plan", "-detailed-exitcode"]).expect(0);
    assert!(run.all().contains("No changes"), "{}", run.all());
}

/// Plans and checks that changes are pending with this summary.
fn plans(stack: &Stack, summary: &str) -> String {
    let run = stack.run(&["plan", "-detailed-exitcode"]).expect(2);
    assert!(run.all().contains(summary), "{}", run.all());
    run.all()
}

fn destroy(stack: &Stack) {
    stack.run(&["destroy", "-auto-approve"]).expect(0);
    assert_eq!(stack.state()["resources"].as_array().map_or(0, Vec::len), 0);
}

fn str_of(json: &Json) -> String {
    json.as_str()
        .unwrap_or_else(|| panic!("not a string: {json}"))
        .to_string()
}

/// Setting `enable_snat` and a gateway's fixed address is admin-only under Neutron's default
/// policy: this stack runs as the cloud's admin (password), in the admin project.
#[tokio::test(flavor = "multi_thread")]
async fn router_gateway_snat_fixed_ip_and_network_change_in_place_and_the_gateway_goes() {
    let name = unique("gw");
    let networks = format!(
        r#"
data "openstack_networking_network_v2" "public" {{
  name = "public"
}}
resource "openstack_networking_network_v2" "ext2" {{
  name     = "{name}-ext2"
  external = true
}}
resource "openstack_networking_subnet_v2" "ext2" {{
  name        = "{name}-ext2"
  network_id  = openstack_networking_network_v2.ext2.id
  cidr        = "198.51.100.0/24"
  enable_dhcp = false
}}
"#
    );
    let router = |gateway: &str| {
        format!(
            "{networks}\nresource \"openstack_networking_router_v2\" \"router\" {{\n  name = \"{name}\"\n{gateway}\n}}\n"
        )
    };
    let admin = Cloud::login("admin").await;
    let stack = Stack::single(
        &name,
        "admin",
        &router(
            r#"  external_network_id = data.openstack_networking_network_v2.public.id
  enable_snat         = false"#,
        ),
    );
    apply(&stack, "3 added, 0 changed, 0 destroyed");
    let id = stack.id_of("openstack_networking_router_v2.router");
    let public = str_of(&admin.get("network", "/networks?name=public").await["networks"][0]["id"]);
    let gateway = |doc: Json| doc["router"]["external_gateway_info"].clone();
    let info = gateway(admin.get("network", &format!("/routers/{id}")).await);
    assert_eq!(info["network_id"], public.as_str(), "{info:#}");
    assert_eq!(info["enable_snat"], false, "{info:#}");
    let state = stack.attributes_of("openstack_networking_router_v2.router");
    assert_eq!(state["enable_snat"], false);
    assert_eq!(
        state["external_fixed_ip"][0]["ip_address"], info["external_fixed_ips"][0]["ip_address"],
        "{state:#}"
    );
    plans_clean(&stack);

    // SNAT turned on: the same router.
    stack.rewrite(
        "admin",
        &router(
            r#"  external_network_id = data.openstack_networking_network_v2.public.id
  enable_snat         = true"#,
        ),
    );
    plans(&stack, "0 to add, 1 to change, 0 to destroy");
    apply(&stack, "0 added, 1 changed, 0 destroyed");
    assert_eq!(stack.id_of("openstack_networking_router_v2.router"), id);
    let info = gateway(admin.get("network", &format!("/routers/{id}")).await);
    assert_eq!(info["enable_snat"], true, "{info:#}");
    plans_clean(&stack);

    // Another external network, with a chosen address on it.
    stack.rewrite(
        "admin",
        &router(
            r#"  external_network_id = openstack_networking_network_v2.ext2.id
  external_fixed_ip {
    subnet_id  = openstack_networking_subnet_v2.ext2.id
    ip_address = "198.51.100.50"
  }"#,
        ),
    );
    plans(&stack, "0 to add, 1 to change, 0 to destroy");
    apply(&stack, "0 added, 1 changed, 0 destroyed");
    assert_eq!(stack.id_of("openstack_networking_router_v2.router"), id);
    let ext2 = stack.id_of("openstack_networking_network_v2.ext2");
    let info = gateway(admin.get("network", &format!("/routers/{id}")).await);
    assert_eq!(info["network_id"], ext2.as_str(), "{info:#}");
    assert_eq!(
        info["external_fixed_ips"],
        json!([{
            "subnet_id": stack.id_of("openstack_networking_subnet_v2.ext2"),
            "ip_address": "198.51.100.50"
        }])
    );
    // A new gateway without enable_snat gets Neutron's default.
    assert_eq!(info["enable_snat"], true, "{info:#}");
    plans_clean(&stack);

    // An empty external_network_id removes the gateway.
    stack.rewrite("admin", &router(r#"  external_network_id = """#));
    plans(&stack, "0 to add, 1 to change, 0 to destroy");
    apply(&stack, "0 added, 1 changed, 0 destroyed");
    let info = gateway(admin.get("network", &format!("/routers/{id}")).await);
    assert!(info.is_null(), "{info:#}");
    let ports = admin
        .get("network", &format!("/ports?device_id={id}"))
        .await;
    assert_eq!(ports["ports"], json!([]));
    plans_clean(&stack);

    destroy(&stack);
    assert_eq!(
        admin.status("network", &format!("/routers/{id}")).await,
        404
    );
    assert_eq!(
        admin.status("network", &format!("/networks/{ext2}")).await,
        404
    );
}

/// The rules of the security group test.
const RULES: [&str; 8] = [
    "all_tcp",
    "ssh_v6",
    "from_ssh",
    "peers",
    "udp_range",
    "ping",
    "ping6",
    "out_v6",
];

/// One group only: the project's quota of ten groups is nearly used by the seeded ones.
#[tokio::test(flavor = "multi_thread")]
async fn security_group_rules_with_remote_groups_ipv6_and_port_ranges_and_a_group_renamed() {
    let name = unique("rules");
    let config = |group_name: &str, description: &str| {
        format!(
            r#"
resource "openstack_networking_secgroup_v2" "web" {{
  name                 = "{group_name}"
  description          = "{description}"
  delete_default_rules = true
}}
data "openstack_networking_secgroup_v2" "ssh" {{
  name = "allow-ssh"
}}
resource "openstack_networking_secgroup_rule_v2" "ssh_v6" {{
  direction         = "ingress"
  ethertype         = "IPv6"
  protocol          = "tcp"
  port_range_min    = 22
  port_range_max    = 22
  remote_ip_prefix  = "::/0"
  security_group_id = openstack_networking_secgroup_v2.web.id
}}
resource "openstack_networking_secgroup_rule_v2" "from_ssh" {{
  direction         = "ingress"
  ethertype         = "IPv4"
  protocol          = "tcp"
  port_range_min    = 443
  port_range_max    = 443
  remote_group_id   = data.openstack_networking_secgroup_v2.ssh.id
  security_group_id = openstack_networking_secgroup_v2.web.id
}}
resource "openstack_networking_secgroup_rule_v2" "peers" {{
  direction         = "ingress"
  ethertype         = "IPv6"
  protocol          = "tcp"
  port_range_min    = 5432
  port_range_max    = 5432
  remote_group_id   = openstack_networking_secgroup_v2.web.id
  security_group_id = openstack_networking_secgroup_v2.web.id
}}
resource "openstack_networking_secgroup_rule_v2" "udp_range" {{
  direction         = "ingress"
  ethertype         = "IPv4"
  protocol          = "udp"
  port_range_min    = 60000
  port_range_max    = 61000
  remote_ip_prefix  = "10.20.0.0/16"
  security_group_id = openstack_networking_secgroup_v2.web.id
  description       = "mosh"
}}
resource "openstack_networking_secgroup_rule_v2" "ping" {{
  direction         = "ingress"
  ethertype         = "IPv4"
  protocol          = "icmp"
  port_range_min    = 8
  port_range_max    = 0
  security_group_id = openstack_networking_secgroup_v2.web.id
}}
resource "openstack_networking_secgroup_rule_v2" "ping6" {{
  direction         = "ingress"
  ethertype         = "IPv6"
  protocol          = "icmp"
  security_group_id = openstack_networking_secgroup_v2.web.id
}}
resource "openstack_networking_secgroup_rule_v2" "all_tcp" {{
  direction         = "ingress"
  ethertype         = "ipv4"
  protocol          = "TCP"
  port_range_min    = 1
  port_range_max    = 65535
  remote_ip_prefix  = "192.0.2.9"
  security_group_id = openstack_networking_secgroup_v2.web.id
}}
resource "openstack_networking_secgroup_rule_v2" "out_v6" {{
  direction         = "egress"
  ethertype         = "IPv6"
  remote_ip_prefix  = "2001:DB8::/32"
  security_group_id = openstack_networking_secgroup_v2.web.id
}}
"#
        )
    };
    let stack = Stack::single(
        &name,
        "openstack",
        &config(&format!("{name}-web"), "web servers"),
    );
    let user = Cloud::login("ggplan-password").await;
    apply(&stack, "9 added, 0 changed, 0 destroyed");
    let web = stack.id_of("openstack_networking_secgroup_v2.web");
    let ssh = str_of(
        &user.get("network", "/security-groups?name=allow-ssh").await["security_groups"][0]["id"],
    );
    let rule = |doc: Json| doc["security_group_rule"].clone();
    let rule_of = async |resource: &str| {
        let id = stack.id_of(&format!("openstack_networking_secgroup_rule_v2.{resource}"));
        rule(
            user.get("network", &format!("/security-group-rules/{id}"))
                .await,
        )
    };

    let ssh_v6 = rule_of("ssh_v6").await;
    assert_eq!(ssh_v6["ethertype"], "IPv6", "{ssh_v6:#}");
    assert_eq!(ssh_v6["port_range_min"], 22, "{ssh_v6:#}");
    assert_eq!(ssh_v6["security_group_id"], web.as_str());
    let from_ssh = rule_of("from_ssh").await;
    assert_eq!(from_ssh["remote_group_id"], ssh.as_str(), "{from_ssh:#}");
    assert!(from_ssh["remote_ip_prefix"].is_null(), "{from_ssh:#}");
    let peers = rule_of("peers").await;
    assert_eq!(peers["remote_group_id"], web.as_str(), "{peers:#}");
    assert_eq!(peers["ethertype"], "IPv6", "{peers:#}");
    let udp = rule_of("udp_range").await;
    assert_eq!(
        (
            &udp["protocol"],
            &udp["port_range_min"],
            &udp["port_range_max"]
        ),
        (&json!("udp"), &json!(60000), &json!(61000)),
        "{udp:#}"
    );
    assert_eq!(udp["remote_ip_prefix"], "10.20.0.0/16");
    assert_eq!(udp["description"], "mosh");
    let ping = rule_of("ping").await;
    assert_eq!(
        (
            &ping["protocol"],
            &ping["port_range_min"],
            &ping["port_range_max"]
        ),
        (&json!("icmp"), &json!(8), &json!(0)),
        "{ping:#}"
    );
    // Neutron stores its own spelling of what the configuration says; it is no change.
    let ping6 = rule_of("ping6").await;
    assert_eq!(ping6["ethertype"], "IPv6", "{ping6:#}");
    assert_eq!(ping6["protocol"], "ipv6-icmp", "{ping6:#}");
    assert!(ping6["port_range_min"].is_null(), "{ping6:#}");
    let out_v6 = rule_of("out_v6").await;
    assert_eq!(out_v6["direction"], "egress", "{out_v6:#}");
    assert!(out_v6["protocol"].is_null(), "{out_v6:#}");
    assert_eq!(out_v6["remote_ip_prefix"], "2001:db8::/32", "{out_v6:#}");
    let all_tcp = rule_of("all_tcp").await;
    assert_eq!(
        (
            &all_tcp["ethertype"],
            &all_tcp["protocol"],
            &all_tcp["port_range_min"],
            &all_tcp["remote_ip_prefix"]
        ),
        (
            &json!("IPv4"),
            &json!("tcp"),
            &Json::Null,
            &json!("192.0.2.9/32")
        ),
        "{all_tcp:#}"
    );
    // The group holds exactly its eight rules: its default egress rules were deleted.
    let group = user
        .get("network", &format!("/security-groups/{web}"))
        .await;
    let rules = group["security_group"]["security_group_rules"]
        .as_array()
        .unwrap();
    assert_eq!(rules.len(), 8, "{group:#}");
    plans_clean(&stack);

    // The web group renamed and redescribed in place: the same group, the same rules.
    let rule_ids: Vec<String> = RULES
        .iter()
        .map(|r| stack.id_of(&format!("openstack_networking_secgroup_rule_v2.{r}")))
        .collect();
    stack.rewrite("openstack", &config(&format!("{name}-www"), "the web tier"));
    plans(&stack, "0 to add, 1 to change, 0 to destroy");
    apply(&stack, "0 added, 1 changed, 0 destroyed");
    assert_eq!(stack.id_of("openstack_networking_secgroup_v2.web"), web);
    let group = user
        .get("network", &format!("/security-groups/{web}"))
        .await;
    assert_eq!(group["security_group"]["name"], format!("{name}-www"));
    assert_eq!(group["security_group"]["description"], "the web tier");
    for (resource, id) in RULES.iter().zip(&rule_ids) {
        assert_eq!(
            &stack.id_of(&format!("openstack_networking_secgroup_rule_v2.{resource}")),
            id
        );
    }
    plans_clean(&stack);

    destroy(&stack);
    assert_eq!(
        user.status("network", &format!("/security-groups/{web}"))
            .await,
        404
    );
    for id in &rule_ids {
        assert_eq!(
            user.status("network", &format!("/security-group-rules/{id}"))
                .await,
            404
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn subnet_router_interface_security_group_rule_and_floating_ip_made_through_the_api_import_clean()
 {
    let name = unique("imp");
    let user = Cloud::login("ggplan-password").await;
    let public = str_of(&user.get("network", "/networks?name=public").await["networks"][0]["id"]);
    let network = user
        .post(
            "network",
            "/networks",
            json!({ "network": { "name": format!("{name}-net") } }),
        )
        .await;
    let network_id = str_of(&network["network"]["id"]);
    let subnet = user
        .post(
            "network",
            "/subnets",
            json!({ "subnet": {
                "network_id": network_id, "cidr": "192.168.79.0/24", "ip_version": 4,
                "name": format!("{name}-subnet"), "dns_nameservers": ["192.0.2.53"],
                "allocation_pools": [{ "start": "192.168.79.10", "end": "192.168.79.99" }]
            } }),
        )
        .await;
    let subnet_id = str_of(&subnet["subnet"]["id"]);
    let router = user
        .post(
            "network",
            "/routers",
            json!({ "router": {
                "name": format!("{name}-router"), "description": "made by hand",
                "external_gateway_info": { "network_id": public }
            } }),
        )
        .await;
    let router_id = str_of(&router["router"]["id"]);
    let (status, interface) = user
        .call(
            reqwest::Method::PUT,
            "network",
            &format!("/routers/{router_id}/add_router_interface"),
            Some(json!({ "subnet_id": subnet_id })),
        )
        .await;
    assert_eq!(status, 200, "{interface}");
    let interface_id = str_of(&interface["port_id"]);
    let group = user
        .post(
            "network",
            "/security-groups",
            json!({ "security_group": { "name": format!("{name}-sg"), "description": "imported" } }),
        )
        .await;
    let group_id = str_of(&group["security_group"]["id"]);
    let rule = user
        .post(
            "network",
            "/security-group-rules",
            json!({ "security_group_rule": {
                "security_group_id": group_id, "direction": "ingress", "ethertype": "IPv4",
                "protocol": "tcp", "port_range_min": 443, "port_range_max": 443,
                "remote_ip_prefix": "0.0.0.0/0"
            } }),
        )
        .await;
    let rule_id = str_of(&rule["security_group_rule"]["id"]);
    let floating = user
        .post(
            "network",
            "/floatingips",
            json!({ "floatingip": { "floating_network_id": public, "description": format!("{name}-fip") } }),
        )
        .await;
    let floating_id = str_of(&floating["floatingip"]["id"]);

    let stack = Stack::single(
        &name,
        "openstack",
        &format!(
            r#"
resource "openstack_networking_network_v2" "net" {{
  name = "{name}-net"
}}
resource "openstack_networking_subnet_v2" "subnet" {{
  name            = "{name}-subnet"
  network_id      = openstack_networking_network_v2.net.id
  cidr            = "192.168.79.0/24"
  dns_nameservers = ["192.0.2.53"]
  allocation_pool {{
    start = "192.168.79.10"
    end   = "192.168.79.99"
  }}
}}
resource "openstack_networking_router_v2" "router" {{
  name                = "{name}-router"
  description         = "made by hand"
  external_network_id = "{public}"
}}
resource "openstack_networking_router_interface_v2" "interface" {{
  router_id = openstack_networking_router_v2.router.id
  subnet_id = openstack_networking_subnet_v2.subnet.id
}}
resource "openstack_networking_secgroup_v2" "group" {{
  name        = "{name}-sg"
  description = "imported"
}}
resource "openstack_networking_secgroup_rule_v2" "https" {{
  direction         = "ingress"
  ethertype         = "IPv4"
  protocol          = "tcp"
  port_range_min    = 443
  port_range_max    = 443
  remote_ip_prefix  = "0.0.0.0/0"
  security_group_id = openstack_networking_secgroup_v2.group.id
}}
resource "openstack_networking_floatingip_v2" "fip" {{
  pool        = "public"
  description = "{name}-fip"
}}
"#
        ),
    );
    for (address, id) in [
        ("openstack_networking_network_v2.net", &network_id),
        ("openstack_networking_subnet_v2.subnet", &subnet_id),
        ("openstack_networking_router_v2.router", &router_id),
        // Terraform's import id for an interface: its port.
        (
            "openstack_networking_router_interface_v2.interface",
            &interface_id,
        ),
        ("openstack_networking_secgroup_v2.group", &group_id),
        ("openstack_networking_secgroup_rule_v2.https", &rule_id),
        ("openstack_networking_floatingip_v2.fip", &floating_id),
    ] {
        let run = stack.run(&["import", address, id]).expect(0);
        assert!(run.all().contains("Import successful"), "{}", run.all());
        assert_eq!(&stack.id_of(address), id);
    }
    plans_clean(&stack);
    assert_eq!(
        stack.attributes_of("openstack_networking_floatingip_v2.fip")["address"],
        floating["floatingip"]["floating_ip_address"]
    );

    destroy(&stack);
    for path in [
        format!("/floatingips/{floating_id}"),
        format!("/security-group-rules/{rule_id}"),
        format!("/security-groups/{group_id}"),
        format!("/ports/{interface_id}"),
        format!("/routers/{router_id}"),
        format!("/subnets/{subnet_id}"),
        format!("/networks/{network_id}"),
    ] {
        assert_eq!(user.status("network", &path).await, 404, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn server_made_through_the_api_imports_clean() {
    let name = unique("vmimport");
    let user = Cloud::login("ggplan-password").await;
    let image =
        str_of(&user.get("image", "/v2/images?name=CC-Ubuntu24.04").await["images"][0]["id"]);
    let flavors = user.get("compute", "/flavors").await;
    let small = flavors["flavors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "m1.small")
        .map(|f| str_of(&f["id"]))
        .unwrap();
    let shared =
        str_of(&user.get("network", "/networks?name=sharednet1").await["networks"][0]["id"]);
    let server = user
        .post(
            "compute",
            "/servers",
            json!({ "server": {
                "name": name, "imageRef": image, "flavorRef": small,
                "networks": [{ "uuid": shared }], "key_name": "id_rsa_chameleon",
                "metadata": { "role": "imported" },
                "security_groups": [{ "name": "allow-ssh" }]
            } }),
        )
        .await;
    let id = str_of(&server["server"]["id"]);
    wait_active(&user, &id).await;

    let stack = Stack::single(
        &name,
        "openstack",
        &format!(
            r#"
resource "openstack_compute_instance_v2" "server" {{
  name            = "{name}"
  image_name      = "CC-Ubuntu24.04"
  flavor_name     = "m1.small"
  key_pair        = "id_rsa_chameleon"
  security_groups = ["allow-ssh"]
  metadata = {{
    role = "imported"
  }}
  network {{
    name = "sharednet1"
  }}
}}
"#
        ),
    );
    let run = stack
        .run(&["import", "openstack_compute_instance_v2.server", &id])
        .expect(0);
    assert!(run.all().contains("Import successful"), "{}", run.all());
    plans_clean(&stack);
    let state = stack.attributes_of("openstack_compute_instance_v2.server");
    assert_eq!(state["network"][0]["uuid"], shared.as_str(), "{state:#}");
    assert!(
        state["network"][0]["fixed_ip_v4"]
            .as_str()
            .unwrap()
            .starts_with("10.56."),
        "{state:#}"
    );

    destroy(&stack);
    wait_gone(&user, &format!("/servers/{id}")).await;
    assert_eq!(user.leftovers(&name).await, Vec::<String>::new());
}

/// Waits until a server made through the API is ACTIVE.
async fn wait_active(cloud: &Cloud, id: &str) {
    let started = std::time::Instant::now();
    loop {
        let server = cloud.get("compute", &format!("/servers/{id}")).await;
        match server["server"]["status"].as_str() {
            Some("ACTIVE") => return,
            Some("ERROR") => panic!("server {id} failed: {server:#}"),
            _ => {}
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "server {id} did not become ACTIVE"
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn server_tags_security_groups_flavor_and_metadata_change_in_place_and_drift_is_repaired() {
    let name = unique("vmtags");
    let server = |flavor: &str, groups: &str, tags: &str| {
        format!(
            r#"
resource "openstack_compute_instance_v2" "server" {{
  name            = "{name}"
  image_name      = "CC-Ubuntu24.04"
  {flavor}
  security_groups = {groups}
  tags            = {tags}
  metadata = {{
    role = "proof"
  }}
  network {{
    name = "sharednet1"
  }}
}}
"#
        )
    };
    let stack = Stack::single(
        &name,
        "openstack",
        &server(
            r#"flavor_name = "m1.small""#,
            r#"["allow-ssh"]"#,
            r#"["blue", "proof"]"#,
        ),
    );
    let nova = Cloud::login("ggplan-password")
        .await
        .with_compute_microversion("2.90");
    apply(&stack, "1 added, 0 changed, 0 destroyed");
    let id = stack.id_of("openstack_compute_instance_v2.server");
    let tags = async || {
        let mut tags: Vec<String> =
            nova.get("compute", &format!("/servers/{id}/tags")).await["tags"]
                .as_array()
                .unwrap()
                .iter()
                .map(str_of)
                .collect();
        tags.sort();
        tags
    };
    let groups = async || {
        let mut names: Vec<String> = nova
            .get("compute", &format!("/servers/{id}/os-security-groups"))
            .await["security_groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| str_of(&g["name"]))
            .collect();
        names.sort();
        names
    };
    let flavor =
        async || nova.get("compute", &format!("/servers/{id}")).await["server"]["flavor"].clone();
    assert_eq!(tags().await, ["blue", "proof"]);
    assert_eq!(groups().await, ["allow-ssh"]);
    plans_clean(&stack);

    // Tags changed in the configuration: in place.
    let config = server(
        r#"flavor_name = "m1.small""#,
        r#"["allow-ssh"]"#,
        r#"["green", "proof"]"#,
    );
    stack.rewrite("openstack", &config);
    plans(&stack, "0 to add, 1 to change, 0 to destroy");
    apply(&stack, "0 added, 1 changed, 0 destroyed");
    assert_eq!(stack.id_of("openstack_compute_instance_v2.server"), id);
    assert_eq!(tags().await, ["green", "proof"]);
    plans_clean(&stack);

    // Tags and metadata changed by hand: drift, repaired in place.
    nova.put(
        "compute",
        &format!("/servers/{id}/tags"),
        json!({ "tags": ["red"] }),
    )
    .await;
    nova.put(
        "compute",
        &format!("/servers/{id}/metadata/role"),
        json!({ "meta": { "role": "tampered" } }),
    )
    .await;
    nova.post(
        "compute",
        &format!("/servers/{id}/metadata"),
        json!({ "metadata": { "extra": "by hand" } }),
    )
    .await;
    let drift = plans(&stack, "0 to add, 1 to change, 0 to destroy");
    assert!(
        drift.contains("tampered") && drift.contains("red"),
        "{drift}"
    );
    apply(&stack, "0 added, 1 changed, 0 destroyed");
    assert_eq!(tags().await, ["green", "proof"]);
    let metadata = nova
        .get("compute", &format!("/servers/{id}/metadata"))
        .await;
    assert_eq!(metadata["metadata"], json!({ "role": "proof" }));
    plans_clean(&stack);

    // Security groups changed in place: one added, then the first removed.
    stack.rewrite(
        "openstack",
        &server(
            r#"flavor_name = "m1.small""#,
            r#"["allow-ssh", "allow-http-80"]"#,
            r#"["green", "proof"]"#,
        ),
    );
    apply(&stack, "0 added, 1 changed, 0 destroyed");
    assert_eq!(groups().await, ["allow-http-80", "allow-ssh"]);
    plans_clean(&stack);
    stack.rewrite(
        "openstack",
        &server(
            r#"flavor_name = "m1.small""#,
            r#"["allow-http-80"]"#,
            r#"["green", "proof"]"#,
        ),
    );
    apply(&stack, "0 added, 1 changed, 0 destroyed");
    assert_eq!(stack.id_of("openstack_compute_instance_v2.server"), id);
    assert_eq!(groups().await, ["allow-http-80"]);
    plans_clean(&stack);

    // A resize by flavor name (Nova resizes, ggplan confirms), then back by flavor id.
    stack.rewrite(
        "openstack",
        &server(
            r#"flavor_name = "m1.large""#,
            r#"["allow-http-80"]"#,
            r#"["green", "proof"]"#,
        ),
    );
    plans(&stack, "0 to add, 1 to change, 0 to destroy");
    apply(&stack, "0 added, 1 changed, 0 destroyed");
    assert_eq!(stack.id_of("openstack_compute_instance_v2.server"), id);
    let now = flavor().await;
    assert_eq!(now["original_name"], "m1.large", "{now:#}");
    assert_eq!(now["vcpus"], 2, "{now:#}");
    let server_now = nova.get("compute", &format!("/servers/{id}")).await;
    assert_eq!(server_now["server"]["status"], "ACTIVE");
    let state = stack.attributes_of("openstack_compute_instance_v2.server");
    assert_eq!(state["flavor_name"], "m1.large");
    plans_clean(&stack);

    let small = nova.get("compute", "/flavors").await["flavors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "m1.small")
        .map(|f| str_of(&f["id"]))
        .unwrap();
    stack.rewrite(
        "openstack",
        &server(
            &format!(r#"flavor_id = "{small}""#),
            r#"["allow-http-80"]"#,
            r#"["green", "proof"]"#,
        ),
    );
    plans(&stack, "0 to add, 1 to change, 0 to destroy");
    apply(&stack, "0 added, 1 changed, 0 destroyed");
    assert_eq!(flavor().await["original_name"], "m1.small");
    let state = stack.attributes_of("openstack_compute_instance_v2.server");
    assert_eq!(state["flavor_id"], small.as_str());
    assert_eq!(state["flavor_name"], "m1.small");
    plans_clean(&stack);

    destroy(&stack);
    wait_gone(&nova, &format!("/servers/{id}")).await;
    assert_eq!(nova.leftovers(&name).await, Vec::<String>::new());
}
