//! What `hbsim assess` is told about a broker: flags or a small TOML file (`--input`), validated
//! with messages that name the file and field, completed with named defaults (each one an
//! assumption printed in the answer), and turned into scenario TOML text for the normal loader.

use crate::error::Error;
use crate::model::policy::Policy;
use crate::scenario::parse_duration;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The `--input FILE` format: every key optional; flags override the file.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct InputFile {
    pub version: Option<String>,
    pub heartbeat_threads: Option<u32>,
    pub clients: Option<u32>,
    pub groups: Option<u64>,
    /// "900/h", "20000/d".
    pub growth: Option<String>,
    pub live_groups: Option<u32>,
    pub consumer_groups: Option<u32>,
    pub consumers: Option<u32>,
    /// "60/min", "1/s", "3600/h": channel closes per broker from ordinary churn.
    pub close_rate: Option<String>,
    pub abnormal_share: Option<f64>,
    pub brokers: Option<u32>,
    /// "24.8ms": one measured `onChannelClose` at the current table size.
    pub close_walk_time: Option<String>,
    pub calibration: Option<PathBuf>,
    /// Largest burst of abnormal disconnects within the RPC timeout the broker should absorb.
    pub burst: Option<u32>,
    pub seed: Option<u64>,
    /// The broker host's CPUs (turns the CPU model on; docs/validation.md).
    pub cpus: Option<u32>,
    /// Threads of other work on the host that want a CPU all the time (with `cpus`).
    pub busy_threads: Option<u32>,
}

/// The inputs after defaults: every figure the assessment uses.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub policy: Policy,
    pub heartbeat_threads: u32,
    pub clients: u32,
    pub groups: u64,
    pub growth_per_hour: f64,
    pub live_groups: u32,
    pub consumer_groups: u32,
    pub consumers: u32,
    /// Channel closes per second on one broker from ordinary churn.
    pub close_rate_per_s: f64,
    pub abnormal_share: f64,
    pub brokers: u32,
    pub close_walk_time_ns: Option<u64>,
    pub calibration: Option<PathBuf>,
    pub burst: u32,
    pub seed: u64,
    /// The host's CPUs for the CPU model (0: not modelled) and its other runnable threads.
    pub cpus: u32,
    pub busy_threads: u32,
    /// The defaults used for what the operator did not give, as sentences.
    pub assumptions: Vec<String>,
}

/// Default seed of the assessment's simulations.
pub const DEFAULT_SEED: u64 = 1;

/// Reads `--input FILE`.
pub fn read_input_file(path: &Path) -> Result<InputFile, Error> {
    let bytes = std::fs::read(path).map_err(|e| bad(path, format!("cannot read the input file: {e}")))?;
    let text = std::str::from_utf8(&bytes).map_err(|_| bad(path, "the input file is not UTF-8 text".into()))?;
    toml::from_str(text).map_err(|e| {
        let message = e.message().trim().trim_end_matches('.').to_string();
        match e.span() {
            Some(span) => {
                let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                bad(path, format!("line {line}: {message}"))
            }
            None => bad(path, message),
        }
    })
}

fn bad(path: &Path, problem: String) -> Error {
    Error::Scenario {
        path: path.to_path_buf(),
        problems: vec![problem],
    }
}

/// A rate such as `900/h`: the value per second. Units: s, min (or m), h, d.
pub fn parse_rate(text: &str) -> Result<f64, String> {
    let (value, unit) = text
        .split_once('/')
        .ok_or_else(|| format!("`{text}` is not a rate: write it as N/s, N/min, N/h or N/d (e.g. 900/h)"))?;
    let value: f64 = value
        .trim()
        .parse()
        .map_err(|_| format!("`{text}`: `{}` is not a number", value.trim()))?;
    if !value.is_finite() || value < 0.0 {
        return Err(format!("`{text}`: the rate must be a non-negative number"));
    }
    let seconds = match unit.trim() {
        "s" | "sec" => 1.0,
        "m" | "min" => 60.0,
        "h" | "hour" => 3600.0,
        "d" | "day" => 86_400.0,
        other => return Err(format!("`{text}`: unknown unit `{other}` (expected s, min, h or d)")),
    };
    Ok(value / seconds)
}

