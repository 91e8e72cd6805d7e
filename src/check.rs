//! `hbsim check`: runs scenarios and compares their figures with the `[expect]` thresholds
//! (and optionally with a baseline run). Pure logic: the caller prints the lines and picks the
//! exit code. Results come out in the same order whatever the number of jobs.

use crate::error::Error;
use crate::metrics::atomic;
use crate::metrics::summary_out::Summary;
use crate::model::policy::Policy;
use crate::run::{self, RunOptions};
use crate::scenario::expect::{action_name, Threshold};
use crate::scenario::{self, Scenario};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// One verdict line.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub scenario: String,
    pub policy: String,
    /// The threshold key, or `baseline:<figure>`.
    pub check: String,
    pub measured: String,
    pub threshold: String,
    pub passed: bool,
}

impl Verdict {
    /// `PASS scenario policy check: measured vs threshold`.
    pub fn line(&self) -> String {
        let word = if self.passed { "PASS" } else { "FAIL" };
        let line = format!(
            "{word} {} {} {}: measured {} (threshold {})",
            self.scenario, self.policy, self.check, self.measured, self.threshold
        );
        crate::error::escape_control(&line)
    }
}

/// What to check.
pub struct CheckRequest {
    pub paths: Vec<PathBuf>,
    pub seed: Option<u64>,
    pub jobs: usize,
    pub baseline: Option<PathBuf>,
    /// Allowed worsening against the baseline, as a fraction (0.1 = 10%).
    pub tolerance: f64,
    /// Succeed even when there is nothing to check (no scenario files, or none with `[expect]`).
    pub allow_empty: bool,
}

/// The scenario files under `paths` (folders: their `*.toml`, sorted), in the order given.
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let mut files = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        if meta.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|source| Error::Io {
                    path: path.clone(),
                    source,
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

/// Parses `10%` or `0.1` into a fraction.
pub fn parse_tolerance(text: &str) -> Result<f64, Error> {
    let bad = || Error::Usage(format!("--tolerance: `{text}` is not a percentage such as 10%"));
    let value = match text.trim().strip_suffix('%') {
        Some(pct) => pct.trim().parse::<f64>().map_err(|_| bad())? / 100.0,
        None => text.trim().parse::<f64>().map_err(|_| bad())?,
    };
    if !value.is_finite() || value < 0.0 {
        return Err(bad());
    }
    Ok(value)
}

/// One run to do.
struct Job<'a> {
    scenario: &'a Scenario,
    policy: Policy,
    seed: u64,
}

/// A run's result: its summary and its lag series (time, lag) for recovery checks.
struct RunResult {
    summary: Summary,
    lag: Vec<(u64, u64)>,
}

fn run_job(job: &Job) -> Result<RunResult, Error> {
    let mut lag = Vec::new();
    let levels: Vec<u64> = job.scenario.expect.for_policy(job.policy).iter().filter_map(level_of).collect();
    let options = RunOptions {
        extra_levels: levels,
        ..RunOptions::default()
    };
    let output = run::simulate(job.scenario, job.policy, job.seed, &options, &mut |rows| {
        lag.extend(rows.iter().map(|r| (r.time_ns, r.lag_total)));
        Ok(())
    })?;
    Ok(RunResult {
        summary: output.summary,
        lag,
    })
}

fn level_of(t: &Threshold) -> Option<u64> {
    match t {
        Threshold::TimeAboveLagBelow { level, .. } | Threshold::TimeAboveLagAbove { level, .. } => Some(*level),
        _ => None,
    }
}

