//! Presets: the built-in ones embedded at build time, files, and `--set` overrides. Which preset a
//! name means is [`crate::catalog::Catalog`]'s business; this module reads one.
//!
//! A preset is read in three steps, each of which reports problems with a file, line and column:
//! the TOML is parsed (keeping spans), the overrides are merged into it, and the result is deserialized
//! and checked. Overrides are TOML too (`decoder.layers=40`, `architecture.positional=rotary`), so they
//! are checked exactly like the file; a problem in one points at the `--set` argument.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue, Deserializer};

use crate::domain::hardware::{Gpu, GpuSpec};
use crate::domain::model::spec::ModelSpec;
use crate::domain::model::{Invalid, Model};
use crate::error::{Error, Location, Result};

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/presets.rs"));
}

/// Names of the built-in model presets, sorted.
pub fn model_names() -> impl Iterator<Item = &'static str> {
    names::<Model>()
}

/// One `--set key=value`: a dotted key into the preset and a TOML value (a bare word is a string).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Override {
    pub key: String,
    pub value: String,
}

impl FromStr for Override {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (key, value) = text
            .split_once('=')
            .ok_or_else(|| format!("`{text}` is not `key=value` (e.g. `decoder.layers=40`)"))?;
        let (key, value) = (key.trim(), value.trim());
        if key.is_empty() || value.is_empty() {
            return Err(format!(
                "`{text}` needs both a key and a value (e.g. `decoder.layers=40`)"
            ));
        }
        Ok(Override {
            key: key.to_string(),
            value: value.to_string(),
        })
    }
}

impl Override {
    /// The override as a line of TOML. A value that is not TOML on its own is taken as a string, so
    /// `architecture.norm=rmsnorm` needs no quotes.
    fn toml_line(&self) -> String {
        let value = if DeValue::parse(&self.value).is_ok() {
            self.value.clone()
        } else {
            toml::Value::String(self.value.clone()).to_string()
        };
        format!("{} = {value}", self.key)
    }
}

/// The text a preset was read from: the file, then one line per override. Spans index into the file
/// followed by a newline and the override lines, so every span has one place.
struct Document<'a> {
    origin: String,
    file: &'a str,
    overrides: &'a [Override],
    lines: Vec<String>,
}

impl<'a> Document<'a> {
    fn new(origin: String, file: &'a str, overrides: &'a [Override]) -> Self {
        let lines = overrides.iter().map(Override::toml_line).collect();
        Document {
            origin,
            file,
            overrides,
            lines,
        }
    }

    /// Where override `i` starts in the combined text.
    fn line_start(&self, i: usize) -> usize {
        self.file.len() + 1 + self.lines[..i].iter().map(|l| l.len() + 1).sum::<usize>()
    }

    /// Turns a span of the combined text into a location, in the file or in an override.
    fn locate(&self, span: Range<usize>) -> Location {
        if span.start <= self.file.len() {
            return location(
                self.origin.clone(),
                self.file,
                span.start.min(self.file.len()),
                span.end,
            );
        }
        let i = (0..self.lines.len())
            .rev()
            .find(|&i| self.line_start(i) <= span.start)
            .unwrap_or(0);
        let start = self.line_start(i);
        let o = &self.overrides[i];
        location(
            format!("--set {}={}", o.key, o.value),
            &self.lines[i],
            span.start - start,
            span.end - start,
        )
    }

    fn error(&self, span: Option<Range<usize>>, message: String) -> Error {
        match span {
            Some(span) => Error::Preset {
                location: self.locate(span),
                message,
            },
            None => Error::PresetFile {
                origin: self.origin.clone(),
                message,
            },
        }
    }

