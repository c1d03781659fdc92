//! One test target, so the suite compiles once: published figures checked through the library, and
//! the `llmcalc` binary driven as a user would.

mod calibration;
mod charts;
mod cli;
mod errors;
mod fuzz;
mod gpus;
mod import;
mod modern;
mod parallelism;
mod prediction;
mod published;
mod readme;
mod scaling;
mod serving;
mod serving_calibration;
mod snapshots;
mod training;

use assert_cmd::Command;

/// The `llmcalc` binary, with colour and terminal width out of the picture.
pub fn llmcalc() -> Command {
    Command::from_std(binary())
}

/// The `llmcalc` binary as a plain process, for tests that wire its standard output themselves.
pub fn binary() -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("llmcalc"));
    cmd.env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .env("LLMCALC_PRESETS", no_user_presets());
    cmd
}

/// No user presets from the machine running the tests: an empty folder.
fn no_user_presets() -> std::path::PathBuf {
    let empty = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("no-user-presets");
    std::fs::create_dir_all(&empty).unwrap();
    empty
}

/// Runs llmcalc in the test process with `args` (and `--wide` when `wide`) as on a terminal 100
/// characters wide, without user presets, and returns its text.
pub fn at_100_columns(args: &[&str], wide: bool) -> String {
    use clap::Parser;
    let empty = no_user_presets();
    let mut all = vec!["llmcalc", "--presets", empty.to_str().unwrap()];
    all.extend(args);
    if wide {
        all.push("--wide");
    }
    let cli = llmcalc::cli::Cli::try_parse_from(&all).unwrap();
    cli.run_at(Some(100)).unwrap().text
}

/// The widest line of the tables in `text`, in characters: the lines drawn with box corners and
/// borders.
pub fn widest_table_line(text: &str) -> usize {
    text.lines()
        .filter(|l| l.starts_with(['┌', '│', '├', '└']))
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0)
}

/// Runs llmcalc with `args`, expects success, and returns standard output.
pub fn stdout(args: &[&str]) -> String {
    let output = llmcalc().args(args).output().unwrap();
    assert!(
        output.status.success(),
        "llmcalc {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Runs llmcalc with `args` and returns its JSON output.
pub fn json(args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    serde_json::from_str(&stdout(&all)).unwrap()
}

/// Runs llmcalc with `args` in JSON where the answer may be "no answer" (exit code 3, as when a layout
/// does not fit), and returns the JSON it printed.
pub fn answer_json(args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let output = llmcalc().args(&all).output().unwrap();
    let code = output.status.code();
    assert!(
        code == Some(0) || code == Some(3),
        "llmcalc {all:?}: {code:?}"
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Runs llmcalc with `args`, expects exit code 2 and nothing on standard output, and returns stderr.
pub fn fails(args: &[&str]) -> String {
    let output = llmcalc().args(args).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "llmcalc {args:?}");
    assert!(output.stdout.is_empty(), "llmcalc {args:?} wrote to stdout");
    String::from_utf8(output.stderr).unwrap()
}

/// The parts of a step's time in `plan`'s JSON, which add up to `total`.
pub const STEP_PARTS: [&str; 7] = [
    "compute",
    "bubble",
    "tensor_parallel",
    "context_parallel",
    "expert_parallel",
    "data_parallel",
    "optimizer",
];

/// `memory` of Llama 2 70B on 64 A100-80GB: TP 8 × PP 2, ZeRO-1, sequence parallelism and selective
/// recompute.
pub const LLAMA_70B_LAYOUT: [&str; 15] = [
    "memory",
    "llama-2-70b",
    "--gpu",
    "a100-80gb",
    "--gpus",
    "64",
    "--tp",
    "8",
    "--pp",
    "2",
    "--zero",
    "1",
    "--sp",
    "--recompute",
    "selective",
];

/// `mfu` of PaLM 540B on 6,144 TPU v4 chips at 2048-token sequences (Chowdhery et al. 2022), with
/// `throughput` flags saying how fast it trained.
pub fn palm_mfu<'a>(throughput: &[&'a str]) -> Vec<&'a str> {
    let on = ["mfu", "palm-540b", "--gpu", "tpu-v4", "--gpus", "6144"];
    [&on[..], throughput, &["--seq-len", "2048"]].concat()
}

/// `serve model` with `flags`, then each of these defaults whose flag `flags` does not give: one
/// sequence of 2000 prompt and 500 output tokens on 8 H100s.
pub fn serve_args<'a>(model: &'a str, flags: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["serve", model];
    args.extend(flags);
    for (flag, value) in [
        ("--gpu", "h100"),
        ("--gpus", "8"),
        ("--batch", "1"),
        ("--prompt-tokens", "2000"),
        ("--output-tokens", "500"),
    ] {
        if !flags.contains(&flag) {
            args.extend([flag, value]);
        }
    }
    args
}

/// Speculative decoding with `model` as the draft: 80% of its tokens accepted, 4 drafted a step.
pub fn draft(model: &str) -> [&str; 6] {
    ["--draft", model, "--acceptance", "0.8", "--lookahead", "4"]
}
