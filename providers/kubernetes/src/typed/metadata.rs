//! The `metadata` block of hashicorp/kubernetes's typed resources and data sources: a list of
//! exactly one block (so that `kubernetes_namespace_v1.x.metadata[0].name` reads as it does
//! with Terraform), its attributes, the object metadata it becomes, what is read back, and the
//! ids built from it.

use super::maps;
use super::names::{self, NameRule};
use ggplan_sdk::{
    AttrPath, Attribute, BlockNesting, Diagnostic, Diagnostics, NestedBlock, Schema, Type, Value,
};
use serde_json::{Value as Json, json};

/// The namespace a namespaced object goes to when its metadata names none.
pub const DEFAULT_NAMESPACE: &str = "default";

/// Which metadata a type's objects have.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Its objects live in a namespace (`metadata.namespace`, default "default").
    pub namespaced: bool,
    /// The server may generate its name (`metadata.generate_name`).
    pub generate_name: bool,
    /// The rule its names follow.
    pub names: NameRule,
}

/// The path of `field` in the metadata block.
pub fn path(field: &str) -> AttrPath {
    AttrPath::attr("metadata").index(0).key(field)
}

/// The metadata block of a state or configuration (null when there is none).
pub fn of(value: &Value) -> &Value {
    value
        .get("metadata")
        .as_list()
        .and_then(<[Value]>::first)
        .unwrap_or(&Value::Null)
}

/// One attribute, as hashicorp/kubernetes describes it for objects called `object`.
fn attribute(name: &str, object: &str) -> Attribute {
    let strings = Type::Map(Box::new(Type::String));
    match name {
        "annotations" => Attribute::optional(strings).describe(&format!(
            "Annotations of the {object}. Only the keys set here are compared and changed: others \
             belong to whoever wrote them."
        )),
        "labels" => Attribute::optional(strings).describe(&format!(
            "Labels of the {object}. Only the keys set here are compared and changed: others \
             belong to whoever wrote them."
        )),
        "generation" => Attribute::computed(Type::Number)
            .describe("A sequence number representing a specific generation of the desired state."),
        "resource_version" => Attribute::computed(Type::String).describe(&format!(
            "An opaque value that changes whenever the {object} changes."
        )),
        "uid" => Attribute::computed(Type::String).describe(&format!(
            "The unique in time and space value for this {object}."
        )),
        _ => Attribute::optional(Type::String),
    }
}

/// The `metadata` block of a resource type whose objects are called `object`.
pub fn block(object: &str, shape: Shape) -> NestedBlock {
    let mut fields: Vec<(&str, Attribute)> = ["annotations", "labels", "generation"]
        .into_iter()
        .chain(["resource_version", "uid"])
        .map(|name| (name, attribute(name, object)))
        .collect();
    let name = format!("Name of the {object}, unique (in its namespace). Cannot be updated.");
    fields.push(if shape.generate_name {
        let generated = format!("{name} Set this or generate_name.");
        (
            "name",
            Attribute::optional_computed(Type::String)
                .force_new()
                .describe(&generated),
        )
    } else {
        (
            "name",
            Attribute::required(Type::String)
                .force_new()
                .describe(&name),
        )
    });
    if shape.generate_name {
        let text = "Prefix of a name the server generates (with a random suffix), when name is \
                    not set.";
        let attribute = Attribute::optional(Type::String).force_new().describe(text);
        fields.push(("generate_name", attribute));
    }
    if shape.namespaced {
        fields.push(("namespace", namespace_attribute(object)));
    }
    one(Schema::new(
        &format!("Standard {object}'s metadata."),
        fields,
    ))
}

/// `metadata.namespace`: where the object lives (a change replaces it).
fn namespace_attribute(object: &str) -> Attribute {
    Attribute::optional(Type::String)
        .force_new()
        .default(Value::string(DEFAULT_NAMESPACE))
        .describe(&format!("The namespace of the {object}."))
}

/// The `metadata` block of a data source: the name (and namespace) to look up, everything
/// else read.
pub fn lookup_block(object: &str, namespaced: bool) -> NestedBlock {
    let mut fields: Vec<(&str, Attribute)> = ["generation", "resource_version", "uid"]
        .into_iter()
        .map(|name| (name, attribute(name, object)))
        .collect();
    for (name, what) in [("annotations", "Annotations"), ("labels", "Labels")] {
        let text = format!("{what} of the {object}, every key.");
        let attribute = Attribute::computed(Type::Map(Box::new(Type::String))).describe(&text);
        fields.push((name, attribute));
    }
    let name = format!("Name of the {object} to read.");
    fields.push(("name", Attribute::required(Type::String).describe(&name)));
    if namespaced {
        fields.push(("namespace", namespace_attribute(object)));
    }
    one(Schema::new(&format!("Which {object} to read."), fields))
}

