//! Validation: `ScenarioFile` (raw) → `Scenario` (typed). Collects *every* problem, each with the
//! field path and what is wrong, instead of stopping at the first.

use super::file::{ActionFile, ScenarioFile};
use super::units::{format_duration, Dist};
use crate::model::policy::Policy;
use serde::Deserialize;

/// Hard limits that keep a run within memory and time budgets (documented in
/// `docs/scenario-format.md`).
pub mod limits {
    /// Longest simulated duration [ns] (one year).
    pub const DURATION_MAX_NS: u64 = 365 * 86_400 * 1_000_000_000;
    /// Most timeline rows one run may write.
    pub const SAMPLES_MAX: u64 = 10_000_000;
    /// Most client instances of all kinds (about 1 KiB of state each).
    pub const CLIENTS_MAX: u64 = 1_000_000;
    /// Most brokers.
    pub const BROKERS_MAX: u32 = 64;
    /// Most threads in one pool.
    pub const THREADS_MAX: u32 = 4_096;
    /// Most message queues over all topics and brokers.
    pub const QUEUES_MAX: u64 = 65_536;
    /// Most (consumer, queue) pairs: every consumer holds a process queue (about 56 bytes) for
    /// each queue of its topic on every broker, so this bounds that state near 1 GiB. Found by
    /// the fuzzer: 84,207 consumers on a topic of 25,384 queues asked for about 120 GB.
    pub const PROCESS_QUEUES_MAX: u64 = 20_000_000;
    /// Largest event budget.
    pub const MAX_EVENTS_MAX: u64 = 100_000_000_000;
    /// Largest queue capacity.
    pub const QUEUE_CAPACITY_MAX: u32 = 100_000_000;
    /// Most initial (leaked) groups.
    pub const INITIAL_GROUPS_MAX: u64 = 1_000_000_000_000;
    /// Most scheduled actions and dumps.
    pub const ACTIONS_MAX: usize = 10_000;
    /// Largest message rate [msg/s] of one producer instance or one consumer.
    pub const RATE_MAX: f64 = 10_000_000.0;
}

/// A validated scenario. Constructed only by [`validate`].
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub seed: u64,
    pub duration_ns: u64,
    pub sample_interval_ns: u64,
    pub policies: Vec<Policy>,
    pub max_events: u64,
    pub broker: BrokerParams,
    /// One spec per broker: `[broker]` with its `[[broker_overrides]]` applied.
    pub brokers: Vec<BrokerSpec>,
    pub clients: ClientParams,
    pub topics: Vec<Topic>,
    pub consumer_groups: Vec<ConsumerGroup>,
    pub producers: Vec<Producer>,
    pub background: Background,
    pub groups: PeriodicGroups,
    pub actions: Vec<Action>,
    pub dumps_ns: Vec<u64>,
    /// `[expect]`: thresholds for `hbsim check`.
    pub expect: super::expect::Expectations,
    /// FNV-1a 64 of the file bytes (and of the calibration file's after them).
    pub source_hash: u64,
    /// The `calibration` file, if the scenario names one.
    pub calibration: Option<super::calibration::Calibration>,
    /// The keys the scenario's own `[broker]` sets, sorted (a key it leaves out is the
    /// calibration's or hbsim's default): what a report says each value rests on.
    pub broker_keys: Vec<String>,
}

/// One broker of the cluster as `[[broker_overrides]]` made it.
#[derive(Debug, Clone)]
pub struct BrokerSpec {
    pub params: BrokerParams,
    /// The policy this broker runs whatever the run's policy (`None`: the run's).
    pub policy: Option<Policy>,
    /// Leaked empty groups at t=0 (`None`: `groups.initial`).
    pub groups_initial: Option<u64>,
}

/// How the monitor hands itself over on release.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MonitorKind {
    /// Strict first-in first-out hand-off.
    Fifo,
    /// HotSpot `synchronized`: arrivals barge; the woken waiter is not the oldest.
    Barging,
    /// `ReentrantLock` (AQS, non-fair): arrivals barge; the oldest waiter is woken. Chosen
    /// automatically for the `tryLock` policy (`v4.6.0`) when the scenario says `barging`.
    Aqs,
}

/// `[broker]`, validated.
#[derive(Debug, Clone)]
pub struct BrokerParams {
    pub count: u32,
    pub heartbeat_threads: u32,
    pub heartbeat_queue_capacity: u32,
    pub heartbeat_queue_max_wait_ns: u64,
    pub fast_failure_interval_ns: u64,
    pub client_manage_threads: u32,
    pub client_manage_queue_capacity: u32,
    pub netty_event_queue_cap: u32,
    pub monitor: MonitorKind,
    pub monitor_wake_latency: Dist,
    /// The exiting owner's unpark when it wakes a waiter: delays the exiting thread's next step.
    pub monitor_exit_cost: Dist,
    /// HotSpot's spin window before parking (0 = park at once).
    pub monitor_spin_ns: u64,
    /// Whether the NettyEventExecutor spins too (false: it parks at once when the monitor is
    /// owned, as the harness's loop measured; the heartbeat threads still spin).
    pub monitor_spin_walker: bool,
    /// A waiter parked at least this long wakes with the `_long_park` costs (0 = never).
    pub monitor_long_park_ns: u64,
    /// The wake-up of a waiter parked at least `monitor_long_park` (unset: `monitor_wake_latency`).
    pub monitor_wake_latency_long_park: Option<Dist>,
    /// The exit that wakes a waiter parked at least `monitor_long_park` (unset: `monitor_exit_cost`).
    pub monitor_exit_cost_long_park: Option<Dist>,
    /// The wake-up of a waiter parked at least `monitor_long_park`, counted from the end of the
    /// releaser's exit (its unpark) instead of from the release: the heir is in the race after the
    /// same exit the releaser's own way back waits for (the harness's `heir_after_exit_us`,
    /// docs/calibration.md, the race after the exit). Replaces `monitor_wake_latency_long_park`,
    /// and the very-long-park wake-up where that tier sets none of its own.
    pub monitor_wake_after_exit_long_park: Option<Dist>,
    /// The long-park wake-up of a heir the walker releases when the walker does unlocked work
    /// between close walks (`monitor_wake_latency_long_park_gap`: measured behind a busy gap).
    pub monitor_wake_latency_long_park_gap: Option<Dist>,
    /// `monitor_wake_long_park_gap_range` [ns] where the wake-up behind a busy gap applies (both
    /// keys set, and no `monitor_wake_after_exit_long_park`); `None` where it does not.
    pub long_park_gap_range_ns: Option<(u64, u64)>,
    /// A waiter parked at least this long (longer than `monitor_long_park`) wakes with the
    /// `_very_long_park` costs (0 = never).
    pub monitor_very_long_park_ns: u64,
    /// The wake-up of a waiter parked at least `monitor_very_long_park` (unset: the long-park one).
    pub monitor_wake_latency_very_long_park: Option<Dist>,
    /// The exit that wakes a waiter parked at least `monitor_very_long_park` (unset: the long-park one).
    pub monitor_exit_cost_very_long_park: Option<Dist>,
    /// The wake-up of a waiter whose waker, an executor thread, leaves its CPU at once (its
    /// request done and its queue empty): the waiter takes the waker's CPU, whatever its park.
    /// Unset: by the waiter's park, as any other wake-up.
    pub monitor_wake_latency_idle_waker: Option<Dist>,
    /// A woken heir still on its way when an executor thread goes idle (its request done, its
    /// queue empty) takes the CPU that thread leaves: its wake-up ends at most one
    /// `monitor_wake_latency_idle_waker` draw later. Off: its own wake-up, drawn at the unpark.
    pub monitor_heir_takes_idle_cpu: bool,
    /// Host CPUs available to the broker's threads (0 = CPU contention not modelled).
    pub cpus: u32,
    /// Runnable threads of other work on the host (they keep a CPU from being idle).
    pub cpu_other_runnable: u32,
    /// The scheduler's slice: a walker that ran at least this long is preempted by a thread it wakes onto its CPU.
    pub cpu_slice_ns: u64,
    /// How long a preempted walker stays off its CPU.
    pub cpu_wait: Dist,
    /// On a host whose other work fills its CPUs: how long after the last heartbeat-executor
    /// thread leaves its CPU a walker that lost a gap gets its own back (or at the end of its
    /// `cpu_wait`, whichever comes first). Unset: only at the end of its `cpu_wait`.
    pub cpu_wait_after_drain: Option<Dist>,
    /// `cpu_wait_after_drain` counts from the moment no executor thread holds a request (the
    /// parked ones and those woken and on their way included), as the harness measures it,
    /// instead of from the moment none is on a CPU.
    pub cpu_wait_after_drain_from_idle: bool,
    /// How long a walker that lost its CPU at its release waits for it while its heirs still
    /// run (ended early by `cpu_wait_after_drain` once they have drained). Unset: `cpu_wait`.
    pub cpu_wait_displaced: Option<Dist>,
    /// With `cpu_run_queue`, where the host's threads outnumber its CPUs: the share of the CPUs
    /// the executor threads on a CPU take between them (0: an even share among the runnable threads).
    pub cpu_executor_share: f64,
    /// The executor threads share the host's CPUs with its other runnable threads and the walker
    /// (processor sharing): each piece of their work takes its cost times the runnable threads
    /// per CPU, when they outnumber the CPUs.
    pub cpu_time_sharing: bool,
    /// At most `cpus` executor threads run at once; the others wait for a CPU in a FIFO run
    /// queue, and those that run share the CPUs with the host's other work and the walker.
    pub cpu_run_queue: bool,
    /// The share of the walker's own releases (on more than one CPU, every CPU wanted) at which
    /// the heir it unparks takes its CPU.
    pub cpu_release_preempt: f64,
    /// The share of the walker's own releases (on more than one CPU, every CPU wanted) at which
    /// it keeps its CPU and the heir still runs at once on another.
    pub cpu_release_other_at_once: f64,
    /// The share of the walker's own releases (every CPU wanted) at which it keeps its CPU, the
    /// heir does not run at once, and the heir waits for a CPU (a `cpu_wait` draw after its
    /// wake-up) instead of racing the walker back.
    pub cpu_release_heir_waits: f64,
    /// The spread of `cpu_release_heir_waits` between runs: each run draws its own from a normal
    /// around it, clamped to 0–1 (0: no draw).
    pub cpu_release_heir_waits_sd: f64,
    /// The spread of `cpu_release_preempt` between runs: each run draws its own from a normal
    /// around it, clamped to 0–1 (0: no draw).
    pub cpu_release_preempt_sd: f64,
    pub trylock_timeout_ns: u64,
    pub heartbeat_cost: Dist,
    pub register_producer_cost: Dist,
    pub unregister_cost: Dist,
    pub close_cost_base: Dist,
    pub close_cost_per_group: Dist,
    /// How far a run's per-group walk strays from `close_cost_per_group`: each run draws a
    /// factor exp(σ·z), z standard normal, for the whole run (0: no draw).
    pub close_cost_per_group_drift: f64,
    /// This run's factor on `close_cost_per_group` (1 unless `close_cost_per_group_drift` drew
    /// another when the world was built); not a scenario key.
    pub close_cost_per_group_factor: f64,
    pub netty_event_gap: Dist,
    /// Added to the event thread's gap after a walk that held the monitor at least
    /// `monitor_long_park` (0: nothing, no draw).
    pub netty_event_gap_long_walk_extra: Dist,
    pub connect_event_cost: Dist,
    pub scan_cost_per_group: Dist,
    /// `ConsumerManager.doChannelCloseEvent`: cost per consumer group visited (outside the monitor).
    pub consumer_close_cost_per_group: Dist,
    /// NOTIFY_CONSUMER_IDS_CHANGED oneway: cost per remaining consumer of the closed one's group.
    pub notify_cost_per_consumer: Dist,
    /// Consumer groups in the consumer table besides the tracked ones (cost only).
    pub untracked_consumer_groups: u32,
    /// Pulls carrying a newer subscription version than the broker's fail (SUBSCRIPTION_NOT_LATEST).
    pub check_subscription_version: bool,
    /// A held pull re-runs the subscription checks when it wakes.
    pub held_pull_recheck: bool,
    /// `PullRequestHoldService` checks hold timeouts at this period (0 = exactly on time).
    pub long_poll_check_interval_ns: u64,
    /// The `v4.6.0` locked scan walks every channel entry as well as every group.
    pub scan_walks_channel_entries: bool,
    pub housekeeping_interval_ns: u64,
    pub channel_expired_timeout_ns: u64,
    pub pull_batch_max: u32,
    pub long_poll_timeout_ns: u64,
}