/// Fills the defaults and checks every field; all problems at once, each naming its field.
pub fn resolve(file: InputFile, origin: &Path) -> Result<Inputs, Error> {
    let mut problems = Vec::new();
    let mut assumptions = Vec::new();
    let policy = match file.version.as_deref() {
        Some(name) => Policy::parse(name).unwrap_or_else(|| {
            problems.push(format!(
                "version: unknown broker version `{name}` (expected one of {})",
                Policy::names()
            ));
            Policy::Leaky
        }),
        None => {
            assumptions.push("version: v4.9.8 (leaky: RocketMQ 4.6.1 … 4.9.8) — give --version".into());
            Policy::Leaky
        }
    };
    let heartbeat_threads = file.heartbeat_threads.unwrap_or_else(|| {
        assumptions.push("heartbeat threads: 8 (min(32, cores) on an 8-core host) — give --heartbeat-threads".into());
        8
    });
    if !(1..=4096).contains(&heartbeat_threads) {
        problems.push(format!("heartbeat_threads: must be between 1 and 4096, got {heartbeat_threads}"));
    }
    let clients = file.clients.unwrap_or(0);
    if file.clients.is_none() {
        problems.push("clients: missing (the number of client instances on the broker, e.g. clientChannelTable size)".into());
    } else if !(1..=1_000_000).contains(&clients) {
        problems.push(format!("clients: must be between 1 and 1000000, got {clients}"));
    }
    let groups = file.groups.unwrap_or(0);
    if file.groups.is_none() {
        problems.push("groups: missing (producer groups in ProducerManager.groupChannelTable)".into());
    } else if groups > 1_000_000_000 {
        problems.push(format!("groups: at most 1000000000, got {groups}"));
    }
    let growth_per_hour = match file.growth.as_deref() {
        Some(text) => parse_rate(text).map(|r| r * 3600.0).unwrap_or_else(|e| {
            problems.push(format!("growth: {e}"));
            0.0
        }),
        None => {
            assumptions.push("growth: 0/h (the table is not growing) — give --growth, e.g. 900/h".into());
            0.0
        }
    };
    if growth_per_hour > 3_600_000.0 {
        problems.push(format!("growth: at most 1000/s, got {growth_per_hour}/h"));
    }
    let live_groups = file.live_groups.unwrap_or_else(|| {
        let live = groups.clamp(1, 100) as u32;
        assumptions.push(format!("live producer groups: {live} — give --live-groups"));
        live
    });
    if !(1..=1_000_000).contains(&live_groups) {
        problems.push(format!("live_groups: must be between 1 and 1000000, got {live_groups}"));
    }
    let consumers = file.consumers.unwrap_or(0);
    let consumer_groups = file.consumer_groups.unwrap_or(if consumers > 0 { 1 } else { 0 });
    if consumers > 0 && consumer_groups == 0 {
        problems.push("consumer_groups: must be at least 1 when consumers are given".into());
    }
    if consumer_groups > 64 {
        problems.push(format!("consumer_groups: at most 64, got {consumer_groups}"));
    }
    if consumers > clients {
        problems.push(format!(
            "consumers: {consumers} is more than the {clients} client instances (consumers are counted in --clients)"
        ));
    }
    if consumer_groups > 0 && consumers < consumer_groups {
        problems.push(format!(
            "consumers: {consumers} is fewer than the {consumer_groups} consumer groups"
        ));
    }
    let brokers = file.brokers.unwrap_or(1);
    if !(1..=64).contains(&brokers) {
        problems.push(format!("brokers: must be between 1 and 64, got {brokers}"));
    }
    let close_rate_per_s = match file.close_rate.as_deref() {
        Some(text) => parse_rate(text).unwrap_or_else(|e| {
            problems.push(format!("close_rate: {e}"));
            0.0
        }),
        None => {
            let rate = f64::from(clients) / 7200.0;
            assumptions.push(format!(
                "close rate: {:.2}/min (each client reconnects about every 2 h, as on the incident broker) — give --close-rate",
                rate * 60.0
            ));
            rate
        }
    };
    if close_rate_per_s > 1000.0 {
        problems.push(format!("close_rate: at most 1000/s, got {close_rate_per_s}/s"));
    }
    let abnormal_share = file.abnormal_share.unwrap_or_else(|| {
        assumptions.push("abnormal share: 0.2 of the closes are IDLE/EXCEPTION (two walks) — give --abnormal-share".into());
        0.2
    });
    if !(0.0..=1.0).contains(&abnormal_share) {
        problems.push(format!("abnormal_share: must be between 0 and 1, got {abnormal_share}"));
    }
    let close_walk_time_ns = file.close_walk_time.as_deref().and_then(|text| match parse_duration(text) {
        Ok(0) => {
            problems.push("close_walk_time: must be > 0".into());
            None
        }
        Ok(ns) => Some(ns),
        Err(e) => {
            problems.push(format!("close_walk_time: {e}"));
            None
        }
    });
    if close_walk_time_ns.is_some() && groups == 0 {
        problems.push("close_walk_time: needs groups > 0 (it is divided by the table size)".into());
    }
    let burst = file.burst.unwrap_or_else(|| {
        let burst = (clients / 20).max(1);
        assumptions.push(format!(
            "expected burst: {burst} abnormal disconnects within the 3 s RPC timeout (5% of the clients: one application's rolling deploy, or a short network blip) — give --burst"
        ));
        burst
    });
    let cpus = file.cpus.unwrap_or(0);
    if cpus > 4096 {
        problems.push(format!("cpus: must be between 1 and 4096, got {cpus}"));
    }
    if file.cpus == Some(0) {
        problems.push("cpus: must be between 1 and 4096, got 0 (leave it out to not model the CPUs)".into());
    }
    let busy_threads = file.busy_threads.unwrap_or(0);
    if busy_threads > 100_000 {
        problems.push(format!("busy_threads: must be at most 100000, got {busy_threads}"));
    }
    if file.busy_threads.is_some() && file.cpus.is_none() {
        problems.push("busy_threads: needs cpus (the host's CPUs)".into());
    }
    if file.cpus.is_none() {
        assumptions.push(
            "host CPUs: not modelled — a woken heartbeat thread always finds an idle CPU (a host with cores to spare); on a small host with every CPU busy, the heartbeat threads that win a gap keep the walker off its CPU until their backlog drains, and the broker may survive what collapses here — give --cpus and --busy-threads"
                .into(),
        );
    }
    if !problems.is_empty() {
        return Err(Error::Scenario {
            path: origin.to_path_buf(),
            problems,
        });
    }
    Ok(Inputs {
        policy,
        heartbeat_threads,
        clients,
        groups,
        growth_per_hour,
        live_groups,
        consumer_groups,
        consumers,
        close_rate_per_s,
        abnormal_share,
        brokers,
        close_walk_time_ns,
        calibration: file.calibration,
        burst,
        seed: file.seed.unwrap_or(DEFAULT_SEED),
        cpus,
        busy_threads,
        assumptions,
    })
}

