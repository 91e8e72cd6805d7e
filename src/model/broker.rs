//! The broker side: the heartbeat and client-manage executors, the NettyEventExecutor, the
//! ProducerManager table and monitor, the ConsumerManager table, BrokerFastFailure and the
//! housekeeping scans. Handlers are `impl World` methods; state lives in [`Broker`].
//!
//! The cost of a close walk is *computed* from the table size (`close_cost_base +
//! close_cost_per_group × groups_in_table`); the simulated table is never walked, so one close
//! event costs the same to simulate whatever the table holds. Leaked groups present at t=0 are a
//! count, not entries.

use super::monitor::{Entry, Monitor, Release};
use super::policy::{LockKind, Policy, WalkCost};
use super::{ChannelId, ClientId, CloseCause, Event, GroupId, ThreadRef, World};
use crate::engine::{Ctx, SimTime, MS};
use crate::scenario::{BrokerParams, MonitorKind, Scenario};
use indexmap::IndexMap;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;
use std::hash::BuildHasherDefault;

/// Channel registrations: O(1) lookups, and iteration in insertion order (deterministic: the
/// order never depends on the hasher, which has no random keys anyway).
pub type ChannelMap = IndexMap<ChannelId, ChannelEntry, BuildHasherDefault<IdHasher>>;

/// Registrations of one broker, keyed by (client, channel). Almost every lookup is for a
/// client's newest channel, which lives in a slot indexed by the client id (one array access);
/// older channels that still hold registrations (ghosts of closed channels) live in a map.
/// Iteration order is deterministic: slots by client id, then older channels in insertion order.
#[derive(Default)]
pub struct ChannelRegistry {
    current: Vec<(ChannelId, ChannelEntry)>,
    older: ChannelMap,
}

impl ChannelRegistry {
    #[inline]
    fn slot(&mut self, client: ClientId) -> &mut (ChannelId, ChannelEntry) {
        let c = client as usize;
        if c >= self.current.len() {
            self.current.resize(c + 1, (0, ChannelEntry::new(0)));
        }
        &mut self.current[c]
    }

    /// The registrations of `channel` (of `client`), if any.
    #[inline]
    pub fn get(&self, client: ClientId, channel: ChannelId) -> Option<&ChannelEntry> {
        match self.current.get(client as usize) {
            Some((c, entry)) if *c == channel => Some(entry),
            _ => self.older.get(&channel),
        }
    }

    /// Mutable access to the registrations of `channel`, if any.
    #[inline]
    pub fn get_mut(&mut self, client: ClientId, channel: ChannelId) -> Option<&mut ChannelEntry> {
        match self.current.get_mut(client as usize) {
            Some((c, entry)) if *c == channel => Some(entry),
            _ => self.older.get_mut(&channel),
        }
    }

    /// The registrations of `channel`, created empty if missing.
    #[inline]
    pub fn get_or_insert(&mut self, client: ClientId, channel: ChannelId) -> &mut ChannelEntry {
        let current = self.slot(client).0;
        if current == channel {
            return &mut self.current[client as usize].1;
        }
        self.get_or_insert_other(client, channel, current)
    }

    /// `get_or_insert` for a channel other than the client's slot: a newer one takes the slot.
    #[inline(never)]
    fn get_or_insert_other(&mut self, client: ClientId, channel: ChannelId, current: ChannelId) -> &mut ChannelEntry {
        // Channel ids grow over time, so a client's newest channel is the largest id it used.
        let newest = current == 0 || channel > current;
        if newest && !self.older.contains_key(&channel) {
            let old = std::mem::replace(&mut self.current[client as usize], (channel, ChannelEntry::new(client)));
            if old.0 != 0 {
                // The older channel keeps its registrations aside.
                self.older.insert(old.0, old.1);
            }
            return &mut self.current[client as usize].1;
        }
        self.older.entry(channel).or_insert_with(|| ChannelEntry::new(client))
    }

    /// Forgets `channel`.
    pub fn remove(&mut self, client: ClientId, channel: ChannelId) {
        match self.current.get_mut(client as usize) {
            Some(slot) if slot.0 == channel => slot.0 = 0,
            _ => {
                self.older.swap_remove(&channel);
            }
        }
    }

    /// Every registration: (channel, entry), slots by client id first, then older channels.
    pub fn iter(&self) -> impl Iterator<Item = (ChannelId, &ChannelEntry)> {
        self.current
            .iter()
            .filter(|(c, _)| *c != 0)
            .map(|(c, e)| (*c, e))
            .chain(self.older.iter().map(|(c, e)| (*c, e)))
    }
}

/// A multiplicative hasher for the u64 channel ids (Fibonacci hashing): ids are sequential, so
/// a multiply spreads them well, and it is far cheaper than SipHash on the hot path.
#[derive(Default, Clone, Copy)]
pub struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*byte)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, value: u64) {
        self.0 = (self.0 ^ value).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// No tracked consumer group.
pub const NO_GROUP: u16 = u16::MAX;

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

/// The kind of request a worker handles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskKind {
    /// HEART_BEAT.
    Heartbeat,
    /// UNREGISTER_CLIENT.
    Unregister,
}

/// A request in an executor: what the client sent and when it arrived.
#[derive(Clone, Copy, Debug)]
pub struct Task {
    pub kind: TaskKind,
    pub client: ClientId,
    pub channel: ChannelId,
    pub req: u32,
    pub enqueued_ns: u64,
    pub groups: [GroupId; 2],
    pub n_groups: u8,
    pub consumer_group: u16,
    /// The consumer's subscription version carried by a heartbeat (0 for other clients).
    pub sub_version: u64,
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
}

impl Worker {
    fn idle() -> Worker {
        Worker {
            state: WorkerState::Idle,
            task: None,
            group_idx: 0,
            batch_end: 0,
            attempt: 0,
            wait_started_ns: 0,
        }
    }
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

/// Netty channel events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NettyKind {
    Connect,
    Close,
    Idle,
    Exception,
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
}

