//! How `models` shows its result: tables and headline figures for people, from which every format is derived.

use crate::catalog::presets;
use crate::render::{Cell, Column, Report, Section, Table};

use crate::app::models::*;

/// The source as people see it: cut to fit a line, with the origin of a preset that is not built in.
fn short_source(e: &ModelEntry) -> String {
    let source = if e.source.chars().count() > 60 {
        e.source.chars().take(59).collect::<String>() + "…"
    } else {
        e.source.clone()
    };
    if e.origin == presets::Origin::BuiltIn {
        source
    } else {
        format!("[{}] {source}", e.origin.name())
    }
}

impl ModelList {
    /// The report for people and CSV. People get the list without the display name, the claimed flag
    /// and the origin as columns, and with the source cut to fit a line; CSV gets them all in full.
    pub fn report(&self) -> Report {
        let mut table = Table::with_columns(vec![
            Column::new("name", "id"),
            Column::csv("name"),
            Column::new("kind", "kind"),
            Column::new("total params", "total_params"),
            Column::new("active params", "active_params"),
            Column::csv("claimed"),
            Column::csv("origin"),
            Column::people("source"),
            Column::csv("source"),
        ]);
        for e in &self.models {
            let params = |n: Option<f64>| match n {
                Some(n) if e.claimed => Cell::Count(n).note(" (claimed)"),
                Some(n) => Cell::Count(n),
                None => Cell::Empty,
            };
            table.push(vec![
                e.id.as_str().into(),
                e.name.as_str().into(),
                e.kind.into(),
                params(e.total_params),
                params(e.active_params),
                Cell::Text(e.claimed.to_string()),
                e.origin.name().into(),
                Cell::Text(short_source(e)),
                e.source.as_str().into(),
            ]);
        }
        Report::new(vec![Section::Table {
            title: format!(
                "{} model presets (llmcalc params NAME for the breakdown)",
                self.models.len()
            ),
            table,
        }])
    }
}
