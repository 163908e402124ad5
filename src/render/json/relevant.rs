//! `relevant_attributes` of a plan document: the attributes of resource instances that what
//! the plan changes depends on (`{"resource": "terraform_data.a[0]", "attribute": ["id"]}`),
//! so a tool can tell which drifted attributes matter to the plan. As Terraform collects them:
//! the references of every resource with a change other than no-op and of every root output,
//! followed through locals, module outputs and module variables to the resource attributes
//! they end at (`[]` for a whole object, the resource for an instance picked by a computed
//! index), sorted by address.

use super::ChangesByResource;
use crate::address::{InstanceAddr, InstanceKey, ModuleInstance, ModulePath, ResourceAddr};
use crate::config::{Body, Expr, Module, Repetition};
use crate::lang::references::{PathStep, Reference, Referent, references};
use crate::plan::{Action, ResourceChange};
use ggplan_sdk::ResourceKind;
use serde_json::{Value as Json, json};
use std::collections::{BTreeMap, BTreeSet};

/// The relevant attributes of a plan of the stack whose root module is `root`.
pub fn relevant_attributes(root: &Module, changes: &[ResourceChange]) -> Json {
    let mut walk = Walk {
        root,
        changes: ChangesByResource::of(changes),
        followed: BTreeSet::new(),
        found: BTreeMap::new(),
    };
    for change in changes.iter().filter(|c| c.action != Action::NoOp) {
        let path = change.addr.module.path();
        let Some(module) = root.at(&path) else {
            continue;
        };
        let Some(resource) = module.resources.get(&change.addr.resource) else {
            continue;
        };
        let mut exprs = Vec::new();
        body_exprs(&resource.body, &mut exprs);
        if let Repetition::Count(e) | Repetition::ForEach(e) = &resource.repetition {
            exprs.push(e);
        }
        for expr in exprs {
            walk.expr(&path, expr);
        }
    }
    for output in root.outputs.values() {
        walk.expr(&ModulePath::root(), &output.value);
    }
    let entries = walk.found.into_iter().map(
        |((addr, _), attribute)| json!({ "resource": addr.to_string(), "attribute": attribute }),
    );
    Json::Array(entries.collect())
}

/// Follows references to the resource attributes they end at.
struct Walk<'a> {
    root: &'a Module,
    changes: ChangesByResource<'a>,
    /// The locals, module outputs and module variables already followed, by module and name.
    followed: BTreeSet<(ModulePath, String)>,
    /// The attributes found, in Terraform's order: by instance, then attribute (keyed by its
    /// JSON text, since JSON values have no order).
    found: BTreeMap<(InstanceAddr, String), Json>,
}

