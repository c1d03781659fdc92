//! The time of one optimizer step of a layout, built from the time of each operation on a GPU
//! ([`crate::domain::kernels`]) and of each transfer between GPUs ([`crate::domain::collectives`]).
//!
//! Per micro-batch, each GPU of the slowest pipeline stage (⌈L/PP⌉ layers, and the output layer) runs
//! every layer forward and backward:
//! - the matrix products by their shapes: for T = b·s/CP tokens, QKV (T × d by d × (q + 2kv)/TP), the
//!   attention output, the MLP's up (and gate) and down projections split over TP (Shoeybi et al. 2019,
//!   §3); on a MoE layer the router, each local expert over the T·k·EP/E tokens routed to it, and the
//!   shared experts; the backward pass does each product twice (input and weight gradients);
//! - fused attention: 4·T·s·q/TP FLOPs forward, halved under the causal mask (Kaplan et al. 2020,
//!   Table 1 counts the full square; FlashAttention skips the masked blocks), 2.5× that backward; on
//!   sliding-window layers a query sees at most the window ([`Shape::mean_keys`]), and MLA's values are
//!   v_head_dim wide;
//! - element-wise work at HBM bandwidth, and the MoE token permutation;
//! - recompute: full recompute runs the forward again, selective the attention (Korthikanti et al.
//!   2022, §5);
//! - tensor parallelism: two all-reduces of the T·d activations forward and two backward per layer
//!   (or the same volume as all-gather and reduce-scatter with sequence parallelism, Korthikanti et al.
//!   §4.2.2), two more with full recompute, on the critical path;
//! - context parallelism: the key/value blocks passed around the ring of CP ranks, hidden behind the
//!   attention's computation where it is long enough (Liu et al. 2023);
//! - expert parallelism: dispatch and combine all-to-alls forward and backward, partly hidden behind
//!   computation (a fitted share; Lepikhin et al. 2021, GShard);
//!
//! and per step:
//! - the pipeline bubble, (PP − 1)/v of one micro-batch's stage time for v interleaved chunks
//!   (Narayanan et al. 2021, §2.2), plus the first activations' trip down the pipeline;
//! - data parallelism: with ZeRO 0 an all-reduce of the fp32 gradients, with ZeRO 1–2 their
//!   reduce-scatter and the all-gather of the updated weights, with ZeRO-3 / FSDP an all-gather of the
//!   weights forward and again backward and a reduce-scatter of the gradients on every micro-batch
//!   (Rajbhandari et al. 2020, §5, §7), over the data- and context-parallel ranks; with hybrid
//!   sharding these run within each replica group and one all-reduce of each rank's gradient shard
//!   crosses the groups per step (Zhao et al. 2023, "PyTorch FSDP", §3.2.2);
//! - the optimizer update: read and write of the fp32 master weights and the two Adam moments, the
//!   gradient read and the weight write, 32 bytes per parameter a GPU updates, at HBM bandwidth.
//!
//! The calibration (`tests/llmcalc/calibration.rs`) found the data-parallel traffic best counted as
//! not overlapped with the backward pass; `dp_overlap` hides a share of it.

use serde::Serialize;

use crate::domain::collectives::Fabric;
use crate::domain::kernels::{Device, elementwise_bytes};
use crate::domain::memory::{Layout, Shape, Workload};
use crate::domain::model::architecture::Mla;
use crate::domain::model::flops::Recompute;

/// What the step-time model needs besides the model shape and the layout.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepModel {
    pub device: Device,
    pub fabric: Fabric,
    /// Bytes of a weight as gathered by ZeRO-3 (the compute copy: 2 for bf16, 1 for fp8).
    pub weight_bytes: f64,
    /// Whether attention is causal (decoders), halving its work.
    pub causal: bool,
    /// Share of the data-parallel traffic hidden behind the backward pass.
    pub dp_overlap: f64,
    /// Share of the tensor-parallel traffic hidden behind the matrix products it feeds: 0 as
    /// Megatron-LM runs by default; communication-overlapping kernels (Transformer Engine's userbuffers,
    /// PyTorch's async TP; Wang et al. 2023, "Overlap Communication with Dependent Computation via
    /// Decomposition") hide part of it.
    pub tp_overlap: f64,
}