impl BrokerParams {
    /// The share of the walker's releases after a long walk at which a long-parked heir draws
    /// `monitor_wake_latency_long_park_gap`, for an event thread whose unlocked work between two
    /// walks averages `unlocked_ns`: 0 at or below the range's first end, 1 at or beyond its
    /// second, linear between (an assumption), 0 where the wake-up does not apply. Any unlocked
    /// work counts, as the harness's busy gap added to the event thread's own (the thirty-seventh
    /// session, docs/validation-log.md).
    pub fn long_park_gap_weight_at(&self, unlocked_ns: f64) -> f64 {
        self.long_park_gap_range_ns.map_or(0.0, |range| gap_weight(unlocked_ns, range))
    }

    /// [`Self::long_park_gap_weight_at`] `netty_event_gap`'s mean: the weight with no consumer
    /// groups to walk (the engine weighs each release by the whole unlocked work).
    pub fn long_park_gap_weight(&self) -> f64 {
        self.long_park_gap_weight_at(self.netty_event_gap.mean_ns())
    }
}

/// Linear from 0 at `lo` to 1 at `hi` [ns], clamped.
fn gap_weight(unlocked_ns: f64, (lo, hi): (u64, u64)) -> f64 {
    ((unlocked_ns - lo as f64) / (hi - lo) as f64).clamp(0.0, 1.0)
}

/// `[clients]`, validated.
#[derive(Debug, Clone)]
pub struct ClientParams {
    pub heartbeat_interval: Dist,
    pub rpc_timeout_ns: u64,
    pub close_socket_on_timeout: bool,
    pub heartbeat_on_reconnect: bool,
    /// A consumer whose queue set changed heartbeats every broker at once (with a new version).
    pub heartbeat_after_rebalance: bool,
    /// UNREGISTER_CLIENT carries one group: user group round, then `CLIENT_INNER_PRODUCER` round.
    pub unregister_per_group: bool,
    pub rebalance_interval_ns: u64,
    pub pull_retry_delay_ns: u64,
    pub flow_control_delay_ns: u64,
    pub pull_threshold_per_queue: u32,
    pub network_rtt: Dist,
}

/// A topic.
#[derive(Debug, Clone)]
pub struct Topic {
    pub name: String,
    pub queues_per_broker: u32,
}

/// A tracked consumer group.
#[derive(Debug, Clone)]
pub struct ConsumerGroup {
    pub name: String,
    pub topic: usize,
    pub consumers: u32,
    pub consume_rate: f64,
}

/// A long-lived producer group.
#[derive(Debug, Clone)]
pub struct Producer {
    pub group: String,
    pub topic: usize,
    pub instances: u32,
    pub send_rate: f64,
    pub send_batch_interval_ns: u64,
}

/// `[background]`, validated.
#[derive(Debug, Clone)]
pub struct Background {
    pub clients: u32,
    pub live_groups: u32,
    pub reconnect_interval: Option<Dist>,
    pub abnormal_disconnect_share: f64,
}

/// `[groups]`, validated.
#[derive(Debug, Clone)]
pub struct PeriodicGroups {
    pub initial: u64,
    pub create_interval: Option<Dist>,
    pub creating: bool,
    pub lifetime: Dist,
    pub unregister_probability: f64,
}

/// A scheduled action.
#[derive(Debug, Clone)]
pub struct Action {
    pub at_ns: u64,
    pub label: String,
    pub kind: ActionKind,
}

/// How a client disconnects (which Netty events the broker sees).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DisconnectCause {
    /// A normal close: one CLOSE event.
    Close,
    /// An idle timeout: IDLE then CLOSE (two walks).
    Idle,
    /// An exception: EXCEPTION then CLOSE (two walks).
    Exception,
}

/// What an action does.
#[derive(Debug, Clone)]
pub enum ActionKind {
    StopGroupCreation,
    StartGroupCreation,
    /// Restart one broker (index) or all (`None`).
    RestartBroker(Option<u32>),
    /// Set a tracked consumer group's running consumers to `count`.
    ScaleConsumers {
        group: usize,
        count: u32,
    },
    /// `count` background clients disconnect and reconnect, spread over `over_ns`.
    DisconnectClients {
        count: u32,
        over_ns: u64,
        cause: DisconnectCause,
    },
    /// Change a parameter.
    Set(SetParam),
}

/// A parameter an action can change while the run goes on.
#[derive(Debug, Clone)]
pub enum SetParam {
    BrokerCost(BrokerCost, Dist),
    CreateInterval(Dist),
    GroupLifetime(Dist),
    UnregisterProbability(f64),
    ReconnectInterval(Dist),
    AbnormalDisconnectShare(f64),
    CloseSocketOnTimeout(bool),
    ConsumeRate { group: usize, rate: f64 },
    SendRate { producer: usize, rate: f64 },
}

