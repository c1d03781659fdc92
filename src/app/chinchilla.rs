//! `llmcalc chinchilla`: compute-optimal parameters and tokens under each published fit, and where a
//! model stands against them. The fits and formulas are in [`crate::domain::scaling`].

use serde::Serialize;

use crate::domain::model::{Model, params};
use crate::domain::scaling::{self, FITS};
use crate::domain::training::training_compute;
use crate::domain::units::Compute;
use crate::domain::units::unit::flop;
use crate::error::{Error, Input, Result};

/// What `llmcalc chinchilla` was asked: one of a budget, a parameter count, a token count or a model.
#[derive(Clone, Debug, Default)]
pub struct ChinchillaRequest {
    pub budget: Option<Compute>,
    pub params: Option<f64>,
    pub tokens: Option<f64>,
    pub model: Option<Model>,
}

/// A model's own size and data, when one is given.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Trained {
    pub model: String,
    pub params: f64,
    pub tokens: f64,
    pub tokens_per_param: f64,
    /// 6ND.
    pub compute_flops: f64,
}

/// One fit's answer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FitRow {
    pub fit: &'static str,
    pub source: &'static str,
    /// The budget the optimum is for (with --params or --tokens, the budget at which they are optimal).
    pub budget_flops: f64,
    pub optimal_params: f64,
    pub optimal_tokens: f64,
    pub tokens_per_param: f64,
    /// Predicted loss at the optimum (none for the rule of thumb, which has no loss).
    pub optimal_loss: Option<f64>,
    /// For a model: its tokens over the optimal tokens for its budget.
    pub overtraining: Option<f64>,
    /// For a model: predicted loss at its own size and data.
    pub model_loss: Option<f64>,
}

/// The result of `llmcalc chinchilla`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChinchillaResult {
    pub trained: Option<Trained>,
    pub fits: Vec<FitRow>,
}

fn invalid(input: Input, message: String) -> Error {
    Error::Invalid { input, message }
}

/// Sizes a run under each fit.
pub fn chinchilla(r: &ChinchillaRequest) -> Result<ChinchillaResult> {
    // Exactly one input sizes the run; tokens with a model are the model's own.
    let given: Vec<Input> = [
        (r.budget.is_some(), Input::Budget),
        (r.params.is_some(), Input::Params),
        (r.tokens.is_some() && r.model.is_none(), Input::Tokens),
        (r.model.is_some(), Input::Model),
    ]
    .into_iter()
    .filter_map(|(is_given, input)| is_given.then_some(input))
    .collect();
    let [input] = given[..] else {
        return Err(invalid(
            given.get(1).copied().unwrap_or(Input::Budget),
            "give one of a compute budget, a parameter count, a token count or a model (a model may take \
             its token count)"
                .into(),
        ));
    };
    let trained = match &r.model {
        Some(model) => {
            let arch = model.architecture("scaling-law sizing")?;
            let p = params::count(&model.id, arch)?;
            let tokens = r
                .tokens
                .or(model.claims.training_tokens.map(|t| t.mid()))
                .ok_or_else(|| {
                    invalid(
                        Input::Tokens,
                        format!(
                            "give the training tokens: {}'s claims record none",
                            model.id
                        ),
                    )
                })?;
            // Dense models by total parameters (Hoffmann et al. count them all); a MoE by its active ones.
            let n = p.active_params as f64;
            Some(Trained {
                model: model.id.clone(),
                params: n,
                tokens,
                tokens_per_param: tokens / n,
                compute_flops: training_compute(n, tokens).get::<flop>(),
            })
        }
        None => None,
    };
    let budget_for = |fit: Option<&scaling::Fit>| -> f64 {
        match (&trained, r.budget, r.params, r.tokens, fit) {
            (Some(t), ..) => t.compute_flops,
            (None, Some(c), ..) => c.get::<flop>(),
            (None, None, Some(n), _, Some(fit)) => fit.budget_for_params(n),
            (None, None, Some(n), _, None) => {
                training_compute(n, scaling::TOKENS_PER_PARAM * n).get::<flop>()
            }
            (None, None, None, Some(d), Some(fit)) => fit.budget_for_tokens(d),
            (None, None, None, Some(d), None) => {
                training_compute(d / scaling::TOKENS_PER_PARAM, d).get::<flop>()
            }
            _ => unreachable!("one input is given, checked above"),
        }
    };
    let mut fits: Vec<FitRow> = FITS
        .iter()
        .map(|fit| {
            let c = budget_for(Some(fit));
            let (n, d) = fit.optimum(c);
            FitRow {
                fit: fit.name,
                source: fit.source,
                budget_flops: c,
                optimal_params: n,
                optimal_tokens: d,
                tokens_per_param: d / n,
                optimal_loss: Some(fit.loss(n, d)),
                overtraining: trained.as_ref().map(|t| t.tokens / d),
                model_loss: trained.as_ref().map(|t| fit.loss(t.params, t.tokens)),
            }
        })
        .collect();
    let c = budget_for(None);
    let (n, d) = scaling::rule_of_thumb(c);
    fits.push(FitRow {
        fit: "20 tokens per parameter",
        source: "Hoffmann et al. 2022: Chinchilla, 70B on 1.4T tokens (Table 1); ≈20 tokens per parameter (Table 3)",
        budget_flops: c,
        optimal_params: n,
        optimal_tokens: d,
        tokens_per_param: scaling::TOKENS_PER_PARAM,
        optimal_loss: None,
        overtraining: trained.as_ref().map(|t| t.tokens / d),
        model_loss: None,
    });
    if let Some(bad) = fits.iter().find(|f| {
        ![f.budget_flops, f.optimal_params, f.optimal_tokens]
            .iter()
            .all(|v| v.is_finite() && *v > 0.0)
    }) {
        return Err(invalid(
            input,
            format!(
                "the {} optimum for this input is not a finite size (budget {:e} FLOP): give a realistic budget, size or \
             token count",
                bad.fit, bad.budget_flops
            ),
        ));
    }
    Ok(ChinchillaResult { trained, fits })
}
