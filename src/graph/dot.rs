//! Graphviz DOT output of the graph (`ggplan graph`).

use super::Graph;

/// The graph as DOT text: one node per line, edges from dependent to dependency.
pub fn render(graph: &Graph) -> String {
    let mut out = String::from("digraph ggplan {\n  rankdir = \"RL\";\n  node [shape = box];\n");
    for node in &graph.nodes {
        out.push_str(&format!("  {:?};\n", node.to_string()));
    }
    for (from, deps) in graph.deps.iter().enumerate() {
        for to in deps {
            out.push_str(&format!(
                "  {:?} -> {:?};\n",
                graph.nodes[from].to_string(),
                graph.nodes[*to].to_string()
            ));
        }
    }
    out.push_str("}\n");
    out
}
