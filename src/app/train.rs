//! `llmcalc train`: what a training run costs, on how many GPUs, for how long, at what MFU — solving
//! whichever of them was not given — with the training compute broken down and the energy it takes.

use serde::Serialize;

use super::invalid;
use super::params::ModelInfo;
use super::predict::{self, GpuCount, MfuSource, Prediction, Workload};
use super::price::{self, PriceOrigin};
use crate::domain::claims::Claims;
use crate::domain::hardware::{Gpu, Precision, PriceKind};
use crate::domain::kernels::Generation;
use crate::domain::memory::Layout;
use crate::domain::model::Model;
use crate::domain::model::flops::{Masking, Recompute};
use crate::domain::training::{
    self, Agreement, ClaimDifference, ComputePart, Given, Impossible, Known, Run, SolveError, Term,
    TrainingCompute,
};
use crate::domain::units::format;
use crate::domain::units::unit::{day, dollar_per_hour, flop, hour, second};
use crate::domain::units::{Bounds, Compute, ComputeRate, Energy, Money, MoneyRate, Power, Time};
use crate::error::{Error, Input, Result};

/// What `llmcalc train` was asked. Every run figure may be a range.
#[derive(Clone, Debug, Default)]
pub struct TrainRequest {
    /// The model, unless the compute is given directly.
    pub model: Option<Model>,
    /// Total training compute, in place of a model and tokens.
    pub flops: Option<Bounds<Compute>>,
    pub tokens: Option<Bounds<f64>>,
    /// The GPU to train on: the one asked for, else the model's claimed GPU.
    pub gpu: Option<Gpu>,
    pub precision: Option<Precision>,
    pub gpus: Option<Bounds<f64>>,
    pub mfu: Option<Bounds<f64>>,
    pub duration: Option<Bounds<Time>>,
    pub gpu_hours: Option<Bounds<f64>>,
    pub budget: Option<Bounds<Money>>,
    pub price: Option<Bounds<MoneyRate>>,
    /// The kind of GPU preset price to use; none: the model's claimed price on the claimed run, else
    /// the first price the GPU preset lists.
    pub price_basis: Option<PriceKind>,
    /// Power usage effectiveness of the data centre; 1 counts the GPUs' board power alone.
    pub pue: f64,
    pub seq_len: Option<u64>,
    pub masking: Option<Masking>,
    pub recompute: Option<Recompute>,
    /// Tokens per optimizer step of the predicted layout; 4M when none.
    pub batch_tokens: Option<f64>,
    /// How far apart the given figures of an over-determined run may be and still agree.
    pub tolerance: f64,
}

/// Which GPU, and the peak the run is measured against.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GpuInfo {
    pub id: String,
    pub name: String,
    pub precision: Precision,
    /// Dense peak per GPU at `precision`.
    pub peak_flops_per_second: ComputeRate,
}

impl GpuInfo {
    /// `gpu` measured against its dense `peak` at `precision`.
    pub fn new(gpu: &Gpu, precision: Precision, peak: ComputeRate) -> GpuInfo {
        GpuInfo {
            id: gpu.id.clone(),
            name: gpu.name.clone(),
            precision,
            peak_flops_per_second: peak,
        }
    }
}

