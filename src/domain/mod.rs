//! The arithmetic itself: pure functions of typed values, no files, no environment, no flags.

pub mod claims;
pub mod collectives;
pub mod hardware;
pub mod kernels;
pub mod memory;
pub mod model;
pub mod parallel;
pub mod scaling;
pub mod serving;
pub mod step;
pub mod training;
pub mod units;
