//! The arithmetic itself: pure functions of typed values, no files, no environment, no flags.

pub mod claims;
pub mod hardware;
pub mod memory;
pub mod model;
pub mod parallel;
pub mod scaling;
pub mod serving;
pub mod training;
pub mod units;