/// What the housekeeping thread is doing (it only takes the lock under `v4.6.0`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HousekeepingState {
    Idle,
    Blocked,
    Holding,
}

/// What one channel has registered on this broker.
#[derive(Clone, Copy, Debug)]
pub struct ChannelEntry {
    pub client: ClientId,
    pub groups: [GroupId; 2],
    pub n_groups: u8,
    pub producer_last_ns: u64,
    pub consumer_group: u16,
    pub consumer_last_ns: u64,
}

impl ChannelEntry {
    fn new(client: ClientId) -> ChannelEntry {
        ChannelEntry {
            client,
            groups: [0; 2],
            n_groups: 0,
            producer_last_ns: 0,
            consumer_group: NO_GROUP,
            consumer_last_ns: 0,
        }
    }
    fn producer_groups(&self) -> &[GroupId] {
        &self.groups[..self.n_groups as usize]
    }
    fn is_empty(&self) -> bool {
        self.n_groups == 0 && self.consumer_group == NO_GROUP
    }
}

/// One producer group's entry in `groupChannelTable`.
#[derive(Clone, Copy, Debug, Default)]
pub struct GroupEntry {
    pub present: bool,
    pub channels: u32,
}

/// `ProducerManager.groupChannelTable`, reduced to what the dynamics need.
#[derive(Clone, Debug, Default)]
pub struct ProducerTable {
    pub groups_in_table: u64,
    pub groups_empty: u64,
    /// (group, channel) entries: what the `v4.6.0` locked scan walks besides the groups.
    pub channel_entries: u64,
    /// Leaked empty groups present at t=0 (a count: never touched one by one).
    pub initial_empty: u64,
    entries: Vec<GroupEntry>,
    /// Groups that became empty since the last purge (checked again when purged).
    empty_candidates: Vec<GroupId>,
}

impl ProducerTable {
    fn new(initial_empty: u64) -> ProducerTable {
        ProducerTable {
            groups_in_table: initial_empty,
            groups_empty: initial_empty,
            initial_empty,
            ..ProducerTable::default()
        }
    }

    fn entry(&mut self, group: GroupId) -> &mut GroupEntry {
        let g = group as usize;
        if g >= self.entries.len() {
            self.entries.resize(g + 1, GroupEntry::default());
        }
        &mut self.entries[g]
    }

    /// `registerProducer` added a new channel to `group`.
    fn add_channel(&mut self, group: GroupId) {
        let entry = self.entry(group);
        let (was_present, was_empty) = (entry.present, entry.channels == 0);
        entry.present = true;
        entry.channels += 1;
        self.channel_entries += 1;
        if !was_present {
            self.groups_in_table += 1;
        } else if was_empty {
            self.groups_empty -= 1;
        }
    }

    /// A channel left `group`; `remove_if_emptied` drops the group when that emptied it.
    fn remove_channel(&mut self, group: GroupId, remove_if_emptied: bool) {
        self.channel_entries -= 1;
        let entry = self.entry(group);
        assert!(entry.present && entry.channels > 0, "group {group} lost a channel it did not have");
        entry.channels -= 1;
        if entry.channels == 0 {
            if remove_if_emptied {
                entry.present = false;
                self.groups_in_table -= 1;
            } else {
                self.groups_empty += 1;
                self.empty_candidates.push(group);
            }
        }
    }

    /// `unregisterProducer`: removes the channel, and the group only if its map was non-empty on
    /// entry and is empty now (a map already emptied by a CLOSE stays: one of the leak paths).
    fn unregister(&mut self, group: GroupId, had_channel: bool) {
        // A channel that had the group is one of its entries (so the early return cannot hit it).
        self.channel_entries -= u64::from(had_channel);
        let entry = self.entry(group);
        if !entry.present || entry.channels == 0 {
            return;
        }
        if had_channel {
            entry.channels -= 1;
        }
        if entry.channels == 0 {
            entry.present = false;
            self.groups_in_table -= 1;
        }
    }

    /// The fixed scan: every empty group is removed.
    fn remove_empty_groups(&mut self) {
        self.groups_in_table -= self.initial_empty;
        self.groups_empty -= self.initial_empty;
        self.initial_empty = 0;
        for group in std::mem::take(&mut self.empty_candidates) {
            let entry = &mut self.entries[group as usize];
            if entry.present && entry.channels == 0 {
                entry.present = false;
                self.groups_in_table -= 1;
                self.groups_empty -= 1;
            }
        }
        assert_eq!(self.groups_empty, 0, "empty groups left after a purge");
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
    pub housekeeping: HousekeepingState,
    pub housekeeping_attempt: u32,
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
            },
            housekeeping: HousekeepingState::Idle,
            housekeeping_attempt: 0,
            monitor: Monitor::new(monitor_kind(b.monitor, policy)),
            monitor_acquired_ns: 0,
            table: ProducerTable::new(initial_empty),
            channels: ChannelRegistry::default(),
            consumer_table: vec![Vec::new(); scenario.consumer_groups.len()],
            consumer_sub_version: vec![0; scenario.consumer_groups.len()],
            fast_failure_armed: false,
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
    #[inline]
    fn sample_cost(&mut self, b: u16, cost: fn(&crate::scenario::BrokerParams) -> crate::scenario::Dist) -> u64 {
        // Per broker: `[[broker_overrides]]` may give each broker its own costs.
        let dist = cost(&self.params.brokers[b as usize]);
        dist.sample(&mut self.brokers[b as usize].rng)
    }

    fn schedule_step(&self, ctx: &mut Ctx<Event>, b: u16, thread: ThreadRef, delay_ns: u64) {
        let epoch = self.brokers[b as usize].epoch;
        ctx.schedule_in(delay_ns, Event::ThreadStep { broker: b, thread, epoch });
    }

