//! Runs one scenario under one policy: builds the world, drives the engine in chunks, streams the
//! timeline to its sink, and returns the summary and thread dumps. No printing here.

use crate::engine::{self, Ctx, SimTime, Stop};
use crate::error::Error;
use crate::metrics::csv_out::TimelineWriter;
use crate::metrics::dump_out::format_dumps;
use crate::metrics::summary_out::{RunMeta, Summary};
use crate::metrics::{atomic, charts, Sample};
use crate::model::policy::Policy;
use crate::model::{ThreadDump, World};
use crate::scenario::Scenario;
use std::path::{Path, PathBuf};

/// What one run produced (besides the streamed timeline).
pub struct RunOutput {
    pub summary: Summary,
    pub dumps: Vec<ThreadDump>,
    pub peak_dump: Option<ThreadDump>,
}

/// Options of one run.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Extra dump times [ns] (from `--dump-at`).
    pub dump_at_ns: Vec<u64>,
    /// Extra lag levels whose time-above is reported.
    pub extra_levels: Vec<u64>,
    /// Skip the PNG/SVG charts (`--no-charts`).
    pub no_charts: bool,
    /// Write `trace.csv` with every handled event of these kinds (bit k = kind k of
    /// `model::EVENT_KIND_NAMES`); `None` = no trace.
    pub trace_kinds: Option<u32>,
    /// Write `holds.csv` with every ProducerManager monitor hold (`--trace-holds`).
    pub trace_holds: bool,
}

/// Parses `--trace-kinds` (comma-separated kind names, or `all`) into a kind mask.
pub fn parse_trace_kinds(names: &[String]) -> Result<u32, Error> {
    if names.is_empty() || names.iter().any(|n| n == "all") {
        return Ok(u32::MAX);
    }
    let mut mask = 0u32;
    for name in names {
        let k = crate::model::EVENT_KIND_NAMES.iter().position(|n| n == name).ok_or_else(|| {
            Error::Usage(format!(
                "--trace-kinds: unknown event kind `{name}` (expected all or one of {})",
                crate::model::EVENT_KIND_NAMES.join(", ")
            ))
        })?;
        mask |= 1 << k;
    }
    Ok(mask)
}

/// Where traced events go while a run goes on.
pub type TraceSink<'a> = &'a mut dyn FnMut(&[(u64, crate::model::Event)]) -> Result<(), Error>;

/// Where traced monitor holds go while a run goes on.
pub type HoldSink<'a> = &'a mut dyn FnMut(&[crate::model::Hold]) -> Result<(), Error>;

/// The traces a run hands on as it goes (none by default).
#[derive(Default)]
pub struct Traces<'a> {
    /// Handled events of `RunOptions::trace_kinds`.
    pub events: Option<TraceSink<'a>>,
    /// Every monitor hold.
    pub holds: Option<HoldSink<'a>>,
}

/// Samples handed to the sink per chunk of simulated time.
const CHUNK_SAMPLES: u64 = 1_024;

/// Simulates `scenario` under `policy` with `seed`; every timeline row goes to `sink` in order.
pub fn simulate(
    scenario: &Scenario,
    policy: Policy,
    seed: u64,
    options: &RunOptions,
    sink: &mut dyn FnMut(&[Sample]) -> Result<(), Error>,
) -> Result<RunOutput, Error> {
    simulate_traced(scenario, policy, seed, options, sink, Traces::default())
}

