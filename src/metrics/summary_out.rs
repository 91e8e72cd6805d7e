//! `summary.json`: the run's figures and metadata. Nothing in it depends on the wall clock, the
//! machine or the output path.

use super::atomic;
use super::{Recorder, RECOVER_LAG_LEVEL};
use crate::error::Error;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Everything `summary.json` holds.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    pub scenario: String,
    pub scenario_hash: String,
    pub policy: String,
    pub seed: u64,
    pub hbsim_version: String,
    pub duration_s: f64,
    pub events: u64,
    pub trace_hash: String,
    pub lag_max: u64,
    pub lag_max_time_s: f64,
    pub lag_final: u64,
    pub lag_mean: f64,
    /// Seconds with lag above each level (key: the level in messages).
    pub time_above_lag_s: BTreeMap<String, f64>,
    /// Seconds from the last restart until lag stayed at or below `recover_lag_level`.
    pub time_to_recover_s: Option<f64>,
    pub recover_lag_level: u64,
    pub heartbeats_sent: u64,
    pub heartbeats_ok: u64,
    pub heartbeats_timed_out: u64,
    pub heartbeats_busy: u64,
    pub heartbeat_timeout_ratio: f64,
    pub heartbeat_latency_mean_ms: f64,
    pub heartbeat_latency_max_ms: f64,
    /// Percentiles of every heartbeat's response time over the run (the broker's reply, whether
    /// or not the client still waited; absent in summaries of older versions).
    #[serde(default)]
    pub heartbeat_latency_p50_ms: f64,
    #[serde(default)]
    pub heartbeat_latency_p90_ms: f64,
    #[serde(default)]
    pub heartbeat_latency_p99_ms: f64,
    pub heartbeat_queue_wait_mean_ms: f64,
    pub heartbeat_queue_len_max: u64,
    pub netty_queue_wait_mean_ms: f64,
    pub netty_queue_len_max: u64,
    pub netty_events_dropped: u64,
    pub monitor_wait_mean_ms: f64,
    pub monitor_utilization: f64,
    pub monitor_hold_max_ms: f64,
    pub monitor_hold_mean_ms: f64,
    pub consumers_registered_min: u32,
    pub groups_in_table_max: u64,
    pub groups_in_table_final: u64,
    pub close_events: u64,
    pub close_walks: u64,
    /// The gaps between close walks, counted as the JVM harness counts them (absent in
    /// summaries of older versions).
    #[serde(default)]
    pub walker_gaps: WalkerGapsSummary,
    pub messages_produced: u64,
    pub messages_consumed: u64,
    /// The scenario's calibration file: its path, `[meta]` and `[measured]` (absent without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<serde_json::Value>,
    /// Per-broker figures, by broker index (absent in summaries of older versions).
    #[serde(default)]
    pub brokers: Vec<BrokerSummary>,
}

/// The `walker_gaps` block of `summary.json` (issue 10's validation figures, the definitions of
/// `calibration/jvm/Validate.java`): gaps between two close walks with the next close event
/// already queued; those a heartbeat thread won (a `registerProducer` ran between the walker's
/// release and its next acquisition); `registerProducer` calls per won gap (a heartbeat of a
/// producer client makes two: its group and `CLIENT_INNER_PRODUCER`); the mean length of a won
/// gap, from the walker's release to its next acquisition (the harness's `won_gap_us`); the
/// heartbeats still queued as the walker got back in after a won gap, their mean and the share of
/// won gaps that ended with at most [`crate::metrics::DRAINED_QUEUE`] (the harness's
/// `won_gap_queue_left` and `won_gaps_drained`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
pub struct WalkerGapsSummary {
    pub gaps: u64,
    pub won_by_heartbeats: u64,
    pub won_share: f64,
    pub registers_per_won_gap: f64,
    #[serde(default)]
    pub won_gap_ms_mean: f64,
    #[serde(default)]
    pub won_gap_queue_left_mean: f64,
    #[serde(default)]
    pub won_gaps_drained_share: f64,
}

