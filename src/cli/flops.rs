//! `llmcalc flops`.

use crate::catalog::Catalog;
use clap::Args;

use super::ModelArgs;
use super::values::{choice, tokens};
use crate::app::{self, flops::FlopsRequest};
use crate::domain::model::flops::{Masking, Recompute};
use crate::error::Result;
use crate::render::{self, Output};

/// Count FLOPs per token — forward, backward, training — part by part.
#[derive(Args)]
#[command(
    allow_negative_numbers = true,
    after_help = "Examples:\n  llmcalc flops llama-2-7b\n  llmcalc flops gpt-3 --seq-len 2048 --attention causal\n  llmcalc flops t5-11b --seq-len 512 --target-len 114\n  llmcalc flops gpt-4 --recompute full\n  llmcalc flops llama-2-7b --explain"
)]
pub struct FlopsArgs {
    #[command(flatten)]
    model: ModelArgs,

    /// Tokens per sequence (the input length of an encoder-decoder) [default: the model's context]
    #[arg(long, value_name = "N", value_parser = tokens)]
    seq_len: Option<u64>,

    /// Target tokens per sequence of an encoder-decoder [default: --seq-len]
    #[arg(long, value_name = "N", value_parser = tokens)]
    target_len: Option<u64>,

    /// How attention over the context is counted: `full` counts every key, as PaLM's MFU does;
    /// `causal` counts the half a causal mask leaves (Kaplan et al. 2020)
    #[arg(long, value_enum, default_value_t = Masking::Full, value_parser = choice::<Masking>())]
    attention: Masking,

    /// Activation recompute, added to the hardware FLOPs
    #[arg(long, value_enum, default_value_t = Recompute::None, value_parser = choice::<Recompute>())]
    recompute: Recompute,

    /// Print each part's formula with its numbers and source
    #[arg(long)]
    explain: bool,
}

impl FlopsArgs {
    pub fn run(self, catalog: &Catalog, format: Output) -> Result<String> {
        let model = self.model.load(catalog)?;
        let request = FlopsRequest {
            seq_len: self.seq_len,
            target_len: self.target_len,
            masking: self.attention,
            recompute: self.recompute,
        };
        let result = app::flops::flops(&model, &request)?;
        render::render(&result, |r| r.report(self.explain), format)
    }
}
