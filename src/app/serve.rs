//! `llmcalc serve`: what serving a model takes — memory per GPU with the KV cache, time to first token,
//! decode time per token and its bound, throughput, cost per million tokens, and speculative decoding.
//! The formulas and their sources are in [`crate::domain::serving`].

use serde::Serialize;

use super::invalid;
use super::params::ModelInfo;
use super::train::GpuInfo;
use crate::domain::collectives::{Fabric, LinkConstants};
use crate::domain::hardware::{Gpu, Precision, PriceKind};
use crate::domain::kernels::{AttentionKernel, Device, KernelConstants};
use crate::domain::memory::Reserve;
use crate::domain::model::Model;
use crate::domain::model::architecture::Stack;
use crate::domain::serving::{
    DecodeStep, Deployment, Engine, Fit, GRAPH_KERNEL_OVERHEAD, Hardware, KvFormat, Machine,
    SEQUENCE_OVERHEAD, STEP_OVERHEAD, Served, Speculation, SteadyState, TOKEN_BUDGET, WeightFormat,
    Workload, WorkloadSummary, cost_per_million, erlang_c, fit, largest, queueing_delay,
};
use crate::domain::units::format;
use crate::domain::units::unit::{
    byte, byte_per_second, dollar, dollar_per_hour, flop, flop_per_second, second,
};
use crate::domain::units::{Bandwidth, Information, MoneyRate, Time};
use crate::error::{Error, Input, Result};

/// What `llmcalc serve` was asked.
#[derive(Clone, Debug)]
pub struct ServeRequest {
    pub model: Model,
    pub gpu: Gpu,
    pub gpus: u64,
    /// Tensor-parallel ranks, the GPUs of a pipeline stage [default: GPUs / PP, or searched].
    pub tp: Option<u64>,
    pub pp: u64,
    /// Expert-parallel groups and attention data-parallel groups of a stage's GPUs [default: 1, or
    /// searched].
    pub ep: Option<u64>,
    pub attention_dp: Option<u64>,
    pub batch: u64,
    /// Prompt and output tokens per sequence; with a `workload`, its means, rounded.
    pub prompt_tokens: u64,
    pub output_tokens: u64,
    /// Request lengths drawn from a distribution, for continuous batching and arrivals; the static
    /// batch takes the rounded means.
    pub workload: Option<Workload>,
    pub weights: WeightFormat,
    pub kv: KvFormat,
    pub price: Option<MoneyRate>,
    /// Which kind of the GPU preset's prices to use without `price` [default: its first].
    pub price_basis: Option<PriceKind>,
    /// Fraction of the peak prefill and compute-bound decode reach.
    pub compute_efficiency: f64,
    /// Fraction of the memory bandwidth decode reaches.
    pub bandwidth_efficiency: f64,
    /// GPU memory kept free of weights and KV cache: a share or an amount (without an engine).
    pub reserve: Reserve,
    /// The engine whose rule sizes the KV pool, and its memory fraction (its default when none).
    pub engine: Option<Engine>,
    pub memory_fraction: Option<f64>,
    /// Sequences served together under continuous batching [default: the most that fit].
    pub concurrency: Option<u64>,
    /// Latency targets: time to first token and time per output token under continuous batching.
    pub ttft: Option<Time>,
    pub tpot: Option<Time>,
    /// Requests arriving per second over all the GPUs, at random (Poisson).
    pub rate: Option<f64>,
    /// Disaggregated prefill and decode: the GPUs of a replica's prefill pool and decode pool.
    pub disaggregate: Option<(u64, u64)>,
    /// A draft model for speculative decoding, with its acceptance rate and lookahead.
    pub draft: Option<(Model, f64, u64)>,
    /// Scale-out bandwidth per GPU, one direction: the tensor-parallel link of a GPU without a
    /// scale-up figure.
    pub network: Bandwidth,
}

impl ServeRequest {
    /// The request lengths: the workload, or every request of the prompt and output tokens.
    pub fn lengths(&self) -> Workload {
        self.workload
            .clone()
            .unwrap_or_else(|| Workload::fixed(self.prompt_tokens, self.output_tokens))
    }

    /// Tokens of KV cache a sequence reserves: its context, P + O, or with a workload the mean
    /// over the slots, E[O·(P + O)]/E[O] ([`Workload::reserved_context`]), rounded up.
    fn context(&self) -> u64 {
        match &self.workload {
            Some(w) => w.reserved_context().ceil() as u64,
            None => self.prompt_tokens + self.output_tokens,
        }
    }
}

/// A workload of several request lengths: its summary, and the steady time to first token of its
/// 90th-percentile prompt.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WorkloadResult {
    #[serde(flatten)]
    pub summary: WorkloadSummary,
    pub time_to_first_token_p90_seconds: Option<f64>,
}

