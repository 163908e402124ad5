//! The ssh provider against real OpenSSH servers started by `tests/support/ssh.sh start`
//! (scripts/test.sh does it and exports GGPLAN_TEST_SSH_DIR). Each node's files live under
//! `$GGPLAN_TEST_SSH_DIR/root/<node>/`, since the servers share this machine's filesystem.

use ggplan_sdk::{ApplyRequest, Diagnostics, PlanRequest, Provider, ReadRequest, Value};
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

const NODE1: &str = "127.0.0.11";
const NODE3: &str = "127.0.0.13";
const JUMP: &str = "127.0.0.10";
const LATE: &str = "127.0.0.14";

fn run_dir() -> PathBuf {
    let dir = std::env::var("GGPLAN_TEST_SSH_DIR").expect(
        "GGPLAN_TEST_SSH_DIR is not set: run these tests through scripts/test.sh, or start the \
         servers with `tests/support/ssh.sh start` and export what it prints",
    );
    PathBuf::from(dir)
}

/// A fresh directory for one test's files on a node.
fn node_dir(node: &str, test: &str) -> PathBuf {
    let dir = run_dir().join("root").join(node).join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn settings(extra: &[(&str, Value)]) -> Value {
    let key = std::fs::read_to_string(run_dir().join("client_key")).unwrap();
    let mut map = Value::object([
        ("user", Value::string("root")),
        ("port", Value::int(2222)),
        ("private_key", Value::string(key)),
        ("host_key_policy", Value::string("accept-new")),
        (
            "known_hosts_file",
            Value::string("/nonexistent/known_hosts"),
        ),
        ("connect_timeout", Value::string("3s")),
    ]);
    if let Value::Map(m) = &mut map {
        for (k, v) in extra {
            m.insert(k.to_string(), v.clone());
        }
    }
    map
}

async fn provider(extra: &[(&str, Value)]) -> Arc<dyn Provider> {
    let provider = (ggplan_provider_ssh::factory().new)();
    let config =
        ggplan_sdk::objchange::proposed_new(&provider.schema().provider, None, &settings(extra));
    provider.configure(&config).await.expect("configure");
    provider
}

async fn plan(p: &dyn Provider, type_name: &str, prior: Option<&Value>, config: &Value) -> Value {
    let errors = p.validate(ggplan_sdk::ResourceKind::Managed, type_name, config);
    assert!(!errors.has_errors(), "{errors}");
    let proposed =
        ggplan_sdk::objchange::proposed_new(&p.schema().resources[type_name], prior, config);
    let request = PlanRequest {
        type_name,
        prior,
        config,
        proposed: &proposed,
    };
    p.plan(request).await.expect("plan").planned
}

async fn apply(
    p: &dyn Provider,
    type_name: &str,
    prior: Option<&Value>,
    config: &Value,
) -> (Option<Value>, Diagnostics) {
    let planned = plan(p, type_name, prior, config).await;
    let request = ApplyRequest {
        type_name,
        prior,
        planned: Some(&planned),
        config,
    };
    let response = p.apply(request).await;
    (response.new_state, response.diagnostics)
}

async fn create(p: &dyn Provider, type_name: &str, config: &Value) -> Value {
    let (state, diagnostics) = apply(p, type_name, None, config).await;
    assert!(!diagnostics.has_errors(), "{diagnostics}");
    state.expect("a state")
}

async fn read(
    p: &dyn Provider,
    type_name: &str,
    state: &Value,
) -> Result<Option<Value>, Diagnostics> {
    p.read(ReadRequest { type_name, state }).await
}

fn file_config(host: &str, path: &std::path::Path, content: &str) -> Value {
    Value::object([
        ("host", Value::string(host)),
        ("path", Value::string(path.to_string_lossy())),
        ("content", Value::string(content)),
        ("mode", Value::string("0640")),
        ("sudo", Value::Bool(true)),
    ])
}

fn connections(node: &str) -> usize {
    let log = std::fs::read_to_string(run_dir().join(format!("{node}.log"))).unwrap_or_default();
    log.matches("Connection from").count()
}

#[tokio::test]
async fn files_are_written_refreshed_and_drift_is_seen() {
    let dir = node_dir("node1", "files");
    let path = dir.join("etc/docker/daemon.json");
    let p = provider(&[]).await;
    let config = file_config(NODE1, &path, "{\"insecure-registries\":[\"r:5000\"]}\n");
    let state = create(&*p, "ssh_file", &config).await;
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        config.get("content").as_str().unwrap()
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777,
        0o640
    );
    assert_eq!(state.get("owner"), &Value::string("root"));
    assert!(
        state
            .get("host_key")
            .as_str()
            .unwrap()
            .starts_with("SHA256:")
    );

    // No drift: the refresh returns the state as it was, and the plan is a no-op.
    let refreshed = read(&*p, "ssh_file", &state).await.unwrap().unwrap();
    assert_eq!(refreshed, state);
    assert_eq!(
        plan(&*p, "ssh_file", Some(&refreshed), &config).await,
        state
    );

    // Edited outside ggplan: the refresh shows the new content and the plan puts it back.
    std::fs::write(&path, "edited\n").unwrap();
    let drifted = read(&*p, "ssh_file", &state).await.unwrap().unwrap();
    assert_eq!(drifted.get("content"), &Value::string("edited\n"));
    assert_ne!(drifted.get("sha256"), state.get("sha256"));
    let (repaired, diagnostics) = apply(&*p, "ssh_file", Some(&drifted), &config).await;
    assert!(diagnostics.is_empty(), "{diagnostics}");
    assert_eq!(repaired.as_ref(), Some(&state));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        config.get("content").as_str().unwrap()
    );

    // A mode change is drift too.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let drifted = read(&*p, "ssh_file", &state).await.unwrap().unwrap();
    assert_eq!(drifted.get("mode"), &Value::string("0600"));

    // Deleted outside ggplan: gone.
    std::fs::remove_file(&path).unwrap();
    assert_eq!(read(&*p, "ssh_file", &state).await.unwrap(), None);

    // The data source reads what the resource writes; destroy removes it.
    let state = create(&*p, "ssh_file", &config).await;
    let data = p
        .read_data(
            "ssh_file",
            &Value::object([
                ("host", Value::string(NODE1)),
                ("path", Value::string(path.to_string_lossy())),
            ]),
        )
        .await
        .unwrap();
    assert_eq!(data.get("content"), config.get("content"));
    assert_eq!(data.get("mode"), &Value::string("0640"));
    let request = ApplyRequest {
        type_name: "ssh_file",
        prior: Some(&state),
        planned: None,
        config: &Value::Null,
    };
    let response = p.apply(request).await;
    assert_eq!(response.new_state, None, "{}", response.diagnostics);
    assert!(!path.exists());
}

