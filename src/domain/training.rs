//! A training run's economics: compute, GPUs, MFU, duration, GPU-time and cost, any of which can be
//! solved from the others.
//!
//! A run obeys three relations (PaLM's MFU definition, Chowdhery et al. 2022, App. B, read backwards):
//! - compute = GPU-time × peak FLOP/s per GPU × MFU;
//! - GPU-time = GPUs × duration;
//! - cost = GPU-time × price per GPU-hour.
//!
//! Given enough of compute, GPUs, MFU, duration, GPU-time and budget, [`solve`] applies whichever
//! relation has one unknown left until nothing changes; what is still unknown stays unknown, and a
//! relation whose every term was given but does not hold is an over-determined input. Any input may be
//! a range: the relations are monotonic in each term, so solving at every combination of the range ends
//! and keeping the lowest and highest result gives the range of each output.

use std::fmt;

use serde::Serialize;

use crate::domain::units::unit::{dollar, dollar_per_second, flop, flop_per_second, second};
use crate::domain::units::{Bounds, Compute, ComputeRate, Money, MoneyRate, Time};

/// Training compute of a dense pass over `tokens` with `params` parameters: C ≈ 6ND — 2N FLOPs per
/// token forward and 4N backward (Kaplan et al. 2020, §2.1, eq. 2.2 and C = 6NBS).
pub fn training_compute(params: f64, tokens: f64) -> Compute {
    Compute::new::<flop>(6.0 * params * tokens)
}

/// The tokens `compute` trains a model of `params` parameters on: D = C / 6N, the inverse of
/// [`training_compute`].
pub fn tokens_for_compute(compute: Compute, params: f64) -> f64 {
    compute.get::<flop>() / (6.0 * params)
}

/// The terms of a run, in the order they are reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Term {
    Compute,
    Gpus,
    Mfu,
    Duration,
    GpuTime,
    Cost,
}

impl Term {
    const ALL: [Term; 6] = [
        Term::Compute,
        Term::Gpus,
        Term::Mfu,
        Term::Duration,
        Term::GpuTime,
        Term::Cost,
    ];

    /// Name as printed.
    pub fn name(self) -> &'static str {
        match self {
            Term::Compute => "compute",
            Term::Gpus => "GPUs",
            Term::Mfu => "MFU",
            Term::Duration => "duration",
            Term::GpuTime => "GPU-hours",
            Term::Cost => "cost",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// What is known about a run before solving. Ranges are allowed everywhere.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Known {
    pub compute: Option<Bounds<Compute>>,
    pub gpus: Option<Bounds<f64>>,
    pub mfu: Option<Bounds<f64>>,
    pub duration: Option<Bounds<Time>>,
    /// GPU-time (GPU-hours) in place of GPUs and duration.
    pub gpu_time: Option<Bounds<Time>>,
    /// A budget, which with a price fixes the GPU-time.
    pub budget: Option<Bounds<Money>>,
    /// Price per GPU-hour; without it, cost is not computed.
    pub price: Option<Bounds<MoneyRate>>,
    /// Dense peak per GPU at the training precision.
    pub peak: ComputeRate,
}

/// A solved run: every term that could be determined, as a range (low = high for a single value).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Run {
    pub compute: Option<Bounds<Compute>>,
    pub gpus: Option<Bounds<f64>>,
    pub mfu: Option<Bounds<f64>>,
    pub duration: Option<Bounds<Time>>,
    pub gpu_time: Option<Bounds<Time>>,
    pub cost: Option<Bounds<Money>>,
    pub price: Option<Bounds<MoneyRate>>,
    pub peak: ComputeRate,
    /// The terms that were given.
    pub given: Vec<Term>,
    /// The terms solved from the others.
    pub solved: Vec<Term>,
    /// Compute over wall-clock, the FLOP/s of all GPUs together, when both are known.
    pub aggregate_rate: Option<Bounds<ComputeRate>>,
    /// Solved values that cannot be: an MFU above 100%, fewer than one GPU.
    pub impossible: Vec<String>,
    /// The terms those reasons are about.
    pub impossible_terms: Vec<Term>,
}

/// Why a run cannot be solved.
#[derive(Clone, Debug, PartialEq)]
pub enum SolveError {
    /// Too little given: the terms still unknown.
    Underdetermined(Vec<Term>),
    /// A budget without a price to turn it into GPU-hours.
    NoPrice,
    /// More was given than the relations allow, and the given terms disagree.
    Overdetermined {
        relation: &'static str,
        terms: Vec<Term>,
    },
}

