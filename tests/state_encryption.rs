//! State and plan encryption at rest (OpenTofu's `terraform { encryption { ... } }`), local
//! backend: an encrypted state, its backup and a saved plan hold no secret in clear and plan
//! clean with the key; a wrong or missing key is a clear error that changes nothing; a plain
//! state is encrypted only through `method "unencrypted"` as fallback (migrating in) and
//! decrypted only with it as method (migrating out); rotation reads with the old key as
//! fallback, writes with the new one, and then reads without the fallback.

#[path = "support/binary.rs"]
mod binary;

use binary::{BIN, Run};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The secret the stack keeps in its state (as the GourmetGram stack keeps the MinIO password).
const SECRET: &str = "minio-secret-0451";
const OLD_KEY: &str = "old passphrase of sixteen+";
const NEW_KEY: &str = "new passphrase of sixteen+";

/// The stack with an `encryption` block: `providers` are `(name, passphrase expression)`,
/// each with an aes_gcm method of the same name; `state` and `plan` are the target blocks'
/// contents (None: no block).
fn stack(providers: &[(&str, &str)], state: Option<&str>, plan: Option<&str>) -> String {
    let mut encryption = String::new();
    for (name, passphrase) in providers {
        encryption += &format!(
            "    key_provider \"pbkdf2\" \"{name}\" {{\n      passphrase = {passphrase}\n      \
             iterations = 200000\n    }}\n    method \"aes_gcm\" \"{name}\" {{\n      \
             keys = key_provider.pbkdf2.{name}\n    }}\n"
        );
    }
    encryption += "    method \"unencrypted\" \"migrate\" {}\n";
    for (target, body) in [("state", state), ("plan", plan)] {
        if let Some(body) = body {
            encryption += &format!("    {target} {{\n      {body}\n    }}\n");
        }
    }
    format!(
        r#"terraform {{
  encryption {{
{encryption}  }}
}}

variable "state_key" {{
  type      = string
  sensitive = true
  default   = null
}}
variable "generation" {{
  default = "1"
}}

resource "terraform_data" "minio" {{
  input = "{SECRET}-${{var.generation}}"
}}
"#
    )
}

/// A stack directory with no encryption at first.
struct Work {
    dir: tempfile::TempDir,
}

impl Work {
    fn new() -> Work {
        let work = Work {
            dir: tempfile::tempdir().unwrap(),
        };
        work.write(&stack(&[], None, None).replace(
            "  encryption {\n    method \"unencrypted\" \"migrate\" {}\n  }\n",
            "",
        ));
        work
    }

    fn write(&self, main_tf: &str) {
        std::fs::write(self.dir.path().join("main.tf"), main_tf).unwrap();
    }

    fn state_path(&self) -> PathBuf {
        let name = self.dir.path().file_name().unwrap().to_str().unwrap();
        self.dir.path().join(format!("state/{name}.json"))
    }

    fn state_bytes(&self) -> String {
        std::fs::read_to_string(self.state_path()).unwrap()
    }

    fn backup_bytes(&self) -> String {
        let mut path = self.state_path().into_os_string();
        path.push(".backup");
        std::fs::read_to_string(path).unwrap()
    }

    /// `ggplan ARGS` in the stack directory, `TF_VAR_state_key` set to `key` if any.
    fn ggplan(&self, args: &[&str], key: Option<&str>) -> Run {
        let mut command = Command::new(BIN);
        command
            .args(args)
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .env_remove("TF_VAR_state_key")
            .env_remove("TF_ENCRYPTION");
        if let Some(key) = key {
            command.env("TF_VAR_state_key", key);
        }
        Run::of(command.output().unwrap())
    }

    fn apply(&self, generation: &str, key: Option<&str>) -> Run {
        let var = format!("-var=generation={generation}");
        self.ggplan(&["apply", "-auto-approve", &var], key)
    }

    fn plan(&self, generation: &str, key: Option<&str>) -> Run {
        let var = format!("-var=generation={generation}");
        self.ggplan(&["plan", "-detailed-exitcode", &var], key)
    }
}

fn assert_sealed(text: &str, what: &str) {
    assert!(
        text.contains("\"encryption_version\":\"v0\""),
        "{what}: {text}"
    );
    for clear in [SECRET, OLD_KEY, NEW_KEY, "terraform_data"] {
        assert!(
            !text.contains(clear),
            "{what} holds {clear:?} in clear: {text}"
        );
    }
}

