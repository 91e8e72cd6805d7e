//! The broker side: its state ([`Broker`]: executors' pools, the NettyEventExecutor's queue, the
//! ProducerManager table (types in producer_manager.rs), the ConsumerManager table, the
//! housekeeping state) and the thread view used by dumps. The behaviour is in one file per RocketMQ role, each
//! an `impl World` block: heartbeat_executor.rs (executors, BrokerFastFailure),
//! producer_manager.rs (monitor and hold costs), consumer_manager.rs, netty_event_executor.rs,
//! long_polling.rs, housekeeping.rs, restart.rs.
//!
//! Mirrors (rocketmq-all-4.9.8): the state of
//! `broker/src/main/java/org/apache/rocketmq/broker/BrokerController.java` and of
//! `broker/src/main/java/org/apache/rocketmq/broker/client/ProducerManager.java`
//! (`groupChannelTable`, `clientChannelTable`).
//!
//! The cost of a close walk is *computed* from the table size (`close_cost_base +
//! close_cost_per_group × groups_in_table`); the simulated table is never walked, so one close
//! event costs the same to simulate whatever the table holds. Leaked groups present at t=0 are a
//! count, not entries.
//!
//! Must not: name any `client::` item; what the broker shares with clients is in `super::wire`.

mod consumer_manager;
mod heartbeat_executor;
mod housekeeping;
mod long_polling;
mod netty_event_executor;
mod producer_manager;
mod restart;
mod run_queue;

pub use producer_manager::{ChannelEntry, ChannelMap, ChannelRegistry, GroupEntry, IdHasher, ProducerTable, DISPLACED_READY_NS};

use super::monitor::{Entry, Monitor, Release};
use super::policy::{LockKind, Policy, WalkCost};
use super::wire::{NettyKind, Task, TaskKind, NO_GROUP};
use super::{ChannelId, ClientId, CloseCause, Event, GroupId, ThreadRef, World};
use crate::engine::{Ctx, SimTime, MS};
use crate::scenario::{BrokerParams, MonitorKind, Scenario};
use indexmap::IndexMap;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;
use std::hash::BuildHasherDefault;

/// What a worker thread of an executor is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkerState {
    /// Parked on the executor's queue.
    Idle,
    /// Working outside the monitor (decode, consumer registration, reply).
    Unlocked,
    /// BLOCKED on the ProducerManager monitor.
    Blocked,
    /// Inside a ProducerManager method (holding the monitor if the policy has one).
    Holding,
}

/// One executor thread.
#[derive(Clone, Copy, Debug)]
pub struct Worker {
    pub state: WorkerState,
    pub task: Option<Task>,
    /// Index of the producer group being handled.
    pub group_idx: u8,
    /// One past the last group the current hold covers.
    pub batch_end: u8,
    /// Increments at each tryLock wait (stale timeouts are ignored).
    pub attempt: u32,
    pub wait_started_ns: u64,
    /// When it last parked on the monitor (a long park wakes with the `_long_park` costs).
    pub parked_ns: u64,
    /// `cpu_run_queue`: it holds one of the CPUs the executor threads may run on, since when.
    pub on_cpu: bool,
    pub on_cpu_since_ns: u64,
    /// `cpu_executor_share`: the CPU its holds took beyond its share, repaid at its next
    /// unlocked piece of work (run_queue.rs).
    pub cpu_owed_ns: u64,
    /// When its monitor wake-up in flight arrives: a wake-up brought forward
    /// (`monitor_heir_takes_idle_cpu`) leaves the first one's event stale.
    pub wake_due_ns: u64,
}

impl Worker {
    /// `cpu_run_queue`: it holds a CPU from `now` (run_queue.rs).
    fn take_cpu(&mut self, now: u64) {
        self.on_cpu = true;
        self.on_cpu_since_ns = now;
    }

    fn idle() -> Worker {
        Worker {
            state: WorkerState::Idle,
            task: None,
            group_idx: 0,
            batch_end: 0,
            attempt: 0,
            wait_started_ns: 0,
            parked_ns: 0,
            on_cpu: false,
            on_cpu_since_ns: 0,
            cpu_owed_ns: 0,
            wake_due_ns: 0,
        }
    }
}

