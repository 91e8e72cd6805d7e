//! Command-line arguments (clap derive) and the commands that use them. No simulation logic:
//! validated requests go to the library; text goes to `out`.

use clap::{Parser, Subcommand};
use hbsim::compare::{self, CompareRequest};
use hbsim::error::{escape_control, Error};
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
    #[command(after_help = "Examples:
  hbsim replay scenarios/incident-2024-10.toml
  hbsim replay scenarios/incident-2024-10.toml --policy leaky --dump-at 25m --dump-at 1h30m
  hbsim replay my.toml --seed 7 --out /tmp/run --no-charts --stats

Policies: v4.6.0 (ReentrantLock, tryLock), leaky (= v4.9.8), fixed (= v4.9.x-pr8672, in no release), v5.0, v5.3.2, v5.3.3,\nv5.3.3-fcep, unreleased-a6e3bf2b62 (`hbsim policies` says what each stands for).")]
    Replay(ReplayArgs),
    /// Run one scenario under several policies and compare them side by side.
    #[command(after_help = "Examples:
  hbsim compare scenarios/incident-2024-10.toml            # leaky vs fixed, report.html
  hbsim compare scenarios/incident-2024-10.toml --policy v4.6.0 --policy leaky --policy v5.3.2
  hbsim compare my.toml --jobs 2 --out /tmp/cmp

Policies: v4.6.0 (ReentrantLock, tryLock), leaky (= v4.9.8), fixed (= v4.9.x-pr8672, in no release), v5.0, v5.3.2, v5.3.3,\nv5.3.3-fcep, unreleased-a6e3bf2b62 (`hbsim policies` says what each stands for).")]
    Compare(CompareArgs),
    /// Run scenarios and exit non-zero when a figure crosses a threshold of their [expect].
    #[command(after_help = "Examples:
  hbsim check                                   # every scenario under scenarios/
  hbsim check ci/scenarios/ --junit hbsim-junit.xml
  hbsim check ci/scenarios/ --baseline last-release-output/ --tolerance 10%")]
    Check(CheckArgs),
    /// Sweep one parameter (and seeds) to find where the broker tips over.
    #[command(after_help = "Examples:
  hbsim sweep scenarios/incident-2024-10.toml --param 'actions[0].count' --values 0,100,200 --seeds 3 --policy leaky
  hbsim sweep my.toml --param broker.close_cost_per_group --values 500ns,1us,2us
  hbsim sweep my.toml --param groups.initial --values 5000,15000 --shard 0/4   # then --merge DIR

A sweep interrupted with Ctrl-C keeps its finished runs (DIR/runs/); the same command again reuses them.

Policies: v4.6.0 (ReentrantLock, tryLock), leaky (= v4.9.8), fixed (= v4.9.x-pr8672, in no release), v5.0, v5.3.2, v5.3.3,\nv5.3.3-fcep, unreleased-a6e3bf2b62 (`hbsim policies` says what each stands for).")]
    Sweep(SweepArgs),
    /// List every policy: the RocketMQ versions it stands for, what it changes, its source.
    Policies,
    /// Is this broker at risk, and what to do: from its numbers or its jstack (exit 0 safe, 1 at risk, 2 bad input).
    Assess(crate::assess_cli::AssessArgs),
    /// Print a shell completion script, e.g. `hbsim completions bash > ~/.local/share/bash-completion/completions/hbsim`.
    #[command(after_help = "Examples:
  hbsim completions bash > ~/.local/share/bash-completion/completions/hbsim
  hbsim completions zsh > ~/.zfunc/_hbsim
  hbsim completions fish > ~/.config/fish/completions/hbsim.fish")]
    Completions(CompletionsArgs),
    /// Measure this host's JVM (the harness in calibration/jvm/) and write a calibration file.
    Calibrate(CalibrateArgs),
}

/// `hbsim completions`.
#[derive(clap::Args, Debug)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell.
    pub shell: clap_complete::Shell,
}

