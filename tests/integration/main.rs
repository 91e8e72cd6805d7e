//! The one integration-test binary: CLI tests run the real `hbsim` in a fresh temporary folder.

mod charts;
mod common;
mod core;
