//! Bad input: every class gets a message naming the field, the value and what is allowed, exit code 2,
//! and nothing on standard output.

use crate::fails;

fn write_preset(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("bad-presets");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// A small valid preset: a MoE decoder with every required field.
const VALID: &str = include_str!("../fixtures/tiny.toml");

/// Writes VALID with one substitution and returns llmcalc's complaint about it.
fn complaint(file: &str, from: &str, to: &str) -> String {
    assert!(VALID.contains(from), "{from}");
    let path = write_preset(file, &VALID.replacen(from, to, 1));
    fails(&["params", path.to_str().unwrap()])
}

#[test]
fn the_valid_preset_is_valid() {
    let path = write_preset("valid.toml", VALID);
    crate::stdout(&["params", path.to_str().unwrap()]);
}

#[test]
fn unknown_field_with_file_line_and_column() {
    let err = complaint("unknown.toml", "ffn = 256", "fnn = 256");
    assert!(err.contains("unknown.toml:16:1"), "{err}");
    assert!(err.contains("unknown field `fnn`"), "{err}");
    assert!(err.contains("16 | fnn = 256"), "{err}");
}

#[test]
fn wrong_type() {
    let err = complaint("type.toml", "layers = 2", "layers = \"two\"");
    assert!(err.contains("type.toml:14:10"), "{err}");
    assert!(err.contains("invalid type: string \"two\""), "{err}");
}

#[test]
fn heads_not_dividing_d_model() {
    let err = complaint("heads.toml", "heads = 4", "heads = 5");
    assert!(err.contains("heads.toml:15:9"), "{err}");
    assert!(
        err.contains("decoder.heads = 5 does not divide architecture.d_model = 64"),
        "{err}"
    );
}

#[test]
fn kv_heads_not_dividing_heads() {
    let err = complaint("kv.toml", "heads = 4", "heads = 4\nkv_heads = 3");
    assert!(err.contains("kv.toml:16:12"), "{err}");
    assert!(
        err.contains("decoder.kv_heads = 3 does not divide decoder.heads = 4"),
        "{err}"
    );
}

#[test]
fn top_k_above_experts() {
    let err = complaint("topk.toml", "top_k = 1", "top_k = 5");
    assert!(err.contains("topk.toml:21:9"), "{err}");
    assert!(
        err.contains("decoder.moe.top_k = 5 is more than decoder.moe.experts = 4"),
        "{err}"
    );
}

#[test]
fn zero_and_negative_layers() {
    let err = complaint("zero.toml", "layers = 2", "layers = 0");
    assert!(
        err.contains("decoder.layers = 0 is out of range: it must be from 1 to 65536"),
        "{err}"
    );
    let err = complaint("negative.toml", "layers = 2", "layers = -2");
    assert!(err.contains("negative.toml:14:10"), "{err}");
    assert!(err.contains("invalid value: integer `-2`"), "{err}");
}

#[test]
fn nan_and_numbers_too_large() {
    let err = complaint("nan.toml", "d_model = 64", "d_model = nan");
    assert!(err.contains("nan.toml:6:11"), "{err}");
    assert!(err.contains("invalid type: floating point `NaN`"), "{err}");
    let err = complaint("huge.toml", "vocab = 1000", "vocab = 99999999999999999999");
    assert!(err.contains("huge.toml:5:9"), "{err}");
    let err = complaint("big.toml", "d_model = 64", "d_model = 640000000");
    assert!(
        err.contains("architecture.d_model = 640000000 is out of range"),
        "{err}"
    );
}

#[test]
fn unknown_choice_lists_the_allowed_ones() {
    let err = complaint("mlp.toml", "mlp = \"gelu\"", "mlp = \"swish\"");
    assert!(err.contains("mlp.toml:17:7"), "{err}");
    assert!(err.contains("unknown variant `swish`"), "{err}");
    assert!(err.contains("swiglu"), "{err}");
}

#[test]
fn malformed_toml() {
    let err = complaint("syntax.toml", "layers = 2", "layers = = 2");
    assert!(err.contains("syntax.toml:14:"), "{err}");
}

#[test]
fn claims_with_the_wrong_dimension() {
    let path = write_preset(
        "claims.toml",
        &format!("{VALID}\n[claims]\ngpus = \"80 GiB\"\n"),
    );
    let err = fails(&["params", path.to_str().unwrap()]);
    assert!(err.contains("claims.toml:24:8"), "{err}");
    assert!(
        err.contains("`80 GiB` is an amount of memory, but this field takes a count"),
        "{err}"
    );
}

#[test]
fn unknown_preset_suggests_the_closest() {
    let err = fails(&["params", "gpt4"]);
    assert!(
        err.contains("unknown model `gpt4`; did you mean one of `gpt-4`"),
        "{err}"
    );
    let err = fails(&["params", "lama-2-7b"]);
    assert!(err.contains("`llama-2-7b`"), "{err}");
}

#[test]
fn missing_file() {
    let err = fails(&["params", "./no-such-model.toml"]);
    assert!(err.contains("cannot read `./no-such-model.toml`"), "{err}");
}

#[test]
fn claims_only_preset_names_what_is_missing() {
    let err = fails(&["params", "gpt-4.5"]);
    assert!(
        err.contains("gpt-4.5: counting parameters needs the architecture"),
        "{err}"
    );
    assert!(err.contains("[architecture]"), "{err}");
    let err = fails(&["flops", "gpt-4.5", "--set", "architecture.d_model=8192"]);
    assert!(err.contains("architecture.vocab"), "{err}");
    assert!(err.contains("decoder or encoder"), "{err}");
}

#[test]
fn bad_override_points_at_the_argument() {
    let err = fails(&["params", "llama-2-7b", "--set", "decoder.heads=0"]);
    assert!(err.contains("--set decoder.heads=0:1:17"), "{err}");
    assert!(err.contains("out of range"), "{err}");
    let err = fails(&["params", "llama-2-7b", "--set", "decoder.layer=3"]);
    assert!(err.contains("unknown field `layer`"), "{err}");
    let err = fails(&["params", "llama-2-7b", "--set", "decoder.layers"]);
    assert!(err.contains("is not `key=value`"), "{err}");
}

#[test]
fn argument_of_the_wrong_dimension() {
    let err = fails(&["flops", "llama-2-7b", "--seq-len", "80GiB"]);
    assert!(err.contains("--seq-len"), "{err}");
    assert!(
        err.contains("`80GiB` is an amount of memory, but this field takes a count"),
        "{err}"
    );
    let err = fails(&["flops", "llama-2-7b", "--seq-len", "0"]);
    assert!(err.contains("not a whole number of tokens"), "{err}");
}

#[test]
fn flops_options_that_do_not_apply() {
    let err = fails(&["flops", "bert-base", "--attention", "causal"]);
    assert!(
        err.contains("--attention: causal masking applies to decoders"),
        "{err}"
    );
    let err = fails(&["flops", "llama-2-7b", "--target-len", "5"]);
    assert!(
        err.contains("--target-len: applies to encoder-decoder models"),
        "{err}"
    );
    let err = fails(&["flops", "gpt-2", "--seq-len", "2048"]);
    assert!(
        err.contains("2048 tokens exceed the model's learned position table of 1024"),
        "{err}"
    );
}

#[test]
fn long_lines_are_shown_around_the_problem() {
    let text = VALID.replacen(
        "source = \"a test\"",
        &format!("source = \"{}\" x", "a".repeat(5000)),
        1,
    );
    let path = write_preset("long.toml", &text);
    let err = fails(&["params", path.to_str().unwrap()]);
    assert!(err.len() < 1000, "{} bytes", err.len());
    assert!(err.contains("long.toml:2:5013"), "{err}");
}

#[test]
fn missing_inputs_are_named_by_their_flags() {
    let err = fails(&["mfu", "llama-2-7b", "--gpu", "h100", "--gpus", "8"]);
    assert!(
        err.starts_with(
            "error: --tokens-per-second / --tokens-per-second-per-gpu / --step-time: give one"
        ),
        "{err}"
    );
    let err = fails(&["compare", "llama-2-70b", "--gpu", "h100"]);
    assert!(
        err.starts_with("error: --days: give one of --days"),
        "{err}"
    );
}

/// `command llama-2-7b --gpu h100 --gpus 8`, then `extra`.
pub fn on_8_h100<'a>(command: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let on = [command, "llama-2-7b", "--gpu", "h100", "--gpus", "8"];
    [&on[..], extra].concat()
}