/// A seed: a whole number from 0 to 2^64 - 1 (a negative one gets a message saying so).
fn parse_seed(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    if trimmed.starts_with('-') {
        return Err(format!(
            "`{trimmed}` is negative; a seed is a whole number from 0 to {} (e.g. --seed 1)",
            u64::MAX
        ));
    }
    trimmed.parse().map_err(|_| {
        format!(
            "`{trimmed}` is not a whole number; a seed is a whole number from 0 to {} (e.g. --seed 1)",
            u64::MAX
        )
    })
}

/// `hbsim calibrate`.
#[derive(clap::Args, Debug)]
pub struct CalibrateArgs {
    /// Fewer repetitions: about 2 min 20 s on an idle 2-core host (measured 2026-12-04), under the 5-minute budget.
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
    /// Which walk cost becomes close_cost_per_group: hot (the incident's 15,742 groups walked back to back), cold (caches evicted between walks) or large (a million groups walked back to back, far beyond the caches) (default: cold with --cache-pressure, else hot).
    #[arg(long, value_name = "hot|cold|large")]
    pub table: Option<String>,
    /// With --table large: the table size to write the walk cost for, between the loop's walks of a million and of four million groups (default: a million).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub groups: Option<u64>,
    /// Fresh JVMs to time the heartbeat's settled cost in, the calibration's own included (a JVM runs it in one of two modes, about 1.4 or 2.5 µs on the validation host: two compilations of ConcurrentHashMap.putVal, which HotSpot may swap when it recompiles); the file names each one's, and heartbeat_cost is the first's (the calibration's own). About 1 s each.
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=9))]
    pub heartbeat_jvms: u32,
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
    /// A policy to run (repeatable): v4.6.0, leaky (= v4.9.8), fixed (= v4.9.x-pr8672, in no release), v5.0, v5.3.2, v5.3.3, v5.3.3-fcep, unreleased-a6e3bf2b62; default: the scenario's `policies`.
    #[arg(long = "policy", value_name = "P")]
    pub policies: Vec<String>,
    /// Replications per point (seeds seed, seed+1, ...).
    #[arg(long, default_value_t = 3)]
    pub seeds: u32,
    /// The first seed; default: the scenario's `seed`.
    #[arg(long, allow_hyphen_values = true, value_parser = parse_seed)]
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
    /// A second parameter: sweep the grid --values × --values2 and draw the collapse map.
    #[arg(long, value_name = "PATH", requires = "values2")]
    pub param2: Option<String>,
    /// Comma-separated values of --param2.
    #[arg(long, value_name = "V1,V2,...", value_delimiter = ',')]
    pub values2: Vec<String>,
    /// With --param2: mark a point on the collapse map, LABEL=X,Y (X in --param2's units, Y in
    /// --param's; durations or numbers), e.g. incident=15us,60us (repeatable).
    #[arg(long = "mark", value_name = "LABEL=X,Y")]
    pub marks: Vec<String>,
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
    /// A policy to run (repeatable): v4.6.0, leaky (= v4.9.8), fixed (= v4.9.x-pr8672, in no release), v5.0, v5.3.2, v5.3.3, v5.3.3-fcep, unreleased-a6e3bf2b62; default: replay runs the scenario's `policies`, compare runs leaky and fixed.
    #[arg(long = "policy", value_name = "P")]
    pub policies: Vec<String>,
    /// The master seed; default: the scenario's `seed`.
    #[arg(long, allow_hyphen_values = true, value_parser = parse_seed)]
    pub seed: Option<u64>,
    /// The output folder; default: output/<scenario name>/.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Take a thread dump at this virtual time (repeatable), written like scenario durations: 25m, 1h30m, 90s.
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
    #[arg(long, allow_hyphen_values = true, value_parser = parse_seed)]
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
    /// Exit 0 even when nothing is checked (no scenario files, or scenarios without [expect]).
    #[arg(long)]
    pub allow_empty: bool,
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
    /// Also write <policy>/holds.csv with every ProducerManager monitor hold: who asked for the
    /// monitor when, entered and left (the harness's --trace-holds format; read it with
    /// calibration/jvm/holds.py).
    #[arg(long)]
    pub trace_holds: bool,
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
        Command::Assess(assess) => crate::assess_cli::execute(assess, out),
        Command::Completions(args) => {
            use clap::CommandFactory;
            let mut command = Args::command();
            clap_complete::generate(args.shell, &mut command, "hbsim", out);
            Ok(0)
        }
        Command::Calibrate(calibrate) => execute_calibrate(calibrate, out),
        Command::Policies => {
            let mut text = String::new();
            for policy in Policy::ALL {
                text.push_str(&format!(
                    "{}\n  versions: {}\n  changes:  {}\n  source:   {}\n",
                    policy.name(),
                    policy.versions(),
                    policy.changes(),
                    policy.source()
                ));
            }
            text.push_str("aliases: v4.9.8 = leaky, v4.9.x-pr8672 = fixed\n");
            out.write_all(text.as_bytes()).map_err(|source| Error::Io {
                path: PathBuf::from("<stdout>"),
                source,
            })?;
            Ok(0)
        }
    }
}

