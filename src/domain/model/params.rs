//! Parameter counts, part by part.
//!
//! Each part is the size of its weight matrices (and biases and norm weights where the architecture
//! has them), as in the layer definitions of Vaswani et al. 2017 and their descendants:
//! - attention: `W_Q` is d_model × (heads · head_dim), `W_K` and `W_V` are d_model × (kv_heads · head_dim)
//!   (Shazeer 2019 for MQA, Ainslie et al. 2023 for GQA), `W_O` is (heads · head_dim) × d_model;
//! - MLP: two d_model × ffn matrices, three for gated MLPs (Shazeer 2020, "GLU Variants");
//! - routed experts: one MLP of `expert_ffn` per expert, plus a d_model × experts router per MoE layer
//!   (Fedus et al. 2021); only `top_k` experts (and the shared ones) are active per token;
//! - embeddings: vocab × d_model, plus context × d_model for learned positions; T5's relative bias is
//!   buckets × heads per stack (Raffel et al. 2020, §2.1); Transformer-XL relative encodings add a
//!   d_model × (heads · head_dim) projection W_R per layer (Dai et al. 2019, §3.3) and the two bias
//!   vectors u and v, counted per layer as in implementations that untie them across layers (the
//!   paper shares them; the difference is 2 · heads · head_dim per layer);
//! - norms: d_model weights (and biases for LayerNorm with bias) per norm.
//! - Multi-head Latent Attention (DeepSeek-V2, arXiv:2405.04434, §2.1, eq. 9–19; the shapes of
//!   `modeling_deepseek.py`): W^DQ d × d'_c with an RMSNorm of d'_c and W^UQ d'_c × heads·(d_h + d_h^R)
//!   (or W^Q d × heads·(d_h + d_h^R) without a query latent); W^DKV with W^KR, d × (d_c + d_h^R), an
//!   RMSNorm of d_c and W^UK with W^UV, d_c × heads·(d_h + d_v); W^O heads·d_v × d.
//! - details: Qwen2's query, key and value biases (`qkv_bias`), QK-norm weights (one head_dim norm
//!   each for queries and keys, or whole-width norms as in OLMo 2), gpt-oss's sink logit per head, and
//!   Qwen2-MoE's d_model × 1 shared-expert gate are counted with their attention or router.
//! - multi-token prediction (DeepSeek-V3, arXiv:2412.19437, §2.2): each module has a projection
//!   M of 2d × d, norms of the hidden state and of the embedding, one transformer block like the last
//!   layer and the output norm; the released checkpoint also stores its own copy of the embedding and
//!   output head, which the model card's "671B main model + 14B MTP = 685B" counts. The modules are
//!   listed in the table but kept out of the total and active counts (`mtp_params`).
//!
//! Non-embedding parameters follow Kaplan et al. 2020 (§2.1) and the Pythia suite (Biderman et al.
//! 2023, Table 1): all parameters except the token and position embeddings and an untied output head.
//! Active parameters follow Mixtral's 12.9B (Jiang et al. 2024): embeddings and the output head count.

use serde::Serialize;

use super::architecture::{Architecture, Mla, Moe, Positional, QkNorm, Stack, StackKind};
use crate::error::{Error, Result};

/// One row of the parameter breakdown.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParamPart {
    /// What the part is, as printed: [`Role::label`].
    pub part: &'static str,
    /// What the part is, for code that looks rows up.
    #[serde(skip)]
    pub role: Role,
    /// The stack it belongs to, or none for embeddings and head.
    pub stack: Option<StackKind>,
    /// Parameters of one instance (one layer, or one expert in one layer).
    pub each: u64,
    /// How many instances there are.
    pub count: u64,
    /// What an instance is (`layer`, `expert × layer`, `table`).
    pub per: &'static str,
    /// `each × count`.
    pub total: u64,
    /// Of `total`, the parameters a token passes through.
    pub active: u64,
    /// Whether the part is an embedding or output head (excluded from non-embedding parameters).
    pub embedding: bool,
}

/// Parameter totals with the parts that make them up.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParamBreakdown {
    pub total_params: u64,
    pub active_params: u64,
    pub non_embedding_params: u64,
    pub embedding_params: u64,
    /// Attention projections of all layers (self- and cross-attention).
    pub attention_params: u64,
    /// One routed expert summed over all MoE layers of all stacks; none for dense models.
    pub expert_params: Option<u64>,
    /// Multi-token prediction modules, counted apart from the total; left out without them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mtp_params: Option<u64>,
    pub parts: Vec<ParamPart>,
}

