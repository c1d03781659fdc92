//! FLOPs per token, part by part (a multiply-add counts as two FLOPs).
//!
//! Forward pass: two FLOPs per active matmul weight per token (Kaplan et al. 2020, Table 1, which lists
//! the QKV, attention-output, feed-forward and de-embedding products) — QKV projections, attention
//! output, MLP or the top-k routed and shared experts, router and logits — plus the attention over the
//! context, which has no weights: `QKᵀ` costs 2·n_ctx·d_attn and the weighted sum of values another
//! 2·n_ctx·d_attn per layer and token (Hoffmann et al. 2022, App. F; Chowdhery et al. 2022, App. B,
//! whose 12·L·H·Q·T training term is three times this forward cost).
//! - `Full` counts every query against every key of the sequence, as PaLM's MFU definition does; it is
//!   the default, so that MFU computed from these figures matches published MFU.
//! - `Causal` counts only the keys a causal mask leaves, on average half; the result, 2·n_layer·n_ctx·
//!   d_attn per token, is numerically Kaplan et al.'s attention term (Table 1; eq. 2.2 with d_attn =
//!   d_model). It applies to decoders only: encoder self-attention and cross-attention see every key.
//!
//! Elementwise work (softmax, norms, activations) and the embedding lookup are left out, as Kaplan et
//! al. and PaLM leave them out; Hoffmann et al.'s App. F also counts the softmax and the embedding
//! product, which adds under 1% for these models.
//!
//! Training: the backward pass costs twice the forward (Kaplan et al. 2020, §2.1), so model FLOPs are
//! three forward passes. Activation recompute adds work the model FLOPs do not count (hardware FLOPs,
//! Chowdhery et al. 2022, App. B): full recompute a whole forward pass, selective recompute
//! (Korthikanti et al. 2022, §5) the attention scores and context again.
//!
//! Multi-token prediction (DeepSeek-V3, arXiv:2412.19437, §2.2): each MTP module runs, for every
//! token, a projection of the concatenated hidden state and next-token embedding (2d → d), one
//! transformer block shaped like the last layer, and the output head it shares with the main model;
//! its loss is added to the training objective, so its forward work is counted in its own rows and in
//! the training figures (the 6N comparison stays that of the main model's parameters).
//!
//! Encoder-decoder models are counted per input token (encoder, and the cross-attention keys and values
//! computed from the encoder output) and per target token (decoder); the per-token figure is the
//! per-sequence total over input plus target tokens.

use serde::Serialize;

use super::architecture::{
    Architecture, Kind, Positional, Stack, StackKind, WindowKind, mean_keys,
};
use super::params::ParamBreakdown;
use crate::domain::units::{Compute, unit::flop};
use crate::error::{Error, Input, Result};

/// How attention over the context is counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Masking {
    /// Every query against every key (PaLM, Chinchilla); the default.
    Full,
    /// On average half the keys, as a causal mask leaves them (Kaplan et al. 2020).
    Causal,
}

/// Activation recompute during training.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Recompute {
    None,
    /// The attention scores and context (Korthikanti et al. 2022, §5).
    Selective,
    /// A whole forward pass.
    Full,
}

/// What the count depends on besides the architecture.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FlopsOptions {
    /// Tokens per sequence; the input length for encoder-decoders.
    pub seq_len: u64,
    /// Target length of an encoder-decoder; the input length when not given.
    pub target_len: Option<u64>,
    pub masking: Masking,
    pub recompute: Recompute,
}

