//! Memory per GPU of a training layout: model states sharded by ZeRO, split by tensor, pipeline and
//! expert parallelism, and activations under sequence parallelism and recompute.
//!
//! - Model states (Rajbhandari et al. 2020, ZeRO, §3.1 and Fig. 1): mixed-precision training keeps 2
//!   bytes of weights and 2 of gradients per parameter, and K bytes of optimizer state (Adam: 12 — fp32
//!   master weights, momentum and variance). ZeRO stage 1 shards the optimizer state over the N_d
//!   data-parallel ranks, stage 2 also the gradients, stage 3 also the weights.
//! - Tensor parallelism splits every matrix of attention and MLP over `tp` ranks (Shoeybi et al. 2019);
//!   key/value heads fewer than `tp` are replicated, one per rank. Embedding and output head are split
//!   over the vocabulary. Pipeline parallelism gives each of `pp` stages its share of the layers; the
//!   first stage also holds the embedding, the last the output head (a copy of the embedding when they
//!   are tied). Expert parallelism spreads the routed experts of a MoE layer over `ep` ranks taken from
//!   the data-parallel group, whose experts' states are then sharded over `dp / ep` ranks.
//! - Activations per layer and micro-batch (Korthikanti et al. 2022, eq. 1 in §4.1, eq. 2 and 3 in §4.2.1
//!   and §4.2.2): with sequence length
//!   s, micro-batch b, hidden h and a heads, 16-bit activations, 1-byte dropout masks,
//!   `sbh·(34 + 5as/h)` bytes unparallelised; `sbh·(10 + 24/t + 5as/(ht))` with tensor parallelism;
//!   `sbh/t·(34 + 5as/h)` with sequence parallelism too. The 24 and 10 are the tensors inside and outside
//!   the tensor-parallel regions; llmcalc counts them from the model's own widths (query, key/value and
//!   MLP), which gives those numbers for the GPT shapes of the paper: Q, K, V and the attention output
//!   input take 2·s·b·(2q + 2kv) bytes, a two-matrix MLP 4·s·b·f and a gated one 8·s·b·f, a MoE layer
//!   that per routed expert a token visits. Selective recompute (§5) drops the 5as²b score terms; full
//!   recompute keeps only each layer's 2sbh input. The 5as²b attention scores are never counted: current
//!   frameworks (Megatron-LM, PyTorch's scaled_dot_product_attention, DeepSpeed) run FlashAttention-style
//!   kernels that compute the scores block by block and never store them (Dao et al. 2022,
//!   "FlashAttention", §3.1: extra memory linear in s), so without recompute a layer holds what
//!   selective recompute leaves.
//! - In flight (§4.2.3): under 1F1B the first stage holds `min(p, m)` micro-batches of its L/p layers, L
//!   layers' worth when m ≥ p; the interleaved schedule with v chunks per stage holds
//!   `L·(1 + (p−1)/(p·v))`. The first stage also keeps the embedding output's dropout mask, the last
//!   stage the fp32 logits for the loss, 4·s·b·v/t bytes (§4.3).
//!
//! Every function here is closed-form and allocates nothing, so the layout search can evaluate millions
//! of layouts per second.

use serde::Serialize;

use crate::domain::hardware::Precision;
use crate::domain::model::architecture::{Architecture, Kind, Mla, Stack, Window, mean_keys};
use crate::domain::model::flops::Recompute;
use crate::domain::model::params::{ParamBreakdown, Role};
use crate::domain::units::Information;
use crate::domain::units::unit::byte;
use crate::error::{Error, Input, Result};

/// Optimizers and their state, in bytes per parameter beyond the 16-bit weights and gradients.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Optimizer {
    /// Mixed-precision Adam: fp32 master weights, momentum and variance, 12 bytes (Rajbhandari et al.).
    Adam,
    /// Adam with 8-bit states (Dettmers et al. 2022): fp32 master weights and two 1-byte states, 6 bytes.
    #[value(name = "adam-8bit")]
    Adam8bit,
    /// SGD with momentum: fp32 master weights and momentum, 8 bytes.
    Sgd,
}

impl Optimizer {
    /// K, the optimizer's bytes per parameter.
    pub fn state_bytes(self) -> f64 {
        match self {
            Optimizer::Adam => 12.0,
            Optimizer::Adam8bit => 6.0,
            Optimizer::Sgd => 8.0,
        }
    }
}

/// The precision of the weights' compute copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WeightPrecision {
    /// 2 bytes per parameter.
    Bf16,
    /// 1 byte per parameter, as FP8 training keeps the weights for its matrix products (gradients
    /// stay 16-bit, the master weights in the optimizer state).
    Fp8,
}

impl WeightPrecision {
    /// The number format of the compute copy.
    pub fn precision(self) -> Precision {
        match self {
            WeightPrecision::Bf16 => Precision::Bf16,
            WeightPrecision::Fp8 => Precision::Fp8,
        }
    }
}

/// Key/value heads each tensor-parallel rank holds: max(kv_heads / TP, 1). With fewer key/value heads
/// than ranks, Megatron-LM replicates each head over TP / kv_heads ranks (its grouped-query attention
/// keeps at least one key/value head per rank), so weights, activations and KV cache of those heads
/// do not shrink past one head per rank.
pub fn kv_heads_per_rank(kv_heads: u64, tp: u64) -> f64 {
    (kv_heads as f64 / tp as f64).max(1.0)
}

/// The sizes of a model that tensor and pipeline parallelism must divide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Split {
    pub heads: u64,
    pub kv_heads: u64,
    pub layers: u64,
}

