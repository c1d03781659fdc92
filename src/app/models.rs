//! `llmcalc models`: the model presets, one line each.

use serde::Serialize;

use crate::catalog::Origin;
use crate::domain::model::Model;
use crate::domain::model::params;
use crate::error::Result;

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
    pub origin: Origin,
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
        origin: Origin::BuiltIn,
    })
}

/// The result of `llmcalc models`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModelList {
    pub models: Vec<ModelEntry>,
}

/// The list of the model presets given (every one, built-in and the user's, sorted by name, as
/// [`crate::catalog::Catalog::models`] loads them), with where each comes from.
pub fn models(presets: &[(Model, Origin)]) -> Result<ModelList> {
    let models = presets
        .iter()
        .map(|(model, origin)| {
            Ok(ModelEntry {
                origin: *origin,
                ..entry(model)?
            })
        })
        .collect::<Result<_>>()?;
    Ok(ModelList { models })
}
