//! Presets and files: the built-in presets, the user's folder, `--set` overrides and Hugging Face
//! configs. The only layer that reads files or the environment.
//!
//! A [`Catalog`] is the set of presets a name can mean: the built-in ones, and the `.toml` files of one
//! user folder, listed once when the catalog is made. Nothing here is global: two catalogs with
//! different folders resolve the same name differently, and one made with [`Catalog::builtin`] depends
//! on nothing outside the binary.

pub mod import;
pub mod limits;
pub mod presets;
pub mod workload;

use std::path::{Path, PathBuf};

pub use presets::{Origin, Override, Preset};

use crate::domain::hardware::Gpu;
use crate::domain::model::Model;
use crate::error::{Error, Result};

/// A `.toml` file in the user's folder.
#[derive(Clone, Debug)]
struct UserFile {
    /// The kind's folder: [`Preset::FOLDER`].
    folder: &'static str,
    /// The file's stem: the preset's name.
    stem: String,
    path: PathBuf,
}

/// The presets a name can mean: the built-in ones, and those of the user's folder when there is one.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    /// The user's preset files of every kind, listed once.
    user_files: Vec<UserFile>,
}

impl Catalog {
    /// The built-in presets alone.
    pub fn builtin() -> Self {
        Catalog::default()
    }

    /// The built-in presets and those in `dir` (`models/*.toml`, `gpus/*.toml`); a user preset with a
    /// built-in's name replaces it. A folder that does not exist holds no presets.
    pub fn with_user_dir(dir: Option<PathBuf>) -> Self {
        let user_files = dir
            .map(|dir| {
                [Model::FOLDER, Gpu::FOLDER]
                    .into_iter()
                    .flat_map(|folder| toml_files(&dir, folder))
                    .collect()
            })
            .unwrap_or_default();
        Catalog { user_files }
    }

    /// The user preset folder: `flag` (the `--presets` argument) if given, else `$LLMCALC_PRESETS`, else
    /// `$XDG_CONFIG_HOME/llmcalc`, else `~/.config/llmcalc`. The only place llmcalc reads these.
    pub fn user_dir_from_env(flag: Option<PathBuf>) -> Option<PathBuf> {
        let var = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        flag.or_else(|| var("LLMCALC_PRESETS"))
            .or_else(|| var("XDG_CONFIG_HOME").map(|d| d.join("llmcalc")))
            .or_else(|| var("HOME").map(|h| h.join(".config").join("llmcalc")))
    }

    /// The user's files of a kind.
    fn user_files<P: Preset>(&self) -> impl Iterator<Item = &UserFile> {
        self.user_files.iter().filter(|f| f.folder == P::FOLDER)
    }

    /// Loads a preset: the user's by name (case-insensitive), a built-in one by name or alias, or a
    /// TOML file by path; then applies the overrides.
    pub fn load<P: Preset>(&self, reference: &str, overrides: &[Override]) -> Result<P> {
        let wanted = reference.to_lowercase();
        let files: Vec<&UserFile> = self
            .user_files::<P>()
            .filter(|f| f.stem.eq_ignore_ascii_case(&wanted))
            .collect();
        match files[..] {
            [] => {}
            [file] => return presets::read_file(&file.path, overrides, wanted),
            [first, ..] => {
                let names: Vec<String> =
                    files.iter().map(|f| format!("`{}.toml`", f.stem)).collect();
                return Err(Error::PresetFile {
                    origin: first
                        .path
                        .parent()
                        .unwrap_or(&first.path)
                        .display()
                        .to_string(),
                    message: format!(
                        "{} {} name the {} `{wanted}` (names are read in any case); rename or remove all but one",
                        names.join(" and "),
                        if names.len() == 2 { "both" } else { "all" },
                        P::KIND
                    ),
                });
            }
        }
        if let Some(preset) = presets::builtin(&wanted, overrides) {
            return preset;
        }
        let path = Path::new(reference);
        let looks_like_path = reference.contains(['/', '\\']) || reference.ends_with(".toml");
        if path.is_file() || looks_like_path {
            return presets::read_file(path, overrides, reference.to_string());
        }
        let variants = self.variants::<P>(&wanted);
        if let [only] = &variants[..] {
            return self.load(only, overrides);
        }
        Err(Error::UnknownPreset {
            kind: P::KIND,
            name: reference.to_string(),
            suggestions: if variants.is_empty() {
                self.suggest::<P>(reference)
            } else {
                variants
            },
            list: P::LIST,
        })
    }