impl ParamBreakdown {
    /// Active parameters without the input tables a token only looks up (token, token-type and
    /// learned position embeddings); an output head tied to the token embedding of `arch` still
    /// counts, once.
    pub fn active_params_without_embedding(&self, arch: &Architecture) -> u64 {
        let looked_up = self.total_of(Role::TokenEmbedding)
            + self.total_of(Role::TokenTypeEmbedding)
            + self.total_of(Role::PositionalEmbedding);
        let tied_head = if arch.tied_embeddings && arch.has_output_head() {
            self.total_of(Role::TokenEmbedding)
        } else {
            0
        };
        self.active_params - looked_up + tied_head
    }

    /// Parameters of the parts with `role`, over all stacks.
    pub fn total_of(&self, role: Role) -> u64 {
        self.parts
            .iter()
            .filter(|p| p.role == role)
            .map(|p| p.total)
            .sum()
    }
}

/// A part before its counts are checked to fit: sizes in u128 so that no product can overflow.
struct Row {
    role: Role,
    stack: Option<StackKind>,
    each: u128,
    count: u128,
    per: &'static str,
    active_count: u128,
    /// Experts per layer, for routed experts: the one-expert count divides by it.
    experts: Option<u128>,
}

/// What a part of the parameter table is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    TokenEmbedding,
    TokenTypeEmbedding,
    PositionalEmbedding,
    EmbeddingNorm,
    RelativePositionBias,
    RelativePositionProjection,
    SelfAttention,
    CrossAttention,
    DenseMlp,
    RoutedExperts,
    SharedExperts,
    Router,
    Norms,
    Pooler,
    OutputHead,
    /// Multi-token prediction modules: listed, not in the total.
    MultiTokenPrediction,
}

impl Role {
    /// The part's name as printed.
    pub fn label(self) -> &'static str {
        match self {
            Role::TokenEmbedding => "token embedding",
            Role::TokenTypeEmbedding => "token-type embedding",
            Role::PositionalEmbedding => "positional embedding",
            Role::EmbeddingNorm => "embedding norm",
            Role::RelativePositionBias => "relative position bias",
            Role::RelativePositionProjection => "relative position projection",
            Role::SelfAttention => "self-attention",
            Role::CrossAttention => "cross-attention",
            Role::DenseMlp => "dense MLP",
            Role::RoutedExperts => "routed experts",
            Role::SharedExperts => "shared experts",
            Role::Router => "router",
            Role::Norms => "norms",
            Role::Pooler => "pooler",
            Role::OutputHead => "output head",
            Role::MultiTokenPrediction => "MTP modules (not in total)",
        }
    }

    /// Embedding tables and the output head: left out of the non-embedding count.
    pub fn is_embedding(self) -> bool {
        matches!(
            self,
            Role::TokenEmbedding
                | Role::TokenTypeEmbedding
                | Role::PositionalEmbedding
                | Role::RelativePositionBias
                | Role::OutputHead
        )
    }

    /// Attention projections: the attention count.
    fn is_attention(self) -> bool {
        matches!(self, Role::SelfAttention | Role::CrossAttention)
    }
}

/// The parts table under construction; parts with no parameters are left out.
#[derive(Default)]
struct Parts(Vec<Row>);

impl Parts {
    fn push(&mut self, row: Row) {
        if row.each != 0 && row.count != 0 {
            self.0.push(row);
        }
    }
}

/// Attention of one block: Q, K, V and output projections (with biases when the model has them), or
/// MLA's down- and up-projections with their latent norms; QK-norm weights and sink logits.
fn attention(arch: &Architecture, s: &Stack) -> u128 {
    let d = arch.d_model as u128;
    let (q, kv, heads) = (s.q_dim() as u128, s.kv_dim() as u128, s.heads as u128);
    let projections = match s.mla {
        Some(m) => mla(arch, s, &m),
        None => {
            let weights = d * q + 2 * d * kv + q * d;
            let biases = if arch.bias {
                q + 2 * kv + d
            } else if s.qkv_bias {
                q + 2 * kv
            } else {
                0
            };
            weights + biases
        }
    };
    let qk_norm = match s.qk_norm {
        Some(QkNorm::Head) => 2 * arch.norm_params_of(s.head_dim) as u128,
        Some(QkNorm::Full) => arch.norm_params_of(s.q_dim() + s.kv_dim()) as u128,
        None => 0,
    };
    let sinks = if s.attention_sinks { heads } else { 0 };
    projections + qk_norm + sinks
}

