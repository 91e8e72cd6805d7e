//! `hbsim sweep`: one scenario parameter over a list of values, each under several seeds and
//! policies, in parallel; per-run figures, then means with 95% confidence intervals and the
//! point where the broker tips over. Steady-state lag is the MSER-5 truncated mean (the warm-up
//! is cut off, not averaged in). Runs can be split into shards (`--shard i/n`) for a batch
//! scheduler and merged afterwards.

use crate::error::Error;
use crate::metrics::atomic;
use crate::model::policy::Policy;
use crate::run::{self, RunOptions};
use crate::scenario;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// A sweep to run.
pub struct SweepRequest {
    pub scenario_path: PathBuf,
    /// Dotted TOML path of the parameter, e.g. `groups.initial` or `actions[0].count`.
    pub param: String,
    /// Values as TOML literals (`15742`, `"2us"`, `true`).
    pub values: Vec<String>,
    pub policies: Vec<String>,
    pub seeds: u32,
    pub seed: Option<u64>,
    pub jobs: usize,
    /// (index, count): run only the jobs whose number ≡ index (mod count).
    pub shard: Option<(u32, u32)>,
}

/// One run's figures.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRow {
    pub value_index: usize,
    pub value: String,
    pub policy: String,
    pub seed: u64,
    pub lag_max: f64,
    pub lag_steady: f64,
    pub heartbeat_timeout_ratio: f64,
    pub time_above_lag_100000_s: f64,
}

/// Mean and 95% confidence half-width.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    pub mean: f64,
    pub half_width: f64,
}

/// Aggregated figures of one (value, policy).
#[derive(Clone, Debug, PartialEq)]
pub struct PointRow {
    pub value: String,
    pub policy: String,
    pub runs: usize,
    pub lag_max: Estimate,
    pub lag_steady: Estimate,
    pub heartbeat_timeout_ratio: Estimate,
    pub time_above_lag_100000_s: Estimate,
}

/// Timeout ratio above which a point counts as tipped over.
pub const TIPPED_TIMEOUT_RATIO: f64 = 0.05;

/// Sets `path` (dotted, with `[i]` indices) in a TOML document to `value`.
pub fn set_path(doc: &mut toml::Table, path: &str, value: toml::Value) -> Result<(), String> {
    let parts: Vec<&str> = path.split('.').collect();
    let mut table = doc;
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let (key, index) = match part.split_once('[') {
            Some((k, rest)) => {
                let n: usize = rest
                    .strip_suffix(']')
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(|| format!("`{part}` is not key[index]"))?;
                (k, Some(n))
            }
            None => (*part, None),
        };
        if key.is_empty() {
            return Err(format!("empty key in `{path}`"));
        }
        match index {
            None if last => {
                table.insert(key.to_string(), value);
                return Ok(());
            }
            None => {
                let entry = table
                    .entry(key.to_string())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                table = entry.as_table_mut().ok_or_else(|| format!("`{key}` in `{path}` is not a table"))?;
            }
            Some(n) => {
                let array = table
                    .get_mut(key)
                    .and_then(|v| v.as_array_mut())
                    .ok_or_else(|| format!("`{key}` in `{path}` is not an array"))?;
                let len = array.len();
                let element = array
                    .get_mut(n)
                    .ok_or_else(|| format!("`{key}[{n}]` does not exist ({len} entries)"))?;
                if last {
                    *element = value;
                    return Ok(());
                }
                table = element.as_table_mut().ok_or_else(|| format!("`{key}[{n}]` is not a table"))?;
            }
        }
    }
    Ok(())
}

/// Reads a value the way it would be written in TOML; anything else is a string.
pub fn parse_value(text: &str) -> toml::Value {
    let probe = format!("v = {text}");
    match toml::from_str::<toml::Table>(&probe) {
        Ok(mut table) => table.remove("v").unwrap_or_else(|| toml::Value::String(text.to_string())),
        Err(_) => toml::Value::String(text.to_string()),
    }
}