/// `cpu_run_queue`: what an executor thread waiting for a CPU does once it has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunPending {
    /// Its next piece of work, of this cost (before the CPUs' sharing stretches it).
    Step(u64),
    /// Its monitor wake-up arrived: it competes for the monitor.
    Wake,
}

/// A thread pool with a bounded FIFO queue (`BrokerFixedThreadPoolExecutor`).
#[derive(Clone, Debug)]
pub struct Pool {
    pub workers: Vec<Worker>,
    /// Idle workers, longest idle first.
    pub idle: VecDeque<u16>,
    pub queue: VecDeque<Task>,
    pub capacity: usize,
}

impl Pool {
    fn new(threads: u32, capacity: u32) -> Pool {
        Pool {
            workers: vec![Worker::idle(); threads as usize],
            idle: (0..threads as u16).collect(),
            queue: VecDeque::new(),
            capacity: capacity as usize,
        }
    }
}

/// A queued Netty event.
#[derive(Clone, Copy, Debug)]
pub struct NettyEvent {
    pub kind: NettyKind,
    pub channel: ChannelId,
    pub client: ClientId,
    pub enqueued_ns: u64,
}

/// What the NettyEventExecutor is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NettyState {
    /// Polling its queue.
    Idle,
    /// Dispatching an event that needs no lock (CONNECT).
    Dispatch,
    /// BLOCKED on the monitor before a close walk.
    Blocked,
    /// Walking the producer table (`ProducerManager.doChannelCloseEvent`).
    Holding,
    /// `ConsumerManager.doChannelCloseEvent` and dispatch, outside the monitor.
    Gap,
}

/// The NettyEventExecutor thread.
#[derive(Clone, Copy, Debug)]
pub struct NettyThread {
    pub state: NettyState,
    pub current: Option<NettyEvent>,
    pub attempt: u32,
    pub wait_started_ns: u64,
    /// When it last parked on the monitor.
    pub parked_ns: u64,
    /// CPU model (issue 10): when the thread last got a CPU (woke from its queue or from the
    /// monitor, or resumed after a preemption).
    pub on_cpu_since_ns: u64,
    /// Preempted by a woken thread: its next step waits until this time (0: not preempted).
    pub preempted_until_ns: u64,
    /// A step fell due while it was preempted.
    pub step_deferred: bool,
    /// Numbers the preemptions; a resume event of an earlier one is stale.
    pub preemption: u32,
}

impl NettyThread {
    /// On its CPU and running: walking, in its gap or dispatching, and not preempted.
    pub fn runs_on_cpu(&self) -> bool {
        matches!(self.state, NettyState::Holding | NettyState::Gap | NettyState::Dispatch) && self.preempted_until_ns == 0
    }
}

/// What the housekeeping thread is doing (it only takes the lock under `v4.6.0`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HousekeepingState {
    Idle,
    Blocked,
    Holding,
}

/// Watches the gaps between the NettyEventExecutor's walks the way the JVM harness does
/// (`calibration/jvm/Validate.java`, issue 10): a gap is the time from one walk's release to the
/// next walk's acquisition when the next close event was already queued as the walker left the
/// first walk; a heartbeat thread *won* it when any `registerProducer` ran in it.
#[derive(Clone, Debug, Default)]
pub struct GapWatch {
    /// `registerProducer` calls applied so far (each group of a heartbeat is one call).
    pub registers: u64,
    /// `registers` at the last walk's release, and when it was.
    registers_at_release: u64,
    released_ns: u64,
    /// The walker left a walk and has not been idle since.
    after_walk: bool,
}

impl GapWatch {
    /// The walker released the monitor after a walk.
    pub(super) fn walk_released(&mut self, now: u64) {
        self.registers_at_release = self.registers;
        self.released_ns = now;
        self.after_walk = true;
    }

    /// The walker found no event waiting: the next walk does not end a gap.
    pub(super) fn walker_idle(&mut self) {
        self.after_walk = false;
    }

    /// The walker holds the monitor for its next walk: `Some((registrations in the gap, its
    /// length))` when that ends a gap.
    pub(super) fn walk_acquired(&mut self, now: u64) -> Option<(u64, u64)> {
        let ended = self
            .after_walk
            .then(|| (self.registers - self.registers_at_release, now - self.released_ns));
        self.after_walk = false;
        ended
    }
}

