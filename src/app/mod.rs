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
pub mod serve;
pub mod train;
