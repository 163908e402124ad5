//! Stack configuration: the blocks of a directory of `*.hcl`, `*.tf` and `*.tf.json` files,
//! decoded into
//! a [`Module`] with every expression kept unevaluated and every span kept for diagnostics.

mod decode;
pub mod encryption;
pub(crate) mod json;
pub mod object_limit;
mod quoted;
mod source;
mod type_expr;

pub use decode::{load_dir, load_dir_or_empty};
pub use source::{FileId, SourceFile, SourceMap};

use crate::address::{
    ConfigResource, InstanceAddr, ModuleInstance, ModulePath, ProviderAddr, ResourceAddr,
};
use ggplan_sdk::{AttrPath, PathStep, Schema, SourceRange, Type, Value, objchange};
use hcl_edit::expr::Expression;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

/// An unevaluated expression and the file it is written in.
#[derive(Debug, Clone)]
pub struct Expr {
    pub file: FileId,
    pub expr: Expression,
    /// The byte span of the expression in its file.
    pub span: Range<usize>,
}

/// `name = expr` inside a block.
#[derive(Debug, Clone)]
pub struct Attr {
    pub name: String,
    pub value: Expr,
    /// The span of the whole `name = expr`.
    pub span: Range<usize>,
}

/// A nested block inside a resource, data source or provider body (`network { ... }`).
#[derive(Debug, Clone)]
pub struct Block {
    pub type_name: String,
    pub labels: Vec<String>,
    pub body: Body,
    pub span: Range<usize>,
}

/// Which syntax a body is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Syntax {
    #[default]
    Native,
    /// Terraform's JSON syntax: an argument may be a nested block its schema names
    /// (`json::nested_blocks`).
    Json,
}

/// The attributes and nested blocks of a block, as written.
#[derive(Debug, Clone)]
pub struct Body {
    pub file: FileId,
    pub syntax: Syntax,
    pub attributes: BTreeMap<String, Attr>,
    pub blocks: Vec<Block>,
    pub span: Range<usize>,
}

impl Body {
    /// The span of what a provider's attribute path points at: the attribute (`end_date`,
    /// `tags["team"]`), or the nested block (`reservation[0].amount` is the `amount` of the
    /// first `reservation` block); the innermost part written in this body.
    pub fn span_of(&self, path: &AttrPath) -> Option<Range<usize>> {
        let mut steps = path.0.iter();
        let Some(PathStep::Key(name)) = steps.next() else {
            return None;
        };
        if let Some(attr) = self.attributes.get(name) {
            return Some(attr.span.clone());
        }
        let mut blocks = self.blocks.iter().filter(|b| &b.type_name == name);
        let block = match steps.clone().next() {
            Some(PathStep::Index(i)) => {
                steps.next();
                blocks.nth(*i)?
            }
            _ => blocks.next()?,
        };
        let rest = AttrPath(steps.cloned().collect());
        block
            .body
            .span_of(&rest)
            .or_else(|| Some(block.span.clone()))
    }
}

/// A `variable` block.
#[derive(Debug, Clone)]
pub struct Variable {
    pub name: String,
    /// `any` both for `type = any` and for no `type` at all; `type_declared` tells them apart.
    pub ty: Type,
    /// Whether the block sets `type` (Terraform reads -var text differently without one).
    pub type_declared: bool,
    pub default: Option<Expr>,
    pub description: String,
    pub sensitive: bool,
    pub nullable: bool,
    pub validations: Vec<Condition>,
    /// The block's header line, `variable "name" {`, where problems with it are shown.
    pub range: SourceRange,
}

/// A rule written as `condition` and `error_message`: a variable's `validation`, or a
/// `precondition` or `postcondition` of a resource, data source or output.
#[derive(Debug, Clone)]
pub struct Condition {
    pub condition: Expr,
    pub error_message: Expr,
}

/// One entry of a `locals` block.
#[derive(Debug, Clone)]
pub struct Local {
    pub name: String,
    pub value: Expr,
    pub range: SourceRange,
}

/// An `output` block.
#[derive(Debug, Clone)]
pub struct Output {
    pub name: String,
    pub value: Expr,
    pub description: String,
    pub sensitive: bool,
    pub depends_on: Vec<Expr>,
    /// Checked before the value is recorded; a failure stops the plan or apply.
    pub preconditions: Vec<Condition>,
    pub range: SourceRange,
}

