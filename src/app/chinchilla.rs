//! `llmcalc chinchilla`: compute-optimal parameters and tokens under each published fit, and where a
//! model stands against them. The fits and formulas are in [`crate::domain::scaling`].

use serde::Serialize;

use super::invalid;
use crate::domain::model::{Model, params};
use crate::domain::scaling::{self, FITS};
use crate::domain::training::training_compute;
use crate::domain::units::unit::flop;
use crate::domain::units::{Bounds, Compute};
use crate::error::{Input, Result};

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
    /// For a mixture of experts: that the fits, made on dense models, are applied to its active
    /// parameters and are indicative only.
    pub warning: Option<String>,
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

/// Sizes a run under each fit.
pub fn chinchilla(r: &ChinchillaRequest) -> Result<ChinchillaResult> {
    let input = one_input(r)?;
    let trained = r.model.as_ref().map(|m| trained(m, r.tokens)).transpose()?;
    let budget = Budget {
        request: r,
        trained: trained.as_ref(),
    };
    let mut fits: Vec<FitRow> = FITS
        .iter()
        .map(|fit| fit_row(fit, budget.of(Some(fit)), trained.as_ref()))
        .collect();
    fits.push(rule_of_thumb_row(budget.of(None), trained.as_ref()));
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

/// The one input that sizes the run; tokens with a model are the model's own.
fn one_input(r: &ChinchillaRequest) -> Result<Input> {
    let given: Vec<Input> = [
        (r.budget.is_some(), Input::Budget),
        (r.params.is_some(), Input::Params),
        (r.tokens.is_some() && r.model.is_none(), Input::Tokens),
        (r.model.is_some(), Input::Model),
    ]
    .into_iter()
    .filter_map(|(is_given, input)| is_given.then_some(input))
    .collect();
    match given[..] {
        [input] => Ok(input),
        _ => Err(invalid(
            given.get(1).copied().unwrap_or(Input::Budget),
            "give one of a compute budget, a parameter count, a token count or a model (a model may take \
             its token count)",
        )),
    }
}

/// A model's size and data: its active parameters (all of them for a dense model, as Hoffmann et
/// al. count; a MoE's active ones) and the given tokens, else the middle of the claimed ones.
fn trained(model: &Model, tokens: Option<f64>) -> Result<Trained> {
    let arch = model.architecture("scaling-law sizing")?;
    let p = params::count(&model.id, arch)?;
    let tokens = super::training_tokens(tokens.map(Bounds::exact), model)?;
    let tokens = (tokens.low + tokens.high) / 2.0;
    let n = p.active_params as f64;
    // Every fit was made on dense models (Hoffmann et al. 2022, §3; Besiroglu et al. 2024); sparse
    // models follow laws of their own (Clark et al. 2022, "Unified Scaling Laws for Routed Language
    // Models"), so for a MoE the dense fits at its active size are an indication only.
    let warning = (p.active_params < p.total_params).then(|| {
        format!(
            "{} is a mixture of experts: the fits were made on dense models and are applied here to its {} active \
             parameters (of {}); routed models follow scaling laws of their own (Clark et al. 2022), so treat the \
             optimum as indicative",
            model.id,
            crate::domain::units::format::count(n),
            crate::domain::units::format::count(p.total_params as f64)
        )
    });
    Ok(Trained {
        model: model.id.clone(),
        params: n,
        tokens,
        tokens_per_param: tokens / n,
        compute_flops: training_compute(n, tokens).get::<flop>(),
        warning,
    })
}

/// The budget the optimum is sought for: a model's own 6ND, the given budget, or the budget at
/// which the given parameters or tokens are optimal.
#[derive(Clone, Copy)]
struct Budget<'a> {
    request: &'a ChinchillaRequest,
    trained: Option<&'a Trained>,
}

impl Budget<'_> {
    /// The budget under `fit`, or under the 20-tokens-per-parameter rule when `None`.
    fn of(self, fit: Option<&scaling::Fit>) -> f64 {
        let r = self.request;
        match (self.trained, r.budget, r.params, r.tokens, fit) {
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
            _ => unreachable!("one input is given, checked first"),
        }
    }
}

/// The optimum under one fitted loss at budget `c`, and how the model stands against it.
fn fit_row(fit: &scaling::Fit, c: f64, trained: Option<&Trained>) -> FitRow {
    let (n, d) = fit.optimum(c);
    FitRow {
        fit: fit.name,
        source: fit.source,
        budget_flops: c,
        optimal_params: n,
        optimal_tokens: d,
        tokens_per_param: d / n,
        optimal_loss: Some(fit.loss(n, d)),
        overtraining: trained.map(|t| t.tokens / d),
        model_loss: trained.map(|t| fit.loss(t.params, t.tokens)),
    }
}

/// The optimum under the 20-tokens-per-parameter rule at budget `c`, which predicts no loss.
fn rule_of_thumb_row(c: f64, trained: Option<&Trained>) -> FitRow {
    let (n, d) = scaling::rule_of_thumb(c);
    FitRow {
        fit: "20 tokens per parameter",
        source: "Hoffmann et al. 2022: Chinchilla, 70B on 1.4T tokens (Table 1); ≈20 tokens per parameter (Table 3)",
        budget_flops: c,
        optimal_params: n,
        optimal_tokens: d,
        tokens_per_param: scaling::TOKENS_PER_PARAM,
        optimal_loss: None,
        overtraining: trained.map(|t| t.tokens / d),
        model_loss: None,
    }
}
