//! Continuous batching in steady state (Yu et al. 2022, Orca, iteration-level scheduling; Agrawal et
//! al. 2024, Sarathi-Serve, chunked prefill with a token budget).
//!
//! C sequences decode together on one replica; each lives O decode steps, so C/O sequences finish per
//! step, and as many new ones enter: a step carries the C decode tokens and C·I/O prompt tokens of
//! chunked prefill, N = C(1 + I/O) tokens in all. When N exceeds the engine's token budget B, a round
//! in which every sequence gains a token takes N/B full steps. With pipeline parallelism the C
//! sequences run as PP micro-batches, each stage doing its layers for one. With lengths drawn from a
//! distribution ([`Workload`]), I and O are the means E[P] and E[O] (C/E[O] requests enter a round:
//! Little's law, Little 1961), the decodes read the KV cache a slot holds averaged over time,
//! E[O·(P + (O + 1)/2)]/E[O], and the mixed share counts each prompt's own steps, E[⌈P / free⌉].
//!
//! A step is timed with the operation model of training ([`crate::domain::kernels`]): each matrix
//! product by its shape on one tensor-parallel rank ([`Device::gemm`]: the weights are read once per
//! step, so a small step is bound by the HBM), the decode attention by the KV cache it reads at the
//! HBM bandwidth, the prefill attention by its FLOPs ([`Device::attention`]), the element-wise work
//! and the MoE token permutation by their bytes, and two all-reduces of an attention group's hidden
//! states per layer, the faster of NCCL's ring ([`Fabric::all_reduce`]) and the engines' one-shot
//! kernel ([`Fabric::one_shot_all_reduce`], [`ONE_SHOT_LATENCY`]); under attention data parallelism
//! a MoE layer's second all-reduce is a dispatch and a combine all-to-all over the stage's GPUs
//! ([`Fabric::all_to_all`], [`Served::exchange_bytes`]), each attention group doing its share of the
//! tokens within its own token budget.
//!
//! Engines replay decode-only steps as CUDA graphs and run steps that carry prefill eagerly. A step
//! is mixed with chance m = (requests entering per step) × (steps each prompt takes), at most 1; its
//! cost per matrix-product kernel is m × the eager training figure + (1 − m) ×
//! [`GRAPH_KERNEL_OVERHEAD`], and the host adds m × [`STEP_OVERHEAD`] (launching an eager step) and
//! [`SEQUENCE_OVERHEAD`] per decoding sequence, both fitted on TensorRT-LLM's published maximum
//! throughputs (`tests/llmcalc/serving_calibration.rs`). The HBM delivers the serving request's
//! bandwidth efficiency (`--bandwidth-efficiency`, 0.8 unless given) of its datasheet bandwidth.
//!
//! Time per output token (TPOT) is the round's time; the time to first token (TTFT) is the steps a
//! new prompt needs at the budget the decode tokens leave (the mean prompt's, unless another is
//! asked). Queueing before admission is not modelled.
//! The attention groups are taken as evenly loaded.

use serde::Serialize;

use super::{Deployment, Served, Workload, expected_experts};
use crate::domain::collectives::Fabric;
use crate::domain::kernels::{Device, elementwise_bytes};
use crate::domain::units::unit::byte;

/// Fixed seconds of the host per mixed step (one that carries prefill and runs eagerly): launching
/// its kernels one by one and scheduling its new requests, fitted on the serving calibration set
/// only (`tests/llmcalc/serving_calibration.rs`). A decode-only step replays a CUDA graph and does
/// not pay it.
pub const STEP_OVERHEAD: f64 = 4.0e-3;

/// Seconds of the host per decoding sequence of a step: preparing its inputs, sampling its token
/// and detokenising it; fitted on the serving calibration set only.
pub const SEQUENCE_OVERHEAD: f64 = 12.5e-6;

/// Fixed seconds per matrix-product kernel of a step replayed as a CUDA graph, as serving engines
/// run decode (TensorRT-LLM `cuda_graph_config`, SGLang `--cuda-graph-max-bs`, vLLM
/// `compilation_config.cudagraph_mode`): a replayed kernel costs no host launch (NVIDIA, "Getting
/// Started with CUDA Graphs", 2019), only its own fixed time on the GPU. That of a kernel that moves
/// almost nothing is measured at 3.7 µs, launch included (SGLang's custom all-reduce of 512 bytes
/// over 2 H100s, sgl-project/sglang pull request 2904), against the 48.75 µs per eagerly launched
/// training kernel ([`crate::domain::kernels::KernelConstants::CALIBRATED`]).
pub const GRAPH_KERNEL_OVERHEAD: f64 = 3.7e-6;

