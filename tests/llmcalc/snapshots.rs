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
