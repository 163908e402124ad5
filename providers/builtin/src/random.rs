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

use crate::{entropy, required_whole, whole_number};
use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ggplan_sdk::typed::{Partial, ResourceType, TypedProvider};
use ggplan_sdk::{
    AttrPath, Attribute, Diagnostic, Diagnostics, PlanRequest, Schema, Type, Value, objchange,
};

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
pub(crate) struct Random;

#[async_trait]
impl TypedProvider for Random {
    type Client = ();
    type Error = Diagnostics;
    const NAME: &'static str = "random";
    const SOURCE: &'static str = "registry.terraform.io/hashicorp/random";

    fn resources() -> Vec<Box<dyn ResourceType<Self>>> {
        vec![
            Box::new(RandomType::Password),
            Box::new(RandomType::String),
            Box::new(RandomType::Id),
        ]
    }

    async fn configure(_config: &Value) -> Result<(), Diagnostics> {
        Ok(())
    }
}

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

/// The state of a `random_password` (`sensitive`) or `random_string` holding `result`.
fn string_state(sensitive: bool, mut state: Value, result: String) -> Value {
    let id = if sensitive {
        "none".to_string()
    } else {
        result.clone()
    };
    state.set_attr("result", Value::String(result));
    state.set_attr("id", Value::String(id));
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
    state.set_attr("b64_url", Value::String(format!("{prefix}{id}")));
    state.set_attr(
        "b64_std",
        Value::String(format!("{prefix}{}", STANDARD.encode(bytes))),
    );
    state.set_attr("hex", Value::String(format!("{prefix}{hex}")));
    state.set_attr("dec", Value::String(format!("{prefix}{}", decimal(bytes))));
    state.set_attr("id", Value::String(id));
}

/// The provider's types. What sets each apart is its schema, its checks, how it generates
/// its values and how it reads an import id; everything else is the same (every input is
/// force-new, the values exist only in the state, and an update keeps them).
#[derive(Clone, Copy)]
enum RandomType {
    Password,
    String,
    Id,
}

impl RandomType {
    /// `random_password`'s result is sensitive (and its id "none").
    fn sensitive(self) -> bool {
        matches!(self, RandomType::Password)
    }

    /// The state of a new instance with fresh values, from its wholly known planned state.
    fn generate(self, planned: &Value) -> Result<Value, Diagnostics> {
        match self {
            RandomType::Id => generate_id(planned),
            string => generate_string(string.sensitive(), planned),
        }
    }
}

fn generate_string(sensitive: bool, planned: &Value) -> Result<Value, Diagnostics> {
    let result = StringSpec::from_planned(planned)?.generate()?;
    Ok(string_state(sensitive, planned.clone(), result))
}

fn generate_id(planned: &Value) -> Result<Value, Diagnostics> {
    let length = required_whole(planned, "byte_length", 1)?;
    let mut state = planned.clone();
    set_id_encodings(&mut state, &entropy::bytes(length as usize)?);
    Ok(state)
}

/// As in Terraform: a password or string imports its value, with the default settings and
/// the value's length.
fn import_string(sensitive: bool, id: &str) -> Result<Value, Diagnostics> {
    let schema = string_schema(sensitive);
    let mut settings = Value::object(schema.attributes.keys().map(|k| (k, Value::Null)));
    settings.set_attr("length", Value::int(id.chars().count() as i64));
    Ok(string_state(
        sensitive,
        schema.with_defaults(settings),
        id.to_string(),
    ))
}

/// As in Terraform: an id imports `B64URL` or `PREFIX,B64URL`.
fn import_id(id: &str) -> Result<Value, Diagnostics> {
    let (prefix, encoded) = match id.rsplit_once(',') {
        Some((prefix, encoded)) => (Value::string(prefix), encoded),
        None => (Value::Null, id),
    };
    let bytes = URL_SAFE_NO_PAD.decode(encoded).map_err(|error| {
        Diagnostic::error(
            format!("Cannot import random_id {id:?}"),
            format!(
                "The id must be URL-safe base64 without padding, optionally after a prefix and \
                 a comma (\"prefix,AbC-_1\"): {error}."
            ),
        )
    })?;
    let mut state = Value::object([
        ("byte_length", Value::int(bytes.len() as i64)),
        ("prefix", prefix),
        ("keepers", Value::Null),
    ]);
    set_id_encodings(&mut state, &bytes);
    Ok(state)
}

