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
    /// A second parameter and its values: the sweep runs the grid `values × values2`.
    pub grid: Option<(String, Vec<String>)>,
    /// Where each finished run is kept (one small CSV per run), so a sweep interrupted with
    /// Ctrl-C and started again with the same arguments reuses them; `None`: keep nothing.
    pub cache_dir: Option<PathBuf>,
}

/// The per-run rows and how many of them came from the cache of an earlier, interrupted sweep.
pub struct SweepOutcome {
    pub rows: Vec<RunRow>,
    pub reused: usize,
}

/// The cache file of one run: the variant's text hash (value and scenario), policy and seed.
fn cache_path(dir: &Path, variant_hash: u64, policy: Policy, seed: u64) -> PathBuf {
    dir.join(format!("{variant_hash:016x}-{}-{seed}.csv", run::safe_component(policy.name())))
}

/// Writes one run's row at full precision (f64 `Display` round-trips), so a reused run
/// aggregates to exactly the same figures as a fresh one.
fn write_cached(path: &Path, row: &RunRow) -> Result<(), Error> {
    write_csv(
        path,
        &RUN_HEADER,
        std::iter::once(vec![
            row.value_index.to_string(),
            row.value.clone(),
            row.policy.clone(),
            row.seed.to_string(),
            row.lag_max.to_string(),
            row.lag_steady.to_string(),
            row.heartbeat_timeout_ratio.to_string(),
            row.time_above_lag_100000_s.to_string(),
            row.end_failed_share.to_string(),
        ]),
    )
}

/// A cached run, if its file exists and reads back whole (anything else is run again).
fn read_cached(path: &Path) -> Option<RunRow> {
    let mut reader = csv::Reader::from_path(path).ok()?;
    let record = reader.records().next()?.ok()?;
    let num = |i: usize| record.get(i).and_then(|v| v.parse::<f64>().ok());
    Some(RunRow {
        value_index: record.get(0)?.parse().ok()?,
        value: record.get(1)?.to_string(),
        policy: record.get(2)?.to_string(),
        seed: record.get(3)?.parse().ok()?,
        lag_max: num(4)?,
        lag_steady: num(5)?,
        heartbeat_timeout_ratio: num(6)?,
        time_above_lag_100000_s: num(7)?,
        end_failed_share: num(8)?,
    })
}

/// A scenario problem of a variant, reported against `--param`/`--values` (the command line),
/// not against a line of the generated TOML text nobody wrote.
fn variant_error(param: &str, value: &str, error: Error) -> Error {
    match error {
        Error::Scenario { problems, .. } => {
            let problems: Vec<String> = problems
                .iter()
                .map(|p| match p.split_once(": ") {
                    Some((place, rest)) if place.starts_with("line ") => rest.to_string(),
                    _ => p.clone(),
                })
                .collect();
            let unknown = problems.iter().any(|p| p.contains("unknown field"));
            if unknown {
                Error::Usage(format!(
                    "--param {param}: not a field of the scenario format: {}",
                    problems.join("; ")
                ))
            } else {
                Error::Usage(format!("--param {param} with value {value}: {}", problems.join("; ")))
            }
        }
        other => other,
    }
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
    /// Share of heartbeats that failed (timed out or SYSTEM_BUSY) in the run's last quarter (before its first broker restart, if any).
    pub end_failed_share: f64,
}

impl RunRow {
    /// Collapsed at the run's steady end (see [`COLLAPSED_END_SHARE`]).
    pub fn collapsed(&self) -> bool {
        self.end_failed_share > COLLAPSED_END_SHARE
    }
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
    /// Runs collapsed at their steady end.
    pub collapsed: usize,
}

/// A run is collapsed when more than this share of its heartbeats failed (timed out or
/// SYSTEM_BUSY) in the last quarter of the run (of the run up to its first broker restart, if it
/// has one): what users mean by "the broker tipped over and
/// stayed down", not a transient burst. A point tips when most of its seeds collapsed; it is
/// reported as "k of n seeds collapsed" with a Wilson 95% interval (a two-valued outcome has no
/// meaningful mean ± t·sd).
pub const COLLAPSED_END_SHARE: f64 = 0.5;

/// Where a run's end is judged for "collapsed": the first `restart_broker` action (a restart
/// empties the table and ends the loop by intervention), else the end of the run.
fn collapse_window_end_ns(scenario: &scenario::Scenario) -> u64 {
    scenario
        .actions
        .iter()
        .filter(|a| matches!(a.kind, scenario::ActionKind::RestartBroker(_)))
        .map(|a| a.at_ns)
        .min()
        .unwrap_or(u64::MAX)
}

