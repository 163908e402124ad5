use super::*;
use crate::config::encryption::{KeyProviderBlock, MethodBlock};

const SECRET: &[u8] = br#"{"version":1,"password":"minio-secret-0451"}"#;

/// An `encryption` block with one pbkdf2 provider per passphrase (`k0`, `k1`, ...), an aes_gcm
/// method for each (`m0`, ...), `method "unencrypted" "plain"`, and a state target.
fn block(passphrases: &[&str], method: &str, fallback: Option<&str>) -> EncryptionBlock {
    let reference = |m: &str| match m {
        "plain" => ("unencrypted".to_string(), m.to_string()),
        _ => ("aes_gcm".to_string(), m.to_string()),
    };
    let mut methods: Vec<MethodBlock> = (0..passphrases.len())
        .map(|i| MethodBlock {
            name: format!("m{i}"),
            kind: MethodKind::AesGcm {
                keys: format!("k{i}"),
            },
            range: None,
        })
        .collect();
    methods.push(MethodBlock {
        name: "plain".into(),
        kind: MethodKind::Unencrypted,
        range: None,
    });
    EncryptionBlock {
        key_providers: passphrases
            .iter()
            .enumerate()
            .map(|(i, p)| KeyProviderBlock {
                name: format!("k{i}"),
                passphrase: Passphrase::Literal(p.to_string()),
                key_length: None,
                // OpenTofu's lowest, to keep the tests quick.
                iterations: Some(200_000),
                salt_length: None,
                hash_function: None,
                range: None,
            })
            .collect(),
        methods,
        state: Some(TargetBlock {
            method: reference(method),
            fallback: fallback.map(reference),
            enforced: false,
            range: None,
        }),
        plan: None,
        range: None,
    }
}

fn state_target(passphrases: &[&str], method: &str, fallback: Option<&str>) -> Target {
    let block = block(passphrases, method, fallback);
    Encryption::resolve(Some(&block), |_| None).unwrap().state
}

const OLD: &str = "old passphrase, sixteen+";
const NEW: &str = "new passphrase, sixteen+";

#[test]
fn sealed_data_holds_no_plain_text_and_opens_only_with_the_key() {
    let target = state_target(&[OLD], "m0", None);
    let sealed = target.seal(SECRET).unwrap().into_owned();
    let text = String::from_utf8(sealed.clone()).unwrap();
    assert!(!text.contains("minio-secret"), "{text}");
    assert!(
        text.starts_with("{\"encryption_version\":\"v0\",\"meta\":{\"key_provider.pbkdf2.k0\":"),
        "{text}"
    );
    assert_eq!(&*target.open(&sealed).unwrap(), SECRET);
    // Another run (a new salt) reads it too.
    assert_eq!(
        &*state_target(&[OLD], "m0", None).open(&sealed).unwrap(),
        SECRET
    );

    let wrong = state_target(&[NEW], "m0", None).open(&sealed).unwrap_err();
    assert!(matches!(wrong, EncryptionError::WrongKey { .. }), "{wrong}");
    let msg = wrong.to_string();
    assert!(!msg.contains(OLD) && !msg.contains(NEW), "{msg}");
    let unconfigured = Target::default().open(&sealed).unwrap_err();
    assert!(
        matches!(unconfigured, EncryptionError::Encrypted),
        "{unconfigured}"
    );

    let mut tampered = sealed.clone();
    let at = text.find("encrypted_data\":\"").unwrap() + 20;
    tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
    assert!(target.open(&tampered).is_err());
}

#[test]
fn rotation_reads_with_the_fallback_and_writes_with_the_primary() {
    // The old key keeps its provider's name (k1): its metadata is stored under that name.
    let sealed_old = state_target(&[NEW, OLD], "m1", None)
        .seal(SECRET)
        .unwrap()
        .into_owned();
    let rotating = state_target(&[NEW, OLD], "m0", Some("m1"));
    assert_eq!(&*rotating.open(&sealed_old).unwrap(), SECRET);
    let sealed_new = rotating.seal(SECRET).unwrap().into_owned();
    let new_only = state_target(&[NEW], "m0", None);
    assert_eq!(&*new_only.open(&sealed_new).unwrap(), SECRET);
    assert!(new_only.open(&sealed_old).is_err());
}

#[test]
fn plain_data_is_read_only_through_an_unencrypted_method() {
    let encrypted_only = state_target(&[OLD], "m0", None);
    let err = encrypted_only.open(SECRET).unwrap_err();
    assert!(matches!(err, EncryptionError::NotEncrypted(_)), "{err}");
    assert!(
        err.to_string().contains("method.unencrypted.migrate"),
        "{err}"
    );

    let migrating_in = state_target(&[OLD], "m0", Some("plain"));
    assert_eq!(&*migrating_in.open(SECRET).unwrap(), SECRET);
    assert!(migrating_in.encrypts());

    let sealed = encrypted_only.seal(SECRET).unwrap().into_owned();
    let migrating_out = state_target(&[OLD], "plain", Some("m0"));
    assert_eq!(&*migrating_out.open(&sealed).unwrap(), SECRET);
    assert_eq!(&*migrating_out.seal(SECRET).unwrap(), SECRET);
    assert!(!migrating_out.encrypts());
}

#[test]
fn enforced_refuses_an_unencrypted_primary() {
    let mut block = block(&[OLD], "plain", Some("m0"));
    block.state.as_mut().unwrap().enforced = true;
    let err = Encryption::resolve(Some(&block), |_| None).unwrap_err();
    assert!(err.contains("enforced = true"), "{err}");
}

#[test]
fn a_passphrase_variable_without_a_value_or_an_undeclared_provider_is_an_error() {
    let mut with_var = block(&[OLD], "m0", None);
    with_var.key_providers[0].passphrase = Passphrase::Variable("state_key".into());
    let err = Encryption::resolve(Some(&with_var), |_| None).unwrap_err();
    assert!(
        err.contains("var.state_key") && err.contains("TF_VAR_state_key"),
        "{err}"
    );
    let resolved = Encryption::resolve(Some(&with_var), |n| {
        (n == "state_key").then(|| OLD.to_string())
    });
    let sealed = resolved.unwrap().state.seal(SECRET).unwrap().into_owned();
    assert_eq!(
        &*state_target(&[OLD], "m0", None).open(&sealed).unwrap(),
        SECRET
    );

    let mut dangling = block(&[OLD], "m0", None);
    dangling.key_providers.clear();
    let err = Encryption::resolve(Some(&dangling), |_| None).unwrap_err();
    assert!(
        err.contains("key_provider.pbkdf2.k0, which is not declared"),
        "{err}"
    );
}
