//! The raw scenario file as serde reads it. Every section has documented defaults
//! (`docs/scenario-format.md`); unknown fields are rejected. Nothing here checks ranges: that is
//! `validate.rs`, which turns a `ScenarioFile` into a `Scenario`.

use super::units::{Dist, Dur};
use serde::Deserialize;

/// The whole file.
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub seed: u64,
    pub duration: Dur,
    #[serde(default = "default_sample_interval")]
    pub sample_interval: Dur,
    #[serde(default = "default_policies")]
    pub policies: Vec<String>,
    #[serde(default = "default_max_events")]
    pub max_events: u64,
    #[serde(default)]
    pub broker: BrokerFile,
    /// `[[broker_overrides]]`: per-broker changes of `[broker]` (kept raw: any `[broker]` key
    /// but `count` may appear, merged over the `[broker]` table by `validate.rs`).
    #[serde(default)]
    pub broker_overrides: Vec<toml::Table>,
    /// The `[broker]` table as written (filled by `scenario::parse`; empty otherwise).
    #[serde(skip)]
    pub(crate) broker_raw: toml::Table,
    #[serde(default)]
    pub clients: ClientsFile,
    #[serde(default)]
    pub topics: Vec<TopicFile>,
    #[serde(default)]
    pub consumer_groups: Vec<ConsumerGroupFile>,
    #[serde(default)]
    pub producers: Vec<ProducerFile>,
    #[serde(default)]
    pub background: BackgroundFile,
    #[serde(default)]
    pub groups: GroupsFile,
    #[serde(default)]
    pub actions: Vec<ActionFile>,
    #[serde(default)]
    pub dumps: Vec<Dur>,
    #[serde(default)]
    pub expect: Option<toml::Table>,
    /// A calibration file (relative to the scenario) whose `[broker]` applies beneath ours.
    #[serde(default)]
    pub calibration: Option<String>,
}

fn default_sample_interval() -> Dur {
    Dur(1_000_000_000)
}
fn default_policies() -> Vec<String> {
    vec!["leaky".into(), "fixed".into()]
}
fn default_max_events() -> u64 {
    1_000_000_000
}

/// `[broker]`: the broker's pools, queues, monitor and costs.
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields, default)]
pub struct BrokerFile {
    pub count: u32,
    pub heartbeat_threads: u32,
    pub heartbeat_queue_capacity: u32,
    pub heartbeat_queue_max_wait: Dur,
    pub fast_failure_interval: Dur,
    pub client_manage_threads: u32,
    pub client_manage_queue_capacity: u32,
    pub netty_event_queue_cap: u32,
    pub monitor: String,
    pub monitor_wake_latency: Dist,
    pub monitor_exit_cost: Dist,
    pub monitor_spin: Dur,
    pub monitor_spin_walker: bool,
    pub monitor_long_park: Dur,
    pub monitor_wake_latency_long_park: Option<Dist>,
    pub monitor_exit_cost_long_park: Option<Dist>,
    pub monitor_wake_after_exit_long_park: Option<Dist>,
    pub monitor_wake_latency_long_park_gap: Option<Dist>,
    pub monitor_wake_long_park_gap_range: Option<[Dur; 2]>,
    pub monitor_very_long_park: Dur,
    pub monitor_wake_latency_very_long_park: Option<Dist>,
    pub monitor_exit_cost_very_long_park: Option<Dist>,
    pub monitor_wake_latency_idle_waker: Option<Dist>,
    pub monitor_heir_takes_idle_cpu: bool,
    pub cpus: u32,
    pub cpu_other_runnable: u32,
    pub cpu_slice: Dur,
    pub cpu_wait: Dist,
    pub cpu_wait_after_drain: Option<Dist>,
    pub cpu_wait_after_drain_from_idle: bool,
    pub cpu_wait_displaced: Option<Dist>,
    pub cpu_executor_share: f64,
    pub cpu_time_sharing: bool,
    pub cpu_run_queue: bool,
    pub cpu_release_preempt: f64,
    pub cpu_release_preempt_sd: f64,
    pub cpu_release_other_at_once: f64,
    pub cpu_release_heir_waits: f64,
    pub cpu_release_heir_waits_sd: f64,
    pub trylock_timeout: Dur,
    pub heartbeat_cost: Dist,
    pub register_producer_cost: Dist,
    pub unregister_cost: Dist,
    pub close_cost_base: Dist,
    pub close_cost_per_group: Dist,
    pub close_cost_per_group_drift: f64,
    pub netty_event_gap: Dist,
    pub netty_event_gap_long_walk_extra: Dist,
    pub connect_event_cost: Dist,
    pub scan_cost_per_group: Dist,
    pub consumer_close_cost_per_group: Dist,
    pub notify_cost_per_consumer: Dist,
    pub untracked_consumer_groups: u32,
    pub check_subscription_version: bool,
    pub held_pull_recheck: bool,
    pub long_poll_check_interval: Dur,
    pub scan_walks_channel_entries: bool,
    pub housekeeping_interval: Dur,
    pub channel_expired_timeout: Dur,
    pub pull_batch_max: u32,
    pub long_poll_timeout: Dur,
}

