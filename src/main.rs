//! The `llmcalc` command: parses arguments, calls the library, prints the result. Every error a user
//! can cause exits with code 2 and writes nothing to standard output.

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use llmcalc::app::chinchilla::ChinchillaRequest;
use llmcalc::app::compare::{CompareRequest, Fixed};
use llmcalc::app::memory::SetupRequest;
use llmcalc::app::mfu::{MfuRequest, Throughput};
use llmcalc::app::serve::{ServeRequest, WeightFormat};
use llmcalc::app::{self, flops::FlopsRequest, train::TrainRequest};
use llmcalc::catalog::Catalog;
use llmcalc::catalog::presets::{self, Override};
use llmcalc::domain::hardware::Precision;
use llmcalc::domain::memory::{Layout, Optimizer, Reserve};
use llmcalc::domain::model::flops::{Masking, Recompute};
use llmcalc::domain::serving::Detail;
use llmcalc::domain::units::parse::{Dimension, Quantity, read, read_bounds, read_range};
use llmcalc::domain::units::{Bandwidth, Bounds, Compute, Money, MoneyRate, Time};
use llmcalc::error::Input;
use llmcalc::render::{self, Format};

/// The arithmetic of training and serving large language models, from presets.
#[derive(Parser)]
#[command(name = "llmcalc", version, about, max_term_width = 110)]
struct Cli {
    /// Output format: aligned tables for people, Markdown for documents, or JSON/CSV with numbers in
    /// base units (count, FLOP, s, bytes, USD) for scripts.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table, global = true)]
    format: OutputFormat,

    /// Folder of your own presets (`models/*.toml`, `gpus/*.toml`), listed and used beside the built-in
    /// ones; a preset with a built-in's name replaces it [default: $LLMCALC_PRESETS, else
    /// $XDG_CONFIG_HOME/llmcalc, else ~/.config/llmcalc]
    #[arg(long, value_name = "DIR", global = true)]
    presets: Option<std::path::PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    Table,
    Json,
    Csv,
    Markdown,
}

#[derive(Subcommand)]
enum Command {
    /// List the model presets: name, kind, total and active parameters, source.
    #[command(after_help = "Example:\n  llmcalc models\n  llmcalc models --format csv")]
    Models,

