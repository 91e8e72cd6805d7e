//! The broker and client model (SPEC §2): the closed [`Event`] enum, the [`World`] that owns all
//! simulated state, and the one `match` that dispatches events. `broker/` holds the broker-side
//! handlers (one file per RocketMQ role), `client/` the client side, `wire.rs` the boundary
//! between them, `monitor.rs` the ProducerManager monitor.
//!
//! The model does no I/O and reads no clock; it reports observations to the `Recorder`.
//!
//! ```text
//!  clients (background, consumers, producers, periodic producer groups)
//!     |  HEART_BEAT (every 30 s, 3 s RPC timeout; timeout => close the socket)
//!     |  UNREGISTER_CLIENT             PULL (long polling)      GET_CONSUMER_LIST
//!     v                                   |                         |
//!  +--------------------------- broker ---|-------------------------|----------------+
//!  | heartbeat executor (8 threads,      |  pull path: checks the  | consumer-manage |
//!  |  FIFO queue 50,000, fast-failure    |  group is registered,   | executor (never |
//!  |  sweep drops waits > 31 s)          |  holds pulls 15 s       | blocked)        |
//!  |   registerConsumer (unlocked) --+   +-------------------------+-----------------+
//!  |   registerProducer ----------+  |          ConsumerManager <-------------------+ |
//!  | client-manage executor (32)  |  |          (CHANGE => notify the group)        | |
//!  |   unregisterProducer -------+|  |                                              | |
//!  |                             vv  v                                              | |
//!  |                 [ ProducerManager monitor ]  <-- housekeeping scan (10 s)       | |
//!  |                             ^                                                  | |
//!  |   NettyEventExecutor (1 thread, soft cap 10,000):                              | |
//!  |     CLOSE/IDLE/EXCEPTION => doChannelCloseEvent walks every group under the    | |
//!  |     monitor, then ConsumerManager.doChannelCloseEvent outside it ---------------+ |
//!  +--------------------------------------------------------------------------------+
//! ```

pub mod broker;
pub mod client;
pub mod monitor;
pub mod policy;
pub mod wire;

use crate::engine::{Ctx, Model, RngStreams, SimTime};
use crate::metrics::{Holder, Recorder, Sample};
use crate::scenario::{Action, ActionKind, BrokerCost, Scenario, SetParam};
use broker::Broker;
use client::{Client, Consumer, ProducerInstance};
use policy::Policy;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::Distribution;

/// A client instance (index into `World::clients`).
pub type ClientId = u32;
/// A TCP channel between a client and a broker; 0 means "no channel".
pub type ChannelId = u64;
/// A producer group (index into the group registry; 0 is `CLIENT_INNER_PRODUCER`).
pub type GroupId = u32;

/// The group every client instance carries (`MQClientInstance`'s internal producer).
pub const INNER_GROUP: GroupId = 0;

/// A broker thread that can own the ProducerManager monitor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ThreadRef {
    /// `HeartbeatThread_<n+1>`.
    Heartbeat(u16),
    /// The single `NettyEventExecutor`.
    Netty,
    /// `ClientManageThread_<n+1>`.
    ClientManage(u16),
    /// `ClientHousekeepingScheduledThread` (locks only under `v4.6.0`).
    Housekeeping,
}

impl From<ThreadRef> for Holder {
    fn from(thread: ThreadRef) -> Holder {
        match thread {
            ThreadRef::Heartbeat(i) => Holder::Heartbeat(i),
            ThreadRef::Netty => Holder::Netty,
            ThreadRef::ClientManage(i) => Holder::ClientManage(i),
            ThreadRef::Housekeeping => Holder::Housekeeping,
        }
    }
}

/// Why a client's channel closes (what the broker's Netty thread sees).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseCause {
    /// A normal close: CLOSE.
    Close,
    /// IDLE then CLOSE.
    Idle,
    /// EXCEPTION then CLOSE.
    Exception,
}

