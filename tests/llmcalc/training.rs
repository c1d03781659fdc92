//! Training economics through the binary, against the origin notes' figures and hand calculations.

use crate::{fails, json, palm_mfu, stdout};

/// Seconds per day.
const DAY: f64 = 86_400.0;

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs()
}

fn ends(v: &serde_json::Value) -> (f64, f64) {
    (v["low"].as_f64().unwrap(), v["high"].as_f64().unwrap())
}

/// `train --flops flops --gpu gpu` and `rest`.
fn train<'a>(flops: &'a str, gpu: &'a str, rest: &[&'a str]) -> Vec<&'a str> {
    [&["train", "--flops", flops, "--gpu", gpu][..], rest].concat()
}

#[test]
fn origin_example_a100_run() {
    // 2.15e25 FLOP on 25,000 A100 (312 TFLOP/s dense bf16) at 32–36% MFU, $1 per A100-hour.
    let r = json(&train(
        "2.15e25",
        "a100-40gb",
        &["--gpus", "25000", "--mfu", "0.32..0.36", "--price", "$1/h"],
    ));
    let (fast, slow) = ends(&r["wall_clock_seconds"]);
    assert!(close(
        fast / DAY,
        2.15e25 / (25_000.0 * 312e12 * 0.36) / DAY,
        1e-12
    ));
    assert!(close(
        slow / DAY,
        2.15e25 / (25_000.0 * 312e12 * 0.32) / DAY,
        1e-12
    ));
    // About 89 to 100 days, and $53M to $60M.
    assert!((88.5..89.0).contains(&(fast / DAY)) && (99.5..100.0).contains(&(slow / DAY)));
    let (cheap, dear) = ends(&r["cost_usd"]);
    assert!(close(cheap, 25_000.0 * fast / 3600.0, 1e-12));
    assert!((53e6..53.5e6).contains(&cheap) && (59.5e6..60e6).contains(&dear));
    assert_eq!(
        r["solved"],
        serde_json::json!(["duration", "gpu_time", "cost"])
    );
    for key in [
        "total_flops",
        "gpus",
        "mfu",
        "wall_clock_seconds",
        "gpu_hours",
        "cost_usd",
    ] {
        assert!(r[key].is_object(), "{key}");
    }
}

#[test]
fn sixty_three_million_needs_105_days() {
    // The origin notes' $63M at $1/A100-hour on 25,000 GPUs is 2,520 hours: 105 days, at 30.4% MFU.
    let run = train(
        "2.15e25",
        "a100-40gb",
        &["--gpus", "25000", "--budget", "$63M", "--price", "$1/h"],
    );
    let r = json(&run);
    let (days, _) = ends(&r["wall_clock_seconds"]);
    assert!(close(days / DAY, 63e6 / 25_000.0 / 24.0, 1e-12));
    let (mfu, _) = ends(&r["mfu"]);
    assert!(close(mfu, 2.15e25 / (63e6 * 3600.0 * 312e12), 1e-12));
    let text = stdout(&[&run[..], &["--explain"]].concat());
    assert!(text.contains("105 days"), "{text}");
    assert!(text.contains("cost = GPU-hours × price"), "{text}");
}

#[test]
fn h100_run_cost_and_implied_mfu_at_both_peaks() {
    // 8,192 H100 for 55 days at $2/h: 8,192 × 55 × 24 × $2 = $21,626,880.
    let args = train(
        "2.15e25",
        "h100",
        &["--gpus", "8192", "--days", "55", "--price", "$2/h"],
    );
    let bf16 = json(&args);
    assert!(close(
        ends(&bf16["cost_usd"]).0,
        8192.0 * 55.0 * 24.0 * 2.0,
        1e-12
    ));
    // Implied MFU against the dense bf16 peak (989.4 TFLOP/s) and the fp8 peak (1978.9 TFLOP/s).
    let seconds = 8192.0 * 55.0 * DAY;
    assert!(close(
        ends(&bf16["mfu"]).0,
        2.15e25 / (seconds * 989.4e12),
        1e-12
    ));
    let mut fp8_args = args.clone();
    fp8_args.extend(["--precision", "fp8"]);
    let fp8 = json(&fp8_args);
    assert!(close(
        ends(&fp8["mfu"]).0,
        2.15e25 / (seconds * 1978.9e12),
        1e-12
    ));
    assert_eq!(fp8["gpu"]["precision"], "fp8");
}