/// The result of `llmcalc train`: numbers in base units, each a `{low, high}` range (equal ends for a
/// single value).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrainResult {
    pub model: Option<ModelInfo>,
    pub gpu: GpuInfo,
    pub tokens: Option<Bounds<f64>>,
    /// Model FLOPs per token (forward and backward), when a model is given.
    pub training_flops_per_token: Option<Compute>,
    pub total_flops: Bounds<Compute>,
    /// Training compute by part; with recompute, the extra hardware FLOPs as a separate part.
    pub compute_parts: Vec<ComputePart>,
    /// Model FLOPs plus recompute.
    pub hardware_flops: Option<Bounds<Compute>>,
    pub gpus: Option<Bounds<f64>>,
    pub mfu: Bounds<f64>,
    /// Where the MFU came from: given, the preset's claims, predicted, or solved from the rest.
    pub mfu_source: MfuSource,
    /// The MFU of the best layout `plan` finds for the model, the GPU and the run's GPU count (the
    /// low end of a range), whenever the model's architecture and the GPU count are known.
    pub predicted_mfu: Option<Bounds<f64>>,
    /// That layout.
    pub predicted_layout: Option<Layout>,
    /// Whether the calibration holds measured runs on the GPU's generation; a predicted MFU on any
    /// other (V100, TPUs, AMD) takes Hopper's fitted constants, an extrapolation.
    pub calibrated_generation: bool,
    /// A solved MFU counting only the weights' FLOPs (the 6N rule), as many reports do; PaLM's
    /// definition, `mfu`, also counts attention over the context.
    pub mfu_without_attention: Option<Bounds<f64>>,
    /// Hardware FLOPs utilisation: MFU × hardware FLOPs / model FLOPs.
    pub hfu: Option<Bounds<f64>>,
    pub wall_clock_seconds: Option<Bounds<Time>>,
    pub gpu_hours: Bounds<f64>,
    pub price_usd_per_gpu_hour: Option<Bounds<f64>>,
    pub cost_usd: Option<Bounds<Money>>,
    pub pue: f64,
    /// Board power per GPU, from the GPU preset.
    pub power_watts: Option<Power>,
    pub energy_joules: Option<Bounds<Energy>>,
    pub tokens_per_second: Option<Bounds<f64>>,
    pub tokens_per_second_per_gpu: Option<Bounds<f64>>,
    pub achieved_flops_per_second_per_gpu: Bounds<ComputeRate>,
    /// The run terms given on the command line or taken from the preset's claims.
    pub given: Vec<Term>,
    /// The run terms solved from the others.
    pub solved: Vec<Term>,
    /// Inputs taken from the model preset's claims, by claim name.
    pub from_claims: Vec<&'static str>,
    /// Where the price came from, for people ([`PriceOrigin::describe`]).
    pub price_source: Option<String>,
    /// Where the price came from: given, the model's claims, or the GPU preset (kind, date, source).
    pub price_origin: Option<PriceOrigin>,
    /// The kind of GPU preset price asked for.
    pub price_basis: Option<PriceKind>,
    /// Why the run has no price: the GPU preset lists none (of the kind asked for).
    pub no_price: Option<String>,
    /// Solved values that cannot be: a code and the reason.
    pub impossible: Vec<Impossible>,
    /// The run terms those reasons are about.
    pub impossible_terms: Vec<Term>,
    /// When more was given than the run needs (a published run checked whole): how far apart the given
    /// figures are, within the tolerance, or the run is refused.
    pub agreement: Option<Agreement>,
    /// Solved terms that differ from what the preset's claims record for the same run, each a code and
    /// the text; then the compute the run rests on.
    pub differs_from_claims: Vec<ClaimNote>,
}

/// The most GPUs a layout is searched for, as `--gpus` allows.
pub(crate) const MAX_PLANNED_GPUS: f64 = 1e9;

/// A GPU count solved from a duration, refused when it is more than a layout could be planned on: the
/// search over layouts would never finish, and no run of that size exists.
pub(crate) fn plannable(gpus: Bounds<f64>) -> Result<Bounds<f64>> {
    if gpus.high > MAX_PLANNED_GPUS {
        return Err(invalid(
            Input::Duration,
            format!(
                "in this time the run needs {:.3e} GPUs, more than the 1,000,000,000 a layout is planned for: give \
                 a longer duration, or the MFU to solve without a layout",
                gpus.high
            ),
        ));
    }
    Ok(gpus)
}