/// The broker costs a `set` action can change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BrokerCost {
    HeartbeatCost,
    RegisterProducerCost,
    UnregisterCost,
    CloseCostBase,
    CloseCostPerGroup,
    NettyEventGap,
    ConnectEventCost,
    MonitorWakeLatency,
}

const BROKER_COSTS: &[(&str, BrokerCost)] = &[
    ("heartbeat_cost", BrokerCost::HeartbeatCost),
    ("register_producer_cost", BrokerCost::RegisterProducerCost),
    ("unregister_cost", BrokerCost::UnregisterCost),
    ("close_cost_base", BrokerCost::CloseCostBase),
    ("close_cost_per_group", BrokerCost::CloseCostPerGroup),
    ("netty_event_gap", BrokerCost::NettyEventGap),
    ("connect_event_cost", BrokerCost::ConnectEventCost),
    ("monitor_wake_latency", BrokerCost::MonitorWakeLatency),
];

/// Collects problems with their field paths.
struct Problems(Vec<String>);

impl Problems {
    fn push(&mut self, field: &str, message: impl AsRef<str>) {
        self.0.push(format!("{field}: {}", message.as_ref()));
    }
    fn check(&mut self, ok: bool, field: &str, message: impl AsRef<str>) {
        if !ok {
            self.push(field, message);
        }
    }
    fn range_u32(&mut self, value: u32, min: u32, max: u32, field: &str) {
        self.check(
            (min..=max).contains(&value),
            field,
            format!("must be between {min} and {max}, got {value}"),
        );
    }
    fn probability(&mut self, value: f64, field: &str) {
        self.check(
            value.is_finite() && (0.0..=1.0).contains(&value),
            field,
            format!("must be a probability between 0 and 1, got {value}"),
        );
    }
    fn rate(&mut self, value: f64, field: &str, allow_zero: bool) {
        let lower_ok = if allow_zero { value >= 0.0 } else { value > 0.0 };
        let bound = if allow_zero { ">= 0" } else { "> 0" };
        self.check(
            value.is_finite() && lower_ok && value <= limits::RATE_MAX,
            field,
            format!("must be {bound} and at most {} msg/s, got {value}", limits::RATE_MAX),
        );
    }
    fn positive(&mut self, value: u64, field: &str) {
        self.check(value > 0, field, "must be longer than 0");
    }
    fn dist_positive_mean(&mut self, dist: &Dist, field: &str) {
        self.check(dist.mean_ns() > 0.0, field, "must have a mean above 0");
    }
    fn normal_mean(&mut self, dist: &Dist, field: &str) {
        if let Dist::Normal { mean_ns, .. } = dist {
            self.check(*mean_ns >= 0.0, field, "a normal distribution needs a mean >= 0");
        }
    }
}

/// Turns a raw file into a `Scenario`, or returns every problem found.
pub fn validate(raw: ScenarioFile, source_hash: u64) -> Result<Scenario, Vec<String>> {
    let mut p = Problems(Vec::new());
    p.check(!raw.name.trim().is_empty(), "name", "must not be empty");
    p.check(raw.name.len() <= 200, "name", "must be at most 200 bytes");
    p.check(
        !raw.name.chars().any(char::is_control),
        "name",
        "must not contain control characters",
    );
    p.positive(raw.duration.0, "duration");
    p.check(raw.duration.0 <= limits::DURATION_MAX_NS, "duration", "must be at most 365d");
    p.check(raw.sample_interval.0 >= 1_000_000, "sample_interval", "must be at least 1ms");
    if raw.sample_interval.0 > 0 {
        let rows = raw.duration.0 / raw.sample_interval.0.max(1);
        p.check(
            rows <= limits::SAMPLES_MAX,
            "sample_interval",
            format!("gives {rows} timeline rows; at most {} are allowed", limits::SAMPLES_MAX),
        );
    }
    p.check(
        raw.sample_interval.0 <= raw.duration.0,
        "sample_interval",
        "must not be longer than duration",
    );
    p.check(
        (1..=limits::MAX_EVENTS_MAX).contains(&raw.max_events),
        "max_events",
        format!("must be between 1 and {}", limits::MAX_EVENTS_MAX),
    );
    let policies = policies(&raw.policies, &mut p);
    let broker = broker(&raw, &mut p);
    let brokers = broker_specs(&raw, &broker, &mut p);
    let clients = clients(&raw, &mut p);
    let topics = topics(&raw, &mut p);
    let queue_total: u64 = topics.iter().map(|t| u64::from(t.queues_per_broker)).sum::<u64>() * u64::from(broker.count);
    p.check(
        queue_total <= limits::QUEUES_MAX,
        "topics",
        format!("{queue_total} queues in all; at most {}", limits::QUEUES_MAX),
    );
    let consumer_groups = consumer_groups(&raw, &topics, &mut p);
    let producers = producers(&raw, &topics, &mut p);
    let background = background(&raw, &mut p);
    let groups = periodic_groups(&raw, &mut p);
    let actions = actions(&raw, &consumer_groups, &producers, &background, &broker, &mut p);
    let mut dumps_ns = Vec::new();
    for (i, dump) in raw.dumps.iter().enumerate() {
        p.check(dump.0 <= raw.duration.0, &format!("dumps[{i}]"), "is after the end of the run");
        dumps_ns.push(dump.0);
    }
    p.check(raw.dumps.len() <= limits::ACTIONS_MAX, "dumps", "too many dumps");
    dumps_ns.sort_unstable();
    // Every consumer added by scale_consumers is a new client instance: count the worst case.
    let scaled: u64 = actions
        .iter()
        .map(|a| match a.kind {
            ActionKind::ScaleConsumers { count, .. } => u64::from(count),
            _ => 0,
        })
        .sum();
    let clients_total = u64::from(background.clients)
        + consumer_groups.iter().map(|g| u64::from(g.consumers)).sum::<u64>()
        + producers.iter().map(|p| u64::from(p.instances)).sum::<u64>()
        + scaled;
    // A `set` of groups.create_interval must respect the same budget as the file's own value.
    for (i, a) in actions.iter().enumerate() {
        if let ActionKind::Set(SetParam::CreateInterval(dist)) = &a.kind {
            let created = raw.duration.0.saturating_sub(a.at_ns) as f64 / dist.mean_ns().max(1.0);
            p.check(
                created <= limits::CLIENTS_MAX as f64,
                &format!("actions[{i}].value"),
                format!(
                    "would create about {created:.0} producer groups; at most {} are allowed",
                    limits::CLIENTS_MAX
                ),
            );
        }
    }
    // Every consumer a group ever has (its initial ones and, worst case, every scale_consumers)
    // holds a process queue per queue of the group's topic.
    let process_queues: u64 = consumer_groups
        .iter()
        .enumerate()
        .map(|(g, group)| {
            let scaled: u64 = actions
                .iter()
                .map(|a| match a.kind {
                    ActionKind::ScaleConsumers { group, count } if group == g => u64::from(count),
                    _ => 0,
                })
                .sum();
            let queues = topics
                .get(group.topic)
                .map_or(0, |t| u64::from(t.queues_per_broker) * u64::from(broker.count));
            (u64::from(group.consumers) + scaled).saturating_mul(queues)
        })
        .fold(0u64, u64::saturating_add);
    p.check(
        process_queues <= limits::PROCESS_QUEUES_MAX,
        "consumer_groups",
        format!(
            "{process_queues} (consumer, queue) pairs: each consumer (counting every scale_consumers) holds one per queue of its topic on every broker; at most {} are allowed",
            limits::PROCESS_QUEUES_MAX
        ),
    );
    p.check(
        clients_total <= limits::CLIENTS_MAX,
        "background.clients",
        format!(
            "{clients_total} client instances in all; at most {} are allowed",
            limits::CLIENTS_MAX
        ),
    );
    let expect = match &raw.expect {
        Some(table) => super::expect::parse_expect(table, &actions, &mut p.0),
        None => super::expect::Expectations {
            replications: 1,
            ..Default::default()
        },
    };
    let all_thresholds = expect.shared.iter().chain(expect.per_policy.iter().flat_map(|(_, t)| t.iter()));
    for threshold in all_thresholds {
        if let super::expect::Threshold::BrokerLagMaxAbove { brokers, .. } | super::expect::Threshold::BrokerLagMaxBelow { brokers, .. } =
            threshold
        {
            for b in brokers {
                p.check(
                    *b < broker.count,
                    &format!("expect.{}.brokers", threshold.key()),
                    format!("broker index {b} does not exist (broker.count = {})", broker.count),
                );
            }
        }
    }
    if !p.0.is_empty() {
        return Err(p.0);
    }
    Ok(Scenario {
        name: raw.name,
        description: raw.description,
        seed: raw.seed,
        duration_ns: raw.duration.0,
        sample_interval_ns: raw.sample_interval.0,
        policies,
        max_events: raw.max_events,
        broker,
        brokers,
        clients,
        topics,
        consumer_groups,
        producers,
        background,
        groups,
        actions,
        dumps_ns,
        expect,
        source_hash,
        calibration: None,
        broker_keys: Vec::new(),
    })
}

