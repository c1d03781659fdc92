//! `llmcalc compare`: one training run priced on several GPU types, cheapest first.
//!
//! Each row is the run `llmcalc train` solves on that GPU, at a fixed duration (GPUs needed) or a fixed
//! GPU count (days needed). Whether the training state fits is a first check, named as such: mixed-
//! precision Adam keeps 16 bytes per parameter (2 weights, 2 gradients, 12 of fp32 master weights,
//! momentum and variance; Rajbhandari et al. 2020, ZeRO, §3.1), spread over every GPU, with no room
//! counted for activations.

use serde::Serialize;

use crate::app::train::{TrainRequest, train};
use crate::catalog::presets;
use crate::domain::hardware::{Gpu, Precision};
use crate::domain::memory::Optimizer;
use crate::domain::model::Model;
use crate::domain::model::params;
use crate::domain::units::unit::{byte, dollar};
use crate::domain::units::{Bounds, Information, Money, MoneyRate, Time};
use crate::error::{Error, Result};

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
    pub tokens: Option<Bounds<f64>>,
    pub gpus: Vec<String>,
    pub fixed: Fixed,
    pub mfu: Bounds<f64>,
    /// Prices per GPU name, overriding the presets'.
    pub prices: Vec<(String, Bounds<MoneyRate>)>,
    /// The precision of the peak; each GPU's training precision when absent.
    pub precision: Option<Precision>,
    pub pue: f64,
}

/// One GPU type's row.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CompareRow {
    pub gpu: String,
    pub gpus: Bounds<f64>,
    pub wall_clock_seconds: Bounds<Time>,
    pub gpu_hours: Bounds<f64>,
    pub price_usd_per_gpu_hour: Option<Bounds<f64>>,
    pub cost_usd: Option<Bounds<Money>>,
    pub energy_joules: Option<Bounds<crate::domain::units::Energy>>,
    pub cost_per_trillion_tokens_usd: Option<Bounds<Money>>,
    /// Training state (16 bytes per parameter) over the memory of all the GPUs, at the fewest GPUs.
    pub state_share_of_memory: f64,
    pub fits: bool,
    /// Solved values that cannot be (an MFU above 100% cannot arise here; fewer than one GPU can).
    pub impossible: Vec<String>,
}

/// The result of `llmcalc compare`, rows sorted by cost (cheapest first; unpriced last).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CompareResult {
    pub model: String,
    pub tokens: Bounds<f64>,
    pub mfu: Bounds<f64>,
    /// The peak's precision, when one was asked for (else each GPU's bf16, or fp16).
    pub precision: Option<Precision>,
    pub total_params: u64,
    pub state_bytes: Information,
    pub rows: Vec<CompareRow>,
}

/// Prices the run on each GPU.
pub fn compare(request: &CompareRequest) -> Result<CompareResult> {
    let model = &request.model;
    let arch = model.architecture("comparing GPUs")?;
    let total_params = params::count(&model.id, arch)?.total_params;
    let state = Information::new::<byte>(total_params as f64 * state_bytes_per_param());
    let mut tokens = None;
    let mut rows: Vec<CompareRow> = Vec::new();
    let gpus: Vec<Gpu> = request
        .gpus
        .iter()
        .map(|name| presets::load_gpu(name, &[]))
        .collect::<Result<_>>()?;
    // Every price names one of the GPUs compared.
    let mut prices = Vec::with_capacity(request.prices.len());
    for (name, price) in &request.prices {
        let id = presets::load_gpu(name, &[])?.id;
        if !gpus.iter().any(|g| g.id == id) {
            return Err(Error::Argument {
                argument: "--price".into(),
                message: format!("`{name}` is not among the GPUs compared (--gpu)"),
            });
        }
        prices.push((id, *price));
    }
    for gpu in &gpus {
        if rows.iter().any(|r| r.gpu == gpu.id) {
            continue;
        }
        let price = prices.iter().find(|(id, _)| *id == gpu.id).map(|(_, p)| *p);
        let (gpus, duration) = match request.fixed {
            Fixed::Duration(d) => (None, Some(d)),
            Fixed::Gpus(g) => (Some(g), None),
        };
        let run = train(&TrainRequest {
            model: Some(model.clone()),
            tokens: request.tokens,
            gpu: Some(gpu.id.clone()),
            gpus,
            mfu: Some(request.mfu),
            duration,
            price,
            precision: request.precision,
            pue: request.pue,
            ..TrainRequest::default()
        })?;
        tokens = run.tokens;
        let gpus = run
            .gpus
            .expect("GPUs are given or solved with a fixed duration")
            .map(f64::ceil);
        let duration = run
            .wall_clock_seconds
            .expect("the duration is given or solved with a fixed GPU count");
        let memory = gpu.memory.get::<byte>() * gpus.low;
        let share = state.get::<byte>() / memory;
        let per_trillion = match (run.cost_usd, run.tokens) {
            (Some(cost), Some(t)) => Some(Bounds::new(
                cost.low / (t.high / 1e12),
                cost.high / (t.low / 1e12),
            )),
            _ => None,
        };
        rows.push(CompareRow {
            gpu: gpu.id.clone(),
            gpus,
            wall_clock_seconds: duration,
            gpu_hours: run.gpu_hours,
            price_usd_per_gpu_hour: run.price_usd_per_gpu_hour,
            cost_usd: run.cost_usd,
            energy_joules: run.energy_joules,
            cost_per_trillion_tokens_usd: per_trillion,
            state_share_of_memory: share,
            fits: share <= 1.0,
            impossible: run.impossible,
        });
    }
    let tokens = tokens.ok_or_else(|| Error::Argument {
        argument: "--gpu".into(),
        message: "give at least one GPU: --gpu h100,h200".into(),
    })?;
    rows.sort_by(|a, b| {
        let key = |r: &CompareRow| r.cost_usd.map_or(f64::INFINITY, |c| c.low.get::<dollar>());
        key(a).total_cmp(&key(b))
    });
    Ok(CompareResult {
        model: model.id.clone(),
        tokens,
        mfu: request.mfu,
        precision: request.precision,
        total_params,
        state_bytes: state,
        rows,
    })
}
