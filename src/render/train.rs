//! How `train` shows its result: tables and headline figures for people, from which every format is derived.

use crate::domain::training::Term;
use crate::domain::units::Bounds;
use crate::domain::units::format;
use crate::domain::units::unit::hour;
use crate::render::{Cell, Report, Section, Table, range};

use crate::app::predict::MfuSource;
use crate::app::train::*;
use crate::render::memory::describe;

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
        let mark = |term: Term| self.solved_mark(term);
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
        lines.extend(self.cost_relations(&hours));
        lines.push(
            "with ranges, each end is computed at the ends of the inputs that give it".into(),
        );
        lines
    }

    /// ` (solved)` after a solved term's value in the formulas.
    fn solved_mark(&self, term: Term) -> &'static str {
        if self.solved.contains(&term) {
            " (solved)"
        } else {
            ""
        }
    }

    /// Cost and energy from the GPU-hours (`hours`, as printed), with their numbers substituted.
    fn cost_relations(&self, hours: &str) -> Vec<String> {
        let mut lines = Vec::new();
        if let (Some(cost), Some(price)) = (self.cost_usd, self.price_usd_per_gpu_hour) {
            lines.push(format!(
                "cost = GPU-hours × price: {}{} = {hours} × {}  [price from {}]",
                range(cost, format::money),
                self.solved_mark(Term::Cost),
                price_text(price),
                self.price_source.as_deref().unwrap_or_default(),
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
        lines
    }

    /// The report for people and CSV; the CSV holds every headline figure and the compute by part.
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
        let mut facts = self.compute_facts();
        facts.extend(self.run_facts());
        facts.extend(self.cost_facts());
        let mut csv = crate::render::facts_table(&facts);
        for part in &self.compute_parts {
            let flops = Cell::range(part.flops, Cell::Flop);
            csv.push(vec![
                Cell::Text(format!("compute_part: {}", part.part)),
                flops,
            ]);
        }
        sections.push(Section::Facts(facts));
        for reason in &self.impossible {
            sections.push(Section::Line(format!("impossible: {}", reason.message)));
        }
        if let Some(agreement) = self.agreement {
            let given: Vec<&str> = self.given.iter().map(|t| t.name()).collect();
            sections.push(Section::Line(format!(
                "consistent: {} were all given, and agree within {} (tolerance {})",
                given.join(", "),
                format::percent(agreement.difference),
                format::percent(agreement.tolerance)
            )));
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
        sections.push(Section::Table {
            title: "Training compute by part".into(),
            table: self.parts_table(),
        });
        if explain {
            sections.push(Section::formulas(&self.explain()));
        }
        Report::with_csv(sections, csv)
    }

    /// Tokens and the compute they take.
    fn compute_facts(&self) -> Vec<Fact> {
        let mut facts = Vec::new();
        if let Some(tokens) = self.tokens {
            facts.push(fact(
                "tokens",
                Cell::range(tokens, Cell::Count),
                claim_remark(&self.from_claims, "training_tokens"),
            ));
        }
        if let Some(per_token) = self.training_flops_per_token {
            facts.push(fact(
                "training FLOP per token",
                Cell::Flop(per_token),
                "model FLOPs",
            ));
        }
        let compute_remark = if self.training_flops_per_token.is_some() {
            "tokens × training FLOP per token".to_string()
        } else {
            self.remark(Term::Compute)
        };
        facts.push(fact(
            "training compute",
            Cell::range(self.total_flops, Cell::Flop),
            compute_remark,
        ));
        if let Some(hw) = self.hardware_flops {
            facts.push(fact(
                "hardware FLOPs",
                Cell::range(hw, Cell::Flop),
                "with recompute",
            ));
        }
        facts
    }

    /// A solved value, or `impossible` where it cannot be.
    fn solved_value(&self, term: Term, cell: Cell) -> Cell {
        if self.impossible_terms.contains(&term) {
            Cell::from("impossible")
        } else {
            cell
        }
    }

    /// GPUs, utilisation, wall-clock and GPU time.
    fn run_facts(&self) -> Vec<Fact> {
        let mut facts: Vec<Fact> = self.gpus_fact().into_iter().collect();
        facts.extend(self.mfu_facts());
        facts.extend(self.time_facts());
        facts
    }

    /// The GPUs: a fractional solution is rounded up to whole GPUs, the fraction shown beside.
    fn gpus_fact(&self) -> Option<Fact> {
        let gpus = self.gpus?;
        let cell = Cell::range(gpus, |n| {
            if n.fract() == 0.0 {
                Cell::Exact(n as u64)
            } else {
                Cell::Exact(n.ceil() as u64).note(format!(" ({n:.1})"))
            }
        });
        Some(fact(
            "GPUs",
            self.solved_value(Term::Gpus, cell),
            self.term_remark(Term::Gpus, "gpus"),
        ))
    }

    /// The MFU and where it comes from, the prediction beside one given, and the MFU without
    /// attention and the HFU when known.
    fn mfu_facts(&self) -> Vec<Fact> {
        let percent = |b: Bounds<f64>| Cell::range(b, Cell::Percent);
        let layout = self.predicted_layout.as_ref().map_or(String::new(), |l| {
            let extrapolated = if self.calibrated_generation {
                ""
            } else {
                "; extrapolated: no measured run on this GPU's generation, Hopper's constants"
            };
            format!(" {}{extrapolated}", describe(l))
        });
        let remark = if self.mfu_source == MfuSource::Predicted {
            format!("predicted: the best layout `llmcalc plan` finds,{layout}")
        } else {
            self.term_remark(Term::Mfu, "mfu")
        };
        let mut facts = vec![fact(
            "MFU",
            self.solved_value(Term::Mfu, percent(self.mfu)),
            remark,
        )];
        if let (Some(predicted), false) =
            (self.predicted_mfu, self.mfu_source == MfuSource::Predicted)
        {
            facts.push(fact(
                "predicted MFU",
                percent(predicted),
                format!("the best layout `llmcalc plan` finds for these GPUs,{layout}"),
            ));
        }
        if let Some(mfu) = self.mfu_without_attention {
            facts.push(fact(
                "MFU without attention",
                percent(mfu),
                "6N-style: weights only",
            ));
        }
        if let Some(hfu) = self.hfu {
            facts.push(fact("HFU", percent(hfu), "MFU × hardware / model FLOPs"));
        }
        facts
    }

    /// The wall-clock, when known, and the GPU time in hours and days.
    fn time_facts(&self) -> Vec<Fact> {
        let mut facts = Vec::new();
        if let Some(d) = self.wall_clock_seconds {
            facts.push(fact(
                "wall-clock",
                Cell::range(d, Cell::Time),
                self.term_remark(Term::Duration, "days"),
            ));
        }
        facts.push(fact(
            "GPU-hours",
            Cell::range(self.gpu_hours, Cell::Count),
            self.term_remark(Term::GpuTime, "gpu_hours"),
        ));
        facts.push(fact(
            "GPU-days",
            Cell::range(self.gpu_hours, |h| Cell::Count(h / 24.0)),
            "",
        ));
        facts
    }

    /// Cost, energy and throughput.
    fn cost_facts(&self) -> Vec<Fact> {
        let mut facts = Vec::new();
        facts.push(match (self.cost_usd, self.price_usd_per_gpu_hour) {
            (Some(cost), Some(price)) => {
                let source = self.price_source.clone().unwrap_or_default();
                fact(
                    "cost",
                    Cell::range(cost, Cell::Money),
                    format!("at {}, from {source}", price_text(price)),
                )
            }
            _ => fact(
                "cost",
                Cell::Empty,
                match &self.no_price {
                    Some(why) => format!("no price: {why}; give --price"),
                    None => "no price: give --price".into(),
                },
            ),
        });
        facts.push(match self.energy_joules {
            Some(e) => fact(
                "energy",
                Cell::range(e, Cell::Energy),
                format!("GPU board power × GPU-hours × PUE {:.2}", self.pue),
            ),
            None => fact("energy", Cell::Empty, "the GPU preset gives no power"),
        });
        if let Some(t) = self.tokens_per_second {
            facts.push(fact("tokens/s", Cell::range(t, Cell::Count), "overall"));
        }
        if let Some(t) = self.tokens_per_second_per_gpu {
            facts.push(fact("tokens/s per GPU", Cell::range(t, Cell::Count), ""));
        }
        facts.push(fact(
            "achieved per GPU",
            Cell::range(self.achieved_flops_per_second_per_gpu, Cell::Rate),
            "peak × MFU",
        ));
        facts
    }

    /// Training compute by part: the breakdown, with the high end of a range in its own column.
    fn parts_table(&self) -> Table {
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
        table
    }

    fn term_remark(&self, term: Term, claim: &str) -> String {
        if self.from_claims.contains(&claim) {
            "from the preset's claims".into()
        } else {
            self.remark(term)
        }
    }
}

/// A price per GPU-hour (`$2.00/h`), or a range of them.
fn price_text(price: Bounds<f64>) -> String {
    range(price, crate::render::price_per_hour)
}

/// A headline figure: label, value and remark.
type Fact = (String, Cell, String);

fn fact(label: &str, value: Cell, remark: impl Into<String>) -> Fact {
    (label.to_string(), value, remark.into())
}

fn claim_remark(from: &[&str], claim: &str) -> String {
    if from.contains(&claim) {
        "from the preset's claims".into()
    } else {
        "given".into()
    }
}