impl FlopsOptions {
    /// Checked options for `arch`: lengths of at least one token and within a learned position table;
    /// a target length only for encoder-decoders and causal masking only where there is a decoder.
    /// The sequence length defaults to the model's context.
    pub fn new(
        arch: &Architecture,
        seq_len: Option<u64>,
        target_len: Option<u64>,
        masking: Masking,
        recompute: Recompute,
    ) -> Result<FlopsOptions> {
        let argument = |input: Input, message: String| Error::Invalid { input, message };
        let kind = arch.kind();
        for (name, len) in [(Input::SeqLen, seq_len), (Input::TargetLen, target_len)] {
            if len == Some(0) {
                return Err(argument(name, "must be at least 1 token".into()));
            }
            if let Some(len) = len
                && arch.positional == Positional::Learned
                && len > arch.context
            {
                return Err(argument(
                    name,
                    format!(
                        "{len} tokens exceed the model's learned position table of {} positions",
                        arch.context
                    ),
                ));
            }
        }
        if target_len.is_some() && kind != Kind::EncoderDecoder {
            return Err(argument(
                Input::TargetLen,
                format!(
                    "applies to encoder-decoder models; this one is {}",
                    kind.name()
                ),
            ));
        }
        if masking == Masking::Causal && kind == Kind::EncoderOnly {
            return Err(argument(
                Input::Attention,
                "causal masking applies to decoders; this model is encoder-only and attends to every key".into(),
            ));
        }
        Ok(FlopsOptions {
            seq_len: seq_len.unwrap_or(arch.context),
            target_len,
            masking,
            recompute,
        })
    }
}

/// Which tokens a part is counted per.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Per {
    /// Every token of a decoder-only or encoder-only model.
    Token,
    /// Each input token of an encoder-decoder.
    Input,
    /// Each target token of an encoder-decoder.
    Target,
}

/// One row of the FLOPs breakdown: forward FLOPs per token.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FlopPart {
    pub part: &'static str,
    pub stack: Option<StackKind>,
    pub per: Per,
    /// Forward FLOP per token in one layer (or for the whole part, when `layers` is 1).
    pub per_layer: Compute,
    pub layers: u64,
    /// Forward FLOP per token over all layers.
    pub forward: Compute,
    /// Whether this is the attention over the context (no weights): what masking and selective
    /// recompute act on.
    pub context_attention: bool,
}

/// Forward, backward and training FLOPs per token, with the parts behind them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FlopBreakdown {
    pub seq_len: u64,
    /// Target tokens per sequence (encoder-decoder only).
    pub target_len: Option<u64>,
    pub masking: Masking,
    pub recompute: Recompute,
    pub forward_flops_per_token: Compute,
    pub backward_flops_per_token: Compute,
    /// Model FLOPs: forward + backward.
    pub training_flops_per_token: Compute,
    /// Training plus the recomputed forward work.
    pub hardware_flops_per_token: Compute,
    /// The attention over the context in the forward pass, included in the forward figure.
    pub attention_flops_per_token: Compute,
    /// 6N with N the active non-embedding parameters: Kaplan et al.'s rule of thumb (2020, §2.1), for
    /// comparison. None for encoder-decoders, where a token passes through only one of the stacks.
    pub six_n_flops_per_token: Option<Compute>,
    /// Forward FLOPs of one whole sequence (input plus target for encoder-decoders).
    pub forward_flops_per_sequence: Compute,
    pub parts: Vec<FlopPart>,
}

struct Rows {
    parts: Vec<FlopPart>,
}

impl Rows {
    /// Adds a part of `per_layer` forward FLOPs per token, repeated over `at.layers` layers; parts
    /// that are absent (zero) are left out.
    fn push(&mut self, part: &'static str, at: At, per_layer: f64, context_attention: bool) {
        if per_layer == 0.0 || at.layers == 0 {
            return;
        }
        self.parts.push(FlopPart {
            part,
            stack: Some(at.stack),
            per: at.per,
            per_layer: Compute::new::<flop>(per_layer),
            layers: at.layers,
            forward: Compute::new::<flop>(per_layer * at.layers as f64),
            context_attention,
        });
    }

