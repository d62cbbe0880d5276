//! The layout shows the rules (issue 11): every rule R1–R16 of `docs/rules.md` has a module
//! whose documentation starts with the rule's heading, and no module imports another that
//! imports it back, directly or through others: neither a file, nor a directory as a whole (a
//! file of `calendar` importing `invoice` while `invoice` imports a file of `calendar` is a
//! cycle between the two directories, although no file imports one that imports it back).
//!
//! The test reads the crate's `src/` (a test may do I/O; the library may not) and builds the
//! module graph from the paths the code names: `use` trees and inline paths starting with
//! `crate::`, `super::` or `self::`, and `use` of a child module by its bare name. Comments and
//! string literals are skipped. A path names the deepest module it passes through, so
//! `crate::calendar::period::Period` is an edge to `calendar::period` and
//! `crate::calendar::Period` an edge to `calendar`, whose re-exports are its own edges. An inline
//! `mod tests { … }` is a module of its own.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// One module: its path (`""` for the crate root) and its code without comments and strings.
struct Module {
    file: PathBuf,
    doc: String,
    code: String,
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/calendar/mod.rs` → `calendar`, `src/pool/cap.rs` → `pool::cap`, `src/lib.rs` → ``.
fn module_path(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("a file under src");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts.join("::")
}

/// The code with comments removed and string and char literals emptied, so that neither a doc
/// link nor a message is taken for a path, and braces in literals do not count.
fn strip(source: &str) -> String {
    let b = source.as_bytes();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < b.len() {
        let rest = &source[i..];
        if rest.starts_with("//") {
            let end = rest.find('\n').map_or(b.len(), |n| i + n);
            i = end;
        } else if rest.starts_with("/*") {
            let end = rest.find("*/").map_or(b.len(), |n| i + n + 2);
            i = end;
        } else if rest.starts_with("r#\"") || rest.starts_with("r\"") {
            let hashes = rest[1..].bytes().take_while(|&c| c == b'#').count();
            let close = format!("\"{}", "#".repeat(hashes));
            let body = 1 + hashes + 1;
            let end = rest[body..]
                .find(&close)
                .map_or(b.len(), |n| i + body + n + close.len());
            out.push_str("\"\"");
            i = end;
        } else if b[i] == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            out.push_str("\"\"");
            i = j + 1;
        } else if rest.starts_with("'{'") || rest.starts_with("'}'") || rest.starts_with("'\"'") {
            out.push_str("' '");
            i += 3;
        } else {
            let c = rest.chars().next().expect("a character");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// The leading `//!` lines of a file, joined into one paragraph-preserving string.
fn module_doc(source: &str) -> String {
    source
        .lines()
        .take_while(|l| l.trim_start().starts_with("//!"))
        .map(|l| l.trim_start().trim_start_matches("//!").trim())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Splits inline modules (`mod tests { … }`) out of a file's stripped code.
fn split_inline(path: &str, code: &str, file: &Path, out: &mut BTreeMap<String, Module>) -> String {
    let mut outer = String::new();
    let mut rest = code;
    loop {
        let found = find_inline_mod(rest);
        let Some((start, name, open)) = found else {
            outer.push_str(rest);
            return outer;
        };
        let mut depth = 0usize;
        let mut close = rest.len();
        for (k, c) in rest[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        close = open + k;
                        break;
                    }
                }
                _ => {}
            }
        }
        outer.push_str(&rest[..start]);
        let inner_path = if path.is_empty() {
            name.clone()
        } else {
            format!("{path}::{name}")
        };
        let inner = split_inline(&inner_path, &rest[open + 1..close], file, out);
        out.insert(
            inner_path,
            Module {
                file: file.to_owned(),
                doc: String::new(),
                code: inner,
            },
        );
        rest = &rest[(close + 1).min(rest.len())..];
    }
}

