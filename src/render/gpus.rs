//! How `gpus` shows its result: tables and headline figures for people, from which every format is derived.

use crate::catalog::presets;
use crate::domain::hardware::Precision;
use crate::domain::units::format;
use crate::domain::units::unit::{byte, byte_per_second, flop_per_second, watt};
use crate::render::{Cell, Report, Section, Table};

use crate::app::gpus::*;

impl GpuList {
    /// The report for people and CSV. A value marked uncertain in its preset carries a `?`.
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
        ]);
        let mut text = table.clone();
        for g in &self.gpus {
            let mark = |field: &str| {
                if g.uncertain.iter().any(|f| f == field) {
                    "?"
                } else {
                    ""
                }
            };
            let opt = |v: Option<f64>| v.map_or(Cell::Empty, |v| Cell::Text(v.to_string()));
            table.push(vec![
                g.id.as_str().into(),
                opt(g.peak(Precision::Bf16).or(g.peak(Precision::Fp16))),
                opt(g.peak(Precision::Fp8)),
                Cell::Text(g.memory_bytes.to_string()),
                Cell::Text(g.memory_bandwidth_bytes_per_second.to_string()),
                opt(g.interconnect_bytes_per_second),
                opt(g.power_watts),
                opt(g.price_usd_per_gpu_hour),
            ]);
            let rate = |v: Option<f64>, field: &str| {
                v.map_or(Cell::Empty, |v| {
                    Cell::Value(format!(
                        "{}{}",
                        format::compute_rate(crate::domain::units::ComputeRate::new::<
                            flop_per_second,
                        >(v)),
                        mark(field)
                    ))
                })
            };
            let bf16 = match g.peak(Precision::Bf16) {
                Some(v) => rate(Some(v), "peak.bf16"),
                None => {
                    rate(g.peak(Precision::Fp16), "peak.fp16").map_text(|t| format!("{t} (fp16)"))
                }
            };
            let name = if g.origin == presets::Origin::BuiltIn {
                g.id.clone()
            } else {
                format!("{} [{}]", g.id, g.origin.name())
            };
            text.push(vec![
                Cell::Text(name),
                bf16,
                rate(g.peak(Precision::Fp8), "peak.fp8"),
                Cell::Value(format!(
                    "{}{}",
                    format::bytes(crate::domain::units::Information::new::<byte>(
                        g.memory_bytes
                    )),
                    mark("memory.capacity")
                )),
                Cell::Value(format!(
                    "{}{}",
                    format::bandwidth(crate::domain::units::Bandwidth::new::<byte_per_second>(
                        g.memory_bandwidth_bytes_per_second
                    )),
                    mark("memory.bandwidth")
                )),
                g.interconnect_bytes_per_second.map_or(Cell::Empty, |v| {
                    Cell::Value(format!(
                        "{}{}",
                        format::bandwidth(crate::domain::units::Bandwidth::new::<byte_per_second>(
                            v
                        )),
                        mark("interconnect.bandwidth")
                    ))
                }),
                g.power_watts.map_or(Cell::Empty, |w| {
                    Cell::Value(format!(
                        "{}{}",
                        format::power(crate::domain::units::Power::new::<watt>(w)),
                        mark("power")
                    ))
                }),
                g.price_usd_per_gpu_hour.map_or(Cell::Empty, |p| {
                    Cell::Value(format!("${p:.2}{}", mark("price.per_gpu_hour")))
                }),
            ]);
        }
        Report {
            sections: vec![
                Section::Table {
                    title: format!(
                        "{} GPU presets: dense peaks per GPU (llmcalc never uses the sparse headlines); ? marks an uncertain value",
                        self.gpus.len()
                    ),
                    table: text,
                },
                Section::Line(
                    "Memory in binary units (GiB), bandwidth in decimal (TB/s), as vendors quote it; prices are indicative \
                     on-demand rates with their source and date in `--format json`."
                        .into(),
                ),
            ],
            csv: table,
        }
    }
}
