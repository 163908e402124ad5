//! `backend "s3"` against a real S3-compatible server (s3s-fs, tests/support/s3.sh; the
//! `GGPLAN_TEST_S3_*` variables): apply, plan and destroy through it; two applies at once from
//! two working copies (one refused naming the holder, one waiting with `-lock-timeout`);
//! `kill -9` during an apply loses no completed change; a stale serial never replaces a newer
//! state, even from a writer held (by a delaying proxy) between its read and its write; the store going away mid-apply is a clear error and the next run recovers; a
//! Terraform state in the bucket is refused and left as it is; encrypted objects hold no
//! secret. The secret key never appears in anything ggplan prints.
//!
//! Each test uses a bucket of its own (a directory of the server's data), so they run side by
//! side on one server; the store-going-away test runs a server of its own.

#[path = "support/binary.rs"]
mod binary;
#[path = "support/fault_proxy.rs"]
mod fault_proxy;
#[path = "support/remote_stack.rs"]
mod remote_stack;

use binary::Run;
use fault_proxy::{Fault, Faults, Rule};
use ggplan::config::S3BackendBlock;
use ggplan::state::{Backend, S3Backend, S3Settings, StateError};
use remote_stack::{Copy, encryption_block, finish, read_until};
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Duration;

/// The state's key in every test's bucket.
const KEY: &str = "gg/terraform.tfstate";

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: this test needs the S3 server of tests/support/s3.sh (start it, \
             then eval \"$(tests/support/s3.sh env)\")"
        )
    })
}

fn secret() -> String {
    let secret = var("GGPLAN_TEST_S3_SECRET_KEY");
    assert!(secret.len() >= 8, "the test server has a real secret");
    secret
}

/// A bucket no other test uses (a directory of the server's data).
fn fresh_bucket(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let bucket = format!("t-{test}-{}-{nanos}", std::process::id());
    std::fs::create_dir_all(data().join(&bucket)).unwrap();
    bucket
}

fn data() -> PathBuf {
    PathBuf::from(var("GGPLAN_TEST_S3_DATA"))
}

/// The file that holds `key` of `bucket`.
fn object(bucket: &str, key: &str) -> PathBuf {
    data().join(bucket).join(key)
}

fn journal_objects(bucket: &str) -> usize {
    let dir = object(bucket, &format!("{KEY}.ggplan-journal"));
    std::fs::read_dir(dir).map_or(0, |d| d.count())
}

/// The backend block for `bucket` on the server at `endpoint`.
fn block_at(bucket: &str, endpoint: &str) -> String {
    format!(
        "  backend \"s3\" {{\n    bucket = \"{bucket}\"\n    key = \"{KEY}\"\n    region = \"us-east-1\"\n    \
         endpoints = {{ s3 = \"{endpoint}\" }}\n    use_path_style = true\n    use_lockfile = true\n    \
         skip_credentials_validation = true\n    skip_requesting_account_id = true\n  }}\n"
    )
}

fn block(bucket: &str) -> String {
    block_at(bucket, &var("GGPLAN_TEST_S3_ENDPOINT"))
}

fn credentials() -> Vec<(String, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID".into(), var("GGPLAN_TEST_S3_ACCESS_KEY")),
        ("AWS_SECRET_ACCESS_KEY".into(), secret()),
    ]
}

fn working_copy(bucket: &str, count: usize, sleep: &'static str) -> Copy {
    Copy::new(&block(bucket), count, sleep, credentials(), secret())
}

