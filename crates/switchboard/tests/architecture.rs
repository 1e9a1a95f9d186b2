//! ARCHITECTURE.md's code map names every module: a new file that the map
//! does not mention fails here, so the map stays true as the code grows.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

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

/// The section of the map for one crate: from its heading to the next.
fn section<'a>(map: &'a str, krate: &str) -> &'a str {
    let heading = format!("### `crates/{krate}`");
    let start = map.find(&heading).unwrap_or_else(|| panic!("ARCHITECTURE.md has no section {heading}"));
    let rest = &map[start + heading.len()..];
    &rest[..rest.find("\n### ").or_else(|| rest.find("\n## ")).unwrap_or(rest.len())]
}

#[test]
fn the_code_map_names_every_module() {
    let root = workspace();
    let map = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let mut missing = Vec::new();
    let mut crates: Vec<_> = std::fs::read_dir(root.join("crates")).unwrap().map(|e| e.unwrap().path()).collect();
    crates.sort();
    for krate in crates {
        let name = krate.file_name().unwrap().to_string_lossy().into_owned();
        let text = section(&map, &name);
        let src = krate.join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        files.sort();
        for file in files {
            let relative = file.strip_prefix(&src).unwrap().to_string_lossy().replace('\\', "/");
            // The crate roots are the crate itself; `a/mod.rs` is the module `a/`.
            if relative == "lib.rs" || relative == "main.rs" || relative.ends_with("/tests.rs") {
                continue;
            }
            let named = match relative.strip_suffix("/mod.rs") {
                Some(dir) => format!("`{dir}/`"),
                None => relative.rsplit('/').next().map(|f| format!("`{f}`")).unwrap_or_default(),
            };
            // A file in a folder may be named with its folder (`serve/io.rs`) or,
            // in its folder's entry, alone (`io.rs`).
            let full = format!("`{relative}`");
            if !text.contains(&named) && !text.contains(&full) && !text.contains(&format!("{}`", relative)) {
                missing.push(format!("crates/{name}/src/{relative}"));
            }
        }
    }
    assert!(missing.is_empty(), "ARCHITECTURE.md's code map does not name: {missing:#?}");
}