impl Default for BrokerFile {
    fn default() -> Self {
        BrokerFile {
            count: 1,
            heartbeat_threads: 8,
            heartbeat_queue_capacity: 50_000,
            heartbeat_queue_max_wait: Dur(31_000_000_000),
            fast_failure_interval: Dur(10_000_000),
            client_manage_threads: 32,
            client_manage_queue_capacity: 1_000_000,
            netty_event_queue_cap: 10_000,
            monitor: "barging".into(),
            monitor_wake_latency: Dist::Const(30_000),
            monitor_exit_cost: Dist::Const(0),
            monitor_spin: Dur(0),
            monitor_spin_walker: true,
            monitor_long_park: Dur(0),
            monitor_wake_latency_long_park: None,
            monitor_exit_cost_long_park: None,
            monitor_wake_after_exit_long_park: None,
            monitor_wake_latency_long_park_gap: None,
            monitor_wake_long_park_gap_range: None,
            monitor_very_long_park: Dur(0),
            monitor_wake_latency_very_long_park: None,
            monitor_exit_cost_very_long_park: None,
            monitor_wake_latency_idle_waker: None,
            monitor_heir_takes_idle_cpu: false,
            cpus: 0,
            cpu_other_runnable: 0,
            cpu_slice: Dur(1_500_000),
            cpu_wait: Dist::Const(10_000_000),
            cpu_wait_after_drain: None,
            cpu_wait_after_drain_from_idle: false,
            cpu_wait_displaced: None,
            cpu_executor_share: 0.0,
            cpu_time_sharing: false,
            cpu_run_queue: false,
            cpu_release_preempt: 0.0,
            cpu_release_other_at_once: 0.0,
            cpu_release_heir_waits: 0.0,
            cpu_release_heir_waits_sd: 0.0,
            cpu_release_preempt_sd: 0.0,
            trylock_timeout: Dur(3_000_000_000),
            heartbeat_cost: Dist::Const(100_000),
            register_producer_cost: Dist::Const(2_000),
            unregister_cost: Dist::Const(5_000),
            close_cost_base: Dist::Const(20_000),
            close_cost_per_group: Dist::Const(1_000),
            close_cost_per_group_drift: 0.0,
            netty_event_gap: Dist::Const(50_000),
            netty_event_gap_long_walk_extra: Dist::Const(0),
            connect_event_cost: Dist::Const(5_000),
            scan_cost_per_group: Dist::Const(200),
            consumer_close_cost_per_group: Dist::Const(0),
            notify_cost_per_consumer: Dist::Const(0),
            untracked_consumer_groups: 0,
            check_subscription_version: true,
            held_pull_recheck: true,
            long_poll_check_interval: Dur(5_000_000_000),
            scan_walks_channel_entries: true,
            housekeeping_interval: Dur(10_000_000_000),
            channel_expired_timeout: Dur(120_000_000_000),
            pull_batch_max: 32,
            long_poll_timeout: Dur(15_000_000_000),
        }
    }
}

