//! Terraform's built-in function library.
//!
//! Every function is one row of [`FUNCTIONS`]: its name, parameter names (for messages), and
//! how the generic rules apply to it. The generic rules are Terraform's:
//! - **null**: a null argument is an error (`argument must not be null.`) unless the function
//!   accepts nulls there ([`Nulls`]);
//! - **unknown**: an unknown argument makes the result unknown. By default a value with an
//!   unknown anywhere inside counts ([`Unknowns::Deep`]); functions that can say something
//!   exact about partly known values only look at the top ([`Unknowns::Shallow`]): `length`,
//!   `keys`, `values`, `concat`, `merge`, `element`, `lookup`, `reverse`, `slice`, `tolist`,
//!   `tomap`, `zipmap`, `coalescelist`, `compact`, `flatten`, `one`. `coalesce` and the three
//!   mark functions see unknowns themselves ([`Unknowns::Own`]);
//! - **sensitive**: if any argument holds a sensitive mark, the marks are stripped, the
//!   function runs on plain values and its result is marked sensitive. `sensitive`,
//!   `nonsensitive` and `issensitive` work on the marks themselves ([`Marks::Own`]).
//!
//! `can`, `try`, `templatefile` and `type` are not here: they need unevaluated expressions,
//! the template parser or type information, so the evaluator implements them.
//!
//! Provider-defined functions (`provider::NAME::FUNC`) follow the same rules ([`rules`]),
//! with the types and nullability their providers declare ([`ProviderFunctions`]).

mod args;
mod collection;
mod conversion;
mod crypto;
mod datetime;
mod encoding;
mod filesystem;
mod format;

pub use datetime::parse_duration as parse_go_duration;
pub use format::go_quote;
mod ip;
mod json;
mod numeric;
pub(super) mod provider;
mod rules;
mod sets;
mod string;
pub(crate) mod unify;
mod yaml;

use args::Args;
use ggplan_sdk::Value;
pub use provider::ProviderFunctions;
use rules::{Marks, Signature, Unknowns};
use std::path::PathBuf;
use std::sync::Arc;

/// The base directory of a real run: the process's working directory.
pub fn working_dir() -> PathBuf {
    PathBuf::from(".")
}

/// What a function may know about the run it is called in.
#[derive(Debug, Clone)]
pub struct FunctionContext {
    /// The directory relative file paths are resolved against: the working directory, as
    /// in Terraform, so that `file("${path.module}/t.txt")` (path.module is the module's
    /// directory as seen from there) reads the module's file. Tests give a fixture directory.
    pub base_dir: PathBuf,
    /// The time the plan started, RFC 3339, the same for every call in a run.
    pub plan_timestamp: String,
    /// The providers' functions (`provider::NAME::FUNC`), built once per run from the
    /// registry; empty where no provider is at hand.
    pub provider_functions: Arc<ProviderFunctions>,
}

/// Why a function call failed. The messages are Terraform's (which end argument and call
/// messages with a period: the variants hold them without it).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FunctionError {
    #[error("There is no function named \"{0}\".")]
    Unknown(String),
    #[error("{}", arity_message(name, *expected, *got, missing))]
    Arity {
        name: String,
        expected: usize,
        got: usize,
        /// The first parameter left without a value, when there are too few arguments.
        missing: Option<String>,
    },
    #[error("Invalid value for \"{param}\" parameter: {message}.")]
    Arg {
        index: usize,
        param: String,
        message: String,
    },
    #[error("{0}.")]
    Call(String),
}

impl FunctionError {
    /// The error of a call with a sensitive argument: its messages may quote the argument
    /// (`cannot convert "hunter2" to number`), so they are replaced by ones that cannot.
    pub fn redacted(self) -> FunctionError {
        match self {
            FunctionError::Arg { index, param, .. } => FunctionError::Arg {
                index,
                param,
                message: "the value is sensitive, so what is wrong with it is not shown".into(),
            },
            FunctionError::Call(_) => FunctionError::Call(
                "an argument is sensitive, so the error (which may quote it) is not shown".into(),
            ),
            other => other,
        }
    }
}

