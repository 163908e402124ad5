//! The `local` provider: files on the machine that runs ggplan, as in `hashicorp/local` v2.
//!
//! Resources `local_file` and `local_sensitive_file` (the same, with the content sensitive and
//! 0700 permissions by default); data sources of the same names. Relative filenames are relative
//! to the process's current directory, as in Terraform (`path.module` is the stack's business).
//!
//! Behaviour, and where it knowingly differs from Terraform's:
//! - every configurable attribute is force-new: a content change rewrites the file by replace;
//! - the digests (`id` is the SHA-1 of the content) are planned as known values whenever the
//!   content is known: they depend on nothing but the content (Terraform plans them unknown);
//! - apply writes a temporary file in the target directory and renames it over the target, so a
//!   reader never sees half a file; permissions are set at creation, so the umask applies as
//!   with Terraform (the default 0777 gives 0755 under umask 022);
//! - read reports a missing file as gone, and an edited file as a state holding the content on
//!   disk (Terraform forgets the instance instead), so the plan shows what changed;
//! - destroy leaves a file whose content is no longer what ggplan wrote (with a warning): it is
//!   someone else's now, e.g. the replacement's under create_before_destroy.

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ggplan_sdk::typed::{DataSourceType, Partial, ResourceType, TypedProvider};
use ggplan_sdk::{
    AttrPath, Attribute, Diagnostic, Diagnostics, Found, PlanRequest, Schema, Type, Value,
};
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};
use std::fs::{DirBuilder, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::Path;
use std::time::SystemTime;

const FILE: &str = "local_file";
const SENSITIVE_FILE: &str = "local_sensitive_file";

/// The `local` provider.
pub(crate) struct Local;

#[async_trait]
impl TypedProvider for Local {
    type Client = ();
    type Error = Diagnostics;
    const NAME: &'static str = "local";
    const SOURCE: &'static str = "registry.terraform.io/hashicorp/local";

    fn resources() -> Vec<Box<dyn ResourceType<Self>>> {
        vec![
            Box::new(LocalFile { sensitive: false }),
            Box::new(LocalFile { sensitive: true }),
        ]
    }

    fn data_sources() -> Vec<Box<dyn DataSourceType<Self>>> {
        vec![
            Box::new(LocalFileData { sensitive: false }),
            Box::new(LocalFileData { sensitive: true }),
        ]
    }

    async fn configure(_config: &Value) -> Result<(), Diagnostics> {
        Ok(())
    }
}

/// The type name of the plain or the sensitive variant.
fn type_name(sensitive: bool) -> &'static str {
    if sensitive { SENSITIVE_FILE } else { FILE }
}

type Hash = fn(&[u8]) -> String;

/// The computed digests of a file's content: attribute, description, how to compute it.
const DIGESTS: [(&str, &str, Hash); 7] = [
    ("id", "The SHA-1 of the content, in hexadecimal.", sha1_hex),
    (
        "content_md5",
        "The MD5 of the content, in hexadecimal.",
        md5_hex,
    ),
    (
        "content_sha1",
        "The SHA-1 of the content, in hexadecimal.",
        sha1_hex,
    ),
    (
        "content_sha256",
        "The SHA-256 of the content, in hexadecimal.",
        sha256_hex,
    ),
    (
        "content_base64sha256",
        "The SHA-256 of the content, in base64.",
        sha256_base64,
    ),
    (
        "content_sha512",
        "The SHA-512 of the content, in hexadecimal.",
        sha512_hex,
    ),
    (
        "content_base64sha512",
        "The SHA-512 of the content, in base64.",
        sha512_base64,
    ),
];

fn sha1_hex(bytes: &[u8]) -> String {
    crate::hex(&Sha1::digest(bytes))
}

fn md5_hex(bytes: &[u8]) -> String {
    crate::hex(&Md5::digest(bytes))
}

fn sha256_hex(bytes: &[u8]) -> String {
    crate::hex(&Sha256::digest(bytes))
}

fn sha256_base64(bytes: &[u8]) -> String {
    STANDARD.encode(Sha256::digest(bytes))
}

fn sha512_hex(bytes: &[u8]) -> String {
    crate::hex(&Sha512::digest(bytes))
}

fn sha512_base64(bytes: &[u8]) -> String {
    STANDARD.encode(Sha512::digest(bytes))
}