/// [`simulate`], with the handled events of `options.trace_kinds` (where `traces.events` is given)
/// and every monitor hold (where `traces.holds` is given) handed on as it goes.
pub fn simulate_traced(
    scenario: &Scenario,
    policy: Policy,
    seed: u64,
    options: &RunOptions,
    sink: &mut dyn FnMut(&[Sample]) -> Result<(), Error>,
    mut traces: Traces,
) -> Result<RunOutput, Error> {
    let mut scenario = scenario.clone();
    scenario
        .dumps_ns
        .extend(options.dump_at_ns.iter().copied().filter(|t| *t <= scenario.duration_ns));
    scenario.dumps_ns.sort_unstable();
    scenario.dumps_ns.dedup();
    let mut ctx = Ctx::new();
    let mut world = World::new(scenario.clone(), policy, seed, &mut ctx, &options.extra_levels);
    let tracing = traces.events.is_some() && options.trace_kinds.is_some();
    if tracing {
        world.event_trace = Some(crate::model::EventTrace {
            kinds: options.trace_kinds.unwrap_or(0),
            buffer: Vec::new(),
        });
    }
    if traces.holds.is_some() {
        world.hold_trace = Some(crate::model::HoldTrace::default());
    }
    let end = SimTime(scenario.duration_ns);
    // Tracing buffers every event (or hold) of a chunk: smaller chunks keep that buffer small.
    let buffered = tracing || world.hold_trace.is_some();
    let chunk = scenario.sample_interval_ns.saturating_mul(if buffered { 8 } else { CHUNK_SAMPLES });
    let mut events = 0u64;
    let mut now = SimTime::ZERO;
    loop {
        let until = SimTime(now.ns().saturating_add(chunk).min(end.ns()));
        let outcome = engine::run(&mut world, &mut ctx, until, scenario.max_events - events);
        events += outcome.events;
        now = outcome.now;
        sink(&world.recorder.drain_samples())?;
        if let (Some(trace_sink), Some(buffer)) = (traces.events.as_mut(), world.event_trace.as_mut()) {
            trace_sink(&buffer.buffer)?;
            buffer.buffer.clear();
        }
        if let (Some(hold_sink), Some(holds)) = (traces.holds.as_mut(), world.hold_trace.as_mut()) {
            hold_sink(&holds.buffer)?;
            holds.buffer.clear();
        }
        if outcome.stop == Stop::MaxEvents {
            return Err(Error::MaxEvents {
                scenario: scenario.name.clone(),
                policy: policy.to_string(),
                seed,
                max_events: scenario.max_events,
                at_s: now.as_secs_f64(),
            });
        }
        if crate::interrupt::interrupted() {
            return Err(Error::Interrupted);
        }
        if until >= end {
            break;
        }
    }
    let meta = RunMeta {
        scenario: &scenario.name,
        scenario_hash: scenario.source_hash,
        policy: policy.name(),
        seed,
        duration_ns: scenario.duration_ns,
        brokers: scenario.broker.count,
        events,
        trace_hash: world.trace_hash,
        broker_policies: world.brokers.iter().map(|b| b.policy.name()).collect(),
    };
    let mut summary = Summary::build(&world.recorder, &meta);
    summary.calibration = scenario.calibration.as_ref().map(|c| c.to_json());
    for (line, params) in summary.brokers.iter_mut().zip(&world.params.brokers) {
        if params.cpu_release_heir_waits_sd > 0.0 {
            line.cpu_release_heir_waits_drawn = Some((params.cpu_release_heir_waits * 1e6).round() / 1e6);
        }
        if params.close_cost_per_group_drift > 0.0 {
            line.close_cost_per_group_factor_drawn = Some((params.close_cost_per_group_factor * 1e6).round() / 1e6);
        }
        if params.cpu_release_preempt_sd > 0.0 {
            line.cpu_release_preempt_drawn = Some((params.cpu_release_preempt * 1e6).round() / 1e6);
        }
    }
    Ok(RunOutput {
        summary,
        dumps: std::mem::take(&mut world.dumps),
        peak_dump: world.peak_dump.take(),
    })
}

/// Folder names must come from the user's `--out` or from a sanitised scenario name, never from
/// raw scenario text: `../` or `/` in a name cannot redirect output.
pub fn safe_component(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    while out.starts_with('.') {
        out.replace_range(0..1, "_");
    }
    if out.is_empty() {
        out.push('_');
    }
    out.truncate(100);
    out
}

