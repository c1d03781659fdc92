//! How `chinchilla` shows its result: tables and headline figures for people, from which every format is derived.

use crate::domain::scaling::FITS;
use crate::domain::units::unit::flop;
use crate::domain::units::{Compute, format};
use crate::render::{Cell, Report, Section, Table};

use crate::app::chinchilla::*;

fn flops(c: f64) -> Cell {
    Cell::Flop(Compute::new::<flop>(c))
}

/// A predicted loss, in nats per token, with three decimals.
fn loss(l: Option<f64>) -> Cell {
    l.map_or(Cell::Empty, |l| Cell::Decimal(l, 3))
}

/// The compute-optimal size under each fit: the breakdown.
fn fits_table(fits: &[FitRow]) -> Table {
    let mut table = Table::new(&[
        ("fit", "fit"),
        ("budget", "budget_flops"),
        ("params", "optimal_params"),
        ("tokens", "optimal_tokens"),
        ("tokens/param", "tokens_per_param"),
        ("loss at optimum", "optimal_loss"),
        ("over-training", "overtraining"),
        ("model's loss", "model_loss"),
    ]);
    for f in fits {
        table.push(vec![
            f.fit.into(),
            flops(f.budget_flops),
            Cell::Count(f.optimal_params),
            Cell::Count(f.optimal_tokens),
            Cell::Number(f.tokens_per_param, ""),
            loss(f.optimal_loss),
            f.overtraining.map_or(Cell::Empty, |o| Cell::Number(o, "×")),
            loss(f.model_loss),
        ]);
    }
    table
}

/// The model's own size, data and compute.
fn trained_facts(t: &Trained) -> Section {
    Section::Facts(vec![
        ("model".into(), Cell::Text(t.model.clone()), String::new()),
        ("params".into(), Cell::Count(t.params), "active".into()),
        ("tokens".into(), Cell::Count(t.tokens), String::new()),
        (
            "tokens per param".into(),
            Cell::Number(t.tokens_per_param, ""),
            String::new(),
        ),
        ("compute".into(), flops(t.compute_flops), "6ND".into()),
    ])
}

/// One fit's optimum with its constants and numbers substituted.
fn fit_lines(row: &FitRow) -> Vec<String> {
    let c = format::compute(Compute::new::<flop>(row.budget_flops));
    let (n, d) = (
        format::count(row.optimal_params),
        format::count(row.optimal_tokens),
    );
    let Some(fit) = FITS.iter().find(|f| f.name == row.fit) else {
        return vec![format!(
            "{}: N = √(C/120), D = 20·N (C = 6ND): C = {c} gives N = {n}, D = {d}  [{}]",
            row.fit, row.source
        )];
    };
    let s = fit.alpha + fit.beta;
    let mut lines = vec![format!(
        "{}: L = {} + {}/N^{} + {}/D^{}; N = G·(C/6)^{:.4}, D = (C/6)^{:.4}/G, G = (αA/(βB))^(1/(α+β)): \
         C = {c} gives N = {n}, D = {d}  [{}, L and the optimum: Hoffmann et al. 2022, eq. 2 and 4]",
        row.fit,
        fit.e,
        fit.a,
        fit.alpha,
        fit.b,
        fit.beta,
        fit.beta / s,
        fit.alpha / s,
        fit.source
    )];
    if let (Some(optimal), Some(over)) = (row.optimal_loss, row.overtraining) {
        lines.push(format!(
            "{}: loss at the optimum {optimal:.3}; over-training = the model's tokens / D = {over:.3}×",
            row.fit
        ));
    }
    lines
}

impl ChinchillaResult {
    /// Each fit's optimum with its constants and the budget substituted, and where the budget comes
    /// from.
    pub fn explain(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if let Some(t) = &self.trained {
            lines.push(format!(
                "C = 6·N·D = 6 × {} × {} = {}  [Kaplan et al. 2020, §2.1; Hoffmann et al. 2022, §3]",
                format::count(t.params),
                format::count(t.tokens),
                format::compute(Compute::new::<flop>(t.compute_flops))
            ));
        }
        lines.extend(self.fits.iter().flat_map(fit_lines));
        lines
    }

    /// The report for people and CSV; the table of fits is the CSV.
    pub fn report(&self, explain: bool) -> Report {
        let mut sections: Vec<Section> = self.trained.iter().map(trained_facts).collect();
        if let Some(warning) = self.trained.as_ref().and_then(|t| t.warning.as_ref()) {
            sections.push(Section::Line(format!("warning: {warning}")));
        }
        sections.push(Section::Line(
            "L(N, D) = E + A/N^α + B/D^β; under C = 6ND the optimum is N = G(C/6)^(β/(α+β)), D = (C/6)^(α/(α+β))/G, \
             G = (αA/(βB))^(1/(α+β)) (Hoffmann et al. 2022, eq. 2 and 4). Over-training: tokens over the optimal \
             tokens for the same budget."
                .into(),
        ));
        sections.push(Section::Table {
            title: "Compute-optimal size under each fit".into(),
            table: fits_table(&self.fits),
        });
        let sources: Vec<String> = self
            .fits
            .iter()
            .map(|f| format!("{}: {}", f.fit, f.source))
            .collect();
        sections.push(Section::Line(sources.join("\n")));
        if explain {
            sections.push(Section::formulas(&self.explain()));
        }
        Report::new(sections)
    }
}
