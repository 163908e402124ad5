//! The `random` provider: `random_password`, `random_string` and `random_id`, as in
//! `hashicorp/random` v3.
//!
//! Every configurable attribute is force-new: any change (`keepers` included) generates a new
//! value, and a value is generated only by apply, so it is unknown in the plan of a create or
//! replace. Characters are drawn with the operating system's CSPRNG.
//!
//! As in Terraform, `min_upper` and friends draw from their class even when the class itself is
//! disabled (`upper = false, min_upper = 2` yields two upper-case letters); `validate` warns
//! about it. Unlike Terraform, lengths and `override_special` count characters, not bytes, so a
//! multi-byte special character is never split.

use crate::{entropy, plan_replace_only, required_whole, set_attr, unsupported_type, whole_number};
use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ggplan_sdk::{
    ApplyRequest, ApplyResponse, AttrPath, Attribute, Diagnostic, Diagnostics, PlanRequest,
    PlanResponse, Provider, ProviderSchema, ReadRequest, ResourceKind, Schema, Type, Value,
};

const PROVIDER: &str = "random";
const PASSWORD: &str = "random_password";
const STRING: &str = "random_string";
const ID: &str = "random_id";

const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
const NUMERIC: &str = "0123456789";
/// Terraform's default special characters.
const SPECIAL: &str = "!@#$%&*()-_=+[]{}<>:?";

/// The character classes: (switch attribute, minimum attribute).
const CLASSES: [(&str, &str); 4] = [
    ("upper", "min_upper"),
    ("lower", "min_lower"),
    ("numeric", "min_numeric"),
    ("special", "min_special"),
];

/// The `random` provider.
pub(crate) struct RandomProvider;

fn keepers() -> Attribute {
    Attribute::optional(Type::Map(Box::new(Type::String)))
        .force_new()
        .describe("Arbitrary values whose change generates a new value.")
}

/// The schema of `random_password` (`sensitive`) or `random_string`.
fn string_schema(sensitive: bool) -> Schema {
    let mut result = Attribute::computed(Type::String).describe("The generated value.");
    if sensitive {
        result = result.sensitive();
    }
    let mut attributes = vec![
        (
            "length",
            Attribute::required(Type::Number)
                .force_new()
                .describe("The number of characters; at least the sum of the min_* values."),
        ),
        (
            "override_special",
            Attribute::optional(Type::String)
                .force_new()
                .describe("The special characters to use instead of !@#$%&*()-_=+[]{}<>:?"),
        ),
        ("keepers", keepers()),
        ("result", result),
        (
            "id",
            Attribute::computed(Type::String).describe(if sensitive {
                "Always \"none\"."
            } else {
                "The generated value."
            }),
        ),
    ];
    for (class, min) in CLASSES {
        attributes.push((
            class,
            Attribute::optional(Type::Bool)
                .default(Value::Bool(true))
                .force_new()
                .describe("Whether to use this character class."),
        ));
        attributes.push((
            min,
            Attribute::optional(Type::Number)
                .default(Value::int(0))
                .force_new()
                .describe("The least number of characters of this class."),
        ));
    }
    let description = if sensitive {
        "A random password; result is sensitive."
    } else {
        "A random string; result is not sensitive: use random_password for secrets."
    };
    Schema::new(description, attributes)
}

fn id_schema() -> Schema {
    let computed = |text: &str| Attribute::computed(Type::String).describe(text);
    Schema::new(
        "Random bytes, in several encodings; good for unique names.",
        [
            (
                "byte_length",
                Attribute::required(Type::Number)
                    .force_new()
                    .describe("The number of random bytes."),
            ),
            (
                "prefix",
                Attribute::optional(Type::String)
                    .force_new()
                    .describe("Text put before every encoding except id."),
            ),
            ("keepers", keepers()),
            (
                "id",
                computed("The bytes as URL-safe base64 without padding."),
            ),
            (
                "b64_url",
                computed("prefix + the bytes as URL-safe base64 without padding."),
            ),
            (
                "b64_std",
                computed("prefix + the bytes as standard base64."),
            ),
            (
                "hex",
                computed("prefix + the bytes as lower-case hexadecimal."),
            ),
            (
                "dec",
                computed("prefix + the bytes as a big-endian decimal number."),
            ),
        ],
    )
}

