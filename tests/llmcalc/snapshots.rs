//! The tables people read, and the same invocations as JSON and CSV, pinned: a change in layout,
//! wording, keys or columns is a reviewed change (`INSTA_UPDATE=always cargo test` to accept one,
//! then review the diff).

use crate::{LLAMA_70B_LAYOUT, draft, fails, palm_mfu, serve_args, stdout};

/// Pins `args` as a table under `name` (`..._table...`), and as JSON and CSV under the same name with
/// `table` replaced by `json` or `csv`.
fn pin(name: &str, args: &[&str]) {
    insta::assert_snapshot!(name, stdout(args));
    for format in ["json", "csv"] {
        let mut all = args.to_vec();
        all.extend(["--format", format]);
        insta::assert_snapshot!(name.replacen("table", format, 1), stdout(&all));
    }
}

#[test]
fn params_table() {
    pin("params_table", &["params", "llama-2-7b"]);
}

#[test]
fn params_table_moe() {
    pin("params_table_moe", &["params", "mixtral-8x7b"]);
}

#[test]
fn flops_table() {
    pin("flops_table", &["flops", "gpt-4"]);
}

#[test]
fn flops_table_encoder_decoder() {
    pin(
        "flops_table_encoder_decoder",
        &["flops", "t5-base", "--target-len", "128"],
    );
}

#[test]
fn models_table() {
    pin("models_table", &["models"]);
}

#[test]
fn error_rendering() {
    insta::assert_snapshot!(fails(&[
        "params",
        "llama-2-7b",
        "--set",
        "decoder.kv_heads=5"
    ]));
}

#[test]
fn train_table() {
    pin("train_table", &["train", "gpt-4", "--explain"]);
}

#[test]
fn gpus_table() {
    pin("gpus_table", &["gpus"]);
}

#[test]
fn compare_table() {
    pin(
        "compare_table",
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
    );
}

#[test]
fn mfu_table() {
    pin("mfu_table", &palm_mfu(&["--tokens-per-second", "238.3k"]));
}

#[test]
fn memory_table() {
    pin("memory_table", &LLAMA_70B_LAYOUT);
}

#[test]
fn plan_table() {
    pin(
        "plan_table",
        &[
            "plan",
            "llama-2-70b",
            "--gpu",
            "h100",
            "--gpus",
            "2048",
            "--tokens",
            "2T",
            "--top",
            "5",
        ],
    );
}

#[test]
fn serve_table() {
    let flags = [&["--batch", "32"][..], &draft("llama-2-7b")].concat();
    pin("serve_table", &serve_args("llama-2-70b", &flags));
}

#[test]
fn image_tokens_table() {
    pin(
        "image_tokens_table",
        &["image-tokens", "2048x4096", "--price-per-million", "$2.50"],
    );
}

#[test]
fn audit_table() {
    pin("audit_table", &["audit", "gpt-4"]);
}

#[test]
fn chinchilla_table() {
    pin("chinchilla_table", &["chinchilla", "llama-3.1-8b"]);
}
