//! `ggplan console`: reads expressions from standard input, one per line, and prints each
//! value as `terraform console` does. Names mean what they mean in the root module: variables
//! from the usual inputs, resources as the state records them, locals and module outputs
//! evaluated from those. Nothing is planned, locked or written.

use super::args::RunArgs;
use super::stack;
use super::ui::Ui;
use crate::config::{Expr, SourceMap};
use crate::events::Discard;
use crate::lang::references::{Referent, references};
use crate::lang::types::type_expression;
use crate::providers::Registry;
use crate::run::{Run, RunOptions};
use crate::suggest::did_you_mean;
use ggplan_sdk::{Diagnostic, Value};
use hcl_edit::expr::Expression;
use std::io::BufRead;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

/// The name diagnostics give a console line, as Terraform's.
const INPUT: &str = "<console-input>";

/// Runs the console over standard input; exit 1 if any line failed.
pub fn console(ui: &Ui, registry: &Registry, dir: &Path, args: &RunArgs) -> ExitCode {
    let module = match crate::config::load_dir_or_empty(dir) {
        Ok(module) => module,
        Err(diags) => {
            ui.diagnostics(&diags, &[&stack::sources_of(&diags)]);
            return ExitCode::from(1);
        }
    };
    let Some(stack) = stack::load_with(ui, registry, dir, args, module) else {
        return ExitCode::from(1);
    };
    let state = match stack.store.load() {
        Ok(state) => state,
        Err(e) => {
            ui.error("Cannot read the state", e.to_string());
            return ExitCode::from(1);
        }
    };
    let run = match stack.run(registry, &state, RunOptions::default(), Arc::new(Discard)) {
        Ok(run) => run,
        Err(diags) => {
            ui.diagnostics(&diags, &[&stack.module.sources, &stack.var_sources]);
            return ExitCode::from(1);
        }
    };
    // A local that cannot be evaluated is reported once here; lines that use it fail too.
    ui.diagnostics(
        &run.evaluate_from_state(&state),
        &[&stack.module.sources, &stack.var_sources],
    );
    let mut failed = false;
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        if line.trim().is_empty() {
            continue;
        }
        let mut sources = SourceMap::default();
        let file = sources.add(INPUT.to_string(), line.clone());
        match evaluate_line(&run, &sources, file, &line) {
            Ok(text) => ui.out(&format!("{text}\n")),
            Err(d) => {
                failed = true;
                ui.diagnostics(&d.into(), &[&sources, &stack.module.sources]);
            }
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// One line's answer: its value in console syntax, or for `type(EXPR)` the value's type.
fn evaluate_line(
    run: &Run,
    sources: &SourceMap,
    file: crate::config::FileId,
    line: &str,
) -> Result<String, Diagnostic> {
    let parsed = hcl_edit::parser::parse_expr(line).map_err(|e| {
        let column = e.location().column();
        let at = column.saturating_sub(1).min(line.len());
        Diagnostic::error("Invalid expression", e.message().to_string())
            .at_range(Some(sources.range(file, at..at)))
    })?;
    // `type()` exists only here, on a whole line, as in Terraform's console.
    if let Expression::FuncCall(call) = &parsed
        && call.name.name.as_str() == "type"
        && call.name.namespace.is_empty()
    {
        let mut args = call.args.iter();
        let (Some(arg), None) = (args.next(), args.next()) else {
            return Err(Diagnostic::error(
                "Invalid function argument",
                "The console-only \"type\" function takes exactly one argument.",
            ));
        };
        let value = run.eval_detached(sources, &detached(file, arg.clone(), line))?;
        return Ok(type_expression(&value));
    }
    let expr = detached(file, parsed, line);
    check_resources(run, sources, &expr)?;
    let value: Value = run.eval_detached(sources, &expr)?;
    Ok(crate::render::value(&value))
}

/// Refuses a reference to a resource the root module does not declare (the graph checks
/// this for configuration; console lines are not in the graph).
fn check_resources(run: &Run, sources: &SourceMap, expr: &Expr) -> Result<(), Diagnostic> {
    for r in references(expr) {
        if let Ok(Referent::Resource(addr)) = r.referent()
            && !run.module().resources.contains_key(&addr)
        {
            let hint = did_you_mean(
                &addr.to_string(),
                run.module()
                    .resources
                    .keys()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>()
                    .iter()
                    .map(String::as_str),
            );
            return Err(Diagnostic::error(
                "Reference to undeclared resource",
                format!("{addr} has not been declared in the root module.{hint}"),
            )
            .at_range(Some(sources.range(r.file, r.span.clone()))));
        }
    }
    Ok(())
}

fn detached(file: crate::config::FileId, expr: Expression, line: &str) -> Expr {
    Expr {
        file,
        expr,
        span: 0..line.len(),
    }
}
