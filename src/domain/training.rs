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

use crate::domain::claims::Claims;
use crate::domain::hardware::Gpu;
use crate::domain::model::Model;
use crate::domain::model::flops::{self, FlopsOptions, Masking, Recompute};
use crate::domain::model::params;
use crate::domain::units::unit::{
    dollar, dollar_per_second, flop, flop_per_second, hour, joule, second,
};
use crate::domain::units::{Bounds, Compute, ComputeRate, Energy, Money, MoneyRate, Power, Time};

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

    /// A range of the term in base units, as people read it.
    fn show(self, (low, high): (f64, f64)) -> String {
        use crate::domain::units::format;
        let one = |v: f64| match self {
            Term::Compute => format::compute(Compute::new::<flop>(v)),
            Term::GpuTime => format!(
                "{} GPU-hours",
                format::count(Time::new::<second>(v).get::<hour>())
            ),
            Term::Cost => format::money(Money::new::<dollar>(v)),
            Term::Mfu => format::percent(v),
            Term::Duration => format::time(Time::new::<second>(v)),
            Term::Gpus => format::count(v),
        };
        format::range(Bounds::new(low, high), one)
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
    /// How far apart, as a fraction, the two sides of a relation whose every term was given may be and
    /// still agree (rounded published figures rarely agree exactly); zero asks for agreement to
    /// rounding error.
    pub tolerance: f64,
}

/// How well the figures of an over-determined run agree.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Agreement {
    /// The largest relative difference, over the relations, between the side a relation sets and what
    /// its other terms give (zero where their ranges overlap, or within rounding error).
    pub difference: f64,
    /// The largest difference allowed.
    pub tolerance: f64,
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
    pub impossible: Vec<Impossible>,
    /// The terms those reasons are about.
    pub impossible_terms: Vec<Term>,
    /// When more was given than the relations need: how well the given figures agree.
    pub agreement: Option<Agreement>,
}

/// Why a solved value cannot be, as a stable code for scripts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImpossibleCode {
    /// The implied MFU is above 100%: the GPUs cannot do the work in the time.
    MfuAboveOne,
    /// The solved GPU count is below one: one GPU does the work in less than the duration.
    FewerThanOneGpu,
}

/// A solved value that cannot be: its code and the reason in words.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Impossible {
    pub code: ImpossibleCode,
    pub message: String,
}