/// Everything that can happen. Small and `Copy`: handlers look state up by id.
#[derive(Clone, Copy, Debug)]
pub enum Event {
    /// Record a timeline row.
    Sample,
    /// Run scenario action `n` (index into `Scenario::actions`).
    Action(u32),
    /// Take thread dump `n`.
    Dump(u32),
    /// A client's heartbeat timer fires (`gen` invalidates timers of a dead client).
    HeartbeatTick { client: ClientId, gen: u32 },
    /// The earliest outstanding RPC deadline may have passed.
    RpcDeadline,
    /// The head of the heartbeat-tick FIFO is due (constant heartbeat interval only).
    TickDue,
    /// The next reconnect of the background population (exponential churn only).
    ReconnectDue,
    /// A broker thread finished its current step.
    ThreadStep { broker: u16, thread: ThreadRef, epoch: u32 },
    /// A thread woken on a monitor release is runnable again.
    MonitorWake { broker: u16, thread: ThreadRef, epoch: u32 },
    /// A preempted NettyEventExecutor gets its CPU back (CPU model; `preemption` numbers it).
    /// `after_drain`: its turn after the heartbeat executor's idle moment, void if a heartbeat
    /// thread has come back on a CPU since.
    NettyResume {
        broker: u16,
        epoch: u32,
        preemption: u32,
        after_drain: bool,
    },
    /// A `tryLock` wait runs out (`v4.6.0`).
    TryLockTimeout {
        broker: u16,
        thread: ThreadRef,
        epoch: u32,
        attempt: u32,
    },
    /// A HotSpot spin window runs out (`monitor_spin`): the spinner parks.
    SpinEnd {
        broker: u16,
        thread: ThreadRef,
        epoch: u32,
        attempt: u32,
    },
    /// BrokerFastFailure looks at the head of the heartbeat queue.
    FastFailure { broker: u16, epoch: u32 },
    /// ClientHousekeepingService scans for expired channels.
    Housekeeping { broker: u16, epoch: u32 },
    /// A new periodic producer group starts (`chain` invalidates the timer of a stopped chain).
    GroupCreate { chain: u32 },
    /// A periodic producer shuts down.
    PeriodicShutdown(ClientId),
    /// A background client's connection drops (reconnect churn).
    BackgroundReconnect { client: ClientId, gen: u32 },
    /// A client disconnects because of a `disconnect_clients` action.
    Disconnect { client: ClientId, cause: CloseCause },
    /// A long-lived producer instance sends its next batch.
    SendTick(u32),
    /// A consumer (re)issues a pull on one of its queues.
    PullIssue { consumer: u32, queue: u32, gen: u32 },
    /// A pull response reaches the consumer.
    PullResult { consumer: u32, queue: u32, gen: u32 },
    /// The earliest held (long-polling) pull may have timed out at the broker.
    LongPollDue,
    /// A consumer finished processing its current batch.
    ConsumeDone { consumer: u32 },
    /// A consumer rebalances (`periodic` = its 20 s timer, else a notification).
    Rebalance { consumer: u32, periodic: bool },
}

/// Stream ids of the RNG streams (stable numbering: adding one shifts no other).
pub mod streams {
    /// Broker `b` draws its costs from `BROKER_BASE + b`.
    pub const BROKER_BASE: u64 = 1_000;
    /// Periodic group creation.
    pub const GROUP_CREATION: u64 = 10;
    /// Actions (which clients disconnect, …).
    pub const ACTIONS: u64 = 11;
    /// Background reconnect churn drawn for the whole population at once.
    pub const RECONNECTS: u64 = 12;
    /// Broker `b` draws its run's `cpu_release_heir_waits` from `HEIR_WAITS_BASE + b` (only where
    /// `cpu_release_heir_waits_sd` is above 0).
    pub const HEIR_WAITS_BASE: u64 = 2_000;
    /// Broker `b` draws its run's factor on `close_cost_per_group` from `WALK_DRIFT_BASE + b`
    /// (only where `close_cost_per_group_drift` is above 0).
    pub const WALK_DRIFT_BASE: u64 = 3_000;
    /// Broker `b` draws its run's `cpu_release_preempt` from `PREEMPT_DRIFT_BASE + b` (only where
    /// `cpu_release_preempt_sd` is above 0).
    pub const PREEMPT_DRIFT_BASE: u64 = 4_000;
    /// Client `c` draws from `CLIENT_BASE + c`.
    pub const CLIENT_BASE: u64 = 1 << 32;
}

/// Runtime-changeable parameters (a `set` action writes these).
#[derive(Clone, Debug)]
pub struct Params {
    pub broker: crate::scenario::BrokerParams,
    /// Each broker's own parameters (`[broker]` with its override); a `set` writes all of them.
    pub brokers: Vec<crate::scenario::BrokerParams>,
    pub create_interval: Option<crate::scenario::Dist>,
    pub group_lifetime: crate::scenario::Dist,
    pub unregister_probability: f64,
    pub reconnect_interval: Option<crate::scenario::Dist>,
    pub abnormal_disconnect_share: f64,
    pub close_socket_on_timeout: bool,
    pub consume_rate: Vec<f64>,
    pub send_rate: Vec<f64>,
}

/// A topic's message queue (one per broker × queue index).
#[derive(Clone, Debug)]
pub struct MessageQueue {
    pub topic: u32,
    /// Index of this queue within its topic (= within every group consuming the topic).
    pub local: u32,
    pub broker: u16,
    /// Messages ever written.
    pub produced: u64,
    /// Held pulls: (consumer, pull sequence).
    pub held: Vec<(u32, u32)>,
}

/// A tracked consumer group's state.
#[derive(Clone, Debug)]
pub struct GroupState {
    pub topic: u32,
    /// Global queue indices of the topic, in (broker, queue) order.
    pub queues: Vec<u32>,
    /// Committed consume offset per queue of `queues`.
    pub consumed: Vec<u64>,
    /// Consumers of this group (running or not), by consumer index.
    pub members: Vec<u32>,
}

/// A scheduled thread dump: the state of every broker thread at one instant.
#[derive(Clone, Debug)]
pub struct ThreadDump {
    pub time_ns: u64,
    pub reason: String,
    pub brokers: Vec<Vec<broker::ThreadView>>,
}

