//! Today's models: MLA, multi-token prediction, sliding windows, chunked attention and interleaved
//! MoE. Each preset against its publisher's total and active counts, the KV cache of MLA against
//! DeepSeek-V2's Table 1 formula, DeepSeek-V3's training cost against its report, and every command
//! run on every new preset.

use crate::{answer_json, json, stdout};

/// The presets this file covers.
const PRESETS: [&str; 10] = [
    "deepseek-v3",
    "kimi-k2",
    "qwen3-235b-a22b",
    "qwen3-30b-a3b",
    "gpt-oss-120b",
    "gpt-oss-20b",
    "llama-4-scout",
    "llama-4-maverick",
    "gemma-3-27b",
    "mistral-7b",
];

fn off(computed: f64, published: f64) -> f64 {
    (computed - published).abs() / published
}

fn counts(model: &str) -> serde_json::Value {
    json(&["params", model])
}

fn count(p: &serde_json::Value, key: &str) -> f64 {
    p[key].as_f64().unwrap_or_else(|| panic!("{key} in {p}"))
}

#[test]
fn deepseek_v3_counts_as_its_report() {
    let p = counts("deepseek-v3");
    // MLA per layer (DeepSeek-V2 §2.1 shapes, V3 config): W_DQ 7168·1536 + norm 1536 + W_UQ 1536·128·192
    // + W_DKV/W_KR 7168·576 + norm 512 + W_UKV 512·128·256 + W_O 128·128·7168 = 187,107,328.
    let mla =
        7168 * 1536 + 1536 + 1536 * 128 * 192 + 7168 * 576 + 512 + 512 * 128 * 256 + 16384 * 7168;
    assert_eq!(mla, 187_107_328u64);
    assert_eq!(p["attention_params"], 61 * mla);
    // 671B total, 37B activated (abstract; README_WEIGHTS.md: 36.7B); 14B in the MTP module and 685B
    // in all (README.md of deepseek-ai/DeepSeek-V3).
    assert!(off(count(&p, "total_params"), 671e9) < 0.001);
    assert!(off(count(&p, "active_params"), 37e9) < 0.02);
    let mtp = count(&p, "mtp_params");
    assert!(off(mtp, 14e9) < 0.04);
    assert!(off(count(&p, "total_params") + mtp, 685e9) < 0.001);
}

#[test]
fn moe_presets_give_published_total_and_active() {
    // (preset, published total, published active, tolerance on each)
    let cases = [
        // README.md of MoonshotAI/Kimi-K2: "1 trillion total", "32 billion activated".
        ("kimi-k2", 1.0e12, 32e9, 0.03),
        // Qwen3 Technical Report (arXiv:2505.09388), abstract: 235B total, 22B activated.
        ("qwen3-235b-a22b", 235e9, 22e9, 0.01),
        // Model card of Qwen/Qwen3-30B-A3B: 30.5B in total, 3.3B activated (3.35B by hand).
        ("qwen3-30b-a3b", 30.5e9, 3.3e9, 0.02),
        // Llama 4 model card (meta-llama/llama-models, models/llama4/MODEL_CARD.md): 17B activated,
        // 109B and 400B total. Text models here; the card's totals add the vision encoder (~1%).
        ("llama-4-scout", 109e9, 17e9, 0.012),
        ("llama-4-maverick", 400e9, 17e9, 0.012),
    ];
    for (model, total, active, tolerance) in cases {
        let p = counts(model);
        assert!(
            off(count(&p, "total_params"), total) < tolerance,
            "{model}: {p}"
        );
        assert!(
            off(count(&p, "active_params"), active) < tolerance,
            "{model}: {p}"
        );
    }
}