/// The first `mod NAME {` in `code`: where it starts, its name, and where its brace is.
fn find_inline_mod(code: &str) -> Option<(usize, String, usize)> {
    let mut from = 0;
    while let Some(n) = code[from..].find("mod ") {
        let at = from + n;
        from = at + 4;
        if at > 0 && is_ident(code.as_bytes()[at - 1]) {
            continue;
        }
        let after = &code[at + 4..];
        let name: String = after
            .bytes()
            .take_while(|&c| is_ident(c))
            .map(char::from)
            .collect();
        let tail = after[name.len()..].trim_start();
        if !name.is_empty() && tail.starts_with('{') {
            let open = code.len() - tail.len();
            return Some((at, name, open));
        }
    }
    None
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Reads every module of `src/`.
fn modules() -> BTreeMap<String, Module> {
    let src = src_dir();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut out = BTreeMap::new();
    for file in files {
        let source =
            fs::read_to_string(&file).unwrap_or_else(|e| panic!("reading {}: {e}", file.display()));
        let path = module_path(&src, &file);
        let code = split_inline(&path, &strip(&source), &file, &mut out);
        out.insert(
            path,
            Module {
                file,
                doc: module_doc(&source),
                code,
            },
        );
    }
    out
}

/// Every path a module's code names, as lists of segments: `use` trees expanded
/// (`a::{b, c::d}` → `a::b`, `a::c::d`) and inline paths starting with `crate`, `super` or
/// `self`.
fn named_paths(code: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    // `use` trees.
    for (_, tree) in use_trees(code) {
        expand(&[], &tree, &mut paths);
    }
    // Inline paths.
    let b = code.as_bytes();
    for start in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(n) = code[from..].find(start) {
            let at = from + n;
            from = at + start.len();
            if at > 0 && (is_ident(b[at - 1]) || b[at - 1] == b':') {
                continue;
            }
            let mut end = at;
            while end < b.len() && (is_ident(b[end]) || b[end] == b':') {
                end += 1;
            }
            let segments: Vec<String> = code[at..end]
                .split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            paths.push(segments);
        }
    }
    paths
}

/// Every `use` tree of a module's code, whitespace removed (`a as b` kept as `a@b`), and whether
/// it is a re-export: `pub use`, `pub(crate) use`, `pub(super) use`, `pub(in …) use`.
fn use_trees(code: &str) -> Vec<(bool, String)> {
    let mut trees = Vec::new();
    let mut from = 0;
    while let Some(n) = code[from..].find("use ") {
        let at = from + n;
        from = at + 4;
        if at > 0 && is_ident(code.as_bytes()[at - 1]) {
            continue;
        }
        let Some(end) = code[at..].find(';') else {
            break;
        };
        let words: Vec<&str> = code[at + 4..at + end].split_whitespace().collect();
        let tree: String = words.join(" ").replace(" as ", "@").replace(' ', "");
        trees.push((is_pub_before(&code[..at]), tree));
    }
    trees
}

/// Whether the code before a `use` ends with a visibility: `pub` or `pub(…)`.
fn is_pub_before(before: &str) -> bool {
    let mut before = before.trim_end();
    if before.ends_with(')') {
        let Some(open) = before.rfind('(') else {
            return false;
        };
        before = before[..open].trim_end();
    }
    before.ends_with("pub")
        && !before[..before.len() - 3]
            .bytes()
            .next_back()
            .is_some_and(is_ident)
}

/// Expands one `use` tree (whitespace removed) under `prefix`.
fn expand(prefix: &[String], tree: &str, out: &mut Vec<Vec<String>>) {
    let tree = tree.trim_start_matches("::");
    if let Some(open) = tree.find('{') {
        let mut head: Vec<String> = prefix.to_vec();
        head.extend(
            tree[..open]
                .split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
        );
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let mut depth = 0;
        let mut part = String::new();
        for c in inner.chars() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(&head, &part, out);
                    part.clear();
                    continue;
                }
                _ => {}
            }
            part.push(c);
        }
        if !part.is_empty() {
            expand(&head, &part, out);
        }
    } else {
        let tree = tree.split('@').next().unwrap_or(tree);
        let mut path: Vec<String> = prefix.to_vec();
        // `a::{self, b}` names `a`.
        path.extend(
            tree.split("::")
                .filter(|s| !s.is_empty() && *s != "self")
                .map(str::to_owned),
        );
        if path.len() > prefix.len() || tree == "self" {
            out.push(path);
        }
    }
}

