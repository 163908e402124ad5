//! OpenTofu's `pbkdf2` key provider: a key derived from a passphrase with PBKDF2-HMAC, a new
//! random salt for what this run writes, and the salt, rounds, hash and length of what it reads
//! taken from the stored metadata (so a later change of `iterations` still reads old data).

use super::EncryptionError;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use sha2::{Sha256, Sha512};
use std::fmt;
use std::sync::{Mutex, OnceLock};

/// OpenTofu's shortest passphrase.
pub const MIN_PASSPHRASE_CHARS: usize = 16;
/// OpenTofu's defaults and lower bound.
pub const DEFAULT_ITERATIONS: u32 = 600_000;
pub const MIN_ITERATIONS: u32 = 200_000;
const DEFAULT_SALT_LENGTH: usize = 32;
const DEFAULT_KEY_LENGTH: usize = 32;

/// The HMAC hash of the derivation (`hash_function`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HashFunction {
    Sha256,
    Sha512,
}

impl HashFunction {
    pub fn parse(name: &str) -> Option<HashFunction> {
        match name {
            "sha256" => Some(HashFunction::Sha256),
            "sha512" => Some(HashFunction::Sha512),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            HashFunction::Sha256 => "sha256",
            HashFunction::Sha512 => "sha512",
        }
    }
}

/// What a reader needs besides the passphrase to derive the key a writer used; stored in the
/// `meta` of every encrypted document under `key_provider.pbkdf2.NAME`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyMeta {
    /// Base64.
    pub salt: String,
    pub iterations: u32,
    pub hash_function: String,
    pub key_length: usize,
}

/// The settings of one `key_provider "pbkdf2"` block, with the keys it derived (a derivation
/// is made once per salt in a run: it is slow on purpose).
pub struct Pbkdf2 {
    pub name: String,
    passphrase: String,
    key_length: usize,
    iterations: u32,
    salt_length: usize,
    hash: HashFunction,
    writing: OnceLock<(Vec<u8>, KeyMeta)>,
    reading: Mutex<Vec<(KeyMeta, Vec<u8>)>>,
}

impl fmt::Debug for Pbkdf2 {
    /// Never the passphrase or a key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pbkdf2({})", self.name)
    }
}

/// The optional arguments of the block; `None` takes OpenTofu's default.
#[derive(Debug, Default)]
pub struct Pbkdf2Options {
    pub key_length: Option<u64>,
    pub iterations: Option<u64>,
    pub salt_length: Option<u64>,
    pub hash_function: Option<String>,
}

