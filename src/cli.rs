//! Command-line arguments (clap derive) and the commands that use them. No simulation logic:
//! validated requests go to the library; text goes to `out`.

use clap::{Parser, Subcommand};
use hbsim::compare::{self, CompareRequest};
use hbsim::error::Error;
use hbsim::model::policy::Policy;
use hbsim::report::{self, ReportInput};
use hbsim::run::{self, RunOptions};
use hbsim::scenario::{self, parse_duration, Scenario};
use std::io::Write;
use std::path::{Path, PathBuf};

/// hbsim: replay RocketMQ broker heartbeat contention in virtual time.
#[derive(Parser, Debug)]
#[command(name = "hbsim", version, about, long_about = None)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Replay one scenario under each policy; write timeline, summary and thread dumps.
    Replay(ReplayArgs),
    /// Run one scenario under several policies and compare them side by side.
    Compare(CompareArgs),
    /// Run scenarios and exit non-zero when a figure crosses a threshold of their [expect].
    Check(CheckArgs),
    /// Sweep one parameter (and seeds) to find where the broker tips over.
    Sweep(SweepArgs),
    /// Measure this host's JVM (the harness in calibration/jvm/) and write a calibration file.
    Calibrate(CalibrateArgs),
}

/// `hbsim calibrate`.
#[derive(clap::Args, Debug)]
pub struct CalibrateArgs {
    /// Fewer repetitions: about 1 minute instead of 3 (measured on a loaded 2-core host).
    #[arg(long)]
    pub quick: bool,
    /// The calibration file to write.
    #[arg(long, value_name = "FILE", default_value = "output/calibration.toml")]
    pub out: PathBuf,
    /// Extra runnable spinning threads during the measurement (what a busy host adds).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub busy_threads: u32,
    /// A thread sweeping a buffer of this many MB during the measurement (cache pressure).
    #[arg(long, value_name = "MB", default_value_t = 0)]
    pub cache_pressure: u32,
    /// Which walk cost becomes close_cost_per_group: hot or cold (default: cold with --cache-pressure, else hot).
    #[arg(long, value_name = "hot|cold")]
    pub table: Option<String>,
    /// Do not run the JVM: write the calibration from a harness output recorded earlier (its JSON).
    #[arg(long, value_name = "FILE")]
    pub from_output: Option<PathBuf>,
}

/// `hbsim sweep`.
#[derive(clap::Args, Debug)]
pub struct SweepArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// Dotted path of the parameter in the scenario file, e.g. groups.initial, broker.close_cost_per_group, actions[0].count.
    #[arg(long, value_name = "PATH", required_unless_present = "merge")]
    pub param: Option<String>,
    /// Comma-separated values, written as in TOML (15742,30000 or "1us","2us" or 1us,2us).
    #[arg(long, value_name = "V1,V2,...", value_delimiter = ',')]
    pub values: Vec<String>,
    /// A policy to run (repeatable); default: the scenario's `policies`.
    #[arg(long = "policy", value_name = "P")]
    pub policies: Vec<String>,
    /// Replications per point (seeds seed, seed+1, ...).
    #[arg(long, default_value_t = 3)]
    pub seeds: u32,
    /// The first seed; default: the scenario's `seed`.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Parallel runs; default: all cores.
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Run only shard I of N (0-based), e.g. 2/8, and write runs-I-of-N.csv.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Output folder; default: output/<scenario name>/sweep-<param>/.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Do not simulate: aggregate the runs*.csv shards already in DIR.
    #[arg(long, value_name = "DIR")]
    pub merge: Option<PathBuf>,
}

/// `hbsim compare`.
#[derive(clap::Args, Debug)]
pub struct CompareArgs {
    /// What to run (compare's default policies: leaky and fixed).
    #[command(flatten)]
    pub run: RunArgs,
    /// Parallel runs; default: all cores.
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
}

/// What replay and compare share: the scenario, policies, seed, output folder, dumps, charts.
#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// A policy to run (repeatable); default: replay runs the scenario's `policies`, compare runs leaky and fixed.
    #[arg(long = "policy", value_name = "P")]
    pub policies: Vec<String>,
    /// The master seed; default: the scenario's `seed`.
    #[arg(long)]
    pub seed: Option<u64>,
    /// The output folder; default: output/<scenario name>/.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Take a thread dump at this virtual time (repeatable), e.g. 25m.
    #[arg(long = "dump-at", value_name = "TIME")]
    pub dump_at: Vec<String>,
    /// Do not draw charts (PNG/SVG); the report then has none.
    #[arg(long)]
    pub no_charts: bool,
}