fn resource_schema(type_name: &str) -> Result<Schema, Diagnostics> {
    RandomProvider
        .schema()
        .resources
        .remove(type_name)
        .ok_or_else(|| unsupported_type(PROVIDER, type_name))
}

/// One character class of a `random_password` or `random_string`.
#[derive(Debug)]
struct Class {
    chars: Vec<char>,
    /// Whether the class is in the pool the non-minimum characters come from.
    enabled: bool,
    /// How many characters at least come from this class.
    min: usize,
}

/// What a `random_password` or `random_string` generates, from a wholly known planned state.
#[derive(Debug)]
struct StringSpec {
    length: usize,
    classes: Vec<Class>,
}

impl StringSpec {
    fn from_planned(planned: &Value) -> Result<StringSpec, Diagnostics> {
        let mut diagnostics = Diagnostics::new();
        let length = required_whole(planned, "length", 1).unwrap_or_else(|errors| {
            diagnostics.extend(errors);
            0
        }) as usize;
        let special = match planned.get("override_special").as_str() {
            // As in Terraform, an empty override means the default set.
            Some(chars) if !chars.is_empty() => chars,
            _ => SPECIAL,
        };
        let mut classes = Vec::new();
        for (chars, (class, min_name)) in [UPPER, LOWER, NUMERIC, special].into_iter().zip(CLASSES)
        {
            let min = whole_number(planned, min_name, 0).unwrap_or_else(|errors| {
                diagnostics.extend(errors);
                None
            });
            classes.push(Class {
                chars: chars.chars().collect(),
                enabled: planned.get(class).as_bool().unwrap_or(true),
                min: min.unwrap_or(0) as usize,
            });
        }
        let switches: Vec<(bool, usize)> = classes.iter().map(|c| (c.enabled, c.min)).collect();
        diagnostics.extend(check_classes(length, &switches));
        diagnostics.into_result(StringSpec { length, classes })
    }

    /// A fresh random string: each class's minimum, the rest from the enabled pool, shuffled.
    fn generate(&self) -> Result<String, Diagnostics> {
        let mut chars = Vec::with_capacity(self.length);
        for class in &self.classes {
            for _ in 0..class.min {
                chars.push(class.chars[entropy::below(class.chars.len())?]);
            }
        }
        let pool: Vec<char> = self
            .classes
            .iter()
            .filter(|class| class.enabled)
            .flat_map(|class| class.chars.iter().copied())
            .collect();
        while chars.len() < self.length {
            chars.push(pool[entropy::below(pool.len())?]);
        }
        entropy::shuffle(&mut chars)?;
        Ok(chars.into_iter().collect())
    }
}

/// The constraints between attributes, given each class's (enabled, minimum): a non-empty
/// pool, and room in `length` for the minimums.
fn check_classes(length: usize, classes: &[(bool, usize)]) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    if !classes.iter().any(|(enabled, _)| *enabled) {
        diagnostics.push(Diagnostic::error(
            "The character set is empty",
            "upper, lower, numeric and special are all false; set at least one to true.",
        ));
    }
    let required: usize = classes.iter().map(|(_, min)| min).sum();
    if length < required {
        diagnostics.push(
            Diagnostic::error(
                "length is shorter than the minimums",
                format!(
                    "length is {length}, but min_upper + min_lower + min_numeric + min_special \
                     is {required}; raise length or lower the minimums."
                ),
            )
            .at_attribute(AttrPath::attr("length")),
        );
    }
    diagnostics
}

/// Everything `validate` can say before the values are known.
fn validate_string(config: &Value) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    let mut number = |name: &str, min: u64| {
        whole_number(config, name, min).unwrap_or_else(|errors| {
            diagnostics.extend(errors);
            None
        })
    };
    let length = number("length", 1);
    let mins: Vec<Option<u64>> = CLASSES.iter().map(|(_, min)| number(min, 0)).collect();
    let mut switches = Vec::new();
    for ((class, min_name), min) in CLASSES.iter().zip(mins) {
        let enabled = match config.get(class) {
            Value::Null => Some(true),
            other => other.as_bool(),
        };
        if enabled == Some(false) && min.is_some_and(|m| m > 0) {
            diagnostics.push(
                Diagnostic::warning(
                    format!("{min_name} is set but {class} is false"),
                    format!(
                        "The result will still contain {min_name} characters of the {class} \
                         class (as in Terraform); set {min_name} = 0 to leave them out."
                    ),
                )
                .at_attribute(AttrPath::attr(min_name)),
            );
        }
        let min = if config.get(min_name).is_null() {
            Some(0)
        } else {
            min
        };
        // Defaults stand in for null attributes; an unknown one leaves the check to apply.
        switches.push(enabled.zip(min.map(|m| m as usize)));
    }
    let switches: Option<Vec<(bool, usize)>> = switches.into_iter().collect();
    if let (Some(length), Some(switches)) = (length, switches) {
        diagnostics.extend(check_classes(length as usize, &switches));
    }
    diagnostics
}

