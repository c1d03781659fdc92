//! `llmcalc audit`.

use crate::catalog::Catalog;
use clap::Args;

use super::ModelArgs;
use super::values::fraction;
use crate::app;
use crate::error::Result;
use crate::render::{self, Output};

/// Set every published figure of a preset against what llmcalc computes from the rest of it:
/// consistent, inconsistent, or off by a power of 1000 (a likely unit slip).
#[derive(Args)]
#[command(
    allow_negative_numbers = true,
    after_help = "Examples:\n  llmcalc audit gpt-4\n  llmcalc audit gpt-3 --tolerance 5%\n  llmcalc audit llama-2-70b --explain"
)]
pub struct AuditArgs {
    #[command(flatten)]
    model: ModelArgs,

    /// Relative difference a single published value may have and still be consistent
    #[arg(long, value_name = "FRACTION", default_value = "10%", value_parser = fraction)]
    tolerance: f64,

    /// Print how each claim is computed, with its numbers and source
    #[arg(long)]
    explain: bool,
}

impl AuditArgs {
    pub fn run(self, catalog: &Catalog, format: Output) -> Result<String> {
        let model = self.model.load(catalog)?;
        let claimed_gpu = catalog.claimed_gpu(&model)?;
        let result = app::audit::audit(&model, claimed_gpu.as_ref(), self.tolerance)?;
        render::render(&result, |r| r.report(self.explain), format)
    }
}