    /// The file and overrides as one spanned TOML table.
    fn table(&self) -> Result<Spanned<DeTable<'_>>> {
        let deep = |at: usize| {
            let message = format!(
                "nested more than {} levels deep; a preset nests three (`[decoder.moe]`)",
                super::limits::MAX_DEPTH
            );
            self.error(Some(at..at + 1), message)
        };
        if let Some(at) = super::limits::too_deep(self.file) {
            return Err(deep(at));
        }
        for (i, line) in self.lines.iter().enumerate() {
            if let Some(at) = super::limits::too_deep(line) {
                return Err(deep(self.line_start(i) + at));
            }
        }
        let mut table =
            DeTable::parse(self.file).map_err(|e| self.error(e.span(), e.message().to_string()))?;
        for (i, line) in self.lines.iter().enumerate() {
            let start = self.line_start(i);
            let parsed = DeTable::parse(line).map_err(|e| {
                self.error(
                    e.span().map(|s| s.start + start..s.end + start),
                    e.message().to_string(),
                )
            })?;
            let mut parsed = parsed.into_inner();
            parsed.make_owned();
            let parsed = shift_table(parsed, start);
            merge(table.get_mut(), parsed);
        }
        Ok(table)
    }

    /// The span of the value at a dotted path, if the document has one.
    fn span_of(&self, path: &str) -> Option<Range<usize>> {
        let table = self.table().ok()?;
        let mut segments = path.split('.');
        let mut value = table.get_ref().get(segments.next()?)?;
        for segment in segments {
            value = match value.get_ref() {
                // A list's entries are named by their index: `price.1.kind`.
                DeValue::Array(list) => list.get(segment.parse::<usize>().ok()?)?,
                other => other.as_table()?.get(segment)?,
            };
        }
        Some(value.span())
    }

    fn read<P: Preset>(&self, id: String) -> Result<P> {
        let spec = P::Spec::deserialize(Deserializer::from(self.table()?))
            .map_err(|e| self.error(e.span(), e.message().to_string()))?;
        P::from_spec(id, spec)
            .map_err(|Invalid { field, message }| self.error(self.span_of(&field), message))
    }
}

/// Line, column and line text of a byte range in `text`.
pub(super) fn location(origin: String, text: &str, start: usize, end: usize) -> Location {
    let start = floor_char_boundary(text, start);
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let line_text = text[line_start..line_end].trim_end_matches('\r');
    let column = text[line_start..start].chars().count() + 1;
    let end = floor_char_boundary(text, end.clamp(start, line_end));
    let width = text[start..end].chars().count();
    // A long line is shown as a window around the problem, so the caret stays under it.
    const BEFORE: usize = 40;
    const AFTER: usize = 60;
    let chars: Vec<char> = line_text
        .chars()
        .map(|c| if c == '\t' { ' ' } else { c })
        .collect();
    let from = (column - 1).saturating_sub(BEFORE);
    let to = (column - 1 + width.max(1) + AFTER).min(chars.len());
    let mut shown: String = chars[from..to.max(from)].iter().collect();
    let mut caret = column - from;
    if from > 0 {
        shown = format!("…{shown}");
        caret += 1;
    }
    if to < chars.len() {
        shown.push('…');
    }
    Location {
        origin,
        line: text[..start].matches('\n').count() + 1,
        column,
        text: shown,
        caret,
        width: width.min(AFTER),
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Moves every span of a table parsed from an override line to its place in the combined text.
fn shift_table<'i>(table: DeTable<'i>, by: usize) -> DeTable<'i> {
    let mut out = DeTable::new();
    for (key, value) in table {
        let key_span = key.span();
        out.insert(
            Spanned::new(key_span.start + by..key_span.end + by, key.into_inner()),
            shift_value(value, by),
        );
    }
    out
}

fn shift_value<'i>(value: Spanned<DeValue<'i>>, by: usize) -> Spanned<DeValue<'i>> {
    let span = value.span();
    let inner = match value.into_inner() {
        DeValue::Table(table) => DeValue::Table(shift_table(table, by)),
        DeValue::Array(array) => {
            DeValue::Array(array.into_iter().map(|v| shift_value(v, by)).collect())
        }
        other => other,
    };
    Spanned::new(span.start + by..span.end + by, inner)
}

/// Merges `from` into `into`, replacing values and merging tables key by key.
fn merge<'i>(into: &mut DeTable<'i>, from: DeTable<'i>) {
    for (key, value) in from {
        let span = value.span();
        match (into.get_mut(key.get_ref().as_ref()), value.into_inner()) {
            (Some(existing), DeValue::Table(table)) if existing.get_ref().is_table() => {
                if let DeValue::Table(existing) = existing.get_mut() {
                    merge(existing, table);
                }
            }
            (_, value) => {
                into.insert(key, Spanned::new(span, value));
            }
        }
    }
}