/// Values whose size no real run has, by command line, preset or `--set`: refused with the input, the
/// value and the plausible range, before a calculation can underflow or overflow into `NaN` or `inf`.
#[test]
fn implausible_sizes_are_refused_by_name() {
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &[
                "mfu",
                "llama-2-7b",
                "--gpu",
                "h100",
                "--gpus",
                "8",
                "--step-time",
                "1e-320",
                "--batch-tokens",
                "4M",
            ],
            "--step-time",
            "1 ns to 10,000 years",
        ),
        (
            &[
                "train", "--flops", "2e25", "--gpu", "h100", "--gpus", "1000", "--days", "1e-320",
            ],
            "--days",
            "plausible range of a time",
        ),
        // Underflow, not over-determination, is what is wrong here.
        (
            &[
                "train", "--flops", "1e-300", "--gpu", "h100", "--gpus", "1", "--mfu", "0.4",
            ],
            "--flops",
            "1 FLOP to 1e35 FLOP",
        ),
        (
            &["audit", "gpt-4", "--tolerance", "1e-320"],
            "--tolerance",
            "0.0001%",
        ),
        (
            &on_8_h100("compare", &["--price", "h100=$1e308/h"]),
            "--price",
            "$0.0001/h to $10,000/h",
        ),
        (
            &on_8_h100("compare", &["--tokens", "1e300"]),
            "--tokens",
            "0.001 to 1e30",
        ),
        (
            &[
                "train",
                "llama-2-7b",
                "--set",
                "claims.training_tokens=\"1..1e300\"",
            ],
            "claims.training_tokens",
            "plausible range of a count",
        ),
    ];
    for (args, input, range) in cases {
        let err = fails(args);
        assert!(
            err.contains(input) && err.contains(range),
            "{args:?}: {err}"
        );
        assert!(!err.contains("over-determined"), "{args:?}: {err}");
    }
}

