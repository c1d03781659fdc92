//! The `llmcalc` command line, and the one place that knows flag names. Each command's file holds its
//! arguments and turns them into a request for [`crate::app`], then renders the result.
//!
//! Exit codes: 0 with the answer on standard output; 2 for every error the user can cause, with the
//! message on standard error and nothing on standard output; 3 when the question is well put but has
//! no answer — no layout fits (`plan`), the layout does not fit (`memory`), a solved term cannot be
//! (`train`: an MFU above 100%, fewer than one GPU), no GPU type compared can run it (`compare`) —
//! with the report on standard output and the reason on standard error; 1 when standard output cannot
//! be written. A reader that stops early (`llmcalc models | head -1`) is not an error.

mod audit;
mod chinchilla;
mod compare;
mod docs;
mod flops;
mod image;
mod import;
mod listing;
mod memory;
mod mfu;
mod params;
mod plan;
mod serve;
mod train;
mod values;

use std::ffi::OsString;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::catalog::Catalog;
use crate::catalog::presets::Override;
use crate::domain::model::Model;
use crate::error::{Error, Input, Result};
use crate::render::{Format, Output};
use values::choice;

/// The arithmetic of training and serving large language models, from presets.
#[derive(Parser)]
#[command(name = "llmcalc", version, about, max_term_width = 110)]
pub struct Cli {
    /// Output format: aligned tables for people, Markdown for documents, or JSON/CSV with numbers in
    /// base units (count, FLOP, s, bytes, USD) for scripts.
    #[arg(long, value_enum, default_value_t = Format::Table, value_parser = choice::<Format>(), global = true)]
    pub format: Format,

    /// Folder of your own presets (`models/*.toml`, `gpus/*.toml`), listed and used beside the built-in
    /// ones; a preset with a built-in's name replaces it [default: $LLMCALC_PRESETS, else
    /// $XDG_CONFIG_HOME/llmcalc, else ~/.config/llmcalc]
    #[arg(long, value_name = "DIR", global = true)]
    pub presets: Option<PathBuf>,

    /// Print tables as wide as they are; by default, on a terminal, their widest columns wrap to fit its
    /// width ($COLUMNS, else the terminal's own). Output to a pipe or file is never wrapped.
    #[arg(long, global = true)]
    pub wide: bool,

    #[command(subcommand)]
    pub command: Command,
}

/// Exit code when the question has no answer: see the module documentation.
pub const NO_ANSWER: u8 = 3;

/// What a command prints, and, when the question has no answer, why.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    pub text: String,
    /// Why no answer exists (the report says it in full), or `None` for an answer.
    pub none: Option<String>,
}

impl Answer {
    /// The report, which answers the question unless `none` says why it cannot.
    fn new(text: String, none: Option<String>) -> Answer {
        Answer { text, none }
    }
}

impl From<String> for Answer {
    fn from(text: String) -> Answer {
        Answer { text, none: None }
    }
}

/// The commands, in the order `--help` lists them.
#[derive(Subcommand)]
pub enum Command {
    /// List the model presets: name, kind, total and active parameters, source.
    #[command(after_help = "Example:\n  llmcalc models\n  llmcalc models --format csv")]
    Models,
    Params(params::ParamsArgs),
    /// List the GPU presets: dense peaks, memory, bandwidth, scale-up link, power, price.
    #[command(after_help = "Examples:\n  llmcalc gpus\n  llmcalc gpus --format json")]
    Gpus,
    Train(train::TrainArgs),
    Mfu(mfu::MfuArgs),
    Compare(compare::CompareArgs),
    Memory(memory::MemoryArgs),
    Plan(plan::PlanArgs),
    Serve(serve::ServeArgs),
    #[command(name = "image-tokens")]
    ImageTokens(image::ImageArgs),
    Chinchilla(chinchilla::ChinchillaArgs),
    Audit(audit::AuditArgs),
    Import(import::ImportArgs),
    Completions(docs::CompletionsArgs),
    /// Print the manual page (roff), generated from the same definitions as --help.
    #[command(after_help = "Examples:\n  llmcalc man > llmcalc.1 && man ./llmcalc.1")]
    Man,
    Flops(flops::FlopsArgs),
}

impl Cli {
    /// Runs the command and returns what it prints on standard output, its tables fitted to the
    /// terminal standard output goes to.
    pub fn run(self) -> Result<Answer> {
        self.run_at(terminal_width())
    }