/// Creates `dir` (and parents) and proves it can be written, before any simulation starts.
pub fn prepare_dir(dir: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Output {
        path: dir.to_path_buf(),
        message: format!("cannot create the output folder: {source}"),
    })?;
    // An unguessable name, created exclusively: a link planted in the folder is never followed.
    atomic::probe_dir(dir).map_err(|source| Error::Output {
        path: dir.to_path_buf(),
        message: format!("cannot write in the output folder: {source}"),
    })
}

/// Files of one replayed policy.
pub struct PolicyFiles {
    pub dir: PathBuf,
    pub timeline: PathBuf,
    /// `timeline_brokers.csv`: one row per sample and broker.
    pub timeline_brokers: PathBuf,
    pub summary: PathBuf,
    pub dumps: PathBuf,
}

impl PolicyFiles {
    /// The files under `dir/<policy>/`.
    pub fn new(dir: &Path, policy: Policy) -> PolicyFiles {
        let dir = dir.join(policy.name());
        PolicyFiles {
            timeline: dir.join("timeline.csv"),
            timeline_brokers: dir.join("timeline_brokers.csv"),
            summary: dir.join("summary.json"),
            dumps: dir.join("thread-dumps.txt"),
            dir,
        }
    }
}

/// Runs one policy and writes its timeline, charts, summary and thread dumps under `dir/<policy>/`.
pub fn replay_policy(scenario: &Scenario, policy: Policy, seed: u64, dir: &Path, options: &RunOptions) -> Result<RunOutput, Error> {
    let files = PolicyFiles::new(dir, policy);
    prepare_dir(&files.dir)?;
    let names: Vec<String> = scenario.consumer_groups.iter().map(|g| g.name.clone()).collect();
    let mut timeline = TimelineWriter::create(&files.timeline, &names)?;
    let mut brokers = crate::metrics::csv_out::BrokerTimelineWriter::create(&files.timeline_brokers)?;
    let mut sink = |rows: &[Sample]| -> Result<(), Error> {
        timeline.write(rows)?;
        brokers.write(rows)
    };
    let mut events = match options.trace_kinds {
        Some(_) => Some(crate::metrics::trace_out::TraceWriter::create(&files.dir.join("trace.csv"))?),
        None => None,
    };
    let mut holds = match options.trace_holds {
        true => Some(crate::metrics::trace_out::HoldWriter::create(&files.dir.join("holds.csv"))?),
        false => None,
    };
    let (tracing_events, tracing_holds) = (events.is_some(), holds.is_some());
    let mut write_events = |rows: &[(u64, crate::model::Event)]| events.as_mut().map_or(Ok(()), |w| w.write(rows));
    let mut write_holds = |rows: &[crate::model::Hold]| holds.as_mut().map_or(Ok(()), |w| w.write(rows));
    let traces = Traces {
        events: tracing_events.then_some(&mut write_events as TraceSink),
        holds: tracing_holds.then_some(&mut write_holds as HoldSink),
    };
    let output = simulate_traced(scenario, policy, seed, options, &mut sink, traces)?;
    if let Some(writer) = events {
        writer.finish()?;
    }
    if let Some(writer) = holds {
        writer.finish()?;
    }
    timeline.finish()?;
    brokers.finish()?;
    if !options.no_charts {
        charts::draw_policy_charts(scenario, policy.name(), seed, &files.timeline, &files.dir)?;
        if scenario.broker.count > 1 {
            charts::draw_broker_chart(scenario, policy.name(), seed, &files.timeline_brokers, &files.dir)?;
        }
    }
    output.summary.write(&files.summary)?;
    let dumps: Vec<&ThreadDump> = output.dumps.iter().chain(output.peak_dump.iter()).collect();
    let mut text = format_dumps(&dumps, &scenario.name, policy.name());
    if text.is_empty() {
        text.push_str("no thread dump was taken (the run never had lag and no --dump-at was given)\n");
    }
    atomic::write_bytes(&files.dumps, text.as_bytes())?;
    Ok(output)
}