/// Fixed seconds of a one-shot all-reduce kernel within a scale-up domain: SGLang's custom
/// all-reduce (the TensorRT-LLM kernel) takes 5.9 µs for 512 bytes over 8 H100s (and 3.7 µs over 2),
/// against NCCL's latency of a ring step per hop (sgl-project/sglang pull request 2904, "optimize
/// custom allreduce kernel", H100 measurements without CUDA graphs).
pub const ONE_SHOT_LATENCY: f64 = 5.9e-6;

/// What a replica's GPUs do a step with, and the engine's token budget and host costs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Machine {
    pub device: Device,
    pub fabric: Fabric,
    pub budget: u64,
    pub step_overhead: f64,
    pub sequence_overhead: f64,
    /// Fixed seconds per matrix-product kernel of a decode-only step ([`GRAPH_KERNEL_OVERHEAD`]);
    /// a mixed step pays the device's eager figure.
    pub graph_kernel_overhead: f64,
}

impl SteadyState {
    /// The steady state of `concurrency` sequences whose stage does `rounds` steps of (decode,
    /// prefill) tokens a round, `mixed` of them eager: a token passes the PP stages, so the time per
    /// output token is PP × rounds × the step.
    fn new(
        d: &Deployment,
        concurrency: u64,
        (decode, prefill): (f64, f64),
        rounds: f64,
        mixed: f64,
        step: StepTerms,
    ) -> SteadyState {
        let tpot = d.pp as f64 * rounds * step.total();
        let throughput = concurrency as f64 / tpot;
        SteadyState {
            concurrency,
            tokens_per_step: decode + prefill,
            prefill_tokens_per_step: prefill,
            steps_per_round: rounds,
            mixed_step_share: mixed,
            step,
            time_per_output_token_seconds: tpot,
            time_to_first_token_seconds: 0.0,
            output_tokens_per_second: throughput,
            output_tokens_per_second_per_gpu: throughput / (d.tp * d.pp) as f64,
            tokens_per_second_per_user: 1.0 / tpot,
            prompt_tokens_per_step: 0.0,
            stages: d.pp,
        }
    }
}

impl Machine {
    /// The machine of a step that is mixed (carries prefill, and runs eagerly) with chance `mixed`
    /// and otherwise decodes only, replayed as a CUDA graph: its kernel cost per matrix product is
    /// the mean of the eager one and [`Machine::graph_kernel_overhead`]. Engines capture
    /// decode-only batches (TensorRT-LLM `cuda_graph_config`, SGLang `--cuda-graph-max-bs`); a new
    /// request's prompt makes its steps mixed, `mixed` = the requests entering per step × the steps
    /// each prompt takes.
    fn graphed(&self, mixed: f64) -> Machine {
        let mixed = mixed.clamp(0.0, 1.0);
        let eager = self.device.constants.kernel_overhead;
        let mut m = *self;
        m.device.constants.kernel_overhead =
            mixed * eager + (1.0 - mixed) * self.graph_kernel_overhead;
        m.step_overhead = mixed * self.step_overhead;
        m
    }
}

/// The time of one step of a pipeline stage, by term.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct StepTerms {
    pub gemm_seconds: f64,
    pub kv_read_seconds: f64,
    pub prefill_attention_seconds: f64,
    pub elementwise_seconds: f64,
    pub communication_seconds: f64,
    pub overhead_seconds: f64,
}

impl StepTerms {
    pub fn total(&self) -> f64 {
        self.gemm_seconds
            + self.kv_read_seconds
            + self.prefill_attention_seconds
            + self.elementwise_seconds
            + self.communication_seconds
            + self.overhead_seconds
    }
}

/// Continuous batching at a concurrency, in steady state.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SteadyState {
    pub concurrency: u64,
    /// Tokens of one step of one stage: decode and chunked prefill, at most the budget.
    pub tokens_per_step: f64,
    pub prefill_tokens_per_step: f64,
    /// Steps of a stage per round, in which every sequence of a micro-batch gains a token.
    pub steps_per_round: f64,
    /// The chance a step carries a prompt and runs eagerly; the rest replay a CUDA graph.
    pub mixed_step_share: f64,
    pub step: StepTerms,
    pub time_per_output_token_seconds: f64,
    pub time_to_first_token_seconds: f64,
    /// Output tokens per second of the replica, and per GPU.
    pub output_tokens_per_second: f64,
    pub output_tokens_per_second_per_gpu: f64,
    pub tokens_per_second_per_user: f64,
    /// Tokens of a new prompt a step takes: the budget the decodes leave, per attention group.
    #[serde(skip)]
    pub prompt_tokens_per_step: f64,
    /// Pipeline stages a step passes.
    #[serde(skip)]
    pub stages: u64,
}

