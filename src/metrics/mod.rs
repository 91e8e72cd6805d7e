//! Observations: the model reports counts and latencies to a [`Recorder`], which aggregates them
//! into one [`Sample`] per sample interval and into the run's [`Summary`]. Pure aggregation: no
//! I/O here (`csv_out`, `summary_out` and `charts` write files).

pub mod atomic;
pub mod charts;
pub mod csv_out;
pub mod downsample;
pub mod dump_out;
pub mod summary_out;
pub mod trace_out;

use serde::Serialize;

/// The timeline column of consumer group `name`: `lag_<name>`.
pub fn group_column(name: &str) -> String {
    format!("lag_{name}")
}

/// Why consumer group `name` cannot have a timeline column, if it cannot: its column would carry
/// the name of a fixed column (a group named `total` would give a second `lag_total`, and
/// readers would take one for the other).
pub fn group_column_problem(name: &str) -> Option<String> {
    let column = group_column(name);
    csv_out::COLUMNS_BEFORE_GROUPS
        .iter()
        .chain(csv_out::COLUMNS_AFTER_GROUPS)
        .any(|fixed| *fixed == column)
        .then(|| format!("the name `{name}` is reserved: its timeline column `{column}` is a fixed column of every timeline"))
}
use std::collections::BTreeMap;

/// Who holds the ProducerManager monitor at a sample instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Holder {
    /// Nobody.
    None,
    /// `HeartbeatThread_<n>` (1-based in output).
    Heartbeat(u16),
    /// The `NettyEventExecutor`.
    Netty,
    /// `ClientManageThread_<n>`.
    ClientManage(u16),
    /// `ClientHousekeepingScheduledThread`.
    Housekeeping,
}

impl Holder {
    /// The thread name as `jstack` would print it.
    pub fn thread_name(self) -> String {
        match self {
            Holder::None => "none".into(),
            Holder::Heartbeat(i) => format!("HeartbeatThread_{}", i + 1),
            Holder::Netty => "NettyEventExecutor".into(),
            Holder::ClientManage(i) => format!("ClientManageThread_{}", i + 1),
            Holder::Housekeeping => "ClientHousekeepingScheduledThread".into(),
        }
    }
}

/// One timeline row: the state at `time_ns` and the counts of the interval that ends there.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub time_ns: u64,
    pub lag_total: u64,
    pub lag_per_group: Vec<u64>,
    pub consumers_registered: u32,
    pub consumers_running: u32,
    pub heartbeat_queue_len: u64,
    pub heartbeat_threads_blocked: u32,
    pub heartbeat_threads_runnable: u32,
    pub heartbeat_threads_idle: u32,
    /// Time-weighted mean of BLOCKED heartbeat threads over the interval.
    pub heartbeat_threads_blocked_mean: f64,
    pub monitor_holder: Holder,
    /// Share of the interval the monitor was owned.
    pub monitor_busy_share: f64,
    pub monitor_waiters: u32,
    pub groups_in_table: u64,
    pub groups_empty: u64,
    pub netty_queue_len: u64,
    pub netty_events_dropped: u64,
    pub heartbeats_ok: u64,
    pub heartbeats_timed_out: u64,
    pub heartbeats_busy: u64,
    pub heartbeat_latency_p50_ms: f64,
    pub heartbeat_latency_p99_ms: f64,
    pub heartbeat_latency_max_ms: f64,
    pub messages_produced: u64,
    pub messages_consumed: u64,
    pub close_events: u64,
    pub close_walks: u64,
    /// One entry per broker (`timeline_brokers.csv`).
    pub brokers: Vec<BrokerSample>,
}

/// One broker's state at a sample instant: a row of `timeline_brokers.csv`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct BrokerSample {
    /// Lag of the tracked groups on this broker's queues only.
    pub lag: u64,
    /// Running consumers registered in this broker's consumer table.
    pub consumers_registered: u32,
    pub heartbeat_queue_len: u64,
    pub heartbeat_threads_blocked_mean: f64,
    pub monitor_busy_share: f64,
    pub groups_in_table: u64,
    pub netty_queue_len: u64,
    /// Heartbeats to this broker that timed out in the interval (filled by the recorder).
    pub heartbeats_timed_out: u64,
}

