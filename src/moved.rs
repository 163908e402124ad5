//! `moved` blocks, as Terraform applies them: before planning, every object recorded at a
//! `from` address is given its `to` address in the prior state (so the plan compares it with
//! its new configuration, and shows `# a has moved to b`); the apply records the new
//! addresses (and only the apply: a plan changes no state).
//!
//! Statements are checked first, as Terraform checks them: a `from` still declared, two
//! statements moving to one place or one object to two places, and chains that loop are
//! errors. Terraform's implied moves follow (`a` to `a[0]` when `count` is added, back when
//! it is removed). A move whose destination already holds an object is not made (a warning
//! names it; the object left behind is planned as any object without configuration).

use crate::address::{InstanceAddr, InstanceKey, ModuleInstance, ModulePath};
use crate::config::{Module, MoveEndpoint, Moved, Repetition};
use crate::state::State;
use ggplan_sdk::{Diagnostic, Diagnostics, ResourceKind, SourceRange};
use std::collections::BTreeSet;

/// One object's move: where state had it, where it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    pub from: InstanceAddr,
    pub to: InstanceAddr,
    /// The `moved` block that moved it (the first of a chain).
    pub range: SourceRange,
}

/// A `moved` block made absolute: its endpoints inside one instance of its module.
#[derive(Debug, Clone)]
struct Statement {
    from: MoveEndpoint,
    to: MoveEndpoint,
    range: SourceRange,
}

/// Checks the `moved` blocks of the whole module tree, then moves the objects of `state` they
/// name; the moves made, and a warning for those that could not be made.
pub fn apply_moves(
    root: &Module,
    state: &mut State,
) -> Result<(Vec<Move>, Diagnostics), Diagnostics> {
    check(root).into_result(())?;
    let mut moves = Moves::default();
    for statement in statements(root, state) {
        moves.apply(&statement, state);
    }
    // Then Terraform's implied moves, for what the written ones left in place.
    for statement in implied(root, state) {
        moves.apply(&statement, state);
    }
    moves.made.retain(|m| m.from != m.to);
    Ok((moves.made, unresolved(moves.blocked)))
}

/// The moves made so far, and those not made because their destination was taken.
#[derive(Default)]
struct Moves {
    made: Vec<Move>,
    blocked: Vec<String>,
}

impl Moves {
    /// Moves every object of `state` that `statement` names.
    fn apply(&mut self, statement: &Statement, state: &mut State) {
        let matching: Vec<(InstanceAddr, InstanceAddr)> = state
            .resources
            .keys()
            .filter_map(|addr| destination(statement, addr).map(|to| (addr.clone(), to)))
            .collect();
        for (from, to) in matching {
            if state.resources.contains_key(&to) {
                self.blocked
                    .push(format!("  - {from} could not move to {to}"));
                continue;
            }
            let Some(mut object) = state.resources.remove(&from) else {
                continue;
            };
            object.addr = to.clone();
            state.resources.insert(to.clone(), object);
            // A chain (a to b, b to c) is one move, from where the object was recorded.
            match self.made.iter_mut().find(|m| m.to == from) {
                Some(earlier) => earlier.to = to,
                None => self.made.push(Move {
                    from,
                    to,
                    range: statement.range.clone(),
                }),
            }
        }
    }
}

/// Terraform's implied moves: a managed resource that now has `count` takes the object recorded
/// without a key as its `[0]`, and one without `count` or `for_each` takes the object
/// recorded as `[0]`.
fn implied(root: &Module, state: &State) -> Vec<Statement> {
    let mut out = Vec::new();
    for (path, module) in root.tree() {
        let managed = module.resources.values();
        for resource in managed.filter(|r| r.addr.kind == ResourceKind::Managed) {
            let (from_key, to_key) = match resource.repetition {
                Repetition::Count(_) => (None, Some(InstanceKey::Int(0))),
                Repetition::Single => (Some(InstanceKey::Int(0)), None),
                Repetition::ForEach(_) => continue,
            };
            let recorded = state.resources.keys().filter(|a| {
                a.module.path() == path && a.resource == resource.addr && a.key == from_key
            });
            out.extend(recorded.map(|a| Statement {
                from: MoveEndpoint::Resource(a.clone()),
                to: MoveEndpoint::Resource(InstanceAddr {
                    key: to_key.clone(),
                    ..a.clone()
                }),
                range: resource.range.clone(),
            }));
        }
    }
    out
}