    // ---------------------------------------------------------------- executors

    /// A request reaches an executor: run it on an idle worker, queue it, or answer SYSTEM_BUSY
    /// when the queue is full.
    pub(crate) fn submit_task(&mut self, ctx: &mut Ctx<Event>, b: u16, task: Task) {
        let broker = &mut self.brokers[b as usize];
        let pool = broker.pool(task.kind);
        if let Some(worker) = pool.idle.pop_front() {
            debug_assert!(pool.queue.is_empty(), "idle worker while tasks wait");
            self.start_task(ctx, b, task.kind, worker, task);
        } else if pool.queue.len() >= pool.capacity {
            // RejectedExecutionException => SYSTEM_BUSY "[OVERLOAD]system busy".
            if task.kind == TaskKind::Heartbeat {
                self.recorder.interval.heartbeats_busy += 1;
            }
            self.rpc_reply(ctx, task.client, task.req, super::client::Reply::Busy);
        } else {
            pool.queue.push_back(task);
            if task.kind == TaskKind::Heartbeat {
                self.arm_fast_failure(ctx, b);
            }
        }
    }

    fn start_task(&mut self, ctx: &mut Ctx<Event>, b: u16, kind: TaskKind, worker: u16, task: Task) {
        let now = ctx.now().ns();
        let thread = match kind {
            TaskKind::Heartbeat => {
                self.recorder.heartbeat_queue_wait.add(now - task.enqueued_ns);
                ThreadRef::Heartbeat(worker)
            }
            TaskKind::Unregister => ThreadRef::ClientManage(worker),
        };
        let w = self.brokers[b as usize].worker(thread);
        assert_eq!(w.state, WorkerState::Idle, "{thread:?} given a task while busy at {}", ctx.now());
        *w = Worker {
            state: WorkerState::Unlocked,
            task: Some(task),
            group_idx: 0,
            batch_end: 0,
            attempt: w.attempt,
            wait_started_ns: 0,
        };
        let cost = match kind {
            TaskKind::Heartbeat => self.sample_cost(b, |p| p.heartbeat_cost),
            TaskKind::Unregister => 0,
        };
        self.schedule_step(ctx, b, thread, cost);
    }

    fn worker_step(&mut self, ctx: &mut Ctx<Event>, b: u16, thread: ThreadRef) {
        let now = ctx.now().ns();
        let worker = self.brokers[b as usize].worker(thread);
        let task = worker.task.expect("a busy worker has a task");
        let (state, group_idx, batch_end) = (worker.state, worker.group_idx, worker.batch_end);
        match state {
            WorkerState::Unlocked => {
                // Consumers first, unlocked (ClientManageProcessor.heartBeat / unregisterClient).
                match task.kind {
                    TaskKind::Heartbeat => self.register_consumer(ctx, b, &task),
                    TaskKind::Unregister => self.unregister_consumer(ctx, b, &task),
                }
                self.next_producer_group(ctx, b, thread);
            }
            WorkerState::Holding => {
                let broker = &mut self.brokers[b as usize];
                for group in &task.groups[group_idx as usize..batch_end as usize] {
                    match task.kind {
                        TaskKind::Heartbeat => broker.register_producer(task.channel, task.client, *group, now),
                        TaskKind::Unregister => broker.unregister_producer(task.client, task.channel, *group),
                    }
                }
                broker.worker(thread).group_idx = batch_end;
                self.next_producer_group(ctx, b, thread);
            }
            state => panic!("{thread:?} stepped while {state:?} at {}", ctx.now()),
        }
    }

    /// Starts the next `registerProducer`/`unregisterProducer` call, or finishes the request.
    fn next_producer_group(&mut self, ctx: &mut Ctx<Event>, b: u16, thread: ThreadRef) {
        let lock = self.brokers[b as usize].policy.lock();
        let broker = &mut self.brokers[b as usize];
        let owner = broker.monitor.owner();
        let worker = broker.worker(thread);
        let task = worker.task.as_ref().expect("a busy worker has a task");
        let holding = worker.state == WorkerState::Holding && owner == Some(thread);
        if worker.group_idx >= task.n_groups {
            let task = *task;
            if holding {
                self.release_monitor(ctx, b, thread);
            }
            self.finish_task(ctx, b, thread, task);
            return;
        }
        // Between two synchronized calls the thread releases and re-enters at once. Under
        // barging nobody can get in between (a woken waiter needs its wake-up latency), so the
        // hold simply continues; under fifo a waiter takes its turn.
        let keep = holding && (barges(broker.monitor.kind()) || broker.monitor.waiters() == 0);
        if keep || lock == LockKind::None {
            self.begin_hold(ctx, b, thread);
        } else {
            if holding {
                self.release_monitor(ctx, b, thread);
            }
            self.acquire_monitor(ctx, b, thread);
        }
    }

    fn finish_task(&mut self, ctx: &mut Ctx<Event>, b: u16, thread: ThreadRef, task: Task) {
        let now = ctx.now().ns();
        if task.kind == TaskKind::Heartbeat {
            self.recorder.heartbeat_latency(now - task.enqueued_ns);
        }
        self.rpc_reply(ctx, task.client, task.req, super::client::Reply::Success);
        let broker = &mut self.brokers[b as usize];
        let worker = broker.worker(thread);
        worker.state = WorkerState::Idle;
        worker.task = None;
        let index = match thread {
            ThreadRef::Heartbeat(i) | ThreadRef::ClientManage(i) => i,
            _ => unreachable!("only executor threads finish tasks"),
        };
        let pool = broker.pool(task.kind);
        match pool.queue.pop_front() {
            Some(next) => self.start_task(ctx, b, task.kind, index, next),
            None => pool.idle.push_back(index),
        }
    }

