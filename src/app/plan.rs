//! `llmcalc plan`: the fastest layouts that fit, with their step time and memory, MFU, days and cost.

use serde::Serialize;

use super::memory::Setup;
use super::params::ModelInfo;
use super::train::GpuInfo;
use crate::domain::hardware::PriceKind;
use crate::domain::kernels::{AttentionKernel, Generation};
use crate::domain::parallel::Pins;
use crate::domain::parallel::{self, Candidate};
use crate::domain::units::unit::{dollar_per_hour, hour, second};
use crate::domain::units::{MoneyRate, Time};
use crate::error::{Error, Input, Result};

/// One ranked layout.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlanRow {
    pub rank: usize,
    #[serde(flatten)]
    pub candidate: Candidate,
    /// Days to train on the tokens, at the estimated step time.
    pub training_seconds: Option<f64>,
    pub cost_usd: Option<f64>,
}

/// The result of `llmcalc plan`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlanResult {
    pub model: ModelInfo,
    pub gpu: GpuInfo,
    pub gpus: u64,
    pub tokens: Option<f64>,
    pub seq_len: u64,
    pub global_batch: u64,
    pub kernel_efficiency: f64,
    pub network_bytes_per_second: f64,
    pub dp_overlap: f64,
    pub tp_overlap: f64,
    /// The fused-attention kernel the step time assumes.
    pub attention_kernel: AttentionKernel,
    /// Whether the calibration holds measured runs on this GPU's generation (Ampere, Hopper,
    /// Blackwell); other GPUs (V100, TPUs, AMD) take Hopper's fitted kernel constants.
    pub calibrated_generation: bool,
    pub price_usd_per_gpu_hour: Option<f64>,
    /// Where the price comes from: given, or the GPU preset's first price (kind, date, source).
    pub price_origin: Option<super::price::PriceOrigin>,
    /// The kind of preset price asked for (`--price-basis`), if any.
    pub price_basis: Option<PriceKind>,
    /// Why there is no price, when none applies.
    pub no_price: Option<String>,
    pub evaluated: u64,
    pub fitting: u64,
    /// The fewest sequences per step some split of the GPUs needs, when the batch was too small for
    /// one.
    pub smallest_batch: Option<u64>,
    pub layouts: Vec<PlanRow>,
}

/// Searches the layouts of `gpus` GPUs and ranks the fitting ones; the cost at the price given, else
/// the GPU preset's price of the kind asked for (or its first).
pub fn plan(
    setup: &Setup,
    gpus: u64,
    tokens: Option<f64>,
    (price, basis): (Option<MoneyRate>, Option<PriceKind>),
    pins: &Pins,
    top: usize,
) -> Result<PlanResult> {
    for (input, value) in [(Input::Gpus, gpus), (Input::Top, top as u64)] {
        if value == 0 {
            return Err(Error::Invalid {
                input,
                message: "must be at least 1".into(),
            });
        }
    }
    let t = &setup.training;
    let search = parallel::search(t, gpus, pins, top);
    if let Some(refused) = search.refused.filter(|_| search.smallest_batch.is_none()) {
        // Not one layout the pins allow is valid, and not for want of a larger batch: a pinned value (or
        // the GPU count) is at fault.
        return Err(refused.into());
    }
    let (price, price_origin) = super::price::price(price, &setup.gpu, basis).unzip();
    let no_price = price
        .is_none()
        .then(|| super::price::no_price(&setup.gpu, basis));
    let per_hour = price.map(|p| p.get::<dollar_per_hour>());
    Ok(PlanResult {
        model: setup.model.clone(),
        gpu: setup.gpu_info(),
        gpus,
        tokens,
        seq_len: t.workload.seq_len,
        global_batch: t.workload.global_batch,
        kernel_efficiency: t.step.model.device.constants.gemm_efficiency,
        network_bytes_per_second: t.step.model.fabric.scale_out,
        dp_overlap: t.step.model.dp_overlap,
        tp_overlap: t.step.model.tp_overlap,
        attention_kernel: t.step.model.device.attention_kernel,
        calibrated_generation: setup.gpu.generation != Generation::Other,
        price_usd_per_gpu_hour: per_hour,
        price_origin,
        price_basis: basis,
        no_price,
        evaluated: search.evaluated,
        fitting: search.fitting,
        smallest_batch: search.smallest_batch,
        layouts: rows(search.best, tokens, gpus, per_hour),
    })
}

/// The ranked layouts with the days and cost of training on `tokens` at `per_hour` dollars a GPU.
fn rows(
    best: Vec<Candidate>,
    tokens: Option<f64>,
    gpus: u64,
    per_hour: Option<f64>,
) -> Vec<PlanRow> {
    best.into_iter()
        .enumerate()
        .map(|(i, candidate)| {
            let training = tokens.map(|t| t / candidate.tokens_per_step * candidate.step.total);
            PlanRow {
                rank: i + 1,
                candidate,
                training_seconds: training,
                cost_usd: training
                    .zip(per_hour)
                    .map(|(s, p)| Time::new::<second>(s).get::<hour>() * gpus as f64 * p),
            }
        })
        .collect()
}