/// The input a run term is given by.
fn input(term: Term) -> Input {
    match term {
        Term::Compute => Input::Flops,
        Term::Gpus => Input::Gpus,
        Term::Mfu => Input::Mfu,
        Term::Duration => Input::Duration,
        Term::GpuTime => Input::GpuHours,
        Term::Cost => Input::Budget,
    }
}

/// A run that cannot be solved, named by the input to change: the price for a budget without one, the
/// first term still unknown, or the given term an over-determined run's disagreement is said through.
pub(crate) fn unsolvable(e: SolveError) -> Error {
    let input = match &e {
        SolveError::NoPrice => Input::Price,
        SolveError::Underdetermined(unknown) => unknown.first().map_or(Input::Mfu, |&t| input(t)),
        SolveError::Overdetermined { side, .. } => input(*side),
    };
    invalid(input, e.to_string())
}

/// The run's training compute: the given one, or the model's over its tokens (the given ones, else
/// the claimed ones); with the tokens, and whether they are the claimed ones.
fn training_compute(
    request: &TrainRequest,
) -> Result<(TrainingCompute, Option<Bounds<f64>>, bool)> {
    let model = match (request.flops, &request.model) {
        (Some(flops), _) => {
            let compute = TrainingCompute {
                parts: vec![ComputePart {
                    part: "given (--flops)",
                    flops,
                }],
                per_token: None,
                total: flops,
                hardware: None,
            };
            return Ok((compute, request.tokens, false));
        }
        (None, Some(model)) => model,
        (None, None) => {
            return Err(invalid(
                Input::Model,
                "give a model, or the training compute",
            ));
        }
    };
    let tokens = super::training_tokens(request.tokens, model)?;
    let compute = training::model_compute(
        model,
        tokens,
        request.seq_len,
        request.masking.unwrap_or(Masking::Full),
        request.recompute.unwrap_or(Recompute::None),
    )?;
    Ok((compute, Some(tokens), request.tokens.is_none()))
}

/// Solves a training run.
pub fn train(request: &TrainRequest) -> Result<TrainResult> {
    let model = request.model.as_ref();
    if model.is_none() && request.flops.is_none() {
        return Err(invalid(
            Input::Model,
            "give a model (`llmcalc models` lists them), or the training compute in its place",
        ));
    }
    let gpu = request.gpu.as_ref().ok_or_else(|| {
        invalid(
            Input::Gpu,
            "give the GPU to train on (`llmcalc gpus` lists them); the model's claims name none",
        )
    })?;
    let (precision, peak) = gpu.peak_for(request.precision)?;
    // Running on the claimed GPU (named by id or alias) keeps the claimed run.
    let claims = model
        .map(|m| &m.claims)
        .filter(|c| training::on_claimed_gpu(c, gpu));

    let (compute, tokens, tokens_claimed) = training_compute(request)?;
    let mut from_claims: Vec<&'static str> = Vec::new();
    if tokens_claimed {
        from_claims.push("training_tokens");
    }
    let (claimed, mfu_source, prediction) = solve_run(request, gpu, claims, compute.total, peak)?;
    let offered = price::preset_price(gpu, request.price_basis).map(|(_, origin)| origin);
    let model_id = model.map_or("", |m| m.id.as_str());
    let price_origin = claimed
        .price_source
        .map(|source| price::solved_origin(source, model_id, offered.as_ref()));
    from_claims.extend(claimed.from_claims);
    let differs_from_claims = match claims {
        Some(c) => claim_notes(c, &claimed.differences, compute.total),
        None => Vec::new(),
    };
    let mut out = result(
        request,
        model,
        gpu,
        precision,
        tokens,
        compute.per_token,
        (compute.parts, compute.hardware),
        claimed.run,
        (from_claims, differs_from_claims),
        price_origin,
    );
    out.no_price = out
        .price_origin
        .is_none()
        .then(|| price::no_price(gpu, request.price_basis));
    out.mfu_source = mfu_source;
    out.predicted_mfu = prediction.map(|p| p.0);
    out.predicted_layout = prediction.map(|p| p.1.layout);
    out.calibrated_generation = gpu.generation != Generation::Other;
    Ok(out)
}

