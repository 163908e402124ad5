//! Giving every declared variable its value: input or default, converted to its type, null
//! handled per `nullable`, marked sensitive, then checked by its validation rules.

use super::{InputSource, RawInput, RawInputs, RawValue, function_calls};
use crate::conditions::{self, Verdict};
use crate::config::{Condition, Expr, Module, Variable};
use crate::lang::eval::{Evaluator, NoNames, Resolver, Step};
use crate::lang::functions::FunctionContext;
use crate::suggest::did_you_mean;
use ggplan_sdk::{Diagnostic, Diagnostics, SourceRange, Value};
use std::collections::BTreeMap;

/// Evaluates every declared variable of `module` from `inputs`: the input or the default,
/// converted to the variable's type, null handled per `nullable`, sensitive marking, then
/// every validation rule. A required variable without a value is an error that says how to
/// set it (the CLI asked on a terminal before this, see `cli::prompt`). The diagnostics of all variables are reported together.
pub fn evaluate(
    module: &Module,
    inputs: &RawInputs,
    functions: &FunctionContext,
) -> Result<BTreeMap<String, Value>, Diagnostics> {
    let mut diags = Diagnostics::new();
    let mut values = BTreeMap::new();
    // Where each value was set, for validation messages.
    let mut origins = BTreeMap::new();
    for (name, var) in &module.variables {
        match value_of(module, inputs, functions, var) {
            Ok((value, origin)) => {
                values.insert(name.clone(), value);
                origins.insert(name, origin);
            }
            Err(d) => diags.extend(d),
        }
    }
    let resolver = Variables {
        values: &values,
        module,
    };
    for (name, origin) in origins {
        let var = &module.variables[name];
        for rule in &var.validations {
            if let Err(d) = validate(module, &resolver, functions, rule, &origin) {
                diags.extend(d);
            }
        }
    }
    diags.into_result(values)
}

/// The value of a called module's variable: the caller's argument (with where it is written)
/// or the default, converted, null handled per `nullable`, marked sensitive and validated.
pub fn evaluate_module_input(
    module: &Module,
    var: &Variable,
    argument: Option<(Value, SourceRange)>,
    functions: &FunctionContext,
) -> Result<Value, Diagnostics> {
    let default = var
        .default
        .as_ref()
        .map(|d| default_value(module, functions, var, d))
        .transpose()?;
    let (value, origin) = match (argument, default) {
        (Some((value, at)), _) if !value.is_null() || var.nullable => {
            let converted = var.ty.convert(value).map_err(|msg| {
                Diagnostic::error(
                    "Invalid value for module argument",
                    format!(
                        "The given value is not suitable for var.{} declared at {}: {msg}.",
                        var.name, var.range
                    ),
                )
                .at_range(Some(at.clone()))
            })?;
            (mark(var, converted), at)
        }
        // A null argument for a non-nullable variable takes the default.
        (_, Some(default)) => (default, var.range.clone()),
        (Some((_, at)), None) => {
            return Err(Diagnostic::error(
                "Required variable not set",
                format!("var.{} of this module may not be null.", var.name),
            )
            .at_range(Some(at))
            .into());
        }
        (None, None) => {
            return Err(Diagnostic::error(
                "Missing required argument",
                format!(
                    "The module's variable {:?} has no default and no argument.",
                    var.name
                ),
            )
            .at_range(Some(var.range.clone()))
            .into());
        }
    };
    let values = BTreeMap::from([(var.name.clone(), value.clone())]);
    let resolver = Variables {
        values: &values,
        module,
    };
    let mut diags = Diagnostics::new();
    for rule in &var.validations {
        if let Err(d) = validate(module, &resolver, functions, rule, &origin) {
            diags.extend(d);
        }
    }
    diags.into_result(value)
}

/// A variable's value and where it was set (the value in a file, else the declaration).
fn value_of(
    module: &Module,
    inputs: &RawInputs,
    functions: &FunctionContext,
    var: &Variable,
) -> Result<(Value, SourceRange), Diagnostics> {
    // A bad default is an error even when an input overrides it, as in Terraform.
    let default = var
        .default
        .as_ref()
        .map(|d| default_value(module, functions, var, d))
        .transpose()?;
    if let Some(input) = inputs.get(&var.name) {
        let value = input_value(inputs, functions, input)?;
        let origin = input.range.clone().unwrap_or_else(|| var.range.clone());
        if !value.is_null() || var.nullable {
            let value = var.ty.convert(value).map_err(|msg| {
                unsuitable(var, &input.source, msg).at_range(Some(origin.clone()))
            })?;
            return Ok((mark(var, value), origin));
        }
        if default.is_none() {
            return Err(Diagnostic::error(
                "Required variable not set",
                format!(
                    "The given value is not suitable for var.{} declared at {}: required \
                     variable may not be set to null.",
                    var.name, var.range
                ),
            )
            .at_range(Some(origin))
            .into());
        }
    }
    match default {
        Some(value) => Ok((value, var.range.clone())),
        None => Err(missing(var).into()),
    }
}

