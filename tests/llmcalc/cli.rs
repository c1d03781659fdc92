//! Every command through the real binary: JSON keys, CSV columns, overrides, user files.

use std::process::Stdio;

use clap::CommandFactory;
use llmcalc::cli::Cli;

use crate::{at_100_columns, binary, json, llmcalc, stdout, widest_table_line};

#[test]
fn models_lists_every_preset_once() {
    let list = json(&["models"]);
    let models = list["models"].as_array().unwrap();
    assert_eq!(
        models.len(),
        llmcalc::catalog::presets::model_names().count()
    );
    let names: Vec<&str> = models.iter().map(|m| m["id"].as_str().unwrap()).collect();
    let mut unique = names.clone();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "a preset is listed twice");
    for expected in [
        "gpt-4",
        "gpt-4.5",
        "llama-2-70b",
        "bert-base",
        "t5-11b",
        "switch-c",
        "mixtral-8x7b",
    ] {
        assert!(names.contains(&expected), "{expected} missing");
    }
    let gpt45 = models.iter().find(|m| m["id"] == "gpt-4.5").unwrap();
    assert_eq!(gpt45["kind"], "claims-only");
    assert_eq!(gpt45["total_params"], 8e12);
    let mixtral = models.iter().find(|m| m["id"] == "mixtral-8x7b").unwrap();
    assert_eq!(mixtral["total_params"], 46_702_792_704.0);
    assert_eq!(mixtral["active_params"], 12_879_925_248.0);
}

#[test]
fn models_csv_has_documented_columns() {
    let csv = stdout(&["models", "--format", "csv"]);
    assert_eq!(
        csv.lines().next().unwrap(),
        "id,name,kind,total_params,active_params,claimed,origin,source"
    );
    assert!(
        csv.lines()
            .any(|l| l.starts_with("llama-2-7b,Llama 2 7B,decoder-only,6738415616,"))
    );
}

#[test]
fn params_json_keys() {
    let p = json(&["params", "llama-2-70b"]);
    assert_eq!(p["total_params"], 68_976_648_192u64);
    assert_eq!(p["active_params"], 68_976_648_192u64);
    assert_eq!(p["model"]["id"], "llama-2-70b");
    assert_eq!(p["model"]["kind"], "decoder-only");
    let parts = p["parts"].as_array().unwrap();
    let sum: u64 = parts.iter().map(|x| x["total"].as_u64().unwrap()).sum();
    assert_eq!(sum, 68_976_648_192);
    assert_eq!(p["claims"][0]["claim"], "total_params");
}

#[test]
fn params_csv_rows_sum_to_the_total() {
    let csv = stdout(&["params", "mixtral-8x7b", "--format", "csv"]);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "part,stack,each,count,per,total,active"
    );
    let (total, active) = lines.fold((0u64, 0u64), |(t, a), line| {
        let cells: Vec<&str> = line.split(',').collect();
        (
            t + cells[5].parse::<u64>().unwrap(),
            a + cells[6].parse::<u64>().unwrap(),
        )
    });
    assert_eq!((total, active), (46_702_792_704, 12_879_925_248));
}

#[test]
fn flops_json_keys_in_flop() {
    let f = json(&["flops", "llama-2-7b", "--seq-len", "4096"]);
    let forward = f["forward_flops_per_token"].as_f64().unwrap();
    // 2 × 6,607,077,376 matmul weights + 4 × 32 layers × 4096 × 4096 (see published.rs).
    assert_eq!(
        forward,
        2.0 * 6_607_077_376.0 + 4.0 * 32.0 * 4096.0 * 4096.0
    );
    assert_eq!(
        f["training_flops_per_token"].as_f64().unwrap(),
        3.0 * forward
    );
    assert_eq!(
        f["backward_flops_per_token"].as_f64().unwrap(),
        2.0 * forward
    );
    assert_eq!(f["seq_len"], 4096);
    assert_eq!(f["masking"], "full");
    assert_eq!(f["recompute"], "none");
}

#[test]
fn flops_options_change_the_count() {
    let full = json(&["flops", "gpt-3", "--seq-len", "2048"]);
    let causal = json(&[
        "flops",
        "gpt-3",
        "--seq-len",
        "2048",
        "--attention",
        "causal",
    ]);
    let attention = full["attention_flops_per_token"].as_f64().unwrap();
    // GPT-3: 4 × 96 layers × 2048 × 12288 in full, half with the mask.
    assert_eq!(attention, 4.0 * 96.0 * 2048.0 * 12_288.0);
    assert_eq!(
        causal["attention_flops_per_token"].as_f64().unwrap(),
        attention / 2.0
    );
    let recompute = json(&["flops", "gpt-3", "--recompute", "full"]);
    assert_eq!(
        recompute["hardware_flops_per_token"].as_f64().unwrap(),
        4.0 * full["forward_flops_per_token"].as_f64().unwrap()
    );
}