fn policies(names: &[String], p: &mut Problems) -> Vec<Policy> {
    let mut out = Vec::new();
    p.check(!names.is_empty(), "policies", "must name at least one policy");
    for (i, name) in names.iter().enumerate() {
        match Policy::parse(name) {
            Some(policy) if out.contains(&policy) => p.push(&format!("policies[{i}]"), format!("`{name}` is listed twice")),
            Some(policy) => out.push(policy),
            None => p.push(&format!("policies[{i}]"), Policy::unknown_message(name)),
        }
    }
    out
}

fn broker(raw: &ScenarioFile, p: &mut Problems) -> BrokerParams {
    broker_params(&raw.broker, "broker", p)
}

/// Checks one `[broker]` table (or a merged override, whose fields are named under `prefix`).
fn broker_params(b: &super::file::BrokerFile, prefix: &str, p: &mut Problems) -> BrokerParams {
    let f = |name: &str| format!("{prefix}.{name}");
    p.range_u32(b.count, 1, limits::BROKERS_MAX, &f("count"));
    p.range_u32(b.heartbeat_threads, 1, limits::THREADS_MAX, &f("heartbeat_threads"));
    p.range_u32(b.client_manage_threads, 1, limits::THREADS_MAX, &f("client_manage_threads"));
    p.range_u32(
        b.heartbeat_queue_capacity,
        1,
        limits::QUEUE_CAPACITY_MAX,
        &f("heartbeat_queue_capacity"),
    );
    p.range_u32(
        b.client_manage_queue_capacity,
        1,
        limits::QUEUE_CAPACITY_MAX,
        &f("client_manage_queue_capacity"),
    );
    p.range_u32(b.netty_event_queue_cap, 1, limits::QUEUE_CAPACITY_MAX, &f("netty_event_queue_cap"));
    p.range_u32(b.pull_batch_max, 1, 1_024, &f("pull_batch_max"));
    p.positive(b.heartbeat_queue_max_wait.0, &f("heartbeat_queue_max_wait"));
    p.positive(b.fast_failure_interval.0, &f("fast_failure_interval"));
    p.positive(b.trylock_timeout.0, &f("trylock_timeout"));
    p.positive(b.housekeeping_interval.0, &f("housekeeping_interval"));
    p.positive(b.channel_expired_timeout.0, &f("channel_expired_timeout"));
    p.positive(b.long_poll_timeout.0, &f("long_poll_timeout"));
    p.check(b.monitor_spin.0 <= 1_000_000_000, &f("monitor_spin"), "must be at most 1s");
    p.check(
        b.monitor_long_park.0 <= 60_000_000_000,
        &f("monitor_long_park"),
        "must be at most 60s",
    );
    // 0 turns the long-park costs off, so a scenario can switch off what a calibration file
    // beneath it sets; a threshold with nothing to apply is a mistake.
    let long_park_costs = b.monitor_wake_latency_long_park.is_some()
        || b.monitor_wake_after_exit_long_park.is_some()
        || b.monitor_exit_cost_long_park.is_some()
        || b.netty_event_gap_long_walk_extra != Dist::Const(0);
    if b.monitor_long_park.0 > 0 && !long_park_costs {
        p.push(
            &f("monitor_long_park"),
            "needs `monitor_wake_latency_long_park`, `monitor_wake_after_exit_long_park`, `monitor_exit_cost_long_park` or `netty_event_gap_long_walk_extra`: what changes after a long park",
        );
    }
    if b.monitor_wake_after_exit_long_park.is_some() {
        p.check(
            b.monitor_long_park.0 > 0,
            &f("monitor_wake_after_exit_long_park"),
            "needs `monitor_long_park`: the park after which the wake-up counts from the releaser's exit",
        );
        p.check(
            b.monitor_wake_latency_long_park.is_none(),
            &f("monitor_wake_after_exit_long_park"),
            "set it or `monitor_wake_latency_long_park`, not both: both are the long-park wake-up (one from the release, one from the end of the releaser's exit)",
        );
    }
    // The wake-up behind a busy gap: both keys or neither, weighed in beside the long-park wake-up
    // counted from the release (`monitor_long_park = 0` turns it off with the other long-park
    // costs, `monitor_wake_after_exit_long_park` too).
    let long_park_gap_range_ns = match (&b.monitor_wake_latency_long_park_gap, b.monitor_wake_long_park_gap_range) {
        (None, None) => None,
        (Some(_), None) => {
            p.push(
                &f("monitor_wake_latency_long_park_gap"),
                "needs `monitor_wake_long_park_gap_range`: the event thread's gaps between which it takes over",
            );
            None
        }
        (None, Some(_)) => {
            p.push(
                &f("monitor_wake_long_park_gap_range"),
                "needs `monitor_wake_latency_long_park_gap`: the wake-up it weighs in",
            );
            None
        }
        (Some(_), Some([lo, hi])) => {
            p.check(
                lo.0 < hi.0 && hi.0 <= 1_000_000_000,
                &f("monitor_wake_long_park_gap_range"),
                format!(
                    "must be two gaps, the first below the second and the second at most 1s, got [{}ns, {}ns]",
                    lo.0, hi.0
                ),
            );
            // Beside the wake-up counted from the releaser's exit (a user who takes that offer over a
            // calibration file that applies this) the after-exit race decides: this one is off.
            (lo.0 < hi.0 && b.monitor_wake_after_exit_long_park.is_none()).then_some((lo.0, hi.0))
        }
    };
    // The second tier: beyond the first, and with something of its own to apply.
    if b.monitor_very_long_park.0 > 0 {
        p.check(
            b.monitor_long_park.0 > 0 && b.monitor_very_long_park.0 > b.monitor_long_park.0,
            &f("monitor_very_long_park"),
            "must be longer than `monitor_long_park` (which must be set): the second tier of parks",
        );
        p.check(
            b.monitor_very_long_park.0 <= 60_000_000_000,
            &f("monitor_very_long_park"),
            "must be at most 60s",
        );
        p.check(
            b.monitor_wake_latency_very_long_park.is_some() || b.monitor_exit_cost_very_long_park.is_some(),
            &f("monitor_very_long_park"),
            "needs `monitor_wake_latency_very_long_park` or `monitor_exit_cost_very_long_park`: what changes after a very long park",
        );
    }
    p.check(
        !b.monitor_heir_takes_idle_cpu || b.monitor_wake_latency_idle_waker.is_some(),
        &f("monitor_heir_takes_idle_cpu"),
        "needs `monitor_wake_latency_idle_waker` (the wake-up of a heir that takes a freed CPU)",
    );
    p.check(
        !b.cpu_wait_after_drain_from_idle || b.cpu_wait_after_drain.is_some(),
        &f("cpu_wait_after_drain_from_idle"),
        "needs `cpu_wait_after_drain` (the wait it says when to count from)",
    );
    p.check(b.cpus <= 4_096, &f("cpus"), "must be at most 4096 (0 = not modelled)");
    p.check(b.cpu_other_runnable <= 100_000, &f("cpu_other_runnable"), "must be at most 100000");
    p.check(b.cpu_slice.0 <= 1_000_000_000, &f("cpu_slice"), "must be at most 1s");
    p.probability(b.cpu_release_preempt, &f("cpu_release_preempt"));
    let share = b.cpu_executor_share;
    p.check(
        share.is_finite() && (0.0..=1.0).contains(&share),
        &f("cpu_executor_share"),
        format!("must be a share of the CPUs between 0 and 1 (0 = an even share), got {share}"),
    );
    p.check(
        share == 0.0 || b.cpu_run_queue,
        &f("cpu_executor_share"),
        "needs `cpu_run_queue = true` (it sets the share of the CPUs the executor threads on them take)",
    );
    p.probability(b.cpu_release_other_at_once, &f("cpu_release_other_at_once"));
    p.probability(b.cpu_release_heir_waits, &f("cpu_release_heir_waits"));
    for (sd, key) in [
        (b.cpu_release_heir_waits_sd, "cpu_release_heir_waits_sd"),
        (b.cpu_release_preempt_sd, "cpu_release_preempt_sd"),
    ] {
        p.check(
            sd.is_finite() && (0.0..=1.0).contains(&sd),
            &f(key),
            format!("must be a standard deviation between 0 and 1 (of a share), got {sd}"),
        );
    }
    let monitor = match b.monitor.as_str() {
        "fifo" => MonitorKind::Fifo,
        "barging" => MonitorKind::Barging,
        "aqs" => MonitorKind::Aqs,
        other => {
            p.push(
                &f("monitor"),
                format!("unknown monitor hand-off `{other}` (expected fifo, barging or aqs)"),
            );
            MonitorKind::Barging
        }
    };
    let dists = [
        (&b.monitor_wake_latency, f("monitor_wake_latency")),
        (&b.monitor_exit_cost, f("monitor_exit_cost")),
        (
            b.monitor_wake_latency_long_park.as_ref().unwrap_or(&b.monitor_wake_latency),
            f("monitor_wake_latency_long_park"),
        ),
        (
            b.monitor_exit_cost_long_park.as_ref().unwrap_or(&b.monitor_exit_cost),
            f("monitor_exit_cost_long_park"),
        ),
        (
            b.monitor_wake_after_exit_long_park.as_ref().unwrap_or(&b.monitor_wake_latency),
            f("monitor_wake_after_exit_long_park"),
        ),
        (
            b.monitor_wake_latency_long_park_gap.as_ref().unwrap_or(&b.monitor_wake_latency),
            f("monitor_wake_latency_long_park_gap"),
        ),
        (
            b.monitor_wake_latency_very_long_park.as_ref().unwrap_or(&b.monitor_wake_latency),
            f("monitor_wake_latency_very_long_park"),
        ),
        (
            b.monitor_exit_cost_very_long_park.as_ref().unwrap_or(&b.monitor_exit_cost),
            f("monitor_exit_cost_very_long_park"),
        ),
        (
            b.monitor_wake_latency_idle_waker.as_ref().unwrap_or(&b.monitor_wake_latency),
            f("monitor_wake_latency_idle_waker"),
        ),
        (&b.cpu_wait, f("cpu_wait")),
        (b.cpu_wait_after_drain.as_ref().unwrap_or(&b.cpu_wait), f("cpu_wait_after_drain")),
        (b.cpu_wait_displaced.as_ref().unwrap_or(&b.cpu_wait), f("cpu_wait_displaced")),
        (&b.heartbeat_cost, f("heartbeat_cost")),
        (&b.register_producer_cost, f("register_producer_cost")),
        (&b.unregister_cost, f("unregister_cost")),
        (&b.close_cost_base, f("close_cost_base")),
        (&b.close_cost_per_group, f("close_cost_per_group")),
        (&b.netty_event_gap, f("netty_event_gap")),
        (&b.netty_event_gap_long_walk_extra, f("netty_event_gap_long_walk_extra")),
        (&b.connect_event_cost, f("connect_event_cost")),
        (&b.scan_cost_per_group, f("scan_cost_per_group")),
        (&b.consumer_close_cost_per_group, f("consumer_close_cost_per_group")),
        (&b.notify_cost_per_consumer, f("notify_cost_per_consumer")),
    ];
    for (dist, field) in &dists {
        p.normal_mean(dist, field);
    }
    p.check(
        b.close_cost_per_group.mean_ns() <= 1e9,
        &f("close_cost_per_group"),
        "must be at most 1s per group",
    );
    let drift = b.close_cost_per_group_drift;
    p.check(
        drift.is_finite() && (0.0..=1.0).contains(&drift),
        &f("close_cost_per_group_drift"),
        format!("must be a standard deviation of ln(walk cost) between 0 and 1, got {drift}"),
    );
    p.range_u32(b.untracked_consumer_groups, 0, 10_000_000, &f("untracked_consumer_groups"));
    BrokerParams {
        count: b.count,
        heartbeat_threads: b.heartbeat_threads,
        heartbeat_queue_capacity: b.heartbeat_queue_capacity,
        heartbeat_queue_max_wait_ns: b.heartbeat_queue_max_wait.0,
        fast_failure_interval_ns: b.fast_failure_interval.0,
        client_manage_threads: b.client_manage_threads,
        client_manage_queue_capacity: b.client_manage_queue_capacity,
        netty_event_queue_cap: b.netty_event_queue_cap,
        monitor,
        monitor_wake_latency: b.monitor_wake_latency,
        monitor_exit_cost: b.monitor_exit_cost,
        monitor_spin_ns: b.monitor_spin.0,
        monitor_spin_walker: b.monitor_spin_walker,
        monitor_long_park_ns: b.monitor_long_park.0,
        monitor_wake_latency_long_park: b.monitor_wake_latency_long_park,
        monitor_exit_cost_long_park: b.monitor_exit_cost_long_park,
        monitor_wake_after_exit_long_park: b.monitor_wake_after_exit_long_park,
        monitor_wake_latency_long_park_gap: b.monitor_wake_latency_long_park_gap,
        long_park_gap_range_ns,
        monitor_very_long_park_ns: b.monitor_very_long_park.0,
        monitor_wake_latency_very_long_park: b.monitor_wake_latency_very_long_park,
        monitor_exit_cost_very_long_park: b.monitor_exit_cost_very_long_park,
        monitor_wake_latency_idle_waker: b.monitor_wake_latency_idle_waker,
        monitor_heir_takes_idle_cpu: b.monitor_heir_takes_idle_cpu,
        cpus: b.cpus,
        cpu_other_runnable: b.cpu_other_runnable,
        cpu_slice_ns: b.cpu_slice.0,
        cpu_wait: b.cpu_wait,
        cpu_wait_after_drain: b.cpu_wait_after_drain,
        cpu_wait_after_drain_from_idle: b.cpu_wait_after_drain_from_idle,
        cpu_wait_displaced: b.cpu_wait_displaced,
        cpu_executor_share: b.cpu_executor_share,
        cpu_time_sharing: b.cpu_time_sharing,
        cpu_run_queue: b.cpu_run_queue,
        cpu_release_preempt: b.cpu_release_preempt,
        cpu_release_other_at_once: b.cpu_release_other_at_once,
        cpu_release_heir_waits: b.cpu_release_heir_waits,
        cpu_release_heir_waits_sd: b.cpu_release_heir_waits_sd,
        cpu_release_preempt_sd: b.cpu_release_preempt_sd,
        trylock_timeout_ns: b.trylock_timeout.0,
        heartbeat_cost: b.heartbeat_cost,
        register_producer_cost: b.register_producer_cost,
        unregister_cost: b.unregister_cost,
        close_cost_base: b.close_cost_base,
        close_cost_per_group: b.close_cost_per_group,
        close_cost_per_group_drift: b.close_cost_per_group_drift,
        close_cost_per_group_factor: 1.0,
        netty_event_gap: b.netty_event_gap,
        netty_event_gap_long_walk_extra: b.netty_event_gap_long_walk_extra,
        connect_event_cost: b.connect_event_cost,
        scan_cost_per_group: b.scan_cost_per_group,
        consumer_close_cost_per_group: b.consumer_close_cost_per_group,
        notify_cost_per_consumer: b.notify_cost_per_consumer,
        untracked_consumer_groups: b.untracked_consumer_groups,
        check_subscription_version: b.check_subscription_version,
        held_pull_recheck: b.held_pull_recheck,
        long_poll_check_interval_ns: b.long_poll_check_interval.0,
        scan_walks_channel_entries: b.scan_walks_channel_entries,
        housekeeping_interval_ns: b.housekeeping_interval.0,
        channel_expired_timeout_ns: b.channel_expired_timeout.0,
        pull_batch_max: b.pull_batch_max,
        long_poll_timeout_ns: b.long_poll_timeout.0,
    }
}