/// MSER-5: the mean of `series` after cutting the warm-up that minimises the MSER statistic over
/// batch means of 5 (White 1997); truncation is searched over the first half only.
pub fn mser5_mean(series: &[f64]) -> f64 {
    let batches: Vec<f64> = series.chunks_exact(5).map(|c| c.iter().sum::<f64>() / 5.0).collect();
    let k = batches.len();
    if k < 2 {
        return if series.is_empty() {
            0.0
        } else {
            series.iter().sum::<f64>() / series.len() as f64
        };
    }
    // Suffix sums for O(k): sum and sum of squares of batches[d..].
    let mut sum = vec![0.0; k + 1];
    let mut sq = vec![0.0; k + 1];
    for d in (0..k).rev() {
        sum[d] = sum[d + 1] + batches[d];
        sq[d] = sq[d + 1] + batches[d] * batches[d];
    }
    let mut best = (f64::INFINITY, 0usize);
    for d in 0..=k / 2 {
        let n = (k - d) as f64;
        let mean = sum[d] / n;
        let ss = (sq[d] - n * mean * mean).max(0.0);
        let stat = ss / (n * n);
        if stat < best.0 {
            best = (stat, d);
        }
    }
    sum[best.1] / (k - best.1) as f64
}

fn estimate(values: &[f64]) -> Estimate {
    let n = values.len();
    if n == 0 {
        return Estimate {
            mean: 0.0,
            half_width: 0.0,
        };
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return Estimate { mean, half_width: 0.0 };
    }
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    Estimate {
        mean,
        half_width: crate::check::t95(n) * (var / n as f64).sqrt(),
    }
}

struct Job {
    value_index: usize,
    policy: Policy,
    seed: u64,
}