#[test]
fn gpt_oss_counts_as_its_card() {
    // Model card (arXiv:2508.10925) §2.1: 116.8B total, 5.1B active; 20.9B and 3.6B. Active counts
    // the unembedding and not the embedding (201,088 × 2,880 = 579,133,440).
    for (model, total, active) in [
        ("gpt-oss-120b", 116.8e9, 5.1e9),
        ("gpt-oss-20b", 20.9e9, 3.6e9),
    ] {
        let p = counts(model);
        assert!(off(count(&p, "total_params"), total) < 0.001, "{model}");
        let without = count(&p, "active_params") - 201_088.0 * 2880.0;
        assert!(off(without, active) < 0.01, "{model}: {without}");
    }
    // 120b attention by hand: 36 × (2880·4096 + 2·2880·512 + 4096·2880 + biases 4096 + 2·512 + 2880
    // + 64 sinks).
    let p = counts("gpt-oss-120b");
    let attention = 36 * (2880 * 4096 * 2 + 2 * 2880 * 512 + 4096 + 1024 + 2880 + 64);
    assert_eq!(p["attention_params"], attention);
}

#[test]
fn dense_presets_give_published_counts() {
    // Gemma 3 27B, model card: 27B (the vision encoder apart); the embedding, tied to the head,
    // is 262,208 × 5,376 by hand.
    let p = counts("gemma-3-27b");
    assert!(off(count(&p, "total_params"), 27e9) < 0.001);
    assert_eq!(p["embedding_params"], 262_208u64 * 5_376);
    // Mistral 7B: "7.3B" (release post); 7,241,732,096 by hand.
    assert_eq!(counts("mistral-7b")["total_params"], 7_241_732_096u64);
}

#[test]
fn mla_kv_cache_is_the_latent_and_the_rotary_key() {
    // DeepSeek-V2 Table 1: MLA caches (d_c + d_h^R)·l elements per token; V3: (512 + 64) × 61 =
    // 35,136 elements, 70,272 bytes in BF16 — against 2 × 61 × 128 × 128 × 2 = 3,997,696 bytes
    // for MHA of the same heads.
    let s = json(&serve("deepseek-v3", "8", "8", "1"));
    assert_eq!(s["kv_cache_bytes_per_token"], 70_272.0);
    // The latent is whole on every TP rank: 8 sequences × 2,000 tokens × 70,272 bytes on each GPU.
    assert_eq!(s["kv_cache_bytes_per_gpu"], 8.0 * 2000.0 * 70_272.0);
}

#[test]
fn sliding_windows_cap_the_kv_cache() {
    // Mistral 7B at 8,000 tokens: every layer keeps 4,096 tokens × 2 × 8 × 128 × 32 layers × 2 bytes.
    let s = json(&[
        "serve",
        "mistral-7b",
        "--gpu",
        "h100",
        "--gpus",
        "1",
        "--batch",
        "1",
        "--prompt-tokens",
        "7000",
        "--output-tokens",
        "1000",
    ]);
    assert_eq!(s["kv_cache_bytes_per_sequence"], 4096.0 * 131_072.0);
    // gpt-oss-120b at 2,000 tokens: 18 full layers × 2,000 + 18 windowed × 128 tokens, 2 × 8 × 64 × 2
    // bytes each.
    let s = json(&serve("gpt-oss-120b", "8", "8", "1"));
    let per_layer_token = 2.0 * 8.0 * 64.0 * 2.0;
    assert_eq!(
        s["kv_cache_bytes_per_sequence"],
        (18.0 * 2000.0 + 18.0 * 128.0) * per_layer_token
    );
}

#[test]
fn windowed_attention_flops_stop_at_the_window() {
    // Mistral 7B at 8,192 tokens, full masking: scores and context see 4,096 keys on every layer,
    // 2 × 2 × 4096 × 4096 FLOPs per layer and token.
    let f = json(&["flops", "mistral-7b"]);
    let attention = 32.0 * 4.0 * 4096.0 * 4096.0;
    assert_eq!(f["attention_flops_per_token"], attention);
}