/// Why a run cannot be solved.
#[derive(Clone, Debug, PartialEq)]
pub enum SolveError {
    /// Too little given: the terms still unknown.
    Underdetermined(Vec<Term>),
    /// A budget without a price to turn it into GPU-hours.
    NoPrice,
    /// More was given than the relations allow, and the given terms disagree beyond the tolerance.
    Overdetermined {
        relation: &'static str,
        terms: Vec<Term>,
        /// The side the relation sets and its range as given, in base units.
        side: Term,
        given: (f64, f64),
        /// What the other terms give for it.
        implied: (f64, f64),
        tolerance: f64,
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
                "a budget needs a price to become GPU-hours: give a price, or a GPU whose preset has one"
            ),
            SolveError::Underdetermined(unknown) => write!(
                f,
                "not enough to solve the run ({} unknown): give three of compute (a model with its training \
                 tokens, or the compute itself), the GPU count, the MFU and the duration, or a budget or the \
                 GPU-hours with two of them",
                names(unknown)
            ),
            SolveError::Overdetermined {
                relation,
                terms,
                side,
                given,
                implied,
                tolerance,
            } => write!(
                f,
                "over-determined: {} were all given, and {relation} does not hold for them within {}: the {} \
                 given is {}, the others give {}; leave one out and llmcalc solves it, or allow a larger \
                 tolerance",
                names(terms),
                crate::domain::units::format::percent(*tolerance),
                side.name(),
                side.show(*given),
                side.show(*implied),
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

/// Each relation's set side and what the other terms give for it, where all its terms are known.
type Sides = [Option<(f64, f64)>; 3];

/// Over all corners: the range of each relation's set side and of what the other terms give.
type SideRanges = [Option<((f64, f64), (f64, f64))>; 3];

/// Applies the relations until nothing changes, then returns, for every relation that solved nothing
/// and whose terms are all known (an over-determined one), both its sides. `price` is in USD per GPU-second; without it the cost relation does not apply.
fn propagate(mut x: Point, peak: f64, price: Option<f64>) -> (Point, Sides) {
    let factor = |(_, a, _, _): &Relation| match a {
        Term::Compute => Some(peak),
        Term::GpuTime => Some(1.0),
        _ => price,
    };
    // A relation that solved a term holds by construction; one that never did is a check.
    let mut used = [false; 3];
    loop {
        let mut changed = false;
        for (used, relation) in used.iter_mut().zip(&RELATIONS) {
            let (_, a, b, c) = *relation;
            let Some(k) = factor(relation) else { continue };
            let vc = c.map_or(Some(1.0), |c| x[c.index()]);
            match (x[a.index()], x[b.index()], vc, c) {
                (None, Some(vb), Some(vc), _) => x[a.index()] = Some(vb * vc * k),
                (Some(va), None, Some(vc), _) => x[b.index()] = Some(va / (vc * k)),
                (Some(va), Some(vb), None, Some(c)) => x[c.index()] = Some(va / (vb * k)),
                _ => continue,
            }
            (changed, *used) = (true, true);
        }
        if !changed {
            break;
        }
    }
    let mut sides: Sides = [None; 3];
    for ((side, relation), used) in sides.iter_mut().zip(&RELATIONS).zip(used) {
        let (_, a, b, c) = *relation;
        let Some(k) = factor(relation).filter(|_| !used) else {
            continue;
        };
        let vc = c.map_or(Some(1.0), |c| x[c.index()]);
        if let (Some(va), Some(vb), Some(vc)) = (x[a.index()], x[b.index()], vc) {
            *side = Some((va, vb * vc * k));
        }
    }
    (x, sides)
}

/// Checks each over-determined relation over all corners: the range its set side takes and the range
/// the other terms give must overlap, each widened by `tolerance` (at least rounding error).
fn agree(
    sides: &SideRanges,
    tolerance: f64,
    given: &[Term],
) -> Result<Option<Agreement>, SolveError> {
    const ROUNDING: f64 = 1e-9;
    let tolerance = tolerance.max(ROUNDING);
    let mut agreement: Option<Agreement> = None;
    for (relation, side) in RELATIONS.iter().zip(sides) {
        let Some((set, implied)) = *side else {
            continue;
        };
        // How far apart the two ranges are, relative to the larger value at the gap.
        let gap = |a: (f64, f64), b: (f64, f64)| ((b.0 - a.1) / b.0.abs().max(a.1.abs())).max(0.0);
        let difference = gap(set, implied).max(gap(implied, set));
        if difference > tolerance {
            return Err(SolveError::Overdetermined {
                relation: relation.0,
                terms: given.to_vec(),
                side: relation.1,
                given: set,
                implied,
                tolerance,
            });
        }
        let difference = if difference <= ROUNDING {
            0.0
        } else {
            difference
        };
        let largest = agreement.map_or(0.0, |a| a.difference).max(difference);
        agreement = Some(Agreement {
            difference: largest,
            tolerance,
        });
    }
    Ok(agreement)
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

/// The lowest and highest value of each term over the corners of the given ranges, and of the
/// aggregate FLOP/s.
struct Envelope {
    low: Point,
    high: Point,
    /// Compute over duration at each corner: the aggregate FLOP/s, whose ends are not the ratio of
    /// the other terms' ends (more GPUs and less time go together).
    rate: Option<(f64, f64)>,
    /// How well an over-determined run's figures agree.
    agreement: Option<Agreement>,
}

/// Widens `range` to take in `v`.
fn widen(range: Option<(f64, f64)>, v: f64) -> Option<(f64, f64)> {
    Some(range.map_or((v, v), |(l, h)| (l.min(v), h.max(v))))
}

/// Solves the run at every corner of the given ranges (`ranges` in [`Term`] order, then the
/// price) and keeps the envelope of the solutions.
fn envelope(
    ranges: &[Option<(f64, f64)>],
    peak: f64,
    tolerance: f64,
    given: &[Term],
) -> Result<Envelope, SolveError> {
    let mut low: Point = [None; 6];
    let mut high: Point = [None; 6];
    let mut rate: Option<(f64, f64)> = None;
    let mut sides: SideRanges = [None; 3];
    for corner in corners(ranges) {
        let point: Point = [
            corner[0], corner[1], corner[2], corner[3], corner[4], corner[5],
        ];
        let price = corner[6];
        let (solved, corner_sides) = propagate(point, peak, price);
        for (range, side) in sides.iter_mut().zip(corner_sides) {
            if let Some((set, implied)) = side {
                let (s, i) = range.unzip();
                *range = widen(s, set).zip(widen(i, implied));
            }
        }
        if let (Some(c), Some(t)) = (
            solved[Term::Compute.index()],
            solved[Term::Duration.index()],
        ) {
            rate = widen(rate, c / t);
        }
        for (i, value) in solved.iter().enumerate() {
            if let Some(v) = value {
                low[i] = Some(low[i].map_or(*v, |l: f64| l.min(*v)));
                high[i] = Some(high[i].map_or(*v, |h: f64| h.max(*v)));
            }
        }
    }
    let agreement = agree(&sides, tolerance, given)?;
    Ok(Envelope {
        low,
        high,
        rate,
        agreement,
    })
}

/// Solved values that cannot be — an MFU above 100%, fewer than one GPU — with the terms they are
/// about. Given values are the user's to judge.
fn impossibilities(
    mfu: Option<Bounds<f64>>,
    gpus: Option<Bounds<f64>>,
    solved: &[Term],
) -> (Vec<Impossible>, Vec<Term>) {
    let mut impossible = Vec::new();
    let mut impossible_terms = Vec::new();
    if let Some(mfu) = mfu
        && solved.contains(&Term::Mfu)
        && mfu.high > 1.0
    {
        impossible_terms.push(Term::Mfu);
        impossible.push(Impossible {
            code: ImpossibleCode::MfuAboveOne,
            message: format!(
                "the implied MFU reaches {:.0}%, above 100%: the GPUs cannot do this work in this time (check the \
                 peak precision, the GPU count and the duration)",
                mfu.high * 100.0
            ),
        });
    }
    if let Some(gpus) = gpus
        && solved.contains(&Term::Gpus)
        && gpus.low < 1.0
    {
        impossible_terms.push(Term::Gpus);
        impossible.push(Impossible {
            code: ImpossibleCode::FewerThanOneGpu,
            message: format!(
                "the solved GPU count is {:.3}, below one GPU: one GPU does this work in less than the duration",
                gpus.low
            ),
        });
    }
    (impossible, impossible_terms)
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
    let Envelope {
        low,
        high,
        rate,
        agreement,
    } = envelope(&ranges, peak, known.tolerance, &given)
        .map_err(|e| left_out(known, &given).unwrap_or(e))?;
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
    let (impossible, impossible_terms) =
        impossibilities(bounds(Term::Mfu), bounds(Term::Gpus), &solved);
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
        agreement,
    })
}

/// An over-determined run's disagreement said through one given term — the MFU if it was given, else
/// the duration, the GPUs, the GPU-hours, the compute or the budget: its value as given and what the
/// other given terms solve it to. `None` when leaving no single term out makes the rest solvable.
fn left_out(known: &Known, given: &[Term]) -> Option<SolveError> {
    let order = [
        Term::Mfu,
        Term::Duration,
        Term::Gpus,
        Term::GpuTime,
        Term::Compute,
        Term::Cost,
    ];
    order
        .into_iter()
        .filter(|t| given.contains(t))
        .find_map(|side| {
            let mut rest = known.clone();
            let value = take(&mut rest, side)?;
            let run = solve(&rest).ok()?;
            let implied = run_term(&run, side)?;
            let (relation, ..) = RELATIONS
                .iter()
                .find(|(_, a, b, c)| [Some(*a), Some(*b), *c].contains(&Some(side)))?;
            Some(SolveError::Overdetermined {
                relation,
                terms: given.to_vec(),
                side,
                given: value,
                implied,
                tolerance: known.tolerance.max(1e-9),
            })
        })
}

/// Removes a term from what is known, returning its range in base units.
fn take(known: &mut Known, term: Term) -> Option<(f64, f64)> {
    let ends = |b: Bounds<f64>| (b.low, b.high);
    match term {
        Term::Compute => known
            .compute
            .take()
            .map(|b| ends(b.map(|c| c.get::<flop>()))),
        Term::Gpus => known.gpus.take().map(ends),
        Term::Mfu => known.mfu.take().map(ends),
        Term::Duration => known
            .duration
            .take()
            .map(|b| ends(b.map(|t| t.get::<second>()))),
        Term::GpuTime => known
            .gpu_time
            .take()
            .map(|b| ends(b.map(|t| t.get::<second>()))),
        Term::Cost => known
            .budget
            .take()
            .map(|b| ends(b.map(|m| m.get::<dollar>()))),
    }
}

/// A solved run's range of a term in base units.
fn run_term(run: &Run, term: Term) -> Option<(f64, f64)> {
    let ends = |b: Bounds<f64>| (b.low, b.high);
    match term {
        Term::Compute => run.compute.map(|b| ends(b.map(|c| c.get::<flop>()))),
        Term::Gpus => run.gpus.map(ends),
        Term::Mfu => run.mfu.map(ends),
        Term::Duration => run.duration.map(|b| ends(b.map(|t| t.get::<second>()))),
        Term::GpuTime => run.gpu_time.map(|b| ends(b.map(|t| t.get::<second>()))),
        Term::Cost => run.cost.map(|b| ends(b.map(|m| m.get::<dollar>()))),
    }
}

/// One part of the training compute.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ComputePart {
    pub part: &'static str,
    pub flops: Bounds<Compute>,
}

