//! `check` blocks (Terraform 1.5): `assert` blocks and at most one scoped `data` block.

use super::Decoder;
use crate::address::ResourceAddr;
use crate::config::{Block, Check, Condition, Repetition};
use crate::lang::references::references;
use ggplan_sdk::ResourceKind;

impl Decoder<'_> {
    pub(super) fn check(&mut self, block: Block) {
        let Some(labels) = self.labels(&block, &["name"]) else {
            return;
        };
        let span = block.span.clone();
        let body = block.body;
        self.reject_unknown(&body, &[], "a check block");
        let name = labels[0].clone();
        let mut check = Check {
            name: name.clone(),
            asserts: Vec::new(),
            data: None,
            range: self
                .sources
                .range(self.file, self.header(Some(span.clone()))),
        };
        for nested in body.blocks {
            match nested.type_name.as_str() {
                "assert" => check.asserts.extend(self.assert(&nested)),
                "data" => self.scoped_data(&mut check, nested),
                other => self.error(
                    Some(nested.span.clone()),
                    "Unsupported block type",
                    format!(
                        "Blocks of type {other:?} are not expected here. A check block holds \
                         assert blocks and at most one data block."
                    ),
                ),
            }
        }
        if check.asserts.is_empty() {
            self.error(
                Some(self.header(Some(span.clone()))),
                "Zero assert blocks",
                "Check blocks must have at least one assert block.".into(),
            );
        }
        if let Some(first) = self.module.checks.get(&name) {
            let first = first.range.clone();
            self.error(
                Some(self.header(Some(span))),
                &format!("Duplicate check {name:?} configuration"),
                format!(
                    "A check block named {name:?} was already declared at {}:{}. Check blocks \
                     must be unique within each module.",
                    first.file, first.start.line
                ),
            );
            return;
        }
        self.module.checks.insert(name, check);
    }

    /// An `assert` block: a condition that must refer to something, or it checks nothing.
    fn assert(&mut self, block: &Block) -> Option<Condition> {
        let condition = self.condition(block)?;
        if references(&condition.condition).is_empty() {
            self.error(
                Some(condition.condition.span.clone()),
                "Invalid assert expression",
                "The condition expression must refer to at least one object from elsewhere in \
                 the configuration, or else its result would not be checking anything."
                    .into(),
            );
            return None;
        }
        Some(condition)
    }

    /// The check's scoped `data` block: declared in the module like any data source, marked
    /// as the check's own.
    fn scoped_data(&mut self, check: &mut Check, block: Block) {
        let [type_name, name] = block.labels.as_slice() else {
            self.error(
                Some(block.span.clone()),
                "Wrong number of labels on a data block",
                "A data block is written `data \"type\" \"name\" { ... }`.".into(),
            );
            return;
        };
        let addr = ResourceAddr {
            kind: ResourceKind::Data,
            type_name: type_name.clone(),
            name: name.clone(),
        };
        if let Some(first) = &check.data {
            let first = self.module.resources[first].range.clone();
            self.error(
                Some(self.header(Some(block.span.clone()))),
                "Multiple data resource blocks",
                format!(
                    "This check block already has a data resource defined at {}:{}.",
                    first.file, first.start.line
                ),
            );
            return;
        }
        for meta in ["count", "for_each"] {
            if let Some(attr) = block.body.attributes.get(meta) {
                self.error(
                    Some(attr.span.clone()),
                    &format!("Invalid {meta:?} attribute"),
                    "The \"count\" and \"for_each\" meta-arguments are not supported within \
                     nested data blocks."
                        .into(),
                );
            }
        }
        let mut resource = self.resource_from(addr.clone(), block.body, block.span);
        resource.repetition = Repetition::Single;
        resource.check = Some(check.name.clone());
        check.data = Some(addr);
        self.declare(resource);
    }
}