/// Why a layout is not valid, with the numbers to say so; building one allocates nothing, so the
/// layout search can reject millions of layouts cheaply and only a user's layout becomes a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Violation {
    Zero(Input),
    TpHeads {
        tp: u64,
        heads: u64,
    },
    TpKvHeads {
        tp: u64,
        kv_heads: u64,
    },
    TpNode {
        tp: u64,
        node: u64,
    },
    PpLayers {
        pp: u64,
        layers: u64,
    },
    SplitGpus {
        tp: u64,
        pp: u64,
        gpus: u64,
    },
    LayoutGpus {
        tp: u64,
        cp: u64,
        pp: u64,
        dp: u64,
        gpus: u64,
    },
    EpExperts {
        ep: u64,
        experts: u64,
    },
    EpGroup {
        ep: u64,
        group: u64,
    },
    InterleaveOneStage,
    BatchTooSmall {
        dp: u64,
        micro_batch: u64,
        batch: u64,
    },
    ZeroStage(u8),
    Replicas {
        replicas: u64,
        group: u64,
    },
    ReplicasUnsharded,
    RecomputeLayers {
        layers: u64,
        stage: u64,
    },
    RecomputeLayersNotFull,
    Chunks {
        interleave: u64,
        pp: u64,
        layers: u64,
    },
}

impl Violation {
    /// The input to change.
    pub fn input(self) -> Input {
        match self {
            Violation::Zero(input) => input,
            Violation::TpHeads { .. } | Violation::TpKvHeads { .. } | Violation::TpNode { .. } => {
                Input::Tp
            }
            Violation::PpLayers { .. } => Input::Pp,
            Violation::SplitGpus { .. } | Violation::LayoutGpus { .. } => Input::Gpus,
            Violation::EpExperts { .. } | Violation::EpGroup { .. } => Input::Ep,
            Violation::InterleaveOneStage | Violation::Chunks { .. } => Input::Interleave,
            Violation::BatchTooSmall { .. } => Input::MicroBatch,
            Violation::ZeroStage(_) => Input::Zero,
            Violation::Replicas { .. } | Violation::ReplicasUnsharded => Input::Replicate,
            Violation::RecomputeLayers { .. } | Violation::RecomputeLayersNotFull => {
                Input::RecomputeLayers
            }
        }
    }

    /// What is wrong, in words.
    pub fn message(self) -> String {
        match self {
            Violation::Zero(_) => "must be at least 1".into(),
            Violation::TpHeads { tp, heads } => {
                format!("{tp} does not divide the {heads} attention heads")
            }
            Violation::TpKvHeads { tp, kv_heads } => {
                format!("{tp} and the {kv_heads} key/value heads do not divide one another")
            }
            Violation::TpNode { tp, node } => {
                format!("{tp} does not divide the {node} GPUs of one node's scale-up link")
            }
            Violation::PpLayers { pp, layers } => format!("{pp} is more than the {layers} layers"),
            Violation::SplitGpus { tp, pp, gpus } => {
                format!("TP × PP = {tp} × {pp} does not divide the {gpus} GPUs")
            }
            Violation::LayoutGpus {
                tp,
                cp,
                pp,
                dp,
                gpus,
            } => {
                format!("TP × CP × PP × DP = {tp} × {cp} × {pp} × {dp} is not the {gpus} GPUs")
            }
            Violation::EpExperts { ep, experts } => {
                format!("{ep} does not divide the {experts} experts")
            }
            Violation::EpGroup { ep, group } => {
                format!("{ep} does not divide the {group} data- and context-parallel ranks")
            }
            Violation::InterleaveOneStage => "needs more than one pipeline stage".into(),
            Violation::BatchTooSmall {
                dp,
                micro_batch,
                batch,
            } => format!(
                "DP {dp} × micro-batch {micro_batch} is more than the {batch} sequences of a step"
            ),
            Violation::ZeroStage(z) => format!("{z} is not a ZeRO stage: 0, 1, 2 or 3"),
            Violation::Replicas { replicas, group } => format!(
                "{replicas} replica groups do not divide the {group} data- and context-parallel ranks \
                 (each expert's, with expert parallelism)"
            ),
            Violation::RecomputeLayers { layers, stage } => {
                format!("{layers} is more than the {stage} layers of a pipeline stage")
            }
            Violation::RecomputeLayersNotFull => {
                "applies to full recompute (the layers it recomputes in full)".into()
            }
            Violation::ReplicasUnsharded => {
                "hybrid sharding needs ZeRO stage 1 or more (stage 0 shards nothing)".into()
            }
            Violation::Chunks {
                interleave,
                pp,
                layers,
            } => format!(
                "{interleave} chunks on each of the {pp} stages is more chunks than the {layers} layers"
            ),
        }
    }
}

impl From<Violation> for Error {
    fn from(v: Violation) -> Error {
        Error::Invalid {
            input: v.input(),
            message: v.message(),
        }
    }
}

/// The one rule for tensor and pipeline parallelism, in training and in serving: TP and PP at least 1;
/// TP divides the attention heads (Shoeybi et al. 2019, §3: heads are split over the ranks), divides or
/// is divided by the key/value heads (see [`kv_heads_per_rank`]) and divides a node's scale-up domain;
/// PP is at most the layers (stages may differ by a layer); TP × PP divides the GPUs.
pub fn split_violation(
    split: &Split,
    tp: u64,
    pp: u64,
    gpus: u64,
    gpus_per_node: u64,
) -> Option<Violation> {
    if tp == 0 {
        return Some(Violation::Zero(Input::Tp));
    }
    if pp == 0 {
        return Some(Violation::Zero(Input::Pp));
    }
    if !split.heads.is_multiple_of(tp) {
        return Some(Violation::TpHeads {
            tp,
            heads: split.heads,
        });
    }
    if !split.kv_heads.is_multiple_of(tp) && !tp.is_multiple_of(split.kv_heads) {
        return Some(Violation::TpKvHeads {
            tp,
            kv_heads: split.kv_heads,
        });
    }
    if !gpus_per_node.is_multiple_of(tp) {
        return Some(Violation::TpNode {
            tp,
            node: gpus_per_node,
        });
    }
    if pp > split.layers {
        return Some(Violation::PpLayers {
            pp,
            layers: split.layers,
        });
    }
    match tp.checked_mul(pp) {
        Some(replica) if gpus.is_multiple_of(replica) => None,
        _ => Some(Violation::SplitGpus { tp, pp, gpus }),
    }
}

