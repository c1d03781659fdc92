//! `llmcalc train`.

use crate::catalog::Catalog;
use clap::Args;

use super::values::{
    choice, count, counts, fraction, fractions, gpu_counts, parse, precision, price_basis, pue,
    tokens,
};
use super::{Answer, load_model};
use crate::app::{self, train::TrainRequest};
use crate::catalog::presets::Override;
use crate::domain::claims::{Days, Measure, UsdPerHour};
use crate::domain::hardware::{Precision, PriceKind};
use crate::domain::model::flops::{Masking, Recompute};
use crate::domain::units::{Bounds, Compute, Money, MoneyRate, Time};
use crate::error::Result;
use crate::render::{self, Output};

/// Solve a training run: compute, GPUs, MFU, wall-clock, GPU-hours, cost and energy. Give three of
/// compute (MODEL with --tokens, or --flops), --gpus, --mfu and --days — or --budget or
/// --gpu-hours with two of them — and the rest is solved; with a MODEL and no --mfu, the MFU of the
/// best layout `llmcalc plan` finds is predicted and shown (and used where the run needs one). Any
/// figure may be a range (`0.32..0.36`).
#[derive(Args)]
#[command(
    allow_negative_numbers = true,
    after_help = "Examples:\n  llmcalc train gpt-4\n  llmcalc train gpt-4 --tokens 13T --gpu a100-40gb --gpus 25000 --mfu 0.32..0.36 --price '$1/h'\n  llmcalc train --flops 2.15e25 --gpu h100 --gpus 8192 --days 55 --price '$2/h'\n  llmcalc train llama-2-70b --gpu a100-80gb --gpu-hours 1720320\n  llmcalc train llama-3.1-8b --tokens 15T --gpu h100 --days 30 --mfu 0.4 --explain\n  llmcalc train llama-3.1-70b --tokens 15T --gpu h100 --gpus 2048\n  llmcalc train llama-3.1-70b --tokens 15T --gpu h100 --gpus 2048 --price-basis neocloud-on-demand"
)]
pub struct TrainArgs {
    /// A model preset name or TOML file; optional with --flops
    #[arg(value_name = "MODEL")]
    model: Option<String>,

    /// Override a preset field of the model, as TOML
    #[arg(long = "set", value_name = "KEY=VALUE")]
    overrides: Vec<Override>,

    /// Total training compute in place of MODEL and --tokens: `2.15e25`, `2.15e25 FLOP`
    #[arg(long, value_name = "FLOP", value_parser = parse::<Compute>(None))]
    flops: Option<Bounds<Compute>>,

    /// Training tokens: `13T`, `2T` [default: the model's claimed training tokens]
    #[arg(long, value_name = "N", value_parser = counts)]
    tokens: Option<Bounds<f64>>,

    /// GPU preset (`llmcalc gpus`) or TOML file [default: the GPU of the model's claimed run]
    #[arg(long, value_name = "GPU")]
    gpu: Option<String>,

    /// Number of GPUs: `25000`, `8000..8192`
    #[arg(long, value_name = "N", value_parser = gpu_counts)]
    gpus: Option<Bounds<f64>>,

    /// Model FLOPs utilisation: `0.34`, `34%`, `0.32..0.36` [default: the preset's claim, else the
    /// predicted MFU where the run needs one]
    #[arg(long, value_name = "FRACTION", value_parser = fractions)]
    mfu: Option<Bounds<f64>>,

    /// Tokens per optimizer step of the layout the MFU is predicted for [default: 4M]
    #[arg(long, value_name = "N", value_parser = count)]
    global_batch_tokens: Option<f64>,

    /// Wall-clock duration: `90` (days), `90..100`, `55d`, `12h`, `6 weeks`
    #[arg(long, value_name = "TIME", value_parser = parse::<Time>(Some(Days::bare())))]
    days: Option<Bounds<Time>>,

