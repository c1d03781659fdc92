//! Parameter counts and FLOPs of the built-in presets against published figures and against hand
//! calculations written out here, term by term, from the papers' layer definitions.

use llmcalc::catalog::Catalog;
use llmcalc::domain::model::flops::{self, FlopsOptions, Masking, Recompute};
use llmcalc::domain::model::params::{self, ParamBreakdown};
use llmcalc::domain::model::{Architecture, Model, StackKind};
use llmcalc::domain::units::unit::flop;

fn model(name: &str) -> Model {
    Catalog::builtin()
        .model(name, &[])
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn arch(model: &Model) -> &Architecture {
    model.architecture("test").unwrap()
}

fn count(name: &str) -> ParamBreakdown {
    let m = model(name);
    params::count(name, arch(&m)).unwrap()
}

/// Relative difference of `computed` from `published`.
fn off(computed: f64, published: f64) -> f64 {
    (computed - published).abs() / published
}

fn forward(name: &str, seq_len: u64, masking: Masking) -> f64 {
    let m = model(name);
    let a = arch(&m);
    let p = params::count(name, a).unwrap();
    let options = FlopsOptions {
        seq_len,
        target_len: None,
        masking,
        recompute: Recompute::None,
    };
    flops::count(a, &p, &options)
        .forward_flops_per_token
        .get::<flop>()
}

#[test]
fn llama_2_7b() {
    // Touvron et al. 2023, Table 1: 7B; config.json: vocab 32000, d 4096, 32 layers, 32 heads (MHA),
    // SwiGLU 11008, RMSNorm, untied head. The safetensors total, 6,738,417,664, also counts 32 × 64
    // rotary inv_freq buffers that are not parameters.
    let embed: u64 = 32_000 * 4096;
    let layer = 4 * 4096 * 4096 + 3 * 4096 * 11_008 + 2 * 4096;
    let hand = embed + 32 * layer + 4096 + embed;
    assert_eq!(hand, 6_738_417_664 - 32 * 64);
    let p = count("llama-2-7b");
    assert_eq!(p.total_params, hand);
    assert_eq!(p.active_params, hand);
    assert!(off(p.total_params as f64, 6.74e9) < 0.001);
}

#[test]
fn llama_2_70b_with_grouped_query_attention() {
    // 80 layers, d 8192, 64 query heads of 128, 8 kv heads: K and V are 8192 × 1024 each.
    let attention: u64 = 2 * 8192 * 8192 + 2 * 8192 * 1024;
    let mlp = 3 * 8192 * 28_672;
    let hand = 2 * 32_000 * 8192 + 80 * (attention + mlp + 2 * 8192) + 8192;
    // HF safetensors total 68,976,653,312 includes 80 × 64 rotary buffers.
    assert_eq!(hand, 68_976_653_312 - 80 * 64);
    let p = count("llama-2-70b");
    assert_eq!(p.total_params, hand);
    assert!(off(p.total_params as f64, 68.98e9) < 0.0005);
}

#[test]
fn gpt_3_175b() {
    // Brown et al. 2020, Table 2.1: 96 layers, d 12288, ffn 4d, context 2048, vocab 50257; learned
    // positions, tied embeddings, biases and LayerNorm (GPT-2 architecture). Published: 174.6B.
    let d: u64 = 12_288;
    let layer = (4 * d * d + 4 * d) + (8 * d * d + 4 * d + d) + 2 * (2 * d);
    let hand = 50_257 * d + 2048 * d + 96 * layer + 2 * d;
    let p = count("gpt-3");
    assert_eq!(p.total_params, hand);
    assert!(off(hand as f64, 174.6e9) < 0.001, "{hand}");
}

#[test]
fn gpt_2_small() {
    // The released 124M checkpoint: 124,439,808 parameters (Radford et al. 2019; d 768, 12 layers).
    let d: u64 = 768;
    let layer = (4 * d * d + 4 * d) + (8 * d * d + 4 * d + d) + 4 * d;
    let hand = 50_257 * d + 1024 * d + 12 * layer + 2 * d;
    assert_eq!(hand, 124_439_808);
    assert_eq!(count("gpt-2").total_params, hand);
}

#[test]
fn bert_base() {
    // Devlin et al. 2018: BERT-base ≈ 110M. Embeddings (tokens, positions, 2 segment types, LayerNorm),
    // 12 post-LN layers with biases, and the pooler; the masked-LM head is not part of the 110M.
    let d: u64 = 768;
    let embeddings = 30_522 * d + 512 * d + 2 * d + 2 * d;
    let layer = (4 * d * d + 4 * d) + (2 * d * 3072 + 3072 + d) + 2 * (2 * d);
    let pooler = d * d + d;
    let hand = embeddings + 12 * layer + pooler;
    assert_eq!(hand, 109_482_240);
    let p = count("bert-base");
    assert_eq!(p.total_params, hand);
    assert!(off(hand as f64, 110e6) < 0.01);
}

#[test]
fn mixtral_8x7b_total_and_active() {
    // Jiang et al. 2024, Table 1: 32 layers, d 4096, 32 heads, 8 kv heads, 8 SwiGLU experts of 14336,
    // top-2; Mistral AI: 46.7B total, 12.9B active per token.
    let attention: u64 = 2 * 4096 * 4096 + 2 * 4096 * 1024;
    let expert = 3 * 4096 * 14_336;
    let router = 4096 * 8;
    let norms = 2 * 4096;
    let embeddings = 2 * 32_000 * 4096 + 4096;
    let total = embeddings + 32 * (attention + 8 * expert + router + norms);
    let active = embeddings + 32 * (attention + 2 * expert + router + norms);
    assert_eq!((total, active), (46_702_792_704, 12_879_925_248));
    let p = count("mixtral-8x7b");
    assert_eq!((p.total_params, p.active_params), (total, active));
    assert!(off(total as f64, 46.7e9) < 0.001);
    assert!(off(active as f64, 12.9e9) < 0.002);
    assert_eq!(p.expert_params, Some(32 * expert));
}

#[test]
fn pythia_non_embedding_and_total_counts() {
    // Biderman et al. 2023, Table 1: non-embedding parameters, exact; totals from the EleutherAI/pythia
    // README. Embedding and unembedding are untied; 6.9B and 12B ship 50432 and 50688 rows.
    let published = [
        ("pythia-70m", 18_915_328, 70_426_624),
        ("pythia-160m", 85_056_000, 162_322_944),
        ("pythia-410m", 302_311_424, 405_334_016),
        ("pythia-1b", 805_736_448, 1_011_781_632),
        ("pythia-1.4b", 1_208_602_624, 1_414_647_808),
        ("pythia-2.8b", 2_517_652_480, 2_775_208_960),
        ("pythia-6.9b", 6_444_163_072, 6_857_302_016),
        ("pythia-12b", 11_327_027_200, 11_846_072_320),
    ];
    for (name, non_embedding, total) in published {
        let p = count(name);
        assert_eq!(p.non_embedding_params, non_embedding, "{name}");
        assert_eq!(p.total_params, total, "{name}");
    }
}

#[test]
fn t5_11b() {
    // Raffel et al. 2020, §3.7: "11B": d 1024, ffn 65536, 128 heads of 128, 24 + 24 layers, ReLU,
    // no biases, weight-only norms, relative bias of 32 buckets per head in each stack, tied
    // embeddings over the 32128-row vocabulary of the released checkpoint.
    let (d, inner): (u64, u64) = (1024, 128 * 128);
    let attention = 4 * d * inner;
    let mlp = 2 * d * 65_536;
    let encoder = 24 * (attention + mlp + 2 * d) + d + 32 * 128;
    let decoder = 24 * (2 * attention + mlp + 3 * d) + d + 32 * 128;
    let hand = 32_128 * d + encoder + decoder;
    // The released google-t5/t5-11b checkpoint holds 11,307,321,344 parameters.
    assert_eq!(hand, 11_307_321_344);
    let p = count("t5-11b");
    assert_eq!(p.total_params, hand);
    assert!(off(hand as f64, 11e9) < 0.03);
}

#[test]
fn chinchilla_with_transformer_xl_positions() {
    // Hoffmann et al. 2022, Table 4: 80 layers, d 8192, 64 heads of 128, "70B". Transformer-XL
    // relative positions (Dai et al. 2019, §3.3) add W_R (d × d) and the u, v biases in every layer.
    let d: u64 = 8192;
    let layer = 4 * d * d + (d * d + 2 * d) + 2 * d * 4 * d + 2 * d;
    let hand = 32_000 * d + 80 * layer + d;
    assert_eq!(count("chinchilla-70b").total_params, hand);
    assert!(off(hand as f64, 70e9) < 0.001);
}

#[test]
fn gpt_4_comes_close_to_every_leaked_figure() {
    // SemiAnalysis 2023: ~1.8T total, ~280B active, 16 experts of ~111B, ~55B shared attention.
    let p = count("gpt-4");
    assert!(off(p.total_params as f64, 1.8e12) < 0.015);
    assert!(off(p.active_params as f64, 280e9) < 0.015);
    assert!(off(p.expert_params.unwrap() as f64, 111e9) < 0.015);
    assert!(off(p.attention_params as f64, 55e9) < 0.015);
    // The preset records the claims, and each is within reach of the computed figure.
    let m = model("gpt-4");
    let claims = llmcalc::app::params::param_claims(&m, &p);
    assert_eq!(claims.len(), 4);
    assert!(claims.iter().all(|c| (c.ratio - 1.0).abs() < 0.015));
}

#[test]
fn every_claimed_parameter_count_is_within_five_percent() {
    // Published counts are rounded ("7B", "770M"); a gap above 5% means a wrong architecture.
    // Known exceptions, each explained in its preset's notes, are listed with their gap.
    // Flan-T5-XL: 2.85B counted, "3B" in Chung et al. 2022, Table 2 (the released checkpoint has
    // 2,849,757,184 parameters).
    let explained = [("flan-t5-xl", 0.051)];
    for name in llmcalc::catalog::presets::model_names() {
        let m = model(name);
        let Some(a) = m.try_architecture() else {
            continue;
        };
        let p = params::count(name, a).unwrap();
        for check in llmcalc::app::params::param_claims(&m, &p) {
            let limit = explained
                .iter()
                .find(|(n, _)| *n == name)
                .map_or(0.05, |(_, limit)| *limit);
            assert!(
                (check.ratio - 1.0).abs() <= limit,
                "{name}: {} computed {} vs published {}..{}",
                check.claim,
                check.computed,
                check.published_low,
                check.published_high
            );
        }
    }
}

#[test]
fn forward_flops_are_twice_the_matmul_weights_plus_attention() {
    // Kaplan et al. 2020, eq. 2.2, with both attention products counted in full (PaLM, App. B).
    // Llama 2 7B at 4096 tokens: matmul weights are the layers' projections and the output head.
    let matmul: u64 = 32 * (4 * 4096 * 4096 + 3 * 4096 * 11_008) + 32_000 * 4096;
    let attention: u64 = 2 * 2 * 32 * 4096 * 4096; // QKᵀ and AV: 2 FLOP × n_ctx × d_attn each, per layer
    let hand = (2 * matmul + attention) as f64;
    assert_eq!(forward("llama-2-7b", 4096, Masking::Full), hand);
    // A causal mask halves the attention term: Kaplan's 2·n_layer·n_ctx·d_attn.
    let causal = (2 * matmul + attention / 2) as f64;
    assert_eq!(forward("llama-2-7b", 4096, Masking::Causal), causal);
}

#[test]
fn palm_540b_model_flops_per_token() {
    // Chowdhery et al. 2022, App. B and Table 22: 6N + 12·L·H·Q·T = 3.28 TFLOP per token for
    // N = 540.35B, L = 118, H = 48, Q = 256, T = 2048.
    let m = model("palm-540b");
    let a = arch(&m);
    let p = params::count("palm-540b", a).unwrap();
    let options = FlopsOptions {
        seq_len: 2048,
        target_len: None,
        masking: Masking::Full,
        recompute: Recompute::None,
    };
    let f = flops::count(a, &p, &options);
    assert!(off(f.training_flops_per_token.get::<flop>(), 3.28e12) < 0.005);
    // The attention term is exactly PaLM's 12·L·H·Q·T spread over forward and backward.
    let attention = 3.0 * f.attention_flops_per_token.get::<flop>();
    assert_eq!(attention, 12.0 * 118.0 * 48.0 * 256.0 * 2048.0);
}

#[test]
fn moe_counts_only_the_routed_experts() {
    // Mixtral at 4096 tokens: per layer, attention projections, 2 of 8 experts and the router.
    let per_layer: u64 = 2 * 4096 * 4096 + 2 * 4096 * 1024 + 2 * (3 * 4096 * 14_336) + 4096 * 8;
    let matmul = 32 * per_layer + 32_000 * 4096;
    let attention: u64 = 2 * 2 * 32 * 4096 * 4096;
    assert_eq!(
        forward("mixtral-8x7b", 4096, Masking::Full),
        (2 * matmul + attention) as f64
    );
}

#[test]
fn gpt_4_forward_is_gigaflops_not_teraflops() {
    // The leak says "~560 TFLOPs" per forward pass; 2 × 280B active is 560 GFLOP per token.
    let f = forward("gpt-4", 8192, Masking::Causal);
    assert!(f > 540e9 && f < 600e9, "{f}");
    let claimed = model("gpt-4").claims.forward_flops_per_token.unwrap().low;
    assert_eq!(claimed, 560e12);
    assert!(off(claimed / f, 1000.0) < 0.05);
}

#[test]
fn encoder_decoder_counts_input_and_target_tokens() {
    // T5-11B with 512 input and 512 target tokens. Per input token: encoder projections, MLP and
    // attention over 512 keys, plus the decoder's cross-attention keys and values of that token.
    // Per target token: decoder self- and cross-attention, MLP and logits.
    let (d, q) = (1024.0, 16_384.0);
    let s = 512.0;
    let encoder = 24.0 * (2.0 * 4.0 * d * q + 4.0 * s * q + 2.0 * 2.0 * d * 65_536.0);
    let cross_kv = 24.0 * 4.0 * d * q;
    let decoder = 24.0
        * (2.0 * 4.0 * d * q
            + 4.0 * s * q
            + (2.0 * 2.0 * d * q + 4.0 * s * q)
            + 2.0 * 2.0 * d * 65_536.0)
        + 2.0 * d * 32_128.0;
    let per_sequence = s * (encoder + cross_kv) + s * decoder;
    let m = model("t5-11b");
    let a = arch(&m);
    let options = FlopsOptions {
        seq_len: 512,
        target_len: Some(512),
        masking: Masking::Full,
        recompute: Recompute::None,
    };
    let p = params::count("t5-11b", a).unwrap();
    let f = flops::count(a, &p, &options);
    assert!(off(f.forward_flops_per_sequence.get::<flop>(), per_sequence) < 1e-12);
    assert!(
        off(
            f.forward_flops_per_token.get::<flop>(),
            per_sequence / 1024.0
        ) < 1e-12
    );
}

#[test]
fn recompute_adds_forward_work_to_hardware_flops() {
    let m = model("llama-2-7b");
    let a = arch(&m);
    let run = |recompute| {
        let options = FlopsOptions {
            seq_len: 4096,
            target_len: None,
            masking: Masking::Full,
            recompute,
        };
        flops::count(a, &params::count("llama-2-7b", a).unwrap(), &options)
    };
    let none = run(Recompute::None);
    let fwd = none.forward_flops_per_token.get::<flop>();
    assert_eq!(none.training_flops_per_token.get::<flop>(), 3.0 * fwd);
    assert_eq!(none.hardware_flops_per_token.get::<flop>(), 3.0 * fwd);
    assert_eq!(
        run(Recompute::Full).hardware_flops_per_token.get::<flop>(),
        4.0 * fwd
    );
    let selective = run(Recompute::Selective);
    let attention = (2u64 * 2 * 32 * 4096 * 4096) as f64;
    assert_eq!(
        selective.hardware_flops_per_token.get::<flop>(),
        3.0 * fwd + attention
    );
}

#[test]
fn transformer_xl_positions_cost_a_projection_and_scores() {
    // Chinchilla at 2048 tokens: per layer, W_R projects the relative encodings (2·d·d per token) and
    // each query scores against them (2·n_ctx·d), on top of the usual attention (Dai et al. 2019).
    let d = 8192.0;
    let t = 2048.0;
    let matmul = 80.0 * (4.0 * d * d + d * d + 2.0 * d * 4.0 * d) + 32_000.0 * d;
    let attention = 80.0 * (4.0 * t * d + 2.0 * t * d);
    assert_eq!(
        forward("chinchilla-70b", 2048, Masking::Full),
        2.0 * matmul + attention
    );
}

#[test]
fn moe_every_other_layer_in_an_encoder_decoder() {
    // Switch-XXL: 24 + 24 GeGLU blocks, MoE on the odd ones (12 per stack), 128 experts, top-1.
    let m = model("switch-xxl");
    let a = arch(&m);
    let p = params::count("switch-xxl", a).unwrap();
    for (_, stack) in a.stacks() {
        let moe = stack.moe.as_ref().unwrap();
        assert_eq!((stack.layers, stack.moe_layers(), moe.top_k), (24, 12, 1));
    }
    // Per token, a MoE block runs one expert: the same MLP FLOPs as a dense block.
    let options = FlopsOptions {
        seq_len: 512,
        target_len: Some(512),
        masking: Masking::Full,
        recompute: Recompute::None,
    };
    let f = flops::count(a, &p, &options);
    let mlp = |part: &str, stack: StackKind| {
        f.parts
            .iter()
            .find(|x| x.part == part && x.stack == Some(stack))
            .map(|x| (x.per_layer.get::<flop>(), x.layers))
            .unwrap()
    };
    let dense = mlp("dense MLP", StackKind::Encoder);
    let routed = mlp("routed experts (top-k)", StackKind::Encoder);
    assert_eq!(dense, (2.0 * 3.0 * 4096.0 * 10_240.0, 12));
    assert_eq!(routed, dense);
}
