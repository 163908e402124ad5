//! `moved` blocks: `from` and `to` addresses, checked on their own (the checks that need the
//! whole configuration or the state are in `crate::moved`).

use super::Decoder;
use crate::address::{InstanceAddr, ModuleInstance};
use crate::config::{Attr, Block, MoveEndpoint, Moved};
use ggplan_sdk::ResourceKind;

impl Decoder<'_> {
    pub(super) fn moved(&mut self, block: Block) {
        if !block.labels.is_empty() {
            self.error(
                Some(block.span.clone()),
                "Extraneous label for moved",
                "A moved block is written `moved { from = ..., to = ... }`, with no labels.".into(),
            );
            return;
        }
        let span = block.span.clone();
        let header = self.header(Some(span.clone()));
        let body = block.body;
        self.reject_unknown(&body, &["from", "to"], "a moved block");
        for nested in &body.blocks {
            self.error(
                Some(nested.span.clone()),
                "Unsupported block type",
                "A moved block holds only from and to.".into(),
            );
        }
        let (Some(from), Some(to)) = (body.attributes.get("from"), body.attributes.get("to"))
        else {
            self.error(
                Some(header),
                "Missing required argument",
                "A moved block needs both from and to.".into(),
            );
            return;
        };
        let (Some(from_addr), Some(to_addr)) = (self.endpoint(from), self.endpoint(to)) else {
            return;
        };
        if let Some(detail) = mismatch(&from_addr, &to_addr) {
            self.error(Some(header), "Invalid \"moved\" addresses", detail);
            return;
        }
        if from_addr == to_addr {
            self.error(
                Some(header),
                "Redundant move statement",
                format!(
                    "This statement declares a move from {from_addr} to the same address, which \
                     is the same as not declaring this move at all."
                ),
            );
            return;
        }
        let range = self.sources.range(self.file, header);
        self.module.moved.push(Moved {
            from: from_addr,
            to: to_addr,
            range,
        });
    }

    /// A `from` or `to` address: a resource, a resource instance, a module call or a module
    /// instance, written as a reference (no quotes).
    fn endpoint(&mut self, attr: &Attr) -> Option<MoveEndpoint> {
        let written = self.address_text(attr);
        let parsed = match InstanceAddr::parse(&written) {
            Ok(addr) if addr.resource.kind == ResourceKind::Data => Err(format!(
                "{written} is a data source: only managed resources and modules are moved \
                 (a data source has nothing to keep; it is read again)."
            )),
            Ok(addr) => Ok(MoveEndpoint::Resource(addr)),
            Err(_) => ModuleInstance::parse(&written)
                .map(MoveEndpoint::Module)
                .ok_or_else(|| {
                    format!(
                        "{written:?} is not an address that can move: write a resource \
                         (type.name), a resource instance (type.name[0], type.name[\"key\"]), \
                         a module call (module.name) or a module instance \
                         (module.name[\"key\"]), without quotes."
                    )
                }),
        };
        parsed
            .map_err(|detail| {
                let span = Some(attr.value.span.clone());
                self.error(span, &format!("Invalid \"{}\" address", attr.name), detail)
            })
            .ok()
    }
}

/// Why `from` cannot move to `to` whatever the configuration: a resource to a module, or to a
/// resource of another type.
fn mismatch(from: &MoveEndpoint, to: &MoveEndpoint) -> Option<String> {
    match (from, to) {
        (MoveEndpoint::Resource(f), MoveEndpoint::Resource(t))
            if f.resource.type_name != t.resource.type_name =>
        {
            Some(format!(
                "This statement declares a move from {from} to {to}, which is a resource of a \
                 different type."
            ))
        }
        (MoveEndpoint::Resource(_), MoveEndpoint::Module(_))
        | (MoveEndpoint::Module(_), MoveEndpoint::Resource(_)) => Some(
            "The \"from\" and \"to\" addresses must either both refer to resources or both \
             refer to modules."
                .into(),
        ),
        _ => None,
    }
}
