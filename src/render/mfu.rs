//! How `mfu` shows its result: tables and headline figures for people, from which every format is derived.

use crate::domain::units::format;
use crate::render::{Cell, Report, Section, Table};

use crate::app::mfu::*;

impl MfuResult {
    /// MFU, MFU without attention and HFU with the FLOPs per token each counts: the breakdown.
    fn utilisation(&self) -> Table {
        let mut table = Table::new(&[
            ("measure", "measure"),
            ("FLOP per token", "flop_per_token"),
            ("utilisation", "utilisation"),
            ("counts", "counts"),
        ]);
        table.push(vec![
            "MFU (PaLM)".into(),
            Cell::Flop(self.model_flops_per_token),
            Cell::Percent(self.mfu),
            "weights and attention: 6N + 12·L·H·Q·T".into(),
        ]);
        table.push(vec![
            "MFU without attention".into(),
            Cell::Flop(self.weight_flops_per_token),
            Cell::Percent(self.mfu_without_attention),
            "weights only: the 6N rule".into(),
        ]);
        table.push(vec![
            "HFU".into(),
            Cell::Flop(self.hardware_flops_per_token),
            Cell::Percent(self.hfu),
            "model FLOPs plus recompute".into(),
        ]);
        table
    }

    /// The report for people and CSV; the utilisation table is the CSV.
    pub fn report(&self, explain: bool) -> Report {
        let mut sections = vec![
            self.model.heading(),
            Section::Line(format!(
                "{} × {} ({}), {} dense peak {} per GPU; sequence length {}",
                format::exact(self.gpus as u64),
                self.gpu.name,
                self.gpu.id,
                self.gpu.precision.name(),
                format::compute_rate(self.gpu.peak_flops_per_second),
                self.seq_len
            )),
            Section::Facts(vec![
                (
                    "tokens/s".into(),
                    Cell::Count(self.tokens_per_second),
                    "all GPUs".into(),
                ),
                (
                    "tokens/s per GPU".into(),
                    Cell::Count(self.tokens_per_second_per_gpu),
                    String::new(),
                ),
                (
                    "achieved per GPU".into(),
                    Cell::Rate(self.achieved_flops_per_second_per_gpu),
                    "model FLOPs".into(),
                ),
            ]),
            Section::Table {
                title: "Utilisation (observed tokens/s × FLOP per token / (GPUs × peak); Chowdhery et al. 2022, App. B)"
                    .into(),
                table: self.utilisation(),
            },
        ];
        if let Some(warning) = &self.warning {
            sections.push(Section::Line(format!("warning: {warning}")));
        }
        if explain {
            sections.push(Section::formulas(&self.explain()));
        }
        Report::new(sections)
    }

    /// Each step from the observed throughput to the utilisation, with its numbers and source.
    pub fn explain(&self) -> Vec<String> {
        let peak = self.gpu.peak_flops_per_second;
        vec![
            format!(
                "tokens/s per GPU = tokens/s / GPUs = {} / {} = {}",
                format::count(self.tokens_per_second),
                format::exact(self.gpus as u64),
                format::count(self.tokens_per_second_per_gpu)
            ),
            format!(
                "achieved per GPU = tokens/s per GPU × model FLOP per token = {} × {} = {}",
                format::count(self.tokens_per_second_per_gpu),
                format::compute(self.model_flops_per_token),
                format::compute_rate(self.achieved_flops_per_second_per_gpu)
            ),
            format!(
                "MFU = achieved per GPU / dense peak = {} / {} = {} (Chowdhery et al. 2022, App. B: model \
                 FLOPs count the weights, 6N, and attention over the context, 12·L·H·Q·T)",
                format::compute_rate(self.achieved_flops_per_second_per_gpu),
                format::compute_rate(peak),
                format::percent(self.mfu)
            ),
            format!(
                "HFU = MFU × hardware FLOP / model FLOP per token = {} × {} / {} = {} (recompute counted)",
                format::percent(self.mfu),
                format::compute(self.hardware_flops_per_token),
                format::compute(self.model_flops_per_token),
                format::percent(self.hfu)
            ),
        ]
    }
}
