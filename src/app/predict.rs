//! The MFU a run would reach: the best layout `plan` finds for the model, the GPU and the GPU count,
//! and its step-time model's MFU. `train` and `compare` use it where no MFU is given.

use crate::domain::kernels::AttentionKernel;
use std::cell::RefCell;

use serde::Serialize;

use crate::domain::hardware::{Gpu, Precision};
use crate::domain::memory::{Layout, Optimizer, Reserve};
use crate::domain::model::Model;
use crate::domain::parallel::{self, Pins, TrainingOptions, TrainingSetup};
use crate::domain::units::Bounds;
use crate::error::Result;

/// What a prediction is made for besides the model, the GPU and the GPU count.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Workload {
    /// The training precision; the GPU's 16-bit one when none.
    pub precision: Option<Precision>,
    /// Tokens per sequence; the model's context when none.
    pub seq_len: Option<u64>,
    /// Tokens per optimizer step; 4M when none.
    pub batch_tokens: Option<f64>,
}

/// Where a run's MFU came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MfuSource {
    /// Given on the command line.
    Given,
    /// The model preset's claims.
    Claimed,
    /// The best layout's, from the step-time model.
    Predicted,
    /// Solved from the other run figures.
    Solved,
}

/// The best layout of a GPU count and the MFU it reaches.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Prediction {
    pub gpus: u64,
    pub mfu: f64,
    pub layout: Layout,
}

/// The best layout of `gpus` GPUs for `model` on `gpu`, or none when no layout fits in memory.
pub fn predict(model: &Model, gpu: &Gpu, gpus: u64, w: &Workload) -> Result<Option<Prediction>> {
    let options = TrainingOptions {
        seq_len: w.seq_len,
        global_batch_tokens: w.batch_tokens,
        optimizer: Optimizer::Adam,
        precision: w.precision,
        reserve: Reserve::Fraction(0.1),
        kernel_efficiency: None,
        network: None,
        dp_overlap: 0.0,
        tp_overlap: 0.0,
        attention_kernel: AttentionKernel::Fused,
    };
    let setup = TrainingSetup::new(model, gpu, &options)?;
    let search = parallel::search(&setup, gpus.max(1), &Pins::default(), 1);
    Ok(search.best.first().map(|c| Prediction {
        gpus,
        mfu: c.mfu,
        layout: c.layout,
    }))
}

/// The GPU count at or above `gpus` that a run would be planned on and the search can split well:
/// whole scale-up domains (nodes), and past 64 GPUs whole groups of 64, so that the data-parallel
/// width has small factors (a prime count of nodes allows almost no split).
pub fn whole_nodes(gpus: f64, gpu: &Gpu) -> u64 {
    let node = gpu.gpus_per_scale_up_domain() as f64;
    let gpus = gpus.ceil().max(1.0);
    let step = if gpus <= node {
        1.0
    } else if gpus <= 64.0 {
        node
    } else {
        node.max(64.0)
    };
    ((gpus / step).ceil() * step) as u64
}

/// The GPU count a predicted MFU is for: fixed, or solved from the MFU (a fixed duration).
pub enum GpuCount<'a> {
    Fixed(Bounds<f64>),
    Solved(&'a dyn Fn(Bounds<f64>) -> Result<Bounds<f64>>),
}

/// The MFU of the best layouts at a GPU count (both ends of a range), with the layout at the low end.
/// A given count is used as it is; a count solved from the MFU is found by starting at 40%,
/// predicting at the count that gives (rounded by [`whole_nodes`]) and solving again, twice. `Err` holds a GPU count no layout fits.
pub fn predicted_mfu(
    model: &Model,
    gpu: &Gpu,
    workload: &Workload,
    count: GpuCount,
) -> Result<std::result::Result<(Bounds<f64>, Prediction), u64>> {
    // Each GPU count is searched once, however often the rounds land on it.
    let seen: RefCell<Vec<(u64, Option<Prediction>)>> = RefCell::new(Vec::new());
    let best = |n: u64| -> Result<Option<Prediction>> {
        if let Some((_, p)) = seen.borrow().iter().find(|(m, _)| *m == n) {
            return Ok(*p);
        }
        let p = predict(model, gpu, n, workload)?;
        seen.borrow_mut().push((n, p));
        Ok(p)
    };
    // A given count is taken as it is (whole GPUs); a solved one is rounded to a count a run would be
    // planned on.
    let at = |gpus: Bounds<f64>,
              round: bool|
     -> Result<std::result::Result<(Bounds<f64>, Prediction), u64>> {
        let count = |n: f64| {
            if round {
                whole_nodes(n, gpu)
            } else {
                n.ceil().max(1.0) as u64
            }
        };
        let (low, high) = (count(gpus.low), count(gpus.high));
        let (Some(a), b) = (best(low)?, best(high)?) else {
            return Ok(Err(low));
        };
        let Some(b) = b else {
            return Ok(Err(high));
        };
        Ok(Ok((Bounds::new(a.mfu.min(b.mfu), a.mfu.max(b.mfu)), a)))
    };
    match count {
        GpuCount::Fixed(gpus) => at(gpus, false),
        GpuCount::Solved(solve) => {
            let mut found = at(solve(Bounds::new(0.4, 0.4))?, true)?;
            if let Ok((mfu, _)) = found {
                found = at(solve(mfu)?, true)?;
            }
            Ok(found)
        }
    }
}