/// The training compute of a run, by part.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainingCompute {
    pub parts: Vec<ComputePart>,
    /// Model FLOPs and hardware FLOPs per token, when counted from a model.
    pub per_token: Option<(Compute, Compute)>,
    /// Model FLOPs over all tokens.
    pub total: Bounds<Compute>,
    /// With recompute, the model FLOPs plus the recomputed ones.
    pub hardware: Option<Bounds<Compute>>,
}

/// A model's training compute over `tokens`: its training FLOPs per token (forward and backward,
/// attention over the context included, as PaLM counts them; [`flops::count`]) times the tokens, split
/// into the weights' 6N share, attention and, with recompute, the extra hardware FLOPs.
pub fn model_compute(
    model: &Model,
    tokens: Bounds<f64>,
    seq_len: Option<u64>,
    masking: Masking,
    recompute: Recompute,
) -> crate::Result<TrainingCompute> {
    let arch = model.architecture("training compute")?;
    let p = params::count(&model.id, arch)?;
    let options = FlopsOptions::new(arch, seq_len, None, masking, recompute)?;
    let f = flops::count(arch, &p, &options);
    let times = |c: Compute| tokens.map(|t| c * t);
    let attention = f.attention_flops_per_token * 3.0;
    let mut parts = vec![
        ComputePart {
            part: "weights (6 × matmul weights per token)",
            flops: times(f.training_flops_per_token - attention),
        },
        ComputePart {
            part: "attention over the context",
            flops: times(attention),
        },
    ];
    let recomputed = f.hardware_flops_per_token - f.training_flops_per_token;
    let mut hardware = None;
    if recomputed > Compute::default() {
        parts.push(ComputePart {
            part: "recompute (hardware FLOPs only)",
            flops: times(recomputed),
        });
        hardware = Some(times(f.hardware_flops_per_token));
    }
    Ok(TrainingCompute {
        parts,
        per_token: Some((f.training_flops_per_token, f.hardware_flops_per_token)),
        total: times(f.training_flops_per_token),
        hardware,
    })
}