/// All simulated state of one run.
pub struct World {
    pub scenario: Scenario,
    pub policy: Policy,
    pub params: Params,
    pub brokers: Vec<Broker>,
    pub clients: Vec<Client>,
    pub consumers: Vec<Consumer>,
    pub producers: Vec<ProducerInstance>,
    pub queues: Vec<MessageQueue>,
    /// The contiguous range of `queues` of each topic.
    pub topic_ranges: Vec<std::ops::Range<u32>>,
    pub groups: Vec<GroupState>,
    /// Producer group registry: the name kind of each group id.
    pub group_names: Vec<client::GroupName>,
    pub creating: bool,
    /// Numbers the chains of GroupCreate timers: a stop ends the running chain for good.
    pub creation_chain: u32,
    pub next_channel: ChannelId,
    /// Outstanding client RPCs in deadline order: (deadline, client, request seq).
    pub rpc_deadlines: std::collections::VecDeque<(u64, ClientId, u32)>,
    pub rpc_timer_armed: bool,
    /// Heartbeat ticks in time order, used when the heartbeat interval is a constant: every tick
    /// is rescheduled exactly one interval later, so appending keeps the order and one heap
    /// event stands for all of them.
    pub tick_fifo: std::collections::VecDeque<(u64, ClientId, u32)>,
    pub tick_armed: bool,
    /// Exponential background churn is one Poisson process over the whole population.
    pub reconnect_aggregate: bool,
    pub reconnect_rng: ChaCha8Rng,
    /// Per-client random streams (apart from `clients` so the hot client data stays small).
    pub client_rngs: Vec<ChaCha8Rng>,
    /// Open channel per (client, broker): `client * brokers + broker`; 0 = none.
    pub channel_slots: Vec<ChannelId>,
    /// Held pulls in deadline order: (deadline, consumer, queue, pull seq).
    pub long_polls: std::collections::VecDeque<(u64, u32, u32, u32)>,
    pub long_poll_armed: bool,
    /// True while the clients of t=0 are built (ticks are sorted once afterwards).
    pub building: bool,
    pub streams: RngStreams,
    pub creation_rng: ChaCha8Rng,
    pub action_rng: ChaCha8Rng,
    pub recorder: Recorder,
    pub dumps: Vec<ThreadDump>,
    /// Snapshot taken whenever lag reaches a new maximum (the "peak" dump).
    pub peak_dump: Option<ThreadDump>,
    pub trace_hash: u64,
    pub events: u64,
    /// The optional event trace (`replay --trace`): handled events of the selected kinds, drained
    /// by the caller after every chunk of simulated time.
    pub event_trace: Option<EventTrace>,
    /// The optional hold trace (`replay --trace-holds`): every ProducerManager monitor hold,
    /// drained by the caller after every chunk of simulated time.
    pub hold_trace: Option<HoldTrace>,
}

/// Events kept for the trace file.
#[derive(Clone, Debug, Default)]
pub struct EventTrace {
    /// Bit `k` set: keep events of kind `k`.
    pub kinds: u32,
    pub buffer: Vec<(u64, Event)>,
}

/// One ProducerManager monitor hold, as the harness's `--trace-holds` records one
/// (calibration/jvm/Validate.java): when the thread asked for the monitor, entered and left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hold {
    pub broker: u16,
    pub thread: ThreadRef,
    pub arrive_ns: u64,
    pub in_ns: u64,
    pub out_ns: u64,
}

/// Monitor holds kept for the hold trace. Under barging a heartbeat thread that goes straight
/// from one `registerProducer` to the next keeps the monitor (one hold in the model); the trace
/// still writes one row per call, the next arriving and entering where the last left, as the
/// harness records them.
#[derive(Clone, Debug, Default)]
pub struct HoldTrace {
    /// Threads asking for the monitor: (broker, thread, since).
    asking: Vec<(u16, ThreadRef, u64)>,
    /// Per broker: the hold under way, (thread, arrived, entered).
    open: Vec<Option<(ThreadRef, u64, u64)>>,
    /// Per broker: the costs of the calls the hold under way is made of (none for a walk or a scan).
    open_calls: Vec<Vec<u64>>,
    /// Completed holds, in the order they ended.
    pub buffer: Vec<Hold>,
}

impl HoldTrace {
    /// `thread` asks for broker `b`'s monitor at `now`.
    pub fn arrive(&mut self, b: u16, thread: ThreadRef, now: u64) {
        self.asking.retain(|(ab, at, _)| (*ab, *at) != (b, thread));
        self.asking.push((b, thread, now));
    }

    /// `thread` stops asking without entering (a timed-out `tryLock`).
    pub fn give_up(&mut self, b: u16, thread: ThreadRef) {
        self.asking.retain(|(ab, at, _)| (*ab, *at) != (b, thread));
    }

    /// `thread` owns broker `b`'s monitor from `now` (or, owning it already, begins its next call).
    pub fn enter(&mut self, b: u16, thread: ThreadRef, now: u64) {
        self.leave(b, thread, now);
        let arrived = match self.asking.iter().position(|(ab, at, _)| (*ab, *at) == (b, thread)) {
            Some(i) => self.asking.remove(i).2,
            None => now,
        };
        if self.open.len() <= b as usize {
            self.open.resize(b as usize + 1, None);
            self.open_calls.resize(b as usize + 1, Vec::new());
        }
        self.open[b as usize] = Some((thread, arrived, now));
        self.open_calls[b as usize].clear();
    }