/// The share of failed heartbeats over the last quarter of the sample rows.
fn end_failed_share(rows: &[(u64, u64)]) -> f64 {
    let start = rows.len() - rows.len() / 4;
    let (failed, total) = rows[start.min(rows.len())..]
        .iter()
        .fold((0u64, 0u64), |(f, t), (failed, total)| (f + failed, t + total));
    if total == 0 {
        0.0
    } else {
        failed as f64 / total as f64
    }
}

/// Wilson score interval (95%) for `k` successes in `n` trials.
pub fn wilson95(k: usize, n: usize) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let z = 1.959_963_984_540_054_f64;
    let n_f = n as f64;
    let p = k as f64 / n_f;
    let denom = 1.0 + z * z / n_f;
    let centre = (p + z * z / (2.0 * n_f)) / denom;
    let half = z / denom * (p * (1.0 - p) / n_f + z * z / (4.0 * n_f * n_f)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// "k of n seeds collapsed (95% CI lo–hi%)".
pub fn collapsed_text(k: usize, n: usize) -> String {
    let (lo, hi) = wilson95(k, n);
    format!("{k} of {n} seeds collapsed (95% CI {:.0}–{:.0}%)", lo * 100.0, hi * 100.0)
}

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
    sweep_counted(request).map(|outcome| outcome.rows)
}

/// [`sweep`], also saying how many runs were reused from `request.cache_dir`.
pub fn sweep_counted(request: &SweepRequest) -> Result<SweepOutcome, Error> {
    let path = &request.scenario_path;
    let bytes = scenario::read_bounded(path)?;
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
    let mut labels = Vec::new();
    for (doc, label) in grid_documents(&doc, request)? {
        let source = toml::to_string(&doc).map_err(|e| Error::Usage(format!("--param {}: {e}", request.param)))?;
        let label_path = PathBuf::from(format!("{} with {label}", path.display()));
        variants.push(
            scenario::parse_in(&label_path, source.as_bytes(), path.parent().unwrap_or(Path::new("")))
                .map_err(|e| variant_error(&request.param, &label, e))?,
        );
        labels.push(label);
    }
    let policies = match request.policies.is_empty() {
        true => variants[0].policies.clone(),
        false => request
            .policies
            .iter()
            .map(|p| {
                Policy::parse(p).ok_or_else(|| {
                    if p == "v5.3.3-fast" {
                        return Error::Usage(format!("--policy: {}", Policy::unknown_message(p)));
                    }
                    let known = Policy::ALL.iter().map(|x| x.name());
                    Error::Usage(format!(
                        "--policy: unknown policy `{p}`{} (expected one of {})",
                        crate::suggest::hint(p, known),
                        Policy::names()
                    ))
                })
            })
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
    if let Some(dir) = &request.cache_dir {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io { path: dir.clone(), source })?;
    }
    let reused = std::sync::atomic::AtomicUsize::new(0);
    let progress = crate::progress::Progress::new(jobs.len() as u64, "sweep");
    let results: Vec<Result<RunRow, Error>> = pool.install(|| {
        jobs.par_iter()
            .map(|job| {
                let scenario = &variants[job.value_index];
                let cache = request
                    .cache_dir
                    .as_ref()
                    .map(|dir| cache_path(dir, scenario.source_hash, job.policy, job.seed));
                if let Some(row) = cache.as_deref().and_then(read_cached) {
                    if row.value_index == job.value_index && row.seed == job.seed && row.policy == job.policy.name() {
                        reused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        progress.inc();
                        return Ok(row);
                    }
                }
                let row = run_job(&labels, scenario, job)?;
                if let Some(path) = &cache {
                    write_cached(path, &row)?;
                }
                progress.inc();
                Ok(row)
            })
            .collect()
    });
    progress.finish();
    let rows = results.into_iter().collect::<Result<Vec<RunRow>, Error>>()?;
    Ok(SweepOutcome {
        rows,
        reused: reused.into_inner(),
    })
}

