//! How `models` shows its result: tables and headline figures for people, from which every format is derived.

use crate::catalog::presets;
use crate::domain::units::format;
use crate::render::{Cell, Report, Section, Table};

use crate::app::models::*;

impl ModelList {
    /// The report for people and CSV.
    pub fn report(&self) -> Report {
        let mut csv = Table::new(&[
            ("name", "id"),
            ("model", "name"),
            ("kind", "kind"),
            ("total params", "total_params"),
            ("active params", "active_params"),
            ("claimed", "claimed"),
            ("origin", "origin"),
            ("source", "source"),
        ]);
        let mut text = Table::new(&[
            ("name", "id"),
            ("kind", "kind"),
            ("total params", "total_params"),
            ("active params", "active_params"),
            ("source", "source"),
        ]);
        let raw = |n: Option<f64>| n.map_or(Cell::Empty, Cell::Count);
        let human = |n: Option<f64>, claimed: bool| match n {
            Some(n) if claimed => Cell::Value(format!("{} (claimed)", format::count(n))),
            Some(n) => Cell::Count(n),
            None => Cell::Empty,
        };
        for e in &self.models {
            csv.push(vec![
                e.id.as_str().into(),
                e.name.as_str().into(),
                e.kind.into(),
                raw(e.total_params),
                raw(e.active_params),
                Cell::Text(e.claimed.to_string()),
                e.origin.name().into(),
                e.source.as_str().into(),
            ]);
            // People get the list without the display name and with the source cut to fit a line.
            let source = if e.source.chars().count() > 60 {
                e.source.chars().take(59).collect::<String>() + "…"
            } else {
                e.source.clone()
            };
            text.push(vec![
                e.id.as_str().into(),
                e.kind.into(),
                human(e.total_params, e.claimed),
                human(e.active_params, e.claimed),
                Cell::Text(if e.origin == presets::Origin::BuiltIn {
                    source
                } else {
                    format!("[{}] {source}", e.origin.name())
                }),
            ]);
        }
        Report {
            sections: vec![Section::Table {
                title: format!(
                    "{} model presets (llmcalc params NAME for the breakdown)",
                    self.models.len()
                ),
                table: text,
            }],
            csv,
        }
    }
}
