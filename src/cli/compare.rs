//! `llmcalc compare`.

use crate::app::predict::Workload;
use crate::catalog::Catalog;
use std::path::PathBuf;

use clap::Args;

use super::values::{
    count, counts, fractions, gpu_counts, gpu_price, parse, precision, price_basis, pue,
};
use super::{Answer, ModelArgs, write_chart};
use crate::app::{
    self,
    compare::{CompareRequest, Fixed},
};
use crate::domain::claims::{Days, Measure};
use crate::domain::hardware::{Precision, PriceKind};
use crate::domain::units::{Bounds, MoneyRate, Time};
use crate::error::{Error, Input, Result};
use crate::render::{self, Output};

/// Price one training run on several GPU types, cheapest first: GPUs needed (or days), GPU-hours,
/// cost, energy, cost per trillion tokens, and whether the training state fits.
#[derive(Args)]
#[command(
    allow_negative_numbers = true,
    after_help = "Examples:\n  llmcalc compare llama-3.1-70b --tokens 15T --gpu h100,h200,b200,mi300x,a100-80gb --days 90\n  llmcalc compare llama-2-70b --gpu h100,a100-80gb --gpus 2048 --mfu 0.4 --price 'h100=$2.49/h' --price 'a100-80gb=$1.49/h'\n  llmcalc compare gpt-4 --gpu a100-40gb,a100-80gb,h100,h800 --days 90 --price-basis neocloud-on-demand\n  llmcalc compare llama-2-70b --gpu h100,a100-80gb --gpus 2048 --mfu 0.4 --explain"
)]
pub struct CompareArgs {
    #[command(flatten)]
    model: ModelArgs,

    /// Training tokens [default: the model's claimed training tokens]
    #[arg(long, value_name = "N", value_parser = counts)]
    tokens: Option<Bounds<f64>>,

    /// GPU presets to compare, comma-separated: `h100,h200,b200`
    #[arg(long, value_name = "GPU,...", value_delimiter = ',', required = true)]
    gpu: Vec<String>,

    /// Fix the wall-clock duration and solve the GPUs: `90` (days), `12 weeks`
    #[arg(long, value_name = "TIME", value_parser = parse::<Time>(Some(Days::bare())), group = "fixed")]
    days: Option<Bounds<Time>>,

    /// Fix the GPU count and solve the duration
    #[arg(long, value_name = "N", value_parser = gpu_counts, group = "fixed")]
    gpus: Option<Bounds<f64>>,

    /// Model FLOPs utilisation for every GPU type [default: each GPU's predicted MFU, that of the
    /// best layout `llmcalc plan` finds for it]
    #[arg(long, value_name = "FRACTION", value_parser = fractions)]
    mfu: Option<Bounds<f64>>,

    /// Tokens per optimizer step of the predicted layouts [default: 4M]
    #[arg(long, value_name = "N", value_parser = count)]
    global_batch_tokens: Option<f64>,

    /// A price for one GPU type, repeatable: `h100=$2.49/h`
    #[arg(long = "price", value_name = "GPU=PRICE", value_parser = gpu_price)]
    prices: Vec<(String, Bounds<MoneyRate>)>,

    /// Price every GPU on one kind of preset price: hyperscaler-on-demand, neocloud-on-demand,
    /// reserved or claim (with the model's claimed price on its claimed GPU); a GPU whose preset lists
    /// none of that kind is left unpriced, and named [default: each GPU preset's first price]
    #[arg(long, value_name = "KIND", value_parser = price_basis)]
    price_basis: Option<PriceKind>,

    /// Precision whose dense peak every GPU is measured against [default: bf16, or fp16 where a GPU
    /// has no bf16]
    #[arg(long, value_name = "PRECISION", value_parser = precision)]
    precision: Option<Precision>,

    /// Power usage effectiveness of the data centre
    #[arg(long, value_name = "RATIO", default_value_t = 1.0, value_parser = pue)]
    pue: f64,

    /// Also draw the result as an SVG chart into FILE
    #[arg(long, value_name = "FILE.svg")]
    chart: Option<PathBuf>,

    /// Print each GPU's relations with their numbers and sources
    #[arg(long)]
    explain: bool,
}

impl CompareArgs {
    pub fn run(self, catalog: &Catalog, format: Output) -> Result<Answer> {
        let fixed = match (self.days, self.gpus) {
            (Some(days), None) => Fixed::Duration(days),
            (None, Some(gpus)) => Fixed::Gpus(gpus),
            // clap lets through at most one.
            _ => {
                return Err(Error::Invalid {
                    input: Input::Duration,
                    message: "give one of --days (GPUs are solved) or --gpus (days are solved)"
                        .into(),
                });
            }
        };
        let request = CompareRequest {
            model: self.model.load(catalog)?,
            tokens: self.tokens,
            gpus: self
                .gpu
                .iter()
                .map(|name| catalog.gpu(name))
                .collect::<Result<_>>()?,
            fixed,
            mfu: self.mfu,
            workload: Workload {
                precision: self.precision,
                seq_len: None,
                batch_tokens: self.global_batch_tokens,
            },
            prices: self
                .prices
                .iter()
                .map(|(name, price)| Ok((catalog.gpu(name)?, *price)))
                .collect::<Result<_>>()?,
            price_basis: self.price_basis,
            precision: self.precision,
            pue: self.pue,
        };
        let result = app::compare::compare(&request)?;
        // The chart needs a bar: with no GPU type holding the model there is none to draw.
        if !result.rows.is_empty() {
            write_chart(self.chart.as_deref(), || render::chart::compare(&result))?;
        }
        let none = result
            .rows
            .iter()
            .all(|row| !row.impossible.is_empty())
            .then(|| {
                "no GPU type can run this: each holds no layout or has an impossible term"
                    .to_string()
            });
        Ok(Answer::new(
            render::render(&result, |r| r.report(self.explain), format)?,
            none,
        ))
    }
}
