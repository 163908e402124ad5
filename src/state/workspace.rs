//! Workspace names, as Terraform has them: every backend keeps one state per workspace, and
//! `default` always exists. This is the one place that says what a valid name is and in which
//! order workspaces are listed; backends only map a valid name to where its state is stored
//! (the local backend: a directory; pg: a row; S3: a key prefix).

use std::fmt;

/// The workspace every stack has, whose state is the backend's own (the local backend's `path`,
/// pg's row `default`, S3's `key`).
pub const DEFAULT_WORKSPACE: &str = "default";

/// A valid workspace name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WorkspaceName(String);

/// Why a name cannot be a workspace's, in Terraform's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "The workspace name {0:?} is not allowed. The name must contain only URL safe characters, \
     contain no path separators, and not be an empty string."
)]
pub struct InvalidWorkspaceName(pub String);

impl WorkspaceName {
    /// `name` if Terraform accepts it: not empty, and unchanged by URL path escaping (Go's
    /// `url.PathEscape`), so it is safe as a directory name, a key part and a row name.
    pub fn parse(name: &str) -> Result<WorkspaceName, InvalidWorkspaceName> {
        if name.is_empty() || !name.bytes().all(path_safe) {
            return Err(InvalidWorkspaceName(name.to_string()));
        }
        Ok(WorkspaceName(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is [`DEFAULT_WORKSPACE`], whose state lives where the backend's own
    /// settings say rather than under a workspace's own name.
    pub fn is_default(&self) -> bool {
        self.0 == DEFAULT_WORKSPACE
    }
}

impl Default for WorkspaceName {
    fn default() -> Self {
        WorkspaceName(DEFAULT_WORKSPACE.to_string())
    }
}

impl fmt::Display for WorkspaceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The bytes Go's `url.PathEscape` leaves as they are: letters, digits, `-_.~` (unreserved)
/// and the reserved characters allowed in a path segment, `$&+:=@`. Everything else, `/` and
/// non-ASCII included, would be escaped, so it is refused.
fn path_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-_.~$&+:=@".contains(&b)
}

/// The workspaces a backend holds, as `workspace list` shows them: `default` first (it always
/// exists, even before its state is written), then the others in name order. Stored names
/// that are not valid workspace names (something else in the directory or table) are left
/// out, as are duplicates.
pub fn listing<'a>(stored: impl IntoIterator<Item = &'a str>) -> Vec<WorkspaceName> {
    let mut names: Vec<WorkspaceName> = stored
        .into_iter()
        .filter_map(|name| WorkspaceName::parse(name).ok())
        .filter(|name| !name.is_default())
        .collect();
    names.sort();
    names.dedup();
    names.insert(0, WorkspaceName::default());
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_those_url_path_escaping_leaves_alone() {
        for good in [
            "dev",
            "student-ab12",
            "a.b_c~d",
            "ok$&+:=@~.-_x",
            "DEFAULT",
            "0",
        ] {
            assert_eq!(WorkspaceName::parse(good).unwrap().as_str(), good);
        }
        for bad in [
            "", "a/b", "a b", "..\\x", "ü", "a?b", "a;b", "a,b", "a#b", "a%b", "a*",
        ] {
            let err = WorkspaceName::parse(bad).unwrap_err();
            assert!(
                err.to_string().contains("URL safe characters"),
                "{bad:?}: {err}"
            );
        }
        assert!(WorkspaceName::parse("default").unwrap().is_default());
        assert!(WorkspaceName::default().is_default());
        assert!(!WorkspaceName::parse("Default").unwrap().is_default());
    }

    #[test]
    fn listing_puts_default_first_then_sorts_and_skips_what_is_not_a_workspace() {
        let names = listing(["zeta", "default", "alpha", "not a name", "alpha"]);
        let names: Vec<&str> = names.iter().map(WorkspaceName::as_str).collect();
        assert_eq!(names, ["default", "alpha", "zeta"]);
        assert_eq!(listing([]), [WorkspaceName::default()]);
    }
}
