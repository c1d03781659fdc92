//! `llmcalc models`: the model presets, one line each.

use serde::Serialize;

use crate::catalog::presets;
use crate::domain::model::Model;
use crate::domain::model::params;
use crate::domain::units::format;
use crate::error::Result;
use crate::render::{Cell, Report, Section, Table};

/// One preset in the list.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModelEntry {
    pub id: String,
    pub name: String,
    /// `decoder-only`, `encoder-only`, `encoder-decoder`, or `claims-only` for a partial preset.
    pub kind: &'static str,
    /// Computed from the architecture, or the published figure for a claims-only preset.
    pub total_params: Option<f64>,
    pub active_params: Option<f64>,
    /// Whether the counts are published claims rather than computed.
    pub claimed: bool,
    pub source: String,
    /// Built in, or the user's (possibly replacing a built-in of the same name).
    pub origin: presets::Origin,
}

/// Summarises one model.
pub fn entry(model: &Model) -> Result<ModelEntry> {
    let (kind, total, active, claimed) = match model.try_architecture() {
        Some(arch) => {
            let p = params::count(&model.id, arch)?;
            (
                arch.kind().name(),
                Some(p.total_params as f64),
                Some(p.active_params as f64),
                false,
            )
        }
        None => (
            "claims-only",
            model.claims.total_params.map(|f| f.mid()),
            model.claims.active_params.map(|f| f.mid()),
            true,
        ),
    };
    Ok(ModelEntry {
        id: model.id.clone(),
        name: model.name.clone(),
        kind,
        total_params: total,
        active_params: active,
        claimed,
        source: model.source.clone(),
        origin: presets::Origin::BuiltIn,
    })
}

/// The result of `llmcalc models`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModelList {
    pub models: Vec<ModelEntry>,
}

/// Every model preset, built-in and the user's, sorted by name.
pub fn models() -> Result<ModelList> {
    let models = presets::catalog::<Model>()
        .into_iter()
        .map(|(name, origin)| {
            let mut e = entry(&presets::load_model(&name, &[])?)?;
            e.origin = origin;
            Ok(e)
        })
        .collect::<Result<_>>()?;
    Ok(ModelList { models })
}

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
