//! `backend "pg"` against a real PostgreSQL (tests/support/postgres.sh; the connection string
//! is `GGPLAN_TEST_PG_CONN_STR`): apply, plan and destroy through it; two applies at once from
//! two working copies (one refused naming the holder, one waiting with `-lock-timeout`);
//! `kill -9` during an apply loses no completed change; a stale serial never replaces a newer
//! state; the database ending the session mid-apply is a clear error and the next run recovers;
//! a Terraform state in the table is refused and left as it is; each workspace is a row with its
//! own lock. The password of the connection string never appears in anything ggplan prints.
//!
//! Each test uses a schema of its own, so they run side by side on one server.

#[path = "support/binary.rs"]
mod binary;
#[path = "support/remote_stack.rs"]
mod remote_stack;

use binary::Run;
use ggplan::address::InstanceAddr;
use ggplan::config::PgBackendBlock;
use ggplan::state::{
    Backend, JournalEntry, PendingAction, PgBackend, PgSettings, PgWorkspaces, StateError,
    WorkspaceName,
};
use remote_stack::{Copy, encryption_block, finish, read_until};

/// The advisory lock class of a run's lock (`src/state/backend/pg`).
const RUN_LOCK_CLASS: u32 = 0x6767_0001;

fn conn_str() -> String {
    std::env::var("GGPLAN_TEST_PG_CONN_STR").unwrap_or_else(|_| {
        panic!(
            "GGPLAN_TEST_PG_CONN_STR is not set: this test needs the PostgreSQL of \
             tests/support/postgres.sh (start it, then eval \"$(tests/support/postgres.sh env)\")"
        )
    })
}

/// The password in the connection string, which no output may contain.
fn password() -> String {
    let conn = conn_str();
    let userinfo = conn.split('@').next().unwrap();
    let password = userinfo.rsplit(':').next().unwrap().to_string();
    assert!(password.len() >= 8, "the test server has a real password");
    password
}

/// A schema no other test uses.
fn fresh_schema(test: &str) -> String {
    format!("t_{test}_{}_{}", std::process::id(), rand_suffix())
}

fn rand_suffix() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
}

fn sql() -> postgres::Client {
    postgres::Client::connect(&conn_str(), postgres::NoTls).unwrap()
}

/// The `backend "pg"` block of `schema`.
fn block(schema: &str) -> String {
    format!("  backend \"pg\" {{\n    schema_name = \"{schema}\"\n  }}\n")
}

/// A working copy of a stack of `count` `terraform_data` instances whose provisioner sleeps
/// `sleep` seconds, with its state in `schema`; nothing it prints holds the password.
fn working_copy(schema: &str, count: usize, sleep: &'static str) -> Copy {
    let env = vec![("PG_CONN_STR".to_string(), conn_str())];
    Copy::new(&block(schema), count, sleep, env, password())
}

#[test]
fn apply_plan_and_destroy_keep_the_state_in_the_database() {
    let schema = fresh_schema("cycle");
    let copy = working_copy(&schema, 3, "0");
    let applied = copy.run(&["apply", "-auto-approve"]).expect(0);
    assert!(applied.stdout.contains("3 added"), "{}", applied.stdout);
    assert!(
        !copy.local_state_dir().exists(),
        "nothing is written locally"
    );
    let mut db = sql();
    let row = db
        .query_one(
            &format!("SELECT data, (SELECT count(*) FROM {schema}.ggplan_journal) FROM {schema}.states WHERE name = 'default'"),
            &[],
        )
        .unwrap();
    let (data, journal): (String, i64) = (row.get(0), row.get(1));
    let state: serde_json::Value = serde_json::from_str(&data).unwrap();
    assert_eq!(state["resources"].as_array().unwrap().len(), 3);
    assert_eq!(state["serial"], 1);
    assert_eq!(journal, 0, "the persist folded the journal in");

    let plan = copy.run(&["plan", "-detailed-exitcode"]).expect(0);
    assert!(
        plan.stdout.contains("no changes are needed"),
        "{}",
        plan.stdout
    );
    assert_eq!(copy.instances().len(), 3);
    let second = working_copy(&schema, 3, "0");
    assert_eq!(second.instances().len(), 3, "another working copy sees it");

    copy.run(&["destroy", "-auto-approve"]).expect(0);
    assert!(copy.instances().is_empty());
    copy.run(&["plan", "-detailed-exitcode"]).expect(2);
}