    /// The hold broker `b`'s owner just began is `costs`, one per call (a merged hold).
    pub fn calls(&mut self, b: u16, costs: &[u64]) {
        if let Some(calls) = self.open_calls.get_mut(b as usize) {
            calls.clear();
            calls.extend_from_slice(costs);
        }
    }

    /// `thread` releases broker `b`'s monitor at `now`.
    pub fn leave(&mut self, b: u16, thread: ThreadRef, now: u64) {
        if let Some(slot) = self.open.get_mut(b as usize) {
            if let Some((owner, arrive_ns, in_ns)) = *slot {
                if owner == thread {
                    *slot = None;
                    // A merged hold: each call its part of the hold's time, in its cost's proportion.
                    let calls = &self.open_calls[b as usize];
                    let total: u128 = calls.iter().map(|&c| u128::from(c)).sum();
                    let span = u128::from(now - in_ns);
                    let (mut arrive, mut start, mut done) = (arrive_ns, in_ns, 0u128);
                    for &cost in calls.iter().take(calls.len().saturating_sub(1)) {
                        done += u128::from(cost);
                        let end = in_ns + u64::try_from(span * done / total.max(1)).unwrap_or(0);
                        self.buffer.push(Hold {
                            broker: b,
                            thread,
                            arrive_ns: arrive,
                            in_ns: start,
                            out_ns: end,
                        });
                        (arrive, start) = (end, end);
                    }
                    self.buffer.push(Hold {
                        broker: b,
                        thread,
                        arrive_ns: arrive,
                        in_ns: start,
                        out_ns: now,
                    });
                }
            }
        }
    }

    /// Broker `b` restarted: its holds and requests of the old process end unrecorded.
    pub fn restart(&mut self, b: u16) {
        self.asking.retain(|(ab, _, _)| *ab != b);
        if let Some(slot) = self.open.get_mut(b as usize) {
            *slot = None;
        }
    }
}

/// This run's share of a drifting key: `share` itself, or where `sd` is above 0 a draw from a
/// normal around it with that spread, clamped to 0–1; the run keeps its draw (a run is too short
/// for the drift to move: 40–60 s against hours). Two keys drift so between runs beyond what
/// their counts' own noise explains:
/// - `cpu_release_heir_waits` (`_sd`; docs/validation.md, the eighteenth session), clamped where
///   the drift passes what the race alone lets in (0) or what the heirs that run at once let in (1);
/// - `cpu_release_preempt` (`_sd`): the share of its releases at which a loaded host's walker loses
///   its CPU (the `fc-v1300` guest under 8 busy threads: 0.41 pooled over 13 runs, a spread of
///   about 0.09; docs/validation-log.md, the fifty-eighth session), which decides how many gaps a
///   run's heirs win.
fn run_share(share: f64, sd: f64, rng: &mut ChaCha8Rng) -> f64 {
    if sd == 0.0 {
        return share;
    }
    let z: f64 = rand_distr::StandardNormal.sample(rng);
    (share + sd * z).clamp(0.0, 1.0)
}

/// This run's factor on `close_cost_per_group`: 1, or where `close_cost_per_group_drift` (σ) is
/// above 0 a draw of exp(σ·z), z standard normal (median 1). The per-group walk a real loop
/// meets strays from its host's calibration by a run's factor, not a walk's: the trigger's walks
/// average out their walk-to-walk spread, and a run's walks are slower or faster together
/// (docs/validation.md, the thirty-first session). The run keeps its draw.
fn run_walk_factor(p: &crate::scenario::BrokerParams, rng: &mut ChaCha8Rng) -> f64 {
    if p.close_cost_per_group_drift == 0.0 {
        return 1.0;
    }
    let z: f64 = rand_distr::StandardNormal.sample(rng);
    (p.close_cost_per_group_drift * z).exp()
}