/// One broker's figures over the whole run (the `brokers` block of `summary.json`).
#[derive(Clone, Debug, Default)]
pub struct BrokerStats {
    pub lag_max: u64,
    pub lag_final: u64,
    pub heartbeats_timed_out: u64,
    pub groups_in_table_max: u64,
    pub heartbeat_queue_len_max: u64,
    pub busy_share_sum: f64,
    pub samples: u64,
}

/// Counts of one interval, reset at every sample.
#[derive(Clone, Debug, Default)]
pub struct IntervalCounts {
    pub heartbeats_sent: u64,
    pub heartbeats_ok: u64,
    pub heartbeats_timed_out: u64,
    pub heartbeats_busy: u64,
    pub messages_produced: u64,
    pub messages_consumed: u64,
    pub close_events: u64,
    pub close_walks: u64,
    pub netty_events_dropped: u64,
    pub latencies_ns: Vec<u64>,
}

/// Running means of waits, for the analytical checks.
#[derive(Clone, Copy, Debug, Default)]
pub struct WaitStat {
    pub sum_ns: u128,
    pub count: u64,
    pub max_ns: u64,
}

impl WaitStat {
    /// Adds one wait.
    #[inline]
    pub fn add(&mut self, wait_ns: u64) {
        self.sum_ns += u128::from(wait_ns);
        self.count += 1;
        self.max_ns = self.max_ns.max(wait_ns);
    }
    /// The mean [ms], 0 when empty.
    pub fn mean_ms(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum_ns as f64 / self.count as f64 / 1e6
        }
    }
}

/// Durations in log-spaced buckets, 16 per power of two (exact below 16 ns, else within 1/32 of
/// the value at the bucket's midpoint), so a run's percentiles need no list of every value.
#[derive(Clone, Debug, Default)]
pub struct LatencyHistogram {
    counts: Vec<u64>,
    total: u64,
}

impl LatencyHistogram {
    const SUB_BITS: u32 = 4;

    fn bucket(value_ns: u64) -> usize {
        let sub = 1u64 << Self::SUB_BITS;
        if value_ns < sub {
            return value_ns as usize;
        }
        let exp = 63 - value_ns.leading_zeros();
        let mantissa = (value_ns >> (exp - Self::SUB_BITS)) & (sub - 1);
        ((exp - Self::SUB_BITS + 1) as usize) * sub as usize + mantissa as usize
    }

    /// The midpoint of bucket `b`.
    fn value(b: usize) -> u64 {
        let sub = 1usize << Self::SUB_BITS;
        if b < sub {
            return b as u64;
        }
        let exp = (b / sub) as u32 + Self::SUB_BITS - 1;
        let mantissa = (b % sub) as u64;
        let width = 1u64 << (exp - Self::SUB_BITS);
        ((sub as u64 + mantissa) << (exp - Self::SUB_BITS)) + width / 2
    }

    /// Adds one value.
    pub fn add(&mut self, value_ns: u64) {
        let b = Self::bucket(value_ns);
        if self.counts.len() <= b {
            self.counts.resize(b + 1, 0);
        }
        self.counts[b] += 1;
        self.total += 1;
    }

    /// The `q` quantile (0 < q <= 1) [ns]: the smallest bucket holding the ceil(q x n)-th value;
    /// 0 when empty.
    pub fn quantile_ns(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (b, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return Self::value(b);
            }
        }
        unreachable!("rank {rank} beyond {} values", self.total)
    }
}

/// Lag levels whose time-above is always reported.
pub const LAG_LEVELS: [u64; 4] = [1_000, 10_000, 100_000, 1_000_000];
/// Lag at or below which a run counts as recovered after a restart.
pub const RECOVER_LAG_LEVEL: u64 = 1_000;