#[tokio::test]
async fn a_large_file_is_compared_by_hash() {
    let dir = node_dir("node1", "large");
    let path = dir.join("big.txt");
    let p = provider(&[]).await;
    let big = "x".repeat(300 * 1024);
    let state = create(&*p, "ssh_file", &file_config(NODE1, &path, &big)).await;
    std::fs::write(&path, "y".repeat(300 * 1024)).unwrap();
    let drifted = read(&*p, "ssh_file", &state).await.unwrap().unwrap();
    // Over the bound the content is not fetched: the hash tells the change.
    assert_eq!(drifted.get("content"), state.get("content"));
    assert_ne!(drifted.get("sha256"), state.get("sha256"));
}

#[tokio::test]
async fn commands_run_once_guarded_by_their_check() {
    let dir = node_dir("node2", "exec");
    let marker = dir.join("masked");
    let p = provider(&[]).await;
    let config = Value::object([
        ("host", Value::string("127.0.0.12")),
        (
            "command",
            Value::string(format!(
                "echo ran; echo note >&2; touch {}",
                marker.display()
            )),
        ),
        (
            "check",
            Value::string(format!("test -e {}", marker.display())),
        ),
        (
            "destroy_command",
            Value::string(format!("rm {}", marker.display())),
        ),
        ("sudo", Value::Bool(true)),
    ]);
    let state = create(&*p, "ssh_exec", &config).await;
    assert_eq!(state.get("stdout"), &Value::string("ran\n"));
    assert_eq!(state.get("stderr"), &Value::string("note\n"));
    assert_eq!(state.get("exit_code"), &Value::int(0));
    assert!(marker.exists());
    assert_eq!(
        read(&*p, "ssh_exec", &state).await.unwrap().as_ref(),
        Some(&state)
    );

    // Undone on the host: drift, planned as a create.
    std::fs::remove_file(&marker).unwrap();
    assert_eq!(read(&*p, "ssh_exec", &state).await.unwrap(), None);

    // Already done: the check skips the command.
    std::fs::write(&marker, "").unwrap();
    let skipped = create(&*p, "ssh_exec", &config).await;
    assert_eq!(skipped.get("stdout"), &Value::string(""));

    // Destroy runs destroy_command.
    let request = ApplyRequest {
        type_name: "ssh_exec",
        prior: Some(&skipped),
        planned: None,
        config: &Value::Null,
    };
    assert_eq!(p.apply(request).await.new_state, None);
    assert!(!marker.exists());
}

