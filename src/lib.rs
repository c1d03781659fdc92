//! llmcalc: the arithmetic of training and serving large language models.
//!
//! The library does all the work; the `llmcalc` binary parses arguments, calls it and prints.
//! - [`units`]: quantities with units, parsed from what people type and printed with their unit;
//! - [`model`]: architectures, parameter counts and FLOPs per token;
//! - [`claims`]: published figures recorded beside a preset;
//! - [`preset`]: the built-in presets and user files, with `--set` overrides;
//! - [`report`]: breakdown tables rendered as text, JSON or CSV.
#[macro_use]
extern crate uom;

pub mod claims;
pub mod error;
pub mod hardware;
pub mod import;
pub mod inference;
pub mod memory;
pub mod model;
pub mod parallel;
pub mod preset;
pub mod report;
pub mod scaling;
pub mod training;
pub mod units;

pub use error::{Error, Result};