/// One simulation of a sweep.
fn run_job(labels: &[String], scenario: &scenario::Scenario, job: &Job) -> Result<RunRow, Error> {
    let mut lag = Vec::new();
    let mut heartbeats = Vec::new();
    let options = RunOptions {
        extra_levels: vec![100_000],
        ..RunOptions::default()
    };
    // A broker restart is an operator's intervention that ends any collapse: "collapsed at the
    // steady end" is judged on the run up to the first restart.
    let judged_until_ns = collapse_window_end_ns(scenario);
    let output = run::simulate(scenario, job.policy, job.seed, &options, &mut |rows| {
        lag.extend(rows.iter().map(|r| r.lag_total as f64));
        heartbeats.extend(rows.iter().filter(|r| r.time_ns <= judged_until_ns).map(|r| {
            let failed = r.heartbeats_timed_out + r.heartbeats_busy;
            (failed, failed + r.heartbeats_ok)
        }));
        Ok(())
    })?;
    let s = output.summary;
    Ok(RunRow {
        value_index: job.value_index,
        value: labels[job.value_index].clone(),
        policy: job.policy.name().into(),
        seed: job.seed,
        lag_max: s.lag_max as f64,
        lag_steady: mser5_mean(&lag),
        heartbeat_timeout_ratio: s.heartbeat_timeout_ratio,
        time_above_lag_100000_s: s.time_above_lag_s.get("100000").copied().unwrap_or(0.0),
        end_failed_share: if heartbeats.is_empty() {
            0.0
        } else {
            end_failed_share(&heartbeats)
        },
    })
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
                collapsed: runs.iter().filter(|r| r.collapsed()).count(),
            }
        })
        .collect()
}

/// The scenario documents to run, with their labels: one per value, or the grid
/// `values × values2` (row-major: the first parameter varies slowest).
fn grid_documents(doc: &toml::Table, request: &SweepRequest) -> Result<Vec<(toml::Table, String)>, Error> {
    let set = |doc: &mut toml::Table, param: &str, value: &str| {
        set_path(doc, param, parse_value(value)).map_err(|e| Error::Usage(format!("--param {param}: {e}")))
    };
    let mut out = Vec::new();
    for value in &request.values {
        let mut variant = doc.clone();
        set(&mut variant, &request.param, value)?;
        match &request.grid {
            None => out.push((variant, value.clone())),
            Some((param2, values2)) => {
                if values2.is_empty() {
                    return Err(Error::Usage("--values2: give at least one value".into()));
                }
                for value2 in values2 {
                    let mut cell = variant.clone();
                    set(&mut cell, param2, value2)?;
                    out.push((cell, grid_label(value, value2)));
                }
            }
        }
    }
    Ok(out)
}

/// Where `value` (a duration or a number) lies on an axis of `values`, in index units, by linear
/// interpolation between the two neighbouring values (clamped to the ends).
pub fn grid_position(values: &[String], value: &str) -> Option<f64> {
    let number = |text: &str| -> Option<f64> {
        let text = text.trim().trim_matches('"');
        text.parse::<f64>()
            .ok()
            .or_else(|| scenario::parse_duration(text).ok().map(|ns| ns as f64))
    };
    let v = number(value)?;
    let axis: Vec<f64> = values.iter().map(|t| number(t)).collect::<Option<_>>()?;
    if axis.is_empty() {
        return None;
    }
    if axis.len() == 1 {
        return Some(0.0);
    }
    for k in 0..axis.len() - 1 {
        let (a, b) = (axis[k], axis[k + 1]);
        if (a..=b).contains(&v) || (b..=a).contains(&v) {
            return Some(k as f64 + if b == a { 0.0 } else { (v - a) / (b - a) });
        }
    }
    let first_is_low = axis[0] <= axis[axis.len() - 1];
    Some(if (v < axis[0]) == first_is_low {
        0.0
    } else {
        (axis.len() - 1) as f64
    })
}

/// The label of a grid cell in runs.csv: `<value> × <value2>`.
pub fn grid_label(value: &str, value2: &str) -> String {
    format!("{value} × {value2}")
}

/// One cell of a 2-D sweep: how many of its runs collapsed.
#[derive(Clone, Debug, PartialEq)]
pub struct GridCell {
    pub i: usize,
    pub j: usize,
    pub policy: String,
    pub collapsed: usize,
    pub runs: usize,
}

/// The grid cells of a 2-D sweep, from its per-run rows (`value_index = i × n2 + j`).
pub fn grid_cells(rows: &[RunRow], n2: usize) -> Vec<GridCell> {
    let mut cells: Vec<GridCell> = Vec::new();
    for row in rows {
        let (i, j) = (row.value_index / n2.max(1), row.value_index % n2.max(1));
        match cells.iter_mut().find(|c| c.i == i && c.j == j && c.policy == row.policy) {
            Some(cell) => {
                cell.runs += 1;
                cell.collapsed += usize::from(row.collapsed());
            }
            None => cells.push(GridCell {
                i,
                j,
                policy: row.policy.clone(),
                collapsed: usize::from(row.collapsed()),
                runs: 1,
            }),
        }
    }
    cells
}

