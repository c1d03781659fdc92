//! `llmcalc compare`: one training run priced on several GPU types, cheapest first.
//!
//! Each row is the run `llmcalc train` solves on that GPU, at a fixed duration (GPUs needed) or a fixed
//! GPU count (days needed), at the MFU given or, by default, at the MFU of the best layout `plan` finds
//! for that GPU and GPU count — so that memory, bandwidth and interconnect enter the ranking, not the
//! peak alone. Whether the training state fits is a first check, named as such: mixed-
//! precision Adam keeps 16 bytes per parameter (2 weights, 2 gradients, 12 of fp32 master weights,
//! momentum and variance; Rajbhandari et al. 2020, ZeRO, §3.1), spread over every GPU, with no room
//! counted for activations.

use serde::Serialize;

use super::invalid;
use super::predict::{self, GpuCount, MfuSource, Workload};
use super::price::{self, PriceOrigin};
use crate::app::train::unsolvable;
use crate::domain::hardware::{Gpu, Precision, PriceKind};
use crate::domain::kernels::Generation;
use crate::domain::memory::{Layout, Optimizer};
use crate::domain::model::Model;
use crate::domain::model::flops::{Masking, Recompute};
use crate::domain::model::params;
use crate::domain::training::{self, ClaimedRun, Given, Impossible, Known, PriceSource, Run};
use crate::domain::units::unit::{byte, dollar, dollar_per_hour, hour};
use crate::domain::units::{
    Bounds, Compute, ComputeRate, Information, Money, MoneyRate, Power, Time,
};
use crate::error::{Input, Result};

/// Bytes of training state per parameter under mixed-precision Adam: 2 of weights, 2 of gradients and
/// the optimizer's 12 (Rajbhandari et al. 2020, §3.1).
pub fn state_bytes_per_param() -> f64 {
    2.0 + 2.0 + Optimizer::Adam.state_bytes()
}

/// What the comparison holds fixed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fixed {
    /// The wall-clock duration: GPUs are solved.
    Duration(Bounds<Time>),
    /// The GPU count: the duration is solved.
    Gpus(Bounds<f64>),
}

/// What `llmcalc compare` was asked.
#[derive(Clone, Debug)]
pub struct CompareRequest {
    pub model: Model,
    /// The model's claimed training tokens when absent.
    pub tokens: Option<Bounds<f64>>,
    /// The GPU types to compare.
    pub gpus: Vec<Gpu>,
    pub fixed: Fixed,
    /// One MFU for every GPU type; each GPU's predicted MFU when absent.
    pub mfu: Option<Bounds<f64>>,
    /// The batch and precision the predicted layouts train with.
    pub workload: Workload,
    /// Prices for some of the GPU types, overriding the presets'.
    pub prices: Vec<(Gpu, Bounds<MoneyRate>)>,
    /// The kind of GPU preset price every GPU is priced at (the model's claimed price on the claimed
    /// GPU too for `claim`); none: each GPU preset's first price, never a claimed one.
    pub price_basis: Option<PriceKind>,
    /// The precision of the peak; each GPU's training precision when absent.
    pub precision: Option<Precision>,
    pub pue: f64,
}

/// One GPU type's row.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CompareRow {
    pub gpu: String,
    /// The dense peak per GPU the MFU is measured against.
    pub peak_flops_per_second: ComputeRate,
    /// Memory and board power per GPU, from the preset.
    pub memory_bytes: Information,
    pub power_watts: Option<Power>,
    pub gpus: Bounds<f64>,
    pub mfu: Bounds<f64>,
    pub mfu_source: MfuSource,
    /// Whether the calibration holds measured runs on this GPU's generation; a predicted MFU on any
    /// other (V100, TPUs, AMD) takes Hopper's fitted constants, an extrapolation.
    pub calibrated_generation: bool,
    /// The best layout at the fewest GPUs, when the MFU is predicted.
    pub layout: Option<Layout>,
    pub wall_clock_seconds: Bounds<Time>,
    pub gpu_hours: Bounds<f64>,
    pub price_usd_per_gpu_hour: Option<Bounds<f64>>,
    /// Where the price comes from: `given` (--price), `claims` (the model's claimed run, on the
    /// claimed GPU only) or `preset` (the GPU preset's indicative price; its kind and date in `gpus`).
    pub price_source: Option<PriceSource>,
    /// Where the price comes from, in full: the preset, the price's kind, date and source.
    pub price_origin: Option<PriceOrigin>,
    /// Why the GPU has no price: its preset lists none (of the kind asked for).
    pub no_price: Option<String>,
    pub cost_usd: Option<Bounds<Money>>,
    pub energy_joules: Option<Bounds<crate::domain::units::Energy>>,
    pub cost_per_trillion_tokens_usd: Option<Bounds<Money>>,
    /// Training state (16 bytes per parameter) over the memory of all the GPUs, at the fewest GPUs.
    pub state_share_of_memory: f64,
    pub fits: bool,
    /// Solved values that cannot be (an MFU above 100% cannot arise here; fewer than one GPU can): a
    /// code and the reason.
    pub impossible: Vec<Impossible>,
}