/// The module a path names from module `here`: the deepest module it passes through, or `None`
/// for a path outside the crate (`std::…`, `chrono::…`).
fn resolve(here: &str, path: &[String], known: &BTreeSet<String>) -> Option<String> {
    let mut base: Vec<String> = if here.is_empty() {
        Vec::new()
    } else {
        here.split("::").map(str::to_owned).collect()
    };
    // `crate::{…}` alone, as an inline path, names no module: its `use` tree does.
    if path.len() < 2 {
        return None;
    }
    let mut segments = path;
    match segments.first().map(String::as_str) {
        Some("crate") => {
            base.clear();
            segments = &segments[1..];
        }
        Some("self") => segments = &segments[1..],
        Some("super") => {
            while segments.first().map(String::as_str) == Some("super") {
                base.pop();
                segments = &segments[1..];
            }
        }
        Some(first) => {
            // A bare name: a child module of `here` (`pub use advance::…` in a `mod.rs`).
            let child = if here.is_empty() {
                first.to_owned()
            } else {
                format!("{here}::{first}")
            };
            if !known.contains(&child) {
                return None;
            }
        }
        None => return None,
    }
    let mut full = base;
    let mut deepest = known.contains(&full.join("::")).then(|| full.join("::"));
    for s in segments {
        full.push(s.clone());
        let p = full.join("::");
        if known.contains(&p) {
            deepest = Some(p);
        } else {
            break;
        }
    }
    deepest
}

/// The module graph: each module and the modules it imports (itself left out).
fn graph(modules: &BTreeMap<String, Module>) -> BTreeMap<String, BTreeSet<String>> {
    let known: BTreeSet<String> = modules.keys().cloned().collect();
    modules
        .iter()
        .map(|(here, m)| {
            let deps = named_paths(&m.code)
                .iter()
                .filter_map(|p| resolve(here, p, &known))
                .filter(|t| t != here)
                .collect();
            (here.clone(), deps)
        })
        .collect()
}

/// Whether `module` is `dir` or inside it (`calendar::period` is inside `calendar`; everything
/// is inside the crate root `""`).
fn inside(module: &str, dir: &str) -> bool {
    dir.is_empty() || module == dir || module.starts_with(&format!("{dir}::"))
}

/// The directory modules (`mod.rs`, and `lib.rs` for the crate root), not their inline modules.
fn directory_modules(modules: &BTreeMap<String, Module>) -> Vec<String> {
    let src = src_dir();
    modules
        .iter()
        .filter(|(path, m)| {
            m.file
                .file_name()
                .is_some_and(|n| n == "mod.rs" || n == "lib.rs")
                && module_path(&src, &m.file) == **path
        })
        .map(|(path, _)| path.clone())
        .collect()
}

/// The cycles a directory module's re-exports close: `dir` re-exports (`pub use`) items of a
/// module outside the directory that imports, directly or through others, `dir` or a module
/// inside it. Whoever names `dir::child::Item` passes through `dir` and so through its
/// re-exports; the directory as a whole then depends on a module that depends on it, although
/// no single file imports one that imports it back.
///
/// One entry per such directory: the directory and, for each module it re-exports from that
/// leads back, the shortest way back (`[invoice, calendar::period]`).
fn reexport_cycles(
    modules: &BTreeMap<String, Module>,
    graph: &BTreeMap<String, BTreeSet<String>>,
) -> Vec<(String, Vec<Vec<String>>)> {
    let known: BTreeSet<String> = modules.keys().cloned().collect();
    let mut found = Vec::new();
    for dir in directory_modules(modules) {
        let mut targets = BTreeSet::new();
        for (is_pub, tree) in use_trees(&modules[&dir].code) {
            if !is_pub {
                continue;
            }
            let mut paths = Vec::new();
            expand(&[], &tree, &mut paths);
            targets.extend(
                paths
                    .iter()
                    .filter_map(|p| resolve(&dir, p, &known))
                    .filter(|t| !inside(t, &dir)),
            );
        }
        let ways_back: Vec<Vec<String>> = targets
            .iter()
            .filter_map(|t| way_into(t, &dir, graph))
            .collect();
        if !ways_back.is_empty() {
            found.push((dir, ways_back));
        }
    }
    found
}