/// Loads a scenario and prints its plausibility warnings on stderr.
fn load_scenario(path: &Path) -> Result<Scenario, Error> {
    let scenario = scenario::load(path)?;
    for warning in scenario::plausibility_warnings(&scenario) {
        eprintln!("hbsim: warning: {}: {warning}", path.display());
    }
    Ok(scenario)
}

/// A policy name from the command line, with a "did you mean" when it is unknown.
pub fn parse_policy(name: &str) -> Result<Policy, Error> {
    Policy::parse(name).ok_or_else(|| {
        if name == "v5.3.3-fast" {
            return Error::Usage(format!("--policy: {}", Policy::unknown_message(name)));
        }
        let known = Policy::ALL.iter().map(|p| p.name()).chain(["v4.9.8", "v4.9.x-pr8672"]);
        Error::Usage(format!(
            "--policy: unknown policy `{name}`{} (expected one of {})",
            hbsim::suggest::hint(name, known),
            Policy::names()
        ))
    })
}

/// Refuses an output folder that exists as a file (or under a file), before anything runs.
pub fn check_out_dir(dir: &Path) -> Result<(), Error> {
    for ancestor in dir.ancestors().filter(|a| !a.as_os_str().is_empty()) {
        if ancestor.exists() && !ancestor.is_dir() {
            let what = if ancestor == dir {
                format!("`{}` is a file, not a folder", dir.display())
            } else {
                format!("`{}` is a file, so `{}` cannot be a folder", ancestor.display(), dir.display())
            };
            return Err(Error::Output {
                path: dir.to_path_buf(),
                message: format!(
                    "cannot create the output folder: {what}; pass --out with a folder path (created if missing), or move the file away"
                ),
            });
        }
    }
    Ok(())
}

