//! `plan -generate-config-out=FILE` (Terraform 1.5's configuration generation): an `import`
//! block whose target resource the root module does not declare has its object imported and
//! the object's configuration written to FILE as Terraform's `genconfig` writes it (one
//! resource block per import, its required and optional attributes and its blocks from the
//! object read, a secret as `null # sensitive`). The plan then reads FILE as part of the
//! stack, so the imports are planned against the configuration written.

use crate::address::{InstanceAddr, ModuleInstance, ProviderAddr};
use crate::config::{Import, Module};
use crate::run::Run;
use crate::scope::InstanceContext;
use crate::state::State;
use ggplan_sdk::hcl::{Body, escape_string};
use ggplan_sdk::{BlockNesting, Diagnostic, Diagnostics, Schema, Type, Value};

/// What FILE starts with (Terraform's words).
const HEADER: &str = "# __generated__ by Terraform\n# Please review these resources and move \
                      them into your main configuration files.\n";

/// Takes out of `module` the `import` blocks whose target the root module does not declare:
/// those that need configuration generated. Refused, as Terraform refuses it, when such a
/// block names an instance (`for_each`, a key): a generated block has no `count` or
/// `for_each`. Blocks whose target is in a module stay, for the graph to refuse.
pub fn take_undeclared(module: &mut Module) -> Result<Vec<Import>, Diagnostics> {
    let (undeclared, kept): (Vec<Import>, Vec<Import>) = std::mem::take(&mut module.imports)
        .into_iter()
        .partition(|i| i.module.is_empty() && !module.resources.contains_key(&i.resource));
    module.imports = kept;
    let mut diags = Diagnostics::new();
    for block in undeclared
        .iter()
        .filter(|b| b.for_each.is_some() || b.key.is_some())
    {
        let diagnostic = Diagnostic::error(
            "Configuration for import target does not exist",
            "The given import block is not compatible with config generation. The \
             -generate-config-out option cannot be used with import blocks which use \
             for_each, or resources which use for_each or count.",
        );
        diags.push(diagnostic.at_range(Some(block.to_range.clone())));
    }
    diags.into_result(undeclared)
}

/// The providers the generated resources need (each type's implied provider).
pub fn providers(blocks: &[Import]) -> Vec<ProviderAddr> {
    let types = blocks.iter().map(|b| &b.resource.type_name);
    types.map(|t| Module::implied_provider(t)).collect()
}

/// One generated resource block: where it declares the resource and its text.
#[derive(Debug, Clone)]
pub struct Generated {
    pub addr: InstanceAddr,
    pub id: String,
    pub block: String,
}

/// FILE's text: Terraform's header, then each block after a comment naming its id.
pub fn file_text(generated: &[Generated]) -> String {
    let mut text = HEADER.to_string();
    for g in generated {
        let id = escape_string(&g.id);
        text.push_str(&format!(
            "\n# __generated__ by Terraform from \"{id}\"\n{}",
            g.block
        ));
    }
    text
}

/// Imports each block's object through `run` (its ids evaluated with `state`'s values) and
/// writes its resource block, in the order of the blocks.
pub async fn generate(
    run: &Run,
    state: &State,
    blocks: &[Import],
) -> Result<Vec<Generated>, Diagnostics> {
    // Variables and locals an id may use; what cannot be evaluated shows as an unknown id.
    let _ = run.evaluate_from_state(state);
    let mut generated = Vec::new();
    for block in blocks {
        let addr = block.resource.instance(None);
        let id = import_id(run, block)?;
        let provider_addr = Module::implied_provider(&block.resource.type_name);
        run.configure_provider(&provider_addr).await?;
        let provider = run
            .providers()
            .for_resource(&provider_addr, &block.resource)?;
        if provider.is_deferred() {
            return Err(Diagnostic::error(
                format!("Cannot generate the configuration of {addr}"),
                format!(
                    "The configuration of provider \"{provider_addr}\" refers to values known \
                     only after apply; apply what it refers to first."
                ),
            )
            .into());
        }
        let value = provider.import(&addr, &id).await?;
        let block = resource_block(&addr, provider.schema(), &value);
        generated.push(Generated { addr, id, block });
    }
    Ok(generated)
}

/// The id an import block gives, which must be a string known now.
fn import_id(run: &Run, block: &Import) -> Result<String, Diagnostics> {
    let root = ModuleInstance::root();
    let id = run.eval(&block.id, &root, &InstanceContext::default())?;
    match Type::String.convert(id.unmark().0) {
        Ok(Value::String(id)) => Ok(id),
        _ => Err(Diagnostic::error(
            "Invalid import id argument",
            "The import block \"id\" argument must be a string known while planning: it may \
             not depend on resource attributes that cannot be determined until apply.",
        )
        .at_range(Some(run.module().range(&block.id)))
        .into()),
    }
}

