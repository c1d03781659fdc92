//! How `gpus` shows its result: tables and headline figures for people, from which every format is derived.

use crate::catalog::presets;
use crate::domain::hardware::Precision;
use crate::domain::units::unit::{byte, byte_per_second, flop_per_second, watt};
use crate::domain::units::{Bandwidth, ComputeRate, Information, Power};
use crate::render::{Cell, Report, Section, Table, kind_word};

use crate::app::gpus::*;

/// One GPU's row. A value its preset marks uncertain carries a `?`; a GPU without bf16 shows its fp16
/// peak in the bf16 column, marked `(fp16)`; a preset that is not built in shows its origin by its name.
fn row(g: &GpuEntry) -> Vec<Cell> {
    let mark = |cell: Cell, field: &str| {
        if g.uncertain.iter().any(|f| f == field) {
            cell.note("?")
        } else {
            cell
        }
    };
    let rate = |v: f64| Cell::Rate(ComputeRate::new::<flop_per_second>(v));
    let bandwidth = |v: f64| Cell::Bandwidth(Bandwidth::new::<byte_per_second>(v));
    let optional = |v: Option<f64>, cell: &dyn Fn(f64) -> Cell, field: &str| {
        v.map_or(Cell::Empty, |v| mark(cell(v), field))
    };
    let bf16 = match g.peak(Precision::Bf16) {
        Some(v) => mark(rate(v), "peak.bf16"),
        None => match g.peak(Precision::Fp16) {
            Some(v) => mark(rate(v), "peak.fp16").note(" (fp16)"),
            None => Cell::Empty,
        },
    };
    let name = Cell::from(g.id.as_str());
    vec![
        if g.origin == presets::Origin::BuiltIn {
            name
        } else {
            name.note(format!(" [{}]", g.origin.name()))
        },
        bf16,
        optional(g.peak(Precision::Fp8), &rate, "peak.fp8"),
        mark(
            Cell::Bytes(Information::new::<byte>(g.memory_bytes)),
            "memory.capacity",
        ),
        mark(
            bandwidth(g.memory_bandwidth_bytes_per_second),
            "memory.bandwidth",
        ),
        optional(
            g.interconnect_bytes_per_second,
            &bandwidth,
            "interconnect.bandwidth",
        ),
        optional(
            g.power_watts,
            &|w| Cell::Power(Power::new::<watt>(w)),
            "power",
        ),
        optional(
            g.price_usd_per_gpu_hour,
            &|p| Cell::Dollars(p, 2).note(format!(" {}", kind_word(g.price_kind))),
            "price.per_gpu_hour",
        ),
    ]
}

impl GpuList {
    /// The report for people and CSV: one table of every GPU preset.
    pub fn report(&self) -> Report {
        let mut table = Table::new(&[
            ("name", "id"),
            ("bf16 dense", "bf16_flops_per_second"),
            ("fp8 dense", "fp8_flops_per_second"),
            ("memory", "memory_bytes"),
            ("bandwidth", "memory_bandwidth_bytes_per_second"),
            ("scale-up (bidir.)", "interconnect_bytes_per_second"),
            ("power", "power_watts"),
            ("$/GPU-hour", "price_usd_per_gpu_hour"),
        ])
        .optional(&["power", "scale-up (bidir.)", "fp8 dense"]);
        for g in &self.gpus {
            table.push(row(g));
        }
        Report::new(vec![
            Section::Table {
                title: format!(
                    "{} GPU presets: dense peaks per GPU (llmcalc never uses the sparse headlines); ? marks an uncertain value",
                    self.gpus.len()
                ),
                table,
            },
            Section::Line(
                "Memory in binary units (GiB), bandwidth in decimal (TB/s), as vendors quote it; the price is the first \
                 a preset lists, with its kind; every price with its kind, source and date in `--format json`."
                    .into(),
            ),
        ])
    }
}