/// `[[broker_overrides]]`: one spec per broker, the `[broker]` table with each override merged
/// over it (any key but `count`), plus an optional policy and leaked-table size.
fn broker_specs(raw: &ScenarioFile, base: &BrokerParams, p: &mut Problems) -> Vec<BrokerSpec> {
    // An out-of-range count is already a problem; never allocate for it (the fuzzer's 4e9).
    let count = (base.count as usize).min(limits::BROKERS_MAX as usize);
    let mut specs: Vec<BrokerSpec> = (0..count)
        .map(|_| BrokerSpec {
            params: base.clone(),
            policy: None,
            groups_initial: None,
        })
        .collect();
    let mut seen = vec![false; count];
    for (i, table) in raw.broker_overrides.iter().enumerate() {
        let field = format!("broker_overrides[{i}]");
        let mut merged = raw.broker_raw.clone();
        let mut targets: Vec<usize> = Vec::new();
        let mut policy = None;
        let mut groups_initial = None;
        for (key, value) in table {
            match key.as_str() {
                "brokers" => match value.as_array() {
                    Some(list) if !list.is_empty() => {
                        for (j, item) in list.iter().enumerate() {
                            match item.as_integer() {
                                Some(b) if b >= 0 && (b as usize) < count => {
                                    let b = b as usize;
                                    if seen[b] {
                                        p.push(&format!("{field}.brokers[{j}]"), format!("broker {b} already has an override"));
                                    }
                                    seen[b] = true;
                                    targets.push(b);
                                }
                                _ => p.push(
                                    &format!("{field}.brokers[{j}]"),
                                    format!("must be a broker index from 0 to {} (broker.count = {count})", count - 1),
                                ),
                            }
                        }
                    }
                    _ => p.push(&format!("{field}.brokers"), "must be a non-empty list of broker indices"),
                },
                "policy" => match value.as_str().map(|name| (name, Policy::parse(name))) {
                    Some((_, Some(parsed))) => policy = Some(parsed),
                    Some((name, None)) => p.push(&format!("{field}.policy"), Policy::unknown_message(name)),
                    None => p.push(&format!("{field}.policy"), "must be a policy name"),
                },
                "groups_initial" => match value.as_integer() {
                    Some(n) if (0..=1_000_000_000_000).contains(&n) => groups_initial = Some(n as u64),
                    _ => p.push(&format!("{field}.groups_initial"), "must be an integer from 0 to 10^12"),
                },
                // The held-pull deadlines of all brokers share one FIFO: one hold time for all.
                "count" | "long_poll_timeout" | "long_poll_check_interval" => {
                    p.push(&format!("{field}.{key}"), "cannot be overridden per broker")
                }
                _ => {
                    merged.insert(key.clone(), value.clone());
                }
            }
        }
        if !table.contains_key("brokers") {
            p.push(
                &format!("{field}.brokers"),
                "is missing (which brokers does the override apply to?)",
            );
        }
        let file = match super::file::BrokerFile::deserialize(toml::Value::Table(merged)) {
            Ok(file) => file,
            Err(e) => {
                p.push(&field, e.message().trim().trim_end_matches('.'));
                continue;
            }
        };
        let params = broker_params(&file, &field, p);
        for b in targets {
            specs[b] = BrokerSpec {
                params: params.clone(),
                policy,
                groups_initial,
            };
        }
    }
    specs
}