/// How many of the run's degrees of freedom are fixed: compute, GPUs, MFU and duration count one each;
/// GPU-hours or a budget (with a price) fix GPUs × duration. Three fix the run (three relations, six
/// terms).
fn fixed(k: &Known) -> usize {
    let time = usize::from(k.gpu_time.is_some() || (k.budget.is_some() && k.price.is_some()));
    [
        k.compute.is_some(),
        k.gpus.is_some(),
        k.mfu.is_some(),
        k.duration.is_some(),
    ]
    .into_iter()
    .filter(|&b| b)
    .count()
        + time
}

/// Whether a run on `gpu` is the run the claims record: the claims name that GPU, by id or alias.
pub fn on_claimed_gpu(claims: &Claims, gpu: &Gpu) -> bool {
    claims.gpu.as_deref().is_some_and(|name| {
        gpu.id.eq_ignore_ascii_case(name)
            || gpu.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
    })
}

/// The training tokens the claims record.
pub fn claimed_tokens(claims: &Claims) -> Option<Bounds<f64>> {
    claims.training_tokens.map(|f| Bounds::new(f.low, f.high))
}

/// Fills what is left open from the claimed run — GPUs, then MFU, then days, then GPU-hours — until
/// the run can be solved, and returns the claims taken, by field name in `[claims]`.
pub fn fill_from_claims(known: &mut Known, c: &Claims) -> Vec<&'static str> {
    let mut from = Vec::new();
    if fixed(known) < 3
        && known.gpus.is_none()
        && known.gpu_time.is_none()
        && let Some(g) = c.gpus
    {
        known.gpus = Some(Bounds::new(g.low, g.high));
        from.push("gpus");
    }
    if fixed(known) < 3
        && known.mfu.is_none()
        && let Some(m) = c.mfu
    {
        known.mfu = Some(Bounds::new(m.low, m.high));
        from.push("mfu");
    }
    if fixed(known) < 3
        && known.duration.is_none()
        && known.gpu_time.is_none()
        && let Some(d) = c.days
    {
        known.duration = Some(Bounds::new(d.low, d.high).map(Time::new::<second>));
        from.push("days");
    }
    if fixed(known) < 3
        && known.gpu_time.is_none()
        && (known.gpus.is_none() || known.duration.is_none())
        && let Some(h) = c.gpu_hours
    {
        known.gpu_time = Some(Bounds::new(h.low, h.high).map(Time::new::<hour>));
        from.push("gpu_hours");
    }
    from
}