fn execute_calibrate(args: CalibrateArgs, out: &mut dyn Write) -> Result<i32, Failure> {
    use hbsim::calibrate::{self, CalibrateOptions, TableTemperature};
    let table = match args.table.as_deref() {
        None => None,
        Some(text) => {
            Some(TableTemperature::parse(text).ok_or_else(|| Error::Usage(format!("--table: `{text}` is not `hot`, `cold` or `large`")))?)
        }
    };
    if args.groups.is_some() && table != Some(TableTemperature::Large) {
        return Err(
            Error::Usage("--groups: applies to `--table large` only (the walk cost of a table far beyond the caches)".into()).into(),
        );
    }
    let options = CalibrateOptions {
        quick: args.quick,
        busy_threads: args.busy_threads,
        cache_pressure_mb: args.cache_pressure,
        table,
        groups: args.groups,
        heartbeat_jvms: args.heartbeat_jvms,
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
    if text.contains(calibrate::RETURN_UNSEEN_NOTE) {
        eprintln!(
            "hbsim: warning: the walker's own return under load was never seen (every won gap drained first): cpu_wait_displaced is an estimate, and a host whose walker comes back mid-drain looks the same (NOTE in {})",
            args.out.display()
        );
    }
    if let Some(measured) = doc.get("measured").and_then(serde_json::Value::as_object) {
        for key in ["wake_latency_us", "wake_latency_us_long_park"] {
            if let Some((p10, _, p90)) = calibrate::is_bimodal(measured, key) {
                eprintln!(
                    "hbsim: warning: {key} is bimodal on this host (p10 {p10:.0} us, p90 {p90:.0} us): a quick run's figures swing between runs; calibrate again and compare (NOTE in {})",
                    args.out.display()
                );
            }
        }
    }
    Ok(0)
}

/// Policies from the command line, or the scenario's own list.
pub fn resolve_policies(names: &[String], scenario: &Scenario) -> Result<Vec<Policy>, Error> {
    if names.is_empty() {
        return Ok(scenario.policies.clone());
    }
    let mut policies = Vec::new();
    for name in names {
        let policy = parse_policy(name)?;
        if !policies.contains(&policy) {
            policies.push(policy);
        }
    }
    Ok(policies)
}

/// `--dump-at` values as nanoseconds (written like scenario durations, e.g. `1h30m`); a time
/// past the end of the scenario is an error, since no dump could be taken there.
pub fn resolve_dump_times(values: &[String], scenario: &Scenario) -> Result<Vec<u64>, Error> {
    values
        .iter()
        .map(|v| {
            let ns = parse_duration(v).map_err(|e| Error::Usage(format!("--dump-at: {e}")))?;
            if ns > scenario.duration_ns {
                return Err(Error::Usage(format!(
                    "--dump-at {v}: past the end of the scenario `{}`, which lasts {}; give a time up to {}",
                    scenario.name,
                    hbsim::scenario::format_duration(scenario.duration_ns),
                    hbsim::scenario::format_duration(scenario.duration_ns)
                )));
            }
            Ok(ns)
        })
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
    let scenario = load_scenario(&args.run.scenario)?;
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
        dump_at_ns: resolve_dump_times(&args.run.dump_at, &scenario)?,
        extra_levels: Vec::new(),
        no_charts: args.run.no_charts,
        trace_kinds,
        trace_holds: args.trace_holds,
    };
    let dir = resolve_out(&args.run.out, &scenario);
    check_out_dir(&dir)?;
    // Everything is written into a staging folder and swapped into `dir` when complete.
    let set = hbsim::metrics::atomic::OutputSet::begin(&dir)?;
    let mut summaries = Vec::new();
    let progress = hbsim::progress::Progress::new(policies.len() as u64, "replay");
    for policy in policies {
        let started = std::time::Instant::now();
        let output = run::replay_policy(&scenario, policy, seed, set.path(), &options)?;
        progress.inc();
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
    progress.finish();
    report::write_report(&ReportInput {
        scenario: &scenario,
        scenario_path: &args.run.scenario,
        seed,
        dir: set.path(),
        summaries: &summaries,
        comparison: None,
        charts: !args.run.no_charts,
    })?;
    set.commit()?;
    writeln!(
        out,
        "scenario {} (seed {seed}) -> {}",
        escape_control(&scenario.name),
        dir.display()
    )?;
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
    let scenario = load_scenario(&args.run.scenario)?;
    let policies = if args.run.policies.is_empty() {
        vec![Policy::Leaky, Policy::Fixed]
    } else {
        resolve_policies(&args.run.policies, &scenario)?
    };
    let seed = args.run.seed.unwrap_or(scenario.seed);
    let dir = resolve_out(&args.run.out, &scenario);
    check_out_dir(&dir)?;
    // Everything is written into a staging folder and swapped into `dir` when complete.
    let set = hbsim::metrics::atomic::OutputSet::begin(&dir)?;
    let request = CompareRequest {
        scenario: &scenario,
        policies,
        seed,
        dir: set.path().to_path_buf(),
        options: RunOptions {
            dump_at_ns: resolve_dump_times(&args.run.dump_at, &scenario)?,
            no_charts: args.run.no_charts,
            ..RunOptions::default()
        },
        jobs: args.jobs.map(cap_jobs),
    };
    let comparison = compare::compare(&request)?;
    report::write_report(&ReportInput {
        scenario: &scenario,
        scenario_path: &args.run.scenario,
        seed,
        dir: set.path(),
        summaries: &comparison.summaries,
        comparison: Some(&comparison.table),
        charts: !args.run.no_charts,
    })?;
    set.commit()?;
    writeln!(
        out,
        "scenario {} (seed {seed}) -> {}",
        escape_control(&scenario.name),
        dir.display()
    )?;
    write!(out, "{}", compare::comparison_text(&comparison.table))?;
    writeln!(
        out,
        "wrote {} and {}",
        dir.join("comparison.csv").display(),
        dir.join("report.html").display()
    )?;
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
    let jobs = cap_jobs(jobs);
    // Output paths are checked before any simulation (exit 3), as the README promises.
    if let Some(path) = &args.junit {
        hbsim::check::check_junit_path(path)?;
    }
    let request = hbsim::check::CheckRequest {
        paths,
        seed: args.seed,
        jobs,
        baseline: args.baseline,
        tolerance: hbsim::check::parse_tolerance(&args.tolerance)?,
        allow_empty: args.allow_empty,
    };
    let verdicts = hbsim::check::check(&request)?;
    for verdict in &verdicts {
        writeln!(out, "{}", verdict.line())?;
    }
    let failed = verdicts.iter().filter(|v| !v.passed).count();
    writeln!(out, "{} passed, {failed} failed", verdicts.len() - failed)?;
    if verdicts.is_empty() {
        writeln!(out, "nothing was checked (--allow-empty)")?;
    }
    if let Some(path) = &args.junit {
        hbsim::check::write_junit(path, &verdicts)?;
    }
    Ok(if failed > 0 { 1 } else { 0 })
}

/// The most worker threads `--jobs` starts: runs are CPU-bound, so more threads than cores only
/// cost memory (a thread per job used to be started: `--jobs 10000` started 10,000 threads).
pub const MAX_JOBS: usize = 256;

/// `--jobs` capped at the available cores (at most [`MAX_JOBS`]), with a note on stderr when
/// it was capped. The cap does not change any output: results never depend on the job count.
fn cap_jobs(jobs: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_JOBS);
    if jobs > cores {
        eprintln!("hbsim: note: --jobs {jobs} capped to {cores} (the available cores)");
        cores
    } else {
        jobs
    }
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

/// `hbsim sweep --param2`: the 2-D grid, its k-of-n table and the collapse map per policy.
fn execute_sweep_grid(args: &SweepArgs, request: &hbsim::sweep::SweepRequest, dir: &Path, out: &mut dyn Write) -> Result<i32, Failure> {
    use hbsim::sweep;
    let (param2, values2) = request.grid.clone().unwrap_or_default();
    let mut marks = Vec::new();
    for mark in &args.marks {
        let bad = || {
            Error::Usage(format!(
                "--mark `{mark}`: expected LABEL=X,Y with X a value of {param2} and Y of {}",
                request.param
            ))
        };
        let (label, at) = mark.split_once('=').ok_or_else(bad)?;
        let (x, y) = at.split_once(',').ok_or_else(bad)?;
        let x = sweep::grid_position(&values2, x.trim()).ok_or_else(bad)?;
        let y = sweep::grid_position(&request.values, y.trim()).ok_or_else(bad)?;
        marks.push((label.to_string(), x, y));
    }
    let rows = sweep::sweep(request)?;
    sweep::write_runs(&dir.join("runs.csv"), &rows)?;
    let cells = sweep::grid_cells(&rows, values2.len());
    let axes = ((request.param.as_str(), &request.values[..]), (param2.as_str(), &values2[..]));
    sweep::write_grid(&dir.join("grid.csv"), &cells, axes.0, axes.1)?;
    write!(out, "{}", sweep::grid_text(&cells, axes.0, axes.1))?;
    let mut policies: Vec<String> = Vec::new();
    for c in &cells {
        if !policies.contains(&c.policy) {
            policies.push(c.policy.clone());
        }
    }
    for policy in &policies {
        let map = hbsim::metrics::charts::CollapseMap {
            title: format!(
                "{policy}: seeds collapsed (> {:.0}% heartbeats failed in the last quarter)",
                sweep::COLLAPSED_END_SHARE * 100.0
            ),
            param: axes.0,
            param2: axes.1,
            cells: cells
                .iter()
                .filter(|c| &c.policy == policy)
                .map(|c| (c.i, c.j, c.collapsed, c.runs))
                .collect(),
            marks: marks
                .iter()
                .map(|(label, x, y)| hbsim::metrics::charts::MapMark {
                    label: label.clone(),
                    x: *x,
                    y: *y,
                })
                .collect(),
        };
        hbsim::metrics::charts::draw_collapse_map(&map, dir, &format!("collapse-map-{policy}"))?;
    }
    writeln!(
        out,
        "wrote {}, {} and collapse-map-<policy>.png/.svg in {}",
        dir.join("runs.csv").display(),
        dir.join("grid.csv").display(),
        dir.display()
    )?;
    Ok(0)
}

fn execute_sweep(args: SweepArgs, out: &mut dyn Write) -> Result<i32, Failure> {
    use hbsim::sweep;
    if let Some(dir) = &args.merge {
        let rows = sweep::read_runs_checked(dir, Some(&args.scenario))?;
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
    let jobs = cap_jobs(jobs);
    if args.seeds == 0 || args.seeds > 1_000 {
        return Err(Error::Usage("--seeds must be between 1 and 1000".into()).into());
    }
    let shard = args.shard.as_deref().map(parse_shard).transpose()?;
    let scenario = load_scenario(&args.scenario)?;
    let dir = match &args.out {
        Some(dir) => dir.clone(),
        None => Path::new("output")
            .join(run::safe_component(&scenario.name))
            .join(run::safe_component(&format!("sweep-{param}"))),
    };
    check_out_dir(&dir)?;
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
        grid: args.param2.clone().map(|p| (p, args.values2.clone())),
        cache_dir: Some(dir.join("runs")),
    };
    if request.grid.is_some() && shard.is_none() {
        return execute_sweep_grid(&args, &request, &dir, out);
    }
    let meta = sweep::shard_meta(&request)?;
    let outcome = sweep::sweep_counted(&request)?;
    if outcome.reused > 0 {
        eprintln!(
            "hbsim: reused {} finished run(s) of an earlier sweep from {}",
            outcome.reused,
            dir.join("runs").display()
        );
    }
    let rows = outcome.rows;
    match shard {
        Some((i, n)) => {
            let path = dir.join(format!("runs-{i}-of-{n}.csv"));
            sweep::write_shard(&path, &meta, &rows)?;
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
            sweep::write_shard(&dir.join("runs.csv"), &meta, &rows)?;
            let points = sweep::aggregate(&rows);
            sweep::write_points(&dir.join("sweep.csv"), &points)?;
            let page = sweep::write_charts(&dir, &scenario.name, &request.param, &points)?;
            write!(out, "{}", sweep::points_text(&points))?;
            writeln!(
                out,
                "wrote {}, {} and {} (with the charts)",
                dir.join("runs.csv").display(),
                dir.join("sweep.csv").display(),
                page.display()
            )?;
        }
    }
    Ok(0)
}