/// The shortest chain of imports from `start` to a module inside `dir`, both ends included
/// (breadth first; the graph's order makes it the same every run).
fn way_into(
    start: &str,
    dir: &str,
    graph: &BTreeMap<String, BTreeSet<String>>,
) -> Option<Vec<String>> {
    let mut came_from: BTreeMap<String, String> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start.to_owned()]);
    let mut seen = BTreeSet::from([start.to_owned()]);
    while let Some(node) = queue.pop_front() {
        if inside(&node, dir) {
            let mut way = vec![node.clone()];
            let mut at = node;
            while let Some(prev) = came_from.get(&at) {
                way.push(prev.clone());
                at = prev.clone();
            }
            way.reverse();
            return Some(way);
        }
        for next in graph.get(&node).into_iter().flatten() {
            if seen.insert(next.clone()) {
                came_from.insert(next.clone(), node.clone());
                queue.push_back(next.clone());
            }
        }
    }
    None
}

/// One cycle through each group of modules that import each other, as `a -> b -> a`.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    // Depth-first search; a back edge to a module on the stack closes a cycle.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
        found: &mut Vec<Vec<String>>,
    ) {
        state.insert(node.to_owned(), 1);
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            match state.get(next.as_str()).copied().unwrap_or(0) {
                0 => visit(next, graph, state, stack, found),
                1 => {
                    let from = stack.iter().position(|s| s == next).expect("on the stack");
                    let mut cycle = stack[from..].to_vec();
                    cycle.push(next.clone());
                    found.push(cycle);
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(node.to_owned(), 2);
    }
    let mut state = BTreeMap::new();
    let mut found = Vec::new();
    for node in graph.keys() {
        if !state.contains_key(node.as_str()) {
            visit(node, graph, &mut state, &mut Vec::new(), &mut found);
        }
    }
    found
}

fn shown(module: &str) -> &str {
    if module.is_empty() {
        "crate"
    } else {
        module
    }
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let modules = modules();
    let graph = graph(&modules);
    let found = cycles(&graph);
    let described: Vec<String> = found
        .iter()
        .map(|c| c.iter().map(|m| shown(m)).collect::<Vec<_>>().join(" -> "))
        .collect();
    assert!(
        described.is_empty(),
        "modules that import each other back:\n  {}",
        described.join("\n  ")
    );
}

/// The part of `dir` that `module` lies in: the child of `dir` that is `module` or holds it
/// (`calendar::membership::entry` lies in `calendar` of the crate root, and in
/// `calendar::membership` of `calendar`). `None` for `dir` itself and modules outside it.
fn part_of(module: &str, dir: &str) -> Option<String> {
    if module == dir || !inside(module, dir) {
        return None;
    }
    let rest = if dir.is_empty() {
        module
    } else {
        &module[dir.len() + 2..]
    };
    let first = rest.split("::").next().unwrap_or(rest);
    Some(if dir.is_empty() {
        first.to_owned()
    } else {
        format!("{dir}::{first}")
    })
}

/// A cycle among the parts of one module: `parts` as `a -> b -> a`, and for each step the
/// import that makes it (`a::x` imports `b`).
#[derive(Debug, PartialEq)]
struct PartCycle {
    within: String,
    parts: Vec<String>,
    imports: Vec<(String, String)>,
}

/// The cycles among the parts of each module that has submodules (the crate root, every
/// directory): each part is a child with everything inside it, and part `a` imports part `b`
/// when a module inside `a` imports one inside `b` through plain `use` or a path. A directory
/// whose file imports another directory that imports one of its files back is such a cycle even
/// when no single file is on one; so is a directory and a file module that import each other.
fn part_cycles(
    modules: &BTreeMap<String, Module>,
    graph: &BTreeMap<String, BTreeSet<String>>,
) -> Vec<PartCycle> {
    let with_parts: BTreeSet<&String> = modules
        .keys()
        .filter(|m| modules.keys().any(|c| *c != **m && inside(c, m)))
        .collect();
    let mut found = Vec::new();
    for within in with_parts {
        let mut parts: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        // The first import (in the graph's order) from one part to another.
        let mut why: BTreeMap<(String, String), (String, String)> = BTreeMap::new();
        for (from, targets) in graph {
            let Some(a) = part_of(from, within) else {
                continue;
            };
            for to in targets {
                let Some(b) = part_of(to, within) else {
                    continue;
                };
                if a != b {
                    parts.entry(a.clone()).or_default().insert(b.clone());
                    why.entry((a.clone(), b))
                        .or_insert_with(|| (from.clone(), to.clone()));
                }
            }
        }
        for cycle in cycles(&parts) {
            let imports = cycle
                .windows(2)
                .map(|w| why[&(w[0].clone(), w[1].clone())].clone())
                .collect();
            found.push(PartCycle {
                within: within.clone(),
                parts: cycle,
                imports,
            });
        }
    }
    found
}

fn describe_part_cycle(c: &PartCycle) -> String {
    let parts: Vec<&str> = c.parts.iter().map(|m| shown(m)).collect();
    let imports: Vec<String> = c
        .imports
        .iter()
        .map(|(from, to)| format!("{} imports {}", shown(from), shown(to)))
        .collect();
    format!(
        "in {}: {} ({})",
        shown(&c.within),
        parts.join(" -> "),
        imports.join("; ")
    )
}

#[test]
fn no_directory_imports_one_that_imports_it_back() {
    let modules = modules();
    let graph = graph(&modules);
    let described: Vec<String> = part_cycles(&modules, &graph)
        .iter()
        .map(describe_part_cycle)
        .collect();
    assert!(
        described.is_empty(),
        "directories (or a directory and a module) that import each other back:\n  {}",
        described.join("\n  ")
    );
}

/// The part check sees a cycle between two directories that no file closes, names it with the
/// imports that make it, and sees none once one side is gone. A made-up crate: `a/x.rs` imports
/// `b`, whose `b/z.rs` imports `a/y.rs`; inside `b`, `b/p/q.rs` imports `b/z.rs`, which imports
/// `b/p`.
#[test]
fn the_part_check_sees_directories_that_import_each_other() {
    let src = src_dir();
    let made_up = |a_x: &str| -> BTreeMap<String, Module> {
        [
            ("lib.rs", "pub mod a;\npub mod b;"),
            ("a/mod.rs", "pub mod x;\npub mod y;"),
            ("a/x.rs", a_x),
            ("a/y.rs", "pub struct Y;"),
            ("b/mod.rs", "pub mod p;\npub mod z;\npub use z::Thing;"),
            ("b/p/mod.rs", "pub mod q;\npub struct P;"),
            ("b/p/q.rs", "use crate::b::z::Thing;\npub struct Q;"),
            (
                "b/z.rs",
                "use crate::a::y::Y;\npub struct Thing(Y);\npub fn f(_: super::p::P) {}",
            ),
        ]
        .iter()
        .map(|(file, code)| {
            let file = src.join(file);
            let module = Module {
                file: file.clone(),
                doc: String::new(),
                code: strip(code),
            };
            (module_path(&src, &file), module)
        })
        .collect()
    };
    let both = made_up("use crate::b::Thing;\npub fn g(t: Thing) {}");
    let edges = graph(&both);
    assert!(has_edge(&edges, "a::x", "b") && has_edge(&edges, "b::z", "a::y"));
    assert_eq!(cycles(&edges), Vec::<Vec<String>>::new(), "no file cycle");
    let step = |from: &str, to: &str| (from.to_owned(), to.to_owned());
    assert_eq!(
        part_cycles(&both, &edges),
        [
            PartCycle {
                within: String::new(),
                parts: ["a", "b", "a"].map(str::to_owned).to_vec(),
                imports: vec![step("a::x", "b"), step("b::z", "a::y")],
            },
            PartCycle {
                within: "b".to_owned(),
                parts: ["b::p", "b::z", "b::p"].map(str::to_owned).to_vec(),
                imports: vec![step("b::p::q", "b::z"), step("b::z", "b::p")],
            },
        ]
    );
    assert_eq!(
        describe_part_cycle(&part_cycles(&both, &edges)[0]),
        "in crate: a -> b -> a (a::x imports b; b::z imports a::y)"
    );

    let one_way = made_up("pub struct X;");
    let found = part_cycles(&one_way, &graph(&one_way));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].within, "b");
}

