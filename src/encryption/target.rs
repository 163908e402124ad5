//! One encryption target (`state` or `plan`): the method writes use, the fallback reads may
//! use, and OpenTofu's envelope around encrypted data:
//!
//! ```json
//! {"encryption_version":"v0","meta":{"key_provider.pbkdf2.NAME":{...}},"encrypted_data":"..."}
//! ```
//!
//! `encrypted_data` is base64 of the AES-GCM nonce (12 bytes), the ciphertext and the tag; the
//! `meta` of the key provider says how to derive the key again. The envelope is one line of
//! JSON, so a journal holds one envelope per line.

use super::EncryptionError;
use super::pbkdf2::{KeyMeta, Pbkdf2};
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes128Gcm, Aes256Gcm};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The only envelope version, OpenTofu's.
const VERSION: &str = "v0";
const NONCE_LENGTH: usize = 12;

/// An encryption method of the configuration.
#[derive(Debug, Clone)]
pub enum Method {
    /// `method "unencrypted"`: data is read and written as it is.
    Unencrypted { name: String },
    /// `method "aes_gcm"` with the key of a pbkdf2 key provider.
    AesGcm { name: String, keys: Arc<Pbkdf2> },
}

impl Method {
    /// `method.TYPE.NAME`, for messages.
    pub fn reference(&self) -> String {
        match self {
            Method::Unencrypted { name } => format!("method.unencrypted.{name}"),
            Method::AesGcm { name, .. } => format!("method.aes_gcm.{name}"),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Envelope<'a> {
    encryption_version: Cow<'a, str>,
    meta: BTreeMap<String, KeyMeta>,
    encrypted_data: Cow<'a, str>,
}

/// Only what tells an envelope from a plain document.
#[derive(Deserialize)]
struct Probe {
    encryption_version: Option<String>,
}

/// How one kind of data (state or plans) is stored. The default is no `encryption`
/// configuration: plain data is read and written, encrypted data is refused.
#[derive(Debug, Clone, Default)]
pub struct Target {
    /// `None` when the configuration has no block for this target.
    pub(super) primary: Option<Method>,
    pub(super) fallback: Option<Method>,
    pub(super) enforced: bool,
}

impl Target {
    /// Whether what this target writes is encrypted.
    pub fn encrypts(&self) -> bool {
        matches!(self.primary, Some(Method::AesGcm { .. }))
    }

    /// `plain` as it is to be stored: an envelope under the primary method, or `plain` itself
    /// when there is none or it is `unencrypted` (refused when `enforced`).
    pub fn seal<'a>(&self, plain: &'a [u8]) -> Result<Cow<'a, [u8]>, EncryptionError> {
        match &self.primary {
            None => Ok(Cow::Borrowed(plain)),
            Some(Method::Unencrypted { name }) if self.enforced => Err(EncryptionError::Enforced(
                format!("method.unencrypted.{name}"),
            )),
            Some(Method::Unencrypted { .. }) => Ok(Cow::Borrowed(plain)),
            Some(Method::AesGcm { keys, .. }) => {
                let (key, meta) = keys.encryption_key()?;
                let mut nonce = [0u8; NONCE_LENGTH];
                getrandom::fill(&mut nonce).map_err(|e| EncryptionError::Random(e.to_string()))?;
                let mut data = nonce.to_vec();
                data.extend(
                    aead(key, &nonce, plain, true).map_err(|()| EncryptionError::TooLarge)?,
                );
                let envelope = Envelope {
                    encryption_version: VERSION.into(),
                    meta: BTreeMap::from([(keys.meta_key(), meta.clone())]),
                    encrypted_data: STANDARD.encode(&data).into(),
                };
                let json = serde_json::to_vec(&envelope).expect("an envelope encodes");
                Ok(Cow::Owned(json))
            }
        }
    }

    /// The plain data of `stored`: an envelope opened with the primary method, else the
    /// fallback; plain data only when one of them is `unencrypted` or nothing is configured.
    pub fn open<'a>(&self, stored: &'a [u8]) -> Result<Cow<'a, [u8]>, EncryptionError> {
        let methods: Vec<&Method> = self.primary.iter().chain(&self.fallback).collect();
        let encrypted = serde_json::from_slice::<Probe>(stored)
            .ok()
            .and_then(|p| p.encryption_version);
        let Some(version) = encrypted else {
            let plain_allowed = methods.is_empty()
                || methods
                    .iter()
                    .any(|m| matches!(m, Method::Unencrypted { .. }));
            return match plain_allowed {
                true => Ok(Cow::Borrowed(stored)),
                false => Err(EncryptionError::NotEncrypted(references(&methods))),
            };
        };
        if version != VERSION {
            return Err(EncryptionError::Version(version));
        }
        let envelope: Envelope =
            serde_json::from_slice(stored).map_err(|e| EncryptionError::Damaged(e.to_string()))?;
        let data = STANDARD
            .decode(envelope.encrypted_data.as_bytes())
            .map_err(|_| EncryptionError::Damaged("its encrypted_data is not base64".into()))?;
        if data.len() < NONCE_LENGTH {
            return Err(EncryptionError::Damaged(
                "its encrypted_data is too short".into(),
            ));
        }
        let (nonce, sealed) = data.split_at(NONCE_LENGTH);
        let keyed: Vec<&Arc<Pbkdf2>> = methods
            .iter()
            .filter_map(|m| match m {
                Method::AesGcm { keys, .. } => Some(keys),
                Method::Unencrypted { .. } => None,
            })
            .collect();
        if keyed.is_empty() {
            return Err(EncryptionError::Encrypted);
        }
        for keys in keyed {
            let Some(meta) = envelope.meta.get(&keys.meta_key()) else {
                continue;
            };
            let key = keys.decryption_key(meta)?;
            if let Ok(plain) = aead(&key, nonce, sealed, false) {
                return Ok(Cow::Owned(plain));
            }
        }
        Err(EncryptionError::WrongKey {
            tried: references(&methods),
            stored_with: envelope.meta.keys().cloned().collect::<Vec<_>>().join(", "),
        })
    }
}

fn references(methods: &[&Method]) -> String {
    let names: Vec<String> = methods.iter().map(|m| m.reference()).collect();
    names.join(" and ")
}

/// AES-GCM with a 128- or 256-bit key (as `key_length` says): encrypts, or decrypts and
/// checks the tag.
fn aead(key: &[u8], nonce: &[u8], data: &[u8], encrypt: bool) -> Result<Vec<u8>, ()> {
    match key.len() {
        16 => aead_with::<Aes128Gcm>(key, nonce, data, encrypt),
        _ => aead_with::<Aes256Gcm>(key, nonce, data, encrypt),
    }
}

fn aead_with<C: KeyInit + Aead>(
    key: &[u8],
    nonce: &[u8],
    data: &[u8],
    encrypt: bool,
) -> Result<Vec<u8>, ()> {
    let cipher = C::new_from_slice(key).map_err(|_| ())?;
    let nonce = aes_gcm::aead::Nonce::<C>::try_from(nonce).map_err(|_| ())?;
    let result = match encrypt {
        true => cipher.encrypt(&nonce, data),
        false => cipher.decrypt(&nonce, data),
    };
    result.map_err(|_| ())
}
