//! `llmcalc serve`: what serving a model takes — memory per GPU with the KV cache, time to first token,
//! decode time per token and its bound, throughput, cost per million tokens, and speculative decoding.
//! The formulas and their sources are in [`crate::domain::serving`].

use serde::Serialize;

use super::params::ModelInfo;
use super::train::GpuInfo;
use crate::domain::hardware::{Gpu, Precision};
use crate::domain::model::architecture::Kind;
use crate::domain::model::flops::{self, FlopsOptions, Masking, Recompute};
use crate::domain::model::{Model, params};
use crate::domain::serving::{self, Speculation};
use crate::domain::units::format;
use crate::domain::units::unit::{byte, byte_per_second, dollar_per_hour, flop, flop_per_second};
use crate::domain::units::{Information, MoneyRate};
use crate::error::{Error, Result};

/// How weights are stored for serving.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WeightFormat {
    Bf16,
    Fp8,
    Int8,
    Int4,
}

impl WeightFormat {
    /// Bytes per parameter.
    pub fn bytes(self) -> f64 {
        match self {
            WeightFormat::Bf16 => 2.0,
            WeightFormat::Fp8 | WeightFormat::Int8 => 1.0,
            WeightFormat::Int4 => 0.5,
        }
    }

    /// The peak the matrix products run at: fp8 and int8 weights at their own peak where the GPU has
    /// one; int4 weights are dequantised to bf16 (weight-only quantisation).
    fn precision(self, gpu: &Gpu) -> Precision {
        let own = match self {
            WeightFormat::Fp8 => Some(Precision::Fp8),
            WeightFormat::Int8 => Some(Precision::Int8),
            WeightFormat::Bf16 | WeightFormat::Int4 => None,
        };
        own.filter(|p| gpu.peak(*p).is_some())
            .unwrap_or_else(|| gpu.training_precision())
    }
}

/// What `llmcalc serve` was asked.
#[derive(Clone, Debug)]
pub struct ServeRequest {
    pub model: Model,
    pub gpu: String,
    pub gpus: u64,
    pub tp: Option<u64>,
    pub pp: u64,
    pub batch: u64,
    pub prompt_tokens: u64,
    pub output_tokens: u64,
    pub weights: WeightFormat,
    /// Bytes per KV-cache element: 2 for bf16, 1 for fp8.
    pub kv_bytes: f64,
    pub price: Option<MoneyRate>,
    /// Fraction of the peak prefill and compute-bound decode reach.
    pub compute_efficiency: f64,
    /// Fraction of the memory bandwidth decode reaches.
    pub bandwidth_efficiency: f64,
    /// Fraction of GPU memory kept free of weights and KV cache.
    pub reserve: f64,
    /// A draft model for speculative decoding, with its acceptance rate and lookahead.
    pub draft: Option<(Model, f64, u64)>,
}

/// One decode step, as one pipeline stage does it for one micro-batch (the whole model and batch when
/// PP is 1).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct DecodeStep {
    /// Sequences per micro-batch: the batch over the pipeline stages.
    pub micro_batch: u64,
    /// Bytes one stage reads: its resident weights (the touched experts for a MoE) and KV cache.
    pub weight_bytes_read: f64,
    pub kv_bytes_read: f64,
    pub flops: f64,
    pub memory_bound_seconds: f64,
    pub compute_bound_seconds: f64,
    pub communication_seconds: f64,
    /// One stage's time: the longer bound plus communication.
    pub stage_seconds: f64,
    /// A token's decode latency: PP × the stage time.
    pub seconds: f64,
    /// `memory` or `compute`: the larger of the two bounds.
    pub bound: &'static str,
    /// FLOPs per byte read, against the GPU's peak over bandwidth (the ridge point).
    pub arithmetic_intensity: f64,
    pub ridge_point: f64,
    /// Expected distinct experts per MoE layer, for a MoE.
    pub experts_touched: Option<f64>,
}