/// The `metadata` block of a resource that changes an object something else made: only
/// which object.
pub fn target_block(object: &str, namespace: Attribute) -> NestedBlock {
    let name = Attribute::required(Type::String)
        .force_new()
        .describe(&format!("The name of the {object}."));
    one(Schema::new(
        &format!("Which {object}."),
        [("name", name), ("namespace", namespace)],
    ))
}

/// hashicorp/kubernetes's metadata blocks: required, exactly one.
fn one(schema: Schema) -> NestedBlock {
    NestedBlock {
        nesting: BlockNesting::List,
        block: schema,
        min_items: 1,
        max_items: Some(1),
    }
}

/// Fills in the namespace of a namespaced type's planned metadata when it names none.
pub fn default_namespace(planned: &mut Value) {
    if of(planned).get("namespace").is_null() && !of(planned).is_null() {
        planned.set_at(&path("namespace"), Value::string(DEFAULT_NAMESPACE));
    }
}

/// The object metadata a state's block becomes; `None` while some of it is unknown. An
/// object whose name is not known yet is made from its `generate_name`.
pub fn to_json(state: &Value, shape: Shape) -> Option<Json> {
    let block = of(state);
    // A name the server generates is unknown until the create, which sends generateName.
    let generated = shape.generate_name
        && !block.get("generate_name").is_null()
        && (block.get("name").is_null() || block.get("name").is_unknown());
    let mut fields = vec![("labels", "labels"), ("annotations", "annotations")];
    if shape.namespaced {
        fields.push(("namespace", "namespace"));
    }
    fields.push(match generated {
        true => ("generate_name", "generateName"),
        false => ("name", "name"),
    });
    let mut metadata = json!({});
    for (attribute, field) in fields {
        if let Some(json) = maps::known(block.get(attribute))? {
            metadata[field] = json;
        }
    }
    Some(metadata)
}

/// The metadata block read back from `live`: labels and annotations on the keys `prior` (the
/// block the stack set) has, everything else as the server has it.
pub fn read(prior: &Value, live: &Json, shape: Shape) -> Value {
    let metadata = &live["metadata"];
    let mut block = Value::object([
        ("name", text(&metadata["name"])),
        (
            "labels",
            maps::compare(&metadata["labels"], prior.get("labels"), maps::internal),
        ),
        (
            "annotations",
            maps::compare(
                &metadata["annotations"],
                prior.get("annotations"),
                maps::internal,
            ),
        ),
    ]);
    computed(&mut block, metadata);
    if shape.namespaced {
        block.set_attr("namespace", text(&metadata["namespace"]));
    }
    if shape.generate_name {
        let generated = metadata["generateName"].as_str().filter(|s| !s.is_empty());
        let value = generated.map_or_else(|| prior.get("generate_name").clone(), Value::string);
        block.set_attr("generate_name", value);
    }
    Value::List(vec![block])
}

/// The metadata block of a data source: every label and annotation.
pub fn read_all(name: &str, namespace: Option<&str>, live: Option<&Json>) -> Value {
    let Some(metadata) = live.map(|live| &live["metadata"]) else {
        // hashicorp/kubernetes: a missing object reads as its name, everything else null.
        let mut block = Value::object([("name", Value::string(name))]);
        if let Some(namespace) = namespace {
            block.set_attr("namespace", Value::string(namespace));
        }
        return Value::List(vec![block]);
    };
    let mut block = Value::object([
        ("name", text(&metadata["name"])),
        (
            "labels",
            maps::compare(&metadata["labels"], &Value::Unknown, maps::nothing),
        ),
        (
            "annotations",
            maps::compare(&metadata["annotations"], &Value::Unknown, maps::nothing),
        ),
    ]);
    computed(&mut block, metadata);
    if namespace.is_some() {
        block.set_attr("namespace", text(&metadata["namespace"]));
    }
    Value::List(vec![block])
}

/// uid, resource_version and generation (0 for kinds without one, as hashicorp/kubernetes).
fn computed(block: &mut Value, metadata: &Json) {
    block.set_attr("uid", text(&metadata["uid"]));
    block.set_attr("resource_version", text(&metadata["resourceVersion"]));
    let generation = metadata["generation"].as_i64().unwrap_or(0);
    block.set_attr("generation", Value::int(generation));
}

fn text(value: &Json) -> Value {
    value.as_str().map_or(Value::Null, Value::string)
}

/// Makes the computed metadata of a plan unknown where only the apply can tell: everything of
/// a `new` object (its name too, when the server generates it), and the resource version of
/// one that `changes`.
pub fn plan_computed(planned: &mut Value, config: &Value, new: bool, changes: bool) {
    if of(planned).is_null() {
        return;
    }
    let unknown: &[&str] = if new {
        &["uid", "resource_version", "generation"]
    } else if changes {
        &["resource_version"]
    } else {
        &[]
    };
    for field in unknown {
        planned.set_at(&path(field), Value::Unknown);
    }
    if new && of(config).get("name").is_null() {
        planned.set_at(&path("name"), Value::Unknown);
    }
}

