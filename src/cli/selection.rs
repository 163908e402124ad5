//! Which workspace a command works in, chosen as Terraform chooses it: the `TF_WORKSPACE`
//! environment variable (or ggplan's spelling `GGPLAN_WORKSPACE`, which wins, as
//! `GGPLAN_LOG` wins over `TF_LOG`), else the name `workspace select` and `workspace new`
//! wrote into the stack directory's `.terraform/environment` (Terraform's data directory, which
//! `TF_DATA_DIR` moves, relative to the stack directory), else `default`.

use crate::state::WorkspaceName;
use std::path::{Path, PathBuf};

/// The variables that override the selection, in the order they are read.
const VARIABLES: [&str; 2] = ["GGPLAN_WORKSPACE", "TF_WORKSPACE"];

/// The selected workspace and what selected it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected {
    pub name: WorkspaceName,
    pub source: Source,
}

/// What selected a workspace, to say in messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// An environment variable (`TF_WORKSPACE`, `GGPLAN_WORKSPACE`).
    Variable(&'static str),
    /// The stack's `.terraform/environment`.
    File(PathBuf),
    /// Nothing: `default`.
    Default,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Variable(name) => write!(f, "the {name} environment variable"),
            Source::File(path) => write!(
                f,
                "{} (written by `ggplan workspace select`)",
                path.display()
            ),
            Source::Default => f.write_str("no selection (the default)"),
        }
    }
}

/// The file that remembers the selected workspace of the stack in `stack_dir`.
pub fn environment_file(stack_dir: &Path) -> PathBuf {
    let data_dir = std::env::var_os("TF_DATA_DIR")
        .filter(|d| !d.is_empty())
        .map_or_else(|| PathBuf::from(".terraform"), PathBuf::from);
    stack_dir.join(data_dir).join("environment")
}

/// The environment variable that overrides the selection, and its value, if one is set (an
/// empty one is unset, as Terraform takes it).
pub fn overriding_variable() -> Option<(&'static str, String)> {
    VARIABLES.iter().find_map(|name| {
        std::env::var(name)
            .ok()
            .filter(|v| !v.is_empty())
            .map(|v| (*name, v))
    })
}

/// The workspace selected for the stack in `stack_dir`. A name that is not a valid workspace
/// name is an error that says where it came from.
pub fn selected(stack_dir: &Path) -> Result<Selected, String> {
    let (text, source) = match overriding_variable() {
        Some((variable, value)) => (value, Source::Variable(variable)),
        None => {
            let file = environment_file(stack_dir);
            match std::fs::read_to_string(&file) {
                Ok(text) => (text.trim().to_string(), Source::File(file)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Ok(Selected {
                        name: WorkspaceName::default(),
                        source: Source::Default,
                    });
                }
                Err(e) => return Err(format!("Cannot read {}: {e}", file.display())),
            }
        }
    };
    match WorkspaceName::parse(&text) {
        Ok(name) => Ok(Selected { name, source }),
        Err(e) => Err(format!("{e} It was set by {source}.")),
    }
}

/// Records `name` as the selected workspace of the stack in `stack_dir`, replacing the file
/// atomically (a reader sees the old name or the new one).
pub fn select(stack_dir: &Path, name: &WorkspaceName) -> Result<(), String> {
    let file = environment_file(stack_dir);
    let written = (|| {
        let dir = file.parent().expect("the file is in the data directory");
        std::fs::create_dir_all(dir)?;
        let staged = dir.join("environment.tmp");
        std::fs::write(&staged, name.as_str())?;
        std::fs::rename(&staged, &file)
    })();
    written.map_err(|e| format!("Cannot write {}: {e}", file.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_selects_and_a_bad_name_in_it_is_an_error_naming_it() {
        if overriding_variable().is_some() {
            return; // The environment decides in this process; the CLI tests cover it.
        }
        let dir = tempfile::tempdir().unwrap();
        let stack = dir.path();
        assert_eq!(selected(stack).unwrap().source, Source::Default);
        let dev = WorkspaceName::parse("dev").unwrap();
        select(stack, &dev).unwrap();
        assert_eq!(
            std::fs::read_to_string(environment_file(stack)).unwrap(),
            "dev"
        );
        let found = selected(stack).unwrap();
        assert_eq!(found.name, dev);
        assert_eq!(found.source, Source::File(environment_file(stack)));
        std::fs::write(environment_file(stack), "dev\n").unwrap();
        assert_eq!(selected(stack).unwrap().name, dev);
        std::fs::write(environment_file(stack), "a/b").unwrap();
        let err = selected(stack).unwrap_err();
        assert!(
            err.contains("\"a/b\" is not allowed") && err.contains(".terraform/environment"),
            "{err}"
        );
    }
}
