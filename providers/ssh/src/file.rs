//! `ssh_file`: a file on a host (resource and data source).
//!
//! Writes go through a temporary file in the target directory and a rename, so a reader never
//! sees half a file; missing directories are created. Refresh compares the SHA-256 of the file
//! on the host with the one in state and fetches the content only when it differs and the file
//! is at most [`CONTENT_BOUND`] bytes: a larger file that changed shows as a `sha256` change.
//! An edited file (content, mode, owner or group) is drift, planned as an update; a deleted one
//! is planned as a create.

use crate::pool::Pool;
use crate::remote::{self, Remote, SCRIPT_LIMIT, quote};
use crate::{FILE, Ssh, hex_sha256};
use async_trait::async_trait;
use ggplan_sdk::typed::{DataSourceType, Partial, ResourceType};
use ggplan_sdk::{AttrPath, Attribute, Diagnostic, Diagnostics, PlanRequest, Schema, Type, Value};

/// Files up to this size are fetched on drift so the plan can show the new content.
pub const CONTENT_BOUND: u64 = 256 * 1024;

/// The largest file the data source reads.
const DATA_LIMIT: u64 = 16 * 1024 * 1024;

/// The write script's exit code when `validate` refused the new content.
const VALIDATE_REFUSED: u32 = 86;

pub fn resource_schema() -> Schema {
    let attributes = [
        (
            "path",
            Attribute::required(Type::String)
                .force_new()
                .describe("The absolute path of the file on the host."),
        ),
        (
            "content",
            Attribute::required(Type::String).describe("The content of the file, as text."),
        ),
        (
            "mode",
            Attribute::optional(Type::String)
                .default(Value::string("0644"))
                .describe("The file's permissions, as 3 or 4 octal digits."),
        ),
        (
            "owner",
            Attribute::optional_computed(Type::String)
                .describe("The owning user's name; left as the writer makes it when unset."),
        ),
        (
            "group",
            Attribute::optional_computed(Type::String)
                .describe("The owning group's name; left as the writer makes it when unset."),
        ),
        (
            "validate",
            Attribute::optional(Type::String).describe(
                "A command that checks the new content before it replaces the file, %s \
                 standing for the new file's path (Ansible's validate, e.g. \"visudo -cf %s\"); \
                 when it fails, the file stays as it was.",
            ),
        ),
        (
            "sha256",
            Attribute::computed(Type::String)
                .describe("The SHA-256 of the content, in hexadecimal."),
        ),
        (
            "id",
            Attribute::computed(Type::String).describe("`host:path`."),
        ),
        remote::host_key_attribute(),
    ];
    Schema::new(
        "A file on a host reached over SSH.",
        remote::access_attributes().into_iter().chain(attributes),
    )
}

pub fn data_schema() -> Schema {
    let computed = |text: &str| Attribute::computed(Type::String).describe(text);
    let attributes = [
        (
            "path",
            Attribute::required(Type::String).describe("The absolute path of the file."),
        ),
        (
            "content",
            computed("The content, as text (invalid UTF-8 replaced by U+FFFD)."),
        ),
        (
            "sha256",
            computed("The SHA-256 of the content, in hexadecimal."),
        ),
        (
            "mode",
            computed("The file's permissions, as 4 octal digits."),
        ),
        ("owner", computed("The owning user's name.")),
        ("group", computed("The owning group's name.")),
        (
            "size",
            Attribute::computed(Type::Number).describe("The size in bytes."),
        ),
    ];
    Schema::new(
        "Reads a file on a host reached over SSH (at most 16 MiB).",
        remote::access_attributes().into_iter().chain(attributes),
    )
}

/// A mode attribute as a number: `Ok(None)` while null or unknown.
fn mode(value: &Value) -> Result<Option<u32>, Diagnostics> {
    let Some(text) = value.get("mode").as_str() else {
        return Ok(None);
    };
    Some(text)
        .filter(|t| (3..=4).contains(&t.len()))
        .and_then(|t| u32::from_str_radix(t, 8).ok())
        .map(Some)
        .ok_or_else(|| {
            Diagnostic::error(
                format!("Invalid mode {text:?}"),
                "mode is 3 or 4 octal digits, such as \"0644\" or \"600\".",
            )
            .at_attribute(AttrPath::attr("mode"))
            .into()
        })
}

