//! What the OpenStack end-to-end tests share: a copy of a stack run by the real `ggplan`
//! binary with the test clouds.yaml beside it, and a REST client for the loopback cloud
//! (`tests/support/openstack.sh`, started by `scripts/test.sh`). Include it after
//! `support/binary.rs` (as `mod binary`).

// Several test binaries include this file; each uses a different part of it.
#![allow(dead_code)]

use crate::binary::{BIN, Run};
use serde_json::{Value as Json, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use tempfile::TempDir;
use yaml_rust2::YamlLoader;

pub fn env_var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run these tests through scripts/test.sh, which starts OpenStack on loopback (tests/support/openstack.sh)")
    })
}

/// The files of `stacks/gourmetgram` that make its first layer, the seed's `tf/kvm` (with the
/// Kubernetes API's security group ggplan needs): what runs without SSH or a cluster.
pub const INFRASTRUCTURE_LAYER: [&str; 8] = [
    "versions.tf",
    "provider.tf",
    "variables.tf",
    "data.tf",
    "main.tf",
    "lease.tf",
    "kube_api.tf",
    "outputs.tf",
];

/// A copy of a stack with the test clouds.yaml beside it (found in the current directory, as
/// the seed has it).
pub struct Stack {
    pub dir: PathBuf,
    _tmp: TempDir,
    suffix: String,
}

impl Stack {
    pub fn new(suffix: &str, files: &[(&str, String)]) -> Stack {
        let tmp = TempDir::new().unwrap();
        let dir = tmp.path().join("kvm");
        std::fs::create_dir(&dir).unwrap();
        std::fs::copy(
            env_var("GGPLAN_TEST_OPENSTACK_CLOUDS"),
            dir.join("clouds.yaml"),
        )
        .unwrap();
        for (name, text) in files {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        Stack {
            _tmp: tmp,
            dir,
            suffix: suffix.to_string(),
        }
    }

    pub fn gourmetgram(suffix: &str) -> Stack {
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("stacks/gourmetgram");
        let files: Vec<(&str, String)> = INFRASTRUCTURE_LAYER
            .iter()
            .map(|name| (*name, std::fs::read_to_string(source.join(name)).unwrap()))
            .collect();
        Stack::new(suffix, &files)
    }

    /// A stack of one `main.tf`: a provider block for the clouds.yaml entry `cloud`, and `body`.
    pub fn single(suffix: &str, cloud: &str, body: &str) -> Stack {
        Stack::new(suffix, &[("main.tf", main_tf(cloud, body))])
    }

    /// Rewrites the `main.tf` of a stack made by [`Stack::single`].
    pub fn rewrite(&self, cloud: &str, body: &str) {
        std::fs::write(self.dir.join("main.tf"), main_tf(cloud, body)).unwrap();
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, &[])
    }

    /// `run` with more environment variables.
    pub fn run_with(&self, args: &[&str], env: &[(&str, String)]) -> Run {
        let output = Command::new(BIN)
            .args(args)
            .arg("-no-color")
            .current_dir(&self.dir)
            .env_remove("OS_CLOUD")
            .env("TF_VAR_suffix", &self.suffix)
            .env(
                "TF_VAR_reservation",
                env_var("GGPLAN_TEST_OPENSTACK_RESERVATION"),
            )
            .envs(env.iter().map(|(k, v)| (k, v)))
            .output()
            .unwrap();
        Run::of(output)
    }