    /// Self-attention: 2 FLOPs per weight of the projections, and 2·keys·q for the scores and
    /// 2·keys·v for the weighted values (Kaplan et al. 2020, Table 1), the keys a query sees on
    /// average over `len` tokens ([`mean_keys`]): capped at the window, or within the chunk, on
    /// windowed layers. MLA is counted in the form training runs it, keys and values up-projected
    /// from the latent (DeepSeek-V2 §2.1.2); decode runs the absorbed form, see
    /// [`absorbed_decode_extra`].
    fn attention(&mut self, arch: &Architecture, s: &Stack, at: At, len: f64, causal: bool) {
        let (d, q, v) = (arch.d_model as f64, s.q_dim() as f64, s.v_dim() as f64);
        self.push("QKV projections", at, 2.0 * qkv_weights(arch, s), false);
        let windowed = s.windowed_layers();
        let global = At {
            layers: at.layers - windowed,
            ..at
        };
        let keys = mean_keys(len, None, causal);
        self.push("attention scores (QKᵀ)", global, 2.0 * keys * q, true);
        self.push("attention context (AV)", global, 2.0 * keys * v, true);
        if let Some(w) = s.window {
            let local = At {
                layers: windowed,
                ..at
            };
            let keys = mean_keys(len, Some(w), causal);
            let (scores, context) = match w.kind {
                WindowKind::Sliding => ("windowed attention scores", "windowed attention context"),
                WindowKind::Chunked => ("chunked attention scores", "chunked attention context"),
            };
            self.push(scores, local, 2.0 * keys * q, true);
            self.push(context, local, 2.0 * keys * v, true);
        }
        self.push("attention output", at, 2.0 * v * d, false);
        if arch.positional == Positional::TransformerXl {
            // Dai et al. 2019, §3.3: the sinusoids of the n_ctx relative distances are projected by
            // W_R once per sequence (2·d·q per token when the sequence spans the context), and every
            // query scores against them as against the keys.
            self.push("relative position projection", at, 2.0 * d * q, false);
            self.push("relative position scores", at, 2.0 * keys * q, true);
        }
    }

    /// Cross-attention of a decoder over the `input` encoder tokens (Vaswani et al. 2017, §3.2.3):
    /// the keys and values are projected once per input token.
    fn cross_attention(&mut self, arch: &Architecture, s: &Stack, at: At, input: f64) {
        let (d, q, kv) = (arch.d_model as f64, s.q_dim() as f64, s.kv_dim() as f64);
        self.push("cross-attention Q projection", at, 2.0 * d * q, false);
        let per_input = At {
            per: Per::Input,
            ..at
        };
        self.push(
            "cross-attention K/V projections",
            per_input,
            4.0 * d * kv,
            false,
        );
        self.push("cross-attention scores", at, 2.0 * input * q, true);
        self.push("cross-attention context", at, 2.0 * input * q, true);
        self.push("cross-attention output", at, 2.0 * q * d, false);
    }

    /// The dense MLP layers, and on MoE layers the top-k routed experts, the shared experts and the
    /// router (Fedus et al. 2022, §2.1).
    fn mlp(&mut self, arch: &Architecture, s: &Stack, at: At) {
        let d = arch.d_model as f64;
        let dense = At {
            layers: s.dense_layers(),
            ..at
        };
        self.push("dense MLP", dense, mlp(d, s, s.ffn), false);
        if let Some(moe) = &s.moe {
            let expert = mlp(d, s, moe.expert_ffn);
            let on = At {
                layers: s.moe_layers(),
                ..at
            };
            self.push(
                "routed experts (top-k)",
                on,
                moe.top_k as f64 * expert,
                false,
            );
            self.push(
                "shared experts",
                on,
                moe.shared_experts as f64 * expert,
                false,
            );
            self.push("router", on, 2.0 * d * moe.experts as f64, false);
        }
    }
}

