//! The schema of `argocd_application`, with argoproj-labs/argocd's names. What argoproj-labs
//! has and ggplan does not (multiple `sources`, kustomize, directory and plugin sources,
//! `ignore_difference`, `info`, `managed_namespace_metadata`, `validate`) is left out of the
//! schema, so that writing it is refused at its line as an unsupported block or argument.

use ggplan_sdk::{Attribute, BlockNesting, NestedBlock, Schema, Type};

fn strings() -> Type {
    Type::List(Box::new(Type::String))
}

fn string_map() -> Type {
    Type::Map(Box::new(Type::String))
}

/// A block written at most once (a list of one, so `spec[0].source[0].path` reads as with
/// Terraform), required or not.
pub fn one(schema: Schema, required: bool) -> NestedBlock {
    let mut block = NestedBlock::new(BlockNesting::List, schema);
    block.max_items = Some(1);
    block.min_items = usize::from(required);
    block
}

fn optional(ty: Type, text: &str) -> Attribute {
    Attribute::optional(ty).describe(text)
}

pub fn metadata() -> Schema {
    Schema::new(
        "The Application object's metadata.",
        [
            (
                "name",
                Attribute::required(Type::String)
                    .force_new()
                    .describe("Name of the application, unique in its namespace."),
            ),
            (
                "namespace",
                Attribute::optional_computed(Type::String)
                    .force_new()
                    .describe("Namespace of the Application object. Default: the provider's."),
            ),
            (
                "labels",
                optional(string_map(), "Labels of the Application."),
            ),
            (
                "annotations",
                optional(string_map(), "Annotations of the Application."),
            ),
            ("generation", Attribute::computed(Type::Number)),
            ("resource_version", Attribute::computed(Type::String)),
            ("uid", Attribute::computed(Type::String)),
        ],
    )
}

fn helm() -> Schema {
    let parameter = Schema::new(
        "A Helm parameter (helm template --set, or --set-string with force_string).",
        [
            (
                "name",
                optional(Type::String, "Name of the Helm parameter."),
            ),
            (
                "value",
                optional(Type::String, "Value of the Helm parameter."),
            ),
            (
                "force_string",
                optional(Type::Bool, "Pass the value as a string (--set-string)."),
            ),
        ],
    );
    Schema::new(
        "Helm specific options.",
        [
            (
                "value_files",
                optional(strings(), "Helm value files, relative to the chart."),
            ),
            (
                "values",
                optional(Type::String, "Helm values, as a YAML string."),
            ),
            (
                "release_name",
                optional(
                    Type::String,
                    "Helm release name. Default: the application's name.",
                ),
            ),
            (
                "pass_credentials",
                optional(Type::Bool, "helm --pass-credentials."),
            ),
            ("skip_crds", optional(Type::Bool, "helm --skip-crds.")),
            (
                "ignore_missing_value_files",
                optional(Type::Bool, "Skip value files that do not exist."),
            ),
        ],
    )
    .with_block("parameter", NestedBlock::new(BlockNesting::List, parameter))
}

fn source() -> Schema {
    Schema::new(
        "Where the application's manifests come from.",
        [
            (
                "repo_url",
                Attribute::required(Type::String)
                    .describe("URL of the Git or Helm repository holding the manifests."),
            ),
            (
                "path",
                optional(Type::String, "Directory within a Git repository."),
            ),
            (
                "chart",
                optional(Type::String, "Helm chart name, for a Helm repository."),
            ),
            (
                "target_revision",
                optional(
                    Type::String,
                    "Revision to sync to (commit, tag, branch; chart version). Default: HEAD.",
                ),
            ),
        ],
    )
    .with_block("helm", one(helm(), false))
}

fn destination() -> Schema {
    Schema::new(
        "Where the application's objects go.",
        [
            (
                "server",
                optional(Type::String, "API server URL of the target cluster."),
            ),
            (
                "name",
                optional(
                    Type::String,
                    "Name of the target cluster (instead of server).",
                ),
            ),
            (
                "namespace",
                optional(Type::String, "Target namespace of the objects."),
            ),
        ],
    )
}