/// The result of `llmcalc serve`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ServeResult {
    pub model: ModelInfo,
    pub gpu: GpuInfo,
    pub gpus: u64,
    pub tp: u64,
    pub pp: u64,
    /// Expert-parallel groups and attention data-parallel groups of a stage's TP GPUs.
    pub ep: u64,
    pub attention_dp: u64,
    pub replicas: u64,
    pub batch: u64,
    /// Prompt and output tokens per sequence; with a workload, its means, rounded.
    pub prompt_tokens: u64,
    pub output_tokens: u64,
    /// The workload, when the lengths come from one.
    pub workload: Option<WorkloadResult>,
    pub weights: WeightFormat,
    pub weight_bytes_per_gpu: f64,
    /// KV cache per token, the mean over the sequence when windowed layers cap theirs.
    pub kv_cache_bytes_per_token: f64,
    /// How the cache per token is made up.
    pub kv_cache_formula: String,
    pub kv_cache_bytes_per_sequence: f64,
    pub kv_cache_bytes_per_batch: f64,
    /// The batch's KV cache on one GPU.
    pub kv_cache_bytes_per_gpu: f64,
    pub per_gpu_bytes: f64,
    pub capacity_bytes: f64,
    pub usable_bytes: f64,
    /// The engine sizing the KV pool, its memory fraction, and the activation workspace of its token
    /// budget per GPU; none without an engine.
    pub engine: Option<Engine>,
    pub memory_fraction: Option<f64>,
    pub workspace_bytes_per_gpu: Option<f64>,
    /// Tokens per KV-cache block (1 without an engine).
    pub kv_block_tokens: u64,
    /// Memory per GPU for the KV cache: usable less the weights.
    pub kv_pool_bytes_per_gpu: f64,
    /// Tokens the pool holds at this context's cache per token, in whole blocks.
    pub kv_pool_tokens: u64,
    pub fits: bool,
    pub overflow: Option<String>,
    /// The largest batch of these sequences that fits.
    pub max_batch: u64,
    /// The longest context per sequence that fits at this batch, at most the model's context.
    pub max_context: u64,
    pub prefill_flops: f64,
    pub time_to_first_token_seconds: f64,
    pub decode: DecodeStep,
    pub decode_seconds_per_token: f64,
    pub tokens_per_second_per_sequence: f64,
    pub tokens_per_second_per_gpu: f64,
    pub request_seconds: f64,
    pub price_usd_per_gpu_hour: Option<f64>,
    /// Where the price comes from: given, or the GPU preset's price (kind, date, source).
    pub price_origin: Option<super::price::PriceOrigin>,
    /// The kind of preset price asked for, and why there is no price when the preset lists none of
    /// that kind (or none at all).
    pub price_basis: Option<PriceKind>,
    pub no_price: Option<String>,
    pub cost_per_million_input_tokens_usd: Option<f64>,
    pub cost_per_million_output_tokens_usd: Option<f64>,
    pub speculative: Option<SpeculativeResult>,
    /// Continuous batching in steady state at the concurrency; none when no sequence fits or none
    /// meets the latency targets.
    pub continuous_batching: Option<SteadyState>,
    /// The latency targets, when given.
    pub ttft_target_seconds: Option<f64>,
    pub tpot_target_seconds: Option<f64>,
    /// End-to-end output tokens/s per GPU and time per output token under continuous batching.
    pub output_tokens_per_second_per_gpu: Option<f64>,
    pub time_per_output_token_seconds: Option<f64>,
    /// Requests arriving at a rate, when given.
    pub arrivals: Option<Arrivals>,
    /// Prefill and decode on separate pools, when asked, beside the co-located figures above.
    pub disaggregated: Option<Disaggregated>,
}

/// Disaggregated prefill and decode (DistServe, Zhong et al. 2024, OSDI; Splitwise, Patel et al.
/// 2024, ISCA): a replica's prompts are filled on a prefill pool of GPUs and decoded on a decode pool,
/// each request's KV cache sent from one to the other over the scale-out network. Each pool is one
/// tensor-parallel group of its GPUs (PP 1), the decode pool holding the most sequences that fit
/// (or `--concurrency`, within the TPOT target).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Disaggregated {
    pub prefill_gpus: u64,
    pub decode_gpus: u64,
    /// Replicas of prefill + decode GPUs the GPUs make.
    pub replicas: u64,
    /// One prompt's prefill alone on its pool, and the prompts a second the pool fills at full load.
    pub prefill_seconds: f64,
    pub prefill_requests_per_second: f64,
    /// KV cache of one prompt, KV per token × prompt tokens, and its time over the scale-out network:
    /// bytes / (NIC bandwidth × link efficiency × the GPUs sending in parallel) + one latency.
    pub kv_transfer_bytes: f64,
    pub kv_transfer_seconds: f64,
    /// Time to first token: the prefill and the transfer (no queueing).
    pub time_to_first_token_seconds: f64,
    /// The decode pool's steady state: sequences, time per output token, and the requests a second
    /// it completes, C / (O × TPOT).
    pub decode: SteadyState,
    pub decode_requests_per_second: f64,
    /// Requests a second a replica serves, the slower pool's, its output tokens per second per GPU,
    /// and the pool that bounds it (`prefill` or `decode`).
    pub requests_per_second: f64,
    pub output_tokens_per_second_per_gpu: f64,
    pub bound: &'static str,
}