/// A path attribute, checked absolute: `Ok(None)` while unknown.
fn path(value: &Value) -> Result<Option<&str>, Diagnostics> {
    match value.get("path").as_str() {
        Some(p) if !p.starts_with('/') => Err(Diagnostic::error(
            format!("path {p:?} is not absolute"),
            "Write the full path on the host, e.g. \"/etc/docker/daemon.json\".",
        )
        .at_attribute(AttrPath::attr("path"))
        .into()),
        other => Ok(other),
    }
}

/// Checks a configuration of the resource or the data source.
pub fn validate(config: &Value) -> Diagnostics {
    let mut diagnostics = remote::check_access(config);
    if let Some(command) = config.get("validate").as_str()
        && !command.contains("%s")
    {
        diagnostics.push(
            Diagnostic::error(
                "Invalid validate command",
                "validate names the new file as %s, as in \"visudo -cf %s\"; this one does not.",
            )
            .at_attribute(AttrPath::attr("validate")),
        );
    }
    for errors in [mode(config).err(), path(config).err()]
        .into_iter()
        .flatten()
    {
        diagnostics.extend(errors);
    }
    diagnostics
}

/// What the host says about a file.
#[derive(Debug, PartialEq)]
struct Stat {
    mode: u32,
    owner: String,
    group: String,
    size: u64,
    sha256: String,
    /// Sent when the hash differs from the expected one and the file is within the bound.
    content: Option<Vec<u8>>,
}

/// The script that describes the file at `path`: `absent`, or `present MODE OWNER GROUP SIZE
/// SHA256` and, when the hash is not `expected` and the size at most `bound`, the content.
fn probe_script(path: &str, expected: &str, bound: u64) -> String {
    format!(
        r#"p={path}
if [ ! -e "$p" ] && [ ! -L "$p" ]; then echo absent; exit 0; fi
if [ ! -f "$p" ]; then echo "$p is not a regular file" >&2; exit 3; fi
s=$(stat -c '%a %U %G %s' -- "$p") || exit 4
h=$(sha256sum -- "$p") || exit 4
h=${{h%% *}}
printf 'present %s %s\n' "$s" "$h"
set -- $s
if [ "$h" != {expected} ] && [ "$4" -le {bound} ]; then cat -- "$p"; fi
"#,
        path = quote(path),
        expected = quote(expected),
    )
}

/// Parses the probe's output: `None` for an absent file.
fn parse_probe(stdout: &[u8]) -> Option<Result<Stat, String>> {
    let (head, rest) = match stdout.iter().position(|b| *b == b'\n') {
        Some(end) => (&stdout[..end], &stdout[end + 1..]),
        None => (stdout, &[][..]),
    };
    let head = String::from_utf8_lossy(head);
    if head == "absent" {
        return None;
    }
    let fields: Vec<&str> = head.split(' ').collect();
    let parsed = match fields.as_slice() {
        ["present", mode, owner, group, size, sha256] => {
            match (u32::from_str_radix(mode, 8), size.parse()) {
                (Ok(mode), Ok(size)) => Some(Stat {
                    mode,
                    owner: owner.to_string(),
                    group: group.to_string(),
                    size,
                    sha256: sha256.to_string(),
                    content: (!rest.is_empty() || size == 0).then(|| rest.to_vec()),
                }),
                _ => None,
            }
        }
        _ => None,
    };
    Some(parsed.ok_or_else(|| format!("unexpected answer from the host: {head:?}")))
}

