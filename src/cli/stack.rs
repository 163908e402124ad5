//! Loading what every run command needs: the stack's configuration, the values of its
//! variables and where its state lives.

use super::args::RunArgs;
use super::prompt;
use super::selection::{self, Selected, Source};
use super::ui::Ui;
use crate::address::ProviderAddr;
use crate::config::{BackendBlock, Module, load_dir};
use crate::encryption::{Encryption, Target};
use crate::events::EventSink;
use crate::lang::functions::{FunctionContext, working_dir};
use crate::providers::Registry;
use crate::run::{Run, RunOptions};
use crate::state::{
    Backend, DEFAULT_WORKSPACE_DIR, LocalWorkspaces, PgSettings, PgWorkspaces, S3Settings,
    S3Workspaces, State, StateError, StateStore, WorkspaceName, Workspaces, default_state_path,
};
use crate::vars::{self, CliInput, RawInputs};
use ggplan_sdk::Diagnostics;
use ggplan_sdk::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A loaded stack, ready to plan.
pub struct Stack {
    pub module: Arc<Module>,
    pub variables: BTreeMap<String, Value>,
    /// The files variables came from (for snippets in later diagnostics).
    pub var_sources: crate::config::SourceMap,
    pub store: Box<dyn Backend>,
    /// The selected workspace (`terraform.workspace`).
    pub workspace: WorkspaceName,
    /// How state and saved plans are stored (`terraform { encryption { ... } }`).
    pub encryption: Encryption,
}

impl Stack {
    /// A run over this stack whose graph also has the providers of the instances in `state`
    /// (instances whose resource is gone from the configuration, and deposed objects, still
    /// need theirs).
    pub fn run(
        &self,
        registry: &Registry,
        state: &State,
        options: RunOptions,
        events: Arc<dyn EventSink>,
    ) -> Result<Run, Diagnostics> {
        self.run_with(registry, state, Vec::new(), options, events)
    }

    /// [`Stack::run`] whose graph also has the providers `extra`.
    pub fn run_with(
        &self,
        registry: &Registry,
        state: &State,
        extra: Vec<ProviderAddr>,
        options: RunOptions,
        events: Arc<dyn EventSink>,
    ) -> Result<Run, Diagnostics> {
        let deposed = state.deposed.iter().map(|d| &d.object);
        let recorded = state.resources.values().chain(deposed);
        let mut providers: Vec<ProviderAddr> = recorded.map(|r| r.provider.clone()).collect();
        providers.extend(extra);
        let options = RunOptions {
            workspace: self.workspace.to_string(),
            ..options
        };
        Run::new(
            self.module.clone(),
            registry.clone(),
            self.variables.clone(),
            &providers,
            options,
            events,
        )
    }
}

/// The name a stack goes by in review comments: its directory's name.
pub fn name_of(dir: &Path) -> String {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    match dir.file_name() {
        Some(name) => name.to_string_lossy().into_owned(),
        None => dir.display().to_string(),
    }
}

/// Loads a stack directory; prints what is wrong and returns `None` on error.
pub fn load_module(ui: &Ui, dir: &Path) -> Option<Module> {
    match load_dir(dir) {
        Ok(module) => Some(module),
        Err(diags) => {
            ui.diagnostics(&diags, &[&sources_of(&diags)]);
            None
        }
    }
}

/// The files diagnostics of a failed load point at, read again for their snippets (the files
/// that did load are in no module).
pub fn sources_of(diags: &Diagnostics) -> crate::config::SourceMap {
    let mut sources = crate::config::SourceMap::default();
    for d in &diags.0 {
        if let Some(r) = &d.range
            && sources.text_of(&r.file).is_none()
            && let Ok(text) = std::fs::read_to_string(&r.file)
        {
            sources.add(r.file.clone(), text);
        }
    }
    sources
}

/// The stack's configured backend, with its workspaces: its `backend` block (`pg`, or `local`
/// with `path` and `workspace_dir` relative to the stack directory), else the local file
/// `state/<stack-directory-name>.json` under the working directory, with the other workspaces
/// in the stack's `terraform.tfstate.d/`. The error (a pg backend's settings) holds no secret.
pub fn workspaces(
    dir: &Path,
    module: Option<&Module>,
    encryption: &Target,
) -> Result<Box<dyn Workspaces>, String> {
    workspaces_of(dir, module.and_then(|m| m.backend.as_ref()), encryption)
}

