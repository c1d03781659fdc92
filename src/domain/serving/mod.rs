//! Serving arithmetic: KV cache, prefill and decode bounds, expected experts, speculative decoding and
//! image tokens.
//!
//! - KV cache (Pope et al. 2022, §2): each token keeps a key and a value vector per layer and key/value
//!   head: `2 · layers · kv_heads · head_dim · bytes`. Multi-query and grouped-query attention shrink it
//!   by heads / kv_heads (Shazeer 2019; Ainslie et al. 2023). Multi-head Latent Attention keeps the
//!   compressed latent and the shared rotary key instead, `(d_c + d_h^R) · layers · bytes` (DeepSeek-V2,
//!   arXiv:2405.04434, §2.1.2 and Table 1), whole on every tensor-parallel rank; a sliding-window layer
//!   keeps at most its window's tokens (Jiang et al. 2023, Mistral 7B, §2 "rolling buffer cache").
//!   Decode runs MLA in its absorbed form, attention over the latent (§2.1.2).
//! - Prefill is compute-bound: the prompts' forward FLOPs at the dense peak times an efficiency; with
//!   pipeline parallelism the batch passes the PP stages as PP micro-batches, 2·PP − 1 stage times.
//! - A decode step reads every resident weight (for a MoE, the experts the batch touches) and the batch's
//!   KV cache once, and does the batch's forward FLOPs; it takes the longer of the memory-bound and the
//!   compute-bound time (the roofline, Williams et al. 2009), plus tensor-parallel all-reduces. With
//!   pipeline parallelism the batch runs as PP micro-batches that keep every stage busy: a stage's step
//!   covers its layers for one micro-batch, and a token's latency is PP stage steps.
//! - A batch of B tokens routed top-k among E experts touches E·(1 − (1 − k/E)^B) distinct experts per
//!   layer in expectation, assuming uniform routing.
//! - Speculative decoding (Leviathan et al. 2023, eq. 1 and Theorem 3.8): with acceptance rate α and γ
//!   drafted tokens, a target step yields (1 − α^(γ+1))/(1 − α) tokens in expectation; with a draft whose
//!   step costs c target steps, the wall-time improvement is (1 − α^(γ+1)) / ((1 − α)(γc + 1)). The 1
//!   assumes verifying γ + 1 tokens costs one decode step, true while decode is memory-bound; llmcalc
//!   uses the verification's own time v (the larger of the weight read and γ + 1 tokens' FLOPs).

mod engine;
mod formats;
mod queueing;
mod replica;
mod steady;
mod workload;

pub use engine::{Engine, TOKEN_BUDGET};
pub use formats::{KvFormat, WeightFormat};
pub use queueing::{erlang_c, queueing_delay};
pub use replica::{
    DecodeStep, Deployment, Fit, Hardware, Prefill, Served, cost_per_million, fit, largest,
};
pub use steady::{
    GRAPH_KERNEL_OVERHEAD, Machine, ONE_SHOT_LATENCY, SEQUENCE_OVERHEAD, STEP_OVERHEAD,
    SteadyState, StepTerms,
};
pub use workload::{Lengths, Spread, Workload, WorkloadSummary};

use serde::Serialize;

/// Expected distinct experts a batch of `tokens` touches per MoE layer, routing `top_k` of `experts`
/// uniformly: E·(1 − (1 − k/E)^B).
pub fn expected_experts(experts: u64, top_k: u64, tokens: u64) -> f64 {
    let e = experts as f64;
    e * (1.0 - (1.0 - top_k as f64 / e).powf(tokens as f64))
}

/// Speculative decoding in expectation (Leviathan et al. 2023).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Speculation {
    /// α: the chance the target accepts a drafted token.
    pub acceptance: f64,
    /// γ: tokens drafted per target step.
    pub lookahead: u64,
    /// c: one draft step's time over one target step's.
    pub cost_ratio: f64,
    /// Tokens produced per target step: (1 − α^(γ+1))/(1 − α).
    pub tokens_per_step: f64,
    /// v: verifying γ + 1 tokens over one target decode step (1 when decode is memory-bound, as
    /// Leviathan et al. assume; more when the verification's FLOPs dominate).
    pub verify_ratio: f64,
    /// Wall-time improvement: (1 − α^(γ+1)) / ((1 − α)(γc + v)).
    pub speedup: f64,
}

/// Expected tokens per step and speedup; α = 1 is the limit γ + 1.
pub fn speculation(
    acceptance: f64,
    lookahead: u64,
    cost_ratio: f64,
    verify_ratio: f64,
) -> Speculation {
    let g = lookahead as f64;
    let tokens = if acceptance >= 1.0 {
        g + 1.0
    } else {
        (1.0 - acceptance.powf(g + 1.0)) / (1.0 - acceptance)
    };
    Speculation {
        acceptance,
        lookahead,
        cost_ratio,
        verify_ratio,
        tokens_per_step: tokens,
        speedup: tokens / (g * cost_ratio + verify_ratio),
    }
}