#[test]
fn chunked_attention_sees_half_a_chunk_at_long_context() {
    // Llama 4 Scout at 131,072 tokens under the causal mask: 12 global layers see 131,072 / 2 =
    // 65,536 keys on average. Its 36 chunked layers see the i-th key of each 8,192-token chunk,
    // 16 × 8,192 × 8,193 / 2 / 131,072 = 4,096.5 keys; a window of 8,192 would see
    // 8,192 − 8,192² / (2 × 131,072) = 7,936. Scores and context cost 2 × keys × 40 × 128 each.
    let per_key = 2.0 * 2.0 * 5120.0;
    let global = 12.0 * 65_536.0;
    let chunked = (global + 36.0 * 4_096.5) * per_key;
    let sliding = (global + 36.0 * 7_936.0) * per_key;
    let flops = |extra: &[&str]| {
        let mut args = vec!["flops", "llama-4-scout", "--seq-len", "131072"];
        args.extend_from_slice(extra);
        count(&json(&args), "attention_flops_per_token")
    };
    let causal = ["--attention", "causal"];
    assert_eq!(flops(&causal), chunked);
    let as_window = [&causal[..], &["--set", "decoder.window.kind=sliding"]].concat();
    assert_eq!(flops(&as_window), sliding);
    // (786,432 + 147,474) / (786,432 + 285,696) = 933,906 / 1,072,128: 12.9% less attention work.
    assert!((flops(&causal) / flops(&as_window) - 933_906.0 / 1_072_128.0).abs() < 1e-12);
    // Counted over every key (the default), a query sees its whole chunk: 8,192 keys at whole chunks,
    // as many as the window.
    assert_eq!(flops(&[]), (12.0 * 131_072.0 + 36.0 * 8_192.0) * per_key);
}

#[test]
fn chunked_layers_cache_one_chunk() {
    // Llama 4 Scout serving 21,000 tokens (its context raised): 12 global layers keep them all, 36
    // chunked layers at most the 8,192 of a chunk, 2 × 8 × 128 × 2 bytes per layer and token.
    let s = json(&[
        "serve",
        "llama-4-scout",
        "--gpu",
        "h100",
        "--gpus",
        "8",
        "--batch",
        "1",
        "--prompt-tokens",
        "20000",
        "--output-tokens",
        "1000",
        "--set",
        "architecture.context=131072",
    ]);
    let per_layer_token = 2.0 * 8.0 * 128.0 * 2.0;
    assert_eq!(
        s["kv_cache_bytes_per_sequence"],
        (12.0 * 21_000.0 + 36.0 * 8_192.0) * per_layer_token
    );
}

fn serve<'a>(model: &'a str, gpus: &'a str, tp: &'a str, pp: &'a str) -> Vec<&'a str> {
    vec![
        "serve",
        model,
        "--gpu",
        "h100",
        "--gpus",
        gpus,
        "--tp",
        tp,
        "--pp",
        pp,
        "--batch",
        "8",
        "--prompt-tokens",
        "1500",
        "--output-tokens",
        "500",
    ]
}