/// [`split_violation`] as a result.
pub fn check_split(split: &Split, tp: u64, pp: u64, gpus: u64, gpus_per_node: u64) -> Result<()> {
    split_violation(split, tp, pp, gpus, gpus_per_node).map_or(Ok(()), |v| Err(v.into()))
}

/// How a model is split over GPUs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Layout {
    pub tp: u64,
    pub pp: u64,
    /// Context parallelism: each sequence split over `cp` ranks, attention exchanging keys and values
    /// around a ring (Liu et al. 2023, "Ring Attention"; Megatron-LM's context parallelism).
    pub cp: u64,
    /// Expert parallelism, taken out of the data-parallel group.
    pub ep: u64,
    pub dp: u64,
    /// Sequence parallelism alongside tensor parallelism (Korthikanti et al. 2022, §4.2.2).
    pub sp: bool,
    pub zero: u8,
    pub recompute: Recompute,
    /// Sequences per micro-batch.
    pub micro_batch: u64,
    /// Model chunks per pipeline stage (1 = plain 1F1B; more = interleaved, Narayanan et al. 2021).
    pub interleave: u64,
    /// Hybrid sharding (HSDP): the data- and context-parallel ranks form `replicas` groups, ZeRO shards
    /// the model states within each group and the groups hold copies, joined by one gradient
    /// all-reduce a step (Zhao et al. 2023, "PyTorch FSDP", §3.2.2; torchtitan's `dp_replicate` ×
    /// `dp_shard`). 1 = ZeRO over all of them.
    pub replicas: u64,
    /// Under full recompute, how many of each stage's layers are recomputed (the rest keep their
    /// activations): Megatron-LM's `--recompute-method block --recompute-num-layers N`, torchtitan's
    /// layer-level checkpointing of every k-th block. `None`: all of them.
    pub recompute_layers: Option<u64>,
}

impl Layout {
    /// Share of a stage's `stage_layers` layers whose forward runs again in the backward pass: all
    /// under full recompute unless fewer are named, none otherwise.
    pub fn recomputed_share(&self, stage_layers: f64) -> f64 {
        match (self.recompute, self.recompute_layers) {
            (Recompute::Full, Some(k)) => (k as f64 / stage_layers).min(1.0),
            (Recompute::Full, None) => 1.0,
            _ => 0.0,
        }
    }

    /// Ranks a ZeRO shard spans: the data- and context-parallel ranks of one replica group.
    pub fn shard_ranks(&self) -> u64 {
        self.dp * self.cp / self.replicas.max(1)
    }

    /// Ranks an expert's ZeRO shard spans: its data- and context-parallel copies in one replica group.
    pub fn expert_shard_ranks(&self) -> u64 {
        (self.dp * self.cp / self.ep.max(1) / self.replicas.max(1)).max(1)
    }
}

/// What the memory model needs of a model, computed once so that a layout evaluates without
/// allocating: widths, and parameters per layer by how they split.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Shape {
    pub layers: u64,
    pub d_model: f64,
    pub heads: u64,
    pub kv_heads: u64,
    pub head_dim: f64,
    pub vocab: f64,
    /// MLP width a token passes through per layer, averaged over dense and MoE layers, times the
    /// MLP kind's activation factor (4 for two matrices, 8 for gated ones).
    mlp_activation_width: f64,
    /// Parameters per layer split by tensor parallelism (attention, dense MLP, shared experts).
    split_per_layer: f64,
    /// Key/value projection parameters per layer (replicated where kv_heads < tp).
    kv_per_layer: f64,
    /// Parameters per layer every tensor-parallel rank holds whole (norms, router).
    replicated_per_layer: f64,
    /// Routed-expert parameters per layer, split by expert and tensor parallelism.
    expert_per_layer: f64,
    /// Hidden width of a dense MLP layer.
    pub ffn: f64,
    /// Hidden width of one routed or shared expert (0 for a dense model).
    pub expert_ffn: f64,
    /// Shared experts every token passes through on a MoE layer.
    pub shared_experts: f64,
    /// Weight matrices per MLP: 2, or 3 for a gated one (SwiGLU, GeGLU).
    pub mlp_matrices: f64,
    /// Experts per MoE layer (1 for a dense model).
    pub experts: u64,
    /// Routed experts per token (0 for a dense model).
    pub top_k: u64,
    /// MoE layers among `layers`.
    pub moe_layers: u64,
    pub embedding: f64,
    /// Output head parameters (untied), or 0 when tied.
    pub head: f64,
    /// The norm after the last layer, on the last stage.
    pub final_norm: f64,
    pub tied: bool,
    /// Multi-head Latent Attention, whose projections step times by their own shapes.
    pub mla: Option<Mla>,
    /// Multi-token prediction modules trained beside the model (DeepSeek-V3 report §2.2), each a block
    /// like the last layer with its own output layer, on the last pipeline stage.
    pub mtp_modules: f64,
    /// The attention window (or chunks) of windowed layers, and the share of the layers it applies to.
    pub window: Option<Window>,
    pub windowed_share: f64,
}

impl Shape {
    /// The shape of a decoder-only or encoder-only model: its widths (`Shape::widths`), then its
    /// parameters by how they split (`Shape::with_params`).
    pub fn new(model: &str, arch: &Architecture, params: &ParamBreakdown) -> Result<Shape> {
        if arch.kind() == Kind::EncoderDecoder {
            return Err(Error::Invalid {
                input: Input::Model,
                message: format!(
                    "{model} is an encoder-decoder; memory and layouts are modelled for single-stack models"
                ),
            });
        }
        let (_, s) = arch
            .stacks()
            .next()
            .expect("a checked architecture has a stack");
        Ok(Shape::widths(arch, s).with_params(arch, s, params))
    }

