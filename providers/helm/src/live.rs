//! The release's objects in the cluster, through the kubernetes provider's server-side apply
//! core: what applying the rendered chart would make of each (a dry-run as helm's field
//! manager, which is what a plan shows), what each is now (read, projected on the fields the
//! chart sets: drift), and the repair of objects deleted by hand that an upgrade did not
//! bring back.

use crate::rendered::Rendered;
use ggplan_provider_kubernetes::cluster::Cluster;
use ggplan_provider_kubernetes::error::KubeError;
use ggplan_provider_kubernetes::object::{FieldManager, ObjectRef, project_object};
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// The field manager helm 4 applies as.
const HELM_MANAGER: &str = "helm";

/// The release a set of objects belongs to.
pub struct Release<'a> {
    pub name: &'a str,
    pub namespace: &'a str,
}

/// Where `object` lives: its kind as the cluster serves it; `None` for a kind it does not
/// serve (yet: a CRD of the chart defines it).
async fn locate(cluster: &Cluster, rendered: &Rendered) -> Result<Option<ObjectRef>, KubeError> {
    match cluster.kind(rendered.api_version(), rendered.kind()).await {
        Ok(kind) => Ok(Some(ObjectRef {
            namespace: rendered.namespace.clone().filter(|_| kind.namespaced),
            kind,
            name: rendered.name().to_string(),
        })),
        Err(KubeError::UnknownKind { .. }) => Ok(None),
        Err(other) => Err(other),
    }
}

/// The rendered objects placed: in the namespace the chart writes, else in the release's for
/// a namespaced kind (or one the cluster does not serve yet), else nowhere.
pub async fn place(
    cluster: &Cluster,
    objects: Vec<Json>,
    release: &Release<'_>,
) -> Result<Vec<Rendered>, KubeError> {
    let mut placed = Vec::new();
    for object in objects {
        let written = object["metadata"]["namespace"].as_str().map(str::to_string);
        let mut rendered = Rendered {
            object,
            namespace: written.or_else(|| Some(release.namespace.to_string())),
        };
        if let Some(found) = locate(cluster, &rendered).await? {
            rendered.namespace = found.namespace;
        }
        placed.push(rendered);
    }
    Ok(placed)
}

fn helm_manager() -> FieldManager {
    FieldManager {
        name: HELM_MANAGER.to_string(),
        force: true,
    }
}

/// What upgrading the release would make of each object: the server's dry-run of it as
/// helm applies it, on the fields the chart sets; the object as rendered where no dry-run
/// can be made yet (its namespace or kind comes with this apply).
///
/// An object planned as rendered stays so in the final plan of the same run, even when
/// another resource has made its namespace by then (where the server would now write `1Gi`
/// for a rendered `1024Mi`): the cluster client remembers a namespace a dry-run found
/// missing until it makes it itself, so both plans agree. The next run plans the dry-run.
pub async fn planned(
    cluster: &Cluster,
    objects: &[Rendered],
    release: &Release<'_>,
) -> Result<BTreeMap<String, Json>, KubeError> {
    let mut planned = BTreeMap::new();
    for rendered in objects {
        let object = match locate(cluster, rendered).await? {
            None => rendered.object.clone(),
            Some(object) => {
                let applied = rendered.as_helm_applies(release.name, release.namespace);
                match cluster
                    .apply(&object, &applied, &helm_manager(), true)
                    .await
                {
                    Ok(result) => project_object(&result, &rendered.object),
                    Err(e) if e.is_not_found() => rendered.object.clone(),
                    Err(e) => return Err(e),
                }
            }
        };
        planned.insert(rendered.key(), object);
    }
    Ok(planned)
}

/// Each object as the cluster has it now, on the fields of its shape (the chart's); an
/// object that is gone is left out.
pub async fn live(
    cluster: &Cluster,
    shapes: &[Rendered],
) -> Result<BTreeMap<String, Json>, KubeError> {
    let mut found = BTreeMap::new();
    for shape in shapes {
        let Some(object) = locate(cluster, shape).await? else {
            continue;
        };
        if let Some(live) = cluster.get(&object).await? {
            found.insert(shape.key(), project_object(&live, &shape.object));
        }
    }
    Ok(found)
}

/// Applies, as helm would, every object of the release that is missing from the cluster: an
/// upgrade by three-way merge (a release installed by helm 3, or with --server-side=false)
/// does not bring back an object deleted by hand when the chart did not change it.
pub async fn restore_missing(
    cluster: &Cluster,
    objects: &[Rendered],
    release: &Release<'_>,
) -> Result<(), KubeError> {
    for rendered in objects {
        let Some(object) = locate(cluster, rendered).await? else {
            continue;
        };
        if cluster.get(&object).await?.is_none() {
            let applied = rendered.as_helm_applies(release.name, release.namespace);
            cluster
                .apply(&object, &applied, &helm_manager(), false)
                .await?;
        }
    }
    Ok(())
}