/// One broker's line in `summary.json`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct BrokerSummary {
    pub broker: u32,
    /// The policy this broker ran (a `[[broker_overrides]]` policy, else the run's).
    pub policy: String,
    /// Maximum lag of the tracked groups on this broker's queues.
    pub lag_max: u64,
    pub lag_final: u64,
    pub heartbeats_timed_out: u64,
    pub groups_in_table_max: u64,
    pub heartbeat_queue_len_max: u64,
    /// Mean share of time the broker's monitor was owned.
    pub monitor_utilization: f64,
    /// The `cpu_release_heir_waits` this run drew (present only where
    /// `cpu_release_heir_waits_sd` is above 0): where in the drift between sessions this seed fell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_release_heir_waits_drawn: Option<f64>,
    /// The factor on `close_cost_per_group` this run drew (present only where
    /// `close_cost_per_group_drift` is above 0): how much slower or faster than the key its walks were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_cost_per_group_factor_drawn: Option<f64>,
    /// The `cpu_release_preempt` this run drew (present only where `cpu_release_preempt_sd` is
    /// above 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_release_preempt_drawn: Option<f64>,
}

/// Run metadata that the recorder does not know.
pub struct RunMeta<'a> {
    pub scenario: &'a str,
    pub scenario_hash: u64,
    pub policy: &'a str,
    pub seed: u64,
    pub duration_ns: u64,
    pub brokers: u32,
    pub events: u64,
    pub trace_hash: u64,
    /// The policy each broker ran.
    pub broker_policies: Vec<&'a str>,
}