/// A kind of preset: where the built-in ones are, and how the checked value is built from the file.
pub trait Preset: Sized {
    /// The file as deserialized.
    type Spec: serde::de::DeserializeOwned;
    /// What the preset describes, for messages: "model", "GPU".
    const KIND: &'static str;
    /// The folder under `presets/`.
    const FOLDER: &'static str;
    /// The command that lists the built-in ones.
    const LIST: &'static str;
    /// Built-in presets: (name, TOML text).
    const BUILTIN: &'static [(&'static str, &'static str)];
    /// Other names for built-in presets: (alias, name).
    const ALIASES: &'static [(&'static str, &'static str)];
    /// Checks a spec.
    fn from_spec(id: String, spec: Self::Spec) -> Result<Self, Invalid>;
}

impl Preset for Model {
    type Spec = ModelSpec;
    const KIND: &'static str = "model";
    const FOLDER: &'static str = "models";
    const LIST: &'static str = "llmcalc models";
    const BUILTIN: &'static [(&'static str, &'static str)] = builtin::MODELS;
    const ALIASES: &'static [(&'static str, &'static str)] = &[];
    fn from_spec(id: String, spec: ModelSpec) -> Result<Self, Invalid> {
        Model::from_spec(id, spec)
    }
}

impl Preset for Gpu {
    type Spec = GpuSpec;
    const KIND: &'static str = "GPU";
    const FOLDER: &'static str = "gpus";
    const LIST: &'static str = "llmcalc gpus";
    const BUILTIN: &'static [(&'static str, &'static str)] = builtin::GPUS;
    const ALIASES: &'static [(&'static str, &'static str)] = builtin::GPU_ALIASES;
    fn from_spec(id: String, spec: GpuSpec) -> Result<Self, Invalid> {
        Gpu::from_spec(id, spec)
    }
}

/// Names of the built-in presets of a kind, sorted.
pub fn names<P: Preset>() -> impl Iterator<Item = &'static str> {
    P::BUILTIN.iter().map(|(name, _)| *name)
}

/// Where a listed preset comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    BuiltIn,
    User,
    /// A user preset with a built-in's name, which it replaces.
    UserOverridesBuiltIn,
}

impl Origin {
    /// Name as printed.
    pub fn name(self) -> &'static str {
        match self {
            Origin::BuiltIn => "built-in",
            Origin::User => "user",
            Origin::UserOverridesBuiltIn => "user, overrides built-in",
        }
    }
}

/// Reads a preset of kind `P` from `text` (read from `origin`, which messages name), applies the
/// overrides and checks the result; the preset gets the id `id`.
pub(super) fn read<P: Preset>(
    origin: String,
    text: &str,
    overrides: &[Override],
    id: String,
) -> Result<P> {
    Document::new(origin, text, overrides).read(id)
}

/// Reads a preset file of kind `P` given by path.
pub(super) fn read_file<P: Preset>(path: &Path, overrides: &[Override], id: String) -> Result<P> {
    let text = super::limits::read_text(path)?;
    read(path.display().to_string(), &text, overrides, id)
}

/// The built-in preset of kind `P` with the name or alias `wanted` (lower case), with overrides
/// applied; `None` if there is no such built-in.
pub(super) fn builtin<P: Preset>(wanted: &str, overrides: &[Override]) -> Option<Result<P>> {
    let name = P::ALIASES
        .iter()
        .find_map(|(alias, name)| (*alias == wanted).then_some(*name))
        .unwrap_or(wanted);
    let (name, text) = P::BUILTIN.iter().find(|(n, _)| *n == name)?;
    let origin = format!("presets/{}/{name}.toml (built in)", P::FOLDER);
    Some(read(origin, text, overrides, name.to_string()))
}

/// Reads a model from a Hugging Face `config.json`, imported through [`crate::catalog::import`] and
/// then read like any preset file; the import's warnings go with the model.
pub(super) fn read_config(path: &Path, overrides: &[Override]) -> Result<Model> {
    let (name, imported) = import_config(path)?;
    let origin = format!("{} (imported)", path.display());
    let mut model: Model = read(origin, &imported.toml, overrides, name)?;
    model.warnings = imported.warnings;
    Ok(model)
}

/// The `config.json` a reference names: a `.json` file, or a folder holding `config.json`.
pub fn config_path(reference: &str) -> Option<PathBuf> {
    let path = Path::new(reference);
    let inside = path.join("config.json");
    if path.is_dir() && inside.is_file() {
        return Some(inside);
    }
    (path.extension()? == "json").then(|| path.to_path_buf())
}

