//! `ggplan validate`, `graph`, `providers` and `fmt`.

use super::stack::{load_module, sources_of};
use super::ui::Ui;
use crate::config::Module;
use crate::config::load_dir;
use crate::graph::Graph;
use crate::lang::body::eval_body;
use crate::lang::eval::{AllUnknownInWorkspace, Evaluator};
use crate::lang::functions::{FunctionContext, working_dir};
use crate::providers::Registry;
use ggplan_sdk::Diagnostics;
use std::path::Path;
use std::process::ExitCode;

/// Checks references, types and attribute names, without values: every variable, resource
/// and data source is unknown, so only what the files themselves say is checked. Every problem
/// found by any of the checks is reported together.
fn check(registry: &Registry, module: &Module) -> Diagnostics {
    let mut diags = Diagnostics::new();
    if let Err(d) = registry.check(module) {
        diags.extend(d);
    }
    if let Err(d) = Graph::build(module, &[]) {
        diags.extend(d);
    }
    diags.extend(crate::moved::check(module));
    diags.extend(crate::removed::still_declared(module));
    let functions = FunctionContext {
        base_dir: working_dir(),
        plan_timestamp: crate::clock::now_rfc3339(),
        provider_functions: registry.functions(),
    };
    // terraform.workspace is the selected workspace (unknown when the selection is invalid:
    // that is the run commands' error to report).
    let names = AllUnknownInWorkspace(
        super::selection::selected(&module.dir)
            .ok()
            .map(|s| s.name.to_string()),
    );
    let mut ev = Evaluator::new(&module.sources, &names, &functions);
    for (addr, block) in &module.providers {
        if let Ok(instance) = registry.instantiate(addr) {
            let what = format!("provider \"{addr}\"");
            if let Err(d) = eval_body(
                &mut ev,
                &module.sources,
                &block.body,
                instance.block_schema(),
                &what,
            ) {
                diags.extend(d);
            }
        }
    }
    for (addr, resource) in module.tree().into_iter().flat_map(|(_, m)| &m.resources) {
        let Ok(instance) = registry.instantiate(&resource.provider) else {
            continue;
        };
        let Some(schema) = instance.type_schema(addr.kind, &addr.type_name) else {
            continue;
        };
        match eval_body(
            &mut ev,
            &module.sources,
            &resource.body,
            schema,
            &addr.to_string(),
        ) {
            Ok(config) => {
                diags.extend(instance.validate_resource(resource, &config, &module.sources))
            }
            Err(d) => diags.extend(d),
        }
    }
    diags
}

/// `ggplan validate [--json]`.
pub async fn validate(ui: &Ui, registry: &Registry, dir: &Path, json: bool) -> ExitCode {
    if json {
        return validate_json(ui, registry, dir);
    }
    let Some(module) = load_module(ui, dir) else {
        return ExitCode::from(1);
    };
    let diags = check(registry, &module);
    ui.diagnostics(&diags, &[&module.sources]);
    if diags.has_errors() {
        return ExitCode::from(1);
    }
    ui.out("Success! The configuration is valid.\n");
    ExitCode::SUCCESS
}

