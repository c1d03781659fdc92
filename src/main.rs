//! The `llmcalc` command: parses arguments, calls the library, prints the result. Every error a user
//! can cause exits with code 2 and writes nothing to standard output.

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use llmcalc::model::flops::{Masking, Recompute};
use llmcalc::preset::{self, Override};
use llmcalc::report::{self, Format, flops::FlopsRequest};
use llmcalc::units::parse::{Dimension, read};

/// The arithmetic of training and serving large language models, from presets.
#[derive(Parser)]
#[command(name = "llmcalc", version, about, max_term_width = 110)]
struct Cli {
    /// Output format: aligned tables for people, or JSON/CSV with numbers in base units
    /// (count, FLOP, s, bytes, USD) for scripts.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table, global = true)]
    format: OutputFormat,

    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    Table,
    Json,
    Csv,
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

fn run(cli: Cli) -> llmcalc::Result<String> {
    let format = match cli.format {
        OutputFormat::Table => Format::Table,
        OutputFormat::Json => Format::Json,
        OutputFormat::Csv => Format::Csv,
    };
    Ok(match cli.command {
        Command::Models => {
            let list = report::models::models()?;
            report::render(&list, |l| l.report(), format)
        }
        Command::Params(args) => {
            let model = preset::load_model(&args.model, &args.overrides)?;
            let result = report::params::params(&model)?;
            report::render(&result, |r| r.report(), format)
        }
        Command::Flops {
            model,
            seq_len,
            target_len,
            attention,
            recompute,
        } => {
            let m = preset::load_model(&model.model, &model.overrides)?;
            let request = FlopsRequest {
                seq_len,
                target_len,
                masking: match attention {
                    AttentionArg::Full => Masking::Full,
                    AttentionArg::Causal => Masking::Causal,
                },
                recompute: match recompute {
                    RecomputeArg::None => Recompute::None,
                    RecomputeArg::Selective => Recompute::Selective,
                    RecomputeArg::Full => Recompute::Full,
                },
            };
            let result = report::flops::flops(&m, &request)?;
            report::render(&result, |r| r.report(), format)
        }
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(output) => {
            // A closed pipe (`llmcalc models | head`) is not an error worth reporting.
            let _ = std::io::stdout().lock().write_all(output.as_bytes());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}
