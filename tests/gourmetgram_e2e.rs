//! The whole GourmetGram stack (`stacks/gourmetgram`, every layer, unchanged) in one apply,
//! run by the real `ggplan` binary against local **stand-ins** for what cannot run here:
//!
//! - layer 1, the servers: the local OpenStack (`tests/support/openstack.sh`, Nova with a
//!   fake hypervisor: no VM boots);
//! - layer 2, the hosts: the stand-in nodes of `tests/support/gourmetgram_nodes.sh` (three
//!   OpenSSH servers on a private 192.168.1.0/24 reached only through a jump host, each with
//!   its own /etc, and stand-in systemctl, sysctl, networkctl, dockerd, usermod and id that
//!   record their calls: no systemd, no Docker);
//! - layer 3, kubespray: a real `ansible-playbook` (`tests/support/ansible.sh`) running the
//!   stand-in playbook `tests/support/gourmetgram/kubespray/cluster.yml`, which reaches every
//!   node through the jump host, writes the local API server's admin kubeconfig onto node1
//!   and makes what kubespray's add-ons leave in the cluster;
//! - layers 4-7, the cluster: the local API server (`tests/support/kubernetes.sh`; no
//!   kubelet, no Argo CD or Argo Workflows controller: applications and workflows are objects
//!   nobody acts on), with Argo's release manifests served from loopback
//!   (`tests/fixtures/gourmetgram/`, written for this test);
//! - layer 8, the registry: the local MLflow (`tests/support/mlflow.sh`).
//!
//! The stack's variables map the servers to these (the jump host, the SSH port and user, the
//! API server, MLflow, the manifests' URLs, no waiting for Argo CD); everything else is the
//! real stack. One test, in order: validate; a plan stopped by a manifest that is not there;
//! plan from empty (every layer, the providers
//! configured during apply marked); apply from empty to everything; a clean re-plan; drift in
//! three layers at once (a host file, a Kubernetes object, the registered model) in one
//! `ggplan drift` report, then repaired with Docker restarted on that node only; `-replace` of
//! node3 and what follows (its host preparation and kubespray again); destroy to nothing in
//! dependency order. Each step's time is printed (`--nocapture` shows them).

#[path = "support/binary.rs"]
mod binary;
#[path = "support/http_server.rs"]
mod http_server;
#[path = "support/openstack_cloud.rs"]
mod openstack_cloud;

