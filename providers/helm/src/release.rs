//! `helm_release`: one release of a chart, as hashicorp/helm's. Plans render the chart and
//! dry-run its objects ([`crate::live::planned`]); reads take the release from helm (`helm get`)
//! and its objects from the cluster; create and update are `helm upgrade --install` followed
//! by the repair of objects it did not bring back; delete is `helm uninstall`.

use crate::Helm;
use crate::binary::{Arg, flag};
use crate::error::HelmError;
use crate::live::{self, Release as ReleaseRef};
use crate::rendered::{self, Rendered};
use crate::settings::Client;
use crate::spec::{ReleaseSpec, SWITCHES};
use async_trait::async_trait;
use ggplan_sdk::typed::{Partial, ResourceType};
use ggplan_sdk::{
    AttrPath, Attribute, BlockNesting, Diagnostic, Diagnostics, NestedBlock, PlanRequest, Schema,
    Type, Value,
};
use serde_json::Value as Json;

const TYPE: &str = "helm_release";

pub struct Release;

fn schema() -> Schema {
    let flag = |default: bool, text: &str| {
        Attribute::optional(Type::Bool)
            .default(Value::Bool(default))
            .describe(text)
    };
    let switches = SWITCHES.iter().map(|s| (s.attribute, flag(false, s.text)));
    let flags = [
        (
            "create_namespace",
            false,
            "Create the namespace if it does not exist.",
        ),
        (
            "wait",
            true,
            "Wait until the release's objects are ready (helm's --wait).",
        ),
        (
            "atomic",
            false,
            "Roll a failed upgrade back (a failed install is uninstalled).",
        ),
        (
            "force_update",
            false,
            "Replace objects an upgrade cannot change in place.",
        ),
        (
            "reuse_values",
            false,
            "Merge the last release's values under the configured ones.",
        ),
        (
            "reset_values",
            false,
            "Use the chart's values and the configured ones only (always so unless \
             reuse_values).",
        ),
    ];
    let flags = flags.map(|(name, default, text)| (name, flag(default, text)));
    Schema::new(
        "A release of a Helm chart, installed and upgraded by the helm binary; its plan shows \
         the rendered objects that change.",
        chart_attributes()
            .into_iter()
            .chain(flags)
            .chain(switches)
            .chain(computed_attributes()),
    )
    .with_block("set", set_block(false))
    .with_block("set_sensitive", set_block(true))
    .with_block("set_list", set_list_block())
}

