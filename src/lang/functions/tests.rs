//! The generic rules of the registry: arity, nulls, unknowns and sensitive marks. The values
//! of the functions themselves are checked by the corpus in tests/functions.

use super::*;
use ggplan_sdk::Number;

fn ctx() -> FunctionContext {
    FunctionContext {
        base_dir: PathBuf::from("."),
        plan_timestamp: "2024-05-01T12:00:00Z".to_string(),
        provider_functions: Default::default(),
    }
}

fn run(name: &str, args: Vec<Value>) -> Result<Value, FunctionError> {
    call(name, args, &ctx())
}

fn s(text: &str) -> Value {
    Value::string(text)
}

fn list(items: Vec<Value>) -> Value {
    Value::List(items)
}

#[test]
fn the_table_is_sorted_and_unique() {
    let names: Vec<&str> = names().collect();
    assert!(names.windows(2).all(|w| w[0] < w[1]), "{names:?}");
    assert!(exists("upper") && !exists("templatefile") && !exists("try"));
}

#[test]
fn unknown_function_and_arity_errors_read_like_terraform() {
    assert_eq!(
        run("nope", vec![]).unwrap_err().to_string(),
        "There is no function named \"nope\"."
    );
    assert_eq!(
        run("upper", vec![]).unwrap_err().to_string(),
        "Function \"upper\" expects 1 argument(s). Missing value for \"str\"."
    );
    assert!(matches!(
        run("upper", vec![s("a"), s("b")]),
        Err(FunctionError::Arity { got: 2, .. })
    ));
    assert_eq!(
        run("upper", vec![Value::Null]).unwrap_err().to_string(),
        "Invalid value for \"str\" parameter: argument must not be null."
    );
}

#[test]
fn an_unknown_argument_makes_the_result_unknown() {
    assert_eq!(run("upper", vec![Value::Unknown]), Ok(Value::Unknown));
    // Deep: an unknown inside a list is enough.
    assert_eq!(
        run("join", vec![s(","), list(vec![s("a"), Value::Unknown])]),
        Ok(Value::Unknown)
    );
    assert_eq!(
        run("jsonencode", vec![list(vec![Value::Unknown])]),
        Ok(Value::Unknown)
    );
}

#[test]
fn some_functions_see_through_unknown_elements() {
    let partly = list(vec![s("a"), Value::Unknown]);
    assert_eq!(run("length", vec![partly.clone()]), Ok(Value::int(2)));
    assert_eq!(
        run("element", vec![partly.clone(), Value::int(0)]),
        Ok(s("a"))
    );
    assert_eq!(
        run("concat", vec![partly.clone(), list(vec![s("b")])]),
        Ok(list(vec![s("a"), Value::Unknown, s("b")]))
    );
    let object = Value::object([("a", Value::Unknown), ("b", Value::int(1))]);
    assert_eq!(
        run("keys", vec![object.clone()]),
        Ok(list(vec![s("a"), s("b")]))
    );
    assert_eq!(
        run("merge", vec![object, Value::object([("c", s("x"))])]).map(|m| m.get("c").clone()),
        Ok(s("x"))
    );
    // An unknown element might be a list of any length: the flat list is unknown too.
    assert_eq!(
        run("flatten", vec![list(vec![list(vec![s("a")]), partly])]),
        Ok(Value::Unknown)
    );
    // zipmap needs its keys, not its values.
    assert_eq!(
        run(
            "zipmap",
            vec![list(vec![s("k")]), list(vec![Value::Unknown])]
        ),
        Ok(Value::object([("k", Value::Unknown)]))
    );
    assert_eq!(
        run(
            "zipmap",
            vec![list(vec![Value::Unknown]), list(vec![s("v")])]
        ),
        Ok(Value::Unknown)
    );
}

#[test]
fn coalesce_stops_at_an_unknown_only_when_it_comes_first() {
    assert_eq!(
        run("coalesce", vec![Value::Null, Value::Unknown, s("b")]),
        Ok(Value::Unknown)
    );
    assert_eq!(run("coalesce", vec![s("a"), Value::Unknown]), Ok(s("a")));
}

