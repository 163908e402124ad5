//! Whether to trust a host's key: known_hosts, keys pinned in the provider block, and keys
//! pinned in state on first use.

use russh::keys::{HashAlg, PublicKey};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Mutex;

/// What a host must show to be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostKeyPolicy {
    /// A key listed in known_hosts or pinned in the provider block.
    Strict,
    /// As strict where the host is known; a host never seen is trusted, and its key is pinned
    /// in the state of every resource on it.
    AcceptNew,
    /// Any key.
    Off,
}

impl HostKeyPolicy {
    /// The policy named `text` as in the provider block.
    pub fn parse(text: &str) -> Option<HostKeyPolicy> {
        match text {
            "strict" => Some(HostKeyPolicy::Strict),
            "accept-new" => Some(HostKeyPolicy::AcceptNew),
            "off" => Some(HostKeyPolicy::Off),
            _ => None,
        }
    }
}

/// Why a host key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostKeyError {
    #[error(
        "the host key of {host} changed: it shows {found}, but {pinned_by} pins {expected}. Someone \
         may be intercepting the connection, or the host was rebuilt; if you know it was rebuilt, \
         update {pinned_by}"
    )]
    Changed {
        host: String,
        found: String,
        expected: String,
        /// Where the expected key came from.
        pinned_by: String,
    },
    #[error(
        "{host} is not a known host (its key is {found}) and host_key_policy is \"strict\". Add \
         it to the known_hosts file (ssh-keyscan), pin it in host_keys, or use \"accept-new\""
    )]
    Unknown { host: String, found: String },
}

/// The SHA-256 fingerprint of a key, as `ssh-keygen -l` prints it (`SHA256:...`).
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// Whether `pin` (a fingerprint or an OpenSSH public key line) names `key`.
fn pin_matches(pin: &str, key: &PublicKey) -> bool {
    let pin = pin.trim();
    if pin.starts_with("SHA256:") {
        return pin == fingerprint(key);
    }
    PublicKey::from_openssh(pin).is_ok_and(|pinned| pinned.key_data() == key.key_data())
}

/// Decides whether to trust host keys.
#[derive(Debug)]
pub struct Verifier {
    policy: HostKeyPolicy,
    known_hosts: PathBuf,
    /// The provider block's `host_keys`, by host or `host:port`.
    configured: BTreeMap<String, String>,
    /// Fingerprints pinned in state, learned from the resources as they are refreshed.
    from_state: Mutex<HashMap<(String, u16), String>>,
}

impl Verifier {
    pub fn new(
        policy: HostKeyPolicy,
        known_hosts: PathBuf,
        configured: BTreeMap<String, String>,
    ) -> Verifier {
        Verifier {
            policy,
            known_hosts,
            configured,
            from_state: Mutex::new(HashMap::new()),
        }
    }

    /// Remembers the fingerprint a resource's state pins for a host (the first one wins; a
    /// resource pinning another is refused when it is used).
    pub fn pin_from_state(&self, host: &str, port: u16, pinned: &str) {
        if let Ok(mut pins) = self.from_state.lock() {
            pins.entry((host.to_string(), port))
                .or_insert_with(|| pinned.to_string());
        }
    }

    /// Checks a fingerprint seen on a connection against one a resource's state pins.
    pub fn check_state_pin(
        &self,
        host: &str,
        seen: &str,
        pinned: &str,
    ) -> Result<(), HostKeyError> {
        if self.policy == HostKeyPolicy::Off || seen == pinned {
            return Ok(());
        }
        Err(HostKeyError::Changed {
            host: host.to_string(),
            found: seen.to_string(),
            expected: pinned.to_string(),
            pinned_by: "the state (pinned on first use)".to_string(),
        })
    }