/// hashicorp/kubernetes's id: `namespace/name`, or the name of a cluster-wide object;
/// unknown until both are known.
pub fn id(state: &Value, shape: Shape) -> Value {
    let block = of(state);
    let (name, namespace) = (block.get("name"), block.get("namespace"));
    match (name.as_str(), namespace.as_str()) {
        (Some(name), Some(namespace)) if shape.namespaced => {
            Value::string(format!("{namespace}/{name}"))
        }
        (Some(name), _) if !shape.namespaced => Value::string(name),
        _ => Value::Unknown,
    }
}

/// The metadata block an import id names (`namespace/name` or `name`), with labels and
/// annotations unknown: the read takes them all.
pub fn import_block(type_name: &str, id: &str, shape: Shape) -> Result<Value, Diagnostics> {
    let parts: Vec<&str> = id.split('/').collect();
    let mut block = Value::object([("labels", Value::Unknown), ("annotations", Value::Unknown)]);
    match (shape.namespaced, parts.as_slice()) {
        (true, [namespace, name]) if !namespace.is_empty() && !name.is_empty() => {
            block.set_attr("namespace", Value::string(*namespace));
            block.set_attr("name", Value::string(*name));
        }
        (false, [name]) if !name.is_empty() => block.set_attr("name", Value::string(*name)),
        _ => {
            let format = if shape.namespaced {
                "namespace/name"
            } else {
                "name"
            };
            return Err(Diagnostic::error(
                format!("{id:?} is not a {type_name} import id"),
                format!("Write the object's {format}, as hashicorp/kubernetes does."),
            )
            .into());
        }
    }
    Ok(Value::List(vec![block]))
}

/// A metadata block needs a name, or (where the server may generate one) a generate_name,
/// not both.
pub fn validate(config: &Value, shape: Shape) -> Diagnostics {
    let block = of(config);
    let mut diagnostics = formats(block, shape);
    diagnostics.extend(named(block, shape));
    diagnostics
}

/// Names, label and annotation keys and label values as Kubernetes takes them (values not
/// known yet are checked by the server's dry-run, or its apply).
fn formats(block: &Value, shape: Shape) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    let mut refuse = |summary: &str, why: Option<String>, at: AttrPath| {
        if let Some(why) = why {
            diagnostics.push(Diagnostic::error(summary, why).at_attribute(at));
        }
    };
    if let Some(name) = block.get("name").as_str() {
        refuse(
            "Invalid metadata.name",
            shape.names.check(name),
            path("name"),
        );
    }
    if let Some(prefix) = block.get("generate_name").as_str() {
        let why = shape.names.check_prefix(prefix);
        refuse("Invalid metadata.generate_name", why, path("generate_name"));
    }
    if let Some(namespace) = block.get("namespace").as_str().filter(|_| shape.namespaced) {
        let why = NameRule::Label.check(namespace);
        refuse("Invalid metadata.namespace", why, path("namespace"));
    }
    for (attribute, what) in [("labels", "label"), ("annotations", "annotation")] {
        for (key, value) in block.get(attribute).as_map().into_iter().flatten() {
            let at = path(attribute).key(key);
            refuse(
                &format!("Invalid {what} key"),
                names::check_key(key),
                at.clone(),
            );
            if let Some(value) = value.as_str().filter(|_| attribute == "labels") {
                let why = names::check_label_value(key, value);
                refuse("Invalid label value", why, at);
            }
        }
    }
    diagnostics
}

