//! OpenTofu's `terraform { encryption { ... } }` block as written: key providers, methods and the
//! `state` and `plan` targets that use them. [`crate::encryption`] turns it into ciphers once the
//! variables a passphrase names are known.

use ggplan_sdk::SourceRange;
use std::fmt;

/// The `encryption` block.
#[derive(Debug, Clone, Default)]
pub struct EncryptionBlock {
    pub key_providers: Vec<KeyProviderBlock>,
    pub methods: Vec<MethodBlock>,
    /// `state { ... }`: how state documents and their journals are stored.
    pub state: Option<TargetBlock>,
    /// `plan { ... }`: how saved plans are stored.
    pub plan: Option<TargetBlock>,
    /// The block's header, for messages.
    pub range: Option<SourceRange>,
}

/// `key_provider "pbkdf2" "NAME" { passphrase = ... }`, OpenTofu's arguments (ggplan offers
/// only the pbkdf2 provider); what it leaves out takes OpenTofu's defaults.
#[derive(Debug, Clone)]
pub struct KeyProviderBlock {
    pub name: String,
    pub passphrase: Passphrase,
    pub key_length: Option<u64>,
    pub iterations: Option<u64>,
    pub salt_length: Option<u64>,
    pub hash_function: Option<String>,
    pub range: Option<SourceRange>,
}

/// Where a passphrase comes from: written in the block, or an input variable (`var.NAME`).
#[derive(Clone)]
pub enum Passphrase {
    Literal(String),
    Variable(String),
}

impl fmt::Debug for Passphrase {
    /// Never the passphrase itself.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Passphrase::Literal(_) => f.write_str("Literal(..)"),
            Passphrase::Variable(name) => write!(f, "Variable({name})"),
        }
    }
}

/// `method "aes_gcm" "NAME" { keys = key_provider.pbkdf2.K }` or `method "unencrypted" "NAME" {}`.
#[derive(Debug, Clone)]
pub struct MethodBlock {
    pub name: String,
    pub kind: MethodKind,
    pub range: Option<SourceRange>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum MethodKind {
    /// AES-GCM with the key of the named pbkdf2 key provider.
    AesGcm { keys: String },
    /// No encryption: only for moving into or out of encryption.
    Unencrypted,
}

/// `state { method = method.T.N  enforced = ...  fallback { method = ... } }`, and `plan { }`.
#[derive(Debug, Clone)]
pub struct TargetBlock {
    /// The method writes use (and reads try first), as `(type, name)`.
    pub method: (String, String),
    /// The method reads try when the primary cannot read (the old key of a rotation).
    pub fallback: Option<(String, String)>,
    /// Refuse to write without encryption.
    pub enforced: bool,
    pub range: Option<SourceRange>,
}
