//! Asking on the terminal for the root variables nothing set, as Terraform does: each in
//! name order, with its description, read as a `-var` value would be. A sensitive variable's
//! answer is not echoed. Never without a terminal on standard input, with `-input=false`, or
//! with `--json` (a missing variable is then an error, as it always was).

use super::ui::Ui;
use crate::config::Module;
use crate::vars::{CliInput, RawInputs};
use std::io::{BufRead, IsTerminal};

/// `-var` inputs for the variables without a value or a default, answered on the terminal;
/// none when `allowed` is false or standard input is not a terminal. `None` when reading the
/// terminal failed (said).
pub fn missing_variables(
    ui: &Ui,
    module: &Module,
    inputs: &RawInputs,
    allowed: bool,
) -> Option<Vec<CliInput>> {
    if !allowed || !std::io::stdin().is_terminal() {
        return Some(Vec::new());
    }
    let mut answers = Vec::new();
    // The module's variables are kept by name, the order Terraform asks in.
    for var in module.variables.values() {
        if var.default.is_some() || inputs.get(&var.name).is_some() {
            continue;
        }
        let mut question = format!("var.{}\n", var.name);
        if !var.description.is_empty() {
            question.push_str(&format!("  {}\n", var.description));
        }
        question.push_str("\n  Enter a value: ");
        ui.out(&question);
        let answer = if var.sensitive {
            rpassword::read_password()
        } else {
            read_line()
        };
        match answer {
            Ok(value) => answers.push(CliInput::Var(format!("{}={value}", var.name))),
            Err(e) => {
                ui.error("Cannot read the value", format!("var.{}: {e}", var.name));
                return None;
            }
        }
        ui.out("\n");
    }
    Some(answers)
}

/// One line of standard input, without its line ending.
fn read_line() -> std::io::Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}
