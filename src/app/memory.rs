//! `llmcalc memory`: per-GPU memory of one training layout, part by part, and whether it fits.

use serde::Serialize;

use super::params::ModelInfo;
use super::train::GpuInfo;
use crate::domain::hardware::{Gpu, Precision};
use crate::domain::memory::{
    self, Layout, Memory, MemoryOptions, Optimizer, Reserve, Shape, WeightPrecision, Workload,
};
use crate::domain::model::Model;
use crate::domain::model::flops::{self, FlopsOptions, Masking, Recompute};
use crate::domain::model::params;
use crate::domain::parallel::StepOptions;
use crate::domain::units::format;
use crate::domain::units::unit::{byte, byte_per_second, flop, flop_per_second};
use crate::domain::units::{Bandwidth, Information};
use crate::error::{Error, Result};

/// Default global batch: 4M tokens, Llama 2's (Touvron et al. 2023, Table 1).
pub const DEFAULT_BATCH_TOKENS: f64 = 4_194_304.0;

/// What the model, the GPU and the batch fix for every layout.
#[derive(Clone, Debug)]
pub struct Setup {
    pub model: ModelInfo,
    pub gpu: Gpu,
    pub precision: Precision,
    pub shape: Shape,
    pub workload: Workload,
    pub memory: MemoryOptions,
    pub step: StepOptions,
}

/// The choices shared by `memory` and `plan`.
#[derive(Clone, Debug)]
pub struct SetupRequest {
    pub model: Model,
    pub gpu: String,
    pub seq_len: Option<u64>,
    pub global_batch_tokens: Option<f64>,
    pub optimizer: Optimizer,
    pub precision: Option<Precision>,
    pub reserve: Reserve,
    pub kernel_efficiency: f64,
    /// Scale-out bandwidth per GPU, one direction.
    pub network: Bandwidth,
    pub dp_overlap: f64,
}

/// Resolves the model, GPU and batch into what the memory and step-time models need.
pub fn setup(r: &SetupRequest) -> Result<Setup> {
    let model = &r.model;
    let arch = model.architecture("memory and layouts")?;
    let params = params::count(&model.id, arch)?;
    let shape = Shape::new(&model.id, arch, &params)?;
    let gpu = crate::catalog::Catalog::builtin().gpu(&r.gpu)?;
    let (precision, peak) = gpu.peak_for(r.precision)?;
    let per_token = |recompute| -> Result<(f64, f64)> {
        let options = FlopsOptions::new(arch, r.seq_len, None, Masking::Full, recompute)?;
        let f = flops::count(arch, &params, &options);
        Ok((
            f.training_flops_per_token.get::<flop>(),
            f.hardware_flops_per_token.get::<flop>(),
        ))
    };
    let (model_flops, none) = per_token(Recompute::None)?;
    let (_, selective) = per_token(Recompute::Selective)?;
    let (_, full) = per_token(Recompute::Full)?;
    let seq_len = r.seq_len.unwrap_or(arch.context);
    let batch_tokens = r.global_batch_tokens.unwrap_or(DEFAULT_BATCH_TOKENS);
    let sequences = (batch_tokens / seq_len as f64).floor();
    // 2^32 sequences per step is far beyond any run and keeps every product of counts exact.
    if sequences > 4_294_967_296.0 {
        return Err(Error::Argument {
            argument: "--global-batch-tokens".into(),
            message: format!("{batch_tokens} tokens is more than 2^32 sequences of {seq_len}"),
        });
    }
    let global_batch = sequences as u64;
    if global_batch == 0 {
        return Err(Error::Argument {
            argument: "--global-batch-tokens".into(),
            message: format!("{batch_tokens} tokens is less than one sequence of {seq_len}"),
        });
    }
    let interconnect = gpu.interconnect.as_ref();
    let scale_up = interconnect
        .and_then(|i| i.bandwidth)
        .map_or(r.network.get::<byte_per_second>(), |b| {
            b.get::<byte_per_second>() / 2.0
        });
    let step = StepOptions {
        peak: peak.get::<flop_per_second>(),
        kernel_efficiency: r.kernel_efficiency,
        model_flops_per_token: model_flops,
        hardware_flops_per_token: [none, selective, full],
        scale_up,
        network: r.network.get::<byte_per_second>(),
        gpus_per_node: interconnect.map_or(8, |i| i.gpus_per_node),
        dp_overlap: r.dp_overlap,
    };
    Ok(Setup {
        model: ModelInfo::new(model, arch),
        memory: MemoryOptions {
            optimizer: r.optimizer,
            weights: if precision == Precision::Fp8 {
                WeightPrecision::Fp8
            } else {
                WeightPrecision::Bf16
            },
            reserve: r.reserve,
            capacity: gpu.memory.get::<byte>(),
        },
        gpu,
        precision,
        shape,
        workload: Workload {
            seq_len,
            global_batch,
        },
        step,
    })
}

impl Setup {
    /// The GPU, for results.
    pub fn gpu_info(&self) -> GpuInfo {
        GpuInfo {
            id: self.gpu.id.clone(),
            name: self.gpu.name.clone(),
            precision: self.precision,
            peak_flops_per_second: self.gpu.peak(self.precision).expect("checked in setup"),
        }
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
    // The data-parallel degree is what TP and PP leave; the check below names a TP × PP that does
    // not divide the GPUs.
    let model_parallel = layout.tp.max(1) * layout.pp.max(1);
    let layout = Layout {
        dp: (gpus / model_parallel).max(1),
        ..layout
    };
    let per_node = setup.step.gpus_per_node;
    setup
        .shape
        .check(&layout, gpus, per_node, setup.workload.global_batch)
        .map_err(|memory::Invalid(message)| Error::Argument {
            argument: "layout".into(),
            message,
        })?;
    let stages = memory::memory(&setup.shape, &layout, &setup.workload, &setup.memory);
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
        optimizer: setup.memory.optimizer,
        workload: setup.workload,
        stages,
        worst_stage: worst.stage,
        per_gpu_bytes: worst.total,
        capacity_bytes: worst.capacity,
        fits: worst.fits(),
        headroom_bytes: worst.capacity - worst.total,
        overflow,
    })
}
