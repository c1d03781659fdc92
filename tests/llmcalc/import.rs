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
    let mla = write(
        "mla.json",
        r#"{"model_type": "deepseek", "kv_lora_rank": 512, "hidden_size": 5120, "num_attention_heads": 128}"#,
    );
    let err = fails(&["params", &mla]);
    assert!(err.contains("multi-head latent attention"), "{err}");
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
