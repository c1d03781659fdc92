//! Serving arithmetic through the binary, against published figures and hand calculations.

use llmcalc::domain::collectives::LinkConstants;
use llmcalc::domain::kernels::KernelConstants;

use crate::{at_100_columns, draft, fails, json, serve_args, stdout, widest_table_line};

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs()
}

/// `model` served with `flags` as JSON, the defaults of [`serve_args`] for the flags not given.
fn serve(model: &str, flags: &[&str]) -> serde_json::Value {
    json(&serve_args(model, flags))
}

/// The H100's 3.35 TB/s of HBM (datasheet) at the 0.8 of it a serving step's reads reach by default
/// (`--bandwidth-efficiency`).
const HBM: f64 = 3.35e12 * 0.8;

/// Seconds of the matrix products of one continuous-batching step of Llama 3.1 8B on one H100 by
/// hand: `tokens` through every layer, the output head for the `sampled` decode tokens. Training's
/// operation model: a product at the fitted share of the 989.4 TFLOP/s bf16 peak or its bytes over
/// [`HBM`], plus the fitted cost of a kernel launched eagerly (a `mixed` share of the steps) or
/// 3.7 µs replayed in a CUDA graph.
fn llama_3_1_8b_gemm_seconds(tokens: f64, sampled: f64, mixed: f64) -> f64 {
    let k = KernelConstants::CALIBRATED;
    let kernel = mixed * k.kernel_overhead + (1.0 - mixed) * 3.7e-6;
    let gemm = |m: f64, n: f64, inner: f64| {
        let compute = 2.0 * m * n * inner / (989.4e12 * k.gemm_efficiency);
        let memory = ((m * inner + inner * n) * 2.0 + 2.0 * m * n) / HBM;
        compute.max(memory) + kernel
    };
    // Per layer: QKV (4096 + 2 × 1024), output, gate and up (2 × 14,336), down; the head over the
    // 128,256-token vocabulary.
    let layer = gemm(tokens, 6144.0, 4096.0)
        + gemm(tokens, 4096.0, 4096.0)
        + gemm(tokens, 28_672.0, 4096.0)
        + gemm(tokens, 4096.0, 14_336.0);
    32.0 * layer + gemm(sampled, 128_256.0, 4096.0)
}

/// One H100 and a short request, 100 prompt and 100 output tokens.
const SHORT_ON_ONE: [&str; 6] = [
    "--gpus",
    "1",
    "--prompt-tokens",
    "100",
    "--output-tokens",
    "100",
];

#[test]
fn kv_cache_bytes_per_token() {
    // 2 (key and value) × layers × kv heads × head dim × 2 bytes.
    // Llama 2 70B, GQA with 8 kv heads: 2 × 80 × 8 × 128 × 2 = 327,680.
    assert_eq!(
        serve("llama-2-70b", &[])["kv_cache_bytes_per_token"],
        327_680.0
    );
    // Llama 2 7B, MHA with 32 kv heads: 2 × 32 × 32 × 128 × 2 = 524,288.
    assert_eq!(
        serve("llama-2-7b", &[])["kv_cache_bytes_per_token"],
        524_288.0
    );
    // Gemma 2B, MQA with one kv head of 256: 2 × 18 × 1 × 256 × 2 = 18,432; fp8 halves it.
    let gemma = serve("gemma-2b", &[&SHORT_ON_ONE[..], &["--kv", "fp8"]].concat());
    assert_eq!(gemma["kv_cache_bytes_per_token"], 9216.0);
}

#[test]
fn decode_of_llama_2_70b_on_8_h100_by_hand() {
    let r = serve("llama-2-70b", &[]);
    // Memory-bound: the 68,976,648,192 bf16 weights but the input embedding (looked up, not read),
    // and the KV cache of one sequence at its mean
    // context of 2000 + 500/2 = 2250 tokens, over 8 × 3.35 TB/s at 80% efficiency.
    let bytes = (68_976_648_192.0 - 32_000.0 * 8192.0) * 2.0 + 2250.0 * 327_680.0;
    let memory = bytes / (8.0 * 3.35e12 * 0.8);
    // Compute: 2 × matmul weights + attention over 2250 keys, over 8 × 989.4 TFLOP/s at 60%.
    let matmul: f64 = 80.0
        * (2.0 * 8192.0 * 8192.0 + 2.0 * 8192.0 * 1024.0 + 3.0 * 8192.0 * 28_672.0)
        + 32_000.0 * 8192.0;
    let flops = 2.0 * matmul + 4.0 * 80.0 * 2250.0 * 8192.0;
    let compute = flops / (8.0 * 989.4e12 * 0.6);
    assert!(memory > compute);
    // Two ring all-reduces of 8192 × 2 bytes per layer over NVLink at 450 GB/s each way.
    let comm = 80.0 * 2.0 * 2.0 * 7.0 / 8.0 * (8192.0 * 2.0) / 450e9;
    let decode = &r["decode"];
    assert!(close(
        decode["memory_bound_seconds"].as_f64().unwrap(),
        memory,
        1e-12
    ));
    assert!(close(
        decode["compute_bound_seconds"].as_f64().unwrap(),
        compute,
        1e-12
    ));
    assert_eq!(decode["bound"], "memory");
    assert!(close(
        r["decode_seconds_per_token"].as_f64().unwrap(),
        memory + comm,
        1e-12
    ));
    // Time to first token: the prompt's forward FLOPs with a causal mask (2 × 1000 keys on average).
    let prefill = 2000.0 * (2.0 * matmul + 2.0 * 80.0 * 2000.0 * 8192.0);
    assert!(close(
        r["time_to_first_token_seconds"].as_f64().unwrap(),
        prefill / (8.0 * 989.4e12 * 0.6),
        1e-12
    ));
    // The request: the first token from the prefill, then 499 decode steps.
    let request = r["time_to_first_token_seconds"].as_f64().unwrap() + 499.0 * (memory + comm);
    assert!(close(
        r["request_seconds"].as_f64().unwrap(),
        request,
        1e-12
    ));
}

#[test]
fn cost_per_million_tokens() {
    let r = serve("llama-2-70b", &["--batch", "32", "--price", "$2/h"]);
    // Output: one decode step of the replica's 8 GPUs makes 32 tokens.
    let step = r["decode_seconds_per_token"].as_f64().unwrap();
    let output = step * 8.0 / 32.0 * 2.0 / 3600.0 * 1e6;
    assert!(close(
        r["cost_per_million_output_tokens_usd"].as_f64().unwrap(),
        output,
        1e-12
    ));
    let ttft = r["time_to_first_token_seconds"].as_f64().unwrap();
    let input = ttft * 8.0 / (32.0 * 2000.0) * 2.0 / 3600.0 * 1e6;
    assert!(close(
        r["cost_per_million_input_tokens_usd"].as_f64().unwrap(),
        input,
        1e-12
    ));
}