    /// Runs the command with its tables fitted to `terminal` characters (unless `--wide`; `None`: as
    /// wide as they are).
    pub fn run_at(self, terminal: Option<usize>) -> Result<Answer> {
        // A folder named with --presets must exist: a typo would silently drop the presets in it.
        if let Some(dir) = self.presets.as_ref().filter(|dir| !dir.is_dir()) {
            return Err(Error::Argument {
                argument: "--presets".into(),
                message: format!("`{}` is not a folder", dir.display()),
            });
        }
        let catalog = &Catalog::with_user_dir(Catalog::user_dir_from_env(self.presets));
        let format = Output {
            format: self.format,
            width: if self.wide { None } else { terminal },
        };
        let text = match self.command {
            Command::Train(args) => return args.run(catalog, format),
            Command::Memory(args) => return args.run(catalog, format),
            Command::Plan(args) => return args.run(catalog, format),
            Command::Compare(args) => return args.run(catalog, format),
            Command::Models => listing::models(catalog, format),
            Command::Gpus => listing::gpus(catalog, format),
            Command::Params(args) => args.run(catalog, format),
            Command::Mfu(args) => args.run(catalog, format),
            Command::Serve(args) => return args.run(catalog, format),
            Command::ImageTokens(args) => args.run(format),
            Command::Chinchilla(args) => args.run(catalog, format),
            Command::Audit(args) => args.run(catalog, format),
            Command::Import(args) => args.run(format),
            Command::Completions(args) => Ok(args.run()),
            Command::Man => Ok(docs::man()),
            Command::Flops(args) => args.run(catalog, format),
        };
        text.map(Answer::from)
    }
}

/// The width of the terminal standard output goes to, or `None` when it goes to a pipe or a file:
/// `$COLUMNS` when set, else what `stty size` reports for the terminal.
fn terminal_width() -> Option<usize> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return None;
    }
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse().ok());
    columns
        .or_else(|| {
            let tty = std::fs::File::open("/dev/tty").ok()?;
            let size = std::process::Command::new("stty")
                .arg("size")
                .stdin(tty)
                .output()
                .ok()?;
            let text = String::from_utf8(size.stdout).ok()?;
            text.split_whitespace().nth(1)?.parse().ok()
        })
        .filter(|&w: &usize| w >= 40)
}

/// The `llmcalc` binary: parses the arguments, runs the command, prints, and returns the exit code.
pub fn main() -> ExitCode {
    match Cli::parse_from(join_negative_values(std::env::args_os())).run() {
        Ok(Answer { text, none: None }) => print(&text),
        Ok(Answer {
            text,
            none: Some(why),
        }) => {
            let printed = print(&text);
            if printed != ExitCode::SUCCESS {
                return printed;
            }
            eprintln!("no answer: {why}");
            ExitCode::from(NO_ANSWER)
        }
        Err(error) => {
            eprintln!("error: {}", message(&error));
            ExitCode::from(2)
        }
    }
}

/// Joins a value that starts with `-` and a digit to the option before it (`--days -3d` becomes
/// `--days=-3d`), so that the value's own parser refuses it by name, with what is allowed (`-3d` must
/// be above zero), where clap would take `-3d` for a flag and suggest passing it after `--`. Only
/// values of options that take one are joined; every other argument is left as it is.
pub fn join_negative_values(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut root = <Cli as clap::CommandFactory>::command();
    root.build();
    let mut command: &clap::Command = &root;
    let mut out: Vec<OsString> = Vec::new();
    for arg in args {
        let text = arg.to_str().unwrap_or_default();
        if let Some(sub) = command
            .find_subcommand(text)
            .filter(|_| command.get_name() == root.get_name())
        {
            command = sub;
        }
        let joins = looks_negative(text)
            && out
                .last()
                .and_then(|o| o.to_str())
                .is_some_and(|option| takes_a_value(command, option));
        match out.last_mut() {
            Some(option) if joins => {
                option.push("=");
                option.push(&arg);
            }
            _ => out.push(arg),
        }
    }
    out
}

/// `-3`, `-3d`, `-.5`, `-1ms..2ms`: a minus sign before a number.
fn looks_negative(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or_default();
    let digits = digits.strip_prefix('.').unwrap_or(digits);
    text.starts_with('-') && digits.starts_with(|c: char| c.is_ascii_digit())
}

/// `--NAME` (without `=VALUE`) is an option of `command` that takes a value.
fn takes_a_value(command: &clap::Command, option: &str) -> bool {
    let Some(name) = option.strip_prefix("--").filter(|n| !n.contains('=')) else {
        return false;
    };
    command
        .get_arguments()
        .any(|a| a.get_long() == Some(name) && a.get_action().takes_values())
}

