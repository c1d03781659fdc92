//! `llmcalc serve`.

use std::path::PathBuf;

use crate::catalog::Catalog;
use clap::Args;

use super::values::{choice, count, fraction, price_basis, reserve, single, whole};
use super::{Answer, ModelArgs, load_model};
use crate::app::{self, serve::ServeRequest};
use crate::domain::hardware::{Gpu, PriceKind, default_network};
use crate::domain::memory::Reserve;
use crate::domain::model::Model;
use crate::domain::serving::{Engine, KvFormat, WeightFormat, Workload};
use crate::domain::units::unit::second;
use crate::domain::units::{MoneyRate, Time};
use crate::error::Result;
use crate::render::{self, Output};

/// What serving takes: weights and KV cache per GPU, the largest batch or context that fit (with
/// --engine, the KV pool as vLLM, SGLang or TensorRT-LLM size it), end-to-end output tokens/s per GPU,
/// time per output token and time to first token under continuous batching (with --ttft/--tpot, at
/// the most sequences that meet them), the static batch's decode time and bound, throughput and cost
/// per million tokens; with --draft, speculative decoding.
#[derive(Args)]
#[command(
    allow_negative_numbers = true,
    after_help = "Examples:\n  llmcalc serve llama-2-70b --gpu h100 --gpus 8 --batch 32 --prompt-tokens 2000 --output-tokens 500\n  llmcalc serve llama-3.1-8b --gpu h100 --gpus 1 --batch 1 --prompt-tokens 1000 --output-tokens 500 --engine vllm --ttft 200ms --tpot 20ms\n  llmcalc serve llama-3.1-70b --gpu h200 --gpus 8 --prompt-tokens 1000 --output-tokens 1000 --weights fp8 --kv int4 --tokens-per-user 25/s\n  llmcalc serve llama-3.1-8b --gpu h100 --gpus 1 --prompt-tokens 1000 --output-tokens 500 --explain\n  llmcalc serve llama-3.1-8b --gpu h100 --gpus 1 --prompt-tokens 1000 --output-tokens 200 --rate 5/s\n  llmcalc serve llama-3.1-8b --gpu h100 --gpus 1 --workload chat.csv --rate 5/s\n  llmcalc serve llama-3.1-70b --gpu h100 --gpus 8 --prompt-tokens 4000 --output-tokens 500 --weights fp8 --kv fp8 --disaggregate 4:4\n  llmcalc serve mixtral-8x7b --gpu h100 --gpus 2 --batch 64 --prompt-tokens 1000 --output-tokens 200 --weights fp8 --kv fp8 --price '$2/h'\n  llmcalc serve llama-3.1-8b --gpu h100 --gpus 1 --prompt-tokens 1000 --output-tokens 500 --price-basis neocloud-on-demand\n  llmcalc serve llama-2-70b --gpu h100 --gpus 8 --batch 1 --prompt-tokens 2000 --output-tokens 500 --draft llama-2-7b --acceptance 0.8 --lookahead 4\n  llmcalc serve qwen3-235b-a22b --gpu h200 --gpus 8 --tp 8 --ep 8 --attention-dp 8 --prompt-tokens 1000 --output-tokens 1000 --weights fp8 --kv fp8 --engine trtllm\n  llmcalc serve gpt-4 --gpu a100-80gb --gpus 128 --tp 8 --pp 16 --batch 64 --prompt-tokens 2000 --output-tokens 500"
)]
pub struct ServeArgs {
    #[command(flatten)]
    model: ModelArgs,

    /// GPU preset or TOML file; several, comma-separated, compare them (each with its best TP)
    #[arg(long, value_name = "GPU[,GPU…]")]
    gpu: String,

    /// Number of GPUs; more than TP × PP makes replicas
    #[arg(long, value_name = "N", value_parser = whole)]
    gpus: u64,

    /// Tensor-parallel ranks, the GPUs of a pipeline stage [default: GPUs / PP; with --ttft/--tpot or
    /// several GPUs, the layout serving most per GPU]
    #[arg(long, value_name = "N", value_parser = whole)]
    tp: Option<u64>,