fn no_secret_printed(run: &Run) {
    let all = run.all();
    assert!(!all.contains(OLD_KEY) && !all.contains(NEW_KEY), "{all}");
}

const ENCRYPTED_OLD: &str = "method = method.aes_gcm.old";

#[test]
fn an_encrypted_state_holds_no_secret_and_plans_clean_only_with_its_key() {
    let work = Work::new();
    work.write(&stack(
        &[("old", "var.state_key")],
        Some(ENCRYPTED_OLD),
        None,
    ));
    work.apply("1", Some(OLD_KEY)).expect(0);
    assert_sealed(&work.state_bytes(), "the state");
    work.apply("2", Some(OLD_KEY)).expect(0);
    assert_sealed(&work.state_bytes(), "the state");
    assert_sealed(&work.backup_bytes(), "the backup");
    work.plan("2", Some(OLD_KEY)).expect(0);
    let show = work.ggplan(&["state", "show", "terraform_data.minio"], Some(OLD_KEY));
    assert!(show.expect(0).stdout.contains(&format!("{SECRET}-2")));

    let before = work.state_bytes();
    let wrong = work.plan("3", Some(NEW_KEY)).expect(1);
    let all = wrong.all();
    assert!(
        all.contains("is encrypted with another key than method.aes_gcm.old")
            && all.contains("Nothing was changed"),
        "{all}"
    );
    no_secret_printed(&wrong);
    let wrong_apply = work.apply("3", Some(NEW_KEY)).expect(1);
    no_secret_printed(&wrong_apply);
    let missing = work.plan("3", None).expect(1);
    assert!(
        missing.all().contains("var.state_key, which has no value"),
        "{}",
        missing.all()
    );

    // Without the encryption block the state is refused, never replaced by a plain one.
    work.write(&stack(&[], None, None));
    let unconfigured = work.apply("3", None).expect(1);
    assert!(
        unconfigured
            .all()
            .contains("is encrypted and the configuration has no method"),
        "{}",
        unconfigured.all()
    );
    assert_eq!(work.state_bytes(), before);
}

#[test]
fn a_plain_state_is_encrypted_only_through_the_unencrypted_fallback_and_decrypted_back() {
    let work = Work::new();
    work.apply("1", None).expect(0);
    let plain = work.state_bytes();
    assert!(plain.contains(SECRET));

    work.write(&stack(
        &[("old", "var.state_key")],
        Some(ENCRYPTED_OLD),
        None,
    ));
    let refused = work.plan("2", Some(OLD_KEY)).expect(1);
    assert!(
        refused.all().contains("it is not encrypted"),
        "{}",
        refused.all()
    );
    assert!(
        refused.all().contains("method.unencrypted.migrate"),
        "{}",
        refused.all()
    );
    assert_eq!(work.state_bytes(), plain);

    let migrate_in =
        format!("{ENCRYPTED_OLD}\n      fallback {{ method = method.unencrypted.migrate }}");
    work.write(&stack(&[("old", "var.state_key")], Some(&migrate_in), None));
    work.apply("2", Some(OLD_KEY)).expect(0);
    assert_sealed(&work.state_bytes(), "the migrated state");
    // The backup of the plain state is sealed too.
    assert_sealed(&work.backup_bytes(), "the backup of the plain state");

    work.write(&stack(
        &[("old", "var.state_key")],
        Some(ENCRYPTED_OLD),
        None,
    ));
    work.plan("2", Some(OLD_KEY)).expect(0);

    let enforced = "method = method.unencrypted.migrate\n      enforced = true";
    work.write(&stack(&[("old", "var.state_key")], Some(enforced), None));
    let refused = work.plan("2", Some(OLD_KEY)).expect(1);
    assert!(
        refused.all().contains("enforced = true"),
        "{}",
        refused.all()
    );

    let migrate_out =
        "method = method.unencrypted.migrate\n      fallback { method = method.aes_gcm.old }";
    work.write(&stack(&[("old", "var.state_key")], Some(migrate_out), None));
    work.apply("3", Some(OLD_KEY)).expect(0);
    assert!(work.state_bytes().contains(&format!("{SECRET}-3")));
    work.write(&stack(&[], None, None));
    work.plan("3", None).expect(0);
}