#[test]
fn llama_2_70b_gpu_hours_imply_mfu() {
    // Touvron et al. 2023, Table 2: 1,720,320 A100-80GB hours for 2T tokens (the preset's claims).
    let r = json(&["train", "llama-2-70b"]);
    let (mfu, _) = ends(&r["mfu"]);
    let (without, _) = ends(&r["mfu_without_attention"]);
    // Weights only: 6 × matmul weights × 2T over 1,720,320 h × 3600 s × 312 TFLOP/s ≈ 43%.
    let matmul: f64 = 80.0
        * (2.0 * 8192.0 * 8192.0 + 2.0 * 8192.0 * 1024.0 + 3.0 * 8192.0 * 28_672.0)
        + 32_000.0 * 8192.0;
    let gpu_seconds = 1_720_320.0 * 3600.0;
    assert!(close(
        without,
        6.0 * matmul * 2e12 / (gpu_seconds * 312e12),
        1e-9
    ));
    assert!((0.42..0.44).contains(&without), "{without}");
    // PaLM's definition adds 12·L·H·Q·T = 12 × 80 × 64 × 128 × 4096 per token.
    let attention = 12.0 * 80.0 * 64.0 * 128.0 * 4096.0;
    assert!(close(
        mfu,
        (6.0 * matmul + attention) * 2e12 / (gpu_seconds * 312e12),
        1e-9
    ));
    assert_eq!(
        r["from_claims"],
        serde_json::json!(["training_tokens", "gpu_hours"])
    );
}

#[test]
fn the_leaked_gpt_4_run_from_its_claims() {
    let r = json(&["train", "gpt-4"]);
    assert_eq!(r["gpu"]["id"], "a100-40gb");
    assert_eq!(
        r["from_claims"],
        serde_json::json!(["training_tokens", "price", "gpus", "mfu"])
    );
    assert_eq!(ends(&r["gpus"]), (25_000.0, 25_000.0));
    // Duration solved at both MFU ends, the compute being 13T tokens × the preset's FLOP per token.
    let per_token = r["training_flops_per_token"].as_f64().unwrap();
    let (fast, slow) = ends(&r["wall_clock_seconds"]);
    assert!(close(
        fast,
        13e12 * per_token / (25_000.0 * 312e12 * 0.36),
        1e-12
    ));
    assert!(close(
        slow,
        13e12 * per_token / (25_000.0 * 312e12 * 0.32),
        1e-12
    ));
}

#[test]
fn ranges_everywhere() {
    let r = json(&train(
        "1e24",
        "h100",
        &["--gpus", "1000..2000", "--mfu", "0.3..0.4"],
    ));
    let (fast, slow) = ends(&r["wall_clock_seconds"]);
    assert!(close(fast, 1e24 / (2000.0 * 989.4e12 * 0.4), 1e-12));
    assert!(close(slow, 1e24 / (1000.0 * 989.4e12 * 0.3), 1e-12));
}

#[test]
fn solving_for_gpus_and_for_mfu() {
    // 30 days at 40% MFU: GPUs = 1e25 / (30 days × 989.4 TFLOP/s × 0.4).
    let args = train("1e25", "h100", &["--days", "30", "--mfu", "0.4"]);
    let r = json(&args);
    assert!(close(
        ends(&r["gpus"]).0,
        1e25 / (30.0 * DAY * 989.4e12 * 0.4),
        1e-12
    ));
    assert_eq!(r["solved"][0], "gpus");
    let text = stdout(&args);
    assert!(
        text.contains("(solved)") || text.contains("solved"),
        "{text}"
    );
}

#[test]
fn impossible_answers_are_named() {
    let args = train("1e25", "h100", &["--gpus", "100", "--days", "1"]);
    let (text, _) = crate::cli::no_answer(&args);
    assert!(text.contains("impossible"), "{text}");
    assert!(text.contains("above 100%"), "{text}");
    let r = crate::cli::no_answer_json(&args);
    assert_eq!(r["impossible"].as_array().unwrap().len(), 1);
    // A script reads the code; the message is for people.
    assert_eq!(r["impossible"][0]["code"], "mfu_above_one");
    assert!(
        r["impossible"][0]["message"]
            .as_str()
            .unwrap()
            .contains("above 100%")
    );
    let r = crate::cli::no_answer_json(&train(
        "1e19",
        "h100",
        &["--gpu-hours", "10", "--days", "1"],
    ));
    assert_eq!(r["impossible"][0]["code"], "fewer_than_one_gpu");
}

