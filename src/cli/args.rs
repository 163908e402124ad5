//! Command-line arguments. GNU double-dash flags; Terraform's single-dash spellings
//! (`-auto-approve`, `-var=x=1`) are accepted by [`normalize`].

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Turns Terraform's single-dash long flags into double-dash ones, so `-auto-approve` and
/// `--auto-approve` mean the same. Short flags (`-h`) and everything after `--` are left alone.
pub fn normalize(args: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut rest_verbatim = false;
    args.into_iter()
        .enumerate()
        .map(|(i, arg)| {
            if i == 0 || rest_verbatim {
                return arg;
            }
            if arg == "--" {
                rest_verbatim = true;
                return arg;
            }
            let mut chars = arg.chars();
            let single_dash_long = chars.next() == Some('-')
                && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                && chars
                    .next()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '-' || c == '=');
            if single_dash_long {
                format!("-{arg}")
            } else {
                arg
            }
        })
        .collect()
}

#[derive(Debug, Parser)]
#[command(
    name = "ggplan",
    version,
    about = "A declarative plan/apply engine for the GourmetGram MLOps stack",
    long_about = "ggplan reads a stack (a directory of *.tf / *.hcl files), plans the changes that \
                  bring reality to it, and applies them in dependency order, keeping state in a \
                  JSON file. Terraform's single-dash flags (-auto-approve, -var=...) work too."
)]
pub struct Cli {
    /// Disable colours (also: the NO_COLOR environment variable).
    #[arg(long, global = true)]
    pub no_color: bool,
    /// Switch to this directory before doing anything else.
    #[arg(long, global = true, value_name = "DIR")]
    pub chdir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the stack's files for errors, without touching state or providers' services.
    Validate {
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Print one JSON document, as `terraform validate -json` does.
        #[arg(long)]
        json: bool,
    },
    /// Check that the stack is ready to plan (as `terraform init` prepares it): providers are
    /// built into ggplan and modules are local, so there is nothing to download.
    Init {
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Accepted for scripts: built-in providers are always the newest this ggplan has.
        #[arg(long)]
        upgrade: bool,
        /// Accepted for scripts: init never asks anything.
        #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
        input: bool,
        /// Refused: a backend is set by its block and the environment, on every command.
        #[arg(long = "backend-config", value_name = "KEY=VALUE|FILE")]
        backend_config: Vec<String>,
        /// Copy the local state (--state, or state/<stack-directory-name>.json) into the
        /// backend the stack's block configures.
        #[arg(long = "migrate-state")]
        migrate_state: bool,
        /// With -migrate-state: replace a state the backend already holds.
        #[arg(long = "force-copy")]
        force_copy: bool,
        /// With -migrate-state: the local state file to copy.
        #[arg(long, value_name = "PATH")]
        state: Option<PathBuf>,
        #[command(flatten)]
        lock: LockArgs,
    },
    /// Accept what changed outside ggplan into the state without asking (Terraform's
    /// `refresh`, the same as `apply --refresh-only --auto-approve`).
    Refresh {
        #[arg(default_value = ".")]
        dir: PathBuf,
        #[command(flatten)]
        run: RunArgs,
        /// Print progress as JSON lines.
        #[arg(long)]
        json: bool,
    },
    /// Mark an instance tainted: the next plan replaces it.
    Taint {
        addr: String,
        /// Succeed without doing anything when the instance is not in the state.
        #[arg(long)]
        allow_missing: bool,
        #[command(flatten)]
        state: EditArgs,
    },
    /// Remove the tainted mark from an instance.
    Untaint {
        addr: String,
        /// Succeed without doing anything when the instance is not in the state.
        #[arg(long)]
        allow_missing: bool,
        #[command(flatten)]
        state: EditArgs,
    },
    /// Show what apply would change.
    Plan(PlanCommand),
    /// Plan, ask for confirmation, and apply; or apply a saved plan file as it is.
    Apply(ApplyCommand),
    /// Report what changed outside ggplan since the last apply. Exit 0 when nothing drifted,
    /// 2 when something did, 1 on error.
    Drift {
        #[arg(default_value = ".")]
        dir: PathBuf,
        #[command(flatten)]
        run: RunArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Destroy everything the state holds for this stack.
    Destroy(DestroyCommand),
    /// Show the state (every resource instance and output), or a saved plan file.
    Show {
        /// A plan file saved by `ggplan plan --out`; without it, the state.
        file: Option<PathBuf>,
        #[command(flatten)]
        state: StateArgs,
        /// Print JSON in the shape of `terraform show -json` (same as --format json).
        #[arg(long)]
        json: bool,
        /// human, json or markdown (markdown only for a plan file).
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Show output values.
    Output {
        /// One output; its value is printed even when sensitive.
        name: Option<String>,
        #[command(flatten)]
        state: StateArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Print a string output without quotes.
        #[arg(long)]
        raw: bool,
    },
    /// Inspect or edit the state.
    State {
        #[command(subcommand)]
        command: StateCommand,
    },
    /// Manage workspaces: separate states of one stack, as Terraform's `terraform workspace`.
    Workspace {
        #[command(subcommand)]
        command: WorkspaceCommand,
    },
    /// Evaluate expressions read from standard input, one per line, against the stack and its
    /// state, printing each result as `terraform console` does.
    Console {
        #[arg(default_value = ".")]
        dir: PathBuf,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Print the resource graph as Graphviz DOT.
    Graph {
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Rewrite stack files in the canonical format.
    Fmt {
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Do not write; exit 3 if any file would change.
        #[arg(long)]
        check: bool,
        /// Print the changes as a diff.
        #[arg(long)]
        diff: bool,
        /// Also format subdirectories.
        #[arg(long)]
        recursive: bool,
    },
    /// Bring an existing object under management at ADDR.
    Import {
        /// The instance address, as declared in the stack (e.g. random_password.pg).
        addr: String,
        /// The provider's id of the object.
        id: String,
        /// The stack directory.
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        #[command(flatten)]
        run: RunArgs,
    },
    /// List the providers built into this ggplan and their resource types.
    Providers {
        /// Print every schema as JSON.
        #[arg(long)]
        json: bool,
        /// Print the reference page of one provider as Markdown.
        #[arg(long, value_name = "PROVIDER", conflicts_with = "json")]
        markdown: Option<String>,
    },
    /// Remove a lock left by a run that died.
    ForceUnlock {
        /// The lock id printed in the lock error.
        id: String,
        #[command(flatten)]
        state: StateArgs,
    },
    /// Print the version.
    Version {
        /// Print JSON, as `terraform version -json` does.
        #[arg(long)]
        json: bool,
    },
    /// Print a shell completion script: `source <(ggplan completion bash)`, or save it where
    /// the shell loads completions from.
    Completion {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
}

/// `ggplan plan`.
#[derive(Debug, Args)]
pub struct PlanCommand {
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub run: RunArgs,
    /// Plan to destroy everything in state.
    #[arg(long)]
    pub destroy: bool,
    /// Show only what changed outside ggplan, which `apply --refresh-only` would record
    /// (Terraform's `plan -refresh-only`).
    #[arg(long, conflicts_with_all = ["destroy", "out"])]
    pub refresh_only: bool,
    /// Exit 0 when there are no changes, 2 when there are, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Save the plan to FILE (JSON, mode 0600), for `ggplan apply FILE`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Write the configuration of what `import` blocks import into resources the stack does
    /// not declare to FILE, a new `.tf` file of the stack directory, and plan with it.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["destroy", "refresh_only"])]
    pub generate_config_out: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `ggplan apply`.
#[derive(Debug, Args)]
pub struct ApplyCommand {
    /// The stack directory, or a plan file saved by `ggplan plan --out`.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub run: RunArgs,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// Only accept what changed outside ggplan into the state; change no real object.
    #[arg(long, conflicts_with = "destroy")]
    pub refresh_only: bool,
    /// Destroy everything the state holds (as `ggplan destroy`).
    #[arg(long)]
    pub destroy: bool,
    /// Print progress as JSON lines (one object per line) on standard output.
    #[arg(long)]
    pub json: bool,
}

/// `ggplan destroy`.
#[derive(Debug, Args)]
pub struct DestroyCommand {
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub run: RunArgs,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// Print progress as JSON lines (one object per line) on standard output.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// List the instance addresses in state.
    List {
        /// Only addresses that start with these.
        filters: Vec<String>,
        #[command(flatten)]
        state: StateArgs,
    },
    /// Show one instance.
    Show {
        addr: String,
        #[command(flatten)]
        state: StateArgs,
    },
    /// Forget instances (the objects themselves are left alone).
    Rm {
        #[arg(required = true)]
        addrs: Vec<String>,
        #[command(flatten)]
        state: EditArgs,
    },
    /// Move an instance or a whole resource to a new address.
    Mv {
        source: String,
        destination: String,
        #[command(flatten)]
        state: EditArgs,
    },
    /// Print the whole state document on standard output.
    Pull {
        #[command(flatten)]
        state: StateArgs,
    },
    /// Replace the state by a ggplan state file (`-` reads standard input). Refused when it is
    /// another state (lineage) or older than the current one, unless --force.
    Push {
        file: PathBuf,
        /// Replace whatever the current state is (it is kept as <state>.backup).
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        state: EditArgs,
    },
    /// Bring a Terraform state (terraform.tfstate, format version 4) into this stack's ggplan
    /// state, so that ggplan manages what Terraform created. The Terraform file is only read.
    Migrate {
        /// Terraform's state file.
        file: PathBuf,
        /// Replace a ggplan state that already holds resources or outputs (its previous
        /// content is kept as <state>.backup).
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        state: EditArgs,
    },
}

/// `ggplan workspace ...`. Each works on the stack in `--stack DIR` (default: the current
/// directory, or `--chdir`), whose `.terraform/environment` remembers the selection.
#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    /// Create a workspace (an empty state, or a copy of --state PATH) and select it.
    New {
        name: String,
        /// A ggplan state file to copy into the new workspace.
        #[arg(long, value_name = "PATH")]
        state: Option<PathBuf>,
        #[command(flatten)]
        lock: LockArgs,
        #[arg(long, value_name = "DIR", default_value = ".")]
        stack: PathBuf,
    },
    /// Select a workspace.
    Select {
        name: String,
        /// Create the workspace when it does not exist.
        #[arg(long)]
        or_create: bool,
        #[arg(long, value_name = "DIR", default_value = ".")]
        stack: PathBuf,
    },
    /// List the workspaces; the selected one is marked with *.
    List {
        #[arg(long, value_name = "DIR", default_value = ".")]
        stack: PathBuf,
    },
    /// Print the selected workspace's name.
    Show {
        #[arg(long, value_name = "DIR", default_value = ".")]
        stack: PathBuf,
    },
    /// Delete a workspace and its state. Refused for the selected workspace, `default`, and a
    /// workspace whose state still tracks objects (unless --force).
    Delete {
        name: String,
        /// Delete even when the state still tracks objects (ggplan then forgets them; the
        /// objects themselves stay).
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        lock: LockArgs,
        #[arg(long, value_name = "DIR", default_value = ".")]
        stack: PathBuf,
    },
}

/// How a plan, a drift report or a state is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Text for people, as Terraform prints it.
    Human,
    /// One JSON document (see docs/json-format.md).
    Json,
    /// GitHub-flavoured Markdown for pull-request comments.
    Markdown,
}

/// Output options of `plan` and `drift`.
#[derive(Debug, Args, Clone)]
pub struct OutputArgs {
    /// human, json (one document, like `terraform show -json`) or markdown.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Print progress as JSON lines (one object per line) on standard output.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
}

impl OutputArgs {
    /// Whether the output is the plain human text.
    pub fn is_human(&self) -> bool {
        self.format == Format::Human && !self.json
    }
}

/// Where the state is.
#[derive(Debug, Args, Clone)]
pub struct StateArgs {
    /// The state file (default: state/<stack-directory-name>.json, or the stack's local backend).
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,
    /// The stack directory whose default state to use.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub stack: PathBuf,
}

/// The state a command edits, and how it takes its lock.
#[derive(Debug, Args, Clone)]
pub struct EditArgs {
    #[command(flatten)]
    pub state: StateArgs,
    #[command(flatten)]
    pub lock: LockArgs,
}

/// Terraform's `-lock` and `-lock-timeout`.
#[derive(Debug, Args, Clone)]
pub struct LockArgs {
    /// Lock the state while the command runs (--lock=false only when nothing else can write
    /// it at the same time).
    #[arg(long = "lock", default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub enabled: bool,
    /// Wait this long for a lock another run holds (a Go duration: 30s, 5m, 1m30s) instead of
    /// failing at once.
    #[arg(long = "lock-timeout", value_name = "DURATION", default_value = "0s", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
}

impl LockArgs {
    pub fn policy(&self) -> crate::state::LockPolicy {
        crate::state::LockPolicy {
            enabled: self.enabled,
            timeout: self.timeout,
        }
    }
}

/// A Go duration, as Terraform's flags take them; negative ones are refused.
fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let nanos = crate::lang::functions::parse_go_duration(text)?;
    u64::try_from(nanos)
        .map(std::time::Duration::from_nanos)
        .map_err(|_| format!("a duration to wait cannot be negative: {text:?}"))
}

/// Options shared by plan, apply, destroy and import.
#[derive(Debug, Args, Clone)]
pub struct RunArgs {
    /// The state file (default: state/<stack-directory-name>.json, or the stack's local backend).
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,
    /// Set a variable: NAME=VALUE (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Read variables from a .tfvars or .tfvars.json file (repeatable).
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
    /// At most this many provider operations at once.
    #[arg(long, default_value_t = 10)]
    pub parallelism: usize,
    /// Plan only these instances or resources and what they depend on (repeatable).
    #[arg(long = "target", value_name = "ADDR")]
    pub targets: Vec<String>,
    /// Replace this instance even if nothing changed (repeatable).
    #[arg(long = "replace", value_name = "ADDR")]
    pub replace: Vec<String>,
    /// Refresh state from the providers before planning (--refresh=false to skip).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub refresh: bool,
    #[command(flatten)]
    pub lock: LockArgs,
    /// Show each warning as its summary and where it is, not in full (Terraform's
    /// -compact-warnings); errors are always shown in full.
    #[arg(long)]
    pub compact_warnings: bool,
    /// Terraform's -input: --input=false never asks on the terminal for a required variable
    /// nothing sets (it is an error instead); apply still asks for confirmation unless
    /// --auto-approve, as Terraform's does.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub input: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_dash_flags_become_double_dash() {
        let args = normalize(
            [
                "ggplan",
                "apply",
                "-auto-approve",
                "-var=a=1",
                "-var",
                "b=-2",
                "-h",
                "--",
                "-x",
            ]
            .map(String::from),
        );
        assert_eq!(
            args,
            [
                "ggplan",
                "apply",
                "--auto-approve",
                "--var=a=1",
                "--var",
                "b=-2",
                "-h",
                "--",
                "-x"
            ]
        );
        let cli = Cli::try_parse_from(normalize(
            [
                "ggplan",
                "plan",
                "-refresh=false",
                "-detailed-exitcode",
                "-target=a.b",
            ]
            .map(String::from),
        ))
        .unwrap();
        match cli.command {
            Command::Plan(plan) => {
                assert!(!plan.run.refresh);
                assert!(plan.detailed_exitcode);
                assert_eq!(plan.run.targets, ["a.b"]);
            }
            other => panic!("{other:?}"),
        }
    }
}
