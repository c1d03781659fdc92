//! Hugging Face `config.json` import: published configs (tests/fixtures/hf, sources in its README)
//! against the publishers' parameter counts.

use crate::{fails, json, llmcalc, stdout};

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/hf/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn counts(name: &str) -> (u64, u64) {
    let p = json(&["params", &fixture(name)]);
    (
        p["total_params"].as_u64().unwrap(),
        p["active_params"].as_u64().unwrap(),
    )
}

/// `text` written as `config.json` in its own folder `folder` of the test directory; its path.
fn config_file(folder: &str, text: &str) -> String {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(folder);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("config.json");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

fn off(computed: u64, published: f64) -> f64 {
    (computed as f64 - published).abs() / published
}

#[test]
fn published_configs_give_published_counts() {
    // Llama 2 7B: 6,738,415,616 (the checkpoint's weights, "7B" in Touvron et al. 2023).
    assert_eq!(counts("llama-2-7b.json").0, 6_738_415_616);
    // Mixtral 8x7B: 46.7B total, 12.9B active (Mistral AI).
    let (total, active) = counts("mixtral-8x7b.json");
    assert!(off(total, 46.7e9) < 0.001 && off(active, 12.9e9) < 0.002);
    // GPT-2: 124M (model card); exactly 124,439,808 with the head tied to the embedding.
    assert_eq!(counts("gpt2.json").0, 124_439_808);
    // BERT-base: 110M (Devlin et al. 2018), pooler included, masked-LM head not.
    assert!(off(counts("bert-base-uncased.json").0, 110e6) < 0.01);
    // T5-base: 220M (Raffel et al. 2020).
    assert!(off(counts("t5-base.json").0, 220e6) < 0.015);
    // DeepSeekMoE 16B: 16.4B total, 2.8B activated (DeepSeek-AI).
    let (total, active) = counts("deepseek-moe-16b.json");
    assert!(off(total, 16.4e9) < 0.005 && off(active, 2.8e9) < 0.015);
}

#[test]
fn todays_configs_give_published_counts() {
    // Qwen3-30B-A3B (qwen3_moe; config from citsjtu2020/LLM-Prof `sglang/Model_Config.md`): model
    // card "30.5B in total and 3.3B activated"; 30,532,122,624 / 3,353,032,704 by hand.
    let (total, active) = counts("qwen3-30b-a3b.json");
    assert!(off(total, 30.5e9) < 0.002 && off(active, 3.3e9) < 0.02);
    // Qwen3-8B (qwen3, QK-norm; same source): card "8.2B", "6.95B" without the embedding and the
    // untied head (2 × 151,936 × 4,096).
    let (total, _) = counts("qwen3-8b.json");
    assert!(off(total, 8.2e9) < 0.002);
    assert!(off(total - 2 * 151_936 * 4_096, 6.95e9) < 0.001);
    // DeepSeek-R1 (deepseek_v3, MLA, 1 MTP module; config from BudEcosystem/simulator
    // `BudSimulator/model_param_test.py`): card "671B" total, "37B" activated, as DeepSeek-V3.
    let (total, active) = counts("deepseek-r1.json");
    assert!(off(total, 671e9) < 0.001 && off(active, 37e9) < 0.02);
    // DeepSeek-V2.5 (deepseek_v2; same source): DeepSeek-V2's "236B total parameters, of which 21B
    // are activated" (arXiv:2405.04434, abstract); the Hub lists 235.74B for the checkpoint.
    let (total, active) = counts("deepseek-v2.5.json");
    assert!(off(total, 235.74e9) < 0.0001 && off(active, 21e9) < 0.02);
    // gpt-oss-20b (gpt_oss: biases, sinks, alternating 128-token windows; config from
    // EchoCog/gpt-oss-20b `config.json`): card "20.9B" total, "3.6B" active counting the unembedding
    // but not the embedding (201,088 × 2,880).
    let (total, active) = counts("gpt-oss-20b.json");
    assert!(off(total, 20.9e9) < 0.001);
    assert!(off(active - 201_088 * 2_880, 3.6e9) < 0.005);
}

#[test]
fn gemma2_phi3_and_qwen2_moe_configs_give_published_counts() {
    // Gemma 2 9B (gemma2; google/gemma-2-9b-it's config.json as quoted in vllm-project/vllm issue
    // #10548): Gemma 2 report (arXiv:2408.00118), Table 2, 8,324,201,984 non-embedding parameters,
    // exactly 42 × (attention 3 × 3,584 × 4,096 + 2 × 3,584 × 2,048 = 44,040,192, GeGLU 3 × 3,584 ×
    // 14,336 = 154,140,672, four norms 4 × 3,584) + the final norm 3,584; 917,962,752 embedding
    // parameters there, a 256,128-row table where the config says 256,000 (0.05 % of the total).
    let p = json(&["params", &fixture("gemma-2-9b-it.json")]);
    assert_eq!(p["non_embedding_params"], 8_324_201_984u64);
    let total = p["total_params"].as_u64().unwrap();
    assert!(off(total, 917_962_752.0 + 8_324_201_984.0) < 0.0001);
    // Phi-3-mini (phi3; microsoft/Phi-3-mini-4k-instruct's config.json as quoted in NVIDIA/TensorRT-LLM
    // `tests/unittest/_torch/modeling/test_modeling_phi3.py`): "phi-3-mini, a 3.8 billion parameter
    // language model" (arXiv:2404.14219, abstract); 3.82B with the untied head.
    let (total, _) = counts("phi-3-mini-4k-instruct.json");
    assert!(off(total, 3.8e9) < 0.01);
    // Qwen2-57B-A14B (qwen2_moe, a shared expert of 20,480 = 8 × 2,560; config as quoted in
    // NVIDIA/TensorRT-LLM `tests/unittest/_torch/modeling/test_modeling_qwen_moe.py`): "57B" total,
    // "14B" activated (Qwen2 report, arXiv:2407.10671, Table 1); the Hub lists 57.4B for the checkpoint.
    let (total, active) = counts("qwen2-57b-a14b.json");
    assert!(off(total, 57.4e9) < 0.001);
    assert!(off(active, 14e9) < 0.02);
}

#[test]
fn import_writes_a_preset_that_loads_to_the_same_count() {
    let toml = stdout(&["import", &fixture("mixtral-8x7b.json")]);
    assert!(toml.contains("[decoder.moe]"), "{toml}");
    assert!(toml.contains("Fields not read: architectures"), "{toml}");
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("import");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("mixtral.toml");
    std::fs::write(&path, toml).unwrap();
    let p = json(&["params", path.to_str().unwrap()]);
    assert_eq!(p["total_params"], 46_702_792_704u64);
    // A folder holding config.json is read too, and named for the folder.
    let folder = dir.join("Llama-2-7b-hf");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::copy(fixture("llama-2-7b.json"), folder.join("config.json")).unwrap();
    let p = json(&["params", folder.to_str().unwrap()]);
    assert_eq!(p["total_params"], 6_738_415_616u64);
    assert_eq!(p["model"]["id"], "Llama-2-7b-hf");
}

#[test]
fn what_cannot_be_mapped_is_said() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("import-bad");
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    };
    let unknown = write(
        "unknown.json",
        r#"{"model_type": "rwkv", "hidden_size": 2048}"#,
    );
    let err = fails(&["params", &unknown]);
    assert!(
        err.contains("model_type `rwkv` is not one llmcalc maps"),
        "{err}"
    );
    let layer_zero = write(
        "layer-zero.json",
        r#"{"model_type": "deepseek", "moe_layer_freq": 2, "first_k_dense_replace": 0, "hidden_size": 64,
            "num_attention_heads": 4, "intermediate_size": 128, "vocab_size": 100, "max_position_embeddings": 64,
            "num_hidden_layers": 4, "n_routed_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 32}"#,
    );
    let err = fails(&["params", &layer_zero]);
    assert!(err.contains("makes layer 0 a MoE layer"), "{err}");
    let zero_expert = write(
        "zero-expert.json",
        r#"{"model_type": "qwen2_moe", "hidden_size": 64, "num_attention_heads": 4, "intermediate_size": 128,
            "vocab_size": 100, "max_position_embeddings": 64, "num_hidden_layers": 2,
            "moe_intermediate_size": 0, "num_experts": 4, "num_experts_per_tok": 2}"#,
    );
    let err = fails(&["import", &zero_expert]);
    assert!(err.contains("`moe_intermediate_size` = 0"), "{err}");
    let wide = write(
        "wide.json",
        r#"{"model_type": "gpt2", "n_embd": 4611686018427387904, "vocab_size": 100, "n_positions": 10,
            "n_layer": 2, "n_head": 2}"#,
    );
    let err = fails(&["import", &wide]);
    assert!(err.contains("`n_embd`"), "{err}");
    let missing = write(
        "missing.json",
        r#"{"model_type": "llama", "hidden_size": 4096}"#,
    );
    let err = fails(&["params", &missing]);
    assert!(err.contains("`num_attention_heads` is missing"), "{err}");
    // A warning is named on standard error, and the count still printed.
    let output = llmcalc()
        .args(["params", &fixture("bert-base-uncased.json")])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("warning: BERT's masked-LM head"));
}