/// One simulated broker.
pub struct Broker {
    pub idx: u16,
    /// Increments at each restart; events of an older epoch are ignored.
    pub epoch: u32,
    pub policy: Policy,
    pub rng: ChaCha8Rng,
    pub hb: Pool,
    pub cm: Pool,
    pub netty_queue: VecDeque<NettyEvent>,
    pub netty: NettyThread,
    /// `cpu_run_queue`: executor threads waiting for a CPU, first come first served.
    pub run_queue: VecDeque<(ThreadRef, RunPending)>,
    pub housekeeping: HousekeepingState,
    pub housekeeping_attempt: u32,
    /// When the housekeeping thread last parked on the monitor.
    pub housekeeping_parked_ns: u64,
    pub monitor: Monitor,
    pub monitor_acquired_ns: u64,
    pub table: ProducerTable,
    pub channels: ChannelRegistry,
    /// ConsumerManager: per tracked consumer group, its (channel, client) entries.
    pub consumer_table: Vec<Vec<(ChannelId, ClientId)>>,
    /// The subscription version the broker holds per tracked group (`ConsumerGroupInfo`'s
    /// `SubscriptionData.subVersion`); 0 once the group left the table.
    pub consumer_sub_version: Vec<u64>,
    pub fast_failure_armed: bool,
    /// The walker's gaps as the JVM harness counts them (`calibration/jvm/Validate.java`).
    pub gaps: GapWatch,
    // Interval integrals for the timeline.
    hb_blocked: u32,
    hb_blocked_changed_ns: u64,
    hb_blocked_integral_ns: u64,
    monitor_busy_integral_ns: u64,
    interval_start_ns: u64,
}

/// The monitor a policy runs on. `v4.6.0` guards ProducerManager with a `ReentrantLock` and
/// `tryLock(3 s)` (`rocketmq-all-4.6.0` broker/.../client/ProducerManager.java), not
/// `synchronized`: a scenario's `barging` (HotSpot) becomes AQS there; `fifo` stays the
/// hypothetical comparison for every policy.
fn monitor_kind(kind: MonitorKind, policy: Policy) -> MonitorKind {
    if kind == MonitorKind::Barging && policy.lock() == LockKind::TryLock {
        MonitorKind::Aqs
    } else {
        kind
    }
}

/// True when a free monitor goes to whoever asks (HotSpot and AQS alike): a thread releasing and
/// re-entering at once keeps it, since a woken waiter needs its wake-up latency.
fn barges(kind: MonitorKind) -> bool {
    matches!(kind, MonitorKind::Barging | MonitorKind::Aqs)
}

impl Broker {
    /// A broker at t=0 whose table holds `initial_empty` leaked groups.
    pub fn new(scenario: &Scenario, b: &BrokerParams, policy: Policy, idx: u16, initial_empty: u64, rng: ChaCha8Rng) -> Broker {
        Broker {
            idx,
            epoch: 0,
            policy,
            rng,
            hb: Pool::new(b.heartbeat_threads, b.heartbeat_queue_capacity),
            cm: Pool::new(b.client_manage_threads, b.client_manage_queue_capacity),
            netty_queue: VecDeque::new(),
            netty: NettyThread {
                state: NettyState::Idle,
                current: None,
                attempt: 0,
                wait_started_ns: 0,
                parked_ns: 0,
                on_cpu_since_ns: 0,
                preempted_until_ns: 0,
                step_deferred: false,
                preemption: 0,
            },
            run_queue: VecDeque::new(),
            housekeeping: HousekeepingState::Idle,
            housekeeping_attempt: 0,
            housekeeping_parked_ns: 0,
            monitor: Monitor::new(monitor_kind(b.monitor, policy)),
            monitor_acquired_ns: 0,
            table: ProducerTable::new(initial_empty),
            channels: ChannelRegistry::default(),
            consumer_table: vec![Vec::new(); scenario.consumer_groups.len()],
            consumer_sub_version: vec![0; scenario.consumer_groups.len()],
            fast_failure_armed: false,
            gaps: GapWatch::default(),
            hb_blocked: 0,
            hb_blocked_changed_ns: 0,
            hb_blocked_integral_ns: 0,
            monitor_busy_integral_ns: 0,
            interval_start_ns: 0,
        }
    }