/// The workspaces of the backend `block` configures (none: the local file) for the stack in
/// `dir`, as [`workspaces`] says.
pub fn workspaces_of(
    dir: &Path,
    block: Option<&BackendBlock>,
    encryption: &Target,
) -> Result<Box<dyn Workspaces>, String> {
    let env = |name: &str| std::env::var(name).ok();
    let (path, workspace_dir) = match block {
        Some(BackendBlock::Pg(block)) => {
            let settings = PgSettings::resolve(block, env)?;
            let pg = PgWorkspaces::new(settings).with_encryption(encryption.clone());
            return Ok(Box::new(pg));
        }
        Some(BackendBlock::S3(block)) => {
            let settings = S3Settings::resolve(block, env)?;
            let s3 = S3Workspaces::new(settings).with_encryption(encryption.clone());
            return Ok(Box::new(s3));
        }
        Some(BackendBlock::Local {
            path,
            workspace_dir,
        }) => (path.as_deref(), workspace_dir.as_deref()),
        None => (None, None),
    };
    let default_path = path.map_or_else(
        || {
            let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
            default_state_path(&cwd, dir)
        },
        |path| dir.join(path),
    );
    let workspace_dir = dir.join(workspace_dir.unwrap_or(Path::new(DEFAULT_WORKSPACE_DIR)));
    let local = LocalWorkspaces::new(default_path, workspace_dir);
    Ok(Box::new(local.with_encryption(encryption.clone())))
}

/// Why a command cannot open its state: a title and what to do.
pub type Refusal = (&'static str, String);

/// The state of the selected workspace, and its name: `--state FILE` (whatever workspace is
/// selected, as Terraform's `-state`), else the selected workspace of the stack's backend,
/// which must exist; stored as `encryption` says.
pub fn backend(
    explicit: Option<&Path>,
    dir: &Path,
    module: Option<&Module>,
    encryption: &Target,
) -> Result<(Box<dyn Backend>, WorkspaceName), Refusal> {
    let selected = selection::selected(dir).map_err(|e| ("Invalid workspace name", e))?;
    if let Some(path) = explicit {
        let store = StateStore::new(path.to_path_buf()).with_encryption(encryption.clone());
        return Ok((Box::new(store), selected.name));
    }
    let workspaces =
        workspaces(dir, module, encryption).map_err(|e| ("Invalid backend configuration", e))?;
    let store = open_selected(&*workspaces, &selected)?;
    Ok((store, selected.name))
}

/// The backend of the selected workspace, refused when it does not exist (a mistyped
/// `TF_WORKSPACE` would otherwise plan every object anew in an empty state).
fn open_selected(
    workspaces: &dyn Workspaces,
    selected: &Selected,
) -> Result<Box<dyn Backend>, Refusal> {
    let name = &selected.name;
    let listing = |e: StateError| ("Cannot list the workspaces", e.to_string());
    if !workspaces.exists(name).map_err(listing)? {
        let fix = match &selected.source {
            Source::Variable(variable) => format!("set {variable} to one that exists"),
            _ => "select one that exists with `ggplan workspace select NAME`".to_string(),
        };
        return Err((
            "Workspace does not exist",
            format!(
                "The selected workspace {:?} (selected by {}) does not exist in {}. Create it \
                 with `ggplan workspace new {name}`, or {fix} (`ggplan workspace list` shows \
                 them).",
                name.as_str(),
                selected.source,
                workspaces.location()
            ),
        ));
    }
    workspaces
        .open(name)
        .map_err(|e| ("Cannot open the state", e.to_string()))
}

/// [`backend`] for commands that take no variables on their command line (the `state`
/// commands, `init -migrate-state`, applying a saved plan): a passphrase variable comes from
/// the environment (`TF_VAR_name`, `GGPLAN_VAR_name`) or its literal default. Errors printed.
pub fn backend_or_report(
    ui: &Ui,
    explicit: Option<&Path>,
    dir: &Path,
    module: Option<&Module>,
) -> Option<(Box<dyn Backend>, WorkspaceName)> {
    let encryption = static_encryption_or_report(ui, module)?;
    backend_with_encryption(ui, explicit, dir, module, &encryption.state)
}

/// [`encryption_or_report`] for commands that take no variables on their command line; see
/// [`backend_or_report`].
pub fn static_encryption_or_report(ui: &Ui, module: Option<&Module>) -> Option<Encryption> {
    encryption_or_report(ui, module, |name| static_variable(module, name))
}

/// [`backend`], its error printed.
fn backend_with_encryption(
    ui: &Ui,
    explicit: Option<&Path>,
    dir: &Path,
    module: Option<&Module>,
    encryption: &Target,
) -> Option<(Box<dyn Backend>, WorkspaceName)> {
    backend(explicit, dir, module, encryption)
        .map_err(|(title, detail)| ui.error(title, detail))
        .ok()
}

/// The stack's `encryption` block made into ciphers, `variable` giving the value of a variable
/// a passphrase names; errors printed (never a passphrase).
pub fn encryption_or_report(
    ui: &Ui,
    module: Option<&Module>,
    variable: impl Fn(&str) -> Option<String>,
) -> Option<Encryption> {
    if std::env::var_os("TF_ENCRYPTION").is_some() {
        ui.error(
            "Unsupported TF_ENCRYPTION",
            "ggplan reads the encryption settings only from the terraform { encryption { ... } } \
             block of the stack, not from the TF_ENCRYPTION environment variable (OpenTofu's). \
             Move them into the block (a passphrase can be var.NAME, set through TF_VAR_NAME) \
             and unset TF_ENCRYPTION."
                .to_string(),
        );
        return None;
    }
    let block = module.and_then(|m| m.encryption.as_ref());
    Encryption::resolve(block, variable)
        .map_err(|e| ui.error("Invalid encryption configuration", e))
        .ok()
}

/// How saved plans are opened: the `plan` target of the stack in the working directory (an
/// encrypted plan names its stack only inside; OpenTofu too reads the configuration of the
/// working directory). No stack there is no encryption. Errors printed.
pub fn plan_file_encryption(ui: &Ui) -> Option<Target> {
    let module = load_dir(Path::new(".")).ok();
    static_encryption_or_report(ui, module.as_ref()).map(|e| e.plan)
}

/// The value of the variable `name` when it is a string (a passphrase), its mark removed.
pub fn string_variable(variables: &BTreeMap<String, Value>, name: &str) -> Option<String> {
    match variables.get(name).map(|v| v.clone().unmark().0) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    }
}