/// Requests arriving at random at a rate: the sequences in service by Little's law, and the wait
/// for a KV slot by the M/M/c queue ([`crate::domain::serving::queueing_delay`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Arrivals {
    /// Requests per second over all the GPUs, and per replica.
    pub rate_per_second: f64,
    pub rate_per_replica: f64,
    /// Requests per second a replica completes at the most sequences that fit.
    pub capacity_per_replica: f64,
    /// The sequences in service, L = λW, the fewest whose steady state completes the rate.
    pub concurrency: u64,
    /// W: time to first token and the rest of the output, at that concurrency.
    pub service_seconds: f64,
    /// Erlang's C: the chance a request waits for one of the KV pool's slots.
    pub wait_probability: f64,
    /// The mean wait, and the steady time to first token plus it; none past the capacity.
    pub queueing_seconds: Option<f64>,
    pub time_to_first_token_seconds: Option<f64>,
    /// Why the rate is not served: it reaches the capacity.
    pub overload: Option<String>,
}

/// Speculative decoding with a draft model.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SpeculativeResult {
    pub draft: String,
    pub draft_decode_seconds_per_token: f64,
    #[serde(flatten)]
    pub expectation: Speculation,
    /// The target's decode time per token with speculation.
    pub decode_seconds_per_token: f64,
    /// The draft's weights and its KV cache of the batch on one GPU, counted in the memory per GPU.
    pub draft_weight_bytes_per_gpu: f64,
    pub draft_kv_cache_bytes_per_gpu: f64,
}

/// How the KV pool is sized: an engine's rule, or a reserve kept free.
struct Pool {
    engine: Option<Engine>,
    fraction: Option<f64>,
    workspace: Option<f64>,
    block: u64,
}

impl Pool {
    fn new(r: &ServeRequest, target: &Served, d: &Deployment) -> Pool {
        let workspace = |_| target.workspace_per_gpu(d, TOKEN_BUDGET).get::<byte>();
        Pool {
            engine: r.engine,
            fraction: r
                .engine
                .map(|e| r.memory_fraction.unwrap_or(e.default_fraction(d.tp))),
            workspace: r.engine.map(workspace),
            block: r.engine.map_or(1, Engine::block_tokens),
        }
    }

    /// Bytes per GPU the weights and the KV cache may take together.
    fn usable(&self, r: &ServeRequest, capacity: f64, weights: f64) -> f64 {
        match (self.engine, self.fraction, self.workspace) {
            (Some(e), Some(f), Some(w)) => e.usable(f, capacity, weights, w),
            _ => capacity - r.reserve.bytes(capacity),
        }
        .max(0.0)
    }
}

/// The memory side of a replica: weights and KV cache per GPU against what the GPU has.
struct MemoryFit {
    /// Weights and KV cache per GPU of each model: the target, then the draft.
    parts: Vec<(f64, f64)>,
    weights: f64,
    kv: f64,
    total: f64,
    capacity: f64,
    usable: f64,
    pool: Pool,
    fit: Fit,
}

impl MemoryFit {
    /// The weights and the batch's KV cache of every one of `models` (a target and its draft) per
    /// GPU.
    fn new(r: &ServeRequest, models: &[&Served], d: &Deployment, context: u64) -> MemoryFit {
        let pool = Pool::new(r, models[0], d);
        let held = context.div_ceil(pool.block) * pool.block;
        let parts: Vec<(f64, f64)> = models
            .iter()
            .map(|m| {
                let kv = m.kv_per_gpu_sequence(d, held).get::<byte>();
                (m.weights_per_gpu(d).get::<byte>(), r.batch as f64 * kv)
            })
            .collect();
        let weights = parts.iter().map(|p| p.0).sum();
        let kv = parts.iter().map(|p| p.1).sum();
        let capacity = r.gpu.memory.get::<byte>();
        let usable = pool.usable(r, capacity, weights);
        let free = Information::new::<byte>(usable - weights);
        MemoryFit {
            parts,
            weights,
            kv,
            total: weights + kv,
            capacity,
            usable,
            fit: fit(models, d, free, pool.block, (r.batch, context)),
            pool,
        }
    }

