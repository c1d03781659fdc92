//! `llmcalc audit`: every published figure a preset records, set against what llmcalc computes from the
//! rest of the preset, with a verdict.
//!
//! Verdicts: a single published value is consistent within a tolerance (10% unless given: published
//! figures are rounded and runs are approximate); a published range is consistent when the computed value
//! falls inside it, widened by 2% for rounding of its ends. A ratio within the tolerance of a power of 1000
//! other than 1 is a likely unit slip (GFLOP written as TFLOP). Anything else is inconsistent.

use serde::Serialize;

use crate::domain::claims::{Claims, Days, Figure};
use crate::domain::hardware::Gpu;
use crate::domain::model::flops::{self, FlopsOptions, Masking, Recompute};
use crate::domain::model::params::{self, ParamBreakdown};
use crate::domain::model::{Architecture, Model};
use crate::domain::training::{self, Known, tokens_for_compute, training_compute};
use crate::domain::units::unit::{
    day, dollar, dollar_per_hour, dollar_per_second, flop, hour, second,
};
use crate::domain::units::{Bounds, Compute, ComputeRate, Money, MoneyRate, Time};
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

/// A computed value or range in base units, or why it could not be computed.
type Computed = std::result::Result<Bounds<f64>, String>;

/// Why nothing the architecture determines can be computed.
const NO_ARCHITECTURE: &str = "the preset has no architecture";

/// The audit's rows under construction.
struct Rows {
    rows: Vec<AuditRow>,
    tolerance: f64,
}