/// `[clients]`: behaviour shared by every client instance.
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields, default)]
pub struct ClientsFile {
    pub heartbeat_interval: Dist,
    pub rpc_timeout: Dur,
    pub close_socket_on_timeout: bool,
    pub heartbeat_on_reconnect: bool,
    pub heartbeat_after_rebalance: bool,
    pub unregister_per_group: bool,
    pub rebalance_interval: Dur,
    pub pull_retry_delay: Dur,
    pub flow_control_delay: Dur,
    pub pull_threshold_per_queue: u32,
    pub network_rtt: Dist,
}

impl Default for ClientsFile {
    fn default() -> Self {
        ClientsFile {
            heartbeat_interval: Dist::Const(30_000_000_000),
            rpc_timeout: Dur(3_000_000_000),
            close_socket_on_timeout: true,
            heartbeat_on_reconnect: false,
            heartbeat_after_rebalance: true,
            unregister_per_group: true,
            rebalance_interval: Dur(20_000_000_000),
            pull_retry_delay: Dur(1_000_000_000),
            flow_control_delay: Dur(50_000_000),
            pull_threshold_per_queue: 1_000,
            network_rtt: Dist::Const(1_000_000),
        }
    }
}

/// `[[topics]]`.
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct TopicFile {
    pub name: String,
    #[serde(default = "default_queues")]
    pub queues_per_broker: u32,
}
fn default_queues() -> u32 {
    8
}

/// `[[consumer_groups]]`: a tracked consumer group whose lag is reported.
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct ConsumerGroupFile {
    pub name: String,
    pub topic: String,
    pub consumers: u32,
    /// Messages per second one consumer can process.
    pub consume_rate: f64,
}

/// `[[producers]]`: long-lived producers with their own group.
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct ProducerFile {
    pub group: String,
    pub topic: String,
    #[serde(default = "one")]
    pub instances: u32,
    /// Messages per second, per instance.
    pub send_rate: f64,
    #[serde(default = "default_send_batch")]
    pub send_batch_interval: Dur,
}
fn one() -> u32 {
    1
}
fn default_send_batch() -> Dur {
    Dur(100_000_000)
}

/// `[background]`: the rest of the broker's client instances.
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields, default)]
pub struct BackgroundFile {
    pub clients: u32,
    pub live_groups: u32,
    pub reconnect_interval: Option<Dist>,
    pub abnormal_disconnect_share: f64,
}

impl Default for BackgroundFile {
    fn default() -> Self {
        BackgroundFile {
            clients: 0,
            live_groups: 1,
            reconnect_interval: None,
            abnormal_disconnect_share: 0.0,
        }
    }
}

/// `[groups]`: the producer group table at t=0 and the periodic producer groups.
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields, default)]
pub struct GroupsFile {
    pub initial: u64,
    pub create_interval: Option<Dist>,
    pub creating: bool,
    pub lifetime: Dist,
    pub unregister_probability: f64,
}

impl Default for GroupsFile {
    fn default() -> Self {
        GroupsFile {
            initial: 0,
            create_interval: None,
            creating: true,
            lifetime: Dist::Const(60_000_000_000),
            unregister_probability: 0.0,
        }
    }
}

/// `[[actions]]`: something that happens at a virtual time.
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct ActionFile {
    pub at: Dur,
    pub action: String,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub count: Option<u32>,
    #[serde(default)]
    pub over: Option<Dur>,
    #[serde(default)]
    pub cause: Option<String>,
    #[serde(default)]
    pub broker: Option<u32>,
    #[serde(default)]
    pub param: Option<String>,
    #[serde(default)]
    pub value: Option<toml::Value>,
}
