//! The `ggplan` binary with the helm provider against the real control plane of
//! `tests/support/kubernetes.sh` (kube-apiserver and kube-controller-manager v1.20.2, no
//! kubelet: pods never run, so a Deployment with replicas never becomes ready) and the real
//! helm binary (GGPLAN_TEST_HELM, helm 4). The charts are `tests/fixtures/helm/`, in the
//! seed's shape: `platform` (MinIO, PostgreSQL and MLflow Deployments, Services with
//! externalIPs, a PVC, Secrets referenced by name, one Secret of its own from set_sensitive)
//! and `app` (one GourmetGram environment: replicas and an image tag).
//!
//! Releases are installed, re-planned clean, upgraded in place (revision 2) with the rendered
//! diff in the plan, changed by hand (drift that `plan` and `drift` show and apply repairs),
//! refused when the chart does not render (at `chart`, with helm's message, nothing recorded)
//! and uninstalled to nothing, which kubectl and helm confirm; a set_sensitive value is never
//! printed. Each test has namespaces of its own (`e2e-helm-*`), so they run in parallel.

#[path = "support/binary.rs"]
mod binary;
#[path = "support/kube.rs"]
mod kube;
#[path = "support/kube_stack.rs"]
mod kube_stack;

use base64::Engine as _;
use binary::Run;
use kube::{Cluster, unique};
use kube_stack::{
    Stack, assert_hidden, ca_fetched_during_apply, credentials, fetched_ca_connection,
    kubeconfig_provider, line_of, team_namespace, token_tfvars,
};
use serde_json::Value as Json;
use std::path::Path;

fn chart(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/helm");
    path.join(name).display().to_string()
}

/// The provider block: the test's helm binary and the admin kubeconfig.
fn provider(cluster: &Cluster) -> String {
    format!(
        "provider \"helm\" {{\n  helm_path = \"{}\"\n  kubernetes {{\n    config_path = \"{}\"\n  \
         }}\n}}\n",
        cluster.helm, cluster.kubeconfig
    )
}

/// helm with the admin kubeconfig and nothing of the user's.
fn helm(cluster: &Cluster, args: &[&str]) -> kube::Out {
    let all = [&["--kubeconfig", cluster.kubeconfig.as_str()][..], args].concat();
    cluster.command(&cluster.helm, &all, None)
}

/// The release records helm keeps in `namespace` (Secrets labelled owner=helm, one per
/// revision, whatever its status).
fn releases(cluster: &Cluster, namespace: &str) -> Vec<Json> {
    let records = cluster.json(&["get", "secrets", "-l", "owner=helm", "-n", namespace]);
    records["items"].as_array().cloned().unwrap_or_default()
}

/// The platform chart released as `platform` into `namespace` (made by the release), MLflow
/// with `workers`, the PostgreSQL password from set_sensitive. `wait = false`: no kubelet,
/// so its Deployments never become ready.
fn platform(namespace: &str, workers: u32, password: &str) -> String {
    format!(
        r#"
resource "helm_release" "platform" {{
  name             = "platform"
  chart            = "{chart}"
  namespace        = "{namespace}"
  create_namespace = true
  wait             = false
  values           = [yamlencode({{ mlflow = {{ workers = {workers} }} }})]

  set {{
    name  = "minio.externalIP"
    value = "10.56.0.20"
    type  = "string"
  }}

  set_sensitive {{
    name  = "postgres.password"
    value = "{password}"
  }}
}}
"#,
        chart = chart("platform")
    )
}

