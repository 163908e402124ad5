//! The `terraform` provider's functions, Terraform 1.8's: `provider::terraform::encode_tfvars`,
//! `decode_tfvars` and `encode_expr`.
//!
//! Behaviour checked against Terraform's console (tests/functions/provider.txt): the same
//! text byte for byte (hclwrite's layout, `ggplan_sdk::hcl`), the same results and messages. The
//! engine has already refused null (no parameter allows it) and answered unknown arguments.

mod decode;
use ggplan_sdk::hcl as encode;

use ggplan_sdk::typed::ProviderFunction;
use ggplan_sdk::{FunctionError, FunctionParameter, FunctionSignature, Type, Value};

/// The functions of the `terraform` provider.
pub(crate) fn all() -> Vec<Box<dyn ProviderFunction>> {
    vec![
        Box::new(EncodeTfvars),
        Box::new(DecodeTfvars),
        Box::new(EncodeExpr),
    ]
}

/// The one argument of a one-parameter function (the engine checked the count).
fn only(args: &[Value]) -> Result<&Value, FunctionError> {
    match args {
        [value] => Ok(value.peel()),
        _ => Err(FunctionError::new(format!(
            "exactly one argument is required, but {} were given",
            args.len()
        ))),
    }
}

/// `encode_tfvars(value)`: an object as the content of a `.tfvars` file.
struct EncodeTfvars;

impl ProviderFunction for EncodeTfvars {
    fn name(&self) -> &'static str {
        "encode_tfvars"
    }

    fn signature(&self) -> FunctionSignature {
        FunctionSignature::new(
            "Produces a string representation of an object using the same syntax as a \
             `.tfvars` file; its attribute names must be valid variable names.",
            [FunctionParameter::new(
                "value",
                Type::Any,
                "The object whose attributes become the variables.",
            )],
            Type::String,
        )
    }

    fn call(&self, args: &[Value]) -> Result<Value, FunctionError> {
        let Value::Map(attributes) = only(args)? else {
            return Err(FunctionError::new(
                "invalid value to encode: must be an object whose attribute names will become \
                 the encoded variable names",
            ));
        };
        if let Some(bad) = attributes.keys().find(|k| !encode::is_identifier(k)) {
            return Err(FunctionError::new(format!(
                "invalid variable name {bad:?}: must be a valid identifier, per Terraform's \
                 rules for input variable declarations"
            )));
        }
        Ok(Value::String(encode::tfvars(attributes)))
    }
}

/// `decode_tfvars(src)`: the variables a `.tfvars` file's content defines, as an object.
struct DecodeTfvars;

impl ProviderFunction for DecodeTfvars {
    fn name(&self) -> &'static str {
        "decode_tfvars"
    }

    fn signature(&self) -> FunctionSignature {
        FunctionSignature::new(
            "Parses a string containing the content of a `.tfvars` file and returns an object \
             of the raw variable values it defines.",
            [FunctionParameter::new(
                "src",
                Type::String,
                "The content of a `.tfvars` file.",
            )],
            Type::Any,
        )
    }

    fn call(&self, args: &[Value]) -> Result<Value, FunctionError> {
        let src = only(args)?
            .as_str()
            .ok_or_else(|| FunctionError::argument(0, "a string is required"))?;
        decode::tfvars(src)
            .map(Value::Map)
            .map_err(FunctionError::new)
    }
}

/// `encode_expr(value)`: any value as Terraform expression syntax.
struct EncodeExpr;

impl ProviderFunction for EncodeExpr {
    fn name(&self) -> &'static str {
        "encode_expr"
    }

    fn signature(&self) -> FunctionSignature {
        FunctionSignature::new(
            "Produces a string containing Terraform language expression syntax approximating \
             the given value.",
            [FunctionParameter::new(
                "value",
                Type::Any,
                "The value to encode.",
            )],
            Type::String,
        )
    }

    fn call(&self, args: &[Value]) -> Result<Value, FunctionError> {
        Ok(Value::String(encode::expression(only(args)?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::terraform_data::Terraform;
    use ggplan_sdk::Provider;
    use ggplan_sdk::typed::TypeTable;

    fn call(name: &str, arg: Value) -> Result<Value, FunctionError> {
        TypeTable::<Terraform>::new().call_function(name, &[arg])
    }

    #[test]
    fn the_terraform_provider_offers_its_three_functions() {
        let schema = TypeTable::<Terraform>::new().schema();
        let names: Vec<&str> = schema.functions.keys().map(String::as_str).collect();
        assert_eq!(names, ["decode_tfvars", "encode_expr", "encode_tfvars"]);
        assert_eq!(schema.functions["decode_tfvars"].parameters[0].name, "src");
        assert!(
            schema
                .functions
                .values()
                .all(|f| f.parameters.iter().all(|p| !p.allow_null))
        );
    }

    #[test]
    fn tfvars_round_trip_through_encode_and_decode() {
        let vars = Value::object([
            ("name", Value::string("web")),
            ("ports", Value::List(vec![Value::int(80), Value::int(443)])),
            ("tags", Value::object([("env", Value::string("prod"))])),
        ]);
        let text = call("encode_tfvars", vars.clone()).unwrap();
        assert_eq!(
            text,
            Value::string("name  = \"web\"\nports = [80, 443]\ntags = {\n  env = \"prod\"\n}\n")
        );
        assert_eq!(call("decode_tfvars", text), Ok(vars));
    }

    #[test]
    fn encode_tfvars_wants_an_object_of_variable_names() {
        let err = call("encode_tfvars", Value::string("x")).unwrap_err();
        assert!(err.message.starts_with("invalid value to encode"), "{err}");
        let err = call("encode_tfvars", Value::object([("a b", Value::int(1))])).unwrap_err();
        assert!(
            err.message.starts_with("invalid variable name \"a b\""),
            "{err}"
        );
        let err = call("decode_tfvars", Value::string("a = b")).unwrap_err();
        assert_eq!(err.argument, None);
    }

    #[test]
    fn encode_expr_writes_any_value() {
        let value = Value::List(vec![Value::int(1), Value::string("x"), Value::Null]);
        assert_eq!(
            call("encode_expr", value),
            Ok(Value::string("[1, \"x\", null]"))
        );
    }
}
