//! hashicorp/kubernetes's typed resources and data sources (`kubernetes_namespace_v1`,
//! `kubernetes_secret_v1`, `kubernetes_config_map_v1`, `kubernetes_service_account_v1`,
//! `kubernetes_cluster_role_binding_v1`, `kubernetes_config_map_v1_data`,
//! `kubernetes_annotations`; data sources `kubernetes_resource`, `kubernetes_secret_v1`,
//! `kubernetes_namespace_v1`) driven through the `ggplan` binary against the real control plane
//! of `tests/support/kubernetes.sh` (see tests/kubernetes_e2e.rs for what it is), in the
//! GourmetGram seed's own scenarios: the platform namespace with its generated credentials and
//! the dashboard's admin-user, CoreDNS's ConfigMap patched, a rollout restart by annotation, the
//! Argo CD admin secret copied into another namespace, objects made by kubectl imported, and
//! bad input refused at its line. kubectl checks and perturbs what ggplan did.
//!
//! Everything here is named `e2e-ty-*`, each test in namespaces of its own, so the tests run in
//! parallel and again against the same cluster.

#[path = "support/binary.rs"]
mod binary;
#[path = "support/kube.rs"]
mod kube;
#[path = "support/kube_stack.rs"]
mod kube_stack;

use base64::Engine as _;
use kube::{Cluster, unique};
use kube_stack::{Stack, assert_hidden, credentials, team_namespace};
use serde_json::Value as Json;

/// A Secret's `key`, decoded, as kubectl shows it.
fn decoded(live: &Json, key: &str) -> String {
    let text = live["data"][key]
        .as_str()
        .unwrap_or_else(|| panic!("{key}: {live}"));
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap();
    String::from_utf8(bytes).unwrap()
}

/// The seed's platform layer: its namespace, MLflow's settings, the Postgres credentials from
/// random_password, and the dashboard's admin-user with its cluster-admin binding and token.
fn platform(ns: &str, greeting: &str, role: &str) -> String {
    let namespace = team_namespace("platform", ns);
    let data = "username = \"gourmetgram\"\n    password = random_password.postgres.result";
    let postgres = credentials("postgres", "platform", data);
    format!(
        r#"
resource "random_password" "postgres" {{
  length  = 24
  special = false
}}

{namespace}
resource "kubernetes_config_map_v1" "mlflow" {{
  metadata {{
    name      = "mlflow-settings"
    namespace = kubernetes_namespace_v1.platform.metadata[0].name
    labels    = {{ app = "mlflow" }}
  }}
  data = {{
    MLFLOW_S3_ENDPOINT_URL = "http://minio:9000"
    greeting               = "{greeting}"
  }}
}}

{postgres}
resource "kubernetes_service_account_v1" "admin" {{
  metadata {{
    name      = "admin-user"
    namespace = kubernetes_namespace_v1.platform.metadata[0].name
  }}
}}

resource "kubernetes_cluster_role_binding_v1" "admin" {{
  metadata {{
    name = "{ns}-admin-user"
  }}
  role_ref {{
    api_group = "rbac.authorization.k8s.io"
    kind      = "ClusterRole"
    name      = "{role}"
  }}
  subject {{
    kind      = "ServiceAccount"
    name      = kubernetes_service_account_v1.admin.metadata[0].name
    namespace = kubernetes_namespace_v1.platform.metadata[0].name
  }}
}}

resource "kubernetes_secret_v1" "admin_token" {{
  metadata {{
    name        = "admin-user-token"
    namespace   = kubernetes_namespace_v1.platform.metadata[0].name
    annotations = {{ "kubernetes.io/service-account.name" = kubernetes_service_account_v1.admin.metadata[0].name }}
  }}
  type = "kubernetes.io/service-account-token"
}}

output "binding_subject" {{
  value = kubernetes_cluster_role_binding_v1.admin.subject[0].name
}}

output "admin_secret" {{
  value = kubernetes_service_account_v1.admin.default_secret_name
}}
"#
    )
}

