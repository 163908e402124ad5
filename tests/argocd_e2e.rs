//! The `ggplan` binary with the argocd provider against the real control plane of
//! `tests/support/kubernetes.sh` (kube-apiserver v1.20.2 on loopback), with Argo CD's
//! Application and AppProject CRDs installed from `tests/fixtures/argocd/crds.yaml`.
//!
//! Argo CD's controller cannot run here (no kubelet, no images). So the objects ggplan writes
//! are compared with what Argo CD documents (the declarative-setup YAML of the seed's
//! `argocd app create`, converted by kubectl, in `tests/fixtures/argocd/`), and where ggplan
//! waits for the controller, **the test plays Argo CD's controller**: a thread patches the
//! Application's status, clears its `operation` or removes its finalizer with kubectl while
//! ggplan waits, as Argo CD's controller does (its CRD has no status subresource: it writes
//! the Application itself). Each such test says so in its name.
//!
//! Each test has an Argo CD namespace of its own (`e2e-argo-*`, with the `default` AppProject
//! Argo CD's install makes), so the tests run in parallel and can be rerun.

#[path = "support/binary.rs"]
mod binary;
#[path = "support/kube.rs"]
mod kube;
#[path = "support/kube_stack.rs"]
mod kube_stack;

use base64::Engine as _;
use binary::Run;
use kube::{Cluster, Namespace, unique};
use kube_stack::{
    Stack, assert_hidden, assert_located, ca_fetched_during_apply, fetched_ca_connection,
    token_tfvars,
};
use serde_json::{Value as Json, json};
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::{Duration, Instant};

const FINALIZER: &str = "resources-finalizer.argocd.argoproj.io";
const REPO: &str = "https://github.com/teaching-on-testbeds/gourmetgram-iac.git";
const EXTERNAL_IP: &str = "10.56.0.10";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/argocd")
        .join(name)
}

/// A fixture's text with its placeholders filled in.
fn fixture_filled(name: &str, fills: &[(&str, &str)]) -> String {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    fills
        .iter()
        .fold(text, |text, (from, to)| text.replace(from, to))
}

/// Argo CD's CRDs, installed once per test binary and established before any test uses them.
fn install_crds(cluster: &Cluster) {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        let crds = fixture("crds.yaml");
        cluster.ok(&["apply", "-f", crds.to_str().unwrap()]);
        cluster.ok(&[
            "wait",
            "--for",
            "condition=established",
            "--timeout",
            "60s",
            "crd/applications.argoproj.io",
            "crd/appprojects.argoproj.io",
        ]);
    });
}

/// An Argo CD namespace of one test, with the `default` AppProject Argo CD's install makes.
fn argo_namespace(cluster: &Cluster) -> Namespace<'_> {
    install_crds(cluster);
    let namespace = cluster.namespace("e2e-argo");
    let project = format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: default\n  \
         namespace: {}\nspec:\n  sourceRepos: ['*']\n  destinations:\n  - namespace: '*'\n    \
         server: '*'\n  clusterResourceWhitelist:\n  - group: '*'\n    kind: '*'\n",
        namespace.name
    );
    let out = cluster.kubectl_input(&["apply", "-f", "-"], Some(&project));
    assert!(out.ok, "AppProject: {}", out.stderr);
    namespace
}

/// A stack with the argocd provider for the Argo CD namespace `namespace`, reaching the
/// cluster through the admin kubeconfig, then `resources`.
fn argo_stack(cluster: &Cluster, namespace: &str, resources: &str) -> Stack {
    let provider = format!(
        "provider \"argocd\" {{\n  namespace = \"{namespace}\"\n  kubernetes {{\n    \
         config_path = \"{}\"\n  }}\n}}\n",
        cluster.kubeconfig
    );
    Stack::with_provider(provider, resources)
}

/// An application of the seed's shape: a Helm chart at `path` of the seed's repository, its
/// external IP as a `--helm-set-string` parameter, auto-sync with self-heal; `extra` goes into
/// the resource block.
fn application(resource: &str, name: &str, path: &str, parameter: &str, extra: &str) -> String {
    format!(
        r#"
resource "argocd_application" "{resource}" {{
  metadata {{
    name = "{name}"
  }}
  spec {{
    source {{
      repo_url        = "{REPO}"
      path            = "{path}"
      target_revision = "HEAD"
      helm {{
        parameter {{
          name         = "{parameter}"
          value        = var.external_ip
          force_string = true
        }}
      }}
    }}
    destination {{
      server    = "https://kubernetes.default.svc"
      namespace = "{name}"
    }}
    sync_policy {{
      automated {{
        self_heal = true
      }}
    }}
  }}
{extra}}}
"#
    )
}

