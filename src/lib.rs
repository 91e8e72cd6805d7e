//! hbsim: a deterministic discrete-event simulator of RocketMQ broker heartbeat contention.
//!
//! Reading order: `engine` (virtual time, event queue, RNG streams, run loop) → `scenario`
//! (files → validated `Scenario`) → `model` (broker and clients) → `metrics` (aggregation and
//! output files, charts) → `run` (one scenario × policy) → `compare` (several policies side by
//! side) → `report` (report.html) → `cli` (commands).
#![warn(missing_docs)]

#[allow(missing_docs)]
pub mod assess;
pub mod basis;
pub mod calibrate;
#[allow(missing_docs)]
pub mod check;
pub mod compare;
pub mod engine;
#[allow(missing_docs)]
pub mod error;
pub mod interrupt;
#[allow(missing_docs)]
pub mod metrics;
#[allow(missing_docs)]
pub mod model;
pub mod progress;
pub mod report;
#[allow(missing_docs)]
pub mod run;
#[allow(missing_docs)]
pub mod scenario;
#[allow(missing_docs)]
pub mod suggest;
#[allow(missing_docs)]
pub mod sweep;
pub mod table;

pub use error::Error;