impl World {
    /// Builds the world at t=0 and schedules its first events.
    pub fn new(scenario: Scenario, policy: Policy, seed: u64, ctx: &mut Ctx<Event>, extra_levels: &[u64]) -> World {
        let streams = RngStreams::new(seed);
        let mut params = Params {
            broker: scenario.broker.clone(),
            brokers: scenario.brokers.iter().map(|s| s.params.clone()).collect(),
            create_interval: scenario.groups.create_interval,
            group_lifetime: scenario.groups.lifetime,
            unregister_probability: scenario.groups.unregister_probability,
            reconnect_interval: scenario.background.reconnect_interval,
            abnormal_disconnect_share: scenario.background.abnormal_disconnect_share,
            close_socket_on_timeout: scenario.clients.close_socket_on_timeout,
            consume_rate: scenario.consumer_groups.iter().map(|g| g.consume_rate).collect(),
            send_rate: scenario.producers.iter().map(|p| p.send_rate).collect(),
        };
        for (b, p) in params.brokers.iter_mut().enumerate() {
            let heir_waits = &mut streams.stream(streams::HEIR_WAITS_BASE + b as u64);
            p.cpu_release_heir_waits = run_share(p.cpu_release_heir_waits, p.cpu_release_heir_waits_sd, heir_waits);
            p.close_cost_per_group_factor = run_walk_factor(p, &mut streams.stream(streams::WALK_DRIFT_BASE + b as u64));
            let preempt = &mut streams.stream(streams::PREEMPT_DRIFT_BASE + b as u64);
            p.cpu_release_preempt = run_share(p.cpu_release_preempt, p.cpu_release_preempt_sd, preempt);
        }
        let brokers = (0..scenario.broker.count)
            .map(|b| {
                let spec = &scenario.brokers[b as usize];
                Broker::new(
                    &scenario,
                    &spec.params,
                    spec.policy.unwrap_or(policy),
                    b as u16,
                    spec.groups_initial.unwrap_or(scenario.groups.initial),
                    streams.stream(streams::BROKER_BASE + u64::from(b)),
                )
            })
            .collect();
        let mut world = World {
            recorder: Recorder::new(scenario.sample_interval_ns, extra_levels),
            creating: scenario.groups.creating,
            creation_chain: 0,
            scenario,
            policy,
            params,
            brokers,
            clients: Vec::new(),
            consumers: Vec::new(),
            producers: Vec::new(),
            queues: Vec::new(),
            topic_ranges: Vec::new(),
            groups: Vec::new(),
            group_names: vec![client::GroupName::Inner],
            next_channel: 1,
            rpc_deadlines: std::collections::VecDeque::new(),
            rpc_timer_armed: false,
            tick_fifo: std::collections::VecDeque::new(),
            tick_armed: false,
            reconnect_aggregate: false,
            reconnect_rng: streams.stream(streams::RECONNECTS),
            client_rngs: Vec::new(),
            channel_slots: Vec::new(),
            long_polls: std::collections::VecDeque::new(),
            long_poll_armed: false,
            building: true,
            creation_rng: streams.stream(streams::GROUP_CREATION),
            action_rng: streams.stream(streams::ACTIONS),
            streams,
            dumps: Vec::new(),
            peak_dump: None,
            trace_hash: 0xcbf2_9ce4_8422_2325,
            events: 0,
            event_trace: None,
            hold_trace: None,
        };
        world.build_topics();
        world.build_clients(ctx);
        world.sort_tick_fifo(ctx);
        world.schedule_start(ctx);
        world
    }

    fn build_topics(&mut self) {
        let brokers = self.scenario.broker.count;
        let mut topic_queues: Vec<Vec<u32>> = Vec::new();
        for (t, topic) in self.scenario.topics.iter().enumerate() {
            let mut ids = Vec::new();
            for b in 0..brokers {
                for _ in 0..topic.queues_per_broker {
                    let local = ids.len() as u32;
                    ids.push(self.queues.len() as u32);
                    self.queues.push(MessageQueue {
                        topic: t as u32,
                        local,
                        broker: b as u16,
                        produced: 0,
                        held: Vec::new(),
                    });
                }
            }
            let range = ids.first().copied().unwrap_or(0)..ids.last().map_or(0, |l| l + 1);
            self.topic_ranges.push(range);
            topic_queues.push(ids);
        }
        for group in &self.scenario.consumer_groups {
            let queues = topic_queues[group.topic].clone();
            let consumed = vec![0; queues.len()];
            self.groups.push(GroupState {
                topic: group.topic as u32,
                queues,
                consumed,
                members: Vec::new(),
            });
        }
    }

    fn schedule_start(&mut self, ctx: &mut Ctx<Event>) {
        let sample = self.scenario.sample_interval_ns;
        ctx.observe_in(sample, Event::Sample);
        for (i, action) in self.scenario.actions.iter().enumerate() {
            ctx.schedule_at(SimTime(action.at_ns), Event::Action(i as u32));
        }
        for (i, at) in self.scenario.dumps_ns.iter().enumerate() {
            ctx.observe_at(SimTime(*at), Event::Dump(i as u32));
        }
        for b in 0..self.brokers.len() {
            let epoch = self.brokers[b].epoch;
            ctx.schedule_in(
                self.params.brokers[b].housekeeping_interval_ns,
                Event::Housekeeping { broker: b as u16, epoch },
            );
        }
        if self.creating {
            if let Some(interval) = self.params.create_interval {
                let first = interval.sample(&mut self.creation_rng);
                ctx.schedule_in(
                    first,
                    Event::GroupCreate {
                        chain: self.creation_chain,
                    },
                );
            }
        }
    }

    /// Mixes one handled event (its time and kind) into the trace hash.
    #[inline]
    fn trace(&mut self, now: SimTime, event: &Event) {
        let word = now.0 ^ (u64::from(event_kind(event)) << 56);
        self.trace_hash = (self.trace_hash ^ word).wrapping_mul(0x0100_0000_01b3).rotate_left(29);
    }

