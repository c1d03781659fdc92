//! How `train` shows its result: tables and headline figures for people, from which every format is derived.

use crate::domain::training::Term;
use crate::domain::units::MoneyRate;
use crate::domain::units::format;
use crate::domain::units::unit::{dollar_per_hour, hour};
use crate::render::{Cell, Report, Section, Table, range};

use crate::app::train::*;

impl TrainResult {
    fn remark(&self, term: Term) -> String {
        if self.solved.contains(&term) {
            "solved".into()
        } else if self.given.contains(&term) {
            "given".into()
        } else {
            String::new()
        }
    }

    /// Each relation of the run with its numbers substituted and its source, for checking by hand.
    pub fn explain(&self) -> Vec<String> {
        let mark = |term: Term| {
            if self.solved.contains(&term) {
                " (solved)"
            } else {
                ""
            }
        };
        let peak = format::compute_rate(self.gpu.peak_flops_per_second);
        let hours = range(self.gpu_hours, format::count);
        let mut lines = Vec::new();
        if let (Some(tokens), Some(per_token)) = (self.tokens, self.training_flops_per_token) {
            lines.push(format!(
                "training compute = tokens × training FLOP per token = {} × {} = {}  \
                 [backward = 2 × forward: Kaplan et al. 2020, §2.1; attention term: Chowdhery et al. 2022, App. B]",
                range(tokens, format::count),
                format::compute(per_token),
                range(self.total_flops, format::compute)
            ));
        }
        lines.push(format!(
            "compute = GPU-hours × 3600 s/h × peak × MFU: {}{} = {hours}{} GPU-h × 3600 × {peak} × {}{}  \
             [MFU as defined by Chowdhery et al. 2022, App. B]",
            range(self.total_flops, format::compute),
            mark(Term::Compute),
            mark(Term::GpuTime),
            range(self.mfu, format::percent),
            mark(Term::Mfu),
        ));
        if let (Some(gpus), Some(d)) = (self.gpus, self.wall_clock_seconds) {
            lines.push(format!(
                "GPU-hours = GPUs × wall-clock: {hours} = {}{} × {}{}",
                range(gpus, format::count),
                mark(Term::Gpus),
                range(d.map(|t| t.get::<hour>()), |h| format!(
                    "{} h",
                    format::sig3(h)
                )),
                mark(Term::Duration),
            ));
        }
        if let (Some(cost), Some(price)) = (self.cost_usd, self.price_usd_per_gpu_hour) {
            lines.push(format!(
                "cost = GPU-hours × price: {}{} = {hours} × {}",
                range(cost, format::money),
                mark(Term::Cost),
                range(price, |p| format::money_rate(MoneyRate::new::<
                    dollar_per_hour,
                >(p))),
            ));
        }
        if let Some(energy) = self.energy_joules {
            lines.push(format!(
                "energy = GPU-hours × board power × PUE: {} = {hours} × {} × {:.2}",
                range(energy, format::energy),
                self.power_watts.map_or("-".into(), format::power),
                self.pue
            ));
        }
        lines.push(
            "with ranges, each end is computed at the ends of the inputs that give it".into(),
        );
        lines
    }