    /// When it does not fit: what does not, and what would.
    fn overflow(&self, batch: u64, context: u64) -> Option<String> {
        let show = |b: f64| format::bytes(Information::new::<byte>(b));
        (self.total > self.usable).then(|| {
            if self.weights > self.usable {
                format!(
                    "the weights alone need {} per GPU, more than the {} usable (of {}); use more GPUs or smaller weights",
                    show(self.weights),
                    show(self.usable),
                    show(self.capacity)
                )
            } else {
                format!(
                    "the KV cache of {batch} sequences of {context} tokens needs {} per GPU beside {} of weights, {} \
                     more than the {} usable; at most {} sequences fit",
                    show(self.kv),
                    show(self.weights),
                    show(self.total - self.usable),
                    show(self.usable),
                    self.fit.max_batch
                )
            }
        })
    }
}

/// Checks the request, and returns the replica's layout (TP = GPUs / PP, EP 1 and attention DP 1
/// when not given).
fn check(r: &ServeRequest, target: &Served) -> Result<Deployment> {
    let (pp, gpus) = (r.pp, r.gpus);
    for (input, value) in [
        (Input::Gpus, gpus),
        (Input::Pp, pp),
        (Input::Batch, r.batch),
        (Input::PromptTokens, r.prompt_tokens),
    ] {
        if value == 0 {
            return Err(invalid(input, "must be at least 1"));
        }
    }
    if pp > gpus {
        return Err(invalid(
            Input::Pp,
            format!("{pp} stages need more than the {gpus} GPUs"),
        ));
    }
    let d = Deployment {
        tp: r.tp.unwrap_or(gpus / pp),
        pp,
        ep: r.ep.unwrap_or(1),
        attention_dp: r.attention_dp.unwrap_or(1),
        weights: r.weights,
        kv: r.kv,
    };
    target.check(&d, gpus, r.gpu.gpus_per_scale_up_domain())?;
    let (context, row) = r.lengths().longest();
    if context > target.arch.context {
        let (input, which) = match r.workload {
            Some(_) => (Input::Workload, format!("row {}: ", row + 1)),
            None => (Input::PromptTokens, String::new()),
        };
        return Err(invalid(
            input,
            format!(
                "{which}{context} tokens exceed {}'s context of {}; raise architecture.context in the preset to \
                 serve beyond what it was trained for",
                target.id, target.arch.context
            ),
        ));
    }
    Ok(d)
}

/// Checks a draft against the target and the layout: decoder-only, the same split rule, the target's
/// tokenizer.
fn check_draft<'a>(
    r: &ServeRequest,
    draft: &'a Model,
    target: &Served,
    d: &Deployment,
) -> Result<Served<'a>> {
    let served = Served::new(draft)?;
    let per_node = r.gpu.gpus_per_scale_up_domain();
    // A dense draft runs beside the target's experts: only its attention is split.
    let layout = Deployment { ep: 1, ..*d };
    served
        .check(&layout, r.gpus, per_node)
        .map_err(|e| match e {
            Error::Invalid { input, message } => {
                invalid(input, format!("for the draft {}, {message}", served.id))
            }
            other => other,
        })?;
    if served.arch.vocab != target.arch.vocab {
        return Err(invalid(
            Input::Draft,
            format!(
                "{} has a vocabulary of {} tokens and {} of {}: a draft must share the target's tokenizer",
                served.id, served.arch.vocab, target.id, target.arch.vocab
            ),
        ));
    }
    Ok(served)
}

/// Speculative decoding with the request's `draft` model, if it has one.
fn speculative(
    r: &ServeRequest,
    draft: Option<&Served>,
    d: &Deployment,
    hw: &Hardware,
    decode: &DecodeStep,
    mean_context: u64,
    memory: &MemoryFit,
) -> Option<SpeculativeResult> {
    let (Some(served), Some((_, acceptance, lookahead))) = (draft, &r.draft) else {
        return None;
    };
    let draft_step = served.decode(d, hw, r.batch, mean_context);
    let expectation = decode.speculate(&draft_step, d.pp, *acceptance, *lookahead);
    Some(SpeculativeResult {
        draft: served.id.to_string(),
        draft_decode_seconds_per_token: draft_step.seconds,
        decode_seconds_per_token: decode.seconds / expectation.speedup,
        expectation,
        draft_weight_bytes_per_gpu: memory.parts[1].0,
        draft_kv_cache_bytes_per_gpu: memory.parts[1].1,
    })
}