    /// GPU-hours in place of --gpus and --days: `1720320`, `1.72M`
    #[arg(long, value_name = "N", value_parser = counts)]
    gpu_hours: Option<Bounds<f64>>,

    /// A budget, which with the price fixes the GPU-hours: `$10M`
    #[arg(long, value_name = "USD", value_parser = parse::<Money>(None))]
    budget: Option<Bounds<Money>>,

    /// Price per GPU-hour: `$2/h`, `$2.50/GPU-hour` [default: on the claimed run, the model's claimed
    /// price; else the GPU preset's first price]
    #[arg(long, value_name = "PRICE", value_parser = parse::<MoneyRate>(Some(UsdPerHour::bare())))]
    price: Option<Bounds<MoneyRate>>,

    /// Which kind of GPU preset price to use: hyperscaler-on-demand, neocloud-on-demand, reserved or
    /// claim (the model's claimed price on the claimed run, else the GPU preset's claim)
    #[arg(long, value_name = "KIND", value_parser = price_basis)]
    price_basis: Option<PriceKind>,

    /// Precision whose dense peak the MFU is measured against [default: bf16, or fp16 where the GPU
    /// has no bf16]
    #[arg(long, value_name = "PRECISION", value_parser = precision)]
    precision: Option<Precision>,

    /// Power usage effectiveness of the data centre; 1 counts the GPUs' board power alone
    #[arg(long, value_name = "RATIO", default_value_t = 1.0, value_parser = pue)]
    pue: f64,

    /// When compute, GPUs, MFU and duration are all given (a published run), how far apart they may
    /// be and still agree, as `audit` allows
    #[arg(long, value_name = "FRACTION", default_value = "10%", value_parser = fraction)]
    tolerance: f64,

    #[command(flatten)]
    counting: Counting,

    /// Print each formula with its numbers and source
    #[arg(long)]
    explain: bool,
}

/// How the FLOPs per token of a run are counted.
#[derive(Args)]
pub struct Counting {
    /// Tokens per sequence [default: the model's context]
    #[arg(long, value_name = "N", value_parser = tokens)]
    pub seq_len: Option<u64>,

    /// How attention over the context is counted (see `llmcalc flops --help`)
    #[arg(long, value_enum, default_value_t = Masking::Full, value_parser = choice::<Masking>())]
    pub attention: Masking,

    /// Activation recompute, counted in the hardware FLOPs and the HFU
    #[arg(long, value_enum, default_value_t = Recompute::None, value_parser = choice::<Recompute>())]
    pub recompute: Recompute,
}

impl TrainArgs {
    pub fn run(self, catalog: &Catalog, format: Output) -> Result<Answer> {
        let model = self
            .model
            .as_deref()
            .map(|name| load_model(catalog, name, &self.overrides))
            .transpose()?;
        // The GPU asked for, else the one the model's claims name.
        let gpu = match (&self.gpu, &model) {
            (Some(name), _) => Some(catalog.gpu(name)?),
            (None, Some(model)) => catalog.claimed_gpu(model)?,
            (None, None) => None,
        };
        let request = TrainRequest {
            model,
            flops: self.flops,
            tokens: self.tokens,
            gpu,
            precision: self.precision,
            gpus: self.gpus,
            mfu: self.mfu,
            batch_tokens: self.global_batch_tokens,
            duration: self.days,
            gpu_hours: self.gpu_hours,
            budget: self.budget,
            price: self.price,
            price_basis: self.price_basis,
            pue: self.pue,
            seq_len: self.counting.seq_len,
            masking: Some(self.counting.attention),
            recompute: Some(self.counting.recompute),
            tolerance: self.tolerance,
        };
        let result = app::train::train(&request)?;
        let none = (!result.impossible.is_empty())
            .then(|| "the run cannot be: see the lines marked `impossible`".to_string());
        let text = render::render(&result, |r| r.report(self.explain), format)?;
        Ok(Answer::new(text, none))
    }
}