/// Seconds per optimizer step, by part.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct StepTime {
    /// Matrix products, attention and element-wise work of every micro-batch, recompute included.
    pub compute: f64,
    /// Pipeline fill and drain, and the first sends down the pipeline.
    pub bubble: f64,
    pub tensor_parallel: f64,
    pub context_parallel: f64,
    pub expert_parallel: f64,
    pub data_parallel: f64,
    pub optimizer: f64,
    pub total: f64,
}

impl StepTime {
    /// `self` with its total: the sum of the parts.
    fn with_total(self) -> StepTime {
        StepTime {
            total: self.compute
                + self.bubble
                + self.tensor_parallel
                + self.context_parallel
                + self.expert_parallel
                + self.data_parallel
                + self.optimizer,
            ..self
        }
    }
}

/// One layer's forward-and-backward time for one micro-batch, by part.
#[derive(Clone, Copy, Debug, Default)]
struct LayerTime {
    compute: f64,
    tensor_parallel: f64,
    context_parallel: f64,
    expert_parallel: f64,
}

/// The sizes one micro-batch works on, on one GPU.
struct Micro<'a> {
    shape: &'a Shape,
    layout: &'a Layout,
    model: &'a StepModel,
    /// Tokens of the micro-batch on this rank: b·s/CP.
    tokens: f64,
    seq_len: f64,
}

