//! Memory per GPU and the layout search through the binary, against hand calculations from the ZeRO and
//! Korthikanti et al. formulas.

use crate::{LLAMA_70B_LAYOUT, fails, json};

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs()
}

#[test]
fn llama_2_70b_on_64_gpus_by_hand() {
    let r = json(&LLAMA_70B_LAYOUT);
    let first = &r["stages"][0];
    // Per layer on one of 8 tensor-parallel ranks: Q and O (2 × 8192²) and the MLP (3 × 8192 × 28672)
    // split eight ways, the 8 key/value heads one per rank (2 × 8192 × 1024 / 8), norms whole (2 × 8192).
    let layer = (2.0 * 8192.0 * 8192.0 + 3.0 * 8192.0 * 28_672.0) / 8.0
        + 2.0 * 8192.0 * 1024.0 / 8.0
        + 2.0 * 8192.0;
    // The first of two stages: 40 layers and the embedding, split over the vocabulary.
    let params = 40.0 * layer + 32_000.0 * 8192.0 / 8.0;
    assert!(close(first["params"].as_f64().unwrap(), params, 1e-12));
    assert!(close(
        first["weights"].as_f64().unwrap(),
        2.0 * params,
        1e-12
    ));
    assert!(close(
        first["gradients"].as_f64().unwrap(),
        2.0 * params,
        1e-12
    ));
    // ZeRO-1 shards the 12 bytes of Adam state over DP = 64 / (8 × 2) = 4.
    assert!(close(
        first["optimizer"].as_f64().unwrap(),
        12.0 * params / 4.0,
        1e-12
    ));
    // Activations per layer, SP and selective recompute: sb(10h + 4q + 4kv + 8f)/t with q = 8192,
    // kv = 1024, f = 28672 (gated), s = 4096, b = 1, t = 8; 1024 sequences over 4 replicas are 256
    // micro-batches, so the first stage holds 2 in flight: 80 layers' worth.
    let per_layer = 4096.0 * (10.0 * 8192.0 + 4.0 * 8192.0 + 4.0 * 1024.0 + 8.0 * 28_672.0) / 8.0;
    assert!(close(
        first["activations_per_layer"].as_f64().unwrap(),
        per_layer,
        1e-12
    ));
    assert!(close(
        first["activations"].as_f64().unwrap(),
        80.0 * per_layer,
        1e-12
    ));
    assert_eq!(r["fits"], true);
    assert!(r["per_gpu_bytes"].as_f64().unwrap() < 80.0 * GIB);
}

#[test]
fn gpt_4_origin_layout_is_evaluated_and_does_not_fit_an_a100_40gb() {
    // The origin notes' layout: 8-way TP × 15-way PP with ZeRO-1, 60M-token batches of 8192 tokens.
    // 25,000 GPUs are not a multiple of 8 × 15 = 120: 24,960 are (DP 208).
    let args = [
        "memory",
        "gpt-4",
        "--gpu",
        "a100-40gb",
        "--gpus",
        "24960",
        "--tp",
        "8",
        "--pp",
        "15",
        "--zero",
        "1",
        "--global-batch-tokens",
        "60M",
        "--sp",
        "--recompute",
        "full",
    ];
    let r = crate::cli::no_answer_json(&args);
    assert_eq!(r["layout"]["dp"], 208);
    assert_eq!(r["fits"], false);
    // Weights and gradients alone: 2 + 2 bytes × (1.8T / 120) ≈ 61 GB, above 40 GiB.
    let first = &r["stages"][0];
    let states = first["weights"].as_f64().unwrap() + first["gradients"].as_f64().unwrap();
    assert!(states > 40.0 * GIB, "{states}");
    let (text, _) = crate::cli::no_answer(&args);
    assert!(text.contains("does not fit: needs"), "{text}");
    assert!(text.contains("the largest part is weights"), "{text}");
    // ZeRO-3 shards the weights too, and then it fits.
    let mut zero3 = args.to_vec();
    zero3[11] = "3";
    assert_eq!(json(&zero3)["fits"], true);
}

