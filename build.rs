//! Embeds the presets under `presets/` in the binary: one static table per kind of preset, of
//! (name, TOML text) pairs sorted by name, so that the tool needs no files beside it and adding a
//! preset is adding a file.

use std::fmt::Write as _;
use std::{env, fs, path::Path};

fn main() {
    println!("cargo::rerun-if-changed=presets");
    let mut out = String::new();
    for (kind, table) in [("models", "MODELS")] {
        let dir = Path::new("presets").join(kind);
        let mut names: Vec<String> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
            .filter_map(|entry| {
                let path = entry.ok()?.path();
                (path.extension()? == "toml")
                    .then(|| path.file_stem()?.to_str().map(String::from))?
            })
            .collect();
        names.sort();
        writeln!(
            out,
            "/// Built-in {kind} presets: (name, TOML text), sorted by name."
        )
        .unwrap();
        writeln!(out, "pub static {table}: &[(&str, &str)] = &[").unwrap();
        for name in names {
            writeln!(
                out,
                "    ({name:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/presets/{kind}/{name}.toml\"))),"
            )
            .unwrap();
        }
        writeln!(out, "];").unwrap();
    }
    let dest = Path::new(&env::var("OUT_DIR").unwrap()).join("presets.rs");
    fs::write(dest, out).unwrap();
}
