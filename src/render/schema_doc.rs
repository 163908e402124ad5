//! Provider reference pages in Markdown, generated from the schemas (`ggplan providers
//! --markdown`, and docs/providers/*.md).

use ggplan_sdk::{BlockNesting, FunctionSignature, ProviderSchema, Schema};
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
    for (function, signature) in &schema.functions {
        function_section(&mut out, name, function, signature);
    }
    out
}

/// Text that fits in one cell of a Markdown table.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// A provider function: how a call reads, what it does, and its parameters (Terraform's
/// provider docs call these "Functions").
fn function_section(out: &mut String, provider: &str, name: &str, signature: &FunctionSignature) {
    let mut params: Vec<String> = signature
        .parameters
        .iter()
        .map(|p| format!("{} {}", p.name, p.ty))
        .collect();
    if let Some(p) = &signature.variadic {
        params.push(format!("{}... {}", p.name, p.ty));
    }
    let _ = write!(
        out,
        "## Function `{name}`\n\n`provider::{provider}::{name}({}) {}`\n\n",
        params.join(", "),
        signature.return_type
    );
    if !signature.description.is_empty() {
        let _ = write!(out, "{}\n\n", signature.description);
    }
    if signature.parameters.is_empty() && signature.variadic.is_none() {
        out.push_str("No parameters.\n\n");
        return;
    }
    out.push_str("| Parameter | Type | Null | Description |\n|---|---|---|---|\n");
    let fixed = signature
        .parameters
        .iter()
        .map(|p| (p, format!("`{}`", p.name)));
    let variadic = signature
        .variadic
        .iter()
        .map(|p| (p, format!("`{}...` (any number)", p.name)));
    for (p, shown) in fixed.chain(variadic) {
        let _ = writeln!(
            out,
            "| {shown} | `{}` | {} | {} |",
            p.ty,
            if p.allow_null { "allowed" } else { "refused" },
            cell(&p.description)
        );
    }
    out.push('\n');
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
            let description = cell(&attr.description);
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

    #[test]
    fn lists_functions_with_their_signatures() {
        use ggplan_sdk::FunctionParameter;
        let mut schema = ProviderSchema::default();
        let page = provider_page("x", &schema);
        assert!(!page.contains("Function"), "{page}");
        schema.functions.insert(
            "join".into(),
            FunctionSignature::new(
                "Joins.",
                [FunctionParameter::new(
                    "sep",
                    Type::String,
                    "The separator.",
                )],
                Type::String,
            )
            .variadic(FunctionParameter::new("parts", Type::String, "A | part.").allow_null()),
        );
        let page = provider_page("x", &schema);
        assert!(
            page.contains(
                "## Function `join`\n\n`provider::x::join(sep string, parts... string) string`\n\nJoins.\n\n"
            ),
            "{page}"
        );
        assert!(
            page.contains("| `sep` | `string` | refused | The separator. |"),
            "{page}"
        );
        assert!(
            page.contains("| `parts...` (any number) | `string` | allowed | A \\| part. |"),
            "{page}"
        );
    }
}