/// Rounds to a fixed number of decimals so the JSON text is stable and readable.
fn round(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

impl Summary {
    /// Builds the summary from a finished recorder.
    pub fn build(recorder: &Recorder, meta: &RunMeta) -> Summary {
        let t = &recorder.totals;
        let lag = &recorder.lag;
        let duration_s = meta.duration_ns as f64 / 1e9;
        let time_to_recover_s = lag.recovery_watch.and_then(|w| {
            w.recovered_at_ns
                .map(|at| round(at.saturating_sub(w.action_time_ns) as f64 / 1e9, 3))
        });
        let monitor_busy_s = recorder.monitor_hold.sum_ns as f64 / 1e9;
        Summary {
            scenario: meta.scenario.to_string(),
            scenario_hash: format!("{:016x}", meta.scenario_hash),
            policy: meta.policy.to_string(),
            seed: meta.seed,
            hbsim_version: env!("CARGO_PKG_VERSION").to_string(),
            duration_s: round(duration_s, 3),
            events: meta.events,
            trace_hash: format!("{:016x}", meta.trace_hash),
            lag_max: lag.max,
            lag_max_time_s: round(lag.max_time_ns as f64 / 1e9, 3),
            lag_final: lag.final_lag,
            lag_mean: round(
                if lag.samples == 0 {
                    0.0
                } else {
                    lag.sum_for_mean as f64 / lag.samples as f64
                },
                3,
            ),
            time_above_lag_s: lag
                .time_above_ns
                .iter()
                .map(|(level, ns)| (level.to_string(), round(*ns as f64 / 1e9, 3)))
                .collect(),
            time_to_recover_s,
            recover_lag_level: RECOVER_LAG_LEVEL,
            heartbeats_sent: t.heartbeats_sent,
            heartbeats_ok: t.heartbeats_ok,
            heartbeats_timed_out: t.heartbeats_timed_out,
            heartbeats_busy: t.heartbeats_busy,
            heartbeat_timeout_ratio: round(
                if t.heartbeats_sent == 0 {
                    0.0
                } else {
                    t.heartbeats_timed_out as f64 / t.heartbeats_sent as f64
                },
                6,
            ),
            heartbeat_latency_mean_ms: round(recorder.heartbeat_latency.mean_ms(), 6),
            heartbeat_latency_max_ms: round(recorder.heartbeat_latency.max_ns as f64 / 1e6, 6),
            heartbeat_latency_p50_ms: round(recorder.heartbeat_latency_hist.quantile_ns(0.5) as f64 / 1e6, 6),
            heartbeat_latency_p90_ms: round(recorder.heartbeat_latency_hist.quantile_ns(0.9) as f64 / 1e6, 6),
            heartbeat_latency_p99_ms: round(recorder.heartbeat_latency_hist.quantile_ns(0.99) as f64 / 1e6, 6),
            heartbeat_queue_wait_mean_ms: round(recorder.heartbeat_queue_wait.mean_ms(), 6),
            heartbeat_queue_len_max: lag.heartbeat_queue_len_max,
            netty_queue_wait_mean_ms: round(recorder.netty_queue_wait.mean_ms(), 6),
            netty_queue_len_max: lag.netty_queue_len_max,
            netty_events_dropped: t.netty_events_dropped,
            monitor_wait_mean_ms: round(recorder.monitor_wait.mean_ms(), 6),
            monitor_utilization: round(monitor_busy_s / duration_s / f64::from(meta.brokers.max(1)), 6),
            monitor_hold_max_ms: round(recorder.monitor_hold.max_ns as f64 / 1e6, 6),
            monitor_hold_mean_ms: round(recorder.monitor_hold.mean_ms(), 6),
            consumers_registered_min: lag.consumers_registered_min.unwrap_or(0),
            groups_in_table_max: lag.groups_in_table_max,
            groups_in_table_final: lag.groups_in_table_final,
            close_events: t.close_events,
            close_walks: t.close_walks,
            walker_gaps: {
                let g = &recorder.walker_gaps;
                WalkerGapsSummary {
                    gaps: g.gaps,
                    won_by_heartbeats: g.won,
                    won_share: round(if g.gaps == 0 { 0.0 } else { g.won as f64 / g.gaps as f64 }, 6),
                    registers_per_won_gap: round(
                        if g.won == 0 {
                            0.0
                        } else {
                            g.registers_in_won as f64 / g.won as f64
                        },
                        3,
                    ),
                    won_gap_ms_mean: round(if g.won == 0 { 0.0 } else { g.won_ns as f64 / g.won as f64 / 1e6 }, 6),
                    won_gap_queue_left_mean: round(
                        if g.won == 0 {
                            0.0
                        } else {
                            g.queue_left_in_won as f64 / g.won as f64
                        },
                        3,
                    ),
                    won_gaps_drained_share: round(if g.won == 0 { 0.0 } else { g.won_drained as f64 / g.won as f64 }, 6),
                }
            },
            messages_produced: t.messages_produced,
            messages_consumed: t.messages_consumed,
            calibration: None,
            brokers: recorder
                .brokers
                .iter()
                .enumerate()
                .map(|(b, s)| BrokerSummary {
                    broker: b as u32,
                    policy: meta.broker_policies.get(b).copied().unwrap_or(meta.policy).to_string(),
                    lag_max: s.lag_max,
                    lag_final: s.lag_final,
                    heartbeats_timed_out: s.heartbeats_timed_out,
                    groups_in_table_max: s.groups_in_table_max,
                    heartbeat_queue_len_max: s.heartbeat_queue_len_max,
                    monitor_utilization: round(if s.samples == 0 { 0.0 } else { s.busy_share_sum / s.samples as f64 }, 6),
                    cpu_release_heir_waits_drawn: None,
                    close_cost_per_group_factor_drawn: None,
                    cpu_release_preempt_drawn: None,
                })
                .collect(),
        }
    }

    /// The pretty JSON text (with a final newline).
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a summary always serializes");
        text.push('\n');
        text
    }

    /// Writes the summary atomically.
    pub fn write(&self, path: &Path) -> Result<(), Error> {
        atomic::write_bytes(path, self.to_json().as_bytes())
    }

    /// Reads a summary written earlier (a baseline).
    pub fn read(path: &Path) -> Result<Summary, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|e| Error::Scenario {
            path: path.to_path_buf(),
            problems: vec![format!("not a summary.json: {e}")],
        })
    }
}
