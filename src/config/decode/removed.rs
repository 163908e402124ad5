//! `removed` blocks (Terraform 1.7): `from` (a resource or a module call) and
//! `lifecycle { destroy = ... }`.

use super::Decoder;
use crate::address::{InstanceAddr, ModuleInstance};
use crate::config::{Attr, Block, Removed, RemovedTarget};
use ggplan_sdk::ResourceKind;

impl Decoder<'_> {
    pub(super) fn removed(&mut self, block: Block) {
        if !block.labels.is_empty() {
            self.error(
                Some(block.span.clone()),
                "Extraneous label for removed",
                "A removed block is written `removed { from = ... }`, with no labels.".into(),
            );
            return;
        }
        let span = block.span.clone();
        let header = self.header(Some(span.clone()));
        let body = block.body;
        self.reject_unknown(&body, &["from"], "a removed block");
        let mut destroy = true;
        for nested in &body.blocks {
            match nested.type_name.as_str() {
                "lifecycle" => destroy = self.removed_lifecycle(nested),
                "provisioner" => self.error(
                    Some(nested.span.clone()),
                    "Unsupported provisioner in a removed block",
                    "ggplan does not run destroy-time provisioners of removed blocks yet; \
                     remove the provisioner block (run the command by hand) or keep the \
                     resource with its provisioner until it is destroyed."
                        .into(),
                ),
                other => self.error(
                    Some(nested.span.clone()),
                    "Unsupported block type",
                    format!("A removed block holds a lifecycle block, not {other:?}."),
                ),
            }
        }
        let Some(from) = body.attributes.get("from") else {
            self.error(
                Some(header),
                "Missing required argument",
                "A removed block needs from = the resource or module that was removed.".into(),
            );
            return;
        };
        if let Some(from) = self.removed_target(from) {
            let range = self.sources.range(self.file, header);
            self.module.removed.push(Removed {
                from,
                destroy,
                range,
            });
        }
    }

    /// `lifecycle { destroy = true | false }`: whether the objects are destroyed.
    fn removed_lifecycle(&mut self, block: &Block) -> bool {
        self.reject_unknown(
            &block.body,
            &["destroy"],
            "a removed block's lifecycle block",
        );
        block
            .body
            .attributes
            .get("destroy")
            .map(|a| self.literal_bool(a))
            .unwrap_or(true)
    }

    /// A resource or module call, without instance keys.
    fn removed_target(&mut self, attr: &Attr) -> Option<RemovedTarget> {
        let written = self.address_text(attr);
        let keyed = |m: &ModuleInstance| m.0.iter().any(|(_, k)| k.is_some());
        let target = match InstanceAddr::parse(&written) {
            Ok(a) if a.key.is_some() || keyed(&a.module) => Err((
                "Resource instance keys not allowed",
                "Resource address must be a resource (e.g. \"test_instance.foo\"), not a \
                 resource instance (e.g. \"test_instance.foo[1]\")."
                    .to_string(),
            )),
            Ok(a) if a.resource.kind == ResourceKind::Data => Err((
                "Invalid removed address",
                format!(
                    "{written} is a data source: a data source is not kept, nothing to remove."
                ),
            )),
            Ok(a) => Ok(RemovedTarget::Resource(a.module.path(), a.resource)),
            Err(_) => match ModuleInstance::parse(&written) {
                Some(m) if keyed(&m) => Err((
                    "Module instance keys not allowed",
                    "Module address must be a module (e.g. \"module.foo\"), not a module \
                     instance (e.g. \"module.foo[1]\")."
                        .to_string(),
                )),
                Some(m) => Ok(RemovedTarget::Module(m.path())),
                None => Err((
                    "Invalid removed address",
                    format!(
                        "{written:?} is not a resource (type.name) or a module call \
                         (module.name); write it without quotes."
                    ),
                )),
            },
        };
        target
            .map_err(|(summary, detail)| self.error(Some(attr.value.span.clone()), summary, detail))
            .ok()
    }
}