#[test]
fn differences_from_the_claims_carry_codes() {
    // GPT-4's claimed run at 20,000 GPUs takes longer than the claimed 90–100 days; the compute the
    // run rests on is named after the differences.
    let r = json(&["train", "gpt-4", "--gpu", "a100-40gb", "--gpus", "20000"]);
    let codes: Vec<&str> = r["differs_from_claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["duration_differs", "compute_basis"]);
    let message = r["differs_from_claims"][0]["message"].as_str().unwrap();
    assert!(message.starts_with("solved days"), "{message}");
    // On another GPU the claimed run does not apply, and nothing is compared.
    let r = json(&[
        "train", "gpt-4", "--gpu", "h100", "--gpus", "20000", "--mfu", "0.4",
    ]);
    assert!(r["differs_from_claims"].as_array().unwrap().is_empty());
}

#[test]
fn too_little_given_says_what_is_needed() {
    let err = fails(&train("1e25", "h100", &["--gpus", "100"]));
    assert!(err.contains("give three of compute"), "{err}");
    let err = fails(&["train", "gpt-4", "--gpu", "h100"]);
    assert!(err.contains("not enough to solve the run"), "{err}");
    let err = fails(&train(
        "1e25",
        "h100",
        &["--gpus", "100", "--days", "10", "--mfu", "0.4"],
    ));
    assert!(err.contains("over-determined"), "{err}");
}

#[test]
fn bad_run_input() {
    let err = fails(&train("1e25", "h10", &["--gpus", "100", "--days", "10"]));
    assert!(err.contains("unknown GPU `h10`; did you mean"), "{err}");
    assert!(err.contains("`h100`"), "{err}");
    let err = fails(&train("1e25", "h100", &["--gpus", "80GiB", "--days", "10"]));
    assert!(
        err.contains("`80GiB` is an amount of memory, but this field takes a count"),
        "{err}"
    );
    let err = fails(&train("1e25", "h100", &["--mfu", "3d", "--days", "10"]));
    assert!(
        err.contains("`3d` is a time, but this field takes a fraction"),
        "{err}"
    );
    let err = fails(&train("1e25", "h100", &["--mfu", "34", "--days", "10"]));
    assert!(err.contains("write 0.34 or 34%"), "{err}");
    let err = fails(&train(
        "1e25",
        "a100-40gb",
        &["--precision", "fp8", "--mfu", "0.4", "--days", "3"],
    ));
    assert!(err.contains("has no fp8 peak"), "{err}");
}

#[test]
fn gpus_lists_dense_and_sparse_apart() {
    let list = json(&["gpus"]);
    let gpus = list["gpus"].as_array().unwrap();
    assert_eq!(
        gpus.len(),
        llmcalc::catalog::presets::names::<llmcalc::domain::hardware::Gpu>().count()
    );
    let h100 = gpus.iter().find(|g| g["id"] == "h100").unwrap();
    // NVIDIA Hopper whitepaper: 989.4 TFLOP/s dense bf16; the datasheet's 1,979 is 2:4 sparse.
    let bf16 = |list: &serde_json::Value| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|e| e[0] == "bf16")
            .unwrap()[1]
            .as_f64()
            .unwrap()
    };
    assert_eq!(bf16(&h100["peak_flops_per_second"]), 989.4e12);
    assert_eq!(bf16(&h100["sparse_peak_flops_per_second"]), 1979e12);
    assert_eq!(h100["memory_bytes"], 80.0 * 1024.0 * 1024.0 * 1024.0);
    let csv = stdout(&["gpus", "--format", "csv"]);
    assert!(csv.starts_with("id,bf16_flops_per_second,fp8_flops_per_second,memory_bytes,"));
}