/// Overrides of one simulated variant of the broker.
#[derive(Debug, Clone)]
pub struct Variant {
    pub policy: Policy,
    pub groups: u64,
    pub heartbeat_threads: u32,
    pub consumers: u32,
    pub extra_clients: u32,
    pub growth_per_hour: f64,
    /// Abnormal disconnects (IDLE then CLOSE) at `trigger_at`, over 1 s.
    pub trigger: u32,
    /// `[broker]` overrides on top of the base (name → TOML value text).
    pub broker: Vec<(String, String)>,
}

impl Variant {
    /// The broker as described by the inputs, no trigger.
    pub fn base(inputs: &Inputs) -> Variant {
        Variant {
            policy: inputs.policy,
            groups: inputs.groups,
            heartbeat_threads: inputs.heartbeat_threads,
            consumers: inputs.consumers,
            extra_clients: 0,
            growth_per_hour: inputs.growth_per_hour,
            trigger: 0,
            broker: Vec::new(),
        }
    }
}

/// Virtual time of the trigger: after the first expiry scan (10 s) and one heartbeat interval.
pub const TRIGGER_AT_S: u64 = 40;

/// Builds the scenario text of one variant. `broker_extra` is the calibration's `[broker]` table
/// (inputs win over it); `per_group_ns` pins `close_cost_per_group` (from `--close-walk-time`).
pub fn scenario_text(inputs: &Inputs, variant: &Variant, duration_s: u64, broker_extra: &toml::Table, per_group: Option<&str>) -> String {
    let mut doc = toml::Table::new();
    doc.insert("name".into(), "assess".into());
    doc.insert("seed".into(), toml::Value::Integer(inputs.seed as i64 & i64::MAX));
    doc.insert("duration".into(), format!("{duration_s}s").into());
    doc.insert("policies".into(), toml::Value::Array(vec![variant.policy.name().into()]));
    doc.insert("max_events".into(), toml::Value::Integer(400_000_000));
    let mut broker = broker_extra.clone();
    broker.insert("count".into(), toml::Value::Integer(i64::from(inputs.brokers)));
    broker.insert(
        "heartbeat_threads".into(),
        toml::Value::Integer(i64::from(variant.heartbeat_threads)),
    );
    if let Some(per_group) = per_group {
        broker.insert("close_cost_per_group".into(), toml::Value::String(per_group.to_string()));
    }
    if inputs.cpus > 0 {
        broker.insert("cpus".into(), toml::Value::Integer(i64::from(inputs.cpus)));
        broker.insert("cpu_other_runnable".into(), toml::Value::Integer(i64::from(inputs.busy_threads)));
    }
    for (key, value) in &variant.broker {
        broker.insert(key.clone(), parse_toml_value(value));
    }
    doc.insert("broker".into(), toml::Value::Table(broker));
    let consumers = variant.consumers;
    let total_clients = inputs.clients.saturating_add(variant.extra_clients);
    let background_clients = total_clients.saturating_sub(consumers).max(variant.trigger).max(1);
    let mut background = toml::Table::new();
    background.insert("clients".into(), toml::Value::Integer(i64::from(background_clients)));
    background.insert("live_groups".into(), toml::Value::Integer(i64::from(inputs.live_groups)));
    if inputs.close_rate_per_s > 0.0 {
        // Each drop goes to one random broker: per-broker rate = clients / (mean × brokers).
        let mean_s = f64::from(background_clients) / (inputs.close_rate_per_s * f64::from(inputs.brokers));
        let mean_ms = (mean_s * 1000.0).clamp(1.0, 365.0 * 86_400_000.0);
        background.insert("reconnect_interval".into(), exponential(&format!("{mean_ms:.3}ms")));
        background.insert("abnormal_disconnect_share".into(), toml::Value::Float(inputs.abnormal_share));
    }
    doc.insert("background".into(), toml::Value::Table(background));
    let mut groups = toml::Table::new();
    groups.insert("initial".into(), toml::Value::Integer(variant.groups.min(i64::MAX as u64) as i64));
    if variant.growth_per_hour > 0.0 {
        // Every created group closes without UNREGISTER_CLIENT, so every one leaks under leaky.
        let mean_ms = (3_600_000.0 / variant.growth_per_hour).max(1.0);
        groups.insert("create_interval".into(), exponential(&format!("{mean_ms:.3}ms")));
        groups.insert("lifetime".into(), "60s".into());
        groups.insert("unregister_probability".into(), toml::Value::Float(0.0));
    }
    doc.insert("groups".into(), toml::Value::Table(groups));
    if consumers > 0 {
        let mut topic = toml::Table::new();
        topic.insert("name".into(), "assess-topic".into());
        doc.insert("topics".into(), toml::Value::Array(vec![toml::Value::Table(topic)]));
        let n = inputs.consumer_groups.max(1);
        let mut list = Vec::new();
        for i in 0..n {
            let share = consumers / n + u32::from(i < consumers % n);
            let mut group = toml::Table::new();
            group.insert("name".into(), format!("consumer-group-{}", i + 1).into());
            group.insert("topic".into(), "assess-topic".into());
            group.insert("consumers".into(), toml::Value::Integer(i64::from(share)));
            group.insert("consume_rate".into(), toml::Value::Float(1000.0));
            list.push(toml::Value::Table(group));
        }
        doc.insert("consumer_groups".into(), toml::Value::Array(list));
    }
    if variant.trigger > 0 {
        let mut action = toml::Table::new();
        action.insert("at".into(), format!("{TRIGGER_AT_S}s").into());
        action.insert("action".into(), "disconnect_clients".into());
        action.insert("count".into(), toml::Value::Integer(i64::from(variant.trigger)));
        action.insert("over".into(), "1s".into());
        action.insert("cause".into(), "idle".into());
        doc.insert("actions".into(), toml::Value::Array(vec![toml::Value::Table(action)]));
    }
    toml::to_string(&doc).unwrap_or_default()
}