    // ---------------------------------------------------------------- monitor

    /// `thread` enters a ProducerManager method: takes the monitor or waits for it.
    fn acquire_monitor(&mut self, ctx: &mut Ctx<Event>, b: u16, thread: ThreadRef) {
        let now = ctx.now().ns();
        let lock = self.brokers[b as usize].policy.lock();
        if lock == LockKind::None {
            self.begin_hold(ctx, b, thread);
            return;
        }
        let spin = self.params.brokers[b as usize].monitor_spin_ns;
        let broker = &mut self.brokers[b as usize];
        let entry = broker.monitor.enter(thread, spin > 0);
        if entry == Entry::Owned {
            broker.monitor_acquired_ns = now;
            self.recorder.monitor_wait.add(0);
            self.begin_hold(ctx, b, thread);
            return;
        }
        let attempt = self.set_thread_blocked(b, thread, now);
        if entry == Entry::Spinning {
            self.schedule_spin_end(ctx, b, thread, attempt);
        }
        if lock == LockKind::TryLock {
            let epoch = self.brokers[b as usize].epoch;
            ctx.schedule_in(
                self.params.brokers[b as usize].trylock_timeout_ns,
                Event::TryLockTimeout {
                    broker: b,
                    thread,
                    epoch,
                    attempt,
                },
            );
        }
    }

    /// Marks `thread` BLOCKED; returns its new attempt number.
    fn set_thread_blocked(&mut self, b: u16, thread: ThreadRef, now: u64) -> u32 {
        let broker = &mut self.brokers[b as usize];
        let attempt = match thread {
            ThreadRef::Heartbeat(_) | ThreadRef::ClientManage(_) => {
                if matches!(thread, ThreadRef::Heartbeat(_)) {
                    broker.set_blocked(now, 1);
                }
                let w = broker.worker(thread);
                w.state = WorkerState::Blocked;
                w.wait_started_ns = now;
                w.attempt += 1;
                w.attempt
            }
            ThreadRef::Netty => {
                broker.netty.state = NettyState::Blocked;
                broker.netty.wait_started_ns = now;
                broker.netty.attempt += 1;
                broker.netty.attempt
            }
            ThreadRef::Housekeeping => {
                broker.housekeeping = HousekeepingState::Blocked;
                broker.housekeeping_attempt += 1;
                broker.housekeeping_attempt
            }
        };
        attempt
    }

    /// `thread` owns the monitor (or needs none): it works for the hold's cost.
    fn begin_hold(&mut self, ctx: &mut Ctx<Event>, b: u16, thread: ThreadRef) {
        let now = ctx.now().ns();
        let cost = self.hold_cost(b, thread);
        let broker = &mut self.brokers[b as usize];
        match thread {
            ThreadRef::Heartbeat(_) | ThreadRef::ClientManage(_) => {
                let w = broker.worker(thread);
                let was_blocked = w.state == WorkerState::Blocked;
                let waited = now - w.wait_started_ns;
                w.state = WorkerState::Holding;
                if was_blocked {
                    if matches!(thread, ThreadRef::Heartbeat(_)) {
                        broker.set_blocked(now, -1);
                    }
                    self.recorder.monitor_wait.add(waited);
                }
            }
            ThreadRef::Netty => {
                if broker.netty.state == NettyState::Blocked {
                    self.recorder.monitor_wait.add(now - broker.netty.wait_started_ns);
                }
                broker.netty.state = NettyState::Holding;
            }
            ThreadRef::Housekeeping => broker.housekeeping = HousekeepingState::Holding,
        }
        self.schedule_step(ctx, b, thread, cost);
    }

    /// How long `thread`'s next step inside ProducerManager takes.
    fn hold_cost(&mut self, b: u16, thread: ThreadRef) -> u64 {
        match thread {
            ThreadRef::Heartbeat(_) | ThreadRef::ClientManage(_) => {
                // Between two synchronized calls of one request the thread releases and re-enters
                // at once; under barging (or with no lock) nobody can get in between, so the calls
                // for all remaining groups form one hold. Under fifo each call is its own hold.
                let merge = barges(self.brokers[b as usize].monitor.kind()) || self.brokers[b as usize].policy.lock() == LockKind::None;
                let worker = self.brokers[b as usize].worker(thread);
                let n_groups = worker.task.as_ref().expect("a busy worker has a task").n_groups;
                let start = worker.group_idx;
                let end = if merge { n_groups } else { start + 1 };
                let mut cost = 0u64;
                for _ in start..end {
                    cost = cost.saturating_add(match thread {
                        ThreadRef::Heartbeat(_) => self.sample_cost(b, |p| p.register_producer_cost),
                        _ => self.sample_cost(b, |p| p.unregister_cost),
                    });
                }
                self.brokers[b as usize].worker(thread).batch_end = end;
                cost
            }
            ThreadRef::Netty => {
                let broker = &self.brokers[b as usize];
                let groups = match broker.policy.walk_cost() {
                    WalkCost::AllGroups => broker.table.groups_in_table,
                    WalkCost::ChannelGroups => {
                        let channel = broker.netty.current.expect("walking an event").channel;
                        let client = broker.netty.current.expect("walking an event").client;
                        broker.channels.get(client, channel).map_or(0, |e| u64::from(e.n_groups))
                    }
                };
                let base = self.sample_cost(b, |p| p.close_cost_base);
                let per_group = self.sample_cost(b, |p| p.close_cost_per_group);
                base.saturating_add(per_group.saturating_mul(groups))
            }
            ThreadRef::Housekeeping => {
                // rocketmq-all-4.6.0 ProducerManager.scanNotActiveChannel (lines 76-111) holds the
                // lock while it visits every group *and* every channel entry of each group.
                let table = &self.brokers[b as usize].table;
                let mut visited = table.groups_in_table;
                if self.params.brokers[b as usize].scan_walks_channel_entries {
                    visited += table.channel_entries;
                }
                self.sample_cost(b, |p| p.scan_cost_per_group).saturating_mul(visited)
            }
        }
    }