    /// Count a model's parameters, part by part, and set them against its published counts.
    #[command(
        after_help = "Examples:\n  llmcalc params llama-2-70b\n  llmcalc params mixtral-8x7b --format json\n  llmcalc params llama-2-7b --set decoder.layers=40\n  llmcalc params ./my-model.toml"
    )]
    Params(ModelArgs),

    /// List the GPU presets: dense peaks, memory, bandwidth, scale-up link, power, price.
    #[command(after_help = "Examples:\n  llmcalc gpus\n  llmcalc gpus --format json")]
    Gpus,

    /// Solve a training run: compute, GPUs, MFU, wall-clock, GPU-hours, cost and energy. Give three of
    /// compute (MODEL with --tokens, or --flops), --gpus, --mfu and --days — or --budget or
    /// --gpu-hours with two of them — and the rest is solved. Any figure may be a range (`0.32..0.36`).
    #[command(
        after_help = "Examples:\n  llmcalc train gpt-4\n  llmcalc train gpt-4 --tokens 13T --gpu a100-40gb --gpus 25000 --mfu 0.32..0.36 --price '$1/h'\n  llmcalc train --flops 2.15e25 --gpu h100 --gpus 8192 --days 55 --price '$2/h'\n  llmcalc train llama-2-70b --gpu a100-80gb --gpu-hours 1720320\n  llmcalc train llama-3.1-8b --tokens 15T --gpu h100 --days 30 --mfu 0.4 --explain"
    )]
    Train(TrainArgs),

    /// MFU and HFU from an observed throughput: tokens/s (all GPUs or per GPU) or a step time with its
    /// batch, with PaLM's definition (attention included) and the attention-free variant beside it.
    #[command(
        after_help = "Examples:\n  llmcalc mfu palm-540b --gpu tpu-v4 --gpus 6144 --tokens-per-second 238.3k --seq-len 2048\n  llmcalc mfu llama-2-7b --gpu a100-80gb --gpus 64 --step-time 4.2s --batch-tokens 4M"
    )]
    Mfu(MfuArgs),

    /// Price one training run on several GPU types, cheapest first: GPUs needed (or days), GPU-hours,
    /// cost, energy, cost per trillion tokens, and whether the training state fits.
    #[command(
        after_help = "Examples:\n  llmcalc compare llama-3.1-70b --tokens 15T --gpu h100,h200,b200,mi300x,a100-80gb --days 90\n  llmcalc compare llama-2-70b --gpu h100,a100-80gb --gpus 2048 --mfu 0.4 --price h100=$2.49/h --price a100-80gb=$1.49/h"
    )]
    Compare(CompareArgs),

    /// Memory per GPU of one training layout — weights, gradients, optimizer states (ZeRO), activations
    /// (sequence parallelism, recompute, micro-batches in flight), reserve — and whether it fits.
    #[command(
        after_help = "Examples:\n  llmcalc memory llama-2-70b --gpu a100-80gb --gpus 64 --tp 8 --pp 2 --zero 1 --sp --recompute selective\n  llmcalc memory gpt-4 --gpu a100-40gb --gpus 24960 --tp 8 --pp 15 --zero 1 --seq-len 8192 --global-batch-tokens 60M"
    )]
    Memory(MemoryArgs),

    /// Search every valid layout (TP, PP, DP, EP, SP, ZeRO, recompute, micro-batch, interleaving), keep
    /// those that fit, and rank them by estimated step time, with MFU, training days and cost.
    #[command(
        after_help = "Examples:\n  llmcalc plan llama-2-70b --gpu h100 --gpus 2048 --tokens 2T\n  llmcalc plan gpt-4 --gpu a100-40gb --gpus 25000 --global-batch-tokens 60M --top 5"
    )]
    Plan(PlanArgs),

    /// What serving takes: weights and KV cache per GPU, the largest batch or context that fits, time to
    /// first token, decode time per token and its bound, throughput and cost per million tokens; with
    /// --draft, speculative decoding.
    #[command(
        after_help = "Examples:\n  llmcalc serve llama-2-70b --gpu h100 --gpus 8 --batch 32 --prompt-tokens 2000 --output-tokens 500\n  llmcalc serve mixtral-8x7b --gpu h100 --gpus 2 --batch 64 --weights fp8 --kv fp8 --price $2/h\n  llmcalc serve llama-2-70b --gpu h100 --gpus 8 --batch 1 --draft llama-2-7b --acceptance 0.8 --lookahead 4\n  llmcalc serve gpt-4 --gpu a100-80gb --gpus 128 --tp 8 --pp 16 --batch 64"
    )]
    Serve(ServeArgs),

    /// Tokens of an image under GPT-4o-style tiling (85 base tokens, 170 per 512-pixel tile), and its
    /// cost at a price per million tokens.
    #[command(
        name = "image-tokens",
        after_help = "Examples:\n  llmcalc image-tokens 1024x1024\n  llmcalc image-tokens 2048x4096 --price-per-million $2.50\n  llmcalc image-tokens 4000x3000 --detail low"
    )]
    ImageTokens {
        /// Image size in pixels: WIDTHxHEIGHT
        #[arg(value_name = "WIDTHxHEIGHT", value_parser = image_size)]
        size: (u64, u64),

        /// Detail level: high tiles the image, low is 85 tokens flat
        #[arg(long, value_enum, default_value_t = DetailArg::High)]
        detail: DetailArg,

        /// Price per million input tokens: `$2.50`
        #[arg(long, value_name = "USD", value_parser = single::<Money>(None))]
        price_per_million: Option<Money>,
    },

    /// Compute-optimal parameters and tokens under each published scaling-law fit (Chinchilla approach
    /// 3, the Epoch AI replication, 20 tokens per parameter), with predicted losses; for a model, its
    /// tokens per parameter and how far it is over-trained.
    #[command(
        after_help = "Examples:\n  llmcalc chinchilla --budget 2.15e25\n  llmcalc chinchilla --params 70B\n  llmcalc chinchilla --tokens 1.4T\n  llmcalc chinchilla llama-3.1-8b"
    )]
    Chinchilla {
        /// A model preset or file, sized by its active parameters and claimed (or --tokens) tokens
        #[arg(value_name = "MODEL")]
        model: Option<String>,

        /// Compute budget: `2.15e25`, `5.76e23 FLOP`
        #[arg(long, value_name = "FLOP", value_parser = single::<Compute>(None))]
        budget: Option<Compute>,

        /// Parameters, whose compute-optimal budget and tokens are found
        #[arg(long, value_name = "N", value_parser = count)]
        params: Option<f64>,

        /// Tokens: alone, whose compute-optimal budget and size are found; with MODEL, its tokens
        #[arg(long, value_name = "N", value_parser = count)]
        tokens: Option<f64>,

        /// Also draw the loss over model size as an SVG chart into FILE
        #[arg(long, value_name = "FILE.svg")]
        chart: Option<std::path::PathBuf>,
    },

    /// Set every published figure of a preset against what llmcalc computes from the rest of it:
    /// consistent, inconsistent, or off by a power of 1000 (a likely unit slip).
    #[command(
        after_help = "Examples:\n  llmcalc audit gpt-4\n  llmcalc audit gpt-3 --tolerance 5%"
    )]
    Audit {
        #[command(flatten)]
        model: ModelArgs,

        /// Relative difference a single published value may have and still be consistent
        #[arg(long, value_name = "FRACTION", default_value = "10%", value_parser = fraction)]
        tolerance: f64,
    },

    /// Convert a Hugging Face config.json (or a folder holding one) into a preset, printed as TOML to keep
    /// and edit. Fields not read and anything the preset cannot express are listed in its notes.
    #[command(
        after_help = "Examples:\n  llmcalc import ./Llama-2-7b-hf/config.json > llama-2-7b.toml\n  llmcalc import ./mixtral-8x7b/\n  llmcalc params ./Llama-2-7b-hf/config.json"
    )]
    Import {
        /// The config.json, or a folder holding one
        #[arg(value_name = "CONFIG")]
        config: String,
    },

    /// Print a shell completion script: `llmcalc completions bash > /etc/bash_completion.d/llmcalc`.
    #[command(
        after_help = "Examples:\n  llmcalc completions bash > ~/.local/share/bash-completion/completions/llmcalc\n  llmcalc completions zsh > ~/.zfunc/_llmcalc\n  llmcalc completions fish > ~/.config/fish/completions/llmcalc.fish"
    )]
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },

    /// Print the manual page (roff), generated from the same definitions as --help.
    #[command(after_help = "Examples:\n  llmcalc man > llmcalc.1 && man ./llmcalc.1")]
    Man,

    /// Count FLOPs per token — forward, backward, training — part by part.
    #[command(
        after_help = "Examples:\n  llmcalc flops llama-2-7b\n  llmcalc flops gpt-3 --seq-len 2048 --attention causal\n  llmcalc flops t5-11b --seq-len 512 --target-len 114\n  llmcalc flops gpt-4 --recompute full"
    )]
    Flops {
        #[command(flatten)]
        model: ModelArgs,

        /// Tokens per sequence (the input length of an encoder-decoder) [default: the model's context]
        #[arg(long, value_name = "N", value_parser = tokens)]
        seq_len: Option<u64>,

        /// Target tokens per sequence of an encoder-decoder [default: --seq-len]
        #[arg(long, value_name = "N", value_parser = tokens)]
        target_len: Option<u64>,

        /// How attention over the context is counted: `full` counts every key, as PaLM's MFU does;
        /// `causal` counts the half a causal mask leaves (Kaplan et al. 2020)
        #[arg(long, value_enum, default_value_t = AttentionArg::Full)]
        attention: AttentionArg,

        /// Activation recompute, added to the hardware FLOPs
        #[arg(long, value_enum, default_value_t = RecomputeArg::None)]
        recompute: RecomputeArg,
    },
}

