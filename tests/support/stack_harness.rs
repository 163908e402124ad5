//! Runs the engine the way the CLI does, on stack files written into a temporary directory and
//! with the recording `test` provider: load, evaluate variables, plan, apply.

// Several test binaries include this file; each uses a different part of it.
#![allow(dead_code)]

use super::recording::{Call, Recording};
use ggplan::apply::{ApplyOutcome, apply};
use ggplan::config::load_dir;
use ggplan::events::Discard;
use ggplan::lang::functions::{FunctionContext, working_dir};
use ggplan::plan::{PlannedRun, plan};
use ggplan::providers::Registry;
use ggplan::run::{Run, RunOptions};
use ggplan::state::{State, StateStore};
use ggplan::vars::{self, CliInput};
use ggplan_sdk::Diagnostics;
use std::path::PathBuf;
use std::sync::Arc;
use tempfile::TempDir;

/// A stack directory, its state file and the recording of the provider calls.
pub struct Harness {
    _dir: TempDir,
    stack: PathBuf,
    pub store: StateStore,
    pub recording: Arc<Recording>,
}

impl Harness {
    /// A harness whose stack is `main.tf` with this text.
    pub fn new(main_tf: &str) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let stack = dir.path().join("stack");
        std::fs::create_dir(&stack).unwrap();
        let store = StateStore::new(dir.path().join("state.json"));
        let harness = Harness {
            _dir: dir,
            stack,
            store,
            recording: Recording::new(),
        };
        harness.write(main_tf);
        harness
    }

    /// Replaces the stack's `main.tf`.
    pub fn write(&self, main_tf: &str) {
        std::fs::write(self.stack.join("main.tf"), main_tf).unwrap();
    }

    /// Writes another file of the stack (a module's files, say), creating its directories.
    pub fn write_file(&self, relative: &str, text: &str) {
        let path = self.stack.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// The state as stored.
    pub fn state(&self) -> State {
        self.store.load().unwrap()
    }

    /// Plans the stack against the stored state, with `-var` values `vars`.
    pub async fn plan(
        &self,
        vars: &[&str],
        options: RunOptions,
    ) -> Result<PlannedRun, Diagnostics> {
        let module = load_dir(&self.stack)?;
        let cli: Vec<CliInput> = vars.iter().map(|v| CliInput::Var(v.to_string())).collect();
        let inputs = vars::collect(&module, &[], &cli)?;
        let functions = FunctionContext {
            base_dir: working_dir(),
            plan_timestamp: "2026-01-01T00:00:00Z".into(),
            provider_functions: Default::default(),
        };
        let variables = vars::evaluate(&module, &inputs, &functions)?;
        let prior = self.state();
        let providers: Vec<ggplan::address::ProviderAddr> = prior
            .resources
            .values()
            .map(|r| r.provider.clone())
            .collect();
        let run = Run::new(
            Arc::new(module),
            Registry::new([self.recording.factory()]),
            variables,
            &providers,
            options,
            Arc::new(Discard),
        )?;
        plan(Arc::new(run), prior).await
    }

    /// Plans (which must succeed) and applies; returns the plan's changes, the outcome and
    /// the provider calls of the apply alone.
    pub async fn apply(&self, vars: &[&str], options: RunOptions) -> Applied {
        let planned = self
            .plan(vars, options)
            .await
            .unwrap_or_else(|d| panic!("plan failed:\n{d}"));
        let plan_calls = self.recording.take();
        let plan = planned.plan.clone();
        let outcome = apply(planned, &self.store).await;
        Applied {
            plan,
            plan_calls,
            outcome,
            calls: self.recording.take(),
        }
    }

    /// [`Harness::apply`] with default options, which must succeed.
    pub async fn apply_ok(&self, vars: &[&str]) -> Applied {
        let applied = self.apply(vars, RunOptions::default()).await;
        assert!(
            applied.outcome.succeeded(),
            "apply failed:\n{}",
            applied.outcome.diagnostics
        );
        applied
    }
}

/// What one plan and apply did.
pub struct Applied {
    pub plan: ggplan::plan::Plan,
    /// The provider calls made while planning.
    pub plan_calls: Vec<Call>,
    pub outcome: ApplyOutcome,
    /// The provider calls made while applying.
    pub calls: Vec<Call>,
}
