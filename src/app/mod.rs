//! Use cases: one module per command, each taking a typed request of resolved presets and returning
//! a typed, serialisable result.

pub mod audit;
pub mod chinchilla;
pub mod compare;
pub mod flops;
pub mod gpus;
pub mod image;
pub mod memory;
pub mod mfu;
pub mod models;
pub mod params;
pub mod plan;
pub mod predict;
pub mod price;
pub mod serve;
pub mod train;

use crate::domain::model::Model;
use crate::domain::training;
use crate::domain::units::Bounds;
use crate::error::{Error, Input, Result};

/// A value of `input` that is not allowed, and why.
pub(crate) fn invalid(input: Input, message: impl Into<String>) -> Error {
    Error::Invalid {
        input,
        message: message.into(),
    }
}

/// The training tokens: the given ones, else those `model`'s claims record.
pub(crate) fn training_tokens(given: Option<Bounds<f64>>, model: &Model) -> Result<Bounds<f64>> {
    given
        .or_else(|| training::claimed_tokens(&model.claims))
        .ok_or_else(|| {
            invalid(
                Input::Tokens,
                format!(
                    "give the training tokens: {}'s claims record none",
                    model.id
                ),
            )
        })
}