fn clients(raw: &ScenarioFile, p: &mut Problems) -> ClientParams {
    let c = &raw.clients;
    p.dist_positive_mean(&c.heartbeat_interval, "clients.heartbeat_interval");
    p.normal_mean(&c.heartbeat_interval, "clients.heartbeat_interval");
    p.normal_mean(&c.network_rtt, "clients.network_rtt");
    p.positive(c.rpc_timeout.0, "clients.rpc_timeout");
    p.positive(c.rebalance_interval.0, "clients.rebalance_interval");
    p.positive(c.flow_control_delay.0, "clients.flow_control_delay");
    p.positive(c.pull_retry_delay.0, "clients.pull_retry_delay");
    p.check(
        c.pull_threshold_per_queue >= 1,
        "clients.pull_threshold_per_queue",
        "must be at least 1",
    );
    if let Dist::Const(0) = c.heartbeat_interval {
        p.push("clients.heartbeat_interval", "must be longer than 0");
    }
    ClientParams {
        heartbeat_interval: c.heartbeat_interval,
        rpc_timeout_ns: c.rpc_timeout.0,
        close_socket_on_timeout: c.close_socket_on_timeout,
        heartbeat_on_reconnect: c.heartbeat_on_reconnect,
        heartbeat_after_rebalance: c.heartbeat_after_rebalance,
        unregister_per_group: c.unregister_per_group,
        rebalance_interval_ns: c.rebalance_interval.0,
        pull_retry_delay_ns: c.pull_retry_delay.0,
        flow_control_delay_ns: c.flow_control_delay.0,
        pull_threshold_per_queue: c.pull_threshold_per_queue,
        network_rtt: c.network_rtt,
    }
}

fn topics(raw: &ScenarioFile, p: &mut Problems) -> Vec<Topic> {
    let mut out: Vec<Topic> = Vec::new();
    for (i, t) in raw.topics.iter().enumerate() {
        let field = format!("topics[{i}]");
        p.check(!t.name.trim().is_empty(), &format!("{field}.name"), "must not be empty");
        p.check(
            !out.iter().any(|o| o.name == t.name),
            &format!("{field}.name"),
            format!("topic `{}` is declared twice", t.name),
        );
        p.range_u32(t.queues_per_broker, 1, 65_536, &format!("{field}.queues_per_broker"));
        out.push(Topic {
            name: t.name.clone(),
            queues_per_broker: t.queues_per_broker,
        });
    }
    out
}

fn topic_index(topics: &[Topic], name: &str, field: &str, p: &mut Problems) -> usize {
    match topics.iter().position(|t| t.name == name) {
        Some(i) => i,
        None => {
            p.push(field, format!("names topic `{name}`, which no [[topics]] entry declares"));
            0
        }
    }
}

fn consumer_groups(raw: &ScenarioFile, topics: &[Topic], p: &mut Problems) -> Vec<ConsumerGroup> {
    let mut out: Vec<ConsumerGroup> = Vec::new();
    for (i, g) in raw.consumer_groups.iter().enumerate() {
        let field = format!("consumer_groups[{i}]");
        p.check(!g.name.trim().is_empty(), &format!("{field}.name"), "must not be empty");
        p.check(
            !out.iter().any(|o| o.name == g.name),
            &format!("{field}.name"),
            format!("consumer group `{}` is declared twice", g.name),
        );
        // Issue 14: a group's timeline column must not take a fixed column's name.
        if let Some(problem) = crate::metrics::group_column_problem(&g.name) {
            p.check(false, &format!("{field}.name"), problem);
        }
        p.check(
            g.consumers as u64 <= limits::CLIENTS_MAX,
            &format!("{field}.consumers"),
            "too many consumers",
        );
        p.rate(g.consume_rate, &format!("{field}.consume_rate"), false);
        let topic = topic_index(topics, &g.topic, &format!("{field}.topic"), p);
        out.push(ConsumerGroup {
            name: g.name.clone(),
            topic,
            consumers: g.consumers,
            consume_rate: g.consume_rate,
        });
    }
    out
}

fn producers(raw: &ScenarioFile, topics: &[Topic], p: &mut Problems) -> Vec<Producer> {
    let mut out: Vec<Producer> = Vec::new();
    for (i, g) in raw.producers.iter().enumerate() {
        let field = format!("producers[{i}]");
        p.check(!g.group.trim().is_empty(), &format!("{field}.group"), "must not be empty");
        p.check(
            !out.iter().any(|o| o.group == g.group),
            &format!("{field}.group"),
            format!("producer group `{}` is declared twice", g.group),
        );
        p.check(
            g.instances as u64 <= limits::CLIENTS_MAX,
            &format!("{field}.instances"),
            "too many instances",
        );
        p.rate(g.send_rate, &format!("{field}.send_rate"), true);
        p.check(
            g.send_batch_interval.0 >= 1_000_000,
            &format!("{field}.send_batch_interval"),
            "must be at least 1ms",
        );
        let topic = topic_index(topics, &g.topic, &format!("{field}.topic"), p);
        out.push(Producer {
            group: g.group.clone(),
            topic,
            instances: g.instances,
            send_rate: g.send_rate,
            send_batch_interval_ns: g.send_batch_interval.0,
        });
    }
    out
}

fn background(raw: &ScenarioFile, p: &mut Problems) -> Background {
    let b = &raw.background;
    p.check(
        u64::from(b.clients) <= limits::CLIENTS_MAX,
        "background.clients",
        format!("must be at most {}", limits::CLIENTS_MAX),
    );
    p.check(b.live_groups >= 1, "background.live_groups", "must be at least 1");
    p.check(b.live_groups <= 1_000_000, "background.live_groups", "must be at most 1000000");
    p.probability(b.abnormal_disconnect_share, "background.abnormal_disconnect_share");
    if let Some(dist) = &b.reconnect_interval {
        p.dist_positive_mean(dist, "background.reconnect_interval");
        p.normal_mean(dist, "background.reconnect_interval");
        p.check(
            dist.mean_ns() >= 1e6,
            "background.reconnect_interval",
            "must have a mean of at least 1ms",
        );
    }
    Background {
        clients: b.clients,
        live_groups: b.live_groups,
        reconnect_interval: b.reconnect_interval,
        abnormal_disconnect_share: b.abnormal_disconnect_share,
    }
}

