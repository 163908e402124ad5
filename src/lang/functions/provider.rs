//! Provider-defined functions (`provider::NAME::FUNC(...)`, Terraform 1.8): the table a run
//! builds once from its registry, and calls through it under the rules every function follows.
//!
//! As in Terraform, a function needs no provider configuration: the table holds one
//! unconfigured instance of each provider that offers functions, whatever `provider` blocks
//! the stack has.

use super::FunctionError;
use super::rules::{self, Signature};
use crate::suggest::did_you_mean;
use ggplan_sdk::{FunctionSignature, Provider, Value};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// The functions of every provider that offers some, by provider local name.
#[derive(Default)]
pub struct ProviderFunctions {
    providers: BTreeMap<String, Offered>,
}

/// One provider's instance and the signatures of its functions.
struct Offered {
    provider: Arc<dyn Provider>,
    functions: BTreeMap<String, FunctionSignature>,
}

impl fmt::Debug for ProviderFunctions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = self
            .providers
            .iter()
            .map(|(name, offered)| (name, offered.functions.keys().collect::<Vec<_>>()));
        f.debug_map().entries(names).finish()
    }
}

/// `provider::NAME::FUNC` split into NAME and FUNC; `None` for any other name.
pub(super) fn split(name: &str) -> Option<(&str, &str)> {
    name.strip_prefix("provider::")?.split_once("::")
}

impl ProviderFunctions {
    /// The functions of these providers (local name and an unconfigured instance); providers
    /// without functions are left out.
    pub fn new(providers: impl IntoIterator<Item = (String, Arc<dyn Provider>)>) -> Self {
        let providers = providers
            .into_iter()
            .filter_map(|(name, provider)| {
                let functions = provider.schema().functions;
                (!functions.is_empty()).then_some((
                    name,
                    Offered {
                        provider,
                        functions,
                    },
                ))
            })
            .collect();
        ProviderFunctions { providers }
    }

    /// Calls `provider::PROVIDER::FUNCTION` with `args`, under the rules of its signature.
    pub(super) fn call(
        &self,
        provider: &str,
        function: &str,
        args: Vec<Value>,
    ) -> Result<Value, FunctionError> {
        let qualified = format!("provider::{provider}::{function}");
        let offered = self.providers.get(provider);
        let Some((offered, signature)) =
            offered.and_then(|o| o.functions.get(function).map(|s| (o, s)))
        else {
            return Err(FunctionError::Unknown(qualified));
        };
        let bound = Bound {
            qualified,
            signature,
        };
        rules::call(&bound, args, |args| {
            let result = offered
                .provider
                .call_function(function, &args)
                .map_err(|e| bound.error(e))?;
            bound.checked_result(result)
        })
    }

    /// What to tell a user who called `provider::PROVIDER::FUNCTION`, which does not exist:
    /// the provider's function they may have meant and the ones it has, or the providers
    /// that offer functions.
    pub fn missing_hint(&self, provider: &str, function: &str) -> String {
        let Some(offered) = self.providers.get(provider) else {
            let offering: Vec<&str> = self.providers.keys().map(String::as_str).collect();
            let which = match offering.as_slice() {
                [] => "No provider of this ggplan offers functions.".to_string(),
                names => format!("Providers that offer functions: {}.", names.join(", ")),
            };
            return format!(" This ggplan has no provider {provider:?} with functions. {which}");
        };
        let names = offered.functions.keys().map(String::as_str);
        format!(
            "{} The {provider} provider offers: {}.",
            did_you_mean(function, names.clone()),
            names.collect::<Vec<_>>().join(", ")
        )
    }
}

/// A provider function's signature as the rules see it.
struct Bound<'a> {
    qualified: String,
    signature: &'a FunctionSignature,
}