    /// HotSpot's spin window for `thread` (`TrySpin`): it ends at `monitor_spin` from now.
    fn schedule_spin_end(&self, ctx: &mut Ctx<Event>, b: u16, thread: ThreadRef, attempt: u32) {
        let epoch = self.brokers[b as usize].epoch;
        ctx.schedule_in(
            self.params.brokers[b as usize].monitor_spin_ns,
            Event::SpinEnd {
                broker: b,
                thread,
                epoch,
                attempt,
            },
        );
    }

    /// The current wait number of `thread` (bumped each time it blocks).
    fn thread_attempt(&mut self, b: u16, thread: ThreadRef) -> u32 {
        let broker = &mut self.brokers[b as usize];
        match thread {
            ThreadRef::Heartbeat(_) | ThreadRef::ClientManage(_) => broker.worker(thread).attempt,
            ThreadRef::Netty => broker.netty.attempt,
            ThreadRef::Housekeeping => broker.housekeeping_attempt,
        }
    }

    /// A spin window ran out: the thread parks if it is still spinning on this wait.
    pub(crate) fn on_spin_end(&mut self, b: u16, thread: ThreadRef, attempt: u32) {
        if self.thread_attempt(b, thread) == attempt {
            self.brokers[b as usize].monitor.stop_spinning(thread);
        }
    }

    /// The owner releases. Returns the exiting thread's own exit cost: the unpark it issues after
    /// the release (HotSpot `ExitEpilog`: `_owner = NULL`, then `unpark`), which delays its next
    /// step and so lengthens the window in which the monitor is free.
    fn release_monitor(&mut self, ctx: &mut Ctx<Event>, b: u16, thread: ThreadRef) -> u64 {
        let now = ctx.now().ns();
        let broker = &mut self.brokers[b as usize];
        let held = now - broker.monitor_acquired_ns;
        broker.monitor_busy_integral_ns += now - broker.monitor_acquired_ns.max(broker.interval_start_ns);
        self.recorder.monitor_hold.add(held);
        match broker.monitor.release(thread) {
            Release::Nobody => 0,
            Release::Spun(next) => {
                // The spinner's CAS takes the monitor at the release: no wake-up, no unpark.
                broker.monitor_acquired_ns = now;
                self.begin_hold(ctx, b, next);
                0
            }
            Release::Wake(next) => {
                if broker.monitor.owner() == Some(next) {
                    broker.monitor_acquired_ns = now;
                }
                let latency = self.sample_cost(b, |p| p.monitor_wake_latency);
                let epoch = self.brokers[b as usize].epoch;
                ctx.schedule_in(
                    latency,
                    Event::MonitorWake {
                        broker: b,
                        thread: next,
                        epoch,
                    },
                );
                let exit = self.sample_cost(b, |p| p.monitor_exit_cost);
                let preempted = if thread == ThreadRef::Netty {
                    self.walker_preemption(b, held)
                } else {
                    0
                };
                exit.saturating_add(preempted)
            }
        }
    }

    /// CPU placement at the walker's release (issue 10; off with `cpus = 0`). The unpark makes a
    /// heartbeat thread runnable that slept through the walk. If a CPU is idle the scheduler puts
    /// it there (Linux `select_idle_sibling`). If none is (the broker's runnable threads and the
    /// host's other runnable work fill them all) it lands on the waker's CPU or on its previous
    /// one, the walker's with probability 1/`cpus` (assumption: wake-affine picks either). There it
    /// preempts the walker when the walker has run at least a scheduler slice since it last
    /// slept (EEVDF, Linux >= 6.6: a task past its slice's deadline yields to an eligible woken
    /// task; `cpu_slice`, base slice 0.75 ms x (1 + log2 CPUs) = 1.5 ms on 2 CPUs). The walker
    /// then stays off its CPU for `cpu_wait` while the heartbeat threads pass the monitor among
    /// themselves (the harness's walker waits of 10-70 ms, docs/validation.md). Returns that wait.
    fn walker_preemption(&mut self, b: u16, walk_ns: u64) -> u64 {
        let broker_params = &self.params.brokers[b as usize];
        let cpus = broker_params.cpus;
        if cpus == 0 || walk_ns < broker_params.cpu_slice_ns {
            return 0;
        }
        let broker = &mut self.brokers[b as usize];
        let running = broker
            .hb
            .workers
            .iter()
            .filter(|w| matches!(w.state, WorkerState::Unlocked | WorkerState::Holding))
            .count() as u64;
        // The walker and the woken thread, the heartbeat threads at work, the host's other work.
        let wanted = 2 + running + u64::from(broker_params.cpu_other_runnable);
        if wanted <= u64::from(cpus) {
            return 0;
        }
        if cpus > 1 {
            let draw: u32 = broker.rng.gen_range(0..cpus);
            if draw != 0 {
                return 0;
            }
        }
        self.sample_cost(b, |p| p.cpu_wait)
    }

    pub(crate) fn on_monitor_wake(&mut self, ctx: &mut Ctx<Event>, b: u16, thread: ThreadRef) {
        let now = ctx.now().ns();
        let broker = &mut self.brokers[b as usize];
        if !broker.monitor.is_waiting(thread) && broker.monitor.owner() != Some(thread) {
            // It gave up (tryLock timeout) before the wake-up arrived.
            return;
        }
        let was_owner = broker.monitor.owner() == Some(thread);
        let spin = self.params.brokers[b as usize].monitor_spin_ns > 0;
        let was_spinning = broker.monitor.is_spinning(thread);
        if broker.monitor.on_wake(thread, spin) {
            if !was_owner {
                broker.monitor_acquired_ns = now;
            }
            self.begin_hold(ctx, b, thread);
        } else if !was_spinning && self.brokers[b as usize].monitor.is_spinning(thread) {
            // A futile wake-up: HotSpot's EnterI spins again before re-parking.
            let attempt = self.thread_attempt(b, thread);
            self.schedule_spin_end(ctx, b, thread, attempt);
        }
    }

