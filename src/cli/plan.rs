//! `llmcalc plan`.

use crate::catalog::Catalog;
use std::path::PathBuf;

use clap::Args;

use super::memory::{LayoutArgs, SetupArgs};
use super::values::{count, price_basis, single, whole};
use super::{Answer, write_chart};
use crate::app;
use crate::domain::hardware::PriceKind;
use crate::domain::units::MoneyRate;
use crate::error::Result;
use crate::render::{self, Output};

/// Search every valid layout (TP, PP, DP, EP, SP, ZeRO, recompute, micro-batch, interleaving), keep
/// those that fit, and rank them by estimated step time, with MFU, training days and cost.
#[derive(Args)]
#[command(
    allow_negative_numbers = true,
    after_help = "Examples:\n  llmcalc plan llama-2-70b --gpu h100 --gpus 2048 --tokens 2T\n  llmcalc plan llama-2-7b --gpu h100 --gpus 64 --top 3 --explain\n  llmcalc plan gpt-4 --gpu a100-40gb --gpus 25000 --global-batch-tokens 60M --top 5\n  llmcalc plan llama-3.1-8b --gpu h100 --gpus 64 --top 3 --price-basis reserved\n  llmcalc plan llama-3.1-8b --gpu h100 --gpus 64 --top 3 --attention-kernel flash-attention-2"
)]
pub struct PlanArgs {
    #[command(flatten)]
    setup: SetupArgs,

    #[command(flatten)]
    layout: LayoutArgs,

    /// Training tokens, for days and cost [default: the model's claimed training tokens]
    #[arg(long, value_name = "N", value_parser = count)]
    tokens: Option<f64>,

    /// Price per GPU-hour [default: the GPU preset's first price]
    #[arg(long, value_name = "PRICE", value_parser = single::<MoneyRate>(Some(1.0 / 3600.0)))]
    price: Option<MoneyRate>,

    /// Which kind of GPU preset price to use: hyperscaler-on-demand, neocloud-on-demand, reserved or
    /// claim
    #[arg(long, value_name = "KIND", value_parser = price_basis, conflicts_with = "price")]
    price_basis: Option<PriceKind>,

    /// How many layouts to print
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = whole)]
    top: u64,

    /// Print the best layout's step time part by part, each with its numbers and source
    #[arg(long)]
    explain: bool,

    /// Also draw the result as an SVG chart into FILE
    #[arg(long, value_name = "FILE.svg")]
    chart: Option<PathBuf>,
}

impl PlanArgs {
    pub fn run(self, catalog: &Catalog, format: Output) -> Result<Answer> {
        let model = self.setup.model.load(catalog)?;
        let tokens = self
            .tokens
            .or_else(|| model.claims.training_tokens.map(|f| f.mid()));
        let (setup, gpus) = self.setup.setup(catalog, model)?;
        let result = app::plan::plan(
            &setup,
            gpus,
            tokens,
            (self.price, self.price_basis),
            &self.layout.pins(),
            self.top as usize,
        )?;
        write_chart(self.chart.as_deref(), || render::chart::plan(&result))?;
        let none = (result.fitting == 0).then(|| {
            format!(
                "no layout of {} fits the model and batch in memory",
                render::counted(gpus, "GPU", "GPUs")
            )
        });
        Ok(Answer::new(
            render::render(&result, |r| r.report(self.explain), format)?,
            none,
        ))
    }
}
