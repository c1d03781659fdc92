//! `llmcalc flops`: forward, backward and training FLOPs per token, with the parts behind them.

use serde::Serialize;

use super::params::ModelInfo;
use crate::domain::claims::ClaimCheck;
use crate::domain::model::Model;
use crate::domain::model::flops::{self, FlopBreakdown, FlopsOptions, Masking, Recompute};
use crate::domain::model::params;
use crate::domain::units::unit::flop;
use crate::error::Result;

/// What `llmcalc flops` was asked for; the sequence length defaults to the model's context.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FlopsRequest {
    pub seq_len: Option<u64>,
    pub target_len: Option<u64>,
    pub masking: Masking,
    pub recompute: Recompute,
}

/// The result of `llmcalc flops`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FlopsResult {
    pub model: ModelInfo,
    pub total_params: u64,
    pub active_params: u64,
    #[serde(flatten)]
    pub flops: FlopBreakdown,
    /// The preset's published FLOPs per token (forward) against the computed one.
    pub claims: Vec<ClaimCheck>,
}

/// Counts a model's FLOPs per token.
pub fn flops(model: &Model, request: &FlopsRequest) -> Result<FlopsResult> {
    let arch = model.architecture("counting FLOPs")?;
    let params = params::count(&model.id, arch)?;
    let options = FlopsOptions::new(
        arch,
        request.seq_len,
        request.target_len,
        request.masking,
        request.recompute,
    )?;
    let flops = flops::count(arch, &params, &options);
    let claims = ClaimCheck::new(
        "forward_flops_per_token",
        model.claims.forward_flops_per_token.as_ref(),
        flops.forward_flops_per_token.get::<flop>(),
    )
    .into_iter()
    .collect();
    Ok(FlopsResult {
        model: ModelInfo::new(model, arch),
        total_params: params.total_params,
        active_params: params.active_params,
        flops,
        claims,
    })
}