fn periodic_groups(raw: &ScenarioFile, p: &mut Problems) -> PeriodicGroups {
    let g = &raw.groups;
    p.check(
        g.initial <= limits::INITIAL_GROUPS_MAX,
        "groups.initial",
        format!("must be at most {}", limits::INITIAL_GROUPS_MAX),
    );
    p.probability(g.unregister_probability, "groups.unregister_probability");
    p.normal_mean(&g.lifetime, "groups.lifetime");
    if let Some(dist) = &g.create_interval {
        p.dist_positive_mean(dist, "groups.create_interval");
        p.normal_mean(dist, "groups.create_interval");
        p.check(dist.mean_ns() >= 1e6, "groups.create_interval", "must have a mean of at least 1ms");
        let created = raw.duration.0 as f64 / dist.mean_ns().max(1.0);
        p.check(
            created <= limits::CLIENTS_MAX as f64,
            "groups.create_interval",
            format!(
                "would create about {created:.0} producer groups; at most {} are allowed",
                limits::CLIENTS_MAX
            ),
        );
    }
    PeriodicGroups {
        initial: g.initial,
        create_interval: g.create_interval,
        creating: g.creating,
        lifetime: g.lifetime,
        unregister_probability: g.unregister_probability,
    }
}

fn actions(
    raw: &ScenarioFile,
    consumer_groups: &[ConsumerGroup],
    producers: &[Producer],
    background: &Background,
    broker: &BrokerParams,
    p: &mut Problems,
) -> Vec<Action> {
    p.check(
        raw.actions.len() <= limits::ACTIONS_MAX,
        "actions",
        format!("at most {} actions", limits::ACTIONS_MAX),
    );
    let mut out = Vec::new();
    for (i, a) in raw.actions.iter().enumerate() {
        let field = format!("actions[{i}]");
        p.check(
            a.at.0 <= raw.duration.0,
            &format!("{field}.at"),
            format!(
                "{} is after the end of the run ({})",
                format_duration(a.at.0),
                format_duration(raw.duration.0)
            ),
        );
        if let Some(kind) = action_kind(a, &field, consumer_groups, producers, background, broker, p) {
            let label = a.label.clone().unwrap_or_else(|| a.action.replace('_', " "));
            out.push(Action {
                at_ns: a.at.0,
                label,
                kind,
            });
        }
    }
    // Stable: actions at the same time keep their file order.
    out.sort_by_key(|a| a.at_ns);
    out
}

/// Which optional keys each action takes.
fn allowed_keys(action: &str) -> Option<&'static [&'static str]> {
    Some(match action {
        "stop_group_creation" | "start_group_creation" => &[],
        "restart_broker" => &["broker"],
        "scale_consumers" => &["group", "count"],
        "disconnect_clients" => &["count", "over", "cause"],
        "set" => &["param", "value"],
        _ => return None,
    })
}

fn action_kind(
    a: &ActionFile,
    field: &str,
    consumer_groups: &[ConsumerGroup],
    producers: &[Producer],
    background: &Background,
    broker: &BrokerParams,
    p: &mut Problems,
) -> Option<ActionKind> {
    let Some(allowed) = allowed_keys(&a.action) else {
        p.push(&format!("{field}.action"), format!("unknown action `{}` (expected stop_group_creation, start_group_creation, restart_broker, scale_consumers, disconnect_clients or set)", a.action));
        return None;
    };
    let present = [
        ("group", a.group.is_some()),
        ("count", a.count.is_some()),
        ("over", a.over.is_some()),
        ("cause", a.cause.is_some()),
        ("broker", a.broker.is_some()),
        ("param", a.param.is_some()),
        ("value", a.value.is_some()),
    ];
    for (key, is_set) in present {
        if is_set && !allowed.contains(&key) {
            p.push(&format!("{field}.{key}"), format!("does not apply to action `{}`", a.action));
        }
    }
    match a.action.as_str() {
        "stop_group_creation" => Some(ActionKind::StopGroupCreation),
        "start_group_creation" => Some(ActionKind::StartGroupCreation),
        "restart_broker" => {
            if let Some(b) = a.broker {
                p.check(
                    b < broker.count,
                    &format!("{field}.broker"),
                    format!("broker index {b} does not exist (broker.count = {})", broker.count),
                );
            }
            Some(ActionKind::RestartBroker(a.broker))
        }
        "scale_consumers" => {
            let count = a.count.unwrap_or_else(|| {
                p.push(&format!("{field}.count"), "is required for scale_consumers");
                0
            });
            p.check(
                u64::from(count) <= limits::CLIENTS_MAX / 4,
                &format!("{field}.count"),
                "too many consumers",
            );
            let group = match &a.group {
                Some(name) => consumer_groups.iter().position(|g| &g.name == name).or_else(|| {
                    p.push(&format!("{field}.group"), format!("no consumer group named `{name}`"));
                    None
                }),
                None if consumer_groups.len() == 1 => Some(0),
                None => {
                    p.push(
                        &format!("{field}.group"),
                        format!(
                            "is required: the scenario has {} consumer groups, not exactly one",
                            consumer_groups.len()
                        ),
                    );
                    None
                }
            }?;
            Some(ActionKind::ScaleConsumers { group, count })
        }
        "disconnect_clients" => {
            let count = a.count.unwrap_or_else(|| {
                p.push(&format!("{field}.count"), "is required for disconnect_clients");
                0
            });
            p.check(
                count <= background.clients,
                &format!("{field}.count"),
                format!("{count} is more than the {} background clients", background.clients),
            );
            let cause = match a.cause.as_deref().unwrap_or("close") {
                "close" => DisconnectCause::Close,
                "idle" => DisconnectCause::Idle,
                "exception" => DisconnectCause::Exception,
                other => {
                    p.push(
                        &format!("{field}.cause"),
                        format!("unknown cause `{other}` (expected close, idle or exception)"),
                    );
                    DisconnectCause::Close
                }
            };
            Some(ActionKind::DisconnectClients {
                count,
                over_ns: a.over.map_or(0, |d| d.0),
                cause,
            })
        }
        _ => set_param(a, field, consumer_groups, producers, p).map(ActionKind::Set),
    }
}

fn set_param(a: &ActionFile, field: &str, consumer_groups: &[ConsumerGroup], producers: &[Producer], p: &mut Problems) -> Option<SetParam> {
    let Some(param) = a.param.as_deref() else {
        p.push(&format!("{field}.param"), "is required for set");
        return None;
    };
    let Some(value) = a.value.clone() else {
        p.push(&format!("{field}.value"), "is required for set");
        return None;
    };
    let value_field = format!("{field}.value");
    let dist = |p: &mut Problems| -> Option<Dist> {
        match Dist::deserialize(value.clone()) {
            Ok(d) => {
                p.normal_mean(&d, &value_field);
                Some(d)
            }
            Err(e) => {
                p.push(&value_field, format!("for `{param}`: {}", e.to_string().trim()));
                None
            }
        }
    };
    let float = |p: &mut Problems| -> Option<f64> {
        match value.as_float().or_else(|| value.as_integer().map(|i| i as f64)) {
            Some(f) => Some(f),
            None => {
                p.push(&value_field, format!("`{param}` takes a number"));
                None
            }
        }
    };
    if let Some(name) = param.strip_prefix("broker.") {
        if let Some((_, cost)) = BROKER_COSTS.iter().find(|(n, _)| *n == name) {
            return Some(SetParam::BrokerCost(*cost, dist(p)?));
        }
    }
    let simple = match param {
        "groups.create_interval" => Some(SetParam::CreateInterval(dist(p)?)),
        "groups.lifetime" => Some(SetParam::GroupLifetime(dist(p)?)),
        "background.reconnect_interval" => Some(SetParam::ReconnectInterval(dist(p)?)),
        "groups.unregister_probability" => {
            let v = float(p)?;
            p.probability(v, &value_field);
            Some(SetParam::UnregisterProbability(v))
        }
        "background.abnormal_disconnect_share" => {
            let v = float(p)?;
            p.probability(v, &value_field);
            Some(SetParam::AbnormalDisconnectShare(v))
        }
        "clients.close_socket_on_timeout" => match value.as_bool() {
            Some(b) => Some(SetParam::CloseSocketOnTimeout(b)),
            None => {
                p.push(&value_field, "`clients.close_socket_on_timeout` takes true or false");
                return None;
            }
        },
        _ => None,
    };
    if simple.is_some() {
        if let Some(SetParam::CreateInterval(d) | SetParam::ReconnectInterval(d)) = &simple {
            p.check(d.mean_ns() >= 1e6, &value_field, "must have a mean of at least 1ms");
        }
        return simple;
    }
    let parts: Vec<&str> = param.split('.').collect();
    match parts.as_slice() {
        ["consumer_groups", name, "consume_rate"] => {
            let Some(group) = consumer_groups.iter().position(|g| g.name == *name) else {
                p.push(&format!("{field}.param"), format!("no consumer group named `{name}`"));
                return None;
            };
            let rate = float(p)?;
            p.rate(rate, &value_field, false);
            Some(SetParam::ConsumeRate { group, rate })
        }
        ["producers", name, "send_rate"] => {
            let Some(producer) = producers.iter().position(|g| g.group == *name) else {
                p.push(&format!("{field}.param"), format!("no producer group named `{name}`"));
                return None;
            };
            let rate = float(p)?;
            p.rate(rate, &value_field, true);
            Some(SetParam::SendRate { producer, rate })
        }
        _ => {
            let costs: Vec<String> = BROKER_COSTS.iter().map(|(n, _)| format!("broker.{n}")).collect();
            p.push(&format!("{field}.param"), format!(
                "`{param}` cannot be set during a run (settable: {}, groups.create_interval, groups.lifetime, groups.unregister_probability, background.reconnect_interval, background.abnormal_disconnect_share, clients.close_socket_on_timeout, consumer_groups.<name>.consume_rate, producers.<group>.send_rate)",
                costs.join(", ")
            ));
            None
        }
    }
}

