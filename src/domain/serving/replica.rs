//! One replica serving a decoder-only model over TP × PP GPUs: memory per GPU, prefill, decode steps,
//! speculative decoding and cost. The formulas and their sources are in [`super`].

use serde::Serialize;

use super::{KvFormat, Speculation, WeightFormat, expected_experts, speculation};
use crate::domain::hardware::{Gpu, Precision};
use crate::domain::memory::{Split, check_split, kv_heads_per_rank};
use crate::domain::model::Model;
use crate::domain::model::architecture::{Architecture, Kind, Stack, WindowKind, mean_keys};
use crate::domain::model::flops::{self, FlopsOptions, Masking, Recompute};
use crate::domain::model::params::{self, ParamBreakdown, Role};
use crate::domain::units::unit::{
    byte, byte_per_second, dollar, dollar_per_hour, flop, flop_per_second, hour, second,
};
use crate::domain::units::{Bandwidth, Compute, ComputeRate, Information, Money, MoneyRate, Time};
use crate::error::{Error, Input, Result};

/// How a replica is laid out and stores its numbers.
///
/// `tp` is the GPUs of a pipeline stage, as TensorRT-LLM's `tp_size` and SGLang's `--tp-size` count
/// them. Of these, the routed experts split into `ep` expert-parallel groups of `tp / ep` GPUs, each
/// expert's matrices split over its group (TensorRT-LLM `moe_expert_parallel_size` ×
/// `moe_tensor_parallel_size` = `tp_size`; SGLang `--ep-size`), and the attention into `attention_dp`
/// data-parallel groups of `tp / attention_dp` GPUs, each holding the whole attention, its own
/// sequences and their KV cache (TensorRT-LLM `enable_attention_dp`, attention TP 1; SGLang
/// `--enable-dp-attention --dp-size`; vLLM data parallelism with `--enable-expert-parallel`, "Data
/// Parallel Deployment" and "Expert Parallel Deployment" in docs.vllm.ai). The non-expert weights
/// (attention, dense MLPs, shared experts, embeddings) split over an attention group only.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Deployment {
    pub tp: u64,
    pub pp: u64,
    pub ep: u64,
    pub attention_dp: u64,
    pub weights: WeightFormat,
    pub kv: KvFormat,
}

impl Deployment {
    /// GPUs one attention group splits its heads over.
    pub fn attention_tp(&self) -> u64 {
        self.tp / self.attention_dp
    }

    /// GPUs one expert's matrices split over.
    pub fn expert_tp(&self) -> u64 {
        self.tp / self.ep
    }
}

/// What one GPU of the replica gives a step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hardware {
    /// The dense peak at the weights' precision.
    pub peak: ComputeRate,
    pub bandwidth: Bandwidth,
    /// Scale-up bandwidth per GPU, one direction ([`Gpu::scale_up_bandwidth`]).
    pub scale_up: Bandwidth,
    /// Fraction of the peak prefill and compute-bound decode reach.
    pub compute_efficiency: f64,
    /// Fraction of the memory bandwidth decode reaches.
    pub bandwidth_efficiency: f64,
}

impl Hardware {
    /// `gpu` computing at `precision` (one of its peaks), over `network` where it has no scale-up
    /// figure.
    pub fn new(
        gpu: &Gpu,
        precision: Precision,
        network: Bandwidth,
        compute_efficiency: f64,
        bandwidth_efficiency: f64,
    ) -> Hardware {
        Hardware {
            peak: gpu
                .peak(precision)
                .expect("precision chosen among the GPU's peaks"),
            bandwidth: gpu.memory_bandwidth,
            scale_up: gpu.scale_up_bandwidth(network),
            compute_efficiency,
            bandwidth_efficiency,
        }
    }

    /// FLOPs per byte at which compute and memory bounds meet (Williams et al. 2009).
    fn ridge_point(&self) -> f64 {
        self.peak.get::<flop_per_second>() / self.bandwidth.get::<byte_per_second>()
    }
}

/// The largest batch and the longest context that fit beside the weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fit {
    /// Sequences of the requested context: the largest concurrency.
    pub max_batch: u64,
    /// Tokens per sequence at the requested batch, at most the model's context.
    pub max_context: u64,
    /// Tokens the pool holds at the requested context's cache per token, in whole blocks.
    pub pool_tokens: u64,
}

/// Prefill of a batch's prompts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Prefill {
    pub flops: Compute,
    /// Time to first token.
    pub time: Time,
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