#[test]
fn a_sensitive_argument_marks_the_result() {
    let secret = s("abc").into_sensitive();
    assert_eq!(
        run("upper", vec![secret.clone()]),
        Ok(s("ABC").into_sensitive())
    );
    // A mark deep inside an argument counts too.
    assert_eq!(
        run("length", vec![list(vec![s("x"), secret.clone()])]),
        Ok(Value::int(2).into_sensitive())
    );
    // Unknown and sensitive together stay both.
    assert_eq!(
        run("upper", vec![Value::Unknown.into_sensitive()]),
        Ok(Value::Unknown.into_sensitive())
    );
    assert_eq!(run("upper", vec![s("abc")]), Ok(s("ABC")));
}

#[test]
fn the_mark_functions_work_on_marks() {
    let secret = s("abc").into_sensitive();
    assert_eq!(run("sensitive", vec![s("abc")]), Ok(secret.clone()));
    assert_eq!(run("nonsensitive", vec![secret.clone()]), Ok(s("abc")));
    assert_eq!(run("nonsensitive", vec![s("abc")]), Ok(s("abc")));
    assert_eq!(run("issensitive", vec![secret]), Ok(Value::Bool(true)));
    assert_eq!(run("issensitive", vec![s("abc")]), Ok(Value::Bool(false)));
    assert_eq!(
        run("sensitive", vec![Value::Unknown]),
        Ok(Value::Unknown.into_sensitive())
    );
    assert_eq!(
        run("sensitive", vec![Value::Null]),
        Ok(Value::Null.into_sensitive())
    );
}

#[test]
fn plantimestamp_is_the_context_s() {
    assert_eq!(run("plantimestamp", vec![]), Ok(s("2024-05-01T12:00:00Z")));
    let now = run("timestamp", vec![]).unwrap();
    assert_eq!(
        run("timecmp", vec![now, s("2024-05-01T12:00:00Z")]),
        Ok(Value::int(1))
    );
}

#[test]
fn random_functions_have_the_right_shape() {
    let id = run("uuid", vec![]).unwrap();
    let id = id.as_str().unwrap();
    assert_eq!(id.len(), 36);
    assert_eq!(id.as_bytes()[14], b'4');
    let hash = run("bcrypt", vec![s("secret"), Value::int(4)]).unwrap();
    let hash = hash.as_str().unwrap();
    assert!(hash.starts_with("$2a$04$"), "{hash}");
    assert!(::bcrypt::verify("secret", hash).unwrap());
    // Go's bcrypt takes a cost below 4 as the default, 10.
    let low = run("bcrypt", vec![s("x"), Value::int(3)]).unwrap();
    assert!(low.as_str().unwrap().starts_with("$2a$10$"));
    assert!(run("bcrypt", vec![s("x"), Value::int(32)]).is_err());
}

#[test]
fn numbers_stay_exact_where_they_can() {
    assert_eq!(
        run("pow", vec![Value::int(2), Value::int(62)]),
        Ok(Value::int(1 << 62))
    );
    assert_eq!(
        run(
            "sum",
            vec![list(vec![Value::int(1), Value::Number(Number::Float(0.5))])]
        ),
        Ok(Value::Number(Number::Float(1.5)))
    );
}

#[test]
fn yaml_aliases_of_aliases_stop_at_a_million_values() {
    // Nine levels of nine aliases: 9^9 values if expanded.
    let mut doc = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
    for level in 1..=9 {
        let prev = format!("*a{}", level - 1);
        let items = [prev.as_str(); 9].join(", ");
        doc.push_str(&format!("a{level}: &a{level} [{items}]\n"));
    }
    let err = run("yamldecode", vec![s(&doc)]).unwrap_err().to_string();
    assert!(err.contains("more than 1000000 values"), "{err}");
    let small = "a: &a [1, 2]\nb: *a\n";
    let decoded = run("yamldecode", vec![s(small)]).unwrap();
    assert_eq!(decoded.get("b"), decoded.get("a"));
}