/// Sets the digest attributes from `bytes`, or to unknown while the content is unknown.
fn set_digests(value: &mut Value, bytes: Option<&[u8]>) {
    for (name, _, hash) in DIGESTS {
        let digest = bytes.map_or(Value::Unknown, |bytes| Value::String(hash(bytes)));
        value.set_attr(name, digest);
    }
}

fn digest_attributes() -> impl Iterator<Item = (&'static str, Attribute)> {
    DIGESTS
        .into_iter()
        .map(|(name, text, _)| (name, Attribute::computed(Type::String).describe(text)))
}

/// An attribute marked sensitive when the type is the sensitive variant.
fn secret_if(attribute: Attribute, sensitive: bool) -> Attribute {
    if sensitive {
        attribute.sensitive()
    } else {
        attribute
    }
}

fn resource_schema(sensitive: bool) -> Schema {
    let default_mode = Value::string(if sensitive { "0700" } else { "0777" });
    let mode = |text: &str| {
        Attribute::optional(Type::String)
            .default(default_mode.clone())
            .force_new()
            .describe(text)
    };
    let configured = [
        (
            "filename",
            Attribute::required(Type::String)
                .force_new()
                .describe("The path of the file, relative to the current directory."),
        ),
        (
            "content",
            secret_if(Attribute::optional(Type::String), sensitive)
                .force_new()
                .describe("The content as text; exactly one of content and content_base64."),
        ),
        (
            "content_base64",
            secret_if(Attribute::optional(Type::String), sensitive)
                .force_new()
                .describe("The content as standard base64, for binary files."),
        ),
        (
            "file_permission",
            mode("The file's mode, as 3 or 4 octal digits."),
        ),
        (
            "directory_permission",
            mode("The mode of directories created for the file, as 3 or 4 octal digits."),
        ),
    ];
    let description = if sensitive {
        "A file on the local machine whose content is sensitive."
    } else {
        "A file on the local machine."
    };
    Schema::new(
        description,
        configured.into_iter().chain(digest_attributes()),
    )
}

fn data_schema(sensitive: bool) -> Schema {
    let attributes = [
        (
            "filename",
            Attribute::required(Type::String)
                .describe("The path of the file, relative to the current directory."),
        ),
        (
            "content",
            secret_if(Attribute::computed(Type::String), sensitive)
                .describe("The content as text (invalid UTF-8 replaced by U+FFFD)."),
        ),
        (
            "content_base64",
            secret_if(Attribute::computed(Type::String), sensitive)
                .describe("The content as standard base64."),
        ),
    ];
    Schema::new(
        "Reads a file on the local machine.",
        attributes.into_iter().chain(digest_attributes()),
    )
}

/// The bytes a configuration or state says the file holds; `Ok(None)` while they are unknown.
fn content_bytes(value: &Value) -> Result<Option<Vec<u8>>, Diagnostics> {
    let (text, encoded) = (value.get("content"), value.get("content_base64"));
    match (text.is_null(), encoded.is_null()) {
        (false, false) => Err(Diagnostic::error(
            "Both content and content_base64 are set",
            "Set exactly one: content for text, content_base64 for binary data.",
        )
        .at_attribute(AttrPath::attr("content_base64"))
        .into()),
        (true, true) => Err(Diagnostic::error(
            "The file has no content",
            "Set content (text) or content_base64 (binary data); use \"\" for an empty file.",
        )
        .at_attribute(AttrPath::attr("content"))
        .into()),
        (false, true) => Ok(text.as_str().map(|text| text.as_bytes().to_vec())),
        (true, false) => match encoded.as_str() {
            None => Ok(None),
            Some(encoded) => STANDARD.decode(encoded).map(Some).map_err(|error| {
                Diagnostic::error(
                    "content_base64 is not valid base64",
                    format!(
                        "{error}. content_base64 takes standard base64 with padding, as \
                         filebase64() and base64encode() produce."
                    ),
                )
                .at_attribute(AttrPath::attr("content_base64"))
                .into()
            }),
        },
    }
}

