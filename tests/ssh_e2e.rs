//! The `ggplan` binary with the ssh provider against the real OpenSSH servers of
//! `tests/support/ssh.sh` (scripts/test.sh starts them and exports GGPLAN_TEST_SSH_DIR): files
//! and commands on node1 and node2 directly and on node3 through the jump host, applied,
//! re-planned with no changes, drifted by hand and repaired, then destroyed.

#[path = "support/binary.rs"]
mod binary;

use binary::{BIN, Run};
use std::path::{Path, PathBuf};
use std::process::Command;

fn run_dir() -> PathBuf {
    let dir = std::env::var("GGPLAN_TEST_SSH_DIR").expect(
        "GGPLAN_TEST_SSH_DIR is not set: run this test through scripts/test.sh, or start the \
         servers with `tests/support/ssh.sh start` and export what it prints",
    );
    PathBuf::from(dir)
}

fn ggplan(cwd: &Path, args: &[&str]) -> Run {
    let output = Command::new(BIN)
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .expect("run ggplan");
    Run::of(output)
}

fn stack(key: &Path, root: &Path) -> String {
    format!(
        r#"
locals {{
  nodes = {{
    node1 = "127.0.0.11"
    node2 = "127.0.0.12"
  }}
  root = "{root}"
}}

provider "ssh" {{
  user            = "root"
  port            = 2222
  private_key     = file("{key}")
  host_key_policy = "accept-new"
  connect_timeout = "20s"
}}

provider "ssh" {{
  alias           = "private"
  user            = "root"
  port            = 2222
  private_key     = file("{key}")
  host_key_policy = "accept-new"
  connect_timeout = "20s"
  bastion {{
    host = "127.0.0.10"
    port = 2222
    user = "root"
  }}
}}

resource "ssh_file" "daemon_json" {{
  for_each = local.nodes
  host     = each.value
  path     = "${{local.root}}/${{each.key}}/e2e/daemon.json"
  content  = jsonencode({{ "insecure-registries" = ["node1:5000"] }})
  mode     = "0644"
}}

resource "ssh_file" "node3_sysctl" {{
  provider = ssh.private
  host     = "127.0.0.13"
  path     = "${{local.root}}/node3/e2e/k8s.conf"
  content  = "net.ipv4.ip_forward = 1\n"
}}

resource "ssh_exec" "marker" {{
  for_each = local.nodes
  host     = each.value
  command  = "touch ${{local.root}}/${{each.key}}/e2e/prepared"
  check    = "test -f ${{local.root}}/${{each.key}}/e2e/prepared"
  depends_on = [ssh_file.daemon_json]
}}

# The seed's Docker restart: again whenever this node's daemon.json changes, drift included.
resource "ssh_exec" "restart_docker" {{
  for_each = local.nodes
  host     = each.value
  command  = "echo restarted >> ${{local.root}}/${{each.key}}/e2e/restarts"
  lifecycle {{
    replace_triggered_by = [ssh_file.daemon_json[each.key]]
  }}
}}

data "ssh_facts" "node1" {{
  host = "127.0.0.11"
}}

output "node1_hostname" {{
  value = data.ssh_facts.node1.hostname
}}
"#,
        key = key.display(),
        root = root.display(),
    )
}

#[test]
fn host_preparation_through_the_binary() {
    let run = run_dir();
    let root = run.join("root");
    for node in ["node1", "node2", "node3"] {
        let dir = root.join(node).join("e2e");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
    }
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("hosts");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("main.tf"), stack(&run.join("client_key"), &root)).unwrap();
    let cwd = work.path();

    let out = ggplan(cwd, &["apply", "hosts", "--auto-approve"]);
    assert!(out.code == 0, "{}", out.all());
    assert!(
        out.all().contains("Apply complete! Resources: 7 added"),
        "{}",
        out.all()
    );
    let daemon = root.join("node2/e2e/daemon.json");
    assert_eq!(
        std::fs::read_to_string(&daemon).unwrap(),
        r#"{"insecure-registries":["node1:5000"]}"#
    );
    assert!(root.join("node3/e2e/k8s.conf").exists());
    assert!(root.join("node1/e2e/prepared").exists());

    let out = ggplan(cwd, &["plan", "hosts", "--detailed-exitcode"]);
    assert_eq!(Some(out.code), Some(0), "{}", out.all());

    // Drift: a file edited and a marker removed outside ggplan. Putting node2's daemon.json
    // back restarts Docker on node2 alone.
    std::fs::write(&daemon, "{}").unwrap();
    std::fs::remove_file(root.join("node1/e2e/prepared")).unwrap();
    let out = ggplan(cwd, &["plan", "hosts", "--detailed-exitcode"]);
    assert_eq!(Some(out.code), Some(2), "{}", out.all());
    let plan = out.all();
    assert!(
        plan.contains(
            "ssh_exec.restart_docker[\"node2\"] will be replaced due to changes in \
             replace_triggered_by"
        ),
        "{plan}"
    );
    assert!(
        plan.contains("Plan: 2 to add, 1 to change, 1 to destroy."),
        "{plan}"
    );
    assert!(plan.contains("ssh_file.daemon_json[\"node2\"]"), "{plan}");
    assert!(plan.contains("ssh_exec.marker[\"node1\"]"), "{plan}");
    let out = ggplan(cwd, &["apply", "hosts", "--auto-approve"]);
    assert!(out.code == 0, "{}", out.all());
    assert!(
        std::fs::read_to_string(&daemon)
            .unwrap()
            .contains("insecure-registries")
    );
    assert!(root.join("node1/e2e/prepared").exists());
    let restarts = |node: &str| {
        std::fs::read_to_string(root.join(node).join("e2e/restarts"))
            .unwrap()
            .lines()
            .count()
    };
    assert_eq!(
        [restarts("node1"), restarts("node2")],
        [1, 2],
        "node2's Docker restarted again, node1's not"
    );
    let out = ggplan(cwd, &["plan", "hosts", "--detailed-exitcode"]);
    assert_eq!(Some(out.code), Some(0), "{}", out.all());

    let out = ggplan(cwd, &["destroy", "hosts", "--auto-approve"]);
    assert!(out.code == 0, "{}", out.all());
    assert!(!daemon.exists());
    assert!(!root.join("node3/e2e/k8s.conf").exists());
}