/// A decoder-only model as serving sees it: its one stack and its parameter table.
#[derive(Clone, Debug)]
pub struct Served<'a> {
    pub id: &'a str,
    pub arch: &'a Architecture,
    pub stack: &'a Stack,
    pub params: ParamBreakdown,
}

impl<'a> Served<'a> {
    /// `model`, which must be decoder-only.
    pub fn new(model: &'a Model) -> Result<Served<'a>> {
        let arch = model.architecture("serving")?;
        if arch.kind() != Kind::DecoderOnly {
            return Err(Error::Invalid {
                input: Input::Model,
                message: format!(
                    "{} is {}; serving is modelled for decoder-only models",
                    model.id,
                    arch.kind().name()
                ),
            });
        }
        let (_, stack) = arch.stacks().next().expect("a decoder has a stack");
        Ok(Served {
            id: &model.id,
            arch,
            stack,
            params: params::count(&model.id, arch)?,
        })
    }

    /// Checks the replica's layout against the model, the GPUs and a node: EP and attention DP divide
    /// TP, EP divides the routed experts, and the split rule of training layouts ([`check_split`]) with
    /// the heads split over an attention group of TP / attention DP GPUs.
    pub fn check(&self, d: &Deployment, gpus: u64, gpus_per_node: u64) -> Result<()> {
        let invalid = |input, message: String| Err(Error::Invalid { input, message });
        if d.ep == 0 || !d.tp.is_multiple_of(d.ep) {
            let message = format!("EP {} must divide TP {}, the GPUs of a stage", d.ep, d.tp);
            return invalid(Input::Ep, message);
        }
        match &self.stack.moe {
            None if d.ep > 1 => {
                return invalid(Input::Ep, format!("{} has no experts to split", self.id));
            }
            Some(m) if !m.experts.is_multiple_of(d.ep) => {
                let message = format!(
                    "EP {} does not divide {}'s {} experts",
                    d.ep, self.id, m.experts
                );
                return invalid(Input::Ep, message);
            }
            _ => {}
        }
        let dp = d.attention_dp;
        if dp == 0 || !d.tp.is_multiple_of(dp) {
            let message = format!(
                "attention DP {dp} must divide TP {}, the GPUs of a stage",
                d.tp
            );
            return invalid(Input::Dp, message);
        }
        // Heads × DP over TP GPUs divide as the heads over the TP / DP GPUs of an attention group.
        let split = Split {
            heads: self.stack.heads * dp,
            kv_heads: self.stack.kv_heads * dp,
            layers: self.stack.layers,
        };
        check_split(&split, d.tp, d.pp, gpus, gpus_per_node).map_err(|e| match (e, dp) {
            (Error::Invalid { input, message }, 2..) => Error::Invalid {
                input,
                message: format!("with attention DP {dp} (heads counted {dp} times), {message}"),
            },
            (e, _) => e,
        })
    }

    /// The share of the layers on the most loaded pipeline stage: ceil(L/p) of the L layers.
    fn stage_share(&self, pp: u64) -> f64 {
        let layers = self.stack.layers as f64;
        (layers / pp as f64).ceil() / layers
    }

    /// Weights on one GPU of the most loaded stage: the routed experts split over the stage's TP
    /// GPUs (EP groups × each expert's TP), the rest over an attention group's.
    pub fn weights_per_gpu(&self, d: &Deployment) -> Information {
        let routed = self.params.total_of(Role::RoutedExperts) as f64;
        let rest = self.params.total_params as f64 - routed;
        let per_gpu = routed / d.tp as f64 + rest / d.attention_tp() as f64;
        d.weights.bytes() * per_gpu * self.stage_share(d.pp)
    }

    /// KV cache of one sequence of `context` tokens, all layers and heads ([`Stack::kv_elements`]:
    /// windowed layers capped at the window, MLA's latent and rotary key).
    pub fn kv_per_sequence(&self, kv: KvFormat, context: u64) -> Information {
        kv.bytes() * self.stack.kv_elements(context)
    }

    /// Activation workspace on one GPU of a forward pass of `tokens` tokens: the 16-bit hidden state in
    /// and out of a layer (2·d) beside the larger of the rank's query, key and value projections and
    /// its MLP's gate, up and activated outputs (3 × its share of the MLP width, the routed and shared
    /// experts' for a MoE token). The logits of the few sampled tokens are small and not counted.
    pub fn workspace_per_gpu(&self, d: &Deployment, tokens: u64) -> Information {
        let s = self.stack;
        let mlp = match &s.moe {
            Some(m) => (m.top_k + m.shared_experts) * m.expert_ffn,
            None => s.ffn,
        } as f64;
        let qkv = ((s.heads + 2 * s.kv_heads) * s.head_dim) as f64;
        let width = 2.0 * self.arch.d_model as f64
            + (qkv / d.attention_tp() as f64).max(3.0 * mlp / d.tp as f64);
        Precision::Bf16.bytes() * (tokens as f64 * width)
    }

    /// The share of a layer's cache one tensor-parallel rank holds: its [`kv_heads_per_rank`] heads,
    /// or all of MLA's latent, which every head reads and each rank keeps whole (as vLLM and SGLang
    /// do for DeepSeek-V2/V3).
    fn kv_rank_share(&self, tp: u64) -> f64 {
        if self.stack.mla.is_some() {
            1.0
        } else {
            kv_heads_per_rank(self.stack.kv_heads, tp) / self.stack.kv_heads as f64
        }
    }

    /// KV cache of one of the replica's sequences of `context` tokens on one GPU, on average: the
    /// stage's layers, the rank's share within its attention group, and one attention-DP group in
    /// `attention_dp` holding the sequence.
    pub fn kv_per_gpu_sequence(&self, d: &Deployment, context: u64) -> Information {
        self.kv_per_sequence(d.kv, context) * self.kv_gpu_share(d)
    }

    /// The share of a sequence's cache one GPU holds and reads: the stage's layers, the rank's share
    /// within its attention group, and one attention-DP group in `attention_dp` holding the sequence.
    fn kv_gpu_share(&self, d: &Deployment) -> f64 {
        self.kv_rank_share(d.attention_tp()) * self.stage_share(d.pp) / d.attention_dp as f64
    }

    /// KV cache a decoding token of a sequence at `context` reads, all layers and heads: as held,
    /// but a chunked layer reads only the current chunk ([`Stack::kv_read_elements`]).
    pub fn kv_read_per_sequence(&self, kv: KvFormat, context: u64) -> Information {
        kv.bytes() * self.stack.kv_read_elements(context)
    }

    /// The same on one GPU, on average ([`Served::kv_gpu_share`]).
    pub fn kv_read_per_gpu_sequence(&self, d: &Deployment, context: u64) -> Information {
        self.kv_read_per_sequence(d.kv, context) * self.kv_gpu_share(d)
    }

    /// Prefill: the prompts' forward FLOPs with a causal mask. The batch's prompts pass the pipeline as
    /// m = min(PP, batch) micro-batches: m + PP − 1 stage times, each stage doing 1/PP of the layers
    /// for 1/m of the batch (one stage time when PP is 1).
    pub fn prefill(
        &self,
        d: &Deployment,
        hw: &Hardware,
        batch: u64,
        prompt: u64,
    ) -> Result<Prefill> {
        let options = FlopsOptions::new(
            self.arch,
            Some(prompt),
            None,
            Masking::Causal,
            Recompute::None,
        )?;
        let per_token = flops::count(self.arch, &self.params, &options)
            .forward_flops_per_token
            .get::<flop>();
        let flops = batch as f64 * prompt as f64 * per_token;
        let (p, m) = (d.pp as f64, d.pp.min(batch) as f64);
        let peak = hw.peak.get::<flop_per_second>();
        let stage = flops / (m * p) / (d.tp as f64 * peak * hw.compute_efficiency);
        Ok(Prefill {
            flops: Compute::new::<flop>(flops),
            time: Time::new::<second>((m + p - 1.0) * stage),
        })
    }

    /// Parameters a decode step of `micro_batch` sequences reads, those outside and those inside the
    /// routed experts, and the experts it touches for a MoE. The input embeddings are looked up, not
    /// read whole (an output head tied to the token embedding is read); of the routed experts, the
    /// expected touched ones are.
    fn params_read(&self, micro_batch: u64) -> (f64, f64, Option<f64>) {
        let total = |role| self.params.total_of(role) as f64;
        let routed = total(Role::RoutedExperts);
        let moe = self.stack.moe.as_ref();
        let touched = moe.map(|m| expected_experts(m.experts, m.top_k, micro_batch));
        let experts_read = match (moe, touched) {
            (Some(m), Some(t)) => routed * t / m.experts as f64,
            _ => 0.0,
        };
        let looked_up = total(Role::TokenEmbedding)
            + total(Role::PositionalEmbedding)
            + total(Role::TokenTypeEmbedding);
        let looked_up = if self.arch.tied_embeddings {
            looked_up - total(Role::TokenEmbedding)
        } else {
            looked_up
        };
        let read = self.params.total_params as f64 - looked_up - routed;
        (read, experts_read, touched)
    }

    /// Collectives of one pipeline stage per step: all-reduces of an attention group's hidden states
    /// (two per layer, after the attention and the MLP), and MoE exchanges (a dispatch and a combine)
    /// that replace the MoE layers' second all-reduce under attention data parallelism, the tokens of
    /// every attention group meeting at the experts.
    pub fn collectives(&self, d: &Deployment) -> (f64, f64) {
        let pp = d.pp as f64;
        let layers = self.stack.layers as f64;
        let exchanges = if d.attention_dp > 1 {
            self.stack.moe_layers() as f64
        } else {
            0.0
        };
        ((2.0 * layers - exchanges) / pp, exchanges / pp)
    }

    /// Bytes each GPU scatters in one MoE dispatch of a stage's `tokens` (the combine gathers as
    /// many) under attention data parallelism: each GPU sends its 1/TP of the tokens, 16-bit hidden
    /// states of d elements, to every expert-parallel group holding one of the token's top-k experts,
    /// to each of the group's TP / EP GPUs. A token reaches ep·(1 − C(E − E/ep, k)/C(E, k)) groups in
    /// expectation, its experts drawn uniformly without replacement; with EP 1 the dispatch is an
    /// all-gather and the combine a reduce-scatter.
    pub fn exchange_bytes(&self, d: &Deployment, tokens: f64) -> f64 {
        let Some(m) = &self.stack.moe else {
            return 0.0;
        };
        let (e, ep) = (m.experts as f64, d.ep as f64);
        let missed = (0..m.top_k)
            .map(|i| ((e - e / ep - i as f64) / (e - i as f64)).max(0.0))
            .product::<f64>();
        let groups = ep * (1.0 - missed);
        let element = Precision::Bf16.bytes().get::<byte>();
        tokens / d.tp as f64 * groups * d.expert_tp() as f64 * self.arch.d_model as f64 * element
    }

    /// Forward FLOPs per token of a decode step at a context of `context` tokens, MLA in its absorbed
    /// form ([`flops::absorbed_decode_extra`]).
    fn forward_flops_per_token(&self, context: u64) -> f64 {
        let options = FlopsOptions {
            seq_len: context.max(1),
            target_len: None,
            masking: Masking::Full,
            recompute: Recompute::None,
        };
        flops::count(self.arch, &self.params, &options)
            .forward_flops_per_token
            .get::<flop>()
            + flops::absorbed_decode_extra(self.arch, context)
            + self.chunked_decode_correction(context)
    }

    /// The unmasked count above gives a chunked layer's query the mean chunk of the sequence
    /// ([`mean_keys`]); a decoding token reads only its own chunk, [`Window::read_tokens`]: the
    /// difference in scores and weighted values, 2·Δkeys·(q + v) per chunked layer.
    fn chunked_decode_correction(&self, context: u64) -> f64 {
        let s = self.stack;
        let Some(w) = s.window.filter(|w| w.kind == WindowKind::Chunked) else {
            return 0.0;
        };
        let counted = mean_keys(context.max(1) as f64, Some(w), false);
        let read = w.read_tokens(context.max(1)) as f64;
        let width = (s.q_dim() + s.v_dim()) as f64;
        s.windowed_layers() as f64 * 2.0 * (read - counted) * width
    }

    /// One decode step at a mean context `context`. With pipeline parallelism the batch is split into
    /// PP micro-batches that keep every stage busy: a stage reads its share of the weights and of its
    /// micro-batch's KV cache, and a token passes all PP stages one after another. The routed experts
    /// split over the TP GPUs, the other weights over an attention group's; each GPU reads its
    /// [`kv_heads_per_rank`] heads' share of its attention group's cache; the collectives are those
    /// of [`Served::collectives`] over the scale-up link.
    pub fn decode(&self, d: &Deployment, hw: &Hardware, batch: u64, context: u64) -> DecodeStep {
        let (pp, t, at) = (d.pp as f64, d.tp as f64, d.attention_tp() as f64);
        let micro_batch = batch.div_ceil(d.pp);
        let (rest, experts, touched) = self.params_read(micro_batch);
        let bytes = d.weights.bytes().get::<byte>();
        let weight_bytes = (rest + experts) * bytes / pp;
        let weight_gpu = (rest / at + experts / t) * bytes / pp;
        let kv_sequence = self.kv_read_per_sequence(d.kv, context).get::<byte>();
        let kv_bytes = micro_batch as f64 * kv_sequence / pp;
        let kv_gpu = kv_bytes * self.kv_rank_share(d.attention_tp()) / d.attention_dp as f64;
        let flops = micro_batch as f64 * self.forward_flops_per_token(context) / pp;
        let bandwidth = hw.bandwidth.get::<byte_per_second>();
        let peak = hw.peak.get::<flop_per_second>();
        let memory = (weight_gpu + kv_gpu) / (bandwidth * hw.bandwidth_efficiency);
        let compute = flops / (t * peak * hw.compute_efficiency);
        let communication = self.decode_communication(d, hw, micro_batch as f64);
        let stage = memory.max(compute) + communication;
        DecodeStep {
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
            ridge_point: hw.ridge_point(),
            experts_touched: touched,
        }
    }
}

impl Served<'_> {
    /// The collectives of a decode step of `micro_batch` sequences over the scale-up link at its
    /// bandwidth: ring all-reduces of an attention group's 16-bit hidden states, 2(t − 1)/t of the
    /// bytes each (Shoeybi et al. 2019, §3), and MoE exchanges sending (TP − 1)/TP of their buffer.
    fn decode_communication(&self, d: &Deployment, hw: &Hardware, micro_batch: f64) -> f64 {
        let (t, at) = (d.tp as f64, d.attention_tp() as f64);
        let element = Precision::Bf16.bytes().get::<byte>();
        let bytes = micro_batch / d.attention_dp as f64 * self.arch.d_model as f64 * element;
        let scale_up = hw.scale_up.get::<byte_per_second>();
        let (reduces, exchanges) = self.collectives(d);
        let reduce = 2.0 * (at - 1.0) / at * bytes / scale_up;
        let exchange = 2.0 * (t - 1.0) / t * self.exchange_bytes(d, micro_batch) / scale_up;
        reduces * reduce + exchanges * exchange
    }
}