/// `llmcalc train`.
#[derive(Args)]
struct TrainArgs {
    /// A model preset name or TOML file; optional with --flops
    #[arg(value_name = "MODEL")]
    model: Option<String>,

    /// Override a preset field of the model, as TOML
    #[arg(long = "set", value_name = "KEY=VALUE")]
    overrides: Vec<Override>,

    /// Total training compute in place of MODEL and --tokens: `2.15e25`, `2.15e25 FLOP`
    #[arg(long, value_name = "FLOP", value_parser = parse::<Compute>(None))]
    flops: Option<Bounds<Compute>>,

    /// Training tokens: `13T`, `2T` [default: the model's claimed training tokens]
    #[arg(long, value_name = "N", value_parser = counts)]
    tokens: Option<Bounds<f64>>,

    /// GPU preset (`llmcalc gpus`) or TOML file [default: the GPU of the model's claimed run]
    #[arg(long, value_name = "GPU")]
    gpu: Option<String>,

    /// Number of GPUs: `25000`, `8000..8192`
    #[arg(long, value_name = "N", value_parser = gpu_counts)]
    gpus: Option<Bounds<f64>>,

    /// Model FLOPs utilisation: `0.34`, `34%`, `0.32..0.36`
    #[arg(long, value_name = "FRACTION", value_parser = fractions)]
    mfu: Option<Bounds<f64>>,

    /// Wall-clock duration: `90` (days), `90..100`, `55d`, `12h`, `6 weeks`
    #[arg(long, value_name = "TIME", value_parser = parse::<Time>(Some(86_400.0)))]
    days: Option<Bounds<Time>>,

    /// GPU-hours in place of --gpus and --days: `1720320`, `1.72M`
    #[arg(long, value_name = "N", value_parser = counts)]
    gpu_hours: Option<Bounds<f64>>,

    /// A budget, which with the price fixes the GPU-hours: `$10M`
    #[arg(long, value_name = "USD", value_parser = parse::<Money>(None))]
    budget: Option<Bounds<Money>>,

    /// Price per GPU-hour: `$2/h`, `$2.50/GPU-hour` [default: the GPU preset's indicative price]
    #[arg(long, value_name = "PRICE", value_parser = parse::<MoneyRate>(Some(1.0 / 3600.0)))]
    price: Option<Bounds<MoneyRate>>,

    /// Precision whose dense peak the MFU is measured against [default: bf16, or fp16 where the GPU
    /// has no bf16]
    #[arg(long, value_name = "PRECISION", value_parser = precision)]
    precision: Option<Precision>,

    /// Power usage effectiveness of the data centre; 1 counts the GPUs' board power alone
    #[arg(long, value_name = "RATIO", default_value_t = 1.0, value_parser = pue)]
    pue: f64,

    /// Tokens per sequence [default: the model's context]
    #[arg(long, value_name = "N", value_parser = tokens)]
    seq_len: Option<u64>,

    /// How attention over the context is counted (see `llmcalc flops --help`)
    #[arg(long, value_enum, default_value_t = AttentionArg::Full)]
    attention: AttentionArg,

    /// Activation recompute, counted in the hardware FLOPs and the HFU
    #[arg(long, value_enum, default_value_t = RecomputeArg::None)]
    recompute: RecomputeArg,

    /// Print each formula with its numbers and source
    #[arg(long)]
    explain: bool,
}

/// `llmcalc mfu`.
#[derive(Args)]
struct MfuArgs {
    #[command(flatten)]
    model: ModelArgs,

    /// GPU preset or TOML file
    #[arg(long, value_name = "GPU")]
    gpu: String,

    /// Number of GPUs
    #[arg(long, value_name = "N", value_parser = gpu_count)]
    gpus: f64,

    /// Observed tokens per second over all GPUs
    #[arg(long, value_name = "N", value_parser = count, group = "throughput")]
    tokens_per_second: Option<f64>,

    /// Observed tokens per second per GPU
    #[arg(long, value_name = "N", value_parser = count, group = "throughput")]
    tokens_per_second_per_gpu: Option<f64>,

    /// Time of one optimizer step (with --batch-tokens): `4.2s`, `850ms` is not accepted, write `0.85s`
    #[arg(long, value_name = "TIME", value_parser = single::<Time>(Some(1.0)), group = "throughput", requires = "batch_tokens")]
    step_time: Option<Time>,

    /// Tokens in one global batch (with --step-time): `4M`
    #[arg(long, value_name = "N", value_parser = count, requires = "step_time")]
    batch_tokens: Option<f64>,

    /// Precision whose dense peak is used [default: bf16, or fp16 where the GPU has no bf16]
    #[arg(long, value_name = "PRECISION", value_parser = precision)]
    precision: Option<Precision>,

    /// Tokens per sequence [default: the model's context]
    #[arg(long, value_name = "N", value_parser = tokens)]
    seq_len: Option<u64>,

    /// How attention over the context is counted
    #[arg(long, value_enum, default_value_t = AttentionArg::Full)]
    attention: AttentionArg,