#[test]
fn no_directory_reexports_a_module_that_imports_it_back() {
    let modules = modules();
    let graph = graph(&modules);
    let found = reexport_cycles(&modules, &graph);
    let described: Vec<String> = found
        .iter()
        .map(|(dir, ways)| describe_reexport_cycle(dir, ways))
        .collect();
    assert!(
        described.is_empty(),
        "directories that re-export a module that imports them back:\n  {}",
        described.join("\n  ")
    );
}

fn describe_reexport_cycle(dir: &str, ways: &[Vec<String>]) -> String {
    let ways: Vec<String> = ways
        .iter()
        .map(|w| {
            let chain: Vec<&str> = w.iter().map(|m| shown(m)).collect();
            format!("{} -(pub use)-> {}", shown(dir), chain.join(" -> "))
        })
        .collect();
    ways.join("; ")
}

/// The re-export check sees a cycle that only a directory's re-export closes, and no other: a
/// directory re-exporting its own child, a private `use`, and a file module's re-export are
/// none. A made-up crate: `d/mod.rs` re-exports `x`, and `x` imports `d::c`.
#[test]
fn the_reexport_check_sees_a_directory_cycle() {
    let src = src_dir();
    let made_up = |files: &[(&str, &str)]| -> BTreeMap<String, Module> {
        files
            .iter()
            .map(|(file, code)| {
                let file = src.join(file);
                let module = Module {
                    file: file.clone(),
                    doc: String::new(),
                    code: strip(code),
                };
                (module_path(&src, &file), module)
            })
            .collect()
    };
    let files = |d_uses_x: &str| {
        made_up(&[
            (
                "lib.rs",
                "pub mod d;\npub mod x;\npub mod y;\npub use d::c::Own;",
            ),
            (
                "d/mod.rs",
                &format!("pub mod c;\npub use c::Own;\n{d_uses_x}"),
            ),
            ("d/c.rs", "pub struct Own;"),
            ("x.rs", "use crate::d::c::Own;\npub struct Item(Own);"),
            ("y.rs", "pub use crate::x::Item;"),
        ])
    };
    assert_eq!(
        use_trees(&strip(
            "pub use a::X;\npub(crate) use crate::b::{Y, Z as W};\nuse crate::c::V;"
        )),
        [
            (true, "a::X".to_owned()),
            (true, "crate::b::{Y,Z@W}".to_owned()),
            (false, "crate::c::V".to_owned()),
        ]
    );

    let reexporting = files("pub use crate::x::Item;");
    let edges = graph(&reexporting);
    assert!(has_edge(&edges, "d", "x") && has_edge(&edges, "x", "d::c"));
    assert_eq!(cycles(&edges), Vec::<Vec<String>>::new(), "no file cycle");
    assert_eq!(
        reexport_cycles(&reexporting, &edges),
        [(
            "d".to_owned(),
            vec![vec!["x".to_owned(), "d::c".to_owned()]]
        )]
    );

    let private = files("use crate::x::Item;");
    assert!(reexport_cycles(&private, &graph(&private)).is_empty());
    let without = files("");
    assert!(reexport_cycles(&without, &graph(&without)).is_empty());
}