#[test]
fn every_command_runs_on_every_new_preset() {
    let finite = |v: &serde_json::Value, key: &str, model: &str| {
        let x = v[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{model}: {key} in {v}"));
        assert!(x.is_finite() && x >= 0.0, "{model}: {key} = {x}");
    };
    for model in PRESETS {
        let p = counts(model);
        finite(&p, "total_params", model);
        let f = json(&["flops", model]);
        finite(&f, "training_flops_per_token", model);
        // 64 H100 may not hold the largest of them: "does not fit" is an answer (exit 3).
        let m = answer_json(&["memory", model, "--gpu", "h100", "--gpus", "64"]);
        finite(&m, "per_gpu_bytes", model);
        let plan = json(&["plan", model, "--gpu", "h100", "--gpus", "256"]);
        assert!(plan["layouts"].as_array().is_some(), "{model}");
        let s = json(&serve(model, "16", "8", "2"));
        for key in [
            "decode_seconds_per_token",
            "time_to_first_token_seconds",
            "kv_cache_bytes_per_token",
        ] {
            finite(&s, key, model);
        }
        let audit = stdout(&["audit", model]);
        assert!(audit.contains("total_params"), "{model}: {audit}");
    }
}

#[test]
fn deepseek_v3_training_cost_and_implied_mfu() {
    // Report, Table 1: 2.788M H800 GPU-hours at $2 per GPU-hour = $5.576M.
    let t = json(&["train", "deepseek-v3", "--precision", "fp8"]);
    let figure = |key: &str| count(&t[key], "low");
    assert!(off(figure("gpu_hours"), 2.788e6) < 1e-9, "{t}");
    assert!(off(figure("cost_usd"), 5.576e6) < 1e-9, "{t}");
    // The MFU that implies, by hand: 14.8T tokens × 3 × forward FLOPs per token at 4,096 tokens,
    // over 2.788M hours × 3,600 s × the H800's FP8 dense peak (1,978.9 TFLOP/s, as the H100 SXM).
    let f = json(&["flops", "deepseek-v3"]);
    let compute = 14.8e12 * 3.0 * count(&f, "forward_flops_per_token");
    let mfu = compute / (2.788e6 * 3600.0 * 1978.9e12);
    assert!(off(figure("mfu"), mfu) < 1e-6, "{} vs {mfu}", t["mfu"]);
    // About 21% of the FP8 peak, 42% of the BF16 one.
    assert!((0.19..0.23).contains(&mfu), "{mfu}");
}

#[test]
fn deepseek_v3_flops_count_the_mtp_module() {
    // DeepSeek-V3 §2.2: one MTP module per token runs the projection M (2d → d), a block shaped like a
    // MoE layer and the shared output head. By hand at d = 7168, vocab 129280, 128 heads, seq 4096:
    // - projection: 2 · 2d · d = 4 · 7168² = 205,520,896;
    // - attention projections: 2 · (W_DQ/W_UQ (7168 + 128·192)·1536 + W_DKV/W_KR 7168·576
    //   + W_UKV 512·128·256) + W_O 2 · 128·128 · 7168 = 2 · 69,664,768 + 234,881,024 = 374,210,560;
    // - attention over the context: 2 · 4096 · (128·192 + 128·128) = 335,544,320;
    // - MLP: 9 experts (top-8 + 1 shared) · 2 · 3 · 7168 · 2048 + router 2 · 7168 · 256 = 796,393,472;
    // - logits: 2 · 7168 · 129280 = 1,853,358,080.
    let f = json(&["flops", "deepseek-v3"]);
    let expected = [
        ("MTP projection (2d → d)", 205_520_896.0),
        ("MTP attention projections", 374_210_560.0),
        ("MTP attention over the context", 335_544_320.0),
        ("MTP MLP", 796_393_472.0),
        ("MTP logits", 1_853_358_080.0),
    ];
    let parts = f["parts"].as_array().expect("parts");
    let forward_of = |name: &str| {
        let part = parts.iter().find(|p| p["part"] == name);
        count(part.unwrap_or_else(|| panic!("{name} in {f}")), "forward")
    };
    let mut mtp = 0.0;
    for (name, flop) in expected {
        assert_eq!(forward_of(name), flop, "{name}");
        mtp += flop;
    }
    assert_eq!(mtp, 3_565_027_328.0);
    // The main model's parts and the MTP module's make up the forward figure, and training is three
    // times it (Kaplan et al. 2020, §2.1).
    let all: f64 = parts.iter().map(|p| count(p, "forward")).sum();
    let forward = count(&f, "forward_flops_per_token");
    assert_eq!(all, forward);
    assert_eq!(count(&f, "training_flops_per_token"), 3.0 * forward);
    // A model without MTP modules has no such rows.
    let mistral = json(&["flops", "mistral-7b"]);
    let rows = mistral["parts"].as_array().expect("parts");
    assert!(
        rows.iter()
            .all(|p| !p["part"].as_str().unwrap().starts_with("MTP"))
    );
}