impl DecodeStep {
    /// Speculative decoding of this target step with a draft step: verifying γ + 1 tokens reads the
    /// weights once but does γ + 1 tokens' FLOPs, on each of the `pp` stages.
    pub fn speculate(
        &self,
        draft: &DecodeStep,
        pp: u64,
        acceptance: f64,
        lookahead: u64,
    ) -> Speculation {
        let verify = pp as f64
            * (self
                .memory_bound_seconds
                .max((lookahead + 1) as f64 * self.compute_bound_seconds)
                + self.communication_seconds);
        speculation(
            acceptance,
            lookahead,
            draft.seconds / self.seconds,
            verify / self.seconds,
        )
    }
}

/// The largest batch of `context`-token sequences, and the longest context of `batch` sequences, whose
/// KV cache in every one of `models` (a target and its draft) fits in `free` per GPU, each sequence
/// holding whole blocks of `block` tokens; and the tokens the pool holds. The context is at most the
/// first model's.
pub fn fit(
    models: &[&Served],
    d: &Deployment,
    free: Information,
    block: u64,
    (batch, context): (u64, u64),
) -> Fit {
    let free = free.get::<byte>();
    let held = |c: u64| c.div_ceil(block) * block;
    let cache = |c: u64| -> f64 {
        models
            .iter()
            .map(|m| m.kv_per_gpu_sequence(d, held(c)).get::<byte>())
            .sum()
    };
    if free <= 0.0 {
        return Fit {
            max_batch: 0,
            max_context: 0,
            pool_tokens: 0,
        };
    }
    // The cache grows with the context: the longest that fits.
    let fits = |c: u64| batch as f64 * cache(c) <= free;
    let longest = largest(0, models[0].arch.context, fits);
    let per_token = cache(context) / held(context) as f64;
    Fit {
        max_batch: (free / cache(context)).floor() as u64,
        max_context: longest,
        pool_tokens: (free / per_token / block as f64).floor() as u64 * block,
    }
}

/// The largest n from `low` to `high` for which `holds`, true at `low` and from some n on false, is
/// true: bisection.
pub fn largest(low: u64, high: u64, holds: impl Fn(u64) -> bool) -> u64 {
    if holds(high) {
        return high;
    }
    let (mut low, mut high) = (low, high);
    while high - low > 1 {
        let mid = low + (high - low) / 2;
        if holds(mid) { low = mid } else { high = mid }
    }
    low
}

/// The cost of a million tokens that take `gpu_time_per_token` of GPU time each, at `price` per
/// GPU-hour.
pub fn cost_per_million(gpu_time_per_token: Time, price: MoneyRate) -> Money {
    let seconds_per_hour = Time::new::<hour>(1.0).get::<second>();
    let per_gpu_hour = price.get::<dollar_per_hour>();
    Money::new::<dollar>(gpu_time_per_token.get::<second>() * per_gpu_hour / seconds_per_hour * 1e6)
}