fn arity_message(name: &str, expected: usize, got: usize, missing: &Option<String>) -> String {
    match missing {
        Some(param) => format!(
            "Function \"{name}\" expects {expected} argument(s). Missing value for \"{param}\"."
        ),
        None => format!("Function \"{name}\" expects only {expected} argument(s); got {got}."),
    }
}

/// Shorthand for a failed call.
pub(crate) fn fail<T>(message: impl Into<String>) -> Result<T, FunctionError> {
    Err(FunctionError::Call(message.into()))
}

/// Calls the function `name`: a built-in one, or a provider's (`provider::NAME::FUNC`).
pub fn call(name: &str, args: Vec<Value>, ctx: &FunctionContext) -> Result<Value, FunctionError> {
    if let Some((provider, function)) = provider::split(name) {
        return ctx.provider_functions.call(provider, function, args);
    }
    let function = lookup(name).ok_or_else(|| FunctionError::Unknown(name.to_string()))?;
    function.call(args, ctx)
}

/// Whether `name` is a function of this library.
pub fn exists(name: &str) -> bool {
    lookup(name).is_some()
}

/// The names of the functions of this library, sorted (for "did you mean" hints).
pub fn names() -> impl Iterator<Item = &'static str> {
    FUNCTIONS.iter().map(|f| f.name)
}

fn lookup(name: &str) -> Option<&'static Function> {
    FUNCTIONS
        .binary_search_by(|f| f.name.cmp(name))
        .ok()
        .map(|i| &FUNCTIONS[i])
}

/// Which arguments may be null (the implementation deals with those).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Nulls {
    None,
    /// The variadic ones.
    Variadic,
    All,
}

type Impl = fn(Args<'_>) -> Result<Value, FunctionError>;

/// One function of the library.
struct Function {
    name: &'static str,
    params: &'static [&'static str],
    /// The name of the parameter that takes any number of further arguments.
    variadic: Option<&'static str>,
    nulls: Nulls,
    unknowns: Unknowns,
    marks: Marks,
    imp: Impl,
}

impl Function {
    const fn new(name: &'static str, params: &'static [&'static str], imp: Impl) -> Function {
        Function {
            name,
            params,
            variadic: None,
            nulls: Nulls::None,
            unknowns: Unknowns::Deep,
            marks: Marks::Generic,
            imp,
        }
    }

    const fn variadic(self, param: &'static str) -> Function {
        Function {
            variadic: Some(param),
            ..self
        }
    }

    const fn nulls(self, nulls: Nulls) -> Function {
        Function { nulls, ..self }
    }

    const fn unknowns(self, unknowns: Unknowns) -> Function {
        Function { unknowns, ..self }
    }

    const fn own_marks(self) -> Function {
        Function {
            marks: Marks::Own,
            unknowns: Unknowns::Own,
            nulls: Nulls::All,
            ..self
        }
    }

    fn call(
        &'static self,
        args: Vec<Value>,
        ctx: &FunctionContext,
    ) -> Result<Value, FunctionError> {
        rules::call(self, args, |args| (self.imp)(Args::new(self, args, ctx)))
    }
}

impl Signature for Function {
    fn name(&self) -> &str {
        self.name
    }

    fn fixed(&self) -> usize {
        self.params.len()
    }

    fn is_variadic(&self) -> bool {
        self.variadic.is_some()
    }

    fn param(&self, index: usize) -> &str {
        self.params
            .get(index)
            .copied()
            .or(self.variadic)
            .unwrap_or("argument")
    }

    fn may_be_null(&self, index: usize) -> bool {
        match self.nulls {
            Nulls::None => false,
            Nulls::Variadic => index >= self.params.len(),
            Nulls::All => true,
        }
    }

    fn unknowns(&self) -> Unknowns {
        self.unknowns
    }