/// The operation model of `gpu` serving at `precision` with `weights`: training's kernels and links
/// with their fitted constants, the HBM at the request's bandwidth efficiency of its datasheet figure, the
/// engine's token budget and step cost.
fn machine(r: &ServeRequest, precision: Precision, weights: WeightFormat) -> Machine {
    let peak = |p| r.gpu.peak(p).map_or(0.0, |c| c.get::<flop_per_second>());
    Machine {
        device: Device {
            gemm_peak: peak(precision),
            attention_peak: peak(r.gpu.training_precision()),
            memory_bandwidth: r.gpu.memory_bandwidth.get::<byte_per_second>()
                * r.bandwidth_efficiency,
            input_bytes: weights.bytes().get::<byte>(),
            generation: r.gpu.generation,
            attention_kernel: AttentionKernel::Fused,
            constants: KernelConstants::CALIBRATED,
        },
        fabric: Fabric {
            scale_up: r.gpu.scale_up_bandwidth(r.network).get::<byte_per_second>(),
            domain: r.gpu.gpus_per_scale_up_domain(),
            scale_out: r.network.get::<byte_per_second>(),
            constants: LinkConstants::CALIBRATED,
        },
        budget: TOKEN_BUDGET,
        step_overhead: STEP_OVERHEAD,
        sequence_overhead: SEQUENCE_OVERHEAD,
        graph_kernel_overhead: GRAPH_KERNEL_OVERHEAD,
    }
}

/// Continuous batching at the request's concurrency, or the most sequences that fit; with latency
/// targets, the most sequences up to that which meet them (none when even one does not).
fn continuous(
    r: &ServeRequest,
    target: &Served,
    d: &Deployment,
    precision: Precision,
    max_batch: u64,
) -> Option<SteadyState> {
    let most = r.concurrency.unwrap_or(max_batch);
    let m = machine(r, precision, d.weights);
    let lengths = r.lengths();
    let at = |c: u64| target.steady_state(d, &m, c, &lengths);
    let meets = |s: &SteadyState| {
        r.ttft
            .is_none_or(|t| s.time_to_first_token_seconds <= t.get::<second>())
            && r.tpot
                .is_none_or(|t| s.time_per_output_token_seconds <= t.get::<second>())
    };
    if most == 0 || !meets(&at(1)) {
        return None;
    }
    // Latency grows with the concurrency: the most that meets the targets.
    Some(at(largest(1, most, |c| meets(&at(c)))))
}

/// Computes what serving takes: at the request's layout, or with latency targets the layout that
/// meets them serving the most per GPU ([`best_layout`]).
pub fn serve(r: &ServeRequest) -> Result<ServeResult> {
    if r.ttft.is_some() || r.tpot.is_some() {
        best_layout(r)
    } else {
        serve_layout(r)
    }
}

/// What serving takes at the request's layout.
fn serve_layout(r: &ServeRequest) -> Result<ServeResult> {
    let target = Served::new(&r.model)?;
    let d = check(r, &target)?;
    let draft = match &r.draft {
        Some((model, _, _)) => Some(check_draft(r, model, &target, &d)?),
        None => None,
    };
    let precision = r.weights.precision(&r.gpu);
    let hw = Hardware::new(
        &r.gpu,
        precision,
        r.network,
        r.compute_efficiency,
        r.bandwidth_efficiency,
    );
    let context = r.context();
    let models: Vec<&Served> = std::iter::once(&target).chain(draft.as_ref()).collect();
    let memory = MemoryFit::new(r, &models, &d, context);
    let prefill = target.prefill(&d, &hw, r.batch, r.prompt_tokens)?;
    let mean_context = r.prompt_tokens + r.output_tokens / 2;
    let decode = target.decode(&d, &hw, r.batch, mean_context);
    let speculative = speculative(r, draft.as_ref(), &d, &hw, &decode, mean_context, &memory);
    let (continuous, arrivals) = match r.rate {
        Some(rate) => arriving(r, &target, &d, precision, memory.fit.max_batch, rate),
        None => (
            continuous(r, &target, &d, precision, memory.fit.max_batch),
            None,
        ),
    };
    let disaggregated = match r.disaggregate {
        Some(pools) => Some(disaggregated(r, &target, &d, precision, pools)?),
        None => None,
    };
    let gpu = GpuInfo::new(&r.gpu, precision, hw.peak);
    let mut result = result(
        r,
        &target,
        d,
        gpu,
        memory,
        Timing::new(
            prefill.flops.get::<flop>(),
            prefill.time,
            decode,
            speculative,
        ),
    )
    .with(r, continuous, arrivals);
    result.disaggregated = disaggregated;
    Ok(result)
}

/// One pool of `gpus` GPUs of disaggregated serving: a tensor-parallel group with the layout's
/// expert and attention data parallelism where they divide it.
fn pool(r: &ServeRequest, target: &Served, d: &Deployment, gpus: u64) -> Result<Deployment> {
    let divides = |n: u64| if gpus.is_multiple_of(n) { n } else { 1 };
    let pool = Deployment {
        tp: gpus,
        pp: 1,
        ep: divides(d.ep),
        attention_dp: divides(d.attention_dp),
        ..*d
    };
    target
        .check(&pool, gpus, r.gpu.gpus_per_scale_up_domain())
        .map_err(|e| match e {
            Error::Invalid { input, message } => {
                invalid(input, format!("a pool of {gpus} GPUs: {message}"))
            }
            other => other,
        })?;
    Ok(pool)
}