/// Writes grid.csv: one row per (cell, policy) with k of n collapsed and the Wilson interval.
pub fn write_grid(path: &Path, cells: &[GridCell], param: (&str, &[String]), param2: (&str, &[String])) -> Result<(), Error> {
    let header = [
        param.0,
        param2.0,
        "policy",
        "runs",
        "collapsed",
        "collapsed_share",
        "wilson95_low",
        "wilson95_high",
    ];
    write_csv(
        path,
        &header,
        cells.iter().map(|c| {
            let (lo, hi) = wilson95(c.collapsed, c.runs);
            vec![
                param.1[c.i].clone(),
                param2.1[c.j].clone(),
                c.policy.clone(),
                c.runs.to_string(),
                c.collapsed.to_string(),
                format!("{:.4}", c.collapsed as f64 / c.runs.max(1) as f64),
                format!("{lo:.4}"),
                format!("{hi:.4}"),
            ]
        }),
    )
}

/// A text map per policy: rows are the first parameter's values, columns the second's; each cell
/// is "k/n".
pub fn grid_text(cells: &[GridCell], param: (&str, &[String]), param2: (&str, &[String])) -> String {
    let mut policies: Vec<&str> = Vec::new();
    for c in cells {
        if !policies.contains(&c.policy.as_str()) {
            policies.push(&c.policy);
        }
    }
    let mut out = String::new();
    for policy in policies {
        out.push_str(&format!(
            "{policy}: seeds collapsed (k/n) by {} (rows) × {} (columns)\n",
            param.0, param2.0
        ));
        out.push_str(&format!("{:>14}", ""));
        for v in param2.1 {
            out.push_str(&format!(" {v:>9}"));
        }
        out.push('\n');
        for (i, v) in param.1.iter().enumerate() {
            out.push_str(&format!("{v:>14}"));
            for j in 0..param2.1.len() {
                let cell = cells.iter().find(|c| c.i == i && c.j == j && c.policy == policy);
                let text = cell.map_or("-".to_string(), |c| format!("{}/{}", c.collapsed, c.runs));
                out.push_str(&format!(" {text:>9}"));
            }
            out.push('\n');
        }
    }
    out
}

/// Where a policy tips: the value, and k of n seeds collapsed there.
pub type Tipping = (String, usize, usize);

/// For each policy, the first swept value at which most seeds collapsed, with its k of n.
pub fn tipping_points(points: &[PointRow]) -> Vec<(String, Option<Tipping>)> {
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
                .find(|p| p.policy == policy && 2 * p.collapsed > p.runs)
                .map(|p| (p.value.clone(), p.collapsed, p.runs));
            (policy, first)
        })
        .collect()
}

const RUN_HEADER: [&str; 9] = [
    "value_index",
    "value",
    "policy",
    "seed",
    "lag_max",
    "lag_steady_mser5",
    "heartbeat_timeout_ratio",
    "time_above_lag_100000_s",
    "end_failed_share",
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
                format!("{:.6}", r.end_failed_share),
            ]
        }),
    )
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
        "collapsed",
        "collapsed_wilson95_low",
        "collapsed_wilson95_high",
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
                p.collapsed.to_string(),
                format!("{:.4}", wilson95(p.collapsed, p.runs).0),
                format!("{:.4}", wilson95(p.collapsed, p.runs).1),
            ]
        }),
    )
}