fn external_ip_variable() -> String {
    format!("variable \"external_ip\" {{\n  default = \"{EXTERNAL_IP}\"\n}}\n")
}

/// The Application `name` in `namespace` as the server has it (`None` once it is gone).
fn live_application(cluster: &Cluster, namespace: &str, name: &str) -> Option<Json> {
    let out = cluster.kubectl(&["get", "application", name, "-n", namespace, "-o", "json"]);
    if !out.ok {
        assert!(out.stderr.contains("NotFound"), "{}", out.stderr);
        return None;
    }
    Some(serde_json::from_str(&out.stdout).unwrap())
}

/// A documented object (YAML) as the JSON kubectl makes of it, without talking to the server.
fn documented(cluster: &Cluster, yaml: &str) -> Json {
    let out = cluster.kubectl_input(
        &["create", "--dry-run=client", "-o", "json", "-f", "-"],
        Some(yaml),
    );
    assert!(
        out.ok,
        "kubectl could not read the documented YAML: {}",
        out.stderr
    );
    serde_json::from_str(&out.stdout).unwrap()
}

/// Asserts that the live Application is the documented one: apiVersion, kind, name,
/// namespace and the whole spec; ggplan adds nothing else to it (no finalizer, no operation).
fn assert_as_documented(live: &Json, documented: &Json) {
    for field in ["apiVersion", "kind", "spec"] {
        assert_eq!(live[field], documented[field], "{field} differs:\n{live:#}");
    }
    for field in ["name", "namespace"] {
        assert_eq!(live["metadata"][field], documented["metadata"][field]);
    }
    assert!(live["metadata"].get("finalizers").is_none(), "{live:#}");
    assert!(live.get("operation").is_none(), "{live:#}");
}

