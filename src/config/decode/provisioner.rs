//! `provisioner` blocks: Terraform's `local-exec` is run; the others are refused with what to
//! use instead.

use super::Decoder;
use crate::config::{Attr, Block, OnFailure, Provisioner, ProvisionerWhen};
use hcl_edit::expr::Expression;

/// The arguments of a `local-exec` provisioner, besides `when` and `on_failure`.
const LOCAL_EXEC_ARGUMENTS: [&str; 5] = [
    "command",
    "working_dir",
    "interpreter",
    "environment",
    "quiet",
];

impl Decoder<'_> {
    /// A `provisioner "TYPE" { ... }` block of a managed resource; `None` (with the error
    /// recorded) when it is not one ggplan runs or is written wrongly.
    pub(super) fn provisioner(&mut self, mut block: Block) -> Option<Provisioner> {
        let span = Some(block.span.clone());
        match block.labels.as_slice() {
            [kind] if kind == "local-exec" => {}
            [kind] if kind == "remote-exec" || kind == "file" => {
                self.error(
                    span,
                    "Unsupported provisioner",
                    format!(
                        "The {kind} provisioner is not run by ggplan: commands and files on a \
                         host are resources of the ssh provider (ssh_exec, ssh_file), planned \
                         and checked for drift like any other."
                    ),
                );
                return None;
            }
            _ => {
                self.error(
                    span,
                    "Unsupported provisioner",
                    "ggplan runs the local-exec provisioner, written provisioner \"local-exec\" \
                     { command = \"...\" }."
                        .into(),
                );
                return None;
            }
        }
        if let Some(nested) = block.body.blocks.first() {
            self.error(
                Some(nested.span.clone()),
                "Unsupported block",
                "A local-exec provisioner has no nested blocks (a connection block is only for \
                 remote provisioners)."
                    .into(),
            );
        }
        let mut allowed = LOCAL_EXEC_ARGUMENTS.to_vec();
        allowed.extend(["when", "on_failure"]);
        self.reject_unknown(&block.body, &allowed, "a local-exec provisioner");
        if !block.body.attributes.contains_key("command") {
            self.error(
                span.clone(),
                "Missing required argument",
                "A local-exec provisioner needs command = \"...\", the command to run.".into(),
            );
        }
        let when = match block.body.attributes.remove("when") {
            Some(attr) => self.keyword(&attr, &["create", "destroy"])?,
            None => "create",
        };
        let on_failure = match block.body.attributes.remove("on_failure") {
            Some(attr) => self.keyword(&attr, &["fail", "continue"])?,
            None => "fail",
        };
        Some(Provisioner {
            when: if when == "destroy" {
                ProvisionerWhen::Destroy
            } else {
                ProvisionerWhen::Create
            },
            on_failure: if on_failure == "continue" {
                OnFailure::Continue
            } else {
                OnFailure::Fail
            },
            body: block.body,
            range: self.sources.range(self.file, block.span),
        })
    }

    /// A keyword argument (`when = destroy`), one of `allowed`, written without quotes.
    fn keyword(&mut self, attr: &Attr, allowed: &[&'static str]) -> Option<&'static str> {
        if let Expression::Variable(v) = &attr.value.expr
            && let Some(word) = allowed.iter().find(|w| **w == v.as_str())
        {
            return Some(word);
        }
        self.error(
            Some(attr.value.span.clone()),
            "Invalid value",
            format!(
                "{} is one of {}, written without quotes.",
                attr.name,
                allowed.join(", ")
            ),
        );
        None
    }
}