/// Runs every scenario under `paths` and returns the verdicts in file × policy × threshold order.
pub fn check(request: &CheckRequest) -> Result<Vec<Verdict>, Error> {
    let files = collect_files(&request.paths)?;
    if files.is_empty() {
        if request.allow_empty {
            return Ok(Vec::new());
        }
        return Err(Error::Usage(format!(
            "check: no scenario files (*.toml) found in {}: nothing would be checked; pass --allow-empty if that is expected",
            request.paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        )));
    }
    if let Some(dir) = &request.baseline {
        check_baseline_dir(dir)?;
    }
    // Load everything first: a bad file is reported before any run starts.
    let mut scenarios = Vec::new();
    let mut problems: Vec<Error> = Vec::new();
    for file in &files {
        match scenario::load(file) {
            Ok(s) => scenarios.push(s),
            Err(e) => problems.push(e),
        }
    }
    if let Some(first) = problems.into_iter().next() {
        return Err(first);
    }
    // A gate that checks nothing must not pass by accident.
    let unchecked: Vec<&PathBuf> = files
        .iter()
        .zip(&scenarios)
        .filter(|(_, s)| s.expect.policies(&s.policies).is_empty())
        .map(|(f, _)| f)
        .collect();
    if !unchecked.is_empty() && !request.allow_empty {
        return Err(Error::Usage(format!(
            "check: {} ha{} no [expect] thresholds, so {} would pass without checking anything; add [expect] or pass --allow-empty",
            unchecked.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "),
            if unchecked.len() == 1 { "s" } else { "ve" },
            if unchecked.len() == 1 { "it" } else { "they" }
        )));
    }
    // Every baseline summary is read and matched with its scenario before any run starts.
    let mut baselines: Vec<Summary> = Vec::new();
    if let Some(dir) = &request.baseline {
        check_baseline_has(dir, &scenarios)?;
        for s in &scenarios {
            for policy in s.expect.policies(&s.policies) {
                baselines.push(read_baseline(s, policy, dir)?);
            }
        }
    }
    let mut baselines = baselines.into_iter();
    let mut jobs = Vec::new();
    for s in &scenarios {
        let base_seed = request.seed.unwrap_or(s.seed);
        for policy in s.expect.policies(&s.policies) {
            for r in 0..s.expect.replications {
                jobs.push(Job {
                    scenario: s,
                    policy,
                    seed: base_seed.wrapping_add(u64::from(r)),
                });
            }
        }
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(request.jobs.max(1))
        .build()
        .map_err(|e| Error::Usage(format!("--jobs: {e}")))?;
    let progress = crate::progress::Progress::new(jobs.len() as u64, "check");
    let results: Vec<Result<RunResult, Error>> = pool.install(|| {
        jobs.par_iter()
            .map(|job| {
                let result = run_job(job);
                progress.inc();
                result
            })
            .collect()
    });
    progress.finish();
    let mut verdicts = Vec::new();
    let mut index = 0;
    for s in &scenarios {
        for policy in s.expect.policies(&s.policies) {
            let n = s.expect.replications as usize;
            let mut runs = Vec::with_capacity(n);
            for result in &results[index..index + n] {
                match result {
                    Ok(r) => runs.push(r),
                    Err(e) => return Err(clone_error(e)),
                }
            }
            index += n;
            for threshold in s.expect.for_policy(policy) {
                verdicts.push(evaluate(s, policy, &threshold, &runs));
            }
            if let Some(base) = baselines.next() {
                verdicts.extend(compare_baseline(s, policy, &runs[0].summary, &base, request.tolerance));
            }
        }
    }
    Ok(verdicts)
}

/// Before any run: every scenario × policy to check has a summary in the baseline folder, or the
/// message names what is missing, where it was looked for and how to make it.
fn check_baseline_has(dir: &Path, scenarios: &[Scenario]) -> Result<(), Error> {
    let mut missing = Vec::new();
    for s in scenarios {
        for policy in s.expect.policies(&s.policies) {
            let path = baseline_path(dir, &s.name, policy);
            if !path.is_file() {
                missing.push(format!("scenario `{}` policy {} ({})", s.name, policy.name(), path.display()));
            }
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::Output {
        path: dir.to_path_buf(),
        message: format!(
        "--baseline: no baseline for {}; the baseline folder must hold <scenario>/<policy>/summary.json as `hbsim compare SCENARIO --policy P --out {}/<scenario>` writes it: add the missing runs, or check this scenario without --baseline",
        missing.join(", "),
        dir.display()
    ),
    })
}

fn clone_error(error: &Error) -> Error {
    match error {
        Error::MaxEvents {
            scenario,
            policy,
            seed,
            max_events,
            at_s,
        } => Error::MaxEvents {
            scenario: scenario.clone(),
            policy: policy.clone(),
            seed: *seed,
            max_events: *max_events,
            at_s: *at_s,
        },
        Error::Interrupted => Error::Interrupted,
        other => Error::Usage(other.to_string()),
    }
}

/// Student t quantiles (two-sided 95%) for n-1 degrees of freedom, n = 2..=30; normal beyond.
pub fn t95(n: usize) -> f64 {
    const T: [f64; 29] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101,
        2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045,
    ];
    if n < 2 {
        0.0
    } else if n - 2 < T.len() {
        T[n - 2]
    } else {
        1.96
    }
}

/// The figure a threshold looks at, per run.
fn measure(threshold: &Threshold, run: &RunResult, scenario: &Scenario) -> f64 {
    let s = &run.summary;
    match threshold {
        Threshold::LagMaxBelow(_) | Threshold::LagMaxAbove(_) => s.lag_max as f64,
        Threshold::LagFinalBelow(_) | Threshold::LagFinalAbove(_) => s.lag_final as f64,
        Threshold::TimeAboveLagBelow { level, .. } | Threshold::TimeAboveLagAbove { level, .. } => {
            s.time_above_lag_s.get(&level.to_string()).copied().unwrap_or(0.0)
        }
        Threshold::HeartbeatTimeoutRatioBelow(_) | Threshold::HeartbeatTimeoutRatioAbove(_) => s.heartbeat_timeout_ratio,
        Threshold::ConsumersRegisteredMinAtLeast(_) => f64::from(s.consumers_registered_min),
        Threshold::RecoversWithin { after, level, .. } => recovery_seconds(scenario, after, *level, &run.lag),
        Threshold::BrokerLagMaxAbove { brokers, .. } => brokers.iter().map(|b| broker_lag_max(s, *b)).fold(f64::INFINITY, f64::min),
        Threshold::BrokerLagMaxBelow { brokers, .. } => brokers.iter().map(|b| broker_lag_max(s, *b)).fold(0.0, f64::max),
    }
}

/// The maximum lag on broker `b`'s queues (0 for a summary without per-broker figures).
fn broker_lag_max(s: &crate::metrics::summary_out::Summary, b: u32) -> f64 {
    s.brokers.get(b as usize).map_or(0.0, |x| x.lag_max as f64)
}

/// Seconds from the first action named `after` until lag is at or below `level` (infinite if
/// it never is).
fn recovery_seconds(scenario: &Scenario, after: &str, level: u64, lag: &[(u64, u64)]) -> f64 {
    let Some(action) = scenario.actions.iter().find(|a| action_name(&a.kind) == after || a.label == after) else {
        return f64::INFINITY;
    };
    lag.iter()
        .find(|(t, l)| *t >= action.at_ns && *l <= level)
        .map_or(f64::INFINITY, |(t, _)| (t - action.at_ns) as f64 / 1e9)
}

fn evaluate(scenario: &Scenario, policy: Policy, threshold: &Threshold, runs: &[&RunResult]) -> Verdict {
    let values: Vec<f64> = runs.iter().map(|r| measure(threshold, r, scenario)).collect();
    let n = values.len();
    let mean = values.iter().sum::<f64>() / n as f64;
    // With replications, the bound that must hold is the 95% confidence bound of the mean on the
    // unfavourable side: the upper bound for "below", the lower bound for "above".
    let half_width = if n >= 2 && mean.is_finite() {
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        t95(n) * (var / n as f64).sqrt()
    } else {
        0.0
    };
    let checked = if threshold.wants_high() {
        mean - half_width
    } else {
        mean + half_width
    };
    let (passed, bound) = match threshold {
        Threshold::LagMaxBelow(b) | Threshold::LagFinalBelow(b) | Threshold::HeartbeatTimeoutRatioBelow(b) => {
            (checked < *b, format!("< {}", fmt(*b)))
        }
        Threshold::LagMaxAbove(b) | Threshold::LagFinalAbove(b) | Threshold::HeartbeatTimeoutRatioAbove(b) => {
            (checked > *b, format!("> {}", fmt(*b)))
        }
        Threshold::ConsumersRegisteredMinAtLeast(b) => (checked >= *b, format!(">= {}", fmt(*b))),
        Threshold::TimeAboveLagBelow { level, seconds } => (checked < *seconds, format!("< {}s above lag {level}", fmt(*seconds))),
        Threshold::TimeAboveLagAbove { level, seconds } => (checked > *seconds, format!("> {}s above lag {level}", fmt(*seconds))),
        Threshold::RecoversWithin { after, within_ns, level } => {
            let within = *within_ns as f64 / 1e9;
            (checked <= within, format!("lag <= {level} within {}s after {after}", fmt(within)))
        }
        Threshold::BrokerLagMaxAbove { brokers, level } => (checked > *level, format!("> {} on each of brokers {brokers:?}", fmt(*level))),
        Threshold::BrokerLagMaxBelow { brokers, level } => (checked < *level, format!("< {} on each of brokers {brokers:?}", fmt(*level))),
    };
    let measured = if n >= 2 {
        format!("{} (mean of {n} runs, 95% bound {})", fmt(mean), fmt(checked))
    } else if matches!(threshold, Threshold::RecoversWithin { .. }) {
        if checked.is_finite() {
            format!("{}s", fmt(checked))
        } else {
            "never".into()
        }
    } else {
        fmt(checked)
    };
    Verdict {
        scenario: scenario.name.clone(),
        policy: policy.name().into(),
        check: threshold.key().into(),
        measured,
        threshold: bound,
        passed,
    }
}

fn fmt(value: f64) -> String {
    if !value.is_finite() {
        return "inf".into();
    }
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        format!("{value:.4}")
    }
}