    /// Activation recompute, counted in the HFU
    #[arg(long, value_enum, default_value_t = RecomputeArg::None)]
    recompute: RecomputeArg,
}

/// `llmcalc compare`.
#[derive(Args)]
struct CompareArgs {
    #[command(flatten)]
    model: ModelArgs,

    /// Training tokens [default: the model's claimed training tokens]
    #[arg(long, value_name = "N", value_parser = counts)]
    tokens: Option<Bounds<f64>>,

    /// GPU presets to compare, comma-separated: `h100,h200,b200`
    #[arg(long, value_name = "GPU,...", value_delimiter = ',', required = true)]
    gpu: Vec<String>,

    /// Fix the wall-clock duration and solve the GPUs: `90` (days), `12 weeks`
    #[arg(long, value_name = "TIME", value_parser = parse::<Time>(Some(86_400.0)), group = "fixed")]
    days: Option<Bounds<Time>>,

    /// Fix the GPU count and solve the duration
    #[arg(long, value_name = "N", value_parser = gpu_counts, group = "fixed")]
    gpus: Option<Bounds<f64>>,

    /// Model FLOPs utilisation assumed on every GPU type
    #[arg(long, value_name = "FRACTION", value_parser = fractions, default_value = "0.4")]
    mfu: Bounds<f64>,

    /// A price for one GPU type, repeatable: `h100=$2.49/h`
    #[arg(long = "price", value_name = "GPU=PRICE", value_parser = gpu_price)]
    prices: Vec<(String, Bounds<MoneyRate>)>,

    /// Precision whose dense peak every GPU is measured against [default: bf16, or fp16 where a GPU
    /// has no bf16]
    #[arg(long, value_name = "PRECISION", value_parser = precision)]
    precision: Option<Precision>,

    /// Power usage effectiveness of the data centre
    #[arg(long, value_name = "RATIO", default_value_t = 1.0, value_parser = pue)]
    pue: f64,

    /// Also draw the result as an SVG chart into FILE
    #[arg(long, value_name = "FILE.svg")]
    chart: Option<std::path::PathBuf>,
}

/// What `memory` and `plan` share: the model, the GPU, the batch and the cost model's assumptions.
#[derive(Args)]
struct SetupArgs {
    #[command(flatten)]
    model: ModelArgs,

    /// GPU preset or TOML file
    #[arg(long, value_name = "GPU")]
    gpu: String,

    /// Number of GPUs
    #[arg(long, value_name = "N", value_parser = whole)]
    gpus: u64,

    /// Tokens per sequence [default: the model's context]
    #[arg(long, value_name = "N", value_parser = tokens)]
    seq_len: Option<u64>,

    /// Tokens per optimizer step over all replicas [default: 4M, Llama 2's batch]
    #[arg(long, value_name = "N", value_parser = count)]
    global_batch_tokens: Option<f64>,

    /// Optimizer, for its state per parameter (Adam 12 bytes, 8-bit Adam 6, SGD with momentum 8)
    #[arg(long, value_enum, default_value_t = OptimizerArg::Adam)]
    optimizer: OptimizerArg,

    /// Training precision: bf16, or fp8 (1-byte weight copies, the fp8 peak)
    #[arg(long, value_name = "PRECISION", value_parser = precision)]
    precision: Option<Precision>,

    /// Memory kept free for the framework, communication buffers and fragmentation: `10%` or `4GiB`
    #[arg(long, value_name = "AMOUNT", default_value = "10%", value_parser = reserve)]
    reserve: Reserve,

    /// Fraction of the dense peak the kernels reach (plan's step-time model)
    #[arg(long, value_name = "FRACTION", default_value = "0.5", value_parser = fraction)]
    kernel_efficiency: f64,

    /// Scale-out bandwidth per GPU, one direction (plan's step-time model)
    #[arg(long, value_name = "BANDWIDTH", default_value = "400 Gb/s", value_parser = single::<Bandwidth>(None))]
    network: Bandwidth,

    /// Share of the data-parallel gradient reduction hidden behind the backward pass
    #[arg(long, value_name = "FRACTION", default_value = "0", value_parser = share)]
    dp_overlap: f64,
}

/// `llmcalc memory`.
#[derive(Args)]
struct MemoryArgs {
    #[command(flatten)]
    setup: SetupArgs,

    /// Tensor-parallel ranks
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = whole)]
    tp: u64,

    /// Pipeline stages
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = whole)]
    pp: u64,

    /// Expert-parallel ranks (taken from the data-parallel group)
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = whole)]
    ep: u64,

    /// Sequence parallelism alongside tensor parallelism
    #[arg(long)]
    sp: bool,

    /// ZeRO stage: 0, 1 (optimizer states), 2 (+ gradients), 3 (+ weights)
    #[arg(long, value_name = "STAGE", default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=3))]
    zero: u8,

    /// Activation recompute
    #[arg(long, value_enum, default_value_t = RecomputeArg::None)]
    recompute: RecomputeArg,

    /// Sequences per micro-batch
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = whole)]
    micro_batch: u64,

    /// Model chunks per pipeline stage (interleaved 1F1B)
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = whole)]
    interleave: u64,
}

/// `llmcalc plan`.
#[derive(Args)]
struct PlanArgs {
    #[command(flatten)]
    setup: SetupArgs,

    /// Training tokens, for days and cost [default: the model's claimed training tokens]
    #[arg(long, value_name = "N", value_parser = count)]
    tokens: Option<f64>,

    /// Price per GPU-hour [default: the GPU preset's]
    #[arg(long, value_name = "PRICE", value_parser = single::<MoneyRate>(Some(1.0 / 3600.0)))]
    price: Option<MoneyRate>,