    pub fn state(&self) -> Json {
        let path = self.dir.join("state/kvm.json");
        match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text).unwrap(),
            Err(_) => json!({ "resources": [] }),
        }
    }

    /// The attributes of the instance at `address` in the state.
    pub fn attributes_of(&self, address: &str) -> Json {
        let state = self.state();
        let found = state["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["address"] == address)
            .unwrap_or_else(|| panic!("{address} is not in the state: {state:#}"));
        found["attributes"].clone()
    }

    /// The `id` attribute of the instance at `address` in the state.
    pub fn id_of(&self, address: &str) -> String {
        self.attributes_of(address)["id"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

fn main_tf(cloud: &str, body: &str) -> String {
    format!("provider \"openstack\" {{\n  cloud = \"{cloud}\"\n}}\n{body}")
}

/// A REST client for the loopback cloud, as the user of cloud `name` in clouds.yaml.
pub struct Cloud {
    http: reqwest::Client,
    token: String,
    catalog: Json,
    /// The Nova microversion asked for (none: the base version, 2.1).
    compute_microversion: Option<String>,
}

impl Cloud {
    pub async fn login(name: &str) -> Cloud {
        let text = std::fs::read_to_string(env_var("GGPLAN_TEST_OPENSTACK_CLOUDS")).unwrap();
        let doc = &YamlLoader::load_from_str(&text).unwrap()[0];
        let auth = &doc["clouds"][name]["auth"];
        let s = |k: &str| auth[k].as_str().unwrap().to_string();
        let body = json!({ "auth": {
            "identity": { "methods": ["password"], "password": { "user": {
                "name": s("username"), "domain": { "name": "Default" }, "password": s("password") } } },
            "scope": { "project": { "name": s("project_name"), "domain": { "name": "Default" } } }
        } });
        let http = reqwest::Client::new();
        let response = http
            .post(format!("{}/auth/tokens", s("auth_url")))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "login as {name}: {}",
            response.status()
        );
        let token = response.headers()["x-subject-token"]
            .to_str()
            .unwrap()
            .to_string();
        let doc: Json = response.json().await.unwrap();
        Cloud {
            http,
            token,
            catalog: doc["token"]["catalog"].clone(),
            compute_microversion: None,
        }
    }

    /// The same client asking Nova for `version` (server tags need 2.26 or later).
    pub fn with_compute_microversion(mut self, version: &str) -> Cloud {
        self.compute_microversion = Some(version.to_string());
        self
    }

    /// The `host:port` of every endpoint in the catalog (for a proxy to stand in front of).
    pub fn endpoint_addrs(&self) -> Vec<String> {
        let mut addrs: Vec<String> = self
            .catalog
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["endpoints"].as_array().unwrap().iter())
            .filter_map(|e| e["url"].as_str())
            .filter_map(|url| url.strip_prefix("http://")?.split('/').next())
            .map(str::to_string)
            .collect();
        addrs.sort();
        addrs.dedup();
        addrs
    }

    pub fn url(&self, service: &str, path: &str) -> String {
        let endpoint = self
            .catalog
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["type"] == service)
            .unwrap()["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["interface"] == "public")
            .unwrap()["url"]
            .as_str()
            .unwrap()
            .trim_end_matches('/')
            .to_string();
        let prefix = if service == "network" { "/v2.0" } else { "" };
        format!("{endpoint}{prefix}{path}")
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        service: &str,
        path: &str,
        body: Option<Json>,
    ) -> (u16, Json) {
        let mut request = self
            .http
            .request(method, self.url(service, path))
            .header("X-Auth-Token", &self.token);
        if let (Some(version), "compute") = (&self.compute_microversion, service) {
            request = request.header("OpenStack-API-Version", format!("compute {version}"));
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Json::Null))
    }

    pub async fn get(&self, service: &str, path: &str) -> Json {
        let (status, doc) = self.call(reqwest::Method::GET, service, path, None).await;
        assert_eq!(status, 200, "GET {path}: {doc}");
        doc
    }

    pub async fn put(&self, service: &str, path: &str, body: Json) {
        let (status, doc) = self
            .call(reqwest::Method::PUT, service, path, Some(body))
            .await;
        assert_eq!(status, 200, "PUT {path}: {doc}");
    }

    pub async fn post(&self, service: &str, path: &str, body: Json) -> Json {
        let (status, doc) = self
            .call(reqwest::Method::POST, service, path, Some(body))
            .await;
        assert!(matches!(status, 200..=202), "POST {path}: {status} {doc}");
        doc
    }

    pub async fn delete(&self, service: &str, path: &str) {
        let (status, doc) = self
            .call(reqwest::Method::DELETE, service, path, None)
            .await;
        assert!(matches!(status, 202 | 204), "DELETE {path}: {status} {doc}");
    }

    /// The HTTP status of a GET of `path` (404: gone).
    pub async fn status(&self, service: &str, path: &str) -> u16 {
        self.call(reqwest::Method::GET, service, path, None).await.0
    }

    /// Names of the project's servers and ports that contain `suffix`.
    pub async fn leftovers(&self, suffix: &str) -> Vec<String> {
        let servers = self.get("compute", "/servers").await;
        let ports = self.get("network", "/ports").await;
        let networks = self.get("network", "/networks").await;
        servers["servers"]
            .as_array()
            .unwrap()
            .iter()
            .chain(ports["ports"].as_array().unwrap())
            .chain(networks["networks"].as_array().unwrap())
            .filter_map(|o| o["name"].as_str())
            .filter(|n| n.contains(suffix))
            .map(str::to_string)
            .collect()
    }
}

pub async fn wait_gone(cloud: &Cloud, path: &str) {
    let started = Instant::now();
    loop {
        let (status, _) = cloud
            .call(reqwest::Method::GET, "compute", path, None)
            .await;
        if status == 404 {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "{path} was not deleted"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
