//! Custom conditions, one evaluation for all of them: a variable's `validation` rules and the
//! `precondition` and `postcondition` blocks of resources, data sources and outputs. A
//! condition holds, is not known yet (it is checked again when it is), or fails with its
//! `error_message`.

use crate::config::{Condition, SourceMap};
use crate::lang::eval::Evaluator;
use ggplan_sdk::{Diagnostic, Diagnostics, Type, Value};

/// What a condition says.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Holds,
    /// It refers to values known only later (after apply).
    NotYetKnown,
    /// It is false; the error message, or what stands for one that holds a secret.
    Fails(String),
}

/// Evaluates `rule`. A condition that is not a bool, or a message that is not a string, is
/// an error at the expression.
pub fn evaluate(
    eval: &mut Evaluator<'_>,
    sources: &SourceMap,
    rule: &Condition,
) -> Result<Verdict, Diagnostics> {
    let (condition, _) = eval.eval(&rule.condition)?.unmark();
    let kind = condition.kind_name();
    match Type::Bool.convert(condition) {
        Ok(Value::Bool(true)) => return Ok(Verdict::Holds),
        Ok(Value::Unknown) => return Ok(Verdict::NotYetKnown),
        Ok(Value::Bool(false)) => {}
        other => {
            let got = other.map_or(kind, |v| v.kind_name());
            return Err(Diagnostic::error(
                "Invalid condition result",
                format!("A condition must be true or false, not {got}."),
            )
            .at_range(Some(range(sources, &rule.condition)))
            .into());
        }
    }
    let message = match eval.eval(&rule.error_message)? {
        Value::Sensitive(_) => {
            "The error message included a sensitive value, so it will not be displayed.".into()
        }
        // Its values are not known yet: the condition's failure is what there is to say.
        Value::Unknown => "The error message refers to values not known yet.".into(),
        other => match Type::String.convert(other) {
            Ok(Value::String(s)) => s,
            _ => {
                return Err(Diagnostic::error(
                    "Invalid error message",
                    "The error_message of a condition must be a string.",
                )
                .at_range(Some(range(sources, &rule.error_message)))
                .into());
            }
        },
    };
    Ok(Verdict::Fails(message))
}

/// Where `expr` is written.
fn range(sources: &SourceMap, expr: &crate::config::Expr) -> ggplan_sdk::SourceRange {
    sources.range(expr.file, expr.span.clone())
}

/// Which conditions are checked, for the error's summary (Terraform's wording).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    ResourcePrecondition,
    ResourcePostcondition,
    OutputPrecondition,
}

impl Kind {
    fn failed(self) -> &'static str {
        match self {
            Kind::ResourcePrecondition => "Resource precondition failed",
            Kind::ResourcePostcondition => "Resource postcondition failed",
            Kind::OutputPrecondition => "Module output value precondition failed",
        }
    }
}

/// Checks every rule: an error at each condition that fails; those not known yet pass now
/// (the apply checks them again once they are).
pub fn check_all(
    eval: &mut Evaluator<'_>,
    sources: &SourceMap,
    rules: &[Condition],
    kind: Kind,
) -> Result<(), Diagnostics> {
    let mut diags = Diagnostics::new();
    for rule in rules {
        match evaluate(eval, sources, rule) {
            Ok(Verdict::Holds | Verdict::NotYetKnown) => {}
            Ok(Verdict::Fails(message)) => diags.push(
                Diagnostic::error(kind.failed(), message)
                    .at_range(Some(range(sources, &rule.condition))),
            ),
            Err(d) => diags.extend(d),
        }
    }
    diags.into_result(())
}
