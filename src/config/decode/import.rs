//! `import` blocks (Terraform 1.5): `to` (a resource instance, in the root module or a module
//! instance it calls), `id` and an optional `for_each`.

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
        let Some((module, resource, key)) = self.import_target(to) else {
            return;
        };
        let range = self.sources.range(self.file, header);
        let to_range = self.sources.range(self.file, to.span.clone());
        self.module.imports.push(Import {
            module,
            resource,
            key,
            id: id.value.clone(),
            for_each: body.attributes.get("for_each").map(|a| a.value.clone()),
            range,
            to_range,
        });
    }

    /// `[module.CALL[KEY].]...TYPE.NAME[KEY]` (each KEY any expression, such as `each.key`):
    /// a managed resource of this module or of a module it calls.
    fn import_target(&mut self, attr: &Attr) -> Option<ImportTarget> {
        let target = match &attr.value.expr {
            Expression::Traversal(t) => match &t.expr {
                Expression::Variable(root) => {
                    let mut steps = vec![Step::Name(root.as_str().to_string())];
                    steps.extend(t.operators.iter().map(|op| match op.value() {
                        TraversalOperator::GetAttr(n) => Step::Name(n.as_str().to_string()),
                        TraversalOperator::Index(key) => Step::Key(key.clone()),
                        _ => Step::Other,
                    }));
                    self.target_of(steps)
                }
                _ => None,
            },
            _ => None,
        };
        if target.is_none() {
            self.error(
                Some(attr.value.span.clone()),
                "Invalid import address",
                "to must name a managed resource instance: TYPE.NAME or TYPE.NAME[key], \
                 optionally inside modules (module.NAME.TYPE.NAME, module.NAME[key].TYPE.NAME); \
                 keys may use each.key."
                    .into(),
            );
        }
        target
    }

    /// The module steps, resource and key of a `to` traversal, `None` when it is not one.
    fn target_of(&self, steps: Vec<Step>) -> Option<ImportTarget> {
        let mut steps = steps.into_iter().peekable();
        let mut module = Vec::new();
        while steps
            .peek()
            .is_some_and(|s| matches!(s, Step::Name(n) if n == "module"))
        {
            steps.next();
            let Some(Step::Name(call)) = steps.next() else {
                return None;
            };
            let key = steps.next_if(|s| matches!(s, Step::Key(_)));
            module.push((call, key.and_then(|k| self.step_key(k))));
        }
        let (Some(Step::Name(kind)), Some(Step::Name(name))) = (steps.next(), steps.next()) else {
            return None;
        };
        let key = steps.next().map(|k| self.step_key(k));
        if steps.next().is_some() || kind == "data" || key.as_ref().is_some_and(Option::is_none) {
            return None;
        }
        let resource = ResourceAddr::managed(&kind, &name);
        Some((module, resource, key.flatten()))
    }

    fn step_key(&self, step: Step) -> Option<Expr> {
        match step {
            Step::Key(key) => Some(self.expr(key)),
            _ => None,
        }
    }
}

/// What `to` names: module steps with their keys, the resource, its instance key.
type ImportTarget = (Vec<(String, Option<Expr>)>, ResourceAddr, Option<Expr>);

/// One step of a `to` traversal.
enum Step {
    Name(String),
    Key(Expression),
    Other,
}