#[test]
fn many_unknown_fields_are_summarised() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("import-many");
    std::fs::create_dir_all(&dir).unwrap();
    let mut config = serde_json::json!({"model_type": "gpt2", "n_embd": 64, "vocab_size": 100,
        "n_positions": 10, "n_layer": 2, "n_head": 2});
    // 20,000 fields (under the 1 MiB a config may take).
    for i in 0..20_000 {
        config[format!("unknown_{i:06}")] = serde_json::json!(1);
    }
    let path = dir.join("config.json");
    std::fs::write(&path, config.to_string()).unwrap();
    let toml = stdout(&["import", path.to_str().unwrap()]);
    assert!(
        toml.contains("Fields not read: 20000, among them"),
        "{}",
        &toml[..500]
    );
    assert!(toml.len() < 5_000, "{} bytes", toml.len());
}

#[test]
fn a_deepseek_v3_config_imports_with_mla_and_mtp() {
    // The architecture fields of deepseek-ai/DeepSeek-V3's config.json (the Hub's file, quoted whole in
    // a vLLM issue report): 671B main model, 37B activated (report, abstract), 1 MTP layer (14B, card).
    let path = config_file(
        "import-v3",
        r#"{"model_type": "deepseek_v3", "first_k_dense_replace": 3, "hidden_act": "silu",
        "hidden_size": 7168, "intermediate_size": 18432, "kv_lora_rank": 512,
        "max_position_embeddings": 163840, "moe_intermediate_size": 2048, "moe_layer_freq": 1,
        "n_routed_experts": 256, "n_shared_experts": 1, "num_attention_heads": 128,
        "num_experts_per_tok": 8, "num_hidden_layers": 61, "num_key_value_heads": 128,
        "num_nextn_predict_layers": 1, "q_lora_rank": 1536, "qk_nope_head_dim": 128,
        "qk_rope_head_dim": 64, "tie_word_embeddings": false, "topk_method": "noaux_tc",
        "v_head_dim": 128, "vocab_size": 129280}"#,
    );
    let p = json(&["params", &path]);
    assert!(off(p["total_params"].as_u64().unwrap(), 671e9) < 0.001);
    assert!(off(p["active_params"].as_u64().unwrap(), 37e9) < 0.02);
    let with_mtp = p["total_params"].as_u64().unwrap() + p["mtp_params"].as_u64().unwrap();
    assert!(off(with_mtp, 685e9) < 0.001);
}