#[tokio::test]
async fn a_failing_command_reports_its_exit_code_and_stderr_and_records_nothing() {
    let p = provider(&[]).await;
    let config = Value::object([
        ("host", Value::string(NODE1)),
        (
            "command",
            Value::string("echo 'firewalld: unit not found' >&2; exit 3"),
        ),
    ]);
    let (state, diagnostics) = apply(&*p, "ssh_exec", None, &config).await;
    assert_eq!(state, None);
    let text = diagnostics.to_string();
    assert!(text.contains("command failed"), "{text}");
    assert!(text.contains("exit code 3"), "{text}");
    assert!(text.contains("firewalld: unit not found"), "{text}");
}

#[tokio::test]
async fn commands_run_in_a_clean_environment() {
    // SAFETY: set before the provider runs; no other thread reads this variable.
    unsafe { std::env::set_var("GGPLAN_LEAK_CHECK", "leaked") };
    let p = provider(&[]).await;
    let config = Value::object([
        ("host", Value::string(NODE1)),
        ("command", Value::string("env | sort")),
    ]);
    let state = create(&*p, "ssh_exec", &config).await;
    let env = state.get("stdout").as_str().unwrap();
    let names: Vec<&str> = env.lines().filter_map(|l| l.split('=').next()).collect();
    assert_eq!(
        names,
        ["HOME", "LC_ALL", "LOGNAME", "PATH", "PWD", "SHELL", "USER"],
        "{env}"
    );
}

#[tokio::test]
async fn the_bastion_reaches_a_node_nothing_else_can() {
    // Directly, node3 is not there.
    let direct = provider(&[("connect_timeout", Value::string("1s"))]).await;
    let facts = Value::object([("host", Value::string(NODE3))]);
    let err = direct
        .read_data("ssh_facts", &facts)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("cannot connect"), "{err}");

    let bastion = Value::object([("host", Value::string(JUMP)), ("port", Value::int(2222))]);
    let p = provider(&[("bastion", bastion)]).await;
    let value = p.read_data("ssh_facts", &facts).await.unwrap();
    assert!(!value.get("hostname").as_str().unwrap().is_empty());
    let lo = value.get("interfaces").get("lo").as_list().unwrap();
    assert!(lo.contains(&Value::string("127.0.0.1")), "{value:?}");
    assert_eq!(value.get("ipv4_addresses"), &Value::List(vec![]));

    let dir = node_dir("node3", "bastion");
    let state = create(
        &*p,
        "ssh_file",
        &file_config(
            NODE3,
            &dir.join("sysctl.conf"),
            "vm.max_map_count = 262144\n",
        ),
    )
    .await;
    assert!(dir.join("sysctl.conf").exists());
    assert_eq!(
        read(&*p, "ssh_file", &state).await.unwrap().as_ref(),
        Some(&state)
    );
}

