//! `llmcalc params`.

use crate::catalog::Catalog;
use clap::Args;

use super::ModelArgs;
use crate::app;
use crate::error::Result;
use crate::render::{self, Output};

/// Count a model's parameters, part by part, and set them against its published counts.
#[derive(Args)]
#[command(
    after_help = "Examples:\n  llmcalc params llama-2-70b\n  llmcalc params mixtral-8x7b --format json\n  llmcalc params llama-2-7b --set decoder.layers=40\n  llmcalc params ./my-model.toml\n  llmcalc params mixtral-8x7b --explain"
)]
pub struct ParamsArgs {
    #[command(flatten)]
    model: ModelArgs,

    /// Print each part's formula with its numbers and source
    #[arg(long)]
    explain: bool,
}

impl ParamsArgs {
    pub fn run(self, catalog: &Catalog, format: Output) -> Result<String> {
        let result = app::params::params(&self.model.load(catalog)?)?;
        render::render(&result, |r| r.report(self.explain), format)
    }
}