#[test]
fn flops_csv_columns() {
    let csv = stdout(&["flops", "t5-base", "--format", "csv", "--target-len", "128"]);
    assert_eq!(
        csv.lines().next().unwrap(),
        "part,stack,per,per_layer_flop,layers,forward_flop,training_flop"
    );
    assert!(csv.contains("cross-attention K/V projections,decoder,input token,"));
}

#[test]
fn overrides_change_the_architecture() {
    // Llama 2 7B with 16 layers instead of 32: embeddings and final norm stay, half the layers go.
    let layer: u64 = 4 * 4096 * 4096 + 3 * 4096 * 11_008 + 2 * 4096;
    let p = json(&["params", "llama-2-7b", "--set", "decoder.layers=16"]);
    assert_eq!(p["total_params"], 2 * 32_000 * 4096 + 16 * layer + 4096);
    // Tying the embeddings removes the output head.
    let p = json(&[
        "params",
        "llama-2-7b",
        "--set",
        "architecture.tied_embeddings=true",
    ]);
    assert_eq!(p["total_params"], 32_000 * 4096 + 32 * layer + 4096);
}

#[test]
fn user_preset_files() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("user-preset-files");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("tiny.toml");
    std::fs::write(
        &path,
        r#"name = "Tiny"
source = "hand-written for a test"

[architecture]
vocab = 1000
d_model = 64
context = 128
positional = "rotary"
tied_embeddings = true
norm = "rmsnorm"
bias = false

[decoder]
layers = 2
heads = 4
kv_heads = 2
ffn = 256
mlp = "swiglu"
"#,
    )
    .unwrap();
    let p = json(&["params", path.to_str().unwrap()]);
    // Embedding 1000 × 64; per layer Q and O 64 × 64, K and V 64 × 32, MLP 3 × 64 × 256, two norms.
    let layer = 2 * 64 * 64 + 2 * 64 * 32 + 3 * 64 * 256 + 2 * 64;
    assert_eq!(p["total_params"], 1000 * 64 + 2 * layer + 64);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The names of the commands, from their definition.
fn commands() -> Vec<String> {
    let names: Vec<String> = Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    assert!(names.len() > 10, "{names:?}");
    names
}

#[test]
fn every_command_answers_help() {
    for command in commands() {
        for flag in ["--help", "-h"] {
            let help = stdout(&[&command, flag]);
            assert!(
                help.contains(&format!("Usage: llmcalc {command}")),
                "{command} {flag}: {help}"
            );
        }
    }
}

#[test]
fn every_command_has_an_example_in_its_help() {
    for command in commands() {
        let help = stdout(&[&command, "--help"]);
        let examples = help.split_once("Example").map(|(_, rest)| rest);
        assert!(
            examples.is_some_and(|e| e.contains(&format!("llmcalc {command}"))),
            "{command} --help has no example of itself"
        );
    }
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    // `llmcalc man | head -1`: the reading end is closed before llmcalc writes.
    let mut child = binary()
        .arg("man")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{:?}: {stderr}", output.status);
    assert!(stderr.is_empty(), "{stderr}");
}

#[cfg(target_os = "linux")]
#[test]
fn a_failed_write_is_an_error() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let output = binary().arg("models").stdout(full).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error: cannot write to standard output"),
        "{stderr}"
    );
}

#[test]
fn an_imported_model_is_loaded_once() {
    // BERT's config leaves the masked-LM head out, which llmcalc warns about; plan takes the
    // training tokens from the same model it lays out.
    let config = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/hf/bert-base-uncased.json"
    );
    for args in [
        &["plan", config, "--gpu", "h100", "--gpus", "8"][..],
        &["memory", config, "--gpu", "h100", "--gpus", "8"],
        &[
            "train", config, "--tokens", "1B", "--gpu", "h100", "--gpus", "8", "--mfu", "0.4",
        ],
        &["params", config],
    ] {
        let output = llmcalc().args(args).output().unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(output.status.success(), "{args:?}: {stderr}");
        let warnings: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("warning:"))
            .collect();
        assert!(!warnings.is_empty(), "{args:?}: {stderr}");
        let mut unique = warnings.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), warnings.len(), "{args:?}: {stderr}");
    }
}