#[test]
fn a_llama4_config_imports_with_chunked_attention() {
    // The text_config fields of meta-llama/Llama-4-Scout-17B-16E the llama-4-scout preset cites
    // (hidden 5120, 48 layers, 40 and 8 heads of 128, 16 experts of 8192 top-1, dense 16384,
    // attention_chunk_size 8192, vocab 202048) with the published empty `no_rope_layers`, so that every
    // 4th layer is global (Llama4TextConfig's no_rope_layer_interval).
    let path = config_file(
        "import-llama4",
        r#"{"model_type": "llama4_text", "hidden_size": 5120, "num_hidden_layers": 48,
        "num_attention_heads": 40, "num_key_value_heads": 8, "head_dim": 128,
        "intermediate_size": 8192, "intermediate_size_mlp": 16384, "num_local_experts": 16,
        "num_experts_per_tok": 1, "interleave_moe_layer_step": 1, "vocab_size": 202048,
        "max_position_embeddings": 10485760, "attention_chunk_size": 8192, "no_rope_layers": [],
        "tie_word_embeddings": false}"#,
    );
    let path = path.as_str();
    let toml = stdout(&["import", path]);
    assert!(toml.contains("kind = \"chunked\""), "{toml}");
    // Causal attention at 131,072 tokens, 2·keys·(q + v) per layer and token with q = v = 40 × 128:
    // 12 global layers see 65,536 keys on average, 36 chunked layers (8,192 + 1)/2 = 4,096.5.
    let f = json(&[
        "flops",
        path,
        "--seq-len",
        "131072",
        "--attention",
        "causal",
    ]);
    let per_key = 2.0 * 2.0 * 5120.0;
    let attention = (12.0 * 65_536.0 + 36.0 * 4_096.5) * per_key;
    assert_eq!(f["attention_flops_per_token"], attention);
}

