//! `llmcalc import`.

use clap::Args;

use crate::catalog::presets;
use crate::error::{Error, Result};
use crate::render::{Format, Output};

/// Convert a Hugging Face config.json (or a folder holding one) into a preset, printed as TOML to keep
/// and edit. Fields not read and anything the preset cannot express are listed in its notes.
#[derive(Args)]
#[command(
    after_help = "Examples:\n  llmcalc import ./Llama-2-7b-hf/config.json > llama-2-7b.toml\n  llmcalc import ./mixtral-8x7b/\n  llmcalc params ./Llama-2-7b-hf/config.json"
)]
pub struct ImportArgs {
    /// The config.json, or a folder holding one
    #[arg(value_name = "CONFIG")]
    config: String,
}

impl ImportArgs {
    /// The preset as TOML; what it cannot express goes to standard error as warnings. A preset is TOML
    /// only: any other `--format` is refused rather than ignored.
    pub fn run(self, format: Output) -> Result<String> {
        if format.format != Format::Table {
            return Err(Error::Argument {
                argument: "--format".into(),
                message: "import prints a preset, which is TOML; leave --format out".into(),
            });
        }
        let path = presets::config_path(&self.config).unwrap_or_else(|| self.config.clone().into());
        let (_, imported) = presets::import_config(&path)?;
        for warning in &imported.warnings {
            eprintln!("warning: {warning}");
        }
        Ok(imported.toml)
    }
}