#[test]
fn user_presets_are_listed_and_override_built_ins() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("user-presets");
    std::fs::create_dir_all(dir.join("models")).unwrap();
    std::fs::create_dir_all(dir.join("gpus")).unwrap();
    let tiny = include_str!("../fixtures/tiny.toml");
    std::fs::write(dir.join("models/my-model.toml"), tiny).unwrap();
    std::fs::write(dir.join("models/gpt-2.toml"), tiny).unwrap();
    // A negotiated H100 price.
    let h100 = include_str!("../../presets/gpus/h100.toml").replace("$6.88/h", "$1.85/h");
    std::fs::write(dir.join("gpus/h100.toml"), h100).unwrap();
    let presets = dir.to_str().unwrap();
    let list = json(&["models", "--presets", presets]);
    let origin = |id: &str| {
        list["models"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == id)
            .unwrap()["origin"]
            .clone()
    };
    assert_eq!(origin("my-model"), "user");
    assert_eq!(origin("gpt-2"), "user-overrides-built-in");
    assert_eq!(origin("gpt-3"), "built-in");
    // The user's gpt-2 is the tiny model now.
    let p = json(&["params", "gpt-2", "--presets", presets]);
    assert_eq!(p["model"]["name"], "Tiny");
    let gpus = json(&["gpus", "--presets", presets]);
    let h100 = gpus["gpus"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == "h100")
        .unwrap()
        .clone();
    assert_eq!(h100["origin"], "user-overrides-built-in");
    assert_eq!(h100["price_usd_per_gpu_hour"], 1.85);
    let text = stdout(&["gpus", "--presets", presets]);
    assert!(text.contains("h100 [user, overrides built-in]"), "{text}");
}

#[test]
fn completions_and_man_page() {
    assert!(stdout(&["completions", "bash"]).contains("_llmcalc()"));
    assert!(stdout(&["completions", "zsh"]).contains("#compdef llmcalc"));
    assert!(stdout(&["completions", "fish"]).contains("complete -c llmcalc"));
    let man = stdout(&["man"]);
    assert!(man.contains(".TH llmcalc 1"), "{man}");
    assert!(man.contains("train"), "{man}");
}

#[test]
fn markdown_output() {
    let md = stdout(&["params", "llama-2-7b", "--format", "markdown"]);
    assert!(md.contains("| part | stack | each |"), "{md}");
    assert!(md.contains("| token embedding | - | 131,072,000 |"), "{md}");
}

/// `memory` says how many sequences run: 500k tokens is 122 sequences of 4096, but 64 replicas of one
/// micro-batch of one sequence run 64 (122 / 64 = 1 micro-batch each, rounded down).
#[test]
fn memory_says_how_many_sequences_run() {
    let out = crate::stdout(&[
        "memory",
        "llama-2-7b",
        "--gpu",
        "h100",
        "--gpus",
        "64",
        "--global-batch-tokens",
        "500k",
        "--zero",
        "3",
        "--recompute",
        "full",
    ]);
    assert!(
        out.contains(
            "64 sequences of 4096 tokens per step, 1 micro-batch per replica (122 asked for"
        ),
        "{out}"
    );
}

/// Runs llmcalc with `args`, expects exit code 3 (the question has no answer) with the report on
/// standard output and the reason on standard error, and returns both.
pub fn no_answer(args: &[&str]) -> (String, String) {
    let output = llmcalc().args(args).output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(3), "llmcalc {args:?}: {stderr}");
    assert!(stderr.starts_with("no answer: "), "{stderr}");
    (String::from_utf8(output.stdout).unwrap(), stderr)
}

/// As [`no_answer`], the report as JSON.
pub fn no_answer_json(args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    serde_json::from_str(&no_answer(&all).0).unwrap()
}

/// Exit code 3 where no answer exists, for each command that can find that: no layout fits (`plan`),
/// the layout does not fit (`memory`), a solved term cannot be (`train`).
#[test]
fn no_answer_exits_3_with_the_report_and_the_reason() {
    let (out, why) = no_answer(&["memory", "llama-2-70b", "--gpu", "h100", "--gpus", "8"]);
    assert!(out.contains("does not fit"), "{out}");
    assert!(why.contains("the layout does not fit"), "{why}");
    let (_, why) = no_answer(&[
        "plan",
        "llama-2-70b",
        "--gpu",
        "h100",
        "--gpus",
        "1",
        "--global-batch-tokens",
        "8k",
    ]);
    assert!(why.contains("no layout of 1 GPU fits"), "{why}");
    let (out, why) = no_answer(&[
        "train", "--flops", "1e25", "--gpu", "h100", "--gpus", "10", "--days", "1",
    ]);
    assert!(out.contains("impossible"), "{out}");
    assert!(why.contains("the run cannot be"), "{why}");
    let (_, why) = no_answer(&["compare", "gpt-4", "--gpu", "rtx-4090", "--gpus", "8"]);
    assert!(why.contains("no GPU type can run this"), "{why}");
    // An answer that fits exits 0.
    stdout(&[
        "memory",
        "llama-2-7b",
        "--gpu",
        "h100",
        "--gpus",
        "8",
        "--zero",
        "3",
        "--recompute",
        "full",
    ]);
}