/// MLA's projections of one block (DeepSeek-V2 §2.1, eq. 9–19).
fn mla(arch: &Architecture, s: &Stack, m: &Mla) -> u128 {
    let (d, heads) = (arch.d_model as u128, s.heads as u128);
    let (r_kv, rope) = (m.kv_lora_rank as u128, m.qk_rope_head_dim as u128);
    let (nope, v) = (m.qk_nope_head_dim as u128, m.v_head_dim as u128);
    let q_out = heads * (nope + rope);
    let query = match m.q_lora_rank {
        Some(r_q) => d * r_q as u128 + arch.norm_params_of(r_q) as u128 + r_q as u128 * q_out,
        None => d * q_out,
    };
    let key_value =
        d * (r_kv + rope) + arch.norm_params_of(m.kv_lora_rank) as u128 + r_kv * heads * (nope + v);
    query + key_value + heads * v * d
}

/// One MLP of hidden size `ffn`: two or three matrices, with biases when the model has them.
fn mlp(arch: &Architecture, s: &Stack, ffn: u64) -> u128 {
    let (d, f, m) = (arch.d_model as u128, ffn as u128, s.mlp.matrices() as u128);
    let weights = m * d * f;
    let biases = if arch.bias { (m - 1) * f + d } else { 0 };
    weights + biases
}

impl Row {
    /// A part of `count` instances of `each` parameters, all of them active.
    fn new(
        role: Role,
        stack: Option<StackKind>,
        each: u128,
        count: u128,
        per: &'static str,
    ) -> Row {
        Row {
            role,
            stack,
            each,
            count,
            per,
            active_count: count,
            experts: None,
        }
    }

    /// Only `count` of the instances are active per token.
    fn active(self, count: u128) -> Row {
        Row {
            active_count: count,
            ..self
        }
    }

    /// Routed experts, `experts` of them per layer.
    fn experts(self, experts: u128) -> Row {
        Row {
            experts: Some(experts),
            ..self
        }
    }
}

/// Counts the parameters of `arch`, part by part. `model` names the model in errors.
pub fn count(model: &str, arch: &Architecture) -> Result<ParamBreakdown> {
    let mut p = Parts::default();
    embedding_rows(&mut p, arch);
    for (kind, s) in arch.stacks() {
        stack_rows(&mut p, arch, kind, s);
    }
    head_rows(&mut p, arch);
    finish(model, p)
}

/// Token, token-type and learned positional embeddings, and the norm over them.
fn embedding_rows(p: &mut Parts, arch: &Architecture) {
    let d = arch.d_model as u128;
    let norm = arch.norm_params() as u128;
    p.push(Row::new(
        Role::TokenEmbedding,
        None,
        arch.vocab as u128 * d,
        1,
        "table",
    ));
    p.push(Row::new(
        Role::TokenTypeEmbedding,
        None,
        arch.token_types as u128 * d,
        1,
        "table",
    ));
    if arch.positional == Positional::Learned {
        p.push(Row::new(
            Role::PositionalEmbedding,
            None,
            arch.context as u128 * d,
            1,
            "table",
        ));
    }
    if arch.embedding_norm {
        p.push(Row::new(Role::EmbeddingNorm, None, norm, 1, "norm"));
    }
}

/// The layers of one stack: position terms, attention, MLPs (dense, routed and shared experts,
/// router) and norms.
fn stack_rows(p: &mut Parts, arch: &Architecture, kind: StackKind, s: &Stack) {
    let d = arch.d_model as u128;
    let norm = arch.norm_params() as u128;
    let stack = Some(kind);
    let layers = s.layers as u128;
    if arch.positional == Positional::Relative {
        let table = arch.relative_buckets as u128 * s.heads as u128;
        p.push(Row::new(
            Role::RelativePositionBias,
            stack,
            table,
            1,
            "table",
        ));
    }
    if arch.positional == Positional::TransformerXl {
        let projection = d * s.q_dim() as u128 + 2 * s.q_dim() as u128;
        p.push(Row::new(
            Role::RelativePositionProjection,
            stack,
            projection,
            layers,
            "layer",
        ));
    }
    let attn = attention(arch, s);
    p.push(Row::new(Role::SelfAttention, stack, attn, layers, "layer"));
    if s.cross_attention {
        p.push(Row::new(Role::CrossAttention, stack, attn, layers, "layer"));
    }
    let dense = s.dense_layers() as u128;
    p.push(Row::new(
        Role::DenseMlp,
        stack,
        mlp(arch, s, s.ffn),
        dense,
        "layer",
    ));
    if let Some(moe) = &s.moe {
        moe_rows(p, arch, s, stack, moe);
    }
    let norms = s.norms_per_layer as u128 * layers + u128::from(arch.final_norm);
    p.push(Row::new(Role::Norms, stack, norm, norms, "norm"));
    let module = mtp_module(arch, s);
    p.push(
        Row::new(
            Role::MultiTokenPrediction,
            stack,
            module,
            s.mtp_modules as u128,
            "module",
        )
        .active(0),
    );
}