    /// The presets a family name stands for: those whose name or alias starts with `wanted` followed
    /// by a separator or a letter (`a100` → `a100-40gb`, `a100-80gb`; `mi300` → `mi300x`), each once.
    fn variants<P: Preset>(&self, wanted: &str) -> Vec<String> {
        let extends = |name: &str| {
            name.strip_prefix(wanted).is_some_and(|rest| {
                rest.starts_with(['-', '_']) || rest.starts_with(char::is_alphabetic)
            })
        };
        let mut found: Vec<String> = self
            .list::<P>()
            .into_iter()
            .map(|(name, _)| name)
            .filter(|name| extends(name))
            .chain(
                P::ALIASES
                    .iter()
                    .filter(|(alias, _)| extends(alias))
                    .map(|(_, name)| name.to_string()),
            )
            .collect();
        found.sort();
        found.dedup();
        found
    }

    /// Loads a model preset, as [`Catalog::load`] does, or a Hugging Face `config.json` (or a folder
    /// holding one), imported and then read like any preset file.
    pub fn model(&self, reference: &str, overrides: &[Override]) -> Result<Model> {
        match presets::config_path(reference) {
            Some(path) => presets::read_config(&path, overrides),
            None => self.load(reference, overrides),
        }
    }

    /// Loads a GPU preset by name, alias or path; see [`Catalog::load`].
    pub fn gpu(&self, reference: &str) -> Result<Gpu> {
        self.load(reference, &[])
    }

    /// The GPU preset a model's claims name (`claims.gpu`), if they name one.
    pub fn claimed_gpu(&self, model: &Model) -> Result<Option<Gpu>> {
        model.claims.gpu.as_deref().map(|g| self.gpu(g)).transpose()
    }

    /// Every preset name of a kind — built-in and the user's — sorted, with where each comes from.
    pub fn list<P: Preset>(&self) -> Vec<(String, Origin)> {
        let mut list: Vec<(String, Origin)> = presets::names::<P>()
            .map(|n| (n.to_string(), Origin::BuiltIn))
            .collect();
        for file in self.user_files::<P>() {
            let name = file.stem.to_lowercase();
            match list.iter_mut().find(|(n, _)| *n == name) {
                Some(entry) if entry.1 == Origin::BuiltIn => entry.1 = Origin::UserOverridesBuiltIn,
                // Another user file of the same name in another case: loading it says so.
                Some(_) => {}
                None => list.push((name, Origin::User)),
            }
        }
        list.sort_by(|a, b| a.0.cmp(&b.0));
        list
    }

    /// Every preset of a kind, loaded, sorted by name, with where each comes from.
    pub fn all<P: Preset>(&self) -> Result<Vec<(P, Origin)>> {
        self.list::<P>()
            .into_iter()
            .map(|(name, origin)| Ok((self.load(&name, &[])?, origin)))
            .collect()
    }

    /// Every model preset; see [`Catalog::all`].
    pub fn models(&self) -> Result<Vec<(Model, Origin)>> {
        self.all()
    }

    /// Every GPU preset; see [`Catalog::all`].
    pub fn gpus(&self) -> Result<Vec<(Gpu, Origin)>> {
        self.all()
    }

    /// Up to three preset names (or aliases) of a kind close to `wanted`.
    pub fn suggest<P: Preset>(&self, wanted: &str) -> Vec<String> {
        let listed = self.list::<P>();
        let candidates = listed
            .iter()
            .map(|(n, _)| n.as_str())
            .chain(P::ALIASES.iter().map(|(alias, _)| *alias));
        presets::closest(wanted, candidates)
    }
}

