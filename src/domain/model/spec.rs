//! The preset file as written: every architecture field optional, so that a partial preset (only
//! claims, as for GPT-4.5) still loads. [`super::architecture`] turns it into a checked architecture.
//! The format is documented in `presets/README.md`. The same types write a preset (the Hugging Face
//! import does; TOML leaves out the fields that are `None`), so that reading and writing cannot
//! disagree on a name.

use serde::{Deserialize, Serialize};

use crate::domain::claims::Claims;

/// A model preset file.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    pub name: String,
    pub family: Option<String>,
    pub source: String,
    pub notes: Option<String>,
    pub architecture: Option<ArchitectureSpec>,
    pub encoder: Option<StackSpec>,
    pub decoder: Option<StackSpec>,
    /// Read, never written: a written preset carries no claims (a figure serialises as `{low, high}`,
    /// not as the preset's `"90..100"`).
    #[serde(default, skip_serializing)]
    pub claims: Claims,
}

/// `[architecture]`: what the stacks share.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ArchitectureSpec {
    pub vocab: Option<u64>,
    pub d_model: Option<u64>,
    pub context: Option<u64>,
    pub positional: Option<Positional>,
    pub relative_buckets: Option<u64>,
    pub tied_embeddings: Option<bool>,
    pub output_bias: Option<bool>,
    pub norm: Option<Norm>,
    pub bias: Option<bool>,
    pub norm_bias: Option<bool>,
    pub final_norm: Option<bool>,
    pub token_types: Option<u64>,
    pub embedding_norm: Option<bool>,
    pub pooler: Option<bool>,
}

/// `[encoder]` or `[decoder]`: one stack of transformer blocks.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StackSpec {
    pub layers: Option<u64>,
    pub heads: Option<u64>,
    pub kv_heads: Option<u64>,
    pub head_dim: Option<u64>,
    pub ffn: Option<u64>,
    pub mlp: Option<Mlp>,
    pub norms_per_layer: Option<u64>,
    /// Biases on the query, key and value projections only (Qwen2), when `architecture.bias` is false.
    pub qkv_bias: Option<bool>,
    /// Normalisation of queries and keys before the scores (Qwen3, OLMo 2, Gemma 3).
    pub qk_norm: Option<QkNorm>,
    /// A learned sink logit per head and layer (gpt-oss).
    pub attention_sinks: Option<bool>,
    /// Multi-token prediction modules after the last layer (DeepSeek-V3), counted apart.
    pub mtp_modules: Option<u64>,
    pub moe: Option<MoeSpec>,
    pub mla: Option<MlaSpec>,
    pub window: Option<WindowSpec>,
}

/// `[decoder.mla]`: Multi-head Latent Attention (DeepSeek-AI 2024, DeepSeek-V2, §2.1).
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MlaSpec {
    /// Rank of the query compression d'_c; absent when queries are projected directly (V2-Lite).
    pub q_lora_rank: Option<u64>,
    /// Rank of the key/value compression d_c: the latent each token caches.
    pub kv_lora_rank: Option<u64>,
    /// Per-head query/key width without position information, d_h.
    pub qk_nope_head_dim: Option<u64>,
    /// Per-head width of the decoupled rotary query/key, d_h^R; the key part is shared by the heads.
    pub qk_rope_head_dim: Option<u64>,
    /// Per-head value width.
    pub v_head_dim: Option<u64>,
}

/// `[decoder.window]`: sliding-window or chunked attention on some or all layers.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WindowSpec {
    /// Sliding (the default) or chunked.
    pub kind: Option<WindowKind>,
    /// Tokens a query of a windowed layer attends to at most, itself included: the window, or the
    /// chunk.
    pub size: Option<u64>,
    /// Every `global_every`-th layer (layers k−1, 2k−1, … from 0) attends to the whole context; the
    /// others are windowed. Absent: every layer is windowed.
    pub global_every: Option<u64>,
}

