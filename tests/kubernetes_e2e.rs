//! The `ggplan` binary with the kubernetes provider against the real control plane of
//! `tests/support/kubernetes.sh` (etcd, kube-apiserver and kube-controller-manager v1.20.2 on
//! loopback, no kubelet: pods never run; scripts/test.sh starts it and exports GGPLAN_TEST_KUBE*,
//! and these tests fail with a clear message when they are missing). `kubernetes_manifest`
//! objects are applied, re-planned with no changes, changed by hand with kubectl (drift that
//! `plan` and `ggplan drift` show and apply repairs) and destroyed to nothing, which kubectl
//! confirms: namespaces and config maps, a field another manager owns (a conflict until
//! `force_conflicts`), a Secret from `random_password` that is never printed, a CRD and its custom
//! resources in one apply, a multi-document install through `manifest_decode_multi`, an import,
//! the provider block in each of its forms (also configured during apply from values of the same
//! stack), and bad input: each a located diagnostic, with nothing recorded wrongly.
//!
//! The cluster is shared with other tests: everything here is named `e2e-mf-*` (namespaces and
//! cluster-wide objects alike), and each test has namespaces of its own, so the tests run in
//! parallel.

#[path = "support/binary.rs"]
mod binary;
#[path = "support/kube.rs"]
mod kube;
#[path = "support/kube_stack.rs"]
mod kube_stack;

use base64::Engine as _;
use binary::Run;
use kube::{Cluster, fixture, unique};
use kube_stack::{
    Stack, TOKEN_VARIABLE, assert_hidden, assert_located, ca_fetched_during_apply,
    fetched_ca_connection, kubeconfig_provider, line_of, token_tfvars,
};
use serde_json::Value as Json;

/// `kubernetes_manifest.namespace`: the namespace `name`, with `labels` (an HCL object).
fn namespace_manifest(name: &str, labels: &str) -> String {
    format!(
        "resource \"kubernetes_manifest\" \"namespace\" {{\n  manifest = {{\n    \
         apiVersion = \"v1\"\n    kind       = \"Namespace\"\n    \
         metadata   = {{ name = \"{name}\", labels = {labels} }}\n  }}\n}}\n"
    )
}

/// `kubernetes_manifest.settings`: the config map `settings` in `namespace` (an HCL
/// expression), with `labels` and `data` (HCL objects).
fn settings_config_map(namespace: &str, labels: &str, data: &str) -> String {
    format!(
        r#"
resource "kubernetes_manifest" "settings" {{
  manifest = {{
    apiVersion = "v1"
    kind       = "ConfigMap"
    metadata = {{
      name      = "settings"
      namespace = {namespace}
      labels    = {labels}
    }}
    data = {data}
  }}
}}
"#
    )
}

/// A namespace and a config map in it, labelled, as manifests.
fn config_maps(namespace: &str) -> String {
    namespace_manifest(namespace, "{ team = \"gourmetgram\" }")
        + &settings_config_map(
            "kubernetes_manifest.namespace.manifest.metadata.name",
            "{ app = \"food-classifier\", tier = \"backend\" }",
            "{\n      MODEL_NAME = \"GourmetGramFood11Model\"\n      greeting   = \"hello\"\n    }",
        )
}

#[test]
fn namespaces_and_config_maps_apply_replan_clean_repair_drift_and_destroy() {
    let cluster = Cluster::new();
    let ns = unique("e2e-mf-cm");
    let _leftover = cluster.leftover(ns.clone());
    let stack = Stack::new(&(kubeconfig_provider(&cluster) + &config_maps(&ns)));
    let out = stack.apply();
    assert!(
        out.stdout.contains("2 added, 0 changed, 0 destroyed"),
        "{}",
        out.all()
    );
    let live = cluster.json(&["get", "configmap", "settings", "-n", &ns]);
    assert_eq!(live["data"]["greeting"], "hello");
    assert_eq!(live["metadata"]["labels"]["tier"], "backend");
    stack.assert_clean();

    // A label removed by hand from each object, and a field changed as `kubectl edit` would.
    cluster.ok(&["label", "namespace", &ns, "team-"]);
    cluster.ok(&["label", "configmap", "settings", "-n", &ns, "tier-"]);
    let edit = r#"{"data":{"greeting":"hi"}}"#;
    cluster.merge_patch(&["configmap", "settings", "-n", &ns], edit);
    let [plan, _] = stack.assert_drift(&[
        "kubernetes_manifest.namespace",
        "kubernetes_manifest.settings",
        "\"hi\"",
        "tier",
        "team",
    ]);
    let text = plan.all();
    assert!(
        text.contains("0 to add, 2 to change, 0 to destroy"),
        "{text}"
    );
    stack.assert_repaired(&cluster, &["configmap", "settings", "-n", &ns], |live| {
        assert_eq!(live["data"]["greeting"], "hello");
        assert_eq!(live["metadata"]["labels"]["tier"], "backend");
    });
    let namespace = cluster.json(&["get", "namespace", &ns]);
    assert_eq!(namespace["metadata"]["labels"]["team"], "gourmetgram");

    let objects: [&[&str]; 2] = [&["namespace", &ns], &["configmap", "settings", "-n", &ns]];
    stack.destroy_to_nothing(&cluster, &objects);
}