#[tokio::test]
async fn one_connection_per_host_serves_every_resource() {
    let dir = node_dir("node2", "pool");
    let p = provider(&[]).await;
    let before = connections("node2");
    let configs: Vec<Value> = (0..20)
        .map(|i| file_config("127.0.0.12", &dir.join(format!("f{i}")), &format!("{i}\n")))
        .collect();
    let states =
        futures::future::join_all(configs.iter().map(|c| create(&*p, "ssh_file", c))).await;
    let reads = futures::future::join_all(states.iter().map(|s| read(&*p, "ssh_file", s))).await;
    assert!(reads.iter().all(|r| matches!(r, Ok(Some(_)))));
    // Concurrent tests on node2 may add their own: at most one each (the exec test).
    let opened = connections("node2") - before;
    assert!(
        opened <= 2,
        "{opened} connections for 40 concurrent operations"
    );
}

/// The late node on 127.0.0.14, started with host key `a` or `b`, stopped on drop.
struct Late;

impl Late {
    fn start(key: &str) -> Late {
        let conf = run_dir().join(format!("late_{key}.conf"));
        let log = run_dir().join("late.log");
        let status = Command::new("/usr/sbin/sshd")
            .arg("-f")
            .arg(&conf)
            .arg("-E")
            .arg(&log)
            .status()
            .unwrap();
        assert!(status.success());
        Late
    }
}

impl Drop for Late {
    fn drop(&mut self) {
        let pid_file = run_dir().join("late.pid");
        if let Ok(pid) = std::fs::read_to_string(&pid_file) {
            let _ = Command::new("kill").arg(pid.trim()).status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while pid_file.exists() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

fn fingerprint(key: &str) -> String {
    let public = run_dir().join(format!("late_{key}_host_key.pub"));
    let out = Command::new("ssh-keygen")
        .arg("-lf")
        .arg(&public)
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .to_string()
}

// One test for everything on the late node: its address is shared.
#[tokio::test]
async fn late_listeners_are_waited_for_and_changed_host_keys_refused() {
    let dir = node_dir("late", "keys");
    let config = file_config(LATE, &dir.join("f"), "pinned\n");

    // Starts listening two seconds after the first attempt: retried within connect_timeout.
    let p = provider(&[("connect_timeout", Value::string("20s"))]).await;
    let starter = tokio::spawn(async {
        tokio::time::sleep(Duration::from_secs(2)).await;
        Late::start("a")
    });
    let started = Instant::now();
    let state = create(&*p, "ssh_file", &config).await;
    assert!(started.elapsed() >= Duration::from_secs(2));
    let server = starter.await.unwrap();
    assert_eq!(state.get("host_key"), &Value::string(fingerprint("a")));

    // accept-new: the host comes back with another key; the state's pin refuses it.
    drop(server);
    let _server = Late::start("b");
    let p = provider(&[]).await;
    let err = read(&*p, "ssh_file", &state).await.unwrap_err().to_string();
    assert!(err.contains("host key refused"), "{err}");
    assert!(err.contains("pinned on first use"), "{err}");
    assert!(err.contains(&fingerprint("b")), "{err}");

    // strict: known_hosts lists key a.
    let known_hosts = dir.join("known_hosts");
    let public = std::fs::read_to_string(run_dir().join("late_a_host_key.pub")).unwrap();
    std::fs::write(&known_hosts, format!("[{LATE}]:2222 {public}")).unwrap();
    let strict = provider(&[
        ("host_key_policy", Value::string("strict")),
        (
            "known_hosts_file",
            Value::string(known_hosts.to_string_lossy()),
        ),
    ])
    .await;
    let facts = Value::object([("host", Value::string(LATE))]);
    let err = strict
        .read_data("ssh_facts", &facts)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("host key refused") && err.contains("line 1"),
        "{err}"
    );
    // strict with a host in neither known_hosts nor host_keys: refused too.
    let unknown = provider(&[("host_key_policy", Value::string("strict"))]).await;
    let err = unknown
        .read_data("ssh_facts", &facts)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a known host"), "{err}");
    // A pinned key in the provider block is trusted under strict.
    let pinned = provider(&[
        ("host_key_policy", Value::string("strict")),
        (
            "host_keys",
            Value::object([(LATE, Value::string(fingerprint("b")))]),
        ),
    ])
    .await;
    assert!(pinned.read_data("ssh_facts", &facts).await.is_ok());
}