/// A `provider` block.
#[derive(Debug, Clone)]
pub struct ProviderBlock {
    /// `name` or `name.alias`, as `provider = name.alias` and state name it.
    pub addr: ProviderAddr,
    pub body: Body,
    pub range: SourceRange,
}

/// Which attributes `lifecycle { ignore_changes = ... }` names.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum IgnoreChanges {
    #[default]
    None,
    All,
    Paths(Vec<AttrPath>),
}

impl IgnoreChanges {
    /// `config` with the parts this names taken from `prior` instead.
    pub fn keep_prior(&self, config: Value, prior: &Value, schema: &Schema) -> Value {
        match self {
            IgnoreChanges::None => config,
            IgnoreChanges::All => {
                objchange::ignore_changes(config, prior, &objchange::configurable_paths(schema))
            }
            IgnoreChanges::Paths(paths) => objchange::ignore_changes(config, prior, paths),
        }
    }
}

/// A `lifecycle` block.
#[derive(Debug, Clone, Default)]
pub struct Lifecycle {
    pub create_before_destroy: bool,
    pub prevent_destroy: bool,
    pub ignore_changes: IgnoreChanges,
    /// References whose change replaces this resource.
    pub replace_triggered_by: Vec<Expr>,
    /// Checked before the instance is planned (or, when not known yet, applied).
    pub preconditions: Vec<Condition>,
    /// Checked on the planned object (`self`), or after apply when it is not known yet.
    pub postconditions: Vec<Condition>,
}

/// A `provisioner "local-exec"` block: a command run where ggplan runs, after the object is
/// created or before it is destroyed (Terraform's local-exec provisioner).
#[derive(Debug, Clone)]
pub struct Provisioner {
    pub when: ProvisionerWhen,
    pub on_failure: OnFailure,
    /// `command`, `working_dir`, `interpreter`, `environment` and `quiet`, evaluated with
    /// `self` (the object) when the provisioner runs.
    pub body: Body,
    /// The `provisioner "local-exec"` header, for diagnostics.
    pub range: SourceRange,
}

/// `when = create` (the default) or `when = destroy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProvisionerWhen {
    Create,
    Destroy,
}

/// `on_failure = fail` (the default: the apply fails, a new object is tainted) or
/// `on_failure = continue` (the failure is a warning).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnFailure {
    Fail,
    Continue,
}

/// How many instances a resource has.
#[derive(Debug, Clone)]
pub enum Repetition {
    Single,
    Count(Expr),
    ForEach(Expr),
}

/// A `resource` or `data` block.
#[derive(Debug, Clone)]
pub struct Resource {
    pub addr: ResourceAddr,
    /// The provider configuration (`random`, `openstack.chi`): from `provider = ...` or the
    /// type's prefix.
    pub provider: ProviderAddr,
    pub repetition: Repetition,
    pub body: Body,
    pub depends_on: Vec<Expr>,
    pub lifecycle: Lifecycle,
    /// Its `provisioner "local-exec"` blocks, in the order written.
    pub provisioners: Vec<Provisioner>,
    /// The `resource "t" "n"` header, for diagnostics.
    pub range: SourceRange,
    /// The `check` block a data source is scoped to (declared inside it): only that check's
    /// assertions may refer to it, and its failures are warnings.
    pub check: Option<String>,
}

/// A `check` block (Terraform 1.5): assertions about the infrastructure as a whole, checked
/// while planning and again after apply; a failure is a warning, never an error. Its scoped
/// data source, if any, is in the module's `resources` with `check` set to this name.
#[derive(Debug, Clone)]
pub struct Check {
    pub name: String,
    pub asserts: Vec<Condition>,
    /// The address of its scoped data source.
    pub data: Option<ResourceAddr>,
    /// The `check "name" {` header.
    pub range: SourceRange,
}

/// One side of a `moved` block, relative to the module that declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoveEndpoint {
    /// A resource (its key `None`: written without one, the whole resource) or one instance.
    Resource(InstanceAddr),
    /// A module call (its last step's key `None`: written without one, every instance) or
    /// one module instance.
    Module(ModuleInstance),
}

impl std::fmt::Display for MoveEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MoveEndpoint::Resource(addr) => write!(f, "{addr}"),
            MoveEndpoint::Module(module) => write!(f, "{module}"),
        }
    }
}