impl Bound<'_> {
    /// A provider's error as the evaluator reports it: about one argument (named by its
    /// parameter) or about the call. Terraform adds the closing period itself.
    fn error(&self, error: ggplan_sdk::FunctionError) -> FunctionError {
        let message = error.message.trim_end_matches('.').to_string();
        match error.argument {
            Some(index) => rules::arg_error(self, index, message),
            None => FunctionError::Call(message),
        }
    }

    /// The result, converted to the declared return type; a provider that breaks its
    /// promise (an unknown result, another type) fails the call rather than the run.
    fn checked_result(&self, result: Value) -> Result<Value, FunctionError> {
        let broken = |why: String| {
            FunctionError::Call(format!(
                "the provider returned {why}; this is a bug in the provider"
            ))
        };
        if !result.is_wholly_known() || result.contains_sensitive() {
            return Err(broken("an unknown or sensitive value".to_string()));
        }
        self.signature
            .return_type
            .convert(result)
            .map_err(|e| broken(format!("a value not of its return type ({e})")))
    }
}

impl Signature for Bound<'_> {
    fn name(&self) -> &str {
        &self.qualified
    }

    fn fixed(&self) -> usize {
        self.signature.parameters.len()
    }

    fn is_variadic(&self) -> bool {
        self.signature.variadic.is_some()
    }

    fn param(&self, index: usize) -> &str {
        self.signature
            .parameter(index)
            .map_or("argument", |p| p.name.as_str())
    }

    fn may_be_null(&self, index: usize) -> bool {
        self.signature
            .parameter(index)
            .is_some_and(|p| p.allow_null)
    }

    fn convert(&self, index: usize, value: Value) -> Result<Value, String> {
        match self.signature.parameter(index) {
            Some(parameter) => parameter.ty.convert(value),
            None => Ok(value),
        }
    }
}

#[cfg(test)]
pub(in crate::lang) mod tests {
    use super::super::{FunctionContext, call};
    use super::*;
    use async_trait::async_trait;
    use ggplan_sdk::typed::{ProviderFunction, ResourceType, TypeTable, TypedProvider};
    use ggplan_sdk::{Diagnostics, FunctionParameter, Type};

    /// A provider with functions that show each rule.
    struct Fake;

    #[async_trait]
    impl TypedProvider for Fake {
        type Client = ();
        type Error = Diagnostics;
        const NAME: &'static str = "fake";
        const SOURCE: &'static str = "registry.terraform.io/hashicorp/fake";

        fn resources() -> Vec<Box<dyn ResourceType<Self>>> {
            Vec::new()
        }

        fn functions() -> Vec<Box<dyn ProviderFunction>> {
            vec![Box::new(Join), Box::new(Broken)]
        }

        async fn configure(_: &Value) -> Result<(), Diagnostics> {
            Ok(())
        }
    }

    /// `join(sep number, parts... string)`: nulls among the parts are skipped; a separator
    /// of 0 is refused, to show an argument error.
    struct Join;

    impl ProviderFunction for Join {
        fn name(&self) -> &'static str {
            "join"
        }

        fn signature(&self) -> FunctionSignature {
            FunctionSignature::new(
                "Joins its parts.",
                [FunctionParameter::new(
                    "sep",
                    Type::Number,
                    "How many dashes.",
                )],
                Type::String,
            )
            .variadic(FunctionParameter::new("parts", Type::String, "").allow_null())
        }

