//! The `configuration` of a plan document, as Terraform's `jsonconfig` writes it: the provider
//! configurations, and per module its resources (each argument as an expression: a
//! `constant_value` or the `references` it makes), module calls with their modules, variables
//! and outputs. Nothing here is evaluated beyond literals, so it holds only what the files say;
//! secrets the files hold (a sensitive variable's default, a literal in a sensitive argument or
//! in one the plan holds a secret in, such as a Kubernetes Secret's data) are left out.

use super::{ChangesByResource, ProviderFacts};
use crate::address::{ModulePath, ProviderAddr, ResourceAddr};
use crate::config::{Body, Expr, Module, ModuleCall, Output, Repetition, Resource, Variable};
use crate::lang::eval::{Evaluator, NoNames};
use crate::lang::functions::FunctionContext;
use crate::lang::references::{Reference, Referent, references};
use crate::plan::ResourceChange;
use ggplan_sdk::{ResourceKind, Schema};
use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::template::{Element, Template};
use serde_json::{Map, Value as Json, json};
use std::collections::BTreeSet;

/// The `configuration` object of the stack whose root module is `root`, planned as `changes`.
pub fn configuration(root: &Module, providers: &ProviderFacts, changes: &[ResourceChange]) -> Json {
    let reader = Reader {
        root,
        providers,
        changes: ChangesByResource::of(changes),
    };
    json!({
        "provider_config": reader.provider_config(),
        "root_module": reader.module(&ModulePath::root(), root),
    })
}

/// Writes the parts of one stack's configuration.
struct Reader<'a> {
    root: &'a Module,
    providers: &'a ProviderFacts,
    changes: ChangesByResource<'a>,
}