/// How far a solved term may land from the claim for the same run and still agree with it: published
/// figures are rounded ("~90 days", "32–36%"), so a tenth either way is read as agreement.
pub const CLAIM_TOLERANCE: f64 = 0.1;

/// A solved term that differs from the claim for the same run by more than [`CLAIM_TOLERANCE`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClaimDifference {
    /// Duration, GPU-time, MFU or GPUs.
    pub term: Term,
    /// In the claim's units: seconds, GPU-hours, a fraction, a count.
    pub solved: Bounds<f64>,
    pub claimed: Bounds<f64>,
    /// The middle of the solved range over the middle of the claimed one.
    pub ratio: f64,
}

/// The solved terms of `run` that differ from the claims, in the order duration, GPU-time, MFU, GPUs.
pub fn claim_differences(c: &Claims, run: &Run) -> Vec<ClaimDifference> {
    let ends = |low: f64, high: f64| Bounds::new(low, high);
    let candidates = [
        (
            Term::Duration,
            run.duration.map(|d| d.map(|t| t.get::<second>())),
            c.days.map(|d| ends(d.low, d.high)),
        ),
        (
            Term::GpuTime,
            run.gpu_time.map(|t| t.map(|t| t.get::<hour>())),
            c.gpu_hours.map(|h| ends(h.low, h.high)),
        ),
        (Term::Mfu, run.mfu, c.mfu.map(|m| ends(m.low, m.high))),
        (Term::Gpus, run.gpus, c.gpus.map(|g| ends(g.low, g.high))),
    ];
    let mid = |b: Bounds<f64>| (b.low + b.high) / 2.0;
    candidates
        .into_iter()
        .filter(|(term, ..)| run.solved.contains(term))
        .filter_map(|(term, solved, claimed)| {
            let (solved, claimed) = (solved?, claimed?);
            let ratio = mid(solved) / mid(claimed);
            let agrees = (1.0 - CLAIM_TOLERANCE..=1.0 + CLAIM_TOLERANCE).contains(&ratio);
            (!agrees).then_some(ClaimDifference {
                term,
                solved,
                claimed,
                ratio,
            })
        })
        .collect()
}

/// Where a run's price per GPU-hour comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceSource {
    /// Given for the run.
    Given,
    /// The model preset's claims, for the claimed run.
    Claims,
    /// The GPU preset's indicative price.
    Preset,
}

/// What a training run is given, before the claims fill what is left open.
#[derive(Clone, Debug, Default)]
pub struct Given<'a> {
    /// The known terms; `price` is a price given for the run.
    pub known: Known,
    /// The model preset's claims, when the run is the claimed one (on the claimed GPU): they give the
    /// price, when none is given, and the terms left open.
    pub claims: Option<&'a Claims>,
    /// The GPU preset's indicative price, when neither a given nor a claimed one applies.
    pub preset_price: Option<MoneyRate>,
    /// Whether the claims' price is used (else the claims fill only the other terms): not when the
    /// run is priced on a basis of list prices.
    pub claimed_price: bool,
}

/// A run solved from what was given and from the claims.
#[derive(Clone, Debug, PartialEq)]
pub struct ClaimedRun {
    pub run: Run,
    pub price_source: Option<PriceSource>,
    /// The claims taken as inputs, by field name in `[claims]`.
    pub from_claims: Vec<&'static str>,
    /// Solved terms that differ from the claims.
    pub differences: Vec<ClaimDifference>,
}