impl Rows {
    /// The `s.mtp_modules` multi-token prediction modules of a decoder (DeepSeek-V3, arXiv:2412.19437,
    /// §2.2, Figure 3): the projection M of 2d → d, a block shaped like the stack's last layer (its
    /// attention over the whole sequence, and its MLP: on a MoE stack the top-k routed and shared
    /// experts and the router) and the logits of the shared output head.
    fn mtp(&mut self, arch: &Architecture, s: &Stack, at: At, len: f64, causal: bool) {
        let at = At {
            layers: s.mtp_modules,
            ..at
        };
        let (d, q, v) = (arch.d_model as f64, s.q_dim() as f64, s.v_dim() as f64);
        let keys = mean_keys(len, None, causal);
        self.push("MTP projection (2d → d)", at, 2.0 * 2.0 * d * d, false);
        let projections = 2.0 * qkv_weights(arch, s) + 2.0 * v * d;
        self.push("MTP attention projections", at, projections, false);
        self.push(
            "MTP attention over the context",
            at,
            2.0 * keys * (q + v),
            true,
        );
        let block_mlp = match &s.moe {
            Some(m) => {
                let experts = (m.top_k + m.shared_experts) as f64 * mlp(d, s, m.expert_ffn);
                experts + 2.0 * d * m.experts as f64
            }
            None => mlp(d, s, s.ffn),
        };
        self.push("MTP MLP", at, block_mlp, false);
        self.push("MTP logits", at, 2.0 * d * arch.vocab as f64, false);
    }
}

/// Weights a token passes through in the query, key and value projections: d·(q + 2·kv), or MLA's
/// down- and up-projections (DeepSeek-V2 §2.1, eq. 9–19).
fn qkv_weights(arch: &Architecture, s: &Stack) -> f64 {
    let d = arch.d_model as f64;
    let Some(m) = s.mla else {
        return d * (s.q_dim() + 2 * s.kv_dim()) as f64;
    };
    let heads = s.heads as f64;
    let q_out = s.q_dim() as f64;
    let query = m.q_lora_rank.map_or(d * q_out, |r| (d + q_out) * r as f64);
    let latent = (m.kv_lora_rank + m.qk_rope_head_dim) as f64;
    let up = m.kv_lora_rank as f64 * heads * (m.qk_nope_head_dim + m.v_head_dim) as f64;
    query + d * latent + up
}

/// Forward FLOPs per token that decoding with MLA's absorbed form adds over the counted form, at a
/// context of `context` tokens, over all layers; zero without MLA. Decoding absorbs W^UK into the query
/// and W^UV into the output (DeepSeek-V2 §2.1.2), so that the cache is never up-projected: each head
/// scores against the latent and the rotary key, d_c + d_h^R wide, and sums latents, d_c wide, instead
/// of d_h + d_h^R and d_v. The new token's own projections cost the same either way.
pub fn absorbed_decode_extra(arch: &Architecture, context: u64) -> f64 {
    arch.stacks()
        .filter_map(|(_, s)| s.mla.map(|m| (s, m)))
        .map(|(s, m)| {
            let absorbed = (2 * m.kv_lora_rank + m.qk_rope_head_dim) as f64;
            let counted = (s.head_dim + m.v_head_dim) as f64;
            let windowed = s.windowed_layers() as f64;
            let keys = (s.layers as f64 - windowed) * context as f64
                + windowed * s.window.map_or(0.0, |w| w.cached_tokens(context) as f64);
            2.0 * keys * s.heads as f64 * (absorbed - counted)
        })
        .sum()
}

/// Forward FLOPs of one MLP of hidden size `ffn`: 2 per weight.
fn mlp(d: f64, s: &Stack, ffn: u64) -> f64 {
    2.0 * s.mlp.matrices() as f64 * d * ffn as f64
}

/// Counts FLOPs per token of `arch`, whose parameters `params` counted (for the 6N comparison).
pub fn count(
    arch: &Architecture,
    params: &ParamBreakdown,
    options: &FlopsOptions,
) -> FlopBreakdown {
    let kind = arch.kind();
    let lengths = Lengths::new(kind, options);
    let mut rows = Rows { parts: Vec::new() };
    for (stack, s) in arch.stacks() {
        let is_decoder = stack == StackKind::Decoder;
        let at = At {
            stack,
            per: match kind {
                Kind::EncoderDecoder if is_decoder => Per::Target,
                Kind::EncoderDecoder => Per::Input,
                _ => Per::Token,
            },
            layers: s.layers,
        };
        let (len, causal) = lengths.attended(is_decoder, options.masking);
        rows.attention(arch, s, at, len, causal);
        if s.cross_attention {
            rows.cross_attention(arch, s, at, lengths.input as f64);
        }
        rows.mlp(arch, s, at);
        if is_decoder {
            let logits = 2.0 * arch.d_model as f64 * arch.vocab as f64;
            rows.push("logits", At { layers: 1, ..at }, logits, false);
            rows.mtp(arch, s, at, len, causal);
        }
    }
    totals(rows.parts, kind, &lengths, params, options)
}

