//! Property tests: whatever a user types — a quantity, a `--set` override, a preset or config file, a
//! run's figures — llmcalc answers or refuses, never panics, and never prints a figure that is not a
//! finite number. Inputs are built from the pieces people type (digits, exponents, units, `$`, ranges)
//! so that most reach the arithmetic, with extremes mixed in. Runs in-process, in seconds.

use llmcalc::catalog::{Catalog, Override};
use llmcalc::cli::Cli;
use llmcalc::domain::units::parse::{Dimension, read, read_range};
use proptest::prelude::*;

/// A number as people type it, from the ordinary to the extreme.
fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u64..100_000).prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|x| x.to_string()),
        (-400i32..400, 1u8..10).prop_map(|(e, m)| format!("{m}e{e}")),
        prop::sample::select(vec![
            "0", "-1", "1e-320", "5e-324", "1e308", "1e300", "NaN", "inf", "-0", "1_000", ".5",
            "1.",
        ])
        .prop_map(str::to_string),
    ]
}

/// A value: `$`, a number, a space and a unit, each maybe, and maybe a range.
fn quantity() -> impl Strategy<Value = String> {
    let unit = prop::sample::select(vec![
        "",
        "%",
        "s",
        "ms",
        "h",
        "days",
        "w",
        "GiB",
        "KB",
        "kB",
        "TB/s",
        "Gb/s",
        "FLOP",
        "EFLOP",
        "TFLOP/s",
        "M",
        "B",
        "T",
        "k",
        "/h",
        "/GPU-hour",
        "USD",
        "MWh",
        "kW",
        "x",
        "..",
        "-",
    ]);
    let one = (any::<bool>(), number(), any::<bool>(), unit)
        .prop_map(|(dollar, n, space, unit)| {
            format!(
                "{}{n}{}{unit}",
                if dollar { "$" } else { "" },
                if space { " " } else { "" }
            )
        })
        .boxed();
    prop_oneof![
        one.clone(),
        (one.clone(), one).prop_map(|(a, b)| format!("{a}..{b}")),
        ".{0,12}".prop_map(|s| s),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// The quantity parser reads or refuses; what it reads is finite and of plausible size.
    #[test]
    fn quantities_parse_to_plausible_finite_values(text in quantity()) {
        for dim in Dimension::ALL {
            for bare in [None, Some(86_400.0)] {
                if let Ok(v) = read(&text, dim, bare) {
                    let (floor, ceiling) = dim.plausible();
                    prop_assert!(v == 0.0 || (floor..=ceiling).contains(&v.abs()), "{text}: {v}");
                }
                if let Ok((low, high)) = read_range(&text, dim, bare) {
                    prop_assert!(low.is_finite() && high.is_finite() && low <= high, "{text}");
                }
            }
        }
    }
}

/// Every number printed for people is finite: no `NaN`, `inf` or `e308` overflow residue.
fn assert_finite_text(args: &[String], text: &str) {
    for word in text.split(|c: char| c.is_whitespace() || "│|,$%()".contains(c)) {
        let lower = word.to_lowercase();
        assert!(
            !(lower == "nan" || lower == "inf" || lower == "-inf" || lower.contains("nan%")),
            "{args:?} printed `{word}`:\n{text}"
        );
    }
}

/// Runs the command line in-process: it must answer or refuse, not panic, and print finite numbers.
fn run(args: Vec<String>) -> Result<(), TestCaseError> {
    let mut all = vec!["llmcalc".to_string()];
    all.extend(args.iter().cloned());
    let empty = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("no-user-presets");
    std::fs::create_dir_all(&empty).unwrap();
    all.extend(["--presets".into(), empty.display().to_string()]);
    let Ok(cli) = <Cli as clap::Parser>::try_parse_from(&all) else {
        return Ok(());
    };
    if let Ok(answer) = cli.run() {
        assert_finite_text(&args, &answer.text);
    }
    Ok(())
}

/// A value for a flag: mostly a number with one of the flag's own units (`$` before the number when
/// the unit starts with `$`), sometimes any quantity.
fn typed(units: &'static [&'static str]) -> impl Strategy<Value = String> {
    let own = (number(), prop::sample::select(units)).prop_map(|(n, unit)| {
        match unit.strip_prefix('$') {
            Some(rest) => format!("${n}{rest}"),
            None => format!("{n}{unit}"),
        }
    });
    prop_oneof![4 => own, 1 => quantity()]
}