#[test]
fn invalid_layouts_name_the_constraint() {
    // `memory llama-2-70b` on its 64 A100-80GB, without the layout's flags.
    let base = &LLAMA_70B_LAYOUT[..6];
    let with = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.extend(extra);
        fails(&args)
    };
    assert!(with(&["--tp", "3"]).contains("--tp: 3 does not divide the 64 attention heads"));
    assert!(
        with(&["--tp", "8", "--pp", "3"]).contains("TP × PP = 8 × 3 does not divide the 64 GPUs")
    );
    let err = fails(&[
        "memory",
        "llama-2-7b",
        "--gpu",
        "a100-80gb",
        "--gpus",
        "64",
        "--pp",
        "64",
    ]);
    assert!(err.contains("--pp: 64 is more than the 32 layers"), "{err}");
    assert!(with(&["--tp", "16"]).contains("--tp: 16 does not divide the 8 GPUs of one node"));
    assert!(with(&["--ep", "2"]).contains("--ep: 2 does not divide the 1 experts"));
    assert!(with(&["--zero", "4"]).contains("4"));
}

#[test]
fn plan_ranks_fitting_layouts_by_step_time() {
    let r = json(&[
        "plan",
        "llama-2-70b",
        "--gpu",
        "h100",
        "--gpus",
        "512",
        "--tokens",
        "2T",
        "--top",
        "5",
    ]);
    let layouts = r["layouts"].as_array().unwrap();
    assert_eq!(layouts.len(), 5);
    let steps: Vec<f64> = layouts
        .iter()
        .map(|l| l["step"]["total"].as_f64().unwrap())
        .collect();
    assert!(steps.windows(2).all(|w| w[0] <= w[1]), "{steps:?}");
    for l in layouts {
        assert!(l["memory"]["total"].as_f64().unwrap() <= 80.0 * GIB);
        let s = &l["step"];
        let parts: f64 = crate::STEP_PARTS
            .iter()
            .map(|k| s[k].as_f64().unwrap())
            .sum();
        assert!(close(s["total"].as_f64().unwrap(), parts, 1e-12));
        // Days: 2T tokens over the tokens per step, times the step time.
        let days = l["training_seconds"].as_f64().unwrap();
        assert!(close(
            days,
            2e12 / l["tokens_per_step"].as_f64().unwrap() * s["total"].as_f64().unwrap(),
            1e-12
        ));
    }
    assert!(r["evaluated"].as_u64().unwrap() >= r["fitting"].as_u64().unwrap());
}

#[test]
fn the_kernel_efficiency_can_be_overridden() {
    // On one GPU (no communication) the step is compute, and the products' share of it runs at the
    // efficiency given: halving it lengthens the compute, though by less than 2× (attention and
    // element-wise work do not depend on it).
    let compute = |efficiency: &str| {
        let r = json(&[
            "plan",
            "gpt-2",
            "--gpu",
            "h100",
            "--gpus",
            "1",
            "--global-batch-tokens",
            "8192",
            "--top",
            "1",
            "--kernel-efficiency",
            efficiency,
        ]);
        assert_eq!(
            r["kernel_efficiency"].as_f64().unwrap(),
            efficiency.parse::<f64>().unwrap()
        );
        let best = &r["layouts"][0];
        assert_eq!(best["step"]["bubble"], 0.0);
        assert_eq!(best["step"]["tensor_parallel"], 0.0);
        best["step"]["compute"].as_f64().unwrap()
    };
    let (fast, slow) = (compute("0.8"), compute("0.4"));
    assert!(slow > 1.2 * fast && slow < 2.0 * fast, "{fast} {slow}");
}

#[test]
fn absurd_batches_and_reserves_are_refused() {
    let err = fails(&[
        "plan",
        "pythia-70m",
        "--gpu",
        "h100",
        "--gpus",
        "1",
        "--global-batch-tokens",
        "1e30",
    ]);
    assert!(err.contains("more than 2^32 sequences"), "{err}");
    let memory = |extra: &[&str]| {
        let on = ["memory", "llama-2-7b", "--gpu", "h100", "--gpus", "8"];
        fails(&[&on[..], extra].concat())
    };
    let err = memory(&["--reserve", "10"]);
    assert!(err.contains("needs `%` or a unit"), "{err}");
    let err = memory(&["--interleave", "2"]);
    assert!(
        err.contains("--interleave: needs more than one pipeline stage"),
        "{err}"
    );
}