/// `hbsim check`.
#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Scenario files or folders (default: scenarios/).
    pub paths: Vec<PathBuf>,
    /// Override every scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Write a JUnit XML report here.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Parallel runs; default: all cores.
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Compare with the summary.json files of an earlier run kept in DIR.
    #[arg(long, value_name = "DIR")]
    pub baseline: Option<PathBuf>,
    /// How much worse than the baseline a figure may get, e.g. 10%.
    #[arg(long, default_value = "10%")]
    pub tolerance: String,
}

/// `hbsim replay`.
#[derive(clap::Args, Debug)]
pub struct ReplayArgs {
    /// What to run.
    #[command(flatten)]
    pub run: RunArgs,
    /// Print events, wall time, events/s and peak memory on stderr.
    #[arg(long)]
    pub stats: bool,
    /// Also write <policy>/trace.csv with every handled event (for debugging a model).
    #[arg(long)]
    pub trace: bool,
    /// With --trace: only these event kinds (comma-separated), e.g. thread_step,monitor_wake.
    #[arg(long, value_name = "KINDS", value_delimiter = ',')]
    pub trace_kinds: Vec<String>,
}

/// Why a command did not finish normally.
pub enum Failure {
    /// An error to report.
    Hbsim(Error),
    /// stdout was closed by its reader.
    BrokenPipe,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure::Hbsim(error)
    }
}

impl From<std::io::Error> for Failure {
    fn from(error: std::io::Error) -> Failure {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            Failure::BrokenPipe
        } else {
            Failure::Hbsim(Error::Io {
                path: PathBuf::from("<stdout>"),
                source: error,
            })
        }
    }
}

/// Runs a command; returns the exit code.
pub fn execute(args: Args, out: &mut dyn Write) -> Result<i32, Failure> {
    match args.command {
        Command::Replay(replay) => execute_replay(replay, out),
        Command::Compare(compare) => execute_compare(compare, out),
        Command::Check(check) => execute_check(check, out),
        Command::Sweep(sweep) => execute_sweep(sweep, out),
        Command::Calibrate(calibrate) => execute_calibrate(calibrate, out),
    }
}

fn execute_calibrate(args: CalibrateArgs, out: &mut dyn Write) -> Result<i32, Failure> {
    use hbsim::calibrate::{self, CalibrateOptions, TableTemperature};
    let table = match args.table.as_deref() {
        None => None,
        Some(text) => {
            Some(TableTemperature::parse(text).ok_or_else(|| Error::Usage(format!("--table: `{text}` is neither `hot` nor `cold`")))?)
        }
    };
    let options = CalibrateOptions {
        quick: args.quick,
        busy_threads: args.busy_threads,
        cache_pressure_mb: args.cache_pressure,
        table,
    };
    let doc = match &args.from_output {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
            calibrate::parse_harness_output(&text).map_err(|e| match e {
                Error::Output { message, .. } => Error::Output {
                    path: path.clone(),
                    message,
                },
                other => other,
            })?
        }
        None => {
            let jdk = calibrate::find_jdk(std::env::var_os("PATH"), std::env::var_os("JAVA_HOME"))?;
            calibrate::calibrate(&jdk, &options)?
        }
    };
    let text = calibrate::calibration_toml(&doc, &options)?;
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    if args.from_output.is_none() {
        // The harness's own output beside the calibration, so `--from-output` can redo the file.
        let raw = args.out.with_extension("harness.json");
        let json = serde_json::to_string_pretty(&doc).expect("a JSON value serialises");
        hbsim::metrics::atomic::write_bytes(&raw, format!("{json}\n").as_bytes())?;
        writeln!(out, "wrote {}", raw.display())?;
    }
    hbsim::metrics::atomic::write_bytes(&args.out, text.as_bytes())?;
    writeln!(out, "wrote {}", args.out.display())?;
    Ok(0)
}