/// Runs the sweep (or its shard) and returns per-run rows in (value, policy, seed) order.
pub fn sweep(request: &SweepRequest) -> Result<Vec<RunRow>, Error> {
    let path = &request.scenario_path;
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.clone(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|_| Error::Scenario {
        path: path.clone(),
        problems: vec!["the file is not UTF-8 text".into()],
    })?;
    let doc: toml::Table = toml::from_str(&text).map_err(|e| Error::Scenario {
        path: path.clone(),
        problems: vec![e.message().to_string()],
    })?;
    if request.values.is_empty() {
        return Err(Error::Usage("--values: give at least one value".into()));
    }
    let mut variants = Vec::new();
    for value in &request.values {
        let mut variant = doc.clone();
        set_path(&mut variant, &request.param, parse_value(value)).map_err(|e| Error::Usage(format!("--param {}: {e}", request.param)))?;
        let source = toml::to_string(&variant).map_err(|e| Error::Usage(format!("--param {}: {e}", request.param)))?;
        let label = PathBuf::from(format!("{} with {}={value}", path.display(), request.param));
        variants.push(scenario::parse(&label, source.as_bytes())?);
    }
    let policies = match request.policies.is_empty() {
        true => variants[0].policies.clone(),
        false => request
            .policies
            .iter()
            .map(|p| Policy::parse(p).ok_or_else(|| Error::Usage(format!("--policy: {}", Policy::unknown_message(p)))))
            .collect::<Result<_, _>>()?,
    };
    let mut jobs = Vec::new();
    for (value_index, variant) in variants.iter().enumerate() {
        for policy in &policies {
            for r in 0..request.seeds.max(1) {
                let seed = request.seed.unwrap_or(variant.seed).wrapping_add(u64::from(r));
                jobs.push(Job {
                    value_index,
                    policy: *policy,
                    seed,
                });
            }
        }
    }
    if let Some((index, count)) = request.shard {
        let mut n = 0u32;
        jobs.retain(|_| {
            let keep = n % count == index;
            n += 1;
            keep
        });
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(request.jobs.max(1))
        .build()
        .map_err(|e| Error::Usage(format!("--jobs: {e}")))?;
    let results: Vec<Result<RunRow, Error>> = pool.install(|| {
        jobs.par_iter()
            .map(|job| {
                let scenario = &variants[job.value_index];
                let mut lag = Vec::new();
                let options = RunOptions {
                    extra_levels: vec![100_000],
                    ..RunOptions::default()
                };
                let output = run::simulate(scenario, job.policy, job.seed, &options, &mut |rows| {
                    lag.extend(rows.iter().map(|r| r.lag_total as f64));
                    Ok(())
                })?;
                let s = output.summary;
                Ok(RunRow {
                    value_index: job.value_index,
                    value: request.values[job.value_index].clone(),
                    policy: job.policy.name().into(),
                    seed: job.seed,
                    lag_max: s.lag_max as f64,
                    lag_steady: mser5_mean(&lag),
                    heartbeat_timeout_ratio: s.heartbeat_timeout_ratio,
                    time_above_lag_100000_s: s.time_above_lag_s.get("100000").copied().unwrap_or(0.0),
                })
            })
            .collect()
    });
    results.into_iter().collect()
}

/// Aggregates per-run rows into one row per (value, policy), in first-seen order.
pub fn aggregate(rows: &[RunRow]) -> Vec<PointRow> {
    let mut keys: Vec<(usize, String, String)> = Vec::new();
    for row in rows {
        let key = (row.value_index, row.value.clone(), row.policy.clone());
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys.sort_by_key(|k| k.0);
    keys.into_iter()
        .map(|(index, value, policy)| {
            let runs: Vec<&RunRow> = rows.iter().filter(|r| r.value_index == index && r.policy == policy).collect();
            let pick = |f: fn(&RunRow) -> f64| estimate(&runs.iter().map(|r| f(r)).collect::<Vec<_>>());
            PointRow {
                value,
                policy,
                runs: runs.len(),
                lag_max: pick(|r| r.lag_max),
                lag_steady: pick(|r| r.lag_steady),
                heartbeat_timeout_ratio: pick(|r| r.heartbeat_timeout_ratio),
                time_above_lag_100000_s: pick(|r| r.time_above_lag_100000_s),
            }
        })
        .collect()
}

/// For each policy, the first swept value whose mean timeout ratio exceeds the tipping level.
pub fn tipping_points(points: &[PointRow]) -> Vec<(String, Option<String>)> {
    let mut policies: Vec<String> = Vec::new();
    for p in points {
        if !policies.contains(&p.policy) {
            policies.push(p.policy.clone());
        }
    }
    policies
        .into_iter()
        .map(|policy| {
            let first = points
                .iter()
                .find(|p| p.policy == policy && p.heartbeat_timeout_ratio.mean > TIPPED_TIMEOUT_RATIO)
                .map(|p| p.value.clone());
            (policy, first)
        })
        .collect()
}

const RUN_HEADER: [&str; 8] = [
    "value_index",
    "value",
    "policy",
    "seed",
    "lag_max",
    "lag_steady_mser5",
    "heartbeat_timeout_ratio",
    "time_above_lag_100000_s",
];

/// Writes a header and rows as CSV, atomically.
fn write_csv(path: &Path, header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Result<(), Error> {
    let io = |message: String| Error::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(message),
    };
    let mut writer = csv::WriterBuilder::new().from_writer(Vec::new());
    writer.write_record(header).map_err(|e| io(e.to_string()))?;
    for row in rows {
        writer.write_record(&row).map_err(|e| io(e.to_string()))?;
    }
    let bytes = writer.into_inner().map_err(|e| io(e.to_string()))?;
    atomic::write_bytes(path, &bytes)
}

/// Writes per-run rows as CSV (atomically).
pub fn write_runs(path: &Path, rows: &[RunRow]) -> Result<(), Error> {
    write_csv(
        path,
        &RUN_HEADER,
        rows.iter().map(|r| {
            vec![
                r.value_index.to_string(),
                r.value.clone(),
                r.policy.clone(),
                r.seed.to_string(),
                format!("{:.0}", r.lag_max),
                format!("{:.3}", r.lag_steady),
                format!("{:.6}", r.heartbeat_timeout_ratio),
                format!("{:.3}", r.time_above_lag_100000_s),
            ]
        }),
    )
}

/// Reads every `runs*.csv` in `dir` (shards of one sweep), sorted by (value, policy, seed).
pub fn read_runs(dir: &Path) -> Result<Vec<RunRow>, Error> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|source| Error::Io {
            path: dir.to_path_buf(),
            source,
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("runs") && n.ends_with(".csv"))
        })
        .collect();
    files.sort();
    let mut rows = Vec::new();
    for file in files {
        let bad = |m: String| Error::Scenario {
            path: file.clone(),
            problems: vec![m],
        };
        let mut reader = csv::Reader::from_path(&file).map_err(|e| bad(e.to_string()))?;
        for record in reader.records() {
            let r = record.map_err(|e| bad(e.to_string()))?;
            let num = |i: usize| {
                r.get(i)
                    .and_then(|v| v.parse::<f64>().ok())
                    .ok_or_else(|| bad(format!("column {} is not a number", RUN_HEADER[i])))
            };
            rows.push(RunRow {
                value_index: num(0)? as usize,
                value: r.get(1).unwrap_or_default().to_string(),
                policy: r.get(2).unwrap_or_default().to_string(),
                seed: num(3)? as u64,
                lag_max: num(4)?,
                lag_steady: num(5)?,
                heartbeat_timeout_ratio: num(6)?,
                time_above_lag_100000_s: num(7)?,
            });
        }
    }
    let order = |p: &str| Policy::parse(p).map_or(usize::MAX, |p| Policy::ALL.iter().position(|x| *x == p).unwrap_or(usize::MAX));
    rows.sort_by_key(|r| (r.value_index, order(&r.policy), r.seed));
    rows.dedup();
    Ok(rows)
}