fn sync_policy() -> Schema {
    let automated = Schema::new(
        "Keep the application synced to its target revision automatically.",
        [
            (
                "prune",
                optional(Type::Bool, "Delete objects no longer in the source."),
            ),
            (
                "self_heal",
                optional(Type::Bool, "Revert changes made in the cluster."),
            ),
            (
                "allow_empty",
                optional(Type::Bool, "Allow the application to have no objects."),
            ),
        ],
    );
    let backoff = Schema::new(
        "How to back off between retries.",
        [
            (
                "duration",
                optional(Type::String, "The first wait, e.g. 5s."),
            ),
            (
                "factor",
                optional(Type::Number, "Multiplies the wait after each retry."),
            ),
            (
                "max_duration",
                optional(Type::String, "The longest wait, e.g. 3m."),
            ),
        ],
    );
    let retry = Schema::new(
        "Retries of failed syncs.",
        [("limit", optional(Type::Number, "Most retries (0: none)."))],
    )
    .with_block("backoff", one(backoff, false));
    Schema::new(
        "How Argo CD syncs the application.",
        [(
            "sync_options",
            optional(strings(), "Sync options, e.g. CreateNamespace=true."),
        )],
    )
    .with_block("automated", one(automated, false))
    .with_block("retry", one(retry, false))
}

pub fn spec() -> Schema {
    Schema::new(
        "The application's spec.",
        [
            (
                "project",
                optional(Type::String, "The Argo CD project. Default: \"default\"."),
            ),
            (
                "revision_history_limit",
                optional(
                    Type::Number,
                    "How many past syncs Argo CD keeps (default 10).",
                ),
            ),
        ],
    )
    .with_block("source", one(source(), true))
    .with_block("destination", one(destination(), true))
    .with_block("sync_policy", one(sync_policy(), false))
}

fn timeouts() -> Schema {
    Schema::new(
        "How long create, update (with wait) and delete may wait. Default: 5m each.",
        ["create", "update", "delete"].map(|operation| {
            let text = format!("How long the {operation} may wait, e.g. 30s, 10m.");
            (operation, optional(Type::String, &text))
        }),
    )
}

pub fn schema() -> Schema {
    Schema::new(
        "An Argo CD Application, written as the argoproj.io/v1alpha1 Application object Argo CD \
         reads, by server-side apply (plans are its dry-run). A change of spec.source requests a \
         sync (the operation field, as argocd app sync sets it). Not supported, and refused \
         where written: multiple sources, kustomize, directory and plugin sources, \
         ignore_difference, info, managed_namespace_metadata, validate. Import id: \
         name:namespace.",
        [
            (
                "id",
                Attribute::computed(Type::String).describe("name:namespace of the Application."),
            ),
            (
                "cascade",
                Attribute::optional(Type::Bool)
                    .default(ggplan_sdk::Value::Bool(true))
                    .describe(
                        "Delete the application's objects with it (Argo CD's resources \
                         finalizer, added at destroy); destroy then waits until Argo CD's \
                         controller has deleted them and removed the finalizer.",
                    ),
            ),
            (
                "wait",
                Attribute::optional(Type::Bool)
                    .default(ggplan_sdk::Value::Bool(false))
                    .describe(
                        "Wait after create and update until Argo CD reports the application \
                         Synced and Healthy; a Degraded or failed application (or a failed \
                         sync) is an error with Argo CD's message.",
                    ),
            ),
            (
                "status",
                Attribute::computed(super::status::status_type()).describe(
                    "What Argo CD's controller reports: sync, health, operation, conditions.",
                ),
            ),
        ],
    )
    .with_block("metadata", one(metadata(), true))
    .with_block("spec", one(spec(), true))
    .with_block(
        "timeouts",
        NestedBlock::new(BlockNesting::Single, timeouts()),
    )
}