    fn marks(&self) -> Marks {
        self.marks
    }
}

use Nulls::{All, Variadic};
use Unknowns::{Own, Shallow};

/// The library, sorted by name.
static FUNCTIONS: &[Function] = &[
    Function::new("abs", &["num"], numeric::abs),
    Function::new("abspath", &["path"], filesystem::abspath),
    Function::new("alltrue", &["list"], collection::alltrue),
    Function::new("anytrue", &["list"], collection::anytrue),
    Function::new("base64decode", &["str"], encoding::base64decode),
    Function::new("base64encode", &["str"], encoding::base64encode),
    Function::new("base64sha256", &["str"], crypto::base64sha256),
    Function::new("base64sha512", &["str"], crypto::base64sha512),
    Function::new("basename", &["path"], filesystem::basename),
    Function::new("bcrypt", &["str"], crypto::bcrypt).variadic("cost"),
    Function::new("ceil", &["num"], numeric::ceil),
    Function::new("chomp", &["str"], string::chomp),
    Function::new("chunklist", &["list", "size"], collection::chunklist),
    Function::new("cidrhost", &["prefix", "hostnum"], ip::cidrhost),
    Function::new("cidrnetmask", &["prefix"], ip::cidrnetmask),
    Function::new(
        "cidrsubnet",
        &["prefix", "newbits", "netnum"],
        ip::cidrsubnet,
    ),
    Function::new("cidrsubnets", &["prefix"], ip::cidrsubnets).variadic("newbits"),
    Function::new("coalesce", &[], collection::coalesce)
        .variadic("vals")
        .nulls(Variadic)
        .unknowns(Own),
    Function::new("coalescelist", &[], collection::coalescelist)
        .variadic("vals")
        .nulls(Variadic)
        .unknowns(Shallow),
    Function::new("compact", &["list"], collection::compact).unknowns(Shallow),
    Function::new("concat", &[], collection::concat)
        .variadic("seqs")
        .unknowns(Shallow),
    Function::new("contains", &["list", "value"], collection::contains),
    Function::new("csvdecode", &["str"], encoding::csvdecode),
    Function::new("dirname", &["path"], filesystem::dirname),
    Function::new("distinct", &["list"], collection::distinct),
    Function::new("element", &["list", "index"], collection::element).unknowns(Shallow),
    Function::new("endswith", &["str", "suffix"], string::endswith),
    Function::new("file", &["path"], filesystem::file),
    Function::new("filebase64", &["path"], filesystem::filebase64),
    Function::new("fileexists", &["path"], filesystem::fileexists),
    Function::new("fileset", &["path", "pattern"], filesystem::fileset),
    Function::new("flatten", &["list"], collection::flatten).unknowns(Shallow),
    Function::new("floor", &["num"], numeric::floor),
    Function::new("format", &["format"], format::format)
        .variadic("args")
        .nulls(Variadic),
    Function::new("formatdate", &["format", "time"], datetime::formatdate),
    Function::new("formatlist", &["format"], format::formatlist)
        .variadic("args")
        .nulls(Variadic),
    Function::new("indent", &["spaces", "str"], string::indent),
    Function::new("index", &["list", "value"], collection::index),
    Function::new("issensitive", &["value"], conversion::issensitive).own_marks(),
    Function::new("join", &["separator"], string::join).variadic("lists"),
    Function::new("jsondecode", &["str"], encoding::jsondecode),
    Function::new("jsonencode", &["val"], encoding::jsonencode).nulls(All),
    Function::new("keys", &["inputMap"], collection::keys).unknowns(Shallow),
    Function::new("length", &["value"], collection::length).unknowns(Shallow),
    Function::new("log", &["num", "base"], numeric::log),
    Function::new("lookup", &["inputMap", "key"], collection::lookup)
        .variadic("default")
        .nulls(Variadic)
        .unknowns(Shallow),
    Function::new("lower", &["str"], string::lower),
    Function::new(
        "matchkeys",
        &["values", "keys", "searchset"],
        collection::matchkeys,
    ),
    Function::new("max", &[], numeric::max).variadic("numbers"),
    Function::new("md5", &["str"], crypto::md5),
    Function::new("merge", &[], collection::merge)
        .variadic("maps")
        .nulls(Variadic)
        .unknowns(Shallow),
    Function::new("min", &[], numeric::min).variadic("numbers"),
    Function::new("nonsensitive", &["value"], conversion::nonsensitive).own_marks(),
    Function::new("one", &["list"], collection::one).unknowns(Shallow),
    Function::new("parseint", &["number", "base"], numeric::parseint),
    Function::new("pathexpand", &["path"], filesystem::pathexpand),
    Function::new("plantimestamp", &[], datetime::plantimestamp),
    Function::new("pow", &["num", "power"], numeric::pow),
    Function::new("range", &[], collection::range).variadic("params"),
    Function::new("regex", &["pattern", "string"], string::regex),
    Function::new("regexall", &["pattern", "string"], string::regexall),
    Function::new("replace", &["str", "substr", "replace"], string::replace),
    Function::new("reverse", &["list"], collection::reverse).unknowns(Shallow),
    Function::new("sensitive", &["value"], conversion::sensitive).own_marks(),
    Function::new("setintersection", &["first_set"], sets::setintersection).variadic("other_sets"),
    Function::new("setproduct", &[], sets::setproduct).variadic("sets"),
    Function::new("setsubtract", &["a", "b"], sets::setsubtract),
    Function::new("setunion", &["first_set"], sets::setunion).variadic("other_sets"),
    Function::new("sha1", &["str"], crypto::sha1),
    Function::new("sha256", &["str"], crypto::sha256),
    Function::new("sha512", &["str"], crypto::sha512),
    Function::new("signum", &["num"], numeric::signum),
    Function::new(
        "slice",
        &["list", "start_index", "end_index"],
        collection::slice,
    )
    .unknowns(Shallow),
    Function::new("sort", &["list"], collection::sort),
    Function::new("split", &["separator", "str"], string::split),
    Function::new("startswith", &["str", "prefix"], string::startswith),
    Function::new("strcontains", &["str", "substr"], string::strcontains),
    Function::new("strrev", &["str"], string::strrev),
    Function::new("substr", &["str", "offset", "length"], string::substr),
    Function::new("sum", &["list"], collection::sum),
    Function::new(
        "textdecodebase64",
        &["source", "encoding"],
        encoding::textdecodebase64,
    ),
    Function::new(
        "textencodebase64",
        &["string", "encoding"],
        encoding::textencodebase64,
    ),
    Function::new("timeadd", &["timestamp", "duration"], datetime::timeadd),
    Function::new(
        "timecmp",
        &["timestamp_a", "timestamp_b"],
        datetime::timecmp,
    ),
    Function::new("timestamp", &[], datetime::timestamp),
    Function::new("title", &["str"], string::title),
    Function::new("tobool", &["v"], conversion::tobool).nulls(All),
    Function::new("tolist", &["v"], conversion::tolist)
        .nulls(All)
        .unknowns(Shallow),
    Function::new("tomap", &["v"], conversion::tomap)
        .nulls(All)
        .unknowns(Shallow),
    Function::new("tonumber", &["v"], conversion::tonumber).nulls(All),
    Function::new("toset", &["v"], conversion::toset).nulls(All),
    Function::new("tostring", &["v"], conversion::tostring).nulls(All),
    Function::new("transpose", &["values"], collection::transpose),
    Function::new("trim", &["str", "cutset"], string::trim),
    Function::new("trimprefix", &["str", "prefix"], string::trimprefix),
    Function::new("trimspace", &["str"], string::trimspace),
    Function::new("trimsuffix", &["str", "suffix"], string::trimsuffix),
    Function::new("upper", &["str"], string::upper),
    Function::new("urlencode", &["str"], encoding::urlencode),
    Function::new("uuid", &[], crypto::uuid),
    Function::new("uuidv5", &["namespace", "name"], crypto::uuidv5),
    Function::new("values", &["mapping"], collection::values).unknowns(Shallow),
    Function::new("yamldecode", &["src"], yaml::yamldecode),
    Function::new("yamlencode", &["value"], yaml::yamlencode).nulls(All),
    Function::new("zipmap", &["keys", "values"], collection::zipmap).unknowns(Shallow),
];

#[cfg(test)]
mod tests;
