//! Evaluating `check` blocks, while planning and again after apply: each assertion in each
//! instance of the check's module, a failure a warning (Terraform's "Check block assertion
//! failed"), the outcomes gathered for the plan's report.

use super::Run;
use crate::address::{ModuleInstance, ModulePath};
use crate::checks::{CheckInstance, CheckResult, CheckStatus};
use crate::conditions::{Verdict, evaluate};
use crate::locks::locked;
use crate::scope::InstanceContext;
use ggplan_sdk::{Diagnostic, Diagnostics};

impl Run {
    /// Evaluates the assertions of check `name` in every instance of its module. Failures
    /// are reported as warnings; an assertion that cannot be evaluated is an error, as any
    /// wrong expression is.
    pub fn eval_check(&self, path: &ModulePath, name: &str) -> Result<(), Diagnostics> {
        if self.options.destroy {
            return Ok(());
        }
        let check = self.config_at(path)?.checks.get(name).ok_or_else(|| {
            Diagnostics::from(Diagnostic::error(
                format!("check {name:?} is not declared"),
                "",
            ))
        })?;
        let mut diags = Diagnostics::new();
        // Inside the module, nothing is counted: the call's count.index is not in scope.
        let context = InstanceContext::default();
        for (module, _) in self.instances_of(path) {
            // A failed scoped data source failed the check already; as in Terraform, its
            // assertions are not evaluated (they would only repeat that failure).
            if locked(&self.checks).failed(&module, name) {
                continue;
            }
            let mut outcome = CheckInstance {
                status: CheckStatus::Pass,
                problems: Vec::new(),
            };
            for rule in &check.asserts {
                let verdict = self.evaluator_scope(&module, &context, |ev| {
                    evaluate(ev, &self.module.sources, rule)
                });
                match verdict {
                    Ok(Verdict::Holds) => {}
                    Ok(Verdict::NotYetKnown) => {
                        outcome.status = outcome.status.max(CheckStatus::Unknown)
                    }
                    Ok(Verdict::Fails(message)) => {
                        let at = self.module.range(&rule.condition);
                        diags.push(
                            Diagnostic::warning("Check block assertion failed", message.clone())
                                .at_range(Some(at)),
                        );
                        outcome.status = CheckStatus::Fail;
                        outcome.problems.push(message);
                    }
                    Err(d) => diags.extend(d),
                }
            }
            self.record_check(&module, name, outcome);
        }
        if diags.has_errors() {
            return Err(diags);
        }
        self.report(diags);
        Ok(())
    }

    /// Records a check's outcome in one module instance (its scoped data source's failure,
    /// or its assertions').
    pub fn record_check(&self, module: &ModuleInstance, name: &str, outcome: CheckInstance) {
        locked(&self.checks).record(module, name, outcome);
    }

    /// The checks' outcomes so far, leaving none: the plan's are taken with the plan, and
    /// the apply gathers its own.
    pub fn take_check_results(&self) -> Vec<CheckResult> {
        std::mem::take(&mut *locked(&self.checks)).into_vec()
    }
}
