//! Input variables: a user's inputs (environment, `.tfvars` files, `-var-file`, `-var`) turned
//! into the values of `var.*`, the way Terraform 1.15 does it.
//!
//! Two steps: [`collect`] gathers the raw inputs with Terraform's precedence and reports what
//! cannot be read; [`evaluate`] gives every declared variable its value (input or default),
//! converted to its type, checked by its validation rules and marked sensitive where declared.
//! ggplan never prompts: a required variable without a value is an error that says how to set it.

mod collect;
mod evaluate;

pub use collect::{collect, is_variable_name};
pub use evaluate::{evaluate, evaluate_module_input};

use crate::config::{Expr, SourceMap};
use ggplan_sdk::{Diagnostic, Diagnostics, SourceRange, Value};
use hcl_edit::Span;
use hcl_edit::expr::Expression;
use hcl_edit::visit::{Visit, visit_expr};
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;

/// Where a raw input came from, for messages and precedence.
#[derive(Debug, Clone, PartialEq)]
pub enum InputSource {
    /// The variable's `default`.
    Default,
    /// An environment variable: `GGPLAN_VAR_name` or `TF_VAR_name` (the name it was read from).
    Environment(String),
    /// `terraform.tfvars`, `terraform.tfvars.json` or a `*.auto.tfvars[.json]` of the stack.
    AutoFile(PathBuf),
    /// A `-var-file` of the command line.
    VarFile(PathBuf),
    /// A `-var` of the command line.
    Cli,
}

/// One command-line input, in the order given.
#[derive(Debug, Clone, PartialEq)]
pub enum CliInput {
    /// `-var 'name=value'`.
    Var(String),
    /// `-var-file path`.
    VarFile(PathBuf),
}

/// A raw input before it is converted to its variable's type.
#[derive(Debug, Clone)]
pub enum RawValue {
    /// Text taken literally as a string (`-var` and environment values of variables whose type
    /// is a primitive or not declared).
    Literal(String),
    /// A constant expression (from a `.tfvars` file, or `-var`/environment text of a variable
    /// of a complex type), in [`RawInputs::sources`].
    Expr(Expr),
    /// A value read from a `.tfvars.json` file.
    Value(Value),
}

/// A raw input and where it came from.
#[derive(Debug, Clone)]
pub struct RawInput {
    pub value: RawValue,
    pub source: InputSource,
    /// Where in a file the value is written (files only), in [`RawInputs::sources`].
    pub range: Option<SourceRange>,
}

/// The inputs of one run, each variable's winning input only.
#[derive(Debug, Default)]
pub struct RawInputs {
    inputs: BTreeMap<String, RawInput>,
    sources: SourceMap,
    warnings: Diagnostics,
}

impl RawInputs {
    /// The winning input of a variable, if it has one.
    pub fn get(&self, name: &str) -> Option<&RawInput> {
        self.inputs.get(name)
    }

    /// The variables files and command-line values read, so diagnostics that point into them
    /// can be shown with a snippet.
    pub fn sources(&self) -> &SourceMap {
        &self.sources
    }

    /// Warnings found while collecting (values for undeclared variables in files).
    pub fn warnings(&self) -> &Diagnostics {
        &self.warnings
    }
}