/// A text table of the points and the tipping points.
pub fn points_text(points: &[PointRow]) -> String {
    let mut out = format!(
        "{:<14} {:<12} {:>4} {:>22} {:>22} {:>20} {:>22}\n",
        "value", "policy", "runs", "lag_max (±95%)", "lag_steady (±95%)", "timeout_% (±95%)", "collapsed (95% CI)"
    );
    for p in points {
        let (lo, hi) = wilson95(p.collapsed, p.runs);
        out.push_str(&format!(
            "{:<14} {:<12} {:>4} {:>22} {:>22} {:>20} {:>22}\n",
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
            format!("{}/{} ({:.0}–{:.0}%)", p.collapsed, p.runs, lo * 100.0, hi * 100.0),
        ));
    }
    for (policy, value) in tipping_points(points) {
        match value {
            Some((v, k, n)) => out.push_str(&format!(
                "{policy}: tips over at {v}: {} (collapsed: > {:.0}% of heartbeats failed in the last quarter of the run, or of its part before the first broker restart)\n",
                collapsed_text(k, n),
                COLLAPSED_END_SHARE * 100.0
            )),
            None => out.push_str(&format!(
                "{policy}: does not tip over in the swept range (no value with most seeds collapsed)\n"
            )),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Shard metadata and `--merge` validation (issue 14). Each runs file has a sidecar
// `<stem>.json` saying which sweep it belongs to; `--merge` refuses anything incomplete or mixed.

/// What a runs file belongs to: written beside it as `<stem>.json`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ShardMeta {
    pub hbsim_version: String,
    pub scenario: String,
    /// FNV-1a of the scenario file bytes (as in summary.json).
    pub scenario_hash: String,
    pub param: String,
    pub values: Vec<String>,
    pub policies: Vec<String>,
    pub seeds: u32,
    /// `--seed`, if given (otherwise each value's scenario seed).
    pub seed: Option<u64>,
    /// This file's shard index I and the shard count N (0 and 1 when not sharded).
    pub shard: u32,
    pub shards: u32,
    /// Rows this file must hold.
    pub runs: usize,
}

/// The sidecar of a runs file: `runs-2-of-8.csv` -> `runs-2-of-8.json`.
pub fn meta_path(runs_csv: &Path) -> PathBuf {
    runs_csv.with_extension("json")
}

/// Describes the (shard of the) sweep `request` runs, for its sidecar.
pub fn shard_meta(request: &SweepRequest) -> Result<ShardMeta, Error> {
    let bytes = scenario::read_bounded(&request.scenario_path)?;
    // The scenario as the first swept value makes it (as `sweep` builds it).
    let text = String::from_utf8_lossy(&bytes);
    let mut doc: toml::Table = toml::from_str(&text).map_err(|e| Error::Scenario {
        path: request.scenario_path.clone(),
        problems: vec![e.message().to_string()],
    })?;
    if let Some(value) = request.values.first() {
        set_path(&mut doc, &request.param, parse_value(value)).map_err(|e| Error::Usage(format!("--param {}: {e}", request.param)))?;
    }
    let source = toml::to_string(&doc).map_err(|e| Error::Usage(format!("--param {}: {e}", request.param)))?;
    let first = scenario::parse(&request.scenario_path, source.as_bytes())
        .map_err(|e| variant_error(&request.param, request.values.first().map_or("", |v| v.as_str()), e))?;
    let policies: Vec<String> = if request.policies.is_empty() {
        first.policies.iter().map(|p| p.name().to_string()).collect()
    } else {
        request
            .policies
            .iter()
            .filter_map(|p| Policy::parse(p))
            .map(|p| p.name().to_string())
            .collect()
    };
    let (shard, shards) = request.shard.unwrap_or((0, 1));
    let total = request.values.len() * policies.len() * request.seeds.max(1) as usize;
    let runs = (total + shards as usize - 1 - shard as usize) / shards as usize;
    Ok(ShardMeta {
        hbsim_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: first.name.clone(),
        scenario_hash: format!("{:016x}", scenario::fnv1a(&bytes)),
        param: request.param.clone(),
        values: request.values.clone(),
        policies,
        seeds: request.seeds.max(1),
        seed: request.seed,
        shard,
        shards,
        runs,
    })
}

/// Writes a runs file and its sidecar (the sidecar first: a runs file never lacks one).
pub fn write_shard(path: &Path, meta: &ShardMeta, rows: &[RunRow]) -> Result<(), Error> {
    let json = serde_json::to_string_pretty(meta).map_err(|e| Error::Io {
        path: meta_path(path),
        source: std::io::Error::other(e),
    })?;
    atomic::write_bytes(&meta_path(path), format!("{json}\n").as_bytes())?;
    write_runs(path, rows)
}

/// Reads the `runs*.csv` shards in `dir`, sorted by (value, policy, seed), and refuses (exit 2, naming what is wrong) an
/// empty folder, a runs file without its sidecar, shards of different sweeps (scenario, param,
/// values, policies, seeds, hbsim version, shard count), missing or duplicate shards, a wrong
/// header, a shard with fewer or more rows than it should have, rows that do not belong to the
/// sweep, and NaN, infinite or negative figures. With `scenario_path`, the shards must also come
/// from that scenario file.
pub fn read_runs_checked(dir: &Path, scenario_path: Option<&Path>) -> Result<Vec<RunRow>, Error> {
    let bad = |path: &Path, problems: Vec<String>| Error::Scenario {
        path: path.to_path_buf(),
        problems,
    };
    let files = runs_files(dir)?;
    if files.is_empty() {
        return Err(bad(
            dir,
            vec!["--merge: no runs*.csv shard in this folder (written by `hbsim sweep --shard I/N --out DIR`)".into()],
        ));
    }
    let mut metas: Vec<(PathBuf, ShardMeta)> = Vec::new();
    for file in &files {
        let sidecar = meta_path(file);
        let text = std::fs::read_to_string(&sidecar).map_err(|e| {
            bad(
                file,
                vec![format!(
                    "--merge: its sidecar {} cannot be read ({e}): which sweep it belongs to is unknown",
                    sidecar.display()
                )],
            )
        })?;
        let meta: ShardMeta =
            serde_json::from_str(&text).map_err(|e| bad(&sidecar, vec![format!("--merge: not a shard description: {e}")]))?;
        metas.push((file.clone(), meta));
    }
    let (first_file, first) = metas[0].clone();
    for (file, meta) in &metas[1..] {
        let mut differences = Vec::new();
        let mut differ = |field: &str, a: String, b: String| {
            if a != b {
                differences.push(format!("{field}: {a} in {}, {b} here", first_file.display()));
            }
        };
        differ(
            "scenario_hash (another scenario file)",
            first.scenario_hash.clone(),
            meta.scenario_hash.clone(),
        );
        differ("param", first.param.clone(), meta.param.clone());
        differ("values", first.values.join(","), meta.values.join(","));
        differ("policies", first.policies.join(","), meta.policies.join(","));
        differ("seeds", first.seeds.to_string(), meta.seeds.to_string());
        differ("seed", format!("{:?}", first.seed), format!("{:?}", meta.seed));
        differ("hbsim_version", first.hbsim_version.clone(), meta.hbsim_version.clone());
        differ("shard count N", first.shards.to_string(), meta.shards.to_string());
        if !differences.is_empty() {
            let mut problems = vec!["--merge: this shard belongs to another sweep than the others".to_string()];
            problems.extend(differences);
            return Err(bad(file, problems));
        }
    }
    if let Some(path) = scenario_path {
        let hash = format!("{:016x}", scenario::fnv1a(&scenario::read_bounded(path)?));
        if hash != first.scenario_hash {
            return Err(bad(
                path,
                vec![format!(
                    "--merge: the shards in {} were run from another scenario file (scenario_hash {}, this file hashes to {hash})",
                    dir.display(),
                    first.scenario_hash
                )],
            ));
        }
    }
    let mut seen: Vec<u32> = Vec::new();
    for (file, meta) in &metas {
        if meta.shard >= meta.shards || seen.contains(&meta.shard) {
            return Err(bad(
                file,
                vec![format!("--merge: shard {}/{} is invalid or given twice", meta.shard, meta.shards)],
            ));
        }
        seen.push(meta.shard);
    }
    let missing: Vec<String> = (0..first.shards).filter(|i| !seen.contains(i)).map(|i| i.to_string()).collect();
    if !missing.is_empty() {
        return Err(bad(
            dir,
            vec![format!(
                "--merge: shard{} {} of {} {} missing",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", "),
                first.shards,
                if missing.len() == 1 { "is" } else { "are" }
            )],
        ));
    }
    let mut rows = Vec::new();
    for (file, meta) in &metas {
        let shard_rows = read_runs_file(file, meta)?;
        if shard_rows.len() != meta.runs {
            return Err(bad(
                file,
                vec![format!(
                    "--merge: holds {} runs, shard {}/{} must hold {} (incomplete or altered)",
                    shard_rows.len(),
                    meta.shard,
                    meta.shards,
                    meta.runs
                )],
            ));
        }
        for row in shard_rows {
            if rows
                .iter()
                .any(|r: &RunRow| r.value_index == row.value_index && r.policy == row.policy && r.seed == row.seed)
            {
                return Err(bad(
                    file,
                    vec![format!(
                        "--merge: the run (value {}, policy {}, seed {}) is also in another shard",
                        row.value, row.policy, row.seed
                    )],
                ));
            }
            rows.push(row);
        }
    }
    let order = |p: &str| Policy::parse(p).map_or(usize::MAX, |p| Policy::ALL.iter().position(|x| *x == p).unwrap_or(usize::MAX));
    rows.sort_by_key(|r| (r.value_index, order(&r.policy), r.seed));
    Ok(rows)
}

/// The `runs*.csv` files of `dir`, sorted.
fn runs_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
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
    Ok(files)
}