/// A run's MFU with the prediction that may fill it in or stand beside it.
type Solved = (
    training::ClaimedRun,
    MfuSource,
    Option<(Bounds<f64>, Prediction)>,
);

/// Solves the run: with the MFU given or claimed, the predicted MFU is shown beside the solved run;
/// with no MFU and too little to solve one, the best layout's MFU (at the GPU count given, or the one
/// the duration needs) fills it in.
fn solve_run(
    request: &TrainRequest,
    gpu: &Gpu,
    claims: Option<&Claims>,
    compute: Bounds<Compute>,
    peak: ComputeRate,
) -> Result<Solved> {
    let solve = |mfu: Option<Bounds<f64>>| {
        training::solve_with_claims(Given {
            known: Known {
                compute: Some(compute),
                gpus: request.gpus,
                mfu,
                duration: request.duration,
                gpu_time: request.gpu_hours.map(|b| b.map(Time::new::<hour>)),
                budget: request.budget,
                price: request.price,
                peak,
                tolerance: request.tolerance,
            },
            claims,
            preset_price: price::preset_price(gpu, request.price_basis).map(|(rate, _)| rate),
            claimed_price: price::claimed_price_applies(request.price_basis, true),
        })
    };
    match (solve(request.mfu), request.model.as_ref()) {
        (Ok(c), _) => with_prediction_beside(request, gpu, c),
        (Err(SolveError::Underdetermined(unknown)), Some(m)) if request.mfu.is_none() => {
            with_prediction_filling_in(request, m, gpu, &solve, unknown)
        }
        (Err(e), _) => Err(unsolvable(e)),
    }
}

/// The MFU given, claimed or solved, with the predicted MFU beside it; a solved count beyond what a
/// run could be planned on gets no layout beside it.
fn with_prediction_beside(
    request: &TrainRequest,
    gpu: &Gpu,
    c: training::ClaimedRun,
) -> Result<Solved> {
    let source = if request.mfu.is_some() {
        MfuSource::Given
    } else if c.from_claims.contains(&"mfu") {
        MfuSource::Claimed
    } else {
        MfuSource::Solved
    };
    let beside = match (request.model.as_ref(), c.run.gpus) {
        (Some(m), Some(gpus)) if gpus.high <= MAX_PLANNED_GPUS => {
            predicted(request, m, gpu, GpuCount::Fixed(gpus))?
        }
        _ => None,
    };
    Ok((c, source, beside))
}

/// No MFU, and too little to solve one: the best layout's MFU, at the GPU count given or the one
/// the duration needs, fills it in. Without a GPU count or a duration, an MFU fixes only the
/// GPU-hours: nothing to predict.
fn with_prediction_filling_in(
    request: &TrainRequest,
    m: &Model,
    gpu: &Gpu,
    solve: &impl Fn(Option<Bounds<f64>>) -> std::result::Result<training::ClaimedRun, SolveError>,
    unknown: Vec<Term>,
) -> Result<Solved> {
    let gpus_at = |mfu: Bounds<f64>| -> Result<Bounds<f64>> {
        let run = solve(Some(mfu)).map_err(unsolvable)?.run;
        let gpus = run
            .gpus
            .ok_or_else(|| unsolvable(SolveError::Underdetermined(unknown.clone())))?;
        plannable(gpus)
    };
    let count = match request.gpus {
        Some(g) => GpuCount::Fixed(g),
        None => GpuCount::Solved(&gpus_at),
    };
    let Some(p) = predicted(request, m, gpu, count)? else {
        return Err(unsolvable(SolveError::Underdetermined(unknown)));
    };
    let c = solve(Some(p.0)).map_err(unsolvable)?;
    Ok((c, MfuSource::Predicted, Some(p)))
}