    /// How many layouts to print
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = whole)]
    top: u64,

    /// Also draw the result as an SVG chart into FILE
    #[arg(long, value_name = "FILE.svg")]
    chart: Option<std::path::PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum OptimizerArg {
    Adam,
    #[value(name = "adam-8bit")]
    Adam8bit,
    Sgd,
}

/// `llmcalc serve`.
#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    model: ModelArgs,

    /// GPU preset or TOML file
    #[arg(long, value_name = "GPU")]
    gpu: String,

    /// Number of GPUs; more than TP × PP makes replicas
    #[arg(long, value_name = "N", value_parser = whole)]
    gpus: u64,

    /// Tensor-parallel ranks [default: GPUs / PP]
    #[arg(long, value_name = "N", value_parser = whole)]
    tp: Option<u64>,

    /// Pipeline stages
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = whole)]
    pp: u64,

    /// Sequences decoded together per replica
    #[arg(long, value_name = "N", value_parser = whole)]
    batch: u64,

    /// Prompt tokens per sequence
    #[arg(long, value_name = "N", value_parser = whole)]
    prompt_tokens: u64,

    /// Output tokens per sequence
    #[arg(long, value_name = "N", value_parser = whole)]
    output_tokens: u64,

    /// Weight storage
    #[arg(long, value_enum, default_value_t = WeightArg::Bf16)]
    weights: WeightArg,

    /// KV-cache element type
    #[arg(long, value_enum, default_value_t = KvArg::Bf16)]
    kv: KvArg,

    /// Price per GPU-hour [default: the GPU preset's]
    #[arg(long, value_name = "PRICE", value_parser = single::<MoneyRate>(Some(1.0 / 3600.0)))]
    price: Option<MoneyRate>,

    /// Fraction of the peak prefill and compute-bound decode reach
    #[arg(long, value_name = "FRACTION", default_value = "0.6", value_parser = fraction)]
    compute_efficiency: f64,

    /// Fraction of the memory bandwidth decode reaches
    #[arg(long, value_name = "FRACTION", default_value = "0.8", value_parser = fraction)]
    bandwidth_efficiency: f64,

    /// Share of GPU memory kept free of weights and KV cache
    #[arg(long, value_name = "FRACTION", default_value = "10%", value_parser = share)]
    reserve: f64,

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

#[derive(Clone, Copy, ValueEnum)]
enum WeightArg {
    Bf16,
    Fp8,
    Int8,
    Int4,
}

#[derive(Clone, Copy, ValueEnum)]
enum KvArg {
    Bf16,
    Fp8,
}

#[derive(Clone, Copy, ValueEnum)]
enum DetailArg {
    High,
    Low,
}

/// `WIDTHxHEIGHT` in pixels.
fn image_size(text: &str) -> Result<(u64, u64), String> {
    let (w, h) = text
        .split_once(['x', 'X', '×'])
        .ok_or_else(|| format!("`{text}` is not WIDTHxHEIGHT (e.g. `1024x1024`)"))?;
    let side = |s: &str| match s.trim().parse::<u64>() {
        Ok(v) if (1..=1_000_000).contains(&v) => Ok(v),
        _ => Err(format!(
            "`{s}` in `{text}` is not a size in pixels from 1 to 1,000,000"
        )),
    };
    Ok((side(w)?, side(h)?))
}

/// Choosing a model.
#[derive(Args)]
struct ModelArgs {
    /// A preset name (see `llmcalc models`) or the path to a preset TOML file
    #[arg(value_name = "MODEL")]
    model: String,

    /// Override a preset field, as TOML: `decoder.layers=40`, `architecture.positional=rotary`
    #[arg(long = "set", value_name = "KEY=VALUE")]
    overrides: Vec<Override>,
}

#[derive(Clone, Copy, ValueEnum)]
enum AttentionArg {
    Full,
    Causal,
}

#[derive(Clone, Copy, ValueEnum)]
enum RecomputeArg {
    None,
    Selective,
    Full,
}

/// A parser for a value or range of a typed quantity; `bare` is the factor for a number without unit.
fn parse<Q: Quantity + Copy + PartialOrd + Send + Sync + 'static>(
    bare: Option<f64>,
) -> impl Fn(&str) -> Result<Bounds<Q>, String> + Clone {
    move |text: &str| {
        let bounds = read_bounds::<Q>(text, bare).map_err(|e| e.to_string())?;
        let zero = Q::from_base(0.0);
        if bounds.low <= zero {
            return Err(format!("`{text}` must be above zero"));
        }
        Ok(bounds)
    }
}

/// A single value of a typed quantity above zero.
fn single<Q: Quantity + Copy + PartialOrd + Send + Sync + 'static>(
    bare: Option<f64>,
) -> impl Fn(&str) -> Result<Q, String> + Clone {
    move |text: &str| {
        let bounds = parse::<Q>(bare)(text)?;
        if bounds.low != bounds.high {
            return Err(format!("`{text}` is a range; give one value"));
        }
        Ok(bounds.low)
    }
}

/// A whole number above zero: `8`, `25000`, `25k`.
fn whole(text: &str) -> Result<u64, String> {
    let value = count(text)?;
    if value.fract() != 0.0 || value > 1e15 {
        return Err(format!("`{text}` is not a whole number"));
    }
    Ok(value as u64)
}

/// A fraction in (0, 1].
fn fraction(text: &str) -> Result<f64, String> {
    let bounds = fractions(text)?;
    if bounds.low != bounds.high {
        return Err(format!("`{text}` is a range; give one value"));
    }
    Ok(bounds.low)
}

/// A share in [0, 1].
fn share(text: &str) -> Result<f64, String> {
    let value = read(text, Dimension::Fraction, None).map_err(|e| e.to_string())?;
    if !(0.0..=1.0).contains(&value) {
        return Err(format!(
            "`{text}` is not a share from 0 to 1 (or 0% to 100%)"
        ));
    }
    Ok(value)
}

