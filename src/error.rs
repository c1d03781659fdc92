//! Everything a user can get wrong, each with a message that names the field, the value and what is
//! allowed. Every variant is the user's to fix, so the binary exits with code 2 for all of them.

use std::fmt;

/// Where in a preset file (or in a `--set` override) a problem sits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The file path, `presets/models/NAME.toml (built in)`, or the `--set` argument.
    pub origin: String,
    /// 1-based line within the origin.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The text of that line (a window of it, for a long line), for showing the problem in context.
    pub text: String,
    /// 1-based position of the problem within `text`.
    pub caret: usize,
    /// Characters to underline from `column`.
    pub width: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.origin, self.line, self.column)
    }
}

/// An error llmcalc reports to its user.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A preset or override that does not parse, has an unknown field, or holds a value not allowed.
    #[error("{location}: {message}\n{}", snippet(.location))]
    Preset { location: Location, message: String },
    /// A problem in a preset that has no position (for example a required section missing entirely).
    #[error("{origin}: {message}")]
    PresetFile { origin: String, message: String },
    /// A preset name that is neither built in nor a file.
    #[error("unknown {kind} `{name}`{}", suggest(.suggestions, .list))]
    UnknownPreset {
        kind: &'static str,
        name: String,
        suggestions: Vec<String>,
        /// The command listing the built-in presets of this kind.
        list: &'static str,
    },
    /// A Hugging Face `config.json` that cannot be mapped to a preset.
    #[error("{path}: {message}")]
    Import { path: String, message: String },
    /// A file that cannot be written.
    #[error("cannot write `{path}`: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A file that cannot be read.
    #[error("cannot read `{path}`: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A partial preset asked for something it does not describe.
    #[error(
        "{model}: {what} needs the architecture, but the preset does not give {}; add them to a copy of the preset or pass them with --set",
        .missing.join(", ")
    )]
    Incomplete {
        model: String,
        what: &'static str,
        missing: Vec<String>,
    },
    /// A command-line argument with a value that is not allowed.
    #[error("{argument}: {message}")]
    Argument { argument: String, message: String },
    /// An input of a calculation with a value that is not allowed. The library names the input, not
    /// the flag that gave it: each front end says where the user gave it (the CLI maps it to a flag).
    #[error("{input}: {message}")]
    Invalid { input: Input, message: String },
    /// A result that came out as infinity or NaN: some input, though within its plausible range, is
    /// too large or too small beside the others for the arithmetic to hold.
    #[error(
        "the result `{figure}` is not a finite number: the inputs are too far apart in size to compute it; bring them nearer to real figures"
    )]
    NotFinite { figure: String },
    /// A model whose sizes multiply to more than llmcalc can count.
    #[error("{model}: the parameter count exceeds 1.8e19; check the sizes in the preset")]
    TooLarge { model: String },
}

/// The inputs of the calculations, as the library knows them. Errors name them; the CLI maps each to
/// the flag or argument that sets it, so no module below the CLI knows a flag's spelling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Input {
    Model,
    Gpu,
    Gpus,
    Precision,
    Tokens,
    Flops,
    Mfu,
    Duration,
    GpuHours,
    Budget,
    Price,
    Params,
    SeqLen,
    TargetLen,
    Attention,
    Throughput,
    GlobalBatchTokens,
    Tp,
    Pp,
    Dp,
    Cp,
    Ep,
    Zero,
    MicroBatch,
    Interleave,
    Replicate,
    RecomputeLayers,
    Top,
    Batch,
    PromptTokens,
    OutputTokens,
    Workload,
    Draft,
    Chart,
    Tolerance,
}

impl Input {
    /// What the input is, in words (for front ends other than the CLI, and for `Display`).
    pub fn describe(self) -> &'static str {
        match self {
            Input::Model => "model",
            Input::Gpu => "GPU",
            Input::Gpus => "GPU count",
            Input::Precision => "precision",
            Input::Tokens => "training tokens",
            Input::Flops => "training compute",
            Input::Mfu => "MFU",
            Input::Duration => "duration",
            Input::GpuHours => "GPU-hours",
            Input::Budget => "budget",
            Input::Price => "price",
            Input::Params => "parameters",
            Input::SeqLen => "sequence length",
            Input::TargetLen => "target length",
            Input::Attention => "attention counting",
            Input::Throughput => "throughput",
            Input::GlobalBatchTokens => "global batch",
            Input::Tp => "tensor-parallel ranks",
            Input::Pp => "pipeline stages",
            Input::Dp => "data-parallel replicas",
            Input::Cp => "context-parallel ranks",
            Input::Ep => "expert-parallel ranks",
            Input::Zero => "ZeRO stage",
            Input::MicroBatch => "micro-batch",
            Input::Interleave => "interleaved chunks",
            Input::Replicate => "hybrid-sharding replica groups",
            Input::RecomputeLayers => "recomputed layers per stage",
            Input::Top => "layouts to print",
            Input::Batch => "batch",
            Input::PromptTokens => "prompt tokens",
            Input::OutputTokens => "output tokens",
            Input::Workload => "workload",
            Input::Draft => "draft model",
            Input::Chart => "chart",
            Input::Tolerance => "tolerance",
        }
    }
}

impl fmt::Display for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

fn suggest(suggestions: &[String], list: &str) -> String {
    match suggestions {
        [] => format!("; `{list}` lists the presets, or give a path to a TOML file"),
        [one] => format!("; did you mean `{one}`?"),
        many => format!(
            "; did you mean one of {}?",
            many.iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn snippet(location: &Location) -> String {
    let number = location.line.to_string();
    let pad = " ".repeat(number.len());
    format!(
        "{pad} |\n{number} | {}\n{pad} | {}{}",
        location.text,
        " ".repeat(location.caret.saturating_sub(1)),
        "^".repeat(location.width.max(1))
    )
}

/// The result type of the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;