/// A name, or (where the server may generate one) a generate_name, not both.
fn named(block: &Value, shape: Shape) -> Diagnostics {
    let (name, generate) = (block.get("name"), block.get("generate_name"));
    let mut diagnostics = Diagnostics::new();
    if block.is_null() || name.is_unknown() || generate.is_unknown() || !shape.generate_name {
        return diagnostics;
    }
    if name.is_null() && generate.is_null() {
        diagnostics.push(
            Diagnostic::error(
                "The metadata has no name",
                "Set metadata.name, or generate_name.",
            )
            .at_attribute(AttrPath::attr("metadata").index(0)),
        );
    } else if !name.is_null() && !generate.is_null() {
        diagnostics.push(
            Diagnostic::error(
                "Conflicting metadata: name and generate_name",
                "generate_name is only for an object without a name; remove one of them.",
            )
            .at_attribute(path("generate_name")),
        );
    }
    diagnostics
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: Shape = Shape {
        namespaced: true,
        generate_name: true,
        names: NameRule::Subdomain,
    };
    const NAMESPACE: Shape = Shape {
        namespaced: false,
        generate_name: true,
        names: NameRule::Label,
    };

    fn state(pairs: Vec<(&str, Value)>) -> Value {
        Value::object([("metadata", Value::List(vec![Value::object(pairs)]))])
    }

    #[test]
    fn a_block_becomes_object_metadata() {
        let planned = state(vec![
            ("name", Value::string("db")),
            ("namespace", Value::string("gg")),
            ("labels", Value::object([("app", Value::string("pg"))])),
            ("annotations", Value::Null),
            ("generate_name", Value::Null),
            ("uid", Value::Unknown),
        ]);
        assert_eq!(
            to_json(&planned, SECRET),
            Some(json!({"name": "db", "namespace": "gg", "labels": {"app": "pg"}}))
        );
        let generated = state(vec![
            ("name", Value::Unknown),
            ("generate_name", Value::string("run-")),
        ]);
        assert_eq!(
            to_json(&generated, NAMESPACE),
            Some(json!({"generateName": "run-"}))
        );
        let pending = state(vec![("name", Value::Unknown)]);
        assert_eq!(to_json(&pending, NAMESPACE), None);
        let generated = state(vec![("generate_name", Value::string("run-"))]);
        assert_eq!(
            to_json(&generated, NAMESPACE),
            Some(json!({"generateName": "run-"}))
        );
    }

    #[test]
    fn ids_and_import_ids_follow_hashicorp_kubernetes() {
        let secret = state(vec![
            ("name", Value::string("db")),
            ("namespace", Value::string("gg")),
        ]);
        assert_eq!(id(&secret, SECRET), Value::string("gg/db"));
        assert_eq!(id(&secret, NAMESPACE), Value::string("db"));
        let block = import_block("kubernetes_secret_v1", "gg/db", SECRET).unwrap();
        assert_eq!(
            block.as_list().unwrap()[0].get("namespace"),
            &Value::string("gg")
        );
        for bad in ["db", "a/b/c", "/db", "gg/"] {
            assert!(
                import_block("kubernetes_secret_v1", bad, SECRET).is_err(),
                "{bad}"
            );
        }
        assert!(import_block("kubernetes_namespace_v1", "a/b", NAMESPACE).is_err());
        let block = import_block("kubernetes_namespace_v1", "gg", NAMESPACE).unwrap();
        assert_eq!(block.as_list().unwrap()[0].get("labels"), &Value::Unknown);
    }

    #[test]
    fn a_block_is_read_back_on_the_labels_it_set() {
        let prior = Value::object([
            ("labels", Value::object([("app", Value::string("pg"))])),
            ("generate_name", Value::Null),
        ]);
        let live = json!({"metadata": {"name": "db", "namespace": "gg", "uid": "u",
            "resourceVersion": "7", "labels": {"app": "changed", "other": "x"}}});
        let block = read(&prior, &live, SECRET);
        let block = &block.as_list().unwrap()[0];
        assert_eq!(
            block.get("labels"),
            &Value::object([("app", Value::string("changed"))])
        );
        assert_eq!(block.get("annotations"), &Value::Null);
        assert_eq!(block.get("generation"), &Value::int(0));
        assert_eq!(block.get("resource_version"), &Value::string("7"));
    }

    #[test]
    fn a_name_or_a_generate_name_but_not_both() {
        let both = state(vec![
            ("name", Value::string("a")),
            ("generate_name", Value::string("a-")),
        ]);
        assert_eq!(
            validate(&both, SECRET).0[0].attribute,
            Some(path("generate_name"))
        );
        let neither = state(vec![("labels", Value::Null)]);
        assert!(validate(&neither, SECRET).has_errors());
        let named = state(vec![("name", Value::string("a"))]);
        assert!(validate(&named, SECRET).is_empty());
    }

    #[test]
    fn names_labels_and_annotations_are_checked_where_they_are_set() {
        let bad = state(vec![
            ("name", Value::string("Bad_Name")),
            ("namespace", Value::string("Gourmet")),
            (
                "labels",
                Value::object([("bad key", Value::string("not ok"))]),
            ),
            (
                "annotations",
                Value::object([("ok/x", Value::string("any text"))]),
            ),
        ]);
        let at: Vec<AttrPath> = validate(&bad, SECRET)
            .0
            .into_iter()
            .filter_map(|d| d.attribute)
            .collect();
        let key = path("labels").key("bad key");
        assert_eq!(at, [path("name"), path("namespace"), key.clone(), key]);
        let dotted = state(vec![("name", Value::string("a.b"))]);
        assert!(validate(&dotted, SECRET).is_empty());
        assert!(validate(&dotted, NAMESPACE).has_errors());
        let pending = state(vec![("name", Value::Unknown), ("labels", Value::Unknown)]);
        assert!(validate(&pending, SECRET).is_empty());
    }
}
