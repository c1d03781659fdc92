//! How `chinchilla` shows its result: tables and headline figures for people, from which every format is derived.

use crate::domain::units::Compute;
use crate::domain::units::format;
use crate::domain::units::unit::flop;
use crate::render::{Cell, Report, Section, Table};

use crate::app::chinchilla::*;

impl ChinchillaResult {
    /// The report for people and CSV.
    pub fn report(&self) -> Report {
        let flops = |c: f64| Cell::Flop(Compute::new::<flop>(c));
        let loss = |l: Option<f64>| l.map_or(Cell::Empty, |l| Cell::Value(format!("{l:.3}")));
        let mut text = Table::new(&[
            ("fit", "fit"),
            ("budget", "budget_flops"),
            ("params", "optimal_params"),
            ("tokens", "optimal_tokens"),
            ("tokens/param", "tokens_per_param"),
            ("loss at optimum", "optimal_loss"),
            ("over-training", "overtraining"),
            ("model's loss", "model_loss"),
        ]);
        let mut csv = text.clone();
        for f in &self.fits {
            text.push(vec![
                f.fit.into(),
                flops(f.budget_flops),
                Cell::Count(f.optimal_params),
                Cell::Count(f.optimal_tokens),
                Cell::Value(format::sig3(f.tokens_per_param)),
                loss(f.optimal_loss),
                f.overtraining.map_or(Cell::Empty, |o| {
                    Cell::Value(format!("{}×", format::sig3(o)))
                }),
                loss(f.model_loss),
            ]);
            let raw = |v: Option<f64>| v.map_or(Cell::Empty, |v| Cell::Text(v.to_string()));
            csv.push(vec![
                f.fit.into(),
                raw(Some(f.budget_flops)),
                raw(Some(f.optimal_params)),
                raw(Some(f.optimal_tokens)),
                raw(Some(f.tokens_per_param)),
                raw(f.optimal_loss),
                raw(f.overtraining),
                raw(f.model_loss),
            ]);
        }
        let mut sections = Vec::new();
        if let Some(t) = &self.trained {
            sections.push(Section::Facts(vec![
                ("model".into(), Cell::Text(t.model.clone()), String::new()),
                ("params".into(), Cell::Count(t.params), "active".into()),
                ("tokens".into(), Cell::Count(t.tokens), String::new()),
                (
                    "tokens per param".into(),
                    Cell::Value(format::sig3(t.tokens_per_param)),
                    String::new(),
                ),
                ("compute".into(), flops(t.compute_flops), "6ND".into()),
            ]));
        }
        sections.push(Section::Line(
            "L(N, D) = E + A/N^α + B/D^β; under C = 6ND the optimum is N = G(C/6)^(β/(α+β)), D = (C/6)^(α/(α+β))/G, \
             G = (αA/(βB))^(1/(α+β)) (Hoffmann et al. 2022, eq. 2 and 4). Over-training: tokens over the optimal \
             tokens for the same budget."
                .into(),
        ));
        sections.push(Section::Table {
            title: "Compute-optimal size under each fit".into(),
            table: text,
        });
        let sources: Vec<String> = self
            .fits
            .iter()
            .map(|f| format!("{}: {}", f.fit, f.source))
            .collect();
        sections.push(Section::Line(sources.join("\n")));
        Report { sections, csv }
    }
}
