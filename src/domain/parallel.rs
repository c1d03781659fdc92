//! The layout search: every valid way to split a model over GPUs, the ones that fit, ranked by an
//! estimated step time.
//!
//! Step time model, per optimizer step (each term in seconds):
//! - compute: the step's hardware FLOPs (model FLOPs plus recompute) over all GPUs at the dense peak
//!   times a kernel efficiency;
//! - pipeline bubble: compute × (p − 1)/(m·v) for p stages, m micro-batches and v interleaved chunks
//!   (Narayanan et al. 2021, §2.2);
//! - tensor parallelism: per layer and micro-batch, two all-reduces of the s·b·h activations in the
//!   forward pass and two in the backward (Shoeybi et al. 2019, §3; with sequence parallelism the same
//!   volume as reduce-scatter and all-gather, Korthikanti et al. 2022, §4.2.2), two more with full
//!   recompute, each a ring all-reduce of 2(t−1)/t × bytes over the scale-up link (half its
//!   bidirectional figure each way);
//! - data parallelism: a ring all-reduce of the 16-bit gradients, 2(d−1)/d × bytes over the scale-out
//!   network (1.5× the volume under ZeRO-3, which gathers the weights again; Rajbhandari et al. 2020,
//!   §7), less the share overlapped with the backward pass;
//! - expert parallelism: per MoE layer and micro-batch, four all-to-alls (dispatch and combine, forward
//!   and backward; six with full recompute) of the top-k routed activations, (e−1)/e of them leaving the GPU (Lepikhin et al.
//!   2021), over the scale-up link when a TP × EP group fits a node, else the network.
//!
//! Pipeline point-to-point sends and the optimizer step are left out. Evaluating a layout is closed-form
//! and allocates nothing; the search runs over (TP, PP) pairs in parallel.

use rayon::prelude::*;
use serde::Serialize;

use crate::domain::hardware::{Gpu, Precision};
use crate::domain::memory::{
    self, Layout, Memory, MemoryOptions, Optimizer, Reserve, Shape, WeightPrecision, Workload,
};
use crate::domain::model::Model;
use crate::domain::model::flops::{self, FlopsOptions, Masking, Recompute};
use crate::domain::model::params;
use crate::domain::units::unit::{byte, byte_per_second, flop, flop_per_second};
use crate::domain::units::{Bandwidth, Compute, ComputeRate};
use crate::error::{Error, Input, Result};

/// Default global batch: 4M tokens, Llama 2's (Touvron et al. 2023, Table 1).
pub const DEFAULT_BATCH_TOKENS: f64 = 4_194_304.0;

/// What the step-time model needs besides the model shape.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepOptions {
    /// Dense peak per GPU.
    pub peak: ComputeRate,
    /// Fraction of the peak the kernels reach.
    pub kernel_efficiency: f64,
    /// Model FLOPs per token (PaLM's definition).
    pub model_flops_per_token: Compute,
    /// Hardware FLOPs per token with no, selective and full recompute.
    pub hardware_flops_per_token: [Compute; 3],
    /// Scale-up bandwidth per GPU, one direction ([`Gpu::scale_up_bandwidth`]).
    pub scale_up: Bandwidth,
    /// Scale-out bandwidth per GPU, one direction.
    pub network: Bandwidth,
    pub gpus_per_node: u64,
    /// Share of the data-parallel reduction hidden behind the backward pass.
    pub dp_overlap: f64,
}

/// Seconds per optimizer step, by part.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct StepTime {
    pub compute: f64,
    pub bubble: f64,
    pub tensor_parallel: f64,
    pub data_parallel: f64,
    pub expert_parallel: f64,
    pub total: f64,
}

/// The choices a training setup takes besides the model and the GPU.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainingOptions {
    /// Tokens per sequence; the model's context when none.
    pub seq_len: Option<u64>,
    /// Tokens per optimizer step; [`DEFAULT_BATCH_TOKENS`] when none.
    pub global_batch_tokens: Option<f64>,
    pub optimizer: Optimizer,
    /// The training precision; the GPU's 16-bit one when none.
    pub precision: Option<Precision>,
    pub reserve: Reserve,
    pub kernel_efficiency: f64,
    /// Scale-out bandwidth per GPU, one direction.
    pub network: Bandwidth,
    pub dp_overlap: f64,
}

