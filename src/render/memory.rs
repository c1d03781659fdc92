//! How `memory` shows its result: tables and headline figures for people, from which every format is derived.

use crate::domain::memory::Layout;
use crate::domain::model::flops::Recompute;
use crate::domain::units::Information;
use crate::domain::units::format;
use crate::domain::units::unit::byte;
use crate::render::{Cell, Column, Report, Section, Table, counted};

use crate::app::memory::*;

/// Bytes: binary prefixes for people, bytes in CSV.
pub fn bytes(b: f64) -> Cell {
    Cell::Bytes(Information::new::<byte>(b))
}

impl MemoryResult {
    /// The report for people and CSV: the layout, headline figures, memory per GPU by part (the
    /// CSV breakdown) and whether it fits.
    pub fn report(&self) -> Report {
        let first = &self.stages[0];
        let sections = vec![
            self.model.heading(),
            Section::Line(format!(
                "{} GPU{} of {} ({}); {}\n{}; {:?} optimizer",
                format::exact(self.gpus),
                if self.gpus == 1 { "" } else { "s" },
                self.gpu.name,
                self.gpu.id,
                describe(&self.layout),
                self.batch_line(),
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
                    "one micro-batch (Korthikanti et al. 2022), attention scores not stored (FlashAttention)".into(),
                ),
                (
                    "layers in flight".into(),
                    Cell::Number(first.layers_in_flight, ""),
                    "first stage, 1F1B".into(),
                ),
            ]),
            Section::Table {
                title: "Memory per GPU".into(),
                table: self.parts_table(),
            },
            Section::Line(self.verdict()),
        ];
        Report::new(sections)
    }

    /// The sequences a step runs and the micro-batches behind them; when the batch asked for is not a
    /// multiple of DP × micro-batch, what runs is said beside it.
    fn batch_line(&self) -> String {
        let w = &self.workload;
        let m = self.stages[0].micro_batches;
        let running = self.layout.dp * self.layout.micro_batch * m;
        let per_step = format!(
            "{} of {} tokens per step, {} per replica",
            counted(running, "sequence", "sequences"),
            w.seq_len,
            counted(m, "micro-batch", "micro-batches"),
        );
        if running == w.global_batch {
            per_step
        } else {
            format!(
                "{per_step} ({} asked for; a step runs a whole number of micro-batches on every replica)",
                w.global_batch
            )
        }
    }

    /// Memory of the first and last pipeline stage, part by part. People read the embedding row as
    /// `embedding / logits activations`; CSV keeps the part's own name.
    fn parts_table(&self) -> Table {
        let mut table = Table::with_columns(vec![
            Column::csv("part"),
            Column::people("part"),
            Column::new("first stage", "first_stage_bytes"),
            Column::new("last stage", "last_stage_bytes"),
        ]);
        let [first, last] = self.stages;
        for ((name, a), (_, b)) in first.parts().into_iter().zip(last.parts()) {
            let shown = if name == "embedding activations" {
                "embedding / logits activations"
            } else {
                name
            };
            table.push(vec![name.into(), shown.into(), bytes(a), bytes(b)]);
        }
        table.push(vec![
            "total".into(),
            "total".into(),
            bytes(first.total),
            bytes(last.total),
        ]);
        table
    }

    /// Whether the layout fits, with the headroom or the overflow.
    fn verdict(&self) -> String {
        match &self.overflow {
            None => format!(
                "fits: {} per GPU of {}, {} free",
                format::bytes(Information::new::<byte>(self.per_gpu_bytes)),
                format::bytes(Information::new::<byte>(self.capacity_bytes)),
                format::bytes(Information::new::<byte>(self.headroom_bytes)),
            ),
            Some(overflow) => format!("does not fit: {overflow}"),
        }
    }
}

/// One line describing a layout.
/// How the GPUs are split, in short: `TP 8 × PP 16 × DP 64`, with CP and EP where used.
pub fn split(l: &Layout) -> String {
    let mut out = format!("TP {}", l.tp);
    if l.cp > 1 {
        out += &format!(" × CP {}", l.cp);
    }
    out += &format!(" × PP {} × DP {}", l.pp, l.dp);
    if l.ep > 1 {
        out += &format!(" (EP {})", l.ep);
    }
    out
}

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