/// A trillion GPUs are searched in well under a second (no layout fits a 1,024-sequence batch), where
/// listing the divisors one candidate at a time took minutes.
#[test]
fn a_huge_gpu_count_is_searched_quickly() {
    let start = std::time::Instant::now();
    let (_, why) = crate::cli::no_answer(&[
        "plan",
        "llama-2-7b",
        "--gpu",
        "h100",
        "--gpus",
        "1000000000000",
    ]);
    assert!(
        why.contains("no layout of 1,000,000,000,000 GPUs fits"),
        "{why}"
    );
    assert!(start.elapsed().as_secs() < 5, "{:?}", start.elapsed());
}

/// One pinned layout of Llama 2 7B on 16 H200s (two nodes of 8), with the sharding flags given.
fn pinned_7b(sharding: &[&'static str]) -> serde_json::Value {
    let mut args = vec![
        "plan",
        "llama-2-7b",
        "--gpu",
        "h200",
        "--gpus",
        "16",
        "--tp",
        "1",
        "--pp",
        "1",
        "--cp",
        "1",
        "--recompute",
        "full",
        "--micro-batch",
        "1",
        "--interleave",
        "1",
        "--global-batch-tokens",
        "262144",
    ];
    args.extend(sharding);
    json(&args)["layouts"][0].clone()
}

#[test]
fn hybrid_sharding_with_one_rank_per_shard_is_plain_data_parallelism() {
    // 16 replica groups of one rank each shard nothing: the states are whole and the only traffic is
    // the gradient all-reduce over the 16 copies, exactly DDP's (ZeRO-0).
    let hsdp = pinned_7b(&["--zero", "3", "--replicate", "16"]);
    let ddp = pinned_7b(&["--zero", "0"]);
    assert_eq!(hsdp["layout"]["replicas"], 16);
    for key in ["data_parallel", "optimizer", "total"] {
        let (a, b) = (
            hsdp["step"][key].as_f64().unwrap(),
            ddp["step"][key].as_f64().unwrap(),
        );
        assert!(close(a, b, 1e-12), "{key}: {a} vs {b}");
    }
    assert!(close(
        hsdp["memory"]["total"].as_f64().unwrap(),
        ddp["memory"]["total"].as_f64().unwrap(),
        1e-12
    ));
}

#[test]
fn hybrid_sharding_shards_within_a_node_and_keeps_the_gathers_off_the_network() {
    // ZeRO-3 over 8 ranks × 2 replica groups: weights, gradients and Adam state are 1/8 of the whole
    // model per GPU (2 + 2 + 12 bytes per parameter), where full sharding over 16 gives 1/16.
    let hsdp = pinned_7b(&["--zero", "3", "--replicate", "2"]);
    let full = pinned_7b(&["--zero", "3", "--replicate", "1"]);
    let states = |l: &serde_json::Value| {
        let m = &l["memory"];
        ["weights", "gradients", "optimizer"]
            .iter()
            .map(|k| m[*k].as_f64().unwrap())
            .sum::<f64>()
    };
    let params = 6_738_415_616.0; // Llama 2 7B (Touvron et al. 2023)
    assert!(close(states(&hsdp), 16.0 * params / 8.0, 1e-3));
    assert!(close(states(&full), 16.0 * params / 16.0, 1e-3));
    // Sixteen micro-batches each gather the weights twice and scatter the gradients: with hybrid
    // sharding over 8 ring steps on NVLink (450 GB/s), without it over 16 steps through the node's 8
    // NICs together (8 × 50 GB/s); the one all-reduce of the gradient shards across the two groups
    // does not make up the difference.
    let dp = |l: &serde_json::Value| l["step"]["data_parallel"].as_f64().unwrap();
    assert!(dp(&hsdp) < dp(&full), "{} vs {}", dp(&hsdp), dp(&full));
}

#[test]
fn hybrid_sharding_that_does_not_divide_the_ranks_is_refused() {
    let base = [
        "plan",
        "llama-2-7b",
        "--gpu",
        "h100",
        "--gpus",
        "16",
        "--tp",
        "1",
        "--pp",
        "1",
    ];
    let mut args = base.to_vec();
    args.extend(["--zero", "3", "--replicate", "3"]);
    let err = fails(&args);
    assert!(
        err.contains("--replicate") && err.contains("do not divide"),
        "{err}"
    );
    let mut args = base.to_vec();
    args.extend(["--zero", "0", "--replicate", "2"]);
    let err = fails(&args);
    assert!(
        err.contains("--replicate") && err.contains("ZeRO stage 1"),
        "{err}"
    );
}

#[test]
fn plan_prices_on_the_basis_asked_for() {
    // The h100 preset's reserved price is Lambda's 1-year H100 rate, $14.80 for 8 GPUs = $1.85/h; the
    // cost of each layout is its training hours × 64 GPUs × $1.85.
    let r = json(&[
        "plan",
        "llama-2-7b",
        "--gpu",
        "h100",
        "--gpus",
        "64",
        "--top",
        "1",
        "--price-basis",
        "reserved",
    ]);
    assert_eq!(r["price_usd_per_gpu_hour"].as_f64(), Some(14.80 / 8.0));
    assert_eq!(r["price_origin"]["kind"], "reserved");
    let row = &r["layouts"][0];
    let hours = row["training_seconds"].as_f64().unwrap() / 3600.0;
    assert!(close(
        row["cost_usd"].as_f64().unwrap(),
        hours * 64.0 * 1.85,
        1e-12
    ));
    // A preset without a price of that kind gets no cost, and says why.
    let r = json(&[
        "plan",
        "llama-2-7b",
        "--gpu",
        "h200",
        "--gpus",
        "64",
        "--top",
        "1",
        "--price-basis",
        "reserved",
    ]);
    assert!(r["layouts"][0]["cost_usd"].is_null());
    assert_eq!(r["no_price"], "the h200 preset lists no reserved price");
}

/// The best layout of Llama 3.1 8B on 8 H100s, data-parallel with ZeRO-3 over all of them, at
/// `micro_batch` sequences and with the recompute flags given.
fn llama_3_8b(micro_batch: &'static str, recompute: &[&'static str]) -> serde_json::Value {
    let mut args = vec![
        "plan",
        "llama-3.1-8b",
        "--gpu",
        "h100",
        "--gpus",
        "8",
        "--tp",
        "1",
        "--pp",
        "1",
        "--cp",
        "1",
        "--zero",
        "3",
        "--replicate",
        "1",
        "--micro-batch",
        micro_batch,
        "--interleave",
        "1",
    ];
    args.extend(recompute);
    json(&args)["layouts"][0].clone()
}

