//! `llmcalc mfu`.

use crate::catalog::Catalog;
use clap::Args;

use super::ModelArgs;
use super::train::Counting;
use super::values::{count, gpu_count, precision, single};
use crate::app::{
    self,
    mfu::{MfuRequest, Throughput},
};
use crate::domain::hardware::Precision;
use crate::domain::units::Time;
use crate::error::{Error, Input, Result};
use crate::render::{self, Output};

/// MFU and HFU from an observed throughput: tokens/s (all GPUs or per GPU) or a step time with its
/// batch, with PaLM's definition (attention included) and the attention-free variant beside it.
#[derive(Args)]
#[command(
    allow_negative_numbers = true,
    after_help = "Examples:\n  llmcalc mfu palm-540b --gpu tpu-v4 --gpus 6144 --tokens-per-second 238.3k --seq-len 2048\n  llmcalc mfu llama-2-7b --gpu a100-80gb --gpus 64 --step-time 18s --batch-tokens 4M"
)]
pub struct MfuArgs {
    #[command(flatten)]
    model: ModelArgs,

    /// GPU preset or TOML file
    #[arg(long, value_name = "GPU")]
    gpu: String,

    /// Number of GPUs
    #[arg(long, value_name = "N", value_parser = gpu_count)]
    gpus: f64,

    /// Observed tokens per second over all GPUs
    #[arg(long, value_name = "N", value_parser = count, group = "throughput")]
    tokens_per_second: Option<f64>,

    /// Observed tokens per second per GPU
    #[arg(long, value_name = "N", value_parser = count, group = "throughput")]
    tokens_per_second_per_gpu: Option<f64>,

    /// Time of one optimizer step (with --batch-tokens): `4.2s`, `850ms`; a bare number is seconds
    #[arg(long, value_name = "TIME", value_parser = single::<Time>(Some(1.0)), group = "throughput", requires = "batch_tokens")]
    step_time: Option<Time>,

    /// Tokens in one global batch (with --step-time): `4M`
    #[arg(long, value_name = "N", value_parser = count, requires = "step_time")]
    batch_tokens: Option<f64>,

    /// Precision whose dense peak is used [default: bf16, or fp16 where the GPU has no bf16]
    #[arg(long, value_name = "PRECISION", value_parser = precision)]
    precision: Option<Precision>,

    #[command(flatten)]
    counting: Counting,

    /// Print each formula with its numbers and source
    #[arg(long)]
    explain: bool,
}

impl MfuArgs {
    pub fn run(self, catalog: &Catalog, format: Output) -> Result<String> {
        let request = MfuRequest {
            throughput: self.throughput()?,
            model: self.model.load(catalog)?,
            gpu: catalog.gpu(&self.gpu)?,
            gpus: self.gpus,
            precision: self.precision,
            seq_len: self.counting.seq_len,
            masking: self.counting.attention,
            recompute: self.counting.recompute,
        };
        let result = app::mfu::mfu(&request)?;
        render::render(&result, |r| r.report(self.explain), format)
    }

    /// The one throughput given (clap lets through at most one).
    fn throughput(&self) -> Result<Throughput> {
        match (
            self.tokens_per_second,
            self.tokens_per_second_per_gpu,
            self.step_time,
            self.batch_tokens,
        ) {
            (Some(t), _, _, _) => Ok(Throughput::Total(t)),
            (_, Some(t), _, _) => Ok(Throughput::PerGpu(t)),
            (_, _, Some(step), Some(batch_tokens)) => Ok(Throughput::Step { step, batch_tokens }),
            _ => Err(Error::Invalid {
                input: Input::Throughput,
                message: "give one (--step-time with --batch-tokens)".into(),
            }),
        }
    }
}
