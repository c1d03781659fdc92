//! Presets and files: the built-in presets, the user's folder, `--set` overrides and Hugging Face
//! configs. The only layer that reads files or the environment.

pub mod import;
pub mod presets;