impl Micro<'_> {
    fn tp(&self) -> f64 {
        self.layout.tp as f64
    }

    /// Forward seconds of the attention block's matrix products.
    fn attention_products(&self) -> f64 {
        let (s, d, t) = (self.shape, self.shape.d_model, self.tp());
        let q = s.heads as f64 * s.head_dim;
        let kv = s.kv_heads as f64 * s.head_dim;
        let dev = &self.model.device;
        if let Some(m) = s.mla {
            return self.latent_products(&m);
        }
        dev.gemm(self.tokens, (q + 2.0 * kv) / t, d) + dev.gemm(self.tokens, d, q / t)
    }

    /// MLA's products (DeepSeek-V2 §2.1): the down-projections whole on every rank, the
    /// up-projections and the output split over TP, as Megatron-LM's MultiLatentAttention does.
    fn latent_products(&self, m: &Mla) -> f64 {
        let (s, d, t, n) = (self.shape, self.shape.d_model, self.tp(), self.tokens);
        let dev = &self.model.device;
        let heads = s.heads as f64;
        let q_out = heads * s.head_dim;
        let query = match m.q_lora_rank {
            Some(r) => dev.gemm(n, r as f64, d) + dev.gemm(n, q_out / t, r as f64),
            None => dev.gemm(n, q_out / t, d),
        };
        let (r_kv, rope) = (m.kv_lora_rank as f64, m.qk_rope_head_dim as f64);
        let up = heads * (m.qk_nope_head_dim + m.v_head_dim) as f64;
        let v = heads * m.v_head_dim as f64;
        query + dev.gemm(n, r_kv + rope, d) + dev.gemm(n, up / t, r_kv) + dev.gemm(n, d, v / t)
    }

    /// Forward seconds of a dense MLP of hidden width `ffn`, split over TP, for `tokens` tokens.
    fn mlp(&self, tokens: f64, ffn: f64) -> f64 {
        let dev = &self.model.device;
        let d = self.shape.d_model;
        dev.gemm(tokens, (self.shape.mlp_matrices - 1.0) * ffn, d) + dev.gemm(tokens, d, ffn)
    }

    /// Forward seconds of a MoE layer's products: the router, the local experts each over the tokens
    /// routed to it (experts split over EP and TP, as in memory), and the shared experts.
    fn moe_products(&self) -> f64 {
        let s = self.shape;
        let (t, ep, e) = (self.tp(), self.layout.ep as f64, s.experts as f64);
        let per_expert = self.tokens * s.top_k as f64 * ep / e;
        let routed = e / ep * self.mlp(per_expert, s.expert_ffn / t);
        let shared = if s.shared_experts > 0.0 {
            self.mlp(self.tokens, s.shared_experts * s.expert_ffn / t)
        } else {
            0.0
        };
        let router = self.model.device.gemm(self.tokens, e, s.d_model);
        routed + shared + router
    }

    /// Forward seconds of the fused attention over the sequence: scores over the query/key width and
    /// the weighted sum over the value width (MLA's v_head_dim), each 2 FLOPs per key a query sees —
    /// half the sequence under the causal mask, at most the window on windowed layers.
    fn attention_core(&self) -> f64 {
        let s = self.shape;
        let q = s.heads as f64 * s.head_dim;
        let v = s.mla.map_or(q, |m| s.heads as f64 * m.v_head_dim as f64);
        let keys = s.mean_keys(self.seq_len, self.model.causal);
        let flops = 4.0 * self.tokens * keys * ((q + v) / 2.0) / self.tp();
        self.model.device.attention(flops)
    }

    /// Forward seconds of the element-wise work of a layer whose MLP is `mlp_width` wide per token.
    fn elementwise(&self, mlp_width: f64, moe: bool) -> f64 {
        let dev = &self.model.device;
        let c = dev.constants;
        let t = self.tp();
        let split = if self.layout.sp { t } else { 1.0 };
        let d = self.shape.d_model;
        let mut bytes =
            c.elementwise_traffic * elementwise_bytes(self.tokens, d, split, mlp_width / t);
        if moe {
            // Each routed token is written out and read back before and after the experts.
            bytes += c.permute_traffic * 8.0 * self.tokens * self.shape.top_k as f64 * d / t;
        }
        dev.memory_bound(bytes)
    }

    /// One layer (dense or MoE) forward and backward, with recompute and its communication.
    fn layer(&self, moe: bool) -> LayerTime {
        let s = self.shape;
        let products = self.attention_products()
            + if moe {
                self.moe_products()
            } else {
                self.mlp(self.tokens, s.ffn / self.tp())
            };
        let attention = self.attention_core();
        let mlp_width = if moe {
            (s.top_k as f64 + s.shared_experts) * s.expert_ffn
        } else {
            s.ffn
        };
        let elementwise = self.elementwise(mlp_width, moe);
        let forward = products + attention + elementwise;
        let backward = 2.0 * products + 2.5 * attention + 2.0 * elementwise;
        let recompute = match self.layout.recompute {
            Recompute::None => 0.0,
            Recompute::Selective => attention,
            Recompute::Full => self.recomputed_share() * forward,
        };
        LayerTime {
            compute: forward + backward + recompute,
            tensor_parallel: self.tensor_parallel(),
            context_parallel: self.context_parallel(attention),
            expert_parallel: if moe { self.expert_parallel() } else { 0.0 },
        }
    }

    /// Share of the stage's layers recomputed in full ([`Layout::recomputed_share`]).
    fn recomputed_share(&self) -> f64 {
        let layers = self.shape.stage_layers(self.layout.pp);
        self.layout.recomputed_share(layers)
    }

    /// Two all-reduces of the activations forward and two backward, two more on recomputed layers.
    fn tensor_parallel(&self) -> f64 {
        let count = 4.0 + 2.0 * self.recomputed_share();
        let bytes = 2.0 * self.tokens * self.shape.d_model;
        (1.0 - self.model.tp_overlap)
            * count
            * self.model.fabric.all_reduce(bytes, self.layout.tp, 1)
    }

    /// The key/value blocks' trip around the CP ring, less the attention it hides behind; the
    /// backward pass sends twice as much (keys, values and their gradients). The blocks are what the
    /// rank's heads read ([`Shape::kv_width`]): with MLA the up-projected keys and values.
    fn context_parallel(&self, attention: f64) -> f64 {
        let cp = self.layout.cp;
        if cp <= 1 {
            return 0.0;
        }
        let kv = self.shape.kv_width() / self.tp();
        let bytes = 2.0 * self.tokens * kv;
        let ring = (cp - 1) as f64 * self.model.fabric.send(bytes, self.layout.tp);
        3.0 * (ring - attention).max(0.0)
    }

    /// Dispatch and combine, forward and backward, of the tokens this rank routes, the exposed share.
    fn expert_parallel(&self) -> f64 {
        let l = self.layout;
        let fabric = &self.model.fabric;
        let bytes = 2.0 * self.tokens * self.shape.top_k as f64 * self.shape.d_model / self.tp();
        let exposed = fabric.constants.all_to_all_exposed;
        4.0 * exposed * fabric.all_to_all(bytes, l.ep, l.tp * l.cp)
    }

    /// Forward and backward of the output layer on the last stage (16-bit; the logits stay exact).
    fn output_layer(&self) -> f64 {
        let mut bf16 = self.model.device;
        bf16.gemm_peak = bf16.attention_peak;
        bf16.input_bytes = 2.0;
        3.0 * bf16.gemm(
            self.tokens,
            self.shape.vocab / self.tp(),
            self.shape.d_model,
        )
    }

    /// One micro-batch forward and backward on the slowest stage: `layers` layers, dense and MoE in
    /// the model's proportion, and the output layer.
    fn stage(&self, layers: f64) -> LayerTime {
        let moe_share = self.shape.moe_layers as f64 / self.shape.layers as f64;
        let (dense, moe) = (self.layer(false), self.layer(true));
        let mix = |f: fn(&LayerTime) -> f64| {
            layers * ((1.0 - moe_share) * f(&dense) + moe_share * f(&moe))
        };
        // Multi-token prediction modules sit on the last stage with the output layer: each is a block
        // like the last layer (MoE where the stack has experts), its 2d → d projection and its own
        // output layer (DeepSeek-V3 report §2.2).
        let mtp = self.shape.mtp_modules;
        let block = if self.shape.moe_layers > 0 {
            moe
        } else {
            dense
        };
        let d = self.shape.d_model;
        let projection = 3.0 * self.model.device.gemm(self.tokens, d / self.tp(), 2.0 * d);
        LayerTime {
            compute: mix(|l| l.compute)
                + self.output_layer()
                + mtp * (block.compute + projection + self.output_layer()),
            tensor_parallel: mix(|l| l.tensor_parallel) + mtp * block.tensor_parallel,
            context_parallel: mix(|l| l.context_parallel) + mtp * block.context_parallel,
            expert_parallel: mix(|l| l.expert_parallel) + mtp * block.expert_parallel,
        }
    }

    /// The pipeline bubble of a step: (PP − 1)/v of one micro-batch's `stage` seconds for v
    /// interleaved chunks (Narayanan et al. 2021, §2.2), plus the first activations' trip down the
    /// pipeline, PP − 1 sends of the micro-batch's 16-bit activations.
    fn bubble(&self, stage: f64) -> f64 {
        let layout = self.layout;
        let pp = layout.pp as f64;
        let sends = if layout.pp > 1 {
            let bytes = 2.0 * self.tokens * self.shape.d_model / self.tp();
            (pp - 1.0)
                * self
                    .model
                    .fabric
                    .send(bytes, layout.tp * layout.cp * layout.dp)
        } else {
            0.0
        };
        (pp - 1.0) / layout.interleave as f64 * stage + sends
    }
}