impl Reader<'_> {
    /// Every provider configuration the stack declares or its resources use, by key
    /// (`random`, `openstack.chi`): ggplan's provider configurations are all the root's.
    fn provider_config(&self) -> Map<String, Json> {
        let mut used: BTreeSet<ProviderAddr> = self.root.providers.keys().cloned().collect();
        let mut modules = vec![self.root];
        while let Some(module) = modules.pop() {
            used.extend(module.resources.values().map(|r| r.provider.clone()));
            modules.extend(module.calls.values().map(|c| &c.module));
        }
        used.into_iter()
            .map(|addr| {
                let mut out = Map::new();
                out.insert("name".into(), json!(addr.name));
                out.insert("full_name".into(), json!(self.providers.source(&addr)));
                if let Some(alias) = &addr.alias {
                    out.insert("alias".into(), json!(alias));
                }
                if let Some(block) = self.root.providers.get(&addr) {
                    let schema = self.providers.provider_schema(&addr);
                    let body = self.expressions(&block.body, schema, &|_| false);
                    out.insert("expressions".into(), body);
                }
                (addr.to_string(), Json::Object(out))
            })
            .collect()
    }

    /// One module: its outputs, resources, module calls and variables (each left out when
    /// there are none, as Terraform does).
    fn module(&self, path: &ModulePath, module: &Module) -> Json {
        let mut out = Map::new();
        let outputs: Map<String, Json> = module
            .outputs
            .values()
            .map(|o| (o.name.clone(), self.output(o)))
            .collect();
        let resources: Vec<Json> = module
            .resources
            .values()
            .map(|r| self.resource(path, r))
            .collect();
        let calls: Map<String, Json> = module
            .calls
            .values()
            .map(|c| (c.name.clone(), self.module_call(path, c)))
            .collect();
        let variables: Map<String, Json> = module
            .variables
            .values()
            .map(|v| (v.name.clone(), self.variable(v)))
            .collect();
        for (key, part) in [
            ("outputs", Json::Object(outputs)),
            ("resources", Json::Array(resources)),
            ("module_calls", Json::Object(calls)),
            ("variables", Json::Object(variables)),
        ] {
            if !is_empty(&part) {
                out.insert(key.into(), part);
            }
        }
        Json::Object(out)
    }

    /// A `resource` or `data` block.
    fn resource(&self, path: &ModulePath, r: &Resource) -> Json {
        let mut out = Map::new();
        out.insert("address".into(), json!(r.addr.to_string()));
        let mode = match r.addr.kind {
            ResourceKind::Managed => "managed",
            ResourceKind::Data => "data",
        };
        out.insert("mode".into(), json!(mode));
        out.insert("type".into(), json!(r.addr.type_name));
        out.insert("name".into(), json!(r.addr.name));
        out.insert("provider_config_key".into(), json!(r.provider.to_string()));
        let schema = self.providers.type_schema(&r.provider, &r.addr);
        let marked = self.marked_attributes(path, &r.addr);
        let body = self.expressions(&r.body, schema, &|name| marked.contains(name));
        out.insert("expressions".into(), body);
        let version = schema.map_or(0, |s| s.version);
        out.insert("schema_version".into(), json!(version));
        self.repetition(&r.repetition, &mut out);
        depends_on(&r.depends_on, &mut out);
        Json::Object(out)
    }

    /// A `module` block with the module it calls.
    fn module_call(&self, path: &ModulePath, call: &ModuleCall) -> Json {
        let mut out = Map::new();
        out.insert("source".into(), json!(call.source));
        let inputs: Map<String, Json> = call
            .inputs
            .values()
            .map(|a| {
                (
                    a.name.clone(),
                    self.expression(&a.value, self.secret_input(call, &a.name)),
                )
            })
            .collect();
        out.insert("expressions".into(), Json::Object(inputs));
        self.repetition(&call.repetition, &mut out);
        out.insert(
            "module".into(),
            self.module(&path.child(&call.name), &call.module),
        );
        depends_on(&call.depends_on, &mut out);
        Json::Object(out)
    }

    /// The arguments of a resource of module `path` that hold a secret in some instance's
    /// planned or prior object: a provider may mark values secret that no schema names.
    fn marked_attributes(&self, path: &ModulePath, addr: &ResourceAddr) -> BTreeSet<&str> {
        let objects = self
            .changes
            .of_resource(path, addr)
            .iter()
            .flat_map(|c| [c.before.as_ref(), c.after.as_ref()])
            .flatten();
        objects
            .filter_map(|object| object.peel().as_map())
            .flatten()
            .filter(|(_, v)| v.contains_sensitive())
            .map(|(k, _)| k.as_str())
            .collect()
    }

    /// Whether a module input feeds a sensitive variable, whose literal is then a secret.
    fn secret_input(&self, call: &ModuleCall, name: &str) -> bool {
        call.module.variables.get(name).is_some_and(|v| v.sensitive)
    }

    /// A `variable` block: its default (unless it is secret), description and sensitivity.
    fn variable(&self, v: &Variable) -> Json {
        let mut out = Map::new();
        if !v.sensitive
            && let Some(default) = v.default.as_ref().and_then(|d| self.constant(d))
        {
            out.insert("default".into(), default);
        }
        if !v.description.is_empty() {
            out.insert("description".into(), json!(v.description));
        }
        if v.sensitive {
            out.insert("sensitive".into(), json!(true));
        }
        Json::Object(out)
    }

    /// An `output` block.
    fn output(&self, o: &Output) -> Json {
        let mut out = Map::new();
        if o.sensitive {
            out.insert("sensitive".into(), json!(true));
        }
        out.insert("expression".into(), self.expression(&o.value, o.sensitive));
        if !o.description.is_empty() {
            out.insert("description".into(), json!(o.description));
        }
        depends_on(&o.depends_on, &mut out);
        Json::Object(out)
    }

    /// `count_expression` or `for_each_expression`.
    fn repetition(&self, repetition: &Repetition, out: &mut Map<String, Json>) {
        match repetition {
            Repetition::Single => {}
            Repetition::Count(e) => {
                out.insert("count_expression".into(), self.expression(e, false));
            }
            Repetition::ForEach(e) => {
                out.insert("for_each_expression".into(), self.expression(e, false));
            }
        }
    }

    /// A body's arguments as expressions, and its nested blocks as lists of such bodies by
    /// block type; an argument or block is secret when its schema or `marked` says so.
    /// `dynamic` blocks are left out: they are templates of blocks, which Terraform's format
    /// has no place for either.
    fn expressions(
        &self,
        body: &Body,
        schema: Option<&Schema>,
        marked: &dyn Fn(&str) -> bool,
    ) -> Json {
        let mut out = Map::new();
        for attr in body.attributes.values() {
            let secret = marked(&attr.name)
                || schema
                    .and_then(|s| s.attributes.get(&attr.name))
                    .is_some_and(|a| a.sensitive);
            out.insert(attr.name.clone(), self.expression(&attr.value, secret));
        }
        for block in body.blocks.iter().filter(|b| b.type_name != "dynamic") {
            let nested = schema
                .and_then(|s| s.blocks.get(&block.type_name))
                .map(|b| &b.block);
            let secret = marked(&block.type_name);
            let body = self.expressions(&block.body, nested, &|_| secret);
            let entry = out
                .entry(block.type_name.clone())
                .or_insert_with(|| Json::Array(Vec::new()));
            if let Json::Array(list) = entry {
                list.push(body);
            }
        }
        Json::Object(out)
    }

    /// One expression: its `constant_value` when it is a literal (left out when `secret`), else
    /// the `references` it makes; `{}` when it is neither (a function of literals).
    fn expression(&self, expr: &Expr, secret: bool) -> Json {
        let refs = reference_names(&references(expr));
        if !refs.is_empty() {
            return json!({ "references": refs });
        }
        match self.constant(expr) {
            Some(value) if !secret => json!({ "constant_value": value }),
            _ => json!({}),
        }
    }

    /// The value of a literal expression (no names, no function calls), as JSON.
    fn constant(&self, expr: &Expr) -> Option<Json> {
        if !is_literal(&expr.expr) {
            return None;
        }
        let functions = FunctionContext {
            base_dir: self.root.dir.clone(),
            plan_timestamp: String::new(),
            provider_functions: Default::default(),
        };
        let value = Evaluator::new(&self.root.sources, &NoNames, &functions)
            .eval(expr)
            .ok()?;
        value.to_json()
    }
}