    pub(crate) fn on_trylock_timeout(&mut self, ctx: &mut Ctx<Event>, b: u16, thread: ThreadRef, attempt: u32) {
        let now = ctx.now().ns();
        let broker = &mut self.brokers[b as usize];
        let (blocked, current) = match thread {
            ThreadRef::Heartbeat(_) | ThreadRef::ClientManage(_) => {
                let w = broker.worker(thread);
                (w.state == WorkerState::Blocked, w.attempt)
            }
            ThreadRef::Netty => (broker.netty.state == NettyState::Blocked, broker.netty.attempt),
            ThreadRef::Housekeeping => (broker.housekeeping == HousekeepingState::Blocked, broker.housekeeping_attempt),
        };
        if !blocked || current != attempt || broker.monitor.owner() == Some(thread) {
            return;
        }
        // "lock timeout": the operation is skipped (v4.6.0 logs a warning and goes on).
        if let Some(next) = broker.monitor.cancel(thread) {
            let latency = self.sample_cost(b, |p| p.monitor_wake_latency);
            let epoch = self.brokers[b as usize].epoch;
            ctx.schedule_in(
                latency,
                Event::MonitorWake {
                    broker: b,
                    thread: next,
                    epoch,
                },
            );
        }
        let broker = &mut self.brokers[b as usize];
        match thread {
            ThreadRef::Heartbeat(_) | ThreadRef::ClientManage(_) => {
                if matches!(thread, ThreadRef::Heartbeat(_)) {
                    broker.set_blocked(now, -1);
                }
                let w = broker.worker(thread);
                w.state = WorkerState::Unlocked;
                w.group_idx += 1;
                self.next_producer_group(ctx, b, thread);
            }
            ThreadRef::Netty => {
                broker.netty.state = NettyState::Holding;
                self.after_close_walk(ctx, b, false);
            }
            ThreadRef::Housekeeping => {
                broker.housekeeping = HousekeepingState::Idle;
            }
        }
    }

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

    /// `ConsumerManager.registerConsumer`: refreshes the channel; a new channel fires CHANGE.
    fn register_consumer(&mut self, ctx: &mut Ctx<Event>, b: u16, task: &Task) {
        if task.consumer_group == NO_GROUP {
            return;
        }
        let now = ctx.now().ns();
        let broker = &mut self.brokers[b as usize];
        let entry = broker.channels.get_or_insert(task.client, task.channel);
        entry.consumer_last_ns = now;
        let is_new = entry.consumer_group != task.consumer_group;
        // ConsumerGroupInfo.updateSubscription (rocketmq-all-4.9.8): a newer version replaces
        // the stored one; it unblocks every member's SUBSCRIPTION_NOT_LATEST pulls.
        let stored = &mut broker.consumer_sub_version[task.consumer_group as usize];
        *stored = (*stored).max(task.sub_version);
        if is_new {
            entry.consumer_group = task.consumer_group;
            broker.consumer_table[task.consumer_group as usize].push((task.channel, task.client));
            let _ = self.notify_consumer_ids_changed(ctx, b, task.consumer_group);
        }
    }

    /// `ConsumerManager.unregisterConsumer` (UNREGISTER_CLIENT with a consumer group).
    fn unregister_consumer(&mut self, ctx: &mut Ctx<Event>, b: u16, task: &Task) {
        if task.consumer_group == NO_GROUP {
            return;
        }
        if self.remove_consumer_channel(b, task.client, task.channel) {
            let _ = self.notify_consumer_ids_changed(ctx, b, task.consumer_group);
        }
    }

    /// Removes `channel` from its consumer group; true when it was there.
    fn remove_consumer_channel(&mut self, b: u16, client: ClientId, channel: ChannelId) -> bool {
        let broker = &mut self.brokers[b as usize];
        let Some(entry) = broker.channels.get_mut(client, channel) else {
            return false;
        };
        let group = entry.consumer_group;
        if group == NO_GROUP {
            return false;
        }
        entry.consumer_group = NO_GROUP;
        let list = &mut broker.consumer_table[group as usize];
        let i = list
            .iter()
            .position(|(c, _)| *c == channel)
            .expect("registered channel is in its group list");
        list.remove(i);
        if list.is_empty() {
            // The group's ConsumerGroupInfo is removed with its last channel.
            broker.consumer_sub_version[group as usize] = 0;
        }
        broker.drop_entry_if_empty(client, channel);
        true
    }

    /// CHANGE: NOTIFY_CONSUMER_IDS_CHANGED (oneway) to every channel of the group that is open.
    /// Returns how many oneways were sent (each costs the sender `notify_cost_per_consumer`).
    fn notify_consumer_ids_changed(&mut self, ctx: &mut Ctx<Event>, b: u16, group: u16) -> u64 {
        // request_rebalance only schedules: the table does not change during the loop.
        let mut sent = 0;
        for i in 0..self.brokers[b as usize].consumer_table[group as usize].len() {
            let (channel, client) = self.brokers[b as usize].consumer_table[group as usize][i];
            if self.channel_of(client, b) == channel {
                self.request_rebalance(ctx, client);
                sent += 1;
            }
        }
        sent
    }

    // ---------------------------------------------------------------- netty