/// A GPU preset with a peak of 5e-324 FLOP/s or a power of 1e300 W is refused where it is written.
#[test]
fn implausible_gpu_figures_in_a_preset() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("implausible-gpus");
    let gpus = dir.join("gpus");
    std::fs::create_dir_all(&gpus).unwrap();
    let h100 = include_str!("../../presets/gpus/h100.toml");
    let peak = h100.find("bf16 = \"").expect("a bf16 peak");
    let end = peak + h100[peak..].find('\n').unwrap();
    std::fs::write(
        gpus.join("tiny-peak.toml"),
        format!("{}bf16 = \"5e-324 FLOP/s\"{}", &h100[..peak], &h100[end..]),
    )
    .unwrap();
    let err = fails(&[
        "train",
        "llama-2-7b",
        "--gpu",
        "tiny-peak",
        "--gpus",
        "8",
        "--days",
        "30",
        "--presets",
        dir.to_str().unwrap(),
    ]);
    assert!(
        err.contains("tiny-peak.toml") && err.contains("1 MFLOP/s to 1e24 FLOP/s"),
        "{err}"
    );
}

/// What is read is capped: a file nested thousands deep is refused at the place it gets too deep, in
/// well under a second; a device or a FIFO is refused without reading from it.
#[test]
fn files_that_would_hang_or_exhaust_memory() {
    let headers: String = (1..3000)
        .map(|k| format!("[{}]\n", vec!["a"; k].join(".")))
        .take(40)
        .collect();
    let path = write_preset("deep.toml", &headers);
    let start = std::time::Instant::now();
    let err = fails(&["params", path.to_str().unwrap()]);
    assert!(start.elapsed().as_secs() < 5, "{:?}", start.elapsed());
    assert!(
        err.contains("deep.toml:17:") && err.contains("nested more than 16 levels"),
        "{err}"
    );
    let err = fails(&["params", "/dev/zero"]);
    assert!(err.contains("/dev/zero: not a regular file"), "{err}");
    let fifo = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("fifo.toml");
    let _ = std::fs::remove_file(&fifo);
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        let err = fails(&["params", fifo.to_str().unwrap()]);
        assert!(err.contains("not a regular file"), "{err}");
    }
}

/// A negative number is a value refused with its range, not a flag clap suggests passing after `--`;
/// `train` alone asks for a model first.
#[test]
fn negative_numbers_and_a_bare_train() {
    let err = fails(&[
        "train", "--flops", "1e24", "--gpu", "h100", "--gpus", "-5", "--days", "3",
    ]);
    assert!(
        err.contains("`-5` must be above zero") && !err.contains("-- -5"),
        "{err}"
    );
    let err = fails(&["memory", "llama-2-7b", "--gpu", "h100", "--gpus", "-8"]);
    assert!(!err.contains("-- -8"), "{err}");
    // With a unit, on every command: the option, the value and what is allowed, as with `=`.
    for (args, option, value) in [
        (
            vec!["train", "gpt-4", "--days", "-3d"],
            "--days <TIME>",
            "-3d",
        ),
        (
            vec!["compare", "gpt-4", "--gpu", "h100", "--days", "-3d"],
            "--days <TIME>",
            "-3d",
        ),
        (
            on_8_h100("serve", &["--tpot", "-1ms"]),
            "--tpot <TIME>",
            "-1ms",
        ),
        (
            on_8_h100("train", &["--price", "-2.5"]),
            "--price <PRICE>",
            "-2.5",
        ),
        (
            on_8_h100("mfu", &["--step-time", "-.5s"]),
            "--step-time <TIME>",
            "-.5s",
        ),
    ] {
        let err = fails(&args);
        assert!(
            err.contains(&format!(
                "invalid value '{value}' for '{option}': `{value}` must be above zero"
            )),
            "{args:?}: {err}"
        );
        assert!(!err.contains("-- "), "{err}");
    }
    let err = fails(&["train"]);
    assert!(err.starts_with("error: MODEL: give a model"), "{err}");
}

