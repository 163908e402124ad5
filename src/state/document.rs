//! Reading a state document, wherever it was stored: the checks that refuse what this build must
//! not interpret (corrupt, of an unknown or newer format, or Terraform's own state) before the
//! whole document is decoded. `location` names where it came from in every error.

use super::{STATE_VERSION, State, StateError};
use crate::encryption::Target;
use serde::Deserialize;
use std::borrow::Cow;
use std::path::Path;

/// The fields read before the whole document.
#[derive(Deserialize)]
pub(crate) struct Header {
    version: Option<u64>,
    #[serde(default)]
    ggplan_version: String,
    #[serde(default)]
    pub lineage: String,
    #[serde(default)]
    pub serial: u64,
    /// Only Terraform's state documents have it.
    #[serde(default)]
    terraform_version: Option<String>,
}

/// Checks the format version of a state document and returns its header.
pub(crate) fn header(location: &Path, bytes: &[u8]) -> Result<Header, StateError> {
    let header: Header = serde_json::from_slice(bytes).map_err(|e| corrupt(location, &e))?;
    if let Some(terraform_version) = header.terraform_version {
        return Err(StateError::TerraformState {
            path: location.to_path_buf(),
            version: header.version.unwrap_or(0),
            terraform_version,
        });
    }
    match header.version {
        None => Err(StateError::Corrupt {
            path: location.to_path_buf(),
            detail: "it has no \"version\" field".to_string(),
        }),
        Some(v) if v > u64::from(STATE_VERSION) => Err(StateError::TooNew {
            path: location.to_path_buf(),
            version: v,
            writer: header.ggplan_version,
        }),
        Some(0) => Err(StateError::UnknownVersion {
            path: location.to_path_buf(),
            version: 0,
        }),
        Some(_) => Ok(header),
    }
}

/// The whole document, after the checks of [`header`].
pub(crate) fn decode(location: &Path, bytes: &[u8]) -> Result<State, StateError> {
    header(location, bytes)?;
    serde_json::from_slice(bytes).map_err(|e| corrupt(location, &e))
}

/// Refuses to replace the stored document `on_disk` (its header) with a state of `lineage`
/// that started from `serial`: another lineage, or a newer serial (someone else wrote
/// meanwhile). This is the compare of every backend's compare-and-swap.
pub(crate) fn check_replaceable(
    location: &Path,
    on_disk: Header,
    lineage: &str,
    serial: u64,
) -> Result<(), StateError> {
    if on_disk.lineage != lineage {
        return Err(StateError::LineageMismatch {
            path: location.to_path_buf(),
            on_disk: on_disk.lineage,
            ours: lineage.to_string(),
        });
    }
    if on_disk.serial > serial {
        return Err(StateError::SerialConflict {
            path: location.to_path_buf(),
            on_disk: on_disk.serial,
            ours: serial,
        });
    }
    Ok(())
}

/// `state` stamped as written by this build with its serial incremented, encoded; on error
/// `state` is unchanged.
pub(crate) fn encode_next(location: &Path, state: &mut State) -> Result<Vec<u8>, StateError> {
    let next = state
        .serial
        .checked_add(1)
        .ok_or_else(|| StateError::SerialExhausted {
            path: location.to_path_buf(),
        })?;
    let previous = (state.serial, state.version, state.ggplan_version.clone());
    state.version = STATE_VERSION;
    state.ggplan_version = env!("CARGO_PKG_VERSION").to_string();
    state.serial = next;
    match serde_json::to_vec_pretty(state) {
        Ok(mut bytes) => {
            bytes.push(b'\n');
            Ok(bytes)
        }
        Err(e) => {
            (state.serial, state.version, state.ggplan_version) = previous;
            Err(StateError::Io {
                action: "encode the state for",
                path: location.to_path_buf(),
                source: std::io::Error::other(e),
            })
        }
    }
}

/// The plain document of the stored bytes at `location`, as the state's encryption opens it.
pub(crate) fn open<'a>(
    encryption: &Target,
    location: &Path,
    stored: &'a [u8],
) -> Result<Cow<'a, [u8]>, StateError> {
    encryption
        .open(stored)
        .map_err(|source| encryption_error(location, source))
}

/// The bytes to store at `location` for the plain document `plain`.
pub(crate) fn seal<'a>(
    encryption: &Target,
    location: &Path,
    plain: &'a [u8],
) -> Result<Cow<'a, [u8]>, StateError> {
    encryption
        .seal(plain)
        .map_err(|source| encryption_error(location, source))
}

/// An [`StateError::Encryption`] about `location`.
pub(crate) fn encryption_error(
    location: &Path,
    source: crate::encryption::EncryptionError,
) -> StateError {
    StateError::Encryption {
        location: location.display().to_string(),
        source,
    }
}

fn corrupt(location: &Path, e: &serde_json::Error) -> StateError {
    StateError::Corrupt {
        path: location.to_path_buf(),
        detail: e.to_string(),
    }
}