/// `depends_on` as written, when there is any.
fn depends_on(exprs: &[Expr], out: &mut Map<String, Json>) {
    let names: Vec<String> = exprs
        .iter()
        .flat_map(|e| references(e).into_iter().take(1))
        .map(|r| r.display(r.path.len()))
        .collect();
    if !names.is_empty() {
        out.insert("depends_on".into(), json!(names));
    }
}

/// Terraform's `references` of an expression: each reference as written
/// (`terraform_data.a[0].id`), then the instance and the resource or module call it reaches
/// into (`terraform_data.a[0]`, `terraform_data.a`), each name once, in order.
pub fn reference_names(refs: &[Reference]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for r in refs {
        // How many static steps name the object: the resource (`type.name` is the root and
        // one step; `data.type.name` two) or the module call (`module.name`).
        let object_steps = match r.referent() {
            Ok(Referent::Resource(addr)) if addr.kind == ResourceKind::Data => Some(2),
            Ok(Referent::Resource(_)) | Ok(Referent::ModuleOutput { .. }) => Some(1),
            _ => None,
        };
        let mut these = vec![r.display(r.path.len())];
        if let Some(steps) = object_steps.filter(|s| *s <= r.path.len()) {
            let keyed = matches!(
                r.path.get(steps),
                Some(crate::lang::references::PathStep::Key(_))
            );
            if keyed {
                these.push(r.display(steps + 1));
            }
            these.push(r.display(steps));
        }
        for name in these {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

/// Whether an expression is made of literals only (Terraform's constant expressions: what
/// evaluates with no names and no functions).
fn is_literal(expr: &Expression) -> bool {
    match expr {
        Expression::Null(_)
        | Expression::Bool(_)
        | Expression::Number(_)
        | Expression::String(_) => true,
        Expression::Array(items) => items.iter().all(is_literal),
        Expression::Object(obj) => obj.iter().all(|(k, v)| {
            // A bare name as a key is a literal string (`{ a = 1 }`).
            let key = match k {
                ObjectKey::Ident(_) | ObjectKey::Expression(Expression::Variable(_)) => true,
                ObjectKey::Expression(e) => is_literal(e),
            };
            key && is_literal(v.expr())
        }),
        Expression::StringTemplate(t) => is_literal_template(t),
        Expression::HeredocTemplate(h) => is_literal_template(&h.template),
        Expression::Parenthesis(p) => is_literal(p.inner()),
        Expression::UnaryOp(op) => is_literal(&op.expr),
        Expression::BinaryOp(op) => is_literal(&op.lhs_expr) && is_literal(&op.rhs_expr),
        Expression::Conditional(c) => {
            is_literal(&c.cond_expr) && is_literal(&c.true_expr) && is_literal(&c.false_expr)
        }
        _ => false,
    }
}

/// Whether a template has no interpolations or directives.
fn is_literal_template(t: &Template) -> bool {
    t.iter().all(|e| matches!(e, Element::Literal(_)))
}

/// An empty object or list.
fn is_empty(part: &Json) -> bool {
    match part {
        Json::Object(map) => map.is_empty(),
        Json::Array(list) => list.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FileId;
    use crate::providers::Registry;

    fn expr(src: &str) -> Expr {
        Expr {
            file: FileId(0),
            span: 0..src.len(),
            expr: hcl_edit::parser::parse_expr(src).unwrap(),
        }
    }

    fn names(src: &str) -> Vec<String> {
        reference_names(&references(&expr(src)))
    }

    #[test]
    fn references_are_named_with_the_objects_they_reach_into() {
        assert_eq!(
            names("terraform_data.a[0].id"),
            [
                "terraform_data.a[0].id",
                "terraform_data.a[0]",
                "terraform_data.a"
            ]
        );
        assert_eq!(names("data.x.y.z[1]"), ["data.x.y.z[1]", "data.x.y"]);
        assert_eq!(
            names(r#"module.m["k"].out"#),
            [r#"module.m["k"].out"#, r#"module.m["k"]"#, "module.m"]
        );
        // A computed index ends the name; what it refers to is a reference of its own.
        assert_eq!(names("var.l[count.index]"), ["var.l", "count.index"]);
        assert_eq!(names("[local.a.b, local.a.b]"), ["local.a.b"]);
    }

    #[test]
    fn literals_are_constants_and_secret_literals_are_left_out() {
        let module = Module::default();
        let providers = ProviderFacts::of(&Registry::default());
        let reader = Reader {
            root: &module,
            providers: &providers,
            changes: ChangesByResource::of(&[]),
        };
        assert_eq!(
            reader.expression(&expr(r#"{ a = 1 + 2, "b" = [true, "x"] }"#), false),
            json!({"constant_value": {"a": 3, "b": [true, "x"]}})
        );
        assert_eq!(reader.expression(&expr("\"hunter2\""), true), json!({}));
        assert_eq!(reader.expression(&expr("upper(\"a\")"), false), json!({}));
        assert_eq!(
            reader.expression(&expr("\"a-${var.x}\""), false),
            json!({"references": ["var.x"]})
        );
    }

    #[test]
    fn literals_the_plan_holds_as_secrets_are_left_out() {
        let module = Module::default();
        let providers = ProviderFacts::of(&Registry::default());
        let addr = crate::address::InstanceAddr::parse("kubernetes_manifest.s").unwrap();
        let secret_data = ggplan_sdk::Value::object([(
            "data",
            ggplan_sdk::Value::object([("k", ggplan_sdk::Value::string("v").into_sensitive())]),
        )]);
        let change = ResourceChange::new(
            addr.clone(),
            ProviderAddr::default_of("kubernetes"),
            crate::plan::Action::Create,
            None,
            Some(secret_data),
        );
        let reader = Reader {
            root: &module,
            providers: &providers,
            changes: ChangesByResource::of(std::slice::from_ref(&change)),
        };
        let marked = reader.marked_attributes(&ModulePath::root(), &addr.resource);
        assert_eq!(marked, BTreeSet::from(["data"]));
        let attr = |name: &str, src: &str| {
            let value = expr(src);
            let span = value.span.clone();
            (
                name.to_string(),
                crate::config::Attr {
                    name: name.into(),
                    value,
                    span,
                },
            )
        };
        let body = Body {
            file: FileId(0),
            syntax: Default::default(),
            attributes: [attr("data", r#"{ k = "v" }"#), attr("kind", r#""Secret""#)].into(),
            blocks: vec![],
            span: 0..0,
        };
        assert_eq!(
            reader.expressions(&body, None, &|name| marked.contains(name)),
            json!({"data": {}, "kind": {"constant_value": "Secret"}})
        );
    }
}
