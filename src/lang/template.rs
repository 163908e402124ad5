//! String templates: interpolations, `%{if}` and `%{for}` directives, `~` strip markers.

use super::eval::{Evaluator, mark_if, nfc, type_name};
use ggplan_sdk::{Diagnostic, Value};
use hcl_edit::Span;
use hcl_edit::template::{Directive, Element, ForDirective, IfDirective, Template};

/// The rendered text so far and what it inherited from its parts.
#[derive(Default)]
struct Rendered {
    text: String,
    unknown: bool,
    sensitive: bool,
    /// A `~` on the previous marker asks to strip the whitespace that follows it.
    trim_next: bool,
    /// Spaces to strip from each line of literals nested in directives.
    nested_indent: usize,
}

impl Rendered {
    fn trim_end(&mut self) {
        let kept = self.text.trim_end().len();
        self.text.truncate(kept);
    }
}

/// Evaluates a template. A template that is one bare interpolation (`"${x}"`) yields `x`
/// unchanged, of whatever type, as in Terraform.
///
/// `heredoc_indent` is what a `<<-` heredoc's parser stripped from its top-level lines; the
/// lines inside `%{if}`/`%{for}` directives are stripped of it here, as Terraform does.
pub fn eval(
    ev: &mut Evaluator<'_>,
    template: &Template,
    span: Option<std::ops::Range<usize>>,
    heredoc_indent: Option<usize>,
) -> Result<Value, Diagnostic> {
    if let Some(Element::Interpolation(i)) = template.as_single_element() {
        return ev.expr(&i.expr);
    }
    let mut out = Rendered {
        nested_indent: heredoc_indent.unwrap_or(0),
        ..Rendered::default()
    };
    render(ev, template, &mut out, &span, 0)?;
    let value = if out.unknown {
        Value::Unknown
    } else {
        Value::String(out.text)
    };
    Ok(mark_if(value, out.sensitive))
}

/// Renders the elements of `template` into `out`; `depth` counts the directives around it.
fn render(
    ev: &mut Evaluator<'_>,
    template: &Template,
    out: &mut Rendered,
    span: &Option<std::ops::Range<usize>>,
    depth: usize,
) -> Result<(), Diagnostic> {
    for element in template.iter() {
        match element {
            Element::Literal(s) => literal(out, s.value(), depth),
            Element::Interpolation(i) => {
                if i.strip.strip_start() {
                    out.trim_end();
                }
                let value = ev.expr(&i.expr)?;
                append(ev, out, value, i.expr.span().or(span.clone()))?;
                out.trim_next = i.strip.strip_end();
            }
            Element::Directive(d) => match d.as_ref() {
                Directive::If(d) => if_directive(ev, d, out, span, depth)?,
                Directive::For(d) => for_directive(ev, d, out, span, depth)?,
            },
        }
    }
    Ok(())
}

/// Literal text: inside a `<<-` heredoc's directives its lines lose the heredoc's indent, and
/// after a `~` marker its leading whitespace goes.
fn literal(out: &mut Rendered, text: &str, depth: usize) {
    let dedented = if depth > 0 && out.nested_indent > 0 {
        dedent_lines(&nfc(text), out.nested_indent)
    } else {
        nfc(text)
    };
    let text = if out.trim_next {
        dedented.trim_start()
    } else {
        dedented.as_str()
    };
    out.trim_next = false;
    out.text.push_str(text);
}

/// `%{if c}...%{else}...%{endif}`: the branch the condition picks; an unknown condition makes
/// the whole template unknown and a sensitive one marks it. Each marker's `~` strips the
/// whitespace on its side, in the branch taken.
fn if_directive(
    ev: &mut Evaluator<'_>,
    d: &IfDirective,
    out: &mut Rendered,
    span: &Option<std::ops::Range<usize>>,
    depth: usize,
) -> Result<(), Diagnostic> {
    if d.if_expr.strip.strip_start() {
        out.trim_end();
    }
    let (cond, sensitive) = ev.expr(&d.if_expr.cond_expr)?.unmark();
    out.sensitive |= sensitive;
    match ev.condition(cond, &d.if_expr.cond_expr)? {
        None => out.unknown = true,
        Some(true) => {
            out.trim_next = d.if_expr.strip.strip_end();
            render(ev, &d.if_expr.template, out, span, depth + 1)?;
            if d.else_expr.as_ref().is_some_and(|e| e.strip.strip_start()) {
                out.trim_end();
            }
        }
        Some(false) => {
            if let Some(else_expr) = &d.else_expr {
                out.trim_next = else_expr.strip.strip_end();
                render(ev, &else_expr.template, out, span, depth + 1)?;
            }
        }
    }
    if d.endif_expr.strip.strip_start() {
        out.trim_end();
    }
    out.trim_next = d.endif_expr.strip.strip_end();
    Ok(())
}