/// One runs file, every field checked against its sidecar.
fn read_runs_file(file: &Path, meta: &ShardMeta) -> Result<Vec<RunRow>, Error> {
    let bad = |line: Option<u64>, m: String| Error::Scenario {
        path: file.to_path_buf(),
        problems: vec![match line {
            Some(line) => format!("--merge: line {line}: {m}"),
            None => format!("--merge: {m}"),
        }],
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(file)
        .map_err(|e| bad(None, e.to_string()))?;
    let mut records = reader.records();
    let header = match records.next() {
        Some(r) => r.map_err(|e| bad(Some(1), e.to_string()))?,
        None => return Err(bad(None, "the file is empty (no header)".into())),
    };
    if header.iter().ne(RUN_HEADER.iter().copied()) {
        return Err(bad(
            Some(1),
            format!(
                "wrong header `{}`, expected `{}`",
                header.iter().collect::<Vec<_>>().join(","),
                RUN_HEADER.join(",")
            ),
        ));
    }
    let mut rows = Vec::new();
    for (n, record) in records.enumerate() {
        let line = n as u64 + 2;
        let r = record.map_err(|e| bad(Some(line), e.to_string()))?;
        if r.len() != RUN_HEADER.len() {
            return Err(bad(Some(line), format!("{} fields, expected {}", r.len(), RUN_HEADER.len())));
        }
        let figure = |i: usize| -> Result<f64, Error> {
            let text = &r[i];
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
                _ => Err(bad(
                    Some(line),
                    format!("{} is `{text}`, not a finite non-negative number", RUN_HEADER[i]),
                )),
            }
        };
        let integer = |i: usize| -> Result<u64, Error> {
            r[i].parse::<u64>()
                .map_err(|_| bad(Some(line), format!("{} is `{}`, not a non-negative integer", RUN_HEADER[i], &r[i])))
        };
        let value_index = integer(0)? as usize;
        let value = r[1].to_string();
        if meta.values.get(value_index) != Some(&value) {
            return Err(bad(
                Some(line),
                format!(
                    "value `{value}` at index {value_index} is not in the sweep's values {:?}",
                    meta.values
                ),
            ));
        }
        let policy = r[2].to_string();
        if !meta.policies.contains(&policy) {
            return Err(bad(
                Some(line),
                format!("policy `{policy}` is not one of the sweep's policies {:?}", meta.policies),
            ));
        }
        rows.push(RunRow {
            value_index,
            value,
            policy,
            seed: integer(3)?,
            lag_max: figure(4)?,
            lag_steady: figure(5)?,
            heartbeat_timeout_ratio: figure(6)?,
            time_above_lag_100000_s: figure(7)?,
            end_failed_share: figure(8)?,
        });
    }
    Ok(rows)
}