/// `memory` assumes FlashAttention-style kernels, as current frameworks run, which never store the
/// s × s attention scores. Llama 3.1 8B (d_model 4096, 8 KV heads of 128, gated MLP 14336) at s = 8192,
/// b = 1, from Korthikanti et al. 2022's tensors: 10sbh outside the attention and MLP blocks,
/// sb·(4·4096) for Q and the attention output input, sb·8·14336 for the gated MLP and sb·4·(8·128)
/// for K and V: sb × 176,128 = 1,442,840,576 bytes per layer, 32 layers = 43.0 GiB. Storing the
/// 5as²b scores would add 5 × 32 × 8192² bytes = 10 GiB per layer.
#[test]
fn memory_assumes_attention_scores_are_not_stored() {
    let r = crate::cli::no_answer_json(&["memory", "llama-3.1-8b", "--gpu", "h100", "--gpus", "1"]);
    let stage = &r["stages"][0];
    assert_eq!(
        stage["activations_per_layer"].as_f64().unwrap(),
        8192.0 * 176_128.0
    );
    assert_eq!(
        stage["activations"].as_f64().unwrap(),
        32.0 * 8192.0 * 176_128.0
    );
}

/// Every preset cites a public source or says it has none: no preset points at text only its authors
/// could read.
#[test]
fn preset_sources_are_public() {
    let models = json(&["models"]);
    for model in models["models"].as_array().unwrap() {
        let source = model["source"].as_str().unwrap();
        for private in ["origin notes", "issue 2", "llmcalc "] {
            assert!(!source.contains(private), "{}: {source}", model["id"]);
        }
    }
    let gpt_4o = &models["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "gpt-4o")
        .unwrap();
    assert!(
        gpt_4o["source"]
            .as_str()
            .unwrap()
            .contains("arXiv:2412.19260")
    );
    assert_eq!(gpt_4o["total_params"], 200e9);
}

/// The words of a shell command line: split on spaces, with '…' and "…" quoting.
pub fn shell_words(line: &str) -> Vec<String> {
    let (mut words, mut word, mut quote, mut started) = (Vec::new(), String::new(), None, false);
    for c in line.chars() {
        match (quote, c) {
            (None, '\'' | '"') => (quote, started) = (Some(c), true),
            (Some(q), c) if c == q => quote = None,
            (None, ' ') => {
                if started {
                    words.push(std::mem::take(&mut word));
                }
                started = false;
            }
            _ => (word, started) = (word + &c.to_string(), true),
        }
    }
    if started {
        words.push(word);
    }
    words
}

/// Every example in `--help` runs as a shell would run it — in a folder holding the files the examples
/// name — and answers: exit 0, or 3 where no answer exists. A `$` in an example is quoted, or the shell
/// would take it.
#[test]
fn every_help_example_runs() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("help-examples");
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for (folder, config) in [
        ("Llama-2-7b-hf", "llama-2-7b.json"),
        ("mixtral-8x7b", "mixtral-8x7b.json"),
    ] {
        std::fs::create_dir_all(dir.join(folder)).unwrap();
        std::fs::copy(
            fixtures.join("hf").join(config),
            dir.join(folder).join("config.json"),
        )
        .unwrap();
    }
    std::fs::copy(fixtures.join("tiny.toml"), dir.join("my-model.toml")).unwrap();
    std::fs::copy(fixtures.join("workloads/chat.csv"), dir.join("chat.csv")).unwrap();
    let mut examples = 0;
    for sub in Cli::command().get_subcommands() {
        let help = sub
            .get_after_help()
            .map(|h| h.to_string())
            .unwrap_or_default();
        for line in help
            .lines()
            .filter_map(|l| l.trim().strip_prefix("llmcalc "))
        {
            // What the shell does with the rest (`> file`, `&& man …`) is not llmcalc's.
            let command = line.split(['>', '&']).next().unwrap();
            for word in command.split_whitespace().filter(|w| w.contains('$')) {
                assert!(word.starts_with('\''), "`{line}`: quote `{word}`");
            }
            let args = shell_words(command);
            let output = binary().args(&args).current_dir(&dir).output().unwrap();
            let code = output.status.code();
            assert!(
                code == Some(0) || code == Some(3),
                "`llmcalc {line}` exited {code:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            let out = String::from_utf8_lossy(&output.stdout);
            assert!(
                !out.contains("impossible") && !out.contains("above 100%"),
                "`llmcalc {line}`:\n{out}"
            );
            examples += 1;
        }
    }
    assert!(examples > 30, "{examples}");
}

/// For scripts: a `--presets` folder that does not exist is an error (a negotiated price in it would
/// silently not apply), `import` refuses a format it cannot print, `train`'s CSV holds every headline
/// figure, and JSON numbers carry no last-bit noise ($14.24/h, not 14.240000000000002).
#[test]
fn scripts_get_what_they_ask_for_or_an_error() {
    let err = crate::fails(&["models", "--presets", "/nonexistent-llmcalc-folder"]);
    assert!(
        err.contains("--presets: `/nonexistent-llmcalc-folder` is not a folder"),
        "{err}"
    );
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/hf/gpt2.json");
    let err = crate::fails(&["import", config, "--format", "json"]);
    assert!(
        err.contains("import prints a preset, which is TOML"),
        "{err}"
    );
    let csv = stdout(&[
        "train", "--flops", "1e24", "--gpu", "h100", "--gpus", "1000", "--mfu", "0.4", "--format",
        "csv",
    ]);
    assert!(csv.starts_with("figure,low,high\n"), "{csv}");
    // 1e24 / (1000 × 989.4e12 × 0.4) s = 2,526,784 s, in hours 701.88.
    let wall = csv.lines().find(|l| l.starts_with("wall_clock,")).unwrap();
    let seconds: f64 = wall.split(',').nth(1).unwrap().parse().unwrap();
    assert!(
        (seconds - 1e24 / (1000.0 * 989.4e12 * 0.4)).abs() < 1e-3,
        "{wall}"
    );
    let part = "\ncompute_part: given (--flops),1000000000000000000000000,";
    assert!(csv.contains(part), "{csv}");
    let gpus = stdout(&["gpus", "--format", "json"]);
    assert!(
        gpus.contains("\"price_usd_per_gpu_hour\": 14.24,"),
        "{gpus}"
    );
}

/// Shell completion offers the preset names for MODEL and --gpu (fish completes options only).
#[test]
fn completions_offer_model_and_gpu_names() {
    for shell in ["bash", "zsh", "fish"] {
        let script = stdout(&["completions", shell]);
        let models = ["llama-2-7b", "mixtral-8x7b"];
        let names: &[&str] = if shell == "fish" { &[] } else { &models };
        for name in names.iter().chain(&["mi300x", "h100-sxm"]) {
            assert!(script.contains(name), "{shell}: {name}");
        }
    }
}

/// compare prices every GPU from its preset by default — GPT-4's claimed $1/h is not set beside list
/// prices — and says where each price comes from; `--price-basis` puts every GPU on one kind of price
/// and names the GPUs that have none of it.
#[test]
fn compare_says_where_each_price_comes_from() {
    let args = [
        "compare",
        "gpt-4",
        "--gpu",
        "a100-40gb,a100-80gb,h100",
        "--days",
        "90",
        "--mfu",
        "0.35",
        "--price",
        "h100=$2/h",
    ];
    let row = |r: &serde_json::Value, gpu: &str| {
        let rows = r["rows"].as_array().unwrap();
        rows.iter().find(|row| row["gpu"] == gpu).unwrap().clone()
    };
    let r = json(&args);
    // AWS p4d.24xlarge on demand: $21.957642/h for 8 A100-40GB, $2.74 each.
    let a100 = row(&r, "a100-40gb");
    assert_eq!(a100["price_source"], "preset");
    assert_eq!(a100["price_origin"]["kind"], "hyperscaler-on-demand");
    assert_eq!(a100["price_origin"]["date"], "2026");
    assert!(
        (a100["price_usd_per_gpu_hour"]["low"].as_f64().unwrap() - 21.957642 / 8.0).abs() < 0.005
    );
    assert_eq!(row(&r, "a100-80gb")["price_source"], "preset");
    assert_eq!(row(&r, "h100")["price_source"], "given");
    assert_eq!(row(&r, "h100")["price_origin"]["source"], "given");
    let text = stdout(&args);
    assert!(
        text.contains("the a100-40gb preset: hyperscaler-on-demand, 2026"),
        "{text}"
    );
    assert!(text.contains("$2.00/h from --price"), "{text}");

    // On the claim basis the claimed GPU takes GPT-4's $1/h; the others list no claim.
    let claim = [&args[..], &["--price-basis", "claim"]].concat();
    let r = json(&claim);
    assert_eq!(row(&r, "a100-40gb")["price_source"], "claims");
    assert_eq!(row(&r, "a100-40gb")["price_usd_per_gpu_hour"]["low"], 1.0);
    assert_eq!(r["price_basis"], "claim");
    let a100_80 = row(&r, "a100-80gb");
    assert!(a100_80["price_usd_per_gpu_hour"].is_null());
    assert_eq!(
        a100_80["no_price"],
        "the a100-80gb preset lists no claim price"
    );
    let text = stdout(&claim);
    assert!(
        text.contains("a100-80gb  no price: the a100-80gb preset lists no claim price; --price a100-80gb=$/h gives one"),
        "{text}"
    );
}

/// With no basis, prices of different kinds are set side by side only with a warning: the H800's
/// preset price is the $2/h DeepSeek-V3 assumed (a claim), the H100's an AWS list price.
#[test]
fn compare_warns_when_the_prices_are_of_different_kinds() {
    let args = [
        "compare",
        "gpt-4",
        "--gpu",
        "h100,h800",
        "--days",
        "90",
        "--mfu",
        "0.35",
    ];
    let text = stdout(&args);
    assert!(
        text.contains("the presets' prices are of different kinds (claim, hyperscaler-on-demand)"),
        "{text}"
    );
    assert!(text.contains("$2.00 claim?"), "{text}");
    let one = stdout(&[&args[..], &["--price-basis", "hyperscaler-on-demand"]].concat());
    assert!(!one.contains("different kinds"), "{one}");
    assert!(
        one.contains("the h800 preset lists no hyperscaler-on-demand price"),
        "{one}"
    );
}

/// train reproduces the claimed run at its claimed price by default, and takes the GPU preset's price
/// of the kind asked for otherwise, or says there is none.
#[test]
fn train_prices_on_the_basis_asked_for() {
    let r = json(&["train", "gpt-4"]);
    assert_eq!(r["price_origin"]["source"], "claims");
    assert_eq!(r["price_origin"]["kind"], "claim");
    assert_eq!(r["price_source"], "the gpt-4 preset's claims (claim)");
    // Lambda's on-demand 1x A100 40GB: $1.48/h (May 2026).
    let r = json(&["train", "gpt-4", "--price-basis", "neocloud-on-demand"]);
    assert_eq!(r["price_usd_per_gpu_hour"]["low"], 1.48);
    assert_eq!(
        r["price_source"],
        "the a100-40gb preset: neocloud-on-demand, 2026-05"
    );
    let r = json(&["train", "gpt-4", "--price-basis", "reserved"]);
    assert!(r["cost_usd"].is_null());
    assert_eq!(
        r["no_price"],
        "the a100-40gb preset lists no reserved price"
    );
    let text = stdout(&["train", "gpt-4", "--price-basis", "reserved"]);
    assert!(
        text.contains("no price: the a100-40gb preset lists no reserved price; give --price"),
        "{text}"
    );
}

/// plan and serve say where their price comes from, as compare and train do.
#[test]
fn plan_and_serve_say_where_the_price_comes_from() {
    let plan = [
        "plan",
        "llama-2-7b",
        "--gpu",
        "h100",
        "--gpus",
        "64",
        "--tokens",
        "2T",
    ];
    let r = json(&plan);
    assert_eq!(r["price_origin"]["kind"], "hyperscaler-on-demand");
    // AWS p5.48xlarge on demand: $55.04/h for 8 H100.
    assert_eq!(r["price_usd_per_gpu_hour"], 55.04 / 8.0);
    let text = stdout(&plan);
    assert!(
        text.contains("cost at $6.88/h per GPU, from the h100 preset: hyperscaler-on-demand, 2026"),
        "{text}"
    );
    let serve = [
        "serve",
        "llama-2-7b",
        "--gpu",
        "l4",
        "--gpus",
        "1",
        "--prompt-tokens",
        "1000",
        "--output-tokens",
        "100",
    ];
    assert_eq!(json(&serve)["price_origin"]["kind"], "neocloud-on-demand");
    let text = stdout(&serve);
    assert!(
        text.contains("from the l4 preset: neocloud-on-demand, 2026-05"),
        "{text}"
    );
}

/// Bytes as the reports print them.
fn shown_bytes(value: &serde_json::Value) -> String {
    use llmcalc::domain::units::{Information, format, unit::byte};
    format::bytes(Information::new::<byte>(value.as_f64().unwrap()))
}

/// `memory --explain` gives each part of the worst stage with the numbers of the result. Llama 2 70B on
/// TP 8 × PP 2 × DP 4 with ZeRO-1: the optimizer states are 12 bytes per parameter over the 4
/// data-parallel ranks, so 3 bytes for each of the first stage's parameters.
#[test]
fn memory_explains_each_part() {
    let args = crate::LLAMA_70B_LAYOUT;
    let result = json(&args);
    let first = &result["stages"][0];
    assert_eq!(first["optimizer"], first["params"].as_f64().unwrap() * 3.0);
    let text = stdout(&[&args[..], &["--explain"]].concat());
    assert!(text.contains("worst stage: the first stage"), "{text}");
    for (part, key) in [
        ("weights =", "weights"),
        ("gradients =", "gradients"),
        ("optimizer states =", "optimizer"),
        ("activations per layer =", "activations_per_layer"),
        ("activations =", "activations"),
        ("embedding activations =", "edge_activations"),
        ("reserve =", "reserve"),
        ("total =", "total"),
    ] {
        let line = text
            .lines()
            .find(|l| l.starts_with(part))
            .unwrap_or_else(|| panic!("{part} missing: {text}"));
        assert!(line.contains(&shown_bytes(&first[key])), "{line}");
    }
    assert!(text.contains("÷ 4 (DP × CP, ZeRO-1)"), "{text}");
    assert!(text.contains("min(2, 256) = 80.0"), "{text}");
    for source in [
        "Rajbhandari et al. 2020, §3.1",
        "Korthikanti et al. 2022, eq. 1–3",
        "Narayanan et al. 2021",
        "FlashAttention",
    ] {
        assert!(text.contains(source), "{source} missing: {text}");
    }
}

/// `plan --explain` gives each step-time part of the best layout with the numbers of the result, and
/// the parts add up to the step: Llama 2 7B on 64 H100.
#[test]
fn plan_explains_each_part() {
    use llmcalc::domain::units::{Time, format, unit::second};
    let args = [
        "plan",
        "llama-2-7b",
        "--gpu",
        "h100",
        "--gpus",
        "64",
        "--top",
        "2",
    ];
    let result = json(&args);
    let best = &result["layouts"][0];
    let text = stdout(&[&args[..], &["--explain"]].concat());
    let shown = |key: &str| format::time(Time::new::<second>(best["step"][key].as_f64().unwrap()));
    for (part, key, source) in [
        ("compute =", "compute", "Williams et al. 2009"),
        ("bubble =", "bubble", "Narayanan et al. 2021, §2.2"),
        ("TP =", "tensor_parallel", "Shoeybi et al. 2019"),
        ("CP =", "context_parallel", "Liu et al. 2023"),
        ("EP =", "expert_parallel", "Lepikhin et al. 2021"),
        ("DP =", "data_parallel", "Rajbhandari et al. 2020"),
        ("optimizer =", "optimizer", "HBM bandwidth"),
        ("step =", "total", "optimizer ="),
    ] {
        let line = text
            .lines()
            .find(|l| l.starts_with(part))
            .unwrap_or_else(|| panic!("{part} missing: {text}"));
        assert!(line.contains(&shown(key)), "{line}");
        assert!(line.contains(source), "{line}");
    }
    let sum: f64 = crate::STEP_PARTS
        .iter()
        .map(|k| best["step"][*k].as_f64().unwrap())
        .sum();
    assert!((sum / best["step"]["total"].as_f64().unwrap() - 1.0).abs() < 1e-9);
    assert!(
        text.contains(&format::percent(best["mfu"].as_f64().unwrap())),
        "{text}"
    );
}

/// Every command's tables fit a terminal 100 characters wide (columns people can do without leave
/// first, then the widest wrap), unless `--wide`; `serve` is checked with its own tests.
#[test]
fn every_table_fits_a_100_column_terminal() {
    let commands: [&[&str]; 14] = [
        &["models"],
        &["gpus"],
        &["params", "gpt-4"],
        &["flops", "t5-11b", "--seq-len", "512", "--target-len", "114"],
        &["train", "gpt-4", "--explain"],
        &[
            "mfu",
            "llama-2-70b",
            "--gpu",
            "a100-80gb",
            "--gpus",
            "2048",
            "--tokens-per-second",
            "400k",
        ],
        &[
            "compare",
            "llama-3.1-70b",
            "--tokens",
            "15T",
            "--gpu",
            "h100,h200,b200,mi300x,a100-80gb",
            "--days",
            "90",
        ],
        &[
            "memory",
            "llama-2-70b",
            "--gpu",
            "h100",
            "--gpus",
            "64",
            "--tp",
            "8",
            "--pp",
            "2",
        ],
        &[
            "plan",
            "gpt-4",
            "--gpu",
            "a100-40gb",
            "--gpus",
            "25000",
            "--top",
            "5",
        ],
        &["image-tokens", "1024x1024"],
        &["chinchilla", "llama-2-70b"],
        &["chinchilla", "--budget", "2.15e25"],
        &["audit", "gpt-4"],
        &["import", "tests/fixtures/hf/mixtral-8x7b.json"],
    ];
    let mut wider = 0;
    for args in commands {
        let text = at_100_columns(args, false);
        assert!(
            widest_table_line(&text) <= 100,
            "{args:?}: {} wide\n{text}",
            widest_table_line(&text)
        );
        wider += usize::from(widest_table_line(&at_100_columns(args, true)) > 100);
    }
    // Without the limit, some tables are wider: the limit is what made them fit.
    assert!(wider >= 5, "{wider}");
}

/// The formulas block of an `--explain` report: the lines after `Formulas`.
fn formulas(args: &[&str]) -> Vec<String> {
    let text = stdout(&[args, &["--explain"]].concat());
    let block = text
        .split_once("\nFormulas\n")
        .unwrap_or_else(|| panic!("no Formulas block: {text}"))
        .1;
    block.lines().map(str::to_string).collect()
}

/// The line starting with `start`, which must hold every one of `parts`.
fn line_with(lines: &[String], start: &str, parts: &[&str]) {
    let line = lines
        .iter()
        .find(|l| l.starts_with(start))
        .unwrap_or_else(|| panic!("{start} missing: {lines:#?}"));
    for part in parts {
        assert!(line.contains(part), "{part} missing: {line}");
    }
}

/// `params --explain`: Mixtral 8x7B's attention per layer is d·(h·d_h) + 2·d·(h_kv·d_h) + (h·d_h)·d =
/// 4096·4096 + 2·4096·(8·128) + 4096·4096 = 41,943,040 (Jiang et al. 2024, Table 1: d 4096, 32
/// heads, 8 KV heads of 128), over 32 layers; its router is 4096 × 8 = 32,768 per layer.
#[test]
fn params_explains_each_part() {
    let attention = 4096 * 4096 + 2 * 4096 * (8 * 128) + 4096 * 4096;
    assert_eq!(attention, 41_943_040);
    let lines = formulas(&["params", "mixtral-8x7b"]);
    line_with(
        &lines,
        "self-attention (decoder) = d·(h·d_h) + 2·d·(h_kv·d_h)",
        &[
            "41,943,040 per layer × 32 = 1,342,177,280",
            "Ainslie et al. 2023",
        ],
    );
    line_with(
        &lines,
        "router (decoder)",
        &["32,768 per layer × 32", "Fedus et al. 2021"],
    );
    line_with(&lines, "non-embedding = ", &["Kaplan et al. 2020, §2.1"]);
}

/// `flops --explain`: the parts, then backward = 2 × forward and the 6N rule, each with its source;
/// the numbers are those of the JSON.
#[test]
fn flops_explains_each_part() {
    use llmcalc::domain::units::{Compute, format, unit::flop};
    let args = ["flops", "llama-2-7b"];
    let r = json(&args);
    let shown = |key: &str| format::compute(Compute::new::<flop>(r[key].as_f64().unwrap()));
    let lines = formulas(&args);
    line_with(
        &lines,
        "attention scores (QKᵀ) (decoder) = 2 × context × d_attn",
        &["× 32 layers", "Chowdhery et al. 2022, App. B"],
    );
    line_with(
        &lines,
        "forward = ",
        &[
            &format!(
                "backward = 2 × forward = {}",
                shown("backward_flops_per_token")
            ),
            &format!("forward + backward = {}", shown("training_flops_per_token")),
            "Kaplan et al. 2020, §2.1",
        ],
    );
    line_with(
        &lines,
        "6N = 6 × active non-embedding parameters",
        &[&shown("six_n_flops_per_token")],
    );
}

/// `chinchilla --explain`: Chinchilla's approach-3 fit as printed in Hoffmann et al. 2022, eq. 10
/// (E 1.69, A 406.4, B 410.7, α 0.34, β 0.28), whose optimum grows as (C/6)^(β/(α+β)) =
/// (C/6)^(0.28/0.62) = (C/6)^0.4516.
#[test]
fn chinchilla_explains_each_fit() {
    let lines = formulas(&["chinchilla", "--budget", "5.76e23"]);
    line_with(
        &lines,
        "Chinchilla, approach 3: L = 1.69 + 406.4/N^0.34 + 410.7/D^0.28",
        &["(C/6)^0.4516", "5.76e23 FLOP", "eq. 2 and 4"],
    );
    line_with(
        &lines,
        "20 tokens per parameter: N = √(C/120)",
        &["Table 3"],
    );
}

/// `audit --explain` says how each claim is computed, with its source; `compare --explain` gives each
/// GPU's relations with the price's origin; `image-tokens --explain` works OpenAI's documented 1024 ×
/// 1024 example: 4 tiles, 85 + 170 × 4 = 765 tokens.
#[test]
fn audit_compare_and_image_tokens_explain() {
    let lines = formulas(&["audit", "gpt-4"]);
    line_with(
        &lines,
        "training_flops = 6 × active params × claimed tokens",
        &["published 2.15e25 FLOP", "Kaplan et al. 2020, §2.1"],
    );
    line_with(&lines, "verdict: consistent when", &["10.0%"]);
    let lines = formulas(&[
        "compare",
        "llama-2-70b",
        "--gpu",
        "h100,a100-80gb",
        "--gpus",
        "2048",
        "--mfu",
        "0.4",
        "--price",
        "h100=$2.49/h",
    ]);
    line_with(
        &lines,
        "h100: compute = GPUs × wall-clock × peak × MFU",
        &["2.05 k", "989 TFLOP/s", "40.0%", "Chowdhery et al. 2022"],
    );
    line_with(
        &lines,
        "h100: cost = GPU-hours × price",
        &["$2.49/h", "from --price"],
    );
    line_with(
        &lines,
        "a100-80gb: cost = GPU-hours × price",
        &["the a100-80gb preset: hyperscaler-on-demand, 2026"],
    );
    line_with(
        &lines,
        "training state = params × 16 bytes",
        &["Rajbhandari et al. 2020"],
    );
    let lines = formulas(&["image-tokens", "1024x1024"]);
    line_with(&lines, "tiles = ", &["= 2 × 2"]);
    line_with(
        &lines,
        "tokens = 85 + 170 × tiles = 85 + 170 × 4 = 765",
        &[],
    );
}
