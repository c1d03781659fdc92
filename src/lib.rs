//! llmcalc: the arithmetic of training and serving large language models.
//!
//! The library does all the work; the `llmcalc` binary parses arguments, calls it and prints.
//! - [`cli`]: the command line (clap): flags, value parsers, exit codes;
//! - [`domain`]: the arithmetic — units, models, hardware, training, memory, parallelism, serving,
//!   scaling laws — as pure functions of typed values;
//! - [`catalog`]: built-in presets, the user's preset folder, `--set` overrides, config import;
//! - [`app`]: one use case per command, from a typed request to a typed result;
//! - [`render`]: results as tables, Markdown, CSV, JSON and charts.
#[macro_use]
extern crate uom;

pub mod app;
pub mod catalog;
pub mod cli;
pub mod domain;
pub mod error;
pub mod render;

pub use error::{Error, Result};
