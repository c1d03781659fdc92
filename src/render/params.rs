//! How `params` shows its result: tables and headline figures for people, from which every format is derived.

use crate::domain::claims::ClaimCheck;
use crate::render::{Cell, Report, Section, Table};

use crate::app::params::*;

impl ParamsResult {
    /// The report for people and CSV.
    pub fn report(&self) -> Report {
        let p = &self.params;
        let mut table = Table::new(&[
            ("part", "part"),
            ("stack", "stack"),
            ("each", "each"),
            ("×", "count"),
            ("per", "per"),
            ("total", "total"),
            ("active", "active"),
        ]);
        for part in &p.parts {
            table.push(vec![
                part.part.into(),
                part.stack.map_or(Cell::Empty, Cell::from),
                Cell::Exact(part.each),
                Cell::Exact(part.count),
                part.per.into(),
                Cell::Exact(part.total),
                Cell::Exact(part.active),
            ]);
        }
        let exact = |n: u64| format!("({})", crate::domain::units::format::exact(n));
        let mut facts = vec![
            (
                "total params".to_string(),
                Cell::Count(p.total_params as f64),
                exact(p.total_params),
            ),
            (
                "active params".to_string(),
                Cell::Count(p.active_params as f64),
                exact(p.active_params),
            ),
            (
                "non-embedding params".to_string(),
                Cell::Count(p.non_embedding_params as f64),
                exact(p.non_embedding_params),
            ),
            (
                "attention params".to_string(),
                Cell::Count(p.attention_params as f64),
                exact(p.attention_params),
            ),
        ];
        if let Some(expert) = p.expert_params {
            facts.push((
                "one routed expert, all layers".to_string(),
                Cell::Count(expert as f64),
                exact(expert),
            ));
        }
        let mut sections = vec![
            self.model.heading(),
            Section::Facts(facts),
            Section::Table {
                title: "Parameters by part (each × count = total; active: per token)".into(),
                table: table.clone(),
            },
        ];
        if !self.claims.is_empty() {
            sections.push(Section::Table {
                title: "Published figures".into(),
                table: claims_table(&self.claims, Cell::Count),
            });
        }
        Report {
            sections,
            csv: table,
        }
    }
}

/// The claims table: published, computed, and their ratio.
pub fn claims_table(checks: &[ClaimCheck], cell: impl Fn(f64) -> Cell) -> Table {
    let mut table = Table::new(&[
        ("claim", "claim"),
        ("published", "published"),
        ("computed", "computed"),
        ("computed / published", "ratio"),
    ]);
    for check in checks {
        let published = if check.published_low == check.published_high {
            cell(check.published_low)
        } else {
            Cell::Text(format!(
                "{}..{}",
                cell(check.published_low).human(),
                cell(check.published_high).human()
            ))
        };
        table.push(vec![
            check.claim.into(),
            published,
            cell(check.computed),
            Cell::Ratio(check.ratio),
        ]);
    }
    table
}
