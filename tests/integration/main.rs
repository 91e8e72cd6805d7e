//! The one integration-test binary: CLI tests run the real `hbsim` in a fresh temporary folder.

mod calibrate;
mod charts;
mod check;
mod common;
mod core;
mod docs;
mod fuzzgen;
mod golden;
mod properties;
mod robustness;
mod sweep;