/// Prefill and decode on pools of `prefill` and `decode` GPUs (see [`Disaggregated`]).
fn disaggregated(
    r: &ServeRequest,
    target: &Served,
    d: &Deployment,
    precision: Precision,
    (prefill, decode): (u64, u64),
) -> Result<Disaggregated> {
    if prefill + decode > r.gpus {
        let message = format!(
            "a replica of {prefill} prefill + {decode} decode GPUs needs more than the {} GPUs",
            r.gpus
        );
        return Err(invalid(Input::Gpus, message));
    }
    let (p, q) = (pool(r, target, d, prefill)?, pool(r, target, d, decode)?);
    let m = machine(r, precision, d.weights);
    let lengths = r.lengths();
    let (prefill_seconds, prefill_rate) = target.prefill_only(&p, &m, &lengths);
    let bytes = target.kv_per_sequence(d.kv, r.prompt_tokens).get::<byte>();
    let links = prefill.min(decode) as f64 * m.fabric.scale_out * m.fabric.constants.efficiency;
    let transfer = bytes / links + m.fabric.constants.latency;
    let slots = MemoryFit::new(r, &[target], &q, r.context()).fit.max_batch;
    let most = r.concurrency.map_or(slots, |c| c.min(slots)).max(1);
    let at = |c: u64| target.decode_only(&q, &m, c, &lengths);
    let meets = |c: u64| {
        r.tpot
            .is_none_or(|t| at(c).time_per_output_token_seconds <= t.get::<second>())
    };
    let mut steady = at(largest(1, most, meets));
    steady.time_to_first_token_seconds = prefill_seconds + transfer;
    let output = lengths.mean_output();
    let decode_rate = steady.concurrency as f64 / (output * steady.time_per_output_token_seconds);
    let rate = prefill_rate.min(decode_rate);
    Ok(Disaggregated {
        prefill_gpus: prefill,
        decode_gpus: decode,
        replicas: r.gpus / (prefill + decode),
        prefill_seconds,
        prefill_requests_per_second: prefill_rate,
        kv_transfer_bytes: bytes,
        kv_transfer_seconds: transfer,
        time_to_first_token_seconds: prefill_seconds + transfer,
        decode: steady,
        decode_requests_per_second: decode_rate,
        requests_per_second: rate,
        output_tokens_per_second_per_gpu: rate * output / (prefill + decode) as f64,
        bound: if prefill_rate < decode_rate {
            "prefill"
        } else {
            "decode"
        },
    })
}

/// Requests arriving at `rate` a second over the replicas: the fewest sequences whose steady state
/// completes the replica's share, C/W(C) ≥ λ, so that C = λW (Little's law), and the wait for a slot
/// of the `slots` the pool holds, each busy W a request (M/M/c). Past the capacity at `slots`
/// sequences, the overload is stated and the steady state is that of the full pool.
fn arriving(
    r: &ServeRequest,
    target: &Served,
    d: &Deployment,
    precision: Precision,
    slots: u64,
    rate: f64,
) -> (Option<SteadyState>, Option<Arrivals>) {
    let m = machine(r, precision, d.weights);
    let lengths = r.lengths();
    let at = |c: u64| target.steady_state(d, &m, c, &lengths);
    // W = TTFT + (E[O] − 1) × TPOT: the mean service time, for Little's law.
    let output = lengths.mean_output() - 1.0;
    let service =
        |s: &SteadyState| s.time_to_first_token_seconds + output * s.time_per_output_token_seconds;
    let replica = rate / (r.gpus / (d.tp * d.pp)) as f64;
    if slots == 0 {
        return (None, None);
    }
    let full = at(slots);
    let capacity = slots as f64 / service(&full);
    let short = |c: u64| c == 0 || (c as f64) < replica * service(&at(c));
    let concurrency = (largest(0, slots, short) + 1).min(slots);
    let steady = at(concurrency);
    let w = service(&steady);
    let queueing = queueing_delay(slots, w, replica);
    let overload = (replica >= capacity || queueing.is_infinite()).then(|| {
        format!(
            "{rate} requests/s is {replica:.3} per replica, at or above the {capacity:.3} a replica completes \
             with all {slots} sequences that fit"
        )
    });
    let arrivals = Arrivals {
        rate_per_second: rate,
        rate_per_replica: replica,
        capacity_per_replica: capacity,
        concurrency,
        service_seconds: w,
        wait_probability: erlang_c(slots, replica * w),
        queueing_seconds: overload.is_none().then_some(queueing),
        time_to_first_token_seconds: overload
            .is_none()
            .then_some(steady.time_to_first_token_seconds + queueing),
        overload,
    };
    (Some(steady), Some(arrivals))
}

