//! `llmcalc audit`: every published figure a preset records, set against what llmcalc computes from the
//! rest of the preset, with a verdict.
//!
//! Verdicts: a single published value is consistent within a tolerance (10% unless given: published
//! figures are rounded and runs are approximate); a published range is consistent when the computed value
//! falls inside it, widened by 2% for rounding of its ends. A ratio within the tolerance of a power of 1000
//! other than 1 is a likely unit slip (GFLOP written as TFLOP). Anything else is inconsistent.

use serde::Serialize;

use crate::domain::claims::{Claims, Figure};
use crate::domain::hardware::Gpu;
use crate::domain::model::Model;
use crate::domain::model::flops::{self, FlopsOptions, Masking, Recompute};
use crate::domain::model::params;
use crate::domain::training::{self, Known, tokens_for_compute, training_compute};
use crate::domain::units::unit::{
    day, dollar, dollar_per_hour, dollar_per_second, flop, hour, second,
};
use crate::domain::units::{Bounds, Compute, Money, MoneyRate, Time};
use crate::error::Result;

/// Rounding margin on the ends of a published range.
const RANGE_MARGIN: f64 = 0.02;

/// How a claim compares.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "verdict")]
pub enum Verdict {
    Consistent,
    Inconsistent,
    /// Off by 1000^power: a likely unit slip.
    UnitSlip {
        power: i32,
    },
    /// Nothing to compare against.
    Unchecked,
}

/// The unit a row is printed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Count,
    Flop,
    Days,
    Fraction,
    Usd,
}

/// One claim.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditRow {
    pub claim: &'static str,
    pub unit: Unit,
    /// In base units (count, FLOP, days, fraction, USD, USD per hour).
    pub published: Bounds<f64>,
    pub computed: Option<Bounds<f64>>,
    /// Computed over published, middle over middle.
    pub ratio: Option<f64>,
    #[serde(flatten)]
    pub verdict: Verdict,
    /// How the computed value was obtained, or why it could not be.
    pub basis: String,
}

/// The result of `llmcalc audit`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditResult {
    pub model: String,
    pub source: Option<String>,
    pub tolerance: f64,
    pub rows: Vec<AuditRow>,
    pub consistent: bool,
}

fn judge(published: Bounds<f64>, computed: Bounds<f64>, tolerance: f64) -> (f64, Verdict) {
    let mid = |b: Bounds<f64>| (b.low + b.high) / 2.0;
    let ratio = mid(computed) / mid(published);
    let margin = if published.is_exact() {
        tolerance
    } else {
        RANGE_MARGIN
    };
    let overlaps = |scale: f64| {
        computed.high >= published.low * scale * (1.0 - margin)
            && computed.low <= published.high * scale * (1.0 + margin)
    };
    if overlaps(1.0) {
        return (ratio, Verdict::Consistent);
    }
    let power = (ratio.log10() / 3.0).round() as i32;
    if power != 0 && overlaps(1000f64.powi(power)) {
        return (ratio, Verdict::UnitSlip { power });
    }
    (ratio, Verdict::Inconsistent)
}

struct Rows {
    rows: Vec<AuditRow>,
    tolerance: f64,
}

impl Rows {
    fn add<M>(
        &mut self,
        claim: &'static str,
        unit: Unit,
        published: Option<&Figure<M>>,
        scale: f64,
        computed: std::result::Result<Bounds<f64>, String>,
        basis: &str,
    ) {
        let Some(p) = published else { return };
        self.add_bounds(
            claim,
            unit,
            Bounds::new(p.low / scale, p.high / scale),
            computed,
            basis,
        );
    }

    /// Adds a row for a published value or range in base units.
    fn add_bounds(
        &mut self,
        claim: &'static str,
        unit: Unit,
        published: Bounds<f64>,
        computed: std::result::Result<Bounds<f64>, String>,
        basis: &str,
    ) {
        let row = match computed {
            Ok(c) => {
                let (ratio, verdict) = judge(published, c, self.tolerance);
                AuditRow {
                    claim,
                    unit,
                    published,
                    computed: Some(c),
                    ratio: Some(ratio),
                    verdict,
                    basis: basis.to_string(),
                }
            }
            Err(reason) => AuditRow {
                claim,
                unit,
                published,
                computed: None,
                ratio: None,
                verdict: Verdict::Unchecked,
                basis: reason,
            },
        };
        self.rows.push(row);
    }
}

fn bounds<M>(f: &Figure<M>) -> Bounds<f64> {
    Bounds::new(f.low, f.high)
}

