//! The Kubernetes control plane of `tests/support/kubernetes.sh` (etcd, kube-apiserver and
//! kube-controller-manager v1.20.2 on loopback; scripts/test.sh starts it and exports
//! GGPLAN_TEST_KUBE*) is what the kubernetes, helm and Argo CD providers need: the admin token
//! and the admin client certificate both work (with kubectl, helm, and a Rust client over rustls)
//! and an unknown token or none is refused; a namespace really goes away, its contents with it;
//! server-side apply records field managers and reports conflicts; a CRD becomes Established and
//! the API server enforces its schema. Driven with the kubectl and helm the script caches
//! (GGPLAN_TEST_KUBECTL, GGPLAN_TEST_HELM); fails when the GGPLAN_TEST_KUBE* variables are missing.

#[path = "support/kube.rs"]
mod kube;

use kube::{Cluster, fixture, unique};
use serde_json::Value;

#[test]
fn admin_token_and_client_certificate_work_and_an_unknown_token_is_refused() {
    let cluster = Cluster::new();
    let token = ["--token", cluster.token.as_str()];
    let version = cluster.kubectl_as(&token, &["get", "--raw", "/version"]);
    assert!(
        version.ok,
        "the admin token was refused:\n{}",
        version.stderr
    );
    let version: Value = serde_json::from_str(&version.stdout).unwrap();
    assert_eq!(version["gitVersion"], "v1.20.2");

    let certificate = [
        "--client-certificate",
        cluster.cert.as_str(),
        "--client-key",
        cluster.key.as_str(),
    ];
    let out = cluster.kubectl_as(&certificate, &["get", "namespace", "default", "-o", "name"]);
    assert!(
        out.ok,
        "the client certificate was refused:\n{}",
        out.stderr
    );
    assert_eq!(out.stdout.trim(), "namespace/default");

    let out = cluster.kubectl_as(&["--token", "not-a-known-token"], &["get", "namespaces"]);
    assert!(!out.ok, "an unknown token was let in:\n{}", out.stdout);
    assert!(out.stderr.contains("Unauthorized"), "{}", out.stderr);

    // The kubeconfig's token context, and helm through the kubeconfig.
    let out = cluster.ok(&[
        "--context",
        "ggplan-token",
        "get",
        "namespace",
        "kube-system",
    ]);
    assert!(out.contains("kube-system"), "{out}");
    let helm = cluster.command(
        &cluster.helm,
        &[
            "list",
            "--all-namespaces",
            "--kubeconfig",
            &cluster.kubeconfig,
            "-o",
            "json",
        ],
        None,
    );
    assert!(helm.ok, "helm list failed:\n{}", helm.stderr);
    assert!(helm.stdout.trim_start().starts_with('['), "{}", helm.stdout);
}

/// The same credentials from a Rust client over rustls (as the providers will be): the CA and
/// the server certificate's 127.0.0.1 name verify, the token and the client certificate are
/// let in, an unknown token and no credentials at all get 401. (kubectl cannot send a request
/// without credentials: it asks for them on its standard input.)
#[tokio::test]
async fn a_rustls_client_verifies_the_server_and_gets_401_without_valid_credentials() {
    let cluster = Cluster::new();
    let ca = reqwest::Certificate::from_pem(&std::fs::read(&cluster.ca).unwrap()).unwrap();
    let client = |identity: Option<reqwest::Identity>| {
        let builder = reqwest::Client::builder()
            .tls_built_in_root_certs(false)
            .add_root_certificate(ca.clone());
        match identity {
            Some(identity) => builder.identity(identity),
            None => builder,
        }
        .build()
        .unwrap()
    };
    let url = format!("{}/api/v1/namespaces/default", cluster.host);
    let status = |request: reqwest::RequestBuilder| async move {
        request
            .send()
            .await
            .expect("request over rustls")
            .status()
            .as_u16()
    };

    assert_eq!(
        status(client(None).get(&url).bearer_auth(&cluster.token)).await,
        200
    );
    let mut pem = std::fs::read(&cluster.cert).unwrap();
    pem.extend(std::fs::read(&cluster.key).unwrap());
    let identity = reqwest::Identity::from_pem(&pem).unwrap();
    assert_eq!(status(client(Some(identity)).get(&url)).await, 200);
    assert_eq!(
        status(client(None).get(&url).bearer_auth("not-a-known-token")).await,
        401
    );
    assert_eq!(status(client(None).get(&url)).await, 401);
}

