//! How `audit` shows its result: tables and headline figures for people, from which every format is derived.

use crate::domain::units::unit::{dollar, flop};
use crate::domain::units::{Bounds, Compute, Money, format};
use crate::render::{Cell, Column, Report, Section, Table};

use crate::app::audit::*;

/// A claim's value as a cell in its unit; raw in base units (count, FLOP, days, fraction, USD).
fn cell(unit: Unit, v: f64) -> Cell {
    match unit {
        Unit::Count => Cell::Count(v),
        Unit::Flop => Cell::Flop(Compute::new::<flop>(v)),
        Unit::Days => Cell::Number(v, " days"),
        Unit::Fraction => Cell::Percent(v),
        Unit::Usd => Cell::Money(Money::new::<dollar>(v)),
    }
}

fn bounds(unit: Unit, b: Bounds<f64>) -> Cell {
    Cell::range(b, |v| cell(unit, v))
}

fn verdict(v: Verdict) -> String {
    match v {
        Verdict::Consistent => "consistent".to_string(),
        Verdict::Inconsistent => "INCONSISTENT".to_string(),
        Verdict::UnitSlip { power } => format!("off by 1000^{power}: unit slip?"),
        Verdict::Unchecked => "unchecked".to_string(),
    }
}

/// Each claim against its computed value: the breakdown, with the ends of ranges in their own CSV
/// columns.
fn claims(rows: &[AuditRow]) -> Table {
    let mut table = Table::with_columns(vec![
        Column::new("claim", "claim"),
        Column::split("published", "published_low", "published_high"),
        Column::split("computed", "computed_low", "computed_high"),
        Column::new("ratio", "ratio"),
        Column::new("verdict", "verdict"),
        Column::new("computed as", "basis"),
    ]);
    for r in rows {
        table.push(vec![
            r.claim.into(),
            bounds(r.unit, r.published),
            r.computed.map_or(Cell::Empty, |c| bounds(r.unit, c)),
            r.ratio.map_or(Cell::Empty, Cell::Ratio),
            Cell::Text(verdict(r.verdict)),
            Cell::Text(r.basis.clone()),
        ]);
    }
    table
}

/// The source of the formula a claim is computed with (as in the README's "Where the formulas come
/// from").
fn claim_source(claim: &str) -> &'static str {
    match claim {
        "total_params"
        | "active_params"
        | "non_embedding_params"
        | "expert_params"
        | "attention_params" => {
            "Vaswani et al. 2017; Shazeer 2020; Fedus et al. 2021; Jiang et al. 2024; non-embedding: Kaplan et al. 2020, §2.1"
        }
        "forward_flops_per_token" | "dense_forward_flops_per_token" => {
            "2 FLOPs per weight per token: Kaplan et al. 2020, Table 1"
        }
        "training_flops" | "training_tokens" => "C = 6ND: Kaplan et al. 2020, §2.1",
        "days" | "mfu" | "gpus" | "gpu_hours" => "MFU as defined by Chowdhery et al. 2022, App. B",
        _ => "cost = GPU-hours × price",
    }
}

impl AuditResult {
    /// Each claim computed from the others, with its numbers and source, and how the verdict is read.
    pub fn explain(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .rows
            .iter()
            .filter_map(|r| {
                let (computed, ratio) = (r.computed?, r.ratio?);
                Some(format!(
                    "{} = {} = {}; published {}; computed / published = {}  [{}]",
                    r.claim,
                    r.basis,
                    bounds(r.unit, computed).human(),
                    bounds(r.unit, r.published).human(),
                    Cell::Ratio(ratio).human(),
                    claim_source(r.claim)
                ))
            })
            .collect();
        lines.push(format!(
            "verdict: consistent when the computed value is within {} of a single published value, or within 2% \
             of a published range (ratios of ranges compare their middles); off by 1000^k when it is consistent \
             after scaling by 1000^k",
            format::percent(self.tolerance)
        ));
        lines
    }

    /// The report for people and CSV; the claims are the CSV (only its header when there are none).
    pub fn report(&self, explain: bool) -> Report {
        let mut sections = vec![Section::Line(format!(
            "Audit of {}'s published figures{}\nconsistent: within {} for a single value, inside the range (±2%) for a range; \
             a ratio near a power of 1000 is a likely unit slip",
            self.model,
            self.source
                .as_ref()
                .map_or(String::new(), |s| format!(" ({s})")),
            format::percent(self.tolerance)
        ))];
        let table = claims(&self.rows);
        if self.rows.is_empty() {
            sections.push(Section::Line(
                "the preset records no claims to audit".into(),
            ));
            return Report::with_csv(sections, table);
        }
        sections.push(Section::Table {
            title: "Claims".into(),
            table,
        });
        sections.push(Section::Line(if self.consistent {
            "every checked claim is consistent".into()
        } else {
            "some claims disagree with the rest of the preset".into()
        }));
        if explain {
            sections.push(Section::formulas(&self.explain()));
        }
        Report::new(sections)
    }
}