#[test]
fn mfu_of_palm_matches_the_paper() {
    // Chowdhery et al. 2022, Table 3 and App. B: 238.3k tokens/s on 6,144 TPU v4 chips (275 TFLOP/s)
    // is 46.2% MFU, 45.7% without the attention term.
    let r = json(&palm_mfu(&["--tokens-per-second", "238.3k"]));
    assert!(close(r["mfu"].as_f64().unwrap(), 0.462, 0.005));
    assert!(close(
        r["mfu_without_attention"].as_f64().unwrap(),
        0.457,
        0.005
    ));
    // The same throughput per GPU, and as a step time of a 2048 × 2048-token batch.
    let per_gpu = json(&palm_mfu(&["--tokens-per-second-per-gpu", "38.79"]));
    assert!(close(per_gpu["mfu"].as_f64().unwrap(), 0.462, 0.005));
    let step = json(&palm_mfu(&[
        "--step-time",
        "17.6s",
        "--batch-tokens",
        "4194304",
    ]));
    assert!(close(
        step["tokens_per_second"].as_f64().unwrap(),
        4_194_304.0 / 17.6,
        1e-12
    ));
}

#[test]
fn mfu_above_100_percent_warns_and_names_the_peak() {
    let text = stdout(&[
        "mfu",
        "llama-2-7b",
        "--gpu",
        "a100-80gb",
        "--gpus",
        "1",
        "--tokens-per-second",
        "100k",
    ]);
    assert!(
        text.contains("warning: utilisation above 100% against the bf16 dense peak of 312 TFLOP/s"),
        "{text}"
    );
}

#[test]
fn compare_sorts_by_cost() {
    let r = json(&[
        "compare",
        "llama-2-70b",
        "--gpu",
        "h100,a100-80gb",
        "--days",
        "30",
        "--mfu",
        "0.4",
        "--price",
        "h100=$2/h",
        "--price",
        "a100-80gb=$1.5/h",
    ]);
    let rows = r["rows"].as_array().unwrap();
    let costs: Vec<f64> = rows.iter().map(|row| ends(&row["cost_usd"]).0).collect();
    assert!(costs.windows(2).all(|w| w[0] <= w[1]), "{costs:?}");
    // GPUs on H100: compute / (30 days × 989.4 TFLOP/s × 0.4), rounded up to whole GPUs.
    // Training FLOP per token at 4096 tokens: 3 × (2 × matmul weights + 4 × 80 × 4096 × 8192).
    let matmul: f64 = 80.0
        * (2.0 * 8192.0 * 8192.0 + 2.0 * 8192.0 * 1024.0 + 3.0 * 8192.0 * 28_672.0)
        + 32_000.0 * 8192.0;
    let flops_per_token = 3.0 * (2.0 * matmul + 4.0 * 80.0 * 4096.0 * 8192.0);
    let h100 = rows.iter().find(|row| row["gpu"] == "h100").unwrap();
    let needed = 2e12 * flops_per_token / (30.0 * DAY * 989.4e12 * 0.4);
    assert_eq!(ends(&h100["gpus"]).0, needed.ceil());
    assert!(h100["fits"].as_bool().unwrap());
    let err = fails(&["compare", "llama-2-70b", "--gpu", "h100"]);
    assert!(err.contains("give one of --days"), "{err}");
}

#[test]
fn derived_rates_do_not_widen_with_correlated_ranges() {
    // More tokens at a fixed MFU take proportionally longer: tokens/s stays one value.
    let r = json(&[
        "train",
        "llama-2-70b",
        "--tokens",
        "1T..2T",
        "--gpu",
        "h100",
        "--gpus",
        "1000",
        "--mfu",
        "0.4",
    ]);
    let (low, high) = ends(&r["tokens_per_second"]);
    assert!(close(low, high, 1e-12), "{low} {high}");
    let per_token = r["training_flops_per_token"].as_f64().unwrap();
    assert!(close(low, 1000.0 * 989.4e12 * 0.4 / per_token, 1e-12));
}

#[test]
fn a_budget_needs_a_price() {
    // Gaudi 3's preset has no price.
    let err = fails(&train(
        "1e20",
        "gaudi-3",
        &["--budget", "$1", "--mfu", "0.4"],
    ));
    assert!(err.contains("a budget needs a price"), "{err}");
}