/// The result of `llmcalc compare`, rows sorted by cost (cheapest first; unpriced last).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CompareResult {
    pub model: String,
    pub tokens: Bounds<f64>,
    /// The MFU given for every GPU type; none when each row has its predicted one.
    pub mfu: Option<Bounds<f64>>,
    /// The peak's precision, when one was asked for (else each GPU's bf16, or fp16).
    pub precision: Option<Precision>,
    /// The kind of GPU preset price asked for.
    pub price_basis: Option<PriceKind>,
    pub total_params: u64,
    pub state_bytes: Information,
    /// The training compute every row runs, as `llmcalc train` counts it.
    pub training_flops: Bounds<Compute>,
    pub pue: f64,
    pub rows: Vec<CompareRow>,
    /// GPU types on which no layout fits the model in memory at the GPU count (or near the one the
    /// duration needs), with the count tried.
    pub no_layout: Vec<NoLayout>,
}

/// A GPU type left out: no layout of `gpus` GPUs holds the model.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NoLayout {
    pub gpu: String,
    pub gpus: u64,
}

/// Prices the run on each GPU.
pub fn compare(request: &CompareRequest) -> Result<CompareResult> {
    let model = &request.model;
    check(request)?;
    let arch = model.architecture("comparing GPUs")?;
    let total_params = params::count(&model.id, arch)?.total_params;
    let state = Information::new::<byte>(total_params as f64 * state_bytes_per_param());
    let tokens = super::training_tokens(request.tokens, model)?;
    // The training compute as `llmcalc train` counts it by default.
    let compute =
        training::model_compute(model, tokens, None, Masking::Full, Recompute::None)?.total;
    let mut rows: Vec<CompareRow> = Vec::new();
    let mut no_layout = Vec::new();
    for gpu in &request.gpus {
        if rows.iter().any(|r| r.gpu == gpu.id)
            || no_layout.iter().any(|n: &NoLayout| n.gpu == gpu.id)
        {
            continue;
        }
        let price = request
            .prices
            .iter()
            .find(|(g, _)| g.id == gpu.id)
            .map(|(_, p)| *p);
        match mfu(request, gpu, compute, price)? {
            Ok((mfu, source, layout)) => {
                let claimed = solve(request, gpu, compute, price, mfu)?;
                let priced = (claimed.run, claimed.price_source);
                rows.push(row(
                    request,
                    gpu,
                    priced,
                    (mfu, source, layout),
                    tokens,
                    state,
                ));
            }
            Err(gpus) => no_layout.push(NoLayout {
                gpu: gpu.id.clone(),
                gpus,
            }),
        }
    }
    rows.sort_by(|a, b| {
        let key = |r: &CompareRow| r.cost_usd.map_or(f64::INFINITY, |c| c.low.get::<dollar>());
        key(a).total_cmp(&key(b))
    });
    Ok(CompareResult {
        model: model.id.clone(),
        tokens,
        mfu: request.mfu,
        precision: request.precision,
        price_basis: request.price_basis,
        total_params,
        state_bytes: state,
        training_flops: compute,
        pue: request.pue,
        rows,
        no_layout,
    })
}

/// At least one GPU is compared, and every price names one of them.
fn check(request: &CompareRequest) -> Result<()> {
    if request.gpus.is_empty() {
        return Err(invalid(Input::Gpu, "give at least one GPU to compare"));
    }
    if let Some((gpu, _)) = request
        .prices
        .iter()
        .find(|(g, _)| !request.gpus.iter().any(|c| c.id == g.id))
    {
        return Err(invalid(
            Input::Price,
            format!("`{}` is not among the GPUs compared", gpu.id),
        ));
    }
    Ok(())
}

/// A row's MFU, where it came from, and the predicted layout.
type RowMfu = (Bounds<f64>, MfuSource, Option<Layout>);

