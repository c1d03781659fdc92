//! The tables people read, pinned: a change in layout or wording is a reviewed change
//! (`INSTA_UPDATE=always cargo test` to accept one, then review the diff).

use crate::{fails, stdout};

#[test]
fn params_table() {
    insta::assert_snapshot!(stdout(&["params", "llama-2-7b"]));
}

#[test]
fn params_table_moe() {
    insta::assert_snapshot!(stdout(&["params", "mixtral-8x7b"]));
}

#[test]
fn flops_table() {
    insta::assert_snapshot!(stdout(&["flops", "gpt-4"]));
}

#[test]
fn flops_table_encoder_decoder() {
    insta::assert_snapshot!(stdout(&["flops", "t5-base", "--target-len", "128"]));
}

#[test]
fn models_table() {
    insta::assert_snapshot!(stdout(&["models"]));
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
    insta::assert_snapshot!(stdout(&["train", "gpt-4", "--explain"]));
}

#[test]
fn gpus_table() {
    insta::assert_snapshot!(stdout(&["gpus"]));
}

#[test]
fn compare_table() {
    insta::assert_snapshot!(stdout(&[
        "compare",
        "llama-3.1-70b",
        "--tokens",
        "15T",
        "--gpu",
        "h100,h200,b200,mi300x,a100-80gb",
        "--days",
        "90",
    ]));
}

#[test]
fn mfu_table() {
    insta::assert_snapshot!(stdout(&[
        "mfu",
        "palm-540b",
        "--gpu",
        "tpu-v4",
        "--gpus",
        "6144",
        "--tokens-per-second",
        "238.3k",
        "--seq-len",
        "2048",
    ]));
}

#[test]
fn memory_table() {
    insta::assert_snapshot!(stdout(&[
        "memory",
        "llama-2-70b",
        "--gpu",
        "a100-80gb",
        "--gpus",
        "64",
        "--tp",
        "8",
        "--pp",
        "2",
        "--zero",
        "1",
        "--sp",
        "--recompute",
        "selective",
    ]));
}

#[test]
fn plan_table() {
    insta::assert_snapshot!(stdout(&[
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
    ]));
}

#[test]
fn serve_table() {
    insta::assert_snapshot!(stdout(&[
        "serve",
        "llama-2-70b",
        "--gpu",
        "h100",
        "--gpus",
        "8",
        "--batch",
        "32",
        "--prompt-tokens",
        "2000",
        "--output-tokens",
        "500",
        "--draft",
        "llama-2-7b",
        "--acceptance",
        "0.8",
        "--lookahead",
        "4",
    ]));
}

#[test]
fn image_tokens_table() {
    insta::assert_snapshot!(stdout(&[
        "image-tokens",
        "2048x4096",
        "--price-per-million",
        "$2.50"
    ]));
}

#[test]
fn audit_table() {
    insta::assert_snapshot!(stdout(&["audit", "gpt-4"]));
}

#[test]
fn chinchilla_table() {
    insta::assert_snapshot!(stdout(&["chinchilla", "llama-3.1-8b"]));
}