fn exponential(mean: &str) -> toml::Value {
    let mut table = toml::Table::new();
    table.insert("dist".into(), "exponential".into());
    table.insert("mean".into(), mean.into());
    toml::Value::Table(table)
}

/// A value as written in TOML (`"30us"`, `{ dist = … }`, `8`); a bare word is a string.
pub fn parse_toml_value(text: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {text}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(text.to_string()))
}

/// What `hbsim assess` takes from a calibration file (`hbsim calibrate` output).
#[derive(Debug, Default)]
pub struct Calibration {
    /// The `[broker]` table: scenario keys, merged into every generated scenario.
    pub broker: toml::Table,
    /// The `[meta]` table, one `key = value` line each (JSON keeps them all; text summarises).
    pub meta: Vec<String>,
    /// The numbers of the `[measured]` table (absent in a hand-written file: empty).
    pub measured: std::collections::BTreeMap<String, f64>,
    /// The busy threads the harness ran beside (`[meta] busy_threads`; 0 where absent).
    pub busy_threads: u64,
    /// The harness JVM's options (`[meta] jvm_flags`; empty where absent).
    pub jvm_flags: String,
}

impl Calibration {
    /// The walk per group the calibration measured with the table in different states, as
    /// (fastest, slowest) for a table of `groups`; `None` without both a hot and a cold walk.
    /// A table of at least `walk_large_groups` is beyond the caches even when walked back to back:
    /// its range is the large-table walks (`walk_ns_per_group_large_hot_p50`, the long loop's
    /// walks per group, taken at `groups` between it and the huge loop's where that ran) up to the
    /// cold ones; a smaller one runs from the hot walk to the cold ones
    /// (`walk_ns_per_group_cold_p50`, `_cold_spread_p50`: caches evicted between walks).
    pub fn walk_per_group_range(&self, groups: u64) -> Option<(f64, f64)> {
        let m = |k: &str| self.measured.get(k).copied().filter(|v| v.is_finite() && *v > 0.0);
        let hot = m("walk_ns_per_group_hot_p50")?;
        let cold = [m("walk_ns_per_group_cold_p50"), m("walk_ns_per_group_cold_spread_p50")];
        let cold_max = cold.iter().flatten().copied().reduce(f64::max)?;
        // The loop's walks of a million groups, and where it ran of four million: at this table's
        // size between them (`hbsim calibrate --table large --groups N`).
        let loop_long = crate::calibrate::LargeTableWalks::read(m).map(|walks| walks.at(groups as f64));
        let large: Vec<f64> = [m("walk_ns_per_group_large_hot_p50"), loop_long].into_iter().flatten().collect();
        let large_from = m("walk_large_groups").unwrap_or(f64::INFINITY);
        if groups as f64 >= large_from && !large.is_empty() {
            let lo = large.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = large.iter().copied().fold(cold_max, f64::max);
            Some((lo, hi))
        } else {
            Some((hot.min(cold_max), hot.max(cold_max)))
        }
    }
}