/// Image detail levels of GPT-4o-style vision pricing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Detail {
    Low,
    High,
}

/// How an image becomes tokens.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ImageTokens {
    pub width: u64,
    pub height: u64,
    pub detail: Detail,
    /// The size after fitting within 2048 × 2048 and bringing the shortest side down to 768.
    pub scaled_width: u64,
    pub scaled_height: u64,
    pub tiles_across: u64,
    pub tiles_down: u64,
    pub tokens: u64,
}

/// Tokens per 512-pixel tile and the base tokens of every image (OpenAI, vision pricing of GPT-4o; the
/// project's origin notes: 170 per tile).
pub const TOKENS_PER_TILE: u64 = 170;
/// Base tokens of every image, and all tokens of a low-detail one.
pub const BASE_TOKENS: u64 = 85;

/// OpenAI's documented tiling for high detail: scale to fit within 2048 × 2048 keeping the aspect
/// ratio, then scale so the shortest side is 768 pixels — images are only ever scaled down — and count
/// 512-pixel tiles at 170 tokens each plus 85 base tokens. Low detail is 85 tokens whatever the size.
pub fn image_tokens(width: u64, height: u64, detail: Detail) -> ImageTokens {
    let (mut w, mut h) = (width as f64, height as f64);
    let fit = (2048.0 / w.max(h)).min(1.0);
    w *= fit;
    h *= fit;
    let shortest = (768.0 / w.min(h)).min(1.0);
    w *= shortest;
    h *= shortest;
    // A very thin image keeps at least one pixel, and so one tile, across.
    let (w, h) = (w.round().max(1.0) as u64, h.round().max(1.0) as u64);
    let (across, down) = (w.div_ceil(512), h.div_ceil(512));
    let tokens = match detail {
        Detail::Low => BASE_TOKENS,
        Detail::High => BASE_TOKENS + TOKENS_PER_TILE * across * down,
    };
    ImageTokens {
        width,
        height,
        detail,
        scaled_width: w,
        scaled_height: h,
        tiles_across: across,
        tiles_down: down,
        tokens,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_experts_grow_towards_all() {
        // One token touches exactly top-k; many tokens touch nearly all.
        assert!((expected_experts(8, 2, 1) - 2.0).abs() < 1e-12);
        // Mixtral, batch 4: 8 × (1 − 0.75⁴) = 5.46875.
        assert!((expected_experts(8, 2, 4) - 5.46875).abs() < 1e-12);
        assert!(expected_experts(8, 2, 1000) > 7.999);
    }

    #[test]
    fn speculative_decoding_matches_leviathan() {
        // α = 0.8, γ = 4: (1 − 0.8⁵)/(0.2) = 3.3616 tokens per step; with c = 0.05, ÷ 1.2 = 2.8013.
        let s = speculation(0.8, 4, 0.05, 1.0);
        assert!((s.tokens_per_step - 3.3616).abs() < 1e-12);
        assert!((s.speedup - 3.3616 / 1.2).abs() < 1e-12);
        assert_eq!(speculation(1.0, 4, 0.0, 1.0).tokens_per_step, 5.0);
        // A verification costing twice a decode step halves the gain.
        assert!((speculation(0.8, 4, 0.0, 2.0).speedup - 3.3616 / 2.0).abs() < 1e-12);
    }

    #[test]
    fn the_largest_that_holds() {
        assert_eq!(largest(0, 100, |n| n * n <= 50), 7);
        assert_eq!(largest(1, 10, |_| true), 10);
        assert_eq!(largest(1, 10, |n| n == 1), 1);
    }

    #[test]
    fn image_tiling_by_hand() {
        // 1024 × 1024 → 768 × 768 → 2 × 2 tiles: 85 + 4 × 170 = 765.
        assert_eq!(image_tokens(1024, 1024, Detail::High).tokens, 765);
        // 2048 × 4096 → fits as 1024 × 2048 → 768 × 1536 → 2 × 3 tiles: 85 + 6 × 170 = 1105.
        let tall = image_tokens(2048, 4096, Detail::High);
        assert_eq!((tall.scaled_width, tall.scaled_height), (768, 1536));
        assert_eq!(tall.tokens, 1105);
        // 512 × 512 is not scaled up: one tile, 85 + 170 = 255.
        assert_eq!(image_tokens(512, 512, Detail::High).tokens, 255);
        assert_eq!(image_tokens(4000, 3000, Detail::Low).tokens, 85);
    }
}
