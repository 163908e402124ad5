//! One cluster as the provider's calls see it: the kube-rs client, and the kinds the cluster
//! serves, discovered once per apiVersion and again when a kind is missing (a CRD this run
//! just established).

use crate::error::KubeError;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::APIResource;
use kube::api::{Api, ApiResource, DynamicObject};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// A kind the cluster serves, and whether its objects live in namespaces.
#[derive(Debug, Clone)]
pub struct Kind {
    pub resource: ApiResource,
    pub namespaced: bool,
}

/// The configured provider's client: the one connection pool every call shares.
pub struct Cluster {
    client: kube::Client,
    url: String,
    /// The resources of each apiVersion asked about so far. One lock for all: discovery is a
    /// handful of requests per run, and it keeps two tasks from fetching the same list.
    kinds: tokio::sync::Mutex<HashMap<String, Arc<Vec<APIResource>>>>,
    /// Namespaces a dry-run found missing, until this client makes them: the API server
    /// answers a request into a namespace it does not know only after waiting for its cache
    /// (50 ms each: 200 objects of namespaces the same apply makes cost a second), so a plan
    /// asks once per namespace.
    missing_namespaces: Mutex<HashSet<String>>,
}

impl Cluster {
    pub fn new(config: kube::Config) -> Result<Cluster, KubeError> {
        let url = config.cluster_url.to_string();
        let client = kube::Client::try_from(config).map_err(|e| KubeError::from_kube(&url, e))?;
        Ok(Cluster {
            client,
            url,
            kinds: tokio::sync::Mutex::new(HashMap::new()),
            missing_namespaces: Mutex::new(HashSet::new()),
        })
    }

    /// The memo of missing namespaces. A panic while it was held cannot have left it
    /// half-changed (each change is one insert or remove), so a poisoned lock is taken as is.
    fn missing_namespaces(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.missing_namespaces
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether a dry-run found `namespace` missing and this client has not made it since.
    pub fn is_missing(&self, namespace: &str) -> bool {
        self.missing_namespaces().contains(namespace)
    }

    /// Records what a write says of namespaces: a dry-run into `namespace` that the server
    /// answered with NotFound (it is missing), or a namespace made (it is there now).
    pub fn note_namespace(&self, namespace: &str, missing: bool) {
        let mut memo = self.missing_namespaces();
        match missing {
            true => memo.insert(namespace.to_string()),
            false => memo.remove(namespace),
        };
    }

    /// The API server's address, for messages.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A failure of this cluster's API server.
    pub fn error(&self, error: kube::Error) -> KubeError {
        KubeError::from_kube(&self.url, error)
    }

    /// Where objects of `kind` in `api_version` live. The apiVersion's resource list is
    /// fetched on first use; a kind missing from it is looked up once more (a CRD applied
    /// earlier in this run may have added it).
    pub async fn kind(&self, api_version: &str, kind: &str) -> Result<Kind, KubeError> {
        let mut kinds = self.kinds.lock().await;
        if let Some(found) = kinds
            .get(api_version)
            .and_then(|list| find(list, api_version, kind))
        {
            return Ok(found);
        }
        let list = Arc::new(self.resources(api_version).await?);
        kinds.insert(api_version.to_string(), list.clone());
        find(&list, api_version, kind).ok_or_else(|| KubeError::UnknownKind {
            api_version: api_version.to_string(),
            kind: kind.to_string(),
            known: served_kinds(&list),
        })
    }

    /// The resources the cluster serves at `api_version` (none when it serves no such
    /// apiVersion).
    async fn resources(&self, api_version: &str) -> Result<Vec<APIResource>, KubeError> {
        let listed = if api_version.contains('/') {
            self.client.list_api_group_resources(api_version).await
        } else {
            self.client.list_core_api_resources(api_version).await
        };
        match listed.map_err(|e| self.error(e)) {
            Ok(list) => Ok(list.resources),
            Err(e) if e.is_not_found() => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// Whether the API server is older than `major.minor` (for behaviour that changed with
    /// Kubernetes versions, such as service account token Secrets before 1.24).
    pub async fn older_than(&self, major: u32, minor: u32) -> Result<bool, KubeError> {
        let info = self.client.apiserver_version().await;
        let info = info.map_err(|e| self.error(e))?;
        // Some distributions write minor versions as "20+".
        let number = |text: &str| text.trim_end_matches('+').parse::<u32>().unwrap_or(0);
        Ok((number(&info.major), number(&info.minor)) < (major, minor))
    }

    /// The API of `kind`'s objects in `namespace` (ignored for cluster-wide kinds).
    pub fn api(&self, kind: &Kind, namespace: Option<&str>) -> Api<DynamicObject> {
        match (kind.namespaced, namespace) {
            (true, Some(namespace)) => {
                Api::namespaced_with(self.client.clone(), namespace, &kind.resource)
            }
            _ => Api::all_with(self.client.clone(), &kind.resource),
        }
    }
}

/// The kind in a resource list (its main resource, not a subresource such as `status`).
fn find(list: &[APIResource], api_version: &str, kind: &str) -> Option<Kind> {
    let found = list
        .iter()
        .find(|r| r.kind == kind && !r.name.contains('/'))?;
    let (group, version) = match api_version.split_once('/') {
        Some((group, version)) => (group, version),
        None => ("", api_version),
    };
    Some(Kind {
        resource: ApiResource {
            group: group.to_string(),
            version: version.to_string(),
            api_version: api_version.to_string(),
            kind: kind.to_string(),
            plural: found.name.clone(),
        },
        namespaced: found.namespaced,
    })
}

fn served_kinds(list: &[APIResource]) -> Vec<String> {
    let mut kinds: Vec<String> = list
        .iter()
        .filter(|r| !r.name.contains('/'))
        .map(|r| r.kind.clone())
        .collect();
    kinds.sort();
    kinds.dedup();
    kinds
}