/// Policies from the command line, or the scenario's own list.
pub fn resolve_policies(names: &[String], scenario: &Scenario) -> Result<Vec<Policy>, Error> {
    if names.is_empty() {
        return Ok(scenario.policies.clone());
    }
    let mut policies = Vec::new();
    for name in names {
        let policy = Policy::parse(name)
            .ok_or_else(|| Error::Usage(format!("--policy: unknown policy `{name}` (expected one of {})", Policy::names())))?;
        if !policies.contains(&policy) {
            policies.push(policy);
        }
    }
    Ok(policies)
}

/// `--dump-at` values as nanoseconds.
pub fn resolve_dump_times(values: &[String]) -> Result<Vec<u64>, Error> {
    values
        .iter()
        .map(|v| parse_duration(v).map_err(|e| Error::Usage(format!("--dump-at: {e}"))))
        .collect()
}

/// The output folder: `--out`, or output/<sanitised scenario name>.
pub fn resolve_out(out: &Option<PathBuf>, scenario: &Scenario) -> PathBuf {
    match out {
        Some(dir) => dir.clone(),
        None => Path::new("output").join(run::safe_component(&scenario.name)),
    }
}

fn execute_replay(args: ReplayArgs, out: &mut dyn Write) -> Result<i32, Failure> {
    let scenario = scenario::load(&args.run.scenario)?;
    let policies = resolve_policies(&args.run.policies, &scenario)?;
    let seed = args.run.seed.unwrap_or(scenario.seed);
    let trace_kinds = if args.trace {
        Some(run::parse_trace_kinds(&args.trace_kinds)?)
    } else {
        None
    };
    if !args.trace && !args.trace_kinds.is_empty() {
        return Err(Error::Usage("--trace-kinds needs --trace".into()).into());
    }
    let options = RunOptions {
        dump_at_ns: resolve_dump_times(&args.run.dump_at)?,
        extra_levels: Vec::new(),
        no_charts: args.run.no_charts,
        trace_kinds,
    };
    let dir = resolve_out(&args.run.out, &scenario);
    run::prepare_dir(&dir)?;
    let mut summaries = Vec::new();
    for policy in policies {
        let started = std::time::Instant::now();
        let output = run::replay_policy(&scenario, policy, seed, &dir, &options)?;
        if args.stats {
            let wall = started.elapsed().as_secs_f64();
            let events = output.summary.events;
            eprintln!(
                "stats: policy {policy}: {events} events in {wall:.3}s wall = {:.2} M events/s; peak RSS {}",
                events as f64 / wall / 1e6,
                peak_rss().unwrap_or_else(|| "unknown".into())
            );
        }
        summaries.push(output.summary);
    }
    report::write_report(&ReportInput {
        scenario: &scenario,
        seed,
        dir: &dir,
        summaries: &summaries,
        comparison: None,
        charts: !args.run.no_charts,
    })?;
    writeln!(out, "scenario {} (seed {seed}) -> {}", scenario.name, dir.display())?;
    write!(out, "{}", hbsim::table::summary_table(&summaries))?;
    Ok(0)
}

/// Peak resident memory of this process (Linux `VmHWM`), for `--stats`.
pub fn peak_rss() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    Some(line.trim_start_matches("VmHWM:").trim().to_string())
}

fn execute_compare(args: CompareArgs, out: &mut dyn Write) -> Result<i32, Failure> {
    if args.jobs == Some(0) {
        return Err(Error::Usage("--jobs: must be at least 1".into()).into());
    }
    let scenario = scenario::load(&args.run.scenario)?;
    let policies = if args.run.policies.is_empty() {
        vec![Policy::Leaky, Policy::Fixed]
    } else {
        resolve_policies(&args.run.policies, &scenario)?
    };
    let seed = args.run.seed.unwrap_or(scenario.seed);
    let dir = resolve_out(&args.run.out, &scenario);
    let request = CompareRequest {
        scenario: &scenario,
        policies,
        seed,
        dir: dir.clone(),
        options: RunOptions {
            dump_at_ns: resolve_dump_times(&args.run.dump_at)?,
            no_charts: args.run.no_charts,
            ..RunOptions::default()
        },
        jobs: args.jobs,
    };
    let comparison = compare::compare(&request)?;
    let report = report::write_report(&ReportInput {
        scenario: &scenario,
        seed,
        dir: &dir,
        summaries: &comparison.summaries,
        comparison: Some(&comparison.table),
        charts: !args.run.no_charts,
    })?;
    writeln!(out, "scenario {} (seed {seed}) -> {}", scenario.name, dir.display())?;
    write!(out, "{}", compare::comparison_text(&comparison.table))?;
    writeln!(out, "wrote {} and {}", comparison.csv_path.display(), report.display())?;
    Ok(0)
}

