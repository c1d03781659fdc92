//! Training setups and the layout search: every valid way to split a model over GPUs, the ones that
//! fit in memory, ranked by the step time of [`crate::domain::step`] per token.
//!
//! Evaluating a layout is closed-form and allocates nothing; the search runs over (TP, PP) pairs in
//! parallel.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use rayon::prelude::*;
use serde::Serialize;

use crate::domain::collectives::{Fabric, LinkConstants};
use crate::domain::hardware::{Gpu, Precision};
use crate::domain::kernels::{AttentionKernel, Device, KernelConstants};
use crate::domain::memory::{
    self, Layout, Memory, MemoryOptions, Optimizer, Reserve, Shape, Violation, WeightPrecision,
    Workload,
};
use crate::domain::model::Model;
use crate::domain::model::architecture::{Architecture, Kind};
use crate::domain::model::flops::{self, FlopsOptions, Masking, Recompute};
use crate::domain::model::params;
use crate::domain::step::{StepModel, StepTime, step_time};
use crate::domain::units::unit::{byte, byte_per_second, flop, flop_per_second};
use crate::domain::units::{Bandwidth, Compute, ComputeRate};
use crate::error::{Error, Input, Result};

/// Default global batch: 4M tokens, Llama 2's (Touvron et al. 2023, Table 1).
pub const DEFAULT_BATCH_TOKENS: f64 = 4_194_304.0;

/// What ranking a layout needs besides the model shape: the step-time model, and the peak and model
/// FLOPs per token its MFU is measured with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepOptions {
    /// Dense peak per GPU of the training precision.
    pub peak: ComputeRate,
    /// Model FLOPs per token (PaLM's definition).
    pub model_flops_per_token: Compute,
    pub gpus_per_node: u64,
    pub model: StepModel,
}

