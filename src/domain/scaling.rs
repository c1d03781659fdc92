//! Compute-optimal sizing under published scaling laws.
//!
//! A parametric fit predicts the loss of a model of N parameters trained on D tokens as
//! `L(N, D) = E + A/N^α + B/D^β` (Hoffmann et al. 2022, eq. 2). Under a compute budget C = 6ND, the loss is
//! lowest at `N_opt = G·(C/6)^a` and `D_opt = G⁻¹·(C/6)^b` with `a = β/(α+β)`, `b = α/(α+β)` and
//! `G = (αA / (βB))^(1/(α+β))` (eq. 4). The 20-tokens-per-parameter rule reads Chinchilla's result as
//! D = 20N, so N = √(C/120).

use serde::Serialize;

/// A published fit of L(N, D) = E + A/N^α + B/D^β.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Fit {
    pub id: &'static str,
    pub name: &'static str,
    pub source: &'static str,
    pub e: f64,
    pub a: f64,
    pub b: f64,
    pub alpha: f64,
    pub beta: f64,
}

/// Chinchilla approach 3 (Hoffmann et al. 2022, eq. 10 and App. D.2), as printed.
pub const CHINCHILLA: Fit = Fit {
    id: "chinchilla-approach3",
    name: "Chinchilla, approach 3",
    source: "Hoffmann et al. 2022 (arXiv:2203.15556), eq. 10",
    e: 1.69,
    a: 406.4,
    b: 410.7,
    alpha: 0.34,
    beta: 0.28,
};

/// The Epoch AI replication of approach 3 (Besiroglu et al. 2024, Table 1).
pub const EPOCH: Fit = Fit {
    id: "epoch-replication",
    name: "Epoch AI replication",
    source: "Besiroglu, Erdil, Barnett, You 2024 (arXiv:2404.10102)",
    e: 1.8172,
    a: 482.01,
    b: 2085.43,
    alpha: 0.3478,
    beta: 0.3658,
};

/// The fits llmcalc knows, in the order they are reported.
pub const FITS: [Fit; 2] = [CHINCHILLA, EPOCH];

/// Tokens per parameter of the rule of thumb read from Chinchilla (Hoffmann et al. 2022: Chinchilla
/// itself is 70B parameters on 1.4T tokens, Table 1; Table 3's approach-1 optima are ≈20 tokens per
/// parameter).
pub const TOKENS_PER_PARAM: f64 = 20.0;

impl Fit {
    /// L(N, D).
    pub fn loss(&self, params: f64, tokens: f64) -> f64 {
        self.e + self.a / params.powf(self.alpha) + self.b / tokens.powf(self.beta)
    }

    /// G = (αA / (βB))^(1/(α+β)).
    fn g(&self) -> f64 {
        (self.alpha * self.a / (self.beta * self.b)).powf(1.0 / (self.alpha + self.beta))
    }

    /// The compute-optimal (N, D) for a budget of `compute` FLOP under C = 6ND.
    pub fn optimum(&self, compute: f64) -> (f64, f64) {
        let s = self.alpha + self.beta;
        let c6 = compute / 6.0;
        (
            self.g() * c6.powf(self.beta / s),
            c6.powf(self.alpha / s) / self.g(),
        )
    }

    /// The budget at which `params` is compute-optimal.
    pub fn budget_for_params(&self, params: f64) -> f64 {
        let s = self.alpha + self.beta;
        6.0 * (params / self.g()).powf(s / self.beta)
    }

    /// The budget at which `tokens` is compute-optimal.
    pub fn budget_for_tokens(&self, tokens: f64) -> f64 {
        let s = self.alpha + self.beta;
        6.0 * (tokens * self.g()).powf(s / self.alpha)
    }
}

/// The 20-tokens-per-parameter optimum for a budget: N = √(C / (6 · 20)), D = 20N.
pub fn rule_of_thumb(compute: f64) -> (f64, f64) {
    let n = (compute / (6.0 * TOKENS_PER_PARAM)).sqrt();
    (n, TOKENS_PER_PARAM * n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinchilla_loss_at_its_own_size() {
        // L(70B, 1.4T) = 1.69 + 406.4/70e9^0.34 + 410.7/1.4e12^0.28, worked out term by term.
        let n_term = 406.4 / 70e9f64.powf(0.34);
        let d_term = 410.7 / 1.4e12f64.powf(0.28);
        assert!((CHINCHILLA.loss(70e9, 1.4e12) - (1.69 + n_term + d_term)).abs() < 1e-12);
        // 0.0835 + 0.1632: a predicted loss of 1.937 nats per token.
        assert!((n_term - 0.0835).abs() < 0.0001 && (d_term - 0.1632).abs() < 0.0001);
    }

    #[test]
    fn optimum_is_the_minimum_along_the_budget() {
        // Along C = 6ND the loss at the closed-form optimum is below its neighbours'.
        for fit in FITS {
            let c = 5.76e23;
            let (n, d) = fit.optimum(c);
            assert!((6.0 * n * d - c).abs() / c < 1e-12);
            let at = |n: f64| fit.loss(n, c / (6.0 * n));
            assert!(at(n) < at(n * 1.05) && at(n) < at(n / 1.05), "{}", fit.id);
            // And the inverse functions agree.
            assert!((fit.budget_for_params(n) - c).abs() / c < 1e-9);
            assert!((fit.budget_for_tokens(d) - c).abs() / c < 1e-9);
        }
    }

    #[test]
    fn rule_of_thumb_for_chinchilla_budget() {
        // 5.76e23 FLOP: N = √(5.76e23 / 120) = 69.3B, D = 1.39T.
        let (n, d) = rule_of_thumb(5.76e23);
        assert!((n - (5.76e23f64 / 120.0).sqrt()).abs() < 1.0);
        assert!((d / n - 20.0).abs() < 1e-12);
        assert!((n / 1e9 - 69.28).abs() < 0.01);
    }
}
