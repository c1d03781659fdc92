//! `llmcalc chinchilla`.

use crate::catalog::Catalog;
use std::path::PathBuf;

use clap::Args;

use super::values::{count, single};
use super::{load_model, write_chart};
use crate::app::{self, chinchilla::ChinchillaRequest};
use crate::domain::units::Compute;
use crate::error::Result;
use crate::render::{self, Output};

/// Compute-optimal parameters and tokens under each published scaling-law fit (Chinchilla approach
/// 3, the Epoch AI replication, 20 tokens per parameter), with predicted losses; for a model, its
/// tokens per parameter and how far it is over-trained.
#[derive(Args)]
#[command(
    allow_negative_numbers = true,
    after_help = "Examples:\n  llmcalc chinchilla --budget 2.15e25\n  llmcalc chinchilla --params 70B\n  llmcalc chinchilla --tokens 1.4T\n  llmcalc chinchilla llama-3.1-8b\n  llmcalc chinchilla llama-2-70b --explain"
)]
pub struct ChinchillaArgs {
    /// A model preset or file, sized by its active parameters and claimed (or --tokens) tokens
    #[arg(value_name = "MODEL")]
    model: Option<String>,

    /// Compute budget: `2.15e25`, `5.76e23 FLOP`
    #[arg(long, value_name = "FLOP", value_parser = single::<Compute>(None))]
    budget: Option<Compute>,

    /// Parameters, whose compute-optimal budget and tokens are found
    #[arg(long, value_name = "N", value_parser = count)]
    params: Option<f64>,

    /// Tokens: alone, whose compute-optimal budget and size are found; with MODEL, its tokens
    #[arg(long, value_name = "N", value_parser = count)]
    tokens: Option<f64>,

    /// Also draw the loss over model size as an SVG chart into FILE
    #[arg(long, value_name = "FILE.svg")]
    chart: Option<PathBuf>,

    /// Print each fit's formulas with its constants, numbers and source
    #[arg(long)]
    explain: bool,
}

impl ChinchillaArgs {
    pub fn run(self, catalog: &Catalog, format: Output) -> Result<String> {
        let request = ChinchillaRequest {
            budget: self.budget,
            params: self.params,
            tokens: self.tokens,
            model: self
                .model
                .map(|m| load_model(catalog, &m, &[]))
                .transpose()?,
        };
        let result = app::chinchilla::chinchilla(&request)?;
        write_chart(self.chart.as_deref(), || render::chart::chinchilla(&result))?;
        render::render(&result, |r| r.report(self.explain), format)
    }
}
