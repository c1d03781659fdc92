//! `llmcalc memory`, and the arguments it shares with `llmcalc plan`.

use crate::catalog::Catalog;
use clap::Args;

use super::values::{choice, count, fraction, precision, reserve, share, single, tokens, whole};
use super::{Answer, ModelArgs};
use crate::app::{
    self,
    memory::{Setup, SetupRequest},
};
use crate::domain::hardware::Precision;
use crate::domain::kernels::AttentionKernel;
use crate::domain::memory::{Layout, Optimizer, Reserve};
use crate::domain::model::Model;
use crate::domain::model::flops::Recompute;
use crate::domain::parallel::{Pins, TrainingOptions};
use crate::domain::units::Bandwidth;
use crate::error::Result;
use crate::render::{self, Output};

/// What `memory` and `plan` share: the model, the GPU, the batch and the cost model's assumptions.
#[derive(Args)]
pub struct SetupArgs {
    #[command(flatten)]
    pub model: ModelArgs,

    /// GPU preset or TOML file
    #[arg(long, value_name = "GPU")]
    gpu: String,

    /// Number of GPUs
    #[arg(long, value_name = "N", value_parser = whole)]
    gpus: u64,

    /// Tokens per sequence [default: the model's context]
    #[arg(long, value_name = "N", value_parser = tokens)]
    seq_len: Option<u64>,

    /// Tokens per optimizer step over all replicas [default: 4M, Llama 2's batch]
    #[arg(long, value_name = "N", value_parser = count)]
    global_batch_tokens: Option<f64>,

    /// Optimizer, for its state per parameter (Adam 12 bytes, 8-bit Adam 6, SGD with momentum 8)
    #[arg(long, value_enum, default_value_t = Optimizer::Adam, value_parser = choice::<Optimizer>())]
    optimizer: Optimizer,

    /// Training precision: bf16, or fp8 (1-byte weight copies, the fp8 peak)
    #[arg(long, value_name = "PRECISION", value_parser = precision)]
    precision: Option<Precision>,

    /// Memory kept free for the framework, communication buffers and fragmentation: `10%` or `4GiB`
    #[arg(long, value_name = "AMOUNT", default_value = "10%", value_parser = reserve)]
    reserve: Reserve,

    /// Fraction of the dense peak large matrix products reach (plan's step-time model) [default: the
    /// calibrated figure]
    #[arg(long, value_name = "FRACTION", value_parser = fraction)]
    kernel_efficiency: Option<f64>,

    /// Scale-out bandwidth per GPU, one direction (plan's step-time model) [default: the GPU preset's,
    /// else 400 Gb/s]
    #[arg(long, value_name = "BANDWIDTH", value_parser = single::<Bandwidth>(None))]
    network: Option<Bandwidth>,

    /// Share of the data-parallel traffic hidden behind the backward pass
    #[arg(long, value_name = "FRACTION", default_value = "0", value_parser = share)]
    dp_overlap: f64,

    /// Share of the tensor-parallel traffic hidden behind the matrix products (communication-
    /// overlapping kernels, async TP); 0 is Megatron-LM's default
    #[arg(long, value_name = "FRACTION", default_value = "0", value_parser = share)]
    tp_overlap: f64,

    /// The fused-attention kernel the framework runs (plan's step-time model)
    #[arg(long, value_enum, default_value = "fused", value_parser = choice::<AttentionKernel>())]
    attention_kernel: AttentionKernel,
}

impl SetupArgs {
    /// The shared setup for `model` (loaded once by the caller), and the GPU count.
    pub fn setup(self, catalog: &Catalog, model: Model) -> Result<(Setup, u64)> {
        let request = SetupRequest {
            model,
            gpu: catalog.gpu(&self.gpu)?,
            options: TrainingOptions {
                seq_len: self.seq_len,
                global_batch_tokens: self.global_batch_tokens,
                optimizer: self.optimizer,
                precision: self.precision,
                reserve: self.reserve,
                kernel_efficiency: self.kernel_efficiency,
                network: self.network,
                dp_overlap: self.dp_overlap,
                tp_overlap: self.tp_overlap,
                attention_kernel: self.attention_kernel,
            },
        };
        Ok((app::memory::setup(&request)?, self.gpus))
    }
}

/// Memory per GPU of one training layout — weights, gradients, optimizer states (ZeRO), activations
/// (sequence parallelism, recompute, micro-batches in flight), reserve — and whether it fits.
#[derive(Args)]
#[command(
    allow_negative_numbers = true,
    after_help = "Examples:\n  llmcalc memory llama-2-70b --gpu a100-80gb --gpus 64 --tp 8 --pp 2 --zero 1 --sp --recompute selective\n  llmcalc memory llama-2-7b --gpu a100-80gb --gpus 8 --zero 1 --explain\n  llmcalc memory gpt-4 --gpu a100-40gb --gpus 24960 --tp 8 --pp 15 --zero 1 --seq-len 8192 --global-batch-tokens 60M\n  llmcalc memory llama-3.1-8b --gpu h100 --gpus 64 --zero 3 --replicate 8\n  llmcalc memory llama-3.1-405b --gpu h100 --gpus 8192 --tp 8 --pp 16 --sp --zero 1 --recompute full --recompute-layers 3 --global-batch-tokens 16777216"
)]
pub struct MemoryArgs {
    #[command(flatten)]
    setup: SetupArgs,