#[test]
fn rotation_reads_with_the_old_key_writes_with_the_new_and_then_needs_only_the_new() {
    let work = Work::new();
    let old = format!("\"{OLD_KEY}\"");
    let new = "var.state_key";
    work.write(&stack(&[("old", &old)], Some(ENCRYPTED_OLD), None));
    work.apply("1", None).expect(0);
    let sealed_old = work.state_bytes();
    assert!(
        sealed_old.contains("key_provider.pbkdf2.old"),
        "{sealed_old}"
    );

    let rotating = "method = method.aes_gcm.new\n      fallback { method = method.aes_gcm.old }";
    work.write(&stack(&[("old", &old), ("new", new)], Some(rotating), None));
    work.plan("1", Some(NEW_KEY)).expect(0);
    work.apply("2", Some(NEW_KEY)).expect(0);
    let sealed_new = work.state_bytes();
    assert_sealed(&sealed_new, "the rotated state");
    assert!(
        sealed_new.contains("key_provider.pbkdf2.new") && !sealed_new.contains("pbkdf2.old"),
        "{sealed_new}"
    );

    work.write(&stack(
        &[("new", new)],
        Some("method = method.aes_gcm.new"),
        None,
    ));
    work.plan("2", Some(NEW_KEY)).expect(0);
    let without_old = work.plan("2", Some(OLD_KEY)).expect(1);
    assert!(
        without_old.all().contains("another key"),
        "{}",
        without_old.all()
    );
}

#[test]
fn a_saved_plan_is_encrypted_and_applies_with_its_key() {
    let work = Work::new();
    let plan_target = "method = method.aes_gcm.old";
    work.write(&stack(
        &[("old", "var.state_key")],
        Some(ENCRYPTED_OLD),
        Some(plan_target),
    ));
    let out = work.dir.path().join("reviewed.plan");
    let out_arg = format!("-out={}", out.display());
    work.ggplan(&["plan", "-var=generation=7", &out_arg], Some(OLD_KEY))
        .expect(0);
    let saved = std::fs::read_to_string(&out).unwrap();
    assert_sealed(&saved, "the saved plan");

    let path = out.to_str().unwrap();
    let wrong = work.ggplan(&["apply", path], Some(NEW_KEY)).expect(1);
    assert!(wrong.all().contains("another key"), "{}", wrong.all());
    assert!(
        !Path::new(&work.state_path()).exists(),
        "a refused plan wrote a state"
    );
    work.ggplan(&["apply", path], Some(OLD_KEY)).expect(0);
    assert_sealed(&work.state_bytes(), "the state");
    work.plan("7", Some(OLD_KEY)).expect(0);
}

#[test]
fn unsupported_encryption_settings_are_refused_by_name() {
    let work = Work::new();
    let gcp = stack(&[("old", "var.state_key")], Some(ENCRYPTED_OLD), None).replace(
        "key_provider \"pbkdf2\" \"old\"",
        "key_provider \"gcp_kms\" \"old\"",
    );
    work.write(&gcp);
    let run = work.plan("1", Some(OLD_KEY)).expect(1);
    assert!(
        run.all().contains("not \"gcp_kms\"") && run.all().contains("main.tf"),
        "{}",
        run.all()
    );

    work.write(&stack(&[("old", "local.key")], Some(ENCRYPTED_OLD), None));
    let run = work.plan("1", Some(OLD_KEY)).expect(1);
    assert!(
        run.all().contains("Unsupported passphrase expression"),
        "{}",
        run.all()
    );

    work.write(&stack(&[("old", "\"short\"")], Some(ENCRYPTED_OLD), None));
    let run = work.plan("1", None).expect(1);
    assert!(
        run.all().contains("shorter than 16 characters"),
        "{}",
        run.all()
    );
    assert!(!run.all().contains("\"short\""), "{}", run.all());

    work.write(&stack(
        &[("old", "var.state_key")],
        Some(ENCRYPTED_OLD),
        None,
    ));
    let run = Run::of(
        Command::new(BIN)
            .args(["plan"])
            .current_dir(work.dir.path())
            .env("TF_ENCRYPTION", "key_provider \"pbkdf2\" \"x\" {}")
            .env("TF_VAR_state_key", OLD_KEY)
            .output()
            .unwrap(),
    )
    .expect(1);
    assert!(run.all().contains("TF_ENCRYPTION"), "{}", run.all());
    assert!(!work.state_path().exists());
}