/// A permission attribute as a mode: `Ok(None)` while null or unknown. Terraform accepts 3 or
/// 4 octal digits up to 0777.
fn mode(value: &Value, name: &str) -> Result<Option<u32>, Diagnostics> {
    let Some(text) = value.get(name).as_str() else {
        return Ok(None);
    };
    let parsed = Some(text)
        .filter(|t| (3..=4).contains(&t.len()))
        .and_then(|t| u32::from_str_radix(t, 8).ok())
        .filter(|m| *m <= 0o777);
    match parsed {
        Some(mode) => Ok(Some(mode)),
        None => Err(Diagnostic::error(
            format!("Invalid {name} {text:?}"),
            format!(
                "{name} must be 3 or 4 octal digits no greater than 0777, such as \"0644\" or \
                 \"755\"."
            ),
        )
        .at_attribute(AttrPath::attr(name))
        .into()),
    }
}

/// The filename of a configuration or state, checked non-empty; `Ok(None)` while unknown.
fn filename(value: &Value) -> Result<Option<&str>, Diagnostics> {
    match value.get("filename").as_str() {
        Some("") => Err(Diagnostic::error(
            "filename is empty",
            "Set filename to the path of the file, e.g. \"${path.module}/out/config.json\".",
        )
        .at_attribute(AttrPath::attr("filename"))
        .into()),
        other => Ok(other),
    }
}

fn validate_resource(config: &Value) -> Diagnostics {
    let checks = [
        content_bytes(config).err(),
        mode(config, "file_permission").err(),
        mode(config, "directory_permission").err(),
        filename(config).err(),
    ];
    Diagnostics(checks.into_iter().flatten().flat_map(|d| d.0).collect())
}

/// A value that must be known (in apply, read and data sources), or the error saying so.
fn known<T>(value: Result<Option<T>, Diagnostics>, name: &str) -> Result<T, Diagnostics> {
    value?.ok_or_else(|| {
        Diagnostic::error(
            format!("{name} is not known"),
            "This is a bug in ggplan: the local provider needs this value known here (in \
             apply, read or a data source).",
        )
        .at_attribute(AttrPath::attr(name))
        .into()
    })
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename,
/// creating missing directories first.
fn write_atomically(path: &Path, bytes: &[u8], file_mode: u32, dir_mode: u32) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    DirBuilder::new()
        .recursive(true)
        .mode(dir_mode)
        .create(dir)?;
    let mut file = tempfile::Builder::new()
        .prefix(".ggplan-")
        .suffix(".tmp")
        .permissions(Permissions::from_mode(file_mode))
        .tempfile_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|error| error.error)?;
    Ok(())
}

/// Creates the file of a planned state and returns the new state.
fn create(planned: &Value) -> Result<Value, Diagnostics> {
    let bytes = known(content_bytes(planned), "content")?;
    let path = known(filename(planned), "filename")?;
    let file_mode = known(mode(planned, "file_permission"), "file_permission")?;
    let dir_mode = known(
        mode(planned, "directory_permission"),
        "directory_permission",
    )?;
    write_atomically(Path::new(path), &bytes, file_mode, dir_mode).map_err(|error| {
        Diagnostic::error(
            format!("Cannot write {path}"),
            format!("{error}. Check that the path names a file in a directory ggplan may write."),
        )
        .at_attribute(AttrPath::attr("filename"))
    })?;
    let mut state = planned.clone();
    set_digests(&mut state, Some(&bytes));
    Ok(state)
}

/// The file's bytes, `Ok(None)` when it does not exist.
fn read_file(path: &str) -> Result<Option<Vec<u8>>, Diagnostics> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(Diagnostic::error(
            format!("Cannot read {path}"),
            format!("{error}. Check that the path names a file ggplan may read."),
        )
        .at_attribute(AttrPath::attr("filename"))
        .into()),
    }
}

/// Deletes the file of a state unless someone else's content has replaced it (then it is
/// left, with a warning).
fn delete(state: &Value, warnings: &mut Diagnostics) -> Result<(), Diagnostics> {
    let Some(path) = state.get("filename").as_str() else {
        return Ok(());
    };
    let Some(bytes) = read_file(path)? else {
        return Ok(());
    };
    if state.get("id").as_str() != Some(sha1_hex(&bytes).as_str()) {
        warnings.push(Diagnostic::warning(
            format!("{path} was left in place"),
            "Its content is no longer what ggplan wrote, so it belongs to someone else now \
             (another resource, or an edit since the last refresh). Delete it by hand if it \
             should go.",
        ));
        return Ok(());
    }
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(Diagnostic::error(
            format!("Cannot delete {path}"),
            format!("{error}. Check that ggplan may write the file's directory."),
        )
        .into()),
    }
}