    /// The widths of the model's one stack `s`: attention, MLP and experts, with the MLP width a token
    /// passes through averaged over dense and MoE layers; the parameter counts are left at zero.
    fn widths(arch: &Architecture, s: &Stack) -> Shape {
        let activation_factor = if s.mlp.matrices() == 3 { 8.0 } else { 4.0 };
        let (mlp_width, experts, top_k, expert_ffn, shared_experts) = match &s.moe {
            Some(m) => {
                let moe_share = s.moe_layers() as f64 / s.layers as f64;
                let moe_width = (m.top_k + m.shared_experts) as f64 * m.expert_ffn as f64;
                (
                    moe_share * moe_width + (1.0 - moe_share) * s.ffn as f64,
                    m.experts,
                    m.top_k,
                    m.expert_ffn as f64,
                    m.shared_experts as f64,
                )
            }
            None => (s.ffn as f64, 1, 0, 0.0, 0.0),
        };
        Shape {
            layers: s.layers,
            d_model: arch.d_model as f64,
            heads: s.heads,
            kv_heads: s.kv_heads,
            head_dim: s.head_dim as f64,
            vocab: arch.vocab as f64,
            mlp_activation_width: activation_factor * mlp_width,
            ffn: s.ffn as f64,
            expert_ffn,
            shared_experts,
            mlp_matrices: s.mlp.matrices() as f64,
            experts,
            top_k,
            moe_layers: s.moe_layers(),
            tied: arch.tied_embeddings,
            mla: s.mla,
            mtp_modules: s.mtp_modules as f64,
            window: s.window,
            windowed_share: s.windowed_layers() as f64 / s.layers as f64,
            ..Shape::default()
        }
    }

    /// `self` with the parameters of `params` by how they split: per layer, those tensor parallelism
    /// splits, the key/value projections, those every rank holds whole and the routed experts'; the
    /// embedding, the output head and the final norm apart.
    fn with_params(self, arch: &Architecture, s: &Stack, params: &ParamBreakdown) -> Shape {
        let layers = s.layers as f64;
        let total = |role| params.total_of(role) as f64;
        // MLA has no per-head key/value projections; its down-projections are held whole on every
        // tensor-parallel rank (Megatron-LM's MultiLatentAttention builds linear_q_down_proj and
        // linear_kv_down_proj duplicated, not split).
        let (kv_per_layer, latent_down) = match s.mla {
            Some(m) => {
                let down = m.q_lora_rank.unwrap_or(0) + m.kv_lora_rank + m.qk_rope_head_dim;
                (0.0, self.d_model * down as f64)
            }
            None => (2.0 * self.d_model * s.kv_dim() as f64, 0.0),
        };
        let attention = total(Role::SelfAttention) / layers - kv_per_layer - latent_down;
        let split = attention + (total(Role::DenseMlp) + total(Role::SharedExperts)) / layers;
        // Norms of the layers are whole on every rank; the final norm sits with the output head.
        let norms = s.norms_per_layer as f64 * arch.norm_params() as f64;
        let final_norm = total(Role::Norms) - norms * layers;
        let replicated = norms
            + latent_down
            + (total(Role::Router) + total(Role::RelativePositionProjection)) / layers;
        let embedding = params
            .parts
            .iter()
            .filter(|p| p.role.is_embedding() && p.role != Role::OutputHead)
            .map(|p| p.total as f64)
            .sum();
        Shape {
            split_per_layer: split,
            kv_per_layer,
            replicated_per_layer: replicated,
            expert_per_layer: total(Role::RoutedExperts) / layers,
            embedding,
            head: total(Role::OutputHead),
            final_norm,
            ..self
        }
    }

    /// Width of the keys and values attention reads, over all heads: 2·kv_heads·head_dim, or with
    /// MLA the up-projected key, d_h + d_h^R, and value, d_v, of every head (DeepSeek-V2, arXiv:2405.04434,
    /// §2.1.2, eq. 12–17).
    pub fn kv_width(&self) -> f64 {
        match self.mla {
            Some(m) => {
                let per_head = m.qk_nope_head_dim + m.qk_rope_head_dim + m.v_head_dim;
                self.heads as f64 * per_head as f64
            }
            None => 2.0 * self.kv_heads as f64 * self.head_dim,
        }
    }

    /// Keys a query attends to on average over `seq_len` tokens, over the layers: windowed layers see
    /// at most their window, or their chunk ([`mean_keys`]).
    pub fn mean_keys(&self, seq_len: f64, causal: bool) -> f64 {
        let global = mean_keys(seq_len, None, causal);
        match self.window {
            Some(w) => {
                let local = mean_keys(seq_len, Some(w), causal);
                (1.0 - self.windowed_share) * global + self.windowed_share * local
            }
            None => global,
        }
    }

    /// Routed-expert parameters per layer, before any split.
    pub fn expert_params_per_layer(&self) -> f64 {
        self.expert_per_layer
    }

    /// Parameters of one GPU's share of a stage of `layers` layers: (dense, routed experts). Dense
    /// matrices split over TP, key/value heads replicated where fewer than the ranks, norms and router
    /// whole; routed experts over EP and TP.
    pub fn layer_params_per_gpu(&self, layout: &Layout, layers: f64) -> (f64, f64) {
        let tp = layout.tp as f64;
        let kv_share = kv_heads_per_rank(self.kv_heads, layout.tp) / self.kv_heads as f64;
        let dense =
            self.split_per_layer / tp + self.kv_per_layer * kv_share + self.replicated_per_layer;
        let experts = self.expert_per_layer / (layout.ep as f64 * tp);
        (layers * dense, layers * experts)
    }

