//! `llmcalc gpus`: the accelerator presets, one line each.

use serde::Serialize;

use crate::catalog::Origin;
use crate::domain::hardware::{Gpu, Precision, PriceKind};
use crate::domain::kernels::Generation;
use crate::domain::units::unit::{byte, byte_per_second, dollar_per_hour, flop_per_second, watt};

/// One accelerator in the list, numbers in base units.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GpuEntry {
    pub id: String,
    pub name: String,
    pub vendor: String,
    pub aliases: Vec<String>,
    /// Dense peaks in FLOP/s, by precision.
    pub peak_flops_per_second: Vec<(Precision, f64)>,
    /// Sparse headline peaks in FLOP/s, by precision (never used in calculations).
    pub sparse_peak_flops_per_second: Vec<(Precision, f64)>,
    pub memory_bytes: f64,
    pub memory_marketed: Option<String>,
    pub memory_bandwidth_bytes_per_second: f64,
    pub interconnect: Option<String>,
    /// Per GPU, both directions.
    pub interconnect_bytes_per_second: Option<f64>,
    pub gpus_per_node: Option<u64>,
    /// Scale-out network per GPU, one direction: the preset's, else the 400 Gb/s default.
    pub scale_out_bytes_per_second: f64,
    /// The generation whose attention kernels the step-time model assumes.
    pub generation: Generation,
    pub power_watts: Option<f64>,
    pub price_usd_per_gpu_hour: Option<f64>,
    pub price_source: Option<String>,
    pub price_date: Option<String>,
    /// The first price's kind.
    pub price_kind: Option<PriceKind>,
    /// Every price the preset lists, the one used by default first.
    pub prices: Vec<PriceEntry>,
    /// Fields whose values are uncertain.
    pub uncertain: Vec<String>,
    pub source: String,
    /// Built in, or the user's (possibly replacing a built-in of the same name).
    pub origin: Origin,
}

/// One of a GPU preset's prices.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PriceEntry {
    pub usd_per_gpu_hour: f64,
    /// None where the preset states no kind.
    pub kind: Option<PriceKind>,
    pub source: String,
    pub date: String,
    pub uncertain: bool,
}

impl GpuEntry {
    /// Summarises one GPU.
    pub fn new(g: &Gpu) -> Self {
        let rates = |list: &[(Precision, crate::domain::units::ComputeRate)]| {
            list.iter()
                .map(|(p, r)| (*p, r.get::<flop_per_second>()))
                .collect()
        };
        GpuEntry {
            id: g.id.clone(),
            name: g.name.clone(),
            vendor: g.vendor.clone(),
            aliases: g.aliases.clone(),
            peak_flops_per_second: rates(&g.peaks),
            sparse_peak_flops_per_second: rates(&g.sparse_peaks),
            memory_bytes: g.memory.get::<byte>(),
            memory_marketed: g.memory_marketed.clone(),
            memory_bandwidth_bytes_per_second: g.memory_bandwidth.get::<byte_per_second>(),
            interconnect: g.interconnect.as_ref().map(|i| i.name.clone()),
            interconnect_bytes_per_second: g
                .interconnect
                .as_ref()
                .and_then(|i| i.bandwidth)
                .map(|b| b.get::<byte_per_second>()),
            gpus_per_node: g.interconnect.as_ref().map(|i| i.gpus_per_node),
            scale_out_bytes_per_second: g.scale_out_bandwidth().get::<byte_per_second>(),
            generation: g.generation,
            power_watts: g.power.map(|p| p.get::<watt>()),
            price_usd_per_gpu_hour: g.price().map(|p| p.per_gpu_hour.get::<dollar_per_hour>()),
            price_source: g.price().map(|p| p.source.clone()),
            price_date: g.price().map(|p| p.date.clone()),
            price_kind: g.price().and_then(|p| p.kind),
            prices: g
                .prices
                .iter()
                .map(|p| PriceEntry {
                    usd_per_gpu_hour: p.per_gpu_hour.get::<dollar_per_hour>(),
                    kind: p.kind,
                    source: p.source.clone(),
                    date: p.date.clone(),
                    uncertain: p.uncertain,
                })
                .collect(),
            uncertain: g.uncertain.clone(),
            source: g.source.clone(),
            origin: Origin::BuiltIn,
        }
    }

    pub fn peak(&self, precision: Precision) -> Option<f64> {
        self.peak_flops_per_second
            .iter()
            .find_map(|&(p, v)| (p == precision).then_some(v))
    }
}

/// The result of `llmcalc gpus`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GpuList {
    pub gpus: Vec<GpuEntry>,
}

/// The list of the GPU presets given (every one, built-in and the user's, sorted by name, as
/// [`crate::catalog::Catalog::gpus`] loads them), with where each comes from.
pub fn gpus(presets: &[(Gpu, Origin)]) -> GpuList {
    let gpus = presets
        .iter()
        .map(|(gpu, origin)| GpuEntry {
            origin: *origin,
            ..GpuEntry::new(gpu)
        })
        .collect();
    GpuList { gpus }
}
