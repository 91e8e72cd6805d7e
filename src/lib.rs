//! hbsim: a deterministic discrete-event simulator of RocketMQ broker heartbeat contention.
//!
//! Reading order: `engine` (virtual time, event queue, RNG streams, run loop) → `scenario`
//! (files → validated `Scenario`) → `model` (broker and clients) → `metrics` (aggregation and
//! output files) → `run` (one scenario × policy) → `cli` (commands).
#![warn(missing_docs)]

#[allow(missing_docs)]
pub mod check;
pub mod engine;
#[allow(missing_docs)]
pub mod error;
pub mod interrupt;
#[allow(missing_docs)]
pub mod metrics;
#[allow(missing_docs)]
pub mod model;
#[allow(missing_docs)]
pub mod run;
#[allow(missing_docs)]
pub mod scenario;
pub mod table;

pub use error::Error;