/// The figures drawn against the swept parameter: (file stem, title, y axis, value of a point).
type FigureOf = fn(&PointRow) -> Estimate;
const SWEEP_FIGURES: [(&str, &str, &str, FigureOf); 4] = [
    ("sweep-lag_max", "Largest consumer lag", "lag [messages]", |p| p.lag_max),
    ("sweep-lag_steady", "Steady-state consumer lag (MSER-5)", "lag [messages]", |p| {
        p.lag_steady
    }),
    (
        "sweep-heartbeat_timeout_ratio",
        "Heartbeats timed out",
        "share of heartbeats sent [%]",
        |p| Estimate {
            mean: p.heartbeat_timeout_ratio.mean * 100.0,
            half_width: p.heartbeat_timeout_ratio.half_width * 100.0,
        },
    ),
    (
        "sweep-time_above_lag_100000_s",
        "Time with lag above 100,000 messages",
        "time [s]",
        |p| p.time_above_lag_100000_s,
    ),
];

/// Draws each figure against the parameter (one line per policy with its 95% band) into `dir`,
/// and writes `dir/sweep.html` with the charts and the table. Returns the page's path.
pub fn write_charts(dir: &Path, scenario_name: &str, param: &str, points: &[PointRow]) -> Result<PathBuf, Error> {
    use crate::metrics::charts::{SweepChart, SweepLine};
    use crate::report::escape;
    let mut values: Vec<String> = Vec::new();
    let mut policies: Vec<String> = Vec::new();
    for p in points {
        if !values.contains(&p.value) {
            values.push(p.value.clone());
        }
        if !policies.contains(&p.policy) {
            policies.push(p.policy.clone());
        }
    }
    // Numbers are placed by value; anything else (durations, words) one step apart, labelled.
    let numeric: Option<Vec<f64>> = values.iter().map(|v| v.trim().parse::<f64>().ok()).collect();
    let (xs, labels): (Vec<f64>, Vec<String>) = match numeric {
        Some(xs) => (xs, Vec::new()),
        None => ((0..values.len()).map(|i| i as f64).collect(), values.clone()),
    };
    let mut html = String::new();
    html.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n");
    html.push_str(&format!(
        "<title>hbsim sweep: {} over {}</title>\n<style>body{{font-family:sans-serif;margin:24px auto;max-width:1260px;color:#222}}\
figure svg{{max-width:100%;height:auto;border:1px solid #ddd}}table{{border-collapse:collapse}}th,td{{border:1px solid #ccc;padding:4px 10px;font-size:14px}}\
td.num{{text-align:right}}</style>\n</head>\n<body>\n",
        escape(scenario_name),
        escape(param)
    ));
    html.push_str(&format!(
        "<h1>hbsim sweep: {} over <code>{}</code></h1>\n<p>Each point is the mean of its runs (seeds); the band is the 95% confidence interval (Student t).</p>\n",
        escape(scenario_name),
        escape(param)
    ));
    for (stem, title, y_desc, figure) in SWEEP_FIGURES {
        let lines: Vec<SweepLine> = policies
            .iter()
            .map(|policy| {
                let estimates: Vec<Estimate> = values
                    .iter()
                    .map(|v| {
                        points.iter().find(|p| &p.value == v && &p.policy == policy).map_or(
                            Estimate {
                                mean: 0.0,
                                half_width: 0.0,
                            },
                            figure,
                        )
                    })
                    .collect();
                SweepLine {
                    policy: policy.clone(),
                    means: estimates.iter().map(|e| e.mean).collect(),
                    half_widths: estimates
                        .iter()
                        .map(|e| if e.half_width.is_finite() { e.half_width } else { 0.0 })
                        .collect(),
                }
            })
            .collect();
        let chart = SweepChart {
            title: format!("{title} vs {param} | scenario {scenario_name}"),
            x_desc: param.to_string(),
            y_desc: y_desc.to_string(),
            xs: &xs,
            x_labels: &labels,
            lines: &lines,
        };
        chart.render(dir, stem)?;
        let svg_path = dir.join(format!("{stem}.svg"));
        let svg = std::fs::read_to_string(&svg_path).map_err(|source| Error::Io {
            path: svg_path.clone(),
            source,
        })?;
        let start = svg.find("<svg").unwrap_or(0);
        html.push_str(&format!(
            "<h2>{}</h2>\n<figure id=\"{stem}\">\n{}\n</figure>\n",
            escape(title),
            svg[start..].trim_end()
        ));
    }
    html.push_str("<h2>Points</h2>\n<table>\n<tr><th>value</th><th>policy</th><th>runs</th><th>largest lag</th><th>steady lag</th><th>timed out</th><th>time above 100,000</th></tr>\n");
    for p in points {
        let pm = |e: Estimate, unit: &str| format!("{:.0} ± {:.0}{unit}", e.mean, e.half_width);
        html.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{:.2}% ± {:.2}</td><td class=\"num\">{}</td></tr>\n",
            escape(&p.value),
            escape(&p.policy),
            p.runs,
            pm(p.lag_max, ""),
            pm(p.lag_steady, ""),
            p.heartbeat_timeout_ratio.mean * 100.0,
            p.heartbeat_timeout_ratio.half_width * 100.0,
            pm(p.time_above_lag_100000_s, " s"),
        ));
    }
    html.push_str("</table>\n</body>\n</html>\n");
    let page = dir.join("sweep.html");
    atomic::write_bytes(&page, html.as_bytes())?;
    Ok(page)
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
    fn wilson_interval_matches_known_values() {
        // 0 of 10: [0, 0.2775]; 5 of 10: [0.2366, 0.7634] (Wilson 1927, z = 1.96).
        let (lo, hi) = wilson95(0, 10);
        assert!(lo == 0.0 && (hi - 0.2775).abs() < 1e-3, "{lo} {hi}");
        let (lo, hi) = wilson95(5, 10);
        assert!((lo - 0.2366).abs() < 1e-3 && (hi - 0.7634).abs() < 1e-3, "{lo} {hi}");
        assert_eq!(collapsed_text(3, 3), "3 of 3 seeds collapsed (95% CI 44–100%)");
    }

    #[test]
    fn end_share_reads_only_the_last_quarter() {
        let mut rows = vec![(10u64, 10u64); 30];
        rows.extend(vec![(0u64, 10u64); 10]);
        assert_eq!(end_failed_share(&rows), 0.0);
        rows.extend(vec![(9u64, 10u64); 40]);
        assert!((end_failed_share(&rows) - 0.9).abs() < 1e-12);
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
