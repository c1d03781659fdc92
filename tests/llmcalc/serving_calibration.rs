//! Continuous batching against published maximum serving throughputs.
//!
//! `tests/fixtures/serving-calibration.toml` is a copy of TensorRT-LLM's performance overview
//! (NVIDIA/TensorRT-LLM, docs/source/performance/perf-overview.md, commit 00f37686): total output
//! tokens per second of offline maximum-throughput runs, fixed input and output lengths, FP8 or NVFP4
//! weights. Every row llmcalc can express — a model with a preset, a context within the preset's — is
//! recomputed here with `--engine trtllm` at the fraction most runs used (0.95), an fp8 KV cache, and
//! the most sequences that fit. MoE runs used attention data parallelism (the source's MoE
//! `llm_options.yml` sets `enable_attention_dp`), one attention group per GPU; their `$ep_size` is
//! not stated, so TensorRT-LLM's default applies: with neither `moe_tp_size` nor `moe_ep_size` given,
//! the experts split by tensor parallelism, EP 1 (`Mapping.__init__`, tensorrt_llm/mapping.py). The
//! free constants of the serving model, the host's cost of an eager (mixed) step (`STEP_OVERHEAD`,
//! 4 ms) and per decoding sequence (`SEQUENCE_OVERHEAD`, 12.5 µs), were chosen on these rows only, by
//! a grid minimising the mean absolute log error, with the HBM at 0.8 of its datasheet bandwidth
//! (`--bandwidth-efficiency`'s default): 0.1844 at 4 ms and 12.5 µs; 0.1848 at 15 µs, 0.1850
//! at 2 ms and 15 µs, 0.1856 at 6 ms and 15 µs. The fit alone hardly tells 0.75 of the bandwidth from
//! 0.8 (0.1841 and 0.1844) and is worse at 0.85 (0.1866 at best) and 0.9 (0.1909); at the full
//! bandwidth, 10 ms and 20 µs gave 0.1949 (mean |error| 19.6%, worst 72%). The cost per graph-replayed
//! kernel (3.7 µs) and the one-shot
//! all-reduce (5.9 µs) are cited, not fitted: fitted here the kernel cost climbs past 20 µs, taking up
//! what large steps lose elsewhere rather than a launch cost. Before decode-only steps were replayed as
//! CUDA graphs, a fixed 5 ms a step gave a mean |error| of 23.4% and a worst of 255%.
//!
//! `cargo test serving_calibration -- --nocapture` prints the table of the README.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::{binary, json};

#[derive(Deserialize)]
struct File {
    run: Vec<Run>,
}

#[derive(Deserialize)]
struct Run {
    model: String,
    gpu: String,
    gpus: u64,
    tp: u64,
    weights: String,
    input_tokens: u64,
    output_tokens: u64,
    output_tokens_per_second: f64,
}

/// The preset of a published model; Llama 3.3 70B has Llama 3.1 70B's architecture.
fn preset(model: &str) -> &'static str {
    match model {
        "Llama 3.1 8B" => "llama-3.1-8b",
        "Llama 3.3 70B" => "llama-3.1-70b",
        "Llama 3.1 405B" => "llama-3.1-405b",
        "Llama 4 Scout" => "llama-4-scout",
        "Llama 4 Maverick" => "llama-4-maverick",
        "Qwen3-30B-A3B" => "qwen3-30b-a3b",
        "Qwen3-235B-A22B" => "qwen3-235b-a22b",
        other => panic!("no preset for {other}"),
    }
}

/// Whether the published model routes its tokens among experts.
fn is_moe(model: &str) -> bool {
    model.starts_with("Llama 4") || model.starts_with("Qwen3")
}

/// The row's predicted output tokens per second of all its GPUs, or none when its context exceeds
/// the preset's.
fn predict(run: &Run) -> Option<f64> {
    let numbers = [run.gpus, run.tp, run.input_tokens, run.output_tokens].map(|n| n.to_string());
    let [gpus, tp, input, output] = numbers.each_ref().map(String::as_str);
    let args = [
        "serve",
        preset(&run.model),
        "--gpu",
        &run.gpu,
        "--gpus",
        gpus,
        "--tp",
        tp,
        "--batch",
        "1",
        "--prompt-tokens",
        input,
        "--output-tokens",
        output,
        "--weights",
        &run.weights,
        "--kv",
        "fp8",
        "--engine",
        "trtllm",
        "--memory-fraction",
        "0.95",
    ];
    // MoE runs: attention data parallelism over every GPU, the experts at TensorRT-LLM's default EP 1.
    let moe = ["--ep", "1", "--attention-dp", tp];
    let moe = if is_moe(&run.model) { &moe[..] } else { &[] };
    let args: Vec<&str> = args.iter().chain(moe).copied().collect();
    let probe = binary().args(&args).output().unwrap();
    if !probe.status.success() {
        let err = String::from_utf8_lossy(&probe.stderr);
        assert!(err.contains("exceed"), "{}: {err}", run.model);
        return None;
    }
    let r = json(&args);
    Some(
        r["continuous_batching"]["output_tokens_per_second"]
            .as_f64()
            .unwrap()
            * (run.gpus / run.tp) as f64,
    )
}

