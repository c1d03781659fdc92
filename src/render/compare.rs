//! How `compare` shows its result: tables and headline figures for people, from which every format is derived.

use crate::domain::units::format;
use crate::domain::units::unit::{dollar, joule, second};
use crate::domain::units::{Bounds, Money};
use crate::render::{Cell, Report, Section, Table, range};

use crate::app::compare::*;

impl CompareResult {
    /// The report for people and CSV.
    pub fn report(&self) -> Report {
        let mut text = Table::new(&[
            ("GPU", "gpu"),
            ("GPUs", "gpus"),
            ("wall-clock", "wall_clock_seconds"),
            ("GPU-hours", "gpu_hours"),
            ("$/GPU-hour", "price_usd_per_gpu_hour"),
            ("cost", "cost_usd"),
            ("energy", "energy_joules"),
            ("cost per 1T tokens", "cost_per_trillion_tokens_usd"),
            ("state fits? (16 B/param)", "fits"),
        ]);
        let mut csv = text.clone();
        let low = |b: Option<Bounds<f64>>| b.map_or(Cell::Empty, |b| Cell::Text(b.low.to_string()));
        for r in &self.rows {
            let money = |b: Option<Bounds<Money>>| {
                b.map_or(Cell::Empty, |b| Cell::Value(range(b, format::money)))
            };
            text.push(vec![
                r.gpu.as_str().into(),
                Cell::Value(range(r.gpus, |n| format::exact(n as u64))),
                Cell::Value(range(r.wall_clock_seconds, format::time)),
                Cell::Value(range(r.gpu_hours, format::count)),
                r.price_usd_per_gpu_hour.map_or(Cell::Empty, |p| {
                    Cell::Value(range(p, |p| format!("${p:.2}")))
                }),
                money(r.cost_usd),
                r.energy_joules
                    .map_or(Cell::Empty, |e| Cell::Value(range(e, format::energy))),
                money(r.cost_per_trillion_tokens_usd),
                Cell::Text(if r.fits {
                    format!(
                        "yes ({} of memory)",
                        format::percent(r.state_share_of_memory)
                    )
                } else {
                    format!("no: needs {:.1}× the memory", r.state_share_of_memory)
                }),
            ]);
            csv.push(vec![
                r.gpu.as_str().into(),
                Cell::Text(r.gpus.low.to_string()),
                Cell::Text(r.wall_clock_seconds.low.get::<second>().to_string()),
                Cell::Text(r.gpu_hours.low.to_string()),
                low(r.price_usd_per_gpu_hour),
                low(r.cost_usd.map(|c| c.map(|m| m.get::<dollar>()))),
                low(r.energy_joules.map(|e| e.map(|j| j.get::<joule>()))),
                low(r
                    .cost_per_trillion_tokens_usd
                    .map(|c| c.map(|m| m.get::<dollar>()))),
                Cell::Text(r.fits.to_string()),
            ]);
        }
        let mut sections = vec![
            Section::Line(format!(
                "{}: {} tokens at MFU {}{}; training state {} ({} params × 16 bytes, mixed-precision Adam: a first check, \
                 without activations)",
                self.model,
                range(self.tokens, format::count),
                range(self.mfu, format::percent),
                self.precision
                    .map_or(String::new(), |p| format!(" of the {} peak", p.name())),
                format::bytes(self.state_bytes),
                format::count(self.total_params as f64),
            )),
            Section::Table {
                title: "Cheapest first (unpriced GPUs last; --price GPU=$/h sets a price)".into(),
                table: text,
            },
        ];
        for r in &self.rows {
            for reason in &r.impossible {
                sections.push(Section::Line(format!(
                    "{}: impossible: {}",
                    r.gpu, reason.message
                )));
            }
        }
        Report { sections, csv }
    }
}
