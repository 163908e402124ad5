//! `terraform { encryption { ... } }`: OpenTofu's client-side encryption of state and plans,
//! with its block and argument names. ggplan offers the `pbkdf2` key provider and the
//! `aes_gcm` and `unencrypted` methods; every other provider, method or argument is refused by
//! name, so nothing a user wrote is silently ignored.

use super::Decoder;
use crate::config::encryption::{
    EncryptionBlock, KeyProviderBlock, MethodBlock, MethodKind, Passphrase, TargetBlock,
};
use crate::config::{Attr, Block, literal};
use hcl_edit::expr::{Expression, TraversalOperator};

const PBKDF2_ARGUMENTS: [&str; 5] = [
    "passphrase",
    "key_length",
    "iterations",
    "salt_length",
    "hash_function",
];

impl Decoder<'_> {
    pub(super) fn encryption(&mut self, block: &Block) {
        self.reject_unknown(&block.body, &[], "the encryption block");
        let mut encryption = EncryptionBlock {
            range: self.range(Some(block.span.clone())),
            ..EncryptionBlock::default()
        };
        for nested in &block.body.blocks {
            let labels: Vec<&str> = nested.labels.iter().map(String::as_str).collect();
            match (nested.type_name.as_str(), labels.as_slice()) {
                ("key_provider", ["pbkdf2", name]) => {
                    if let Some(p) = self.pbkdf2(nested, name) {
                        encryption.key_providers.push(p);
                    }
                }
                ("method", [kind @ ("aes_gcm" | "unencrypted"), name]) => {
                    if let Some(m) = self.method(nested, kind, name) {
                        encryption.methods.push(m);
                    }
                }
                ("state", []) => encryption.state = self.target(nested),
                ("plan", []) => encryption.plan = self.target(nested),
                (kind @ ("key_provider" | "method"), [label, _]) => self.error(
                    Some(nested.span.clone()),
                    "Unsupported encryption block",
                    format!(
                        "ggplan offers {kind} {}, not {label:?}. Use key_provider \"pbkdf2\" \
                         with method \"aes_gcm\" (or \"unencrypted\" to migrate).",
                        if kind == "method" {
                            "\"aes_gcm\" and \"unencrypted\""
                        } else {
                            "\"pbkdf2\""
                        }
                    ),
                ),
                ("remote_state_data_sources", _) => self.error(
                    Some(nested.span.clone()),
                    "Unsupported encryption block",
                    "ggplan's terraform_remote_state does not read encrypted states yet; \
                     remove remote_state_data_sources."
                        .into(),
                ),
                (other, _) => self.error(
                    Some(nested.span.clone()),
                    "Invalid encryption block",
                    format!(
                        "An encryption block holds key_provider \"TYPE\" \"NAME\", method \
                         \"TYPE\" \"NAME\", state and plan blocks, not {other:?} with {} \
                         label(s).",
                        labels.len()
                    ),
                ),
            }
        }
        self.module.encryption = Some(encryption);
    }

    /// `key_provider "pbkdf2" "NAME"`.
    fn pbkdf2(&mut self, block: &Block, name: &str) -> Option<KeyProviderBlock> {
        self.reject_unknown(&block.body, &PBKDF2_ARGUMENTS, "a pbkdf2 key provider");
        self.reject_blocks(block, "a pbkdf2 key provider");
        let attrs = &block.body.attributes;
        let passphrase = match attrs.get("passphrase") {
            Some(attr) => self.passphrase(attr)?,
            None => {
                self.error(
                    Some(block.span.clone()),
                    "Missing required argument",
                    "A pbkdf2 key provider needs passphrase = \"...\" (at least 16 characters), \
                     usually var.NAME."
                        .into(),
                );
                return None;
            }
        };
        let mut count = |name| attrs.get(name).and_then(|a| self.literal_count(a));
        let (key_length, iterations, salt_length) = (
            count("key_length"),
            count("iterations"),
            count("salt_length"),
        );
        let hash_function = attrs
            .get("hash_function")
            .and_then(|a| self.literal_string(a));
        Some(KeyProviderBlock {
            name: name.to_string(),
            passphrase,
            key_length,
            iterations,
            salt_length,
            hash_function,
            range: self.range(Some(block.span.clone())),
        })
    }

    /// A literal string or `var.NAME`: the key is derived before anything else is evaluated.
    fn passphrase(&mut self, attr: &Attr) -> Option<Passphrase> {
        if let Some(ggplan_sdk::Value::String(s)) = literal(&attr.value.expr) {
            return Some(Passphrase::Literal(s));
        }
        match traversal(&attr.value.expr).as_deref() {
            Some([var, name]) if var == "var" => Some(Passphrase::Variable(name.clone())),
            _ => {
                self.error(
                    Some(attr.value.span.clone()),
                    "Unsupported passphrase expression",
                    "ggplan reads a passphrase from a literal string or an input variable \
                     (passphrase = var.NAME, set with -var, TF_VAR_NAME or a .tfvars file); \
                     locals, functions and other expressions are not supported here."
                        .into(),
                );
                None
            }
        }
    }

    fn method(&mut self, block: &Block, kind: &str, name: &str) -> Option<MethodBlock> {
        self.reject_blocks(block, "an encryption method");
        let kind = if kind == "unencrypted" {
            self.reject_unknown(&block.body, &[], "method \"unencrypted\"");
            MethodKind::Unencrypted
        } else {
            self.reject_unknown(&block.body, &["keys"], "method \"aes_gcm\"");
            let keys = block.body.attributes.get("keys");
            match keys.map(|a| (a, traversal(&a.value.expr))) {
                Some((_, Some(path)))
                    if path.len() == 3 && path[..2] == ["key_provider", "pbkdf2"] =>
                {
                    MethodKind::AesGcm {
                        keys: path[2].clone(),
                    }
                }
                found => {
                    let span = found.map_or(block.span.clone(), |(a, _)| a.value.span.clone());
                    self.error(
                        Some(span),
                        "Invalid keys",
                        "method \"aes_gcm\" needs keys = key_provider.pbkdf2.NAME.".into(),
                    );
                    return None;
                }
            }
        };
        Some(MethodBlock {
            name: name.to_string(),
            kind,
            range: self.range(Some(block.span.clone())),
        })
    }

    /// `state { ... }` or `plan { ... }`.
    fn target(&mut self, block: &Block) -> Option<TargetBlock> {
        let what = format!("the {} block of encryption", block.type_name);
        self.reject_unknown(&block.body, &["method", "enforced"], &what);
        let mut fallback = None;
        for nested in &block.body.blocks {
            if nested.type_name == "fallback" && nested.labels.is_empty() && fallback.is_none() {
                self.reject_unknown(&nested.body, &["method"], "a fallback block");
                fallback = Some(self.method_reference(nested)?);
            } else {
                self.error(
                    Some(nested.span.clone()),
                    "Invalid block",
                    format!("{what} holds at most one fallback {{ method = ... }} block."),
                );
            }
        }
        let enforced = block
            .body
            .attributes
            .get("enforced")
            .is_some_and(|a| self.literal_bool(a));
        Some(TargetBlock {
            method: self.method_reference(block)?,
            fallback,
            enforced,
            range: self.range(Some(block.span.clone())),
        })
    }

    /// `method = method.TYPE.NAME` in `block`.
    fn method_reference(&mut self, block: &Block) -> Option<(String, String)> {
        let attr = block.body.attributes.get("method");
        match attr.map(|a| traversal(&a.value.expr)) {
            Some(Some(path)) if path.len() == 3 && path[0] == "method" => {
                Some((path[1].clone(), path[2].clone()))
            }
            _ => {
                let span = attr.map_or(block.span.clone(), |a| a.value.span.clone());
                self.error(
                    Some(span),
                    "Invalid method",
                    format!(
                        "{} needs method = method.TYPE.NAME (a method of this encryption block).",
                        block.type_name
                    ),
                );
                None
            }
        }
    }

    fn reject_blocks(&mut self, block: &Block, what: &str) {
        for nested in &block.body.blocks {
            self.error(
                Some(nested.span.clone()),
                "Unsupported block type",
                format!("{what} has no {:?} block.", nested.type_name),
            );
        }
    }

    /// A setting that must be a literal whole number above zero.
    fn literal_count(&mut self, attr: &Attr) -> Option<u64> {
        let number = match literal(&attr.value.expr) {
            Some(ggplan_sdk::Value::Number(n)) => n.as_i64().and_then(|i| u64::try_from(i).ok()),
            _ => None,
        };
        if number.is_none_or(|n| n == 0) {
            self.error(
                Some(attr.value.span.clone()),
                "Invalid value",
                format!("{} must be a literal whole number above zero.", attr.name),
            );
            return None;
        }
        number
    }
}

/// The names of `a.b.c`, when the expression is only that.
fn traversal(expr: &Expression) -> Option<Vec<String>> {
    let Expression::Traversal(t) = expr else {
        return None;
    };
    let Expression::Variable(root) = &t.expr else {
        return None;
    };
    let mut names = vec![root.as_str().to_string()];
    for op in &t.operators {
        match op.value() {
            TraversalOperator::GetAttr(n) => names.push(n.as_str().to_string()),
            _ => return None,
        }
    }
    Some(names)
}