#[test]
fn a_second_apply_is_refused_naming_the_holder_or_waits_with_lock_timeout() {
    let schema = fresh_schema("lock");
    let (first, second, third) = (
        working_copy(&schema, 8, "0.3"),
        working_copy(&schema, 8, "0.3"),
        working_copy(&schema, 8, "0.3"),
    );
    let (child, mut out) = first.spawn(&["apply", "-auto-approve", "-parallelism=2"]);
    let holder = child.id();
    read_until(&mut out, "Creating...", 1);

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
fn kill_9_during_an_apply_loses_no_completed_change() {
    let schema = fresh_schema("kill");
    let copy = working_copy(&schema, 40, "0.1");
    let (mut child, mut out) = copy.spawn(&["apply", "-auto-approve", "-parallelism=2"]);
    let completed = read_until(&mut out, "Creation complete", 6);
    child.kill().unwrap();
    child.wait().unwrap();

    // The killed run's session ended with it: its lock is gone, and its journal replays.
    let listed = copy.instances();
    for addr in &completed {
        assert!(listed.contains(addr), "{addr} was lost: {listed:?}");
    }
    // The killed run never saved the state: what it completed is only in the journal rows.
    let mut db = sql();
    let saved = db
        .query(&format!("SELECT 1 FROM {schema}.states"), &[])
        .unwrap();
    let journal: i64 = db
        .query_one(
            &format!("SELECT count(*) FROM {schema}.ggplan_journal"),
            &[],
        )
        .unwrap()
        .get(0);
    assert!(
        saved.is_empty() && journal > 0,
        "{} rows, {journal} journal rows",
        saved.len()
    );

    let before = copy.completed_ids(&completed);
    copy.run(&["apply", "-auto-approve"]).expect(0);
    assert_eq!(copy.ids().len(), 40);
    assert_eq!(
        copy.completed_ids(&completed),
        before,
        "completed ones were made again"
    );
    copy.run(&["plan", "-detailed-exitcode"]).expect(0);
}

#[test]
fn the_database_ending_the_session_mid_apply_is_a_clear_error_and_the_next_run_recovers() {
    let schema = fresh_schema("gone");
    let copy = working_copy(&schema, 30, "0.1");
    let (child, mut out) = copy.spawn(&["apply", "-auto-approve", "-parallelism=2"]);
    let completed = read_until(&mut out, "Creation complete", 4);
    // As a server restart or failover does: the server ends the session holding the lock.
    let ended = sql()
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' \
             AND granted AND classid = $1::bigint::oid \
             AND objid = (hashtext($2)::bigint & 4294967295)::oid",
            &[&i64::from(RUN_LOCK_CLASS), &format!("{schema}/default")],
        )
        .unwrap();
    assert_eq!(ended.len(), 1, "the run's session holds the lock");
    let failed = finish(child, out);
    let text = failed.all();
    assert_eq!(failed.code, 1, "{text}");
    assert!(text.contains("connection to PostgreSQL was lost"), "{text}");
    assert!(text.contains("Cannot save the state"), "{text}");
    assert!(!text.contains(&password()), "{text}");

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
}