fn has_edge(graph: &BTreeMap<String, BTreeSet<String>>, from: &str, to: &str) -> bool {
    graph.get(from).is_some_and(|d| d.contains(to))
}

/// The graph is not empty by accident: known imports are found, and a cycle is seen.
#[test]
fn the_graph_sees_imports_and_cycles() {
    let modules = modules();
    let graph = graph(&modules);
    let has = |from: &str, to: &str| graph.get(from).is_some_and(|d| d.contains(to));
    assert!(
        has("pool::split", "pool::cap"),
        "{:?}",
        graph.get("pool::split")
    );
    assert!(has("pool::cap", "pool"));
    assert!(has("invoice", "calendar::fee_line"));
    assert!(has("", "pool::split"), "the crate root re-exports allocate");
    assert!(
        has("pool::tests", "pool"),
        "an inline test module imports its parent"
    );

    let mut with_cycle = graph.clone();
    with_cycle
        .entry("calendar::fee_line".to_owned())
        .or_default()
        .insert("invoice".to_owned());
    let found = cycles(&with_cycle);
    assert!(
        found
            .iter()
            .any(|c| c.contains(&"invoice".to_owned())
                && c.contains(&"calendar::fee_line".to_owned())),
        "{found:?}"
    );
}

#[test]
fn the_parser_reads_use_trees_and_skips_comments_and_strings() {
    let code = strip(
        "use crate::{a::b, c::{self, d, e::F}};\n/// [`crate::x::Y`]\nlet s = \"crate::z\";\nuse super::base as h;\nuse super::*;\nlet v = crate::k::f();",
    );
    let mut paths: Vec<String> = named_paths(&code).iter().map(|p| p.join("::")).collect();
    paths.sort();
    paths.dedup();
    assert_eq!(
        paths,
        [
            "crate",
            "crate::a::b",
            "crate::c",
            "crate::c::d",
            "crate::c::e::F",
            "crate::k::f",
            "super",
            "super::*",
            "super::base",
        ]
    );
}