/// Writes the aggregated points as CSV (atomically).
pub fn write_points(path: &Path, points: &[PointRow]) -> Result<(), Error> {
    let header = [
        "value",
        "policy",
        "runs",
        "lag_max_mean",
        "lag_max_ci95",
        "lag_steady_mean",
        "lag_steady_ci95",
        "heartbeat_timeout_ratio_mean",
        "heartbeat_timeout_ratio_ci95",
        "time_above_lag_100000_s_mean",
        "time_above_lag_100000_s_ci95",
    ];
    write_csv(
        path,
        &header,
        points.iter().map(|p| {
            vec![
                p.value.clone(),
                p.policy.clone(),
                p.runs.to_string(),
                format!("{:.1}", p.lag_max.mean),
                format!("{:.1}", p.lag_max.half_width),
                format!("{:.1}", p.lag_steady.mean),
                format!("{:.1}", p.lag_steady.half_width),
                format!("{:.6}", p.heartbeat_timeout_ratio.mean),
                format!("{:.6}", p.heartbeat_timeout_ratio.half_width),
                format!("{:.1}", p.time_above_lag_100000_s.mean),
                format!("{:.1}", p.time_above_lag_100000_s.half_width),
            ]
        }),
    )
}

/// A text table of the points and the tipping points.
pub fn points_text(points: &[PointRow]) -> String {
    let mut out = format!(
        "{:<14} {:<12} {:>4} {:>22} {:>22} {:>20}\n",
        "value", "policy", "runs", "lag_max (±95%)", "lag_steady (±95%)", "timeout_% (±95%)"
    );
    for p in points {
        out.push_str(&format!(
            "{:<14} {:<12} {:>4} {:>22} {:>22} {:>20}\n",
            p.value,
            p.policy,
            p.runs,
            format!("{:.0} ±{:.0}", p.lag_max.mean, p.lag_max.half_width),
            format!("{:.0} ±{:.0}", p.lag_steady.mean, p.lag_steady.half_width),
            format!(
                "{:.2} ±{:.2}",
                p.heartbeat_timeout_ratio.mean * 100.0,
                p.heartbeat_timeout_ratio.half_width * 100.0
            ),
        ));
    }
    for (policy, value) in tipping_points(points) {
        match value {
            Some(v) => out.push_str(&format!(
                "{policy}: tips over (heartbeat timeouts > {:.0}%) at {v}\n",
                TIPPED_TIMEOUT_RATIO * 100.0
            )),
            None => out.push_str(&format!("{policy}: does not tip over in the swept range\n")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_path_handles_tables_and_arrays() {
        let mut doc: toml::Table = toml::from_str("a = 1\n[b]\nc = 2\n[[d]]\ne = 3\n").unwrap();
        set_path(&mut doc, "b.c", parse_value("5")).unwrap();
        set_path(&mut doc, "d[0].e", parse_value("\"2us\"")).unwrap();
        set_path(&mut doc, "f.g", parse_value("true")).unwrap();
        assert_eq!(doc["b"]["c"].as_integer(), Some(5));
        assert_eq!(doc["d"][0]["e"].as_str(), Some("2us"));
        assert_eq!(doc["f"]["g"].as_bool(), Some(true));
        assert!(set_path(&mut doc, "d[3].e", parse_value("1")).is_err());
        assert!(set_path(&mut doc, "a.x", parse_value("1")).is_err());
        assert_eq!(parse_value("2us").as_str(), Some("2us"));
    }

    #[test]
    fn mser_cuts_a_warm_up() {
        // A transient of 100 high values, then a long flat stationary part around 10.
        let mut series: Vec<f64> = (0..100).map(|i| 1000.0 - 9.0 * i as f64).collect();
        series.extend((0..1000).map(|i| 10.0 + (i % 3) as f64));
        let plain = series.iter().sum::<f64>() / series.len() as f64;
        let cut = mser5_mean(&series);
        assert!((cut - 11.0).abs() < 1.0, "MSER mean {cut}");
        assert!(plain > 50.0);
    }

    #[test]
    fn estimate_has_a_t_interval() {
        let e = estimate(&[1.0, 2.0, 3.0]);
        assert_eq!(e.mean, 2.0);
        assert!((e.half_width - 4.303 * (1.0f64 / 3.0).sqrt()).abs() < 1e-9);
    }
}