/// Figures compared with a baseline: (name, higher is worse).
const BASELINE_FIGURES: &[(&str, bool)] = &[
    ("lag_max", true),
    ("lag_final", true),
    ("lag_mean", true),
    ("heartbeat_timeout_ratio", true),
    ("groups_in_table_max", true),
    ("monitor_utilization", true),
    ("netty_events_dropped", true),
    ("consumers_registered_min", false),
];

fn figure(summary: &Summary, name: &str) -> f64 {
    match name {
        "lag_max" => summary.lag_max as f64,
        "lag_final" => summary.lag_final as f64,
        "lag_mean" => summary.lag_mean,
        "heartbeat_timeout_ratio" => summary.heartbeat_timeout_ratio,
        "groups_in_table_max" => summary.groups_in_table_max as f64,
        "monitor_utilization" => summary.monitor_utilization,
        "netty_events_dropped" => summary.netty_events_dropped as f64,
        "consumers_registered_min" => f64::from(summary.consumers_registered_min),
        other => unreachable!("unknown baseline figure {other}"),
    }
}

/// Where a baseline keeps a run's summary: `<dir>/<scenario>/<policy>/summary.json` (the layout
/// `replay`, `compare` and `check --out` write).
pub fn baseline_path(dir: &Path, scenario: &str, policy: Policy) -> PathBuf {
    dir.join(run::safe_component(scenario)).join(policy.name()).join("summary.json")
}