/// `%{for k, v in c}...%{endfor}`: the body once per element with the names bound; an unknown
/// collection makes the whole template unknown and a sensitive one marks it. The markers'
/// `~` strip around every repetition.
fn for_directive(
    ev: &mut Evaluator<'_>,
    d: &ForDirective,
    out: &mut Rendered,
    span: &Option<std::ops::Range<usize>>,
    depth: usize,
) -> Result<(), Diagnostic> {
    let f = &d.for_expr;
    if f.strip.strip_start() {
        out.trim_end();
    }
    let (collection, sensitive) = ev.expr(&f.collection_expr)?.unmark();
    out.sensitive |= sensitive;
    let pairs = match ev.iteration_pairs(collection, &f.collection_expr)? {
        Some(pairs) => pairs,
        None => {
            out.unknown = true;
            Vec::new()
        }
    };
    for (k, v) in pairs {
        let bound = ev.bound_depth();
        if let Some(key_var) = &f.key_var {
            ev.bind(key_var.as_str().to_string(), k);
        }
        ev.bind(f.value_var.as_str().to_string(), v);
        out.trim_next = f.strip.strip_end();
        let rendered = render(ev, &f.template, out, span, depth + 1);
        ev.unbind_to(bound);
        rendered?;
        if d.endfor_expr.strip.strip_start() {
            out.trim_end();
        }
    }
    out.trim_next = d.endfor_expr.strip.strip_end();
    Ok(())
}

/// Removes up to `indent` spaces after every newline (the start of a nested literal is
/// mid-line, right after its directive, so it is left alone).
fn dedent_lines(text: &str, indent: usize) -> String {
    let mut lines = text.split('\n');
    let mut out = lines.next().unwrap_or_default().to_string();
    for line in lines {
        out.push('\n');
        let spaces = line.len() - line.trim_start_matches(' ').len();
        out.push_str(&line[spaces.min(indent)..]);
    }
    out
}

fn append(
    ev: &Evaluator<'_>,
    out: &mut Rendered,
    value: Value,
    span: Option<std::ops::Range<usize>>,
) -> Result<(), Diagnostic> {
    let (value, sensitive) = value.unmark();
    out.sensitive |= sensitive;
    match value {
        Value::String(s) => out.text.push_str(&s),
        Value::Number(n) => out.text.push_str(&n.to_string()),
        Value::Bool(b) => out.text.push_str(if b { "true" } else { "false" }),
        Value::Unknown => out.unknown = true,
        Value::Null => {
            return Err(ev.error(
                span,
                "Invalid template interpolation value",
                "The expression result is null. Cannot include a null value in a string \
                 template."
                    .into(),
            ));
        }
        other => {
            return Err(ev.error(
                span,
                "Invalid template interpolation value",
                format!(
                    "Cannot include the given value in a string template: string required, but \
                     have {}. Use jsonencode() or join() to turn it into text.",
                    type_name(&other)
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::lang::eval::tests::{eval, ok};
    use ggplan_sdk::Value;

    fn text(s: &str) -> Value {
        Value::string(s)
    }

    #[test]
    fn a_single_interpolation_keeps_its_value_and_type() {
        assert_eq!(ok(r#""${[1]}""#), Value::List(vec![Value::int(1)]));
        assert_eq!(ok(r#""${1}x""#), text("1x"));
        assert_eq!(ok(r#""${local.unknown} x""#), Value::Unknown);
        assert_eq!(
            ok(r#""<${local.secret}>""#),
            text("<hunter2>").into_sensitive()
        );
        assert!(eval(r#""${null} x""#).is_err());
    }

    #[test]
    fn strip_markers_remove_the_whitespace_on_their_side() {
        assert_eq!(ok(r#""a ${"b"} c""#), text("a b c"));
        assert_eq!(ok(r#""a ${~ "b" ~} c""#), text("abc"));
        assert_eq!(ok(r#""a ${~ "b"} c""#), text("ab c"));
        assert_eq!(ok(r#""a %{~ if true ~} b %{~ endif ~} c""#), text("abc"));
    }

    #[test]
    fn an_if_directive_renders_the_branch_taken_or_makes_the_template_unknown() {
        assert_eq!(ok(r#""%{if true}y%{else}n%{endif}!""#), text("y!"));
        assert_eq!(ok(r#""%{if "false"}y%{else}n%{endif}!""#), text("n!"));
        assert_eq!(ok(r#""%{if false}y%{endif}!""#), text("!"));
        assert_eq!(ok(r#""%{if local.unknown}y%{endif}!""#), Value::Unknown);
        assert_eq!(
            ok(r#""%{if local.secret_true}y%{endif}!""#),
            text("y!").into_sensitive()
        );
        assert!(eval(r#""%{if 1}y%{endif}""#).is_err());
    }

    #[test]
    fn a_for_directive_repeats_its_body_and_strips_around_every_repetition() {
        assert_eq!(
            ok(r#""%{for i, x in ["a", "b"]} ${i}=${x} %{endfor}""#),
            text(" 0=a  1=b ")
        );
        assert_eq!(
            ok(r#""%{for x in ["a", "b"] ~} ${x} %{~ endfor}""#),
            text("ab")
        );
        assert_eq!(
            ok(r#""%{for x in local.unknown}${x}%{endfor}""#),
            Value::Unknown
        );
        assert_eq!(
            ok(r#""%{for x in local.secret_list}${x.name}%{endfor}""#),
            text("ab").into_sensitive()
        );
    }
}