/// What the release is: its name, chart, namespace, values and helm's limits.
fn chart_attributes() -> [(&'static str, Attribute); 9] {
    let string = |text: &str| Attribute::optional(Type::String).describe(text);
    let number = |default: i64, text: &str| {
        Attribute::optional(Type::Number)
            .default(Value::int(default))
            .describe(text)
    };
    [
        (
            "name",
            Attribute::required(Type::String)
                .force_new()
                .describe("The release's name (a change replaces the release)."),
        ),
        (
            "chart",
            Attribute::required(Type::String).describe(
                "A chart directory or archive, a chart's name in `repository`, or an oci:// \
                 reference.",
            ),
        ),
        (
            "repository",
            string("The chart repository's URL (helm's --repo)."),
        ),
        (
            "version",
            Attribute::optional_computed(Type::String).describe(
                "The chart version to install (default: the latest); read back from the \
                 release when not set.",
            ),
        ),
        (
            "namespace",
            Attribute::optional(Type::String)
                .default(Value::string("default"))
                .force_new()
                .describe("The namespace to install into."),
        ),
        (
            "values",
            Attribute::optional(Type::List(Box::new(Type::String)))
                .describe("Values documents in YAML, later ones overriding earlier ones."),
        ),
        (
            "timeout",
            number(300, "Seconds each helm operation may take."),
        ),
        (
            "max_history",
            number(0, "Revisions helm keeps (0: no limit)."),
        ),
        (
            "description",
            string("The description of the release's revisions."),
        ),
    ]
}

/// What helm and the cluster say of the release.
fn computed_attributes() -> [(&'static str, Attribute); 4] {
    let computed = |ty: Type, text: &str| Attribute::computed(ty).describe(text);
    [
        ("id", computed(Type::String, "The release's name.")),
        (
            "status",
            computed(Type::String, "The release's status (deployed, failed...)."),
        ),
        (
            "metadata",
            computed(
                Type::Any,
                "The deployed release: name, namespace, revision, chart, version, app_version, \
                 last_deployed, values.",
            ),
        ),
        (
            "manifest",
            computed(
                Type::Any,
                "The release's objects, keyed \"Kind namespace/name\", on the fields the chart \
                 sets: rendered and dry-run in plans, read from the cluster after.",
            ),
        ),
    ]
}

/// The `set` and `set_sensitive` blocks: one value each, by its path in the values.
fn set_block(sensitive: bool) -> NestedBlock {
    let value = Attribute::required(Type::String).describe("The value.");
    let value = if sensitive { value.sensitive() } else { value };
    let described = if sensitive {
        "A value never shown in plans or output, set by its path (passed to helm in a file, as \
         a string)."
    } else {
        "A value set by its path in the chart's values (helm's --set)."
    };
    NestedBlock::new(
        BlockNesting::List,
        Schema::new(
            described,
            [
                (
                    "name",
                    Attribute::required(Type::String)
                        .describe("The value's path, e.g. minio.externalIP."),
                ),
                ("value", value),
                (
                    "type",
                    Attribute::optional(Type::String)
                        .describe("auto (the default: numbers and bools parsed) or string."),
                ),
            ],
        ),
    )
}

/// The `set_list` block: a list value by its path (helm's --set name={a,b}).
fn set_list_block() -> NestedBlock {
    let items = Type::List(Box::new(Type::String));
    NestedBlock::new(
        BlockNesting::List,
        Schema::new(
            "A list value set by its path in the chart's values (helm's --set name={a,b}).",
            [
                (
                    "name",
                    Attribute::required(Type::String).describe("The value's path, e.g. hosts."),
                ),
                (
                    "value",
                    Attribute::required(items).describe("The list's elements."),
                ),
            ],
        ),
    )
}

#[async_trait]
impl ResourceType<Helm> for Release {
    fn name(&self) -> &'static str {
        TYPE
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diagnostics = Diagnostics::new();
        if let Err(e) = ReleaseSpec::of(config) {
            diagnostics.extend(ggplan_sdk::typed::CallError::into_diagnostics(
                e,
                "Invalid helm_release",
            ));
        }
        for (index, document) in config
            .get("values")
            .as_list()
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let Some(text) = document.as_str() else {
                continue;
            };
            if let Err(e) = serde_saphyr::from_str::<Json>(text) {
                diagnostics.push(
                    Diagnostic::error(
                        "Invalid helm_release: a values document is not YAML",
                        e.to_string(),
                    )
                    .at_attribute(AttrPath::attr("values").index(index)),
                );
            }
        }
        diagnostics
    }

    async fn modify_plan(
        &self,
        client: &Client,
        request: &PlanRequest<'_>,
        planned: &mut Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Vec<AttrPath>, HelmError> {
        let Some(spec) = ReleaseSpec::of(planned)? else {
            for name in ["status", "metadata", "manifest"] {
                planned.set_attr(name, Value::Unknown);
            }
            return Ok(Vec::new());
        };
        if request.prior.is_none() {
            refuse_existing(client, &spec).await?;
        }
        planned.set_attr("id", Value::string(&spec.name));
        planned.set_attr("status", Value::string("deployed"));
        let rendered = render(client, &spec, request.prior.is_some()).await?;
        let release = ReleaseRef {
            name: &spec.name,
            namespace: &spec.namespace,
        };
        let placed = live::place(&client.cluster, rendered, &release).await?;
        let objects = live::planned(&client.cluster, &placed, &release).await?;
        planned.set_attr(
            "manifest",
            rendered::manifest_value(&objects, &spec.secrets()),
        );
        // An unset version is the chart's, known once installed: the prior one while the
        // release stays as it is.
        let version_unset = request.config.get("version").is_null();
        if version_unset {
            let prior = request.prior.map(|prior| prior.get("version").clone());
            planned.set_attr("version", prior.unwrap_or(Value::Unknown));
        }
        let metadata = match request.prior {
            Some(prior) if same_release(prior, planned) => prior.get("metadata").clone(),
            Some(prior) => next_revision(prior.get("metadata")),
            None => Value::Unknown,
        };
        if version_unset && !same_metadata(request.prior, &metadata) {
            planned.set_attr("version", Value::Unknown);
        }
        planned.set_attr("metadata", metadata);
        Ok(Vec::new())
    }

    async fn read(&self, client: &Client, state: &Value) -> Result<Option<Value>, HelmError> {
        refresh(client, state, None).await
    }

    async fn create(
        &self,
        client: &Client,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<HelmError>> {
        install(client, planned).await
    }

    async fn update(
        &self,
        client: &Client,
        _prior: &Value,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<HelmError>> {
        install(client, planned).await
    }

    async fn delete(
        &self,
        client: &Client,
        prior: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<(), HelmError> {
        let Some(spec) = ReleaseSpec::of(prior)? else {
            return Ok(());
        };
        match client
            .helm
            .run(&spec.uninstall_args(client.helm.major), &spec.secrets())
            .await
        {
            Ok(_) => Ok(()),
            Err(failure) if release_missing(&failure.0) => Ok(()),
            Err(failure) => Err(helm_failed("helm uninstall failed", failure.0, None)),
        }
    }

    /// `namespace/name`, as hashicorp/helm.
    fn import_stub(&self, id: &str) -> Result<Value, Diagnostics> {
        let Some((namespace, name)) = id
            .split_once('/')
            .filter(|(ns, n)| !ns.is_empty() && !n.is_empty())
        else {
            return Err(Diagnostic::error(
                format!("{id:?} is not a helm_release import id"),
                "Write namespace/name, e.g. gourmetgram-platform/platform.",
            )
            .into());
        };
        Ok(Value::object([
            ("name", Value::string(name)),
            ("namespace", Value::string(namespace)),
        ]))
    }

    fn import_id_format(&self) -> &'static str {
        "<namespace>/<name>"
    }
}

/// Refuses to create a release that exists already (helm upgrade --install would take it
/// over silently, and destroying the stack would then uninstall it), with how to import it,
/// as hashicorp/helm refuses to re-use a name still in use.
async fn refuse_existing(client: &Client, spec: &ReleaseSpec) -> Result<(), HelmError> {
    if helm_get(client, "metadata", spec, &["--output", "json"])
        .await?
        .is_none()
    {
        return Ok(());
    }
    Err(HelmError::invalid(
        AttrPath::attr("name"),
        format!(
            "a release {} exists already in namespace {}: import it (ggplan import \
             helm_release.NAME {}/{}) to manage it here, or choose another name",
            spec.name, spec.namespace, spec.namespace, spec.name
        ),
    ))
}

/// Whether `prior` and `planned` describe the same release: the same configuration, the
/// same objects, deployed (only the metadata is left out: a new revision changes it).
fn same_release(prior: &Value, planned: &Value) -> bool {
    let without_metadata = |value: &Value| {
        let (mut plain, _) = value.clone().unmark_deep();
        plain.set_attr("metadata", Value::Null);
        plain
    };
    without_metadata(prior) == without_metadata(planned)
}

/// The metadata of a release about to get a new revision: what only helm can tell unknown,
/// its name and namespace as they are (a change of either replaces the release).
fn next_revision(prior: &Value) -> Value {
    let Some(fields) = prior.as_map() else {
        return Value::Unknown;
    };
    let next = fields.iter().map(|(name, value)| match name.as_str() {
        "name" | "namespace" => (name.clone(), value.clone()),
        _ => (name.clone(), Value::Unknown),
    });
    Value::Map(next.collect())
}

/// Whether `metadata` is the prior release's, unchanged.
fn same_metadata(prior: Option<&Value>, metadata: &Value) -> bool {
    prior.is_some_and(|prior| prior.get("metadata") == metadata)
}

/// The chart's objects as `helm template` renders them; a chart that does not render is an
/// error at `chart` with helm's message.
async fn render(
    client: &Client,
    spec: &ReleaseSpec,
    upgrade: bool,
) -> Result<Vec<Json>, HelmError> {
    let output = client
        .helm
        .run(
            &spec.template_args(upgrade, client.helm.major),
            &spec.secrets(),
        )
        .await
        .map_err(|failure| helm_failed("helm cannot render the chart", failure.0, Some("chart")))?;
    rendered::documents(&output)
        .map_err(|why| helm_failed("helm cannot render the chart", why, Some("chart")))
}

fn helm_failed(what: &str, message: String, attribute: Option<&str>) -> HelmError {
    HelmError::Helm {
        what: what.to_string(),
        message,
        attribute: attribute.map(AttrPath::attr),
    }
}

/// Whether helm said the release does not exist.
fn release_missing(said: &str) -> bool {
    said.contains("release: not found")
}

/// `helm upgrade --install`, then the release's objects that are still missing applied as
/// helm would; the state read back. A failed upgrade that left a release records it.
async fn install(client: &Client, planned: &Value) -> Result<Value, Partial<HelmError>> {
    let spec = ReleaseSpec::of(planned)?.ok_or_else(|| {
        HelmError::invalid(
            AttrPath::attr("chart"),
            "the configuration is still not known",
        )
    })?;
    let secrets = spec.secrets();
    if let Err(failure) = client
        .helm
        .run(&spec.upgrade_args(client.helm.major), &secrets)
        .await
    {
        let error = helm_failed("helm upgrade --install failed", failure.0, Some("chart"));
        return match refresh(client, planned, None).await {
            Ok(Some(state)) => Err(Partial::left(state, error)),
            _ => Err(error.into()),
        };
    }
    match restore_and_read(client, &spec, planned).await {
        Ok(Some(state)) => Ok(state),
        Ok(None) => Err(Partial::from(helm_failed(
            "the release is missing right after helm installed it",
            format!(
                "helm get metadata finds no release {} in {}",
                spec.name, spec.namespace
            ),
            None,
        ))),
        // The release is installed: record it, whatever failed after.
        Err(error) => match refresh(client, planned, None).await {
            Ok(Some(state)) => Err(Partial::left(state, error)),
            _ => Err(error.into()),
        },
    }
}

/// The release's objects that are still missing applied as helm would, then the state read
/// on the fields of the release's own objects.
async fn restore_and_read(
    client: &Client,
    spec: &ReleaseSpec,
    planned: &Value,
) -> Result<Option<Value>, HelmError> {
    let release = ReleaseRef {
        name: &spec.name,
        namespace: &spec.namespace,
    };
    let objects = release_objects(client, spec).await?;
    live::restore_missing(&client.cluster, &objects, &release).await?;
    refresh(client, planned, Some(objects)).await
}

/// The release's objects as helm recorded them (`helm get manifest`), placed.
async fn release_objects(client: &Client, spec: &ReleaseSpec) -> Result<Vec<Rendered>, HelmError> {
    let output = helm_get(client, "manifest", spec, &[])
        .await?
        .unwrap_or_default();
    let objects = rendered::documents(&output)
        .map_err(|why| helm_failed("cannot read the release", why, None))?;
    let release = ReleaseRef {
        name: &spec.name,
        namespace: &spec.namespace,
    };
    Ok(live::place(&client.cluster, objects, &release).await?)
}

/// `helm get WHAT NAME`; `None` when there is no such release.
async fn helm_get(
    client: &Client,
    what: &str,
    spec: &ReleaseSpec,
    extra: &[&str],
) -> Result<Option<String>, HelmError> {
    let mut args = vec![Arg::word("get"), Arg::word(what), Arg::word(&spec.name)];
    args.extend(flag("--namespace", &spec.namespace));
    args.extend(extra.iter().map(|word| Arg::word(*word)));
    match client.helm.run(&args, &spec.secrets()).await {
        Ok(output) => Ok(Some(output)),
        Err(failure) if release_missing(&failure.0) => Ok(None),
        Err(failure) => Err(helm_failed("cannot read the release", failure.0, None)),
    }
}

/// `state` refreshed: the release as helm has it (`None` when it is gone), and its objects
/// as the cluster has them, on the fields of `shapes` (default: those of the state's
/// manifest, or of the release's own when the state has none, as after an import).
async fn refresh(
    client: &Client,
    state: &Value,
    shapes: Option<Vec<Rendered>>,
) -> Result<Option<Value>, HelmError> {
    let mut state = state.clone();
    if state.get("namespace").is_null() {
        state.set_attr("namespace", Value::string("default"));
    }
    let spec = ReleaseSpec::of(&state)?.ok_or_else(|| {
        HelmError::invalid(AttrPath::attr("name"), "the release's name is not known")
    })?;
    let json = ["--output", "json"];
    let Some(metadata) = helm_get(client, "metadata", &spec, &json).await? else {
        return Ok(None);
    };
    let metadata: Json = serde_json::from_str(&metadata).unwrap_or(Json::Null);
    let values = helm_get(client, "values", &spec, &json)
        .await?
        .unwrap_or_default();
    let values: Json = serde_json::from_str(&values).unwrap_or(Json::Null);
    let shapes = match shapes {
        Some(shapes) => shapes,
        None => match state.get("manifest").as_map() {
            Some(entries) => entries
                .iter()
                .filter_map(|(key, object)| Some(Rendered::from_entry(key, object.to_json()?)))
                .collect(),
            None => release_objects(client, &spec).await?,
        },
    };
    let objects = live::live(&client.cluster, &shapes).await?;
    let secrets = spec.secrets();
    state.set_attr("id", Value::string(&spec.name));
    state.set_attr("manifest", rendered::manifest_value(&objects, &secrets));
    state.set_attr("status", Value::from_json(&metadata["status"]));
    state.set_attr("metadata", metadata_value(&metadata, &values, &secrets));
    // An imported release: its chart is known by name only.
    if state.get("chart").is_null() {
        state.set_attr("chart", Value::from_json(&metadata["chart"]));
    }
    state.set_attr("version", Value::from_json(&metadata["version"]));
    Ok(Some(state))
}

/// The `metadata` attribute from `helm get metadata` and `helm get values` (the values the
/// release was given; strings holding a `set_sensitive` value marked).
fn metadata_value(metadata: &Json, values: &Json, secrets: &[String]) -> Value {
    let field = |name: &str| Value::from_json(&metadata[name]);
    let values = match values {
        Json::Null => Value::Map(Default::default()),
        given => rendered::mark_secrets(Value::from_json(given), secrets),
    };
    Value::object([
        ("name", field("name")),
        ("namespace", field("namespace")),
        ("revision", field("revision")),
        ("chart", field("chart")),
        ("version", field("version")),
        ("app_version", field("appVersion")),
        ("last_deployed", field("deployedAt")),
        ("values", values),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_import_id_is_namespace_and_name() {
        let stub = Release
            .import_stub("gourmetgram-platform/platform")
            .unwrap();
        assert_eq!(
            stub.get("namespace"),
            &Value::string("gourmetgram-platform")
        );
        assert_eq!(stub.get("name"), &Value::string("platform"));
        for bad in ["platform", "/platform", "ns/"] {
            assert!(Release.import_stub(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_new_revision_is_planned_only_when_something_changes() {
        let prior = Value::object([
            ("name", Value::string("p")),
            (
                "manifest",
                Value::object([("ConfigMap p/c", Value::string("x"))]),
            ),
            ("metadata", Value::object([("revision", Value::int(1))])),
            ("status", Value::string("deployed")),
        ]);
        let mut planned = prior.clone();
        planned.set_attr("metadata", Value::Unknown);
        assert!(same_release(&prior, &planned));
        planned.set_attr("status", Value::string("failed"));
        assert!(!same_release(&prior, &planned));
        let mut changed = prior.clone();
        changed.set_attr(
            "manifest",
            Value::object([("ConfigMap p/c", Value::string("y"))]),
        );
        assert!(!same_release(&prior, &changed));
    }

    #[test]
    fn metadata_hides_sensitive_values() {
        let metadata = serde_json::json!({"name": "p", "revision": 2, "appVersion": "1.0"});
        let values = serde_json::json!({"postgres": {"password": "s3cr3t"}, "n": 1});
        let value = metadata_value(&metadata, &values, &["s3cr3t".into()]);
        assert_eq!(value.get("revision"), &Value::int(2));
        assert!(
            value
                .get("values")
                .get("postgres")
                .get("password")
                .is_sensitive()
        );
        assert!(!value.get("values").get("n").is_sensitive());
    }
}