/// The baseline folder must exist and be a folder (exit 3 before any run).
fn check_baseline_dir(dir: &Path) -> Result<(), Error> {
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(Error::Output {
            path: dir.to_path_buf(),
            message: "--baseline: not a folder".into(),
        }),
        Err(e) => Err(Error::Output {
            path: dir.to_path_buf(),
            message: format!("--baseline: cannot read the folder: {e}"),
        }),
    }
}

/// Reads the baseline summary of (scenario, policy) and refuses one of another scenario (its
/// file hash differs) or another policy: comparing those would pass or fail by accident.
fn read_baseline(scenario: &Scenario, policy: Policy, dir: &Path) -> Result<Summary, Error> {
    let path = baseline_path(dir, &scenario.name, policy);
    let base = Summary::read(&path).map_err(|e| match e {
        Error::Io { path, source } => Error::Output {
            path,
            message: format!("--baseline: cannot read the baseline summary: {source}"),
        },
        other => other,
    })?;
    let hash = format!("{:016x}", scenario.source_hash);
    let mut problems = Vec::new();
    if base.policy != policy.name() {
        problems.push(format!("it is a run of policy `{}`, not `{}`", base.policy, policy.name()));
    }
    if base.scenario_hash != hash {
        problems.push(format!(
            "it is a run of another scenario file (scenario_hash {}, the file now hashes to {hash}): rerun the baseline with this file",
            base.scenario_hash
        ));
    }
    if problems.is_empty() {
        Ok(base)
    } else {
        Err(Error::Scenario {
            path,
            problems: problems.into_iter().map(|p| format!("--baseline: {p}")).collect(),
        })
    }
}

/// `--junit FILE` must be writable before any run starts (exit 3 otherwise): its folder exists
/// and takes a file, and FILE is not a folder.
pub fn check_junit_path(path: &Path) -> Result<(), Error> {
    let fail = |message: String| Error::Output {
        path: path.to_path_buf(),
        message: format!("--junit: {message}"),
    };
    if std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        return Err(fail("is a folder, not a file".into()));
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    match std::fs::metadata(parent) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Err(fail(format!("{} is not a folder", parent.display()))),
        Err(e) => return Err(fail(format!("its folder {} cannot be used: {e}", parent.display()))),
    }
    atomic::probe_dir(parent).map_err(|e| fail(format!("cannot write in {}: {e}", parent.display())))
}

