//! Charts are valid SVG and hold the series they promise.

use crate::stdout;

fn chart(args: &[&str], file: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(file);
    let mut all = args.to_vec();
    let path_text = path.to_str().unwrap().to_string();
    all.extend(["--chart", &path_text]);
    stdout(&all);
    let svg = std::fs::read_to_string(&path).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("valid XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    svg
}

fn texts(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text().map(|t| t.trim().to_string()))
        .collect()
}

#[test]
fn compare_chart_has_a_bar_per_gpu() {
    let svg = chart(
        &[
            "compare",
            "llama-2-70b",
            "--gpu",
            "h100,a100-80gb,mi300x",
            "--days",
            "30",
        ],
        "compare.svg",
    );
    let labels = texts(&svg);
    for gpu in ["h100", "a100-80gb", "mi300x"] {
        assert!(labels.iter().any(|t| t == gpu), "{gpu} missing: {labels:?}");
    }
    assert!(
        labels.iter().any(|t| t.contains("GPUs needed for 30 days")),
        "{labels:?}"
    );
}

#[test]
fn plan_chart_stacks_the_step_parts() {
    let svg = chart(
        &[
            "plan",
            "llama-2-7b",
            "--gpu",
            "h100",
            "--gpus",
            "64",
            "--top",
            "3",
        ],
        "plan.svg",
    );
    let labels = texts(&svg);
    for part in ["compute", "bubble", "TP comm", "DP comm", "EP comm"] {
        assert!(
            labels.iter().any(|t| t == part),
            "{part} missing: {labels:?}"
        );
    }
    assert!(labels.iter().any(|t| t == "#3"), "{labels:?}");
}

#[test]
fn chinchilla_chart_draws_each_fit_and_its_optimum() {
    let svg = chart(&["chinchilla", "--budget", "5.76e23"], "loss.svg");
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let curves = doc
        .descendants()
        .filter(|n| n.has_tag_name("polyline"))
        .count();
    let optima = doc
        .descendants()
        .filter(|n| n.has_tag_name("circle"))
        .count();
    assert!(curves >= 2, "{curves} curves");
    assert_eq!(optima, 2);
    let labels = texts(&svg);
    assert!(
        labels.iter().any(|t| t == "Chinchilla, approach 3"),
        "{labels:?}"
    );
    assert!(
        labels.iter().any(|t| t == "Epoch AI replication"),
        "{labels:?}"
    );
}

/// Extreme inputs no longer hang the chart: values no run has are refused before anything is drawn,
/// and the largest plausible ones draw in well under a second.
#[test]
fn extreme_inputs_do_not_hang_the_chart() {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("extreme.svg");
    let chart_to = ["--chart", path.to_str().unwrap()];
    for extra in [["--mfu", "1e-300"], ["--price", "h100=$1e308/h"]] {
        let args = crate::errors::on_8_h100("compare", &[&extra[..], &chart_to[..]].concat());
        let err = crate::fails(&args);
        assert!(err.contains("plausible range"), "{err}");
    }
    let start = std::time::Instant::now();
    let svg = chart(
        &crate::errors::on_8_h100("compare", &["--tokens", "1e30"]),
        "largest.svg",
    );
    assert!(
        start.elapsed().as_secs() < 10 && svg.contains("cost"),
        "{:?}",
        start.elapsed()
    );
}

/// Ranges draw both ends (the low end solid, up to the high end pale), axis labels read as counts
/// (`30.0 k`, not `30000.0`), and the chinchilla chart marks the model itself.
#[test]
fn ranges_axes_and_the_model_itself() {
    let svg = chart(
        &[
            "compare",
            "gpt-4",
            "--gpu",
            "a100-40gb,h100",
            "--days",
            "90..100",
            "--mfu",
            "0.32..0.36",
        ],
        "ranges.svg",
    );
    let labels = texts(&svg);
    assert!(
        !labels.iter().any(|t| t.ends_with(".0") && t.len() > 5),
        "{labels:?}"
    );
    let pale = svg.matches("opacity=\"0.35\"").count();
    assert!(pale >= 2, "no pale range bars:\n{svg}");
    let svg = chart(&["chinchilla", "llama-3.1-8b"], "own-point.svg");
    assert!(
        texts(&svg).iter().any(|t| t == "llama-3.1-8b"),
        "{:?}",
        texts(&svg)
    );
}