/// One multi-token prediction module (DeepSeek-V3 §2.2): the projection M (2d × d), the norms of the
/// hidden state and of the embedding, a block shaped like the last layer with its norms, the output
/// norm, and the checkpoint's own copies of the embedding and output head.
fn mtp_module(arch: &Architecture, s: &Stack) -> u128 {
    let d = arch.d_model as u128;
    let norm = arch.norm_params() as u128;
    let mlp_params = match &s.moe {
        Some(m) => {
            let expert = mlp(arch, s, m.expert_ffn);
            let router = d * m.experts as u128 + if m.router_bias { m.experts as u128 } else { 0 };
            (m.experts + m.shared_experts) as u128 * expert + router
        }
        None => mlp(arch, s, s.ffn),
    };
    let block = attention(arch, s) + mlp_params + s.norms_per_layer as u128 * norm;
    let copies = 2 * arch.vocab as u128 * d;
    2 * d * d + 3 * norm + block + copies
}

/// The MoE layers of a stack: routed experts (of which `top_k` are active), shared experts and the
/// router.
fn moe_rows(p: &mut Parts, arch: &Architecture, s: &Stack, stack: Option<StackKind>, moe: &Moe) {
    let d = arch.d_model as u128;
    let moe_layers = s.moe_layers() as u128;
    let expert = mlp(arch, s, moe.expert_ffn);
    let routed = moe.experts as u128 * moe_layers;
    p.push(
        Row::new(Role::RoutedExperts, stack, expert, routed, "expert × layer")
            .active(moe.top_k as u128 * moe_layers)
            .experts(moe.experts as u128),
    );
    let shared = moe.shared_experts as u128 * moe_layers;
    p.push(Row::new(
        Role::SharedExperts,
        stack,
        expert,
        shared,
        "expert × layer",
    ));
    let router = d * moe.experts as u128
        + if moe.router_bias {
            moe.experts as u128
        } else {
            0
        }
        + if moe.shared_gate { d } else { 0 };
    p.push(Row::new(Role::Router, stack, router, moe_layers, "layer"));
}

/// The pooler (BERT) and the output head with its bias, when the model has them.
fn head_rows(p: &mut Parts, arch: &Architecture) {
    let d = arch.d_model as u128;
    if arch.pooler {
        p.push(Row::new(Role::Pooler, None, d * d + d, 1, "layer"));
    }
    if arch.has_output_head() {
        let head = if arch.tied_embeddings {
            0
        } else {
            arch.vocab as u128 * d
        };
        let bias = if arch.output_bias {
            arch.vocab as u128
        } else {
            0
        };
        p.push(Row::new(Role::OutputHead, None, head + bias, 1, "table"));
    }
}

fn finish(model: &str, p: Parts) -> Result<ParamBreakdown> {
    let too_large = || Error::TooLarge {
        model: model.to_string(),
    };
    let fit = |x: u128| u64::try_from(x).map_err(|_| too_large());
    let mut parts = Vec::with_capacity(p.0.len());
    let (mut total, mut active, mut embedding, mut attention) = (0u128, 0u128, 0u128, 0u128);
    let mut expert_params: Option<u128> = None;
    let mut mtp_params: Option<u128> = None;
    for row in p.0 {
        let (row_total, row_active) = (row.each * row.count, row.each * row.active_count);
        if row.role == Role::MultiTokenPrediction {
            *mtp_params.get_or_insert(0) += row_total;
        } else {
            total += row_total;
        }
        active += row_active;
        if row.role.is_embedding() {
            embedding += row_total;
        }
        if row.role.is_attention() {
            attention += row_total;
        }
        if let Some(experts) = row.experts {
            *expert_params.get_or_insert(0) += row_total / experts;
        }
        parts.push(ParamPart {
            part: row.role.label(),
            role: row.role,
            stack: row.stack,
            each: fit(row.each)?,
            count: fit(row.count)?,
            per: row.per,
            total: fit(row_total)?,
            active: fit(row_active)?,
            embedding: row.role.is_embedding(),
        });
    }
    Ok(ParamBreakdown {
        total_params: fit(total)?,
        active_params: fit(active)?,
        non_embedding_params: fit(total - embedding)?,
        embedding_params: fit(embedding)?,
        attention_params: fit(attention)?,
        expert_params: expert_params.map(fit).transpose()?,
        mtp_params: mtp_params.map(fit).transpose()?,
        parts,
    })
}