    /// Whether to trust `key` from `host:port`.
    pub fn check(&self, host: &str, port: u16, key: &PublicKey) -> Result<(), HostKeyError> {
        if self.policy == HostKeyPolicy::Off {
            return Ok(());
        }
        let found = fingerprint(key);
        let changed = |expected: &str, pinned_by: String| HostKeyError::Changed {
            host: host.to_string(),
            found: found.clone(),
            expected: expected.to_string(),
            pinned_by,
        };
        let mut known = false;
        let by_port = format!("{host}:{port}");
        for name in [by_port.as_str(), host] {
            if let Some(pin) = self.configured.get(name) {
                if !pin_matches(pin, key) {
                    return Err(changed(pin, format!("host_keys[{name:?}]")));
                }
                known = true;
            }
        }
        let from_state = self
            .from_state
            .lock()
            .ok()
            .and_then(|pins| pins.get(&(host.to_string(), port)).cloned());
        if let Some(pin) = from_state {
            self.check_state_pin(host, &found, &pin)?;
        }
        // Compared by key data, not as whole keys: a listed key's comment is not the server's.
        let listed = russh::keys::known_hosts::known_host_keys_path(host, port, &self.known_hosts)
            .unwrap_or_default();
        let same_algorithm = listed
            .iter()
            .filter(|(_, k)| k.algorithm() == key.algorithm());
        let mut changed_at = None;
        for (line, listed) in same_algorithm {
            if listed.key_data() == key.key_data() {
                known = true;
            } else {
                changed_at.get_or_insert(*line);
            }
        }
        if let (false, Some(line)) = (known, changed_at) {
            let file = self.known_hosts.display();
            return Err(changed("another key", format!("{file} line {line}")));
        }
        if known || self.policy == HostKeyPolicy::AcceptNew {
            Ok(())
        } else {
            Err(HostKeyError::Unknown {
                host: host.to_string(),
                found,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Two throwaway ed25519 public keys (`ssh-keygen -t ed25519`), not secrets.
    const KEY_A: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHCCbh0RmuIwTqz2I0tU4cchK/gQheNuxY/xCUm8YLz1 a";
    const KEY_B: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAM3sEcACE+jjrGLyJrQP+xugkb1wzz1RVXTZyNhhtXS b";

    fn key(text: &str) -> PublicKey {
        PublicKey::from_openssh(text).unwrap()
    }

    fn verifier(
        policy: HostKeyPolicy,
        known_hosts: &str,
        pins: &[(&str, &str)],
    ) -> (Verifier, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("known_hosts");
        std::fs::write(&path, known_hosts).unwrap();
        let pins = pins
            .iter()
            .map(|(h, k)| (h.to_string(), k.to_string()))
            .collect();
        (Verifier::new(policy, path, pins), dir)
    }

    #[test]
    fn strict_trusts_known_hosts_and_pins_only() {
        let listed = format!("[10.0.0.1]:2222 {KEY_A}\n");
        let (v, _dir) = verifier(HostKeyPolicy::Strict, &listed, &[("10.0.0.2", KEY_B)]);
        assert_eq!(v.check("10.0.0.1", 2222, &key(KEY_A)), Ok(()));
        assert!(matches!(
            v.check("10.0.0.1", 2222, &key(KEY_B)),
            Err(HostKeyError::Changed { .. })
        ));
        assert_eq!(v.check("10.0.0.2", 22, &key(KEY_B)), Ok(()));
        let err = v.check("10.0.0.2", 22, &key(KEY_A)).unwrap_err();
        assert!(err.to_string().contains("host_keys[\"10.0.0.2\"]"), "{err}");
        assert!(matches!(
            v.check("10.0.0.3", 22, &key(KEY_A)),
            Err(HostKeyError::Unknown { .. })
        ));
    }

    #[test]
    fn accept_new_trusts_strangers_but_not_changed_keys() {
        let (v, _dir) = verifier(HostKeyPolicy::AcceptNew, "", &[]);
        assert_eq!(v.check("10.0.0.3", 22, &key(KEY_A)), Ok(()));
        v.pin_from_state("10.0.0.3", 22, &fingerprint(&key(KEY_A)));
        let err = v.check("10.0.0.3", 22, &key(KEY_B)).unwrap_err();
        assert!(err.to_string().contains("pinned on first use"), "{err}");
        // Another port is another host.
        assert_eq!(v.check("10.0.0.3", 2222, &key(KEY_B)), Ok(()));
    }

    #[test]
    fn fingerprints_pin_like_keys() {
        let pin = fingerprint(&key(KEY_A));
        assert!(pin.starts_with("SHA256:"));
        assert!(pin_matches(&pin, &key(KEY_A)));
        assert!(!pin_matches(&pin, &key(KEY_B)));
        assert!(pin_matches(KEY_A, &key(KEY_A)));
        let (v, _dir) = verifier(HostKeyPolicy::Off, "", &[("h", KEY_B)]);
        assert_eq!(v.check("h", 22, &key(KEY_A)), Ok(()));
    }
}