/// Asserts that the run's stdout shows each of `texts` (runs of spaces count as one: plans
/// align attributes by the longest name).
fn assert_shows(run: &Run, texts: &[&str]) {
    let squeeze = |text: &str| {
        text.split(' ')
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let shown = squeeze(&run.stdout);
    for text in texts {
        assert!(
            shown.contains(&squeeze(text)),
            "{text:?} not shown:\n{}",
            run.all()
        );
    }
}

#[test]
fn a_platform_release_installs_replans_clean_upgrades_in_place_and_uninstalls_to_nothing() {
    let cluster = Cluster::new();
    let ns = unique("e2e-helm-platform");
    let _leftover = cluster.leftover(ns.clone());
    let password = format!("pg-{}", unique("pw"));
    let stack = Stack::new(&(provider(&cluster) + &platform(&ns, 2, &password)));

    let first_plan = stack.run(&["plan"]).expect(0);
    assert_shows(
        &first_plan,
        &[
            &format!("\"Service {ns}/minio\""),
            &format!("\"PersistentVolumeClaim {ns}/minio-data\""),
            "stringData = (sensitive value)",
            "\"10.56.0.20\"",
        ],
    );
    let install = stack.apply();
    assert_platform_installed(&cluster, &ns, &password);
    assert_eq!(
        stack.attributes("helm_release.platform")["metadata"]["revision"],
        1
    );
    stack.assert_clean();

    stack.write(&(provider(&cluster) + &platform(&ns, 3, &password)));
    let [upgrade_plan, upgrade] = upgrade_in_place(&stack, &cluster, &ns);
    let show = stack.run(&["show"]).expect(0);
    let state_show = stack
        .run(&["state", "show", "helm_release.platform"])
        .expect(0);
    let json_plan = stack.run(&["plan", "-json"]).expect(0);
    let destroy = stack.run(&["destroy", "--auto-approve"]).expect(0);
    assert!(stack.addresses().is_empty(), "{}", destroy.all());
    assert!(releases(&cluster, &ns).is_empty(), "the release is left");
    for object in PLATFORM_OBJECTS {
        let gone = cluster.gone(&[object, "-n", &ns]);
        assert!(gone, "{object} is left after destroy");
    }
    let runs = [
        &first_plan,
        &install,
        &upgrade_plan,
        &upgrade,
        &show,
        &state_show,
    ];
    assert_hidden(&password, runs.into_iter().chain([&json_plan, &destroy]));
}

/// Some objects of each kind the platform chart makes.
const PLATFORM_OBJECTS: [&str; 5] = [
    "deployment/minio",
    "service/minio",
    "pvc/minio-data",
    "secret/postgres-credentials",
    "configmap/mlflow-settings",
];

/// The platform's objects as kubectl sees them: the Service on its external IP, the PVC,
/// and the chart's Secret holding the set_sensitive value (it did reach the chart).
fn assert_platform_installed(cluster: &Cluster, ns: &str, password: &str) {
    let service = cluster.json(&["get", "service", "minio", "-n", ns]);
    assert_eq!(service["spec"]["externalIPs"][0], "10.56.0.20");
    assert_eq!(service["spec"]["ports"][1]["port"], 9001);
    cluster.ok(&["get", "pvc", "minio-data", "-n", ns]);
    let secret = cluster.json(&["get", "secret", "postgres-credentials", "-n", ns]);
    let stored = secret["data"]["password"].as_str().unwrap();
    let decoded = base64::engine::general_purpose::STANDARD.decode(stored);
    assert_eq!(decoded.unwrap(), password.as_bytes());
}

/// The platform's MLflow workers changed from 2 to 3: the plan shows the rendered objects
/// that change, field by field, and the apply upgrades the release in place (revision 2,
/// the same objects). The plan's and the apply's outputs.
fn upgrade_in_place(stack: &Stack, cluster: &Cluster, ns: &str) -> [Run; 2] {
    let plan = stack.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert_shows(
        &plan,
        &[
            &format!("~ \"ConfigMap {ns}/mlflow-settings\""),
            "~ workers     = \"2\" -> \"3\"",
            &format!("~ \"Deployment {ns}/mlflow\""),
            "~ \"2\" -> \"3\",",
            "~ revision      = 1 -> (known after apply)",
            "0 to add, 1 to change, 0 to destroy",
        ],
    );
    let uid = cluster.json(&["get", "service", "minio", "-n", ns])["metadata"]["uid"].clone();
    let apply = stack.apply();
    assert!(apply.stdout.contains("0 added, 1 changed, 0 destroyed"));
    assert_eq!(
        stack.attributes("helm_release.platform")["metadata"]["revision"],
        2
    );
    let history = helm(cluster, &["history", "platform", "-n", ns, "-o", "json"]);
    assert!(
        history.stdout.contains("\"revision\":2"),
        "{}",
        history.stdout
    );
    let config = cluster.json(&["get", "configmap", "mlflow-settings", "-n", ns]);
    assert_eq!(config["data"]["workers"], "3");
    let service = cluster.json(&["get", "service", "minio", "-n", ns]);
    assert_eq!(
        service["metadata"]["uid"], uid,
        "upgraded in place, not replaced"
    );
    stack.assert_clean();
    [plan, apply]
}

/// The fixture chart `chart_name` released as `name` into `namespace`, with `settings`
/// inside the resource block.
fn release(name: &str, chart_name: &str, namespace: &str, settings: &str) -> String {
    format!(
        "resource \"helm_release\" \"{name}\" {{\n  name      = \"{name}\"\n  chart     = \
         \"{chart}\"\n  namespace = \"{namespace}\"\n{settings}}}\n",
        chart = chart(chart_name)
    )
}

/// The app chart released as `name` into `namespace` (which exists), with `settings` inside
/// the resource block.
fn app(name: &str, namespace: &str, settings: &str) -> String {
    release(name, "app", namespace, settings)
}

const STAGING: &str =
    "  wait      = false\n  set {\n    name  = \"replicaCount\"\n    value = \"2\"\n  }\n";

#[test]
fn an_object_deleted_or_edited_by_hand_is_drift_and_apply_repairs_it() {
    let cluster = Cluster::new();
    let namespace = cluster.namespace("e2e-helm-drift");
    let ns = namespace.name.clone();
    let stack = Stack::new(&(provider(&cluster) + &app("staging", &ns, STAGING)));
    stack.apply();
    stack.assert_clean();

    cluster.ok(&["delete", "service", "staging", "-n", &ns]);
    cluster.merge_patch(
        &["deployment", "staging", "-n", &ns],
        r#"{"spec":{"replicas":5}}"#,
    );
    let shown: [&str; 2] = [&format!("\"Service {ns}/staging\""), "replicas = "];
    let plan = stack.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert_shows(&plan, &shown);
    assert_shows(
        &plan,
        &[
            &format!("+ \"Service {ns}/staging\""),
            "~ replicas = 5 -> 2",
        ],
    );
    let drift = stack.run(&["drift"]).expect(2);
    assert_shows(
        &drift,
        &[
            &format!("- \"Service {ns}/staging\""),
            "~ replicas = 2 -> 5",
        ],
    );

    stack.apply();
    let service = cluster.json(&["get", "service", "staging", "-n", &ns]);
    assert_eq!(service["spec"]["externalIPs"][0], "10.56.0.10");
    assert_eq!(
        service["metadata"]["annotations"]["meta.helm.sh/release-name"],
        "staging"
    );
    let deployment = cluster.json(&["get", "deployment", "staging", "-n", &ns]);
    assert_eq!(deployment["spec"]["replicas"], 2);
    stack.assert_clean();
    stack.run(&["destroy", "--auto-approve"]).expect(0);
}

#[test]
fn a_chart_that_does_not_render_is_a_located_diagnostic_and_no_release_is_recorded() {
    let cluster = Cluster::new();
    let namespace = cluster.namespace("e2e-helm-broken");
    let ns = namespace.name.clone();
    let main_tf = provider(&cluster) + &release("broken", "broken", &ns, "");
    let line = line_of(&main_tf, "  chart ");
    let stack = Stack::new(&main_tf);
    for args in [&["plan"][..], &["apply", "--auto-approve"]] {
        let run = stack.run(args);
        assert_eq!(run.code, 1, "{}", run.all());
        let text = run.all();
        assert!(text.contains("helm cannot render the chart"), "{text}");
        assert!(
            text.contains("function \"nosuchfunction\" not defined"),
            "{text}"
        );
        assert!(
            text.contains(&format!("on ./main.tf line {line}")),
            "{text}"
        );
    }
    assert!(stack.addresses().is_empty());
    assert!(
        releases(&cluster, &ns).is_empty(),
        "a release was installed"
    );
}

#[test]
fn a_wait_the_controller_manager_can_satisfy_is_waited_for() {
    // A Deployment scaled to zero is rolled out once the controller manager has seen it: no
    // kubelet is needed, so helm's readiness wait can finish here.
    let cluster = Cluster::new();
    let namespace = cluster.namespace("e2e-helm-wait");
    let ns = namespace.name.clone();
    let settings = "  wait      = true\n  timeout   = 60\n  set {\n    name  = \"replicaCount\"\n    value = \"0\"\n  }\n";
    let stack = Stack::new(&(provider(&cluster) + &app("canary", &ns, settings)));
    stack.apply();
    let deployment = cluster.json(&["get", "deployment", "canary", "-n", &ns]);
    assert_eq!(deployment["status"]["observedGeneration"], 1);
    assert_eq!(
        stack.attributes("helm_release.canary")["status"],
        "deployed"
    );
    stack.assert_clean();
    stack.run(&["destroy", "--auto-approve"]).expect(0);
}

#[test]
fn a_wait_no_kubelet_can_satisfy_fails_with_helms_message_and_the_failed_release_is_recorded() {
    let cluster = Cluster::new();
    let namespace = cluster.namespace("e2e-helm-nowait");
    let ns = namespace.name.clone();
    let settings = "  wait      = true\n  timeout   = 3\n";
    let stack = Stack::new(&(provider(&cluster) + &app("production", &ns, settings)));
    let run = stack.run(&["apply", "--auto-approve"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.all().contains("helm upgrade --install failed"),
        "{}",
        run.all()
    );
    // Recorded as helm left it, so that the next plan upgrades it again.
    assert_eq!(
        stack.attributes("helm_release.production")["status"],
        "failed"
    );
    let plan = stack.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert_shows(&plan, &["~ status           = \"failed\" -> \"deployed\""]);
    stack.run(&["destroy", "--auto-approve"]).expect(0);
    assert!(releases(&cluster, &ns).is_empty());
}

#[test]
fn a_release_installed_by_helm_is_imported_by_namespace_and_name() {
    let cluster = Cluster::new();
    let namespace = cluster.namespace("e2e-helm-import");
    let ns = namespace.name.clone();
    // Installed as helm 3 would (client-side apply): ggplan's upgrades move it to
    // server-side apply, so that drift is repaired.
    let app_chart = chart("app");
    let client_side = [
        "install",
        "imported",
        &app_chart,
        "-n",
        &ns,
        "--server-side=false",
    ];
    let installed = helm(&cluster, &client_side);
    assert!(installed.ok, "{}", installed.stderr);
    let stack = Stack::new(&(provider(&cluster) + &app("imported", &ns, "  wait      = false\n")));
    let refused = stack.run(&["plan"]);
    assert_eq!(refused.code, 1, "{}", refused.all());
    let import = format!("ggplan import helm_release.NAME {ns}/imported");
    assert!(refused.all().contains(&import), "{}", refused.all());
    stack
        .run(&["import", "helm_release.imported", &format!("{ns}/imported")])
        .expect(0);
    let state = stack.attributes("helm_release.imported");
    assert_eq!(state["metadata"]["revision"], 1);
    assert_eq!(state["chart"], "gourmetgram");
    assert!(
        state["manifest"][format!("Service {ns}/imported")].is_object(),
        "{state}"
    );
    cluster.ok(&["delete", "service", "imported", "-n", &ns]);
    let patch = r#"{"spec":{"replicas":4}}"#;
    cluster.merge_patch(&["deployment", "imported", "-n", &ns], patch);
    stack.apply();
    cluster.ok(&["get", "service", "imported", "-n", &ns]);
    let deployment = cluster.json(&["get", "deployment", "imported", "-n", &ns]);
    assert_eq!(deployment["spec"]["replicas"], 1);
    stack.assert_clean();
    stack.run(&["destroy", "--auto-approve"]).expect(0);
    assert!(releases(&cluster, &ns).is_empty());
}

#[test]
fn a_missing_helm_binary_is_refused_at_helm_path_with_install_advice() {
    let cluster = Cluster::new();
    let main_tf = format!(
        "provider \"helm\" {{\n  helm_path = \"/nonexistent/helm\"\n  kubernetes {{\n    \
         config_path = \"{}\"\n  }}\n}}\n{}",
        cluster.kubeconfig,
        app("nohelm", "default", "")
    );
    let run = Stack::new(&main_tf).run(&["plan"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let text = run.all();
    assert!(text.contains("Cannot find the helm binary"), "{text}");
    assert!(
        text.contains("https://helm.sh/docs/intro/install/"),
        "{text}"
    );
    assert!(text.contains("with helm_path"), "{text}");
}

#[test]
fn a_provider_configured_during_apply_from_a_file_the_same_apply_writes_installs_a_release() {
    // As a first layer fetches the cluster's CA: written by this apply and read back by a
    // data source during it, so the helm provider (host, token and CA, not the kubeconfig)
    // is configured only then, and its release planned from the configuration alone.
    let cluster = Cluster::new();
    let namespace = cluster.namespace("e2e-helm-deferred");
    let ns = namespace.name.clone();
    let main_tf = format!(
        "{}\nprovider \"helm\" {{\n  helm_path = \"{}\"\n  kubernetes {{\n{}  }}\n}}\n{}",
        ca_fetched_during_apply(&cluster),
        cluster.helm,
        fetched_ca_connection(&cluster, "    "),
        app("production", &ns, STAGING),
    );
    let stack = Stack::new(&main_tf);
    stack.write_file("terraform.tfvars", &token_tfvars(&cluster));
    let first = stack.apply();
    let text = first.all();
    assert!(
        text.contains("Provider \"helm\" is configured during apply"),
        "{text}"
    );
    assert!(text.contains("2 added"), "{text}");
    let deployment = cluster.json(&["get", "deployment", "production", "-n", &ns]);
    assert_eq!(deployment["spec"]["replicas"], 2);
    assert_eq!(
        stack.attributes("helm_release.production")["metadata"]["revision"],
        1
    );
    stack.assert_clean();
    let destroy = stack.run(&["destroy", "--auto-approve"]).expect(0);
    assert!(releases(&cluster, &ns).is_empty());
    assert_hidden(&cluster.token, [&first, &destroy]);
}

#[test]
fn a_chart_that_quotes_a_sensitive_value_in_its_failure_is_reported_without_it() {
    let cluster = Cluster::new();
    let namespace = cluster.namespace("e2e-helm-refusing");
    let ns = namespace.name.clone();
    let password = unique("short");
    let sensitive =
        format!("  set_sensitive {{\n    name  = \"password\"\n    value = \"{password}\"\n  }}\n");
    let main_tf = provider(&cluster) + &release("refusing", "refusing", &ns, &sensitive);
    let stack = Stack::new(&main_tf);
    let plan = stack.run(&["plan"]);
    assert_eq!(plan.code, 1, "{}", plan.all());
    assert!(
        plan.all()
            .contains("the password (sensitive value) is shorter than 40 characters"),
        "{}",
        plan.all()
    );
    assert_hidden(&password, [&plan]);
    assert!(releases(&cluster, &ns).is_empty());
}

#[test]
fn a_chart_repository_that_cannot_be_reached_is_refused_at_chart_with_helms_message() {
    // Remote repositories are handed to helm (--repo, --version); none can be reached from
    // the test machines, so what is proven is the refusal, with helm's own words.
    let cluster = Cluster::new();
    let main_tf = provider(&cluster)
        + "resource \"helm_release\" \"remote\" {\n  name       = \"mlflow\"\n  repository = \
           \"http://127.0.0.1:9/charts\"\n  chart      = \"mlflow\"\n  version    = \"0.7.19\"\n}\n";
    let run = Stack::new(&main_tf).run(&["plan"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let text = run.all();
    assert!(text.contains("helm cannot render the chart"), "{text}");
    assert!(text.contains("\"http://127.0.0.1:9/charts\""), "{text}");
    assert!(
        text.contains("is not a valid chart repository or cannot be reached"),
        "{text}"
    );
    let line = line_of(&main_tf, "  chart ");
    assert!(
        text.contains(&format!("on ./main.tf line {line}")),
        "{text}"
    );
}

#[test]
fn the_platform_with_its_namespace_and_credentials_from_the_kubernetes_provider_installs_in_one_apply()
 {
    // The seed's shape: the namespace and the MinIO credentials Secret made first (by the
    // kubernetes provider here, by Ansible in the seed), the chart referring to the Secret by
    // name. The release is planned before its namespace exists (its objects as rendered) and
    // planned again, final, once it does (its objects dry-run): both plans must agree.
    let cluster = Cluster::new();
    let ns = unique("e2e-helm-seed");
    let _leftover = cluster.leftover(ns.clone());
    let access = unique("minio");
    let keys = format!("accesskey = \"{access}\"\n    secretkey = \"{access}-secret\"");
    let main_tf = kubeconfig_provider(&cluster)
        + &team_namespace("platform", &ns)
        + &credentials("minio", "platform", &keys)
        + &format!(
            r#"
resource "helm_release" "platform" {{
  name       = "platform"
  chart      = "{chart}"
  namespace  = "{ns}"
  wait       = false
  depends_on = [kubernetes_secret_v1.minio]
  set {{
    name  = "minio.credentialsSecret"
    value = "minio-credentials"
  }}
  # The server writes quantities its own way (1Gi): the final plan, dry-run, must agree
  # with the first, made before the namespace existed.
  set {{
    name  = "minio.storage"
    value = "1024Mi"
  }}
}}
"#,
            chart = chart("platform"),
        )
        + &provider(&cluster);
    let stack = Stack::new(&main_tf);
    let apply = stack.apply();
    assert!(apply.stdout.contains("3 added"), "{}", apply.all());
    let minio = cluster.json(&["get", "deployment", "minio", "-n", &ns]);
    let env = &minio["spec"]["template"]["spec"]["containers"][0]["env"];
    assert_eq!(
        env[0]["valueFrom"]["secretKeyRef"]["name"],
        "minio-credentials"
    );
    stack.assert_clean();
    let destroy = stack.run(&["destroy", "--auto-approve"]).expect(0);
    assert!(stack.addresses().is_empty(), "{}", destroy.all());
}

#[test]
fn a_chart_rendering_by_the_clusters_capabilities_plans_what_it_installs() {
    // helm renders offline for its own Kubernetes version (1.37 for helm 4.3), where
    // policy/v1 exists; this 1.20 cluster serves PodDisruptionBudgets in policy/v1beta1 only.
    // Plans render against the cluster, so plan and install agree and re-plans are clean.
    let cluster = Cluster::new();
    let namespace = cluster.namespace("e2e-helm-caps");
    let ns = namespace.name.clone();
    let main_tf = provider(&cluster) + &release("caps", "capabilities", &ns, "");
    let stack = Stack::new(&main_tf);
    let plan = stack.run(&["plan"]).expect(0);
    assert_shows(
        &plan,
        &[
            "apiVersion = \"policy/v1beta1\"",
            "kubernetes = \"v1.20.2\"",
        ],
    );
    stack.apply();
    let budget = cluster.json(&["get", "poddisruptionbudget", "gourmetgram", "-n", &ns]);
    assert_eq!(budget["spec"]["minAvailable"], 1);
    stack.assert_clean();
    stack.run(&["destroy", "--auto-approve"]).expect(0);
}