/// An assembled config of `tests/fixtures/hf/assembled` (field values each cited in its README).
fn assembled(name: &str) -> serde_json::Value {
    json(&["params", &fixture(&format!("assembled/{name}"))])
}

fn count(p: &serde_json::Value, key: &str) -> u64 {
    p[key].as_u64().unwrap()
}

#[test]
fn assembled_kimi_k2_gives_the_cards_counts() {
    // Kimi K2 (kimi_k2, DeepSeek-V3's layout). Left out, as not found published: hidden_act (the
    // DeepseekV3Config default is silu; the card says SwiGLU) and num_nextn_predict_layers (without it
    // the import counts no MTP module; Megatron-Bridge's KimiK2Provider builds none, mtp_num_layers None).
    // By hand, d = 7,168:
    //   embedding + untied head 2 × 163,840 × 7,168 = 2,348,810,240;
    //   MLA per layer: q_a 7,168 × 1,536 + q_b 1,536 × 64 × 192 + kv_a 7,168 × 576 + kv_b 512 × 64 × 256
    //     + o 64 × 128 × 7,168 + the q_a and kv_a norms 1,536 + 512 = 101,124,096, two norms 14,336;
    //   layer 0 dense: 3 × 7,168 × 18,432 = 396,361,728;
    //   60 MoE layers: (384 routed + 1 shared) × 3 × 7,168 × 2,048 = 16,955,473,920, router 384 × 7,168
    //     and its bias 384 = 2,752,896;
    //   61 × 101,138,432 + 396,361,728 + 60 × 16,958,226,816 + final norm 7,168 = 1,026,408,232,448.
    // Active: minus 60 × (384 − 8) unused experts of 44,040,192 = 32,861,500,928.
    // The card ("Model Summary") and the report's abstract (arXiv:2507.20534) say 1T total and 32B
    // activated, round figures: 2.7 % above both at most.
    let p = assembled("kimi-k2-instruct.json");
    let (total, active) = (count(&p, "total_params"), count(&p, "active_params"));
    assert_eq!((total, active), (1_026_408_232_448, 32_861_500_928));
    assert!(off(total, 1e12) < 0.03 && off(active, 32e9) < 0.03);
}

#[test]
fn assembled_gemma3_gives_the_reports_counts() {
    // Gemma 3 27B (gemma3, text_config): vocab_size, max_position_embeddings, hidden_activation,
    // tie_word_embeddings and the 5-local-to-1-global pattern left out, as the published text_config
    // leaves them; Gemma3TextConfig (transformers 4.50) supplies 262,208, 131,072, gelu_pytorch_tanh
    // and a tied head, and Gemma 3's pattern is every 6th layer global (arXiv:2503.19786, §2).
    // Gemma 3 report, Table 1: 25,600M non-embedding parameters, 1,416M embedding parameters, 417M in
    // the vision encoder (not counted: the import reads text_config only). By hand, 62 × (attention
    // 5,376 × (32 + 2 × 16) × 128 + 32 × 128 × 5,376 = 66,060,288, GeGLU 3 × 5,376 × 21,504 =
    // 346,816,512, four norms 4 × 5,376, QK-norm 2 × 128) + final norm 5,376 = 25,599,716,096.
    // The embedding 262,208 × 5,376 = 1,409,630,208 is 0.45 % under the table's 1,416M, which the
    // report does not break down.
    let p = assembled("gemma-3-27b-it.json");
    let non_embedding = count(&p, "non_embedding_params");
    assert_eq!(non_embedding, 25_599_716_096);
    assert!(off(non_embedding, 25_600e6) < 0.0001);
    let total = count(&p, "total_params");
    assert_eq!(total, 25_599_716_096 + 262_208 * 5_376);
    assert!(off(total, 25_600e6 + 1_416e6) < 0.001);
}