    /// `NettyEventExecutor.putNettyEvent`: queued, or dropped beyond the soft cap.
    pub(crate) fn push_netty_event(&mut self, ctx: &mut Ctx<Event>, b: u16, kind: NettyKind, client: ClientId, channel: ChannelId) {
        let now = ctx.now().ns();
        if kind != NettyKind::Connect {
            self.recorder.interval.close_events += 1;
        }
        let cap = self.params.brokers[b as usize].netty_event_queue_cap as usize;
        let broker = &mut self.brokers[b as usize];
        if broker.netty_queue.len() > cap {
            self.recorder.interval.netty_events_dropped += 1;
            return;
        }
        broker.netty_queue.push_back(NettyEvent {
            client,
            kind,
            channel,
            enqueued_ns: now,
        });
        if broker.netty.state == NettyState::Idle {
            self.netty_next(ctx, b);
        }
    }

    fn netty_next(&mut self, ctx: &mut Ctx<Event>, b: u16) {
        let now = ctx.now().ns();
        let broker = &mut self.brokers[b as usize];
        let Some(event) = broker.netty_queue.pop_front() else {
            broker.netty.state = NettyState::Idle;
            broker.netty.current = None;
            return;
        };
        self.recorder.netty_queue_wait.add(now - event.enqueued_ns);
        broker.netty.current = Some(event);
        if event.kind == NettyKind::Connect {
            // ClientHousekeepingService.onChannelConnect does nothing in 4.x: dispatch only.
            broker.netty.state = NettyState::Dispatch;
            let cost = self.sample_cost(b, |p| p.connect_event_cost);
            self.schedule_step(ctx, b, ThreadRef::Netty, cost);
        } else {
            self.recorder.interval.close_walks += 1;
            self.acquire_monitor(ctx, b, ThreadRef::Netty);
        }
    }

    fn netty_step(&mut self, ctx: &mut Ctx<Event>, b: u16) {
        match self.brokers[b as usize].netty.state {
            NettyState::Holding => self.after_close_walk(ctx, b, true),
            NettyState::Dispatch | NettyState::Gap => self.netty_next(ctx, b),
            state => panic!("NettyEventExecutor stepped while {state:?} at {}", ctx.now()),
        }
    }

    /// The walk is over (or skipped): apply it, release, then ConsumerManager's half outside the
    /// monitor, then the gap before the next event.
    fn after_close_walk(&mut self, ctx: &mut Ctx<Event>, b: u16, walked: bool) {
        let event = self.brokers[b as usize].netty.current.expect("walking an event");
        let (client, channel) = (event.client, event.channel);
        let mut exit_cost = 0;
        if walked {
            self.brokers[b as usize].close_producer(client, channel);
            if self.brokers[b as usize].monitor.owner() == Some(ThreadRef::Netty) {
                exit_cost = self.release_monitor(ctx, b, ThreadRef::Netty);
            }
        }
        let mut was_consumer = false;
        let mut notified = 0;
        if let Some(group) = self.brokers[b as usize].channels.get(client, channel).map(|e| e.consumer_group) {
            if group != NO_GROUP && self.remove_consumer_channel(b, client, channel) {
                was_consumer = true;
                notified = self.notify_consumer_ids_changed(ctx, b, group);
            }
        }
        self.brokers[b as usize].drop_entry_if_empty(client, channel);
        self.brokers[b as usize].netty.state = NettyState::Gap;
        let gap = self.close_gap(b, was_consumer, notified);
        self.schedule_step(ctx, b, ThreadRef::Netty, gap.saturating_add(exit_cost));
    }

    /// The Netty thread's time between leaving one walk and asking for the monitor again, from
    /// its parts (rocketmq-all-4.9.8 broker/…/client/ClientHousekeepingService.java `onChannelClose`
    /// then NettyRemotingAbstract.java:590 `eventQueue.poll`):
    /// - `ConsumerManager.doChannelCloseEvent` iterates every consumer group (ConsumerManager.java
    ///   77-96): `consumer_close_cost_per_group` × (tracked + untracked consumer groups); with
    ///   `enableFastChannelEventProcess` (rocketmq-all-5.3.3 ConsumerManager.java:138) only the
    ///   channel's own group;
    /// - a consumer channel's CHANGE sends NOTIFY_CONSUMER_IDS_CHANGED (Broker2Client.java:71,
    ///   `invokeOneway`) to each remaining consumer: `notify_cost_per_consumer` each;
    /// - `netty_event_gap`: the rest (FilterServerManager, unpark, poll and dispatch).
    ///
    /// Costs of 0 (the defaults of the two new parts) draw nothing: the old single draw.
    fn close_gap(&mut self, b: u16, was_consumer: bool, notified: u64) -> u64 {
        let base = self.sample_cost(b, |p| p.netty_event_gap);
        let params = &self.params.brokers[b as usize];
        let visited = if self.brokers[b as usize].policy.consumer_close_per_channel() {
            u64::from(was_consumer)
        } else {
            self.brokers[b as usize].consumer_table.len() as u64 + u64::from(params.untracked_consumer_groups)
        };
        let mut gap = base;
        if visited > 0 && params.consumer_close_cost_per_group != crate::scenario::Dist::Const(0) {
            let per_group = self.sample_cost(b, |p| p.consumer_close_cost_per_group);
            gap = gap.saturating_add(per_group.saturating_mul(visited));
        }
        let params = &self.params.brokers[b as usize];
        if notified > 0 && params.notify_cost_per_consumer != crate::scenario::Dist::Const(0) {
            let per_consumer = self.sample_cost(b, |p| p.notify_cost_per_consumer);
            gap = gap.saturating_add(per_consumer.saturating_mul(notified));
        }
        gap
    }

    // ---------------------------------------------------------------- fast failure

