//! How `flops` shows its result: tables and headline figures for people, from which every format is derived.

use crate::domain::model::flops::{Masking, Per, Recompute};
use crate::domain::units::{Compute, unit::flop};
use crate::render::{Cell, Report, Section, Table};

use crate::app::flops::*;

fn per_name(per: Per) -> &'static str {
    match per {
        Per::Token => "token",
        Per::Input => "input token",
        Per::Target => "target token",
    }
}

impl FlopsResult {
    /// The report for people and CSV.
    pub fn report(&self) -> Report {
        let f = &self.flops;
        let flop_cell = |c: Compute| Cell::Flop(c);
        let mut table = Table::new(&[
            ("part", "part"),
            ("stack", "stack"),
            ("per", "per"),
            ("per layer", "per_layer_flop"),
            ("layers", "layers"),
            ("forward", "forward_flop"),
            ("training (3×)", "training_flop"),
        ]);
        for part in &f.parts {
            table.push(vec![
                part.part.into(),
                part.stack.map_or(Cell::Empty, Cell::from),
                per_name(part.per).into(),
                flop_cell(part.per_layer),
                Cell::Exact(part.layers),
                flop_cell(part.forward),
                flop_cell(part.forward * 3.0),
            ]);
        }
        let masking = match f.masking {
            Masking::Full => "attention counted over the full sequence (PaLM, App. B)",
            Masking::Causal => {
                "attention counted with a causal mask: half the keys (Kaplan et al. 2020)"
            }
        };
        let length = match f.target_len {
            Some(target) => format!(
                "{} input and {target} target tokens per sequence",
                f.seq_len
            ),
            None => format!("sequence length {}", f.seq_len),
        };
        let recompute = match f.recompute {
            Recompute::None => "no recompute",
            Recompute::Selective => "selective recompute: attention scores and context again",
            Recompute::Full => "full recompute: one more forward pass",
        };
        let forward = f.forward_flops_per_token.get::<flop>();
        let share = if forward > 0.0 {
            f.attention_flops_per_token.get::<flop>() / forward
        } else {
            0.0
        };
        let mut facts = vec![
            (
                "forward".into(),
                flop_cell(f.forward_flops_per_token),
                "per token".into(),
            ),
            (
                "backward".into(),
                flop_cell(f.backward_flops_per_token),
                "2 × forward".into(),
            ),
            (
                "training (model FLOPs)".into(),
                flop_cell(f.training_flops_per_token),
                "forward + backward".into(),
            ),
            (
                "hardware FLOPs".into(),
                flop_cell(f.hardware_flops_per_token),
                recompute.into(),
            ),
            (
                "attention over the context".into(),
                Cell::Percent(share),
                "of forward".into(),
            ),
        ];
        if let Some(six_n) = f.six_n_flops_per_token {
            facts.push((
                "6N rule (no attention)".into(),
                flop_cell(six_n),
                "N = active non-embedding params (Kaplan et al. 2020)".into(),
            ));
        }
        let mut sections = vec![
            self.model.heading(),
            Section::Line(format!("{length}; {masking}.")),
            Section::Facts(facts),
            Section::Table {
                title: "Forward FLOPs per token by part".into(),
                table: table.clone(),
            },
        ];
        if !self.claims.is_empty() {
            sections.push(Section::Table {
                title: "Published figures".into(),
                table: crate::render::params::claims_table(&self.claims, |x| {
                    Cell::Flop(Compute::new::<flop>(x))
                }),
            });
        }
        Report {
            sections,
            csv: table,
        }
    }
}