    /// The report for people and CSV.
    pub fn report(&self, explain: bool) -> Report {
        let mut sections = Vec::new();
        if let Some(model) = &self.model {
            sections.push(model.heading());
        }
        sections.push(Section::Line(format!(
            "{} ({}), {} dense peak {} per GPU",
            self.gpu.name,
            self.gpu.id,
            self.gpu.precision.name(),
            format::compute_rate(self.gpu.peak_flops_per_second)
        )));
        let count = |n: f64| format::count(n);
        let mut facts: Vec<(String, Cell, String)> = Vec::new();
        let mut fact = |label: &str, value: String, remark: String| {
            facts.push((label.to_string(), Cell::Text(value), remark));
        };
        if let Some(tokens) = self.tokens {
            fact(
                "tokens",
                range(tokens, count),
                claim_remark(&self.from_claims, "training_tokens"),
            );
        }
        if let Some(per_token) = self.training_flops_per_token {
            fact(
                "training FLOP per token",
                format::compute(per_token),
                "model FLOPs".into(),
            );
        }
        let compute_remark = if self.training_flops_per_token.is_some() {
            "tokens × training FLOP per token".to_string()
        } else {
            self.remark(Term::Compute)
        };
        fact(
            "training compute",
            range(self.total_flops, format::compute),
            compute_remark,
        );
        if let Some(hw) = self.hardware_flops {
            fact(
                "hardware FLOPs",
                range(hw, format::compute),
                "with recompute".into(),
            );
        }
        let solved_value = |term: Term, text: String| {
            if self.impossible_terms.contains(&term) {
                "impossible".to_string()
            } else {
                text
            }
        };
        if let Some(gpus) = self.gpus {
            let text = range(gpus, |n| {
                if n.fract() == 0.0 {
                    format::exact(n as u64)
                } else {
                    format!("{} ({:.1})", format::exact(n.ceil() as u64), n)
                }
            });
            fact(
                "GPUs",
                solved_value(Term::Gpus, text),
                self.term_remark(Term::Gpus, "gpus"),
            );
        }
        fact(
            "MFU",
            solved_value(Term::Mfu, range(self.mfu, format::percent)),
            self.term_remark(Term::Mfu, "mfu"),
        );
        if let Some(mfu) = self.mfu_without_attention {
            fact(
                "MFU without attention",
                range(mfu, format::percent),
                "6N-style: weights only".into(),
            );
        }
        if let Some(hfu) = self.hfu {
            fact(
                "HFU",
                range(hfu, format::percent),
                "MFU × hardware / model FLOPs".into(),
            );
        }
        if let Some(d) = self.wall_clock_seconds {
            fact(
                "wall-clock",
                range(d, format::time),
                self.term_remark(Term::Duration, "days"),
            );
        }
        fact(
            "GPU-hours",
            range(self.gpu_hours, format::count),
            self.term_remark(Term::GpuTime, "gpu_hours"),
        );
        fact(
            "GPU-days",
            range(self.gpu_hours, |h| format::count(h / 24.0)),
            String::new(),
        );
        if let (Some(cost), Some(price)) = (self.cost_usd, self.price_usd_per_gpu_hour) {
            let price_text = range(price, |p| {
                format::money_rate(MoneyRate::new::<dollar_per_hour>(p))
            });
            let source = self.price_source.clone().unwrap_or_default();
            fact(
                "cost",
                range(cost, format::money),
                format!("at {price_text}, from {source}"),
            );
        } else {
            fact("cost", "-".into(), "no price: give --price".into());
        }
        match self.energy_joules {
            Some(e) => fact(
                "energy",
                range(e, format::energy),
                format!("GPU board power × GPU-hours × PUE {:.2}", self.pue),
            ),
            None => fact("energy", "-".into(), "the GPU preset gives no power".into()),
        }
        if let Some(t) = self.tokens_per_second {
            fact("tokens/s", range(t, count), "overall".into());
        }
        if let Some(t) = self.tokens_per_second_per_gpu {
            fact("tokens/s per GPU", range(t, count), String::new());
        }
        fact(
            "achieved per GPU",
            range(self.achieved_flops_per_second_per_gpu, format::compute_rate),
            "peak × MFU".into(),
        );
        sections.push(Section::Facts(facts));
        for reason in &self.impossible {
            sections.push(Section::Line(format!("impossible: {}", reason.message)));
        }
        if !self.differs_from_claims.is_empty() {
            sections.push(Section::Line(format!(
                "against the preset's claims:\n{}",
                self.differs_from_claims
                    .iter()
                    .map(|note| note.message.as_str())
                    .collect::<Vec<_>>()
                    .join("\n")
            )));
        }
        let mut table = Table::new(&[
            ("part", "part"),
            ("FLOP", "flop_low"),
            ("up to", "flop_high"),
        ]);
        for part in &self.compute_parts {
            table.push(vec![
                part.part.into(),
                Cell::Flop(part.flops.low),
                if part.flops.is_exact() {
                    Cell::Empty
                } else {
                    Cell::Flop(part.flops.high)
                },
            ]);
        }
        sections.push(Section::Table {
            title: "Training compute by part".into(),
            table: table.clone(),
        });
        if explain {
            sections.push(Section::Line(format!(
                "Formulas\n{}",
                self.explain().join("\n")
            )));
        }
        Report {
            sections,
            csv: table,
        }
    }

    fn term_remark(&self, term: Term, claim: &str) -> String {
        if self.from_claims.contains(&claim) {
            "from the preset's claims".into()
        } else {
            self.remark(term)
        }
    }
}

fn claim_remark(from: &[&str], claim: &str) -> String {
    if from.contains(&claim) {
        "from the preset's claims".into()
    } else {
        "given".into()
    }
}
