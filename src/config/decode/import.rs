//! `import` blocks (Terraform 1.5): `to`, `id` and an optional `for_each`.

use super::Decoder;
use crate::address::ResourceAddr;
use crate::config::{Attr, Block, Expr, Import};
use hcl_edit::expr::{Expression, TraversalOperator};

impl Decoder<'_> {
    pub(super) fn import(&mut self, block: Block) {
        let span = block.span.clone();
        let header = self.header(Some(span.clone()));
        let body = block.body;
        self.reject_unknown(
            &body,
            &["to", "id", "for_each", "provider"],
            "an import block",
        );
        for nested in &body.blocks {
            self.error(
                Some(nested.span.clone()),
                "Unsupported block type",
                "An import block holds to, id and for_each.".into(),
            );
        }
        if let Some(provider) = body.attributes.get("provider") {
            self.error(
                Some(provider.span.clone()),
                "Unsupported argument",
                "ggplan imports with the provider configuration of the target resource; \
                 remove provider here (set it on the resource block)."
                    .into(),
            );
        }
        let (Some(to), Some(id)) = (body.attributes.get("to"), body.attributes.get("id")) else {
            self.error(
                Some(header),
                "Missing required argument",
                "An import block needs to = the resource instance and id = the object's id.".into(),
            );
            return;
        };
        let Some((resource, key)) = self.import_target(to) else {
            return;
        };
        let range = self.sources.range(self.file, header);
        self.module.imports.push(Import {
            resource,
            key,
            id: id.value.clone(),
            for_each: body.attributes.get("for_each").map(|a| a.value.clone()),
            range,
        });
    }

    /// `type.name` or `type.name[KEY]` (KEY any expression, such as `each.key`): a managed
    /// resource of this module.
    fn import_target(&mut self, attr: &Attr) -> Option<(ResourceAddr, Option<Expr>)> {
        let target = match &attr.value.expr {
            Expression::Traversal(t) => match (&t.expr, t.operators.as_slice()) {
                (Expression::Variable(type_name), [name, rest @ ..]) if rest.len() <= 1 => {
                    let name = match name.value() {
                        TraversalOperator::GetAttr(n) => Some(n.as_str().to_string()),
                        _ => None,
                    };
                    let key = match rest.first().map(|op| op.value()) {
                        None => Some(None),
                        Some(TraversalOperator::Index(key)) => Some(Some(self.expr(key.clone()))),
                        _ => None,
                    };
                    let kind = type_name.as_str();
                    name.zip(key)
                        .filter(|_| kind != "module" && kind != "data")
                        .map(|(name, key)| (ResourceAddr::managed(kind, &name), key))
                }
                _ => None,
            },
            _ => None,
        };
        if target.is_none() {
            self.error(
                Some(attr.value.span.clone()),
                "Invalid import address",
                "ggplan imports into a managed resource of the root module: write to = \
                 type.name or type.name[key] (key may use each.key). Importing into a \
                 module's resource is not supported yet: use `ggplan import ADDR ID`."
                    .into(),
            );
        }
        target
    }
}
