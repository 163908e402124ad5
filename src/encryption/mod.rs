//! Client-side encryption of what ggplan keeps at rest, OpenTofu's way: the state document, its
//! journal and backup (the `state` target) in every backend, and saved plans (the `plan`
//! target). [`Encryption::resolve`] turns the configuration's `encryption` block into
//! [`Target`]s once the input variables a passphrase names are known; backends and the plan
//! file then [`Target::seal`] what they write and [`Target::open`] what they read.
//!
//! OpenTofu's rules: writes use the target's `method`; reads try it, then its `fallback`
//! (key rotation: the old key as fallback reads what the new key has not rewritten yet);
//! plain data is read only when one of them is `method "unencrypted"` (migrating in), and
//! written only when `method` is (migrating out), which `enforced = true` forbids. Encrypted
//! data with no `encryption` block, or with keys that do not open it, is an error, and the
//! reader then writes nothing.

mod pbkdf2;
mod target;

pub use target::{Method, Target};

use crate::config::encryption::{EncryptionBlock, MethodKind, Passphrase, TargetBlock};
use pbkdf2::{Pbkdf2, Pbkdf2Options};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Why stored data cannot be read or written under the configured encryption. The caller says
/// which file or row; no message holds a passphrase, a key or the data.
#[derive(Debug, thiserror::Error)]
pub enum EncryptionError {
    #[error(
        "it is encrypted and the configuration has no method that opens it: add \
         terraform {{ encryption {{ ... }} }} with the key_provider and method it was \
         written with"
    )]
    Encrypted,
    #[error(
        "it is encrypted with another key than {tried} (it was written with {stored_with}): \
         check the passphrase; when rotating keys, keep the old key provider and method as \
         fallback {{ method = ... }} until the state has been written with the new one"
    )]
    WrongKey { tried: String, stored_with: String },
    #[error(
        "it is not encrypted, and {0} only read encrypted data: to encrypt an existing state, \
         add method \"unencrypted\" \"migrate\" {{}} and fallback {{ method = \
         method.unencrypted.migrate }} for one run"
    )]
    NotEncrypted(String),
    #[error(
        "enforced = true forbids writing it unencrypted with {0}: remove enforced to migrate \
         out of encryption"
    )]
    Enforced(String),
    #[error("its encryption envelope is damaged ({0})")]
    Damaged(String),
    #[error(
        "it was encrypted with envelope version {0:?}, which this ggplan does not read (it \
         reads \"v0\")"
    )]
    Version(String),
    #[error("no random numbers for a salt or nonce: {0}")]
    Random(String),
    #[error("it is too large for AES-GCM")]
    TooLarge,
}

/// The `state` and `plan` targets of a configuration.
#[derive(Debug, Clone, Default)]
pub struct Encryption {
    pub state: Target,
    pub plan: Target,
}

impl Encryption {
    /// The targets of `block`; `variable` gives the value of an input variable a passphrase
    /// names. The error says what to change (never the passphrase).
    pub fn resolve(
        block: Option<&EncryptionBlock>,
        variable: impl Fn(&str) -> Option<String>,
    ) -> Result<Encryption, String> {
        let Some(block) = block else {
            return Ok(Encryption::default());
        };
        let mut providers = BTreeMap::new();
        for p in &block.key_providers {
            let passphrase = match &p.passphrase {
                Passphrase::Literal(text) => text.clone(),
                Passphrase::Variable(name) => variable(name).ok_or(format!(
                    "the passphrase of key_provider \"pbkdf2\" \"{}\" is var.{name}, which \
                     has no value: set it with -var, TF_VAR_{name} or a .tfvars file.",
                    p.name
                ))?,
            };
            let options = Pbkdf2Options {
                key_length: p.key_length,
                iterations: p.iterations,
                salt_length: p.salt_length,
                hash_function: p.hash_function.clone(),
            };
            let provider = Pbkdf2::new(&p.name, passphrase, options)?;
            if providers
                .insert(p.name.clone(), Arc::new(provider))
                .is_some()
            {
                return Err(format!(
                    "key_provider \"pbkdf2\" \"{}\" is declared twice.",
                    p.name
                ));
            }
        }
        let mut methods = BTreeMap::new();
        for m in &block.methods {
            let method = match &m.kind {
                MethodKind::Unencrypted => Method::Unencrypted {
                    name: m.name.clone(),
                },
                MethodKind::AesGcm { keys } => Method::AesGcm {
                    name: m.name.clone(),
                    keys: providers.get(keys).cloned().ok_or(format!(
                        "method \"aes_gcm\" \"{}\" uses key_provider.pbkdf2.{keys}, which is \
                         not declared.",
                        m.name
                    ))?,
                },
            };
            if methods.insert(method.reference(), method).is_some() {
                return Err(format!("method \"{}\" is declared twice.", m.name));
            }
        }
        Ok(Encryption {
            state: target(block.state.as_ref(), &methods)?,
            plan: target(block.plan.as_ref(), &methods)?,
        })
    }
}

fn target(
    block: Option<&TargetBlock>,
    methods: &BTreeMap<String, Method>,
) -> Result<Target, String> {
    let Some(block) = block else {
        return Ok(Target::default());
    };
    let find = |(kind, name): &(String, String)| {
        let reference = format!("method.{kind}.{name}");
        methods.get(&reference).cloned().ok_or(format!(
            "{reference} is not a method of the encryption block."
        ))
    };
    let primary = find(&block.method)?;
    if block.enforced && matches!(primary, Method::Unencrypted { .. }) {
        return Err(format!(
            "{} is unencrypted while enforced = true: remove enforced to migrate out of \
             encryption, or use an aes_gcm method.",
            primary.reference()
        ));
    }
    Ok(Target {
        primary: Some(primary),
        fallback: block.fallback.as_ref().map(find).transpose()?,
        enforced: block.enforced,
    })
}

/// A target sealing with AES-GCM under `passphrase` (quick settings), for other modules' tests.
#[cfg(test)]
pub(crate) fn test_target(passphrase: &str) -> Target {
    let options = Pbkdf2Options {
        iterations: Some(u64::from(pbkdf2::MIN_ITERATIONS)),
        hash_function: Some("sha256".into()),
        ..Pbkdf2Options::default()
    };
    let keys = Arc::new(Pbkdf2::new("test", passphrase.into(), options).expect("valid"));
    Target {
        primary: Some(Method::AesGcm {
            name: "test".into(),
            keys,
        }),
        fallback: None,
        enforced: false,
    }
}

#[cfg(test)]
mod tests;
