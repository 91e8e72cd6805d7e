//! Scenario files: reading (`file.rs`, serde), units (`units.rs`) and validation (`validate.rs`)
//! into a typed [`Scenario`] whose invariants hold. This is the only module that reads files.

pub mod expect;
pub mod file;
pub mod units;
pub mod validate;

pub use units::{format_duration, parse_duration, Dist, Dur};
pub use validate::*;

use crate::error::Error;
use std::path::Path;

/// Reads and validates a scenario file.
pub fn load(path: &Path) -> Result<Scenario, Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &bytes)
}

/// Parses and validates scenario text; `path` is used in messages only.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Scenario, Error> {
    let scenario_error = |problems: Vec<String>| Error::Scenario {
        path: path.to_path_buf(),
        problems,
    };
    let text = std::str::from_utf8(bytes).map_err(|e| scenario_error(vec![format!("the file is not UTF-8 text ({e})")]))?;
    let mut raw: file::ScenarioFile = toml::from_str(text).map_err(|e| scenario_error(vec![toml_message(&e, text)]))?;
    // `[[broker_overrides]]` are merged over the `[broker]` table as written.
    if !raw.broker_overrides.is_empty() {
        let table: toml::Table = toml::from_str(text).map_err(|e| scenario_error(vec![toml_message(&e, text)]))?;
        if let Some(toml::Value::Table(broker)) = table.get("broker") {
            raw.broker_raw = broker.clone();
        }
    }
    validate::validate(raw, fnv1a(bytes)).map_err(scenario_error)
}

/// A one-line message for a TOML or serde error, with its line and column.
fn toml_message(error: &toml::de::Error, text: &str) -> String {
    let message = error.message().trim().trim_end_matches('.').to_string();
    match error.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            let key = key_at(text, span.start);
            match key {
                Some(key) => format!("line {line}, column {column}: `{key}`: {message}"),
                None => format!("line {line}, column {column}: {message}"),
            }
        }
        None => message,
    }
}

/// The `key = …` on the line of `offset`, if the line has one (to name the field in messages).
fn key_at(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[start..].split('\n').next()?;
    let (key, _) = line.split_once('=')?;
    let key = key.trim();
    let valid = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '"' || c == '-');
    valid.then(|| key.to_string())
}

/// FNV-1a 64 over the file bytes: the scenario hash written into every summary.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}