/// Aggregates everything the model reports.
#[derive(Debug)]
pub struct Recorder {
    pub interval: IntervalCounts,
    pub totals: IntervalCounts,
    pub heartbeat_queue_wait: WaitStat,
    pub netty_queue_wait: WaitStat,
    pub monitor_wait: WaitStat,
    pub monitor_hold: WaitStat,
    pub heartbeat_latency: WaitStat,
    /// Every heartbeat's response time over the run (for its percentiles).
    pub heartbeat_latency_hist: LatencyHistogram,
    samples: Vec<Sample>,
    pub lag: LagStats,
    sample_interval_ns: u64,
    /// Heartbeat timeouts per broker in the current interval.
    broker_timeouts: Vec<u64>,
    /// Per-broker figures of the whole run.
    pub brokers: Vec<BrokerStats>,
    /// The walker's gaps over the whole run, all brokers.
    pub walker_gaps: GapCounts,
}

/// The gaps between two close walks with the next event already waiting, as the JVM harness
/// counts them (`calibration/jvm/Validate.java`): how many, how many a heartbeat thread won
/// (a `registerProducer` ran in it), the `registerProducer` calls in the won ones, how long the
/// won ones lasted (the walker's absence from its release to its next acquisition), and the
/// heartbeats still queued when the walker got back in after a won gap: whether the heirs drained
/// their backlog before the walker returned or the walker cut the drain short.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GapCounts {
    pub gaps: u64,
    pub won: u64,
    pub registers_in_won: u64,
    pub won_ns: u64,
    /// Heartbeats queued at the walker's return, summed over the won gaps.
    pub queue_left_in_won: u64,
    /// Won gaps that ended with at most [`DRAINED_QUEUE`] heartbeats queued.
    pub won_drained: u64,
}

/// A won gap "drained" its backlog when at most this many heartbeats were still queued as the
/// walker got back in: a few milliseconds of arrivals at a broker's heartbeat rate, the same
/// threshold as the harness's `won_gaps_drained` (`calibration/jvm/Validate.java`).
pub const DRAINED_QUEUE: u64 = 10;

impl GapCounts {
    /// A gap of `duration_ns` ended with `registers` calls in it and `queue_left` heartbeats
    /// queued.
    pub fn add(&mut self, registers: u64, duration_ns: u64, queue_left: u64) {
        self.gaps += 1;
        if registers > 0 {
            self.won += 1;
            self.registers_in_won += registers;
            self.won_ns += duration_ns;
            self.queue_left_in_won += queue_left;
            self.won_drained += u64::from(queue_left <= DRAINED_QUEUE);
        }
    }
}

/// Lag statistics kept online so nothing needs the whole timeline.
#[derive(Debug, Clone, Default)]
pub struct LagStats {
    pub max: u64,
    pub max_time_ns: u64,
    pub final_lag: u64,
    pub sum_for_mean: u128,
    pub samples: u64,
    /// Seconds above each level (levels from `LAG_LEVELS` plus any the scenario asks for).
    pub time_above_ns: BTreeMap<u64, u64>,
    pub consumers_registered_min: Option<u32>,
    pub groups_in_table_max: u64,
    pub groups_in_table_final: u64,
    pub heartbeat_queue_len_max: u64,
    pub netty_queue_len_max: u64,
    /// (time, lag) after each restart, to find the recovery time.
    pub recovery_watch: Option<RecoveryWatch>,
}

/// Watches lag after a restart: the first sample from which lag stays at or below the level.
#[derive(Debug, Clone, Copy)]
pub struct RecoveryWatch {
    pub action_time_ns: u64,
    pub recovered_at_ns: Option<u64>,
}

impl Recorder {
    /// A recorder for samples every `sample_interval_ns`, tracking time above `extra_levels` too.
    pub fn new(sample_interval_ns: u64, extra_levels: &[u64]) -> Self {
        let mut time_above_ns = BTreeMap::new();
        for level in LAG_LEVELS.iter().chain(extra_levels) {
            time_above_ns.insert(*level, 0);
        }
        Recorder {
            interval: IntervalCounts::default(),
            totals: IntervalCounts::default(),
            heartbeat_queue_wait: WaitStat::default(),
            netty_queue_wait: WaitStat::default(),
            monitor_wait: WaitStat::default(),
            monitor_hold: WaitStat::default(),
            heartbeat_latency: WaitStat::default(),
            heartbeat_latency_hist: LatencyHistogram::default(),
            samples: Vec::new(),
            lag: LagStats {
                time_above_ns,
                ..LagStats::default()
            },
            sample_interval_ns,
            broker_timeouts: Vec::new(),
            brokers: Vec::new(),
            walker_gaps: GapCounts::default(),
        }
    }