    fn on_action(&mut self, ctx: &mut Ctx<Event>, index: u32) {
        let action: Action = self.scenario.actions[index as usize].clone();
        match action.kind {
            ActionKind::StopGroupCreation => {
                self.creating = false;
                self.creation_chain += 1;
            }
            ActionKind::StartGroupCreation => {
                if !self.creating {
                    self.creating = true;
                    if let Some(interval) = self.params.create_interval {
                        let delay = interval.sample(&mut self.creation_rng);
                        ctx.schedule_in(
                            delay,
                            Event::GroupCreate {
                                chain: self.creation_chain,
                            },
                        );
                    }
                }
            }
            ActionKind::RestartBroker(which) => {
                let all: Vec<u16> = match which {
                    Some(b) => vec![b as u16],
                    None => (0..self.brokers.len() as u16).collect(),
                };
                for b in all {
                    self.restart_broker(ctx, b);
                }
                self.recorder.watch_recovery(ctx.now().ns());
            }
            ActionKind::ScaleConsumers { group, count } => self.scale_consumers(ctx, group, count),
            ActionKind::DisconnectClients { count, over_ns, cause } => self.disconnect_clients(ctx, count, over_ns, cause),
            ActionKind::Set(param) => self.set_param(ctx, param),
        }
    }

    fn set_param(&mut self, ctx: &mut Ctx<Event>, param: SetParam) {
        if let SetParam::BrokerCost(cost, dist) = param {
            // A `set` of a broker cost applies to every broker (over any override).
            for b in self.params.brokers.iter_mut() {
                set_broker_cost(b, cost, dist);
            }
        }
        let b = &mut self.params.broker;
        match param {
            SetParam::BrokerCost(cost, dist) => set_broker_cost(b, cost, dist),
            SetParam::CreateInterval(dist) => {
                let had = self.params.create_interval.is_some();
                self.params.create_interval = Some(dist);
                if !had && self.creating {
                    let delay = dist.sample(&mut self.creation_rng);
                    ctx.schedule_in(
                        delay,
                        Event::GroupCreate {
                            chain: self.creation_chain,
                        },
                    );
                }
            }
            SetParam::GroupLifetime(dist) => self.params.group_lifetime = dist,
            SetParam::UnregisterProbability(p) => self.params.unregister_probability = p,
            SetParam::ReconnectInterval(dist) => {
                let had = self.params.reconnect_interval.is_some();
                self.params.reconnect_interval = Some(dist);
                let aggregate_now = matches!(dist, crate::scenario::Dist::Exponential { .. });
                if !had || (aggregate_now && !self.reconnect_aggregate) {
                    self.start_background_reconnects(ctx);
                }
            }
            SetParam::AbnormalDisconnectShare(p) => self.params.abnormal_disconnect_share = p,
            SetParam::CloseSocketOnTimeout(v) => self.params.close_socket_on_timeout = v,
            SetParam::ConsumeRate { group, rate } => self.params.consume_rate[group] = rate,
            SetParam::SendRate { producer, rate } => self.params.send_rate[producer] = rate,
        }
    }

    fn disconnect_clients(&mut self, ctx: &mut Ctx<Event>, count: u32, over_ns: u64, cause: crate::scenario::DisconnectCause) {
        let cause = match cause {
            crate::scenario::DisconnectCause::Close => CloseCause::Close,
            crate::scenario::DisconnectCause::Idle => CloseCause::Idle,
            crate::scenario::DisconnectCause::Exception => CloseCause::Exception,
        };
        // Partial Fisher-Yates over the background clients: `count` distinct ones.
        let background = self.scenario.background.clients as usize;
        let mut pool: Vec<u32> = (0..background as u32).collect();
        let count = (count as usize).min(background);
        for i in 0..count {
            let j = self.action_rng.gen_range(i..background);
            pool.swap(i, j);
            let delay = if over_ns == 0 { 0 } else { self.action_rng.gen_range(0..=over_ns) };
            ctx.schedule_in(delay, Event::Disconnect { client: pool[i], cause });
        }
    }

    fn on_sample(&mut self, ctx: &mut Ctx<Event>) {
        let now = ctx.now().ns();
        let sample = self.build_sample(now);
        let lag = sample.lag_total;
        let new_peak = self.recorder.lag.samples == 0 || lag > self.recorder.lag.max;
        self.recorder.finish_sample(sample);
        if new_peak && lag > 0 {
            self.peak_dump = Some(self.thread_dump(now, "maximum lag".into()));
        }
        ctx.observe_in(self.scenario.sample_interval_ns, Event::Sample);
    }