/// A `moved { from = ..., to = ... }` block: objects recorded at `from` are now `to`.
#[derive(Debug, Clone)]
pub struct Moved {
    pub from: MoveEndpoint,
    pub to: MoveEndpoint,
    /// The `moved {` header.
    pub range: SourceRange,
}

/// What a `removed` block names: a resource (in the module declaring the block or one it
/// calls) or a module call, never one instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemovedTarget {
    /// The resource's module path (relative) and address.
    Resource(ModulePath, ResourceAddr),
    Module(ModulePath),
}

impl std::fmt::Display for RemovedTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RemovedTarget::Resource(m, r) if m.is_root() => write!(f, "{r}"),
            RemovedTarget::Resource(m, r) => write!(f, "{m}.{r}"),
            RemovedTarget::Module(m) => write!(f, "{m}"),
        }
    }
}

/// A `removed { from = ...  lifecycle { destroy = ... } }` block (Terraform 1.7): the objects
/// state has for `from` are destroyed (`destroy = true`, the default) or forgotten, left as
/// they are and no longer managed.
#[derive(Debug, Clone)]
pub struct Removed {
    pub from: RemovedTarget,
    pub destroy: bool,
    /// The `removed {` header.
    pub range: SourceRange,
}

/// An `import { to = ..., id = ... }` block (Terraform 1.5) of the root module: the object
/// `id` names is imported at `to` during the plan, unless state already has `to`. `to` may
/// point into a module (`module.node[each.key].TYPE.NAME`), as in Terraform 1.7 and later.
#[derive(Debug, Clone)]
pub struct Import {
    /// The module calls `to` goes through, each with its instance key expression if written.
    pub module: Vec<(String, Option<Expr>)>,
    /// The managed resource, in that module, that `to` names.
    pub resource: ResourceAddr,
    /// The instance key in `to` (`type.name[each.key]`), evaluated with `each`.
    pub key: Option<Expr>,
    pub id: Expr,
    pub for_each: Option<Expr>,
    /// The `import {` header.
    pub range: SourceRange,
    /// The `to = ...` line, where Terraform points at a target it cannot use.
    pub to_range: SourceRange,
}

impl Import {
    /// The module (in the configuration) that declares the target resource.
    pub fn module_path(&self) -> ModulePath {
        ModulePath(self.module.iter().map(|(name, _)| name.clone()).collect())
    }

    /// The target resource in the configuration, whatever its instances.
    pub fn target(&self) -> ConfigResource {
        ConfigResource {
            module: self.module_path(),
            resource: self.resource.clone(),
        }
    }
}

/// Where the stack's state lives: its `terraform { backend "..." { ... } }` block (recorded by
/// `init -migrate-state` as the source of the next migration).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum BackendBlock {
    /// `backend "local" { path = "..." workspace_dir = "..." }`, each relative to the stack
    /// directory (unset: the default state file, and `terraform.tfstate.d`).
    Local {
        path: Option<PathBuf>,
        workspace_dir: Option<PathBuf>,
    },
    /// `backend "pg" { ... }` as written; the `PG_*` environment variables fill in what it
    /// leaves out when the backend is opened.
    Pg(PgBackendBlock),
    /// `backend "s3" { ... }` as written; the `AWS_*` environment variables and the shared
    /// credentials file fill in what it leaves out when the backend is opened.
    S3(Box<S3BackendBlock>),
}

/// The arguments of Terraform's `backend "pg"` block (its `Debug` leaves `conn_str` out: it may
/// hold a password).
#[derive(Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PgBackendBlock {
    pub conn_str: Option<String>,
    pub schema_name: Option<String>,
    pub skip_schema_creation: Option<bool>,
    pub skip_table_creation: Option<bool>,
    pub skip_index_creation: Option<bool>,
}

impl std::fmt::Debug for PgBackendBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgBackendBlock")
            .field(
                "conn_str",
                &self.conn_str.as_ref().map(|_| "(set, not shown)"),
            )
            .field("schema_name", &self.schema_name)
            .field("skip_schema_creation", &self.skip_schema_creation)
            .field("skip_table_creation", &self.skip_table_creation)
            .field("skip_index_creation", &self.skip_index_creation)
            .finish()
    }
}