/// What a model, a GPU and the batch fix for every layout: the memory and step-time models' inputs.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainingSetup {
    pub precision: Precision,
    pub shape: Shape,
    pub workload: Workload,
    pub memory: MemoryOptions,
    pub step: StepOptions,
}

impl TrainingSetup {
    /// Resolves `model` on `gpu` with `options`.
    pub fn new(model: &Model, gpu: &Gpu, options: &TrainingOptions) -> Result<TrainingSetup> {
        let arch = model.architecture("memory and layouts")?;
        let params = params::count(&model.id, arch)?;
        let shape = Shape::new(&model.id, arch, &params)?;
        let (precision, peak) = gpu.peak_for(options.precision)?;
        let per_token = |recompute| -> Result<(Compute, Compute)> {
            let o = FlopsOptions::new(arch, options.seq_len, None, Masking::Full, recompute)?;
            let f = flops::count(arch, &params, &o);
            Ok((f.training_flops_per_token, f.hardware_flops_per_token))
        };
        let (model_flops, none) = per_token(Recompute::None)?;
        let (_, selective) = per_token(Recompute::Selective)?;
        let (_, full) = per_token(Recompute::Full)?;
        let seq_len = options.seq_len.unwrap_or(arch.context);
        let workload = workload(seq_len, options.global_batch_tokens)?;
        let step = StepOptions {
            peak,
            kernel_efficiency: options.kernel_efficiency,
            model_flops_per_token: model_flops,
            hardware_flops_per_token: [none, selective, full],
            scale_up: gpu.scale_up_bandwidth(options.network),
            network: options.network,
            gpus_per_node: gpu.gpus_per_scale_up_domain(),
            dp_overlap: options.dp_overlap,
        };
        let memory = MemoryOptions {
            optimizer: options.optimizer,
            weights: if precision == Precision::Fp8 {
                WeightPrecision::Fp8
            } else {
                WeightPrecision::Bf16
            },
            reserve: options.reserve,
            capacity: gpu.memory,
        };
        Ok(TrainingSetup {
            precision,
            shape,
            workload,
            memory,
            step,
        })
    }
}

/// Whole sequences of `seq_len` in a batch of `batch_tokens` ([`DEFAULT_BATCH_TOKENS`] when none).
fn workload(seq_len: u64, batch_tokens: Option<f64>) -> Result<Workload> {
    let batch_tokens = batch_tokens.unwrap_or(DEFAULT_BATCH_TOKENS);
    let sequences = (batch_tokens / seq_len as f64).floor();
    let invalid = |message| Error::Invalid {
        input: Input::GlobalBatchTokens,
        message,
    };
    // 2^32 sequences per step is far beyond any run and keeps every product of counts exact.
    if sequences > 4_294_967_296.0 {
        return Err(invalid(format!(
            "{batch_tokens} tokens is more than 2^32 sequences of {seq_len}"
        )));
    }
    if sequences == 0.0 {
        return Err(invalid(format!(
            "{batch_tokens} tokens is less than one sequence of {seq_len}"
        )));
    }
    Ok(Workload {
        seq_len,
        global_batch: sequences as u64,
    })
}

fn recompute_index(r: Recompute) -> usize {
    match r {
        Recompute::None => 0,
        Recompute::Selective => 1,
        Recompute::Full => 2,
    }
}