/// The MFU of a row: the one given, else the best layout's at the GPU count — given, or the one the
/// duration needs ([`predict::predicted_mfu`]). `Err` holds the GPU count no layout fits.
fn mfu(
    request: &CompareRequest,
    gpu: &Gpu,
    compute: Bounds<Compute>,
    price: Option<Bounds<MoneyRate>>,
) -> Result<std::result::Result<RowMfu, u64>> {
    if let Some(mfu) = request.mfu {
        return Ok(Ok((mfu, MfuSource::Given, None)));
    }
    let solved = |mfu: Bounds<f64>| -> Result<Bounds<f64>> {
        let claimed = solve(request, gpu, compute, price, mfu)?;
        let gpus = claimed
            .run
            .gpus
            .expect("GPUs are solved with a fixed duration");
        super::train::plannable(gpus)
    };
    let count = match request.fixed {
        Fixed::Gpus(gpus) => GpuCount::Fixed(gpus),
        Fixed::Duration(_) => GpuCount::Solved(&solved),
    };
    let predicted = predict::predicted_mfu(&request.model, gpu, &request.workload, count)?;
    Ok(predicted.map(|(mfu, p)| (mfu, MfuSource::Predicted, Some(p.layout))))
}

/// The run on one GPU type at `mfu`, solved as `llmcalc train` solves it: on the claimed GPU, the
/// claims apply to what is not given.
fn solve(
    request: &CompareRequest,
    gpu: &Gpu,
    compute: Bounds<Compute>,
    price: Option<Bounds<MoneyRate>>,
    mfu: Bounds<f64>,
) -> Result<ClaimedRun> {
    let (_, peak) = gpu.peak_for(request.precision)?;
    let (gpus, duration) = match request.fixed {
        Fixed::Duration(d) => (None, Some(d)),
        Fixed::Gpus(g) => (Some(g), None),
    };
    let claims = Some(&request.model.claims).filter(|c| training::on_claimed_gpu(c, gpu));
    let claimed = training::solve_with_claims(Given {
        known: Known {
            compute: Some(compute),
            gpus,
            mfu: Some(mfu),
            duration,
            price,
            peak,
            ..Known::default()
        },
        claims,
        preset_price: price::preset_price(gpu, request.price_basis).map(|(rate, _)| rate),
        claimed_price: price::claimed_price_applies(request.price_basis, false),
    })
    .map_err(unsolvable)?;
    Ok(claimed)
}

/// One GPU type's row: the solved run, whole GPUs, the cost per trillion tokens and whether the
/// training state fits.
fn row(
    request: &CompareRequest,
    gpu: &Gpu,
    (run, price_source): (Run, Option<PriceSource>),
    (mfu, mfu_source, layout): RowMfu,
    tokens: Bounds<f64>,
    state: Information,
) -> CompareRow {
    let gpus = run
        .gpus
        .expect("GPUs are given or solved with a fixed duration")
        .map(f64::ceil);
    let duration = run
        .duration
        .expect("the duration is given or solved with a fixed GPU count");
    let gpu_time = run
        .gpu_time
        .expect("solve succeeds only with the GPU-time known");
    let share = state.get::<byte>() / (gpu.memory.get::<byte>() * gpus.low);
    let offered = price::preset_price(gpu, request.price_basis).map(|(_, origin)| origin);
    let price_origin = price_source
        .map(|source| price::solved_origin(source, &request.model.id, offered.as_ref()));
    let per_trillion = run.cost.map(|cost| {
        Bounds::new(
            cost.low / (tokens.high / 1e12),
            cost.high / (tokens.low / 1e12),
        )
    });
    CompareRow {
        gpu: gpu.id.clone(),
        peak_flops_per_second: run.peak,
        memory_bytes: gpu.memory,
        power_watts: gpu.power,
        gpus,
        mfu,
        mfu_source,
        calibrated_generation: gpu.generation != Generation::Other,
        layout,
        wall_clock_seconds: duration,
        gpu_hours: gpu_time.map(|t| t.get::<hour>()),
        price_usd_per_gpu_hour: run.price.map(|p| p.map(|r| r.get::<dollar_per_hour>())),
        price_source,
        no_price: price_origin
            .is_none()
            .then(|| price::no_price(gpu, request.price_basis)),
        price_origin,
        cost_usd: run.cost,
        energy_joules: gpu
            .power
            .map(|power| training::energy(power, gpu_time, request.pue)),
        cost_per_trillion_tokens_usd: per_trillion,
        state_share_of_memory: share,
        fits: share <= 1.0,
        impossible: run.impossible,
    }
}
