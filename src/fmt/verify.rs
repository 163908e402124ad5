//! The safety net of the formatter: layout may change whitespace and nothing else, so the
//! text before and after it must parse to the same structure.

use hcl_edit::expr::{Array, FuncArgs, Object};
use hcl_edit::structure::Body;
use hcl_edit::template::{
    ElseTemplateExpr, EndforTemplateExpr, EndifTemplateExpr, ForTemplateExpr, HeredocTemplate,
    IfTemplateExpr,
};
use hcl_edit::visit_mut::{self, VisitMut};

/// True when `formatted` parses to the same structure as `before` (the parse of the text
/// layout started from), comments and whitespace aside.
pub(super) fn same_structure(mut before: Body, formatted: &str) -> bool {
    let Ok(mut after) = hcl_edit::parser::parse_body(formatted) else {
        return false;
    };
    Layoutless.visit_body_mut(&mut before);
    Layoutless.visit_body_mut(&mut after);
    before == after
}

/// Clears the raw whitespace/comment strings that hcl-edit's equality would otherwise
/// compare (decor is already ignored): the space before a closing bracket, inside template
/// directives, and before a heredoc's closing marker (which layout never touches: heredoc
/// bodies are single tokens to it).
struct Layoutless;

impl VisitMut for Layoutless {
    fn visit_array_mut(&mut self, node: &mut Array) {
        node.set_trailing("");
        visit_mut::visit_array_mut(self, node);
    }

    fn visit_object_mut(&mut self, node: &mut Object) {
        node.set_trailing("");
        visit_mut::visit_object_mut(self, node);
    }

    fn visit_func_args_mut(&mut self, node: &mut FuncArgs) {
        node.set_trailing("");
        visit_mut::visit_func_args_mut(self, node);
    }

    fn visit_heredoc_template_mut(&mut self, node: &mut HeredocTemplate) {
        node.set_trailing("");
        visit_mut::visit_heredoc_template_mut(self, node);
    }

    fn visit_if_template_expr_mut(&mut self, node: &mut IfTemplateExpr) {
        node.set_preamble("");
        visit_mut::visit_if_template_expr_mut(self, node);
    }

    fn visit_else_template_expr_mut(&mut self, node: &mut ElseTemplateExpr) {
        node.set_preamble("");
        node.set_trailing("");
        visit_mut::visit_else_template_expr_mut(self, node);
    }

    fn visit_endif_template_expr_mut(&mut self, node: &mut EndifTemplateExpr) {
        node.set_preamble("");
        node.set_trailing("");
    }

    fn visit_for_template_expr_mut(&mut self, node: &mut ForTemplateExpr) {
        node.set_preamble("");
        visit_mut::visit_for_template_expr_mut(self, node);
    }

    fn visit_endfor_template_expr_mut(&mut self, node: &mut EndforTemplateExpr) {
        node.set_preamble("");
        node.set_trailing("");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(a: &str, b: &str) -> bool {
        same_structure(hcl_edit::parser::parse_body(a).unwrap(), b)
    }

    #[test]
    fn ignores_layout_but_not_meaning() {
        assert!(same(
            "a = [ 1,2 ] # c\nf = g( x )\n",
            "a = [1, 2] # other\nf = g(x)\n"
        ));
        assert!(same(
            "t = \"%{ if x }y%{ else }z%{ endif }%{ for v in l }${ v }%{ endfor }\"\n",
            "t = \"%{if x}y%{else}z%{endif}%{for v in l}${v}%{endfor}\"\n"
        ));
        assert!(same(
            "o = { }\nh = <<EOT\nx\nEOT\n",
            "o      = {}\nh = <<EOT\nx\nEOT\n"
        ));
        assert!(!same("a = [1, 2]\n", "a = [1, 3]\n"));
        assert!(!same("a = [1, 2]\n", "a = [1, 2\n"));
        assert!(!same("h = <<EOT\nx\nEOT\n", "h = <<EOT\n x\nEOT\n"));
        assert!(!same(
            "t = \"%{ if x }y%{ endif }\"\n",
            "t = \"%{ if x } y%{ endif }\"\n"
        ));
    }
}