/// A memory reserve: a share of the GPU (`10%`) or an amount with its unit (`4GiB`).
fn reserve(text: &str) -> Result<Reserve, String> {
    if text.trim().ends_with('%') {
        let value = share(text)?;
        return Ok(Reserve::Fraction(value));
    }
    if text.trim().parse::<f64>().is_ok() {
        return Err(format!("`{text}` needs `%` or a unit: `10%` or `4GiB`"));
    }
    let bytes = read(text, Dimension::Information, None).map_err(|e| e.to_string())?;
    if bytes < 0.0 {
        return Err(format!("`{text}` is negative"));
    }
    Ok(Reserve::Bytes(bytes))
}

fn setup(catalog: &Catalog, args: SetupArgs) -> llmcalc::Result<(app::memory::Setup, u64)> {
    let request = SetupRequest {
        model: load_model(catalog, &args.model.model, &args.model.overrides)?,
        gpu: args.gpu,
        seq_len: args.seq_len,
        global_batch_tokens: args.global_batch_tokens,
        optimizer: match args.optimizer {
            OptimizerArg::Adam => Optimizer::Adam,
            OptimizerArg::Adam8bit => Optimizer::Adam8bit,
            OptimizerArg::Sgd => Optimizer::Sgd,
        },
        precision: args.precision,
        reserve: args.reserve,
        kernel_efficiency: args.kernel_efficiency,
        network: args.network,
        dp_overlap: args.dp_overlap,
    };
    Ok((app::memory::setup(&request)?, args.gpus))
}

/// A count above zero: `6144`, `238.3k`.
fn count(text: &str) -> Result<f64, String> {
    let value = read(text, Dimension::Count, None).map_err(|e| e.to_string())?;
    if value <= 0.0 {
        return Err(format!("`{text}` must be above zero"));
    }
    Ok(value)
}

/// `GPU=PRICE`: a price for one GPU type.
fn gpu_price(text: &str) -> Result<(String, Bounds<MoneyRate>), String> {
    let (gpu, price) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not `GPU=PRICE` (e.g. `h100=$2.49/h`)"))?;
    Ok((
        gpu.trim().to_string(),
        parse::<MoneyRate>(Some(1.0 / 3600.0))(price)?,
    ))
}

/// A count or range of counts above zero: `25000`, `13T`, `8000..8192`.
fn counts(text: &str) -> Result<Bounds<f64>, String> {
    let (low, high) = read_range(text, Dimension::Count, None).map_err(|e| e.to_string())?;
    if low <= 0.0 {
        return Err(format!("`{text}` must be above zero"));
    }
    Ok(Bounds::new(low, high))
}

/// Whole GPUs, at least one, up to a billion: `25000`, `8000..8192`.
fn gpu_counts(text: &str) -> Result<Bounds<f64>, String> {
    let b = counts(text)?;
    let whole = |v: f64| v.fract() == 0.0 && (1.0..=1e9).contains(&v);
    if !(whole(b.low) && whole(b.high)) {
        return Err(format!(
            "`{text}` is not a whole number of GPUs from 1 to 1,000,000,000"
        ));
    }
    Ok(b)
}

/// One whole number of GPUs.
fn gpu_count(text: &str) -> Result<f64, String> {
    let b = gpu_counts(text)?;
    if b.low != b.high {
        return Err(format!("`{text}` is a range; give one value"));
    }
    Ok(b.low)
}

/// A fraction or range of fractions in (0, 1]: `0.34`, `34%`.
fn fractions(text: &str) -> Result<Bounds<f64>, String> {
    let (low, high) = read_range(text, Dimension::Fraction, None).map_err(|e| e.to_string())?;
    if low <= 0.0 || high > 1.0 {
        return Err(format!(
            "`{text}` is not a fraction above 0 and at most 1: write 0.34 or 34%"
        ));
    }
    Ok(Bounds::new(low, high))
}

/// A power usage effectiveness: 1 or more.
fn pue(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if (1.0..=10.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "`{text}` is not a PUE: a ratio from 1 (no overhead) to 10, e.g. 1.1"
        )),
    }
}

/// A precision by name.
fn precision(text: &str) -> Result<Precision, String> {
    Precision::from_name(&text.to_lowercase()).ok_or_else(|| {
        let names: Vec<&str> = Precision::ALL.iter().map(|p| p.name()).collect();
        format!("`{text}` is not a precision; one of {}", names.join(", "))
    })
}

/// A whole number of tokens: `2048`, `8k`, `32K`.
fn tokens(text: &str) -> Result<u64, String> {
    let n = read(text, Dimension::Count, None).map_err(|e| e.to_string())?;
    if n.fract() != 0.0 || !(1.0..=1e12).contains(&n) {
        return Err(format!(
            "`{text}` is not a whole number of tokens from 1 to 1T"
        ));
    }
    Ok(n as u64)
}

/// Draws a chart and writes it to `path`, if one was asked for.
fn write_chart(
    path: Option<&std::path::Path>,
    draw: impl FnOnce() -> llmcalc::Result<String>,
) -> llmcalc::Result<()> {
    let Some(path) = path else { return Ok(()) };
    let svg = draw()?;
    std::fs::write(path, svg).map_err(|source| llmcalc::Error::Write {
        path: path.display().to_string(),
        source,
    })
}

/// Loads a model, telling on standard error what an imported config could not express.
fn load_model(
    catalog: &Catalog,
    reference: &str,
    overrides: &[Override],
) -> llmcalc::Result<llmcalc::domain::model::Model> {
    let model = catalog.model(reference, overrides)?;
    for warning in &model.warnings {
        eprintln!("warning: {warning}");
    }
    Ok(model)
}