#[test]
fn moe_decode_reads_the_experts_a_batch_touches() {
    // Mixtral, 4 sequences: 8 × (1 − (1 − 2/8)^4) = 5.46875 experts per layer.
    let r = serve(
        "mixtral-8x7b",
        &[
            "--gpus",
            "2",
            "--batch",
            "4",
            "--prompt-tokens",
            "1000",
            "--output-tokens",
            "200",
        ],
    );
    assert!(close(
        r["decode"]["experts_touched"].as_f64().unwrap(),
        5.46875,
        1e-12
    ));
    // Weights read: everything but the input embedding and the routed experts, and 5.46875 of 8 of those.
    let routed = 32.0 * 8.0 * 3.0 * 4096.0 * 14_336.0;
    let read = (46_702_792_704.0 - 32_000.0 * 4096.0 - routed + routed * 5.46875 / 8.0) * 2.0;
    assert!(close(
        r["decode"]["weight_bytes_read"].as_f64().unwrap(),
        read,
        1e-12
    ));
}

#[test]
fn speculative_decoding() {
    let r = serve("llama-2-70b", &draft("llama-2-7b"));
    let s = &r["speculative"];
    // Leviathan et al. 2023: (1 − 0.8⁵)/(1 − 0.8) = 3.3616 tokens per target step.
    assert!(close(s["tokens_per_step"].as_f64().unwrap(), 3.3616, 1e-12));
    let step = r["decode"]["seconds"].as_f64().unwrap();
    let c = s["draft_decode_seconds_per_token"].as_f64().unwrap() / step;
    assert!(close(s["cost_ratio"].as_f64().unwrap(), c, 1e-12));
    let speedup = 3.3616 / (4.0 * c + 1.0);
    assert!(close(s["speedup"].as_f64().unwrap(), speedup, 1e-12));
    // The speedup reaches the headline: time per token, throughput, request time and cost.
    let per_token = step / speedup;
    let headline = |key: &str| r[key].as_f64().unwrap();
    assert!(close(
        headline("decode_seconds_per_token"),
        per_token,
        1e-12
    ));
    assert!(close(
        headline("tokens_per_second_per_gpu"),
        1.0 / (8.0 * per_token),
        1e-12
    ));
    let request = headline("time_to_first_token_seconds") + 499.0 * per_token;
    assert!(close(headline("request_seconds"), request, 1e-12));
    let cost = per_token * 8.0 * r["price_usd_per_gpu_hour"].as_f64().unwrap() / 3600.0 * 1e6;
    assert!(close(
        headline("cost_per_million_output_tokens_usd"),
        cost,
        1e-12
    ));
}

#[test]
fn a_drafts_weights_and_cache_take_memory() {
    let alone = serve("llama-2-70b", &["--batch", "32"]);
    let r = serve(
        "llama-2-70b",
        &[&["--batch", "32"][..], &draft("llama-2-7b")].concat(),
    );
    // Llama 2 7B over 8 ranks: 6,738,415,616 bf16 weights; 32 sequences of 2500 tokens at
    // 524,288 bytes a token, its 32 heads split 4 a rank.
    let weights = 6_738_415_616.0 * 2.0 / 8.0;
    let kv = 32.0 * 2500.0 * 524_288.0 / 8.0;
    let s = &r["speculative"];
    assert!(close(
        s["draft_weight_bytes_per_gpu"].as_f64().unwrap(),
        weights,
        1e-12
    ));
    assert!(close(
        s["draft_kv_cache_bytes_per_gpu"].as_f64().unwrap(),
        kv,
        1e-12
    ));
    let more = r["per_gpu_bytes"].as_f64().unwrap() - alone["per_gpu_bytes"].as_f64().unwrap();
    assert!(close(more, weights + kv, 1e-9));
    // 72 GiB usable less both models' weights, over both caches per sequence.
    let free = 0.9 * 80.0 * 1024f64.powi(3) - 68_976_648_192.0 * 2.0 / 8.0 - weights;
    let per_sequence = 2500.0 * (327_680.0 + 524_288.0) / 8.0;
    assert_eq!(r["max_batch"], (free / per_sequence).floor());
}

#[test]
fn an_over_full_batch_shows_no_throughput_or_cost() {
    let args = serve_args("llama-2-70b", &["--batch", "1000"]);
    let text = stdout(&args);
    assert!(text.contains("does not fit"), "{text}");
    for figure in ["tokens/s per GPU", "cost per 1M", "time per request"] {
        assert!(!text.contains(figure), "{text}");
    }
}

#[test]
fn the_reserve_is_a_share_or_an_amount() {
    let r = serve("llama-2-70b", &["--reserve", "4GiB"]);
    assert_eq!(r["usable_bytes"], 76.0 * 1024f64.powi(3));
    let err = fails(&serve_args("llama-2-70b", &["--reserve", "4"]));
    assert!(err.contains("needs `%` or a unit"), "{err}");
}

#[test]
fn gpt_4_serving_layout_of_the_origin_notes() {
    // 128 GPUs, 8-way TP × 16-way PP.
    let args = serve_args(
        "gpt-4",
        &[
            "--gpu",
            "a100-80gb",
            "--gpus",
            "128",
            "--tp",
            "8",
            "--pp",
            "16",
            "--batch",
            "64",
        ],
    );
    let r = json(&args);
    assert_eq!(r["fits"], true);
    // Weights per GPU: all 1.817T parameters in bf16 over 8 ranks, the stage holding 8 of 120 layers.
    let weights = 1_817_257_131_008.0 * 2.0 * (8.0 / 120.0) / 8.0;
    assert!(close(
        r["weight_bytes_per_gpu"].as_f64().unwrap(),
        weights,
        1e-12
    ));
    assert_eq!(r["decode"]["micro_batch"], 4);
    let text = stdout(&args);
    assert!(text.contains("memory-bound"), "{text}");
    assert!(text.contains("memory per GPU"), "{text}");
}

#[test]
fn what_overflows() {
    let r = serve("llama-2-70b", &SHORT_ON_ONE);
    assert_eq!(r["fits"], false);
    assert!(
        r["overflow"]
            .as_str()
            .unwrap()
            .contains("the weights alone need 128 GiB per GPU")
    );
    let r = serve("llama-2-70b", &["--batch", "1000"]);
    assert!(
        r["overflow"]
            .as_str()
            .unwrap()
            .contains("at most 586 sequences fit"),
        "{}",
        r["overflow"]
    );
    let err = fails(&serve_args("llama-2-70b", &["--tp", "2", "--pp", "3"]));
    assert!(
        err.contains("--gpus: TP × PP = 2 × 3 does not divide the 8 GPUs"),
        "{err}"
    );
}