fn stored_state(bucket: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(object(bucket, KEY)).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn apply_plan_and_destroy_keep_the_state_in_the_bucket() {
    let bucket = fresh_bucket("cycle");
    let copy = working_copy(&bucket, 3, "0");
    let applied = copy.run(&["apply", "-auto-approve"]).expect(0);
    assert!(applied.stdout.contains("3 added"), "{}", applied.stdout);
    assert!(
        !copy.local_state_dir().exists(),
        "nothing is written locally"
    );
    let state = stored_state(&bucket);
    assert_eq!(state["resources"].as_array().unwrap().len(), 3);
    assert_eq!(state["serial"], 1);
    assert_eq!(
        journal_objects(&bucket),
        0,
        "the persist folded the journal in"
    );
    assert!(
        !object(&bucket, &format!("{KEY}.tflock")).exists(),
        "the lock is released"
    );

    let plan = copy.run(&["plan", "-detailed-exitcode"]).expect(0);
    assert!(
        plan.stdout.contains("no changes are needed"),
        "{}",
        plan.stdout
    );
    let second = working_copy(&bucket, 3, "0");
    assert_eq!(second.instances().len(), 3, "another working copy sees it");

    copy.run(&["destroy", "-auto-approve"]).expect(0);
    assert!(copy.instances().is_empty());
    copy.run(&["plan", "-detailed-exitcode"]).expect(2);
}

#[test]
fn a_second_apply_is_refused_naming_the_holder_or_waits_with_lock_timeout() {
    let bucket = fresh_bucket("lock");
    let (first, second, third) = (
        working_copy(&bucket, 8, "0.3"),
        working_copy(&bucket, 8, "0.3"),
        working_copy(&bucket, 8, "0.3"),
    );
    let (child, mut out) = first.spawn(&["apply", "-auto-approve", "-parallelism=2"]);
    let holder = child.id();
    read_until(&mut out, "Creating...", 1);
    // Terraform's lock object, naming ggplan's run in its Info.
    let lock: serde_json::Value =
        serde_json::from_slice(&std::fs::read(object(&bucket, &format!("{KEY}.tflock"))).unwrap())
            .unwrap();
    assert_eq!(lock["Path"], format!("{bucket}/{KEY}"), "{lock}");
    assert!(lock["Who"].as_str().unwrap().contains('@'), "{lock}");

    let refused = second.run(&["apply", "-auto-approve"]).expect(1);
    let text = refused.all();
    assert!(text.contains("is locked by another ggplan run"), "{text}");
    assert!(text.contains(&format!("PID:       {holder}")), "{text}");
    assert!(text.contains("Operation: apply"), "{text}");

    let (waiter, waiter_out) = third.spawn(&["apply", "-auto-approve", "-lock-timeout=120s"]);
    let first_run = finish(child, out);
    assert_eq!(
        first_run.code, 0,
        "{}{}",
        first_run.stdout, first_run.stderr
    );
    let waited = finish(waiter, waiter_out);
    assert_eq!(waited.code, 0, "{}{}", waited.stdout, waited.stderr);
    assert!(waited.all().contains("No changes"), "{}", waited.all());
    assert_eq!(first.instances().len(), 8);
}

#[test]
fn without_use_lockfile_a_run_needs_lock_false() {
    let bucket = fresh_bucket("nolock");
    let unlocked = block(&bucket).replace("use_lockfile = true", "use_lockfile = false");
    let copy = Copy::new(&unlocked, 1, "0", credentials(), secret());
    let refused = copy.run(&["apply", "-auto-approve"]).expect(1);
    assert!(
        refused.all().contains("use_lockfile = true"),
        "{}",
        refused.all()
    );
    assert!(!object(&bucket, KEY).exists(), "nothing was written");
    copy.run(&["apply", "-auto-approve", "-lock=false"])
        .expect(0);
    assert_eq!(stored_state(&bucket)["serial"], 1);
}

#[test]
fn kill_9_during_an_apply_loses_no_completed_change() {
    let bucket = fresh_bucket("kill");
    let copy = working_copy(&bucket, 40, "0.1");
    let (mut child, mut out) = copy.spawn(&["apply", "-auto-approve", "-parallelism=2"]);
    let completed = read_until(&mut out, "Creation complete", 6);
    child.kill().unwrap();
    child.wait().unwrap();

    // The killed run never saved the state: what it completed is only in the journal objects.
    assert!(!object(&bucket, KEY).exists());
    assert!(journal_objects(&bucket) > 0);
    let listed = copy.instances();
    for addr in &completed {
        assert!(listed.contains(addr), "{addr} was lost: {listed:?}");
    }
    // Its lock object stays (S3 has no session to end with it): the next run names the dead
    // holder, and force-unlock with its id breaks the lock.
    let refused = copy.run(&["apply", "-auto-approve"]).expect(1);
    let text = refused.all();
    assert!(text.contains("no longer runs on this host"), "{text}");
    let id = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("ID:"))
        .unwrap()
        .trim()
        .to_string();
    copy.run(&["force-unlock", &id]).expect(0);

    let before = copy.completed_ids(&completed);
    copy.run(&["apply", "-auto-approve"]).expect(0);
    assert_eq!(copy.ids().len(), 40);
    assert_eq!(
        copy.completed_ids(&completed),
        before,
        "completed ones were made again"
    );
    assert_eq!(journal_objects(&bucket), 0);
    copy.run(&["plan", "-detailed-exitcode"]).expect(0);
}