impl Pbkdf2 {
    /// Checks the settings as OpenTofu does; the error says what to change (never the
    /// passphrase).
    pub fn new(name: &str, passphrase: String, options: Pbkdf2Options) -> Result<Pbkdf2, String> {
        let what = format!("key_provider \"pbkdf2\" \"{name}\"");
        if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
            return Err(format!(
                "the passphrase of {what} is shorter than {MIN_PASSPHRASE_CHARS} characters."
            ));
        }
        let iterations = match options.iterations {
            None => DEFAULT_ITERATIONS,
            Some(n) => u32::try_from(n)
                .ok()
                .filter(|n| *n >= MIN_ITERATIONS)
                .ok_or(format!(
                    "iterations of {what} must be at least {MIN_ITERATIONS} (and below 2^32)."
                ))?,
        };
        let key_length = match options.key_length {
            None => DEFAULT_KEY_LENGTH,
            Some(n @ (16 | 32)) => n as usize,
            Some(_) => {
                return Err(format!(
                    "key_length of {what} must be 16 or 32 (AES-128 or AES-256)."
                ));
            }
        };
        let salt_length = match options.salt_length {
            None => DEFAULT_SALT_LENGTH,
            Some(n @ 16..=1024) => n as usize,
            Some(_) => return Err(format!("salt_length of {what} must be 16 to 1024 bytes.")),
        };
        let hash = match options.hash_function.as_deref() {
            None => HashFunction::Sha512,
            Some(h) => HashFunction::parse(h).ok_or(format!(
                "hash_function of {what} must be \"sha256\" or \"sha512\"."
            ))?,
        };
        Ok(Pbkdf2 {
            name: name.to_string(),
            passphrase,
            key_length,
            iterations,
            salt_length,
            hash,
            writing: OnceLock::new(),
            reading: Mutex::new(Vec::new()),
        })
    }

    /// The key under which the provider's metadata is stored.
    pub fn meta_key(&self) -> String {
        format!("key_provider.pbkdf2.{}", self.name)
    }

    /// The key this run encrypts with (a new salt, drawn once per run), and its metadata.
    pub fn encryption_key(&self) -> Result<&(Vec<u8>, KeyMeta), EncryptionError> {
        if let Some(key) = self.writing.get() {
            return Ok(key);
        }
        let mut salt = vec![0u8; self.salt_length];
        getrandom::fill(&mut salt).map_err(|e| EncryptionError::Random(e.to_string()))?;
        let meta = KeyMeta {
            salt: STANDARD.encode(&salt),
            iterations: self.iterations,
            hash_function: self.hash.name().to_string(),
            key_length: self.key_length,
        };
        let key = self.derive(&meta)?;
        Ok(self.writing.get_or_init(|| (key, meta)))
    }

    /// The key that data written with `meta` was encrypted with, if the passphrase is right.
    pub fn decryption_key(&self, meta: &KeyMeta) -> Result<Vec<u8>, EncryptionError> {
        if let Some((key, _)) = self.writing.get().filter(|(_, m)| m == meta) {
            return Ok(key.clone());
        }
        let mut reading = self.reading.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, key)) = reading.iter().find(|(m, _)| m == meta) {
            return Ok(key.clone());
        }
        let key = self.derive(meta)?;
        reading.push((meta.clone(), key.clone()));
        Ok(key)
    }

    fn derive(&self, meta: &KeyMeta) -> Result<Vec<u8>, EncryptionError> {
        let damaged = |what: &str| EncryptionError::Damaged(format!("its {what} metadata"));
        let salt = STANDARD.decode(&meta.salt).map_err(|_| damaged("salt"))?;
        if !matches!(meta.key_length, 16 | 32) || meta.iterations == 0 {
            return Err(damaged("key length or iterations"));
        }
        let hash = HashFunction::parse(&meta.hash_function).ok_or(damaged("hash_function"))?;
        let mut key = vec![0u8; meta.key_length];
        let passphrase = self.passphrase.as_bytes();
        match hash {
            HashFunction::Sha256 => {
                pbkdf2::pbkdf2_hmac::<Sha256>(passphrase, &salt, meta.iterations, &mut key)
            }
            HashFunction::Sha512 => {
                pbkdf2::pbkdf2_hmac::<Sha512>(passphrase, &salt, meta.iterations, &mut key)
            }
        }
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(passphrase: &str) -> Pbkdf2 {
        let options = Pbkdf2Options {
            iterations: Some(u64::from(MIN_ITERATIONS)),
            hash_function: Some("sha256".into()),
            ..Pbkdf2Options::default()
        };
        Pbkdf2::new("k", passphrase.into(), options).unwrap()
    }

    #[test]
    fn the_same_passphrase_and_meta_give_the_same_key_and_another_passphrase_does_not() {
        let writer = provider("correct horse battery staple");
        let (key, meta) = writer.encryption_key().unwrap().clone();
        assert_eq!(key.len(), 32);
        assert_eq!(meta.iterations, MIN_ITERATIONS);
        let reader = provider("correct horse battery staple");
        assert_eq!(reader.decryption_key(&meta).unwrap(), key);
        assert_ne!(
            provider("another passphrase, long")
                .decryption_key(&meta)
                .unwrap(),
            key
        );
        // A new run draws a new salt.
        assert_ne!(reader.encryption_key().unwrap().1.salt, meta.salt);
    }

    #[test]
    fn settings_below_opentofus_bounds_are_refused_without_the_passphrase() {
        let short = Pbkdf2::new("k", "too short".into(), Pbkdf2Options::default());
        let err = short.unwrap_err();
        assert!(
            err.contains("shorter than 16") && !err.contains("too short"),
            "{err}"
        );
        let few = Pbkdf2Options {
            iterations: Some(1000),
            ..Pbkdf2Options::default()
        };
        let err = Pbkdf2::new("k", "a long enough passphrase".into(), few).unwrap_err();
        assert!(err.contains("at least 200000"), "{err}");
        let md5 = Pbkdf2Options {
            hash_function: Some("md5".into()),
            ..Pbkdf2Options::default()
        };
        assert!(Pbkdf2::new("k", "a long enough passphrase".into(), md5).is_err());
    }
}