    #[command(flatten)]
    layout: LayoutArgs,

    /// Print each part of the worst stage's memory as a formula with its numbers and source
    #[arg(long)]
    explain: bool,
}

/// The dimensions of a layout. `memory` evaluates the one given (each dimension defaults to no split);
/// `plan` pins each one given and searches the others.
#[derive(Args)]
pub struct LayoutArgs {
    /// Tensor-parallel ranks [memory: 1; plan: searched]
    #[arg(long, value_name = "N", value_parser = whole)]
    tp: Option<u64>,

    /// Pipeline stages; need not divide the layers (stages then differ by one layer) [memory: 1;
    /// plan: searched]
    #[arg(long, value_name = "N", value_parser = whole)]
    pp: Option<u64>,

    /// Context-parallel ranks: each sequence split over them, attention over a ring [memory: 1;
    /// plan: searched where each rank keeps at least 4,096 tokens of a sequence]
    #[arg(long, value_name = "N", value_parser = whole)]
    cp: Option<u64>,

    /// Expert-parallel ranks, taken from the data- and context-parallel ranks [memory: 1; plan:
    /// searched]
    #[arg(long, value_name = "N", value_parser = whole)]
    ep: Option<u64>,

    /// Data-parallel replicas [default: the GPUs / (TP × CP × PP)]
    #[arg(long, value_name = "N", value_parser = whole)]
    dp: Option<u64>,

    /// Sequence parallelism alongside tensor parallelism [plan: searched when not given]
    #[arg(long)]
    sp: bool,

    /// ZeRO stage: 0, 1 (optimizer states), 2 (+ gradients), 3 (+ weights, as FSDP) [memory: 0; plan:
    /// searched]
    #[arg(long, value_name = "STAGE", value_parser = clap::value_parser!(u8).range(0..=3))]
    zero: Option<u8>,

    /// Activation recompute [memory: none; plan: searched]
    #[arg(long, value_enum, value_parser = choice::<Recompute>())]
    recompute: Option<Recompute>,

    /// Sequences per micro-batch [memory: 1; plan: searched]
    #[arg(long, value_name = "N", value_parser = whole)]
    micro_batch: Option<u64>,

    /// Model chunks per pipeline stage (interleaved 1F1B), at most the stage's layers [memory: 1;
    /// plan: searched among the divisors of a stage's layers]
    #[arg(long, value_name = "N", value_parser = whole)]
    interleave: Option<u64>,

    /// Hybrid sharding (HSDP): split the data- and context-parallel ranks into N replica groups, ZeRO
    /// sharding within each and one gradient all-reduce across them [memory: 1; plan: 1, or shards
    /// within one scale-up domain for ZeRO-3]
    #[arg(long, value_name = "N", value_parser = whole)]
    replicate: Option<u64>,

    /// With `--recompute full`, recompute only N of each stage's layers, keeping the others'
    /// activations [memory: all; plan: all, or the fewest that fit]
    #[arg(long, value_name = "N", value_parser = whole)]
    recompute_layers: Option<u64>,
}

impl LayoutArgs {
    /// The layout given, each dimension not given unsplit; DP is filled in from the GPU count.
    fn layout(&self) -> Layout {
        Layout {
            tp: self.tp.unwrap_or(1),
            cp: self.cp.unwrap_or(1),
            pp: self.pp.unwrap_or(1),
            ep: self.ep.unwrap_or(1),
            dp: self.dp.unwrap_or(0),
            sp: self.sp,
            zero: self.zero.unwrap_or(0),
            recompute: self.recompute.unwrap_or(Recompute::None),
            micro_batch: self.micro_batch.unwrap_or(1),
            interleave: self.interleave.unwrap_or(1),
            replicas: self.replicate.unwrap_or(1),
            recompute_layers: self.recompute_layers,
        }
    }

    /// The dimensions given, for the search to keep fixed.
    pub fn pins(&self) -> Pins {
        Pins {
            tp: self.tp,
            pp: self.pp,
            cp: self.cp,
            ep: self.ep,
            dp: self.dp,
            sp: self.sp.then_some(true),
            zero: self.zero,
            recompute: self.recompute,
            micro_batch: self.micro_batch,
            interleave: self.interleave,
            replicas: self.replicate,
            recompute_layers: self.recompute_layers,
        }
    }
}

impl MemoryArgs {
    pub fn run(self, catalog: &Catalog, format: Output) -> Result<Answer> {
        let model = self.setup.model.load(catalog)?;
        let (setup, gpus) = self.setup.setup(catalog, model)?;
        let layout = self.layout.layout();
        let result = app::memory::memory(&setup, gpus, layout)?;
        let none =
            (!result.fits).then(|| "the layout does not fit in the GPU's memory".to_string());
        Ok(Answer::new(
            render::render(&result, |r| r.report(self.explain), format)?,
            none,
        ))
    }
}