    /// (BLOCKED, RUNNABLE, idle) heartbeat threads now.
    pub fn heartbeat_thread_states(&self) -> (u32, u32, u32) {
        let mut counts = (0, 0, 0);
        for worker in &self.hb.workers {
            match worker.state {
                WorkerState::Blocked => counts.0 += 1,
                WorkerState::Unlocked | WorkerState::Holding => counts.1 += 1,
                WorkerState::Idle => counts.2 += 1,
            }
        }
        assert_eq!(counts.0 + counts.1 + counts.2, self.hb.workers.len() as u32);
        assert_eq!(counts.0, self.hb_blocked, "blocked counter out of step");
        counts
    }

    /// `cpu_run_queue`: executor threads holding one of the CPUs.
    pub fn executor_threads_on_cpu(&self) -> u64 {
        self.hb.workers.iter().chain(&self.cm.workers).filter(|w| w.on_cpu).count() as u64
    }

    /// Executor threads (heartbeat and client-manage) on a CPU or wanting one.
    pub fn executor_threads_running(&self) -> u64 {
        self.hb
            .workers
            .iter()
            .chain(&self.cm.workers)
            .filter(|w| matches!(w.state, WorkerState::Unlocked | WorkerState::Holding))
            .count() as u64
    }

    /// Executor threads (heartbeat and client-manage) holding a request: at work, wanting a CPU,
    /// or waiting for the monitor (parked, spinning or woken and on their way). None: the
    /// executor is idle, as the harness's `won_ready_after_idle_us` counts from.
    pub fn executor_threads_busy(&self) -> u64 {
        self.hb
            .workers
            .iter()
            .chain(&self.cm.workers)
            .filter(|w| w.state != WorkerState::Idle)
            .count() as u64
    }

    /// Does the executor thread `thread`, releasing the monitor, leave its CPU at once? Its
    /// request is done (this was its last call) and its pool's queue has no next one for it.
    pub(super) fn leaves_cpu_after_release(&self, thread: ThreadRef) -> bool {
        let (worker, pool) = match thread {
            ThreadRef::Heartbeat(i) => (&self.hb.workers[i as usize], &self.hb),
            ThreadRef::ClientManage(i) => (&self.cm.workers[i as usize], &self.cm),
            _ => return false,
        };
        worker.task.is_some_and(|task| worker.group_idx >= task.n_groups) && pool.queue.is_empty()
    }

    /// True when `client` has an entry in the consumer table of `group`.
    pub fn consumer_registered(&self, group: u16, client: ClientId) -> bool {
        self.consumer_table[group as usize].iter().any(|(_, c)| *c == client)
    }

    /// True when any consumer of `group` is registered (the pull path's check).
    pub fn group_has_consumers(&self, group: u16) -> bool {
        !self.consumer_table[group as usize].is_empty()
    }

    /// Client ids of `group`, one per registered channel, sorted (duplicates kept, as
    /// `ConsumerGroupInfo.getAllClientId` returns them).
    pub fn consumer_ids(&self, group: u16) -> Vec<ClientId> {
        let mut ids: Vec<ClientId> = self.consumer_table[group as usize].iter().map(|(_, c)| *c).collect();
        ids.sort_unstable();
        ids
    }

    /// Takes (blocked-thread ns, monitor-busy ns) accumulated since the last call.
    pub fn take_interval_integrals(&mut self, now: u64) -> (u64, u64) {
        self.set_blocked(now, 0);
        let mut busy = self.monitor_busy_integral_ns;
        if self.monitor.owner().is_some() {
            busy += now - self.monitor_acquired_ns.max(self.interval_start_ns);
        }
        let blocked = self.hb_blocked_integral_ns;
        self.hb_blocked_integral_ns = 0;
        self.monitor_busy_integral_ns = 0;
        self.interval_start_ns = now;
        (blocked, busy)
    }

    fn set_blocked(&mut self, now: u64, delta: i32) {
        self.hb_blocked_integral_ns += u64::from(self.hb_blocked) * (now - self.hb_blocked_changed_ns);
        self.hb_blocked_changed_ns = now;
        self.hb_blocked = (self.hb_blocked as i32 + delta) as u32;
    }