    /// Pipeline stages
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = whole)]
    pp: u64,

    /// Expert parallelism: the routed experts split over N groups of the TP GPUs, each expert over
    /// TP / N [default: 1; searched for a MoE with --ttft/--tpot or several GPUs]
    #[arg(long, value_name = "N", value_parser = whole)]
    ep: Option<u64>,

    /// Attention data parallelism: the TP GPUs form N attention groups of TP / N, each with its own
    /// sequences and KV cache, the MoE tokens exchanged all-to-all [default: 1; searched for a MoE
    /// with --ttft/--tpot or several GPUs]
    #[arg(long, value_name = "N", value_parser = whole)]
    attention_dp: Option<u64>,

    /// Sequences decoded together per replica in the static batch
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = whole)]
    batch: u64,

    /// Prompt tokens per sequence
    #[arg(long, value_name = "N", value_parser = whole, required_unless_present = "workload")]
    prompt_tokens: Option<u64>,

    /// Output tokens per sequence
    #[arg(long, value_name = "N", value_parser = whole, required_unless_present = "workload")]
    output_tokens: Option<u64>,

    /// Request lengths as a distribution instead of --prompt-tokens/--output-tokens: a CSV file of
    /// `prompt_tokens,output_tokens[,weight]` rows; continuous batching and --rate use its moments,
    /// the static batch its means, rounded
    #[arg(long, value_name = "FILE", conflicts_with_all = ["prompt_tokens", "output_tokens"])]
    workload: Option<PathBuf>,

    /// Weight storage
    #[arg(long, value_enum, default_value_t = WeightFormat::Bf16, value_parser = choice::<WeightFormat>())]
    weights: WeightFormat,

    /// KV-cache element type
    #[arg(long, value_enum, default_value_t = KvFormat::Bf16, value_parser = choice::<KvFormat>())]
    kv: KvFormat,

    /// Price per GPU-hour [default: the GPU preset's]
    #[arg(long, value_name = "PRICE", value_parser = single::<MoneyRate>(Some(1.0 / 3600.0)))]
    price: Option<MoneyRate>,

    /// Which kind of GPU preset price to use: hyperscaler-on-demand, neocloud-on-demand, reserved or
    /// claim; a GPU whose preset lists none of that kind is left unpriced
    #[arg(long, value_name = "KIND", value_parser = price_basis, conflicts_with = "price")]
    price_basis: Option<PriceKind>,

    /// Fraction of the peak prefill and compute-bound decode reach
    #[arg(long, value_name = "FRACTION", default_value = "0.6", value_parser = fraction)]
    compute_efficiency: f64,

    /// Fraction of the datasheet memory bandwidth serving reads reach (weights, KV cache,
    /// element-wise traffic); the serving calibration fits 0.75–0.8 equally well, 0.85 and 0.9 worse
    #[arg(long, value_name = "FRACTION", default_value = "0.8", value_parser = fraction)]
    bandwidth_efficiency: f64,

    /// Memory kept free of weights and KV cache: a share of the GPU (`10%`) or an amount (`4GiB`);
    /// with --engine, the engine's rule instead
    #[arg(long, value_name = "AMOUNT", default_value = "10%", value_parser = reserve)]
    reserve: Reserve,

    /// Size the KV pool as this engine does, with its default memory fraction
    #[arg(long, value_enum, value_parser = choice::<Engine>(), conflicts_with = "reserve")]
    engine: Option<Engine>,

    /// The engine's memory fraction (vLLM gpu_memory_utilization, SGLang mem_fraction_static,
    /// TensorRT-LLM kv_cache_free_gpu_mem_fraction) [default: the engine's]
    #[arg(long, value_name = "FRACTION", value_parser = fraction, requires = "engine")]
    memory_fraction: Option<f64>,

    /// Sequences served together under continuous batching [default: the most that fit]
    #[arg(long, value_name = "N", value_parser = whole)]
    concurrency: Option<u64>,

    /// Time-to-first-token target: serve the most sequences that meet it
    #[arg(long, value_name = "TIME", value_parser = single::<Time>(Some(1.0)))]
    ttft: Option<Time>,

    /// Time-per-output-token target: serve the most sequences that meet it
    #[arg(long, value_name = "TIME", value_parser = single::<Time>(Some(1.0)))]
    tpot: Option<Time>,

    /// Tokens per second each user sees, `50/s`: a time-per-output-token target of 1/R
    #[arg(long, value_name = "RATE", value_parser = per_second, conflicts_with = "tpot")]
    tokens_per_user: Option<f64>,

    /// Requests arriving per second over all the GPUs, at random (Poisson), `20/s`: the sequences in
    /// service by Little's law and the time to first token with the wait for a KV slot (M/M/c); no
    /// answer (exit 3) at or above the capacity
    #[arg(long, value_name = "RATE", value_parser = per_second)]
    rate: Option<f64>,

    /// Disaggregated prefill and decode, `P:D`: a replica's prompts filled on a pool of P GPUs and
    /// decoded on a pool of D, the KV cache sent over the scale-out network, beside the co-located
    /// figures (DistServe, Zhong et al. 2024; Splitwise, Patel et al. 2024)
    #[arg(long, value_name = "P:D", value_parser = pools)]
    disaggregate: Option<(u64, u64)>,

    /// Print every formula used, each with its numbers and source
    #[arg(long)]
    explain: bool,

    /// A draft model for speculative decoding (with --acceptance and --lookahead)
    #[arg(long, value_name = "MODEL", requires_all = ["acceptance", "lookahead"])]
    draft: Option<String>,

    /// α: the chance the target accepts a drafted token
    #[arg(long, value_name = "FRACTION", value_parser = fraction, requires = "draft")]
    acceptance: Option<f64>,

    /// γ: tokens drafted per target step
    #[arg(long, value_name = "N", value_parser = whole, requires = "draft")]
    lookahead: Option<u64>,
}