/// The lengths FLOPs are counted over: input and target tokens per sequence.
struct Lengths {
    input: u64,
    target: u64,
    kind: Kind,
}

impl Lengths {
    fn new(kind: Kind, options: &FlopsOptions) -> Lengths {
        Lengths {
            input: options.seq_len,
            target: options.target_len.unwrap_or(options.seq_len),
            kind,
        }
    }

    /// The sequence a query of this stack attends over, and whether under a causal mask: the whole
    /// input for an encoder, the sequence (or target) for a decoder, masked when causal masking is
    /// counted (Kaplan et al. 2020, Table 1 note).
    fn attended(&self, is_decoder: bool, masking: Masking) -> (f64, bool) {
        if !is_decoder {
            return (self.input as f64, false);
        }
        let len = if self.kind == Kind::EncoderDecoder {
            self.target
        } else {
            self.input
        };
        (len as f64, masking == Masking::Causal)
    }

    /// Tokens of a sequence that a part counted `per` runs for.
    fn tokens(&self, per: Per) -> f64 {
        match per {
            Per::Token | Per::Input => self.input as f64,
            Per::Target => self.target as f64,
        }
    }

    /// Tokens of one whole sequence (input plus target for encoder-decoders).
    fn sequence(&self) -> f64 {
        match self.kind {
            Kind::EncoderDecoder => (self.input + self.target) as f64,
            _ => self.input as f64,
        }
    }
}

/// Where a part sits: its stack, the tokens it is counted per, and how many layers repeat it.
#[derive(Clone, Copy)]
struct At {
    stack: StackKind,
    per: Per,
    layers: u64,
}

/// Sums the parts over a sequence into the per-token totals: forward, backward = 2 × forward
/// (Kaplan et al. 2020, §2.1), training = 3 × forward, and the recomputed forward work on top for
/// the hardware FLOPs (Korthikanti et al. 2022, §4).
fn totals(
    parts: Vec<FlopPart>,
    kind: Kind,
    lengths: &Lengths,
    params: &ParamBreakdown,
    options: &FlopsOptions,
) -> FlopBreakdown {
    let per_sequence = |keep: &dyn Fn(&FlopPart) -> bool| -> f64 {
        parts
            .iter()
            .filter(|p| keep(p))
            .map(|p| p.forward.get::<flop>() * lengths.tokens(p.per))
            .sum()
    };
    let forward_sequence = per_sequence(&|_| true);
    let forward = forward_sequence / lengths.sequence();
    let attention = per_sequence(&|p| p.context_attention) / lengths.sequence();
    let recomputed = match options.recompute {
        Recompute::None => 0.0,
        Recompute::Selective => attention,
        Recompute::Full => forward,
    };
    let non_embedding_active = params.active_params - params.embedding_params;
    let flops = Compute::new::<flop>;
    FlopBreakdown {
        seq_len: lengths.input,
        target_len: (kind == Kind::EncoderDecoder).then_some(lengths.target),
        masking: options.masking,
        recompute: options.recompute,
        forward_flops_per_token: flops(forward),
        backward_flops_per_token: flops(2.0 * forward),
        training_flops_per_token: flops(3.0 * forward),
        hardware_flops_per_token: flops(3.0 * forward + recomputed),
        attention_flops_per_token: flops(attention),
        six_n_flops_per_token: (kind != Kind::EncoderDecoder)
            .then(|| flops(6.0 * non_embedding_active as f64)),
        forward_flops_per_sequence: flops(forward_sequence),
        parts,
    }
}
