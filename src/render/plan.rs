//! How `plan` shows its result: tables and headline figures for people, from which every format is derived.

use crate::domain::units::Time;
use crate::domain::units::format;
use crate::domain::units::unit::second;
use crate::render::memory::bytes;
use crate::render::memory::describe;
use crate::render::{Cell, Report, Section, Table};

use crate::app::plan::*;

fn seconds(s: f64) -> Cell {
    Cell::Value(format::time(Time::new::<second>(s)))
}

impl PlanResult {
    /// The report for people and CSV.
    pub fn report(&self) -> Report {
        let mut text = Table::new(&[
            ("#", "rank"),
            ("layout", "layout"),
            ("step", "step_seconds"),
            ("compute", "compute_seconds"),
            ("bubble", "bubble_seconds"),
            ("TP comm", "tensor_parallel_seconds"),
            ("DP comm", "data_parallel_seconds"),
            ("EP comm", "expert_parallel_seconds"),
            ("batch", "sequences_per_step"),
            ("memory/GPU", "per_gpu_bytes"),
            ("MFU", "mfu"),
            ("training", "training_seconds"),
            ("cost", "cost_usd"),
        ]);
        let mut csv = text.clone();
        for row in &self.layouts {
            let c = &row.candidate;
            let s = &c.step;
            text.push(vec![
                Cell::Exact(row.rank as u64),
                Cell::Text(describe(&c.layout)),
                seconds(s.total),
                seconds(s.compute),
                seconds(s.bubble),
                seconds(s.tensor_parallel),
                seconds(s.data_parallel),
                seconds(s.expert_parallel),
                Cell::Exact((c.tokens_per_step / self.seq_len as f64) as u64),
                bytes(c.memory.total),
                Cell::Percent(c.mfu),
                row.training_seconds.map_or(Cell::Empty, seconds),
                row.cost_usd.map_or(Cell::Empty, |c| {
                    Cell::Value(format::money(crate::domain::units::Money::new::<
                        crate::domain::units::unit::dollar,
                    >(c)))
                }),
            ]);
            let raw = |v: f64| Cell::Text(v.to_string());
            csv.push(vec![
                Cell::Exact(row.rank as u64),
                Cell::Text(describe(&c.layout)),
                raw(s.total),
                raw(s.compute),
                raw(s.bubble),
                raw(s.tensor_parallel),
                raw(s.data_parallel),
                raw(s.expert_parallel),
                raw(c.tokens_per_step / self.seq_len as f64),
                raw(c.memory.total),
                raw(c.mfu),
                row.training_seconds.map_or(Cell::Empty, raw),
                row.cost_usd.map_or(Cell::Empty, raw),
            ]);
        }
        let mut sections = vec![
            self.model.heading(),
            Section::Line(format!(
                "{} GPUs of {} ({}), {} dense peak; up to {} sequences of {} tokens per step (the batch each layout \
                 runs is the largest multiple of DP × micro-batch within it)\n\
                 step time = each layer's matrix products (large ones at {} of peak), attention and element-wise \
                 work + pipeline bubble + tensor-, context-, expert- and data-parallel communication + optimizer \
                 (network {} per GPU, {} of the data-parallel traffic overlapped); calibrated on measured runs",
                format::exact(self.gpus),
                self.gpu.name,
                self.gpu.id,
                format::compute_rate(self.gpu.peak_flops_per_second),
                self.global_batch,
                self.seq_len,
                format::percent(self.kernel_efficiency),
                format::bandwidth(crate::domain::units::Bandwidth::new::<
                    crate::domain::units::unit::byte_per_second,
                >(self.network_bytes_per_second)),
                format::percent(self.dp_overlap),
            )),
            Section::Line(format!(
                "{} layouts evaluated, {} fit",
                format::exact(self.evaluated),
                format::exact(self.fitting)
            )),
        ];
        if self.layouts.is_empty() {
            sections.push(Section::Line(
                "no layout fits: more GPUs, a larger GPU, or a smaller global batch".into(),
            ));
        } else {
            sections.push(Section::Table {
                title: format!("The {} fastest layouts that fit", self.layouts.len()),
                table: text,
            });
        }
        Report::with_csv(sections, csv)
    }
}
