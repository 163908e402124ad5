//! The rules every call follows before a function's implementation runs, as Terraform (cty)
//! applies them: arity, each argument converted to its parameter's type, nulls, unknowns and
//! sensitive marks. Built-in functions and provider-defined functions share them, so that the
//! two kinds cannot drift apart.

use super::FunctionError;
use ggplan_sdk::Value;

/// Which unknown arguments make the result unknown before the implementation runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Unknowns {
    /// An argument with an unknown anywhere inside.
    Deep,
    /// An argument that is unknown itself; unknown parts reach the implementation.
    Shallow,
    /// None: the implementation sees every unknown.
    Own,
}

/// Who handles sensitive marks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Marks {
    /// The rules: strip them, call, mark the result.
    Generic,
    /// The implementation: it sees the marked values.
    Own,
}

/// What the rules need to know of a function.
pub(super) trait Signature {
    /// The name calls use (for messages).
    fn name(&self) -> &str;

    /// How many fixed parameters it has.
    fn fixed(&self) -> usize;

    /// Whether it takes any number of further arguments.
    fn is_variadic(&self) -> bool;

    /// The name of the parameter that takes the argument at `index`.
    fn param(&self, index: usize) -> &str;

    /// Whether the argument at `index` may be null.
    fn may_be_null(&self, index: usize) -> bool;

    fn unknowns(&self) -> Unknowns {
        Unknowns::Deep
    }

    fn marks(&self) -> Marks {
        Marks::Generic
    }

    /// The argument at `index` converted to its parameter's type, or why it cannot be. The
    /// built-in functions convert in their implementations, so the default passes it on.
    fn convert(&self, index: usize, value: Value) -> Result<Value, String> {
        let _ = index;
        Ok(value)
    }
}

/// Calls `imp` with `args` under the rules of `function`: the arity, then (unless the function
/// sees marks itself) the sensitive marks stripped, then each argument converted and checked
/// for null and unknown in parameter order, as Terraform checks them. An unknown argument ends
/// the call with an unknown result; a sensitive one marks whatever the call returns.
pub(super) fn call(
    function: &(impl Signature + ?Sized),
    args: Vec<Value>,
    imp: impl FnOnce(Vec<Value>) -> Result<Value, FunctionError>,
) -> Result<Value, FunctionError> {
    check_arity(function, args.len())?;
    let (args, sensitive) = match function.marks() {
        Marks::Own => (args, false),
        Marks::Generic => {
            let sensitive = args.iter().any(Value::contains_sensitive);
            let plain = args.into_iter().map(|a| a.unmark_deep().0).collect();
            (plain, sensitive)
        }
    };
    let mark = |v: Value| if sensitive { v.into_sensitive() } else { v };
    // An error about a sensitive argument may quote it: it is replaced by one that cannot.
    let redact = |e: FunctionError| if sensitive { e.redacted() } else { e };
    let unknowns = function.unknowns();
    let mut converted = Vec::with_capacity(args.len());
    for (index, arg) in args.into_iter().enumerate() {
        let arg = function
            .convert(index, arg)
            .map_err(|message| redact(arg_error(function, index, message)))?;
        if arg.is_null() && !function.may_be_null(index) {
            return Err(arg_error(function, index, "argument must not be null"));
        }
        if unknowns != Unknowns::Own && arg.is_unknown() {
            return Ok(mark(Value::Unknown));
        }
        converted.push(arg);
    }
    if unknowns == Unknowns::Deep && !converted.iter().all(Value::is_wholly_known) {
        return Ok(mark(Value::Unknown));
    }
    imp(converted).map(mark).map_err(redact)
}

/// Too few arguments (naming the first parameter left without one) or too many.
fn check_arity(function: &(impl Signature + ?Sized), got: usize) -> Result<(), FunctionError> {
    let expected = function.fixed();
    if got >= expected && (function.is_variadic() || got == expected) {
        return Ok(());
    }
    Err(FunctionError::Arity {
        name: function.name().to_string(),
        expected,
        got,
        missing: (got < expected).then(|| function.param(got).to_string()),
    })
}

/// An error about the argument at `index`, naming its parameter.
pub(super) fn arg_error(
    function: &(impl Signature + ?Sized),
    index: usize,
    message: impl Into<String>,
) -> FunctionError {
    FunctionError::Arg {
        index,
        param: function.param(index).to_string(),
        message: message.into(),
    }
}