impl ServeArgs {
    pub fn run(self, catalog: &Catalog, format: Output) -> Result<Answer> {
        let draft = self.draft(catalog)?;
        let gpus = self
            .gpu
            .split(',')
            .map(|g| catalog.gpu(g.trim()))
            .collect::<Result<Vec<_>>>()?;
        let request = self.request(catalog, gpus[0].clone(), draft)?;
        if gpus.len() > 1 {
            let comparison = app::serve::compare(&request, &gpus)?;
            return render::render(&comparison, |c| c.report(), format).map(Answer::from);
        }
        let result = app::serve::serve(&request)?;
        let overload = result.arrivals.as_ref().and_then(|a| a.overload.clone());
        Ok(Answer::new(
            render::render(&result, |r| r.report(self.explain), format)?,
            overload,
        ))
    }

    /// The draft model with its acceptance rate and lookahead, loaded before the target so that its
    /// warnings come first; none without `--draft`.
    fn draft(&self, catalog: &Catalog) -> Result<Option<(Model, f64, u64)>> {
        // clap gives --draft, --acceptance and --lookahead all or none.
        Ok(match (&self.draft, self.acceptance, self.lookahead) {
            (Some(name), Some(acceptance), Some(lookahead)) => {
                Some((load_model(catalog, name, &[])?, acceptance, lookahead))
            }
            _ => None,
        })
    }

    /// The request on `gpu` from the flags: the workload file read and its means standing for the
    /// lengths, the target model loaded, and a tokens-per-user rate turned into a TPOT target.
    fn request(
        &self,
        catalog: &Catalog,
        gpu: Gpu,
        draft: Option<(Model, f64, u64)>,
    ) -> Result<ServeRequest> {
        let workload = self
            .workload
            .as_deref()
            .map(crate::catalog::workload::read)
            .transpose()?;
        // clap gives the lengths or a workload; a workload's means, rounded, stand for the lengths.
        let mean = |f: fn(&Workload) -> f64, given: Option<u64>| {
            workload
                .as_ref()
                .map_or(given.unwrap_or(0), |w| f(w).round() as u64)
        };
        Ok(ServeRequest {
            model: self.model.load(catalog)?,
            gpu,
            gpus: self.gpus,
            tp: self.tp,
            pp: self.pp,
            ep: self.ep,
            attention_dp: self.attention_dp,
            batch: self.batch,
            prompt_tokens: mean(Workload::mean_prompt, self.prompt_tokens),
            output_tokens: mean(Workload::mean_output, self.output_tokens),
            workload,
            weights: self.weights,
            kv: self.kv,
            network: default_network(),
            price: self.price,
            price_basis: self.price_basis,
            compute_efficiency: self.compute_efficiency,
            bandwidth_efficiency: self.bandwidth_efficiency,
            reserve: self.reserve,
            engine: self.engine,
            memory_fraction: self.memory_fraction,
            concurrency: self.concurrency,
            ttft: self.ttft,
            tpot: self
                .tokens_per_user
                .map(|rate| Time::new::<second>(1.0 / rate))
                .or(self.tpot),
            rate: self.rate,
            disaggregate: self.disaggregate,
            draft,
        })
    }
}

/// A rate above zero per second: `50/s` or `50`.
fn per_second(text: &str) -> std::result::Result<f64, String> {
    count(text.trim().trim_end_matches("/s").trim_end())
}

/// Two GPU counts of at least 1, `P:D`: a prefill pool and a decode pool.
fn pools(text: &str) -> std::result::Result<(u64, u64), String> {
    let err = || format!("`{text}` is not P:D, two GPU counts of at least 1 such as `2:6`");
    let (p, d) = text.split_once(':').ok_or_else(err)?;
    let count = |n: &str| whole(n.trim()).map_err(|_| err());
    Ok((count(p)?, count(d)?))
}
