//! `llmcalc models` and `llmcalc gpus`: the presets, built in and the user's.

use crate::app;
use crate::catalog::Catalog;
use crate::error::Result;
use crate::render::{self, Output};

/// The model presets.
pub fn models(catalog: &Catalog, format: Output) -> Result<String> {
    let list = app::models::models(&catalog.models()?)?;
    render::render(&list, |l| l.report(), format)
}

/// The GPU presets.
pub fn gpus(catalog: &Catalog, format: Output) -> Result<String> {
    let list = app::gpus::gpus(&catalog.gpus()?);
    render::render(&list, |l| l.report(), format)
}