/// The predicted MFU of the run's layout, when the model has an architecture and some layout of the
/// GPU count fits; none otherwise (a partial preset, or no layout holds the model).
fn predicted(
    request: &TrainRequest,
    model: &Model,
    gpu: &Gpu,
    count: GpuCount,
) -> Result<Option<(Bounds<f64>, Prediction)>> {
    if model.try_architecture().is_none() {
        return Ok(None);
    }
    let workload = Workload {
        precision: request.precision,
        seq_len: request.seq_len,
        batch_tokens: request.batch_tokens,
    };
    Ok(predict::predicted_mfu(model, gpu, &workload, count)?.ok())
}

/// Why a solved term differs from the preset's claims, as a stable code for scripts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimNoteCode {
    /// The solved duration is not the claimed one.
    DurationDiffers,
    /// The solved GPU-hours are not the claimed ones.
    GpuHoursDiffer,
    /// The solved MFU is not the claimed one.
    MfuDiffers,
    /// The solved GPU count is not the claimed one.
    GpusDiffer,
    /// The compute the run rests on, beside the claimed compute: where a difference comes from.
    ComputeBasis,
}

/// One line of how the solved run stands against the preset's claims: a code and the text.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClaimNote {
    pub code: ClaimNoteCode,
    pub message: String,
}