/// The choices a training setup takes besides the model and the GPU.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainingOptions {
    /// Tokens per sequence; the model's context when none.
    pub seq_len: Option<u64>,
    /// Tokens per optimizer step; the model's claimed batch, else [`DEFAULT_BATCH_TOKENS`], when none.
    pub global_batch_tokens: Option<f64>,
    pub optimizer: Optimizer,
    /// The training precision; the GPU's 16-bit one when none.
    pub precision: Option<Precision>,
    pub reserve: Reserve,
    /// Fraction of the peak large matrix products reach; the calibrated figure when none.
    pub kernel_efficiency: Option<f64>,
    /// Scale-out bandwidth per GPU, one direction; the GPU preset's when none.
    pub network: Option<Bandwidth>,
    /// Share of the data-parallel traffic hidden behind the backward pass.
    pub dp_overlap: f64,
    /// Share of the tensor-parallel traffic hidden behind the matrix products.
    pub tp_overlap: f64,
    /// The fused-attention kernel the framework runs.
    pub attention_kernel: AttentionKernel,
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
        let o = FlopsOptions::new(arch, options.seq_len, None, Masking::Full, Recompute::None)?;
        let model_flops = flops::count(arch, &params, &o).training_flops_per_token;
        let seq_len = options.seq_len.unwrap_or(arch.context);
        // The batch asked for, else the claimed run's, else the default.
        let batch = options
            .global_batch_tokens
            .or(model.claims.batch_tokens.map(|b| b.mid()));
        let workload = workload(seq_len, batch)?;
        let weights = if precision == Precision::Fp8 {
            WeightPrecision::Fp8
        } else {
            WeightPrecision::Bf16
        };
        let step = StepOptions {
            peak,
            model_flops_per_token: model_flops,
            gpus_per_node: gpu.gpus_per_scale_up_domain(),
            model: step_model(gpu, precision, peak, weights, arch, options),
        };
        let memory = MemoryOptions {
            optimizer: options.optimizer,
            weights,
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

/// The step-time model of `gpu` training at `precision` (whose dense peak is `peak`): its kernels,
/// its fabric, and the fitted constants, with the user's overrides.
fn step_model(
    gpu: &Gpu,
    precision: Precision,
    peak: ComputeRate,
    weights: WeightPrecision,
    arch: &Architecture,
    options: &TrainingOptions,
) -> StepModel {
    let mut kernels = KernelConstants::CALIBRATED;
    if let Some(efficiency) = options.kernel_efficiency {
        kernels.gemm_efficiency = efficiency;
    }
    let sixteen_bit = gpu.peak(gpu.training_precision()).unwrap_or(peak);
    let network = options.network.unwrap_or_else(|| gpu.scale_out_bandwidth());
    StepModel {
        device: Device {
            gemm_peak: peak.get::<flop_per_second>(),
            attention_peak: sixteen_bit.get::<flop_per_second>(),
            memory_bandwidth: gpu.memory_bandwidth.get::<byte_per_second>(),
            input_bytes: precision.bytes().get::<byte>(),
            generation: gpu.generation,
            attention_kernel: options.attention_kernel,
            constants: kernels,
        },
        fabric: Fabric {
            scale_up: gpu.scale_up_bandwidth(network).get::<byte_per_second>(),
            domain: gpu.gpus_per_scale_up_domain(),
            scale_out: network.get::<byte_per_second>(),
            constants: LinkConstants::CALIBRATED,
        },
        weight_bytes: weights.precision().bytes().get::<byte>(),
        causal: arch.kind() != Kind::EncoderOnly,
        dp_overlap: options.dp_overlap,
        tp_overlap: options.tp_overlap,
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
    /// The fitting layouts that train fastest per token, fastest first; of layouts that differ only
    /// in their ZeRO stage, the best one.
    pub best: Vec<Candidate>,
    /// Valid layouts evaluated.
    pub evaluated: u64,
    /// Of those, how many fit.
    pub fitting: u64,
    /// Why the first layout refused was refused, when none was valid.
    #[serde(skip)]
    pub refused: Option<Violation>,
    /// The fewest sequences per step any split of the GPUs needs (its data-parallel width), when the
    /// global batch was smaller than some split's.
    pub smallest_batch: Option<u64>,
}

/// Layout dimensions fixed by the user; the search tries every allowed value of the others.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Pins {
    pub tp: Option<u64>,
    pub pp: Option<u64>,
    pub cp: Option<u64>,
    pub ep: Option<u64>,
    pub dp: Option<u64>,
    pub sp: Option<bool>,
    pub zero: Option<u8>,
    pub recompute: Option<Recompute>,
    pub micro_batch: Option<u64>,
    pub interleave: Option<u64>,
    pub replicas: Option<u64>,
    pub recompute_layers: Option<u64>,
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
    let time = step_time(shape, layout, workload, &step.model);
    let m = memory::micro_batches(layout, workload) as f64;
    let tokens = m * (layout.micro_batch * layout.dp * workload.seq_len) as f64;
    let gpus = (layout.tp * layout.cp * layout.pp * layout.dp) as f64;
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

/// A candidate ordered by time per token (layouts train on batches of different sizes), then by
/// memory (more headroom first), then by simplicity (fewer parallel dimensions and chunks first).
struct Ranked(Candidate);

impl Ranked {
    fn key(&self) -> (f64, f64, u64) {
        let c = &self.0;
        let l = &c.layout;
        let complexity = l.tp * l.cp * l.pp * l.ep * l.interleave
            + u64::from(l.zero)
            + u64::from(l.replicas > 1);
        (c.step.total / c.tokens_per_step, c.memory.total, complexity)
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Ranked {}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (self.key(), other.key());
        a.0.total_cmp(&b.0)
            .then(a.1.total_cmp(&b.1))
            .then(a.2.cmp(&b.2))
    }
}

/// The `top` best candidates seen: a max-heap of at most `top` entries, so the worst kept is
/// dropped first; adding costs O(log top) and nothing is reserved up front.
struct Best {
    heap: BinaryHeap<Ranked>,
    top: usize,
}

impl Best {
    fn new(top: usize) -> Best {
        Best {
            heap: BinaryHeap::new(),
            top,
        }
    }

    fn add(&mut self, candidate: Candidate) {
        if self.top == 0 {
            return;
        }
        let ranked = Ranked(candidate);
        if self.heap.len() == self.top {
            if self.heap.peek().is_some_and(|worst| *worst <= ranked) {
                return;
            }
            self.heap.pop();
        }
        self.heap.push(ranked);
    }

    fn into_sorted(self) -> Vec<Candidate> {
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|r| r.0)
            .collect()
    }
}

/// The divisors of `n`, ascending, found in O(√n) steps (a billion GPUs would take a billion).
fn divisors(n: u64) -> impl Iterator<Item = u64> {
    let small: Vec<u64> = (1..)
        .take_while(|d| d * d <= n)
        .filter(|d| n.is_multiple_of(*d))
        .collect();
    let large: Vec<u64> = small
        .iter()
        .rev()
        .filter(|&&d| d * d != n)
        .map(|d| n / d)
        .collect();
    small.into_iter().chain(large)
}

/// The values a dimension takes: the pinned one, or every one of `all`.
fn values<T: Copy + 'static>(
    pin: Option<T>,
    all: impl Iterator<Item = T> + 'static,
) -> Box<dyn Iterator<Item = T>> {
    match pin {
        Some(v) => Box::new(std::iter::once(v)),
        None => Box::new(all),
    }
}