/// Writes the answer to standard output: a reader that closed the pipe early has what it wanted, but
/// any other failure (a full disk) loses the answer and is reported.
fn print(output: &str) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(output.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot write to standard output: {e}");
            ExitCode::FAILURE
        }
    }
}

/// An error as the command line says it: an invalid input is named by the flag that gave it.
fn message(error: &Error) -> String {
    match error {
        Error::Invalid { input, message } => format!("{}: {message}", flag(*input)),
        other => other.to_string(),
    }
}

/// The flag or argument that gives each input of a calculation; inputs no flag sets directly (the
/// data- and context-parallel sizes follow from `--gpus` and the other ranks) keep their description.
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
        Input::Throughput => "--tokens-per-second / --tokens-per-second-per-gpu / --step-time",
        Input::GlobalBatchTokens => "--global-batch-tokens",
        Input::Tp => "--tp",
        Input::Pp => "--pp",
        Input::Ep => "--ep",
        Input::Zero => "--zero",
        Input::MicroBatch => "--micro-batch",
        Input::Interleave => "--interleave",
        Input::Replicate => "--replicate",
        Input::RecomputeLayers => "--recompute-layers",
        Input::Top => "--top",
        Input::Batch => "--batch",
        Input::PromptTokens => "--prompt-tokens",
        Input::OutputTokens => "--output-tokens",
        Input::Workload => "--workload",
        Input::Draft => "--draft",
        Input::Chart => "--chart",
        Input::Tolerance => "--tolerance",
        Input::Dp | Input::Cp => input.describe(),
    }
}

/// Choosing a model.
#[derive(Args)]
pub struct ModelArgs {
    /// A preset name (see `llmcalc models`) or the path to a preset TOML file
    #[arg(value_name = "MODEL")]
    model: String,

    /// Override a preset field, as TOML: `decoder.layers=40`, `architecture.positional=rotary`
    #[arg(long = "set", value_name = "KEY=VALUE")]
    overrides: Vec<Override>,
}

impl ModelArgs {
    /// Loads the model, with its overrides.
    fn load(&self, catalog: &Catalog) -> Result<Model> {
        load_model(catalog, &self.model, &self.overrides)
    }
}

/// Loads a model, telling on standard error what an imported config could not express. Each command
/// loads each model once, so each warning shows once.
fn load_model(catalog: &Catalog, reference: &str, overrides: &[Override]) -> Result<Model> {
    let model = catalog.model(reference, overrides)?;
    for warning in &model.warnings {
        eprintln!("warning: {warning}");
    }
    Ok(model)
}

/// Draws a chart and writes it to `path`, if one was asked for.
fn write_chart(path: Option<&Path>, draw: impl FnOnce() -> Result<String>) -> Result<()> {
    let Some(path) = path else { return Ok(()) };
    let svg = draw()?;
    std::fs::write(path, svg).map_err(|source| Error::Write {
        path: path.display().to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_flag_an_input_maps_to_exists() {
        let command = Cli::command();
        let longs: Vec<String> = command
            .get_subcommands()
            .flat_map(|sub| sub.get_arguments())
            .filter_map(|arg| arg.get_long().map(|l| format!("--{l}")))
            .collect();
        let inputs = [
            Input::Model,
            Input::Gpu,
            Input::Gpus,
            Input::Precision,
            Input::Tokens,
            Input::Flops,
            Input::Mfu,
            Input::Duration,
            Input::GpuHours,
            Input::Budget,
            Input::Price,
            Input::Params,
            Input::SeqLen,
            Input::TargetLen,
            Input::Attention,
            Input::Throughput,
            Input::GlobalBatchTokens,
            Input::Tp,
            Input::Pp,
            Input::Ep,
            Input::Zero,
            Input::MicroBatch,
            Input::Interleave,
            Input::Replicate,
            Input::RecomputeLayers,
            Input::Top,
            Input::Batch,
            Input::PromptTokens,
            Input::OutputTokens,
            Input::Workload,
            Input::Draft,
            Input::Chart,
            Input::Tolerance,
        ];
        for input in inputs {
            for name in flag(input).split(" / ").filter(|n| n.starts_with("--")) {
                assert!(longs.iter().any(|l| l == name), "{input:?}: no {name}");
            }
        }
    }

    #[test]
    fn invalid_inputs_are_named_by_their_flag() {
        let error = Error::Invalid {
            input: Input::Tp,
            message: "must divide the heads".into(),
        };
        assert_eq!(message(&error), "--tp: must divide the heads");
        let error = Error::Invalid {
            input: Input::Dp,
            message: "must be at least 1".into(),
        };
        assert_eq!(
            message(&error),
            "data-parallel replicas: must be at least 1"
        );
    }
}