    fn worker(&mut self, thread: ThreadRef) -> &mut Worker {
        match thread {
            ThreadRef::Heartbeat(i) => &mut self.hb.workers[i as usize],
            ThreadRef::ClientManage(i) => &mut self.cm.workers[i as usize],
            other => panic!("{other:?} is not an executor thread"),
        }
    }

    fn pool(&mut self, kind: TaskKind) -> &mut Pool {
        match kind {
            TaskKind::Heartbeat => &mut self.hb,
            TaskKind::Unregister => &mut self.cm,
        }
    }

    /// Registers `channel` in producer `group` (inside `registerProducer`).
    fn register_producer(&mut self, channel: ChannelId, client: ClientId, group: GroupId, now: u64) {
        let entry = self.channels.get_or_insert(client, channel);
        entry.producer_last_ns = now;
        if !entry.producer_groups().contains(&group) {
            assert!(entry.n_groups < 2, "channel {channel} in more than two producer groups");
            entry.groups[entry.n_groups as usize] = group;
            entry.n_groups += 1;
            self.table.add_channel(group);
        }
    }

    /// A registration that exists at t=0 (the run starts in steady state).
    pub fn seed_registration(&mut self, channel: ChannelId, client: ClientId, groups: &[GroupId], consumer_group: u16) {
        for group in groups {
            self.register_producer(channel, client, *group, 0);
        }
        if consumer_group != NO_GROUP {
            let entry = self.channels.get_mut(client, channel).expect("registered above");
            entry.consumer_group = consumer_group;
            self.consumer_table[consumer_group as usize].push((channel, client));
        }
    }

    /// `unregisterProducer(group, channel)`.
    fn unregister_producer(&mut self, client: ClientId, channel: ChannelId, group: GroupId) {
        let mut had = false;
        if let Some(entry) = self.channels.get_mut(client, channel) {
            if let Some(i) = entry.producer_groups().iter().position(|g| *g == group) {
                had = true;
                entry.groups[i] = entry.groups[entry.n_groups as usize - 1];
                entry.n_groups -= 1;
            }
        }
        self.table.unregister(group, had);
        self.drop_entry_if_empty(client, channel);
    }

    /// The producer half of `doChannelCloseEvent`: the channel leaves every group.
    fn close_producer(&mut self, client: ClientId, channel: ChannelId) {
        let remove_emptied = self.policy.close_removes_emptied();
        if let Some(entry) = self.channels.get_mut(client, channel) {
            let groups = entry.groups;
            let n = entry.n_groups as usize;
            entry.n_groups = 0;
            for group in &groups[..n] {
                self.table.remove_channel(*group, remove_emptied);
            }
        }
    }

    fn drop_entry_if_empty(&mut self, client: ClientId, channel: ChannelId) {
        if self.channels.get(client, channel).is_some_and(|e| e.is_empty()) {
            self.channels.remove(client, channel);
        }
    }

    /// Views of one executor's workers: `unlocked` and `locked` are where a busy worker is.
    fn pool_views(&self, pool: &Pool, thread: fn(u16) -> ThreadRef, unlocked: Place, locked: Place, views: &mut Vec<ThreadView>) {
        for (i, worker) in pool.workers.iter().enumerate() {
            let (state, place) = match worker.state {
                WorkerState::Idle => (JavaState::Waiting, Place::PoolTake),
                WorkerState::Unlocked => (JavaState::Runnable, unlocked),
                WorkerState::Blocked => (JavaState::Blocked, locked),
                WorkerState::Holding => (JavaState::Runnable, locked),
            };
            let thread = thread(i as u16);
            views.push(ThreadView {
                thread,
                state,
                place,
                holds_monitor: self.monitor.owner() == Some(thread),
            });
        }
    }

