//! How `params` shows its result: tables and headline figures for people, from which every format is derived.

use crate::domain::claims::ClaimCheck;
use crate::domain::model::params::ParamBreakdown;
use crate::domain::units::format;
use crate::render::{Cell, Report, Section, Table};

use crate::app::params::*;

/// Parameters by part: the breakdown.
fn parts_table(p: &ParamBreakdown) -> Table {
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
            part.stack.map_or(Cell::Empty, |s| Cell::from(s.name())),
            Cell::Exact(part.each),
            Cell::Exact(part.count),
            part.per.into(),
            Cell::Exact(part.total),
            Cell::Exact(part.active),
        ]);
    }
    table
}

/// The headline counts, each also in full.
fn facts(p: &ParamBreakdown) -> Vec<(String, Cell, String)> {
    let fact = |label: &str, n: u64| {
        (
            label.to_string(),
            Cell::Count(n as f64),
            format!("({})", format::exact(n)),
        )
    };
    let mut facts = vec![
        fact("total params", p.total_params),
        fact("active params", p.active_params),
        fact("non-embedding params", p.non_embedding_params),
        fact("attention params", p.attention_params),
    ];
    if let Some(expert) = p.expert_params {
        facts.push(fact("one routed expert, all layers", expert));
    }
    if let Some(mtp) = p.mtp_params {
        facts.push(fact("MTP modules (not in total)", mtp));
        facts.push(fact("total with MTP modules", p.total_params + mtp));
    }
    facts
}

impl ParamsResult {
    /// The report for people and CSV; the parameters by part are the CSV.
    pub fn report(&self) -> Report {
        let mut sections = vec![
            self.model.heading(),
            Section::Facts(facts(&self.params)),
            Section::Table {
                title: "Parameters by part (each × count = total; active: per token)".into(),
                table: parts_table(&self.params),
            },
        ];
        if !self.claims.is_empty() {
            sections.push(Section::Table {
                title: "Published figures".into(),
                table: claims_table(&self.claims, Cell::Count),
            });
        }
        Report::new(sections)
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

impl ModelInfo {
    /// The heading of a report: name, architecture, source.
    pub fn heading(&self) -> Section {
        Section::Line(format!(
            "{} ({})\n{}\nsource: {}",
            self.name, self.id, self.architecture, self.source
        ))
    }
}