#[test]
fn the_platform_layer_applies_replans_clean_repairs_drift_and_destroys() {
    let cluster = Cluster::new();
    let ns = unique("e2e-ty-platform");
    let _leftover = cluster.leftover(ns.clone());
    let binding = format!("{ns}-admin-user");
    let _binding = Binding(&cluster, &binding);
    let stack = Stack::kubeconfig(&cluster, &platform(&ns, "hello", "cluster-admin"));
    let mut runs = vec![stack.apply_says("7 added, 0 changed, 0 destroyed")];
    runs.push(stack.assert_clean());

    let namespace = cluster.json(&["get", "namespace", &ns]);
    assert_eq!(namespace["metadata"]["labels"]["team"], "gourmetgram");
    let settings = ["configmap", "mlflow-settings", "-n", ns.as_str()];
    let live = cluster.json(&[&["get"][..], &settings].concat());
    assert_eq!(live["data"]["MLFLOW_S3_ENDPOINT_URL"], "http://minio:9000");
    assert_eq!(live["metadata"]["labels"]["app"], "mlflow");
    let secret = cluster.json(&["get", "secret", "postgres-credentials", "-n", &ns]);
    let password = decoded(&secret, "password");
    assert_eq!(password.len(), 24);
    assert_eq!(decoded(&secret, "username"), "gourmetgram");
    assert_eq!(secret["type"], "Opaque");
    let bound = cluster.json(&["get", "clusterrolebinding", &binding]);
    assert_eq!(bound["roleRef"]["name"], "cluster-admin");
    assert_eq!(bound["subjects"][0]["name"], "admin-user");
    assert_eq!(bound["subjects"][0]["namespace"], ns.as_str());
    let token = cluster.json(&["get", "secret", "admin-user-token", "-n", &ns]);
    let token = decoded(&token, "token");
    assert!(token.len() > 20, "the token was not filled in");
    assert_eq!(stack.output("binding_subject"), "admin-user");
    let account = cluster.json(&["get", "serviceaccount", "admin-user", "-n", &ns]);
    let made = account["secrets"][0]["name"].as_str().unwrap();
    assert_eq!(stack.output("admin_secret"), made);

    // A label and a value changed by hand: drift, shown and repaired.
    cluster.ok(&[
        "label",
        "--overwrite",
        "namespace",
        &ns,
        "team=someone-else",
    ]);
    cluster.merge_patch(&settings, r#"{"data":{"greeting":"hi"}}"#);
    cluster.merge_patch(
        &["secret", "postgres-credentials", "-n", &ns],
        r#"{"stringData":{"password":"tampered-by-hand"}}"#,
    );
    let plan = stack.assert_changes(&[
        "kubernetes_namespace_v1.platform",
        "someone-else",
        "kubernetes_config_map_v1.mlflow",
        "\"hi\"",
        "kubernetes_secret_v1.postgres",
        "0 to add, 3 to change, 0 to destroy",
    ]);
    runs.push(plan);
    runs.push(stack.run(&["drift"]).expect(2));
    runs.push(stack.apply_says("0 added, 3 changed, 0 destroyed"));
    runs.push(stack.assert_clean());
    let live = cluster.json(&[&["get"][..], &settings].concat());
    assert_eq!(live["data"]["greeting"], "hello");
    let namespace = cluster.json(&["get", "namespace", &ns]);
    assert_eq!(namespace["metadata"]["labels"]["team"], "gourmetgram");
    let secret = cluster.json(&["get", "secret", "postgres-credentials", "-n", &ns]);
    assert_eq!(decoded(&secret, "password"), password);

    // A change of the configuration is an update in place.
    stack.write(&platform(&ns, "bonjour", "cluster-admin"));
    stack.assert_changes(&["~ greeting", "0 to add, 1 to change, 0 to destroy"]);
    runs.push(stack.apply_says("0 added, 1 changed, 0 destroyed"));
    let live = cluster.json(&[&["get"][..], &settings].concat());
    assert_eq!(live["data"]["greeting"], "bonjour");

    // A binding's role cannot change: a new role replaces the binding.
    stack.write(&platform(&ns, "bonjour", "view"));
    stack.assert_changes(&["forces replacement", "1 to add, 0 to change, 1 to destroy"]);
    runs.push(stack.apply_says("1 added, 0 changed, 1 destroyed"));
    let bound = cluster.json(&["get", "clusterrolebinding", &binding]);
    assert_eq!(bound["roleRef"]["name"], "view");
    runs.push(stack.assert_clean());

    for view in [
        &["show"][..],
        &["show", "--json"],
        &["state", "list"],
        &["state", "show", "kubernetes_secret_v1.postgres"],
        &["state", "show", "kubernetes_secret_v1.admin_token"],
        &["plan", "--json"],
    ] {
        runs.push(stack.run(view).expect(0));
    }
    let destroy = stack.run(&["destroy", "--auto-approve"]).expect(0);
    assert!(destroy.stdout.contains("7 destroyed"), "{}", destroy.all());
    runs.push(destroy);
    for value in [password.as_str(), "tampered-by-hand", token.as_str()] {
        assert_hidden(value, &runs);
    }
    assert_eq!(stack.addresses(), Vec::<String>::new());
    // The namespace's destroy waited until it was gone, with everything in it.
    assert!(cluster.gone(&["namespace", &ns]));
    assert!(cluster.gone(&["clusterrolebinding", &binding]));
}

/// A cluster role binding the stack under test makes and should destroy, deleted all the same
/// when the test ends, in case it failed first.
struct Binding<'a>(&'a Cluster, &'a str);

impl Drop for Binding<'_> {
    fn drop(&mut self) {
        let binding = ["delete", "clusterrolebinding", self.1, "--ignore-not-found"];
        self.0.kubectl(&binding);
    }
}