fn compare_baseline(scenario: &Scenario, policy: Policy, now: &Summary, base: &Summary, tolerance: f64) -> Vec<Verdict> {
    let mut verdicts = Vec::new();
    for (name, higher_is_worse) in BASELINE_FIGURES {
        let (b, n) = (figure(base, name), figure(now, name));
        let passed = if *higher_is_worse {
            n <= b * (1.0 + tolerance)
        } else {
            n >= b * (1.0 - tolerance)
        };
        let sign = if *higher_is_worse { "<=" } else { ">=" };
        verdicts.push(Verdict {
            scenario: scenario.name.clone(),
            policy: policy.name().into(),
            check: format!("baseline:{name}"),
            measured: fmt(n),
            threshold: format!(
                "{sign} baseline {} {} {}%",
                fmt(b),
                if *higher_is_worse { "+" } else { "-" },
                fmt(tolerance * 100.0)
            ),
            passed,
        });
    }
    verdicts
}

/// A JUnit XML report: one testsuite per scenario, one testcase per policy × threshold.
pub fn junit_xml(verdicts: &[Verdict]) -> String {
    let mut suites: Vec<(&str, Vec<&Verdict>)> = Vec::new();
    for v in verdicts {
        match suites.iter_mut().find(|(name, _)| *name == v.scenario) {
            Some((_, list)) => list.push(v),
            None => suites.push((&v.scenario, vec![v])),
        }
    }
    let failures = verdicts.iter().filter(|v| !v.passed).count();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml.push_str(&format!(
        "<testsuites name=\"hbsim check\" tests=\"{}\" failures=\"{failures}\" errors=\"0\">\n",
        verdicts.len()
    ));
    for (name, list) in suites {
        let f = list.iter().filter(|v| !v.passed).count();
        xml.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{f}\" errors=\"0\" skipped=\"0\">\n",
            escape(name),
            list.len()
        ));
        for v in list {
            xml.push_str(&format!(
                "    <testcase classname=\"{}.{}\" name=\"{}\"",
                escape(&v.scenario),
                escape(&v.policy),
                escape(&v.check)
            ));
            if v.passed {
                // A passing case carries what was measured and against what, like a failing one.
                xml.push_str(&format!(
                    ">\n      <properties>\n        <property name=\"measured\" value=\"{}\"/>\n        <property name=\"threshold\" value=\"{}\"/>\n      </properties>\n      <system-out>{}</system-out>\n    </testcase>\n",
                    escape(&v.measured),
                    escape(&v.threshold),
                    escape(&v.line())
                ));
            } else {
                let message = format!("{} {}: measured {}, threshold {}", v.policy, v.check, v.measured, v.threshold);
                xml.push_str(&format!(
                    ">\n      <properties>\n        <property name=\"measured\" value=\"{}\"/>\n        <property name=\"threshold\" value=\"{}\"/>\n      </properties>\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                    escape(&v.measured),
                    escape(&v.threshold),
                    escape(&message),
                    escape(&v.line())
                ));
            }
        }
        xml.push_str("  </testsuite>\n");
    }
    xml.push_str("</testsuites>\n");
    xml
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// Writes the JUnit report atomically.
pub fn write_junit(path: &Path, verdicts: &[Verdict]) -> Result<(), Error> {
    atomic::write_bytes(path, junit_xml(verdicts).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerance_parses() {
        assert_eq!(parse_tolerance("10%").unwrap(), 0.1);
        assert_eq!(parse_tolerance("0.25").unwrap(), 0.25);
        assert!(parse_tolerance("ten").is_err());
        assert!(parse_tolerance("-5%").is_err());
    }

    #[test]
    fn junit_escapes_and_counts() {
        let v = Verdict {
            scenario: "a<b".into(),
            policy: "leaky".into(),
            check: "lag_max_below".into(),
            measured: "5".into(),
            threshold: "< 3".into(),
            passed: false,
        };
        let xml = junit_xml(&[v.clone(), Verdict { passed: true, ..v }]);
        assert!(xml.contains("tests=\"2\" failures=\"1\""));
        assert!(xml.contains("a&lt;b"));
    }
}
