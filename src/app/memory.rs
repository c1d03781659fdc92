//! `llmcalc memory`: per-GPU memory of one training layout, part by part, and whether it fits.

use serde::Serialize;

use super::params::ModelInfo;
use super::train::GpuInfo;
use crate::domain::hardware::Gpu;
use crate::domain::memory::{self, Layout, Memory, Optimizer, Workload};
use crate::domain::model::Model;
use crate::domain::parallel::{TrainingOptions, TrainingSetup};
use crate::domain::units::Information;
use crate::domain::units::format;
use crate::domain::units::unit::byte;
use crate::error::Result;

/// What the model, the GPU and the batch fix for every layout, with the model and GPU for results.
#[derive(Clone, Debug)]
pub struct Setup {
    pub model: ModelInfo,
    pub gpu: Gpu,
    pub training: TrainingSetup,
}

/// The choices shared by `memory` and `plan`.
#[derive(Clone, Debug)]
pub struct SetupRequest {
    pub model: Model,
    pub gpu: Gpu,
    pub options: TrainingOptions,
}

/// Resolves the model, GPU and batch into what the memory and step-time models need.
pub fn setup(r: &SetupRequest) -> Result<Setup> {
    let training = TrainingSetup::new(&r.model, &r.gpu, &r.options)?;
    let arch = r.model.architecture("memory and layouts")?;
    Ok(Setup {
        model: ModelInfo::new(&r.model, arch),
        gpu: r.gpu.clone(),
        training,
    })
}

impl Setup {
    /// The GPU, for results.
    pub fn gpu_info(&self) -> GpuInfo {
        GpuInfo::new(&self.gpu, self.training.precision, self.training.step.peak)
    }
}

/// The result of `llmcalc memory`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MemoryResult {
    pub model: ModelInfo,
    pub gpu: GpuInfo,
    pub gpus: u64,
    pub layout: Layout,
    pub optimizer: Optimizer,
    pub workload: Workload,
    /// First and last pipeline stage (the same stage when PP is 1).
    pub stages: [Memory; 2],
    /// The stage needing most memory.
    pub worst_stage: memory::Stage,
    pub per_gpu_bytes: f64,
    pub capacity_bytes: f64,
    pub fits: bool,
    /// Capacity less the total; negative when it does not fit.
    pub headroom_bytes: f64,
    /// When it does not fit: the largest part and how much is missing.
    pub overflow: Option<String>,
}

/// Evaluates one layout's memory.
pub fn memory(setup: &Setup, gpus: u64, layout: Layout) -> Result<MemoryResult> {
    // The data-parallel degree, when not given (0), is what TP, CP and PP leave; the check below names a TP × PP (or
    // TP × CP × PP) that does not divide the GPUs.
    let model_parallel = layout.tp.max(1) * layout.pp.max(1) * layout.cp.max(1);
    let layout = Layout {
        dp: if layout.dp == 0 {
            (gpus / model_parallel).max(1)
        } else {
            layout.dp
        },
        ..layout
    };
    let t = &setup.training;
    t.shape
        .check(&layout, gpus, t.step.gpus_per_node, t.workload.global_batch)?;
    let stages = memory::memory(&t.shape, &layout, &t.workload, &t.memory);
    let worst = memory::worst(&stages);
    let overflow = (!worst.fits()).then(|| {
        let (part, bytes) = worst
            .parts()
            .into_iter()
            .fold(("", 0.0), |a, b| if b.1 > a.1 { b } else { a });
        format!(
            "needs {} more than the {} of the GPU; the largest part is {part} ({})",
            format::bytes(Information::new::<byte>(worst.total - worst.capacity)),
            format::bytes(Information::new::<byte>(worst.capacity)),
            format::bytes(Information::new::<byte>(bytes)),
        )
    });
    Ok(MemoryResult {
        model: setup.model.clone(),
        gpu: setup.gpu_info(),
        gpus,
        layout,
        optimizer: t.memory.optimizer,
        workload: t.workload,
        stages,
        worst_stage: worst.stage,
        per_gpu_bytes: worst.total,
        capacity_bytes: worst.capacity,
        fits: worst.fits(),
        headroom_bytes: worst.capacity - worst.total,
        overflow,
    })
}