/// The result of `llmcalc serve`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ServeResult {
    pub model: ModelInfo,
    pub gpu: GpuInfo,
    pub gpus: u64,
    pub tp: u64,
    pub pp: u64,
    pub replicas: u64,
    pub batch: u64,
    pub prompt_tokens: u64,
    pub output_tokens: u64,
    pub weights: WeightFormat,
    pub weight_bytes_per_gpu: f64,
    pub kv_cache_bytes_per_token: f64,
    pub kv_cache_bytes_per_sequence: f64,
    pub kv_cache_bytes_per_batch: f64,
    /// The batch's KV cache on one GPU.
    pub kv_cache_bytes_per_gpu: f64,
    pub per_gpu_bytes: f64,
    pub capacity_bytes: f64,
    pub usable_bytes: f64,
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
    pub cost_per_million_input_tokens_usd: Option<f64>,
    pub cost_per_million_output_tokens_usd: Option<f64>,
    pub speculative: Option<SpeculativeResult>,
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
}

fn argument(argument: &str, message: String) -> Error {
    Error::Argument {
        argument: argument.into(),
        message,
    }
}

/// The shared arithmetic of serving one model on a GPU layout.
struct Serving<'a> {
    r: &'a ServeRequest,
    tp: u64,
    peak: f64,
    bandwidth: f64,
    scale_up: f64,
}

impl Serving<'_> {
    /// One decode step of `model` at a mean context `context`. With pipeline parallelism the batch is
    /// split into PP micro-batches that keep every stage busy: a stage reads its share of the weights and
    /// of its micro-batch's KV cache, and a token passes all PP stages one after another.
    fn decode(&self, model: &Model, context: u64) -> Result<DecodeStep> {
        let arch = model.architecture("serving")?;
        let p = params::count(&model.id, arch)?;
        let (_, stack) = arch
            .stacks()
            .next()
            .expect("a checked architecture has a stack");
        let pp = self.r.pp as f64;
        let micro_batch = self.r.batch.div_ceil(self.r.pp);
        let routed: f64 = p
            .parts
            .iter()
            .filter(|x| x.part == "routed experts")
            .map(|x| x.total as f64)
            .sum();
        let touched = stack
            .moe
            .as_ref()
            .map(|m| serving::expected_experts(m.experts, m.top_k, micro_batch));
        let experts_read = match (&stack.moe, touched) {
            (Some(m), Some(t)) => routed * t / m.experts as f64,
            _ => 0.0,
        };
        // The input embedding is looked up, not read whole: only an output head tied to it is.
        let looked_up: f64 = p
            .parts
            .iter()
            .filter(|x| {
                matches!(
                    x.part,
                    "token embedding" | "positional embedding" | "token-type embedding"
                )
            })
            .map(|x| x.total as f64)
            .sum();
        let looked_up = if arch.tied_embeddings {
            looked_up
                - p.parts
                    .iter()
                    .find(|x| x.part == "token embedding")
                    .map_or(0.0, |x| x.total as f64)
        } else {
            looked_up
        };
        let weight_bytes = (p.total_params as f64 - looked_up - routed + experts_read)
            * self.r.weights.bytes()
            / pp;
        let kv_token = serving::kv_bytes_per_token(
            stack.layers,
            stack.kv_heads,
            stack.head_dim,
            self.r.kv_bytes,
        );
        let kv_bytes = micro_batch as f64 * context as f64 * kv_token / pp;
        let options = FlopsOptions {
            seq_len: context.max(1),
            target_len: None,
            masking: Masking::Full,
            recompute: Recompute::None,
        };
        let per_token = flops::count(arch, &p, &options)
            .forward_flops_per_token
            .get::<flop>();
        let flops = micro_batch as f64 * per_token / pp;
        let t = self.tp as f64;
        // Weights split over the TP ranks; key/value heads fewer than the ranks are replicated, so each
        // rank reads its max(kv_heads / TP, 1) heads' share of the cache.
        let kv_rank_share = (stack.kv_heads as f64 / t).max(1.0) / stack.kv_heads as f64;
        let memory = (weight_bytes / t + kv_bytes * kv_rank_share)
            / (self.bandwidth * self.r.bandwidth_efficiency);
        let compute = flops / (t * self.peak * self.r.compute_efficiency);
        // Two all-reduces of the micro-batch's hidden states per layer, ring over the scale-up link.
        let communication = if self.tp > 1 {
            let bytes = micro_batch as f64 * arch.d_model as f64 * 2.0;
            stack.layers as f64 / pp * 2.0 * 2.0 * (t - 1.0) / t * bytes / self.scale_up
        } else {
            0.0
        };
        let stage = memory.max(compute) + communication;
        Ok(DecodeStep {
            micro_batch,
            weight_bytes_read: weight_bytes,
            kv_bytes_read: kv_bytes,
            flops,
            memory_bound_seconds: memory,
            compute_bound_seconds: compute,
            communication_seconds: communication,
            stage_seconds: stage,
            seconds: pp * stage,
            bound: if memory >= compute {
                "memory"
            } else {
                "compute"
            },
            arithmetic_intensity: flops / (weight_bytes + kv_bytes),
            ridge_point: self.peak / self.bandwidth,
            experts_touched: touched,
        })
    }
}

