//! Loading what every run command needs: the stack's configuration, the values of its
//! variables and where its state lives.

use super::args::RunArgs;
use super::prompt;
use super::ui::Ui;
use crate::address::ProviderAddr;
use crate::config::{BackendBlock, Module, load_dir};
use crate::encryption::{Encryption, Target};
use crate::events::EventSink;
use crate::lang::functions::{FunctionContext, working_dir};
use crate::providers::Registry;
use crate::run::{Run, RunOptions};
use crate::state::{
    Backend, PgBackend, PgSettings, S3Backend, S3Settings, State, StateStore, default_state_path,
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
        let deposed = state.deposed.iter().map(|d| &d.object);
        let providers: Vec<ProviderAddr> = state
            .resources
            .values()
            .chain(deposed)
            .map(|r| r.provider.clone())
            .collect();
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

/// The state file: `--state`, else the local backend `block` (relative to the stack), else
/// `state/<stack-directory-name>.json` under the working directory.
fn state_path(explicit: Option<&Path>, dir: &Path, block: Option<&BackendBlock>) -> PathBuf {
    if let Some(path) = explicit {
        return path.to_path_buf();
    }
    if let Some(BackendBlock::Local { path }) = block {
        return dir.join(path);
    }
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    default_state_path(&cwd, dir)
}

/// The workspace whose state a remote backend holds (ggplan has no other workspaces yet).
const DEFAULT_WORKSPACE: &str = "default";

/// Where the state lives: `--state FILE`, else the stack's `backend` block, else the default
/// state file; stored as `encryption` says. The error (a pg backend's settings) holds no secret.
pub fn backend(
    explicit: Option<&Path>,
    dir: &Path,
    module: Option<&Module>,
    encryption: &Target,
) -> Result<Box<dyn Backend>, String> {
    // --state overrides the block.
    let block = module
        .and_then(|m| m.backend.as_ref())
        .filter(|_| explicit.is_none());
    backend_of(explicit, dir, block, encryption)
}

/// The backend `block` configures (none: the local file), for the stack in `dir`.
pub fn backend_of(
    explicit: Option<&Path>,
    dir: &Path,
    block: Option<&BackendBlock>,
    encryption: &Target,
) -> Result<Box<dyn Backend>, String> {
    let env = |name: &str| std::env::var(name).ok();
    match block {
        Some(BackendBlock::Pg(block)) => {
            let settings = PgSettings::resolve(block, env)?;
            let backend = PgBackend::new(settings).with_encryption(encryption.clone());
            Ok(Box::new(backend))
        }
        Some(BackendBlock::S3(block)) => {
            let settings = S3Settings::resolve(block, env)?;
            let backend = S3Backend::new(settings, DEFAULT_WORKSPACE);
            Ok(Box::new(backend.with_encryption(encryption.clone())))
        }
        local => {
            let store = StateStore::new(state_path(explicit, dir, local));
            Ok(Box::new(store.with_encryption(encryption.clone())))
        }
    }
}

/// [`backend`] for commands that take no variables on their command line (the `state`
/// commands, `init -migrate-state`, applying a saved plan): a passphrase variable comes from
/// the environment (`TF_VAR_name`, `GGPLAN_VAR_name`) or its literal default. Errors printed.
pub fn backend_or_report(
    ui: &Ui,
    explicit: Option<&Path>,
    dir: &Path,
    module: Option<&Module>,
) -> Option<Box<dyn Backend>> {
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
) -> Option<Box<dyn Backend>> {
    backend(explicit, dir, module, encryption)
        .map_err(|e| ui.error("Invalid backend configuration", e))
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
    let store = backend_with_encryption(
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
        encryption,
    })
}
