//! Scaling-law sizing and the claims audit through the binary.

use crate::{json, stdout};

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs()
}

#[test]
fn compute_optimal_allocation_by_hand() {
    let r = json(&["chinchilla", "--budget", "5.76e23"]);
    let fits = r["fits"].as_array().unwrap();
    // Chinchilla approach 3 (E 1.69, A 406.4, B 410.7, α 0.34, β 0.28), Hoffmann et al. eq. 4:
    // G = (αA/(βB))^(1/(α+β)), N = G (C/6)^(β/(α+β)), D = (C/6)^(α/(α+β)) / G.
    let g = (0.34f64 * 406.4 / (0.28 * 410.7)).powf(1.0 / 0.62);
    let c6 = 5.76e23f64 / 6.0;
    let (n, d) = (g * c6.powf(0.28 / 0.62), c6.powf(0.34 / 0.62) / g);
    assert!(close(fits[0]["optimal_params"].as_f64().unwrap(), n, 1e-9));
    assert!(close(fits[0]["optimal_tokens"].as_f64().unwrap(), d, 1e-9));
    let loss = 1.69 + 406.4 / n.powf(0.34) + 410.7 / d.powf(0.28);
    assert!(close(
        fits[0]["optimal_loss"].as_f64().unwrap(),
        loss,
        1e-12
    ));
    // Epoch AI replication (E 1.8172, A 482.01, B 2085.43, α 0.3478, β 0.3658).
    let g = (0.3478f64 * 482.01 / (0.3658 * 2085.43)).powf(1.0 / (0.3478 + 0.3658));
    let n = g * c6.powf(0.3658 / (0.3478 + 0.3658));
    assert!(close(fits[1]["optimal_params"].as_f64().unwrap(), n, 1e-9));
    // 20 tokens per parameter: N = √(C/120).
    assert!(close(
        fits[2]["optimal_params"].as_f64().unwrap(),
        (5.76e23f64 / 120.0).sqrt(),
        1e-12
    ));
}

#[test]
fn params_or_tokens_give_the_budget_they_are_optimal_for() {
    // The rule of thumb: 70B parameters want 1.4T tokens, 6 × 70B × 1.4T = 5.88e23 FLOP.
    let r = json(&["chinchilla", "--params", "70B"]);
    let rule = &r["fits"][2];
    assert!(close(
        rule["budget_flops"].as_f64().unwrap(),
        5.88e23,
        1e-12
    ));
    assert!(close(
        rule["optimal_tokens"].as_f64().unwrap(),
        1.4e12,
        1e-12
    ));
    // And every fit's optimum at its budget has 70B parameters.
    for fit in r["fits"].as_array().unwrap() {
        assert!(close(fit["optimal_params"].as_f64().unwrap(), 70e9, 1e-9));
    }
    let r = json(&["chinchilla", "--tokens", "1.4T"]);
    assert!(close(
        r["fits"][2]["optimal_params"].as_f64().unwrap(),
        70e9,
        1e-12
    ));
}

#[test]
fn a_model_against_the_fits() {
    // Llama 3.1 8B: 8,030,261,248 parameters on its claimed 15T tokens, 1,868 tokens per parameter.
    let r = json(&["chinchilla", "llama-3.1-8b"]);
    let t = &r["trained"];
    assert!(close(
        t["tokens_per_param"].as_f64().unwrap(),
        15e12 / 8_030_261_248.0,
        1e-12
    ));
    // Over-trained against the rule of thumb: 15T over the 20-per-param optimum of 6ND.
    let c = 6.0 * 8_030_261_248.0 * 15e12;
    let d_opt = 20.0 * (c / 120.0f64).sqrt();
    assert!(close(
        r["fits"][2]["overtraining"].as_f64().unwrap(),
        15e12 / d_opt,
        1e-12
    ));
    // The loss each fit predicts at its own size and data.
    let loss = 1.69 + 406.4 / 8_030_261_248f64.powf(0.34) + 410.7 / 15e12f64.powf(0.28);
    assert!(close(
        r["fits"][0]["model_loss"].as_f64().unwrap(),
        loss,
        1e-12
    ));
}

fn verdicts(model: &str) -> Vec<(String, String)> {
    let r = json(&["audit", model]);
    r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["claim"].as_str().unwrap().to_string(),
                row["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn gpt_4_audit_finds_the_slips() {
    let rows = verdicts("gpt-4");
    let verdict = |claim: &str| {
        rows.iter()
            .filter(|(c, _)| c == claim)
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
    };
    // "~560 TFLOPs per forward pass" is 2 × 280B = 560 GFLOP per token; "~3,700 TFLOP" for a dense
    // model of 1.8T is 3.6 TFLOP: both off by 1000.
    assert_eq!(verdict("forward_flops_per_token"), ["unit_slip"]);
    assert_eq!(verdict("dense_forward_flops_per_token"), ["unit_slip"]);
    // 6 × 280B × 13T agrees with 2.15e25.
    assert_eq!(verdict("training_flops"), ["consistent"]);
    // 90–100 days follow from the compute, but $63M at $1/h on 25,000 GPUs buys 105 days.
    assert_eq!(verdict("days"), ["consistent"]);
    assert_eq!(verdict("days_from_cost"), ["inconsistent"]);
    let r = json(&["audit", "gpt-4"]);
    let from_cost = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["claim"] == "days_from_cost")
        .unwrap();
    assert!(close(
        from_cost["computed"]["low"].as_f64().unwrap(),
        63e6 / 25_000.0 / 24.0,
        1e-12
    ));
    assert_eq!(r["consistent"], false);
    let text = stdout(&["audit", "gpt-4"]);
    assert!(text.contains("off by 1000^-1: unit slip?"), "{text}");
}

#[test]
fn gpt_3_audits_clean() {
    // Brown et al. 2020: 174.6B parameters, 300B tokens, 3.14e23 FLOP — and 6ND agrees.
    let r = json(&["audit", "gpt-3"]);
    assert_eq!(r["consistent"], true);
    let rows = verdicts("gpt-3");
    assert!(
        rows.iter()
            .any(|(c, v)| c == "training_flops" && v == "consistent")
    );
    assert!(
        rows.iter()
            .all(|(_, v)| v == "consistent" || v == "unchecked")
    );
}

#[test]
fn a_preset_without_claims_says_so() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny.toml");
    let text = stdout(&["audit", path.to_str().unwrap()]);
    assert!(
        text.contains("the preset records no claims to audit"),
        "{text}"
    );
}

/// The fits were made on dense models: applied to a mixture of experts, they come with a warning.
#[test]
fn dense_fits_on_a_moe_model_are_flagged() {
    let r = crate::json(&["chinchilla", "mixtral-8x7b", "--tokens", "8T"]);
    let warning = r["trained"]["warning"].as_str().unwrap();
    assert!(
        warning.contains("mixture of experts") && warning.contains("Clark et al. 2022"),
        "{warning}"
    );
    let r = crate::json(&["chinchilla", "llama-3.1-8b"]);
    assert!(r["trained"]["warning"].is_null());
}