/// Checks a serving layout against a model: decoder-only, TP dividing the heads (and the key/value
/// heads, or divided by them) and a node, PP at most the layers, TP × PP dividing the GPUs.
fn check_layout(model: &Model, tp: u64, pp: u64, gpus: u64, per_node: u64) -> Result<()> {
    let arch = model.architecture("serving")?;
    if arch.kind() != Kind::DecoderOnly {
        return Err(argument(
            "MODEL",
            format!(
                "{} is {}; serving is modelled for decoder-only models",
                model.id,
                arch.kind().name()
            ),
        ));
    }
    let (_, stack) = arch.stacks().next().expect("a decoder has a stack");
    let fail = |message: String| Err(argument("--tp / --pp", message));
    if tp == 0 {
        return fail("TP must be at least 1".into());
    }
    match tp.checked_mul(pp) {
        Some(replica) if gpus.is_multiple_of(replica) => {}
        _ => {
            return fail(format!(
                "TP × PP = {tp} × {pp} does not divide the {gpus} GPUs"
            ));
        }
    }
    if !stack.heads.is_multiple_of(tp) {
        return fail(format!(
            "TP {tp} does not divide {}'s {} attention heads",
            model.id, stack.heads
        ));
    }
    if !stack.kv_heads.is_multiple_of(tp) && !tp.is_multiple_of(stack.kv_heads) {
        return fail(format!(
            "TP {tp} and {}'s {} key/value heads do not divide one another",
            model.id, stack.kv_heads
        ));
    }
    if !per_node.is_multiple_of(tp) {
        return fail(format!(
            "TP {tp} does not divide the {per_node} GPUs of one node's scale-up link"
        ));
    }
    if pp > stack.layers {
        return fail(format!(
            "PP {pp} is more than {}'s {} layers",
            model.id, stack.layers
        ));
    }
    Ok(())
}