#[test]
fn image_tokens_by_the_tiling_rule() {
    // 1024 × 1024 → 768 × 768 → 4 tiles: 85 + 4 × 170 = 765.
    assert_eq!(json(&["image-tokens", "1024x1024"])["tokens"], 765);
    // 2048 × 4096 → 1024 × 2048 → 768 × 1536 → 2 × 3 tiles: 85 + 6 × 170 = 1105.
    let tall = json(&["image-tokens", "2048x4096", "--price-per-million", "$2.50"]);
    assert_eq!(tall["tokens"], 1105);
    assert!(close(
        tall["cost_usd"].as_f64().unwrap(),
        1105.0 * 2.5 / 1e6,
        1e-12
    ));
    // 512 × 512: one tile, 85 + 170 = 255; low detail: 85.
    assert_eq!(json(&["image-tokens", "512x512"])["tokens"], 255);
    assert_eq!(
        json(&["image-tokens", "512x512", "--detail", "low"])["tokens"],
        85
    );
    let err = fails(&["image-tokens", "1024"]);
    assert!(err.contains("is not WIDTHxHEIGHT"), "{err}");
}

#[test]
fn a_context_longer_than_the_models_is_refused() {
    let err = fails(&serve_args(
        "gpt-2",
        &[
            "--gpus",
            "1",
            "--prompt-tokens",
            "5000",
            "--output-tokens",
            "10",
        ],
    ));
    assert!(
        err.contains("5010 tokens exceed gpt-2's context of 1024"),
        "{err}"
    );
}

#[test]
fn mqa_ranks_each_read_the_one_kv_head() {
    // MQA on 8 ranks: every rank holds and reads the one key/value head of every sequence.
    let r = serve(
        "gemma-2b",
        &[
            "--batch",
            "64",
            "--prompt-tokens",
            "6000",
            "--output-tokens",
            "2000",
        ],
    );
    let kv_read = r["decode"]["kv_bytes_read"].as_f64().unwrap();
    assert_eq!(kv_read, 64.0 * 7000.0 * 18_432.0);
    let weights = r["decode"]["weight_bytes_read"].as_f64().unwrap();
    let memory = (weights / 8.0 + kv_read) / (3.35e12 * 0.8);
    assert!(close(
        r["decode"]["memory_bound_seconds"].as_f64().unwrap(),
        memory,
        1e-12
    ));
}

#[test]
fn more_stages_do_not_shorten_one_sequences_first_token() {
    let ttft = |pp: &str, gpus: &str| {
        serve(
            "llama-2-70b",
            &[
                "--gpus",
                gpus,
                "--tp",
                "8",
                "--pp",
                pp,
                "--output-tokens",
                "100",
            ],
        )["time_to_first_token_seconds"]
            .as_f64()
            .unwrap()
    };
    assert!(close(ttft("1", "8"), ttft("8", "64"), 1e-12));
}

#[test]
fn a_thin_image_has_a_tile_across() {
    // 1 × 2048 after scaling, 1 × 4 tiles.
    assert_eq!(json(&["image-tokens", "1x1000000"])["tokens"], 85 + 4 * 170);
}

#[test]
fn a_draft_shares_the_tokenizer() {
    // Pythia's 50,304-token vocabulary cannot draft for Llama 2's 32,000.
    let flags = [&SHORT_ON_ONE[..], &draft("pythia-160m")].concat();
    let err = fails(&serve_args("llama-2-7b", &flags));
    assert!(
        err.contains("a draft must share the target's tokenizer"),
        "{err}"
    );
}

#[test]
fn a_gpu_without_a_scale_up_figure_talks_over_the_network_in_every_command() {
    // TPU v4's preset gives no ICI bandwidth: `plan` and `memory` then use the scale-out network for
    // tensor parallelism, and so must `serve`. Llama 2 70B on TP 4 × PP 2, 16 sequences: micro-batches
    // of 8, two ring all-reduces of 8 × 8192 × 2 bytes per layer over 40 layers per stage.
    let plan = json(&[
        "plan",
        "llama-2-7b",
        "--gpu",
        "tpu-v4",
        "--gpus",
        "8",
        "--top",
        "1",
    ]);
    let network = plan["network_bytes_per_second"].as_f64().unwrap();
    let r = serve(
        "llama-2-70b",
        &[
            "--gpu",
            "tpu-v4",
            "--tp",
            "4",
            "--pp",
            "2",
            "--batch",
            "16",
            "--prompt-tokens",
            "1000",
            "--output-tokens",
            "200",
        ],
    );
    let bytes = 8.0 * 8192.0 * 2.0;
    let expected = 40.0 * 2.0 * 2.0 * 3.0 / 4.0 * bytes / network;
    let communication = r["decode"]["communication_seconds"].as_f64().unwrap();
    assert!(close(communication, expected, 1e-12), "{communication}");
}

#[test]
fn engines_size_the_kv_pool_by_their_rules() {
    let flags = |engine: &'static str| {
        let io = ["--prompt-tokens", "1000", "--output-tokens", "1000"];
        [&["--gpus", "1", "--engine", engine][..], &io].concat()
    };
    let gib = 1024f64.powi(3);
    // Llama 3.1 8B on one H100: 8,030,261,248 bf16 weights; 2 × 32 layers × 8 kv heads × 128 × 2 bytes
    // = 131,072 bytes a token. The workspace of 8192 tokens: 2 × 4096 hidden plus the larger of QKV,
    // (32 + 2 × 8) × 128 = 6144, and 3 × 14,336 = 43,008 MLP outputs, 2 bytes each.
    let weights = 8_030_261_248.0 * 2.0;
    let workspace = 8192.0 * (8192.0 + 43_008.0) * 2.0;
    let per_token = 131_072.0;
    let pool_tokens = |pool: f64, block: f64| (pool / per_token / block).floor() * block;
    // vLLM: 0.9 of the GPU, less the weights and the profiled workspace; blocks of 16 tokens.
    let vllm = serve("llama-3.1-8b", &flags("vllm"));
    let pool = 0.9 * 80.0 * gib - weights - workspace;
    assert!(close(
        vllm["kv_pool_bytes_per_gpu"].as_f64().unwrap(),
        pool,
        1e-12
    ));
    assert_eq!(vllm["kv_pool_tokens"], pool_tokens(pool, 16.0));
    // 2000 tokens are 125 blocks of 16.
    assert_eq!(vllm["max_batch"], (pool / (2000.0 * per_token)).floor());
    // SGLang on one GPU: 0.88 of the GPU holds weights and pool, token by token.
    let sglang = serve("llama-3.1-8b", &flags("sglang"));
    let pool = 0.88 * 80.0 * gib - weights;
    assert_eq!(sglang["kv_pool_tokens"], pool_tokens(pool, 1.0));
    // TensorRT-LLM: 0.9 of what the weights and workspace leave, in blocks of 64: 2000 tokens hold
    // 32 blocks, 2048 tokens.
    let trtllm = serve("llama-3.1-8b", &flags("trtllm"));
    let pool = 0.9 * (80.0 * gib - weights - workspace);
    assert_eq!(trtllm["kv_pool_tokens"], pool_tokens(pool, 64.0));
    assert_eq!(trtllm["max_batch"], (pool / (2048.0 * per_token)).floor());
    // A fraction of one's own.
    let half = serve(
        "llama-3.1-8b",
        &[flags("vllm"), vec!["--memory-fraction", "0.5"]].concat(),
    );
    let pool = 0.5 * 80.0 * gib - weights - workspace;
    assert!(close(
        half["kv_pool_bytes_per_gpu"].as_f64().unwrap(),
        pool,
        1e-12
    ));
    let err = fails(&serve_args(
        "llama-3.1-8b",
        &["--engine", "vllm", "--reserve", "5%"],
    ));
    assert!(err.contains("cannot be used with"), "{err}");
}