/// The (TP, CP, PP) splits the search tries: TP dividing the heads and a scale-up domain; CP a power
/// of two leaving each rank at least 4,096 tokens of a sequence (context parallelism pays off for long
/// sequences only); PP up to the layers, stages differing by at most a layer; TP × CP × PP dividing
/// the GPUs.
fn splits(
    shape: &Shape,
    gpus: u64,
    seq_len: u64,
    domain: u64,
    pins: &Pins,
) -> Vec<(u64, u64, u64)> {
    let (heads, layers) = (shape.heads, shape.layers);
    let tps: Vec<u64> = values(pins.tp, divisors(heads).filter(move |&t| t <= domain)).collect();
    let cps: Vec<u64> = values(
        pins.cp,
        std::iter::successors(Some(1u64), |c| c.checked_mul(2))
            .take_while(move |&c| c == 1 || seq_len / c >= 4096),
    )
    .collect();
    let mut out = Vec::new();
    for &tp in &tps {
        for &cp in &cps {
            let Some(width) = tp
                .checked_mul(cp)
                .filter(|w| *w > 0 && gpus.is_multiple_of(*w))
            else {
                // A pinned split that cannot be is kept, so that the search says why.
                if pins.tp.is_some() || pins.cp.is_some() {
                    out.push((tp, cp, pins.pp.unwrap_or(1)));
                }
                continue;
            };
            let pps = values(
                pins.pp,
                divisors(gpus / width).filter(move |&p| p <= layers),
            );
            out.extend(pps.map(|pp| (tp, cp, pp)));
        }
    }
    out
}

/// The sharding choices of one layout, tried together so that only the best is kept: ZeRO 0–3 over
/// all data- and context-parallel ranks (or the pinned replica groups), and, unless pinned, ZeRO-3
/// sharded within one scale-up domain and replicated across domains (hybrid sharding, whose
/// per-micro-batch gathers then stay on the fast links; Zhao et al. 2023, §3.2.2).
fn shardings(base: Layout, zeros: &[u8], pins: Pins, domain: u64) -> [Option<Layout>; 5] {
    let mut group = [None; 5];
    let replicas = pins.replicas.unwrap_or(1);
    for (slot, &zero) in group.iter_mut().zip(zeros) {
        *slot = Some(Layout {
            zero,
            replicas,
            ..base
        });
    }
    let ranks = base.dp * base.cp;
    let in_domain = (domain / base.tp).clamp(1, ranks);
    if pins.replicas.is_none() && zeros.contains(&3) && in_domain < ranks {
        group[4] = Some(Layout {
            zero: 3,
            replicas: ranks / in_domain,
            ..base
        });
    }
    group
}

/// Every layout the search tries for one (TP, CP, PP) split, in a fixed order (EP, sequence
/// parallelism, recompute, interleaving, micro-batches of powers of two up to a replica's batch), each
/// with its sharding choices together ([`shardings`]).
fn layouts(
    shape: &Shape,
    (tp, cp, pp): (u64, u64, u64),
    (dp, domain): (u64, u64),
    per_replica: u64,
    pins: Pins,
) -> impl Iterator<Item = [Option<Layout>; 5]> {
    let chunk_counts = divisors(shape.stage_layers(pp) as u64).filter(move |v| *v == 1 || pp > 1);
    let interleaves: Vec<u64> = values(pins.interleave, chunk_counts).collect();
    let zeros: Vec<u8> = values(pins.zero, 0..=3u8).collect();
    values(pins.ep, divisors(shape.experts)).flat_map(move |ep| {
        let interleaves = interleaves.clone();
        let zeros = zeros.clone();
        // With TP, sequence parallelism moves the same bytes as plain TP and halves the activations and
        // element-wise work outside the TP regions (Korthikanti et al. 2022, §4.2.2): it is never slower
        // and never larger, so the search takes it unless pinned; without TP it does not apply.
        values(pins.sp, std::iter::once(tp > 1))
            .filter(move |&sp| tp > 1 || !sp)
            .flat_map(move |sp| {
                let interleaves = interleaves.clone();
                let zeros = zeros.clone();
                let modes = if pins.recompute_layers.is_some() {
                    vec![Recompute::Full]
                } else {
                    vec![Recompute::None, Recompute::Selective, Recompute::Full]
                };
                values(pins.recompute, modes.into_iter()).flat_map(move |recompute| {
                    let zeros = zeros.clone();
                    interleaves.clone().into_iter().flat_map(move |interleave| {
                        let zeros = zeros.clone();
                        let powers = std::iter::successors(Some(1u64), |m| m.checked_mul(2))
                            .take_while(move |m| *m <= per_replica);
                        values(pins.micro_batch, powers).map(move |micro_batch| {
                            let base = Layout {
                                tp,
                                cp,
                                pp,
                                ep,
                                dp,
                                sp,
                                zero: 0,
                                recompute,
                                micro_batch,
                                interleave,
                                replicas: 1,
                                recompute_layers: pins.recompute_layers,
                            };
                            shardings(base, &zeros, pins, domain)
                        })
                    })
                })
            })
    })
}