/// The estimated time of one optimizer step. `memory` is the layout's first-stage memory, for the
/// parameters each GPU holds.
pub fn step_time(
    shape: &Shape,
    layout: &Layout,
    workload: &Workload,
    memory: &Memory,
    o: &StepOptions,
) -> StepTime {
    let gpus = (layout.tp * layout.pp * layout.dp) as f64;
    let m = memory::micro_batches(layout, workload) as f64;
    let tokens = m * (layout.micro_batch * layout.dp * workload.seq_len) as f64;
    let hardware = o.hardware_flops_per_token[recompute_index(layout.recompute)].get::<flop>();
    let peak = o.peak.get::<flop_per_second>();
    let (scale_up, network) = (
        o.scale_up.get::<byte_per_second>(),
        o.network.get::<byte_per_second>(),
    );
    let compute = tokens * hardware / (gpus * peak * o.kernel_efficiency);
    let (p, v) = (layout.pp as f64, layout.interleave as f64);
    let bubble = compute * (p - 1.0) / (m * v);
    let stage_layers = (shape.layers as f64 / p).ceil();
    // 16-bit activations and gradients.
    let element = Precision::Bf16.bytes().get::<byte>();
    let activation_bytes = element * (workload.seq_len * layout.micro_batch) as f64 * shape.d_model;
    let ring =
        |group: f64, bytes: f64, bandwidth: f64| 2.0 * (group - 1.0) / group * bytes / bandwidth;
    let tensor_parallel = if layout.tp > 1 {
        let per_layer = if layout.recompute == Recompute::Full {
            6.0
        } else {
            4.0
        };
        stage_layers * m * per_layer * ring(layout.tp as f64, activation_bytes, scale_up)
    } else {
        0.0
    };
    let across_nodes = gpus > o.gpus_per_node as f64;
    let dp_bandwidth = if across_nodes { network } else { scale_up };
    let zero3 = if layout.zero == 3 { 1.5 } else { 1.0 };
    let dp = layout.dp as f64;
    let expert_dp = (layout.dp / layout.ep) as f64;
    let expert_params =
        stage_layers * shape.expert_params_per_layer() / (layout.ep * layout.tp) as f64;
    let dense_params = memory.params - expert_params;
    let data_parallel = (1.0 - o.dp_overlap)
        * zero3
        * (if dp > 1.0 {
            ring(dp, element * dense_params, dp_bandwidth)
        } else {
            0.0
        } + if expert_dp > 1.0 {
            ring(expert_dp, element * expert_params, dp_bandwidth)
        } else {
            0.0
        });
    let expert_parallel = if layout.ep > 1 && shape.moe_layers > 0 {
        let e = layout.ep as f64;
        let local = layout.tp * layout.ep <= o.gpus_per_node;
        let bandwidth = if local { scale_up } else { network };
        let moe_layers = (shape.moe_layers as f64 / p).ceil();
        let bytes = activation_bytes * shape.top_k as f64 * (e - 1.0) / e;
        // Dispatch and combine, forward and backward; full recompute repeats the forward pair.
        let per_layer = if layout.recompute == Recompute::Full {
            6.0
        } else {
            4.0
        };
        moe_layers * m * per_layer * bytes / bandwidth
    } else {
        0.0
    };
    StepTime {
        compute,
        bubble,
        tensor_parallel,
        data_parallel,
        expert_parallel,
        total: compute + bubble + tensor_parallel + data_parallel + expert_parallel,
    }
}

/// A layout that fits, with its memory, step time and MFU.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Candidate {
    pub layout: Layout,
    pub memory: Memory,
    pub step: StepTime,
    /// Model FLOPs utilisation the step time implies.
    pub mfu: f64,
    /// Tokens per optimizer step.
    pub tokens_per_step: f64,
}

/// What a search found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Search {
    /// The fitting layouts that train fastest per token, fastest first.
    pub best: Vec<Candidate>,
    /// Valid layouts evaluated.
    pub evaluated: u64,
    /// Of those, how many fit.
    pub fitting: u64,
}

/// Evaluates one layout: its memory and, when it fits, its step time.
pub fn evaluate(
    shape: &Shape,
    layout: &Layout,
    workload: &Workload,
    mem: &MemoryOptions,
    step: &StepOptions,
) -> (Memory, Option<Candidate>) {
    let worst = memory::worst(&memory::memory(shape, layout, workload, mem));
    if !worst.fits() {
        return (worst, None);
    }
    let time = step_time(shape, layout, workload, &worst, step);
    let m = memory::micro_batches(layout, workload) as f64;
    let tokens = m * (layout.micro_batch * layout.dp * workload.seq_len) as f64;
    let gpus = (layout.tp * layout.pp * layout.dp) as f64;
    let mfu = tokens * step.model_flops_per_token.get::<flop>()
        / (time.total * gpus * step.peak.get::<flop_per_second>());
    (
        worst,
        Some(Candidate {
            layout: *layout,
            memory: worst,
            step: time,
            mfu,
            tokens_per_step: tokens,
        }),
    )
}

/// Keeps the `top` fastest candidates — by time per token, as layouts train on batches of different
/// sizes — fastest first; between equally fast ones, the one needing less memory first.
fn keep(best: &mut Vec<Candidate>, candidate: Candidate, top: usize) {
    let key = |c: &Candidate| (c.step.total / c.tokens_per_step, c.memory.total);
    let before =
        |c: &Candidate| key(c).partial_cmp(&key(&candidate)) != Some(std::cmp::Ordering::Greater);
    if best.len() == top && best.last().is_some_and(before) {
        return;
    }
    let at = best.partition_point(before);
    best.insert(at, candidate);
    best.truncate(top);
}