/// One "Function calls not allowed" error for each function call in `expr`: input values and
/// defaults are constants, as in Terraform.
fn function_calls(sources: &SourceMap, expr: &Expr) -> Diagnostics {
    struct Calls(Vec<Range<usize>>);
    impl Visit for Calls {
        fn visit_expr(&mut self, e: &Expression) {
            if let Expression::FuncCall(_) = e {
                self.0.push(e.span().unwrap_or(0..0));
            }
            visit_expr(self, e);
        }
    }
    let mut calls = Calls(Vec::new());
    calls.visit_expr(&expr.expr);
    Diagnostics(
        calls
            .0
            .into_iter()
            .map(|span| {
                Diagnostic::error(
                    "Function calls not allowed",
                    "Functions may not be called here.",
                )
                .at_range(Some(sources.range(expr.file, span)))
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Module, load_dir};
    use crate::lang::functions::FunctionContext;
    use ggplan_sdk::{Number, Severity};
    use std::path::Path;
    use tempfile::TempDir;

    /// A stack directory with these files (stack files and variables files alike).
    fn stack(files: &[(&str, &str)]) -> (TempDir, Module) {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let module = load_dir(dir.path()).unwrap();
        (dir, module)
    }

    fn functions() -> FunctionContext {
        FunctionContext {
            base_dir: PathBuf::from("."),
            plan_timestamp: String::new(),
            provider_functions: Default::default(),
        }
    }

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn vars(args: &[&str]) -> Vec<CliInput> {
        args.iter().map(|a| CliInput::Var(a.to_string())).collect()
    }

    /// The variables' values, or every diagnostic of collecting and evaluating.
    fn run(
        module: &Module,
        env: &[(String, String)],
        cli: &[CliInput],
    ) -> Result<BTreeMap<String, Value>, Diagnostics> {
        let inputs = collect(module, env, cli)?;
        evaluate(module, &inputs, &functions())
    }

    fn errors(result: Result<BTreeMap<String, Value>, Diagnostics>) -> Vec<Diagnostic> {
        let diags = result.expect_err("expected errors");
        assert!(diags.has_errors());
        diags.0
    }

    fn line_of(d: &Diagnostic) -> (String, usize) {
        let range = d.range.as_ref().expect("a range");
        let file = Path::new(&range.file).file_name().unwrap();
        (file.to_string_lossy().into_owned(), range.start.line)
    }

    #[test]
    fn later_sources_win_in_terraforms_order() {
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
        let decls: String = names
            .iter()
            .map(|n| format!("variable \"{n}\" {{ type = string }}\n"))
            .collect();
        let (dir, module) = stack(&[
            ("main.tf", &decls),
            ("terraform.tfvars", "c = \"tfvars\"\nd = \"tfvars\"\n"),
            ("terraform.tfvars.json", r#"{"d": "json", "e": "json"}"#),
            ("a.auto.tfvars", "e = \"a_auto\"\nf = \"a_auto\"\n"),
            ("b.auto.tfvars.json", r#"{"f": "b_auto", "g": "b_auto"}"#),
            (
                "extra.tfvars",
                "g = \"var_file\"\nh = \"var_file\"\ni = \"var_file\"\n",
            ),
        ]);
        // ggplan's spelling wins over Terraform's whatever the order of the environment.
        let env = env(&[
            ("GGPLAN_VAR_b", "ggplan"),
            ("TF_VAR_a", "tf"),
            ("TF_VAR_b", "tf"),
            ("TF_VAR_c", "tf"),
        ]);
        let cli = vec![
            CliInput::Var("i=cli".into()),
            CliInput::VarFile(dir.path().join("extra.tfvars")),
            CliInput::Var("h=cli".into()),
        ];
        let values = run(&module, &env, &cli).unwrap();
        let got: Vec<&str> = names.iter().map(|n| values[*n].as_str().unwrap()).collect();
        assert_eq!(
            got,
            [
                "tf", "ggplan", "tfvars", "json", "a_auto", "b_auto", "var_file", "cli", "var_file"
            ]
        );
        let inputs = collect(&module, &env, &cli).unwrap();
        assert_eq!(
            inputs.get("b").unwrap().source,
            InputSource::Environment("GGPLAN_VAR_b".into())
        );
        assert!(
            matches!(inputs.get("f").unwrap().source, InputSource::AutoFile(ref p) if p.ends_with("b.auto.tfvars.json"))
        );
        assert!(matches!(
            inputs.get("g").unwrap().source,
            InputSource::VarFile(_)
        ));
        assert_eq!(inputs.get("h").unwrap().source, InputSource::Cli);
    }

    #[test]
    fn complex_types_parse_cli_and_environment_text_as_expressions() {
        let (_dir, module) = stack(&[(
            "main.tf",
            "variable \"nodes\" { type = map(string) }\n\
             variable \"ports\" { type = list(number) }\n\
             variable \"anything\" { type = any }\n\
             variable \"untyped\" {}\n\
             variable \"count\" { type = number }\n",
        )]);
        let values = run(
            &module,
            &env(&[("GGPLAN_VAR_ports", "[22, \"80\"]")]),
            &vars(&[
                r#"nodes={node1="192.168.1.11"}"#,
                "anything={x=1}",
                "untyped={x=1}",
                "count=3",
            ]),
        )
        .unwrap();
        assert_eq!(
            values["nodes"],
            Value::object([("node1", Value::string("192.168.1.11"))])
        );
        assert_eq!(
            values["ports"],
            Value::List(vec![Value::int(22), Value::int(80)])
        );
        // `any` parses the text; no type at all takes it literally, as Terraform does.
        assert_eq!(values["anything"], Value::object([("x", Value::int(1))]));
        assert_eq!(values["untyped"], Value::string("{x=1}"));
        assert_eq!(values["count"], Value::Number(Number::Int(3)));
    }

    #[test]
    fn primitive_types_take_cli_text_literally() {
        let (_dir, module) = stack(&[(
            "main.tf",
            "variable \"s\" { type = string }\nvariable \"b\" { type = bool }\n",
        )]);
        let values = run(&module, &[], &vars(&["s=null", "b=true"])).unwrap();
        assert_eq!(values["s"], Value::string("null"));
        assert_eq!(values["b"], Value::Bool(true));
    }

    #[test]
    fn syntax_errors_in_cli_values_point_into_the_value() {
        let (_dir, module) = stack(&[("main.tf", "variable \"m\" { type = map(string) }\n")]);
        let errs = errors(collect(&module, &[], &vars(&["m={k="])).map(|_| BTreeMap::new()));
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].summary, "Invalid expression");
        assert_eq!(errs[0].range.as_ref().unwrap().file, "<value for var.m>");
    }

    #[test]
    fn number_conversion_errors_name_the_variable_and_the_source() {
        let (_dir, module) = stack(&[
            (
                "main.tf",
                "variable \"n\" { type = number }\nvariable \"e\" { type = number }\n\
                 variable \"c\" { type = map(string) }\n",
            ),
            ("terraform.tfvars", "\nn = \"abc\"\n"),
        ]);
        let errs = errors(run(
            &module,
            &env(&[("TF_VAR_e", "12x")]),
            &vars(&["c=[1]"]),
        ));
        assert_eq!(errs.len(), 3, "{errs:?}");
        let by_var = |v: &str| {
            errs.iter()
                .find(|d| d.detail.contains(&format!("var.{v} ")))
                .unwrap()
        };
        let c = by_var("c");
        assert_eq!(
            c.detail,
            "Unsuitable value for var.c set using -var=\"c=...\": map(string) required, but got \
             list."
        );
        assert_eq!(line_of(c), ("main.tf".into(), 3));
        let e = by_var("e");
        assert!(e.detail.contains("set using the TF_VAR_e environment variable: a number is required, but \"12x\" is not one."), "{}", e.detail);
        let n = by_var("n");
        assert_eq!(n.summary, "Invalid value for input variable");
        assert!(n.detail.contains("declared at "), "{}", n.detail);
        assert_eq!(line_of(n), ("terraform.tfvars".into(), 2));
    }

    #[test]
    fn undeclared_values_warn_from_files_fail_from_cli_and_are_ignored_from_env() {
        let (_dir, module) = stack(&[
            ("main.tf", "variable \"region\" { default = \"a\" }\n"),
            ("terraform.tfvars", "region = \"b\"\nextra = 1\n"),
        ]);
        let inputs = collect(&module, &env(&[("TF_VAR_other", "x")]), &[]).unwrap();
        let warnings = &inputs.warnings().0;
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].severity, Severity::Warning);
        assert_eq!(warnings[0].summary, "Value for undeclared variable");
        assert!(warnings[0].detail.contains("\"extra\""));
        assert_eq!(line_of(&warnings[0]), ("terraform.tfvars".into(), 2));
        let values = evaluate(&module, &inputs, &functions()).unwrap();
        assert_eq!(values["region"], Value::string("b"));

        let errs = errors(run(&module, &[], &vars(&["regoin=c"])));
        // The file's warning travels with the error.
        assert_eq!(errs.len(), 2);
        let err = errs.iter().find(|d| d.severity == Severity::Error).unwrap();
        assert_eq!(err.summary, "Value for undeclared variable");
        assert!(
            err.detail.contains("Did you mean \"region\"?"),
            "{}",
            err.detail
        );
    }

    #[test]
    fn a_var_without_equals_sign_is_an_error_with_the_expected_form() {
        let (_dir, module) = stack(&[("main.tf", "variable \"a\" {}\n")]);
        let errs = errors(run(&module, &[], &vars(&["a"])));
        assert_eq!(errs[0].summary, "Invalid -var option");
        assert!(errs[0].detail.contains("like -var=\"key=value\""));
    }

    #[test]
    fn a_missing_var_file_is_an_error() {
        let (dir, module) = stack(&[("main.tf", "variable \"a\" { default = 1 }\n")]);
        let cli = [CliInput::VarFile(dir.path().join("nope.tfvars"))];
        let errs = errors(run(&module, &[], &cli));
        assert_eq!(errs[0].summary, "Failed to read variables file");
        assert!(errs[0].detail.ends_with("nope.tfvars does not exist."));
    }

    #[test]
    fn every_missing_required_variable_is_named_with_how_to_set_it() {
        let (_dir, module) = stack(&[(
            "main.tf",
            "variable \"key\" {}\nvariable \"region\" { type = string }\nvariable \"ok\" { default = 1 }\n",
        )]);
        let errs = errors(run(&module, &[], &[]));
        assert_eq!(errs.len(), 2);
        assert_eq!(errs[0].summary, "No value for required variable");
        assert!(errs[0].detail.contains("\"key\""));
        assert!(errs[0].detail.contains("-var 'key=...'"));
        assert!(errs[0].detail.contains("GGPLAN_VAR_key"));
        assert_eq!(line_of(&errs[1]), ("main.tf".into(), 2));
    }

    #[test]
    fn null_follows_nullable() {
        let (_dir, module) = stack(&[
            (
                "main.tf",
                "variable \"plain\" {\n  default = \"d\"\n}\n\
                 variable \"fallback\" {\n  nullable = false\n  default = \"d\"\n}\n\
                 variable \"required\" {\n  type = string\n  nullable = false\n}\n",
            ),
            ("terraform.tfvars", "plain = null\nfallback = null\n"),
        ]);
        let inputs = collect(&module, &[], &vars(&["required=x"])).unwrap();
        let values = evaluate(&module, &inputs, &functions()).unwrap();
        assert_eq!(values["plain"], Value::Null);
        assert_eq!(values["fallback"], Value::string("d"));

        let (_dir, module) = stack(&[
            (
                "main.tf",
                "variable \"required\" {\n  nullable = false\n}\n",
            ),
            ("terraform.tfvars", "required = null\n"),
        ]);
        let errs = errors(run(&module, &[], &[]));
        assert_eq!(errs[0].summary, "Required variable not set");
        assert!(
            errs[0]
                .detail
                .ends_with("required variable may not be set to null.")
        );
        assert_eq!(line_of(&errs[0]), ("terraform.tfvars".into(), 1));
    }

    #[test]
    fn defaults_must_be_constants_of_the_type() {
        let (_dir, module) = stack(&[(
            "main.tf",
            "variable \"n\" {\n  type = number\n  default = \"x\"\n}\n\
             variable \"f\" {\n  default = [upper(\"x\")]\n}\n\
             variable \"z\" {\n  nullable = false\n  default = null\n}\n",
        )]);
        let errs = errors(run(&module, &[], &vars(&["n=1"])));
        let summaries: Vec<(&str, usize)> = errs
            .iter()
            .map(|d| (d.summary.as_str(), d.range.as_ref().unwrap().start.line))
            .collect();
        assert_eq!(
            summaries,
            [
                ("Function calls not allowed", 6),
                ("Invalid default value for variable", 3),
                ("Invalid default value for variable", 10),
            ]
        );
        assert!(errs[1].detail.contains("a number is required"));
    }

    #[test]
    fn inputs_must_be_constants() {
        let (_dir, module) = stack(&[
            ("main.tf", "variable \"a\" {}\nvariable \"b\" {}\n"),
            ("terraform.tfvars", "a = max(1, 2)\nb = var.a\n"),
        ]);
        let errs = errors(collect(&module, &[], &[]).map(|_| BTreeMap::new()));
        assert_eq!(errs[0].summary, "Function calls not allowed");
        assert_eq!(line_of(&errs[0]), ("terraform.tfvars".into(), 1));
        let errs = errors(run(&module, &[], &[]));
        assert_eq!(errs.len(), 1, "a failed file yields no values: {errs:?}");

        let (_dir, module) = stack(&[
            ("main.tf", "variable \"b\" {}\n"),
            ("terraform.tfvars", "b = var.a\n"),
        ]);
        let errs = errors(run(&module, &[], &[]));
        assert_eq!(errs[0].summary, "Invalid reference");
        assert_eq!(line_of(&errs[0]), ("terraform.tfvars".into(), 1));
    }

    #[test]
    fn failing_validation_reports_its_message_where_the_value_was_set() {
        let (_dir, module) = stack(&[
            (
                "main.tf",
                "variable \"name\" {\n  type = string\n  validation {\n    condition = length(var.name) > 3\n    error_message = \"name must be longer than 3, got ${var.name}.\"\n  }\n}\n\
                 variable \"min\" {\n  type = number\n  default = 10\n}\n\
                 variable \"size\" {\n  type = number\n  default = 5\n  validation {\n    condition = var.size >= var.min\n    error_message = \"size must be at least min.\"\n  }\n}\n",
            ),
            ("terraform.tfvars", "\n\nname = \"x\"\n"),
        ]);
        let errs = errors(run(&module, &[], &[]));
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert_eq!(errs[0].summary, "Invalid value for variable");
        assert!(
            errs[0].detail.starts_with(
                "name must be longer than 3, got x.\n\nThis was checked by the validation rule at "
            ),
            "{}",
            errs[0].detail
        );
        assert!(
            errs[0].detail.ends_with("main.tf:4:17."),
            "{}",
            errs[0].detail
        );
        assert_eq!(line_of(&errs[0]), ("terraform.tfvars".into(), 3));
        // A rule may refer to other variables; a value from a default points at the block.
        assert_eq!(
            errs[1].detail.lines().next(),
            Some("size must be at least min.")
        );
        assert_eq!(line_of(&errs[1]), ("main.tf".into(), 12));

        let values = run(&module, &[], &vars(&["name=long enough", "size=10"])).unwrap();
        assert_eq!(values["name"], Value::string("long enough"));
    }

    #[test]
    fn sensitive_variables_are_marked_and_not_shown_in_messages() {
        let (_dir, module) = stack(&[(
            "main.tf",
            "variable \"token\" {\n  sensitive = true\n  default = \"t\"\n}\n\
             variable \"secret\" {\n  type = string\n  sensitive = true\n  validation {\n    condition = var.secret != \"bad\"\n    error_message = \"not ${var.secret}\"\n  }\n}\n",
        )]);
        let values = run(&module, &[], &vars(&["secret=good"])).unwrap();
        assert_eq!(values["token"], Value::string("t").into_sensitive());
        assert_eq!(values["secret"], Value::string("good").into_sensitive());

        let errs = errors(run(&module, &[], &vars(&["secret=bad"])));
        assert!(
            errs[0]
                .detail
                .starts_with("The error message included a sensitive value")
        );
        assert!(!errs[0].detail.contains("bad"));
    }

    #[test]
    fn tfvars_json_values_convert_to_their_types() {
        let (dir, module) = stack(&[
            (
                "main.tf",
                "variable \"nodes\" { type = map(object({ ip = string, port = number })) }\n\
                 variable \"tags\" { type = set(string) }\n",
            ),
            (
                "prod.tfvars.json",
                "{\n  \"nodes\": {\"n1\": {\"ip\": \"10.0.0.1\", \"port\": \"22\"}},\n  \"tags\": [\"b\", \"a\", \"b\"]\n}\n",
            ),
        ]);
        let cli = [CliInput::VarFile(dir.path().join("prod.tfvars.json"))];
        let values = run(&module, &[], &cli).unwrap();
        assert_eq!(
            values["nodes"],
            Value::object([(
                "n1",
                Value::object([("ip", Value::string("10.0.0.1")), ("port", Value::int(22))])
            )])
        );
        assert_eq!(
            values["tags"],
            Value::List(vec![Value::string("a"), Value::string("b")])
        );
        let inputs = collect(&module, &[], &cli).unwrap();
        let range = inputs.get("tags").unwrap().range.as_ref().unwrap();
        assert_eq!(range.start.line, 3);
        assert!(inputs.sources().text_of(&range.file).is_some());
    }

    #[test]
    fn invalid_json_is_reported_at_its_position() {
        let (dir, module) = stack(&[
            ("main.tf", "variable \"a\" {}\n"),
            ("x.tfvars.json", "{\n  \"a\": [1,\n}\n"),
        ]);
        let cli = [CliInput::VarFile(dir.path().join("x.tfvars.json"))];
        let errs = errors(run(&module, &[], &cli));
        assert_eq!(errs[0].summary, "Invalid JSON in variables file");
        assert_eq!(line_of(&errs[0]), ("x.tfvars.json".into(), 3));
    }
}
