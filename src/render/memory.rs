//! How `memory` shows its result: tables and headline figures for people, from which every format is derived.

use crate::domain::memory::Layout;
use crate::domain::model::flops::Recompute;
use crate::domain::units::Information;
use crate::domain::units::format;
use crate::domain::units::unit::byte;
use crate::render::{Cell, Report, Section, Table};

use crate::app::memory::*;

/// Bytes for people.
pub fn bytes(b: f64) -> Cell {
    Cell::Value(format::bytes(Information::new::<byte>(b)))
}

impl MemoryResult {
    /// The report for people and CSV.
    pub fn report(&self) -> Report {
        let mut table = Table::new(&[
            ("part", "part"),
            ("first stage", "first_stage_bytes"),
            ("last stage", "last_stage_bytes"),
        ]);
        let [first, last] = self.stages;
        for ((name, a), (_, b)) in first.parts().into_iter().zip(last.parts()) {
            let name = if name == "embedding activations" {
                "embedding / logits activations"
            } else {
                name
            };
            table.push(vec![name.into(), bytes(a), bytes(b)]);
        }
        table.push(vec!["total".into(), bytes(first.total), bytes(last.total)]);
        let mut csv = Table::new(&[
            ("part", "part"),
            ("first stage", "first_stage_bytes"),
            ("last stage", "last_stage_bytes"),
        ]);
        for ((name, a), (_, b)) in first.parts().into_iter().zip(last.parts()) {
            csv.push(vec![name.into(), Cell::Count(a), Cell::Count(b)]);
        }
        csv.push(vec![
            "total".into(),
            Cell::Count(first.total),
            Cell::Count(last.total),
        ]);
        let verdict = match &self.overflow {
            None => format!(
                "fits: {} per GPU of {}, {} free",
                format::bytes(Information::new::<byte>(self.per_gpu_bytes)),
                format::bytes(Information::new::<byte>(self.capacity_bytes)),
                format::bytes(Information::new::<byte>(self.headroom_bytes)),
            ),
            Some(overflow) => format!("does not fit: {overflow}"),
        };
        let w = &self.workload;
        let sections = vec![
            self.model.heading(),
            Section::Line(format!(
                "{} GPUs of {} ({}); {}\n{} sequences of {} tokens per step, {} micro-batches per replica; {:?} optimizer",
                format::exact(self.gpus),
                self.gpu.name,
                self.gpu.id,
                describe(&self.layout),
                w.global_batch,
                w.seq_len,
                first.micro_batches,
                self.optimizer
            )),
            Section::Facts(vec![
                (
                    "parameters per GPU".into(),
                    Cell::Count(first.params),
                    "first stage".into(),
                ),
                (
                    "activations per layer".into(),
                    bytes(first.activations_per_layer),
                    "one micro-batch (Korthikanti et al. 2022)".into(),
                ),
                (
                    "layers in flight".into(),
                    Cell::Value(format::sig3(first.layers_in_flight)),
                    "first stage, 1F1B".into(),
                ),
            ]),
            Section::Table {
                title: "Memory per GPU".into(),
                table,
            },
            Section::Line(verdict),
        ];
        Report::with_csv(sections, csv)
    }
}

/// One line describing a layout.
pub fn describe(l: &Layout) -> String {
    let recompute = match l.recompute {
        Recompute::None => "no recompute",
        Recompute::Selective => "selective recompute",
        Recompute::Full => "full recompute",
    };
    format!(
        "TP {}{} × PP {} × DP {}{}{}, ZeRO-{}, {recompute}, micro-batch {}{}",
        l.tp,
        if l.cp > 1 {
            format!(" × CP {}", l.cp)
        } else {
            String::new()
        },
        l.pp,
        l.dp,
        if l.ep > 1 {
            format!(" (EP {})", l.ep)
        } else {
            String::new()
        },
        if l.sp { " with SP" } else { "" },
        l.zero,
        l.micro_batch,
        if l.interleave > 1 {
            format!(", {} chunks per stage", l.interleave)
        } else {
            String::new()
        }
    )
}