impl Rows {
    /// Adds a row for a published value or range in base units, if the preset records one.
    fn add(
        &mut self,
        claim: &'static str,
        unit: Unit,
        published: Option<Bounds<f64>>,
        computed: Computed,
        basis: &str,
    ) {
        let Some(published) = published else { return };
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

/// A published figure as a range in its base unit.
fn bounds<M>(f: &Figure<M>) -> Bounds<f64> {
    Bounds::new(f.low, f.high)
}

/// A published duration (held in seconds) as a range of days.
fn in_days(f: &Figure<Days>) -> Bounds<f64> {
    bounds(f).map(|s| Time::new::<second>(s).get::<day>())
}

/// Audits a model's claims; `claimed_gpu` is the GPU preset its claims name (`claims.gpu`), whose dense
/// peak the claimed run is measured against.
pub fn audit(model: &Model, claimed_gpu: Option<&Gpu>, tolerance: f64) -> Result<AuditResult> {
    let c: &Claims = &model.claims;
    let mut rows = Rows {
        rows: Vec::new(),
        tolerance,
    };
    let arch = model.try_architecture();
    let counted = arch.map(|a| params::count(&model.id, a)).transpose()?;
    param_rows(&mut rows, model, counted.as_ref());
    let forward_weights = match (arch, &counted) {
        (Some(a), Some(p)) => Ok(forward_weight_flops(a, p)?),
        _ => Err(NO_ARCHITECTURE.to_string()),
    };
    flop_rows(&mut rows, c, forward_weights, counted.as_ref());
    let active = counted.as_ref().map(|p| p.active_params as f64);
    let six_nd = compute_rows(&mut rows, c, active);
    ClaimedRun::new(c, claimed_gpu, six_nd.ok()).rows(&mut rows);
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

/// Parameter counts: the claims `params` checks, from the architecture; each unchecked without one.
fn param_rows(rows: &mut Rows, model: &Model, counted: Option<&ParamBreakdown>) {
    let c = &model.claims;
    let Some(p) = counted else {
        for (claim, figure) in [
            ("total_params", &c.total_params),
            ("active_params", &c.active_params),
            ("non_embedding_params", &c.non_embedding_params),
            ("expert_params", &c.expert_params),
            ("attention_params", &c.attention_params),
        ] {
            let published = figure.as_ref().map(bounds);
            rows.add(
                claim,
                Unit::Count,
                published,
                Err(NO_ARCHITECTURE.into()),
                "",
            );
        }
        return;
    };
    for check in super::params::param_claims(model, p) {
        let basis = match check.claim {
            "expert_params" => "one routed expert over all MoE layers",
            "attention_params" => "attention projections of all layers",
            _ => "counted from the architecture",
        };
        let published = Bounds::new(check.published_low, check.published_high);
        let computed = Ok(Bounds::exact(check.computed));
        rows.add(check.claim, Unit::Count, Some(published), computed, basis);
    }
    if p.expert_params.is_none() {
        let published = c.expert_params.as_ref().map(bounds);
        let reason = Err("the model has no experts".into());
        rows.add("expert_params", Unit::Count, published, reason, "");
    }
}

/// Forward FLOPs per token of the weights alone: the forward count without the attention over the
/// context, the 2N convention published per-token figures follow.
fn forward_weight_flops(arch: &Architecture, counted: &ParamBreakdown) -> Result<f64> {
    let options = FlopsOptions::new(arch, None, None, Masking::Full, Recompute::None)?;
    let f = flops::count(arch, counted, &options);
    Ok((f.forward_flops_per_token - f.attention_flops_per_token).get::<flop>())
}

/// Forward FLOPs per token, of the model and of a dense model of its size.
fn flop_rows(
    rows: &mut Rows,
    c: &Claims,
    forward_weights: std::result::Result<f64, String>,
    counted: Option<&ParamBreakdown>,
) {
    rows.add(
        "forward_flops_per_token",
        Unit::Flop,
        c.forward_flops_per_token.as_ref().map(bounds),
        forward_weights.map(Bounds::exact),
        "2 × active matmul weights per token, no attention term (the 2N convention of such figures)",
    );
    rows.add(
        "dense_forward_flops_per_token",
        Unit::Flop,
        c.dense_forward_flops_per_token.as_ref().map(bounds),
        counted
            .map(|p| Bounds::exact(2.0 * p.total_params as f64))
            .ok_or_else(|| NO_ARCHITECTURE.to_string()),
        "2 × total params: a dense model of the same size",
    );
}

/// Training compute against 6 N_active D, and training tokens against the claimed compute over
/// 6 N_active; returns 6 N_active D, the compute the run is measured by when none is claimed.
fn compute_rows(rows: &mut Rows, c: &Claims, active: Option<f64>) -> Computed {
    let tokens = c.training_tokens.as_ref().map(bounds);
    let six_nd = match (active, tokens) {
        (Some(n), Some(d)) => Ok(d.map(|d| training_compute(n, d).get::<flop>())),
        (None, _) => Err(NO_ARCHITECTURE.to_string()),
        (_, None) => Err("the claims record no training tokens".to_string()),
    };
    rows.add(
        "training_flops",
        Unit::Flop,
        c.training_flops.as_ref().map(bounds),
        six_nd.clone(),
        "6 × active params × claimed tokens",
    );
    let implied_tokens = match (c.training_flops.as_ref().map(bounds), active) {
        (Some(f), Some(n)) => Ok(f.map(|f| tokens_for_compute(Compute::new::<flop>(f), n))),
        (None, _) => Err("the claims record no training FLOPs".to_string()),
        (_, None) => Err(NO_ARCHITECTURE.to_string()),
    };
    rows.add(
        "training_tokens",
        Unit::Count,
        tokens,
        implied_tokens,
        "claimed FLOPs / (6 × active params)",
    );
    six_nd
}

/// The claimed run: compute = GPU-hours × peak × MFU, GPU-hours = GPUs × days, cost = GPU-hours ×
/// price. Each claimed term is solved from the others.
struct ClaimedRun<'a> {
    claims: &'a Claims,
    /// The claimed compute, else 6 N_active D.
    compute: Option<Bounds<Compute>>,
    /// Dense peak of the claimed GPU at its training precision.
    peak: Option<ComputeRate>,
    gpus: Option<Bounds<f64>>,
    mfu: Option<Bounds<f64>>,
    days: Option<Bounds<Time>>,
    gpu_hours: Option<Bounds<Time>>,
    price: Option<Bounds<MoneyRate>>,
    cost: Option<Bounds<Money>>,
}

/// `Ok` when every named term is known, else what is missing.
fn need(what: &[(&str, bool)]) -> std::result::Result<(), String> {
    let missing: Vec<&str> = what.iter().filter(|(_, ok)| !ok).map(|(n, _)| *n).collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("needs {}", missing.join(", ")))
    }
}

/// A solved term, or that the known ones did not determine it.
fn determined<T>(term: Option<T>) -> std::result::Result<T, String> {
    term.ok_or("not determined".to_string())
}

impl<'a> ClaimedRun<'a> {
    /// The run the claims describe; `six_nd` stands in for the compute when none is claimed.
    fn new(c: &'a Claims, claimed_gpu: Option<&Gpu>, six_nd: Option<Bounds<f64>>) -> Self {
        ClaimedRun {
            claims: c,
            compute: c
                .training_flops
                .as_ref()
                .map(bounds)
                .or(six_nd)
                .map(|b| b.map(Compute::new::<flop>)),
            peak: claimed_gpu.and_then(|g| g.peak(g.training_precision())),
            gpus: c.gpus.as_ref().map(bounds),
            mfu: c.mfu.as_ref().map(bounds),
            days: c.days.as_ref().map(|d| bounds(d).map(Time::new::<second>)),
            gpu_hours: c
                .gpu_hours
                .as_ref()
                .map(|h| bounds(h).map(Time::new::<hour>)),
            price: c
                .price
                .as_ref()
                .map(|p| bounds(p).map(MoneyRate::new::<dollar_per_second>)),
            cost: c.cost.as_ref().map(|m| bounds(m).map(Money::new::<dollar>)),
        }
    }

    /// Solves the run from `known`, measured against the claimed GPU's peak.
    fn solve(&self, known: Known) -> std::result::Result<training::Run, String> {
        let peak = self
            .peak
            .ok_or("the claims name no GPU preset (claims.gpu) for the peak")?;
        training::solve(&Known { peak, ..known }).map_err(|e| e.to_string())
    }