use binary::Run;
use http_server::{Response, Server};
use openstack_cloud::{Stack, env_var};
use serde_json::{Value as Json, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const MODEL: &str = "GourmetGramFood11Model";
/// What the stack makes under fixed names in the shared cluster and MLflow.
const NAMESPACES: [&str; 6] = [
    "argo",
    "argo-events",
    "gourmetgram-platform",
    "gourmetgram-staging",
    "gourmetgram-canary",
    "gourmetgram-production",
];

/// Every file of `stacks/gourmetgram`, by path relative to it.
fn stack_files() -> Vec<(String, String)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if path.extension().is_some_and(|e| e != "md") {
                let relative = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .to_string();
                out.push((relative, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("stacks/gourmetgram");
    let mut files = Vec::new();
    walk(&root, &root, &mut files);
    files
}

/// The stand-in nodes, as a user reaches them: ssh through the jump host.
struct Nodes {
    dir: PathBuf,
}

impl Nodes {
    fn new() -> Nodes {
        Nodes {
            dir: PathBuf::from(env_var("GGPLAN_TEST_GG_NODES_DIR")),
        }
    }

    fn key(&self) -> String {
        self.dir.join("client_key").display().to_string()
    }

    /// Runs `script` as root on `node` (node1..node3) and returns its output.
    fn shell(&self, node: &str, script: &str) -> String {
        let quiet = "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR";
        let proxy = format!(
            "ProxyCommand=ssh -i {} {quiet} -p 2223 -W %h:%p root@10.255.91.2",
            self.key()
        );
        let address = format!("root@192.168.1.1{}", &node[4..]);
        let out = Command::new("ssh")
            .args(["-i", &self.key(), "-p", "2223", "-o", &proxy])
            .args(quiet.split(' '))
            .args([&address, script])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{node}: {script}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// How many calls of the node's stand-in tools start with `prefix`.
    fn calls(&self, node: &str, prefix: &str) -> usize {
        self.shell(node, "cat /etc/stand-in/calls.log")
            .lines()
            .filter(|l| l.starts_with(prefix))
            .count()
    }
}

/// kubectl on the local API server.
fn kubectl(args: &[&str]) -> (bool, String) {
    let out = Command::new(env_var("GGPLAN_TEST_KUBECTL"))
        .arg("--kubeconfig")
        .arg(env_var("GGPLAN_TEST_KUBECONFIG"))
        .args(args)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

fn kube_json(args: &[&str]) -> Json {
    let mut all = args.to_vec();
    all.extend(["-o", "json"]);
    let (ok, text) = kubectl(&all);
    assert!(ok, "kubectl {args:?}: {text}");
    serde_json::from_str(&text).unwrap()
}

/// MLflow's REST API.
fn mlflow(method: reqwest::Method, path: &str, body: Json) -> (u16, Json) {
    let url = format!(
        "{}/api/2.0/mlflow/{path}",
        env_var("GGPLAN_TEST_MLFLOW_URL")
    );
    let client = reqwest::blocking::Client::new();
    let request = if method == reqwest::Method::GET {
        client.get(url).query(
            &body
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect::<Vec<_>>(),
        )
    } else {
        client.request(method, url).json(&body)
    };
    let response = request.send().unwrap();
    let status = response.status().as_u16();
    (status, response.json().unwrap_or(Json::Null))
}

/// What an earlier failed run may have left under the stack's fixed names, and on the nodes.
fn clear_leftovers(nodes: &Nodes) {
    for node in ["node1", "node2", "node3"] {
        nodes.shell(
            node,
            "rm -rf /etc/stand-in/units /etc/stand-in/groups /etc/docker /etc/kubernetes \
             /etc/sysctl.d/99-gourmetgram-ipv6.conf /etc/systemd/network/10-netplan-*.network.d \
             && : > /etc/stand-in/calls.log",
        );
    }
    let mut delete = vec!["delete", "--ignore-not-found", "--wait", "--timeout=120s"];
    // Argo CD's namespace is kubespray's (the stand-in makes it again), with what the stack
    // put there: applications and the repository.
    let namespaces: Vec<String> = NAMESPACES
        .iter()
        .chain(&["argocd"])
        .map(|n| format!("namespace/{n}"))
        .collect();
    delete.extend(namespaces.iter().map(String::as_str));
    let crds = [
        "crd/workflows.argoproj.io",
        "crd/workflowtemplates.argoproj.io",
        "crd/cronworkflows.argoproj.io",
        "crd/clusterworkflowtemplates.argoproj.io",
        "crd/eventbus.argoproj.io",
        "crd/eventsources.argoproj.io",
        "crd/sensors.argoproj.io",
        "crd/gatewayclasses.gateway.networking.k8s.io",
        "crd/gateways.gateway.networking.k8s.io",
        "crd/httproutes.gateway.networking.k8s.io",
        "clusterrole/argo-cluster-role",
        "clusterrolebinding/argo-binding",
        "clusterrolebinding/admin-user",
        "serviceaccount/admin-user",
    ];
    delete.extend(crds);
    let (ok, text) = kubectl(&[&delete[..], &["-n", "kube-system"]].concat());
    assert!(ok, "{text}");
    mlflow(
        reqwest::Method::DELETE,
        "registered-models/delete",
        json!({ "name": MODEL }),
    );
}

/// Runs a step of the test, printing how long it took.
fn timed(step: &str, f: impl FnOnce() -> Run) -> Run {
    let started = Instant::now();
    let run = f();
    println!("{step}: {:.1} s", started.elapsed().as_secs_f64());
    run
}

#[test]
fn the_whole_stack_applies_from_empty_drifts_in_three_layers_replaces_node3_and_destroys() {
    let nodes = Nodes::new();
    clear_leftovers(&nodes);
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gourmetgram");
    let manifest = |name: &str| {
        Response::ok(
            "application/yaml",
            std::fs::read(fixtures.join(name)).unwrap(),
        )
    };
    let releases = Server::start(HashMap::from([
        (
            "/argo-workflows/install.yaml".to_string(),
            manifest("argo-workflows-install.yaml"),
        ),
        (
            "/argo-events/install.yaml".to_string(),
            manifest("argo-events-install.yaml"),
        ),
        (
            "/gateway-api/install.yaml".to_string(),
            manifest("gateway-api-install.yaml"),
        ),
    ]));
    let suffix = format!("gg{}", std::process::id());
    let files = stack_files();
    let mut files: Vec<(&str, String)> =
        files.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
    let kubespray =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/gourmetgram/kubespray");
    let stand_ins = format!(
        "ssh_user = \"root\"\nssh_private_key_file = \"{key}\"\nssh_port = 2223\n\
         ssh_bastion = \"10.255.91.2\"\nkubespray_dir = \"{kubespray}\"\n\
         kube_api_server = \"{api}\"\nargo_workflows_manifest_url = \"{workflows}\"\n\
         argo_events_manifest_url = \"{events}\"\ngateway_api_manifest_url = \"{gateway}\"\n\
         mlflow_tracking_uri = \"{mlflow}\"\n\
         argocd_wait = false\ncascade = false\n",
        key = nodes.key(),
        kubespray = kubespray.display(),
        api = env_var("GGPLAN_TEST_KUBE_HOST"),
        workflows = releases.url("/argo-workflows/install.yaml"),
        events = releases.url("/argo-events/install.yaml"),
        gateway = releases.url("/gateway-api/install.yaml"),
        mlflow = env_var("GGPLAN_TEST_MLFLOW_URL"),
    );
    files.push(("terraform.tfvars", stand_ins));
    let stack = Stack::new(&suffix, &files);
    // ansible-playbook on PATH, as on the seed's Jupyter machine.
    let path = format!(
        "{}:{}",
        env_var("GGPLAN_TEST_ANSIBLE_BIN"),
        std::env::var("PATH").unwrap()
    );
    // The stand-in nodes are this machine, where root's shell finds pyenv's shims first: the
    // modules run with the system's Python, as on the seed's Ubuntu nodes.
    let env = [
        ("PATH", path),
        ("ANSIBLE_PYTHON_INTERPRETER", "/usr/bin/python3".to_string()),
    ];
    let ggplan = |args: &[&str]| stack.run_with(args, &env);

    timed("validate", || ggplan(&["validate"])).expect(0);
    // A release manifest that is not there stops the plan at the stack's postcondition.
    let missing = format!("argo_events_manifest_url={}", releases.url("/missing.yaml"));
    let refused = ggplan(&["plan", "-var", &missing]).expect(1);
    assert!(
        refused
            .all()
            .contains("The Argo Events manifest could not be downloaded from")
            && refused.all().contains("(HTTP 404)"),
        "{}",
        refused.all()
    );

    let plan = timed("plan from empty", || ggplan(&["plan"])).expect(0);
    for every_layer in [
        "# openstack_compute_instance_v2.nodes[\"node3\"] will be created",
        "# module.host[\"node2\"].ssh_file.daemon_json will be created",
        "# terraform_data.kubespray will be created",
        "# kubernetes_config_map_v1_data.dns[\"coredns\"] will be created",
        "# kubernetes_manifest.release[\"CustomResourceDefinition/argo/workflowtemplates.argoproj.io\"] will be created",
        "# kubernetes_manifest.release[\"CustomResourceDefinition/httproutes.gateway.networking.k8s.io\"] will be created",
        "# argocd_application.environment[\"canary\"] will be created",
        "# kubernetes_manifest.workflow[\"cron-train.yaml\"] will be created",
        "# mlflow_registered_model.food11 will be created",
        "(provider \"kubernetes\" is configured during apply: planned from the configuration alone)",
    ] {
        assert!(
            plan.stdout.contains(every_layer),
            "{every_layer}\n{}",
            plan.stdout
        );
    }

    // Layer by layer, in the order they are built.
    let layers: Vec<usize> = [
        "main.tf",
        "hosts.tf",
        "cluster.tf",
        "post_install.tf",
        "platform.tf",
        "apps.tf",
    ]
    .iter()
    .map(|file| {
        plan.stdout
            .find(&format!("# ── {file} ──"))
            .unwrap_or_else(|| panic!("{file}"))
    })
    .collect();
    assert!(layers.windows(2).all(|w| w[0] < w[1]), "{}", plan.stdout);
    // The pull request's view of it: within GitHub's comment limit.
    ggplan(&["plan", "-out", "plan.bin"]).expect(0);
    let comment = ggplan(&["show", "--format", "markdown", "plan.bin"]).expect(0);
    assert!(
        comment.stdout.len() <= 65_536,
        "{} bytes",
        comment.stdout.len()
    );
    assert!(
        comment.stdout.starts_with("### ggplan plan of <code>"),
        "{}",
        &comment.stdout[..200]
    );
    std::fs::remove_file(stack.dir.join("plan.bin")).unwrap();

    let applied = timed("apply from empty", || ggplan(&["apply", "-auto-approve"])).expect(0);
    assert!(
        applied.stdout.contains("Apply complete!"),
        "{}",
        applied.stdout
    );
    for node in ["node1", "node2", "node3"] {
        for call in [
            "systemctl mask firewalld",
            "dockerd --validate",
            "systemctl restart docker",
            "usermod -aG docker root",
            "sysctl --system",
            "networkctl reload",
            "kubespray",
        ] {
            assert_eq!(nodes.calls(node, call), 1, "{node}: {call}");
        }
        let daemon = nodes.shell(node, "cat /etc/docker/daemon.json");
        assert_eq!(daemon, r#"{"insecure-registries":["node1:5000"]}"#);
        let ipv6 = nodes.shell(node, "cat /etc/sysctl.d/99-gourmetgram-ipv6.conf");
        assert_eq!(ipv6, "net.ipv6.conf.ens3.disable_ipv6 = 1\n", "{node}");
        nodes.shell(
            node,
            "test -f /etc/systemd/network/10-netplan-ens4.network.d/gourmetgram-dns.conf",
        );
    }
    let coredns = kube_json(&["get", "configmap", "coredns", "-n", "kube-system"]);
    assert!(
        coredns["data"]["Corefile"]
            .as_str()
            .unwrap()
            .contains("forward . 8.8.8.8 8.8.4.4"),
        "{coredns}"
    );
    let templates = kube_json(&["get", "workflowtemplates", "-n", "argo"]);
    let mut names: Vec<&str> = templates["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["metadata"]["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "build-container-image",
            "deploy-container-image",
            "promote-model",
            "test-staging",
            "train-model"
        ]
    );
    kube_json(&["get", "crd", "httproutes.gateway.networking.k8s.io"]);
    let cron = kube_json(&["get", "cronworkflow", "cron-train", "-n", "argo"]);
    assert_eq!(cron["spec"]["schedule"], "0 2 * * *");
    let copied = kube_json(&["get", "secret", "argocd-initial-admin-secret", "-n", "argo"]);
    let original = kube_json(&[
        "get",
        "secret",
        "argocd-initial-admin-secret",
        "-n",
        "argocd",
    ]);
    assert_eq!(copied["data"], original["data"]);
    let platform = kube_json(&[
        "get",
        "applications.argoproj.io",
        "gourmetgram-platform",
        "-n",
        "argocd",
    ]);
    let port_ip = stack.attributes_of("openstack_networking_port_v2.sharednet1_ports[\"node1\"]")
        ["all_fixed_ips"][0]
        .clone();
    assert_eq!(
        platform["spec"]["source"]["helm"]["parameters"][0]["value"], port_ip,
        "the platform's external IP is node1's sharednet1 address"
    );
    let (status, model) = mlflow(
        reqwest::Method::GET,
        "registered-models/get",
        json!({ "name": MODEL }),
    );
    assert_eq!(status, 200, "{model}");
    // No secret of the cluster or of the platform in anything printed.
    let password = original["data"]["password"].as_str().unwrap().to_string();
    for run in [&plan, &applied] {
        assert!(!run.all().contains(&password));
        assert!(!run.all().contains("client-key-data"));
    }

    let replan = timed("re-plan", || ggplan(&["plan", "-detailed-exitcode"])).expect(0);
    assert!(replan.stdout.contains("No changes."), "{}", replan.stdout);

    // Drift in three layers at once: a host file, a Kubernetes object, the registry.
    nodes.shell("node2", "echo '{}' > /etc/docker/daemon.json");
    let (ok, text) = kubectl(&[
        "patch",
        "configmap",
        "coredns",
        "-n",
        "kube-system",
        "--type",
        "merge",
        "-p",
        r#"{"data":{"Corefile":".:53 { forward . /etc/resolv.conf }\n"}}"#,
    ]);
    assert!(ok, "{text}");
    let (status, _) = mlflow(
        reqwest::Method::PATCH,
        "registered-models/update",
        json!({ "name": MODEL, "description": "edited by hand" }),
    );
    assert_eq!(status, 200);
    let drift = timed("drift", || ggplan(&["drift"])).expect(2);
    for drifted in [
        "module.host[\"node2\"].ssh_file.daemon_json",
        "kubernetes_config_map_v1_data.dns[\"coredns\"]",
        "mlflow_registered_model.food11",
    ] {
        assert!(
            drift.stdout.contains(drifted),
            "{drifted}\n{}",
            drift.stdout
        );
    }
    timed("repair", || ggplan(&["apply", "-auto-approve"])).expect(0);
    assert_eq!(nodes.calls("node2", "systemctl restart docker"), 2);
    assert_eq!(nodes.calls("node1", "systemctl restart docker"), 1);
    assert_eq!(
        nodes.shell("node2", "cat /etc/docker/daemon.json"),
        r#"{"insecure-registries":["node1:5000"]}"#
    );
    let (_, model) = mlflow(
        reqwest::Method::GET,
        "registered-models/get",
        json!({ "name": MODEL }),
    );
    assert_ne!(model["registered_model"]["description"], "edited by hand");
    timed("re-plan after repair", || {
        ggplan(&["plan", "-detailed-exitcode"])
    })
    .expect(0);

    // A new node3: a new host, prepared again, and kubespray run again to join it.
    let replace = timed("replace node3", || {
        ggplan(&[
            "apply",
            "-auto-approve",
            "-replace=openstack_compute_instance_v2.nodes[\"node3\"]",
        ])
    })
    .expect(0);
    for followed in [
        "module.host[\"node3\"].ssh_file.daemon_json: Creating...",
        "terraform_data.kubespray: Creating...",
    ] {
        assert!(
            replace.stdout.contains(followed),
            "{followed}\n{}",
            replace.stdout
        );
    }
    assert!(
        !replace
            .stdout
            .contains("module.host[\"node1\"].ssh_file.daemon_json: Creating...")
    );
    assert_eq!(nodes.calls("node1", "kubespray"), 2);
    timed("re-plan after replace", || {
        ggplan(&["plan", "-detailed-exitcode"])
    })
    .expect(0);

    let destroyed = timed("destroy", || ggplan(&["destroy", "-auto-approve"])).expect(0);
    assert!(
        destroyed.stdout.contains("Destroy complete!"),
        "{}",
        destroyed.stdout
    );
    assert_eq!(stack.state()["resources"], json!([]));
    for namespace in NAMESPACES {
        let (exists, _) = kubectl(&["get", "namespace", namespace]);
        assert!(!exists, "{namespace} is left after destroy");
    }
    for crd in [
        "workflowtemplates.argoproj.io",
        "httproutes.gateway.networking.k8s.io",
    ] {
        let (exists, _) = kubectl(&["get", "crd", crd]);
        assert!(!exists, "{crd} is left after destroy");
    }
    let (status, _) = mlflow(
        reqwest::Method::GET,
        "registered-models/get",
        json!({ "name": MODEL }),
    );
    assert_eq!(status, 404);
}
