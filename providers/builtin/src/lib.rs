//! ggplan's built-in providers: the ones every stack may use without any cloud.
//!
//! | provider    | resource types                                  | data sources                         |
//! |-------------|-------------------------------------------------|--------------------------------------|
//! | `terraform` | `terraform_data`                                | `terraform_remote_state` (local)     |
//! | `random`    | `random_password`, `random_string`, `random_id` | —                                    |
//! | `local`     | `local_file`, `local_sensitive_file`            | `local_file`, `local_sensitive_file` |
//! | `http`      | —                                               | `http`                               |
//! | `time`      | `time_sleep`                                    | —                                    |
//!
//! The `terraform` provider also offers Terraform 1.8's functions `encode_tfvars`,
//! `decode_tfvars` and `encode_expr` (`provider::terraform::NAME(...)`).
//!
//! Each follows the behaviour of its Terraform namesake (Terraform 1.15's built-in
//! `terraform_data`, `hashicorp/random` v3, `hashicorp/local` v2, `hashicorp/http` v3,
//! `hashicorp/time` v0.13): the same attributes, defaults, replacement rules and import ids, so
//! a `.tf` file that uses them plans the same here. Where a provider deliberately differs, its
//! module says so.
//!
//! The engine reaches them through [`factories`]; it maps a type to its provider by the prefix
//! before the first underscore (`random_password` -> `random`).

mod entropy;
mod http;
mod local;
mod random;
mod terraform_data;
mod terraform_functions;
mod terraform_remote_state;
mod time;

use ggplan_sdk::typed::factory;
use ggplan_sdk::{Diagnostic, Diagnostics, Number, ProviderFactory, Value};

/// The built-in providers, named as in stack files: `terraform`, `random`, `local`, `http`,
/// `time`.
pub fn factories() -> Vec<ProviderFactory> {
    vec![
        factory::<terraform_data::Terraform>(),
        factory::<random::Random>(),
        factory::<local::Local>(),
        factory::<http::Http>(),
        factory::<time::Time>(),
    ]
}

/// A whole number attribute: `Ok(None)` when it is null or not yet known, an error naming the
/// attribute when it is not a whole number of at least `min`.
fn whole_number(value: &Value, name: &str, min: u64) -> Result<Option<u64>, Diagnostics> {
    let attribute = value.get(name);
    if attribute.is_null() || attribute.is_unknown() {
        return Ok(None);
    }
    let number = attribute.as_number().and_then(Number::as_i64);
    match number
        .and_then(|n| u64::try_from(n).ok())
        .filter(|n| *n >= min)
    {
        Some(n) => Ok(Some(n)),
        None => Err(Diagnostic::error(
            format!("Invalid value for {name}"),
            format!(
                "{name} must be a whole number of at least {min}, but it is {}.",
                attribute.to_json().unwrap_or_default()
            ),
        )
        .at_attribute(ggplan_sdk::AttrPath::attr(name))
        .into()),
    }
}

/// A whole number attribute that must be set (the engine checks required attributes; this is
/// for the provider's own safety).
fn required_whole(value: &Value, name: &str, min: u64) -> Result<u64, Diagnostics> {
    whole_number(value, name, min)?.ok_or_else(|| {
        Diagnostic::error(
            format!("{name} is required"),
            format!("Set {name} to a whole number of at least {min}."),
        )
        .at_attribute(ggplan_sdk::AttrPath::attr(name))
        .into()
    })
}

/// Bytes as lower-case hexadecimal.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
pub(crate) mod test_support {
    //! The sdk's protocol driver, with the built-in providers' empty configuration.

    pub use ggplan_sdk::testing::{apply, create, destroy, plan, read, schema};
    use ggplan_sdk::typed::{TypeTable, TypedProvider};

    /// An instance of provider `P`, configured with an empty block.
    pub async fn configured<P: TypedProvider>() -> TypeTable<P> {
        ggplan_sdk::testing::configured::<P>(&ggplan_sdk::Value::Null).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ggplan_sdk::{Attribute, Schema, Type};

    #[test]
    fn factories_name_the_prefix_of_their_types() {
        for factory in factories() {
            let schema = (factory.new)().schema();
            let types = schema.resources.keys().chain(schema.data_sources.keys());
            let mut count = 0;
            for type_name in types {
                count += 1;
                let prefix = type_name.split('_').next().unwrap_or_default();
                assert_eq!(prefix, factory.name, "{type_name}");
            }
            assert!(count > 0, "{} offers no types", factory.name);
        }
        let names: Vec<_> = factories().iter().map(|f| f.name).collect();
        assert_eq!(names, ["terraform", "random", "local", "http", "time"]);
    }

    #[test]
    fn defaults_fill_only_null_attributes() {
        let schema = Schema::new(
            "t",
            [
                (
                    "a",
                    Attribute::optional(Type::Bool).default(Value::Bool(true)),
                ),
                (
                    "b",
                    Attribute::optional(Type::Bool).default(Value::Bool(true)),
                ),
                (
                    "c",
                    Attribute::optional(Type::Bool).default(Value::Bool(true)),
                ),
            ],
        );
        let config = Value::object([("a", Value::Bool(false)), ("b", Value::Unknown)]);
        let filled = &schema.with_defaults(config);
        assert_eq!(filled.get("a"), &Value::Bool(false));
        assert_eq!(filled.get("b"), &Value::Unknown);
        assert_eq!(filled.get("c"), &Value::Bool(true));
    }

    #[test]
    fn whole_numbers_are_checked() {
        let v = Value::object([
            ("n", Value::int(3)),
            ("neg", Value::int(-1)),
            ("frac", Value::Number(Number::Float(1.5))),
            ("u", Value::Unknown),
        ]);
        assert_eq!(whole_number(&v, "n", 1), Ok(Some(3)));
        assert_eq!(whole_number(&v, "u", 1), Ok(None));
        assert_eq!(whole_number(&v, "missing", 1), Ok(None));
        assert!(whole_number(&v, "n", 4).is_err());
        assert!(whole_number(&v, "neg", 0).is_err());
        let err = whole_number(&v, "frac", 0).unwrap_err();
        assert_eq!(err.0[0].attribute, Some(ggplan_sdk::AttrPath::attr("frac")));
    }
}