/// What is wrong with the `moved` blocks of the module tree, whatever the state: moves from
/// what is still declared, ambiguous statements, chains that loop.
pub fn check(root: &Module) -> Diagnostics {
    let mut errors = Diagnostics::new();
    for (path, module) in root.tree() {
        errors.extend(still_declared(root, &path, &module.moved));
        errors.extend(ambiguous(&module.moved));
        errors.extend(cycle(&module.moved));
    }
    errors
}

/// The warning for moves not made because their destination holds an object (Terraform's).
fn unresolved(blocked: Vec<String>) -> Diagnostics {
    if blocked.is_empty() {
        return Diagnostics::new();
    }
    Diagnostic::warning(
        "Unresolved resource instance address changes",
        format!(
            "ggplan tried to adjust resource instance addresses in the prior state based on \
             change information recorded in the configuration, but some adjustments did not \
             succeed due to existing objects already at the intended addresses:\n{}\n\n\
             ggplan has planned to destroy these objects. If ggplan's proposed changes aren't \
             appropriate, you must first resolve the conflicts using the \"ggplan state\" \
             subcommands and then create a new plan.",
            blocked.join("\n")
        ),
    )
    .into()
}

/// Every statement made absolute, in the order that lets a chain move an object all the way:
/// a statement before those whose `from` is its `to` or inside it. A statement of a called
/// module applies in each of its instances that state has objects in.
fn statements(root: &Module, state: &State) -> Vec<Statement> {
    let mut all = Vec::new();
    for (path, module) in root.tree() {
        let instances: BTreeSet<ModuleInstance> = if path.is_root() {
            BTreeSet::from([ModuleInstance::root()])
        } else {
            state
                .resources
                .keys()
                .filter_map(|a| instance_at(&a.module, &path))
                .collect()
        };
        for instance in &instances {
            all.extend(module.moved.iter().map(|m| Statement {
                from: within(instance, &m.from),
                to: within(instance, &m.to),
                range: m.range.clone(),
            }));
        }
    }
    in_chain_order(all)
}

/// `statements` with each before those whose `from` is its `to` or inside it.
fn in_chain_order(mut statements: Vec<Statement>) -> Vec<Statement> {
    let mut ordered = Vec::with_capacity(statements.len());
    while !statements.is_empty() {
        // Statements form no cycle (checked), so one always waits for no other.
        let waits = |i: usize| {
            let s = &statements[i];
            statements
                .iter()
                .any(|o| covers(&o.to, &s.from) && !same(o, s))
        };
        let next = (0..statements.len()).find(|i| !waits(*i)).unwrap_or(0);
        ordered.push(statements.remove(next));
    }
    ordered
}

fn same(a: &Statement, b: &Statement) -> bool {
    a.from == b.from && a.to == b.to
}

/// The instance of the module at `path` that `module` is in, if any.
fn instance_at(module: &ModuleInstance, path: &ModulePath) -> Option<ModuleInstance> {
    let steps = module.0.get(..path.0.len())?;
    let names = steps.iter().map(|(n, _)| n);
    names
        .eq(path.0.iter())
        .then(|| ModuleInstance(steps.to_vec()))
}

/// `endpoint`, written in a module, as an address in the instance `instance` of it.
fn within(instance: &ModuleInstance, endpoint: &MoveEndpoint) -> MoveEndpoint {
    let prefixed =
        |m: &ModuleInstance| ModuleInstance(instance.0.iter().chain(&m.0).cloned().collect());
    match endpoint {
        MoveEndpoint::Resource(a) => MoveEndpoint::Resource(InstanceAddr {
            module: prefixed(&a.module),
            ..a.clone()
        }),
        MoveEndpoint::Module(m) => MoveEndpoint::Module(prefixed(m)),
    }
}

/// Whether what moves to `to` is (or holds) what `from` names.
fn covers(to: &MoveEndpoint, from: &MoveEndpoint) -> bool {
    match (to, from) {
        (MoveEndpoint::Module(t), MoveEndpoint::Module(f)) => f.within(t),
        (MoveEndpoint::Module(t), MoveEndpoint::Resource(f)) => f.module.within(t),
        (MoveEndpoint::Resource(t), MoveEndpoint::Resource(f)) => {
            let keys_meet = t.key.is_none() || f.key.is_none() || t.key == f.key;
            t.module == f.module && t.resource == f.resource && keys_meet
        }
        (MoveEndpoint::Resource(_), MoveEndpoint::Module(_)) => false,
    }
}

