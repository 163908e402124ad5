//! Field paths as hashicorp/kubernetes writes them in `computed_fields` and `wait.fields`:
//! `metadata.labels`, `status.containerStatuses[0].ready`, `data["token"]`.

use ggplan_sdk::AttrPath;
use serde_json::Value as Json;

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// A parsed field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPath(pub Vec<Step>);

impl FieldPath {
    /// Parses `text`; the error says what is wrong.
    pub fn parse(text: &str) -> Result<FieldPath, String> {
        let mut steps = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            if let Some(bracketed) = rest.strip_prefix('[') {
                let (step, after) = bracket(bracketed).ok_or_else(|| bad(text))?;
                steps.push(step);
                rest = after;
            } else {
                let end = rest.find(['.', '[']).unwrap_or(rest.len());
                if end == 0 {
                    return Err(bad(text));
                }
                steps.push(Step::Key(rest[..end].to_string()));
                rest = &rest[end..];
            }
            if let Some(after) = rest.strip_prefix('.') {
                if after.is_empty() || after.starts_with(['.', '[']) {
                    return Err(bad(text));
                }
                rest = after;
            }
        }
        if steps.is_empty() {
            return Err(bad(text));
        }
        Ok(FieldPath(steps))
    }

    /// The same path as an attribute path.
    pub fn attr_path(&self) -> AttrPath {
        self.0
            .iter()
            .fold(AttrPath::root(), |path, step| match step {
                Step::Key(key) => path.key(key),
                Step::Index(index) => path.index(*index),
            })
    }

    /// The value at this path in `object`, if it has one.
    pub fn get<'a>(&self, object: &'a Json) -> Option<&'a Json> {
        self.0.iter().try_fold(object, |value, step| match step {
            Step::Key(key) => value.get(key),
            Step::Index(index) => value.get(index),
        })
    }
}

/// `0]...` or `"key"]...`: the step and what follows the closing bracket.
fn bracket(text: &str) -> Option<(Step, &str)> {
    if text.starts_with('"') {
        let close = text.find("\"]")?;
        let key: String = serde_json::from_str(&text[..=close]).ok()?;
        return Some((Step::Key(key), &text[close + 2..]));
    }
    let close = text.find(']')?;
    let index = text[..close].parse().ok()?;
    Some((Step::Index(index), &text[close + 1..]))
}

fn bad(text: &str) -> String {
    format!(
        "{text:?} is not a field path: write fields with dots, list elements as [0] and map \
         keys as [\"key\"], e.g. status.conditions[0].type or data[\"token\"]"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_parse_as_hashicorp_kubernetes_writes_them() {
        assert_eq!(
            FieldPath::parse("status.containerStatuses[0].ready")
                .unwrap()
                .0,
            [
                Step::Key("status".into()),
                Step::Key("containerStatuses".into()),
                Step::Index(0),
                Step::Key("ready".into())
            ]
        );
        assert_eq!(
            FieldPath::parse("data[\"tls.crt\"]").unwrap().0,
            [Step::Key("data".into()), Step::Key("tls.crt".into())]
        );
        for bad in ["", ".a", "a.", "a..b", "a[x]", "a[\"k]", "a[1"] {
            assert!(FieldPath::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_path_finds_its_value() {
        let object = json!({"status": {"conditions": [{"type": "Ready"}]}, "data": {"a.b": "x"}});
        let path = FieldPath::parse("status.conditions[0].type").unwrap();
        assert_eq!(path.get(&object), Some(&json!("Ready")));
        let key = FieldPath::parse("data[\"a.b\"]").unwrap();
        assert_eq!(key.get(&object), Some(&json!("x")));
        assert_eq!(FieldPath::parse("status.phase").unwrap().get(&object), None);
    }
}