/// `resource "TYPE" "NAME" { ... }` for the object `value` (Terraform's
/// `GenerateResourceContents` wrapped by `WrapResourceContents`).
pub fn resource_block(addr: &InstanceAddr, schema: &Schema, value: &Value) -> String {
    let mut body = Body::default();
    let resource = &addr.resource;
    body.open("resource", &[&resource.type_name, &resource.name]);
    write_body(&mut body, schema, value);
    body.close();
    body.text()
}

/// The attributes (computed-only ones left out), then the nested blocks, each sorted by
/// name, as Terraform writes them.
fn write_body(body: &mut Body, schema: &Schema, value: &Value) {
    for (name, attribute) in &schema.attributes {
        if !(attribute.required || attribute.optional) {
            continue;
        }
        let written = value.get(name);
        if attribute.sensitive || written.contains_sensitive() {
            body.withheld(name, "sensitive");
            continue;
        }
        // Terraform's rule for the legacy SDK: an empty optional string is taken as null.
        let empty_string = attribute.optional && written.as_str() == Some("");
        match empty_string {
            true => body.attribute(name, &Value::Null),
            false => body.attribute(name, written),
        }
    }
    for (name, nested) in &schema.blocks {
        let written = value.get(name);
        if written.is_sensitive() {
            body.open(name, &[]);
            body.comment("sensitive");
            body.close();
            continue;
        }
        let objects: Vec<&Value> = match (nested.nesting, written.peel()) {
            (BlockNesting::Single, Value::Map(_)) => vec![written],
            (BlockNesting::List | BlockNesting::Set, Value::List(items)) => items.iter().collect(),
            // A single block's list form, as some state keeps it.
            (BlockNesting::Single, Value::List(items)) => items.iter().take(1).collect(),
            _ => Vec::new(),
        };
        for object in objects {
            body.open(name, &[]);
            write_body(body, &nested.block, object);
            body.close();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ggplan_sdk::{Attribute, NestedBlock};

    fn schema() -> Schema {
        let mut schema = Schema::new(
            "",
            [
                ("id", Attribute::computed(Type::String)),
                ("name", Attribute::required(Type::String)),
                ("description", Attribute::optional(Type::String)),
                ("password", Attribute::optional(Type::String).sensitive()),
                (
                    "tags",
                    Attribute::optional(Type::Map(Box::new(Type::String))),
                ),
                ("size", Attribute::optional_computed(Type::Number)),
            ],
        );
        let rule = Schema::new("", [("port", Attribute::required(Type::Number))]);
        let rules = NestedBlock::new(BlockNesting::List, rule);
        schema.blocks.insert("rule".into(), rules);
        schema
    }

    #[test]
    fn a_block_has_required_and_optional_attributes_then_blocks_and_withholds_secrets() {
        let value = Value::object([
            ("id", Value::string("abc")),
            ("name", Value::string("m")),
            ("description", Value::string("")),
            ("password", Value::string("hunter2")),
            ("tags", Value::object([("team", Value::string("ml"))])),
            ("size", Value::int(3)),
            (
                "rule",
                Value::List(vec![
                    Value::object([("port", Value::int(22))]),
                    Value::object([("port", Value::int(80))]),
                ]),
            ),
        ]);
        let addr = crate::address::ResourceAddr::managed("x_thing", "a").instance(None);
        let text = resource_block(&addr, &schema(), &value);
        assert_eq!(
            text,
            "resource \"x_thing\" \"a\" {\n  description = null\n  name        = \"m\"\n  \
             password    = null # sensitive\n  size        = 3\n  tags = {\n    team = \"ml\"\n  \
             }\n  rule {\n    port = 22\n  }\n  rule {\n    port = 80\n  }\n}\n"
        );
        assert!(!text.contains("hunter2"));
    }

    #[test]
    fn a_secret_the_provider_marked_is_withheld_too() {
        let value = Value::object([
            ("name", Value::string("m").into_sensitive()),
            (
                "tags",
                Value::object([("k", Value::string("s").into_sensitive())]),
            ),
        ]);
        let addr = crate::address::ResourceAddr::managed("x_thing", "a").instance(None);
        let text = resource_block(&addr, &schema(), &value);
        assert!(
            text.contains("  name        = null # sensitive\n"),
            "{text}"
        );
        assert!(
            text.contains("  tags        = null # sensitive\n"),
            "{text}"
        );
    }
}