    fn build_sample(&mut self, now: u64) -> Sample {
        let mut lag_per_group = Vec::with_capacity(self.groups.len());
        for (g, group) in self.groups.iter().enumerate() {
            let produced: u64 = group.queues.iter().map(|q| self.queues[*q as usize].produced).sum();
            let consumed: u64 = group.consumed.iter().sum();
            assert!(
                produced >= consumed,
                "group {g}: consumed {consumed} more than produced {produced} at {now}"
            );
            lag_per_group.push(produced - consumed);
        }
        let lag_total = lag_per_group.iter().sum();
        let consumers_running = self.consumers.iter().filter(|c| c.running).count() as u32;
        let consumers_registered = self.consumers_registered();
        let interval = self.scenario.sample_interval_ns;
        let mut s = Sample {
            time_ns: now,
            lag_total,
            lag_per_group,
            consumers_registered,
            consumers_running,
            heartbeat_queue_len: 0,
            heartbeat_threads_blocked: 0,
            heartbeat_threads_runnable: 0,
            heartbeat_threads_idle: 0,
            heartbeat_threads_blocked_mean: 0.0,
            monitor_holder: self.brokers[0].monitor.owner().map_or(Holder::None, Holder::from),
            monitor_busy_share: 0.0,
            monitor_waiters: 0,
            groups_in_table: 0,
            groups_empty: 0,
            netty_queue_len: 0,
            netty_events_dropped: 0,
            heartbeats_ok: 0,
            heartbeats_timed_out: 0,
            heartbeats_busy: 0,
            heartbeat_latency_p50_ms: 0.0,
            heartbeat_latency_p99_ms: 0.0,
            heartbeat_latency_max_ms: 0.0,
            messages_produced: 0,
            messages_consumed: 0,
            close_events: 0,
            close_walks: 0,
            brokers: self.broker_samples(),
        };
        let mut busy_share_sum = 0.0;
        for (b, broker) in self.brokers.iter_mut().enumerate() {
            let (blocked, runnable, idle) = broker.heartbeat_thread_states();
            s.heartbeat_threads_blocked += blocked;
            s.heartbeat_threads_runnable += runnable;
            s.heartbeat_threads_idle += idle;
            s.heartbeat_queue_len += broker.hb.queue.len() as u64;
            s.netty_queue_len += broker.netty_queue.len() as u64;
            s.monitor_waiters += broker.monitor.waiters() as u32;
            s.groups_in_table = s.groups_in_table.max(broker.table.groups_in_table);
            s.groups_empty = s.groups_empty.max(broker.table.groups_empty);
            let (blocked_ns, busy_ns) = broker.take_interval_integrals(now);
            s.heartbeat_threads_blocked_mean += blocked_ns as f64 / interval as f64;
            busy_share_sum += busy_ns as f64 / interval as f64;
            let row = &mut s.brokers[b];
            row.heartbeat_queue_len = broker.hb.queue.len() as u64;
            row.netty_queue_len = broker.netty_queue.len() as u64;
            row.groups_in_table = broker.table.groups_in_table;
            row.heartbeat_threads_blocked_mean = blocked_ns as f64 / interval as f64;
            row.monitor_busy_share = busy_ns as f64 / interval as f64;
        }
        s.monitor_busy_share = busy_share_sum / self.brokers.len() as f64;
        s
    }

    /// Per-broker rows with the lag of each broker's queues and its registered consumers (the
    /// other fields are filled by `build_sample`).
    fn broker_samples(&self) -> Vec<crate::metrics::BrokerSample> {
        let mut rows = vec![crate::metrics::BrokerSample::default(); self.brokers.len()];
        for group in &self.groups {
            for (local, q) in group.queues.iter().enumerate() {
                let queue = &self.queues[*q as usize];
                rows[queue.broker as usize].lag += queue.produced - group.consumed[local];
            }
        }
        for consumer in self.consumers.iter().filter(|c| c.running) {
            for (b, row) in rows.iter_mut().enumerate() {
                if self.brokers[b].consumer_registered(consumer.group, consumer.client) {
                    row.consumers_registered += 1;
                }
            }
        }
        rows
    }

    /// Running consumers registered in every broker's consumer table (the conservative view:
    /// a consumer missing on any broker can be left out of a rebalance).
    fn consumers_registered(&self) -> u32 {
        let mut count = 0;
        for consumer in self.consumers.iter().filter(|c| c.running) {
            let client = consumer.client;
            let group = consumer.group;
            if self.brokers.iter().all(|b| b.consumer_registered(group, client)) {
                count += 1;
            }
        }
        count
    }

    /// The state of every broker thread now, as a `jstack` would see it.
    pub fn thread_dump(&self, now: u64, reason: String) -> ThreadDump {
        ThreadDump {
            time_ns: now,
            reason,
            brokers: self.brokers.iter().map(|b| b.thread_views()).collect(),
        }
    }
}

/// Writes one broker cost (a `set` action).
fn set_broker_cost(b: &mut crate::scenario::BrokerParams, cost: BrokerCost, dist: crate::scenario::Dist) {
    match cost {
        BrokerCost::HeartbeatCost => b.heartbeat_cost = dist,
        BrokerCost::RegisterProducerCost => b.register_producer_cost = dist,
        BrokerCost::UnregisterCost => b.unregister_cost = dist,
        BrokerCost::CloseCostBase => b.close_cost_base = dist,
        BrokerCost::CloseCostPerGroup => b.close_cost_per_group = dist,
        BrokerCost::NettyEventGap => b.netty_event_gap = dist,
        BrokerCost::ConnectEventCost => b.connect_event_cost = dist,
        BrokerCost::MonitorWakeLatency => b.monitor_wake_latency = dist,
    }
}