#[test]
fn assembled_llama4_gives_metas_counts() {
    // Llama 4 (llama4, text_config; iRoPE chunks, one shared expert). By hand, d = 5,120: attention
    // 2 × 5,120 × 5,120 + 2 × 5,120 × 1,024 = 62,914,560 and two norms 10,240 a layer; an expert (and
    // the shared one) 3 × 5,120 × 8,192 = 125,829,120; a dense layer's MLP 3 × 5,120 × 16,384 =
    // 251,658,240; embedding + untied head 2 × 202,048 × 5,120 = 2,068,971,520; final norm 5,120.
    // The import counts text_config only, not the vision encoder of the published checkpoints. The
    // QK-norm of use_qk_norm is an L2 norm without weights (transformers' Llama4TextL2Norm).
    //
    // Scout: vocab_size (not in the quoted part of the Hub file) and tie_word_embeddings left out:
    // Llama4TextConfig supplies 202,048 and false. 48 MoE layers of 16 experts + shared + router
    // 16 × 5,120: 48 × 2,202,101,760 + 5,120 + 2,068,971,520 = 107,769,861,120, 1.1 % under 109B;
    // active 48 × (62,914,560 + 2 × 125,829,120 + 81,920 + 10,240) + 5,120 + 2,068,971,520 =
    // 17,172,894,720, 1.0 % over 17B.
    let scout = assembled("llama-4-scout-17b-16e.json");
    let (total, active) = (
        count(&scout, "total_params"),
        count(&scout, "active_params"),
    );
    assert_eq!((total, active), (107_769_861_120, 17_172_894_720));
    assert!(off(total, 109e9) < 0.012 && off(active, 17e9) < 0.011);
    // Maverick: every 2nd layer MoE (128 experts + shared + router 128 × 5,120), the others dense:
    // 24 × 16,295,536,640 + 24 × 314,583,040 + 5,120 + 2,068,971,520 = 400,711,848,960, 0.18 % over
    // 400B; active 24 × (315,238,400 + 314,583,040) + 5,120 + 2,068,971,520 = 17,184,691,200.
    let maverick = assembled("llama-4-maverick-17b-128e.json");
    let (total, active) = (
        count(&maverick, "total_params"),
        count(&maverick, "active_params"),
    );
    assert_eq!((total, active), (400_711_848_960, 17_184_691_200));
    assert!(off(total, 400e9) < 0.002 && off(active, 17e9) < 0.011);
}

#[test]
fn assembled_olmo2_gives_the_cards_count() {
    // OLMo 2 7B (olmo2: RMSNorm after attention and MLP, QK-norm over the whole projections).
    // num_key_value_heads and tie_word_embeddings left out: Olmo2Config (transformers) takes the
    // attention heads (32) and an untied head. By hand, d = 4,096: 32 × (attention 4 × 4,096² =
    // 67,108,864, SwiGLU 3 × 4,096 × 11,008 = 135,266,304, two norms and the Q and K norms 4 × 4,096)
    // + final norm 4,096 = 6,476,533,760, with embedding + head 2 × 100,352 × 4,096 = 822,083,584:
    // 7,298,617,344. The card says "7B", a round figure 4.3 % under.
    let p = assembled("olmo-2-1124-7b.json");
    let total = count(&p, "total_params");
    assert_eq!(total, 7_298_617_344);
    assert_eq!(count(&p, "non_embedding_params"), 6_476_533_760);
    assert!(off(total, 7e9) < 0.05);
}