/// Durations as people write them: `850ms`, `90-100` days, `3 months` (a quarter of 365.25 days).
#[test]
fn durations_as_people_write_them() {
    let r = crate::json(&[
        "train", "--flops", "1e24", "--gpu", "h100", "--gpus", "1000", "--days", "90-100",
    ]);
    assert_eq!(r["wall_clock_seconds"]["low"], 90.0 * 86_400.0);
    assert_eq!(r["wall_clock_seconds"]["high"], 100.0 * 86_400.0);
    let r = crate::json(&[
        "train", "--flops", "1e24", "--gpu", "h100", "--gpus", "1000", "--days", "3 months",
    ]);
    assert_eq!(r["wall_clock_seconds"]["low"], 0.25 * 365.25 * 86_400.0);
    let r = crate::json(&on_8_h100(
        "mfu",
        &["--step-time", "850ms", "--batch-tokens", "32k"],
    ));
    let tokens_per_second = r["tokens_per_second"].as_f64().unwrap();
    assert!(
        (tokens_per_second / (32_000.0 / 0.85) - 1.0).abs() < 1e-14,
        "{tokens_per_second}"
    );
}

/// A GPU preset folder holding `file` as `gpus/NAME.toml`, and llmcalc's answer to `train` on it.
fn train_on_gpu_preset(name: &str, file: &str) -> std::process::Output {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("price-{name}"));
    let gpus = dir.join("gpus");
    std::fs::create_dir_all(&gpus).unwrap();
    std::fs::write(gpus.join(format!("{name}.toml")), file).unwrap();
    crate::llmcalc()
        .args([
            "train",
            "--flops",
            "1e23",
            "--gpu",
            name,
            "--gpus",
            "1000",
            "--days",
            "30",
            "--format",
            "json",
            "--presets",
        ])
        .arg(&dir)
        .output()
        .unwrap()
}

/// The A100-40GB preset with its `[[price]]` entries replaced by `price`.
fn a100_priced(price: &str) -> String {
    let a100 = include_str!("../../presets/gpus/a100-40gb.toml");
    let at = a100.find("[[price]]").expect("a price");
    format!("{}{price}", &a100[..at])
}

/// A price of a kind llmcalc does not know is refused where it is written, with the kinds allowed.
#[test]
fn an_unknown_price_kind_is_named_with_the_allowed_ones() {
    let file = a100_priced(
        "[[price]]\nper_gpu_hour = \"$2/h\"\nkind = \"hyperscaler-on-demand\"\nsource = \"s\"\ndate = \"2026\"\n\n\
         [[price]]\nper_gpu_hour = \"$1/h\"\nkind = \"spot\"\nsource = \"s\"\ndate = \"2026\"\n",
    );
    let line = file.lines().position(|l| l == "kind = \"spot\"").unwrap() + 1;
    let out = train_on_gpu_preset("spot-a100", &file);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains(&format!("spot-a100.toml:{line}:8")), "{err}");
    assert!(
        err.contains(
            "price.1.kind `spot` is not a kind of price; allowed: hyperscaler-on-demand, \
             neocloud-on-demand, reserved, claim"
        ),
        "{err}"
    );
    let single = a100_priced(
        "[price]\nper_gpu_hour = \"$1/h\"\nkind = \"cheap\"\nsource = \"s\"\ndate = \"2026\"\n",
    );
    let out = train_on_gpu_preset("cheap-a100", &single);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("price.kind `cheap` is not a kind of price"),
        "{err}"
    );
}

/// A file written before prices had kinds (one `[price]` table, no `kind`) is still read: its price
/// is used, of a kind not stated.
#[test]
fn an_old_single_price_table_is_still_read() {
    let file = a100_priced(
        "[price]\nper_gpu_hour = \"$1.50/h\"\nsource = \"my contract\"\ndate = \"2025-01\"\n",
    );
    let out = train_on_gpu_preset("old-a100", &file);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["price_usd_per_gpu_hour"]["low"], 1.5);
    assert_eq!(
        r["price_source"],
        "the old-a100 preset: kind not stated, 2025-01"
    );
    assert!(r["price_origin"]["kind"].is_null());
}

/// An unknown price basis is refused with the kinds allowed.
#[test]
fn an_unknown_price_basis_is_named_with_the_allowed_ones() {
    let err = fails(&[
        "compare",
        "gpt-4",
        "--gpu",
        "h100",
        "--days",
        "90",
        "--price-basis",
        "spot",
    ]);
    assert!(
        err.contains("`spot` is not a price basis; one of hyperscaler-on-demand, neocloud-on-demand, reserved, claim"),
        "{err}"
    );
}