/// Computes what serving takes.
pub fn serve(r: &ServeRequest) -> Result<ServeResult> {
    let model = &r.model;
    let arch = model.architecture("serving")?;
    let (_, stack) = arch.stacks().next().expect("a decoder has a stack");
    let gpu = crate::catalog::Catalog::builtin().gpu(&r.gpu)?;
    let (pp, gpus) = (r.pp, r.gpus);
    for (name, value) in [
        ("--gpus", gpus),
        ("--pp", pp),
        ("--batch", r.batch),
        ("--prompt-tokens", r.prompt_tokens),
    ] {
        if value == 0 {
            return Err(argument(name, "must be at least 1".into()));
        }
    }
    if pp > gpus {
        return Err(argument(
            "--pp",
            format!("{pp} stages need more than the {gpus} GPUs"),
        ));
    }
    let tp = r.tp.unwrap_or(gpus / pp);
    let per_node = gpu.interconnect.as_ref().map_or(8, |i| i.gpus_per_node);
    check_layout(model, tp, pp, gpus, per_node)?;
    if let Some((draft, _, _)) = &r.draft {
        check_layout(draft, tp, pp, gpus, per_node)?;
        let vocab = |m: &Model| m.try_architecture().map(|a| a.vocab);
        if vocab(draft) != vocab(model) {
            return Err(argument(
                "--draft",
                format!(
                    "{} has a vocabulary of {:?} tokens and {} of {:?}: a draft must share the target's tokenizer",
                    draft.id,
                    vocab(draft).unwrap_or(0),
                    model.id,
                    vocab(model).unwrap_or(0)
                ),
            ));
        }
    }
    let context = r.prompt_tokens + r.output_tokens;
    if context > arch.context {
        return Err(argument(
            "--prompt-tokens / --output-tokens",
            format!(
                "{context} tokens exceed {}'s context of {}; --set architecture.context=N to serve beyond what it \
                 was trained for",
                model.id, arch.context
            ),
        ));
    }
    let precision = r.weights.precision(&gpu);
    let peak = gpu
        .peak(precision)
        .expect("precision chosen among the GPU's peaks");
    let bandwidth = gpu.memory_bandwidth.get::<byte_per_second>();
    let scale_up = gpu
        .interconnect
        .as_ref()
        .and_then(|i| i.bandwidth)
        .map_or(bandwidth, |b| b.get::<byte_per_second>() / 2.0);
    let serving = Serving {
        r,
        tp,
        peak: peak.get::<flop_per_second>(),
        bandwidth,
        scale_up,
    };
    let p = params::count(&model.id, arch)?;
    // The most loaded pipeline stage holds ceil(L/p) of the L layers.
    let stage_share = (stack.layers as f64 / pp as f64).ceil() / stack.layers as f64;
    let weight_per_gpu = p.total_params as f64 * r.weights.bytes() * stage_share / tp as f64;
    let kv_token =
        serving::kv_bytes_per_token(stack.layers, stack.kv_heads, stack.head_dim, r.kv_bytes);
    // Key/value heads fewer than the TP ranks are replicated, one per rank.
    let kv_rank_share = (stack.kv_heads as f64 / tp as f64).max(1.0) / stack.kv_heads as f64;
    let kv_gpu_token = kv_token * kv_rank_share * stage_share;
    let kv_batch_gpu = r.batch as f64 * context as f64 * kv_gpu_token;
    let capacity = gpu.memory.get::<byte>();
    let usable = capacity * (1.0 - r.reserve);
    let total = weight_per_gpu + kv_batch_gpu;
    let free_for_kv = usable - weight_per_gpu;
    let max_batch = if free_for_kv > 0.0 {
        (free_for_kv / (context as f64 * kv_gpu_token)).floor() as u64
    } else {
        0
    };
    // Memory allows this much; the model was trained for at most its context.
    let max_context = if free_for_kv > 0.0 {
        ((free_for_kv / (r.batch as f64 * kv_gpu_token)).floor() as u64).min(arch.context)
    } else {
        0
    };
    let show = |b: f64| format::bytes(Information::new::<byte>(b));
    let overflow = (total > usable).then(|| {
        if weight_per_gpu > usable {
            format!(
                "the weights alone need {} per GPU, more than the {} usable (of {}); use more GPUs or smaller weights",
                show(weight_per_gpu),
                show(usable),
                show(capacity)
            )
        } else {
            format!(
                "the KV cache of {} sequences of {context} tokens needs {} per GPU beside {} of weights, {} more \
                 than the {} usable; at most {max_batch} sequences fit",
                r.batch,
                show(kv_batch_gpu),
                show(weight_per_gpu),
                show(total - usable),
                show(usable)
            )
        }
    });
    // Prefill: the prompt's forward FLOPs with a causal mask, pipeline stages one after another.
    let prefill_options = FlopsOptions::new(
        arch,
        Some(r.prompt_tokens),
        None,
        Masking::Causal,
        Recompute::None,
    )?;
    let prefill_per_token = flops::count(arch, &p, &prefill_options)
        .forward_flops_per_token
        .get::<flop>();
    let prefill_flops = r.batch as f64 * r.prompt_tokens as f64 * prefill_per_token;
    // The batch's prompts pass the pipeline as m = min(PP, batch) micro-batches: m + PP − 1 stage
    // times, each stage doing 1/PP of the layers for 1/m of the batch (one stage time when PP is 1).
    let (p_stages, m) = (pp as f64, pp.min(r.batch) as f64);
    let stage_prefill =
        prefill_flops / (m * p_stages) / (tp as f64 * serving.peak * r.compute_efficiency);
    let ttft = (m + p_stages - 1.0) * stage_prefill;
    let mean_context = r.prompt_tokens + r.output_tokens / 2;
    let decode = serving.decode(model, mean_context)?;
    let replica_gpus = (tp * pp) as f64;
    let price = r
        .price
        .or(gpu.price.as_ref().map(|p| p.per_gpu_hour))
        .map(|p| p.get::<dollar_per_hour>());
    let per_million =
        |gpu_seconds_per_token: f64| price.map(|p| gpu_seconds_per_token * p / 3600.0 * 1e6);
    let speculative = match &r.draft {
        Some((draft, acceptance, lookahead)) => {
            let draft_step = serving.decode(draft, mean_context)?;
            // Verifying γ + 1 tokens reads the weights once but does γ + 1 tokens' FLOPs.
            let verify = pp as f64
                * (decode
                    .memory_bound_seconds
                    .max((*lookahead + 1) as f64 * decode.compute_bound_seconds)
                    + decode.communication_seconds);
            let expectation = serving::speculation(
                *acceptance,
                *lookahead,
                draft_step.seconds / decode.seconds,
                verify / decode.seconds,
            );
            Some(SpeculativeResult {
                draft: draft.id.clone(),
                draft_decode_seconds_per_token: draft_step.seconds,
                decode_seconds_per_token: decode.seconds / expectation.speedup,
                expectation,
            })
        }
        None => None,
    };
    Ok(ServeResult {
        model: ModelInfo::new(model, arch),
        gpu: GpuInfo {
            id: gpu.id.clone(),
            name: gpu.name.clone(),
            precision,
            peak_flops_per_second: peak,
        },
        gpus,
        tp,
        pp,
        replicas: gpus / (tp * pp),
        batch: r.batch,
        prompt_tokens: r.prompt_tokens,
        output_tokens: r.output_tokens,
        weights: r.weights,
        weight_bytes_per_gpu: weight_per_gpu,
        kv_cache_bytes_per_token: kv_token,
        kv_cache_bytes_per_sequence: kv_token * context as f64,
        kv_cache_bytes_per_batch: kv_token * context as f64 * r.batch as f64,
        kv_cache_bytes_per_gpu: kv_batch_gpu,
        per_gpu_bytes: total,
        capacity_bytes: capacity,
        usable_bytes: usable,
        fits: total <= usable,
        overflow,
        max_batch,
        max_context,
        prefill_flops,
        time_to_first_token_seconds: ttft,
        decode,
        decode_seconds_per_token: decode.seconds,
        tokens_per_second_per_sequence: 1.0 / decode.seconds,
        tokens_per_second_per_gpu: r.batch as f64 / (decode.seconds * replica_gpus),
        request_seconds: ttft + r.output_tokens.saturating_sub(1) as f64 * decode.seconds,
        price_usd_per_gpu_hour: price,
        cost_per_million_input_tokens_usd: per_million(
            ttft * replica_gpus / (r.batch as f64 * r.prompt_tokens as f64),
        ),
        cost_per_million_output_tokens_usd: per_million(
            decode.seconds * replica_gpus / r.batch as f64,
        ),
        speculative,
    })
}
