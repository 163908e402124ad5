//! Provider reference pages in Markdown, generated from the schemas (`ggplan providers
//! --markdown`, and docs/providers/*.md).

use ggplan_sdk::{BlockNesting, ProviderSchema, Schema};
use std::fmt::Write;

/// The reference page of one provider.
pub fn provider_page(name: &str, schema: &ProviderSchema) -> String {
    let mut out = format!(
        "# Provider `{name}`\n\nGenerated from the provider's schema by `ggplan providers --markdown`; \
         do not edit by hand.\n\n"
    );
    out.push_str("## Provider configuration\n\n");
    section(&mut out, &schema.provider, 3);
    for (kind, types) in [
        ("Resource", &schema.resources),
        ("Data source", &schema.data_sources),
    ] {
        for (type_name, type_schema) in types {
            let _ = write!(out, "## {kind} `{type_name}`\n\n");
            section(&mut out, type_schema, 3);
        }
    }
    out
}

fn section(out: &mut String, schema: &Schema, depth: usize) {
    if !schema.description.is_empty() {
        let _ = write!(out, "{}\n\n", schema.description);
    }
    if schema.attributes.is_empty() && schema.blocks.is_empty() {
        out.push_str("No arguments.\n\n");
        return;
    }
    if !schema.attributes.is_empty() {
        out.push_str("| Attribute | Type | Kind | Description |\n|---|---|---|---|\n");
        for (name, attr) in &schema.attributes {
            let mut kind = match (attr.required, attr.optional, attr.computed) {
                (true, _, _) => "required".to_string(),
                (_, true, true) => "optional, computed".to_string(),
                (_, true, false) => "optional".to_string(),
                _ => "computed".to_string(),
            };
            if attr.force_new {
                kind.push_str(", forces replacement");
            }
            if attr.sensitive {
                kind.push_str(", sensitive");
            }
            if let Some(default) = &attr.default {
                let _ = write!(kind, ", default `{default}`");
            }
            let description = attr.description.replace('|', "\\|").replace('\n', " ");
            let _ = writeln!(out, "| `{name}` | `{}` | {kind} | {description} |", attr.ty);
        }
        out.push('\n');
    }
    for (name, block) in &schema.blocks {
        let repeat = match (block.nesting, block.max_items) {
            (BlockNesting::Single, _) | (_, Some(1)) => "at most one".to_string(),
            (_, Some(max)) => format!("up to {max}"),
            (_, None) => "any number".to_string(),
        };
        let _ = write!(
            out,
            "{} Block `{name}` ({repeat}{})\n\n",
            "#".repeat(depth.min(6)),
            if block.min_items > 0 {
                format!(", at least {}", block.min_items)
            } else {
                String::new()
            }
        );
        section(out, &block.block, depth + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ggplan_sdk::{Attribute, NestedBlock, Type};

    #[test]
    fn lists_attributes_and_blocks() {
        let mut schema = ProviderSchema::default();
        schema.resources.insert(
            "x_thing".into(),
            Schema::new(
                "A thing.",
                [("name", Attribute::required(Type::String).force_new())],
            )
            .with_block(
                "network",
                NestedBlock {
                    nesting: BlockNesting::List,
                    block: Schema::new("", [("port", Attribute::optional(Type::String))]),
                    min_items: 1,
                    max_items: None,
                },
            ),
        );
        let page = provider_page("x", &schema);
        assert!(page.contains("## Resource `x_thing`"), "{page}");
        assert!(
            page.contains("| `name` | `string` | required, forces replacement |"),
            "{page}"
        );
        assert!(
            page.contains("### Block `network` (any number, at least 1)"),
            "{page}"
        );
    }
}
