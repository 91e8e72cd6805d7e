//! `hbsim assess` arguments (clap) and their execution. Kept out of cli.rs so that file only
//! gains the enum variant and the dispatch line. No assessment logic here: see `hbsim::assess`.

use crate::cli::Failure;
use hbsim::assess::{self, input::InputFile, Request};
use hbsim::metrics::atomic;
use std::io::Write;
use std::path::PathBuf;

/// `hbsim assess`.
#[derive(clap::Args, Debug)]
pub struct AssessArgs {
    /// Broker version or policy: v4.9.8 (= leaky), fixed (PR #8672 on 4.9.x, in no release), v5.0, v5.3.2, v5.3.3, v5.3.3-fcep, unreleased-a6e3bf2b62, v4.6.0 (`hbsim policies`).
    #[arg(long = "version", visible_alias = "policy", value_name = "V")]
    pub broker_version: Option<String>,
    /// HeartbeatThread_N pool size (default 8, or counted in --jstack).
    #[arg(long, value_name = "N")]
    pub heartbeat_threads: Option<u32>,
    /// Client instances on the broker (consumers included).
    #[arg(long, value_name = "N")]
    pub clients: Option<u32>,
    /// Producer groups in ProducerManager.groupChannelTable (leaked ones included).
    #[arg(long, value_name = "N")]
    pub groups: Option<u64>,
    /// Growth of the table, e.g. 900/h or 20000/d.
    #[arg(long, value_name = "RATE")]
    pub growth: Option<String>,
    /// Live producer groups (what the table holds after a restart).
    #[arg(long, value_name = "N")]
    pub live_groups: Option<u32>,
    /// Consumer groups.
    #[arg(long, value_name = "N")]
    pub consumer_groups: Option<u32>,
    /// Consumers (client instances, counted in --clients).
    #[arg(long, value_name = "N")]
    pub consumers: Option<u32>,
    /// Ordinary channel closes per broker, e.g. 60/min.
    #[arg(long, value_name = "RATE")]
    pub close_rate: Option<String>,
    /// Share of those closes that are abnormal (IDLE/EXCEPTION: two walks), 0..1.
    #[arg(long, value_name = "X")]
    pub abnormal_share: Option<f64>,
    /// Brokers (every client heartbeats each one).
    #[arg(long, value_name = "N")]
    pub brokers: Option<u32>,
    /// A measured close walk at the current table size (e.g. arthas trace of onChannelClose): 24.8ms.
    #[arg(long, value_name = "TIME")]
    pub close_walk_time: Option<String>,
    /// A calibration file written by `hbsim calibrate` ([broker] merged into the model).
    #[arg(long, value_name = "FILE")]
    pub calibration: Option<PathBuf>,
    /// Largest burst of abnormal disconnects within 3 s the broker must absorb (default 5% of clients).
    #[arg(long, value_name = "N")]
    pub burst: Option<u32>,
    /// Seed of the simulations (default 1).
    #[arg(long)]
    pub seed: Option<u64>,
    /// The broker host's CPUs: turns the CPU model on (who gets a CPU when a thread is woken).
    #[arg(long, value_name = "N")]
    pub cpus: Option<u32>,
    /// Threads of other work on the host that want a CPU all the time (with --cpus).
    #[arg(long, value_name = "N")]
    pub busy_threads: Option<u32>,
    /// The inputs as a TOML file (keys as the flags, with _); flags override it.
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// A thread dump (jstack, jstack -l, kill -3 log; repeatable).
    #[arg(long = "jstack", value_name = "FILE")]
    pub jstacks: Vec<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Also write the answer as an HTML page here.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

/// Runs `hbsim assess`; the exit code is 0 safe, 1 at risk (2 bad input comes from the error).
pub fn execute(args: AssessArgs, out: &mut dyn Write) -> Result<i32, Failure> {
    let mut file = match &args.input {
        Some(path) => assess::input::read_input_file(path)?,
        None => InputFile::default(),
    };
    let flags = InputFile {
        version: args.broker_version,
        heartbeat_threads: args.heartbeat_threads,
        clients: args.clients,
        groups: args.groups,
        growth: args.growth,
        live_groups: args.live_groups,
        consumer_groups: args.consumer_groups,
        consumers: args.consumers,
        close_rate: args.close_rate,
        abnormal_share: args.abnormal_share,
        brokers: args.brokers,
        close_walk_time: args.close_walk_time,
        calibration: args.calibration,
        burst: args.burst,
        seed: args.seed,
        cpus: args.cpus,
        busy_threads: args.busy_threads,
    };
    merge(&mut file, flags);
    // Messages name the input file when there is one (flags override its keys).
    let origin = args.input.clone().unwrap_or_else(|| PathBuf::from("<command line>"));
    let request = Request {
        input: file.clone(),
        origin,
        jstacks: args.jstacks.clone(),
    };
    let assessment = if file.clients.is_none() && file.groups.is_none() && !args.jstacks.is_empty() {
        assess::evidence_only(&request)?
    } else {
        assess::assess(&request)?
    };
    if let Some(path) = &args.html {
        atomic::write_bytes(path, assess::output::html(&assessment).as_bytes())?;
    }
    if args.json {
        writeln!(out, "{}", assess::output::json(&assessment))?;
    } else {
        write!(out, "{}", assess::output::text(&assessment))?;
        if let Some(path) = &args.html {
            writeln!(out, "wrote {}", path.display())?;
        }
    }
    Ok(assessment.state.exit_code())
}

/// Flags win over the file.
fn merge(file: &mut InputFile, flags: InputFile) {
    macro_rules! take {
        ($($f:ident),*) => { $( if flags.$f.is_some() { file.$f = flags.$f; } )* };
    }
    take!(
        version,
        heartbeat_threads,
        clients,
        groups,
        growth,
        live_groups,
        consumer_groups,
        consumers,
        close_rate,
        abnormal_share,
        brokers,
        close_walk_time,
        calibration,
        burst,
        seed,
        cpus,
        busy_threads
    );
}