#[test]
fn init_migrate_state_moves_a_local_state_into_pg_and_refuses_to_replace_one_without_force_copy() {
    let schema = fresh_schema("migrate");
    let (first, local_ids) = applied_locally(&schema, 3);
    let moved = first.run(&["init", "-migrate-state"]).expect(0);
    assert!(
        moved.stdout.contains("Copied the state"),
        "{}",
        moved.stdout
    );
    first.run(&["plan", "-detailed-exitcode"]).expect(0);
    assert_eq!(first.ids(), local_ids);

    // A second stack's local state is not copied over the one in the database...
    let (second, second_ids) = applied_locally(&schema, 2);
    let refused = second.run(&["init", "-migrate-state"]).expect(1);
    assert!(
        refused.all().contains("holds 3 resource instance(s)"),
        "{}",
        refused.all()
    );
    assert_eq!(first.ids(), local_ids, "nothing changed");
    // ...unless asked to.
    second
        .run(&["init", "-migrate-state", "-force-copy"])
        .expect(0);
    second.run(&["plan", "-detailed-exitcode"]).expect(0);
    assert_eq!(second.ids(), second_ids);

    // Out of the database again: state pull, then push into the local file.
    let pulled = second.run(&["state", "pull"]).expect(0).stdout;
    let file = second.dir.path().join("pulled.json");
    std::fs::write(&file, pulled).unwrap();
    std::fs::remove_dir_all(second.local_state_dir()).unwrap();
    second.write("");
    second
        .run(&["state", "push", file.to_str().unwrap()])
        .expect(0);
    second.run(&["plan", "-detailed-exitcode"]).expect(0);
    assert_eq!(second.ids(), second_ids);
    // The last migration put the state in pg: -migrate-state now copies it back from there,
    // and the local file pushed above is not replaced without -force-copy.
    let refused = second.run(&["init", "-migrate-state"]).expect(1);
    assert!(
        refused.all().contains("holds 2 resource instance(s)"),
        "{}",
        refused.all()
    );
}