/// What a request sees of the step times: the prefill, the decode step, a draft's speed-up, and the
/// time per output token that follows from them.
struct Timing {
    prefill_flops: f64,
    ttft: f64,
    decode: DecodeStep,
    speculative: Option<SpeculativeResult>,
    /// A draft makes several tokens per target step: its time per token is the one that counts.
    per_token: f64,
}

impl Timing {
    fn new(
        prefill_flops: f64,
        ttft: Time,
        decode: DecodeStep,
        speculative: Option<SpeculativeResult>,
    ) -> Timing {
        let per_token = speculative
            .as_ref()
            .map_or(decode.seconds, |s| s.decode_seconds_per_token);
        Timing {
            prefill_flops,
            ttft: ttft.get::<second>(),
            decode,
            speculative,
            per_token,
        }
    }
}

/// The price per GPU-hour (the request's, else the GPU preset's), where it comes from or why there
/// is none, and what it makes the cost per million input tokens (prefill) and output tokens
/// (decode), each spread over the batch and the replica's GPUs.
struct Costs {
    usd_per_gpu_hour: Option<f64>,
    origin: Option<super::price::PriceOrigin>,
    no_price: Option<String>,
    input: Option<f64>,
    output: Option<f64>,
}

impl Costs {
    fn new(r: &ServeRequest, replica_gpus: f64, t: &Timing) -> Costs {
        let (price, origin) = super::price::price(r.price, &r.gpu, r.price_basis).unzip();
        let (input, output) = price.map_or((None, None), |p| {
            let per_million = |gpu_seconds_per_token: f64| {
                Some(
                    cost_per_million(Time::new::<second>(gpu_seconds_per_token), p).get::<dollar>(),
                )
            };
            (
                per_million(t.ttft * replica_gpus / (r.batch as f64 * r.prompt_tokens as f64)),
                per_million(t.per_token * replica_gpus / r.batch as f64),
            )
        });
        Costs {
            usd_per_gpu_hour: price.map(|p| p.get::<dollar_per_hour>()),
            origin,
            no_price: price
                .is_none()
                .then(|| super::price::no_price(&r.gpu, r.price_basis)),
            input,
            output,
        }
    }
}

/// The KV cache per token (the mean over the sequence) and per sequence at the request's context
/// (with a workload, the tokens a sequence reserves on average, [`ServeRequest::context`]).
fn kv_sizes(r: &ServeRequest, target: &Served, d: &Deployment) -> (f64, f64) {
    let context = r.context();
    let per_sequence = target.kv_per_sequence(d.kv, context).get::<byte>();
    (per_sequence / context as f64, per_sequence)
}

/// Assembles the result: layout, memory, throughput, request time and cost per token.
fn result(
    r: &ServeRequest,
    target: &Served,
    d: Deployment,
    gpu: GpuInfo,
    memory: MemoryFit,
    t: Timing,
) -> ServeResult {
    let (kv_token, kv_sequence) = kv_sizes(r, target, &d);
    let replica_gpus = (d.tp * d.pp) as f64;
    let costs = Costs::new(r, replica_gpus, &t);
    ServeResult {
        model: ModelInfo::new(&r.model, target.arch),
        gpu,
        gpus: r.gpus,
        tp: d.tp,
        pp: d.pp,
        ep: d.ep,
        attention_dp: d.attention_dp,
        replicas: r.gpus / (d.tp * d.pp),
        batch: r.batch,
        prompt_tokens: r.prompt_tokens,
        output_tokens: r.output_tokens,
        workload: None,
        weights: r.weights,
        weight_bytes_per_gpu: memory.parts[0].0,
        kv_cache_bytes_per_token: kv_token,
        kv_cache_formula: kv_formula(target.stack),
        kv_cache_bytes_per_sequence: kv_sequence,
        kv_cache_bytes_per_batch: kv_sequence * r.batch as f64,
        kv_cache_bytes_per_gpu: memory.parts[0].1,
        per_gpu_bytes: memory.total,
        capacity_bytes: memory.capacity,
        usable_bytes: memory.usable,
        engine: memory.pool.engine,
        memory_fraction: memory.pool.fraction,
        workspace_bytes_per_gpu: memory.pool.workspace,
        kv_block_tokens: memory.pool.block,
        kv_pool_bytes_per_gpu: (memory.usable - memory.weights).max(0.0),
        kv_pool_tokens: memory.fit.pool_tokens,
        fits: memory.total <= memory.usable,
        overflow: memory.overflow(r.batch, r.context()),
        max_batch: memory.fit.max_batch,
        max_context: memory.fit.max_context,
        prefill_flops: t.prefill_flops,
        time_to_first_token_seconds: t.ttft,
        decode: t.decode,
        decode_seconds_per_token: t.per_token,
        tokens_per_second_per_sequence: 1.0 / t.per_token,
        tokens_per_second_per_gpu: r.batch as f64 / (t.per_token * replica_gpus),
        request_seconds: t.ttft + r.output_tokens.saturating_sub(1) as f64 * t.per_token,
        price_usd_per_gpu_hour: costs.usd_per_gpu_hour,
        price_origin: costs.origin,
        price_basis: r.price_basis,
        no_price: costs.no_price,
        cost_per_million_input_tokens_usd: costs.input,
        cost_per_million_output_tokens_usd: costs.output,
        speculative: t.speculative,
        continuous_batching: None,
        ttft_target_seconds: r.ttft.map(|t| t.get::<second>()),
        tpot_target_seconds: r.tpot.map(|t| t.get::<second>()),
        output_tokens_per_second_per_gpu: None,
        time_per_output_token_seconds: None,
        arrivals: None,
        disaggregated: None,
    }
}