/// Solves a run: the price is the given one, else the claimed one, else the GPU preset's; the claims
/// fill what is left open ([`fill_from_claims`]); the solved terms are set against the claims.
pub fn solve_with_claims(given: Given) -> Result<ClaimedRun, SolveError> {
    let Given {
        mut known,
        claims,
        preset_price,
        claimed_price,
    } = given;
    let mut from_claims = Vec::new();
    let claimed_price = claims
        .filter(|_| claimed_price)
        .and_then(|c| c.price)
        .map(|p| Bounds::new(p.low, p.high).map(MoneyRate::new::<dollar_per_second>));
    let price_source = match (known.price, claimed_price, preset_price) {
        (Some(_), ..) => Some(PriceSource::Given),
        (None, Some(claimed), _) => {
            known.price = Some(claimed);
            from_claims.push("price");
            Some(PriceSource::Claims)
        }
        (None, None, Some(preset)) => {
            known.price = Some(Bounds::exact(preset));
            Some(PriceSource::Preset)
        }
        (None, None, None) => None,
    };
    if let Some(c) = claims {
        from_claims.extend(fill_from_claims(&mut known, c));
    }
    let run = solve(&known)?;
    let differences = claims
        .map(|c| claim_differences(c, &run))
        .unwrap_or_default();
    Ok(ClaimedRun {
        run,
        price_source,
        from_claims,
        differences,
    })
}