/// The arguments of Terraform's `backend "s3"` block that ggplan implements (its `Debug` leaves
/// `secret_key` and `token` out).
#[derive(Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct S3BackendBlock {
    pub bucket: Option<String>,
    pub key: Option<String>,
    pub region: Option<String>,
    /// `endpoints = { s3 = "..." }`.
    pub endpoint_s3: Option<String>,
    pub use_path_style: Option<bool>,
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
    pub token: Option<String>,
    pub profile: Option<String>,
    pub use_lockfile: Option<bool>,
    pub workspace_key_prefix: Option<String>,
    pub encrypt: Option<bool>,
    pub kms_key_id: Option<String>,
    pub acl: Option<String>,
}

impl std::fmt::Debug for S3BackendBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |v: &Option<String>| v.as_ref().map(|_| "(set, not shown)");
        f.debug_struct("S3BackendBlock")
            .field("bucket", &self.bucket)
            .field("key", &self.key)
            .field("region", &self.region)
            .field("endpoint_s3", &self.endpoint_s3)
            .field("access_key", &self.access_key)
            .field("secret_key", &hidden(&self.secret_key))
            .field("token", &hidden(&self.token))
            .finish_non_exhaustive()
    }
}

/// A `module "name" { source = "./dir" ... }` block and the module it loads.
#[derive(Debug)]
pub struct ModuleCall {
    pub name: String,
    pub source: String,
    pub repetition: Repetition,
    /// The module's input variables, as `name = expression`.
    pub inputs: BTreeMap<String, Attr>,
    pub depends_on: Vec<Expr>,
    pub range: SourceRange,
    pub module: Module,
}

/// One module: a stack directory and, through `calls`, the modules it uses.
#[derive(Debug, Default)]
pub struct Module {
    pub dir: PathBuf,
    /// The text of every file of the whole module tree (shared by all its modules).
    pub sources: Arc<SourceMap>,
    pub variables: BTreeMap<String, Variable>,
    pub locals: BTreeMap<String, Local>,
    pub outputs: BTreeMap<String, Output>,
    pub providers: BTreeMap<ProviderAddr, ProviderBlock>,
    pub resources: BTreeMap<ResourceAddr, Resource>,
    pub checks: BTreeMap<String, Check>,
    /// Its `moved` blocks, in the order written.
    pub moved: Vec<Moved>,
    pub removed: Vec<Removed>,
    pub imports: Vec<Import>,
    pub backend: Option<BackendBlock>,
    /// `terraform { encryption { ... } }` (OpenTofu's client-side state and plan encryption).
    pub encryption: Option<encryption::EncryptionBlock>,
    pub calls: BTreeMap<String, ModuleCall>,
}

impl Module {
    /// The module at `path` in this module's tree.
    pub fn at(&self, path: &ModulePath) -> Option<&Module> {
        path.0
            .iter()
            .try_fold(self, |m, name| m.calls.get(name).map(|c| &c.module))
    }

    /// Every module of the tree with its path, this one first.
    pub fn tree(&self) -> Vec<(ModulePath, &Module)> {
        let mut out = vec![(ModulePath::root(), self)];
        let mut i = 0;
        while i < out.len() {
            let (path, module) = (out[i].0.clone(), out[i].1);
            for (name, call) in &module.calls {
                out.push((path.child(name), &call.module));
            }
            i += 1;
        }
        out
    }

    pub(crate) fn share_sources(&mut self, sources: &Arc<SourceMap>) {
        self.sources = sources.clone();
        for call in self.calls.values_mut() {
            call.module.share_sources(sources);
        }
    }

    /// The source range of an expression.
    pub fn range(&self, expr: &Expr) -> SourceRange {
        self.sources.range(expr.file, expr.span.clone())
    }

    /// The default configuration of the provider a resource type belongs to, by Terraform's
    /// convention: the part of the type name before the first underscore.
    pub fn implied_provider(type_name: &str) -> ProviderAddr {
        ProviderAddr::default_of(type_name.split('_').next().unwrap_or(type_name))
    }
}

/// A literal value, for settings that must be constants (`sensitive = true`).
pub fn literal(expr: &Expression) -> Option<Value> {
    match expr {
        Expression::Null(_) => Some(Value::Null),
        Expression::Bool(b) => Some(Value::Bool(*b.value())),
        Expression::String(s) => Some(Value::string(s.value().clone())),
        Expression::Number(n) => n
            .value()
            .as_f64()
            .map(|f| Value::Number(ggplan_sdk::Number::from_f64(f))),
        Expression::Parenthesis(p) => literal(p.inner()),
        _ => None,
    }
}