#[test]
fn continuous_batching_of_llama_3_1_8b_on_one_h100_by_hand() {
    let r = serve(
        "llama-3.1-8b",
        &[
            "--gpus",
            "1",
            "--concurrency",
            "64",
            "--prompt-tokens",
            "1000",
            "--output-tokens",
            "1000",
        ],
    );
    // 64 sequences decode; 64/1000 finish a step and as many enter, 64 × 1000/1000 prompt tokens of
    // chunked prefill a step: 128 tokens.
    let c = &r["continuous_batching"];
    assert_eq!(c["tokens_per_step"], 128.0);
    // A step is mixed (carries a prompt, runs eagerly) with chance 64/1000 entering a step × 1 step
    // per prompt = 0.064, else replayed as a CUDA graph.
    let mixed = 0.064;
    let k = KernelConstants::CALIBRATED;
    let gemms = llama_3_1_8b_gemm_seconds(128.0, 64.0, mixed);
    let step = &c["step"];
    assert!(close(step["gemm_seconds"].as_f64().unwrap(), gemms, 1e-9));
    // The cache of 64 sequences at a mean of 1500 tokens, 131,072 bytes a token, read once.
    let kv = 64.0 * 1500.0 * 131_072.0 / HBM;
    assert!(close(step["kv_read_seconds"].as_f64().unwrap(), kv, 1e-9));
    // Prefill attention: 4 × 4096 × 64 tokens × 500 earlier ones a layer, at Hopper's fitted share.
    let attention = 32.0 * 4.0 * 4096.0 * 64.0 * 500.0 / (989.4e12 * k.attention_efficiency[1]);
    // Element-wise: 32 layers × 128 tokens × (8 × 2 × 4096 + 3 × 2 × 14,336) bytes × the fitted
    // traffic multiple.
    let elementwise = 32.0 * 128.0 * (16.0 * 4096.0 + 6.0 * 14_336.0) * k.elementwise_traffic / HBM;
    // Plus the host: the fitted 4 ms of an eager step when mixed, and 12.5 µs per decoding sequence.
    let host = mixed * 4e-3 + 64.0 * 12.5e-6;
    let tpot = gemms + kv + attention + elementwise + host;
    assert!(close(
        r["time_per_output_token_seconds"].as_f64().unwrap(),
        tpot,
        1e-9
    ));
    assert!(close(
        r["output_tokens_per_second_per_gpu"].as_f64().unwrap(),
        64.0 / tpot,
        1e-9
    ));
    // The 1000-token prompt fits in one step beside the 64 decodes (budget 8192).
    assert!(close(
        c["time_to_first_token_seconds"].as_f64().unwrap(),
        tpot,
        1e-9
    ));
}

#[test]
fn an_over_budget_round_takes_several_steps() {
    // 2000 sequences of 2000 prompt and 100 output tokens: 2000 × 21 = 42,000 tokens a round, 5.13
    // steps of the 8192-token budget.
    let r = serve(
        "llama-3.1-8b",
        &[
            "--gpus",
            "1",
            "--concurrency",
            "2000",
            "--prompt-tokens",
            "2000",
            "--output-tokens",
            "100",
        ],
    );
    let c = &r["continuous_batching"];
    assert!(close(
        c["steps_per_round"].as_f64().unwrap(),
        42_000.0 / 8192.0,
        1e-12
    ));
    assert!(close(c["tokens_per_step"].as_f64().unwrap(), 8192.0, 1e-12));
}

#[test]
fn latency_targets_pick_the_most_sequences_that_meet_them() {
    let one = [
        "--gpus",
        "1",
        "--prompt-tokens",
        "1000",
        "--output-tokens",
        "500",
    ];
    let r = serve(
        "llama-3.1-8b",
        &[&one[..], &["--ttft", "200ms", "--tpot", "20ms"]].concat(),
    );
    let chosen = r["continuous_batching"]["concurrency"].as_u64().unwrap();
    assert_eq!(r["tpot_target_seconds"], 0.02);
    let tpot = |c: u64| {
        let c = c.to_string();
        serve("llama-3.1-8b", &[&one[..], &["--concurrency", &c]].concat())
            ["time_per_output_token_seconds"]
            .as_f64()
            .unwrap()
    };
    // The chosen concurrency meets 20 ms a token; one more sequence does not.
    assert!(tpot(chosen) <= 0.02 && tpot(chosen + 1) > 0.02);
    // A target even one sequence misses: no continuous-batching figures.
    let r = serve("llama-3.1-8b", &[&one[..], &["--tpot", "1ms"]].concat());
    assert!(r["continuous_batching"].is_null());
    assert!(r["output_tokens_per_second_per_gpu"].is_null());
}