/// `ggplan validate --json`: one document on standard output whatever was found, as
/// Terraform's (files that do not load are diagnostics in it too).
fn validate_json(ui: &Ui, registry: &Registry, dir: &Path) -> ExitCode {
    let (diags, sources) = match load_dir(dir) {
        Ok(module) => (check(registry, &module), module.sources.clone()),
        Err(diags) => {
            let sources = std::sync::Arc::new(sources_of(&diags));
            (diags, sources)
        }
    };
    let mut unique: Vec<&ggplan_sdk::Diagnostic> = Vec::new();
    for d in &diags.0 {
        if !unique.contains(&d) {
            unique.push(d);
        }
    }
    let lookup = |name: &str| sources.text_of(name);
    ui.out(&crate::render::json_events::validation(&unique, &lookup));
    if diags.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// `ggplan graph`.
pub fn graph(ui: &Ui, dir: &Path) -> ExitCode {
    let Some(module) = load_module(ui, dir) else {
        return ExitCode::from(1);
    };
    match Graph::build(&module, &[]) {
        Ok(graph) => {
            ui.out(&graph.to_dot());
            ExitCode::SUCCESS
        }
        Err(diags) => {
            ui.diagnostics(&diags, &[&module.sources]);
            ExitCode::from(1)
        }
    }
}

/// `ggplan providers`.
pub fn providers(ui: &Ui, registry: &Registry, json: bool, markdown: Option<&str>) -> ExitCode {
    let schemas = registry.schemas();
    if let Some(name) = markdown {
        let Some(schema) = schemas.get(name) else {
            let hint = crate::suggest::did_you_mean(name, schemas.keys().copied());
            ui.error(
                "Unknown provider",
                format!("This ggplan has no provider {name:?}.{hint}"),
            );
            return ExitCode::from(1);
        };
        ui.out(&crate::render::schema_doc::provider_page(name, schema));
        return ExitCode::SUCCESS;
    }
    if json {
        match serde_json::to_string_pretty(&schemas) {
            Ok(text) => ui.out(&format!("{text}\n")),
            Err(e) => {
                ui.error("Cannot encode the schemas", e.to_string());
                return ExitCode::from(1);
            }
        }
        return ExitCode::SUCCESS;
    }
    let mut out = String::new();
    for (name, schema) in &schemas {
        out.push_str(&format!("provider {name}\n"));
        for t in schema.resources.keys() {
            out.push_str(&format!("  resource    {t}\n"));
        }
        for t in schema.data_sources.keys() {
            out.push_str(&format!("  data source {t}\n"));
        }
        for f in schema.functions.keys() {
            out.push_str(&format!("  function    provider::{name}::{f}\n"));
        }
    }
    ui.out(&out);
    ExitCode::SUCCESS
}

/// `ggplan fmt`: rewrites files in the canonical format and lists them; with `--check`, writes
/// nothing and exits 3 when a file would change (as `terraform fmt -check`).
pub fn fmt(ui: &Ui, dir: &Path, check: bool, diff: bool, recursive: bool) -> ExitCode {
    let files = match crate::fmt::format_dir(dir, recursive) {
        Ok(files) => files,
        Err(e) => {
            ui.error("Cannot format", e.to_string());
            return ExitCode::from(1);
        }
    };
    let mut out = String::new();
    for file in &files {
        out.push_str(&format!("{}\n", file.path.display()));
        if diff {
            let name = file.path.display().to_string();
            let text = similar::TextDiff::from_lines(&file.before, &file.after)
                .unified_diff()
                .header(&format!("old/{name}"), &format!("new/{name}"))
                .to_string();
            out.push_str(&text);
        }
        if !check && let Err(e) = std::fs::write(&file.path, &file.after) {
            ui.out(&out);
            ui.error(
                "Cannot write a formatted file",
                format!("{}: {e}", file.path.display()),
            );
            return ExitCode::from(1);
        }
    }
    ui.out(&out);
    if check && !files.is_empty() {
        return ExitCode::from(3);
    }
    ExitCode::SUCCESS
}

/// `ggplan init`: nothing to download (providers are built in, modules local), so it checks
/// the stack as `validate` does and says it is ready. Backend settings on the command line
/// are refused: ggplan keeps no backend settings in `.terraform` (only the selected
/// workspace), so a backend is configured by its block and the environment.
pub async fn init(ui: &Ui, registry: &Registry, dir: &Path, backend_config: &[String]) -> ExitCode {
    if let Some(first) = backend_config.first() {
        ui.error(
            "Unsupported -backend-config",
            format!(
                "ggplan configures a backend from the stack's `terraform {{ backend ... }}` \
                 block and the environment (for backend \"pg\": PG_CONN_STR, PG_SCHEMA_NAME, \
                 PGUSER, PGPASSWORD...; for backend \"s3\": AWS_ACCESS_KEY_ID, \
                 AWS_SECRET_ACCESS_KEY, AWS_PROFILE, AWS_REGION...; for the local file: --state \
                 on each command), on every command, and remembers no settings between \
                 commands; -backend-config={first} would be ignored, so it is refused."
            ),
        );
        return ExitCode::from(1);
    }
    let Some(module) = load_module(ui, dir) else {
        return ExitCode::from(1);
    };
    let diags = check(registry, &module);
    ui.diagnostics(&diags, &[&module.sources]);
    if diags.has_errors() {
        return ExitCode::from(1);
    }
    ui.out(
        "Initializing the backend...\nInitializing provider plugins...\n- Providers are built \
         into ggplan: nothing to install.\n\nggplan has been successfully initialized!\n\nYou \
         may now begin working with ggplan. Try running \"ggplan plan\" to see any changes \
         that are required for your infrastructure.\n",
    );
    ExitCode::SUCCESS
}

/// `ggplan version [--json]`; the JSON names the built-in providers as
/// `terraform version -json` names the selected ones.
pub fn version(ui: &Ui, registry: &Registry, json: bool) -> ExitCode {
    let version = env!("CARGO_PKG_VERSION");
    if !json {
        ui.out(&format!("ggplan v{version}\n"));
        return ExitCode::SUCCESS;
    }
    let providers: serde_json::Map<String, serde_json::Value> = registry
        .names()
        .map(|name| (format!("ggplan/{name}"), serde_json::json!(version)))
        .collect();
    let platform = format!("{}_{}", std::env::consts::OS, go_arch());
    let document = serde_json::json!({
        "ggplan_version": version,
        "platform": platform,
        "provider_selections": providers,
    });
    ui.out(&super::pretty(&document));
    ExitCode::SUCCESS
}

/// The architecture as Go (and so Terraform's `platform`) names it.
fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    }
}

/// `ggplan completion SHELL`: the completion script clap derives from the command line's
/// definition, so it knows every command and flag.
pub fn completion(ui: &Ui, shell: clap_complete::Shell) -> ExitCode {
    let mut command = <super::args::Cli as clap::CommandFactory>::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "ggplan", &mut script);
    ui.out(&String::from_utf8_lossy(&script));
    ExitCode::SUCCESS
}
