//! `llmcalc mfu`: model and hardware FLOPs utilisation from an observed throughput.
//!
//! MFU follows PaLM (Chowdhery et al. 2022, App. B): observed tokens per second × model FLOPs per token
//! (6N + 12·L·H·Q·T, here counted part by part by [`crate::domain::model::flops`]) over the aggregate dense peak.
//! The attention-free variant counts the weights alone, as the 6N rule does. HFU adds the recomputed
//! work (hardware FLOPs).

use serde::Serialize;

use super::params::ModelInfo;
use super::train::GpuInfo;
use crate::domain::hardware::{Gpu, Precision};
use crate::domain::model::Model;
use crate::domain::model::flops::{self, FlopsOptions, Masking, Recompute};
use crate::domain::model::params;
use crate::domain::units::format;
use crate::domain::units::unit::{flop, flop_per_second, second};
use crate::domain::units::{Compute, ComputeRate, Time};
use crate::error::Result;

/// How the throughput was observed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Throughput {
    /// Tokens per second over all GPUs.
    Total(f64),
    /// Tokens per second per GPU.
    PerGpu(f64),
    /// One optimizer step of `batch_tokens` tokens took `step`.
    Step { step: Time, batch_tokens: f64 },
}

/// What `llmcalc mfu` was asked.
#[derive(Clone, Debug)]
pub struct MfuRequest {
    pub model: Model,
    pub gpu: Gpu,
    pub gpus: f64,
    pub throughput: Throughput,
    pub precision: Option<Precision>,
    pub seq_len: Option<u64>,
    pub masking: Masking,
    pub recompute: Recompute,
}

/// The result of `llmcalc mfu`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MfuResult {
    pub model: ModelInfo,
    pub gpu: GpuInfo,
    pub gpus: f64,
    pub seq_len: u64,
    pub tokens_per_second: f64,
    pub tokens_per_second_per_gpu: f64,
    /// Model FLOPs per token: weights and attention (PaLM).
    pub model_flops_per_token: Compute,
    /// The weights' share alone (the 6N rule).
    pub weight_flops_per_token: Compute,
    /// Model FLOPs plus recompute.
    pub hardware_flops_per_token: Compute,
    pub achieved_flops_per_second_per_gpu: ComputeRate,
    /// PaLM's MFU, attention included.
    pub mfu: f64,
    pub mfu_without_attention: f64,
    pub hfu: f64,
    /// Set when a utilisation exceeds 100%: the peak is likely the wrong one.
    pub warning: Option<String>,
}

impl Throughput {
    /// Tokens per second over all `gpus`.
    fn total(self, gpus: f64) -> f64 {
        match self {
            Throughput::Total(t) => t,
            Throughput::PerGpu(t) => t * gpus,
            Throughput::Step { step, batch_tokens } => batch_tokens / step.get::<second>(),
        }
    }
}

/// Why a utilisation above 100% most likely arose.
fn above_peak(precision: Precision, peak: ComputeRate, gpu: &Gpu) -> String {
    format!(
        "utilisation above 100% against the {} dense peak of {} ({}): the throughput is too high for this \
         GPU count, or the peak is the wrong one (a sparse figure, or another precision: try --precision fp8)",
        precision.name(),
        format::compute_rate(peak),
        gpu.id
    )
}

/// Computes MFU and HFU from an observed throughput.
pub fn mfu(request: &MfuRequest) -> Result<MfuResult> {
    let model = &request.model;
    let arch = model.architecture("computing MFU")?;
    let p = params::count(&model.id, arch)?;
    let gpu = &request.gpu;
    let (precision, peak) = gpu.peak_for(request.precision)?;
    let options = FlopsOptions::new(
        arch,
        request.seq_len,
        None,
        request.masking,
        request.recompute,
    )?;
    let seq_len = options.seq_len;
    let f = flops::count(arch, &p, &options);
    let total = request.throughput.total(request.gpus);
    let aggregate = peak.get::<flop_per_second>() * request.gpus;
    let model_flops = f.training_flops_per_token;
    let weight_flops = model_flops - f.attention_flops_per_token * 3.0;
    let utilisation = |per_token: Compute| total * per_token.get::<flop>() / aggregate;
    let (mfu, hfu) = (
        utilisation(model_flops),
        utilisation(f.hardware_flops_per_token),
    );
    let warning = (mfu > 1.0 || hfu > 1.0).then(|| above_peak(precision, peak, gpu));
    Ok(MfuResult {
        model: ModelInfo::new(model, arch),
        gpu: GpuInfo::new(gpu, precision, peak),
        gpus: request.gpus,
        seq_len,
        tokens_per_second: total,
        tokens_per_second_per_gpu: total / request.gpus,
        model_flops_per_token: model_flops,
        weight_flops_per_token: weight_flops,
        hardware_flops_per_token: f.hardware_flops_per_token,
        achieved_flops_per_second_per_gpu: ComputeRate::new::<flop_per_second>(
            total * model_flops.get::<flop>() / request.gpus,
        ),
        mfu,
        mfu_without_attention: utilisation(weight_flops),
        hfu,
        warning,
    })
}