/// The solved terms that differ from the claims, in words, and then — so that a reader sees where the
/// difference comes from — the compute the run rests on beside the claimed one.
fn claim_notes(
    c: &Claims,
    differences: &[ClaimDifference],
    compute: Bounds<Compute>,
) -> Vec<ClaimNote> {
    let days = |d: f64| format!("{} days", format::sig3(Time::new::<second>(d).get::<day>()));
    let mut out: Vec<ClaimNote> = differences
        .iter()
        .map(|d| {
            let (code, name, show): (_, _, &dyn Fn(f64) -> String) = match d.term {
                Term::Duration => (ClaimNoteCode::DurationDiffers, "days", &days),
                Term::GpuTime => (ClaimNoteCode::GpuHoursDiffer, "GPU-hours", &format::count),
                Term::Mfu => (ClaimNoteCode::MfuDiffers, "MFU", &format::percent),
                _ => (ClaimNoteCode::GpusDiffer, "GPUs", &format::count),
            };
            ClaimNote {
                code,
                message: format!(
                    "solved {name} {} differ from the claimed {} ({}×)",
                    format::range(d.solved, show),
                    format::range(d.claimed, show),
                    format::sig3(d.ratio)
                ),
            }
        })
        .collect();
    if !out.is_empty()
        && let Some(claimed) = c.training_flops
    {
        out.push(ClaimNote {
            code: ClaimNoteCode::ComputeBasis,
            message: format!(
                "the run rests on llmcalc's compute of {} (weights and attention over the context); the claims give {}",
                format::range(compute, format::compute),
                format::compute(Compute::new::<flop>(claimed.mid()))
            ),
        });
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn result(
    request: &TrainRequest,
    model: Option<&Model>,
    gpu: &Gpu,
    precision: Precision,
    tokens: Option<Bounds<f64>>,
    per_token: Option<(Compute, Compute)>,
    (compute_parts, hardware_flops): (Vec<ComputePart>, Option<Bounds<Compute>>),
    run: Run,
    (from_claims, differs_from_claims): (Vec<&'static str>, Vec<ClaimNote>),
    price_origin: Option<PriceOrigin>,
) -> TrainResult {
    let (gpu_time, mfu, total) = solved_terms(&run);
    let energy = gpu
        .power
        .map(|power| training::energy(power, gpu_time, request.pue));
    let rates = Rates::new(
        &run,
        mfu,
        per_token,
        share_of_weights(&compute_parts, total),
    );
    TrainResult {
        model: model.and_then(|m| Some(ModelInfo::new(m, m.try_architecture()?))),
        gpu: GpuInfo::new(gpu, precision, run.peak),
        tokens,
        training_flops_per_token: per_token.map(|(model, _)| model),
        total_flops: total,
        compute_parts,
        hardware_flops,
        gpus: run.gpus,
        mfu,
        mfu_source: MfuSource::Solved,
        predicted_mfu: None,
        predicted_layout: None,
        calibrated_generation: true,
        mfu_without_attention: rates.mfu_without_attention,
        hfu: rates.hfu,
        wall_clock_seconds: run.duration,
        gpu_hours: gpu_time.map(|t| t.get::<hour>()),
        price_usd_per_gpu_hour: run.price.map(|p| p.map(|r| r.get::<dollar_per_hour>())),
        cost_usd: run.cost,
        pue: request.pue,
        power_watts: gpu.power,
        energy_joules: energy,
        tokens_per_second: rates.tokens_per_second,
        tokens_per_second_per_gpu: rates.tokens_per_second_per_gpu,
        achieved_flops_per_second_per_gpu: mfu.map(|m| run.peak * m),
        given: run.given,
        solved: run.solved,
        from_claims,
        price_source: price_origin.as_ref().map(PriceOrigin::describe),
        price_origin,
        price_basis: request.price_basis,
        no_price: None,
        impossible: run.impossible,
        impossible_terms: run.impossible_terms,
        agreement: run.agreement,
        differs_from_claims,
    }
}

/// The share of the training compute spent on the weights (the 6N part), if the parts split it.
/// The GPU-time, MFU and compute of a solved run: a solve succeeds only with all three known.
fn solved_terms(run: &Run) -> (Bounds<Time>, Bounds<f64>, Bounds<Compute>) {
    let gpu_time = run
        .gpu_time
        .expect("solve succeeds only with the GPU-time known");
    let mfu = run.mfu.expect("solve succeeds only with the MFU known");
    let total = run
        .compute
        .expect("solve succeeds only with the compute known");
    (gpu_time, mfu, total)
}

fn share_of_weights(parts: &[ComputePart], total: Bounds<Compute>) -> Option<f64> {
    parts
        .iter()
        .find(|p| p.part.starts_with("weights"))
        .map(|p| (p.flops.low / total.low).value)
}

/// Throughput, and the utilisation under the other conventions, from a solved run.
struct Rates {
    tokens_per_second: Option<Bounds<f64>>,
    tokens_per_second_per_gpu: Option<Bounds<f64>>,
    mfu_without_attention: Option<Bounds<f64>>,
    hfu: Option<Bounds<f64>>,
}

impl Rates {
    /// `per_token` is the (model, hardware) FLOPs per token, `weights_share` the share of the
    /// compute on the weights.
    fn new(
        run: &Run,
        mfu: Bounds<f64>,
        per_token: Option<(Compute, Compute)>,
        weights_share: Option<f64>,
    ) -> Rates {
        // Tokens per second follow from the FLOP/s the GPUs deliver over the FLOP each token costs;
        // the ends of the token range and of the duration range move together, so their ratio would
        // mislead.
        let per_token_flops = per_token.map(|(model, _)| model);
        Rates {
            tokens_per_second: run
                .aggregate_rate
                .zip(per_token_flops)
                .map(|(rate, f)| rate.map(|r| (r / f).value)),
            tokens_per_second_per_gpu: per_token_flops
                .map(|f| mfu.map(|m| (run.peak * m / f).value)),
            // Only a solved MFU is split: a given one is taken as the user's own convention.
            mfu_without_attention: weights_share
                .filter(|_| run.solved.contains(&Term::Mfu))
                .map(|share| mfu.map(|m| m * share)),
            hfu: per_token
                .filter(|(model, hardware)| hardware > model)
                .map(|(model, hardware)| mfu.map(|m| m * (hardware / model).value)),
        }
    }
}