/// Seconds of the data-parallel traffic of one step for `dense` and `experts` parameters per GPU.
fn data_parallel(
    model: &StepModel,
    layout: &Layout,
    micro_batches: f64,
    params: (f64, f64),
) -> f64 {
    let fabric = &model.fabric;
    let (group, expert_group) = (layout.shard_ranks(), layout.expert_shard_ranks());
    // fp32 gradient reduction, as Megatron-LM and FSDP's mixed precision default to.
    let (grad, weight) = (4.0, model.weight_bytes);
    let sync = |p: f64, ranks: u64, stride: u64| match layout.zero {
        0 => fabric.all_reduce(grad * p, ranks, stride),
        1 | 2 => {
            fabric.all_gather(grad * p, ranks, stride)
                + fabric.all_gather(weight * p, ranks, stride)
        }
        _ => {
            micro_batches
                * (2.0 * fabric.all_gather(weight * p, ranks, stride)
                    + fabric.all_gather(grad * p, ranks, stride))
        }
    };
    // Across replica groups: the gradient shard each rank holds, all-reduced among its copies, whose
    // ranks sit a whole group apart.
    let replicate = |p: f64, ranks: u64, stride: u64| {
        fabric.all_reduce(grad * p / ranks as f64, layout.replicas, stride * ranks)
    };
    let (dense, experts) = params;
    let expert_stride = layout.tp * layout.ep;
    let time = sync(dense, group, layout.tp)
        + sync(experts, expert_group, expert_stride)
        + replicate(dense, group, layout.tp)
        + replicate(experts, expert_group, expert_stride);
    (1.0 - model.dp_overlap) * time
}

