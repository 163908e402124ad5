//! Provider-defined functions (Terraform 1.8's `provider::NAME::FUNC(...)`): what a provider
//! declares of each function, and how a call refuses its arguments.
//!
//! The engine applies Terraform's rules before a call (arity, conversion of each argument to
//! its parameter's type, null refused unless the parameter allows it, an argument with an
//! unknown anywhere inside makes the result unknown without a call, sensitive marks stripped
//! and the result marked), so a provider sees only known, converted, unmarked arguments.

use crate::schema::Type;
use serde::Serialize;
use std::fmt;

/// A provider-defined function's signature (what `ggplan providers --json` and the docs show).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunctionSignature {
    pub description: String,
    pub parameters: Vec<FunctionParameter>,
    /// The type of arguments after the fixed ones, for a variadic function.
    pub variadic: Option<FunctionParameter>,
    pub return_type: Type,
}

impl FunctionSignature {
    /// A function of fixed parameters.
    pub fn new(
        description: impl Into<String>,
        parameters: impl IntoIterator<Item = FunctionParameter>,
        return_type: Type,
    ) -> FunctionSignature {
        FunctionSignature {
            description: description.into(),
            parameters: parameters.into_iter().collect(),
            variadic: None,
            return_type,
        }
    }

    /// The same function taking any number of further `parameter` arguments.
    pub fn variadic(self, parameter: FunctionParameter) -> FunctionSignature {
        FunctionSignature {
            variadic: Some(parameter),
            ..self
        }
    }

    /// The parameter that takes the argument at `index` (0-based): a fixed one, else the
    /// variadic one; `None` past the end of a function that is not variadic.
    pub fn parameter(&self, index: usize) -> Option<&FunctionParameter> {
        self.parameters.get(index).or(self.variadic.as_ref())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunctionParameter {
    pub name: String,
    pub ty: Type,
    pub description: String,
    /// Whether null may be passed (Terraform's AllowNullValue); otherwise null is an error.
    pub allow_null: bool,
}

impl FunctionParameter {
    /// A parameter that refuses null.
    pub fn new(name: impl Into<String>, ty: Type, description: impl Into<String>) -> Self {
        FunctionParameter {
            name: name.into(),
            ty,
            description: description.into(),
            allow_null: false,
        }
    }

    /// The same parameter accepting null.
    pub fn allow_null(self) -> FunctionParameter {
        FunctionParameter {
            allow_null: true,
            ..self
        }
    }
}

/// Why a provider function refused its arguments (Terraform's FunctionError).
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionError {
    /// The argument at fault (0-based), when there is one.
    pub argument: Option<usize>,
    pub message: String,
}

impl FunctionError {
    /// A failure of the call as a whole.
    pub fn new(message: impl Into<String>) -> FunctionError {
        FunctionError {
            argument: None,
            message: message.into(),
        }
    }

    /// A failure caused by the argument at `index` (0-based).
    pub fn argument(index: usize, message: impl Into<String>) -> FunctionError {
        FunctionError {
            argument: Some(index),
            message: message.into(),
        }
    }
}

impl fmt::Display for FunctionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.argument {
            Some(index) => write!(f, "argument {index}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for FunctionError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_variadic_parameter_takes_every_argument_after_the_fixed_ones() {
        let f = FunctionSignature::new(
            "joins",
            [FunctionParameter::new("sep", Type::String, "")],
            Type::String,
        );
        assert_eq!(f.parameter(0).map(|p| p.name.as_str()), Some("sep"));
        assert_eq!(f.parameter(1), None);
        let f = f.variadic(FunctionParameter::new("items", Type::String, "").allow_null());
        assert_eq!(f.parameter(3).map(|p| p.name.as_str()), Some("items"));
        assert!(f.parameter(3).is_some_and(|p| p.allow_null));
        assert!(f.parameter(0).is_some_and(|p| !p.allow_null));
    }

    #[test]
    fn errors_name_their_argument() {
        assert_eq!(FunctionError::new("bad").to_string(), "bad");
        assert_eq!(
            FunctionError::argument(1, "not a name").to_string(),
            "argument 1: not a name"
        );
    }
}
