//! `backend "pg"` over TLS, against the real PostgreSQL of tests/support/postgres.sh, which
//! serves TLS with a certificate for localhost and 127.0.0.1 from a CA it makes
//! (`GGPLAN_TEST_PG_TLS_CA`) and lets the role `tls_only` (`GGPLAN_TEST_PG_TLS_CONN_STR`) log in
//! only over TLS: a run that connects as it has used TLS.
//!
//! As Terraform's pg backend (lib/pq): `sslmode` defaults to `require`, `verify-full` checks
//! the chain and the host name, `verify-ca` the chain only, `disable` sends in the clear.

#[path = "support/binary.rs"]
mod binary;

use binary::{BIN, Run};
use std::process::Command;

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: this test needs the PostgreSQL of tests/support/postgres.sh \
             (start it, then eval \"$(tests/support/postgres.sh env)\")"
        )
    })
}

/// The TLS-only role's connection string, with `query` added.
fn conn_str(query: &str) -> String {
    let base = var("GGPLAN_TEST_PG_TLS_CONN_STR");
    match query {
        "" => base,
        query => format!("{base}?{query}"),
    }
}

fn ca() -> String {
    var("GGPLAN_TEST_PG_TLS_CA")
}

fn password() -> String {
    let conn = var("GGPLAN_TEST_PG_TLS_CONN_STR");
    let userinfo = conn.split('@').next().unwrap();
    userinfo.rsplit(':').next().unwrap().to_string()
}

/// A stack of one `terraform_data` whose state is in a schema of its own.
struct Stack {
    dir: tempfile::TempDir,
}

impl Stack {
    fn new(test: &str) -> Stack {
        let dir = tempfile::TempDir::new().unwrap();
        let schema = format!("tls_{test}_{}", std::process::id());
        let main = format!(
            "terraform {{\n  backend \"pg\" {{\n    schema_name = \"{schema}\"\n  }}\n}}\n\n\
             resource \"terraform_data\" \"a\" {{\n  input = \"over TLS\"\n}}\n"
        );
        std::fs::write(dir.path().join("main.tf"), main).unwrap();
        Stack { dir }
    }

    /// Runs ggplan with `conn_str`; nothing it prints holds the password.
    fn run(&self, conn_str: &str, args: &[&str]) -> Run {
        let output = Command::new(BIN)
            .args(args)
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .env("PG_CONN_STR", conn_str)
            .env_remove("PGSSLMODE")
            .env_remove("PGSSLROOTCERT")
            .output()
            .unwrap();
        let run = Run::of(output);
        assert!(!run.all().contains(&password()), "{}", run.all());
        run
    }
}

#[test]
fn tls_is_used_by_default_as_terraforms_pg_backend_does() {
    let stack = Stack::new("default");
    let applied = stack
        .run(&conn_str(""), &["apply", "-auto-approve"])
        .expect(0);
    assert!(applied.stdout.contains("1 added"), "{}", applied.stdout);
    let plan = stack.run(&conn_str(""), &["plan", "-detailed-exitcode"]);
    plan.expect(0);

    // The server refuses this role without TLS: the run above did use it.
    let clear = stack.run(&conn_str("sslmode=disable"), &["plan"]);
    assert_eq!(clear.code, 1, "{}", clear.all());
    assert!(clear.all().contains("no encryption"), "{}", clear.all());
}

#[test]
fn verify_full_checks_the_chain_and_the_host_name() {
    let stack = Stack::new("full");
    let trusted = conn_str(&format!("sslmode=verify-full&sslrootcert={}", ca()));
    stack.run(&trusted, &["apply", "-auto-approve"]).expect(0);
    let by_address = trusted.replace("@localhost:", "@127.0.0.1:");
    stack
        .run(&by_address, &["plan", "-detailed-exitcode"])
        .expect(0);

    // The system's roots do not know the test CA.
    let untrusted = stack.run(&conn_str("sslmode=verify-full"), &["plan"]);
    assert_eq!(untrusted.code, 1, "{}", untrusted.all());
    assert!(
        untrusted.all().contains("UnknownIssuer"),
        "{}",
        untrusted.all()
    );

    // Reaching the server at its address under a name its certificate does not have.
    let other_name = format!("hostaddr=127.0.0.1&sslrootcert={}", ca());
    let other_name = conn_str(&other_name).replace("@localhost:", "@db.example.test:");
    let mismatch = stack.run(&format!("{other_name}&sslmode=verify-full"), &["plan"]);
    assert_eq!(mismatch.code, 1, "{}", mismatch.all());
    assert!(
        mismatch
            .all()
            .contains("certificate not valid for name \"db.example.test\""),
        "{}",
        mismatch.all()
    );
    stack
        .run(
            &format!("{other_name}&sslmode=verify-ca"),
            &["plan", "-detailed-exitcode"],
        )
        .expect(0);
}

#[test]
fn unreadable_certificate_files_are_named_before_connecting() {
    let stack = Stack::new("files");
    let run = stack.run(
        &conn_str("sslmode=verify-ca&sslrootcert=/nonexistent/root.crt"),
        &["plan"],
    );
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.all().contains("/nonexistent/root.crt"), "{}", run.all());
}