fn divisors(n: u64) -> impl Iterator<Item = u64> {
    (1..=n).filter(move |d| n.is_multiple_of(*d))
}

/// Every layout the search tries for one (TP, PP) pair, in a fixed order: EP, sequence parallelism,
/// ZeRO stage, recompute, interleaving, then micro-batches of powers of two up to `per_replica`.
fn layouts(
    shape: &Shape,
    tp: u64,
    pp: u64,
    dp: u64,
    per_replica: u64,
) -> impl Iterator<Item = Layout> {
    let layers = shape.layers;
    let interleaves = move |v: &u64| *v == 1 || (pp > 1 && layers.is_multiple_of(pp * v));
    divisors(shape.experts)
        .filter(move |ep| dp.is_multiple_of(*ep))
        .flat_map(move |ep| {
            [false, true]
                .into_iter()
                .filter(move |&sp| tp > 1 || !sp)
                .flat_map(move |sp| {
                    (0..=3u8).flat_map(move |zero| {
                        [Recompute::None, Recompute::Selective, Recompute::Full]
                            .into_iter()
                            .flat_map(move |recompute| {
                                [1u64, 2, 4]
                                    .into_iter()
                                    .filter(interleaves)
                                    .flat_map(move |v| {
                                        std::iter::successors(Some(1u64), |m| m.checked_mul(2))
                                            .take_while(move |m| *m <= per_replica)
                                            .map(move |micro_batch| Layout {
                                                tp,
                                                pp,
                                                ep,
                                                dp,
                                                sp,
                                                zero,
                                                recompute,
                                                micro_batch,
                                                interleave: v,
                                            })
                                    })
                            })
                    })
                })
        })
}

/// The `top` fastest fitting layouts of one (TP, PP) pair, with how many were valid and how many fit.
fn search_pair(
    shape: &Shape,
    (tp, pp): (u64, u64),
    gpus: u64,
    workload: &Workload,
    mem: &MemoryOptions,
    step: &StepOptions,
    top: usize,
) -> (Vec<Candidate>, u64, u64) {
    let dp = gpus / (tp * pp);
    let per_replica = (workload.global_batch / dp).max(1);
    let mut best = Vec::with_capacity(top + 1);
    let (mut evaluated, mut fitting) = (0u64, 0u64);
    for layout in layouts(shape, tp, pp, dp, per_replica) {
        let valid = shape
            .check(&layout, gpus, step.gpus_per_node, workload.global_batch)
            .is_ok();
        if !valid {
            continue;
        }
        evaluated += 1;
        if let (_, Some(candidate)) = evaluate(shape, &layout, workload, mem, step) {
            fitting += 1;
            keep(&mut best, candidate, top);
        }
    }
    (best, evaluated, fitting)
}

/// Searches every valid layout of `gpus` GPUs: TP dividing the heads within a node, PP dividing the
/// layers, EP dividing the experts and the data-parallel group, micro-batches of powers of two up to a
/// replica's batch, ZeRO 0–3, each recompute mode, sequence parallelism on or off, and 1, 2 or 4
/// interleaved chunks per stage.
pub fn search(
    shape: &Shape,
    gpus: u64,
    workload: &Workload,
    mem: &MemoryOptions,
    step: &StepOptions,
    top: usize,
) -> Search {
    let pairs: Vec<(u64, u64)> = divisors(shape.heads)
        .filter(|&tp| tp <= step.gpus_per_node)
        .flat_map(|tp| divisors(shape.layers).map(move |pp| (tp, pp)))
        .filter(|&(tp, pp)| gpus.is_multiple_of(tp * pp))
        .collect();
    let results: Vec<(Vec<Candidate>, u64, u64)> = pairs
        .par_iter()
        .map(|&pair| search_pair(shape, pair, gpus, workload, mem, step, top))
        .collect();
    let mut best = Vec::with_capacity(top + 1);
    let (mut evaluated, mut fitting) = (0, 0);
    for (found, e, f) in results {
        evaluated += e;
        fitting += f;
        for candidate in found {
            keep(&mut best, candidate, top);
        }
    }
    Search {
        best,
        evaluated,
        fitting,
    }
}