/// Runs the probe; `Ok(None)` when the file does not exist.
async fn probe(
    remote: &Remote,
    what: &str,
    script: &str,
    stdin: &[u8],
) -> Result<Option<Stat>, Diagnostics> {
    let output = remote
        .run(script, stdin, SCRIPT_LIMIT)
        .await
        .map_err(|e| e.diagnostic(what))?;
    if output.exit_code == Some(VALIDATE_REFUSED) {
        return Err(remote::failed(
            format!("{what}: validate refused the new content"),
            &output,
            "The file was left as it was. Fix the content (or the validate command).",
        )
        .into());
    }
    if !output.success() {
        return Err(remote::failed(
            format!("{what}: the file cannot be read or written"),
            &output,
            "Check the path, and set sudo = true for files the login user may not touch.",
        )
        .into());
    }
    match parse_probe(&output.stdout) {
        None => Ok(None),
        Some(Ok(stat)) => Ok(Some(stat)),
        Some(Err(message)) => Err(Diagnostic::error(
            format!("{what}: {message}"),
            "The host needs a POSIX shell with GNU coreutils (stat -c, sha256sum).",
        )
        .into()),
    }
}

fn what(value: &Value) -> String {
    format!(
        "ssh_file {} on {}",
        value.get("path").as_str().unwrap_or("?"),
        value.get("host").as_str().unwrap_or("?")
    )
}

fn mode_text(mode: u32) -> Value {
    Value::String(format!("{mode:04o}"))
}

/// The state after a refresh: what the host says, keeping the state's spelling of values that
/// did not change (a mode written "644" stays "644").
fn refreshed(state: &Value, stat: Stat) -> Value {
    let mut state = state.clone();
    if mode(&state).ok().flatten() != Some(stat.mode) {
        state.set_attr("mode", mode_text(stat.mode));
    }
    state.set_attr("owner", Value::String(stat.owner));
    state.set_attr("group", Value::String(stat.group));
    if state.get("sha256").as_str() != Some(stat.sha256.as_str()) {
        if let Some(text) = stat.content.and_then(|bytes| String::from_utf8(bytes).ok()) {
            state.set_attr("content", Value::String(text));
        }
        state.set_attr("sha256", Value::String(stat.sha256));
    }
    state
}

fn write_script(planned: &Value, path: &str, file_mode: u32, sha256: &str) -> String {
    let mut script = format!(
        r#"set -e
p={p}
d=$(dirname -- "$p")
mkdir -p -- "$d"
t=$(mktemp "$d/.ggplan.XXXXXX")
trap 'rm -f -- "$t"' EXIT
cat > "$t"
chmod {file_mode:o} -- "$t"
"#,
        p = quote(path)
    );
    if let Some(owner) = planned.get("owner").as_str() {
        script.push_str(&format!("chown {} -- \"$t\"\n", quote(owner)));
    }
    if let Some(group) = planned.get("group").as_str() {
        script.push_str(&format!("chgrp {} -- \"$t\"\n", quote(group)));
    }
    if let Some(command) = planned.get("validate").as_str() {
        let command = command.replace("%s", "\"$t\"");
        script.push_str(&format!("( {command} ) >&2 || exit {VALIDATE_REFUSED}\n"));
    }
    script.push_str("mv -f -- \"$t\" \"$p\"\ntrap - EXIT\nset +e\n");
    script.push_str(&probe_script(path, sha256, 0));
    script
}

/// Writes the planned file (a create, or an update of content, mode, owner or group) and
/// returns its state.
async fn write(pool: &Pool, prior: Option<&Value>, planned: &Value) -> Result<Value, Diagnostics> {
    let (remote, mut state) = crate::connect_to_write(pool, prior, planned).await?;
    let path = crate::known(path(planned), "path")?;
    let file_mode = crate::known(mode(planned), "mode")?;
    let content = planned.get("content").as_str().unwrap_or("");
    let sha256 = hex_sha256(content.as_bytes());
    let script = write_script(planned, path, file_mode, &sha256);
    let what = what(planned);
    let Some(stat) = probe(&remote, &what, &script, content.as_bytes()).await? else {
        return Err(Diagnostic::error(
            format!("{what}: the file vanished right after it was written"),
            "Something else on the host deletes it; find out what.",
        )
        .into());
    };
    state.set_attr("sha256", Value::String(sha256));
    state.set_attr("owner", Value::String(stat.owner));
    state.set_attr("group", Value::String(stat.group));
    Ok(state)
}