/// Energy drawn by a run: board power per GPU × GPU-time × PUE, the data centre's power usage
/// effectiveness (total facility power over IT equipment power; The Green Grid 2007, "Green Grid
/// Metrics: Describing Datacenter Power Efficiency").
pub fn energy(power: Power, gpu_time: Bounds<Time>, pue: f64) -> Bounds<Energy> {
    gpu_time.map(|t| Energy::new::<joule>((power * t).get::<joule>() * pue))
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
        assert_eq!(run.impossible[0].code, ImpossibleCode::MfuAboveOne);
        assert!(run.impossible[0].message.contains("above 100%"));
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

    #[test]
    fn a_run_given_whole_is_accepted_within_the_tolerance() {
        // 1e24 FLOP on 100,000 A100s (312 TFLOP/s) for 30 days (2,592,000 s):
        // MFU = 1e24 / (100,000 × 2,592,000 × 312e12) = 1.2366%.
        let known = |mfu: f64, tolerance: f64| Known {
            compute: Some(Bounds::exact(Compute::new::<flop>(1e24))),
            gpus: Some(Bounds::exact(100_000.0)),
            mfu: Some(Bounds::exact(mfu)),
            duration: Some(Bounds::exact(Time::new::<day>(30.0))),
            peak: a100(),
            tolerance,
            ..Known::default()
        };
        let implied = 1e24 / (100_000.0 * 30.0 * 86_400.0 * 312e12);
        let run = solve(&known(implied * 1.05, 0.10)).unwrap();
        let agreement = run.agreement.unwrap();
        // The sides are 1e24 and 1.05e24: 1 - 1/1.05 = 4.76% apart.
        assert!(
            close(agreement.difference, 1.0 - 1.0 / 1.05, 1e-9),
            "{agreement:?}"
        );
        assert!(run.solved.contains(&Term::GpuTime) && run.given.contains(&Term::Mfu));
        let err = solve(&known(implied * 1.2, 0.10)).unwrap_err();
        let SolveError::Overdetermined {
            side, implied: got, ..
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!(*side, Term::Mfu);
        assert!(close(got.0, implied, 1e-9), "{got:?}");
        assert!(
            err.to_string()
                .contains("the MFU given is 1.48%, the others give 1.24%"),
            "{err}"
        );
        // Ranges agree when they overlap: 1.0..1.3 × the implied MFU contains it.
        let ranged = Known {
            mfu: Some(Bounds::new(implied, implied * 1.3)),
            ..known(0.0, 0.0)
        };
        assert_eq!(solve(&ranged).unwrap().agreement.unwrap().difference, 0.0);
    }

    fn claims(text: &str) -> Claims {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn the_claims_fill_only_what_is_left_open() {
        let c = claims("gpus = 25000\nmfu = \"0.32..0.36\"\ndays = 95\ngpu_hours = 57e6");
        let mut known = Known {
            compute: Some(Bounds::exact(Compute::new::<flop>(2.15e25))),
            peak: a100(),
            ..Known::default()
        };
        // Compute, GPUs and MFU fix the run: the days and GPU-hours stay to be solved.
        assert_eq!(fill_from_claims(&mut known, &c), vec!["gpus", "mfu"]);
        assert_eq!(known.mfu, Some(Bounds::new(0.32, 0.36)));
        assert!(known.duration.is_none() && known.gpu_time.is_none());
        let mut known = Known {
            compute: Some(Bounds::exact(Compute::new::<flop>(2.15e25))),
            gpu_time: Some(Bounds::exact(Time::new::<hour>(1e6))),
            peak: a100(),
            ..Known::default()
        };
        // GPU-hours given: the claimed GPUs and days would over-determine them; only the MFU is taken.
        assert_eq!(fill_from_claims(&mut known, &c), vec!["mfu"]);
    }

    #[test]
    fn a_solved_term_a_tenth_off_its_claim_is_a_difference() {
        let c = claims("gpus = 25000\nmfu = 0.34\ndays = 50");
        let known = Known {
            compute: Some(Bounds::exact(Compute::new::<flop>(2.15e25))),
            gpus: Some(Bounds::exact(25_000.0)),
            mfu: Some(Bounds::exact(0.34)),
            peak: a100(),
            ..Known::default()
        };
        let run = solve(&known).unwrap();
        let differences = claim_differences(&c, &run);
        // 2.15e25 / (25,000 × 312e12 × 0.34) s = 93.8 days, against the claimed 50.
        assert_eq!(differences.len(), 1);
        let d = differences[0];
        assert_eq!(d.term, Term::Duration);
        assert_eq!(d.claimed, Bounds::exact(50.0 * 86_400.0));
        assert!(close(
            d.ratio,
            2.15e25 / (25_000.0 * 312e12 * 0.34) / (50.0 * 86_400.0),
            1e-12
        ));
        // Given terms are never compared, nor terms within a tenth of the claim.
        let c = claims("gpus = 1\nmfu = 0.9\ndays = 90");
        assert!(claim_differences(&c, &run).is_empty());
    }

    /// A run fixed by compute, GPUs and MFU, priced $3 per GPU-hour by its GPU preset.
    fn priced(
        price: Option<f64>,
        claims: Option<&Claims>,
    ) -> (PriceSource, f64, Vec<&'static str>) {
        let run = solve_with_claims(Given {
            known: Known {
                compute: Some(Bounds::exact(Compute::new::<flop>(1e24))),
                gpus: Some(Bounds::exact(1000.0)),
                mfu: Some(Bounds::exact(0.4)),
                price: price.map(|p| Bounds::exact(MoneyRate::new::<dollar_per_hour>(p))),
                peak: a100(),
                ..Known::default()
            },
            claims,
            preset_price: Some(MoneyRate::new::<dollar_per_hour>(3.0)),
            claimed_price: true,
        })
        .unwrap();
        let price = run.run.price.unwrap().low.get::<dollar_per_hour>();
        (run.price_source.unwrap(), price, run.from_claims)
    }

    #[test]
    fn the_price_is_given_else_claimed_else_the_presets() {
        let c = claims("price = \"$1/h\"");
        assert_eq!(
            priced(Some(2.0), Some(&c)),
            (PriceSource::Given, 2.0, vec![])
        );
        let (from, price, taken) = priced(None, Some(&c));
        assert_eq!((from, taken), (PriceSource::Claims, vec!["price"]));
        assert!(close(price, 1.0, 1e-12));
        assert_eq!(priced(None, None), (PriceSource::Preset, 3.0, vec![]));
    }

    #[test]
    fn the_claimed_gpu_is_named_by_id_or_alias() {
        let spec: crate::domain::hardware::GpuSpec =
            toml::from_str(include_str!("../../presets/gpus/a100-40gb.toml")).unwrap();
        let gpu = Gpu::from_spec("a100-40gb".into(), spec).unwrap();
        assert!(on_claimed_gpu(&claims("gpu = \"a100-40gb\""), &gpu));
        assert!(on_claimed_gpu(&claims("gpu = \"A100-SXM4-40GB\""), &gpu));
        assert!(!on_claimed_gpu(&claims("gpu = \"h100\""), &gpu));
        assert!(!on_claimed_gpu(&Claims::default(), &gpu));
    }
}