/// A config map with `data` after its greeting, and `field_manager` as its last block.
fn owned_config_map(cluster: &Cluster, namespace: &str, data: &str, field_manager: &str) -> String {
    kubeconfig_provider(cluster)
        + &format!(
            r#"
resource "kubernetes_manifest" "settings" {{
  manifest = {{
    apiVersion = "v1"
    kind       = "ConfigMap"
    metadata   = {{ name = "settings", namespace = "{namespace}" }}
    data       = {{ greeting = "hello"{data} }}
  }}
{field_manager}}}
"#
        )
}

/// Another field manager (an operator's own server-side apply, forcing when `force`) sets the
/// config map's `owner` to "operations".
fn operations_set_the_owner(cluster: &Cluster, namespace: &str, force: bool) {
    let manifest = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: settings, namespace: {namespace}}}\n\
         data: {{owner: operations}}\n"
    );
    let mut args = vec![
        "apply",
        "--server-side",
        "--field-manager",
        "e2e-operations",
    ];
    if force {
        args.push("--force-conflicts");
    }
    let out = cluster.kubectl_input(&[&args[..], &["-f", "-"]].concat(), Some(&manifest));
    assert!(out.ok, "{}", out.stderr);
}

#[test]
fn a_field_another_manager_set_is_a_conflict_until_force_conflicts_takes_it() {
    let cluster = Cluster::new();
    let ns = cluster.namespace("e2e-mf-conflict");
    let stack = Stack::new(&owned_config_map(&cluster, &ns.name, "", ""));
    stack.apply();
    operations_set_the_owner(&cluster, &ns.name, false);
    let before = stack.state();

    // The stack now sets that field too: the server's conflict, and what to do about it.
    let owner = ",\n    owner = \"platform\"";
    let main_tf = owned_config_map(&cluster, &ns.name, owner, "");
    stack.write(&main_tf);
    let plan = stack.run(&["plan"]);
    let manifest_line = line_of(&main_tf, "manifest =");
    assert_located(&plan, "another field manager owns fields", manifest_line);
    let said = [
        "conflict with \"e2e-operations\"",
        ".data.owner",
        "force_conflicts = true",
    ];
    for text in said {
        assert!(
            plan.all().contains(text),
            "{text:?} not said:\n{}",
            plan.all()
        );
    }
    let apply = stack.run(&["apply", "--auto-approve"]);
    assert_located(&apply, "another field manager owns fields", manifest_line);
    assert_eq!(stack.state()["resources"], before["resources"]);
    let live = cluster.json(&["get", "configmap", "settings", "-n", &ns.name]);
    assert_eq!(live["data"]["owner"], "operations");

    let forced = "  field_manager {\n    force_conflicts = true\n  }\n";
    stack.write(&owned_config_map(&cluster, &ns.name, owner, forced));
    let settings = ["configmap", "settings", "-n", ns.name.as_str()];
    let owned_by_the_stack = |live: &Json| assert_eq!(live["data"]["owner"], "platform");
    stack.assert_repaired(&cluster, &settings, owned_by_the_stack);

    // Now that the stack has set it, the other manager taking it back is drift, repaired.
    operations_set_the_owner(&cluster, &ns.name, true);
    stack.assert_drift(&["kubernetes_manifest.settings", "\"operations\""]);
    stack.assert_repaired(&cluster, &settings, owned_by_the_stack);
    stack.destroy_to_nothing(&cluster, &[&settings]);
}

/// The seed's Postgres credentials: a Secret whose password comes from `random_password`.
fn postgres_secret(cluster: &Cluster, namespace: &str, extra: &str) -> String {
    let namespace_manifest = namespace_manifest(namespace, "{}");
    kubeconfig_provider(cluster)
        + &format!(
            r#"
resource "random_password" "postgres" {{
  length  = 24
  special = false
}}

{namespace_manifest}
resource "kubernetes_manifest" "postgres" {{
  manifest = {{
    apiVersion = "v1"
    kind       = "Secret"
    type       = "Opaque"
    metadata = {{
      name      = "postgres-credentials"
      namespace = kubernetes_manifest.namespace.manifest.metadata.name
    }}
    stringData = {{
      POSTGRES_USER     = "gourmetgram"
      POSTGRES_PASSWORD = random_password.postgres.result{extra}
    }}
  }}
}}
"#
        )
}