/// The seed's shape: the bastion is node1's floating IP, which the same apply creates (here a
/// `terraform_data` standing in for the OpenStack floating IP). The provider that goes through
/// it is configured during apply, once the address exists.
#[test]
fn a_bastion_made_by_the_same_apply_configures_its_provider_during_apply() {
    let run = run_dir();
    let root = run.join("root");
    let dir = root.join("node3").join("bastion-later");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let work = tempfile::tempdir().unwrap();
    let stack_dir = work.path().join("later");
    std::fs::create_dir(&stack_dir).unwrap();
    let target = dir.join("k8s.conf");
    std::fs::write(
        stack_dir.join("main.tf"),
        format!(
            r#"
resource "terraform_data" "floating_ip" {{
  input = "127.0.0.10"
}}

provider "ssh" {{
  alias           = "private"
  user            = "root"
  port            = 2222
  private_key     = file("{key}")
  host_key_policy = "accept-new"
  connect_timeout = "20s"
  bastion {{
    host = terraform_data.floating_ip.output
    port = 2222
    user = "root"
  }}
}}

resource "ssh_file" "node3_sysctl" {{
  provider = ssh.private
  host     = "127.0.0.13"
  path     = "{target}"
  content  = "net.ipv4.ip_forward = 1\n"
}}
"#,
            key = run.join("client_key").display(),
            target = target.display(),
        ),
    )
    .unwrap();
    let cwd = work.path();

    let out = ggplan(cwd, &["plan", "later"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        out.all()
            .contains("Provider \"ssh.private\" is configured during apply"),
        "{}",
        out.all()
    );
    assert!(out.all().contains("2 to add"), "{}", out.all());
    let out = ggplan(cwd, &["apply", "later", "--auto-approve"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "net.ipv4.ip_forward = 1\n"
    );
    let out = ggplan(cwd, &["plan", "later", "--detailed-exitcode"]);
    assert_eq!(out.code, 0, "{}", out.all());
    let out = ggplan(cwd, &["destroy", "later", "--auto-approve"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(!target.exists());
}

/// `validate`, as Ansible's: the new content is checked on the host before it replaces the
/// file, so a sudoers or daemon.json that would break the host never goes live.
#[test]
fn a_file_that_fails_its_validate_command_never_replaces_the_old_one() {
    let run = run_dir();
    let dir = run.join("root/node1/validate");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let target = dir.join("sudoers");
    let work = tempfile::tempdir().unwrap();
    let stack_dir = work.path().join("validate");
    std::fs::create_dir(&stack_dir).unwrap();
    let write = |content: &str| {
        std::fs::write(
            stack_dir.join("main.tf"),
            format!(
                r#"
provider "ssh" {{
  user            = "root"
  port            = 2222
  private_key     = file("{key}")
  host_key_policy = "accept-new"
}}

resource "ssh_file" "sudoers" {{
  host     = "127.0.0.11"
  path     = "{target}"
  content  = "{content}\n"
  validate = "grep -qx 'Defaults secure_path' %s"
}}
"#,
                key = run.join("client_key").display(),
                target = target.display(),
            ),
        )
        .unwrap();
    };
    write("Defaults secure_path");
    let out = ggplan(work.path(), &["apply", "validate", "--auto-approve"]);
    assert_eq!(out.code, 0, "{}", out.all());
    write("Defaults broken");
    let out = ggplan(work.path(), &["apply", "validate", "--auto-approve"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.all().contains("validate refused the new content"),
        "{}",
        out.all()
    );
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "Defaults secure_path\n"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "the temporary file is removed");
}