/// Where a statement moves the object at `addr`, if it names it. Two endpoints written
/// without keys move every instance, keeping its key; otherwise a side without a key is the
/// instance without one.
fn destination(statement: &Statement, addr: &InstanceAddr) -> Option<InstanceAddr> {
    match (&statement.from, &statement.to) {
        (MoveEndpoint::Resource(f), MoveEndpoint::Resource(t)) => {
            let whole = f.key.is_none() && t.key.is_none();
            let same_resource = addr.module == f.module && addr.resource == f.resource;
            match (whole, same_resource) {
                (true, true) => Some(InstanceAddr {
                    key: addr.key.clone(),
                    ..t.clone()
                }),
                (false, true) if addr.key == f.key => Some(t.clone()),
                _ => None,
            }
        }
        (MoveEndpoint::Module(f), MoveEndpoint::Module(t)) => {
            let (f_last, t_last) = (f.0.last()?, t.0.last()?);
            let n = f.0.len();
            let inside = addr.module.0.get(..n)?;
            let whole = f_last.1.is_none() && t_last.1.is_none();
            let (at, at_key) = &inside[n - 1];
            if inside[..n - 1] != f.0[..n - 1] || *at != f_last.0 || !(whole || *at_key == f_last.1)
            {
                return None;
            }
            let key = if whole {
                at_key.clone()
            } else {
                t_last.1.clone()
            };
            let mut steps = t.0[..t.0.len() - 1].to_vec();
            steps.push((t_last.0.clone(), key));
            steps.extend(addr.module.0[n..].iter().cloned());
            Some(InstanceAddr {
                module: ModuleInstance(steps),
                ..addr.clone()
            })
        }
        _ => None,
    }
}

/// `file:line,column`, as Terraform writes a declaration's place in these messages.
fn place(range: &SourceRange) -> String {
    format!("{}:{},{}", range.file, range.start.line, range.start.column)
}

/// Moves from a resource or module call that the configuration still declares (when the
/// whole of it moves; one instance's is checked by the planner).
fn still_declared(root: &Module, path: &ModulePath, moved: &[Moved]) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for m in moved {
        let declared = match (&m.from, &m.to) {
            // In a module instance with a key, whether it still exists is known only to the
            // plan (the planner checks what moved from there).
            (MoveEndpoint::Resource(f), MoveEndpoint::Resource(t))
                if f.key.is_none()
                    && t.key.is_none()
                    && f.module.0.iter().all(|s| s.1.is_none()) =>
            {
                let at = ModulePath(path.0.iter().cloned().chain(f.module.path().0).collect());
                let resource = root
                    .at(&at)
                    .and_then(|module| module.resources.get(&f.resource));
                resource.map(|r| ("resource", r.range.clone()))
            }
            (MoveEndpoint::Module(f), MoveEndpoint::Module(t))
                if f.0.last().is_some_and(|s| s.1.is_none())
                    && t.0.last().is_some_and(|s| s.1.is_none()) =>
            {
                f.path().split_last().and_then(|(parent, name)| {
                    let at = ModulePath(path.0.iter().cloned().chain(parent.0).collect());
                    let call = root.at(&at).and_then(|module| module.calls.get(name));
                    call.map(|c| ("module call", c.range.clone()))
                })
            }
            _ => None,
        };
        if let Some((noun, range)) = declared {
            diags.push(
                Diagnostic::error(
                    "Moved object still exists",
                    format!(
                        "This statement declares a move from {}, but that {noun} is still \
                         declared at {}.\n\nChange your configuration so that this {noun} will \
                         be declared as {} instead.",
                        m.from,
                        place(&range),
                        m.to
                    ),
                )
                .at_range(Some(m.range.clone())),
            );
        }
    }
    diags
}

/// Moves of single instances whose `from` instance the configuration still declares (found
/// once the plan has expanded every resource: `planned` holds the addresses it configures).
pub fn instances_still_declared<'a>(
    moves: &[Move],
    mut declared_at: impl FnMut(&InstanceAddr) -> Option<&'a SourceRange>,
) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for m in moves {
        if let Some(range) = declared_at(&m.from) {
            diags.push(
                Diagnostic::error(
                    "Moved object still exists",
                    format!(
                        "This statement declares a move from {}, but that resource instance is \
                         still declared at {}.\n\nChange your configuration so that this \
                         resource instance will be declared as {} instead.",
                        m.from,
                        place(range),
                        m.to
                    ),
                )
                .at_range(Some(m.range.clone())),
            );
        }
    }
    diags
}

/// What an endpoint names, for messages: `resource` or `module`.
fn noun(endpoint: &MoveEndpoint) -> &'static str {
    match endpoint {
        MoveEndpoint::Resource(_) => "resource",
        MoveEndpoint::Module(_) => "module",
    }
}

