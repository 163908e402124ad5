//! `ggplan validate`, `graph`, `providers` and `fmt`.

use super::stack::load_module;
use super::ui::Ui;
use crate::config::Module;
use crate::graph::{Graph, Node};
use crate::lang::body::eval_body;
use crate::lang::eval::{AllUnknown, Evaluator};
use crate::lang::functions::FunctionContext;
use crate::providers::{Registry, provider_name};
use ggplan_sdk::Diagnostics;
use std::path::Path;
use std::process::ExitCode;

/// Checks references, types and attribute names, without values: every variable, resource
/// and data source is unknown, so only what the files themselves say is checked.
fn check(registry: &Registry, module: &Module) -> Result<Graph, Diagnostics> {
    registry.check(module)?;
    let graph = Graph::build(module, &[])?;
    let functions = FunctionContext {
        base_dir: module.dir.clone(),
        plan_timestamp: crate::clock::now_rfc3339(),
    };
    let mut diags = Diagnostics::new();
    let mut ev = Evaluator::new(&module.sources, &AllUnknown, &functions);
    for node in &graph.nodes {
        let (body, schema, what, check_with) = match node {
            Node::Resource(addr) => {
                let resource = &module.resources[addr];
                let Some(instance) = registry.instantiate(provider_name(&resource.provider)) else {
                    continue;
                };
                let Some(schema) = instance.type_schema(addr.kind, &addr.type_name).cloned() else {
                    continue;
                };
                (
                    &resource.body,
                    schema,
                    addr.to_string(),
                    Some((instance, addr.kind, addr.type_name.clone())),
                )
            }
            Node::Provider(key) => {
                let (Some(block), Some(instance)) = (
                    module.providers.get(key),
                    registry.instantiate(provider_name(key)),
                ) else {
                    continue;
                };
                (
                    &block.body,
                    instance.schema.provider.clone(),
                    format!("provider {key:?}"),
                    None,
                )
            }
            _ => continue,
        };
        match eval_body(&mut ev, &module.sources, body, &schema, &what) {
            Ok(config) => {
                if let Some((instance, kind, type_name)) = check_with {
                    let (plain, _) = config.unmark_deep();
                    diags.extend(instance.provider.validate(kind, &type_name, &plain));
                }
            }
            Err(d) => diags.extend(d),
        }
    }
    diags.into_result(graph)
}

/// `ggplan validate`.
pub async fn validate(ui: &Ui, registry: &Registry, dir: &Path) -> ExitCode {
    let Some(module) = load_module(ui, dir) else {
        return ExitCode::from(1);
    };
    match check(registry, &module) {
        Ok(_) => {
            ui.out("Success! The configuration is valid.\n");
            ExitCode::SUCCESS
        }
        Err(diags) => {
            ui.diagnostics(&diags, &[&module.sources]);
            ExitCode::from(1)
        }
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
pub fn providers(ui: &Ui, registry: &Registry, json: bool) -> ExitCode {
    let schemas = registry.schemas();
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
    }
    ui.out(&out);
    ExitCode::SUCCESS
}