/// The value of an input, before conversion.
fn input_value(
    inputs: &RawInputs,
    functions: &FunctionContext,
    input: &RawInput,
) -> Result<Value, Diagnostics> {
    Ok(match &input.value {
        RawValue::Literal(text) => Value::string(text.clone()),
        RawValue::Expr(expr) => Evaluator::new(inputs.sources(), &NoNames, functions).eval(expr)?,
        RawValue::Value(value) => value.clone(),
    })
}

/// The `default` of a variable: a constant, converted to the type and marked.
fn default_value(
    module: &Module,
    functions: &FunctionContext,
    var: &Variable,
    default: &Expr,
) -> Result<Value, Diagnostics> {
    let calls = function_calls(&module.sources, default);
    if !calls.is_empty() {
        return Err(calls);
    }
    let at = Some(module.range(default));
    let value = Evaluator::new(&module.sources, &NoNames, functions).eval(default)?;
    if value.is_null() && !var.nullable {
        return Err(Diagnostic::error(
            "Invalid default value for variable",
            "A null default value is not valid when nullable=false.",
        )
        .at_range(at)
        .into());
    }
    let value = var
        .ty
        .convert(value)
        .map_err(|msg| unsuitable(var, &InputSource::Default, msg).at_range(at))?;
    Ok(mark(var, value))
}

fn mark(var: &Variable, value: Value) -> Value {
    if var.sensitive {
        value.into_sensitive()
    } else {
        value
    }
}

/// A value that does not convert to the variable's type, worded per where it came from.
fn unsuitable(var: &Variable, source: &InputSource, msg: String) -> Diagnostic {
    let name = &var.name;
    // The conversion's message quotes the value (`"hunter2" is not one`).
    let msg = match var.sensitive {
        true => format!(
            "a value of type {} is required (the value given is sensitive, so it is not shown)",
            var.ty
        ),
        false => msg,
    };
    match source {
        InputSource::Default => Diagnostic::error(
            "Invalid default value for variable",
            format!(
                "This default value is not compatible with the variable's type constraint: \
                 {msg}."
            ),
        ),
        InputSource::AutoFile(_) | InputSource::VarFile(_) => Diagnostic::error(
            "Invalid value for input variable",
            format!(
                "The given value is not suitable for var.{name} declared at {}: {msg}.",
                var.range
            ),
        ),
        InputSource::Environment(env) => Diagnostic::error(
            "Invalid value for input variable",
            format!(
                "Unsuitable value for var.{name} set using the {env} environment variable: \
                 {msg}."
            ),
        ),
        InputSource::Cli => Diagnostic::error(
            "Invalid value for input variable",
            format!("Unsuitable value for var.{name} set using -var=\"{name}=...\": {msg}."),
        ),
    }
}

fn missing(var: &Variable) -> Diagnostic {
    let name = &var.name;
    Diagnostic::error(
        "No value for required variable",
        format!(
            "The root module input variable {name:?} is not set, and has no default value. \
             Set it with -var '{name}=...', in a .tfvars file, or with the GGPLAN_VAR_{name} \
             environment variable (ggplan asks on a terminal unless -input=false)."
        ),
    )
    .at_range(Some(var.range.clone()))
}

/// Checks one validation rule; the error is at `origin`, where the value was set.
fn validate(
    module: &Module,
    resolver: &Variables,
    functions: &FunctionContext,
    rule: &Condition,
    origin: &SourceRange,
) -> Result<(), Diagnostics> {
    let mut eval = Evaluator::new(&module.sources, resolver, functions);
    match conditions::evaluate(&mut eval, &module.sources, rule)? {
        // Unknown: a variable it refers to is in error already.
        Verdict::Holds | Verdict::NotYetKnown => Ok(()),
        Verdict::Fails(message) => Err(Diagnostic::error(
            "Invalid value for variable",
            format!(
                "{message}\n\nThis was checked by the validation rule at {}.",
                module.range(&rule.condition)
            ),
        )
        .at_range(Some(origin.clone()))
        .into()),
    }
}

/// What validation rules can refer to: the input variables (Terraform 1.9 and later let a
/// rule refer to other variables too).
struct Variables<'a> {
    values: &'a BTreeMap<String, Value>,
    module: &'a Module,
}

impl Resolver for Variables<'_> {
    fn resolve(&self, root: &str, steps: &[Step]) -> Result<(Value, usize), String> {
        if root != "var" {
            return Err(format!(
                "A validation rule can refer only to input variables (var.NAME), not to {root}."
            ));
        }
        let Some(Step::Attr(name)) = steps.first() else {
            return Err("A reference to var needs a variable name, as in var.region.".into());
        };
        match self.values.get(name) {
            Some(value) => Ok((value.clone(), 1)),
            // Declared but in error: its own diagnostic says why.
            None if self.module.variables.contains_key(name) => Ok((Value::Unknown, 1)),
            None => {
                let hint = did_you_mean(name, self.module.variables.keys().map(String::as_str));
                Err(format!(
                    "There is no variable named {name:?}.{hint} Declare it with a variable block."
                ))
            }
        }
    }
}