    /// Thread views for a dump.
    pub fn thread_views(&self) -> Vec<ThreadView> {
        let mut views = Vec::new();
        self.pool_views(
            &self.hb,
            ThreadRef::Heartbeat,
            Place::HeartBeat,
            Place::RegisterProducer,
            &mut views,
        );
        let (state, place) = match self.netty.state {
            NettyState::Idle => (JavaState::TimedWaiting, Place::NettyPoll),
            NettyState::Dispatch => (JavaState::Runnable, Place::NettyDispatch),
            NettyState::Blocked => (JavaState::Blocked, Place::CloseWalk),
            NettyState::Holding => (JavaState::Runnable, Place::CloseWalk),
            NettyState::Gap => (JavaState::Runnable, Place::ConsumerClose),
        };
        views.push(ThreadView {
            thread: ThreadRef::Netty,
            state,
            place,
            holds_monitor: self.monitor.owner() == Some(ThreadRef::Netty),
        });
        self.pool_views(
            &self.cm,
            ThreadRef::ClientManage,
            Place::UnregisterClient,
            Place::UnregisterProducer,
            &mut views,
        );
        let (state, place) = match self.housekeeping {
            HousekeepingState::Idle => (JavaState::TimedWaiting, Place::ScheduledWait),
            HousekeepingState::Blocked => (JavaState::Blocked, Place::ScanNotActive),
            HousekeepingState::Holding => (JavaState::Runnable, Place::ScanNotActive),
        };
        views.push(ThreadView {
            thread: ThreadRef::Housekeeping,
            state,
            place,
            holds_monitor: self.monitor.owner() == Some(ThreadRef::Housekeeping),
        });
        views
    }
}

/// A Java thread state as `jstack` prints it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JavaState {
    Runnable,
    Blocked,
    Waiting,
    TimedWaiting,
}

/// Where a thread is (selects the stack frames of a dump).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    PoolTake,
    HeartBeat,
    RegisterProducer,
    UnregisterClient,
    UnregisterProducer,
    NettyPoll,
    NettyDispatch,
    CloseWalk,
    ConsumerClose,
    ScheduledWait,
    ScanNotActive,
}

/// One thread in a dump.
#[derive(Clone, Copy, Debug)]
pub struct ThreadView {
    pub thread: ThreadRef,
    pub state: JavaState,
    pub place: Place,
    pub holds_monitor: bool,
}

impl World {
    pub(crate) fn on_thread_step(&mut self, ctx: &mut Ctx<Event>, b: u16, thread: ThreadRef) {
        match thread {
            ThreadRef::Heartbeat(_) | ThreadRef::ClientManage(_) => self.worker_step(ctx, b, thread),
            ThreadRef::Netty => self.netty_step(ctx, b),
            ThreadRef::Housekeeping => {
                let now = ctx.now().ns();
                self.scan(ctx, b, now);
                if self.brokers[b as usize].monitor.owner() == Some(ThreadRef::Housekeeping) {
                    self.release_monitor(ctx, b, ThreadRef::Housekeeping);
                }
                self.brokers[b as usize].housekeeping = HousekeepingState::Idle;
            }
        }
    }

    // ---------------------------------------------------------------- consumers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_counts_follow_registrations() {
        let mut table = ProducerTable::new(100);
        assert_eq!((table.groups_in_table, table.groups_empty), (100, 100));
        table.add_channel(5);
        table.add_channel(5);
        assert_eq!((table.groups_in_table, table.groups_empty), (101, 100));
        table.remove_channel(5, false);
        table.remove_channel(5, false);
        assert_eq!((table.groups_in_table, table.groups_empty), (101, 101));
        // A new channel in an empty group makes it non-empty again.
        table.add_channel(5);
        assert_eq!((table.groups_in_table, table.groups_empty), (101, 100));
        table.remove_channel(5, false);
        table.remove_empty_groups();
        assert_eq!((table.groups_in_table, table.groups_empty), (0, 0));
    }

    #[test]
    fn unregister_after_close_leaks_the_group() {
        let mut table = ProducerTable::new(0);
        table.add_channel(7);
        // CLOSE first: the map is emptied, the group stays.
        table.remove_channel(7, false);
        // UNREGISTER afterwards finds an empty map and does nothing.
        table.unregister(7, false);
        assert_eq!((table.groups_in_table, table.groups_empty), (1, 1));
    }

    #[test]
    fn unregister_before_close_removes_the_group() {
        let mut table = ProducerTable::new(0);
        table.add_channel(7);
        table.unregister(7, true);
        assert_eq!((table.groups_in_table, table.groups_empty), (0, 0));
    }

    #[test]
    fn close_removes_emptied_group_in_v5() {
        let mut table = ProducerTable::new(3);
        table.add_channel(1);
        table.remove_channel(1, true);
        // The three leaked groups are untouched by a close: only the scan purges them.
        assert_eq!((table.groups_in_table, table.groups_empty), (3, 3));
    }
}