impl fmt::Display for SolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = |terms: &[Term]| {
            terms
                .iter()
                .map(|t| t.name())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            SolveError::NoPrice => write!(
                f,
                "a budget needs a price to become GPU-hours: give --price, or a GPU whose preset has one"
            ),
            SolveError::Underdetermined(unknown) => write!(
                f,
                "not enough to solve the run ({} unknown): give three of compute (a model with --tokens, or \
                 --flops), --gpus, --mfu and --days, or --budget / --gpu-hours with two of them",
                names(unknown)
            ),
            SolveError::Overdetermined { relation, terms } => write!(
                f,
                "over-determined: {} were all given, and {relation} does not hold for them; leave one out \
                 and llmcalc solves it",
                names(terms)
            ),
        }
    }
}

impl std::error::Error for SolveError {}

/// The run at one combination of range ends, in base units (FLOP, count, fraction, s, GPU-s, USD).
type Point = [Option<f64>; 6];

/// The relations, each as `a = b × c × factor` (with `c` absent for cost, whose factor is the price).
type Relation = (&'static str, Term, Term, Option<Term>);

const RELATIONS: [Relation; 3] = [
    (
        "compute = GPU-time × peak × MFU",
        Term::Compute,
        Term::GpuTime,
        Some(Term::Mfu),
    ),
    (
        "GPU-time = GPUs × duration",
        Term::GpuTime,
        Term::Gpus,
        Some(Term::Duration),
    ),
    ("cost = GPU-time × price", Term::Cost, Term::GpuTime, None),
];

/// Applies the relations until nothing changes, then checks that every relation whose terms are all
/// known holds. `price` is in USD per GPU-second; without it the cost relation does not apply.
fn propagate(
    mut x: Point,
    peak: f64,
    price: Option<f64>,
    given: &[Term],
) -> Result<Point, SolveError> {
    let factor = |(_, a, _, _): &Relation| match a {
        Term::Compute => Some(peak),
        Term::GpuTime => Some(1.0),
        _ => price,
    };
    loop {
        let mut changed = false;
        for relation in &RELATIONS {
            let (_, a, b, c) = *relation;
            let Some(k) = factor(relation) else { continue };
            let vc = c.map_or(Some(1.0), |c| x[c.index()]);
            match (x[a.index()], x[b.index()], vc, c) {
                (None, Some(vb), Some(vc), _) => x[a.index()] = Some(vb * vc * k),
                (Some(va), None, Some(vc), _) => x[b.index()] = Some(va / (vc * k)),
                (Some(va), Some(vb), None, Some(c)) => x[c.index()] = Some(va / (vb * k)),
                _ => continue,
            }
            changed = true;
        }
        if !changed {
            break;
        }
    }
    for relation in &RELATIONS {
        let (name, a, b, c) = *relation;
        let Some(k) = factor(relation) else { continue };
        let vc = c.map_or(Some(1.0), |c| x[c.index()]);
        if let (Some(va), Some(vb), Some(vc)) = (x[a.index()], x[b.index()], vc) {
            let expected = vb * vc * k;
            if (va - expected).abs() > 1e-9 * expected.abs().max(va.abs()) {
                return Err(SolveError::Overdetermined {
                    relation: name,
                    terms: given.to_vec(),
                });
            }
        }
    }
    Ok(x)
}

/// Every combination of the ends of the given ranges.
fn corners(ranges: &[Option<(f64, f64)>]) -> Vec<Vec<Option<f64>>> {
    let mut out = vec![Vec::with_capacity(ranges.len())];
    for range in ranges {
        let mut next = Vec::with_capacity(out.len() * 2);
        for prefix in &out {
            match range {
                None => {
                    let mut p = prefix.clone();
                    p.push(None);
                    next.push(p);
                }
                Some((low, high)) => {
                    for end in if low == high {
                        vec![*low]
                    } else {
                        vec![*low, *high]
                    } {
                        let mut p = prefix.clone();
                        p.push(Some(end));
                        next.push(p);
                    }
                }
            }
        }
        out = next;
    }
    out
}

/// Solves a run from what is known.
pub fn solve(known: &Known) -> Result<Run, SolveError> {
    if known.budget.is_some() && known.price.is_none() {
        return Err(SolveError::NoPrice);
    }
    let peak = known.peak.get::<flop_per_second>();
    let ends = |b: &Option<Bounds<f64>>| b.map(|b| (b.low, b.high));
    let inputs = [
        known.compute.map(|b| b.map(|c| c.get::<flop>())),
        known.gpus,
        known.mfu,
        known.duration.map(|b| b.map(|t| t.get::<second>())),
        known.gpu_time.map(|b| b.map(|t| t.get::<second>())),
        known.budget.map(|b| b.map(|m| m.get::<dollar>())),
        known.price.map(|b| b.map(|p| p.get::<dollar_per_second>())),
    ];
    let ranges: Vec<Option<(f64, f64)>> = inputs.iter().map(ends).collect();
    let given: Vec<Term> = Term::ALL
        .into_iter()
        .filter(|t| inputs[t.index()].is_some())
        .collect();
    let mut low: Point = [None; 6];
    let mut high: Point = [None; 6];
    // Compute over duration at each corner: the aggregate FLOP/s, whose ends are not the ratio of the
    // other terms' ends (more GPUs and less time go together).
    let mut rate: Option<(f64, f64)> = None;
    for corner in corners(&ranges) {
        let point: Point = [
            corner[0], corner[1], corner[2], corner[3], corner[4], corner[5],
        ];
        let price = corner[6];
        let solved = propagate(point, peak, price, &given)?;
        if let (Some(c), Some(t)) = (
            solved[Term::Compute.index()],
            solved[Term::Duration.index()],
        ) {
            let r = c / t;
            rate = Some(rate.map_or((r, r), |(l, h)| (l.min(r), h.max(r))));
        }
        for (i, value) in solved.iter().enumerate() {
            if let Some(v) = value {
                low[i] = Some(low[i].map_or(*v, |l: f64| l.min(*v)));
                high[i] = Some(high[i].map_or(*v, |h: f64| h.max(*v)));
            }
        }
    }
    let bounds = |t: Term| Some(Bounds::new(low[t.index()]?, high[t.index()]?));
    let solved: Vec<Term> = Term::ALL
        .into_iter()
        .filter(|t| !given.contains(t) && low[t.index()].is_some())
        .collect();
    let unknown: Vec<Term> = [Term::Compute, Term::Mfu, Term::GpuTime]
        .into_iter()
        .filter(|t| low[t.index()].is_none())
        .collect();
    if !unknown.is_empty() {
        return Err(SolveError::Underdetermined(unknown));
    }
    let mut impossible = Vec::new();
    let mut impossible_terms = Vec::new();
    if let Some(mfu) = bounds(Term::Mfu)
        && solved.contains(&Term::Mfu)
        && mfu.high > 1.0
    {
        impossible_terms.push(Term::Mfu);
        impossible.push(format!(
            "the implied MFU reaches {:.0}%, above 100%: the GPUs cannot do this work in this time (check the peak \
             precision, the GPU count and the duration)",
            mfu.high * 100.0
        ));
    }
    if let Some(gpus) = bounds(Term::Gpus)
        && solved.contains(&Term::Gpus)
        && gpus.low < 1.0
    {
        impossible_terms.push(Term::Gpus);
        impossible.push(format!(
            "the solved GPU count is {:.3}, below one GPU: one GPU does this work in less than the duration",
            gpus.low
        ));
    }
    Ok(Run {
        compute: bounds(Term::Compute).map(|b| b.map(Compute::new::<flop>)),
        gpus: bounds(Term::Gpus),
        mfu: bounds(Term::Mfu),
        duration: bounds(Term::Duration).map(|b| b.map(Time::new::<second>)),
        gpu_time: bounds(Term::GpuTime).map(|b| b.map(Time::new::<second>)),
        cost: bounds(Term::Cost).map(|b| b.map(Money::new::<dollar>)),
        price: known.price,
        peak: known.peak,
        aggregate_rate: rate
            .map(|(l, h)| Bounds::new(l, h).map(ComputeRate::new::<flop_per_second>)),
        given,
        solved,
        impossible,
        impossible_terms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::units::unit::{day, dollar_per_hour, hour};

    fn a100() -> ComputeRate {
        ComputeRate::new::<flop_per_second>(312e12)
    }

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs()
    }

    #[test]
    fn duration_from_compute_gpus_and_mfu() {
        // The origin example: 2.15e25 FLOP on 25,000 A100 (312 TFLOP/s bf16 dense) at 32–36% MFU.
        let known = Known {
            compute: Some(Bounds::exact(Compute::new::<flop>(2.15e25))),
            gpus: Some(Bounds::exact(25_000.0)),
            mfu: Some(Bounds::new(0.32, 0.36)),
            price: Some(Bounds::exact(MoneyRate::new::<dollar_per_hour>(1.0))),
            peak: a100(),
            ..Known::default()
        };
        let run = solve(&known).unwrap();
        let days = run.duration.unwrap().map(|t| t.get::<day>());
        // 2.15e25 / (25,000 × 312e12 × 0.36) s = 2.757e6 s = 88.6 days; at 0.32, 99.7 days.
        assert!(close(
            days.low,
            2.15e25 / (25_000.0 * 312e12 * 0.36) / 86_400.0,
            1e-12
        ));
        assert!(close(
            days.high,
            2.15e25 / (25_000.0 * 312e12 * 0.32) / 86_400.0,
            1e-12
        ));
        assert!(days.low > 88.5 && days.high < 99.8);
        // $1 per GPU-hour: 25,000 × 24 × days → $53.2M to $59.8M.
        let cost = run.cost.unwrap().map(|m| m.get::<dollar>());
        assert!(close(cost.low, 25_000.0 * 24.0 * days.low, 1e-12));
        assert!(cost.low > 53e6 && cost.high < 60e6);
        assert_eq!(run.solved, vec![Term::Duration, Term::GpuTime, Term::Cost]);
        assert!(run.impossible.is_empty());
    }

    #[test]
    fn a_budget_fixes_the_gpu_time() {
        // $63M at $1 per A100-hour on 25,000 GPUs is 2,520 hours: 105 days.
        let known = Known {
            compute: Some(Bounds::exact(Compute::new::<flop>(2.15e25))),
            gpus: Some(Bounds::exact(25_000.0)),
            budget: Some(Bounds::exact(Money::new::<dollar>(63e6))),
            price: Some(Bounds::exact(MoneyRate::new::<dollar_per_hour>(1.0))),
            peak: a100(),
            ..Known::default()
        };
        let run = solve(&known).unwrap();
        assert!(close(
            run.duration.unwrap().low.get::<day>(),
            63e6 / 25_000.0 / 24.0,
            1e-12
        ));
        // The MFU that spending it all implies: 2.15e25 / (63e6 h × 3600 s/h × 312e12) = 30.4%.
        assert!(close(
            run.mfu.unwrap().low,
            2.15e25 / (63e6 * 3600.0 * 312e12),
            1e-12
        ));
    }

    #[test]
    fn gpu_hours_imply_mfu() {
        // Llama 2 70B: 1,720,320 A100-hours (Touvron et al. 2023, Table 2) for 6 × 69B × 2T FLOP.
        let compute = training_compute(68.98e9, 2e12).get::<flop>();
        let known = Known {
            compute: Some(Bounds::exact(Compute::new::<flop>(compute))),
            gpu_time: Some(Bounds::exact(Time::new::<hour>(1_720_320.0))),
            peak: a100(),
            ..Known::default()
        };
        let run = solve(&known).unwrap();
        let mfu = run.mfu.unwrap().low;
        assert!(close(mfu, compute / (1_720_320.0 * 3600.0 * 312e12), 1e-12));
        assert!(mfu > 0.42 && mfu < 0.44, "{mfu}");
        // GPUs and duration separately cannot be known.
        assert!(run.gpus.is_none() && run.duration.is_none());
    }

    #[test]
    fn impossible_mfu_is_reported() {
        let known = Known {
            compute: Some(Bounds::exact(Compute::new::<flop>(1e25))),
            gpus: Some(Bounds::exact(100.0)),
            duration: Some(Bounds::exact(Time::new::<day>(1.0))),
            peak: a100(),
            ..Known::default()
        };
        let run = solve(&known).unwrap();
        assert_eq!(run.impossible.len(), 1);
        assert!(run.impossible[0].contains("above 100%"));
    }

    #[test]
    fn too_little_or_too_much() {
        let known = Known {
            gpus: Some(Bounds::exact(100.0)),
            mfu: Some(Bounds::exact(0.4)),
            peak: a100(),
            ..Known::default()
        };
        assert!(matches!(solve(&known), Err(SolveError::Underdetermined(_))));
        let known = Known {
            compute: Some(Bounds::exact(Compute::new::<flop>(1e24))),
            gpus: Some(Bounds::exact(1000.0)),
            mfu: Some(Bounds::exact(0.4)),
            duration: Some(Bounds::exact(Time::new::<day>(30.0))),
            peak: a100(),
            ..Known::default()
        };
        let err = solve(&known).unwrap_err();
        assert!(matches!(err, SolveError::Overdetermined { .. }));
        assert!(
            err.to_string()
                .contains("compute, GPUs, MFU, duration were all given"),
            "{err}"
        );
    }
}
