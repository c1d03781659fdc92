//! Embeds the presets under `presets/` in the binary: one static table per kind of preset, of
//! (name, TOML text) pairs sorted by name, so that the tool needs no files beside it and adding a
//! preset is adding a file. GPU aliases (`aliases = ["h100-sxm", ...]`) are collected into a table of
//! their own, so that a name is resolved without parsing every GPU preset.

use std::fmt::Write as _;
use std::{env, fs, path::Path};

/// The stems of the `.toml` files in `dir`, sorted.
fn preset_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            (path.extension()? == "toml").then(|| path.file_stem()?.to_str().map(String::from))?
        })
        .collect();
    names.sort();
    names
}

/// The quoted strings of a one-line `aliases = [...]` entry, if the file has one.
fn aliases(text: &str) -> Vec<String> {
    let Some(line) = text.lines().find(|l| l.trim_start().starts_with("aliases")) else {
        return Vec::new();
    };
    line.split('"')
        .skip(1)
        .step_by(2)
        .map(String::from)
        .collect()
}

fn main() {
    println!("cargo::rerun-if-changed=presets");
    let mut out = String::new();
    for (kind, table) in [("models", "MODELS"), ("gpus", "GPUS")] {
        let dir = Path::new("presets").join(kind);
        let names = preset_names(&dir);
        writeln!(
            out,
            "/// Built-in {kind} presets: (name, TOML text), sorted by name."
        )
        .unwrap();
        writeln!(out, "pub static {table}: &[(&str, &str)] = &[").unwrap();
        for name in &names {
            writeln!(
                out,
                "    ({name:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/presets/{kind}/{name}.toml\"))),"
            )
            .unwrap();
        }
        writeln!(out, "];").unwrap();
        if kind == "gpus" {
            let mut pairs: Vec<(String, String)> = Vec::new();
            for name in &names {
                let text = fs::read_to_string(dir.join(format!("{name}.toml"))).unwrap();
                for alias in aliases(&text) {
                    if let Some((_, other)) = pairs.iter().find(|(a, _)| *a == alias) {
                        panic!("GPU alias `{alias}` is claimed by both {other} and {name}");
                    }
                    if names.contains(&alias) {
                        panic!("GPU alias `{alias}` of {name} is the name of another preset");
                    }
                    pairs.push((alias, name.clone()));
                }
            }
            pairs.sort();
            writeln!(
                out,
                "/// GPU aliases: (alias, preset name), sorted by alias."
            )
            .unwrap();
            writeln!(out, "pub static GPU_ALIASES: &[(&str, &str)] = &{pairs:?};").unwrap();
        }
    }
    let dest = Path::new(&env::var("OUT_DIR").unwrap()).join("presets.rs");
    fs::write(dest, out).unwrap();
}
