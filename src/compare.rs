//! `hbsim compare`: one scenario under several policies, each replayed into `DIR/<policy>/`
//! exactly as `replay` does, then the policies side by side: `comparison.csv`, the overlay charts
//! and `report.html`.
//!
//! Runs go in parallel on a local rayon pool, but nothing shared is written until every run has
//! finished, and then in the order the policies were given: the files do not depend on `--jobs`.

use crate::error::Error;
use crate::metrics::summary_out::Summary;
use crate::metrics::{atomic, charts};
use crate::model::policy::Policy;
use crate::run::{self, PolicyFiles, RunOptions};
use crate::scenario::Scenario;
use rayon::prelude::*;
use std::path::PathBuf;

/// What to compare.
pub struct CompareRequest<'a> {
    /// The scenario.
    pub scenario: &'a Scenario,
    /// The policies, in output order (no duplicates).
    pub policies: Vec<Policy>,
    /// The master seed.
    pub seed: u64,
    /// The output folder.
    pub dir: PathBuf,
    /// Options of every run (dump times, charts).
    pub options: RunOptions,
    /// Parallel runs; `None`: all cores.
    pub jobs: Option<usize>,
}

/// The comparison table: one row per policy.
#[derive(Clone, Debug, PartialEq)]
pub struct ComparisonTable {
    /// Column names.
    pub header: Vec<String>,
    /// One row per policy, in the request's order.
    pub rows: Vec<Vec<String>>,
}

/// What `compare` produced.
pub struct Comparison {
    /// The summaries, in the request's order.
    pub summaries: Vec<Summary>,
    /// The table written to `comparison.csv`.
    pub table: ComparisonTable,
    /// Where `comparison.csv` was written.
    pub csv_path: PathBuf,
}

/// Runs every policy, then writes `comparison.csv` and (unless charts are off) the overlay charts.
pub fn compare(request: &CompareRequest) -> Result<Comparison, Error> {
    run::prepare_dir(&request.dir)?;
    let threads = request.jobs.unwrap_or(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("hbsim-compare-{i}"))
        .build()
        .map_err(|e| Error::Usage(format!("--jobs: cannot start {threads} worker threads: {e}")))?;
    // `collect` keeps the request's order whatever order the runs finish in.
    let progress = crate::progress::Progress::new(request.policies.len() as u64, "compare");
    let results: Vec<Result<Summary, Error>> = pool.install(|| {
        request
            .policies
            .par_iter()
            .map(|&policy| {
                let result =
                    run::replay_policy(request.scenario, policy, request.seed, &request.dir, &request.options).map(|output| output.summary);
                progress.inc();
                result
            })
            .collect()
    });
    progress.finish();
    let summaries = results.into_iter().collect::<Result<Vec<Summary>, Error>>()?;
    let table = comparison_table(&summaries);
    let csv_path = request.dir.join("comparison.csv");
    atomic::write_bytes(&csv_path, comparison_csv(&table)?.as_bytes())?;
    if !request.options.no_charts {
        let runs: Vec<(String, PathBuf)> = request
            .policies
            .iter()
            .map(|&policy| (policy.name().to_string(), PolicyFiles::new(&request.dir, policy).timeline))
            .collect();
        charts::draw_compare_charts(request.scenario, request.seed, &runs, &request.dir)?;
    }
    Ok(Comparison {
        summaries,
        table,
        csv_path,
    })
}

/// The lag levels of a summary, in numeric order (the map's keys sort as text).
fn lag_levels(summary: &Summary) -> Vec<(u64, String)> {
    let mut levels: Vec<(u64, String)> = summary
        .time_above_lag_s
        .keys()
        .map(|key| (key.parse::<u64>().unwrap_or(u64::MAX), key.clone()))
        .collect();
    levels.sort();
    levels
}

/// One row per summary: lag, time above each lag level, timeouts, consumers, table, monitor.
pub fn comparison_table(summaries: &[Summary]) -> ComparisonTable {
    let levels = summaries.first().map(lag_levels).unwrap_or_default();
    let mut header: Vec<String> = vec!["policy".into(), "lag_max".into(), "lag_final".into()];
    header.extend(levels.iter().map(|(_, key)| format!("time_above_lag_{key}_s")));
    header.extend(
        [
            "heartbeat_timeout_ratio",
            "consumers_registered_min",
            "groups_in_table_final",
            "monitor_utilization",
        ]
        .map(String::from),
    );
    let rows = summaries
        .iter()
        .map(|s| {
            let mut row = vec![s.policy.clone(), s.lag_max.to_string(), s.lag_final.to_string()];
            row.extend(
                levels
                    .iter()
                    .map(|(_, key)| format!("{:.3}", s.time_above_lag_s.get(key).copied().unwrap_or(0.0))),
            );
            row.push(format!("{:.6}", s.heartbeat_timeout_ratio));
            row.push(s.consumers_registered_min.to_string());
            row.push(s.groups_in_table_final.to_string());
            row.push(format!("{:.6}", s.monitor_utilization));
            row
        })
        .collect();
    ComparisonTable { header, rows }
}

/// The table as CSV text (comma, `\n`, quoting only where needed).
pub fn comparison_csv(table: &ComparisonTable) -> Result<String, Error> {
    let to_error = |e: csv::Error| Error::Io {
        path: PathBuf::from("comparison.csv"),
        source: std::io::Error::other(e.to_string()),
    };
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b',')
        .quote_style(csv::QuoteStyle::Necessary)
        .terminator(csv::Terminator::Any(b'\n'))
        .has_headers(false)
        .from_writer(Vec::new());
    writer.write_record(&table.header).map_err(to_error)?;
    for row in &table.rows {
        writer.write_record(row).map_err(to_error)?;
    }
    let bytes = writer.into_inner().map_err(|e| Error::Io {
        path: PathBuf::from("comparison.csv"),
        source: e.into_error(),
    })?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The table aligned for a terminal (numbers right-aligned).
pub fn comparison_text(table: &ComparisonTable) -> String {
    let widths: Vec<usize> = (0..table.header.len())
        .map(|c| {
            table
                .rows
                .iter()
                .map(|r| r.get(c).map_or(0, String::len))
                .chain(std::iter::once(table.header[c].len()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in std::iter::once(&table.header).chain(table.rows.iter()) {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, cell)| {
                if c == 0 {
                    format!("{cell:<w$}", w = widths[c])
                } else {
                    format!("{cell:>w$}", w = widths[c])
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}
