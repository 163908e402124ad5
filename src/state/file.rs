//! Durable file operations shared by the state, its journal and its lock: private (0600) files,
//! directory fsync, and atomic replacement that keeps a backup.

use super::StateError;
use std::ffi::OsString;
use std::fs::{self, File, OpenOptions, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The mode of every file this module writes: secrets live in state in plain text.
pub(crate) const PRIVATE_MODE: u32 = 0o600;

/// `path` with `suffix` appended to its file name: `state/a.json` -> `state/a.json.lock`.
pub(crate) fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(suffix);
    PathBuf::from(name)
}

/// An `Io` error about `path`.
pub(crate) fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> StateError {
    let path = path.to_path_buf();
    move |source| StateError::Io {
        action,
        path,
        source,
    }
}

/// Creates `path` with mode 0600 and opens it for writing; with `exclusive` it must not exist yet.
pub(crate) fn create_private(path: &Path, exclusive: bool) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).mode(PRIVATE_MODE);
    if exclusive {
        options.create_new(true);
    } else {
        options.create(true).truncate(true);
    }
    let file = options.open(path)?;
    // The mode given at open is filtered by the umask; a pre-existing file keeps its own.
    file.set_permissions(Permissions::from_mode(PRIVATE_MODE))?;
    Ok(file)
}

/// The directory holding `path` (`.` for a bare file name).
pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Makes the directory entries of `path`'s directory (creations, renames, removals) durable.
pub(crate) fn sync_parent(path: &Path) -> Result<(), StateError> {
    let dir = parent_dir(path);
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_error("sync directory", dir))
}

/// Replaces `path` by `bytes` so that at every instant the file is either wholly old or wholly
/// new: temp file in the same directory, fsync, rename, fsync of the directory. The old file, if
/// any, becomes `backup` first (by a hard link, so the state file itself never goes missing).
pub(crate) fn replace_atomically(
    path: &Path,
    bytes: &[u8],
    backup: &Path,
) -> Result<(), StateError> {
    let path = &through_links(path)?;
    let tmp = stage(path, bytes)?;
    if path.exists() {
        keep_backup(path, backup)?;
    }
    fs::rename(&tmp, path).map_err(io_error("rename the new state into", path))?;
    sync_parent(path)
}

/// Replaces the backup `backup` by `bytes`, atomically.
pub(crate) fn write_backup(backup: &Path, bytes: &[u8]) -> Result<(), StateError> {
    let tmp = stage(backup, bytes)?;
    fs::rename(&tmp, backup).map_err(io_error("rename the backup into", backup))?;
    sync_parent(backup)
}

/// Writes `bytes` durably to a private temporary file beside `path` (creating the directory);
/// the temporary file's path.
fn stage(path: &Path, bytes: &[u8]) -> Result<PathBuf, StateError> {
    let dir = parent_dir(path);
    fs::create_dir_all(dir).map_err(io_error("create directory", dir))?;
    let tmp = sibling(path, ".tmp");
    let mut file = create_private(&tmp, false).map_err(io_error("create", &tmp))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(io_error("write", &tmp))?;
    Ok(tmp)
}

/// The file `path` names, its symbolic links followed: the new state replaces the link's
/// target and the link stays, as editors and Terraform write through links (renaming onto
/// the link would replace it by a regular file and leave the target stale).
fn through_links(path: &Path) -> Result<PathBuf, StateError> {
    let mut path = path.to_path_buf();
    // Linux's own bound on links followed in one path.
    for _ in 0..40 {
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = fs::read_link(&path).map_err(io_error("read the link", &path))?;
                path = parent_dir(&path).join(target);
            }
            _ => return Ok(path),
        }
    }
    let looped = io::Error::other("too many levels of symbolic links");
    Err(io_error("follow the links of", &path)(looped))
}

/// Makes `backup` a copy of `path`, replacing an older backup atomically.
fn keep_backup(path: &Path, backup: &Path) -> Result<(), StateError> {
    let staged = sibling(backup, ".tmp");
    remove_if_exists(&staged)?;
    // A hard link costs nothing; file systems without links get a copy.
    if fs::hard_link(path, &staged).is_err() {
        fs::copy(path, &staged)
            .and_then(|_| File::open(&staged)?.sync_all())
            .map_err(io_error("copy the previous state to", &staged))?;
    }
    fs::set_permissions(&staged, Permissions::from_mode(PRIVATE_MODE))
        .map_err(io_error("set the mode of", &staged))?;
    fs::rename(&staged, backup).map_err(io_error("rename the backup into", backup))
}

/// Removes `path` if it exists; whether it did.
pub(crate) fn remove_if_exists(path: &Path) -> Result<bool, StateError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io_error("remove", path)(e)),
    }
}

/// Reads `path`; `None` when it does not exist.
pub(crate) fn read_if_exists(path: &Path) -> Result<Option<Vec<u8>>, StateError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error("read", path)(e)),
    }
}