    /// A heartbeat to broker `b` timed out at the client.
    #[inline]
    pub fn broker_heartbeat_timed_out(&mut self, b: u16) {
        let b = b as usize;
        if b >= self.broker_timeouts.len() {
            self.broker_timeouts.resize(b + 1, 0);
        }
        self.broker_timeouts[b] += 1;
    }

    /// Fills the per-broker interval counts of `sample` and folds its broker rows.
    fn fold_brokers(&mut self, sample: &mut Sample) {
        let n = sample.brokers.len();
        self.broker_timeouts.resize(n.max(self.broker_timeouts.len()), 0);
        if self.brokers.len() < n {
            self.brokers.resize(n, BrokerStats::default());
        }
        for (b, row) in sample.brokers.iter_mut().enumerate() {
            row.heartbeats_timed_out = std::mem::take(&mut self.broker_timeouts[b]);
            let stats = &mut self.brokers[b];
            stats.lag_max = stats.lag_max.max(row.lag);
            stats.lag_final = row.lag;
            stats.heartbeats_timed_out += row.heartbeats_timed_out;
            stats.groups_in_table_max = stats.groups_in_table_max.max(row.groups_in_table);
            stats.heartbeat_queue_len_max = stats.heartbeat_queue_len_max.max(row.heartbeat_queue_len);
            stats.busy_share_sum += row.monitor_busy_share;
            stats.samples += 1;
        }
    }

    /// A heartbeat reply was written after `latency_ns` (whether or not the client still waited).
    #[inline]
    pub fn heartbeat_latency(&mut self, latency_ns: u64) {
        self.interval.latencies_ns.push(latency_ns);
        self.heartbeat_latency.add(latency_ns);
        self.heartbeat_latency_hist.add(latency_ns);
    }

    /// Closes the interval: fills the interval-derived fields of `sample`, folds counts into the
    /// totals and the lag statistics, and buffers the row.
    pub fn finish_sample(&mut self, mut sample: Sample) {
        let counts = std::mem::take(&mut self.interval);
        let mut latencies = counts.latencies_ns;
        let (p50, p99, max) = percentiles(&mut latencies);
        sample.heartbeat_latency_p50_ms = p50;
        sample.heartbeat_latency_p99_ms = p99;
        sample.heartbeat_latency_max_ms = max;
        sample.heartbeats_ok = counts.heartbeats_ok;
        sample.heartbeats_timed_out = counts.heartbeats_timed_out;
        sample.heartbeats_busy = counts.heartbeats_busy;
        sample.messages_produced = counts.messages_produced;
        sample.messages_consumed = counts.messages_consumed;
        sample.close_events = counts.close_events;
        sample.close_walks = counts.close_walks;
        sample.netty_events_dropped = counts.netty_events_dropped;
        let t = &mut self.totals;
        t.heartbeats_sent += counts.heartbeats_sent;
        t.heartbeats_ok += counts.heartbeats_ok;
        t.heartbeats_timed_out += counts.heartbeats_timed_out;
        t.heartbeats_busy += counts.heartbeats_busy;
        t.messages_produced += counts.messages_produced;
        t.messages_consumed += counts.messages_consumed;
        t.close_events += counts.close_events;
        t.close_walks += counts.close_walks;
        t.netty_events_dropped += counts.netty_events_dropped;
        self.fold_lag(&sample);
        self.fold_brokers(&mut sample);
        // Keep the latency buffer's allocation for the next interval.
        latencies.clear();
        self.interval.latencies_ns = latencies;
        self.samples.push(sample);
    }

