//! The import structure of the model crate and the app, read from their sources: no module cycle,
//! and the model crate's layers depend only downward (README: "Where to change what").
//!
//! A file's imports are the `crate::…` paths in its non-test code (everything before its
//! `#[cfg(test)]` module, which sits at the file's foot; comments left out), each resolved to the deepest module it
//! names; `self::`/child-module paths of a `mod.rs` count as edges to those children.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module path (`nn::gpt`, `tokenize`, `` for lib.rs) → the modules its code uses.
type Graph = BTreeMap<String, BTreeSet<String>>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/nn/gpt.rs` → `nn::gpt`; `src/nn/mod.rs` → `nn`; `src/lib.rs` / `src/main.rs` → ``.
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts.join("::")
}

/// The code before the file's test module.
fn non_test_code(text: &str) -> &str {
    text.find("#[cfg(test)]\nmod ")
        .or_else(|| text.find("#[cfg(test)]\npub(crate) mod "))
        .map_or(text, |i| &text[..i])
}

/// Every path a `use`/expression names after `prefix`, with `{a::b, c}` groups expanded.
fn paths_after(code: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find(prefix) {
        let before = rest[..i].chars().last();
        rest = &rest[i + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        expand("", rest, &mut out);
    }
    out
}

/// Expands the path at the start of `text` (after `base`) into `out`.
fn expand(base: &str, text: &str, out: &mut Vec<String>) {
    let ident_len = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(text.len());
    let (path, rest) = text.split_at(ident_len);
    let full = format!("{base}{path}");
    if let Some(group) = rest.strip_prefix('{').filter(|_| path.ends_with("::")) {
        let mut depth = 0;
        let mut start = 0;
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    expand(&full, group[start..i].trim_start(), out);
                    return;
                }
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(&full, group[start..i].trim_start(), out);
                    start = i + 1;
                }
                _ => {}
            }
        }
    } else {
        out.push(full.trim_end_matches(':').to_string());
    }
}

/// The deepest known module a path names, if any.
fn resolve(path: &str, modules: &BTreeSet<String>) -> Option<String> {
    let parts: Vec<&str> = path.split("::").collect();
    (1..=parts.len())
        .rev()
        .map(|n| parts[..n].join("::"))
        .find(|candidate| modules.contains(candidate))
}

fn graph_of(src: &str) -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(src);
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.retain(|f| !f.starts_with(src.join("bin")));
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(&src, f)).collect();
    let mut graph = Graph::new();
    for file in &files {
        let module = module_of(&src, file);
        let text = std::fs::read_to_string(file).unwrap();
        // Doc links and comments name modules without using them.
        let code: String = non_test_code(&text)
            .lines()
            .filter(|line| !line.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let code = code.as_str();
        let mut used: Vec<String> = paths_after(code, "crate::");
        let children = |p: String| {
            if module.is_empty() {
                p
            } else {
                format!("{module}::{p}")
            }
        };
        used.extend(paths_after(code, "self::").into_iter().map(children));
        let edges = used
            .iter()
            .filter_map(|p| resolve(p, &modules))
            .filter(|target| *target != module && !target.is_empty())
            .collect();
        graph.insert(module, edges);
    }
    graph
}

/// A cycle in `graph`, as the modules along it, if there is one.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &Graph,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

/// The model crate's layer of a module (its top-level folder or leaf file).
fn model_layer(module: &str) -> usize {
    match module.split("::").next().unwrap() {
        "error" | "units" | "ceilings" | "config" | "shapes" | "limits" | "probs" | "readback"
        | "pause" | "kernels" => 0,
        "nn" | "tokenize" => 1,
        "trace" | "io" => 2,
        "decode" => 3,
        "analysis" => 4,
        "train" => 5,
        other => panic!("module `{other}` has no layer: add it to tests/module_layers.rs"),
    }
}

#[test]
fn the_model_crate_has_no_cycle_and_depends_only_downward() {
    let graph = graph_of("crates/model/src");
    assert!(graph.contains_key("nn::gpt") && graph["nn::gpt"].contains("nn::block"));
    assert_eq!(find_cycle(&graph), None);
    let upward: Vec<String> = graph
        .iter()
        .filter(|(from, _)| !from.is_empty() && from.as_str() != "testing")
        .flat_map(|(from, to)| {
            to.iter()
                .filter(|target| model_layer(target) > model_layer(from))
                .map(move |target| format!("{from} → {target}"))
        })
        .collect();
    assert!(upward.is_empty(), "imports against the layers: {upward:?}");
    // Folders as units: no two depend on each other.
    let folders: Graph = graph.iter().fold(Graph::new(), |mut acc, (from, to)| {
        let top = |m: &str| m.split("::").next().unwrap().to_string();
        let entry = acc.entry(top(from)).or_default();
        entry.extend(to.iter().map(|t| top(t)).filter(|t| *t != top(from)));
        acc
    });
    assert_eq!(find_cycle(&folders), None);
}

/// The app's layer of a module: browser I/O and drawing, then state, then the panels.
fn app_layer(module: &str) -> usize {
    match module.split("::").next().unwrap() {
        "web" | "draw" => 0,
        "state" => 1,
        "components" => 2,
        "" => 3,
        other => panic!("module `{other}` has no layer: add it to tests/module_layers.rs"),
    }
}

#[test]
fn the_app_has_no_module_cycle_and_depends_only_downward() {
    let graph = graph_of("crates/app/src");
    assert!(graph.len() > 20, "read the app's modules");
    assert_eq!(find_cycle(&graph), None);
    let upward: Vec<String> = graph
        .iter()
        .flat_map(|(from, to)| {
            to.iter()
                .filter(|target| app_layer(target) > app_layer(from))
                .map(move |target| format!("{from} → {target}"))
        })
        .collect();
    assert!(upward.is_empty(), "imports against the layers: {upward:?}");
}

#[test]
fn the_reader_sees_grouped_imports_and_cycles() {
    let mut found = Vec::new();
    expand("", "a::{b::C, d::{E, f::G}};", &mut found);
    assert_eq!(found, ["a::b::C", "a::d::E", "a::d::f::G"]);
    let graph: Graph = [("a", "b"), ("b", "c"), ("c", "a")]
        .into_iter()
        .map(|(f, t)| (f.to_string(), [t.to_string()].into()))
        .collect();
    assert_eq!(
        find_cycle(&graph),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
}