/// `kubernetes_config_map_v1_data` on the ConfigMap `coredns` of `ns`, setting `data`, with
/// `extra` lines in the resource.
fn coredns_patch(ns: &str, data: &str, extra: &str) -> String {
    format!(
        r#"
resource "kubernetes_config_map_v1_data" "coredns" {{
  metadata {{
    name      = "coredns"
    namespace = "{ns}"
  }}
  data = {{
{data}
  }}
{extra}}}

output "id" {{
  value = kubernetes_config_map_v1_data.coredns.id
}}
"#
    )
}

#[test]
fn config_map_data_patches_keys_of_a_config_map_another_manager_made() {
    let cluster = Cluster::new();
    let ns = cluster.namespace("e2e-ty-coredns");
    let ns = ns.name.as_str();
    let corefile = ".:53 {\n    forward . /etc/resolv.conf\n}\n";
    cluster.ok(&[
        "create",
        "configmap",
        "coredns",
        "-n",
        ns,
        &format!("--from-literal=Corefile={corefile}"),
        "--from-literal=owner=kubeadm",
    ]);
    let coredns = ["configmap", "coredns", "-n", ns];
    let get = || cluster.json(&[&["get"][..], &coredns].concat());
    let keys = |live: &Json| -> Vec<String> {
        live["data"].as_object().unwrap().keys().cloned().collect()
    };
    let server = "gourmetgram.local:53 { forward . 10.0.0.1 }";
    let stub = format!("    \"gourmetgram.server\" = \"{server}\"");
    let two = format!("{stub}\n    \"gourmetgram.extra\" = \"x\"");
    let stack = Stack::kubeconfig(&cluster, &coredns_patch(ns, &two, ""));
    stack.apply_says("1 added, 0 changed, 0 destroyed");
    let live = get();
    assert_eq!(live["data"]["gourmetgram.server"], server);
    assert_eq!(live["data"]["Corefile"], corefile);
    assert_eq!(live["data"]["owner"], "kubeadm");
    assert_eq!(stack.output("id"), format!("{ns}/coredns").as_str());
    stack.assert_clean();

    // Another manager's key changed by hand is not this resource's business; its own is drift.
    cluster.merge_patch(&coredns, r#"{"data":{"owner":"someone"}}"#);
    stack.assert_clean();
    cluster.merge_patch(&coredns, r#"{"data":{"gourmetgram.server":"edited"}}"#);
    stack.assert_changes(&["\"edited\"", "0 to add, 1 to change, 0 to destroy"]);
    stack.apply_says("0 added, 1 changed, 0 destroyed");
    assert_eq!(get()["data"]["gourmetgram.server"], server);
    stack.assert_clean();

    // A key left out of data is given up: it vanishes.
    stack.write(&coredns_patch(ns, &stub, ""));
    stack.apply_says("0 added, 1 changed, 0 destroyed");
    let kept = ["Corefile", "gourmetgram.server", "owner"];
    assert_eq!(keys(&get()), kept);
    stack.assert_clean();

    // The Corefile belongs to whoever made the ConfigMap: a conflict, at `data`, until force.
    let both = format!("{stub}\n    Corefile = \"patched\"");
    stack.write(&coredns_patch(ns, &both, ""));
    let conflict = [("kubectl-create", "data = {")];
    let plan = stack.refused(&["plan"], &conflict);
    assert!(plan.all().contains("force = true"), "{}", plan.all());
    stack.refused(&["apply", "--auto-approve"], &conflict);
    assert_eq!(get()["data"]["Corefile"], corefile);
    stack.write(&coredns_patch(ns, &both, "  force = true\n"));
    stack.apply_says("0 added, 1 changed, 0 destroyed");
    assert_eq!(get()["data"]["Corefile"], "patched");
    stack.assert_clean();

    // Destroy gives the keys up: they vanish; the ConfigMap and the other manager's key stay.
    stack.run(&["destroy", "--auto-approve"]).expect(0);
    let live = get();
    assert_eq!(keys(&live), ["owner"], "{live}");
    assert_eq!(live["data"]["owner"], "someone");
}

/// `kubernetes_annotations` on the Deployment `web` of `ns`: an annotation of its own and the
/// rollout restart's on its pod template, at `restarted`.
fn restart(ns: &str, restarted: &str) -> String {
    format!(
        r#"
resource "kubernetes_annotations" "web" {{
  api_version = "apps/v1"
  kind        = "Deployment"
  metadata {{
    name      = "web"
    namespace = "{ns}"
  }}
  annotations = {{
    "gourmetgram.io/owner" = "platform"
  }}
  template_annotations = {{
    "kubectl.kubernetes.io/restartedAt" = "{restarted}"
  }}
}}

output "id" {{
  value = kubernetes_annotations.web.id
}}
"#
    )
}

#[test]
fn annotations_restart_a_deployment_and_destroy_removes_only_them() {
    let cluster = Cluster::new();
    let ns = cluster.namespace("e2e-ty-restart");
    let ns = ns.name.as_str();
    cluster.ok(&[
        "create",
        "deployment",
        "web",
        "-n",
        ns,
        "--image=registry.local/gourmetgram/web:1.0",
    ]);
    cluster.ok(&["annotate", "deployment", "web", "-n", ns, "team=ml"]);
    let web = ["deployment", "web", "-n", ns];
    let get = || cluster.json(&[&["get"][..], &web].concat());
    let generation = get()["metadata"]["generation"].as_i64().unwrap();
    let first = "2026-12-07T08:00:00Z";
    let stack = Stack::kubeconfig(&cluster, &restart(ns, first));
    stack.apply_says("1 added, 0 changed, 0 destroyed");
    let live = get();
    assert_eq!(
        live["metadata"]["annotations"]["gourmetgram.io/owner"],
        "platform"
    );
    let template = |live: &Json| live["spec"]["template"]["metadata"]["annotations"].clone();
    assert_eq!(template(&live)["kubectl.kubernetes.io/restartedAt"], first);
    assert!(live["metadata"]["generation"].as_i64().unwrap() > generation);
    let id = format!("apiVersion=apps/v1,kind=Deployment,name=web,namespace={ns}");
    assert_eq!(stack.output("id"), id.as_str());
    stack.assert_clean();

    // The annotation changed by hand is drift, repaired; the others' are not compared.
    let edit = r#"{"metadata":{"annotations":{"gourmetgram.io/owner":"someone","team":"ops"}}}"#;
    cluster.merge_patch(&web, edit);
    stack.assert_changes(&["\"someone\"", "0 to add, 1 to change, 0 to destroy"]);
    stack.apply_says("0 added, 1 changed, 0 destroyed");
    let annotations = &get()["metadata"]["annotations"];
    assert_eq!(annotations["gourmetgram.io/owner"], "platform");
    assert_eq!(annotations["team"], "ops");
    stack.assert_clean();

    // A restart is a change of the annotation: an update that rolls the Deployment out.
    let second = "2026-12-07T09:00:00Z";
    stack.write(&restart(ns, second));
    stack.assert_changes(&[second, "0 to add, 1 to change, 0 to destroy"]);
    stack.apply_says("0 added, 1 changed, 0 destroyed");
    assert_eq!(
        template(&get())["kubectl.kubernetes.io/restartedAt"],
        second
    );
    stack.assert_clean();

    stack.run(&["destroy", "--auto-approve"]).expect(0);
    let live = get();
    let annotations = &live["metadata"]["annotations"];
    assert!(annotations.get("gourmetgram.io/owner").is_none(), "{live}");
    assert_eq!(annotations["team"], "ops");
    let restarted = template(&live);
    assert!(
        restarted.get("kubectl.kubernetes.io/restartedAt").is_none(),
        "{live}"
    );
    assert_eq!(
        live["spec"]["template"]["spec"]["containers"][0]["name"],
        "web"
    );
}

/// The Argo CD admin secret read where Argo CD made it and copied into the platform
/// namespace; the Argo CD namespace and a ConfigMap of it read for outputs.
fn argocd_copy(argocd: &str, platform: &str) -> String {
    format!(
        r#"
data "kubernetes_secret_v1" "argocd_admin" {{
  metadata {{
    name      = "argocd-initial-admin-secret"
    namespace = "{argocd}"
  }}
}}

resource "kubernetes_secret_v1" "argocd_admin" {{
  metadata {{
    name      = "argocd-admin"
    namespace = "{platform}"
  }}
  data = {{
    password = data.kubernetes_secret_v1.argocd_admin.data["password"]
  }}
}}

data "kubernetes_namespace_v1" "argocd" {{
  metadata {{
    name = "{argocd}"
  }}
}}

data "kubernetes_resource" "argocd_cm" {{
  api_version = "v1"
  kind        = "ConfigMap"
  metadata {{
    name      = "argocd-cm"
    namespace = "{argocd}"
  }}
}}

data "kubernetes_resource" "argocd_secret" {{
  api_version = "v1"
  kind        = "Secret"
  metadata {{
    name      = "argocd-initial-admin-secret"
    namespace = "{argocd}"
  }}
}}

data "kubernetes_resource" "missing" {{
  api_version = "v1"
  kind        = "ConfigMap"
  metadata {{
    name      = "not-there"
    namespace = "{argocd}"
  }}
}}

output "argocd_team" {{
  value = data.kubernetes_namespace_v1.argocd.metadata[0].labels["team"]
}}

output "argocd_url" {{
  value = data.kubernetes_resource.argocd_cm.object.data.url
}}

output "missing" {{
  value = data.kubernetes_resource.missing.object
}}

output "secret_uid" {{
  value = data.kubernetes_resource.argocd_secret.object.metadata.uid
}}

output "secret_type" {{
  value = data.kubernetes_secret_v1.argocd_admin.type
}}
"#
    )
}

#[test]
fn data_sources_read_objects_and_the_argocd_admin_secret_is_copied_unprinted() {
    let cluster = Cluster::new();
    let argocd = cluster.namespace("e2e-ty-argocd");
    let platform = cluster.namespace("e2e-ty-copy");
    let (argocd, platform) = (argocd.name.as_str(), platform.name.as_str());
    cluster.ok(&["label", "namespace", argocd, "team=ci"]);
    let password = unique("argocd-pw");
    cluster.ok(&[
        "create",
        "secret",
        "generic",
        "argocd-initial-admin-secret",
        "-n",
        argocd,
        &format!("--from-literal=password={password}"),
    ]);
    cluster.ok(&[
        "create",
        "configmap",
        "argocd-cm",
        "-n",
        argocd,
        "--from-literal=url=https://argocd.gourmetgram.local",
    ]);
    let stack = Stack::kubeconfig(&cluster, &argocd_copy(argocd, platform));
    let mut runs = vec![stack.apply_says("1 added, 0 changed, 0 destroyed")];
    let copy = cluster.json(&["get", "secret", "argocd-admin", "-n", platform]);
    assert_eq!(decoded(&copy, "password"), password);
    assert_eq!(stack.output("argocd_team"), "ci");
    assert_eq!(
        stack.output("argocd_url"),
        "https://argocd.gourmetgram.local"
    );
    assert_eq!(stack.output("missing"), Json::Null);
    assert_eq!(stack.output("secret_type"), "Opaque");
    let secret = cluster.json(&["get", "secret", "argocd-initial-admin-secret", "-n", argocd]);
    assert_eq!(stack.output("secret_uid"), secret["metadata"]["uid"]);
    runs.push(stack.assert_clean());
    for view in [
        &["show"][..],
        &["show", "--json"],
        &["output"],
        &["plan", "--json"],
    ] {
        runs.push(stack.run(view).expect(0));
    }
    runs.push(stack.run(&["destroy", "--auto-approve"]).expect(0));
    assert_hidden(&password, &runs);
    assert!(cluster.gone(&["secret", "argocd-admin", "-n", platform]));
    assert!(!cluster.gone(&["secret", "argocd-initial-admin-secret", "-n", argocd]));
}

/// A namespace and a Secret in it, as kubectl made them.
fn imported(ns: &str, password: &str) -> String {
    let namespace = team_namespace("legacy", ns);
    let data = format!("accesskey = \"minio\"\n    secretkey = \"{password}\"");
    let minio = credentials("minio", "legacy", &data);
    format!(
        r#"
{namespace}
{minio}"#
    )
}

#[test]
fn a_namespace_and_secret_made_by_kubectl_are_imported_by_hashicorp_ids() {
    let cluster = Cluster::new();
    let ns = cluster.namespace("e2e-ty-import");
    let ns = ns.name.as_str();
    cluster.ok(&["label", "namespace", ns, "team=gourmetgram"]);
    let password = unique("minio-pw");
    cluster.ok(&[
        "create",
        "secret",
        "generic",
        "minio-credentials",
        "-n",
        ns,
        "--from-literal=accesskey=minio",
        &format!("--from-literal=secretkey={password}"),
    ]);
    let stack = Stack::kubeconfig(&cluster, &imported(ns, &password));
    // Created without an import, they would be taken over (and destroyed with the stack):
    // refused, as hashicorp/kubernetes refuses, saying how to import.
    let exists = [("already exists", "name   = ")];
    let refused = stack.refused(&["apply", "--auto-approve"], &exists);
    assert!(refused.all().contains("ggplan import"), "{}", refused.all());
    assert_eq!(stack.addresses(), Vec::<String>::new());
    let live = cluster.json(&["get", "secret", "minio-credentials", "-n", ns]);
    assert_eq!(decoded(&live, "secretkey"), password);

    // A bad id says what an id is.
    let bad = stack.run(&["import", "kubernetes_secret_v1.minio", "minio-credentials"]);
    assert_eq!(bad.code, 1, "{}", bad.all());
    assert!(bad.all().contains("namespace/name"), "{}", bad.all());
    let mut runs = Vec::new();
    for (address, id) in [
        ("kubernetes_namespace_v1.legacy", ns.to_string()),
        (
            "kubernetes_secret_v1.minio",
            format!("{ns}/minio-credentials"),
        ),
    ] {
        let out = stack.run(&["import", address, &id]).expect(0);
        assert!(out.stdout.contains("Import successful"), "{}", out.all());
        runs.push(out);
    }
    runs.push(stack.assert_clean());
    // Now managed: a value changed by hand is drift, repaired.
    let minio = ["secret", "minio-credentials", "-n", ns];
    cluster.merge_patch(&minio, r#"{"stringData":{"accesskey":"changed"}}"#);
    runs.push(stack.assert_changes(&["kubernetes_secret_v1.minio", "(sensitive value)"]));
    runs.push(stack.apply_says("0 added, 1 changed, 0 destroyed"));
    let live = cluster.json(&[&["get"][..], &minio].concat());
    assert_eq!(decoded(&live, "accesskey"), "minio");
    runs.push(
        stack
            .run(&["state", "show", "kubernetes_secret_v1.minio"])
            .expect(0),
    );
    assert_hidden(&password, &runs);
}

#[test]
fn bad_input_is_refused_at_its_line_at_plan_and_changes_nothing() {
    let cluster = Cluster::new();
    let ns = cluster.namespace("e2e-ty-bad");
    let ns = ns.name.as_str();
    let (new_ns, bad_ns) = (unique("e2e-ty-new"), unique("Bad_NS"));
    let _leftover = cluster.leftover(new_ns.clone());
    // Checked from the configuration, as hashicorp/kubernetes does: the server could not
    // check what goes into a namespace this apply makes, which would be made first.
    let names = format!(
        r#"
resource "kubernetes_namespace_v1" "new" {{
  metadata {{
    name = "{new_ns}"
  }}
}}

resource "kubernetes_config_map_v1" "bad" {{
  metadata {{
    name      = "Bad_Name"
    namespace = kubernetes_namespace_v1.new.metadata[0].name
  }}
  data = {{ a = "1" }}
}}

resource "kubernetes_secret_v1" "labelled" {{
  metadata {{
    name      = "labelled"
    namespace = kubernetes_namespace_v1.new.metadata[0].name
    labels    = {{ "bad key" = "x" }}
  }}
  data = {{ "bad/key" = "x" }}
}}

resource "kubernetes_namespace_v1" "bad" {{
  metadata {{
    name = "{bad_ns}"
  }}
}}
"#
    );
    let stack = Stack::kubeconfig(&cluster, &names);
    let errors = [
        ("Invalid metadata.name", "name      = \"Bad_Name\""),
        ("Invalid label key", "labels    = {"),
        ("Invalid data key", "data = { \"bad/key"),
        ("Invalid metadata.name", "name = \"Bad_NS"),
    ];
    stack.refused(&["plan"], &errors);
    stack.refused(&["apply", "--auto-approve"], &errors);
    assert!(cluster.gone(&["namespace", &new_ns]), "half-applied");
    assert!(cluster.gone(&["namespace", &bad_ns.to_lowercase()]));

    // What only the server checks: its refusal, at the attribute of the field it names.
    let bad_key = format!(
        r#"
resource "kubernetes_secret_v1" "keys" {{
  metadata {{
    name      = "keys"
    namespace = "{ns}"
  }}
  type = "kubernetes.io/tls"
  data = {{ "ca.crt" = "x" }}
}}
"#
    );
    stack.write(&bad_key);
    let refused = [("Secret \"keys\" is invalid", "data = {")];
    let tls = stack.refused(&["plan"], &refused);
    assert!(tls.all().contains("tls.key"), "{}", tls.all());
    stack.refused(&["apply", "--auto-approve"], &refused);
    assert!(cluster.gone(&["secret", "keys", "-n", ns]));

    let no_role = r#"
resource "kubernetes_cluster_role_binding_v1" "bad" {
  metadata {
    name = "e2e-ty-never"
  }
  subject {
    kind = "User"
    name = "nobody"
  }
}
"#;
    stack.write(no_role);
    let missing = [(
        "role_ref",
        "resource \"kubernetes_cluster_role_binding_v1\"",
    )];
    stack.refused(&["plan"], &missing);

    let no_data = format!(
        "resource \"kubernetes_config_map_v1_data\" \"bad\" {{\n  metadata {{\n    name = \"x\"\n    \
         namespace = \"{ns}\"\n  }}\n}}\n"
    );
    stack.write(&no_data);
    let missing = [(
        "\"data\" is required",
        "resource \"kubernetes_config_map_v1_data\"",
    )];
    stack.refused(&["plan"], &missing);
    assert_eq!(stack.addresses(), Vec::<String>::new());
}

#[test]
fn a_secret_with_a_generated_name_and_binary_data_is_made_updated_and_destroyed() {
    let cluster = Cluster::new();
    let ns = cluster.namespace("e2e-ty-generated");
    let ns = ns.name.as_str();
    let secret = |token: &str| {
        format!(
            r#"
resource "kubernetes_secret_v1" "registry" {{
  metadata {{
    generate_name = "registry-"
    namespace     = "{ns}"
  }}
  data        = {{ token = "{token}" }}
  binary_data = {{ "ca.der" = base64encode("not really DER") }}
}}

output "name" {{
  value = kubernetes_secret_v1.registry.metadata[0].name
}}
"#
        )
    };
    let stack = Stack::kubeconfig(&cluster, &secret("first"));
    let mut runs = vec![stack.apply_says("1 added, 0 changed, 0 destroyed")];
    let name = stack.output("name");
    let name = name.as_str().unwrap().to_string();
    assert!(name.starts_with("registry-") && name.len() > 9, "{name}");
    let get = || cluster.json(&["get", "secret", &name, "-n", ns]);
    assert_eq!(decoded(&get(), "token"), "first");
    assert_eq!(decoded(&get(), "ca.der"), "not really DER");
    runs.push(stack.assert_clean());

    // A change of data keeps the generated name.
    stack.write(&secret("second"));
    runs.push(stack.apply_says("0 added, 1 changed, 0 destroyed"));
    assert_eq!(decoded(&get(), "token"), "second");
    assert_eq!(stack.output("name"), name.as_str());
    runs.push(stack.assert_clean());
    runs.push(stack.run(&["destroy", "--auto-approve"]).expect(0));
    assert!(cluster.gone(&["secret", &name, "-n", ns]));
    assert_hidden("not really DER", &runs);
    for token in ["first", "second"] {
        let shown = runs
            .iter()
            .any(|run| run.stdout.contains(&format!("\"{token}\"")));
        assert!(!shown, "{token} printed");
    }
}