impl Served<'_> {
    /// Seconds of the matrix products of one layer for a stage's `tokens` tokens on one GPU: QKV
    /// and output projection of its attention group's share of the tokens, and the MLP's (for a MoE
    /// layer, each touched local expert's share of the tokens routed to its expert-parallel group,
    /// and the shared experts).
    fn layer_gemms(&self, e: &Device, d: &Deployment, tokens: f64, moe_layer: bool) -> f64 {
        let s = self.stack;
        let dm = self.arch.d_model as f64;
        let (q, kv) = (s.q_dim() as f64, s.kv_dim() as f64);
        let up = (s.mlp.matrices() - 1) as f64;
        let mlp = |m: f64, f: f64| e.gemm(m, up * f, dm) + e.gemm(m, dm, f);
        let (at, local) = (d.attention_tp() as f64, tokens / d.attention_dp as f64);
        let attention = e.gemm(local, (q + 2.0 * kv) / at, dm) + e.gemm(local, dm, q / at);
        let feed_forward = match (&s.moe, moe_layer) {
            (Some(m), true) => {
                let (f, ep) = (m.expert_ffn as f64 / d.expert_tp() as f64, d.ep as f64);
                let touched = expected_experts(m.experts, m.top_k, tokens.ceil() as u64) / ep;
                // The touched experts run as one grouped product per matrix (the fused MoE
                // kernels of vLLM and TensorRT-LLM): the work of each, one launch for all.
                let launches = (touched - 1.0).max(0.0) * 2.0 * e.constants.kernel_overhead;
                let routed = tokens * m.top_k as f64 / ep;
                let shared = if m.shared_experts > 0 {
                    mlp(local, m.expert_ffn as f64 * m.shared_experts as f64 / at)
                } else {
                    0.0
                };
                touched * mlp(routed / touched, f) - launches + shared
            }
            _ => mlp(local, s.ffn as f64 / at),
        };
        attention + feed_forward
    }

    /// One step of one pipeline stage: `decode` sequences at a mean context of `context` tokens and
    /// `prefill` prompt tokens at a mean of `prompt_context` earlier tokens.
    fn step(
        &self,
        d: &Deployment,
        e: &Machine,
        decode: f64,
        prefill: f64,
        contexts: (u64, u64),
    ) -> StepTerms {
        let (context, prompt_context) = contexts;
        let s = self.stack;
        let (tp, pp, dp) = (d.tp as f64, d.pp as f64, d.attention_dp as f64);
        let tokens = decode + prefill;
        let per_stage = |layers: u64| layers as f64 / pp;
        let d_model = self.arch.d_model as f64;
        let head = d.attention_tp() as f64;
        let gemms = per_stage(s.moe_layers()) * self.layer_gemms(&e.device, d, tokens, true)
            + per_stage(s.dense_layers()) * self.layer_gemms(&e.device, d, tokens, false)
            // The output head, for the tokens that are sampled.
            + e.device.gemm(decode / dp, self.arch.vocab as f64 / head, d_model) / pp;
        let kv = decode * self.kv_read_per_gpu_sequence(d, context).get::<byte>();
        let flops = 4.0 * s.q_dim() as f64 / tp * prefill * prompt_context as f64;
        let mlp_width = s.moe.as_ref().map_or(s.ffn, |m| m.top_k * m.expert_ffn) as f64 / tp;
        let c = e.device.constants;
        let elementwise = elementwise_bytes(tokens, d_model, dp, mlp_width) * c.elementwise_traffic;
        // Each token routed to this GPU's experts is written out and read back before and after
        // them: four passes of its 16-bit hidden state (the permutation of the training model).
        let routed = s
            .moe
            .as_ref()
            .map_or(0.0, |m| tokens * m.top_k as f64 / d.ep as f64);
        let permute = c.permute_traffic * 8.0 * routed * d_model;
        let (reduces, exchanges) = self.collectives(d);
        // The engine takes the faster of the ring and the one-shot kernel.
        let reduced = tokens / dp * d_model * 2.0;
        let all_reduce =
            e.fabric
                .all_reduce(reduced, d.attention_tp(), 1)
                .min(
                    e.fabric
                        .one_shot_all_reduce(reduced, d.attention_tp(), 1, ONE_SHOT_LATENCY),
                );
        let exchange = e.fabric.all_to_all(self.exchange_bytes(d, tokens), d.tp, 1);
        StepTerms {
            gemm_seconds: gemms,
            kv_read_seconds: e.device.memory_bound(kv),
            prefill_attention_seconds: per_stage(s.layers) * e.device.attention(flops),
            elementwise_seconds: per_stage(s.layers) * e.device.memory_bound(elementwise)
                + per_stage(s.moe_layers()) * e.device.memory_bound(permute),
            communication_seconds: reduces * all_reduce + exchanges * 2.0 * exchange,
            overhead_seconds: e.step_overhead + e.sequence_overhead * decode / dp,
        }
    }

    /// Steady state at `concurrency` sequences of the `workload`'s lengths ([`Workload`]): C/E[O]
    /// requests enter a round with C·E[P]/E[O] prompt tokens, the decodes read the time-averaged
    /// KV cache of a slot, and the time to first token is that of the mean prompt.
    pub fn steady_state(
        &self,
        d: &Deployment,
        e: &Machine,
        concurrency: u64,
        workload: &Workload,
    ) -> SteadyState {
        // Each attention-DP group schedules its own sequences within its own token budget.
        let (pp, dp) = (d.pp as f64, d.attention_dp as f64);
        let budget = e.budget as f64 * dp;
        let (i, o) = (workload.mean_prompt(), workload.mean_output());
        // One micro-batch per stage; a round gives each of its sequences a token.
        let decode = concurrency as f64 / pp;
        let round_tokens = decode * (1.0 + i / o);
        let rounds = (round_tokens / budget).max(1.0);
        let (decode_step, prefill_step) = (decode / rounds, decode * i / o / rounds);
        // A new prompt fills the budget the decode tokens leave (its share when the budget is full).
        let free = if rounds > 1.0 {
            budget * i / (i + o)
        } else {
            budget - decode_step
        };
        let per_step = (free / dp).max(1.0);
        // Requests entering a step × the steps each one's prompt takes, E[⌈P / free⌉].
        let prompt_steps = workload.over_prompts(|p| (p / per_step).ceil());
        let mixed = (decode_step / o * prompt_steps).min(1.0);
        let machine = e.graphed(mixed);
        let contexts = (
            workload.held_context().floor() as u64,
            workload.prompt_context().floor() as u64,
        );
        let step = self.step(d, &machine, decode_step, prefill_step, contexts);
        let mut steady = SteadyState::new(
            d,
            concurrency,
            (decode_step, prefill_step),
            rounds,
            mixed,
            step,
        );
        steady.prompt_tokens_per_step = per_step;
        steady.time_to_first_token_seconds = steady.time_to_first_token(i);
        steady
    }
}