    fn fold_lag(&mut self, sample: &Sample) {
        let lag = &mut self.lag;
        if sample.lag_total > lag.max || lag.samples == 0 {
            lag.max = sample.lag_total;
            lag.max_time_ns = sample.time_ns;
        }
        lag.final_lag = sample.lag_total;
        lag.sum_for_mean += u128::from(sample.lag_total);
        lag.samples += 1;
        for (level, above_ns) in lag.time_above_ns.iter_mut() {
            if sample.lag_total > *level {
                *above_ns += self.sample_interval_ns;
            }
        }
        lag.consumers_registered_min = Some(
            lag.consumers_registered_min
                .map_or(sample.consumers_registered, |m| m.min(sample.consumers_registered)),
        );
        lag.groups_in_table_max = lag.groups_in_table_max.max(sample.groups_in_table);
        lag.groups_in_table_final = sample.groups_in_table;
        lag.heartbeat_queue_len_max = lag.heartbeat_queue_len_max.max(sample.heartbeat_queue_len);
        lag.netty_queue_len_max = lag.netty_queue_len_max.max(sample.netty_queue_len);
        if let Some(watch) = &mut lag.recovery_watch {
            if sample.lag_total <= RECOVER_LAG_LEVEL {
                watch.recovered_at_ns.get_or_insert(sample.time_ns);
            } else {
                watch.recovered_at_ns = None;
            }
        }
    }

    /// A restart happened: recovery is measured from here.
    pub fn watch_recovery(&mut self, action_time_ns: u64) {
        self.lag.recovery_watch = Some(RecoveryWatch {
            action_time_ns,
            recovered_at_ns: None,
        });
    }

    /// Takes the buffered rows (the caller streams them to disk).
    pub fn drain_samples(&mut self) -> Vec<Sample> {
        std::mem::take(&mut self.samples)
    }
}

/// p50, p99 and max [ms] of `values` (which it reorders); zeros when empty.
fn percentiles(values: &mut [u64]) -> (f64, f64, f64) {
    if values.is_empty() {
        return (0.0, 0.0, 0.0);
    }
    let n = values.len();
    let rank = |q: f64| -> usize { (((n as f64) * q).ceil() as usize).clamp(1, n) - 1 };
    let p50 = *values.select_nth_unstable(rank(0.5)).1;
    let p99 = *values.select_nth_unstable(rank(0.99)).1;
    let max = *values.iter().max().expect("non-empty");
    (p50 as f64 / 1e6, p99 as f64 / 1e6, max as f64 / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_nearest_rank() {
        let mut values: Vec<u64> = (1..=100).map(|v| v * 1_000_000).collect();
        assert_eq!(percentiles(&mut values), (50.0, 99.0, 100.0));
        assert_eq!(percentiles(&mut []), (0.0, 0.0, 0.0));
        assert_eq!(percentiles(&mut [7_000_000]), (7.0, 7.0, 7.0));
    }

    #[test]
    fn histogram_quantiles_within_a_bucket_of_the_exact_ones() {
        let mut h = LatencyHistogram::default();
        assert_eq!(h.quantile_ns(0.5), 0);
        // 1 ns .. 10 s, log-spaced, against the nearest-rank quantiles of the same values.
        let mut values: Vec<u64> = (0..10_000).map(|i| (10f64.powf(i as f64 / 1000.0)).round() as u64).collect();
        for v in &values {
            h.add(*v);
        }
        values.sort_unstable();
        for q in [0.01, 0.5, 0.9, 0.99, 1.0] {
            let exact = values[((q * values.len() as f64).ceil() as usize).clamp(1, values.len()) - 1];
            let approx = h.quantile_ns(q);
            let err = (approx as f64 - exact as f64).abs() / exact as f64;
            assert!(err <= 1.0 / 16.0, "q {q}: {approx} vs {exact}");
        }
        // Small values are exact, and every bucket's midpoint falls back into it.
        for v in [0u64, 1, 15, 16, 17, 31, 32, 1 << 40, u64::MAX] {
            let b = LatencyHistogram::bucket(v);
            assert_eq!(LatencyHistogram::bucket(LatencyHistogram::value(b)), b, "{v}");
        }
        assert_eq!(LatencyHistogram::value(LatencyHistogram::bucket(15)), 15);
    }
}