    /// Arms BrokerFastFailure for the head of the heartbeat queue. The real sweep runs every
    /// 10 ms from +1 s; it only acts when the head is old enough, so one event at the first
    /// sweep tick at or after the head's expiry gives the same result.
    fn arm_fast_failure(&mut self, ctx: &mut Ctx<Event>, b: u16) {
        let broker = &mut self.brokers[b as usize];
        if broker.fast_failure_armed {
            return;
        }
        let Some(head) = broker.hb.queue.front() else { return };
        let expiry = head.enqueued_ns + self.params.brokers[b as usize].heartbeat_queue_max_wait_ns;
        let period = self.params.brokers[b as usize].fast_failure_interval_ns;
        let start = 1_000 * MS;
        let at = if expiry <= start {
            start
        } else {
            start + (expiry - start).div_ceil(period) * period
        };
        broker.fast_failure_armed = true;
        let epoch = broker.epoch;
        ctx.schedule_at(SimTime(at.max(ctx.now().ns())), Event::FastFailure { broker: b, epoch });
    }

    pub(crate) fn on_fast_failure(&mut self, ctx: &mut Ctx<Event>, b: u16) {
        let now = ctx.now().ns();
        let max_wait = self.params.brokers[b as usize].heartbeat_queue_max_wait_ns;
        self.brokers[b as usize].fast_failure_armed = false;
        loop {
            let broker = &mut self.brokers[b as usize];
            let Some(head) = broker.hb.queue.front() else { break };
            if now - head.enqueued_ns < max_wait {
                break;
            }
            let task = broker.hb.queue.pop_front().expect("peeked");
            // "[TIMEOUT_CLEAN_QUEUE]broker busy": SYSTEM_BUSY; the request never runs.
            self.recorder.interval.heartbeats_busy += 1;
            self.rpc_reply(ctx, task.client, task.req, super::client::Reply::Busy);
        }
        self.arm_fast_failure(ctx, b);
    }

    // ---------------------------------------------------------------- housekeeping

    pub(crate) fn on_housekeeping(&mut self, ctx: &mut Ctx<Event>, b: u16) {
        let now = ctx.now().ns();
        let epoch = self.brokers[b as usize].epoch;
        ctx.schedule_in(
            self.params.brokers[b as usize].housekeeping_interval_ns,
            Event::Housekeeping { broker: b, epoch },
        );
        if self.brokers[b as usize].policy.scan_takes_lock() {
            if self.brokers[b as usize].housekeeping == HousekeepingState::Idle {
                self.acquire_monitor(ctx, b, ThreadRef::Housekeeping);
            }
        } else {
            self.scan(ctx, b, now);
        }
    }

    /// `ProducerManager.scanNotActiveChannel` then `ConsumerManager.scanNotActiveChannel`.
    fn scan(&mut self, ctx: &mut Ctx<Event>, b: u16, now: u64) {
        let expire = self.params.brokers[b as usize].channel_expired_timeout_ns;
        let purge = self.brokers[b as usize].policy.scan_removes_empty();
        let broker = &mut self.brokers[b as usize];
        let mut to_close: Vec<(ChannelId, ClientId)> = Vec::new();
        let mut expired_producers: Vec<(ChannelId, ClientId)> = Vec::new();
        let mut expired_consumers: Vec<(ChannelId, ClientId)> = Vec::new();
        for (channel, entry) in broker.channels.iter() {
            if entry.n_groups > 0 && now.saturating_sub(entry.producer_last_ns) > expire {
                expired_producers.push((channel, entry.client));
            }
            if entry.consumer_group != NO_GROUP && now.saturating_sub(entry.consumer_last_ns) > expire {
                expired_consumers.push((channel, entry.client));
            }
        }
        for &(channel, client) in &expired_producers {
            broker.close_producer(client, channel);
            to_close.push((channel, client));
        }
        if purge {
            broker.table.remove_empty_groups();
        }
        for &(channel, client) in &expired_consumers {
            // 4.x fires no CHANGE here: the others notice at their next periodic rebalance.
            let removed = self.remove_consumer_channel(b, client, channel);
            debug_assert!(removed);
            to_close.push((channel, client));
        }
        for (channel, client) in expired_producers {
            self.brokers[b as usize].drop_entry_if_empty(client, channel);
        }
        // RemotingUtil.closeChannel: an open channel goes inactive, which queues a CLOSE.
        to_close.sort_unstable();
        to_close.dedup();
        for (channel, client) in to_close {
            if self.channel_of(client, b) == channel {
                self.close_channel(ctx, client, b, CloseCause::Close);
            }
        }
    }

    // ---------------------------------------------------------------- restart

    /// The broker process restarts: every table is empty, every channel gone.
    pub(crate) fn restart_broker(&mut self, ctx: &mut Ctx<Event>, b: u16) {
        let now = ctx.now().ns();
        let scenario = &self.scenario;
        let old = &mut self.brokers[b as usize];
        let rng = old.rng.clone();
        let epoch = old.epoch + 1;
        let mut fresh = Broker::new(scenario, &self.params.brokers[b as usize], old.policy, b, 0, rng);
        fresh.epoch = epoch;
        fresh.hb_blocked_changed_ns = now;
        fresh.interval_start_ns = old.interval_start_ns;
        // Blocked time and monitor time accrued before the restart stay in this interval.
        old.set_blocked(now, 0);
        fresh.hb_blocked_integral_ns = old.hb_blocked_integral_ns;
        fresh.monitor_busy_integral_ns = old.monitor_busy_integral_ns
            + if old.monitor.owner().is_some() {
                now - old.monitor_acquired_ns.max(old.interval_start_ns)
            } else {
                0
            };
        *old = fresh;
        ctx.schedule_in(
            self.params.brokers[b as usize].housekeeping_interval_ns,
            Event::Housekeeping { broker: b, epoch },
        );
        for queue in self.queues.iter_mut().filter(|q| q.broker == b) {
            queue.held.clear();
        }
        for client in 0..self.clients.len() as u32 {
            self.drop_channel_on_restart(ctx, client, b);
        }
    }
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