impl ServeResult {
    /// The result with continuous batching in steady state, and requests arriving at a rate.
    fn with(
        self,
        r: &ServeRequest,
        continuous: Option<SteadyState>,
        arrivals: Option<Arrivals>,
    ) -> ServeResult {
        let workload = r.workload.as_ref().map(|w| WorkloadResult {
            summary: w.summary(),
            time_to_first_token_p90_seconds: continuous
                .map(|c| c.time_to_first_token(w.prompt_p90() as f64)),
        });
        ServeResult {
            workload,
            arrivals,
            output_tokens_per_second_per_gpu: continuous
                .map(|c| c.output_tokens_per_second_per_gpu),
            time_per_output_token_seconds: continuous.map(|c| c.time_per_output_token_seconds),
            continuous_batching: continuous,
            ..self
        }
    }
}

/// How a token's KV cache is made up, as the report states it.
fn kv_formula(s: &Stack) -> String {
    let per_layer = match s.mla {
        Some(m) => format!(
            "(latent {} + rotary key {}) × layers × bytes (MLA)",
            m.kv_lora_rank, m.qk_rope_head_dim
        ),
        None => "2 × layers × kv heads × head dim × bytes".into(),
    };
    match s.window {
        Some(w) => format!(
            "{per_layer}, {} windowed layers capped at {} tokens: mean over the sequence",
            s.windowed_layers(),
            w.size
        ),
        None => per_layer,
    }
}

/// `llmcalc serve` on several GPUs: one result per GPU, each with its best layout.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ServeComparison {
    pub rows: Vec<ServeResult>,
}

/// The request served on each of `gpus`.
pub fn compare(r: &ServeRequest, gpus: &[Gpu]) -> Result<ServeComparison> {
    let rows = gpus
        .iter()
        .map(|gpu| {
            best_layout(&ServeRequest {
                gpu: gpu.clone(),
                ..r.clone()
            })
        })
        .collect::<Result<_>>()?;
    Ok(ServeComparison { rows })
}

/// The request at the layout that serves the most output tokens per GPU under continuous batching
/// (within its latency targets), among those it leaves open: TP a divisor of the GPUs per pipeline
/// stage within a scale-up domain, and for a MoE, EP and attention DP divisors of TP (attention DP on
/// a dense model would be replicas of a smaller TP). Replicas take the GPUs a layout leaves; layouts
/// the model does not split over are skipped.
fn best_layout(r: &ServeRequest) -> Result<ServeResult> {
    if r.pp == 0 || r.gpus < r.pp {
        return serve_layout(r);
    }
    let divisors = |n: u64| (1..=n).filter(move |t| n.is_multiple_of(*t));
    let per_stage = r.gpus / r.pp;
    let moe = r
        .model
        .architecture("serving")?
        .stacks()
        .any(|(_, s)| s.moe.is_some());
    let open = |given: Option<u64>, n: u64, searched: bool| match given {
        Some(v) => vec![v],
        None if searched => divisors(n).collect(),
        None => vec![1],
    };
    let tps = match r.tp {
        Some(t) => vec![t],
        None => divisors(per_stage)
            .filter(|t| *t <= r.gpu.gpus_per_scale_up_domain())
            .collect(),
    };
    let throughput = |s: &ServeResult| s.output_tokens_per_second_per_gpu.unwrap_or(-1.0);
    let layouts = tps.into_iter().flat_map(|tp| {
        let eps = open(r.ep, tp, moe);
        let dps = open(r.attention_dp, tp, moe);
        eps.into_iter()
            .flat_map(move |ep| dps.clone().into_iter().map(move |dp| (tp, ep, dp)))
    });
    layouts
        .filter_map(|(tp, ep, dp)| {
            serve_layout(&ServeRequest {
                tp: Some(tp),
                ep: Some(ep),
                attention_dp: Some(dp),
                ..r.clone()
            })
            .ok()
        })
        .max_by(|a, b| throughput(a).total_cmp(&throughput(b)))
        .map_or_else(|| serve_layout(r), Ok)
}