/// `[decoder.moe]` or `[encoder.moe]`: Mixture of Experts.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MoeSpec {
    pub experts: Option<u64>,
    pub top_k: Option<u64>,
    pub shared_experts: Option<u64>,
    pub expert_ffn: Option<u64>,
    pub every: Option<u64>,
    pub first_dense: Option<u64>,
    pub router_bias: Option<bool>,
    /// A d_model × 1 sigmoid gate on the shared experts' output (Qwen2-MoE).
    pub shared_gate: Option<bool>,
}

/// Which keys a query of a windowed layer sees.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WindowKind {
    /// The last `size` tokens up to the query (Beltagy et al. 2020; Mistral 7B, §2).
    #[default]
    Sliding,
    /// The tokens of the query's own chunk of `size`, positions ⌊p/size⌋·size … p under the causal
    /// mask (Llama 4's `attention_chunk_size`).
    Chunked,
}

/// How queries and keys are normalised before the scores.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum QkNorm {
    /// One RMSNorm of head_dim weights for the queries and one for the keys, shared by the heads
    /// (Qwen3, Gemma 3).
    Head,
    /// RMSNorm over the whole query (heads·head_dim) and key (kv_heads·head_dim) projections (OLMo 2).
    Full,
}

/// How token positions enter the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Positional {
    /// A learned `context × d_model` table (GPT-2, GPT-3, BERT).
    Learned,
    /// Rotary embeddings (Su et al. 2021): no parameters.
    Rotary,
    /// ALiBi (Press et al. 2022): no parameters.
    Alibi,
    /// T5's bucketed relative position bias: `buckets × heads` per stack (Raffel et al. 2020, §2.1).
    Relative,
    /// Transformer-XL relative encodings (Dai et al. 2019, §3.3), as in Gopher and Chinchilla: fixed
    /// sinusoids projected in every layer by `W_R` (d_model × heads·head_dim), with the bias vectors
    /// `u` and `v` (heads·head_dim each) counted per layer, as untied implementations keep them.
    #[serde(rename = "transformer-xl")]
    TransformerXl,
    /// Fixed sinusoids (Vaswani et al. 2017): no parameters.
    Sinusoidal,
    /// No position information.
    None,
}

/// Normalisation layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Norm {
    /// LayerNorm (Ba et al. 2016): a weight and, with `norm_bias`, a bias per channel.
    LayerNorm,
    /// RMSNorm (Zhang & Sennrich 2019): a weight per channel.
    RmsNorm,
    /// LayerNorm without learned parameters (OLMo, Groeneveld et al. 2024).
    NonParametric,
}

/// The MLP of a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mlp {
    /// Two matrices with GELU between.
    Gelu,
    /// Two matrices with ReLU between.
    Relu,
    /// Two matrices with SiLU between.
    Silu,
    /// Gated, three matrices (Shazeer 2020): SiLU gate.
    SwiGlu,
    /// Gated, three matrices: GELU gate.
    GeGlu,
    /// Gated, three matrices: ReLU gate.
    ReGlu,
}

impl Positional {
    /// Name as printed.
    pub fn name(self) -> &'static str {
        match self {
            Positional::Learned => "learned",
            Positional::Rotary => "rotary",
            Positional::Alibi => "ALiBi",
            Positional::Relative => "relative",
            Positional::TransformerXl => "Transformer-XL relative",
            Positional::Sinusoidal => "sinusoidal",
            Positional::None => "no",
        }
    }
}

impl Mlp {
    /// Name as printed.
    pub fn name(self) -> &'static str {
        match self {
            Mlp::Gelu => "GELU",
            Mlp::Relu => "ReLU",
            Mlp::Silu => "SiLU",
            Mlp::SwiGlu => "SwiGLU",
            Mlp::GeGlu => "GeGLU",
            Mlp::ReGlu => "ReGLU",
        }
    }

    /// Weight matrices of size `d_model × ffn`: three for gated MLPs (Shazeer 2020), two otherwise.
    pub fn matrices(self) -> u64 {
        match self {
            Mlp::Gelu | Mlp::Relu | Mlp::Silu => 2,
            Mlp::SwiGlu | Mlp::GeGlu | Mlp::ReGlu => 3,
        }
    }
}