fn execute_check(args: CheckArgs, out: &mut dyn Write) -> Result<i32, Failure> {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("scenarios")]
    } else {
        args.paths
    };
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if jobs == 0 {
        return Err(Error::Usage("--jobs must be at least 1".into()).into());
    }
    let request = hbsim::check::CheckRequest {
        paths,
        seed: args.seed,
        jobs,
        baseline: args.baseline,
        tolerance: hbsim::check::parse_tolerance(&args.tolerance)?,
    };
    let verdicts = hbsim::check::check(&request)?;
    for verdict in &verdicts {
        writeln!(out, "{}", verdict.line())?;
    }
    let failed = verdicts.iter().filter(|v| !v.passed).count();
    writeln!(out, "{} passed, {failed} failed", verdicts.len() - failed)?;
    if let Some(path) = &args.junit {
        hbsim::check::write_junit(path, &verdicts)?;
    }
    Ok(if failed > 0 { 1 } else { 0 })
}

fn parse_shard(text: &str) -> Result<(u32, u32), Error> {
    let bad = || Error::Usage(format!("--shard: `{text}` is not I/N with 0 <= I < N"));
    let (i, n) = text.split_once('/').ok_or_else(bad)?;
    let (i, n): (u32, u32) = (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
    if n == 0 || i >= n {
        return Err(bad());
    }
    Ok((i, n))
}

fn execute_sweep(args: SweepArgs, out: &mut dyn Write) -> Result<i32, Failure> {
    use hbsim::sweep;
    if let Some(dir) = &args.merge {
        let rows = sweep::read_runs(dir)?;
        let points = sweep::aggregate(&rows);
        sweep::write_points(&dir.join("sweep.csv"), &points)?;
        write!(out, "{}", sweep::points_text(&points))?;
        writeln!(out, "wrote {}", dir.join("sweep.csv").display())?;
        return Ok(0);
    }
    let param = args.param.clone().unwrap_or_default();
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if jobs == 0 {
        return Err(Error::Usage("--jobs must be at least 1".into()).into());
    }
    if args.seeds == 0 || args.seeds > 1_000 {
        return Err(Error::Usage("--seeds must be between 1 and 1000".into()).into());
    }
    let shard = args.shard.as_deref().map(parse_shard).transpose()?;
    let scenario = scenario::load(&args.scenario)?;
    let dir = match &args.out {
        Some(dir) => dir.clone(),
        None => Path::new("output")
            .join(run::safe_component(&scenario.name))
            .join(run::safe_component(&format!("sweep-{param}"))),
    };
    run::prepare_dir(&dir)?;
    let request = sweep::SweepRequest {
        scenario_path: args.scenario.clone(),
        param,
        values: args.values.clone(),
        policies: args.policies.clone(),
        seeds: args.seeds,
        seed: args.seed,
        jobs,
        shard,
    };
    let rows = sweep::sweep(&request)?;
    match shard {
        Some((i, n)) => {
            let path = dir.join(format!("runs-{i}-of-{n}.csv"));
            sweep::write_runs(&path, &rows)?;
            writeln!(
                out,
                "wrote {} ({} runs); merge the shards with: hbsim sweep {} --merge {}",
                path.display(),
                rows.len(),
                args.scenario.display(),
                dir.display()
            )?;
        }
        None => {
            sweep::write_runs(&dir.join("runs.csv"), &rows)?;
            let points = sweep::aggregate(&rows);
            sweep::write_points(&dir.join("sweep.csv"), &points)?;
            write!(out, "{}", sweep::points_text(&points))?;
            writeln!(
                out,
                "wrote {} and {}",
                dir.join("runs.csv").display(),
                dir.join("sweep.csv").display()
            )?;
        }
    }
    Ok(0)
}