impl Scenario {
    /// Total client instances at the start.
    pub fn initial_clients(&self) -> u64 {
        u64::from(self.background.clients)
            + self.consumer_groups.iter().map(|g| u64::from(g.consumers)).sum::<u64>()
            + self.producers.iter().map(|p| u64::from(p.instances)).sum::<u64>()
    }
}

/// How a plausible range is read and shown.
#[derive(Clone, Copy)]
enum Quantity {
    /// Nanoseconds (a duration or a distribution's mean), shown as a duration.
    Time(fn(&Scenario) -> f64),
    /// A count.
    Count(fn(&Scenario) -> f64),
}

/// Plausible ranges: a value outside is accepted (the model runs) but warned about, since it is
/// more likely a unit typo (`"1ms"` for `"1us"`) than a broker anyone runs. The ranges are
/// assumptions wide enough for any real 4.x/5.x broker and client, not measurements.
const PLAUSIBLE: &[(&str, Quantity, f64, f64)] = &[
    // The low end is measured, not assumed: a hot table walks in 18-37 ns per group on OpenJDK 17
    // (calibration/idle-host-openjdk17.toml: 25 ns; docs/calibration.md), so only a value under a
    // few nanoseconds (a unit slip, "1ps"-like) is more likely a typo than a host.
    (
        "broker.close_cost_per_group",
        Quantity::Time(|s| s.broker.close_cost_per_group.mean_ns()),
        5.0,
        20_000.0,
    ),
    (
        "broker.close_cost_base",
        Quantity::Time(|s| s.broker.close_cost_base.mean_ns()),
        0.0,
        10_000_000.0,
    ),
    (
        "broker.scan_cost_per_group",
        Quantity::Time(|s| s.broker.scan_cost_per_group.mean_ns()),
        0.0,
        20_000.0,
    ),
    (
        "broker.heartbeat_cost",
        Quantity::Time(|s| s.broker.heartbeat_cost.mean_ns()),
        1_000.0,
        10_000_000.0,
    ),
    (
        "broker.register_producer_cost",
        Quantity::Time(|s| s.broker.register_producer_cost.mean_ns()),
        0.0,
        1_000_000.0,
    ),
    (
        "broker.monitor_wake_latency",
        Quantity::Time(|s| s.broker.monitor_wake_latency.mean_ns()),
        0.0,
        1_000_000.0,
    ),
    (
        "broker.heartbeat_threads",
        Quantity::Count(|s| f64::from(s.broker.heartbeat_threads)),
        1.0,
        256.0,
    ),
    (
        "clients.rpc_timeout",
        Quantity::Time(|s| s.clients.rpc_timeout_ns as f64),
        100_000_000.0,
        60_000_000_000.0,
    ),
    (
        "clients.heartbeat_interval",
        Quantity::Time(|s| s.clients.heartbeat_interval.mean_ns()),
        1e9,
        600e9,
    ),
    (
        "clients.network_rtt",
        Quantity::Time(|s| s.clients.network_rtt.mean_ns()),
        10_000.0,
        500_000_000.0,
    ),
    (
        "background.clients",
        Quantity::Count(|s| f64::from(s.background.clients)),
        0.0,
        1_000_000.0,
    ),
    ("groups.initial", Quantity::Count(|s| s.groups.initial as f64), 0.0, 10_000_000.0),
];

/// Warnings for values outside their plausible range, each naming the field, the value and the
/// range expected (see [`PLAUSIBLE`]).
pub fn plausibility_warnings(scenario: &Scenario) -> Vec<String> {
    let show_time = |ns: f64| super::units::format_duration(ns.round().max(0.0) as u64);
    let mut warnings = Vec::new();
    for (field, quantity, low, high) in PLAUSIBLE {
        let (value, shown, range) = match quantity {
            Quantity::Time(get) => {
                let v = get(scenario);
                (v, show_time(v), format!("{} to {}", show_time(*low), show_time(*high)))
            }
            Quantity::Count(get) => {
                let v = get(scenario);
                (v, format!("{v}"), format!("{low} to {high}"))
            }
        };
        if value < *low || value > *high {
            warnings.push(format!(
                "{field} = {shown} is outside its plausible range ({range}); check the unit (runs anyway)"
            ));
        }
    }
    warnings.extend(below_calibration_floor(scenario));
    warnings.extend(run_queue_under_load(scenario));
    warnings
}

/// `cpu_run_queue` beside the host's other work: validated on idle hosts and, with the keys of
/// I that `hbsim calibrate --busy-threads` writes (`cpu_executor_share`, `cpu_wait_after_drain`),
/// on hosts whose other work fills the CPUs (docs/validation-log.md, the forty-fourth session).
/// Without them it collapsed far more often than the real loop from 8 busy threads on (the
/// forty-second session) or drained a won gap at half the loop's pace (H, the forty-fourth);
/// between (fewer busy threads than CPUs) nothing was recorded.
fn run_queue_under_load(scenario: &Scenario) -> Option<String> {
    let b = &scenario.broker;
    if !(b.cpu_run_queue && b.cpus > 0 && b.cpu_other_runnable > 0) {
        return None;
    }
    let head = format!(
        "broker.cpu_run_queue = true with broker.cpu_other_runnable = {} on broker.cpus = {}",
        b.cpu_other_runnable, b.cpus
    );
    if b.cpu_other_runnable < b.cpus {
        return Some(format!(
            "{head}: validated on idle hosts and on hosts whose other work fills the CPUs, not between (runs anyway)"
        ));
    }
    let mut missing = Vec::new();
    if b.cpu_executor_share == 0.0 {
        missing.push("broker.cpu_executor_share");
    }
    if b.cpu_wait_after_drain.is_none() {
        missing.push("broker.cpu_wait_after_drain");
    }
    (!missing.is_empty()).then(|| {
        format!(
            "{head} without {}: under load validated only with them, as `hbsim calibrate --busy-threads` writes them \
             (without them the model collapsed more often than the real loop; docs/validation-log.md, the forty-second \
             and forty-fourth sessions), so this answer leans pessimistic (runs anyway)",
            missing.join(" and ")
        )
    })
}

/// A scenario's own `netty_event_gap` whose mean is under its calibration's: the calibration
/// writes the harness's event thread with no work between walks (its poll and dispatch of the
/// next close), the floor for a broker's, and a broker's unlocked work adds to it (the
/// thirty-seventh session: the loops' walker came back 3.3 µs later behind a 3 µs busy gap and
/// 5.2 µs later behind 5 µs; docs/validation-log.md).
fn below_calibration_floor(scenario: &Scenario) -> Option<String> {
    let cal = scenario.calibration.as_ref()?;
    let floor = cal.broker.get("netty_event_gap")?.as_str()?;
    let floor_ns = super::units::parse_duration(floor).ok()? as f64;
    let mean_ns = scenario.broker.netty_event_gap.mean_ns();
    let show = |ns: f64| super::units::format_duration(ns.round().max(0.0) as u64);
    (mean_ns + 0.5 < floor_ns).then(|| {
        format!(
            "broker.netty_event_gap's mean {} is below the calibration's {} ({}: the harness's event thread with no work \
             between walks, the floor for a broker's); a broker's unlocked work between walks adds to it: set the \
             calibration's plus that work (docs/scenario-format.md; runs anyway)",
            show(mean_ns),
            floor,
            cal.file
        )
    })
}