/// What one split's layouts gave.
struct Found {
    best: Best,
    evaluated: u64,
    fitting: u64,
    refused: Option<Violation>,
    smallest_batch: Option<u64>,
}

/// A full-recompute layout's variant that recomputes only the fewest layers of a stage that let it
/// fit ([`memory::fewest_recomputed_layers`]), unless the count is pinned.
fn partial_recompute(setup: &TrainingSetup, layout: &Layout, pins: Pins) -> Option<Layout> {
    if layout.recompute != Recompute::Full || pins.recompute_layers.is_some() {
        return None;
    }
    let (shape, workload) = (&setup.shape, &setup.workload);
    memory::fewest_recomputed_layers(shape, layout, workload, &setup.memory).map(|layers| Layout {
        recompute_layers: Some(layers),
        ..*layout
    })
}

/// The best fitting layouts of one (TP, CP, PP) split.
fn search_split(
    setup: &TrainingSetup,
    split: (u64, u64, u64),
    gpus: u64,
    pins: Pins,
    top: usize,
) -> Found {
    let (shape, workload) = (&setup.shape, &setup.workload);
    let (tp, cp, pp) = split;
    let dp = pins.dp.unwrap_or(gpus / (tp * cp * pp));
    let per_replica = (workload.global_batch / dp.max(1)).max(1);
    let mut found = Found {
        best: Best::new(top),
        evaluated: 0,
        fitting: 0,
        refused: None,
        smallest_batch: None,
    };
    let node = setup.step.gpus_per_node;
    for group in layouts(shape, split, (dp, node), per_replica, pins) {
        let mut best: Option<Candidate> = None;
        for layout in group.iter().flatten() {
            if let Some(v) = shape.violation(layout, gpus, node, workload.global_batch) {
                if let Violation::BatchTooSmall { dp, .. } = v {
                    found.smallest_batch = Some(found.smallest_batch.map_or(dp, |b| b.min(dp)));
                }
                found.refused.get_or_insert(v);
                continue;
            }
            for layout in std::iter::once(*layout).chain(partial_recompute(setup, layout, pins)) {
                found.evaluated += 1;
                let (_, fit) = evaluate(shape, &layout, workload, &setup.memory, &setup.step);
                if let Some(c) = fit {
                    found.fitting += 1;
                    if best.is_none_or(|b| Ranked(c) < Ranked(b)) {
                        best = Some(c);
                    }
                }
            }
        }
        if let Some(c) = best {
            found.best.add(c);
        }
    }
    found
}

/// Searches the layouts of `gpus` GPUs that `pins` allow: TP dividing the heads within a scale-up
/// domain, CP for long sequences, PP up to the layers (stages may differ by a layer), EP dividing the
/// experts and the data- and context-parallel ranks, sequence parallelism with TP (it dominates plain TP), each recompute
/// mode, any number of interleaved chunks dividing a stage's layers, micro-batches of powers of two
/// up to a replica's batch, and ZeRO 0–3; it keeps the `top` fastest that fit.
pub fn search(setup: &TrainingSetup, gpus: u64, pins: &Pins, top: usize) -> Search {
    let domain = setup.step.gpus_per_node;
    let splits = splits(&setup.shape, gpus, setup.workload.seq_len, domain, pins);
    let results: Vec<Found> = splits
        .par_iter()
        .map(|&split| search_split(setup, split, gpus, *pins, top))
        .collect();
    let mut best = Best::new(top);
    let (mut evaluated, mut fitting) = (0, 0);
    let (mut refused, mut smallest_batch) = (None, None::<u64>);
    for found in results {
        evaluated += found.evaluated;
        fitting += found.fitting;
        refused = refused.or(found.refused);
        if let Some(b) = found.smallest_batch {
            smallest_batch = Some(smallest_batch.map_or(b, |s| s.min(b)));
        }
        for candidate in found.best.into_sorted() {
            best.add(candidate);
        }
    }
    Search {
        best: best.into_sorted(),
        evaluated,
        fitting,
        refused: if evaluated == 0 { refused } else { None },
        smallest_batch,
    }
}