/// A variable's value without a command line: `GGPLAN_VAR_name` or `TF_VAR_name`, else its
/// default when that is a literal string.
fn static_variable(module: Option<&Module>, name: &str) -> Option<String> {
    let from_env = ["GGPLAN_VAR_", "TF_VAR_"]
        .iter()
        .find_map(|prefix| std::env::var(format!("{prefix}{name}")).ok());
    from_env.or_else(|| {
        let default = module?.variables.get(name)?.default.as_ref()?;
        match crate::config::literal(&default.expr) {
            Some(Value::String(s)) => Some(s),
            _ => None,
        }
    })
}

/// The environment variables, those that are not UTF-8 left out (they cannot be a stack's
/// variables), unless they are named as one (`GGPLAN_VAR_x`, `TF_VAR_x`): that is an error,
/// which never prints the value.
fn variable_environment(ui: &Ui) -> Option<Vec<(String, String)>> {
    let mut env = Vec::new();
    for (name, value) in std::env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        match value.into_string() {
            Ok(value) => env.push((name.to_string(), value)),
            Err(_) if crate::vars::is_variable_name(name) => {
                ui.error(
                    "Invalid value for input variable",
                    format!(
                        "The environment variable {name} is not valid UTF-8, so it cannot be a \
                         variable's value. Set it to UTF-8 text, or unset it."
                    ),
                );
                return None;
            }
            Err(_) => {}
        }
    }
    Some(env)
}

/// The root variables' inputs, or `None` when they have errors (printed).
fn collect_inputs(
    ui: &Ui,
    module: &Module,
    env: &[(String, String)],
    cli: &[CliInput],
) -> Option<RawInputs> {
    match vars::collect(module, env, cli) {
        Ok(inputs) => Some(inputs),
        Err(diags) => {
            ui.diagnostics(&diags, &[&module.sources]);
            None
        }
    }
}

/// Loads the stack, its variables and its state location.
pub fn load(ui: &Ui, registry: &Registry, dir: &Path, args: &RunArgs) -> Option<Stack> {
    let module = load_module(ui, dir)?;
    load_with(ui, registry, dir, args, module)
}

/// Loads the variables and the state location of a loaded `module`.
pub fn load_with(
    ui: &Ui,
    registry: &Registry,
    dir: &Path,
    args: &RunArgs,
    module: Module,
) -> Option<Stack> {
    let env = variable_environment(ui)?;
    let mut cli: Vec<CliInput> = args
        .vars
        .iter()
        .map(|v| CliInput::Var(v.clone()))
        .chain(args.var_files.iter().map(|f| CliInput::VarFile(f.clone())))
        .collect();
    let mut inputs = collect_inputs(ui, &module, &env, &cli)?;
    let asked = prompt::missing_variables(ui, &module, &inputs, args.input && !ui.is_json())?;
    if !asked.is_empty() {
        cli.extend(asked);
        inputs = collect_inputs(ui, &module, &env, &cli)?;
    }
    ui.diagnostics(inputs.warnings(), &[&module.sources, inputs.sources()]);
    let functions = FunctionContext {
        base_dir: working_dir(),
        plan_timestamp: crate::clock::now_rfc3339(),
        // Validation rules of variables may call provider functions too.
        provider_functions: registry.functions(),
    };
    let variables = match vars::evaluate(&module, &inputs, &functions) {
        Ok(v) => v,
        Err(diags) => {
            ui.diagnostics(&diags, &[&module.sources, inputs.sources()]);
            return None;
        }
    };
    let encryption =
        encryption_or_report(ui, Some(&module), |name| string_variable(&variables, name))?;
    let (store, workspace) = backend_with_encryption(
        ui,
        args.state.as_deref(),
        dir,
        Some(&module),
        &encryption.state,
    )?;
    let mut var_sources = crate::config::SourceMap::default();
    for name in inputs.sources().names() {
        if let Some(text) = inputs.sources().text_of(&name) {
            var_sources.add(name, text);
        }
    }
    Some(Stack {
        module: Arc::new(module),
        variables,
        var_sources,
        store,
        workspace,
        encryption,
    })
}