/// Reads a calibration file (`hbsim calibrate` output): `[broker]` is required, `[meta]` and
/// `[measured]` are optional.
pub fn read_calibration(path: &Path) -> Result<Calibration, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| bad(path, format!("cannot read the calibration file: {e}")))?;
    let mut doc: toml::Table = toml::from_str(&text).map_err(|e| bad(path, format!("not TOML: {}", e.message().trim())))?;
    let broker = match doc.remove("broker") {
        Some(toml::Value::Table(t)) => t,
        Some(_) => return Err(bad(path, "`broker` must be a table".into())),
        None => {
            return Err(bad(
                path,
                "no [broker] table (a calibration file from `hbsim calibrate` has one)".into(),
            ))
        }
    };
    let mut meta = Vec::new();
    let mut busy_threads = 0;
    let mut jvm_flags = String::new();
    if let Some(toml::Value::Table(t)) = doc.get("meta") {
        for (key, value) in t {
            meta.push(format!("{key} = {value}"));
        }
        busy_threads = t
            .get("busy_threads")
            .and_then(toml::Value::as_integer)
            .map_or(0, |n| n.max(0) as u64);
        jvm_flags = t.get("jvm_flags").and_then(toml::Value::as_str).unwrap_or_default().to_string();
    }
    let mut measured = std::collections::BTreeMap::new();
    match doc.get("measured") {
        None => {}
        Some(toml::Value::Table(t)) => {
            for (key, value) in t {
                let v = match value {
                    toml::Value::Float(f) => *f,
                    toml::Value::Integer(i) => *i as f64,
                    _ => return Err(bad(path, format!("measured.{key}: expected a number, found {value}"))),
                };
                measured.insert(key.clone(), v);
            }
        }
        Some(_) => return Err(bad(path, "`measured` must be a table".into())),
    }
    Ok(Calibration {
        broker,
        meta,
        measured,
        busy_threads,
        jvm_flags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_with_units() {
        assert_eq!(parse_rate("900/h").unwrap(), 0.25);
        assert_eq!(parse_rate("60/min").unwrap(), 1.0);
        assert_eq!(parse_rate("86400/d").unwrap(), 1.0);
        assert!(parse_rate("900").is_err());
        assert!(parse_rate("-1/s").is_err());
        assert!(parse_rate("3/week").is_err());
    }

    #[test]
    fn missing_numbers_are_named() {
        let err = resolve(InputFile::default(), Path::new("<flags>")).unwrap_err().to_string();
        assert!(err.contains("clients: missing"), "{err}");
        assert!(err.contains("groups: missing"), "{err}");
    }

    #[test]
    fn the_generated_scenario_parses() {
        let file = InputFile {
            clients: Some(500),
            groups: Some(2000),
            growth: Some("900/h".into()),
            consumers: Some(10),
            ..InputFile::default()
        };
        let inputs = resolve(file, Path::new("<flags>")).unwrap();
        let mut variant = Variant::base(&inputs);
        variant.trigger = 50;
        let text = scenario_text(&inputs, &variant, 100, &toml::Table::new(), Some("500ns"));
        let scenario = crate::scenario::parse(Path::new("gen.toml"), text.as_bytes()).unwrap();
        assert_eq!(scenario.groups.initial, 2000);
        assert_eq!(scenario.background.clients, 490);
        assert_eq!(scenario.actions.len(), 1);
    }
    /// The calibration's walk range follows the table: hot to cold below the large-table size,
    /// the large-table walks to the coldest at or above it; no cold walk, no range.
    #[test]
    fn a_calibrations_walk_range_follows_the_table() {
        let mut cal = Calibration::default();
        for (k, v) in [
            ("walk_ns_per_group_hot_p50", 14.7),
            ("walk_ns_per_group_cold_p50", 20.0),
            ("walk_ns_per_group_cold_spread_p50", 29.8),
            ("walk_large_groups", 400_000.0),
            ("walk_ns_per_group_large_hot_p50", 98.4),
            ("loop_long_walk_us_p50", 76_004.5),
            ("loop_long_groups", 1_000_000.0),
        ] {
            cal.measured.insert(k.into(), v);
        }
        assert_eq!(cal.walk_per_group_range(15_742), Some((14.7, 29.8)));
        let (lo, hi) = cal.walk_per_group_range(4_000_000).unwrap();
        assert!((lo - 76.0045).abs() < 1e-9 && hi == 98.4, "{lo} {hi}");
        // With the four-million-group loop (84 ns a group), the walk at the table's size.
        cal.measured.insert("loop_huge_walk_us_p50".into(), 336_000.0);
        cal.measured.insert("loop_huge_groups".into(), 4_000_000.0);
        let (lo, _) = cal.walk_per_group_range(2_000_000).unwrap();
        assert!((lo - (76.0045 + (84.0 - 76.0045) * 0.5)).abs() < 1e-9, "{lo}");
        let (lo, hi) = cal.walk_per_group_range(4_000_000).unwrap();
        assert!((lo - 84.0).abs() < 1e-9 && hi == 98.4, "{lo} {hi}");
        cal.measured.remove("walk_ns_per_group_cold_p50");
        cal.measured.remove("walk_ns_per_group_cold_spread_p50");
        assert_eq!(cal.walk_per_group_range(15_742), None);
    }

    #[test]
    fn a_calibrations_measured_table_holds_numbers() {
        let dir = std::env::temp_dir().join(format!("hbsim-cal-measured-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("cal.toml");
        std::fs::write(&path, "[broker]\n[measured]\nwalk_ns_per_group_hot_p50 = \"fast\"\n").unwrap();
        let err = read_calibration(&path).unwrap_err().to_string();
        assert!(
            err.contains("cal.toml") && err.contains("measured.walk_ns_per_group_hot_p50"),
            "{err}"
        );
        std::fs::write(&path, "[broker]\n[measured]\nwalk_groups = 15742\n").unwrap();
        assert_eq!(read_calibration(&path).unwrap().measured["walk_groups"], 15_742.0);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