#[test]
fn a_deleted_namespace_is_really_gone_with_its_contents() {
    let cluster = Cluster::new();
    let name = unique("ggplan-gone");
    cluster.ok(&["create", "namespace", &name]);
    cluster.ok(&[
        "create",
        "configmap",
        "settings",
        "-n",
        &name,
        "--from-literal=k=v",
    ]);
    // The namespace controller (kube-controller-manager) empties it and removes its finalizer.
    cluster.ok(&["delete", "namespace", &name, "--wait", "--timeout=60s"]);
    let out = cluster.kubectl(&["get", "namespace", &name]);
    assert!(
        !out.ok && out.stderr.contains("NotFound"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    let out = cluster.kubectl(&["get", "configmap", "settings", "-n", &name]);
    assert!(
        !out.ok && out.stderr.contains("NotFound"),
        "{}{}",
        out.stdout,
        out.stderr
    );
}

fn config_map(namespace: &str, owner: &str) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: {namespace}\n\
         data:\n  owner: {owner}\n"
    )
}

/// The managers of `object`'s managedFields entries whose operation is Apply and whose fields
/// include data.owner.
fn owners(object: &Value) -> Vec<String> {
    object["metadata"]["managedFields"]
        .as_array()
        .expect("managedFields")
        .iter()
        .filter(|entry| entry["operation"] == "Apply")
        .filter(|entry| !entry["fieldsV1"]["f:data"]["f:owner"].is_null())
        .map(|entry| entry["manager"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn server_side_apply_records_managers_and_reports_conflicts() {
    let cluster = Cluster::new();
    let ns = cluster.namespace("ggplan-ssa");
    let apply = |manager: &str, owner: &str, extra: &[&str]| {
        let args = [
            &[
                "apply",
                "--server-side",
                "--field-manager",
                manager,
                "-f",
                "-",
            ],
            extra,
        ]
        .concat();
        cluster.kubectl_input(&args, Some(&config_map(&ns.name, owner)))
    };
    let get = [
        "get",
        "configmap",
        "settings",
        "-n",
        &ns.name,
        "--show-managed-fields",
    ];

    let out = apply("ggplan-a", "a", &[]);
    assert!(out.ok, "{}", out.stderr);
    assert_eq!(owners(&cluster.json(&get)), ["ggplan-a"]);

    let out = apply("ggplan-b", "b", &[]);
    assert!(
        !out.ok,
        "a second manager took data.owner without a conflict"
    );
    assert!(
        out.stderr.contains("conflict") && out.stderr.contains("ggplan-a"),
        "{}",
        out.stderr
    );
    assert_eq!(cluster.json(&get)["data"]["owner"], "a");

    let out = apply("ggplan-b", "b", &["--force-conflicts"]);
    assert!(out.ok, "{}", out.stderr);
    let object = cluster.json(&get);
    assert_eq!(object["data"]["owner"], "b");
    assert_eq!(owners(&object), ["ggplan-b"]);
}

#[test]
fn a_crd_becomes_established_and_its_schema_is_enforced() {
    let cluster = Cluster::new();
    let crd = fixture("workflowtemplate-crd.yaml");
    cluster.ok(&[
        "apply",
        "--server-side",
        "--field-manager",
        "ggplan-test",
        "-f",
        crd.to_str().unwrap(),
    ]);
    cluster.ok(&[
        "wait",
        "--for",
        "condition=Established",
        "--timeout=60s",
        "crd/workflowtemplatefixtures.argoproj.io",
    ]);
    let ns = cluster.namespace("ggplan-crd");

    // --validate=false: the API server itself must accept or refuse, as it does for a provider.
    let valid = fixture("workflowtemplate.yaml");
    cluster.ok(&[
        "apply",
        "--server-side",
        "--validate=false",
        "-n",
        &ns.name,
        "-f",
        valid.to_str().unwrap(),
    ]);
    let object = cluster.json(&[
        "get",
        "workflowtemplatefixtures",
        "train-food11",
        "-n",
        &ns.name,
    ]);
    assert_eq!(object["apiVersion"], "argoproj.io/v1alpha1");
    assert_eq!(object["spec"]["entrypoint"], "train");
    // An x-kubernetes-preserve-unknown-fields object keeps what the schema does not list.
    assert_eq!(
        object["spec"]["templates"][0]["container"]["image"],
        "registry.local/gourmetgram/train:1.0"
    );

    let invalid = fixture("workflowtemplate-invalid.yaml");
    let out = cluster.kubectl(&[
        "apply",
        "--server-side",
        "--validate=false",
        "-n",
        &ns.name,
        "-f",
        invalid.to_str().unwrap(),
    ]);
    assert!(
        !out.ok,
        "a custom resource violating the schema was accepted"
    );
    assert!(out.stderr.contains("is invalid"), "{}", out.stderr);
    assert!(out.stderr.contains("spec.entrypoint"), "{}", out.stderr);
    // 1.20 names the item's field without its index (spec.templates.name).
    assert!(
        out.stderr.contains("spec.templates") && out.stderr.contains("should match"),
        "{}",
        out.stderr
    );
    let out = cluster.kubectl(&["get", "workflowtemplatefixtures", "broken", "-n", &ns.name]);
    assert!(
        !out.ok && out.stderr.contains("NotFound"),
        "{}{}",
        out.stdout,
        out.stderr
    );
}