/// The state refreshed to the content on disk: text where the state held text and the bytes
/// are UTF-8, base64 otherwise, and the digests of what is there.
fn refreshed(state: &Value, bytes: &[u8]) -> Value {
    let mut state = state.clone();
    match std::str::from_utf8(bytes) {
        Ok(text) if state.get("content_base64").is_null() => {
            state.set_attr("content", Value::string(text));
        }
        _ => {
            state.set_attr("content", Value::Null);
            state.set_attr("content_base64", Value::String(STANDARD.encode(bytes)));
        }
    }
    set_digests(&mut state, Some(bytes));
    state
}

/// `local_file` and `local_sensitive_file`.
struct LocalFile {
    sensitive: bool,
}

#[async_trait]
impl ResourceType<Local> for LocalFile {
    fn name(&self) -> &'static str {
        type_name(self.sensitive)
    }

    fn schema(&self) -> Schema {
        resource_schema(self.sensitive)
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        validate_resource(config)
    }

    async fn modify_plan(
        &self,
        _client: &(),
        _request: &PlanRequest<'_>,
        planned: &mut Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Vec<AttrPath>, Diagnostics> {
        let bytes = content_bytes(planned)?;
        set_digests(planned, bytes.as_deref());
        Ok(Vec::new())
    }

    async fn read(&self, _client: &(), state: &Value) -> Result<Option<Value>, Diagnostics> {
        let path = known(filename(state), "filename")?;
        Ok(read_file(path)?.map(|bytes| {
            if state.get("id").as_str() == Some(sha1_hex(&bytes).as_str()) {
                state.clone()
            } else {
                refreshed(state, &bytes)
            }
        }))
    }

    async fn create(
        &self,
        _client: &(),
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<Diagnostics>> {
        Ok(create(planned)?)
    }

    /// The file is the create's when it was written since the create began; an older file
    /// was someone else's, which the create overwrites.
    async fn find_created(
        &self,
        _client: &(),
        config: &Value,
        since: SystemTime,
    ) -> Result<Found, Diagnostics> {
        let Some(path) = filename(config)? else {
            return Ok(Found::CannotTell("its filename is not known yet".into()));
        };
        let written = std::fs::metadata(path).and_then(|m| m.modified());
        match written {
            Ok(at) if at >= since => {}
            Ok(_) => return Ok(Found::Nothing),
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Found::Nothing),
            Err(error) => return Ok(Found::CannotTell(format!("{path}: {error}"))),
        }
        let Some(bytes) = read_file(path)? else {
            return Ok(Found::Nothing);
        };
        let mut stub = config.clone();
        set_digests(&mut stub, Some(&bytes));
        Ok(Found::Object(stub))
    }

    /// Every input is force-new, so an update rewrites the same file: harmless, and it
    /// repairs whatever happened to the file since the refresh.
    async fn update(
        &self,
        _client: &(),
        _prior: &Value,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<Diagnostics>> {
        Ok(create(planned)?)
    }

    async fn delete(
        &self,
        _client: &(),
        prior: &Value,
        warnings: &mut Diagnostics,
    ) -> Result<(), Diagnostics> {
        delete(prior, warnings)
    }
}

/// The data sources `local_file` and `local_sensitive_file`.
struct LocalFileData {
    sensitive: bool,
}

#[async_trait]
impl DataSourceType<Local> for LocalFileData {
    fn name(&self) -> &'static str {
        type_name(self.sensitive)
    }

    fn schema(&self) -> Schema {
        data_schema(self.sensitive)
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        filename(config).err().unwrap_or_default()
    }

    async fn read(&self, _client: &(), config: &Value) -> Result<Value, Diagnostics> {
        let path = known(filename(config), "filename")?;
        let Some(bytes) = read_file(path)? else {
            let cwd = std::env::current_dir()
                .map(|dir| dir.display().to_string())
                .unwrap_or_else(|error| format!("(unknown: {error})"));
            return Err(Diagnostic::error(
                format!("The file {path} does not exist"),
                format!(
                    "The {} data source reads {path:?}; a relative filename is resolved from \
                     the current directory, {cwd}. Create the file first, or fix filename \
                     (\"${{path.module}}/...\" names a file beside the stack).",
                    self.name()
                ),
            )
            .at_attribute(AttrPath::attr("filename"))
            .into());
        };
        let mut state = Value::object([
            ("filename", Value::string(path)),
            (
                "content",
                Value::String(String::from_utf8_lossy(&bytes).into_owned()),
            ),
            ("content_base64", Value::String(STANDARD.encode(&bytes))),
        ]);
        set_digests(&mut state, Some(&bytes));
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{
        apply, configured, create as create_instance, destroy, plan, read, schema,
    };
    use ggplan_sdk::typed::TypeTable;
    use ggplan_sdk::{Provider, ResourceKind, objchange};
    use std::os::unix::fs::MetadataExt;

    fn config(path: &Path, content: &str) -> Value {
        Value::object([
            ("filename", Value::string(path.to_string_lossy())),
            ("content", Value::string(content)),
        ])
    }

    #[tokio::test]
    async fn create_plans_defaults_and_digests_then_writes_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/out.txt");
        let cfg = config(&path, "hello\n");
        let p = configured::<Local>().await;
        let planned = plan(&p, FILE, None, &cfg).await.planned;
        assert_eq!(planned.get("file_permission"), &Value::string("0777"));
        assert_eq!(planned.get("directory_permission"), &Value::string("0777"));
        // `printf 'hello\n' | sha1sum`
        let sha1 = "f572d396fae9206628714fb2ce00f72e94f2258f";
        assert_eq!(planned.get("id"), &Value::string(sha1));
        assert_eq!(planned.get("content_sha1"), &Value::string(sha1));
        assert_eq!(
            planned.get("content_md5"),
            &Value::string("b1946ac92492d2347c6235b4d2611184")
        );
        assert_eq!(
            planned.get("content_base64sha256"),
            &Value::string("WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgM=")
        );

        let state = apply(&p, FILE, None, &planned, &cfg).await;
        assert_eq!(state, planned);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "hello\n");
        // No temporary file is left beside the target.
        assert_eq!(
            std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
            1
        );
    }

    #[tokio::test]
    async fn unknown_content_plans_unknown_digests() {
        let p = configured::<Local>().await;
        let cfg = Value::object([
            ("filename", Value::string("x")),
            ("content", Value::Unknown),
        ]);
        let planned = plan(&p, FILE, None, &cfg).await.planned;
        for (name, _, _) in DIGESTS {
            assert_eq!(planned.get(name), &Value::Unknown, "{name}");
        }
    }

    #[tokio::test]
    async fn permissions_are_set_on_creation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets/key");
        let cfg = Value::object([
            ("filename", Value::string(path.to_string_lossy())),
            (
                "content_base64",
                Value::string(STANDARD.encode([0u8, 159, 146, 150])),
            ),
        ]);
        let p = configured::<Local>().await;
        let state = create_instance(&p, SENSITIVE_FILE, &cfg).await;
        assert_eq!(state.get("file_permission"), &Value::string("0700"));
        assert_eq!(std::fs::read(&path).unwrap(), [0u8, 159, 146, 150]);
        // 0700 survives any umask that leaves the owner's bits alone.
        let file_mode = std::fs::metadata(&path).unwrap().mode() & 0o777;
        let dir_mode = std::fs::metadata(path.parent().unwrap()).unwrap().mode() & 0o777;
        assert_eq!((file_mode, dir_mode), (0o700, 0o700));
        assert_eq!(
            schema(&p, SENSITIVE_FILE).sensitive_paths(&state),
            vec![AttrPath::attr("content_base64")]
        );
    }

    #[tokio::test]
    async fn read_detects_edits_and_deletion() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        let cfg = config(&path, "one");
        let p = configured::<Local>().await;
        let state = create_instance(&p, FILE, &cfg).await;
        assert_eq!(read(&p, FILE, &state).await.as_ref(), Some(&state));
        let planned = plan(&p, FILE, Some(&state), &cfg).await.planned;
        assert_eq!(planned, state);

        std::fs::write(&path, "two").unwrap();
        let drifted = read(&p, FILE, &state).await.unwrap();
        assert_eq!(drifted.get("content"), &Value::string("two"));
        assert_eq!(drifted.get("id"), &Value::string(sha1_hex(b"two")));
        let planned = plan(&p, FILE, Some(&drifted), &cfg).await.planned;
        assert_eq!(
            objchange::replace_paths(&schema(&p, FILE), &drifted, &planned),
            vec![AttrPath::attr("content")]
        );
        assert_eq!(planned.get("id"), &Value::string(sha1_hex(b"one")));

        std::fs::write(&path, [0xff, 0xfe]).unwrap();
        let binary = read(&p, FILE, &state).await.unwrap();
        assert_eq!(binary.get("content"), &Value::Null);
        assert_eq!(binary.get("content_base64"), &Value::string("//4="));

        std::fs::remove_file(&path).unwrap();
        assert_eq!(read(&p, FILE, &state).await, None);
    }

    #[tokio::test]
    async fn content_change_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        let p = configured::<Local>().await;
        let prior = create_instance(&p, FILE, &config(&path, "one")).await;
        let cfg = Value::object([
            ("filename", Value::string(path.to_string_lossy())),
            ("content", Value::string("one")),
            ("file_permission", Value::string("0600")),
        ]);
        let planned = plan(&p, FILE, Some(&prior), &cfg).await.planned;
        assert_eq!(
            objchange::replace_paths(&schema(&p, FILE), &prior, &planned),
            vec![AttrPath::attr("file_permission")]
        );
    }

    #[tokio::test]
    async fn destroy_removes_only_what_it_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        let p = configured::<Local>().await;
        let state = create_instance(&p, FILE, &config(&path, "mine")).await;
        assert!(destroy(&p, FILE, &state).await.is_empty());
        assert!(!path.exists());
        // Gone already: nothing to do.
        assert!(destroy(&p, FILE, &state).await.is_empty());

        let state = create_instance(&p, FILE, &config(&path, "mine")).await;
        std::fs::write(&path, "theirs").unwrap();
        let diagnostics = destroy(&p, FILE, &state).await;
        assert!(!diagnostics.has_errors());
        assert!(diagnostics.0[0].summary.contains("left in place"));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "theirs");
    }

    #[tokio::test]
    async fn data_source_reads_the_file_or_says_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.txt");
        std::fs::write(&path, "hello\n").unwrap();
        let p = configured::<Local>().await;
        let cfg = Value::object([("filename", Value::string(path.to_string_lossy()))]);
        let data = p.read_data(FILE, &cfg).await.unwrap();
        assert_eq!(data.get("content"), &Value::string("hello\n"));
        assert_eq!(data.get("content_base64"), &Value::string("aGVsbG8K"));
        assert_eq!(data.get("id"), &Value::string(sha1_hex(b"hello\n")));

        let missing = dir.path().join("missing.txt");
        let cfg = Value::object([("filename", Value::string(missing.to_string_lossy()))]);
        let error = p.read_data(FILE, &cfg).await.unwrap_err();
        let diagnostic = &error.0[0];
        assert!(diagnostic.summary.contains(&*missing.to_string_lossy()));
        assert!(diagnostic.detail.contains("Create the file first"));
        assert_eq!(diagnostic.attribute, Some(AttrPath::attr("filename")));
    }

    #[test]
    fn validation_names_the_attribute() {
        let p = TypeTable::<Local>::new();
        let check = |pairs: Vec<(&str, Value)>| {
            let mut cfg = Value::object([("filename", Value::string("f"))]);
            for (name, value) in pairs {
                cfg.set_attr(name, value);
            }
            let diagnostics = p.validate(ResourceKind::Managed, FILE, &cfg);
            diagnostics
                .0
                .into_iter()
                .map(|d| d.attribute.unwrap().to_string())
                .collect::<Vec<_>>()
        };
        let text = ("content", Value::string("x"));
        assert!(check(vec![text.clone()]).is_empty());
        assert!(check(vec![("content", Value::Unknown)]).is_empty());
        assert_eq!(check(vec![]), ["content"]);
        assert_eq!(
            check(vec![text.clone(), ("content_base64", Value::Unknown)]),
            ["content_base64"]
        );
        assert_eq!(
            check(vec![("content_base64", Value::string("%%"))]),
            ["content_base64"]
        );
        for good in ["644", "0600", "0777"] {
            assert!(check(vec![text.clone(), ("file_permission", Value::string(good))]).is_empty());
        }
        for bad in ["0999", "12345", "77", "1777", "rw-r--r--"] {
            assert_eq!(
                check(vec![
                    text.clone(),
                    ("directory_permission", Value::string(bad))
                ]),
                ["directory_permission"],
                "{bad}"
            );
        }
        assert_eq!(
            check(vec![text, ("filename", Value::string(""))]),
            ["filename"]
        );
    }
}