/// A run's figures, each maybe given.
fn train_args() -> impl Strategy<Value = Vec<String>> {
    let flag = |name: &'static str, units: &'static [&'static str]| {
        prop::option::of(typed(units)).prop_map(move |v| v.map(|v| vec![name.to_string(), v]))
    };
    (
        typed(&["", " FLOP", "EFLOP"]),
        prop::sample::select(vec!["h100", "a100-40gb", "mi300x", "tpu-v4"]),
        flag("--gpus", &[""]),
        flag("--mfu", &["", "%"]),
        flag("--days", &["", " days", "h", " s"]),
        flag("--budget", &["$", "$M"]),
        flag("--price", &["$/h", ""]),
        flag("--gpu-hours", &["", "M"]),
    )
        .prop_map(|(flops, gpu, a, b, c, d, e, f)| {
            let mut args = vec![
                "train".into(),
                "--flops".into(),
                flops,
                "--gpu".into(),
                gpu.into(),
            ];
            for extra in [a, b, c, d, e, f].into_iter().flatten() {
                args.extend(extra);
            }
            args
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// `train` from bare compute with any mix of run figures.
    #[test]
    fn train_answers_or_refuses(args in train_args()) {
        run(args)?;
    }

    /// `mfu`, `chinchilla` and `image-tokens` with any figures.
    #[test]
    fn other_commands_answer_or_refuse(
        a in typed(&["", " s", "ms", "$", "$M", " FLOP"]),
        b in typed(&["", "M", "k"]),
        which in 0..3u8,
    ) {
        let args: Vec<&str> = match which {
            0 => vec!["mfu", "llama-2-7b", "--gpu", "h100", "--gpus", "8", "--step-time", &a, "--batch-tokens", &b],
            1 => vec!["chinchilla", "--flops", &a],
            _ => vec!["image-tokens", "1024x1024", "--budget", &a],
        };
        run(args.into_iter().map(str::to_string).collect())?;
    }
}

/// Preset fields a `--set` may change, numbers and names alike.
const KEYS: [&str; 16] = [
    "architecture.d_model",
    "architecture.vocab",
    "architecture.context",
    "decoder.layers",
    "decoder.heads",
    "decoder.kv_heads",
    "decoder.ffn",
    "decoder.head_dim",
    "claims.training_tokens",
    "claims.mfu",
    "claims.days",
    "claims.gpus",
    "claims.price",
    "claims.training_flops",
    "claims.cost",
    "architecture.norm",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    /// `--set` with any value on any field: the preset loads or is refused with the field named, and a
    /// model that loads has finite parameter counts.
    #[test]
    fn overrides_load_or_are_refused(
        key in prop::sample::select(KEYS.to_vec()),
        value in prop_oneof![number(), quantity().prop_map(|q| format!("\"{q}\"")), ".{0,8}"],
        model in prop::sample::select(vec!["llama-2-7b", "mixtral-8x7b", "gpt-4", "t5-11b"]),
    ) {
        let Ok(set) = format!("{key}={value}").parse::<Override>() else { return Ok(()) };
        if Catalog::builtin().model(model, &[set]).is_ok() {
            let set = ["--set", &format!("{key}={value}")].map(str::to_string);
            for command in [&["params"][..], &["flops"], &["memory", "--gpu", "h100", "--gpus", "8"]] {
                let mut args: Vec<String> = command.iter().map(|a| a.to_string()).collect();
                args.push(model.to_string());
                args.extend(set.iter().cloned());
                run(args)?;
            }
        }
    }

    /// A preset file with any value in place of one of its numbers loads or is refused.
    #[test]
    fn preset_files_load_or_are_refused(
        index in 0usize..64,
        value in prop_oneof![number(), quantity().prop_map(|q| format!("\"{q}\""))],
        nesting in 0usize..40,
    ) {
        let tiny = include_str!("../fixtures/tiny.toml");
        let numbers: Vec<(usize, usize)> = number_spans(tiny);
        let (start, end) = numbers[index % numbers.len()];
        let mut text = format!("{}{value}{}", &tiny[..start], &tiny[end..]);
        text.push_str(&format!("x = {}1{}\n", "[".repeat(nesting), "]".repeat(nesting)));
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-presets");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("case-{}.toml", std::process::id()));
        std::fs::write(&path, text).unwrap();
        let _ = Catalog::builtin().model(path.to_str().unwrap(), &[]);
        run(vec!["params".into(), path.to_str().unwrap().into()])?;
    }

    /// A Hugging Face config with any sizes imports or is refused. The sizes stay within 2^31 (the
    /// widths of real configs are below 2^20); the import's own bounds are checked where it lives.
    #[test]
    fn configs_import_or_are_refused(
        hidden in 1u64..(1 << 31),
        layers in 0u64..4096,
        heads in 0u64..512,
        kv in 0u64..512,
        ffn in 0u64..(1 << 31),
        vocab in 0u64..(1 << 31),
        llama in any::<bool>(),
    ) {
        let config = if llama {
            format!(
                r#"{{"model_type": "llama", "hidden_size": {hidden}, "num_hidden_layers": {layers},
                "num_attention_heads": {heads}, "num_key_value_heads": {kv},
                "intermediate_size": {ffn}, "vocab_size": {vocab}, "max_position_embeddings": 4096}}"#
            )
        } else {
            format!(
                r#"{{"model_type": "gpt2", "n_embd": {hidden}, "n_layer": {layers}, "n_head": {heads},
                "vocab_size": {vocab}, "n_positions": 1024}}"#
            )
        };
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-configs");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("case-{}.json", std::process::id()));
        std::fs::write(&path, config).unwrap();
        run(vec!["params".into(), path.to_str().unwrap().into()])?;
    }
}

/// Byte spans of the numbers after `=` in a TOML text.
fn number_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some(eq) = line.find("= ") {
            let value = line[eq + 2..].trim_end();
            if value.parse::<f64>().is_ok() {
                spans.push((offset + eq + 2, offset + eq + 2 + value.len()));
            }
        }
        offset += line.len();
    }
    spans
}