fn masking(arg: AttentionArg) -> Masking {
    match arg {
        AttentionArg::Full => Masking::Full,
        AttentionArg::Causal => Masking::Causal,
    }
}

fn recompute(arg: RecomputeArg) -> Recompute {
    match arg {
        RecomputeArg::None => Recompute::None,
        RecomputeArg::Selective => Recompute::Selective,
        RecomputeArg::Full => Recompute::Full,
    }
}

fn run(cli: Cli) -> llmcalc::Result<String> {
    let catalog = Catalog::with_user_dir(Catalog::user_dir_from_env(cli.presets));
    let catalog = &catalog;
    let format = match cli.format {
        OutputFormat::Table => Format::Table,
        OutputFormat::Json => Format::Json,
        OutputFormat::Csv => Format::Csv,
        OutputFormat::Markdown => Format::Markdown,
    };
    Ok(match cli.command {
        Command::Models => {
            let list = app::models::models(&catalog.models()?)?;
            render::render(&list, |l| l.report(), format)
        }
        Command::Gpus => {
            let list = app::gpus::gpus(&catalog.gpus()?);
            render::render(&list, |l| l.report(), format)
        }
        Command::Train(args) => {
            let model = match &args.model {
                Some(name) => Some(load_model(catalog, name, &args.overrides)?),
                None => None,
            };
            // The GPU asked for, else the one the model's claims name.
            let gpu = match (&args.gpu, &model) {
                (Some(name), _) => Some(catalog.gpu(name)?),
                (None, Some(model)) => catalog.claimed_gpu(model)?,
                (None, None) => None,
            };
            let request = TrainRequest {
                model,
                flops: args.flops,
                tokens: args.tokens,
                gpu,
                precision: args.precision,
                gpus: args.gpus,
                mfu: args.mfu,
                duration: args.days,
                gpu_hours: args.gpu_hours,
                budget: args.budget,
                price: args.price,
                pue: args.pue,
                seq_len: args.seq_len,
                masking: Some(masking(args.attention)),
                recompute: Some(recompute(args.recompute)),
            };
            let result = app::train::train(&request)?;
            render::render(&result, |r| r.report(args.explain), format)
        }
        Command::Mfu(args) => {
            let throughput = match (
                args.tokens_per_second,
                args.tokens_per_second_per_gpu,
                args.step_time,
                args.batch_tokens,
            ) {
                (Some(t), _, _, _) => Throughput::Total(t),
                (_, Some(t), _, _) => Throughput::PerGpu(t),
                (_, _, Some(step), Some(batch_tokens)) => Throughput::Step { step, batch_tokens },
                _ => {
                    return Err(llmcalc::Error::Argument {
                        argument: "throughput".into(),
                        message: "give --tokens-per-second, --tokens-per-second-per-gpu, or --step-time with \
                                  --batch-tokens"
                            .into(),
                    });
                }
            };
            let request = MfuRequest {
                model: load_model(catalog, &args.model.model, &args.model.overrides)?,
                gpu: catalog.gpu(&args.gpu)?,
                gpus: args.gpus,
                throughput,
                precision: args.precision,
                seq_len: args.seq_len,
                masking: masking(args.attention),
                recompute: recompute(args.recompute),
            };
            let result = app::mfu::mfu(&request)?;
            render::render(&result, |r| r.report(), format)
        }
        Command::Compare(args) => {
            let fixed = match (args.days, args.gpus) {
                (Some(days), None) => Fixed::Duration(days),
                (None, Some(gpus)) => Fixed::Gpus(gpus),
                _ => {
                    return Err(llmcalc::Error::Argument {
                        argument: "--days / --gpus".into(),
                        message: "give one of --days (GPUs are solved) or --gpus (days are solved)"
                            .into(),
                    });
                }
            };
            let request = CompareRequest {
                model: load_model(catalog, &args.model.model, &args.model.overrides)?,
                tokens: args.tokens,
                gpus: args
                    .gpu
                    .iter()
                    .map(|name| catalog.gpu(name))
                    .collect::<llmcalc::Result<_>>()?,
                fixed,
                mfu: args.mfu,
                prices: args
                    .prices
                    .iter()
                    .map(|(name, price)| Ok((catalog.gpu(name)?, *price)))
                    .collect::<llmcalc::Result<_>>()?,
                precision: args.precision,
                pue: args.pue,
            };
            let result = app::compare::compare(&request)?;
            write_chart(args.chart.as_deref(), || render::chart::compare(&result))?;
            render::render(&result, |r| r.report(), format)
        }
        Command::Memory(args) => {
            let (setup, gpus) = setup(catalog, args.setup)?;
            let layout = Layout {
                tp: args.tp,
                pp: args.pp,
                ep: args.ep,
                dp: 1,
                sp: args.sp,
                zero: args.zero,
                recompute: recompute(args.recompute),
                micro_batch: args.micro_batch,
                interleave: args.interleave,
            };
            let result = app::memory::memory(&setup, gpus, layout)?;
            render::render(&result, |r| r.report(), format)
        }
        Command::Plan(args) => {
            let chart = args.chart.clone();
            let tokens = match args.tokens {
                Some(t) => Some(t),
                None => load_model(
                    catalog,
                    &args.setup.model.model,
                    &args.setup.model.overrides,
                )?
                .claims
                .training_tokens
                .map(|f| f.mid()),
            };
            let (setup, gpus) = setup(catalog, args.setup)?;
            let result = app::plan::plan(&setup, gpus, tokens, args.price, args.top as usize)?;
            write_chart(chart.as_deref(), || render::chart::plan(&result))?;
            render::render(&result, |r| r.report(), format)
        }
        Command::Serve(args) => {
            let draft = match (&args.draft, args.acceptance, args.lookahead) {
                (Some(name), Some(acceptance), Some(lookahead)) => {
                    Some((load_model(catalog, name, &[])?, acceptance, lookahead))
                }
                _ => None,
            };
            let request = ServeRequest {
                model: load_model(catalog, &args.model.model, &args.model.overrides)?,
                gpu: args.gpu,
                gpus: args.gpus,
                tp: args.tp,
                pp: args.pp,
                batch: args.batch,
                prompt_tokens: args.prompt_tokens,
                output_tokens: args.output_tokens,
                weights: match args.weights {
                    WeightArg::Bf16 => WeightFormat::Bf16,
                    WeightArg::Fp8 => WeightFormat::Fp8,
                    WeightArg::Int8 => WeightFormat::Int8,
                    WeightArg::Int4 => WeightFormat::Int4,
                },
                kv_bytes: match args.kv {
                    KvArg::Bf16 => 2.0,
                    KvArg::Fp8 => 1.0,
                },
                price: args.price,
                compute_efficiency: args.compute_efficiency,
                bandwidth_efficiency: args.bandwidth_efficiency,
                reserve: args.reserve,
                draft,
            };
            let result = app::serve::serve(&request)?;
            render::render(&result, |r| r.report(), format)
        }
        Command::ImageTokens {
            size: (width, height),
            detail,
            price_per_million,
        } => {
            let detail = match detail {
                DetailArg::High => Detail::High,
                DetailArg::Low => Detail::Low,
            };
            let result = app::image::image(width, height, detail, price_per_million);
            render::render(&result, |r| r.report(), format)
        }
        Command::Chinchilla {
            model,
            budget,
            params,
            tokens,
            chart,
        } => {
            let model = model.map(|m| load_model(catalog, &m, &[])).transpose()?;
            let request = ChinchillaRequest {
                budget,
                params,
                tokens,
                model,
            };
            let result = app::chinchilla::chinchilla(&request)?;
            write_chart(chart.as_deref(), || render::chart::chinchilla(&result))?;
            render::render(&result, |r| r.report(), format)
        }
        Command::Audit { model, tolerance } => {
            let m = load_model(catalog, &model.model, &model.overrides)?;
            let claimed_gpu = catalog.claimed_gpu(&m)?;
            let result = app::audit::audit(&m, claimed_gpu.as_ref(), tolerance)?;
            render::render(&result, |r| r.report(), format)
        }
        Command::Import { config } => {
            let path = presets::config_path(&config).unwrap_or_else(|| config.clone().into());
            let (_, imported) = presets::import_config(&path)?;
            for warning in &imported.warnings {
                eprintln!("warning: {warning}");
            }
            imported.toml
        }
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "llmcalc", &mut out);
            String::from_utf8_lossy(&out).into_owned()
        }
        Command::Man => {
            // The main page, then one page per command, as `llmcalc-NAME`. Rendering into memory
            // cannot fail.
            let mut out = Vec::new();
            let command = Cli::command();
            clap_mangen::Man::new(command.clone())
                .render(&mut out)
                .expect("writing to memory");
            for sub in command.get_subcommands() {
                let name = format!("llmcalc-{}", sub.get_name());
                clap_mangen::Man::new(sub.clone().display_name(name))
                    .render(&mut out)
                    .expect("writing to memory");
            }
            String::from_utf8_lossy(&out).into_owned()
        }
        Command::Params(args) => {
            let model = load_model(catalog, &args.model, &args.overrides)?;
            let result = app::params::params(&model)?;
            render::render(&result, |r| r.report(), format)
        }
        Command::Flops {
            model,
            seq_len,
            target_len,
            attention,
            recompute: recompute_arg,
        } => {
            let m = load_model(catalog, &model.model, &model.overrides)?;
            let request = FlopsRequest {
                seq_len,
                target_len,
                masking: masking(attention),
                recompute: recompute(recompute_arg),
            };
            let result = app::flops::flops(&m, &request)?;
            render::render(&result, |r| r.report(), format)
        }
    })
}