impl SteadyState {
    /// The steady time to first token of a prompt of `prompt` tokens: the steps it takes at the
    /// budget the decodes leave, ⌈P / free⌉, each passing the PP stages (Agrawal et al. 2024); no
    /// queueing.
    pub fn time_to_first_token(&self, prompt: f64) -> f64 {
        (prompt / self.prompt_tokens_per_step).ceil() * self.stages as f64 * self.step.total()
    }
}

impl Served<'_> {
    /// A decode-only pool of disaggregated serving: `concurrency` sequences whose prompts were
    /// filled elsewhere, every step replayed as a CUDA graph and carrying decode tokens only (its
    /// time to first token is left to the caller: the prefill pool's and the KV transfer's).
    pub fn decode_only(
        &self,
        d: &Deployment,
        e: &Machine,
        concurrency: u64,
        workload: &Workload,
    ) -> SteadyState {
        let (pp, dp) = (d.pp as f64, d.attention_dp as f64);
        let decode = concurrency as f64 / pp;
        let rounds = (decode / (e.budget as f64 * dp)).max(1.0);
        let step = self.step(
            d,
            &e.graphed(0.0),
            decode / rounds,
            0.0,
            (workload.held_context().floor() as u64, 0),
        );
        SteadyState::new(d, concurrency, (decode / rounds, 0.0), rounds, 0.0, step)
    }

    /// A prefill-only pool of disaggregated serving, every step eager: the seconds the workload's
    /// mean prompt takes alone (its chunks of at most the budget, through the PP stages), and the
    /// prompts a second the pool fills at full load (steps of the whole budget, E[P] tokens a prompt).
    pub fn prefill_only(&self, d: &Deployment, e: &Machine, workload: &Workload) -> (f64, f64) {
        let (pp, dp) = (d.pp as f64, d.attention_dp as f64);
        let budget = e.budget as f64 * dp;
        let i = workload.mean_prompt();
        let eager = e.graphed(1.0);
        let context = (0, workload.prompt_context().floor() as u64);
        let alone = self.step(d, &eager, 0.0, i.min(budget), context);
        let full = self.step(d, &eager, 0.0, budget, context);
        let latency = (i / budget).ceil() * pp * alone.total();
        (latency, budget / i / full.total())
    }
}