/// Seconds of the optimizer update: read and write of the fp32 master weights and the two Adam
/// moments, the gradient read and the weight write, 32 bytes per parameter a GPU updates, at HBM
/// bandwidth; ZeRO 1 and above shard the update over the data- and context-parallel ranks (of one
/// replica group with hybrid sharding).
fn optimizer_update(model: &StepModel, layout: &Layout, params: (f64, f64)) -> f64 {
    let (dense, experts) = if layout.zero >= 1 {
        (
            params.0 / layout.shard_ranks() as f64,
            params.1 / layout.expert_shard_ranks() as f64,
        )
    } else {
        params
    };
    model.device.memory_bound(32.0 * (dense + experts))
}

/// The estimated time of one optimizer step of `layout`: its micro-batches on the slowest stage
/// (`Micro::stage`), the pipeline bubble, the data-parallel traffic and the optimizer update.
pub fn step_time(
    shape: &Shape,
    layout: &Layout,
    workload: &Workload,
    model: &StepModel,
) -> StepTime {
    let m = crate::domain::memory::micro_batches(layout, workload) as f64;
    let micro = Micro {
        shape,
        layout,
        model,
        tokens: (layout.micro_batch * workload.seq_len) as f64 / layout.cp as f64,
        seq_len: workload.seq_len as f64,
    };
    let layers = shape.stage_layers(layout.pp);
    let stage = micro.stage(layers);
    let params = shape.layer_params_per_gpu(layout, layers);
    StepTime {
        compute: m * stage.compute,
        bubble: micro.bubble(
            stage.compute + stage.tensor_parallel + stage.context_parallel + stage.expert_parallel,
        ),
        tensor_parallel: m * stage.tensor_parallel,
        context_parallel: m * stage.context_parallel,
        expert_parallel: m * stage.expert_parallel,
        data_parallel: data_parallel(model, layout, m, params),
        optimizer: optimizer_update(model, layout, params),
        total: 0.0,
    }
    .with_total()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::collectives::LinkConstants;
    use crate::domain::kernels::{AttentionKernel, Generation, KernelConstants};

    /// A one-layer model small enough to count by hand: d = 1024, 8 heads of 128 (MHA), a two-matrix
    /// MLP of 4096, vocabulary 1000.
    fn shape() -> Shape {
        let mut s = Shape::default();
        s.layers = 1;
        s.d_model = 1024.0;
        s.heads = 8;
        s.kv_heads = 8;
        s.head_dim = 128.0;
        s.vocab = 1000.0;
        s.ffn = 4096.0;
        s.mlp_matrices = 2.0;
        s.experts = 1;
        s
    }

    /// A compute-bound GPU (memory practically infinite), no per-kernel cost, ideal links.
    fn model(gemm_efficiency: f64, attention_efficiency: f64) -> StepModel {
        StepModel {
            device: Device {
                gemm_peak: 1e15,
                attention_peak: 1e15,
                memory_bandwidth: 1e30,
                input_bytes: 2.0,
                generation: Generation::Hopper,
                attention_kernel: AttentionKernel::Fused,
                constants: KernelConstants {
                    gemm_efficiency,
                    kernel_overhead: 0.0,
                    attention_efficiency: [attention_efficiency; 3],
                    flash_attention_2: 1.0,
                    elementwise_traffic: 1.0,
                    permute_traffic: 1.0,
                },
            },
            fabric: Fabric {
                scale_up: 1e12,
                domain: 8,
                scale_out: 1e11,
                constants: LinkConstants {
                    efficiency: 1.0,
                    latency: 0.0,
                    all_to_all_exposed: 1.0,
                },
            },
            weight_bytes: 2.0,
            causal: true,
            dp_overlap: 0.0,
            tp_overlap: 0.0,
        }
    }

    /// `global_batch` sequences of 2048 tokens.
    fn workload(global_batch: u64) -> Workload {
        Workload {
            seq_len: 2048,
            global_batch,
        }
    }

    fn one_gpu(recompute: Recompute) -> Layout {
        Layout {
            tp: 1,
            cp: 1,
            pp: 1,
            ep: 1,
            dp: 1,
            sp: false,
            zero: 0,
            recompute,
            micro_batch: 1,
            interleave: 1,
            replicas: 1,
            recompute_layers: None,
        }
    }

    #[test]
    fn one_layer_by_hand() {
        // T = s = 2048 tokens. Forward products: QKV 2·T·d·3d, output 2·T·d·d, MLP 2·2·T·d·4d, i.e.
        // 2·T·d²·(3 + 1 + 8) = 24·T·d²; logits 2·T·d·V. Attention 4·T·s·q·½ = 2·T²·d.
        let (t, d, v) = (2048.0, 1024.0, 1000.0);
        let gemms = 24.0 * t * d * d / (1e15 * 0.8);
        let attention = 2.0 * t * t * d / (1e15 * 0.4);
        let logits = 2.0 * t * d * v / (1e15 * 0.8);
        let workload = workload(1);
        let step = step_time(
            &shape(),
            &one_gpu(Recompute::None),
            &workload,
            &model(0.8, 0.4),
        );
        // Forward + backward: 3× the products (and the output layer), 3.5× the attention.
        let expected = 3.0 * gemms + 3.5 * attention + 3.0 * logits;
        assert!(
            (step.compute - expected).abs() < 1e-12 * expected,
            "{step:?}"
        );
        assert_eq!(step.bubble, 0.0);
        assert_eq!(step.tensor_parallel, 0.0);
        // Full recompute runs the layer's forward once more.
        let full = step_time(
            &shape(),
            &one_gpu(Recompute::Full),
            &workload,
            &model(0.8, 0.4),
        );
        let again = gemms + attention;
        assert!((full.compute - expected - again).abs() < 1e-12 * expected);
    }

    #[test]
    fn a_multi_token_prediction_module_costs_one_more_block_and_output_layer() {
        // One MTP module on the one-layer model: the stage runs the layer and the output layer twice,
        // plus the 2d → d projection, 3 × 2·T·d·2d FLOPs at 0.8 of 1 PFLOP/s.
        let workload = workload(1);
        let plain = step_time(
            &shape(),
            &one_gpu(Recompute::None),
            &workload,
            &model(0.8, 0.4),
        );
        let mut with_mtp = shape();
        with_mtp.mtp_modules = 1.0;
        let step = step_time(
            &with_mtp,
            &one_gpu(Recompute::None),
            &workload,
            &model(0.8, 0.4),
        );
        let projection = 3.0 * 2.0 * 2048.0 * 1024.0 * 2048.0 / (1e15 * 0.8);
        let expected = 2.0 * plain.compute + projection;
        assert!(
            (step.compute - expected).abs() < 1e-12 * expected,
            "{step:?}"
        );
    }

    #[test]
    fn tensor_parallel_all_reduces_by_hand() {
        // TP 4 on one node: 4 all-reduces of T·d 16-bit activations, 2·3/4 of 2·T·d bytes at 1 TB/s.
        let mut layout = one_gpu(Recompute::None);
        layout.tp = 4;
        let workload = workload(1);
        let step = step_time(&shape(), &layout, &workload, &model(0.8, 0.4));
        let one = 2.0 * 3.0 / 4.0 * (2.0 * 2048.0 * 1024.0) / 1e12;
        assert!((step.tensor_parallel - 4.0 * one).abs() < 1e-15);
        // With a quarter of it hidden behind the products, three quarters remain.
        let mut overlapped = model(0.8, 0.4);
        overlapped.tp_overlap = 0.25;
        let step = step_time(&shape(), &layout, &workload, &overlapped);
        assert!((step.tensor_parallel - 3.0 * one).abs() < 1e-15);
    }

    #[test]
    fn the_bubble_is_the_stage_time_over_the_micro_batches() {
        // PP 2 with 1 layer: the stage holds ⌈1/2⌉ = 1 layer; 4 micro-batches; bubble = (2−1)/1 of one
        // micro-batch's stage time plus one send of T·d 16-bit activations.
        let mut layout = one_gpu(Recompute::None);
        layout.pp = 2;
        let workload = workload(4);
        let step = step_time(&shape(), &layout, &workload, &model(0.8, 0.4));
        let send = 2.0 * 2048.0 * 1024.0 / 1e12;
        assert!((step.bubble - (step.compute / 4.0 + send)).abs() < 1e-15);
    }
}