        fn call(&self, args: &[Value]) -> Result<Value, ggplan_sdk::FunctionError> {
            let dashes = match args
                .first()
                .and_then(Value::as_number)
                .and_then(|n| n.as_i64())
            {
                Some(n) if n > 0 => "-".repeat(n as usize),
                _ => return Err(ggplan_sdk::FunctionError::argument(0, "must be positive.")),
            };
            let parts: Vec<&str> = args[1..].iter().filter_map(Value::as_str).collect();
            Ok(Value::string(parts.join(&dashes)))
        }
    }

    /// `broken()`: returns an unknown value, which a provider must not.
    struct Broken;

    impl ProviderFunction for Broken {
        fn name(&self) -> &'static str {
            "broken"
        }

        fn signature(&self) -> FunctionSignature {
            FunctionSignature::new("", [], Type::String)
        }

        fn call(&self, _: &[Value]) -> Result<Value, ggplan_sdk::FunctionError> {
            Ok(Value::Unknown)
        }
    }

    /// The fake provider's functions and the built-in `terraform` provider's.
    pub(in crate::lang) fn table() -> Arc<ProviderFunctions> {
        let fake: Arc<dyn Provider> = Arc::new(TypeTable::<Fake>::new());
        let builtin = ggplan_provider_builtin::factories()
            .into_iter()
            .map(|f| (f.name.to_string(), (f.new)()));
        Arc::new(ProviderFunctions::new(
            builtin.chain([("fake".to_string(), fake)]),
        ))
    }

    /// Calls `provider::PROVIDER::NAME` through the function library, as the evaluator does.
    fn call_of(provider: &str, name: &str, args: Vec<Value>) -> Result<Value, FunctionError> {
        let ctx = FunctionContext {
            base_dir: ".".into(),
            plan_timestamp: String::new(),
            provider_functions: table(),
        };
        call(&format!("provider::{provider}::{name}"), args, &ctx)
    }

    fn run(name: &str, args: Vec<Value>) -> Result<Value, FunctionError> {
        call_of("fake", name, args)
    }

    fn call_terraform(name: &str, args: Vec<Value>) -> Result<Value, FunctionError> {
        call_of("terraform", name, args)
    }

    fn s(text: &str) -> Value {
        Value::string(text)
    }

    #[test]
    fn arguments_are_converted_to_their_parameter_types_and_nulls_allowed_only_where_declared() {
        let joined = run("join", vec![s("2"), s("a"), Value::Null, Value::int(1)]);
        assert_eq!(joined, Ok(s("a--1")));
        let err = run("join", vec![Value::Null, s("a")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid value for \"sep\" parameter: argument must not be null."
        );
        let err = run("join", vec![s("x")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid value for \"sep\" parameter: a number is required, but \"x\" is not one."
        );
        let err = run("join", vec![Value::int(1), Value::List(vec![])]).unwrap_err();
        assert!(matches!(err, FunctionError::Arg { index: 1, ref param, .. } if param == "parts"));
    }

    #[test]
    fn arity_is_checked_against_the_fixed_and_variadic_parameters() {
        assert_eq!(
            run("join", vec![]).unwrap_err().to_string(),
            "Function \"provider::fake::join\" expects 1 argument(s). Missing value for \"sep\"."
        );
        assert_eq!(
            run("broken", vec![s("a")]).unwrap_err().to_string(),
            "Function \"provider::fake::broken\" expects only 0 argument(s); got 1."
        );
    }

    #[test]
    fn an_unknown_anywhere_makes_the_result_unknown_without_a_call() {
        // A separator of 0 would be refused: the call is not made.
        let partly = Value::List(vec![Value::Unknown]);
        assert_eq!(
            run("join", vec![Value::int(0), Value::Unknown]),
            Ok(Value::Unknown)
        );
        // Deep: an unknown inside a list is enough.
        assert_eq!(
            call_terraform("encode_expr", vec![partly]),
            Ok(Value::Unknown)
        );
    }

    #[test]
    fn sensitive_arguments_are_unmarked_for_the_call_and_mark_the_result() {
        let secret = s("b").into_sensitive();
        let joined = run("join", vec![Value::int(1), s("a"), secret]);
        assert_eq!(joined, Ok(s("a-b").into_sensitive()));
        let inside = Value::List(vec![Value::int(1).into_sensitive()]);
        assert_eq!(
            call_terraform("encode_expr", vec![inside]),
            Ok(s("[1]").into_sensitive())
        );
    }

    #[test]
    fn provider_errors_name_the_parameter_and_broken_results_fail_the_call() {
        let err = run("join", vec![Value::int(0)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid value for \"sep\" parameter: must be positive."
        );
        let err = run("broken", vec![]).unwrap_err();
        assert!(matches!(err, FunctionError::Call(ref m) if m.contains("bug in the provider")));
    }

    #[test]
    fn unknown_functions_and_providers_get_hints() {
        assert_eq!(
            run("jion", vec![]),
            Err(FunctionError::Unknown("provider::fake::jion".into()))
        );
        let functions = table();
        assert_eq!(
            functions.missing_hint("fake", "jion"),
            " Did you mean \"join\"? The fake provider offers: broken, join."
        );
        assert_eq!(
            functions.missing_hint("random", "x"),
            " This ggplan has no provider \"random\" with functions. Providers that offer \
             functions: fake, terraform."
        );
        assert!(format!("{functions:?}").contains("\"terraform\": [\"decode_tfvars\""));
    }
}