/// The `ssh_file` resource.
pub struct File;

#[async_trait]
impl ResourceType<Ssh> for File {
    fn name(&self) -> &'static str {
        FILE
    }

    fn schema(&self) -> Schema {
        resource_schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        validate(config)
    }

    /// `sha256` and `id` follow from the configuration; no connection (the host may not
    /// exist yet).
    async fn modify_plan(
        &self,
        _pool: &Pool,
        request: &PlanRequest<'_>,
        planned: &mut Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Vec<AttrPath>, Diagnostics> {
        let content = planned
            .get("content")
            .as_str()
            .map(|c| hex_sha256(c.as_bytes()));
        planned.set_attr("sha256", content.map_or(Value::Unknown, Value::String));
        let id = match (planned.get("host").as_str(), planned.get("path").as_str()) {
            (Some(host), Some(path)) => Value::String(format!("{host}:{path}")),
            _ => Value::Unknown,
        };
        planned.set_attr("id", id);
        crate::plan_host_key(request.prior, planned);
        Ok(Vec::new())
    }

    async fn read(&self, pool: &Pool, state: &Value) -> Result<Option<Value>, Diagnostics> {
        let remote = Remote::connect(pool, state, Some(state)).await?;
        let path = crate::known(path(state), "path")?;
        let expected = state.get("sha256").as_str().unwrap_or("");
        let script = probe_script(path, expected, CONTENT_BOUND);
        Ok(probe(&remote, &what(state), &script, &[])
            .await?
            .map(|stat| refreshed(state, stat)))
    }

    async fn create(
        &self,
        pool: &Pool,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<Diagnostics>> {
        Ok(write(pool, None, planned).await?)
    }

    async fn update(
        &self,
        pool: &Pool,
        prior: &Value,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<Diagnostics>> {
        Ok(write(pool, Some(prior), planned).await?)
    }

    async fn delete(
        &self,
        pool: &Pool,
        prior: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<(), Diagnostics> {
        let remote = Remote::connect(pool, prior, Some(prior)).await?;
        let path = crate::known(path(prior), "path")?;
        let output = remote
            .run(&format!("rm -f -- {}", quote(path)), &[], SCRIPT_LIMIT)
            .await
            .map_err(|e| e.diagnostic(&what(prior)))?;
        if output.success() {
            Ok(())
        } else {
            Err(remote::failed(format!("{}: cannot delete it", what(prior)), &output, "").into())
        }
    }
}

/// The `ssh_file` data source.
pub struct FileData;

#[async_trait]
impl DataSourceType<Ssh> for FileData {
    fn name(&self) -> &'static str {
        FILE
    }

    fn schema(&self) -> Schema {
        data_schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        validate(config)
    }

    async fn read(&self, pool: &Pool, config: &Value) -> Result<Value, Diagnostics> {
        let remote = Remote::connect(pool, config, None).await?;
        read_data(&remote, config).await
    }
}

/// Reads the `ssh_file` data source from its host.
async fn read_data(remote: &Remote, config: &Value) -> Result<Value, Diagnostics> {
    let path = crate::known(path(config), "path")?;
    let what = what(config);
    let Some(stat) = probe(remote, &what, &probe_script(path, "", DATA_LIMIT), &[]).await? else {
        return Err(Diagnostic::error(
            format!("{what}: the file does not exist"),
            "Create it first (an ssh_file or ssh_exec this data source depends_on), or fix path.",
        )
        .at_attribute(AttrPath::attr("path"))
        .into());
    };
    let Some(content) = stat.content else {
        return Err(Diagnostic::error(
            format!(
                "{what}: the file is larger than 16 MiB ({} bytes)",
                stat.size
            ),
            "The data source reads configuration files; fetch large files another way.",
        )
        .into());
    };
    let mut value = data_schema().with_defaults(config.clone());
    value.set_attr(
        "content",
        Value::String(String::from_utf8_lossy(&content).into_owned()),
    );
    value.set_attr("sha256", Value::String(stat.sha256));
    value.set_attr("mode", mode_text(stat.mode));
    value.set_attr("owner", Value::String(stat.owner));
    value.set_attr("group", Value::String(stat.group));
    value.set_attr(
        "size",
        Value::int(i64::try_from(stat.size).unwrap_or(i64::MAX)),
    );
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{configured, plan};

    #[tokio::test]
    async fn plans_the_digest_the_id_and_the_default_mode() {
        let ssh = configured().await;
        let config = Value::object([
            ("host", Value::string("10.0.0.1")),
            ("path", Value::string("/etc/motd")),
            ("content", Value::string("")),
        ]);
        let planned = plan(&ssh, FILE, None, &config).await;
        assert_eq!(planned.get("mode"), &Value::string("0644"));
        assert_eq!(planned.get("sudo"), &Value::Bool(false));
        assert_eq!(planned.get("id"), &Value::string("10.0.0.1:/etc/motd"));
        assert_eq!(planned.get("sha256"), &Value::string(hex_sha256(b"")));
        assert_eq!(planned.get("owner"), &Value::Unknown);
        assert_eq!(planned.get("host_key"), &Value::Unknown);
    }

    #[test]
    fn probe_answers_parse() {
        assert_eq!(parse_probe(b"absent\n"), None);
        let stat = parse_probe(b"present 644 root staff 3 abc\nhi\n")
            .unwrap()
            .unwrap();
        assert_eq!(stat.mode, 0o644);
        assert_eq!(
            (stat.owner.as_str(), stat.group.as_str(), stat.size),
            ("root", "staff", 3)
        );
        assert_eq!(stat.content.as_deref(), Some(&b"hi\n"[..]));
        let same = parse_probe(b"present 600 a b 3 abc\n").unwrap().unwrap();
        assert_eq!(same.content, None);
        let empty = parse_probe(b"present 600 a b 0 e3b0\n").unwrap().unwrap();
        assert_eq!(empty.content.as_deref(), Some(&b""[..]));
        assert!(parse_probe(b"present what\n").unwrap().is_err());
    }

    #[test]
    fn refresh_keeps_spelling_and_reports_drift() {
        let state = Value::object([
            ("mode", Value::string("644")),
            ("content", Value::string("a")),
            ("sha256", Value::string("h1")),
        ]);
        let same = Stat {
            mode: 0o644,
            owner: "root".into(),
            group: "root".into(),
            size: 1,
            sha256: "h1".into(),
            content: None,
        };
        let kept = refreshed(&state, same);
        assert_eq!(kept.get("mode"), &Value::string("644"));
        assert_eq!(kept.get("content"), &Value::string("a"));
        let edited = Stat {
            mode: 0o600,
            owner: "root".into(),
            group: "root".into(),
            size: 1,
            sha256: "h2".into(),
            content: Some(b"b".to_vec()),
        };
        let drifted = refreshed(&state, edited);
        assert_eq!(drifted.get("mode"), &Value::string("0600"));
        assert_eq!(drifted.get("content"), &Value::string("b"));
        assert_eq!(drifted.get("sha256"), &Value::string("h2"));
        // Over the bound only the hash travels: the content stays, the hash shows the drift.
        let big = Stat {
            mode: 0o644,
            owner: "root".into(),
            group: "root".into(),
            size: 1 << 20,
            sha256: "h3".into(),
            content: None,
        };
        let drifted = refreshed(&state, big);
        assert_eq!(drifted.get("content"), &Value::string("a"));
        assert_eq!(drifted.get("sha256"), &Value::string("h3"));
    }

    #[test]
    fn config_is_checked() {
        let bad = Value::object([
            ("path", Value::string("etc/x")),
            ("mode", Value::string("999")),
        ]);
        assert_eq!(validate(&bad).0.len(), 2);
        let good = Value::object([
            ("path", Value::string("/etc/x")),
            ("mode", Value::string("0600")),
        ]);
        assert!(validate(&good).is_empty());
    }
}
