//! `calibration = "file.toml"`: a measured fragment (written by `hbsim calibrate`) beneath a
//! scenario. Its `[broker]` holds scenario `[broker]` keys in scenario syntax and applies beneath
//! the scenario's own `[broker]` keys (the scenario wins); its `[meta]` (JVM, flags, CPUs, load…)
//! and `[measured]` (raw figures) are carried into `summary.json` and the report. The path is
//! relative to the scenario file.

use super::file::BrokerFile;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The calibration file as serde reads it: only these three tables.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct CalibrationFile {
    #[serde(default)]
    meta: Option<toml::Table>,
    #[serde(default)]
    measured: Option<toml::Table>,
    /// Checked as a `[broker]` table (unknown keys and bad values rejected with their line).
    #[serde(default)]
    #[allow(dead_code)]
    broker: Option<BrokerFile>,
}

/// A loaded calibration.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    /// The path as the scenario gives it.
    pub file: String,
    /// `[meta]`.
    pub meta: toml::Table,
    /// `[measured]`.
    pub measured: toml::Table,
    /// `[broker]`, raw, to merge beneath the scenario's.
    pub broker: toml::Table,
    /// The file's bytes (folded into the scenario hash).
    pub bytes: Vec<u8>,
}

impl Calibration {
    /// `[meta]` and `[measured]` as JSON for `summary.json` (TOML tables keep their keys sorted,
    /// so the output is stable).
    pub fn to_json(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        map.insert("file".into(), serde_json::Value::String(self.file.clone()));
        map.insert("meta".into(), serde_json::to_value(&self.meta).unwrap_or(serde_json::Value::Null));
        map.insert(
            "measured".into(),
            serde_json::to_value(&self.measured).unwrap_or(serde_json::Value::Null),
        );
        serde_json::Value::Object(map)
    }
}

/// Where `file` is, relative to the scenario's folder `base`.
pub fn resolve(base: &Path, file: &str) -> PathBuf {
    let p = Path::new(file);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

/// Reads and checks a calibration file. Errors are (path, problems): the calibration file's
/// own path when its content is wrong, `None` when it cannot be read (the scenario's `calibration`
/// field is then at fault).
pub fn load(base: &Path, file: &str) -> Result<Calibration, (Option<PathBuf>, Vec<String>)> {
    let path = resolve(base, file);
    let bytes = std::fs::read(&path).map_err(|e| (None, vec![format!("calibration: cannot read `{}`: {e}", path.display())]))?;
    let text = std::str::from_utf8(&bytes).map_err(|e| (Some(path.clone()), vec![format!("the file is not UTF-8 text ({e})")]))?;
    let checked: CalibrationFile = toml::from_str(text).map_err(|e| (Some(path.clone()), vec![super::toml_message(&e, text)]))?;
    let mut raw: toml::Table = toml::from_str(text).map_err(|e| (Some(path.clone()), vec![super::toml_message(&e, text)]))?;
    let broker = match raw.remove("broker") {
        Some(toml::Value::Table(t)) => t,
        _ => toml::Table::new(),
    };
    Ok(Calibration {
        file: file.to_string(),
        meta: checked.meta.unwrap_or_default(),
        measured: checked.measured.unwrap_or_default(),
        broker,
        bytes,
    })
}

/// Puts the calibration's `[broker]` keys beneath the scenario's: a key the scenario sets wins.
pub fn merge_beneath(doc: &mut toml::Table, calibration: &Calibration) {
    let entry = doc
        .entry("broker".to_string())
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if let toml::Value::Table(broker) = entry {
        for (key, value) in &calibration.broker {
            if !broker.contains_key(key) {
                broker.insert(key.clone(), value.clone());
            }
        }
    }
}