    /// One row per claimed term of the run.
    fn rows(&self, rows: &mut Rows) {
        let c = self.claims;
        let days = c.days.as_ref().map(in_days);
        rows.add(
            "days",
            Unit::Days,
            days,
            self.days_needed(),
            "compute / (GPUs × dense peak × MFU)",
        );
        rows.add(
            "mfu",
            Unit::Fraction,
            c.mfu.as_ref().map(bounds),
            self.mfu_achieved(),
            "compute / (GPU-hours × dense peak)",
        );
        rows.add(
            "gpus",
            Unit::Count,
            c.gpus.as_ref().map(bounds),
            self.gpus_needed(),
            "compute / (dense peak × MFU × days)",
        );
        let gpu_hours = self.gpu_hours();
        rows.add(
            "gpu_hours",
            Unit::Count,
            c.gpu_hours.as_ref().map(bounds),
            gpu_hours.clone(),
            "GPUs × days × 24",
        );
        rows.add(
            "cost",
            Unit::Usd,
            c.cost.as_ref().map(bounds),
            self.cost(gpu_hours.ok()),
            "GPU-hours × claimed price",
        );
        rows.add(
            "days_from_cost",
            Unit::Days,
            days.filter(|_| c.cost.is_some()),
            self.days_from_cost(),
            "claimed days against the days the claimed cost buys: cost / (price × GPUs × 24)",
        );
    }

    /// Days the compute takes on the claimed GPUs at the claimed MFU.
    fn days_needed(&self) -> Computed {
        need(&[
            ("compute", self.compute.is_some()),
            ("gpus", self.gpus.is_some()),
            ("mfu", self.mfu.is_some()),
        ])?;
        let run = self.solve(Known {
            compute: self.compute,
            gpus: self.gpus,
            mfu: self.mfu,
            ..Known::default()
        })?;
        determined(run.duration).map(|d| d.map(|t| t.get::<day>()))
    }

    /// The MFU the compute implies over the claimed GPU-hours (or GPUs and days).
    fn mfu_achieved(&self) -> Computed {
        need(&[
            ("compute", self.compute.is_some()),
            (
                "gpus and days, or gpu_hours",
                (self.gpus.is_some() && self.days.is_some()) || self.gpu_hours.is_some(),
            ),
        ])?;
        let (gpus, duration, gpu_time) = if self.gpu_hours.is_some() {
            (None, None, self.gpu_hours)
        } else {
            (self.gpus, self.days, None)
        };
        let run = self.solve(Known {
            compute: self.compute,
            gpus,
            duration,
            gpu_time,
            ..Known::default()
        })?;
        determined(run.mfu)
    }

    /// GPUs the compute needs at the claimed MFU within the claimed days.
    fn gpus_needed(&self) -> Computed {
        need(&[
            ("compute", self.compute.is_some()),
            ("mfu", self.mfu.is_some()),
            ("days", self.days.is_some()),
        ])?;
        let run = self.solve(Known {
            compute: self.compute,
            mfu: self.mfu,
            duration: self.days,
            ..Known::default()
        })?;
        determined(run.gpus)
    }

    /// GPU-hours of the claimed GPUs over the claimed days.
    fn gpu_hours(&self) -> Computed {
        need(&[("gpus", self.gpus.is_some()), ("days", self.days.is_some())])?;
        let (g, d) = (
            self.gpus.unwrap(),
            self.days.unwrap().map(|t| t.get::<hour>()),
        );
        Ok(Bounds::new(g.low * d.low, g.high * d.high))
    }

    /// The cost of the GPU-hours (computed, else claimed) at the claimed price.
    fn cost(&self, computed_hours: Option<Bounds<f64>>) -> Computed {
        let hours = computed_hours.or(self.gpu_hours.map(|h| h.map(|t| t.get::<hour>())));
        need(&[
            ("GPU-hours (gpus and days)", hours.is_some()),
            ("price", self.price.is_some()),
        ])?;
        let (h, p) = (
            hours.unwrap(),
            self.price.unwrap().map(|p| p.get::<dollar_per_hour>()),
        );
        Ok(Bounds::new(h.low * p.low, h.high * p.high))
    }

    /// The days the claimed cost buys at the claimed price on the claimed GPUs.
    fn days_from_cost(&self) -> Computed {
        need(&[
            ("cost", self.cost.is_some()),
            ("price", self.price.is_some()),
            ("gpus", self.gpus.is_some()),
        ])?;
        let (m, p, g) = (self.cost.unwrap(), self.price.unwrap(), self.gpus.unwrap());
        let d = |m: Money, p: MoneyRate, g: f64| (m / p).get::<day>() / g;
        Ok(Bounds::new(
            d(m.low, p.high, g.high),
            d(m.high, p.low, g.low),
        ))
    }
}