    /// Layers of the slowest (largest) pipeline stage: ⌈L / PP⌉, the stages need not be equal.
    pub fn stage_layers(&self, pp: u64) -> f64 {
        self.layers.div_ceil(pp) as f64
    }

    /// The sizes tensor and pipeline parallelism must divide.
    pub fn split(&self) -> Split {
        Split {
            heads: self.heads,
            kv_heads: self.kv_heads,
            layers: self.layers,
        }
    }

    /// Checks a layout against the model, the GPU count and the batch: first how the ranks are laid
    /// out (`Shape::ranks_violation`), then how a step runs on them (`Shape::schedule_violation`).
    pub fn violation(
        &self,
        layout: &Layout,
        gpus: u64,
        gpus_per_node: u64,
        global_batch: u64,
    ) -> Option<Violation> {
        self.ranks_violation(layout, gpus, gpus_per_node)
            .or_else(|| self.schedule_violation(layout, global_batch))
    }

    /// CP, EP, micro-batch and interleave at least 1; the tensor and pipeline split
    /// ([`split_violation`]); TP × CP × PP × DP is the GPUs; EP divides the experts and the data- and
    /// context-parallel ranks.
    fn ranks_violation(&self, layout: &Layout, gpus: u64, gpus_per_node: u64) -> Option<Violation> {
        let Layout {
            tp, pp, cp, ep, dp, ..
        } = *layout;
        for (input, value) in [
            (Input::Cp, cp),
            (Input::Ep, ep),
            (Input::MicroBatch, layout.micro_batch),
            (Input::Interleave, layout.interleave),
            (Input::Replicate, layout.replicas),
        ] {
            if value == 0 {
                return Some(Violation::Zero(input));
            }
        }
        if let Some(v) = split_violation(&self.split(), tp, pp, gpus, gpus_per_node) {
            return Some(v);
        }
        if tp.saturating_mul(pp).saturating_mul(cp).saturating_mul(dp) != gpus {
            return Some(Violation::LayoutGpus {
                tp,
                cp,
                pp,
                dp,
                gpus,
            });
        }
        if !self.experts.is_multiple_of(ep) {
            return Some(Violation::EpExperts {
                ep,
                experts: self.experts,
            });
        }
        if !(dp * cp).is_multiple_of(ep) {
            return Some(Violation::EpGroup { ep, group: dp * cp });
        }
        let expert_group = dp * cp / ep;
        if !expert_group.is_multiple_of(layout.replicas) {
            return Some(Violation::Replicas {
                replicas: layout.replicas,
                group: expert_group,
            });
        }
        None
    }

    /// Interleaving needs more than one stage and at most one chunk per layer; every replica gets at
    /// least a micro-batch of the `global_batch` sequences; ZeRO has stages 0 to 3.
    fn schedule_violation(&self, layout: &Layout, global_batch: u64) -> Option<Violation> {
        let Layout { pp, dp, .. } = *layout;
        if layout.interleave > 1 && pp == 1 {
            return Some(Violation::InterleaveOneStage);
        }
        if dp.saturating_mul(layout.micro_batch) > global_batch {
            return Some(Violation::BatchTooSmall {
                dp,
                micro_batch: layout.micro_batch,
                batch: global_batch,
            });
        }
        if layout.zero > 3 {
            return Some(Violation::ZeroStage(layout.zero));
        }
        if layout.replicas > 1 && layout.zero == 0 {
            return Some(Violation::ReplicasUnsharded);
        }
        if let Some(layers) = layout.recompute_layers {
            let stage = self.layers.div_ceil(pp);
            if layout.recompute != Recompute::Full {
                return Some(Violation::RecomputeLayersNotFull);
            }
            if layers == 0 {
                return Some(Violation::Zero(Input::RecomputeLayers));
            }
            if layers > stage {
                return Some(Violation::RecomputeLayers { layers, stage });
            }
        }
        if pp.saturating_mul(layout.interleave) > self.layers {
            return Some(Violation::Chunks {
                interleave: layout.interleave,
                pp,
                layers: self.layers,
            });
        }
        None
    }

    /// [`Shape::violation`] as a result.
    pub fn check(
        &self,
        layout: &Layout,
        gpus: u64,
        gpus_per_node: u64,
        global_batch: u64,
    ) -> Result<()> {
        self.violation(layout, gpus, gpus_per_node, global_batch)
            .map_or(Ok(()), |v| Err(v.into()))
    }
}

/// The batch a step trains on.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Workload {
    pub seq_len: u64,
    /// Sequences per optimizer step over all data-parallel ranks.
    pub global_batch: u64,
}

/// How much memory to keep free of the model: a fraction of the GPU, or a fixed amount.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Reserve {
    Fraction(f64),
    Bytes(Information),
}

impl Reserve {
    /// The bytes kept free of a GPU of `capacity` bytes.
    pub fn bytes(self, capacity: f64) -> f64 {
        match self {
            Reserve::Fraction(f) => f * capacity,
            Reserve::Bytes(b) => b.get::<byte>(),
        }
    }
}

/// Per-GPU memory options.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MemoryOptions {
    pub optimizer: Optimizer,
    pub weights: WeightPrecision,
    pub reserve: Reserve,
    /// GPU memory.
    pub capacity: Information,
}

/// Which pipeline stage a breakdown is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    First,
    Last,
}

/// Bytes per GPU on one pipeline stage.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Memory {
    pub stage: Stage,
    /// Parameters held on the GPU (before ZeRO sharding).
    pub params: f64,
    pub weights: f64,
    pub gradients: f64,
    pub optimizer: f64,
    /// Transformer layers' activations of all micro-batches in flight.
    pub activations: f64,
    /// Embedding output (first stage) or fp32 logits (last stage).
    pub edge_activations: f64,
    pub reserve: f64,
    pub total: f64,
    pub capacity: f64,
    /// Activations of one layer and one micro-batch.
    pub activations_per_layer: f64,
    /// Layers' worth of activations held: layers per stage × micro-batches in flight.
    pub layers_in_flight: f64,
    /// Micro-batches per step on each data-parallel rank.
    pub micro_batches: u64,
}