/// Reads and imports a `config.json`; the model is named for its folder, or the file's stem.
pub fn import_config(path: &Path) -> Result<(String, crate::catalog::import::Imported)> {
    let text = super::limits::read_text(path)?;
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("model");
    let name = if stem == "config" {
        path.parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .unwrap_or(stem)
    } else {
        stem
    };
    let imported = crate::catalog::import::import(name, &text).map_err(|e| Error::Import {
        path: path.display().to_string(),
        message: e.0,
    })?;
    Ok((name.to_string(), imported))
}

/// Up to three names close to `wanted`: by edit distance, or containing it.
pub fn closest<'a>(wanted: &str, names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let wanted = wanted.trim().to_lowercase();
    if wanted.is_empty() {
        return Vec::new();
    }
    let limit = (wanted.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, &str)> = names
        .filter_map(|name| {
            let distance = edit_distance(&wanted, name);
            let related = name.contains(&wanted) || (wanted.len() >= 3 && wanted.contains(name));
            (distance <= limit || related).then_some((distance, name))
        })
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(3)
        .map(|(_, n)| n.to_string())
        .collect()
}

/// Levenshtein distance between two strings, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let next = (diagonal + usize::from(ca != cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("gpt4", "gpt-4"), 1);
        assert_eq!(edit_distance("llama-2-7b", "llama-2-7b"), 0);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn suggestions() {
        let names = ["gpt-4", "gpt-4o", "gpt-3", "llama-2-7b"];
        assert_eq!(closest("gpt4", names.into_iter())[0], "gpt-4");
        assert!(closest("zzzzzz", names.into_iter()).is_empty());
    }

    #[test]
    fn overrides_parse() {
        let o: Override = "decoder.layers=40".parse().unwrap();
        assert_eq!(o.toml_line(), "decoder.layers = 40");
        let o: Override = "architecture.norm=rmsnorm".parse().unwrap();
        assert_eq!(o.toml_line(), "architecture.norm = \"rmsnorm\"");
        assert!("decoder.layers".parse::<Override>().is_err());
        assert!("=3".parse::<Override>().is_err());
    }

    /// A small valid preset, shared with the command-line error tests.
    const TINY: &str = include_str!("../../tests/fixtures/tiny.toml");

    fn read(text: &str, overrides: &[&str]) -> Result<Model> {
        let overrides: Vec<Override> = overrides.iter().map(|o| o.parse().unwrap()).collect();
        Document::new("tiny.toml".into(), text, &overrides).read::<Model>("tiny".into())
    }

    #[test]
    fn overrides_replace_fields() {
        let model = read(
            TINY,
            &["decoder.layers=3", "architecture.positional=rotary"],
        )
        .unwrap();
        let arch = model.architecture("test").unwrap();
        assert_eq!(arch.decoder.as_ref().unwrap().layers, 3);
        assert_eq!(
            arch.positional,
            crate::domain::model::spec::Positional::Rotary
        );
    }

    #[test]
    fn errors_point_at_the_file() {
        let text = TINY.replacen("heads = 4", "heads = 5", 1);
        let Err(Error::Preset { location, message }) = read(&text, &[]) else {
            panic!("expected a located error");
        };
        assert_eq!((location.line, location.column), (15, 9));
        assert!(
            message.contains("does not divide architecture.d_model = 64"),
            "{message}"
        );
        let text = TINY.replacen("ffn = 256", "fnn = 256", 1);
        let Err(Error::Preset { location, message }) = read(&text, &[]) else {
            panic!("expected a located error");
        };
        assert_eq!((location.line, location.column), (16, 1));
        assert!(message.contains("unknown field `fnn`"), "{message}");
    }

    #[test]
    fn errors_point_at_the_override() {
        let Err(Error::Preset { location, message }) = read(TINY, &["decoder.heads=0"]) else {
            panic!("expected a located error");
        };
        assert_eq!(location.origin, "--set decoder.heads=0");
        assert!(message.contains("out of range"), "{message}");
        let Err(Error::Preset { location, .. }) = read(TINY, &["decoder.ffn=big"]) else {
            panic!("expected a located error");
        };
        assert_eq!(location.origin, "--set decoder.ffn=big");
    }
}