#[test]
fn several_gpus_compare_each_at_its_best_tensor_parallel_degree() {
    let io = ["--prompt-tokens", "1000", "--output-tokens", "500"];
    let flags = [&io[..], &["--gpus", "4", "--gpu", "h100,b200"]].concat();
    let r = serve("llama-3.1-70b", &flags);
    let rows = r["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["gpu"]["id"], "b200");
    // On four H100s, TP 1 cannot hold the 141 GB of bf16 weights; of TP 2 and 4, the row is the one
    // that serves more output tokens per GPU.
    let per_gpu = |tp: &str| {
        serve(
            "llama-3.1-70b",
            &[&io[..], &["--gpus", "4", "--tp", tp]].concat(),
        )["output_tokens_per_second_per_gpu"]
            .as_f64()
    };
    assert_eq!(per_gpu("1"), None);
    let best = per_gpu("2").unwrap().max(per_gpu("4").unwrap());
    assert_eq!(
        rows[0]["output_tokens_per_second_per_gpu"].as_f64(),
        Some(best)
    );
    let text = stdout(&serve_args("llama-3.1-70b", &flags));
    assert!(text.contains("NVIDIA B200"), "{text}");
    let err = fails(&serve_args("llama-3.1-70b", &["--gpu", "h100,nonesuch"]));
    assert!(err.contains("nonesuch"), "{err}");
}

/// Qwen3-235B-A22B on 8 H200 with fp8 weights and cache, and `flags`.
fn qwen3_235b(flags: &[&str]) -> serde_json::Value {
    let base = ["--gpu", "h200", "--weights", "fp8", "--kv", "fp8"];
    serve("qwen3-235b-a22b", &[&base[..], flags].concat())
}

#[test]
fn attention_data_parallelism_stops_repeating_the_kv_cache() {
    // Qwen3-235B-A22B's cache: 2 × 94 layers × 4 KV heads × 128 × 1 byte = 96,256 bytes a token,
    // 240,640,000 for 2500 tokens.
    let sequence = 2500.0 * 2.0 * 94.0 * 4.0 * 128.0;
    let tp = qwen3_235b(&["--batch", "8"]);
    let dp = qwen3_235b(&["--batch", "8", "--attention-dp", "8"]);
    // TP 8: each of the 4 heads on 2 ranks, a quarter of the 8 sequences' cache on each GPU.
    assert_eq!(tp["kv_cache_bytes_per_gpu"], 8.0 * sequence / 4.0);
    // Attention DP 8: each GPU holds its one sequence whole.
    assert_eq!(dp["kv_cache_bytes_per_gpu"], sequence);
    assert_eq!(
        (dp["ep"].as_u64(), dp["attention_dp"].as_u64()),
        (Some(1), Some(8))
    );
    // The routed experts, 94 × 128 experts × 3 × 4096 × 1536 fp8 bytes, keep an eighth per GPU; the
    // rest (8 × TP 8's share less the experts) is whole on every attention group of one GPU.
    let routed = 94.0 * 128.0 * 3.0 * 4096.0 * 1536.0;
    let rest = 8.0 * tp["weight_bytes_per_gpu"].as_f64().unwrap() - routed;
    let weights = dp["weight_bytes_per_gpu"].as_f64().unwrap();
    assert!(close(weights, routed / 8.0 + rest, 1e-12));
    // Expert parallelism moves whole experts between GPUs: their share per GPU stays an eighth.
    let ep = qwen3_235b(&["--batch", "8", "--attention-dp", "8", "--ep", "8"]);
    assert_eq!(ep["weight_bytes_per_gpu"], dp["weight_bytes_per_gpu"]);
}

#[test]
fn the_moe_exchange_of_attention_data_parallelism_by_hand() {
    let r = qwen3_235b(&[
        "--ep",
        "8",
        "--attention-dp",
        "8",
        "--concurrency",
        "64",
        "--prompt-tokens",
        "1000",
        "--output-tokens",
        "1000",
    ]);
    // 64 decodes and 64 prompt tokens a step; each GPU sends its 16 tokens, 4096 × 2 bytes each, to
    // the EP groups (one GPU each) of a token's 8 experts among 128, 16 per group: a group is missed
    // with probability (112/128)(111/127)…(105/121).
    let missed: f64 = (0..8)
        .map(|i| (112.0 - i as f64) / (128.0 - i as f64))
        .product();
    let buffer = 16.0 * 8.0 * (1.0 - missed) * 4096.0 * 2.0;
    // An all-to-all among the 8 GPUs of a DGX H200: 7/8 of the buffer over NVLink (450 GB/s each way
    // at the fitted link efficiency), and the fitted latency for each of the 8 peers.
    let l = LinkConstants::CALIBRATED;
    let all_to_all = 7.0 / 8.0 * buffer / (450e9 * l.efficiency) + 8.0 * l.latency;
    // Dispatch and combine in each of the 94 MoE layers; one-GPU attention groups all-reduce nothing.
    let step = &r["continuous_batching"]["step"];
    let communication = step["communication_seconds"].as_f64().unwrap();
    assert!(close(communication, 94.0 * 2.0 * all_to_all, 1e-9));
}

#[test]
fn latency_targets_choose_the_layout_serving_most() {
    let flags = [
        "--prompt-tokens",
        "1000",
        "--output-tokens",
        "1000",
        "--tpot",
        "80ms",
    ];
    let best = qwen3_235b(&flags);
    // A layout meeting no target serves nothing.
    let per_gpu = |r: &serde_json::Value| {
        r["output_tokens_per_second_per_gpu"]
            .as_f64()
            .unwrap_or(0.0)
    };
    for layout in [
        ["--tp", "8", "--ep", "1", "--attention-dp", "1"],
        ["--tp", "8", "--ep", "8", "--attention-dp", "8"],
        ["--tp", "4", "--ep", "4", "--attention-dp", "4"],
    ] {
        let fixed = qwen3_235b(&[&flags[..], &layout[..]].concat());
        assert!(per_gpu(&best) >= per_gpu(&fixed), "{layout:?}");
    }
    assert!(best["time_per_output_token_seconds"].as_f64().unwrap() <= 0.08);
    // The layout found, in the report.
    for key in ["tp", "ep", "attention_dp"] {
        assert!(best[key].as_u64().is_some(), "{key}");
    }
}

#[test]
fn expert_and_attention_parallelism_must_divide_the_stage() {
    let err = fails(&serve_args(
        "qwen3-235b-a22b",
        &["--gpu", "h200", "--ep", "3"],
    ));
    assert!(
        err.contains("--ep") && err.contains("EP 3 must divide TP 8"),
        "{err}"
    );
    let err = fails(&serve_args("llama-3.1-8b", &["--ep", "2"]));
    assert!(err.contains("no experts"), "{err}");
    let err = fails(&serve_args(
        "qwen3-235b-a22b",
        &["--gpu", "h200", "--attention-dp", "3"],
    ));
    assert!(err.contains("attention DP 3 must divide TP 8"), "{err}");
}

#[test]
fn int8_and_int4_caches_by_hand() {
    // Llama 2 70B: 2 × 80 × 8 × 128 elements a token, one byte each in int8, half a byte in int4.
    let int8 = serve("llama-2-70b", &["--kv", "int8"]);
    assert_eq!(int8["kv_cache_bytes_per_token"], 163_840.0);
    let int4 = serve("llama-2-70b", &["--kv", "int4"]);
    assert_eq!(int4["kv_cache_bytes_per_token"], 81_920.0);
}

#[test]
fn tokens_per_user_is_a_time_per_output_token_target() {
    let flags = [
        "--gpus",
        "1",
        "--prompt-tokens",
        "1000",
        "--output-tokens",
        "1000",
    ];
    let rate = serve(
        "llama-3.1-8b",
        &[&flags[..], &["--tokens-per-user", "40/s"]].concat(),
    );
    let tpot = serve("llama-3.1-8b", &[&flags[..], &["--tpot", "25ms"]].concat());
    // 40 tokens a second a user: 1/40 s = 25 ms a token.
    assert!(close(
        rate["tpot_target_seconds"].as_f64().unwrap(),
        0.025,
        1e-12
    ));
    assert_eq!(rate["continuous_batching"], tpot["continuous_batching"]);
    let err = fails(&serve_args(
        "llama-3.1-8b",
        &["--tokens-per-user", "20/s", "--tpot", "50ms"],
    ));
    assert!(err.contains("cannot be used with"), "{err}");
}

#[test]
fn arrivals_by_littles_law_and_past_the_capacity() {
    let flags = [
        "--gpus",
        "1",
        "--prompt-tokens",
        "1000",
        "--output-tokens",
        "200",
    ];
    let r = serve("llama-3.1-8b", &[&flags[..], &["--rate", "5/s"]].concat());
    let a = &r["arrivals"];
    // L = λW: the fewest sequences whose service time W lets them complete 5 requests a second.
    let (c, w) = (
        a["concurrency"].as_f64().unwrap(),
        a["service_seconds"].as_f64().unwrap(),
    );
    assert!(
        c >= 5.0 * w && c - 1.0 < 5.0 * w,
        "{c} sequences, {w} s each"
    );
    assert_eq!(r["continuous_batching"]["concurrency"], a["concurrency"]);
    // W: the steady time to first token and 199 more tokens.
    let steady = &r["continuous_batching"];
    let tpot = steady["time_per_output_token_seconds"].as_f64().unwrap();
    let ttft = steady["time_to_first_token_seconds"].as_f64().unwrap();
    assert!(close(w, ttft + 199.0 * tpot, 1e-12));
    // Past the capacity: no answer, exit 3, and the overload stated.
    let over = crate::answer_json(&serve_args(
        "llama-3.1-8b",
        &[&flags[..], &["--rate", "500/s"]].concat(),
    ));
    assert!(
        over["arrivals"]["overload"]
            .as_str()
            .unwrap()
            .contains("at or above")
    );
    assert!(over["arrivals"]["queueing_seconds"].is_null());
    let output = crate::llmcalc()
        .args(serve_args(
            "llama-3.1-8b",
            &[&flags[..], &["--rate", "500/s"]].concat(),
        ))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
}

#[test]
fn a_chunked_layer_decodes_against_its_own_chunk() {
    // Llama 4 Scout (context raised): 12 global layers and 36 chunked ones of 8192 tokens, 8 KV heads
    // of 128, 2 × 8 × 128 × 2 = 4096 bytes a layer and token in bf16.
    let at = |prompt: &str| {
        serve(
            "llama-4-scout",
            &[
                "--gpus",
                "8",
                "--prompt-tokens",
                prompt,
                "--output-tokens",
                "2",
                "--set",
                "architecture.context=131072",
            ],
        )
    };
    // A mean context of 16,384 (prompt + output/2) ends a chunk: the chunked layers read all 8192;
    // at 16,385 a new chunk starts and they read 1 token.
    let (end, start) = (at("16383"), at("16384"));
    let read = |r: &serde_json::Value| r["decode"]["kv_bytes_read"].as_f64().unwrap();
    assert_eq!(read(&end), (12.0 * 16_384.0 + 36.0 * 8192.0) * 4096.0);
    assert_eq!(read(&start), (12.0 * 16_385.0 + 36.0 * 1.0) * 4096.0);
    // Scores and weighted values, 2 × keys × (q + v) with q = v = 40 × 128: one more key on each
    // global layer, 8191 fewer on each chunked one.
    let flops = |r: &serde_json::Value| r["decode"]["flops"].as_f64().unwrap();
    let width = 2.0 * 40.0 * 128.0;
    let change = 2.0 * (12.0 - 36.0 * 8191.0) * width;
    assert!(close(flops(&start) - flops(&end), change, 1e-9));
    // The cache held keeps the whole chunk on the chunked layers.
    let held = start["kv_cache_bytes_per_sequence"].as_f64().unwrap();
    assert_eq!(held, (12.0 * 16_386.0 + 36.0 * 8192.0) * 4096.0);
}

#[test]
fn a_price_basis_picks_the_preset_price_of_that_kind() {
    let args = [
        "--gpus",
        "1",
        "--prompt-tokens",
        "1000",
        "--output-tokens",
        "500",
    ];
    let with = |basis: &str| {
        let mut flags = args.to_vec();
        flags.extend(["--price-basis", basis]);
        serve("llama-3.1-8b", &flags)
    };
    // The h100 preset: $6.88/h on AWS on demand (its first), $3.78/h at Lambda, $1.85/h reserved.
    assert_eq!(serve("llama-3.1-8b", &args)["price_usd_per_gpu_hour"], 6.88);
    let neocloud = with("neocloud-on-demand");
    assert_eq!(neocloud["price_usd_per_gpu_hour"], 3.78);
    assert_eq!(neocloud["price_basis"], "neocloud-on-demand");
    assert_eq!(neocloud["price_origin"]["kind"], "neocloud-on-demand");
    let reserved = with("reserved");
    assert_eq!(reserved["price_usd_per_gpu_hour"], 1.85);
    // A cost per token scales with the price: 1.85/6.88 of the first price's.
    let first = serve("llama-3.1-8b", &args);
    let ratio = reserved["cost_per_million_output_tokens_usd"]
        .as_f64()
        .unwrap()
        / first["cost_per_million_output_tokens_usd"]
            .as_f64()
            .unwrap();
    assert!(close(ratio, 1.85 / 6.88, 1e-9));
    // The preset lists no claim: no price, and why.
    let claim = with("claim");
    assert!(claim["price_usd_per_gpu_hour"].is_null());
    assert_eq!(claim["no_price"], "the h100 preset lists no claim price");
    assert!(
        fails(&serve_args("llama-3.1-8b", &["--price-basis", "spot"]))
            .contains("not a price basis")
    );
}

/// `serve`'s tables fit a terminal 100 characters wide unless `--wide`: the comparison of several
/// GPUs leaves out its KV pool, TTFT and sequences first, and `--explain` adds no table.
#[test]
fn serve_tables_fit_a_100_column_terminal() {
    let several = [
        "serve",
        "llama-3.1-8b",
        "--gpu",
        "h100,h200,b200,mi300x",
        "--gpus",
        "1",
        "--prompt-tokens",
        "1000",
        "--output-tokens",
        "500",
    ];
    let one = [
        "serve",
        "llama-3.1-70b",
        "--gpu",
        "h200",
        "--gpus",
        "8",
        "--prompt-tokens",
        "1000",
        "--output-tokens",
        "500",
        "--explain",
    ];
    for args in [&several[..], &one[..]] {
        let text = at_100_columns(args, false);
        assert!(widest_table_line(&text) <= 100, "{args:?}:\n{text}");
    }
    let wide = at_100_columns(&several, true);
    assert!(widest_table_line(&wide) > 100);
    assert!(at_100_columns(&several, false).contains("not shown to fit the terminal"));
}

#[test]
fn serve_explains_every_formula_with_its_source() {
    let text = stdout(&serve_args(
        "llama-3.1-8b",
        &[
            "--gpus",
            "1",
            "--prompt-tokens",
            "1000",
            "--output-tokens",
            "500",
            "--rate",
            "5/s",
            "--explain",
        ],
    ));
    let formulas = text.split("Formulas\n").nth(1).expect("a Formulas block");
    for (formula, source) in [
        ("weights per GPU =", "Shoeybi et al. 2019"),
        ("KV cache per token =", "Pope et al. 2022"),
        ("KV pool per GPU =", "largest batch"),
        (
            "time to first token (static batch) =",
            "compute-bound prefill",
        ),
        ("decode step = max(", "Williams et al. 2009"),
        ("tokens per step = C/PP", "Sarathi-Serve"),
        ("mixed steps m =", "CUDA Graphs"),
        ("step = matrix products", "sgl-project/sglang PR 2904"),
        ("host = m × 4.00 ms + 0.0125 ms", "serving_calibration.rs"),
        ("time per output token = PP", "output tokens/s per GPU"),
        ("time to first token (steady)", "Agrawal et al. 2024"),
        ("sequences in service L = λW", "Little 1961"),
        ("cost per 1M output tokens = $6.88/h", "h100 preset"),
    ] {
        let line = formulas
            .lines()
            .find(|l| l.starts_with(formula))
            .unwrap_or_else(|| panic!("no `{formula}` in\n{formulas}"));
        assert!(line.contains(source), "{line}");
    }
    // Without --explain, no formulas.
    let plain = stdout(&serve_args("llama-3.1-8b", &["--gpus", "1"]));
    assert!(!plain.contains("Formulas"));
}

#[test]
fn disaggregated_pools_send_the_kv_cache_over_the_network() {
    let flags = [
        "--gpus",
        "8",
        "--prompt-tokens",
        "4000",
        "--output-tokens",
        "500",
        "--weights",
        "fp8",
        "--kv",
        "fp8",
        "--disaggregate",
        "4:4",
    ];
    let r = serve("llama-3.1-70b", &flags);
    let d = &r["disaggregated"];
    let f = |k: &str| d[k].as_f64().unwrap();
    // Llama 3.1 70B in fp8: 2 × 80 layers × 8 KV heads × 128 × 1 byte = 163,840 bytes a token, a
    // 4000-token prompt 655.36 MB, sent by 4 GPUs each over its 400 Gb/s NIC (50 GB/s) at the
    // fitted link efficiency, plus one fitted latency (DistServe, Zhong et al. 2024, §3).
    assert_eq!(f("kv_transfer_bytes"), 4000.0 * 163_840.0);
    let l = LinkConstants::CALIBRATED;
    let transfer = 655.36e6 / (4.0 * 50e9 * l.efficiency) + l.latency;
    assert!(close(f("kv_transfer_seconds"), transfer, 1e-9));
    assert!(close(
        f("time_to_first_token_seconds"),
        f("prefill_seconds") + transfer,
        1e-12
    ));
    // A replica serves what its slower pool does: requests/s × 500 output tokens over 8 GPUs.
    let rate = f("prefill_requests_per_second").min(f("decode_requests_per_second"));
    assert!(close(f("requests_per_second"), rate, 1e-12));
    assert!(close(
        f("output_tokens_per_second_per_gpu"),
        rate * 500.0 / 8.0,
        1e-12
    ));
    // The decode pool completes C / (O × TPOT) requests a second and carries no prompt tokens.
    let c = &d["decode"];
    let decode_rate = c["concurrency"].as_f64().unwrap()
        / (500.0 * c["time_per_output_token_seconds"].as_f64().unwrap());
    assert!(close(f("decode_requests_per_second"), decode_rate, 1e-12));
    assert_eq!(c["prefill_tokens_per_step"], 0.0);
    // The co-located figures stay beside it.
    assert!(r["continuous_batching"]["concurrency"].as_u64().unwrap() > 0);
    assert!(serve("llama-3.1-70b", &flags[..10])["disaggregated"].is_null());
    // Pools must fit the GPUs and split the model.
    let big = serve_args("llama-3.1-70b", &["--disaggregate", "4:8"]);
    assert!(fails(&big).contains("needs more than the 8 GPUs"));
    let odd = serve_args("llama-3.1-70b", &["--disaggregate", "3:5"]);
    assert!(fails(&odd).contains("a pool of 3 GPUs"));
    assert!(fails(&serve_args("llama-3.1-70b", &["--disaggregate", "4"])).contains("not P:D"));
}

/// A workload file under `tests/fixtures/workloads/`.
fn workload(name: &str) -> String {
    format!(
        "{}/tests/fixtures/workloads/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// Llama 3.1 8B on one H100 with `flags` as JSON, without the default lengths.
fn llama_8b(flags: &[&str]) -> serde_json::Value {
    json(&[&["serve", "llama-3.1-8b", "--gpu", "h100"], flags].concat())
}

#[test]
fn a_one_row_workload_is_the_fixed_length_request() {
    let file = workload("one.csv");
    for extra in [
        &["--gpus", "1"][..],
        &["--gpus", "1", "--concurrency", "64", "--explain"],
        &["--gpus", "1", "--rate", "5/s"],
        &["--gpus", "2", "--disaggregate", "1:1"],
        &["--gpus", "1", "--tpot", "30ms", "--engine", "vllm"],
    ] {
        let fixed = llama_8b(
            &[
                extra,
                &["--prompt-tokens", "1000", "--output-tokens", "1000"],
            ]
            .concat(),
        );
        let mut from_file = llama_8b(&[extra, &["--workload", &file]].concat());
        let w = from_file
            .as_object_mut()
            .unwrap()
            .remove("workload")
            .unwrap();
        assert_eq!(w["rows"], 1);
        assert_eq!(w["prompt_tokens"]["p90"], 1000);
        let mut fixed = fixed;
        fixed.as_object_mut().unwrap().remove("workload");
        assert_eq!(from_file, fixed, "{extra:?}");
    }
}

#[test]
fn a_two_row_workload_by_hand() {
    // Three requests of 100 prompt and 100 output tokens for one of 3000 and 900.
    let r = llama_8b(&[
        "--gpus",
        "1",
        "--concurrency",
        "64",
        "--workload",
        &workload("two.csv"),
    ]);
    // E[P] = 0.75 × 100 + 0.25 × 3000 = 825; E[O] = 0.75 × 100 + 0.25 × 900 = 300.
    assert_eq!(
        (r["prompt_tokens"].clone(), r["output_tokens"].clone()),
        (825.into(), 300.into())
    );
    let w = &r["workload"];
    assert_eq!(w["rows"], 2);
    assert_eq!(w["prompt_tokens"]["mean"], 825.0);
    assert_eq!(
        (
            w["prompt_tokens"]["p50"].clone(),
            w["prompt_tokens"]["p90"].clone()
        ),
        (100.into(), 3000.into())
    );
    assert_eq!(
        (
            w["output_tokens"]["p50"].clone(),
            w["output_tokens"]["p90"].clone()
        ),
        (100.into(), 900.into())
    );
    // A slot holds, over time, E[O(P + (O + 1)/2)] / E[O] = (0.75 × 100 × 150.5 + 0.25 × 900 × 3450.5)
    // / 300 = 2625.5 tokens; it reserves E[O(P + O)] / E[O] = (0.75 × 100 × 200 + 0.25 × 900 × 3900)
    // / 300 = 2975.
    assert!(close(
        w["held_tokens_per_sequence"].as_f64().unwrap(),
        2625.5,
        1e-12
    ));
    assert!(close(
        w["reserved_tokens_per_sequence"].as_f64().unwrap(),
        2975.0,
        1e-12
    ));
    // 64 decodes; 64/300 requests enter a step with 64 × 825/300 = 176 prompt tokens: 240 a step.
    let c = &r["continuous_batching"];
    assert!(close(c["tokens_per_step"].as_f64().unwrap(), 240.0, 1e-12));
    assert!(close(
        c["prefill_tokens_per_step"].as_f64().unwrap(),
        176.0,
        1e-12
    ));
    // Both prompts fit in the 8192 − 64 tokens the decodes leave: one step each, so a step is mixed
    // with chance 64/300.
    let mixed = 64.0 / 300.0;
    assert!(close(c["mixed_step_share"].as_f64().unwrap(), mixed, 1e-12));
    // The step as in the fixed-length case above, at 240 tokens.
    let k = KernelConstants::CALIBRATED;
    let gemms = llama_3_1_8b_gemm_seconds(240.0, 64.0, mixed);
    // The 64 slots' cache at 2625 tokens (whole tokens) of 131,072 bytes.
    let kv = 64.0 * 2625.0 * 131_072.0 / HBM;
    // A prompt token attends to E[P²] / (2 E[P]) = (0.75 × 10⁴ + 0.25 × 9 × 10⁶) / 1650 = 1368.2,
    // 1368 earlier tokens.
    let attention = 32.0 * 4.0 * 4096.0 * 176.0 * 1368.0 / (989.4e12 * k.attention_efficiency[1]);
    let elementwise = 32.0 * 240.0 * (16.0 * 4096.0 + 6.0 * 14_336.0) * k.elementwise_traffic / HBM;
    let host = mixed * 4e-3 + 64.0 * 12.5e-6;
    let tpot = gemms + kv + attention + elementwise + host;
    let step = &c["step"];
    assert!(close(step["kv_read_seconds"].as_f64().unwrap(), kv, 1e-9));
    assert!(close(
        step["prefill_attention_seconds"].as_f64().unwrap(),
        attention,
        1e-9
    ));
    assert!(close(
        r["time_per_output_token_seconds"].as_f64().unwrap(),
        tpot,
        1e-9
    ));
    // The mean prompt and the 90th-percentile one (3000) each take one step.
    assert!(close(
        c["time_to_first_token_seconds"].as_f64().unwrap(),
        tpot,
        1e-9
    ));
    assert!(close(
        w["time_to_first_token_p90_seconds"].as_f64().unwrap(),
        tpot,
        1e-9
    ));
    // The pool admits whole reservations of 2975 tokens.
    let pool = r["kv_pool_bytes_per_gpu"].as_f64().unwrap();
    assert_eq!(r["max_batch"], (pool / (2975.0 * 131_072.0)).floor() as u64);
}

#[test]
fn with_a_workload_little_uses_the_mean_service_time() {
    let r = llama_8b(&[
        "--gpus",
        "1",
        "--rate",
        "2/s",
        "--workload",
        &workload("two.csv"),
    ]);
    let (a, c) = (&r["arrivals"], &r["continuous_batching"]);
    // W = TTFT + (E[O] − 1) × TPOT = TTFT + 299 × TPOT.
    let w = c["time_to_first_token_seconds"].as_f64().unwrap()
        + 299.0 * c["time_per_output_token_seconds"].as_f64().unwrap();
    assert!(close(a["service_seconds"].as_f64().unwrap(), w, 1e-12));
    // L = λW: the fewest sequences that complete 2 requests a second.
    let l = a["concurrency"].as_f64().unwrap();
    assert!(
        l >= 2.0 * w && l - 1.0 < 2.0 * w * 1.2,
        "{l} for λW = {}",
        2.0 * w
    );
}

#[test]
fn bad_workload_files_name_the_line_column_and_field() {
    let dir = std::env::temp_dir().join(format!("llmcalc-workloads-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        ("empty.csv", "".to_string(), ":1:1: no requests"),
        ("comments.csv", "# none\n".into(), ":2:1: no requests"),
        (
            "negative.csv",
            "100,100\n-5,10\n".into(),
            ":2:1: prompt_tokens `-5` is not allowed",
        ),
        (
            "zero.csv",
            "100, 0\n".into(),
            ":1:6: output_tokens `0` is not allowed",
        ),
        (
            "words.csv",
            "100,many\n".into(),
            ":1:5: output_tokens `many`",
        ),
        ("huge.csv", "1e16,10\n".into(), ":1:1: prompt_tokens `1e16`"),
        ("weight.csv", "10,10,-1\n".into(), ":1:7: weight `-1`"),
        (
            "long.csv",
            "100,100\n9000,1000\n".into(),
            "row 2: 10000 tokens exceed",
        ),
        ("big.csv", "1,1\n".repeat(300_000), "larger than 1 MiB"),
    ];
    for (name, text, expected) in cases {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let path = path.display().to_string();
        let err = fails(&[
            "serve",
            "llama-3.1-8b",
            "--gpu",
            "h100",
            "--gpus",
            "1",
            "--workload",
            &path,
        ]);
        assert!(err.contains(expected), "{name}: {err}");
        if expected.starts_with(':') {
            assert!(err.contains(&format!("{path}{expected}")), "{name}: {err}");
        }
    }
    // The lengths come from the file or the flags, not both.
    let both = fails(&[
        "serve",
        "llama-3.1-8b",
        "--gpu",
        "h100",
        "--gpus",
        "1",
        "--prompt-tokens",
        "10",
        "--workload",
        &workload("two.csv"),
    ]);
    assert!(both.contains("cannot be used with"), "{both}");
    std::fs::remove_dir_all(&dir).unwrap();
}