#[test]
fn gpu_counts_are_whole() {
    let err = fails(&train("1e20", "h100", &["--gpus", "0.5", "--mfu", "0.4"]));
    assert!(err.contains("not a whole number of GPUs"), "{err}");
    let err = fails(&[
        "compare",
        "llama-2-7b",
        "--gpu",
        "h100",
        "--gpus",
        "100",
        "--price",
        "a100-80gb=$1/h",
    ]);
    assert!(
        err.contains("`a100-80gb` is not among the GPUs compared"),
        "{err}"
    );
}

#[test]
fn only_an_impossible_term_is_marked() {
    // 1e19 FLOP in 10 GPU-hours over 1 day: 0.417 GPUs is impossible, the MFU (28%) is not.
    let (text, _) = crate::cli::no_answer(&train(
        "1e19",
        "h100",
        &["--gpu-hours", "10", "--days", "1"],
    ));
    assert!(text.contains("below one GPU"), "{text}");
    assert!(text.contains("28.1%"), "{text}");
}

/// All four figures of a run, as a leak gives them, are checked against each other: 1e24 FLOP on 1,000
/// H100s (989.4 TFLOP/s dense bf16) for 30 days (2,592,000 s) is an MFU of
/// 1e24 / (1000 × 2,592,000 × 989.4e12) = 38.99%; 39% agrees, 40% agrees within 10% (2.5% apart), 60%
/// does not, and the error says so through the MFU.
#[test]
fn a_run_given_whole_is_checked_within_a_tolerance() {
    let run = |mfu: &'static str, tolerance: &'static str| {
        vec![
            "train",
            "--flops",
            "1e24",
            "--gpu",
            "h100",
            "--gpus",
            "1000",
            "--days",
            "30",
            "--mfu",
            mfu,
            "--tolerance",
            tolerance,
        ]
    };
    let r = json(&(run("0.39", "10%")));
    assert!(
        r["agreement"]["difference"].as_f64().unwrap() < 0.001,
        "{r}"
    );
    let r = json(&(run("0.40", "10%")));
    let difference = r["agreement"]["difference"].as_f64().unwrap();
    // 1e24 against 1000 × 2,592,000 × 989.4e12 × 0.40 = 1.0258e24: 2.52% apart.
    assert!(
        (difference - (1.0 - 1.0 / 1.02585)).abs() < 1e-3,
        "{difference}"
    );
    let err = fails(&(run("0.40", "1%")));
    assert!(err.starts_with("error: --mfu: over-determined"), "{err}");
    let err = fails(&(run("0.6", "10%")));
    assert!(
        err.contains("the MFU given is 60.0%, the others give 39.0%"),
        "{err}"
    );
}

/// `mfu --explain` shows each step with its numbers: PaLM 540B at 238.3k tokens/s on 6,144 TPU v4 is
/// 46.2% MFU (Chowdhery et al. 2022, Table 3).
#[test]
fn mfu_explains_its_steps() {
    let text = stdout(&palm_mfu(&["--tokens-per-second", "238.3k", "--explain"]));
    assert!(
        text.contains("tokens/s per GPU = tokens/s / GPUs = 238 k / 6,144 = 38.8"),
        "{text}"
    );
    assert!(
        text.contains("/ 275 TFLOP/s = 46.2% (Chowdhery et al. 2022, App. B"),
        "{text}"
    );
}

/// A duration so short that the run needs more GPUs than any layout is planned for is refused, naming
/// the duration, instead of searching layouts for 2.3e17 GPUs without end; with the MFU given, the
/// count is simply solved. Llama 2 7B's 2T tokens at about 46 GFLOP each (6N plus attention) are about
/// 9.2e22 FLOP; over 1 ns at 40% of 989.4 TFLOP/s that is about 2.3e17 GPUs.
#[test]
fn a_run_too_short_to_plan_is_refused_by_its_duration() {
    for command in ["train", "compare"] {
        let err = fails(&[command, "llama-2-7b", "--gpu", "h100", "--days", "1e-9s"]);
        assert!(
            err.starts_with("error: --days: in this time the run needs 2.329e17 GPUs"),
            "{err}"
        );
    }
    let r = json(&[
        "train",
        "llama-2-7b",
        "--gpu",
        "h100",
        "--days",
        "1e-9s",
        "--mfu",
        "0.4",
    ]);
    let gpus = r["gpus"]["low"].as_f64().unwrap();
    assert!((gpus / 2.329e17 - 1.0).abs() < 1e-3, "{gpus}");
    assert!(r["predicted_mfu"].is_null());
}