/// An s3s-fs of this test's own on `port` over `data` (not the shared server's: each server
/// names its temporary files with a counter of its own), with the shared server's keys.
fn own_server(port: u16, data: &std::path::Path) -> Child {
    let mut child = Command::new(var("GGPLAN_TEST_S3_BIN"))
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--access-key", &var("GGPLAN_TEST_S3_ACCESS_KEY")])
        .args(["--secret-key", &secret()])
        .arg(data)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return child;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    panic!("s3s-fs did not listen on {port}");
}

#[test]
fn the_store_going_away_mid_apply_is_a_clear_error_and_the_next_run_recovers() {
    let data = tempfile::TempDir::new().unwrap();
    let bucket = "gone";
    std::fs::create_dir(data.path().join(bucket)).unwrap();
    let port = 29000 + u16::try_from(std::process::id() % 500).unwrap() + 500;
    let endpoint = format!("http://127.0.0.1:{port}");
    let copy = Copy::new(
        &block_at(bucket, &endpoint),
        30,
        "0.1",
        credentials(),
        secret(),
    );
    let mut server = own_server(port, data.path());
    let (child, mut out) = copy.spawn(&["apply", "-auto-approve", "-parallelism=2"]);
    let completed = read_until(&mut out, "Creation complete", 4);
    server.kill().unwrap();
    server.wait().unwrap();
    let failed = finish(child, out);
    let text = failed.all();
    assert_eq!(failed.code, 1, "{text}");
    assert!(
        text.contains(&format!("cannot reach the S3 endpoint {endpoint}")),
        "{text}"
    );
    assert!(!text.contains(&secret()), "{text}");

    let mut server = own_server(port, data.path());
    // The lock of the failed run could not be removed either: its holder has ended.
    let refused = copy.run(&["plan"]);
    if refused.code != 0 {
        let id = refused
            .all()
            .lines()
            .find_map(|l| l.trim().strip_prefix("ID:").map(|s| s.trim().to_string()))
            .unwrap_or_else(|| panic!("{}", refused.all()));
        copy.run(&["force-unlock", &id]).expect(0);
    }
    let listed = copy.instances();
    for addr in &completed {
        assert!(listed.contains(addr), "{addr} was lost: {listed:?}");
    }
    let before = copy.completed_ids(&completed);
    copy.run(&["apply", "-auto-approve"]).expect(0);
    assert_eq!(copy.ids().len(), 30);
    assert_eq!(
        copy.completed_ids(&completed),
        before,
        "completed ones were made again"
    );
    server.kill().unwrap();
    server.wait().unwrap();
}

fn backend(bucket: &str) -> S3Backend {
    backend_at(bucket, &var("GGPLAN_TEST_S3_ENDPOINT"))
}

fn backend_at(bucket: &str, endpoint: &str) -> S3Backend {
    let block = S3BackendBlock {
        bucket: Some(bucket.into()),
        key: Some(KEY.into()),
        region: Some("us-east-1".into()),
        endpoint_s3: Some(endpoint.into()),
        use_path_style: Some(true),
        access_key: Some(var("GGPLAN_TEST_S3_ACCESS_KEY")),
        secret_key: Some(secret()),
        use_lockfile: Some(true),
        ..Default::default()
    };
    S3Backend::new(S3Settings::resolve(&block, |_| None).unwrap(), "default")
}

