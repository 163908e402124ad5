//! Kubernetes's rules for object names, label and annotation keys and label values, checked
//! from the configuration as hashicorp/kubernetes checks them: a bad name is refused at plan
//! (at its attribute) even where no server-side dry-run can be made yet (an object in a
//! namespace the same apply makes), so that nothing is half-applied.

use regex::Regex;
use std::sync::LazyLock;

/// The rule a kind's names follow.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NameRule {
    /// An RFC 1123 label (namespaces): at most 63 characters, lowercase alphanumerics and '-'.
    Label,
    /// An RFC 1123 subdomain (most kinds): labels joined by '.', at most 253 characters.
    Subdomain,
    /// Any path segment (RBAC objects): not "." or "..", no '/' or '%'.
    PathSegment,
}

const LABEL: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const QUALIFIED: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";

fn whole(pattern: &str) -> Regex {
    Regex::new(&format!("^(?:{pattern})$")).expect("a valid pattern")
}

static DNS_LABEL: LazyLock<Regex> = LazyLock::new(|| whole(LABEL));
static DNS_SUBDOMAIN: LazyLock<Regex> = LazyLock::new(|| whole(&format!("{LABEL}(\\.{LABEL})*")));
static QUALIFIED_NAME: LazyLock<Regex> = LazyLock::new(|| whole(QUALIFIED));

impl NameRule {
    /// What a name must be.
    fn rule(self) -> &'static str {
        match self {
            NameRule::Label => {
                "a lowercase RFC 1123 label: at most 63 lowercase letters, digits and '-', \
                 starting and ending with a letter or digit (e.g. 'my-name')"
            }
            NameRule::Subdomain => {
                "a lowercase RFC 1123 subdomain: lowercase letters, digits, '-' and '.', \
                 starting and ending with a letter or digit (e.g. 'example.com')"
            }
            NameRule::PathSegment => "a path segment: not '.' or '..', without '/' or '%'",
        }
    }

    fn accepts(self, name: &str) -> bool {
        match self {
            NameRule::Label => name.len() <= 63 && DNS_LABEL.is_match(name),
            NameRule::Subdomain => name.len() <= 253 && DNS_SUBDOMAIN.is_match(name),
            NameRule::PathSegment => {
                !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '%'])
            }
        }
    }

    /// Why `name` is not a name under this rule; `None` when it is one.
    pub fn check(self, name: &str) -> Option<String> {
        let rule = self.rule();
        (!self.accepts(name)).then(|| format!("{name:?} is not a valid name: it must be {rule}."))
    }

    /// Why `prefix` cannot start a name the server generates (it adds five characters).
    pub fn check_prefix(self, prefix: &str) -> Option<String> {
        let rule = self.rule();
        (!self.accepts(&format!("{prefix}x")))
            .then(|| format!("{prefix:?} cannot start a generated name: a name must be {rule}."))
    }
}

/// Why `key` is not a label or annotation key (`[prefix/]name`); `None` when it is one.
pub fn check_key(key: &str) -> Option<String> {
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    let prefix_ok =
        prefix.is_none_or(|p| !p.is_empty() && p.len() <= 253 && DNS_SUBDOMAIN.is_match(p));
    let name_ok = name.len() <= 63 && QUALIFIED_NAME.is_match(name);
    (!prefix_ok || !name_ok).then(|| {
        format!(
            "{key:?} is not a valid key: it must be a name of at most 63 letters, digits, '-', \
             '_' or '.', starting and ending with a letter or digit, optionally after a DNS \
             subdomain prefix and '/' (e.g. 'app.kubernetes.io/name')."
        )
    })
}

/// Why `key` is not a key of a ConfigMap's or a Secret's data; `None` when it is one.
pub fn check_data_key(key: &str) -> Option<String> {
    let ok = !key.is_empty()
        && key.len() <= 253
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    (!ok).then(|| {
        format!(
            "{key:?} is not a valid data key: it must be letters, digits, '-', '_' or '.' \
             (e.g. 'key.name', 'KEY_NAME' or 'key-name')."
        )
    })
}

/// Why `value` is not a label value; `None` when it is one.
pub fn check_label_value(key: &str, value: &str) -> Option<String> {
    let ok = value.is_empty() || (value.len() <= 63 && QUALIFIED_NAME.is_match(value));
    (!ok).then(|| {
        format!(
            "The value {value:?} of label {key:?} is not valid: it must be empty or at most 63 \
             letters, digits, '-', '_' or '.', starting and ending with a letter or digit."
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_their_kinds_rule() {
        assert!(NameRule::Subdomain.check("postgres-credentials").is_none());
        assert!(NameRule::Subdomain.check("a.b-c").is_none());
        let refused = NameRule::Subdomain.check("Bad_Name").unwrap();
        assert!(refused.contains("RFC 1123 subdomain"), "{refused}");
        assert!(NameRule::Label.check("gourmetgram-platform").is_none());
        assert!(NameRule::Label.check("a.b").is_some());
        assert!(NameRule::Label.check(&"a".repeat(64)).is_some());
        assert!(NameRule::PathSegment.check("system:admin-user").is_none());
        assert!(NameRule::PathSegment.check("a/b").is_some());
        assert!(NameRule::Subdomain.check_prefix("run-").is_none());
        assert!(NameRule::Subdomain.check_prefix("Run-").is_some());
    }

    #[test]
    fn label_keys_and_values() {
        assert!(check_key("app.kubernetes.io/name").is_none());
        assert!(check_key("team").is_none());
        assert!(check_key("bad key").is_some());
        assert!(check_key("Bad_Prefix/x").is_some());
        assert!(check_key("a/b/c").is_some());
        assert!(check_label_value("team", "").is_none());
        assert!(check_label_value("team", "gourmet.gram_1").is_none());
        assert!(check_label_value("team", "not ok").is_some());
        assert!(check_data_key("POSTGRES_PASSWORD").is_none());
        assert!(check_data_key(".dockerconfigjson").is_none());
        assert!(check_data_key("bad key").is_some());
    }
}