#[test]
fn continuous_batching_against_tensorrt_llm() {
    let text = include_str!("../fixtures/serving-calibration.toml");
    let file: File = toml::from_str(text).unwrap();
    let mut by_pair: BTreeMap<(String, String), Vec<f64>> = BTreeMap::new();
    let mut errors = Vec::new();
    for run in &file.run {
        let Some(predicted) = predict(run) else {
            continue;
        };
        let error = predicted / run.output_tokens_per_second - 1.0;
        errors.push(error);
        by_pair
            .entry((run.model.clone(), run.gpu.clone()))
            .or_default()
            .push(error);
    }
    println!("| model | GPU | rows | mean error | range |\n|---|---|---:|---:|---|");
    for ((model, gpu), e) in &by_pair {
        let mean = e.iter().sum::<f64>() / e.len() as f64;
        let (low, high) = e
            .iter()
            .fold((f64::MAX, f64::MIN), |(l, h), &x| (l.min(x), h.max(x)));
        println!(
            "| {model} | {gpu} | {} | {:+.0}% | {:+.0}% to {:+.0}% |",
            e.len(),
            mean * 100.0,
            low * 100.0,
            high * 100.0
        );
    }
    let n = errors.len() as f64;
    let mean_abs = errors.iter().map(|e| e.abs()).sum::<f64>() / n;
    let worst = errors.iter().fold(0.0f64, |w, e| w.max(e.abs()));
    let bias = errors.iter().sum::<f64>() / n;
    let log_error = errors.iter().map(|e| (1.0 + e).ln().abs()).sum::<f64>() / n;
    println!(
        "{} of {} rows: mean |error| {:.1}%, mean {:+.1}%, worst {:.0}%, mean |log error| {:.4}",
        errors.len(),
        file.run.len(),
        mean_abs * 100.0,
        bias * 100.0,
        worst * 100.0,
        log_error
    );
    // Rows beyond a preset's context (20,000-token prompts; Qwen3's 4096) are left out.
    assert_eq!(errors.len(), 181);
    assert!(mean_abs < 0.184, "mean |error| {mean_abs}");
    assert!(bias.abs() < 0.01, "mean error {bias}");
    assert!(worst < 0.61, "worst error {worst}");
}

/// Out of sample (never used to fit): the decode speed one user sees on an HGX H200 (8 H200s on
/// NVLink Switch) with TensorRT-LLM, FP8 weights, one sequence at a time. NVIDIA, "Low Latency
/// Inference Chapter 1: Up to 1.9x Higher Llama 3.1 Performance with Medusa on NVIDIA HGX H200 with
/// NVLink Switch" (NVIDIA technical blog, September 2024): with Medusa, 268 tokens/s per user for
/// Llama 3.1 70B and 108 for Llama 3.1 405B, 1.5× and 1.9× the speed without it, that is about
/// 268/1.5 = 179 and 108/1.9 = 57 tokens/s per user without speculation, at tensor parallelism 8.
/// The blog does not give its sequence lengths; 1000 + 1000 tokens are taken (the KV cache read is
/// small beside the weights at this context).
#[test]
fn one_user_decodes_as_fast_as_published() {
    for (model, published) in [
        ("llama-3.1-70b", 268.0 / 1.5),
        ("llama-3.1-405b", 108.0 / 1.9),
    ] {
        let r = json(&[
            "serve",
            model,
            "--gpu",
            "h200",
            "--gpus",
            "8",
            "--tp",
            "8",
            "--prompt-tokens",
            "1000",
            "--output-tokens",
            "1000",
            "--weights",
            "fp8",
            "--kv",
            "fp8",
            "--concurrency",
            "1",
        ]);
        let per_user = r["continuous_batching"]["tokens_per_second_per_user"]
            .as_f64()
            .unwrap();
        let error = per_user / published - 1.0;
        println!(
            "{model}: {per_user:.0} tokens/s per user, published {published:.0}, {:+.0}%",
            error * 100.0
        );
        // Even at 0.8 of the datasheet HBM bandwidth the model is faster than measured (+23% and
        // +4%; +36% and +23% at the full bandwidth), by less than 25%.
        assert!(
            (0.0..0.25).contains(&error),
            "{model}: {per_user} vs {published}"
        );
    }
}
