//! How `audit` shows its result: tables and headline figures for people, from which every format is derived.

use crate::domain::units::unit::{dollar, flop};
use crate::domain::units::{Bounds, Compute, Money, format};
use crate::render::{Cell, Report, Section, Table};

use crate::app::audit::*;

fn show(unit: Unit, v: f64) -> String {
    match unit {
        Unit::Count => format::count(v),
        Unit::Flop => format::compute(Compute::new::<flop>(v)),
        Unit::Days => format!("{} days", format::sig3(v)),
        Unit::Fraction => format::percent(v),
        Unit::Usd => format::money(Money::new::<dollar>(v)),
    }
}

fn show_bounds(unit: Unit, b: Bounds<f64>) -> String {
    if b.is_exact() {
        show(unit, b.low)
    } else {
        format!("{} .. {}", show(unit, b.low), show(unit, b.high))
    }
}

impl AuditResult {
    /// The report for people and CSV.
    pub fn report(&self) -> Report {
        let mut text = Table::new(&[
            ("claim", "claim"),
            ("published", "published"),
            ("computed", "computed"),
            ("ratio", "ratio"),
            ("verdict", "verdict"),
            ("computed as", "basis"),
        ]);
        let mut csv = Table::new(&[
            ("claim", "claim"),
            ("published low", "published_low"),
            ("published high", "published_high"),
            ("computed low", "computed_low"),
            ("computed high", "computed_high"),
            ("ratio", "ratio"),
            ("verdict", "verdict"),
            ("basis", "basis"),
        ]);
        let verdict = |v: Verdict| match v {
            Verdict::Consistent => "consistent".to_string(),
            Verdict::Inconsistent => "INCONSISTENT".to_string(),
            Verdict::UnitSlip { power } => format!("off by 1000^{power}: unit slip?"),
            Verdict::Unchecked => "unchecked".to_string(),
        };
        for r in &self.rows {
            text.push(vec![
                r.claim.into(),
                Cell::Value(show_bounds(r.unit, r.published)),
                r.computed
                    .map_or(Cell::Empty, |c| Cell::Value(show_bounds(r.unit, c))),
                r.ratio.map_or(Cell::Empty, Cell::Ratio),
                Cell::Text(verdict(r.verdict)),
                Cell::Text(r.basis.clone()),
            ]);
            let raw = |v: Option<f64>| v.map_or(Cell::Empty, |v| Cell::Text(v.to_string()));
            csv.push(vec![
                r.claim.into(),
                raw(Some(r.published.low)),
                raw(Some(r.published.high)),
                raw(r.computed.map(|c| c.low)),
                raw(r.computed.map(|c| c.high)),
                raw(r.ratio),
                Cell::Text(verdict(r.verdict)),
                Cell::Text(r.basis.clone()),
            ]);
        }
        let mut sections = vec![Section::Line(format!(
            "Audit of {}'s published figures{}\nconsistent: within {} for a single value, inside the range (±2%) for a range; \
             a ratio near a power of 1000 is a likely unit slip",
            self.model,
            self.source
                .as_ref()
                .map_or(String::new(), |s| format!(" ({s})")),
            format::percent(self.tolerance)
        ))];
        if self.rows.is_empty() {
            sections.push(Section::Line(
                "the preset records no claims to audit".into(),
            ));
        } else {
            sections.push(Section::Table {
                title: "Claims".into(),
                table: text,
            });
            sections.push(Section::Line(if self.consistent {
                "every checked claim is consistent".into()
            } else {
                "some claims disagree with the rest of the preset".into()
            }));
        }
        Report { sections, csv }
    }
}