impl Memory {
    /// Whether the total fits in the GPU.
    pub fn fits(&self) -> bool {
        self.total <= self.capacity
    }

    /// The parts, named, for reports.
    pub fn parts(&self) -> [(&'static str, f64); 6] {
        [
            ("weights", self.weights),
            ("gradients", self.gradients),
            ("optimizer states", self.optimizer),
            ("activations", self.activations),
            (
                match self.stage {
                    Stage::First => "embedding activations",
                    Stage::Last => "logits (fp32)",
                },
                self.edge_activations,
            ),
            ("reserve", self.reserve),
        ]
    }
}

/// Micro-batches per step on each data-parallel rank (at least one).
pub fn micro_batches(layout: &Layout, workload: &Workload) -> u64 {
    (workload.global_batch / layout.dp / layout.micro_batch).max(1)
}

/// Activation bytes of one layer for one micro-batch, averaged over a stage of `stage_layers` layers
/// of which [`Layout::recomputed_share`] keep only their input.
pub fn mean_activations_per_layer(
    shape: &Shape,
    layout: &Layout,
    seq_len: u64,
    stage_layers: f64,
) -> f64 {
    let share = layout.recomputed_share(stage_layers);
    if share == 0.0 || share == 1.0 {
        return activations_per_layer(shape, layout, seq_len);
    }
    let kept = Layout {
        recompute: Recompute::None,
        ..*layout
    };
    share * activations_per_layer(shape, layout, seq_len)
        + (1.0 - share) * activations_per_layer(shape, &kept, seq_len)
}

/// Activation bytes of one layer for one micro-batch (Korthikanti et al. 2022, eq. 1–3, §5).
pub fn activations_per_layer(shape: &Shape, layout: &Layout, seq_len: u64) -> f64 {
    let (s, b, h) = (seq_len as f64, layout.micro_batch as f64, shape.d_model);
    let t = layout.tp as f64;
    // Context parallelism leaves each rank s / cp tokens of every sequence.
    let sb = s / layout.cp as f64 * b;
    if layout.recompute == Recompute::Full {
        // Only the layer input is kept.
        return 2.0 * sb * h / if layout.sp { t } else { 1.0 };
    }
    let outside = 10.0 * sb * h;
    let (attention, whole) = attention_activations(shape, layout.tp);
    let inside = sb * (attention + shape.mlp_activation_width);
    let kv_per_rank = sb * whole;
    // The paper's 5as²b bytes of attention scores are not stored: FlashAttention-style kernels, which
    // current frameworks run, recompute them block by block (Dao et al. 2022, §3.1).
    if layout.sp {
        (outside + inside) / t + kv_per_rank
    } else {
        outside + inside / t + kv_per_rank
    }
}

/// Attention activation bytes per token of one layer, 16-bit: those split over the tensor-parallel
/// ranks, and those each rank holds whole.
/// - Multi-head attention (Korthikanti et al. 2022, §4.1): the query and the attention context, 2·2·q
///   split; the keys and values, 2·2·kv_heads·head_dim, where key/value heads fewer than the TP ranks
///   are replicated, one per rank, with their activations.
/// - MLA (DeepSeek-V2, arXiv:2405.04434, §2.1, eq. 9–19): the up-projected query and key of every head,
///   2·heads·(d_h + d_h^R) each, its value and context, 2·heads·d_v each, split over the heads; the
///   latents c_KV (d_c) and c_Q (d_c', when queries have a latent), 2·(d_c + d_c') whole, since every
///   rank computes them with its whole copy of the down-projections.
fn attention_activations(shape: &Shape, tp: u64) -> (f64, f64) {
    match shape.mla {
        Some(m) => {
            let heads = shape.heads as f64;
            let qk = (m.qk_nope_head_dim + m.qk_rope_head_dim) as f64;
            let latents = (m.kv_lora_rank + m.q_lora_rank.unwrap_or(0)) as f64;
            (4.0 * heads * (qk + m.v_head_dim as f64), 2.0 * latents)
        }
        None => {
            let q = shape.heads as f64 * shape.head_dim;
            let kv = shape.head_dim * kv_heads_per_rank(shape.kv_heads, tp);
            (4.0 * q, 4.0 * kv)
        }
    }
}

/// Layers' worth of activations the first stage holds (Korthikanti et al. 2022, §4.2.3): under 1F1B
/// `min(p, m)` micro-batches of its layers; with `v` interleaved chunks and m ≥ p,
/// `L·(1 + (p−1)/(p·v))`.
fn layers_in_flight(stage_layers: f64, layout: &Layout, micro_batches: u64) -> f64 {
    let pp = layout.pp as f64;
    if layout.interleave > 1 && micro_batches >= layout.pp {
        stage_layers * pp * (1.0 + (pp - 1.0) / (pp * layout.interleave as f64))
    } else {
        stage_layers * micro_batches.min(layout.pp) as f64
    }
}

/// Parameters the first and the last stage hold beyond their layers: the embedding, split over the
/// vocabulary, on the first; the final norm and the output head (a copy of the embedding when tied)
/// on the last; a single stage holds both.
fn edge_params(shape: &Shape, layout: &Layout) -> (f64, f64) {
    let tp = layout.tp as f64;
    let embedding = shape.embedding / tp;
    let head = shape.final_norm
        + if shape.tied {
            if layout.pp > 1 {
                shape.embedding / tp
            } else {
                0.0
            }
        } else {
            shape.head / tp
        };
    if layout.pp == 1 {
        (embedding + head, 0.0)
    } else {
        (embedding, head)
    }
}

/// Activations the first and the last stage hold beyond their layers' (Korthikanti et al. 2022): the
/// embedding output's 1-byte dropout mask for each micro-batch in flight on the first (§4.2.3), split
/// over TP under sequence parallelism; the fp32 logits for the loss, 4·s·b·v/t bytes, on the last
/// (§4.3).
fn edge_activations(
    shape: &Shape,
    layout: &Layout,
    workload: &Workload,
    micro_batches: u64,
) -> (f64, f64) {
    let tp = layout.tp as f64;
    let sb = (workload.seq_len * layout.micro_batch) as f64 / layout.cp as f64;
    let sp = if layout.sp { tp } else { 1.0 };
    let embedding_mask = sb * shape.d_model * micro_batches.min(layout.pp) as f64 / sp;
    let logits = Precision::Fp32.bytes().get::<byte>() * sb * shape.vocab / tp;
    (embedding_mask, logits)
}

/// Bytes of weights, gradients and optimizer state of `dense` and `experts` parameters on one GPU,
/// with ZeRO's sharding (Rajbhandari et al. 2020, §3.1): stage 1 shards the optimizer state, 2 also
/// the gradients, 3 also the weights, over the data-parallel group, the experts' over its share of it;
/// with hybrid sharding over one replica group's share (Zhao et al. 2023, §3.2.2).
fn model_states(layout: &Layout, opts: &MemoryOptions, dense: f64, experts: f64) -> [f64; 3] {
    let weight_bytes = opts.weights.precision().bytes().get::<byte>();
    // Gradients are kept in 16 bits (Rajbhandari et al. 2020, §3.1).
    let gradient_bytes = Precision::Bf16.bytes().get::<byte>();
    // Context-parallel ranks hold the same weights and join the data-parallel ranks in reducing the
    // gradients and sharding the states (Megatron-LM folds CP into the data-parallel group).
    let (dp, expert_dp) = (
        layout.shard_ranks() as f64,
        layout.expert_shard_ranks() as f64,
    );
    let shard = |bytes: f64, from: u8| {
        if layout.zero >= from {
            bytes * dense / dp + bytes * experts / expert_dp
        } else {
            bytes * (dense + experts)
        }
    };
    [
        shard(weight_bytes, 3),
        shard(gradient_bytes, 2),
        shard(opts.optimizer.state_bytes(), 1),
    ]
}

/// Memory per GPU on the first and the last pipeline stage.
pub fn memory(
    shape: &Shape,
    layout: &Layout,
    workload: &Workload,
    opts: &MemoryOptions,
) -> [Memory; 2] {
    let stage_layers = shape.stage_layers(layout.pp);
    let (dense, experts) = shape.layer_params_per_gpu(layout, stage_layers);
    let m = micro_batches(layout, workload);
    let per_layer = mean_activations_per_layer(shape, layout, workload.seq_len, stage_layers);
    let layers_in_flight = layers_in_flight(stage_layers, layout, m);
    let capacity = opts.capacity.get::<byte>();
    let reserve = opts.reserve.bytes(capacity);
    let stage = |stage: Stage, edge_params: f64, edge_activations: f64, layers_in_flight: f64| {
        let activations = per_layer * layers_in_flight;
        let dense = dense + edge_params;
        let [weights, gradients, optimizer] = model_states(layout, opts, dense, experts);
        let total = weights + gradients + optimizer + activations + edge_activations + reserve;
        Memory {
            stage,
            params: dense + experts,
            weights,
            gradients,
            optimizer,
            activations,
            edge_activations,
            reserve,
            total,
            capacity,
            activations_per_layer: per_layer,
            layers_in_flight,
            micro_batches: m,
        }
    };
    let (first_edge, last_edge) = edge_params(shape, layout);
    let (embedding_mask, last_logits) = edge_activations(shape, layout, workload, m);
    let first = stage(Stage::First, first_edge, embedding_mask, layers_in_flight);
    if layout.pp == 1 {
        // One stage: it holds both ends.
        let mut only = first;
        only.edge_activations += last_logits;
        only.total += last_logits;
        return [only, only];
    }
    // The last stage finishes each micro-batch's forward and starts its backward at once: one in flight.
    let last = stage(Stage::Last, last_edge, last_logits, stage_layers);
    [first, last]
}

/// The stage that needs the most memory.
/// The fewest of each stage's layers full recompute must cover for `layout` to fit: memory is affine
/// in the share of layers recomputed, so the count is solved from the memory with none and with all
/// of them recomputed, stage by stage. `None` when keeping every activation fits already, when
/// recomputing every layer does not fit, or when only all of them will do.
pub fn fewest_recomputed_layers(
    shape: &Shape,
    layout: &Layout,
    workload: &Workload,
    opts: &MemoryOptions,
) -> Option<u64> {
    let with = |recompute| Layout {
        recompute,
        recompute_layers: None,
        ..*layout
    };
    let all = memory(shape, &with(Recompute::Full), workload, opts);
    let none = memory(shape, &with(Recompute::None), workload, opts);
    if worst(&none).fits() || !worst(&all).fits() {
        return None;
    }
    let stage = shape.stage_layers(layout.pp);
    let needed = none.iter().zip(&all).map(|(n, a)| {
        let over = n.total - n.capacity;
        let saved_per_layer = (n.total - a.total) / stage;
        if over <= 0.0 {
            0.0
        } else {
            (over / saved_per_layer).ceil()
        }
    });
    let layers = needed.fold(1.0, f64::max);
    (layers < stage).then_some(layers as u64)
}

pub fn worst(stages: &[Memory; 2]) -> Memory {
    if stages[1].total > stages[0].total {
        stages[1]
    } else {
        stages[0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_model_states_match_the_paper() {
        // Rajbhandari et al. 2020, Fig. 1: Ψ = 7.5B parameters, N_d = 64, K = 12 (Adam):
        // baseline (2 + 2 + K)Ψ = 120 GB; P_os 2Ψ + 2Ψ + KΨ/N_d = 31.4 GB; P_os+g 2Ψ + (2+K)Ψ/N_d =
        // 16.6 GB; P_os+g+p (2 + 2 + K)Ψ/N_d = 1.88 GB.
        let psi = 7.5e9;
        let shape = Shape {
            layers: 1,
            d_model: 1.0,
            heads: 1,
            kv_heads: 1,
            head_dim: 1.0,
            split_per_layer: psi,
            mlp_matrices: 2.0,
            experts: 1,
            ..Shape::default()
        };
        let workload = Workload {
            seq_len: 1,
            global_batch: 64,
        };
        let opts = MemoryOptions {
            optimizer: Optimizer::Adam,
            weights: WeightPrecision::Bf16,
            reserve: Reserve::Bytes(Information::default()),
            capacity: Information::new::<byte>(80e9),
        };
        let states = |zero| {
            let layout = Layout {
                dp: 64,
                zero,
                ..layout(1, false, Recompute::Full)
            };
            let m = memory(&shape, &layout, &workload, &opts)[0];
            (m.weights + m.gradients + m.optimizer) / 1e9
        };
        let expected = [120.0, 31.40625, 16.640625, 1.875];
        for (zero, gb) in expected.into_iter().enumerate() {
            assert!(
                (states(zero as u8) - gb).abs() < 1e-9,
                "stage {zero}: {}",
                states(zero as u8)
            );
        }
    }

    fn gpt3_shape() -> Shape {
        // GPT-3 175B widths (Brown et al. 2020): h = 12288, a = 96, two-matrix MLP of 4h.
        Shape {
            layers: 96,
            d_model: 12288.0,
            heads: 96,
            kv_heads: 96,
            head_dim: 128.0,
            vocab: 50257.0,
            mlp_activation_width: 4.0 * 4.0 * 12288.0,
            mlp_matrices: 2.0,
            experts: 1,
            tied: true,
            ..Shape::default()
        }
    }

    fn layout(tp: u64, sp: bool, recompute: Recompute) -> Layout {
        Layout {
            tp,
            pp: 1,
            cp: 1,
            ep: 1,
            dp: 1,
            sp,
            zero: 0,
            recompute,
            micro_batch: 1,
            interleave: 1,
            replicas: 1,
            recompute_layers: None,
        }
    }

    #[test]
    fn activations_match_korthikanti() {
        // Korthikanti et al. 2022 for GPT-3 at s = 2048, b = 1, less the 5as/h score terms that
        // FlashAttention does not store.
        let shape = gpt3_shape();
        let (s, h, t) = (2048.0, 12288.0, 8.0);
        let sbh = s * h;
        let per = |l: Layout| activations_per_layer(&shape, &l, 2048);
        // eq. 1 without 5as/h: 34 sbh.
        assert_eq!(per(layout(1, false, Recompute::None)), sbh * 34.0);
        // eq. 2 without 5as/(ht): sbh(10 + 24/t).
        assert_eq!(
            per(layout(8, false, Recompute::None)),
            sbh * (10.0 + 24.0 / t)
        );
        // eq. 3 without 5as/h: 34 sbh / t.
        assert_eq!(per(layout(8, true, Recompute::None)), sbh / t * 34.0);
        // §5, selective recompute with sequence parallelism: 34 sbh / t.
        assert_eq!(per(layout(8, true, Recompute::Selective)), sbh * 34.0 / t);
        // Full recompute keeps the 2sbh input of each layer.
        assert_eq!(per(layout(8, false, Recompute::Full)), 2.0 * sbh);
    }

    fn deepseek_v3_shape() -> Shape {
        // DeepSeek-V3 widths (config.json; DeepSeek-V2 §2.1 shapes): h = 7168, 128 heads, d_c' = 1536,
        // d_c = 512, d_h + d_h^R = 128 + 64, d_v = 128; SwiGLU MLP of 18432 on dense layers and 9
        // experts of 2048 (top-8 + 1 shared) = 18432 on MoE layers, activation factor 8.
        Shape {
            layers: 61,
            d_model: 7168.0,
            heads: 128,
            kv_heads: 128,
            head_dim: 192.0,
            mlp_activation_width: 8.0 * 18432.0,
            mlp_matrices: 3.0,
            experts: 256,
            mla: Some(Mla {
                q_lora_rank: Some(1536),
                kv_lora_rank: 512,
                qk_nope_head_dim: 128,
                qk_rope_head_dim: 64,
                v_head_dim: 128,
            }),
            ..Shape::default()
        }
    }

    #[test]
    fn mla_activations_use_the_latent_widths() {
        let shape = deepseek_v3_shape();
        // Bytes per token, 16-bit: outside the split 10h = 71,680; Q and K 2·2·128·192 = 98,304, V and
        // context 2·2·128·128 = 65,536, together 163,840, split over TP; the latents 2·(512 + 1536) =
        // 4,096 on every rank; the MLP 8 · 18432 = 147,456, split.
        let s = 4096.0;
        let per = |l: Layout| activations_per_layer(&shape, &l, 4096);
        assert_eq!(
            per(layout(1, false, Recompute::None)),
            s * (71_680.0 + 163_840.0 + 4_096.0 + 147_456.0)
        );
        assert_eq!(
            per(layout(8, true, Recompute::None)),
            s * ((71_680.0 + 163_840.0 + 147_456.0) / 8.0 + 4_096.0)
        );
    }

    #[test]
    fn mla_keys_and_values_are_the_up_projected_widths() {
        // DeepSeek-V2 §2.1.2: every head reads a key of d_h + d_h^R = 192 and a value of d_v = 128;
        // DeepSeek-V3's 128 heads: 128 · 320 = 40,960. GPT-3's MHA: 2 · 96 · 128 = 24,576.
        assert_eq!(deepseek_v3_shape().kv_width(), 40_960.0);
        assert_eq!(gpt3_shape().kv_width(), 24_576.0);
    }
}