/// The state of a `random_password` or `random_string` holding `result`.
fn string_state(type_name: &str, mut state: Value, result: String) -> Value {
    let id = if type_name == PASSWORD {
        "none".to_string()
    } else {
        result.clone()
    };
    set_attr(&mut state, "result", Value::String(result));
    set_attr(&mut state, "id", Value::String(id));
    state
}

/// `bytes` as a big-endian unsigned decimal number, of any length.
fn decimal(bytes: &[u8]) -> String {
    // Little-endian base-10 digits, multiplied by 256 and added to byte by byte.
    let mut digits: Vec<u8> = Vec::new();
    for &byte in bytes {
        let mut carry = u32::from(byte);
        for digit in &mut digits {
            let v = u32::from(*digit) * 256 + carry;
            *digit = (v % 10) as u8;
            carry = v / 10;
        }
        while carry > 0 {
            digits.push((carry % 10) as u8);
            carry /= 10;
        }
    }
    if digits.is_empty() {
        return "0".to_string();
    }
    digits.iter().rev().map(|d| char::from(b'0' + d)).collect()
}

/// The computed attributes of a `random_id` of `bytes` (Terraform puts `prefix` before every
/// encoding except `id`).
fn set_id_encodings(state: &mut Value, bytes: &[u8]) {
    let prefix = state.get("prefix").as_str().unwrap_or_default().to_string();
    let id = URL_SAFE_NO_PAD.encode(bytes);
    let hex = crate::hex(bytes);
    set_attr(state, "b64_url", Value::String(format!("{prefix}{id}")));
    set_attr(
        state,
        "b64_std",
        Value::String(format!("{prefix}{}", STANDARD.encode(bytes))),
    );
    set_attr(state, "hex", Value::String(format!("{prefix}{hex}")));
    set_attr(
        state,
        "dec",
        Value::String(format!("{prefix}{}", decimal(bytes))),
    );
    set_attr(state, "id", Value::String(id));
}

/// Generates the values of a new instance.
fn generate(type_name: &str, planned: &Value) -> Result<Value, Diagnostics> {
    if type_name == ID {
        let length = required_whole(planned, "byte_length", 1)?;
        let mut state = planned.clone();
        set_id_encodings(&mut state, &entropy::bytes(length as usize)?);
        return Ok(state);
    }
    let result = StringSpec::from_planned(planned)?.generate()?;
    Ok(string_state(type_name, planned.clone(), result))
}

#[async_trait]
impl Provider for RandomProvider {
    fn schema(&self) -> ProviderSchema {
        let resources = [
            (PASSWORD.to_string(), string_schema(true)),
            (STRING.to_string(), string_schema(false)),
            (ID.to_string(), id_schema()),
        ]
        .into();
        ProviderSchema {
            resources,
            ..ProviderSchema::default()
        }
    }

    fn validate(&self, kind: ResourceKind, type_name: &str, config: &Value) -> Diagnostics {
        match (kind, type_name) {
            (ResourceKind::Managed, PASSWORD | STRING) => validate_string(config),
            (ResourceKind::Managed, ID) => whole_number(config, "byte_length", 1)
                .err()
                .unwrap_or_default(),
            _ => unsupported_type(PROVIDER, type_name),
        }
    }

    async fn configure(&self, _config: &Value) -> Result<(), Diagnostics> {
        Ok(())
    }

    async fn read(&self, request: ReadRequest<'_>) -> Result<Option<Value>, Diagnostics> {
        resource_schema(request.type_name)?;
        // The values exist only in the state.
        Ok(Some(request.state.clone()))
    }