/// Plays Argo CD's controller for the Application `name`: polls it until `ready` holds of it
/// (for up to a minute), then merge-patches `patch` into it, as the controller writes an
/// Application. Returns the Application as it was when `ready` held.
fn play_controller(
    cluster: &Cluster,
    namespace: &str,
    name: &str,
    ready: impl Fn(&Json) -> bool,
    patch: &Json,
) -> Json {
    let started = Instant::now();
    loop {
        if let Some(live) = live_application(cluster, namespace, name).filter(|live| ready(live)) {
            let object = ["application", name, "-n", namespace];
            cluster.merge_patch(&object, &patch.to_string());
            return live;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the Application {name} never became ready for the controller's part"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The status Argo CD's controller writes for an application synced to `revision`.
fn synced_and_healthy(revision: &str) -> Json {
    json!({"status": {
        "sync": {"status": "Synced", "revision": revision},
        "health": {"status": "Healthy"},
        "reconciledAt": "2026-12-07T09:00:00Z",
    }})
}

/// What the controller writes when it has taken a requested sync and finished it in
/// `phase` (Succeeded, Failed) with `message`: the operation cleared, its state recorded.
fn sync_finished(phase: &str, message: &str, revision: &str) -> Json {
    let mut finished = json!({
        "operation": null,
        "status": {"operationState": {
            "operation": {"sync": {"revision": revision}, "initiatedBy": {"username": "ggplan"}},
            "phase": phase,
            "message": message,
            "startedAt": "2026-12-07T09:01:00Z",
            "finishedAt": "2026-12-07T09:01:05Z",
            "syncResult": {"revision": revision},
        }},
    });
    if phase == "Succeeded" {
        finished["status"]["sync"] = json!({"status": "Synced", "revision": revision});
        finished["status"]["health"] = json!({"status": "Healthy"});
    }
    finished
}

/// Whether a sync has been requested and not yet taken by the controller.
fn sync_requested(live: &Json) -> bool {
    live.get("operation").is_some()
}

/// Runs ggplan with `args` while a thread plays Argo CD's controller for the Application
/// `name`: once `ready` holds of it, and `delay` later (so that ggplan is seen waiting), it
/// patches `patch` in. The run, and the Application as the controller found it.
fn run_with_controller(
    stack: &Stack,
    cluster: &Cluster,
    (ns, name): (&str, &str),
    args: &[&str],
    ready: fn(&Json) -> bool,
    patch: &Json,
) -> (Run, Json) {
    let delay = Duration::from_secs(2);
    let started = Instant::now();
    let (run, seen) = std::thread::scope(|scope| {
        let controller = scope.spawn(|| {
            let after_delay = |live: &Json| {
                ready(live) && {
                    std::thread::sleep(delay);
                    true
                }
            };
            play_controller(cluster, ns, name, after_delay, patch)
        });
        let run = stack.run(args);
        (run, controller.join().unwrap())
    });
    assert!(
        started.elapsed() >= delay,
        "ggplan did not wait:\n{}",
        run.all()
    );
    (run, seen)
}

fn assert_shows(run: &Run, texts: &[&str]) {
    for text in texts {
        assert!(
            run.stdout.contains(text),
            "{text} not shown:\n{}",
            run.stdout
        );
    }
}

const SEED_APPLICATIONS: [&str; 4] = [
    "gourmetgram-platform",
    "gourmetgram-staging",
    "gourmetgram-canary",
    "gourmetgram-production",
];

/// The seed's four applications: the platform, and staging, canary and production.
fn seed_applications() -> String {
    let mut resources = external_ip_variable();
    resources += &application(
        "platform",
        "gourmetgram-platform",
        "k8s/platform",
        "minio.externalIP",
        "",
    );
    for environment in ["staging", "canary", "production"] {
        resources += &application(
            environment,
            &format!("gourmetgram-{environment}"),
            &format!("k8s/{environment}"),
            "service.externalIP",
            "",
        );
    }
    resources
}

/// Destroys the stack while the test plays the controller: it waits for each Application to
/// be terminating with Argo CD's finalizer (as destroy with cascade leaves it), then removes
/// the finalizer, as the controller does once it has deleted the application's objects.
fn destroy_through_the_finalizer(stack: &Stack, cluster: &Cluster, ns: &str) -> Run {
    std::thread::scope(|scope| {
        let controller = scope.spawn(|| {
            SEED_APPLICATIONS.map(|name| {
                let terminating = |live: &Json| {
                    live["metadata"].get("deletionTimestamp").is_some()
                        && live["metadata"]["finalizers"]
                            .as_array()
                            .is_some_and(|f| f.iter().any(|f| f == FINALIZER))
                };
                let removed = json!({"metadata": {"finalizers": null}});
                play_controller(cluster, ns, name, terminating, &removed)
            })
        });
        let destroyed = stack.run(&["destroy", "--auto-approve"]);
        controller.join().unwrap();
        destroyed
    })
}

#[test]
fn the_seeds_platform_and_three_environments_apply_as_argo_cd_documents_them_and_destroy_through_the_finalizer_with_the_test_playing_argo_cds_controller()
 {
    let cluster = Cluster::new();
    let argo = argo_namespace(&cluster);
    let ns = argo.name.as_str();
    let stack = argo_stack(&cluster, ns, &seed_applications());
    let applied = stack.apply();
    assert!(applied.stdout.contains("4 added"), "{}", applied.all());

    let fills = [("ARGOCD_NAMESPACE", ns), ("EXTERNAL_IP", EXTERNAL_IP)];
    let platform = fixture_filled("platform-application.yaml", &fills);
    let live = live_application(&cluster, ns, "gourmetgram-platform").unwrap();
    assert_as_documented(&live, &documented(&cluster, &platform));
    for environment in ["staging", "canary", "production"] {
        let mut fills = fills.to_vec();
        fills.push(("ENVIRONMENT", environment));
        let yaml = fixture_filled("environment-application.yaml", &fills);
        let name = format!("gourmetgram-{environment}");
        let live = live_application(&cluster, ns, &name).unwrap();
        assert_as_documented(&live, &documented(&cluster, &yaml));
    }
    stack.assert_clean();

    // Destroy with cascade (the default): each Application gets Argo CD's finalizer and is
    // deleted; it stays, terminating, until the controller (the test) removes the finalizer.
    let destroyed = destroy_through_the_finalizer(&stack, &cluster, ns).expect(0);
    assert!(
        destroyed.stdout.contains("4 destroyed"),
        "{}",
        destroyed.all()
    );
    assert!(stack.addresses().is_empty());
    for name in SEED_APPLICATIONS {
        assert!(
            live_application(&cluster, ns, name).is_none(),
            "{name} is left"
        );
    }
}

/// One application with `wait`, short timeouts, and `target_revision` as given.
fn waiting_application(revision: &str, path: &str) -> String {
    let app = application(
        "platform",
        "gourmetgram-platform",
        path,
        "minio.externalIP",
        "  wait = true\n  cascade = false\n  timeouts {\n    create = \"60s\"\n    update = \"60s\"\n  }\n",
    );
    external_ip_variable()
        + &app.replace(
            "target_revision = \"HEAD\"",
            &format!("target_revision = \"{revision}\""),
        )
}

const APPLY: [&str; 2] = ["apply", "--auto-approve"];

#[test]
fn a_source_change_requests_a_sync_and_apply_waits_for_synced_and_healthy_with_the_test_playing_argo_cds_controller()
 {
    let cluster = Cluster::new();
    let argo = argo_namespace(&cluster);
    let app = (argo.name.as_str(), "gourmetgram-platform");
    let stack = argo_stack(&cluster, app.0, &waiting_application("v1", "k8s/platform"));

    // Create waits until the controller reports the application Synced and Healthy.
    let healthy = synced_and_healthy("1111111");
    let (created, _) = run_with_controller(&stack, &cluster, app, &APPLY, |_| true, &healthy);
    created.expect(0);
    assert_shows(
        &stack.run(&["show"]).expect(0),
        &["Synced", "Healthy", "1111111"],
    );
    stack.assert_clean();

    // A new target revision: the plan says a sync will be requested; the apply sets the
    // operation as `argocd app sync` does and waits until the controller has done it.
    stack.write(&waiting_application("v2", "k8s/platform"));
    let plan = stack.run(&["plan"]).expect(0);
    assert!(plan.all().contains("requests a sync"), "{}", plan.all());
    assert!(plan.stdout.contains("\"v1\" -> \"v2\""), "{}", plan.stdout);
    let done = sync_finished("Succeeded", "successfully synced (all tasks run)", "v2");
    let (updated, seen) = run_with_controller(&stack, &cluster, app, &APPLY, sync_requested, &done);
    updated.expect(0);
    assert_eq!(
        seen["operation"],
        json!({"sync": {"revision": "v2"}, "initiatedBy": {"username": "ggplan"}})
    );
    let live = live_application(&cluster, app.0, app.1).unwrap();
    assert_eq!(live["spec"]["source"]["targetRevision"], "v2");
    assert!(live.get("operation").is_none());
    let shown = stack.run(&["show"]).expect(0);
    assert_shows(&shown, &["Succeeded", "successfully synced", "Healthy"]);
    stack.assert_clean();
    stack.run(&["destroy", "--auto-approve"]).expect(0);
    assert!(live_application(&cluster, app.0, app.1).is_none());
}

#[test]
fn a_degraded_application_and_a_failed_sync_are_errors_with_argo_cds_message_with_the_test_playing_argo_cds_controller()
 {
    let cluster = Cluster::new();
    let argo = argo_namespace(&cluster);
    let app = (argo.name.as_str(), "gourmetgram-platform");
    let stack = argo_stack(
        &cluster,
        app.0,
        &waiting_application("HEAD", "k8s/platform"),
    );

    let degraded = json!({"status": {
        "sync": {"status": "Synced", "revision": "3333333"},
        "health": {"status": "Degraded",
                   "message": "Deployment mlflow exceeded its progress deadline"},
    }});
    let (created, _) = run_with_controller(&stack, &cluster, app, &APPLY, |_| true, &degraded);
    let text = created.expect(1).all();
    assert!(
        text.contains("health Degraded: Deployment mlflow exceeded its progress deadline"),
        "{text}"
    );
    // The Application exists: the state records it, so the next apply does not create it
    // again.
    assert_eq!(stack.addresses(), ["argocd_application.platform"]);

    // The controller heals it; then a new path requests a sync, which fails.
    let object = ["application", app.1, "-n", app.0];
    cluster.merge_patch(&object, &synced_and_healthy("3333333").to_string());
    stack.write(&waiting_application("HEAD", "k8s/platform-v2"));
    let message = "one or more objects failed to apply, reason: Service minio is invalid";
    let failed = sync_finished("Failed", message, "HEAD");
    let (updated, _) = run_with_controller(&stack, &cluster, app, &APPLY, sync_requested, &failed);
    let text = updated.expect(1).all();
    assert!(
        text.contains(&format!("the sync Failed: {message}")),
        "{text}"
    );
    stack.run(&["destroy", "--auto-approve"]).expect(0);
}

#[test]
fn an_application_edited_or_deleted_by_hand_is_drift_that_apply_repairs() {
    let cluster = Cluster::new();
    let argo = argo_namespace(&cluster);
    let ns = argo.name.as_str();
    let name = "gourmetgram-staging";
    let resources = external_ip_variable()
        + &application(
            "staging",
            name,
            "k8s/staging",
            "service.externalIP",
            "  cascade = false\n",
        );
    let stack = argo_stack(&cluster, ns, &resources);
    stack.apply();
    stack.assert_clean();

    // kubectl edit: another external IP, and self-heal off.
    let object = ["application", name, "-n", ns];
    let edit = json!({"spec": {
        "source": {"helm": {"parameters": [
            {"name": "service.externalIP", "value": "10.56.9.9", "forceString": true}]}},
        "syncPolicy": {"automated": {"selfHeal": false}},
    }});
    cluster.merge_patch(&object, &edit.to_string());
    let plan = stack.run(&["plan", "--detailed-exitcode"]).expect(2);
    for text in ["10.56.9.9", "self_heal"] {
        assert!(
            plan.stdout.contains(text),
            "{text} not in the plan:\n{}",
            plan.stdout
        );
    }
    stack.apply();
    let live = live_application(&cluster, ns, name).unwrap();
    assert_eq!(
        live["spec"]["source"]["helm"]["parameters"][0]["value"],
        EXTERNAL_IP
    );
    assert_eq!(live["spec"]["syncPolicy"]["automated"]["selfHeal"], true);
    stack.assert_clean();

    // kubectl delete: planned as a create, and made again.
    cluster.ok(&["delete", "application", name, "-n", ns]);
    let plan = stack.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(plan.stdout.contains("1 to add"), "{}", plan.stdout);
    stack.apply();
    assert!(live_application(&cluster, ns, name).is_some());
    stack.assert_clean();

    // Forgotten by the state, then imported by argoproj-labs/argocd's id: the same object,
    // and nothing to change.
    stack
        .run(&["state", "rm", "argocd_application.staging"])
        .expect(0);
    let id = format!("{name}:{ns}");
    stack
        .run(&["import", "argocd_application.staging", &id])
        .expect(0);
    // Only cascade is the stack's alone (an import takes argoproj-labs/argocd's default).
    let plan = stack.run(&["plan"]).expect(0);
    assert!(
        plan.stdout.contains("cascade  = true -> false"),
        "{}",
        plan.stdout
    );
    assert!(
        !plan.stdout.contains("known after apply"),
        "{}",
        plan.stdout
    );
    stack.apply();
    stack.assert_clean();

    // cascade = false: destroy deletes without Argo CD's finalizer, so nothing waits for the
    // controller.
    stack.run(&["destroy", "--auto-approve"]).expect(0);
    assert!(live_application(&cluster, ns, name).is_none());
}

fn repository(password_variable: bool) -> String {
    let password = if password_variable {
        "var.password"
    } else {
        "\"unused\""
    };
    format!(
        r#"
variable "password" {{
  type      = string
  sensitive = true
}}

resource "argocd_repository" "iac" {{
  repo       = "{REPO}"
  project    = "default"
  username   = "gourmetgram"
  password   = {password}
  insecure   = false
  enable_lfs = true
}}
"#
    )
}

fn decoded(data: &Json) -> serde_json::Map<String, Json> {
    data.as_object()
        .unwrap()
        .iter()
        .map(|(key, value)| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(value.as_str().unwrap())
                .unwrap();
            (key.clone(), json!(String::from_utf8(bytes).unwrap()))
        })
        .collect()
}

#[test]
fn a_repository_is_the_secret_argo_cd_documents_and_its_password_is_never_printed() {
    let cluster = Cluster::new();
    let argo = argo_namespace(&cluster);
    let ns = argo.name.as_str();
    let password = unique("pw");
    let stack = argo_stack(&cluster, ns, &repository(true));
    stack.write_file("terraform.tfvars", &format!("password = \"{password}\"\n"));
    let mut runs = vec![stack.run(&["plan"]).expect(0), stack.apply()];

    let selector = "argocd.argoproj.io/secret-type=repository";
    let secrets = cluster.json(&["get", "secret", "-n", ns, "-l", selector]);
    let items = secrets["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{secrets:#}");
    let live = &items[0];
    let fills = [("ARGOCD_NAMESPACE", ns), ("PASSWORD", password.as_str())];
    let yaml = fixture_filled("repository-secret.yaml", &fills);
    let documented = documented(&cluster, &yaml);
    assert_eq!(live["metadata"]["labels"], documented["metadata"]["labels"]);
    assert_eq!(
        json!(decoded(&live["data"])),
        documented["stringData"],
        "the repository Secret's data is not what Argo CD documents"
    );
    // Argo CD's own name for the repository's Secret: repo- and the FNV-1a hash of the URL
    // and project.
    let name = live["metadata"]["name"].as_str().unwrap().to_string();
    assert!(name.starts_with("repo-"), "{name}");
    stack.assert_clean();

    // The password changed by hand is drift, shown without the value, and repaired.
    let edit = json!({"stringData": {"password": "changed-by-hand"}});
    cluster.merge_patch(&["secret", &name, "-n", ns], &edit.to_string());
    let plan = stack.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(plan.stdout.contains("(sensitive value)"), "{}", plan.stdout);
    assert!(!plan.all().contains("changed-by-hand"), "{}", plan.all());
    runs.push(plan);
    runs.push(stack.apply());
    let live = cluster.json(&["get", "secret", &name, "-n", ns]);
    assert_eq!(decoded(&live["data"])["password"], json!(password));
    stack.assert_clean();

    runs.push(stack.run(&["show"]).expect(0));
    runs.push(
        stack
            .run(&["state", "show", "argocd_repository.iac"])
            .expect(0),
    );
    runs.push(stack.run(&["show", "-json"]).expect(0));
    runs.push(stack.run(&["destroy", "--auto-approve"]).expect(0));
    assert!(cluster.gone(&["secret", &name, "-n", ns]));
    assert_hidden(&password, &runs);
}

#[test]
fn bad_input_is_refused_at_its_line_with_nothing_applied() {
    let cluster = Cluster::new();
    let argo = argo_namespace(&cluster);
    let ns = argo.name.as_str();
    let base = external_ip_variable()
        + &application(
            "platform",
            "gourmetgram-platform",
            "k8s/platform",
            "minio.externalIP",
            "",
        );
    let stack = argo_stack(&cluster, ns, &base);
    // Each a change of `base` (what it replaces, and with what), refused at the line of its
    // needle with its summary.
    let refusals = [
        // What argoproj-labs/argocd has and ggplan does not: refused, never ignored.
        (
            (
                "      helm {",
                "      kustomize {\n        name_prefix = \"x-\"\n      }\n      helm {",
            ),
            ("kustomize {", "kustomize"),
        ),
        // A timeout that is not a duration.
        (
            (
                "  spec {",
                "  timeouts {\n    create = \"5 minutes\"\n  }\n  spec {",
            ),
            ("create = \"5 minutes\"", "is not a duration"),
        ),
        // A destination Argo CD would mark invalid: its cluster by server and by name.
        (
            (
                "      server    = \"https://kubernetes.default.svc\"",
                "      server    = \"https://kubernetes.default.svc\"\n      name      = \"in-cluster\"",
            ),
            ("destination {", "not both"),
        ),
        // A name the API server refuses, from its dry-run at plan.
        (
            (
                "name = \"gourmetgram-platform\"",
                "name = \"Gourmet_Platform\"",
            ),
            ("name = \"Gourmet_Platform\"", "rejected"),
        ),
    ];
    for ((from, to), (needle, summary)) in refusals {
        stack.write(&base.replace(from, to));
        assert_located(&stack.run(&["plan"]), summary, stack.line_of(needle));
    }
    // Argo CD's API server settings: ggplan does not use them.
    let server_addr = stack.provider.replace(
        "  kubernetes {",
        "  server_addr = \"argocd.example:443\"\n  kubernetes {",
    );
    let stack_with = |resources: &str| format!("{server_addr}{resources}");
    stack.write_file("main.tf", &stack_with(&base));
    let refused = stack.run(&["plan"]);
    let text = refused.all();
    assert_eq!(refused.code, 1, "{text}");
    assert!(text.contains("does not use server_addr"), "{text}");
    assert!(live_application(&cluster, ns, "gourmetgram-platform").is_none());
    assert!(stack.addresses().is_empty());
}

#[test]
fn the_provider_configured_from_a_file_written_by_the_same_apply_creates_applications_from_empty() {
    // As a stack whose first layer fetches the cluster's CA: written by this apply and read
    // back by a data source during it, so the provider is configured only then.
    let cluster = Cluster::new();
    let argo = argo_namespace(&cluster);
    let ns = argo.name.as_str();
    let provider = format!(
        "{}\nprovider \"argocd\" {{\n  namespace = \"{ns}\"\n  kubernetes {{\n{}  }}\n}}\n",
        ca_fetched_during_apply(&cluster),
        fetched_ca_connection(&cluster, "    "),
    );
    let resources = external_ip_variable()
        + &application(
            "platform",
            "gourmetgram-platform",
            "k8s/platform",
            "minio.externalIP",
            "  cascade = false\n",
        );
    let stack = Stack::with_provider(provider, &resources);
    stack.write_file("terraform.tfvars", &token_tfvars(&cluster));
    let applied = stack.apply();
    let text = applied.all();
    assert!(text.contains("is configured during apply"), "{text}");
    assert!(text.contains("2 added"), "{text}");
    assert!(
        !text.contains(&cluster.token),
        "the token was printed:\n{text}"
    );
    let live = live_application(&cluster, ns, "gourmetgram-platform").unwrap();
    assert_eq!(live["spec"]["source"]["path"], "k8s/platform");
    stack.assert_clean();
    stack.run(&["destroy", "--auto-approve"]).expect(0);
    assert!(live_application(&cluster, ns, "gourmetgram-platform").is_none());
}

#[test]
fn a_wait_no_controller_answers_times_out_with_what_argo_cd_reported_and_records_the_application() {
    let cluster = Cluster::new();
    let argo = argo_namespace(&cluster);
    let ns = argo.name.as_str();
    let short = waiting_application("HEAD", "k8s/platform").replace("\"60s\"", "\"3s\"");
    let stack = argo_stack(&cluster, ns, &short);
    let text = stack.run(&APPLY).expect(1).all();
    assert!(text.contains("timed out after 3s"), "{text}");
    assert!(
        text.contains("no status from Argo CD's controller yet"),
        "{text}"
    );
    assert_eq!(stack.addresses(), ["argocd_application.platform"]);
    assert!(live_application(&cluster, ns, "gourmetgram-platform").is_some());
    stack.run(&["destroy", "--auto-approve"]).expect(0);
}

#[test]
fn a_sync_is_refused_while_another_operation_runs_and_an_automated_one_is_waited_for_with_the_test_playing_argo_cds_controller()
 {
    let cluster = Cluster::new();
    let argo = argo_namespace(&cluster);
    let app = (argo.name.as_str(), "gourmetgram-platform");
    let object = ["application", app.1, "-n", app.0];
    let stack = argo_stack(&cluster, app.0, &waiting_application("v1", "k8s/platform"));
    let healthy = synced_and_healthy("1111111");
    run_with_controller(&stack, &cluster, app, &APPLY, |_| true, &healthy)
        .0
        .expect(0);

    // Someone's `argocd app sync` is running: the new revision is refused before anything is
    // written, as Argo CD refuses a second operation.
    let manual = json!({"operation": {"sync": {"revision": "v1"},
                                      "initiatedBy": {"username": "alice"}}});
    cluster.merge_patch(&object, &manual.to_string());
    stack.write(&waiting_application("v2", "k8s/platform"));
    let text = stack.run(&APPLY).expect(1).all();
    assert!(
        text.contains("another operation is already in progress"),
        "{text}"
    );
    let live = live_application(&cluster, app.0, app.1).unwrap();
    assert_eq!(live["spec"]["source"]["targetRevision"], "v1");
    assert_eq!(live["operation"]["initiatedBy"]["username"], "alice");

    // The controller's own automated sync is running instead: it is the sync of this change,
    // and the apply waits for it rather than asking for another.
    let automated = json!({"operation": {"sync": {"revision": "v2"},
                                         "initiatedBy": {"username": null, "automated": true}}});
    cluster.merge_patch(&object, &automated.to_string());
    let done = sync_finished("Succeeded", "successfully synced (all tasks run)", "v2");
    let (updated, seen) = run_with_controller(
        &stack,
        &cluster,
        app,
        &APPLY,
        |live| live["spec"]["source"]["targetRevision"] == "v2",
        &done,
    );
    updated.expect(0);
    // (The merge patch took alice's username out, as it would the controller's update.)
    assert_eq!(
        seen["operation"],
        json!({"sync": {"revision": "v2"}, "initiatedBy": {"automated": true}})
    );
    stack.assert_clean();
    stack.run(&["destroy", "--auto-approve"]).expect(0);
}

/// The platform and apps layers of `stacks/gourmetgram` (`platform.tf`, `apps.tf`), unchanged,
/// on this cluster: the seed's
/// platform namespace and generated credentials, the repository, the platform application and
/// the three environments, with this site's external IP; a clean re-plan; destroy to nothing
/// (with `cascade = false`: no controller here deletes what the applications deployed). Its
/// namespaces are the seed's fixed names, so they are removed first should a failed run have
/// left them.
#[test]
fn the_gourmetgram_platform_stack_applies_its_applications_and_credentials_and_destroys_them() {
    let cluster = Cluster::new();
    let argo = argo_namespace(&cluster);
    let fixed = [
        "gourmetgram-platform",
        "gourmetgram-staging",
        "gourmetgram-canary",
        "gourmetgram-production",
    ];
    let namespaces: Vec<String> = fixed.iter().map(|n| format!("namespace/{n}")).collect();
    let mut delete = vec!["delete", "--ignore-not-found", "--wait"];
    delete.extend(namespaces.iter().map(String::as_str));
    cluster.ok(&delete);
    let whole = Path::new(env!("CARGO_MANIFEST_DIR")).join("stacks/gourmetgram");
    let stack = Stack::new("");
    for name in ["platform.tf", "apps.tf"] {
        stack.write_file(name, &std::fs::read_to_string(whole.join(name)).unwrap());
    }
    // What the other layers give these two: the providers (cluster.tf reads the kubeconfig
    // back from node1), the external IP (hosts.tf reads it from node1's port), and the
    // releases the platform waits for (post_install.tf; none here).
    stack.write_file(
        "main.tf",
        &format!(
            "provider \"kubernetes\" {{\n  config_path = \"{kubeconfig}\"\n}}\n\n\
             provider \"argocd\" {{\n  namespace = var.argocd_namespace\n  kubernetes {{\n    \
             config_path = \"{kubeconfig}\"\n  }}\n}}\n\nlocals {{\n  external_ip = \"{EXTERNAL_IP}\"\n}}\n\n\
             resource \"kubernetes_manifest\" \"release\" {{\n  for_each = {{}}\n  manifest = each.value\n}}\n",
            kubeconfig = cluster.kubeconfig
        ),
    );
    stack.write_file(
        "terraform.tfvars",
        &format!(
            "argocd_namespace = \"{}\"\ncascade = false\nargocd_wait = false\n",
            argo.name
        ),
    );
    let applied = stack.apply();
    let secret = cluster.json(&["get", "secret", "minio-credentials", "-n", fixed[0]]);
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret["data"]["secretkey"].as_str().unwrap())
        .unwrap();
    let key = String::from_utf8(key).unwrap();
    assert_eq!(key.len(), 20);
    let parameters = |name: &str| {
        let live = live_application(&cluster, &argo.name, name).expect(name);
        live["spec"]["source"]["helm"]["parameters"].clone()
    };
    let ip = |name: &str| json!({"name": name, "value": EXTERNAL_IP, "forceString": true});
    assert_eq!(
        parameters("gourmetgram-platform"),
        json!([ip("minio.externalIP"), ip("mlflow.externalIP")])
    );
    for environment in ["staging", "canary", "production"] {
        let name = format!("gourmetgram-{environment}");
        assert_eq!(
            parameters(&name),
            json!([ip("service.externalIP")]),
            "{name}"
        );
        let live = live_application(&cluster, &argo.name, &name).unwrap();
        assert_eq!(live["spec"]["destination"]["namespace"], name.as_str());
        assert_eq!(live["spec"]["syncPolicy"]["automated"]["selfHeal"], true);
    }
    let replan = stack.assert_clean();
    assert_hidden(&key, [&applied, &replan]);
    stack.run(&["destroy", "--auto-approve"]).expect(0);
    assert_eq!(stack.addresses(), Vec::<String>::new());
    for (object, name) in namespaces.iter().zip(fixed) {
        assert!(
            cluster.gone(&[object.as_str()]),
            "{name} is left after destroy"
        );
    }
    assert!(live_application(&cluster, &argo.name, "gourmetgram-platform").is_none());
}