/// The `.toml` files in `dir/folder`, with their stems; none if the folder cannot be read.
fn toml_files(dir: &Path, folder: &'static str) -> Vec<UserFile> {
    let mut files: Vec<UserFile> = std::fs::read_dir(dir.join(folder))
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let stem = path.file_stem()?.to_str()?.to_string();
            (path.extension()? == "toml" && path.is_file()).then_some(UserFile {
                folder,
                stem,
                path,
            })
        })
        .collect();
    files.sort_by(|a, b| a.stem.cmp(&b.stem));
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder of its own under the system's temporary folder, removed when dropped.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> Self {
            let dir = std::env::temp_dir().join(format!("llmcalc-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn total_params(model: &Model) -> u64 {
        let arch = model.architecture("test").unwrap();
        crate::domain::model::params::count(&model.id, arch)
            .unwrap()
            .total_params
    }

    #[test]
    fn a_user_folder_overrides_only_in_its_catalog() {
        let dir = TempDir::new("user-presets");
        std::fs::create_dir_all(dir.0.join("models")).unwrap();
        std::fs::write(
            dir.0.join("models").join("llama-2-7b.toml"),
            include_str!("../../tests/fixtures/tiny.toml"),
        )
        .unwrap();
        let user = Catalog::with_user_dir(Some(dir.0.clone()));
        let builtin = Catalog::builtin();
        let mine = user.model("llama-2-7b", &[]).unwrap();
        let published = builtin.model("llama-2-7b", &[]).unwrap();
        assert_eq!(mine.name, "Tiny");
        assert_eq!(published.name, "Llama 2 7B");
        assert!(total_params(&mine) < 1_000_000);
        assert_eq!(total_params(&published), 6_738_415_616);
        let origin = |c: &Catalog| {
            c.list::<Model>()
                .into_iter()
                .find(|(n, _)| n == "llama-2-7b")
        };
        assert_eq!(origin(&user).unwrap().1, Origin::UserOverridesBuiltIn);
        assert_eq!(origin(&builtin).unwrap().1, Origin::BuiltIn);
    }

    #[test]
    fn two_user_files_of_one_name_in_different_cases_are_refused_by_name() {
        let dir = TempDir::new("user-presets-case");
        let models = dir.0.join("models");
        std::fs::create_dir_all(&models).unwrap();
        for stem in ["foo", "Foo"] {
            std::fs::write(
                models.join(format!("{stem}.toml")),
                include_str!("../../tests/fixtures/tiny.toml"),
            )
            .unwrap();
        }
        let user = Catalog::with_user_dir(Some(dir.0.clone()));
        let listed: Vec<_> = user
            .list::<Model>()
            .into_iter()
            .filter(|(n, _)| n == "foo")
            .collect();
        assert_eq!(listed, [("foo".to_string(), Origin::User)]);
        for name in ["foo", "FOO"] {
            let err = user.model(name, &[]).unwrap_err().to_string();
            assert!(
                err.contains("`Foo.toml` and `foo.toml` both name the model `foo`"),
                "{err}"
            );
        }
        assert!(user.models().is_err());
    }

    #[test]
    fn a_family_name_resolves_to_its_one_preset_or_lists_its_variants() {
        let catalog = Catalog::builtin();
        assert_eq!(catalog.gpu("mi300").unwrap().id, "mi300x");
        assert_eq!(catalog.gpu("MI355").unwrap().id, "mi355x");
        for (family, variants) in [
            ("a100", "`a100-40gb`, `a100-80gb`"),
            ("a100-sxm", "`a100-40gb`, `a100-80gb`"),
        ] {
            let err = catalog.gpu(family).unwrap_err().to_string();
            assert!(
                err.contains(&format!("did you mean one of {variants}?")),
                "{err}"
            );
        }
        // A name that is a preset is that preset, not a family.
        assert_eq!(catalog.gpu("h100").unwrap().id, "h100");
    }

    #[test]
    fn names_resolve_by_alias_and_suggest_the_closest() {
        let catalog = Catalog::builtin();
        assert_eq!(catalog.gpu("H100").unwrap().id, "h100");
        let Err(Error::UnknownPreset { suggestions, .. }) = catalog.gpu("h10") else {
            panic!("expected an unknown preset");
        };
        assert!(suggestions.contains(&"h100".to_string()), "{suggestions:?}");
        assert_eq!(catalog.suggest::<Model>("gpt4")[0], "gpt-4");
    }
}