#[async_trait]
impl ResourceType<Random> for RandomType {
    fn name(&self) -> &'static str {
        match self {
            RandomType::Password => PASSWORD,
            RandomType::String => STRING,
            RandomType::Id => ID,
        }
    }

    fn schema(&self) -> Schema {
        match self {
            RandomType::Id => id_schema(),
            string => string_schema(string.sensitive()),
        }
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        match self {
            RandomType::Id => whole_number(config, "byte_length", 1)
                .err()
                .unwrap_or_default(),
            _ => validate_string(config),
        }
    }

    async fn modify_plan(
        &self,
        _client: &(),
        request: &PlanRequest<'_>,
        planned: &mut Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Vec<AttrPath>, Diagnostics> {
        objchange::unknown_when_new(&self.schema(), request.prior, planned);
        Ok(Vec::new())
    }

    /// The object exists only in the state: an unfinished create made nothing elsewhere.
    async fn find_created(
        &self,
        _client: &(),
        _config: &Value,
        _since: std::time::SystemTime,
    ) -> Result<ggplan_sdk::Found, Diagnostics> {
        Ok(ggplan_sdk::Found::Nothing)
    }

    async fn read(&self, _client: &(), state: &Value) -> Result<Option<Value>, Diagnostics> {
        // The values exist only in the state.
        Ok(Some(state.clone()))
    }

    async fn create(
        &self,
        _client: &(),
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<Diagnostics>> {
        Ok(self.generate(planned)?)
    }

    /// Every input is force-new, so an update can only keep the values: they are planned.
    async fn update(
        &self,
        client: &(),
        _prior: &Value,
        planned: &Value,
        warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<Diagnostics>> {
        if planned.is_wholly_known() {
            return Ok(planned.clone());
        }
        self.create(client, planned, warnings).await
    }

    async fn delete(
        &self,
        _client: &(),
        _prior: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<(), Diagnostics> {
        Ok(())
    }

    fn import_stub(&self, id: &str) -> Result<Value, Diagnostics> {
        match self {
            RandomType::Id => import_id(id),
            string => import_string(string.sensitive(), id),
        }
    }

    fn import_id_format(&self) -> &'static str {
        match self {
            RandomType::Id => "the bytes as URL-safe base64, optionally after a prefix and a comma",
            _ => "the value itself",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{configured, create, plan, read, schema};
    use ggplan_sdk::typed::TypeTable;
    use ggplan_sdk::{Provider, ResourceKind};
    use std::collections::BTreeMap;

    fn config<'a>(pairs: impl IntoIterator<Item = (&'a str, Value)>) -> Value {
        Value::object(pairs)
    }

    #[tokio::test]
    async fn create_plans_unknown_values_with_defaults() {
        let p = configured::<Random>().await;
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
        let p = configured::<Random>().await;
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
        let p = configured::<Random>().await;
        let cfg = config([("length", Value::int(12)), ("special", Value::Bool(false))]);
        let prior = create(&p, STRING, &cfg).await;
        assert_eq!(read(&p, STRING, &prior).await.as_ref(), Some(&prior));
        let planned = plan(&p, STRING, Some(&prior), &cfg).await.planned;
        assert_eq!(planned, prior);
    }

    #[tokio::test]
    async fn any_input_change_replaces() {
        let p = configured::<Random>().await;
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
                objchange::replace_paths(&schema(&p, PASSWORD), &prior, &planned),
                vec![AttrPath::attr(attribute)]
            );
            assert_eq!(planned.get("result"), &Value::Unknown);
        }

        let id_cfg = config([("byte_length", Value::int(4)), ("keepers", keepers("a"))]);
        let prior = create(&p, ID, &id_cfg).await;
        let cfg = config([("byte_length", Value::int(4)), ("keepers", keepers("b"))]);
        let planned = plan(&p, ID, Some(&prior), &cfg).await.planned;
        assert_eq!(
            objchange::replace_paths(&schema(&p, ID), &prior, &planned),
            vec![AttrPath::attr("keepers")]
        );
        assert_eq!(planned.get("hex"), &Value::Unknown);
    }

    fn count_in(s: &str, class: &str) -> usize {
        s.chars().filter(|c| class.contains(*c)).count()
    }

    #[tokio::test]
    async fn minimums_are_honoured_over_many_generations() {
        let p = configured::<Random>().await;
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
        let p = configured::<Random>().await;
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
        let p = configured::<Random>().await;
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
        let p = TypeTable::<Random>::new();
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
        let p = configured::<Random>().await;
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
