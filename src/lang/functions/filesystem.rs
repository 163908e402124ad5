//! Filesystem functions. Relative paths are resolved against the context's `base_dir` (the
//! working directory, as in Terraform) after `~` expansion. Path text is handled with `/`
//! separators.

use super::args::Args;
use super::format::go_quote;
use super::{FunctionError, fail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ggplan_sdk::{Value, set_of};
use globset::GlobBuilder;
use std::path::{Path, PathBuf};

type Result = std::result::Result<Value, FunctionError>;

pub(super) fn abspath(args: Args) -> Result {
    let path = args.string(0)?;
    let joined = if path.starts_with('/') {
        path
    } else {
        let cwd = std::env::current_dir()
            .or_else(|e| fail(format!("cannot find the working directory: {e}")))?;
        format!("{}/{path}", cwd.display())
    };
    Ok(Value::String(clean(&joined)))
}

/// Go's `filepath.Clean`: no `.`, no `x/..`, no doubled or trailing slashes.
fn clean(path: &str) -> String {
    if path.is_empty() {
        return ".".to_string();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if rooted => {}
                _ => parts.push(".."),
            },
            p => parts.push(p),
        }
    }
    let body = parts.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".to_string(),
        (false, false) => body,
    }
}

pub(super) fn basename(args: Args) -> Result {
    let path = args.string(0)?;
    let trimmed = path.trim_end_matches('/');
    Ok(Value::string(if path.is_empty() {
        "."
    } else if trimmed.is_empty() {
        "/"
    } else {
        trimmed.rsplit('/').next().unwrap_or(trimmed)
    }))
}

pub(super) fn dirname(args: Args) -> Result {
    let path = args.string(0)?;
    let dir = match path.rfind('/') {
        Some(i) => clean(&path[..=i]),
        None => ".".to_string(),
    };
    Ok(Value::String(dir))
}

pub(super) fn pathexpand(args: Args) -> Result {
    expand_home(&args.string(0)?)
        .map(Value::String)
        .or_else(fail)
}

/// The path with a leading `~` replaced by the home directory.
fn expand_home(path: &str) -> std::result::Result<String, &'static str> {
    let rest = match path.strip_prefix('~') {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => rest,
        Some(_) => return Err("cannot expand user-specific home dir"),
        None => return Ok(path.to_string()),
    };
    std::env::var("HOME")
        .map(|home| format!("{home}{rest}"))
        .map_err(|_| "cannot find the home directory: HOME is not set")
}

/// The path argument at `index`, resolved against the base directory.
fn resolve(args: &Args, index: usize) -> std::result::Result<(String, PathBuf), FunctionError> {
    let given = args.string(index)?;
    let expanded = PathBuf::from(expand_home(&given).or_else(fail)?);
    let full = if expanded.is_absolute() {
        expanded
    } else {
        args.ctx.base_dir.join(expanded)
    };
    Ok((given, full))
}

fn read(args: &Args) -> std::result::Result<(String, Vec<u8>), FunctionError> {
    let (given, path) = resolve(args, 0)?;
    match std::fs::read(&path) {
        Ok(bytes) => Ok((given, bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(args.error(
            0,
            format!(
                "no file exists at {}; this function works only with files that are distributed as part of the configuration source code, so if this file will be created by a resource in this configuration you must instead obtain this result from an attribute of that resource",
                go_quote(&given)
            ),
        )),
        Err(_) if path.is_dir() => Err(args.error(
            0,
            format!("failed to read file: read {given}: is a directory"),
        )),
        Err(e) => Err(args.error(0, format!("failed to read file: {e}"))),
    }
}

pub(super) fn file(args: Args) -> Result {
    let (given, bytes) = read(&args)?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Value::String(text)),
        Err(_) => fail(format!(
            "contents of {} are not valid UTF-8; use the filebase64 function to obtain the Base64 encoded contents or the other file functions (e.g. filemd5, filesha256) to obtain file hashing results instead",
            go_quote(&given)
        )),
    }
}

pub(super) fn filebase64(args: Args) -> Result {
    let (_, bytes) = read(&args)?;
    Ok(Value::String(STANDARD.encode(bytes)))
}

pub(super) fn fileexists(args: Args) -> Result {
    let (given, path) = resolve(&args, 0)?;
    match std::fs::metadata(&path) {
        Ok(meta) if meta.is_file() => Ok(Value::Bool(true)),
        Ok(meta) if meta.is_dir() => {
            fail(format!("{} is a directory, not a file.", go_quote(&given)))
        }
        Ok(_) => fail(format!("{} is not a regular file.", go_quote(&given))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Value::Bool(false)),
        Err(e) => fail(format!("failed to stat {}: {e}", go_quote(&given))),
    }
}

pub(super) fn fileset(args: Args) -> Result {
    let (_, root) = resolve(&args, 0)?;
    let pattern = args.string(1)?;
    let glob = GlobBuilder::new(&pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .or_else(|_| {
            fail(format!(
                "failed to glob pattern {}: syntax error in pattern",
                go_quote(&pattern)
            ))
        })?
        .compile_matcher();
    let mut files = Vec::new();
    walk(&root, "", &mut files).or_else(|e| {
        fail(format!(
            "failed to glob pattern {}: {e}",
            go_quote(&pattern)
        ))
    })?;
    Ok(Value::List(set_of(
        files
            .into_iter()
            .filter(|f| glob.is_match(f))
            .map(Value::String)
            .collect(),
    )))
}

/// The regular files under `dir`, as `/`-separated paths relative to the walk's root.
fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = format!("{prefix}{name}");
        let meta = std::fs::metadata(entry.path())?;
        if meta.is_dir() {
            walk(&entry.path(), &format!("{rel}/"), out)?;
        } else if meta.is_file() {
            out.push(rel);
        }
    }
    Ok(())
}
