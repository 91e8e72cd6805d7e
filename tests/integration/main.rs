//! The one integration-test binary: CLI tests run the real `hbsim` in a fresh temporary folder.

mod assess;
mod basis;
mod calibrate;
mod charts;
mod check;
mod cluster;
mod common;
mod core;
mod docs;
mod fuzzgen;
mod golden;
mod mechanisms;
mod properties;
mod robust14;
mod robustness;
mod sweep;
mod ui;
mod validation;
