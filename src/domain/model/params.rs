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
//!
//! Non-embedding parameters follow Kaplan et al. 2020 (§2.1) and the Pythia suite (Biderman et al.
//! 2023, Table 1): all parameters except the token and position embeddings and an untied output head.
//! Active parameters follow Mixtral's 12.9B (Jiang et al. 2024): embeddings and the output head count.

use serde::Serialize;

use super::architecture::{Architecture, Moe, Positional, Stack, StackKind};
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
    pub parts: Vec<ParamPart>,
}

impl ParamBreakdown {
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

/// Attention projections of one block: Q, K, V and output (with biases when the model has them).
fn attention(arch: &Architecture, s: &Stack) -> u128 {
    let d = arch.d_model as u128;
    let (q, kv) = (s.q_dim() as u128, s.kv_dim() as u128);
    let weights = d * q + 2 * d * kv + q * d;
    let biases = if arch.bias { q + 2 * kv + d } else { 0 };
    weights + biases
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
        };
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
    for row in p.0 {
        let (row_total, row_active) = (row.each * row.count, row.each * row.active_count);
        total += row_total;
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
        parts,
    })
}