/// The flag or argument that gives an input of the calculations.
fn flag(input: Input) -> &'static str {
    match input {
        Input::Model => "MODEL",
        Input::Gpu => "--gpu",
        Input::Gpus => "--gpus",
        Input::Precision => "--precision",
        Input::Tokens => "--tokens",
        Input::Flops => "--flops",
        Input::Mfu => "--mfu",
        Input::Duration => "--days",
        Input::GpuHours => "--gpu-hours",
        Input::Budget => "--budget",
        Input::Price => "--price",
        Input::Params => "--params",
        Input::SeqLen => "--seq-len",
        Input::TargetLen => "--target-len",
        Input::Attention => "--attention",
        Input::Throughput => "throughput",
        Input::GlobalBatchTokens => "--global-batch-tokens",
        Input::Tp => "--tp",
        Input::Pp => "--pp",
        Input::Dp => "--dp",
        Input::Cp => "--cp",
        Input::Ep => "--ep",
        Input::Zero => "--zero",
        Input::MicroBatch => "--micro-batch",
        Input::Interleave => "--interleave",
        Input::Top => "--top",
        Input::Batch => "--batch",
        Input::PromptTokens => "--prompt-tokens",
        Input::OutputTokens => "--output-tokens",
        Input::Draft => "--draft",
        Input::Chart => "--chart",
        Input::Tolerance => "--tolerance",
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(output) => {
            // A closed pipe (`llmcalc models | head`) is not an error worth reporting.
            let _ = std::io::stdout().lock().write_all(output.as_bytes());
            ExitCode::SUCCESS
        }
        Err(llmcalc::Error::Invalid { input, message }) => {
            eprintln!("error: {}: {message}", flag(input));
            ExitCode::from(2)
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}