/// The names of the event kinds, indexed by [`event_kind`] (for the trace file and its filter).
pub const EVENT_KIND_NAMES: [&str; 24] = [
    "sample",
    "action",
    "dump",
    "heartbeat_tick",
    "rpc_deadline",
    "thread_step",
    "monitor_wake",
    "trylock_timeout",
    "fast_failure",
    "housekeeping",
    "group_create",
    "periodic_shutdown",
    "background_reconnect",
    "disconnect",
    "send_tick",
    "pull_issue",
    "pull_result",
    "long_poll_due",
    "consume_done",
    "rebalance",
    "tick_due",
    "reconnect_due",
    "spin_end",
    "netty_resume",
];

/// A stable one-byte code per event kind (for the trace hash and the trace file).
pub fn event_kind(event: &Event) -> u8 {
    match event {
        Event::Sample => 0,
        Event::Action(_) => 1,
        Event::Dump(_) => 2,
        Event::HeartbeatTick { .. } => 3,
        Event::RpcDeadline => 4,
        Event::TickDue => 20,
        Event::ReconnectDue => 21,
        Event::SpinEnd { .. } => 22,
        Event::NettyResume { .. } => 23,
        Event::ThreadStep { .. } => 5,
        Event::MonitorWake { .. } => 6,
        Event::TryLockTimeout { .. } => 7,
        Event::FastFailure { .. } => 8,
        Event::Housekeeping { .. } => 9,
        Event::GroupCreate { .. } => 10,
        Event::PeriodicShutdown(_) => 11,
        Event::BackgroundReconnect { .. } => 12,
        Event::Disconnect { .. } => 13,
        Event::SendTick(_) => 14,
        Event::PullIssue { .. } => 15,
        Event::PullResult { .. } => 16,
        Event::LongPollDue => 17,
        Event::ConsumeDone { .. } => 18,
        Event::Rebalance { .. } => 19,
    }
}

impl Model for World {
    type Event = Event;

    fn handle(&mut self, ctx: &mut Ctx<Event>, event: Event) {
        self.trace(ctx.now(), &event);
        self.events += 1;
        if let Some(trace) = &mut self.event_trace {
            if trace.kinds & (1 << event_kind(&event)) != 0 {
                trace.buffer.push((ctx.now().ns(), event));
            }
        }
        match event {
            Event::Sample => self.on_sample(ctx),
            Event::Action(i) => self.on_action(ctx, i),
            Event::Dump(i) => {
                let now = ctx.now().ns();
                let _ = i;
                let dump = self.thread_dump(now, "scheduled".into());
                self.dumps.push(dump);
            }
            Event::HeartbeatTick { client, gen } => self.on_heartbeat_tick(ctx, client, gen),
            Event::RpcDeadline => self.on_rpc_deadline(ctx),
            Event::TickDue => self.on_tick_due(ctx),
            Event::ReconnectDue => self.on_reconnect_due(ctx),
            Event::ThreadStep { broker, thread, epoch } => {
                if self.brokers[broker as usize].epoch == epoch {
                    self.on_thread_step(ctx, broker, thread);
                }
            }
            Event::MonitorWake { broker, thread, epoch } => {
                if self.brokers[broker as usize].epoch == epoch {
                    self.on_monitor_wake(ctx, broker, thread);
                }
            }
            Event::NettyResume {
                broker,
                epoch,
                preemption,
                after_drain,
            } => {
                if self.brokers[broker as usize].epoch == epoch {
                    self.on_netty_resume(ctx, broker, preemption, after_drain);
                }
            }
            Event::TryLockTimeout {
                broker,
                thread,
                epoch,
                attempt,
            } => {
                if self.brokers[broker as usize].epoch == epoch {
                    self.on_trylock_timeout(ctx, broker, thread, attempt);
                }
            }
            Event::SpinEnd {
                broker,
                thread,
                epoch,
                attempt,
            } => {
                if self.brokers[broker as usize].epoch == epoch {
                    self.on_spin_end(ctx, broker, thread, attempt);
                }
            }
            Event::FastFailure { broker, epoch } => {
                if self.brokers[broker as usize].epoch == epoch {
                    self.on_fast_failure(ctx, broker);
                }
            }
            Event::Housekeeping { broker, epoch } => {
                if self.brokers[broker as usize].epoch == epoch {
                    self.on_housekeeping(ctx, broker);
                }
            }
            Event::GroupCreate { chain } => self.on_group_create(ctx, chain),
            Event::PeriodicShutdown(client) => self.on_periodic_shutdown(ctx, client),
            Event::BackgroundReconnect { client, gen } => self.on_background_reconnect(ctx, client, gen),
            Event::Disconnect { client, cause } => self.on_disconnect(ctx, client, cause),
            Event::SendTick(producer) => self.on_send_tick(ctx, producer),
            Event::PullIssue { consumer, queue, gen } => self.issue_pull(ctx, consumer, queue, gen),
            Event::PullResult { consumer, queue, gen } => self.on_pull_result(ctx, consumer, queue, gen),
            Event::LongPollDue => self.on_long_poll_due(ctx),
            Event::ConsumeDone { consumer } => self.on_consume_done(ctx, consumer),
            Event::Rebalance { consumer, periodic } => self.on_rebalance(ctx, consumer, periodic),
        }
    }
}