/// Audits a model's claims; `claimed_gpu` is the GPU preset its claims name (`claims.gpu`), whose dense
/// peak the claimed run is measured against.
pub fn audit(model: &Model, claimed_gpu: Option<&Gpu>, tolerance: f64) -> Result<AuditResult> {
    let c: &Claims = &model.claims;
    let mut rows = Rows {
        rows: Vec::new(),
        tolerance,
    };
    let exact = |v: f64| Ok(Bounds::exact(v));
    // What the architecture gives.
    let arch = model.try_architecture();
    let counted = arch.map(|a| params::count(&model.id, a)).transpose()?;
    let no_arch = || Err("the preset has no architecture".to_string());
    let active = counted.as_ref().map(|p| p.active_params as f64);
    // Parameter counts: the claims `params` checks too, from the architecture.
    match &counted {
        Some(p) => {
            for check in super::params::param_claims(model, p) {
                let basis = match check.claim {
                    "expert_params" => "one routed expert over all MoE layers",
                    "attention_params" => "attention projections of all layers",
                    _ => "counted from the architecture",
                };
                let published = Bounds::new(check.published_low, check.published_high);
                rows.add_bounds(
                    check.claim,
                    Unit::Count,
                    published,
                    exact(check.computed),
                    basis,
                );
            }
            if p.expert_params.is_none() {
                rows.add(
                    "expert_params",
                    Unit::Count,
                    c.expert_params.as_ref(),
                    1.0,
                    Err("the model has no experts".into()),
                    "",
                );
            }
        }
        None => {
            for (claim, figure) in [
                ("total_params", &c.total_params),
                ("active_params", &c.active_params),
                ("non_embedding_params", &c.non_embedding_params),
                ("expert_params", &c.expert_params),
                ("attention_params", &c.attention_params),
            ] {
                rows.add(claim, Unit::Count, figure.as_ref(), 1.0, no_arch(), "");
            }
        }
    }
    let forward_weights = match (arch, &counted) {
        (Some(a), Some(p)) => {
            let options = FlopsOptions::new(a, None, None, Masking::Full, Recompute::None)?;
            let f = flops::count(a, p, &options);
            Ok((f.forward_flops_per_token - f.attention_flops_per_token).get::<flop>())
        }
        _ => Err("the preset has no architecture".to_string()),
    };
    rows.add(
        "forward_flops_per_token",
        Unit::Flop,
        c.forward_flops_per_token.as_ref(),
        1.0,
        forward_weights.map(Bounds::exact),
        "2 × active matmul weights per token, no attention term (the 2N convention of such figures)",
    );
    rows.add(
        "dense_forward_flops_per_token",
        Unit::Flop,
        c.dense_forward_flops_per_token.as_ref(),
        1.0,
        counted
            .as_ref()
            .map(|p| Bounds::exact(2.0 * p.total_params as f64))
            .ok_or_else(|| "the preset has no architecture".to_string()),
        "2 × total params: a dense model of the same size",
    );
    // Training compute: 6 N_active D.
    let tokens = c.training_tokens.as_ref().map(bounds);
    let six_nd = match (active, tokens) {
        (Some(n), Some(d)) => Ok(Bounds::new(
            training_compute(n, d.low).get::<flop>(),
            training_compute(n, d.high).get::<flop>(),
        )),
        (None, _) => Err("the preset has no architecture".to_string()),
        (_, None) => Err("the claims record no training tokens".to_string()),
    };
    rows.add(
        "training_flops",
        Unit::Flop,
        c.training_flops.as_ref(),
        1.0,
        six_nd.clone(),
        "6 × active params × claimed tokens",
    );
    let claimed_flops = c.training_flops.as_ref().map(bounds);
    let implied_tokens = match (claimed_flops, active) {
        (Some(f), Some(n)) => Ok(Bounds::new(
            tokens_for_compute(Compute::new::<flop>(f.low), n),
            tokens_for_compute(Compute::new::<flop>(f.high), n),
        )),
        (None, _) => Err("the claims record no training FLOPs".to_string()),
        (_, None) => Err("the preset has no architecture".to_string()),
    };
    rows.add(
        "training_tokens",
        Unit::Count,
        c.training_tokens.as_ref(),
        1.0,
        implied_tokens,
        "claimed FLOPs / (6 × active params)",
    );

    // The run: compute = GPU-hours × peak × MFU, GPU-hours = GPUs × days, cost = GPU-hours × price.
    let compute = claimed_flops
        .or(six_nd.ok())
        .map(|b| b.map(Compute::new::<flop>));
    let peak = claimed_gpu.and_then(|g| g.peak(g.training_precision()));
    let gpus = c.gpus.as_ref().map(bounds);
    let mfu = c.mfu.as_ref().map(bounds);
    let days = c
        .days
        .as_ref()
        .map(|d| Bounds::new(Time::new::<second>(d.low), Time::new::<second>(d.high)));
    let gpu_hours = c
        .gpu_hours
        .as_ref()
        .map(|h| Bounds::new(Time::new::<hour>(h.low), Time::new::<hour>(h.high)));
    let price = c.price.as_ref().map(|p| {
        Bounds::new(
            MoneyRate::new::<dollar_per_second>(p.low),
            MoneyRate::new::<dollar_per_second>(p.high),
        )
    });
    let solve = |known: Known| -> std::result::Result<training::Run, String> {
        let peak = peak.ok_or("the claims name no GPU preset (claims.gpu) for the peak")?;
        training::solve(&Known { peak, ..known }).map_err(|e| e.to_string())
    };
    let need = |what: &[(&str, bool)]| -> std::result::Result<(), String> {
        let missing: Vec<&str> = what.iter().filter(|(_, ok)| !ok).map(|(n, _)| *n).collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!("needs {}", missing.join(", ")))
        }
    };
    let days_of = |run: training::Run| {
        run.duration
            .map(|d| d.map(|t| t.get::<day>()))
            .ok_or("not determined".to_string())
    };
    let computed_days = need(&[
        ("compute", compute.is_some()),
        ("gpus", gpus.is_some()),
        ("mfu", mfu.is_some()),
    ])
    .and_then(|_| {
        solve(Known {
            compute,
            gpus,
            mfu,
            ..Known::default()
        })
    })
    .and_then(days_of);
    rows.add(
        "days",
        Unit::Days,
        c.days.as_ref(),
        86_400.0,
        computed_days,
        "compute / (GPUs × dense peak × MFU)",
    );
    let computed_mfu = need(&[
        ("compute", compute.is_some()),
        (
            "gpus and days, or gpu_hours",
            (gpus.is_some() && days.is_some()) || gpu_hours.is_some(),
        ),
    ])
    .and_then(|_| {
        let (g, d, h) = if gpu_hours.is_some() {
            (None, None, gpu_hours)
        } else {
            (gpus, days, None)
        };
        solve(Known {
            compute,
            gpus: g,
            duration: d,
            gpu_time: h,
            ..Known::default()
        })
    })
    .and_then(|run| run.mfu.ok_or("not determined".to_string()));
    rows.add(
        "mfu",
        Unit::Fraction,
        c.mfu.as_ref(),
        1.0,
        computed_mfu,
        "compute / (GPU-hours × dense peak)",
    );
    let computed_gpus = need(&[
        ("compute", compute.is_some()),
        ("mfu", mfu.is_some()),
        ("days", days.is_some()),
    ])
    .and_then(|_| {
        solve(Known {
            compute,
            mfu,
            duration: days,
            ..Known::default()
        })
    })
    .and_then(|run| run.gpus.ok_or("not determined".to_string()));
    rows.add(
        "gpus",
        Unit::Count,
        c.gpus.as_ref(),
        1.0,
        computed_gpus,
        "compute / (dense peak × MFU × days)",
    );
    let computed_hours = need(&[("gpus", gpus.is_some()), ("days", days.is_some())]).map(|_| {
        let (g, d) = (gpus.unwrap(), days.unwrap().map(|t| t.get::<hour>()));
        Bounds::new(g.low * d.low, g.high * d.high)
    });
    rows.add(
        "gpu_hours",
        Unit::Count,
        c.gpu_hours.as_ref(),
        1.0,
        computed_hours.clone(),
        "GPUs × days × 24",
    );
    let hours = computed_hours
        .clone()
        .ok()
        .or(gpu_hours.map(|h| h.map(|t| t.get::<hour>())));
    let computed_cost = need(&[
        ("GPU-hours (gpus and days)", hours.is_some()),
        ("price", price.is_some()),
    ])
    .map(|_| {
        let (h, p) = (
            hours.unwrap(),
            price.unwrap().map(|p| p.get::<dollar_per_hour>()),
        );
        Bounds::new(h.low * p.low, h.high * p.high)
    });
    rows.add(
        "cost",
        Unit::Usd,
        c.cost.as_ref(),
        1.0,
        computed_cost,
        "GPU-hours × claimed price",
    );
    let cost = c
        .cost
        .as_ref()
        .map(|m| Bounds::new(Money::new::<dollar>(m.low), Money::new::<dollar>(m.high)));
    let days_from_cost = need(&[
        ("cost", cost.is_some()),
        ("price", price.is_some()),
        ("gpus", gpus.is_some()),
    ])
    .map(|_| {
        let (m, p, g) = (cost.unwrap(), price.unwrap(), gpus.unwrap());
        let d = |m: Money, p: MoneyRate, g: f64| (m / p).get::<hour>() / g / 24.0;
        Bounds::new(d(m.low, p.high, g.high), d(m.high, p.low, g.low))
    });
    rows.add(
        "days_from_cost",
        Unit::Days,
        c.days.as_ref().filter(|_| c.cost.is_some()),
        86_400.0,
        days_from_cost,
        "claimed days against the days the claimed cost buys: cost / (price × GPUs × 24)",
    );
    let consistent = rows
        .rows
        .iter()
        .all(|r| matches!(r.verdict, Verdict::Consistent | Verdict::Unchecked));
    Ok(AuditResult {
        model: model.id.clone(),
        source: c.source.clone().or(Some(model.source.clone())),
        tolerance,
        rows: rows.rows,
        consistent,
    })
}