/// The names of the rows of `schema.states`.
fn workspace_rows(schema: &str) -> Vec<String> {
    sql()
        .query(
            &format!("SELECT name FROM {schema}.states ORDER BY name"),
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[test]
fn each_workspace_is_a_row_with_its_own_lock_and_local_workspaces_migrate_into_their_rows() {
    let schema = fresh_schema("workspaces");
    let copy = working_copy(&schema, 2, "0");
    copy.write("");
    copy.run(&["apply", "-auto-approve"]).expect(0);
    let default_ids = copy.ids();
    copy.run(&["workspace", "new", "dev"]).expect(0);
    copy.run(&["apply", "-auto-approve"]).expect(0);
    let dev_ids = copy.ids();
    assert_ne!(default_ids, dev_ids);

    // init -migrate-state moves each local workspace into its own row.
    copy.write(&block(&schema));
    copy.run(&["init", "-migrate-state"]).expect(0);
    assert_eq!(workspace_rows(&schema), ["default", "dev"]);
    assert_eq!(copy.ids(), dev_ids);
    copy.run(&["plan", "-detailed-exitcode"]).expect(0);
    let list = copy.run(&["workspace", "list"]).expect(0);
    assert_eq!(list.stdout, "  default\n* dev\n\n");
    let in_default = |args: &[&str]| {
        let run = Run::of(
            copy.command(args)
                .env("TF_WORKSPACE", "default")
                .output()
                .unwrap(),
        );
        assert!(!run.all().contains(&password()), "{}", run.all());
        run
    };
    in_default(&["plan", "-detailed-exitcode"]).expect(0);

    // Each workspace has its own lock: default's held does not stop dev.
    let held = backend(&schema);
    let lock = Backend::lock(&held, "apply").unwrap();
    copy.run(&["plan", "-detailed-exitcode"]).expect(0);
    let locked = in_default(&["plan"]).expect(1);
    assert!(
        locked.stderr.contains("is locked by another ggplan run"),
        "{}",
        locked.stderr
    );
    drop(lock);
    in_default(&["plan", "-detailed-exitcode"]).expect(0);

    // Deleting removes the row (only with -force while it tracks objects); new adds one.
    copy.run(&["workspace", "select", "default"]).expect(0);
    let refused = copy.run(&["workspace", "delete", "dev"]).expect(1);
    assert!(
        refused.stderr.contains("currently tracking"),
        "{}",
        refused.stderr
    );
    assert_eq!(workspace_rows(&schema), ["default", "dev"]);
    copy.run(&["workspace", "delete", "-force", "dev"])
        .expect(0);
    copy.run(&["workspace", "new", "qa"]).expect(0);
    assert_eq!(workspace_rows(&schema), ["default", "qa"]);
    assert!(copy.ids().is_empty());
    copy.run(&["workspace", "select", "default"]).expect(0);
    assert_eq!(copy.ids(), default_ids);
}

#[test]
fn a_workspaces_journal_rows_are_its_own() {
    let schema = fresh_schema("ws_journal");
    let block = PgBackendBlock {
        conn_str: Some(conn_str()),
        schema_name: Some(schema.clone()),
        ..Default::default()
    };
    let workspaces = PgWorkspaces::new(PgSettings::resolve(&block, |_| None).unwrap());
    let dev = workspaces.backend(&WorkspaceName::parse("dev").unwrap());
    let default = workspaces.backend(&WorkspaceName::default());
    let addr = InstanceAddr::parse("terraform_data.a").unwrap();
    let begun = JournalEntry::Begin {
        addr: addr.clone(),
        action: PendingAction::Create,
    };
    dev.journal().unwrap().append(&[begun]).unwrap();
    assert!(dev.load().unwrap().pending.contains_key(&addr));
    assert!(default.load().unwrap().pending.is_empty());
    let journal_rows = || -> Vec<String> {
        sql()
            .query(&format!("SELECT name FROM {schema}.ggplan_journal"), &[])
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    };
    // Saving default folds in none of dev's rows; saving dev folds in its own.
    default.persist(&mut default.load().unwrap()).unwrap();
    assert_eq!(journal_rows(), ["dev"]);
    let mut state = dev.load().unwrap();
    dev.persist(&mut state).unwrap();
    assert!(journal_rows().is_empty());
    assert!(dev.load().unwrap().pending.contains_key(&addr));
    assert_eq!(workspace_rows(&schema), ["default", "dev"]);
}

/// A working copy applied with its state in the local file, then given the pg block; the ids
/// it applied.
fn applied_locally(schema: &str, count: usize) -> (Copy, Vec<(String, String)>) {
    let copy = working_copy(schema, count, "0");
    copy.write("");
    copy.run(&["apply", "-auto-approve"]).expect(0);
    let ids = copy.ids();
    copy.write(&block(schema));
    (copy, ids)
}

fn backend(schema: &str) -> PgBackend {
    let block = PgBackendBlock {
        conn_str: Some(conn_str()),
        schema_name: Some(schema.to_string()),
        ..Default::default()
    };
    PgBackend::new(PgSettings::resolve(&block, |_| None).unwrap())
}

fn stored_serial(schema: &str) -> i64 {
    let data: String = sql()
        .query_one(
            &format!("SELECT data FROM {schema}.states WHERE name = 'default'"),
            &[],
        )
        .unwrap()
        .get(0);
    serde_json::from_str::<serde_json::Value>(&data).unwrap()["serial"]
        .as_i64()
        .unwrap()
}

#[test]
fn a_stale_serial_is_never_written_over_a_newer_state() {
    let schema = fresh_schema("cas");
    let (a, b) = (backend(&schema), backend(&schema));
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
    assert_eq!(stored_serial(&schema), 2);
    let foreign = b.persist(&mut ggplan::state::State::new()).unwrap_err();
    assert!(
        matches!(foreign, StateError::LineageMismatch { .. }),
        "{foreign}"
    );

    // Writers racing from one serial, each on its own connection: exactly one wins.
    let base = a.load().unwrap();
    let writers: Vec<_> = (0..4)
        .map(|_| {
            let (backend, mut state) = (backend(&schema), base.clone());
            std::thread::spawn(move || backend.persist(&mut state).is_ok())
        })
        .collect();
    let won = writers
        .into_iter()
        .filter_map(|w| w.join().unwrap().then_some(()))
        .count();
    assert_eq!(won, 1);
    assert_eq!(stored_serial(&schema), 3);
}

#[test]
fn a_terraform_state_in_the_table_is_refused_and_left_as_it_is() {
    let schema = fresh_schema("foreign");
    let copy = working_copy(&schema, 1, "0");
    copy.run(&["plan"]).expect(0);
    let terraform = r#"{"version": 4, "terraform_version": "1.15.5", "serial": 3, "lineage": "x"}"#;
    let mut db = sql();
    db.execute(
        &format!("INSERT INTO {schema}.states (name, data) VALUES ('default', $1)"),
        &[&terraform],
    )
    .unwrap();
    let refused = copy.run(&["apply", "-auto-approve"]).expect(1);
    assert!(
        refused.all().contains("is a Terraform state"),
        "{}",
        refused.all()
    );
    let data: String = db
        .query_one(&format!("SELECT data FROM {schema}.states"), &[])
        .unwrap()
        .get(0);
    assert_eq!(data, terraform);
}

#[test]
fn bad_connection_settings_are_clear_errors_without_the_password() {
    let schema = fresh_schema("bad");
    let copy = working_copy(&schema, 1, "0");
    let wrong = conn_str().replace(&password(), "not-the-password-0417");
    let run = Run::of(
        copy.command(&["plan"])
            .env("PG_CONN_STR", &wrong)
            .output()
            .unwrap(),
    );
    let text = run.all();
    assert_eq!(run.code, 1, "{text}");
    assert!(text.contains("password authentication failed"), "{text}");
    assert!(!text.contains("not-the-password-0417"), "{text}");

    let nowhere = "postgres://postgres:secret-0417@127.0.0.1:1/postgres?sslmode=disable";
    let run = Run::of(
        copy.command(&["plan"])
            .env("PG_CONN_STR", nowhere)
            .output()
            .unwrap(),
    );
    let text = run.all();
    assert!(
        text.contains("Connection refused") && text.contains("conn_str"),
        "{text}"
    );
    assert!(!text.contains("secret-0417"), "{text}");

    let run = Run::of(
        copy.command(&["plan"])
            .env_remove("PG_CONN_STR")
            .output()
            .unwrap(),
    );
    assert!(run.all().contains("PG_CONN_STR"), "{}", run.all());
    assert!(!copy.local_state_dir().exists());
}

#[test]
fn encrypted_state_rows_and_journal_rows_hold_no_secret_and_a_wrong_key_changes_nothing() {
    const SECRET: &str = "pg-encrypted-minio-secret";
    let schema = fresh_schema("enc");
    let copy = working_copy(&schema, 12, "0.1");
    let write = |passphrase: &str| {
        let main = std::fs::read_to_string(copy.dir.path().join("main.tf")).unwrap();
        let main = main
            .replace(
                "input = count.index",
                &format!("input = \"{SECRET}-${{count.index}}\""),
            )
            .replace(
                "terraform {\n",
                &format!("terraform {{\n{}", encryption_block(passphrase)),
            );
        std::fs::write(copy.dir.path().join("main.tf"), main).unwrap();
    };
    write("the right passphrase, long");
    let (mut child, mut out) = copy.spawn(&["apply", "-auto-approve", "-parallelism=2"]);
    let completed = read_until(&mut out, "Creation complete", 4);
    child.kill().unwrap();
    child.wait().unwrap();

    let mut db = sql();
    let rows = db
        .query(&format!("SELECT entries FROM {schema}.ggplan_journal"), &[])
        .unwrap();
    assert!(!rows.is_empty());
    for row in &rows {
        let entries: String = row.get(0);
        assert!(
            entries.starts_with("{\"encryption_version\":\"v0\""),
            "{entries}"
        );
        assert!(!entries.contains(SECRET), "{entries}");
    }
    let listed = copy.instances();
    for addr in &completed {
        assert!(listed.contains(addr), "{addr} was lost: {listed:?}");
    }
    copy.run(&["apply", "-auto-approve"]).expect(0);
    copy.run(&["plan", "-detailed-exitcode"]).expect(0);
    let data = |db: &mut postgres::Client| -> String {
        db.query_one(&format!("SELECT data FROM {schema}.states"), &[])
            .unwrap()
            .get(0)
    };
    let stored = data(&mut db);
    assert!(
        stored.contains("\"encrypted_data\"") && !stored.contains(SECRET),
        "{stored}"
    );

    // Another passphrase: a clear error, and the row is left as it was.
    std::fs::write(copy.dir.path().join("main.tf"), "").unwrap();
    copy.write(&block(&schema));
    write("a wrong passphrase, long");
    let wrong = copy.run(&["apply", "-auto-approve"]).expect(1);
    assert!(wrong.all().contains("another key"), "{}", wrong.all());
    assert!(!wrong.all().contains("passphrase, long"), "{}", wrong.all());
    assert_eq!(data(&mut db), stored);
}