    async fn plan(&self, request: PlanRequest<'_>) -> Result<PlanResponse, Diagnostics> {
        let schema = resource_schema(request.type_name)?;
        Ok(PlanResponse {
            planned: plan_replace_only(&schema, request.prior, request.proposed),
            requires_replace: Vec::new(),
        })
    }

    async fn apply(&self, request: ApplyRequest<'_>) -> ApplyResponse {
        let Some(planned) = request.planned else {
            return ApplyResponse::ok(None);
        };
        // An update can only keep the values (every input is force-new): they are planned.
        if planned.is_wholly_known() {
            return ApplyResponse::ok(Some(planned.clone()));
        }
        match generate(request.type_name, planned) {
            Ok(state) => ApplyResponse::ok(Some(state)),
            Err(diagnostics) => ApplyResponse::failed(request.prior, diagnostics),
        }
    }

    async fn read_data(&self, type_name: &str, _config: &Value) -> Result<Value, Diagnostics> {
        Err(unsupported_type(PROVIDER, type_name))
    }

    /// As in Terraform: a password or string imports its value (with the default settings and
    /// the value's length); an id imports `B64URL` or `PREFIX,B64URL`.
    async fn import(&self, type_name: &str, id: &str) -> Result<Value, Diagnostics> {
        let schema = resource_schema(type_name)?;
        if type_name == ID {
            let (prefix, encoded) = match id.rsplit_once(',') {
                Some((prefix, encoded)) => (Value::string(prefix), encoded),
                None => (Value::Null, id),
            };
            let bytes = URL_SAFE_NO_PAD.decode(encoded).map_err(|error| {
                Diagnostic::error(
                    format!("Cannot import random_id {id:?}"),
                    format!(
                        "The id must be URL-safe base64 without padding, optionally after a \
                         prefix and a comma (\"prefix,AbC-_1\"): {error}."
                    ),
                )
            })?;
            let mut state = Value::object([
                ("byte_length", Value::int(bytes.len() as i64)),
                ("prefix", prefix),
                ("keepers", Value::Null),
            ]);
            set_id_encodings(&mut state, &bytes);
            return Ok(state);
        }
        let mut settings = Value::object(schema.attributes.keys().map(|k| (k, Value::Null)));
        set_attr(
            &mut settings,
            "length",
            Value::int(id.chars().count() as i64),
        );
        Ok(string_state(
            type_name,
            schema.with_defaults(settings),
            id.to_string(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{create, plan, read, schema};
    use std::collections::BTreeMap;

    fn config<'a>(pairs: impl IntoIterator<Item = (&'a str, Value)>) -> Value {
        Value::object(pairs)
    }

    #[tokio::test]
    async fn create_plans_unknown_values_with_defaults() {
        let p = RandomProvider;
        for type_name in [PASSWORD, STRING] {
            let planned = plan(&p, type_name, None, &config([("length", Value::int(16))]))
                .await
                .planned;
            assert_eq!(planned.get("result"), &Value::Unknown);
            assert_eq!(planned.get("id"), &Value::Unknown);
            assert_eq!(planned.get("special"), &Value::Bool(true));
            assert_eq!(planned.get("min_upper"), &Value::int(0));
            assert_eq!(planned.get("override_special"), &Value::Null);
        }
        let planned = plan(&p, ID, None, &config([("byte_length", Value::int(8))]))
            .await
            .planned;
        for name in ["id", "b64_url", "b64_std", "hex", "dec"] {
            assert_eq!(planned.get(name), &Value::Unknown, "{name}");
        }
    }

    #[tokio::test]
    async fn password_result_is_sensitive_and_id_none() {
        let p = RandomProvider;
        let state = create(&p, PASSWORD, &config([("length", Value::int(20))])).await;
        let result = state.get("result").as_str().unwrap();
        assert_eq!(result.chars().count(), 20);
        assert_eq!(state.get("id"), &Value::string("none"));
        assert_eq!(
            schema(&p, PASSWORD).sensitive_paths(&state),
            vec![AttrPath::attr("result")]
        );

        let string = create(&p, STRING, &config([("length", Value::int(20))])).await;
        assert_eq!(string.get("id"), string.get("result"));
        assert!(schema(&p, STRING).sensitive_paths(&string).is_empty());
    }

    #[tokio::test]
    async fn unchanged_config_keeps_the_value() {
        let p = RandomProvider;
        let cfg = config([("length", Value::int(12)), ("special", Value::Bool(false))]);
        let prior = create(&p, STRING, &cfg).await;
        assert_eq!(read(&p, STRING, &prior).await.as_ref(), Some(&prior));
        let planned = plan(&p, STRING, Some(&prior), &cfg).await.planned;
        assert_eq!(planned, prior);
    }

    #[tokio::test]
    async fn any_input_change_replaces() {
        let p = RandomProvider;
        let keepers = |v: &str| Value::object([("image", Value::string(v))]);
        let base = config([("length", Value::int(12)), ("keepers", keepers("a"))]);
        let prior = create(&p, PASSWORD, &base).await;
        let changes = [
            (
                "keepers",
                config([("length", Value::int(12)), ("keepers", keepers("b"))]),
            ),
            (
                "keepers",
                config([("length", Value::int(12)), ("keepers", Value::Unknown)]),
            ),
            (
                "length",
                config([("length", Value::int(13)), ("keepers", keepers("a"))]),
            ),
            (
                "upper",
                config([
                    ("length", Value::int(12)),
                    ("keepers", keepers("a")),
                    ("upper", Value::Bool(false)),
                ]),
            ),
        ];
        for (attribute, cfg) in changes {
            let planned = plan(&p, PASSWORD, Some(&prior), &cfg).await.planned;
            assert_eq!(
                schema(&p, PASSWORD).replace_paths(&prior, &planned),
                vec![AttrPath::attr(attribute)]
            );
            assert_eq!(planned.get("result"), &Value::Unknown);
        }

        let id_cfg = config([("byte_length", Value::int(4)), ("keepers", keepers("a"))]);
        let prior = create(&p, ID, &id_cfg).await;
        let cfg = config([("byte_length", Value::int(4)), ("keepers", keepers("b"))]);
        let planned = plan(&p, ID, Some(&prior), &cfg).await.planned;
        assert_eq!(
            schema(&p, ID).replace_paths(&prior, &planned),
            vec![AttrPath::attr("keepers")]
        );
        assert_eq!(planned.get("hex"), &Value::Unknown);
    }

    fn count_in(s: &str, class: &str) -> usize {
        s.chars().filter(|c| class.contains(*c)).count()
    }

    #[tokio::test]
    async fn minimums_are_honoured_over_many_generations() {
        let p = RandomProvider;
        let cfg = config([
            ("length", Value::int(8)),
            ("min_upper", Value::int(2)),
            ("min_lower", Value::int(1)),
            ("min_numeric", Value::int(3)),
            ("min_special", Value::int(2)),
        ]);
        let mut first_chars = BTreeMap::new();
        for _ in 0..300 {
            let state = create(&p, STRING, &cfg).await;
            let s = state.get("result").as_str().unwrap();
            assert_eq!(s.chars().count(), 8);
            assert!(count_in(s, UPPER) >= 2, "{s}");
            assert!(count_in(s, LOWER) >= 1, "{s}");
            assert!(count_in(s, NUMERIC) >= 3, "{s}");
            assert!(count_in(s, SPECIAL) >= 2, "{s}");
            *first_chars.entry(s.chars().next().unwrap()).or_insert(0) += 1;
        }
        // The minimums are shuffled in, not left at the front: the first character varies.
        assert!(first_chars.len() > 10, "{first_chars:?}");
    }

    #[tokio::test]
    async fn charset_is_respected() {
        let p = RandomProvider;
        let cfg = config([
            ("length", Value::int(64)),
            ("upper", Value::Bool(false)),
            ("numeric", Value::Bool(false)),
            ("override_special", Value::string("_-é")),
        ]);
        let mut seen = String::new();
        for _ in 0..50 {
            let state = create(&p, PASSWORD, &cfg).await;
            let s = state.get("result").as_str().unwrap().to_string();
            assert_eq!(s.chars().count(), 64);
            assert!(
                s.chars().all(|c| LOWER.contains(c) || "_-é".contains(c)),
                "{s}"
            );
            seen.push_str(&s);
        }
        assert!(seen.contains('é') && seen.contains('_') && seen.contains('-'));

        let only_digits = config([
            ("length", Value::int(30)),
            ("upper", Value::Bool(false)),
            ("lower", Value::Bool(false)),
            ("special", Value::Bool(false)),
        ]);
        let state = create(&p, STRING, &only_digits).await;
        let s = state.get("result").as_str().unwrap();
        assert!(s.chars().all(|c| c.is_ascii_digit()), "{s}");
    }

    #[tokio::test]
    async fn random_id_encodings_agree() {
        let p = RandomProvider;
        let cfg = config([
            ("byte_length", Value::int(6)),
            ("prefix", Value::string("gg-")),
        ]);
        let state = create(&p, ID, &cfg).await;
        let id = state.get("id").as_str().unwrap();
        let bytes = URL_SAFE_NO_PAD.decode(id).unwrap();
        assert_eq!(bytes.len(), 6);
        let hex = crate::hex(&bytes);
        assert_eq!(state.get("hex"), &Value::String(format!("gg-{hex}")));
        assert_eq!(state.get("b64_url"), &Value::String(format!("gg-{id}")));
        let dec = u64::from_str_radix(&hex, 16).unwrap();
        assert_eq!(state.get("dec"), &Value::String(format!("gg-{dec}")));
        assert_eq!(
            state.get("b64_std"),
            &Value::String(format!("gg-{}", STANDARD.encode(&bytes)))
        );
    }

    #[test]
    fn decimal_handles_any_length() {
        assert_eq!(decimal(&[]), "0");
        assert_eq!(decimal(&[0, 0]), "0");
        assert_eq!(decimal(&[1, 0]), "256");
        assert_eq!(decimal(&[0xff; 8]), u64::MAX.to_string());
        assert_eq!(decimal(&[0xff; 16]), u128::MAX.to_string());
    }

    #[test]
    fn validation_names_the_attribute() {
        let p = RandomProvider;
        let check = |cfg: Value| p.validate(ResourceKind::Managed, PASSWORD, &cfg);

        let d = check(config([("length", Value::int(0))]));
        assert!(d.has_errors());
        assert_eq!(d.0[0].attribute, Some(AttrPath::attr("length")));

        let d = check(config([
            ("length", Value::int(3)),
            ("min_numeric", Value::int(4)),
        ]));
        assert!(d.has_errors());
        assert_eq!(d.0[0].attribute, Some(AttrPath::attr("length")));

        let none = config([
            ("length", Value::int(3)),
            ("upper", Value::Bool(false)),
            ("lower", Value::Bool(false)),
            ("numeric", Value::Bool(false)),
            ("special", Value::Bool(false)),
        ]);
        assert!(check(none).0[0].summary.contains("character set is empty"));

        let d = check(config([
            ("length", Value::int(3)),
            ("upper", Value::Bool(false)),
            ("min_upper", Value::int(1)),
        ]));
        assert!(!d.has_errors());
        assert_eq!(d.0[0].attribute, Some(AttrPath::attr("min_upper")));

        assert!(
            check(config([
                ("length", Value::Unknown),
                ("min_lower", Value::Unknown)
            ]))
            .is_empty()
        );
        let d = p.validate(
            ResourceKind::Managed,
            ID,
            &config([("byte_length", Value::int(0))]),
        );
        assert_eq!(d.0[0].attribute, Some(AttrPath::attr("byte_length")));
    }

    #[tokio::test]
    async fn import_as_terraform_does() {
        let p = RandomProvider;
        let state = p.import(PASSWORD, "s3cr3t!").await.unwrap();
        assert_eq!(state.get("result"), &Value::string("s3cr3t!"));
        assert_eq!(state.get("id"), &Value::string("none"));
        assert_eq!(state.get("length"), &Value::int(7));
        assert_eq!(state.get("special"), &Value::Bool(true));
        // The imported state plans as a no-op against the matching configuration.
        let cfg = config([("length", Value::int(7))]);
        let planned = plan(&p, PASSWORD, Some(&state), &cfg).await.planned;
        assert_eq!(planned, state);

        let state = p.import(STRING, "abc").await.unwrap();
        assert_eq!(state.get("id"), &Value::string("abc"));

        let state = p.import(ID, "pre,AQI").await.unwrap();
        assert_eq!(state.get("id"), &Value::string("AQI"));
        assert_eq!(state.get("byte_length"), &Value::int(2));
        assert_eq!(state.get("hex"), &Value::string("pre0102"));
        assert_eq!(state.get("dec"), &Value::string("pre258"));
        assert!(p.import(ID, "not base64!").await.is_err());
    }
}