/// Two statements of one module that move two objects to one place, or one object to two.
fn ambiguous(moved: &[Moved]) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for (j, later) in moved.iter().enumerate() {
        for earlier in &moved[..j] {
            let noun = noun(&later.from);
            let detail = if earlier.to == later.to && earlier.from != later.from {
                format!(
                    "A statement at {} declared that {} moved to {}, but this statement instead \
                     declares that {} moved there.\n\nEach {noun} can have moved from only one \
                     source {noun}.",
                    place(&earlier.range),
                    earlier.from,
                    earlier.to,
                    later.from
                )
            } else if earlier.from == later.from && earlier.to != later.to {
                format!(
                    "A statement at {} declared that {} moved to {}, but this statement instead \
                     declares that it moved to {}.\n\nEach {noun} can move to only one \
                     destination {noun}.",
                    place(&earlier.range),
                    earlier.from,
                    earlier.to,
                    later.to
                )
            } else {
                continue;
            };
            diags.push(
                Diagnostic::error("Ambiguous move statements", detail)
                    .at_range(Some(later.range.clone())),
            );
            break;
        }
    }
    diags
}

/// Chained statements of one module that come back to where they started.
fn cycle(moved: &[Moved]) -> Diagnostics {
    // A statement waits for those that move something to its `from`.
    let deps: Vec<BTreeSet<usize>> = moved
        .iter()
        .map(|m| {
            (0..moved.len())
                .filter(|o| !std::ptr::eq(&moved[*o], m) && covers(&moved[*o].to, &m.from))
                .collect()
        })
        .collect();
    let Err(nodes) = crate::graph::topological_order(&deps) else {
        return Diagnostics::new();
    };
    let lines: Vec<String> = nodes
        .iter()
        .map(|i| {
            let m = &moved[*i];
            format!("  - {}: {} \u{2192} {}", place(&m.range), m.from, m.to)
        })
        .collect();
    Diagnostic::error(
        "Cyclic dependency in move statements",
        format!(
            "The following chained move statements form a cycle, and so there is no final \
             location to move objects to:\n{}\n\nA chain of move statements must end with an \
             address that doesn't appear in any other statements, and which typically also \
             refers to an object still declared in the configuration.",
            lines.join("\n")
        ),
    )
    .at_range(nodes.first().map(|i| moved[*i].range.clone()))
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range() -> SourceRange {
        let at = ggplan_sdk::SourcePos {
            line: 1,
            column: 1,
            byte: 0,
        };
        SourceRange {
            file: "main.tf".into(),
            start: at,
            end: at,
        }
    }

    fn resource(text: &str) -> MoveEndpoint {
        MoveEndpoint::Resource(InstanceAddr::parse(text).unwrap())
    }

    fn module(text: &str) -> MoveEndpoint {
        MoveEndpoint::Module(ModuleInstance::parse(text).unwrap())
    }

    fn moved(from: MoveEndpoint, to: MoveEndpoint) -> String {
        let statement = Statement {
            from,
            to,
            range: range(),
        };
        let addr = |t: &str| InstanceAddr::parse(t).unwrap();
        [
            "t.a",
            "t.a[1]",
            "module.m[\"k\"].t.a",
            "module.m.module.n.t.a",
        ]
        .iter()
        .filter_map(|a| destination(&statement, &addr(a)).map(|to| format!("{a}>{to}")))
        .collect::<Vec<_>>()
        .join(" ")
    }

    #[test]
    fn whole_endpoints_keep_keys_and_a_keyed_side_meets_the_instance_without_one() {
        assert_eq!(
            moved(resource("t.a"), resource("t.b")),
            "t.a>t.b t.a[1]>t.b[1]"
        );
        assert_eq!(moved(resource("t.a[1]"), resource("t.b")), "t.a[1]>t.b");
        assert_eq!(moved(resource("t.a"), resource("t.a[0]")), "t.a>t.a[0]");
        assert_eq!(
            moved(module("module.m"), module("module.p")),
            "module.m[\"k\"].t.a>module.p[\"k\"].t.a module.m.module.n.t.a>module.p.module.n.t.a"
        );
        assert_eq!(
            moved(module("module.m[\"k\"]"), module("module.q")),
            "module.m[\"k\"].t.a>module.q.t.a"
        );
        assert_eq!(
            moved(resource("module.m.module.n.t.a"), resource("t.z")),
            "module.m.module.n.t.a>t.z"
        );
    }

    #[test]
    fn a_chain_runs_in_order_whatever_order_it_is_written_in() {
        let statements = vec![
            Statement {
                from: resource("t.b"),
                to: resource("t.c"),
                range: range(),
            },
            Statement {
                from: resource("t.a"),
                to: resource("t.b"),
                range: range(),
            },
        ];
        let ordered = in_chain_order(statements);
        assert_eq!(ordered[0].from, resource("t.a"));
    }
}
