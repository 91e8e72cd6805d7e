//! Scenario files: reading (`file.rs`, serde), units (`units.rs`) and validation (`validate.rs`)
//! into a typed [`Scenario`] whose invariants hold. This is the only module that reads files.

pub mod calibration;
pub mod expect;
pub mod file;
pub mod units;
pub mod validate;

pub use units::{format_duration, parse_duration, Dist, Dur};
pub use validate::*;

use crate::error::Error;
use serde::Deserialize;
use std::path::Path;

/// The largest scenario file read (the shipped ones are under 10 KiB). Reading stops here, so
/// `replay /dev/zero` or a huge file cannot exhaust memory.
pub const MAX_SCENARIO_BYTES: u64 = 1 << 20;

/// Reads and validates a scenario file.
pub fn load(path: &Path) -> Result<Scenario, Error> {
    let bytes = read_bounded(path)?;
    parse(path, &bytes)
}

/// The bytes of a scenario file, at most [`MAX_SCENARIO_BYTES`] of them: a longer file (or an
/// endless one such as /dev/zero) is an error naming the file and the limit.
pub fn read_bounded(path: &Path) -> Result<Vec<u8>, Error> {
    use std::io::Read;
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    if file.metadata().map_err(io)?.is_dir() {
        return Err(io(std::io::Error::other("is a folder, not a scenario file")));
    }
    let mut bytes = Vec::new();
    file.take(MAX_SCENARIO_BYTES + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > MAX_SCENARIO_BYTES {
        return Err(Error::Scenario {
            path: path.to_path_buf(),
            problems: vec![format!(
                "the file is larger than {} bytes (1 MiB), the most a scenario file may have",
                MAX_SCENARIO_BYTES
            )],
        });
    }
    Ok(bytes)
}

/// Parses and validates scenario text; `path` is used in messages and, through its folder, to
/// find a `calibration` file.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Scenario, Error> {
    let base = path.parent().unwrap_or(Path::new(""));
    parse_in(path, bytes, base)
}

/// Like [`parse`], with `calibration` paths relative to `base`.
pub fn parse_in(path: &Path, bytes: &[u8], base: &Path) -> Result<Scenario, Error> {
    let scenario_error = |problems: Vec<String>| Error::Scenario {
        path: path.to_path_buf(),
        problems,
    };
    let text = std::str::from_utf8(bytes).map_err(|e| scenario_error(vec![format!("the file is not UTF-8 text ({e})")]))?;
    let mut raw: file::ScenarioFile =
        toml::from_str(text).map_err(|e| scenario_error(vec![crate::suggest::annotate(&toml_message(&e, text))]))?;
    // The same text as a table: the scenario's own keys, beneath which a calibration merges and
    // over which `[[broker_overrides]]` apply. It parsed as a scenario, so it parses here.
    let own: toml::Table = toml::from_str(text).map_err(|e| scenario_error(vec![toml_message(&e, text)]))?;
    let mut hash = fnv1a(bytes);
    let mut loaded = None;
    let mut merged_doc = None;
    if let Some(file) = raw.calibration.clone() {
        let cal = calibration::load(base, &file).map_err(|(at, problems)| match at {
            Some(at) => Error::Scenario { path: at, problems },
            None => scenario_error(problems),
        })?;
        // Re-read the scenario with the calibration's [broker] keys beneath its own. The scenario
        // alone was valid, so a problem now comes from a calibration value.
        let mut doc = own.clone();
        calibration::merge_beneath(&mut doc, &cal);
        raw = file::ScenarioFile::deserialize(toml::Value::Table(doc.clone())).map_err(|e| Error::Scenario {
            path: calibration::resolve(base, &file),
            problems: vec![format!("[broker]: {}", e.message().trim())],
        })?;
        merged_doc = Some(doc);
        hash = fnv1a_continue(hash, &cal.bytes);
        loaded = Some(cal);
    }
    // `[[broker_overrides]]` are merged over the `[broker]` table as written (with the
    // calibration's keys beneath it).
    if !raw.broker_overrides.is_empty() {
        let table = merged_doc.as_ref().unwrap_or(&own);
        if let Some(toml::Value::Table(broker)) = table.get("broker") {
            raw.broker_raw = broker.clone();
        }
    }
    let mut scenario = validate::validate(raw, hash)
        .map_err(|problems| scenario_error(problems.iter().map(|p| with_line(&crate::suggest::annotate(p), text)).collect()))?;
    scenario.calibration = loaded;
    if let Some(toml::Value::Table(broker)) = own.get("broker") {
        let mut keys: Vec<String> = broker.keys().cloned().collect();
        keys.sort();
        scenario.broker_keys = keys;
    }
    Ok(scenario)
}

/// Prefixes `line N: ` to a message about an unknown name (e.g. an action-name typo) when the
/// misspelt name appears, quoted, on exactly one line of the file.
fn with_line(problem: &str, text: &str) -> String {
    let Some(rest) = problem.find("unknown ").map(|at| &problem[at..]) else {
        return problem.to_string();
    };
    let Some(word) = rest.split('`').nth(1) else {
        return problem.to_string();
    };
    let needle = format!("\"{word}\"");
    let lines: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, line)| line.contains(&needle))
        .map(|(i, _)| i + 1)
        .collect();
    match lines.as_slice() {
        [line] if !problem.starts_with("line ") => format!("line {line}: {problem}"),
        _ => problem.to_string(),
    }
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
    fnv1a_continue(0xcbf2_9ce4_8422_2325, bytes)
}

/// FNV-1a 64 continued over more bytes (a calibration file after its scenario).
fn fnv1a_continue(mut hash: u64, bytes: &[u8]) -> u64 {
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}
