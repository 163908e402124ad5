//! String templates: interpolations, `%{if}` and `%{for}` directives, `~` strip markers.

use super::eval::{Evaluator, mark_if, nfc, type_name};
use ggplan_sdk::{Diagnostic, Value};
use hcl_edit::Span;
use hcl_edit::template::{Directive, Element, Template};

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

fn render(
    ev: &mut Evaluator<'_>,
    template: &Template,
    out: &mut Rendered,
    span: &Option<std::ops::Range<usize>>,
    depth: usize,
) -> Result<(), Diagnostic> {
    for element in template.iter() {
        match element {
            Element::Literal(s) => {
                let dedented = if depth > 0 && out.nested_indent > 0 {
                    dedent_lines(&nfc(s.value()), out.nested_indent)
                } else {
                    nfc(s.value())
                };
                let text = if out.trim_next {
                    dedented.trim_start()
                } else {
                    dedented.as_str()
                };
                out.trim_next = false;
                out.text.push_str(text);
            }
            Element::Interpolation(i) => {
                if i.strip.strip_start() {
                    out.trim_end();
                }
                let value = ev.expr(&i.expr)?;
                append(ev, out, value, i.expr.span().or(span.clone()))?;
                out.trim_next = i.strip.strip_end();
            }
            Element::Directive(d) => match d.as_ref() {
                Directive::If(d) => {
                    if d.if_expr.strip.strip_start() {
                        out.trim_end();
                    }
                    let (cond, sensitive) = ev.expr(&d.if_expr.cond_expr)?.unmark();
                    out.sensitive |= sensitive;
                    let branch = match cond {
                        Value::Bool(b) => Some(b),
                        Value::String(s) if s == "true" || s == "false" => Some(s == "true"),
                        Value::Unknown => None,
                        Value::Null => {
                            return Err(ev.error(
                                d.if_expr.cond_expr.span(),
                                "Null condition",
                                "The condition value is null. Conditions must either be true or \
                                 false."
                                    .into(),
                            ));
                        }
                        _ => {
                            return Err(ev.error(
                                d.if_expr.cond_expr.span(),
                                "Incorrect condition type",
                                "The condition expression must be of type bool.".into(),
                            ));
                        }
                    };
                    match branch {
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
                }
                Directive::For(d) => {
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
                        let depth = ev.bound_depth();
                        if let Some(key_var) = &f.key_var {
                            ev.bind(key_var.as_str().to_string(), k);
                        }
                        ev.bind(f.value_var.as_str().to_string(), v);
                        out.trim_next = f.strip.strip_end();
                        let rendered = render(ev, &f.template, out, span, depth + 1);
                        ev.unbind_to(depth);
                        rendered?;
                        if d.endfor_expr.strip.strip_start() {
                            out.trim_end();
                        }
                    }
                    out.trim_next = d.endfor_expr.strip.strip_end();
                }
            },
        }
    }
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