#[test]
fn recomputing_some_layers_mixes_the_two_memories_and_costs() {
    // 16 of the 32 layers recomputed: per layer, the mean of the layer input kept alone,
    // 2·s·h = 2 × 8192 × 4096 bytes, and everything kept, s·(10h + 4q + 4·kv + 8f) with h = q = 4096,
    // kv = 8 heads × 128 and f = 14,336 (Korthikanti et al. 2022 without the score terms).
    let s = 8192.0;
    let full = 2.0 * s * 4096.0;
    let none = s * (10.0 * 4096.0 + 4.0 * 4096.0 + 4.0 * 1024.0 + 8.0 * 14_336.0);
    let half = llama_3_8b("1", &["--recompute", "full", "--recompute-layers", "16"]);
    assert_eq!(half["layout"]["recompute_layers"], 16);
    assert!(close(
        half["memory"]["activations_per_layer"].as_f64().unwrap(),
        (full + none) / 2.0,
        1e-12
    ));
    // Compute is affine in the share recomputed: half-way between no recompute and all of it.
    let compute = |l: &serde_json::Value| l["step"]["compute"].as_f64().unwrap();
    let (lo, hi) = (
        compute(&llama_3_8b("1", &["--recompute", "none"])),
        compute(&llama_3_8b("1", &["--recompute", "full"])),
    );
    assert!(close(compute(&half), (lo + hi) / 2.0, 1e-9));
}

#[test]
fn the_search_recomputes_the_fewest_layers_that_fit() {
    // Llama 3.1 8B at micro-batch 2 on one H100 per replica does not fit keeping every activation;
    // the layout the search keeps for full recompute recomputes fewer than all 32 layers, and one
    // fewer would not fit.
    let best = &llama_3_8b("2", &["--recompute", "full"]);
    let k = best["layout"]["recompute_layers"]
        .as_u64()
        .expect("some layers");
    assert!((1..32).contains(&k), "{k}");
    let fewer = (k - 1).to_string();
    let args = [
        "memory",
        "llama-3.1-8b",
        "--gpu",
        "h100",
        "--gpus",
        "8",
        "--zero",
        "3",
        "--micro-batch",
        "2",
        "--recompute",
        "full",
        "--recompute-layers",
        &fewer,
        "--format",
        "json",
    ];
    if k > 1 {
        let output = crate::llmcalc().args(args).output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(3),
            "{k} − 1 layers should not fit"
        );
    }
}