/// The password of the Secret `live` (as kubectl shows it).
fn password_of(live: &Json) -> String {
    let encoded = live["data"]["POSTGRES_PASSWORD"].as_str().unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap();
    String::from_utf8(bytes).unwrap()
}

/// Every way to look at a stack that prints its values: plans, drift, the state, in text and
/// in JSON.
fn every_view(stack: &Stack) -> Vec<Run> {
    [
        &["plan"][..],
        &["plan", "--json"],
        &["plan", "--format", "json"],
        &["drift"],
        &["drift", "--format", "json"],
        &["show"],
        &["show", "--json"],
        &["state", "show", "kubernetes_manifest.postgres"],
    ]
    .iter()
    .map(|args| stack.run(args))
    .collect()
}

#[test]
fn a_secret_from_random_password_is_created_once_never_regenerated_and_never_printed() {
    let cluster = Cluster::new();
    let ns = unique("e2e-mf-secret");
    let _leftover = cluster.leftover(ns.clone());
    let stack = Stack::new(&postgres_secret(&cluster, &ns, ""));
    let first = stack.run(&["apply", "--auto-approve"]).expect(0);
    let get = ["get", "secret", "postgres-credentials", "-n", ns.as_str()];
    let password = password_of(&cluster.json(&get));
    assert_eq!(password.len(), 24);
    let again = stack.run(&["apply", "--auto-approve", "--json"]).expect(0);
    let secret = ["secret", "postgres-credentials", "-n", ns.as_str()];
    let unchanged = |live: &Json| assert_eq!(password_of(live), password, "not the first one");
    unchanged(&cluster.json(&[&["get"][..], &secret].concat()));
    stack.assert_clean();
    assert_hidden(
        &password,
        [&first, &again].into_iter().chain(&every_view(&stack)),
    );

    // A value changed by hand is drift, shown without revealing either value.
    let tampered = "tampered-by-hand";
    let patch = format!(r#"{{"stringData":{{"POSTGRES_PASSWORD":"{tampered}"}}}}"#);
    cluster.merge_patch(&secret, &patch);
    let shown = stack.assert_drift(&["kubernetes_manifest.postgres", "(sensitive value)"]);
    let views = every_view(&stack);
    for value in [password.as_str(), tampered] {
        assert_hidden(value, shown.iter().chain(&views));
    }
    stack.assert_repaired(&cluster, &secret, unchanged);

    // An error about the Secret (a key the server refuses) does not print it either.
    let main_tf = postgres_secret(&cluster, &ns, ",\n      \"bad key\" = \"x\"");
    stack.write(&main_tf);
    let refused = stack.run(&["apply", "--auto-approve"]);
    let line = line_of(&main_tf, "manifest\" \"postgres\"") + 1;
    assert_located(&refused, "the cluster rejected the object", line);
    assert!(refused.all().contains("bad key"), "{}", refused.all());
    assert_hidden(&password, [&refused]);
    unchanged(&cluster.json(&[&["get"][..], &secret].concat()));

    stack.write(&postgres_secret(&cluster, &ns, ""));
    let destroy = stack.destroy_to_nothing(&cluster, &[&["namespace", &ns]]);
    assert_hidden(&password, [&destroy]);
}

/// The fixture CRDs' names made this test's own (`e2e-mf-` names, `E2eMf` kinds): the cluster
/// may hold the original fixture CRD, and a group may not serve one kind twice.
const CRD_NAMES: [(&str, &str); 6] = [
    ("WorkflowTemplateFixture", "E2eMfWorkflowTemplateFixture"),
    ("workflowtemplatefixture", "e2e-mf-workflowtemplatefixture"),
    ("wftfixture", "e2e-mf-wftfixture"),
    ("CronWorkflowFixture", "E2eMfCronWorkflowFixture"),
    ("cronworkflowfixture", "e2e-mf-cronworkflowfixture"),
    ("cwffixture", "e2e-mf-cwffixture"),
];

/// A fixture's text with `renames` applied.
fn fixture_text(name: &str, renames: &[(&str, &str)]) -> String {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    renames
        .iter()
        .fold(text, |text, (from, to)| text.replace(from, to))
}

/// `kubernetes_manifest.<resource>`: the argoproj.io/v1alpha1 `kind` `name` in the test's
/// namespace, with `spec` (HCL lines), written after the CRDs.
fn custom_resource(resource: &str, kind: &str, name: &str, spec: &str) -> String {
    format!(
        r#"
resource "kubernetes_manifest" "{resource}" {{
  manifest = {{
    apiVersion = "argoproj.io/v1alpha1"
    kind       = "{kind}"
    metadata   = {{ name = "{name}", namespace = kubernetes_manifest.namespace.manifest.metadata.name }}
    spec = {{
{spec}
    }}
  }}
  depends_on = [kubernetes_manifest.crd]
}}
"#
    )
}

/// Two CRDs decoded from their YAML, a namespace, and a custom resource of each kind (the
/// seed's training template and its daily cron), written after the CRDs in one stack.
fn workflows(cluster: &Cluster, namespace: &str, extra: &str) -> String {
    let namespace_manifest = namespace_manifest(namespace, "{}");
    let train = custom_resource(
        "train",
        "E2eMfWorkflowTemplateFixture",
        "train-food11",
        r#"      entrypoint = "train"
      arguments  = { parameters = [{ name = "model", value = "GourmetGramFood11Model" }] }
      templates = [{
        name      = "train"
        container = { image = "registry.local/gourmetgram/train:1.0", command = ["python", "train.py"] }
      }]"#,
    );
    let cron_train = custom_resource(
        "cron_train",
        "E2eMfCronWorkflowFixture",
        "cron-train",
        r#"      schedule          = "0 2 * * *"
      timezone          = "UTC"
      concurrencyPolicy = "Forbid"
      workflowSpec      = { workflowTemplateRef = { name = kubernetes_manifest.train.manifest.metadata.name } }"#,
    );
    kubeconfig_provider(cluster)
        + &format!(
            r#"
resource "kubernetes_manifest" "crd" {{
  for_each = toset(["workflowtemplate-crd.yaml", "cronworkflow-crd.yaml"])
  manifest = provider::kubernetes::manifest_decode(file("${{path.module}}/${{each.value}}"))
}}

{namespace_manifest}{train}{cron_train}{extra}"#
        )
}

const CRDS: [&str; 2] = [
    "e2e-mf-workflowtemplatefixtures.argoproj.io",
    "e2e-mf-cronworkflowfixtures.argoproj.io",
];

#[test]
fn a_crd_and_its_custom_resources_apply_in_one_run_from_empty_crds_first() {
    let cluster = Cluster::new();
    // CRDs an earlier, failed run left behind would make this run's plan less than empty.
    for crd in CRDS {
        cluster.ok(&["delete", "crd", crd, "--ignore-not-found", "--timeout=60s"]);
    }
    let ns = unique("e2e-mf-argo");
    let _leftover = cluster.leftover(ns.clone());
    let stack = Stack::new(&workflows(&cluster, &ns, ""));
    for name in ["workflowtemplate-crd.yaml", "cronworkflow-crd.yaml"] {
        stack.write_file(name, &fixture_text(name, &CRD_NAMES));
    }
    let plan = stack.run(&["plan"]).expect(0);
    for text in [
        "The cluster serves no kind E2eMfWorkflowTemplateFixture in argoproj.io/v1alpha1 yet",
        "The cluster serves no kind E2eMfCronWorkflowFixture in argoproj.io/v1alpha1 yet",
        "(known after apply)",
        "Plan: 5 to add",
    ] {
        assert!(
            plan.all().contains(text),
            "{text:?} not in the plan:\n{}",
            plan.all()
        );
    }
    let out = stack.apply();
    assert!(out.stdout.contains("5 added"), "{}", out.all());
    let cron = cluster.json(&[
        "get",
        "e2e-mf-cronworkflowfixtures",
        "cron-train",
        "-n",
        &ns,
    ]);
    assert_eq!(cron["spec"]["schedule"], "0 2 * * *");
    let train = cluster.json(&[
        "get",
        "e2e-mf-workflowtemplatefixtures",
        "train-food11",
        "-n",
        &ns,
    ]);
    assert_eq!(
        train["spec"]["templates"][0]["container"]["image"],
        "registry.local/gourmetgram/train:1.0"
    );
    stack.assert_clean();

    // The schedule changed by hand in the UI (as the seed's lab does), then put back.
    let edit = r#"{"spec":{"schedule":"*/15 * * * *"}}"#;
    let cron = [
        "e2e-mf-cronworkflowfixtures",
        "cron-train",
        "-n",
        ns.as_str(),
    ];
    cluster.merge_patch(&cron, edit);
    stack.assert_drift(&["kubernetes_manifest.cron_train", "*/15 * * * *"]);
    stack.assert_repaired(&cluster, &cron, |live| {
        assert_eq!(live["spec"]["schedule"], "0 2 * * *")
    });

    a_custom_resource_the_schema_rejects_is_a_located_plan_error(&cluster, &stack, &ns);

    let objects: [&[&str]; 3] = [&["crd", CRDS[0]], &["crd", CRDS[1]], &["namespace", &ns]];
    stack.destroy_to_nothing(&cluster, &objects);
}

/// The fixture that the CRD's schema rejects (no entrypoint, a template name off its pattern):
/// the dry-run's refusal is the plan's error, at the resource, and nothing is written.
fn a_custom_resource_the_schema_rejects_is_a_located_plan_error(
    cluster: &Cluster,
    stack: &Stack,
    ns: &str,
) {
    let broken = r#"
resource "kubernetes_manifest" "broken" {
  manifest = merge(
    provider::kubernetes::manifest_decode(file("${path.module}/workflowtemplate-invalid.yaml")),
    { metadata = { name = "broken", namespace = kubernetes_manifest.namespace.manifest.metadata.name } },
  )
}
"#;
    let main_tf = workflows(cluster, ns, broken);
    stack.write(&main_tf);
    stack.write_file(
        "workflowtemplate-invalid.yaml",
        &fixture_text("workflowtemplate-invalid.yaml", &CRD_NAMES),
    );
    let before = stack.state();
    let plan = stack.run(&["plan"]);
    assert_located(
        &plan,
        "the cluster rejected the object",
        line_of(&main_tf, "manifest = merge("),
    );
    for text in ["spec.entrypoint", "Required value", "spec.templates"] {
        assert!(
            plan.all().contains(text),
            "{text:?} not said:\n{}",
            plan.all()
        );
    }
    stack.run(&["apply", "--auto-approve"]).expect(1);
    assert_eq!(stack.state()["resources"], before["resources"]);
    assert!(cluster.gone(&["e2e-mf-workflowtemplatefixtures", "broken", "-n", ns]));
    stack.write(&workflows(cluster, ns, ""));
}

/// A vendored install file (tests/fixtures/kubernetes/install.yaml), one manifest per document
/// through `manifest_decode_multi`: the namespace first, then the rest; the Deployment waits
/// for its rollout.
const INSTALL: &str = r#"
locals {
  install = {
    for m in provider::kubernetes::manifest_decode_multi(file("${path.module}/install.yaml")) :
    "${m.kind}/${m.metadata.name}" => m
  }
}

resource "kubernetes_manifest" "install_namespace" {
  for_each = { for key, m in local.install : key => m if m.kind == "Namespace" }
  manifest = each.value
}

resource "kubernetes_manifest" "install" {
  for_each = { for key, m in local.install : key => m if m.kind != "Namespace" }
  manifest = each.value
  dynamic "wait" {
    for_each = each.value.kind == "Deployment" ? [true] : []
    content {
      rollout = true
    }
  }
  timeouts {
    create = "60s"
    update = "60s"
  }
  depends_on = [kubernetes_manifest.install_namespace]
}
"#;

#[test]
fn a_multi_document_install_applies_through_manifest_decode_multi_with_a_rollout_of_no_pods() {
    // Pods never run here (no kubelet): the Deployment has 0 replicas, a rollout the
    // deployment controller completes on its own.
    let cluster = Cluster::new();
    let ns = unique("e2e-mf-install");
    let _leftover = cluster.leftover(ns.clone());
    let stack = Stack::new(&(kubeconfig_provider(&cluster) + INSTALL));
    stack.write_file(
        "install.yaml",
        &fixture_text("install.yaml", &[("e2e-install", &ns)]),
    );
    let out = stack.apply();
    assert!(out.stdout.contains("4 added"), "{}", out.all());
    let deployment = cluster.json(&["get", "deployment", "food-classifier", "-n", &ns]);
    assert_eq!(
        deployment["status"]["observedGeneration"],
        deployment["metadata"]["generation"]
    );
    assert!(!cluster.gone(&["serviceaccount", "food-classifier", "-n", &ns]));
    let addresses = stack.addresses();
    assert!(
        addresses
            .contains(&"kubernetes_manifest.install[\"Deployment/food-classifier\"]".to_string()),
        "{addresses:?}"
    );
    stack.assert_clean();

    // Scaled up, reconfigured and its service account deleted by hand: drift, and the repair
    // rolls out again.
    let deployment = ["deployment", "food-classifier", "-n", ns.as_str()];
    cluster.merge_patch(&deployment, r#"{"spec":{"replicas":2}}"#);
    let config = ["configmap", "food-classifier-config", "-n", ns.as_str()];
    cluster.merge_patch(&config, r#"{"data":{"MODEL_ALIAS":"canary"}}"#);
    cluster.ok(&["delete", "serviceaccount", "food-classifier", "-n", &ns]);
    let [plan, drift] = stack.assert_drift(&[
        "Deployment/food-classifier",
        "ConfigMap/food-classifier-config",
        "\"canary\"",
        "ServiceAccount/food-classifier",
    ]);
    assert!(
        plan.stdout.contains("1 to add, 2 to change, 0 to destroy"),
        "{}",
        plan.all()
    );
    assert!(
        drift.stdout.contains("2 changed, 1 deleted"),
        "{}",
        drift.all()
    );
    stack.assert_repaired(&cluster, &deployment, |live| {
        assert_eq!(live["spec"]["replicas"], 0);
        assert_eq!(
            live["status"]["observedGeneration"],
            live["metadata"]["generation"]
        );
    });
    assert!(!cluster.gone(&["serviceaccount", "food-classifier", "-n", &ns]));
    let config = cluster.json(&[&["get"][..], &config].concat());
    assert_eq!(config["data"]["MODEL_ALIAS"], "production");

    stack.destroy_to_nothing(&cluster, &[&["namespace", &ns], &deployment]);
}

/// A config map someone made with kubectl, and the manifest that adopts it: the same value,
/// and a label of the stack's own.
fn legacy_config_map(namespace: &str) -> String {
    format!(
        r#"
resource "kubernetes_manifest" "legacy" {{
  manifest = {{
    apiVersion = "v1"
    kind       = "ConfigMap"
    metadata   = {{ name = "legacy", namespace = "{namespace}", labels = {{ managed-by = "ggplan" }} }}
    data       = {{ MODEL_ALIAS = "staging" }}
  }}
}}
"#
    )
}

#[test]
fn an_existing_config_map_is_imported_then_planned_applied_and_destroyed() {
    let cluster = Cluster::new();
    let ns = cluster.namespace("e2e-mf-import");
    let literals = [
        "--from-literal=MODEL_ALIAS=staging",
        "--from-literal=NOTES=by hand",
    ];
    cluster.ok(&[
        &["create", "configmap", "legacy", "-n", &ns.name][..],
        &literals,
    ]
    .concat());
    let stack = Stack::new(&(kubeconfig_provider(&cluster) + &legacy_config_map(&ns.name)));
    let id = format!(
        "apiVersion=v1,kind=ConfigMap,namespace={},name=legacy",
        ns.name
    );
    let out = stack
        .run(&["import", "kubernetes_manifest.legacy", &id])
        .expect(0);
    assert!(out.stdout.contains("Import successful"), "{}", out.all());
    assert_eq!(stack.addresses(), ["kubernetes_manifest.legacy"]);

    // The import recorded the object by its identity: the plan takes the manifest's fields
    // over in place (no replacement), and leaves the rest to whoever set it.
    let plan = stack.run(&["plan", "--detailed-exitcode"]).expect(2);
    let text = plan.all();
    assert!(
        text.contains("kubernetes_manifest.legacy will be updated in-place"),
        "{text}"
    );
    assert!(text.contains("+ managed-by = \"ggplan\""), "{text}");
    assert!(
        text.contains("0 to add, 1 to change, 0 to destroy"),
        "{text}"
    );
    stack.apply();
    let live = cluster.json(&["get", "configmap", "legacy", "-n", &ns.name]);
    assert_eq!(live["metadata"]["labels"]["managed-by"], "ggplan");
    assert_eq!(live["data"]["NOTES"], "by hand");
    stack.assert_clean();

    let legacy = ["configmap", "legacy", "-n", ns.name.as_str()];
    cluster.merge_patch(&legacy, r#"{"data":{"MODEL_ALIAS":"canary"}}"#);
    stack.assert_drift(&["kubernetes_manifest.legacy", "\"canary\""]);
    stack.assert_repaired(&cluster, &legacy, |live| {
        assert_eq!(live["data"]["MODEL_ALIAS"], "staging")
    });
    stack.destroy_to_nothing(&cluster, &[&legacy]);
}

/// A labelled config map in `namespace`.
fn labelled_config_map(namespace: &str) -> String {
    settings_config_map(
        &format!("\"{namespace}\""),
        "{ app = \"food-classifier\" }",
        "{ MODEL_ALIAS = \"production\" }",
    )
}

/// A labelled config map managed through `provider` (a provider block, and whatever it
/// reads), with `tfvars`: applied, re-planned clean, its label removed by hand (drift, seen
/// and repaired), destroyed to nothing; none of `secrets` printed on the way.
fn manage_a_config_map_through(provider: &str, tfvars: &str, secrets: &[&str]) -> Vec<Run> {
    let cluster = Cluster::new();
    let ns = cluster.namespace("e2e-mf-provider");
    let stack = Stack::new(&(provider.to_string() + &labelled_config_map(&ns.name)));
    stack.write_file("terraform.tfvars", tfvars);
    let mut runs = vec![stack.apply()];
    stack.assert_clean();
    cluster.ok(&["label", "configmap", "settings", "-n", &ns.name, "app-"]);
    runs.extend(stack.assert_drift(&["kubernetes_manifest.settings", "food-classifier"]));
    let settings = ["configmap", "settings", "-n", ns.name.as_str()];
    stack.assert_repaired(&cluster, &settings, |live| {
        assert_eq!(live["metadata"]["labels"]["app"], "food-classifier")
    });
    runs.push(stack.destroy_to_nothing(&cluster, &[&settings]));
    for secret in secrets {
        assert_hidden(secret, &runs);
    }
    runs
}

/// A provider block with the server's address, the token variable and the CA file.
fn token_provider(cluster: &Cluster) -> String {
    format!(
        "{TOKEN_VARIABLE}provider \"kubernetes\" {{\n  host                   = \"{}\"\n  \
         token                  = var.token\n  cluster_ca_certificate = file(\"{}\")\n}}\n",
        cluster.host, cluster.ca
    )
}

#[test]
fn the_provider_configured_by_config_path_manages_objects() {
    let cluster = Cluster::new();
    manage_a_config_map_through(&kubeconfig_provider(&cluster), "", &[&cluster.token]);
}

#[test]
fn the_provider_configured_by_host_token_and_cluster_ca_certificate_manages_objects() {
    let cluster = Cluster::new();
    let tfvars = token_tfvars(&cluster);
    manage_a_config_map_through(&token_provider(&cluster), &tfvars, &[&cluster.token]);
}

#[test]
fn the_provider_configured_by_client_certificate_and_key_manages_objects() {
    let cluster = Cluster::new();
    let provider = format!(
        "provider \"kubernetes\" {{\n  host                   = \"{}\"\n  \
         client_certificate     = file(\"{}\")\n  client_key             = file(\"{}\")\n  \
         cluster_ca_certificate = file(\"{}\")\n}}\n",
        cluster.host, cluster.cert, cluster.key, cluster.ca
    );
    // A line of the private key's body stands for all of it.
    let key = std::fs::read_to_string(&cluster.key).unwrap();
    let key_line = key.lines().nth(1).unwrap().to_string();
    manage_a_config_map_through(&provider, "", &[&key_line]);
}

#[test]
fn the_provider_configured_from_a_file_written_by_the_same_apply_works_from_empty() {
    // As a first layer fetches the cluster's CA from node1: written by this apply, read back
    // by a data source during it, so the provider is configured only then.
    let cluster = Cluster::new();
    let provider = format!(
        "{}\nprovider \"kubernetes\" {{\n{}}}\n",
        ca_fetched_during_apply(&cluster),
        fetched_ca_connection(&cluster, "  ")
    );
    let tfvars = token_tfvars(&cluster);
    let runs = manage_a_config_map_through(&provider, &tfvars, &[&cluster.token]);
    let first = runs[0].all();
    assert!(
        first.contains("Provider \"kubernetes\" is configured during apply"),
        "{first}"
    );
    assert!(first.contains("2 added"), "{first}");
}

/// A stack with one config map applied in `ns`, whose main.tf `edit` then changes (it may
/// write other files of the stack): plan and apply must both refuse the change with `summary`,
/// located at the line of `at` in the new main.tf (or `below` it), and leave the state's
/// resources as they were. Their outputs, plan first.
fn refused_edit(
    cluster: &Cluster,
    ns: &str,
    edit: impl FnOnce(&Stack, String) -> String,
    summary: &str,
    (at, below): (&str, usize),
) -> [Run; 2] {
    let good = kubeconfig_provider(cluster) + &labelled_config_map(ns);
    let stack = Stack::new(&good);
    stack.apply();
    let before = stack.state();
    let main_tf = edit(&stack, good);
    stack.write(&main_tf);
    let line = line_of(&main_tf, at) + below;
    let plan = stack.run(&["plan"]);
    assert_located(&plan, summary, line);
    let apply = stack.run(&["apply", "--auto-approve"]);
    assert_located(&apply, summary, line);
    assert_eq!(stack.state()["resources"], before["resources"]);
    [plan, apply]
}

/// A kubernetes_manifest `name` (a config map in `namespace` unless that is empty), with
/// `fields` in front of its metadata and `blocks` after the manifest.
fn manifest(name: &str, fields: &str, namespace: &str, blocks: &str) -> String {
    let namespace = match namespace {
        "" => String::new(),
        ns => format!(", namespace = \"{ns}\""),
    };
    format!(
        "\nresource \"kubernetes_manifest\" \"{name}\" {{\n  manifest = {{\n{fields}    \
         metadata = {{ name = \"{name}\"{namespace} }}\n  }}\n{blocks}}}\n"
    )
}

/// The manifest fields of a config map.
const CONFIG_MAP: &str = "    apiVersion = \"v1\"\n    kind = \"ConfigMap\"\n";

#[test]
fn a_manifest_without_api_version_or_kind_is_refused_at_its_line() {
    let cluster = Cluster::new();
    let ns = cluster.namespace("e2e-mf-bad-shape");
    let no_api_version = manifest("no-api-version", "    kind = \"ConfigMap\"\n", &ns.name, "");
    let no_kind = manifest("no-kind", "    apiVersion = \"v1\"\n", &ns.name, "");
    let both = format!("{no_api_version}{no_kind}");
    let summary = "the manifest has no apiVersion";
    let edit = |_: &Stack, good: String| good + &both;
    let [plan, _] = refused_edit(&cluster, &ns.name, edit, summary, ("\"no-api-version\"", 1));
    let text = plan.all();
    assert!(text.contains("the manifest has no kind"), "{text}");
    let main_tf = kubeconfig_provider(&cluster) + &labelled_config_map(&ns.name) + &both;
    let no_kind_line = line_of(&main_tf, "\"no-kind\"") + 1;
    assert!(
        text.contains(&format!("on ./main.tf line {no_kind_line}")),
        "{text}"
    );
}

#[test]
fn a_rollout_wait_on_a_kind_without_rollout_is_refused_at_its_line() {
    let cluster = Cluster::new();
    let ns = cluster.namespace("e2e-mf-bad-wait");
    let wait = "  wait {\n    rollout = true\n  }\n";
    let waiting = manifest("waiting", CONFIG_MAP, &ns.name, wait);
    let summary = "ConfigMap objects have no rollout to wait for";
    refused_edit(
        &cluster,
        &ns.name,
        |_, good| good + &waiting,
        summary,
        ("rollout =", 0),
    );
    assert!(cluster.gone(&["configmap", "waiting", "-n", &ns.name]));
}

#[test]
fn an_unknown_core_kind_is_a_plan_error_naming_the_kinds_v1_has() {
    let cluster = Cluster::new();
    let ns = cluster.namespace("e2e-mf-bad-kind");
    let fields = CONFIG_MAP.replace("ConfigMap", "ConfigMapp");
    let typo = manifest("typo", &fields, &ns.name, "");
    let summary = "the cluster has no kind ConfigMapp in v1";
    let [plan, _] = refused_edit(
        &cluster,
        &ns.name,
        |_, good| good + &typo,
        summary,
        ("\"typo\"", 1),
    );
    let text = plan.all();
    let listed = text
        .lines()
        .find_map(|line| line.strip_prefix("The kinds of v1 are: "))
        .unwrap_or_else(|| panic!("no list of kinds:\n{text}"));
    let listed: Vec<&str> = listed.split(['.', ',', ' ']).collect();
    for kind in ["ConfigMap", "Namespace", "Secret", "ServiceAccount"] {
        assert!(listed.contains(&kind), "{kind} not listed:\n{text}");
    }
}

#[test]
fn a_namespaced_kind_without_namespace_is_refused_at_its_manifest() {
    let cluster = Cluster::new();
    let ns = cluster.namespace("e2e-mf-bad-namespace");
    let homeless = manifest("homeless", CONFIG_MAP, "", "");
    let summary = "ConfigMap objects live in a namespace: set metadata.namespace";
    let edit = |_: &Stack, good: String| good + &homeless;
    refused_edit(&cluster, &ns.name, edit, summary, ("\"homeless\"", 1));
}

#[test]
fn an_unreachable_cluster_fails_plan_and_apply_and_records_nothing() {
    let cluster = Cluster::new();
    let ns = cluster.namespace("e2e-mf-unreachable");
    // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    let unreachable = token_provider(&cluster).replace(&cluster.host, "https://127.0.0.1:9");
    let edit = |stack: &Stack, good: String| {
        stack.write_file("terraform.tfvars", &token_tfvars(&cluster));
        good.replace(&kubeconfig_provider(&cluster), &unreachable)
    };
    let summary = "cannot reach the Kubernetes API server at https://127.0.0.1:9";
    let [plan, apply] = refused_edit(&cluster, &ns.name, edit, summary, ("\"settings\"", 0));
    assert_hidden(&cluster.token, [&plan, &apply]);
}

#[test]
fn a_bad_token_is_refused_with_nothing_recorded_and_never_printed() {
    let cluster = Cluster::new();
    let ns = cluster.namespace("e2e-mf-bad-token");
    let bad_token = unique("e2e-mf-not-a-token");
    let edit = |stack: &Stack, good: String| {
        stack.write_file("terraform.tfvars", &format!("token = \"{bad_token}\"\n"));
        good.replace(&kubeconfig_provider(&cluster), &token_provider(&cluster))
    };
    let summary = "the cluster refused the credentials";
    let [plan, apply] = refused_edit(&cluster, &ns.name, edit, summary, ("\"settings\"", 0));
    assert_hidden(&bad_token, [&plan, &apply]);
    let live = cluster.json(&["get", "configmap", "settings", "-n", &ns.name]);
    assert_eq!(live["metadata"]["labels"]["app"], "food-classifier");
}