/// The rules of `docs/rules.md`: each heading (`R1 Population share`, … `R16 …`) and the text
/// of its section.
fn rules() -> Vec<(String, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/rules.md");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out: Vec<(String, String)> = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in text.lines() {
        if line.starts_with('#') {
            out.extend(current.take());
            if let Some(heading) = line.strip_prefix("### R") {
                current = Some((format!("R{}", heading.trim()), String::new()));
            }
        } else if let Some((_, body)) = current.as_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    out.extend(current);
    out
}

#[test]
fn every_rule_has_a_module_whose_doc_starts_with_it() {
    let rules = rules();
    let headings: Vec<&str> = rules.iter().map(|(h, _)| h.as_str()).collect();
    assert_eq!(headings.len(), 16, "{headings:?}");
    let modules = modules();
    let src = src_dir();
    let mut problems = Vec::new();
    for (n, (heading, section)) in (1..=16).zip(&rules) {
        assert!(heading.starts_with(&format!("R{n} ")), "{heading}");
        let owner = modules
            .iter()
            .find(|(_, m)| m.doc.replace('\n', " ").starts_with(heading.as_str()));
        let Some((path, m)) = owner else {
            problems.push(format!("{heading}: no module's doc starts with it"));
            continue;
        };
        if !m.doc.contains("docs/rules.md") {
            problems.push(format!(
                "{heading}: the doc of {} names no section of docs/rules.md",
                shown(path)
            ));
        }
        // docs/rules.md names the module of the rule, by its file.
        let file = m
            .file
            .strip_prefix(&src)
            .expect("under src")
            .to_string_lossy()
            .replace('\\', "/");
        if !section.contains(&format!("billing-core/src/{file}")) {
            problems.push(format!(
                "{heading}: its section in docs/rules.md does not name billing-core/src/{file}"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "rules without their module:\n  {}",
        problems.join("\n  ")
    );
}