#[test]
fn a_stale_serial_is_never_written_over_a_newer_state() {
    let bucket = fresh_bucket("cas");
    let (a, b) = (backend(&bucket), backend(&bucket));
    let mut first = a.load().unwrap();
    a.persist(&mut first).unwrap();
    let mut ours = a.load().unwrap();
    let mut stale = b.load().unwrap();
    a.persist(&mut ours).unwrap();
    let err = b.persist(&mut stale).unwrap_err();
    assert!(
        matches!(
            err,
            StateError::SerialConflict {
                on_disk: 2,
                ours: 1,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(stale.serial, 1, "the failed write left the state as it was");
    assert_eq!(stored_state(&bucket)["serial"], 2);
    let foreign = b.persist(&mut ggplan::state::State::new()).unwrap_err();
    assert!(
        matches!(foreign, StateError::LineageMismatch { .. }),
        "{foreign}"
    );
    assert_eq!(stored_state(&bucket)["serial"], 2);
}

#[test]
fn a_writer_that_comes_between_the_read_and_the_write_is_never_overwritten() {
    let bucket = fresh_bucket("race");
    let faults = Faults::new();
    let server = var("GGPLAN_TEST_S3_ENDPOINT");
    let upstream = server.trim_start_matches("http://").parse().unwrap();
    let (fast, slow) = (
        backend(&bucket),
        backend_at(&bucket, &format!("http://{}", faults.front(upstream))),
    );
    let mut first = fast.load().unwrap();
    fast.persist(&mut first).unwrap();
    let (mut ours, mut theirs) = (fast.load().unwrap(), slow.load().unwrap());
    // The slow writer reads serial 1, checks it, and is held in its PUT while the fast one
    // writes serial 2: only the PUT's If-Match can refuse it then.
    faults.add(Rule::new(
        "PUT",
        KEY,
        1,
        Fault::Delay(Duration::from_millis(1500)),
    ));
    let writer = std::thread::spawn(move || slow.persist(&mut theirs).map(|()| theirs.serial));
    while faults.count("PUT", KEY).0 == 0 {
        std::thread::sleep(Duration::from_millis(10));
    }
    fast.persist(&mut ours).unwrap();
    let refused = writer.join().unwrap().unwrap_err();
    assert!(
        matches!(
            refused,
            StateError::SerialConflict {
                on_disk: 2,
                ours: 1,
                ..
            }
        ),
        "{refused}"
    );
    assert_eq!(stored_state(&bucket)["serial"], 2);
}

#[test]
fn a_terraform_state_in_the_bucket_is_refused_and_left_as_it_is() {
    let bucket = fresh_bucket("foreign");
    let copy = working_copy(&bucket, 1, "0");
    let terraform = r#"{"version": 4, "terraform_version": "1.15.5", "serial": 3, "lineage": "x"}"#;
    std::fs::create_dir_all(object(&bucket, KEY).parent().unwrap()).unwrap();
    std::fs::write(object(&bucket, KEY), terraform).unwrap();
    let refused = copy.run(&["apply", "-auto-approve"]).expect(1);
    assert!(
        refused.all().contains("is a Terraform state"),
        "{}",
        refused.all()
    );
    assert_eq!(
        std::fs::read_to_string(object(&bucket, KEY)).unwrap(),
        terraform
    );
}

#[test]
fn bad_settings_and_credentials_are_clear_errors_without_the_secret() {
    let bucket = fresh_bucket("bad");
    let wrong = Copy::new(
        &block(&bucket),
        1,
        "0",
        vec![
            ("AWS_ACCESS_KEY_ID".into(), var("GGPLAN_TEST_S3_ACCESS_KEY")),
            ("AWS_SECRET_ACCESS_KEY".into(), "not-the-secret-0417".into()),
        ],
        "not-the-secret-0417".into(),
    );
    let run = wrong.run(&["plan"]).expect(1);
    assert!(run.all().contains("SignatureDoesNotMatch"), "{}", run.all());

    // Without the lock's PUT: s3s-fs makes a bucket that a PUT names (Amazon S3 answers
    // NoSuchBucket to it too).
    let missing = working_copy("no-such-bucket-0417", 1, "0");
    let run = missing.run(&["plan", "-lock=false"]).expect(1);
    assert!(run.all().contains("NoSuchBucket"), "{}", run.all());
    assert!(
        run.all().contains("create the bucket first"),
        "{}",
        run.all()
    );

    let nowhere = Copy::new(
        &block_at(&bucket, "http://127.0.0.1:1"),
        1,
        "0",
        credentials(),
        secret(),
    );
    let run = nowhere.run(&["plan"]).expect(1);
    assert!(
        run.all()
            .contains("cannot reach the S3 endpoint http://127.0.0.1:1"),
        "{}",
        run.all()
    );
    assert!(!wrong.local_state_dir().exists());
}

#[test]
fn terraform_arguments_ggplan_does_not_implement_are_refused_by_name() {
    for (argument, expected) in [
        ("dynamodb_table = \"locks\"", "use_lockfile = true"),
        ("endpoint = \"http://x\"", "endpoints = { s3"),
        ("force_path_style = true", "write use_path_style"),
        (
            "assume_role_duration_seconds = 900",
            "\"assume_role_duration_seconds\" is not expected",
        ),
        (
            "endpoints = { sts = \"http://x\" }",
            "endpoints.sts is not supported",
        ),
    ] {
        let stack = binary::StackDir::new(&format!(
            "terraform {{\n  backend \"s3\" {{\n    bucket = \"b\"\n    key = \"k\"\n    {argument}\n  }}\n}}\n"
        ));
        let run: Run = stack.ggplan(&["plan"]).expect(1);
        assert!(run.all().contains(expected), "{argument}: {}", run.all());
        assert!(
            run.all().contains("main.tf line"),
            "{argument}: {}",
            run.all()
        );
    }
}

#[test]
fn encrypted_objects_hold_no_secret_and_a_wrong_key_changes_nothing() {
    const SECRET: &str = "s3-encrypted-minio-secret";
    let bucket = fresh_bucket("enc");
    let copy = working_copy(&bucket, 12, "0.1");
    let write = |passphrase: &str| {
        copy.write(&format!(
            "{}{}",
            block(&bucket),
            encryption_block(passphrase)
        ));
        let main = std::fs::read_to_string(copy.dir.path().join("main.tf")).unwrap();
        let main = main.replace(
            "input = count.index",
            &format!("input = \"{SECRET}-${{count.index}}\""),
        );
        std::fs::write(copy.dir.path().join("main.tf"), main).unwrap();
    };
    write("the right passphrase, long");
    let (mut child, mut out) = copy.spawn(&["apply", "-auto-approve", "-parallelism=2"]);
    let completed = read_until(&mut out, "Creation complete", 4);
    child.kill().unwrap();
    child.wait().unwrap();

    let dir = object(&bucket, &format!("{KEY}.ggplan-journal"));
    let journal: Vec<_> = std::fs::read_dir(dir).unwrap().collect();
    assert!(!journal.is_empty());
    for entry in journal {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(text.starts_with("{\"encryption_version\":\"v0\""), "{text}");
        assert!(!text.contains(SECRET), "{text}");
    }
    let lock = std::fs::read_to_string(object(&bucket, &format!("{KEY}.tflock"))).unwrap();
    let id: serde_json::Value = serde_json::from_str(&lock).unwrap();
    copy.run(&["force-unlock", id["ID"].as_str().unwrap()])
        .expect(0);
    let listed = copy.instances();
    for addr in &completed {
        assert!(listed.contains(addr), "{addr} was lost: {listed:?}");
    }
    copy.run(&["apply", "-auto-approve"]).expect(0);
    copy.run(&["plan", "-detailed-exitcode"]).expect(0);
    let stored = std::fs::read_to_string(object(&bucket, KEY)).unwrap();
    assert!(
        stored.contains("\"encrypted_data\"") && !stored.contains(SECRET),
        "{stored}"
    );

    // Another passphrase: a clear error, and the object is left as it was.
    write("a wrong passphrase, long");
    let wrong = copy.run(&["apply", "-auto-approve"]).expect(1);
    assert!(wrong.all().contains("another key"), "{}", wrong.all());
    assert!(!wrong.all().contains("passphrase, long"), "{}", wrong.all());
    assert_eq!(
        std::fs::read_to_string(object(&bucket, KEY)).unwrap(),
        stored
    );
}

#[test]
fn init_migrate_state_round_trips_local_pg_s3_local_with_a_clean_plan_after_each_step() {
    let conn_str = var("GGPLAN_TEST_PG_CONN_STR");
    let bucket = fresh_bucket("migrate");
    let schema = format!("t_{}", bucket.replace('-', "_"));
    let mut env = credentials();
    env.push(("PG_CONN_STR".into(), conn_str));
    let copy = Copy::new("", 3, "0", env, secret());
    copy.run(&["apply", "-auto-approve"]).expect(0);
    let ids = copy.ids();
    let pg = format!("  backend \"pg\" {{\n    schema_name = \"{schema}\"\n  }}\n");

    for (step, backend) in [("pg", pg.as_str()), ("s3", &block(&bucket))] {
        copy.write(backend);
        let moved = copy.run(&["init", "-migrate-state"]).expect(0);
        assert!(
            moved.stdout.contains("Copied the state"),
            "{step}: {}",
            moved.all()
        );
        copy.run(&["plan", "-detailed-exitcode"]).expect(0);
        assert_eq!(copy.ids(), ids, "{step}");
    }
    let stored = stored_state(&bucket);
    assert_eq!(stored["resources"].as_array().unwrap().len(), 3, "{stored}");

    // Back to the local file, which still holds the state of the first apply: replaced only
    // with -force-copy.
    copy.write("");
    let refused = copy.run(&["init", "-migrate-state"]).expect(1);
    assert!(
        refused.all().contains("holds 3 resource instance(s)"),
        "{}",
        refused.all()
    );
    copy.run(&["init", "-migrate-state", "-force-copy"])
        .expect(0);
    copy.run(&["plan", "-detailed-exitcode"]).expect(0);
    assert_eq!(copy.ids(), ids);
    let local = copy.local_state_dir().read_dir().unwrap().count();
    assert!(local > 0);
    let again = copy.run(&["init", "-migrate-state"]).expect(0);
    assert!(
        again.stdout.contains("nothing to migrate"),
        "{}",
        again.all()
    );
}

#[test]
fn each_workspace_is_an_object_under_the_workspace_key_prefix_as_terraform_names_it() {
    let bucket = fresh_bucket("workspaces");
    let copy = working_copy(&bucket, 2, "0");
    copy.run(&["apply", "-auto-approve"]).expect(0);
    let default_ids = copy.ids();
    copy.run(&["workspace", "new", "dev"]).expect(0);
    copy.run(&["apply", "-auto-approve"]).expect(0);
    assert_ne!(copy.ids(), default_ids, "dev has a state of its own");
    let dev_key = format!("env:/dev/{KEY}");
    let dev = std::fs::read_to_string(object(&bucket, &dev_key)).unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&dev).unwrap()["resources"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(stored_state(&bucket)["serial"], 1, "default is untouched");
    let listed = copy.run(&["workspace", "list"]).expect(0).stdout;
    assert_eq!(listed, "  default\n* dev\n\n", "{listed}");

    // Another working copy selects it by name; delete refuses a non-empty state without -force.
    let other = working_copy(&bucket, 2, "0");
    other.run(&["workspace", "select", "dev"]).expect(0);
    assert_eq!(other.instances().len(), 2);
    copy.run(&["workspace", "select", "default"]).expect(0);
    let refused = copy.run(&["workspace", "delete", "dev"]);
    assert_eq!(refused.code, 1, "{}", refused.all());
    assert!(object(&bucket, &dev_key).exists());
    copy.run(&["workspace", "delete", "-force", "dev"])
        .expect(0);
    assert!(!object(&bucket, &dev_key).exists());
    let listed = copy.run(&["workspace", "list"]).expect(0).stdout;
    assert_eq!(listed, "* default\n\n", "{listed}");
}