impl Walk<'_> {
    /// The references of an expression of module `path`.
    fn expr(&mut self, path: &ModulePath, expr: &Expr) {
        for r in references(expr) {
            match r.referent() {
                Ok(Referent::Resource(resource)) => self.resource(path, &r, &resource),
                Ok(Referent::Local(name)) => self.local(path, &name),
                Ok(Referent::Variable(name)) => self.variable(path, &name),
                Ok(Referent::ModuleOutput { call, output }) => {
                    self.module_output(path, &call, output.as_deref())
                }
                _ => {}
            }
        }
    }

    /// Whether `name` of module `path` is followed for the first time.
    fn first_time(&mut self, path: &ModulePath, name: String) -> bool {
        self.followed.insert((path.clone(), name))
    }

    fn local(&mut self, path: &ModulePath, name: &str) {
        let root = self.root;
        if let Some(local) = root.at(path).and_then(|m| m.locals.get(name))
            && self.first_time(path, format!("local.{name}"))
        {
            self.expr(path, &local.value);
        }
    }

    /// A module variable leads to the argument its call gives it; root variables lead nowhere.
    fn variable(&mut self, path: &ModulePath, name: &str) {
        let Some((parent, call)) = path.split_last() else {
            return;
        };
        let root = self.root;
        let input = root
            .at(&parent)
            .and_then(|m| m.calls.get(call))
            .and_then(|c| c.inputs.get(name));
        if let Some(input) = input
            && self.first_time(path, format!("var.{name}"))
        {
            self.expr(&parent, &input.value);
        }
    }

    /// `module.NAME.OUTPUT` leads to that output's expression, `module.NAME` to all of them.
    fn module_output(&mut self, path: &ModulePath, call: &str, output: Option<&str>) {
        let child = path.child(call);
        let root = self.root;
        let Some(module) = root.at(&child) else {
            return;
        };
        for (name, o) in &module.outputs {
            if output.is_none_or(|wanted| wanted == name)
                && self.first_time(&child, format!("output.{name}"))
            {
                self.expr(&child, &o.value);
            }
        }
    }

    /// The attribute a resource reference names (`[]` for the whole object), of the instance
    /// it picks or, with no static key (`terraform_data.a[count.index]`), of the resource, as
    /// Terraform names it: in each instance of module `path` the resource has instances in.
    fn resource(&mut self, path: &ModulePath, r: &Reference, resource: &ResourceAddr) {
        // The steps that name the resource: `type.name` is the root and one, `data.type.name`
        // two.
        let named = if resource.kind == ResourceKind::Data {
            2
        } else {
            1
        };
        let rest = r.path.get(named..).unwrap_or_default();
        let (key, attribute) = match rest.split_first() {
            Some((PathStep::Key(key), attribute)) => (Some(key.clone()), attribute),
            _ => (None, rest),
        };
        let attribute: Json = attribute
            .iter()
            .map(|step| match step {
                PathStep::Attr(name) => json!(name),
                PathStep::Key(InstanceKey::Int(i)) => json!(i),
                PathStep::Key(InstanceKey::Str(s)) => json!(s),
            })
            .collect();
        let modules: BTreeSet<ModuleInstance> = if path.is_root() {
            BTreeSet::from([ModuleInstance::root()])
        } else {
            let changes = self.changes.of_resource(path, resource);
            changes.iter().map(|c| c.addr.module.clone()).collect()
        };
        for module in &modules {
            let addr = resource.instance_in(module, key.clone());
            self.found
                .insert((addr, attribute.to_string()), attribute.clone());
        }
    }
}

/// A body's argument expressions, and those of its nested blocks.
fn body_exprs<'a>(body: &'a Body, out: &mut Vec<&'a Expr>) {
    out.extend(body.attributes.values().map(|a| &a.value));
    for block in &body.blocks {
        body_exprs(&block.body, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::ProviderAddr;
    use crate::config::FileId;

    fn expr(src: &str) -> Expr {
        Expr {
            file: FileId(0),
            span: 0..src.len(),
            expr: hcl_edit::parser::parse_expr(src).unwrap(),
        }
    }

    fn change(addr: &str, action: Action) -> ResourceChange {
        ResourceChange::new(
            InstanceAddr::parse(addr).unwrap(),
            ProviderAddr::default_of("terraform"),
            action,
            None,
            None,
        )
    }

    #[test]
    fn references_are_followed_through_locals_to_what_they_name() {
        let mut root = Module::default();
        let local = crate::config::Local {
            name: "ids".into(),
            value: expr("terraform_data.d.name"),
            range: ggplan_sdk::SourceRange {
                file: "main.tf".into(),
                start: ggplan_sdk::SourcePos {
                    line: 1,
                    column: 1,
                    byte: 0,
                },
                end: ggplan_sdk::SourcePos {
                    line: 1,
                    column: 1,
                    byte: 0,
                },
            },
        };
        root.locals.insert("ids".into(), local);
        let changes = [
            change("terraform_data.b[1]", Action::NoOp),
            change("terraform_data.b[0]", Action::NoOp),
            change("terraform_data.c", Action::Create),
            change("terraform_data.d", Action::NoOp),
        ];
        let mut walk = Walk {
            root: &root,
            changes: ChangesByResource::of(&changes),
            followed: BTreeSet::new(),
            found: BTreeMap::new(),
        };
        walk.expr(
            &ModulePath::root(),
            &expr(
                "[terraform_data.b.out, terraform_data.c.x[2], local.ids, terraform_data.c, \
                 terraform_data.e[count.index].z]",
            ),
        );
        let found: Vec<String> = walk
            .found
            .keys()
            .map(|(addr, attribute)| format!("{addr} {attribute}"))
            .collect();
        // A reference without a static key names the resource, whatever its instances.
        assert_eq!(
            found,
            [
                "terraform_data.b [\"out\"]",
                "terraform_data.c [\"x\",2]",
                "terraform_data.c []",
                "terraform_data.d [\"name\"]",
                "terraform_data.e []"
            ]
        );
    }
}
