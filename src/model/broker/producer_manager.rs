//! The ProducerManager: its table ([`ProducerTable`], `groupChannelTable` reduced to counts) and
//! channel registry ([`ChannelRegistry`], `clientChannelTable`), its monitor (acquire, hold,
//! release, spin and tryLock timeouts) and the cost of each hold (`registerProducer`,
//! `unregisterProducer`, the close walk), per policy. The `Broker` methods that change the table
//! are in `broker/mod.rs`.
//!
//! Mirrors (rocketmq-all-4.9.8):
//! `broker/src/main/java/org/apache/rocketmq/broker/client/ProducerManager.java`
//! (`registerProducer`, `unregisterProducer`, `doChannelCloseEvent`, `scanNotActiveChannel`) and,
//! for the other releases, the switches in `policy.rs`.
//!
//! Must not: walk the simulated table to compute a close walk's cost (it is computed from the
//! table size), or call client-side code.

use super::*;

/// Channel registrations: O(1) lookups, and iteration in insertion order (deterministic: the
/// order never depends on the hasher, which has no random keys anyway).
pub type ChannelMap = IndexMap<ChannelId, ChannelEntry, BuildHasherDefault<IdHasher>>;

/// Registrations of one broker, keyed by (client, channel). Almost every lookup is for a
/// client's newest channel, which lives in a slot indexed by the client id (one array access);
/// older channels that still hold registrations (ghosts of closed channels) live in a map.
/// Iteration order is deterministic: slots by client id, then older channels in insertion order.
#[derive(Default)]
pub struct ChannelRegistry {
    pub(super) current: Vec<(ChannelId, ChannelEntry)>,
    pub(super) older: ChannelMap,
}

impl ChannelRegistry {
    #[inline]
    pub(super) fn slot(&mut self, client: ClientId) -> &mut (ChannelId, ChannelEntry) {
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
    pub(super) fn get_or_insert_other(&mut self, client: ClientId, channel: ChannelId, current: ChannelId) -> &mut ChannelEntry {
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
    pub(super) fn new(client: ClientId) -> ChannelEntry {
        ChannelEntry {
            client,
            groups: [0; 2],
            n_groups: 0,
            producer_last_ns: 0,
            consumer_group: NO_GROUP,
            consumer_last_ns: 0,
        }
    }
    pub(super) fn producer_groups(&self) -> &[GroupId] {
        &self.groups[..self.n_groups as usize]
    }
    pub(super) fn is_empty(&self) -> bool {
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
    pub(super) entries: Vec<GroupEntry>,
    /// Groups that became empty since the last purge (checked again when purged).
    pub(super) empty_candidates: Vec<GroupId>,
}

impl ProducerTable {
    pub(super) fn new(initial_empty: u64) -> ProducerTable {
        ProducerTable {
            groups_in_table: initial_empty,
            groups_empty: initial_empty,
            initial_empty,
            ..ProducerTable::default()
        }
    }

    pub(super) fn entry(&mut self, group: GroupId) -> &mut GroupEntry {
        let g = group as usize;
        if g >= self.entries.len() {
            self.entries.resize(g + 1, GroupEntry::default());
        }
        &mut self.entries[g]
    }

    /// `registerProducer` added a new channel to `group`.
    pub(super) fn add_channel(&mut self, group: GroupId) {
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
    pub(super) fn remove_channel(&mut self, group: GroupId, remove_if_emptied: bool) {
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
    pub(super) fn unregister(&mut self, group: GroupId, had_channel: bool) {
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
    pub(super) fn remove_empty_groups(&mut self) {
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

/// How long a waiter has been parked, as the monitor's wake-up and exit costs see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Park {
    Short,
    /// At least `monitor_long_park`.
    Long,
    /// At least `monitor_very_long_park`.
    VeryLong,
}

impl Park {
    /// The cost of this tier: its own where set, else the tier below's.
    fn pick(
        self,
        short: crate::scenario::Dist,
        long: Option<crate::scenario::Dist>,
        very_long: Option<crate::scenario::Dist>,
    ) -> crate::scenario::Dist {
        match self {
            Park::Short => short,
            Park::Long => long.unwrap_or(short),
            Park::VeryLong => very_long.or(long).unwrap_or(short),
        }
    }
}

/// A walker ready again this long or later after its release lost its CPU there (the harness's
/// `walker_ready_over_1ms`, which `cpu_release_preempt` counts).
pub const DISPLACED_READY_NS: u64 = 1_000_000;

/// Where the CPU model put a thread the monitor woke ([`World::place_woken_thread`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Placement {
    /// Not on the walker's CPU: the walker runs on.
    Elsewhere,
    /// Decided at the walker's own release with every CPU wanted: the heir stays off the
    /// walker's CPU and draws its wake-up, and the walker keeps its CPU. Its exit is then drawn
    /// under [`DISPLACED_READY_NS`]: the releases at which it lost its CPU are
    /// `cpu_release_preempt`'s.
    WalkerKeepsCpu,
    /// On the walker's CPU, which it preempted; the thread's measured wake-up still applies.
    WalkerCpu,
    /// On the walker's CPU, running at once (no wake-up draw).
    WalkerCpuAtOnce,
    /// On another CPU, running at once (no wake-up draw); the walker waits out the heirs' drain.
    OtherCpuAtOnce,
    /// Decided at the walker's own release with every CPU wanted, as [`Placement::WalkerKeepsCpu`],
    /// but the heir waits for a CPU on the other side (`cpu_release_heir_waits`): its wake-up
    /// is followed by a `cpu_wait` draw, and the walker, back in 10-100 µs, re-enters first.
    HeirWaitsForCpu,
}

/// A woken waiter's way back to the monitor, as drawn at the unpark ([`World::draw_monitor_wake`]).
struct Wake {
    placement: Placement,
    /// From the release (or, with `after_exit`, from the end of the releaser's exit) to its
    /// attempt on the monitor [ns].
    latency: u64,
    /// The wake-up counts from the end of the releaser's exit (`monitor_wake_after_exit_long_park`).
    after_exit: bool,
}

impl World {
    /// The waiter `next` was unparked by a cancelled wait (`trylock_timeout`; no releaser's exit,
    /// so a wake-up counted from the end of one counts from now): it competes for the monitor
    /// again after its wake-up latency (one draw of `monitor_wake_latency`). `park`: how long it
    /// has been parked ([`Self::parked_for`]).
    fn schedule_monitor_wake(&mut self, ctx: &mut Ctx<Event>, b: u16, next: ThreadRef, park: Park) -> Placement {
        let wake = self.draw_monitor_wake(ctx, b, next, park, false, false);
        self.schedule_wake_event(ctx, b, next, wake.latency);
        wake.placement
    }

    /// Where the woken waiter `next` runs and its wake-up latency: one draw of the wake-up
    /// whatever the placement (the draw order stays one per wake-up). `by_walker`: the
    /// NettyEventExecutor's release after its walk (the race the calibration measures).
    /// `waker_leaves_cpu`: the releaser is an executor thread that leaves its CPU at once
    /// (`monitor_wake_latency_idle_waker`, where set, replaces the whole draw).
    fn draw_monitor_wake(
        &mut self,
        ctx: &mut Ctx<Event>,
        b: u16,
        next: ThreadRef,
        park: Park,
        by_walker: bool,
        waker_leaves_cpu: bool,
    ) -> Wake {
        let idle_waker = self.params.brokers[b as usize]
            .monitor_wake_latency_idle_waker
            .as_ref()
            .filter(|_| waker_leaves_cpu && next != ThreadRef::Netty);
        if let Some(idle_waker) = idle_waker {
            // The waker's request is done and its queue empty: it parks on the queue right after
            // this exit, and the waiter takes the CPU it leaves (not the walker's, whatever its
            // park: the CPU never sits idle). Measured as the calibration's wake-up with a holder
            // that blocks after its exit (`wake_latency_us_yield`); the loop's chains, once the
            // first heir has drained, let one parked thread in after another at 10-13 µs
            // (Validate.java `chain_link_us`, docs/validation-log.md, the sixtieth session).
            let latency = idle_waker.sample(&mut self.brokers[b as usize].rng);
            return Wake {
                placement: Placement::Elsewhere,
                latency,
                after_exit: false,
            };
        }
        let placement = if next == ThreadRef::Netty {
            Placement::Elsewhere
        } else {
            self.place_woken_thread(ctx, b)
        };
        let p = &self.params.brokers[b as usize];
        // After a long park the wake-up may count from the end of the releaser's exit: the heir
        // cannot run before the unpark that ends it (the harness's `heir_after_exit_us`: 217 of
        // 219 heirs 9.9 us or more after the walker's exit, docs/validation.md, the twenty-ninth
        // session).
        let after_exit = match park {
            Park::Short => None,
            Park::Long => p.monitor_wake_after_exit_long_park,
            Park::VeryLong if p.monitor_wake_latency_very_long_park.is_some() => None,
            Park::VeryLong => p.monitor_wake_after_exit_long_park,
        };
        // Behind a walker that does unlocked work between close walks, the heir it releases after
        // a long walk gets in earlier than behind one that re-enters at once: measured in the
        // loop's own state behind no gap and behind a 15 us busy gap, one long-park wake-up does
        // not carry both (docs/validation.md, the twenty-seventh and thirty-sixth sessions). At
        // a share of such releases (from the event thread's unlocked work between the walks,
        // `netty_event_gap`'s mean and ConsumerManager's walk, between the two gaps of
        // `monitor_wake_long_park_gap_range`; linear between them: an assumption) the heir draws
        // `monitor_wake_latency_long_park_gap`. One more draw only where the weight is strictly
        // between 0 and 1.
        let long_park_wake = match park {
            Park::Short => false,
            Park::Long => true,
            Park::VeryLong => p.monitor_wake_latency_very_long_park.is_none(),
        };
        let gap_wake = p.monitor_wake_latency_long_park_gap;
        let behind_gap = match gap_wake {
            Some(d) if by_walker && long_park_wake && after_exit.is_none() => {
                let weight = self.long_park_gap_weight(b);
                (weight >= 1.0 || (weight > 0.0 && self.brokers[b as usize].rng.gen_bool(weight))).then_some(d)
            }
            _ => None,
        };
        let p = &self.params.brokers[b as usize];
        let wake = after_exit.or(behind_gap).unwrap_or_else(|| {
            park.pick(
                p.monitor_wake_latency,
                p.monitor_wake_latency_long_park,
                p.monitor_wake_latency_very_long_park,
            )
        });
        let wake_up = wake.sample(&mut self.brokers[b as usize].rng);
        let latency = match placement {
            Placement::WalkerCpuAtOnce | Placement::OtherCpuAtOnce => 0,
            Placement::HeirWaitsForCpu => wake_up.saturating_add(self.sample_cost(b, |p| p.cpu_wait)),
            _ => wake_up,
        };
        Wake {
            placement,
            latency,
            after_exit: after_exit.is_some() && latency > 0,
        }
    }

    /// The woken waiter's attempt on the monitor, `latency` from now.
    fn schedule_wake_event(&mut self, ctx: &mut Ctx<Event>, b: u16, next: ThreadRef, latency: u64) {
        let broker = &mut self.brokers[b as usize];
        if matches!(next, ThreadRef::Heartbeat(_) | ThreadRef::ClientManage(_)) {
            broker.worker(next).wake_due_ns = ctx.now().ns() + latency;
        }
        let epoch = broker.epoch;
        ctx.schedule_in(
            latency,
            Event::MonitorWake {
                broker: b,
                thread: next,
                epoch,
            },
        );
    }

    /// When `thread` last parked on the monitor.
    fn parked_at(&mut self, b: u16, thread: ThreadRef) -> &mut u64 {
        let broker = &mut self.brokers[b as usize];
        match thread {
            ThreadRef::Heartbeat(_) | ThreadRef::ClientManage(_) => &mut broker.worker(thread).parked_ns,
            ThreadRef::Netty => &mut broker.netty.parked_ns,
            ThreadRef::Housekeeping => &mut broker.housekeeping_parked_ns,
        }
    }

    /// How long `thread` has been parked: at least `monitor_long_park` or
    /// `monitor_very_long_park` (each off at 0)? Then its CPU has sat idle that long and wakes
    /// from a deeper idle state: the wake-up and the waker's exit (the unpark's IPI) cost more.
    /// Measured on the 2-core validation host (a KVM guest, cpuidle haltpoll with
    /// guest_halt_poll_ns = 0; `java HbCalib --mode wake --hold-ms H --spin-after true`): wake-up
    /// p50 28 µs after a 1 ms park, 37 µs after 10 ms, 55-87 µs after 50 ms, 76-96 µs after
    /// 300 ms, and the lower tail that decides a race (p10) 36-54 µs after 50 ms, 51-67 µs after
    /// 200-300 ms (docs/calibration.md, "Wake-up by park length").
    fn parked_for(&mut self, now: u64, b: u16, thread: ThreadRef) -> Park {
        let since = *self.parked_at(b, thread);
        self.park_between(b, since, now)
    }

    /// Which park tier the time between `since` and `now` reaches.
    fn park_between(&self, b: u16, since: u64, now: u64) -> Park {
        let params = &self.params.brokers[b as usize];
        let (long, very) = (params.monitor_long_park_ns, params.monitor_very_long_park_ns);
        let held = now.saturating_sub(since);
        if very > 0 && held >= very {
            Park::VeryLong
        } else if long > 0 && held >= long {
            Park::Long
        } else {
            Park::Short
        }
    }

    /// Has `monitor_long_park` (off at 0) passed between `since` and `now`? Both sides of the
    /// race at a release ask it: a waiter parked that long, a walk that held the monitor that long.
    pub(super) fn past_long_park(&self, b: u16, since: u64, now: u64) -> bool {
        self.park_between(b, since, now) != Park::Short
    }

    /// `thread` enters a ProducerManager method: takes the monitor or waits for it.
    pub(super) fn acquire_monitor(&mut self, ctx: &mut Ctx<Event>, b: u16, thread: ThreadRef) {
        let now = ctx.now().ns();
        let lock = self.brokers[b as usize].policy.lock();
        if lock == LockKind::None {
            self.begin_hold(ctx, b, thread);
            return;
        }
        if let Some(trace) = &mut self.hold_trace {
            trace.arrive(b, thread, now);
        }
        let spin = self.spins(b, thread);
        let broker = &mut self.brokers[b as usize];
        let entry = broker.monitor.enter(thread, spin);
        if entry == Entry::Owned {
            broker.monitor_acquired_ns = now;
            self.recorder.monitor_wait.add(0);
            self.begin_hold(ctx, b, thread);
            return;
        }
        let attempt = self.set_thread_blocked(b, thread, now);
        if entry == Entry::Parked {
            *self.parked_at(b, thread) = now;
            if matches!(thread, ThreadRef::Heartbeat(_) | ThreadRef::ClientManage(_)) {
                self.leave_cpu(ctx, b, thread);
                self.executor_thread_off_cpu(ctx, b);
            }
        }
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
    pub(super) fn set_thread_blocked(&mut self, b: u16, thread: ThreadRef, now: u64) -> u32 {
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
    pub(super) fn begin_hold(&mut self, ctx: &mut Ctx<Event>, b: u16, thread: ThreadRef) {
        let now = ctx.now().ns();
        if let Some(trace) = &mut self.hold_trace {
            if self.brokers[b as usize].policy.lock() != LockKind::None {
                trace.enter(b, thread, now);
            }
        }
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
                    // It was parked: the scheduler gives it a CPU (and a fresh slice) again.
                    broker.netty.on_cpu_since_ns = now;
                }
                if let Some((registers, duration)) = broker.gaps.walk_acquired(now) {
                    self.recorder.walker_gaps.add(registers, duration, broker.hb.queue.len() as u64);
                }
                broker.netty.state = NettyState::Holding;
            }
            ThreadRef::Housekeeping => broker.housekeeping = HousekeepingState::Holding,
        }
        let cost = match thread {
            // With the run queue a hold runs at its own speed: a few hundred ns to a few µs inside
            // a thread's slice, seldom cut by a preemption (the loop's holds beside 8 busy threads
            // on the Intel guest: p50 0.59 µs, p99 4.4 µs, 11 of 60,766 past 100 µs, the
            // forty-second session's trace), where spreading the CPUs evenly over it would make
            // every hold R / `cpus` times as long and the running threads meet on the monitor
            // (docs/validation-log.md, the forty-third session). Its unlocked work is shared.
            ThreadRef::Heartbeat(_) | ThreadRef::ClientManage(_) if self.run_queue_on(b) => {
                self.owe_for_hold(b, thread, cost);
                cost
            }
            ThreadRef::Heartbeat(_) | ThreadRef::ClientManage(_) => self.time_shared(b, cost),
            ThreadRef::Netty | ThreadRef::Housekeeping => cost,
        };
        self.schedule_step(ctx, b, thread, cost);
    }

    /// An executor thread's piece of work of `cost` on its CPU, as long as it takes with
    /// `cpu_time_sharing`: the host's CPUs shared evenly among the threads that want one
    /// (processor sharing, the limit of a fair scheduler's slices; Linux CFS/EEVDF), so a piece
    /// of work takes `cost` times the runnable threads per CPU when they outnumber the CPUs.
    /// Runnable: the host's other work (`cpu_other_runnable`), the executor threads at work or
    /// spinning on the monitor, and the walker on its CPU. Counted as the piece starts (a
    /// thread's pieces are 0.1-10 µs, the busy threads' share changes slower). Off, or with
    /// `cpus = 0`, `cost` itself.
    pub(super) fn time_shared(&self, b: u16, cost: u64) -> u64 {
        let p = &self.params.brokers[b as usize];
        if !(p.cpu_time_sharing || p.cpu_run_queue) || p.cpus == 0 {
            return cost;
        }
        let broker = &self.brokers[b as usize];
        let walker = broker.netty.runs_on_cpu();
        let executors = if p.cpu_run_queue {
            // Only those holding a CPU (run_queue.rs).
            broker.executor_threads_on_cpu()
        } else {
            let spinning = (0..broker.hb.workers.len())
                .map(|i| ThreadRef::Heartbeat(i as u16))
                .chain((0..broker.cm.workers.len()).map(|i| ThreadRef::ClientManage(i as u16)))
                .filter(|&t| broker.monitor.is_spinning(t))
                .count() as u64;
            broker.executor_threads_running() + spinning
        };
        let runnable = u64::from(p.cpu_other_runnable) + executors + u64::from(walker);
        let cpus = u64::from(p.cpus);
        if runnable <= cpus {
            return cost;
        }
        if p.cpu_run_queue && p.cpu_executor_share > 0.0 {
            // A measured share of the CPUs for the executor threads on them, whatever the
            // host's other work (`cpu_executor_share`; the loop's heirs in its won gaps, the
            // forty-fourth session): each of E on a CPU gets share x cpus / E of a CPU.
            let stretch = (executors as f64 / (p.cpu_executor_share * cpus as f64)).max(1.0);
            return (cost as f64 * stretch).min(u64::MAX as f64) as u64;
        }
        u64::try_from(u128::from(cost) * u128::from(runnable) / u128::from(cpus)).unwrap_or(u64::MAX)
    }

    /// How long `thread`'s next step inside ProducerManager takes.
    pub(super) fn hold_cost(&mut self, b: u16, thread: ThreadRef) -> u64 {
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
                let mut calls = Vec::new();
                for _ in start..end {
                    let call = match thread {
                        ThreadRef::Heartbeat(_) => self.sample_cost(b, |p| p.register_producer_cost),
                        _ => self.sample_cost(b, |p| p.unregister_cost),
                    };
                    if self.hold_trace.is_some() {
                        calls.push(call);
                    }
                    cost = cost.saturating_add(call);
                }
                if let Some(trace) = &mut self.hold_trace {
                    trace.calls(b, &calls);
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
                // This run's drift (1 unless `close_cost_per_group_drift` drew another factor).
                let factor = self.params.brokers[b as usize].close_cost_per_group_factor;
                let walk = if factor == 1.0 {
                    per_group.saturating_mul(groups)
                } else {
                    // A float product saturates at u64::MAX and rounds to the nanosecond.
                    (per_group as f64 * groups as f64 * factor).round() as u64
                };
                base.saturating_add(walk)
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

    /// Whether `thread` spins before it parks (`monitor_spin` > 0; the NettyEventExecutor only
    /// with `monitor_spin_walker`). In the harness's loop the returning walker parked about 10 µs
    /// after finding the monitor owned at all 10 of its attempts that found it so, while the
    /// heartbeat threads entered within 5 µs at 99.4% of theirs (docs/validation.md, the
    /// twenty-third session).
    fn spins(&self, b: u16, thread: ThreadRef) -> bool {
        let p = &self.params.brokers[b as usize];
        p.monitor_spin_ns > 0 && (p.monitor_spin_walker || thread != ThreadRef::Netty)
    }

    /// HotSpot's spin window for `thread` (`TrySpin`): it ends at `monitor_spin` from now.
    pub(super) fn schedule_spin_end(&self, ctx: &mut Ctx<Event>, b: u16, thread: ThreadRef, attempt: u32) {
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
    pub(super) fn thread_attempt(&mut self, b: u16, thread: ThreadRef) -> u32 {
        let broker = &mut self.brokers[b as usize];
        match thread {
            ThreadRef::Heartbeat(_) | ThreadRef::ClientManage(_) => broker.worker(thread).attempt,
            ThreadRef::Netty => broker.netty.attempt,
            ThreadRef::Housekeeping => broker.housekeeping_attempt,
        }
    }

    /// A spin window ran out: the thread parks if it is still spinning on this wait.
    pub(crate) fn on_spin_end(&mut self, ctx: &mut Ctx<Event>, b: u16, thread: ThreadRef, attempt: u32) {
        if self.thread_attempt(b, thread) == attempt && self.brokers[b as usize].monitor.stop_spinning(thread) {
            *self.parked_at(b, thread) = ctx.now().ns();
            if matches!(thread, ThreadRef::Heartbeat(_) | ThreadRef::ClientManage(_)) {
                self.leave_cpu(ctx, b, thread);
            }
        }
    }

    /// `monitor_heir_takes_idle_cpu`: an executor thread just went idle and left its CPU. A
    /// heartbeat or client-manage thread woken and still on its way (`_succ`, its wake-up drawn
    /// by its park: after a long park beside busy threads mostly a wait for a CPU) takes that
    /// CPU, as it takes the CPU of a waker that goes idle right after its unpark
    /// (`monitor_wake_latency_idle_waker`): its wake-up ends at most one such draw from now.
    /// One draw, only where a heir is on its way.
    pub(super) fn heir_takes_idle_cpu(&mut self, ctx: &mut Ctx<Event>, b: u16) {
        let params = &self.params.brokers[b as usize];
        let Some(idle_waker) = params
            .monitor_wake_latency_idle_waker
            .as_ref()
            .filter(|_| params.monitor_heir_takes_idle_cpu)
        else {
            return;
        };
        let now = ctx.now().ns();
        let broker = &mut self.brokers[b as usize];
        let heir = match broker.monitor.successor() {
            Some(heir @ (ThreadRef::Heartbeat(_) | ThreadRef::ClientManage(_))) => heir,
            _ => return,
        };
        let pending = broker.worker(heir).wake_due_ns;
        if pending <= now {
            // Its wake-up came: it waits for a CPU in the run queue, which the one left gives.
            return;
        }
        let due = now.saturating_add(idle_waker.sample(&mut broker.rng));
        if due < pending {
            self.schedule_wake_event(ctx, b, heir, due - now);
        }
    }

    /// The owner releases. Returns the exiting thread's own exit cost: the unpark it issues after
    /// the release (HotSpot `ExitEpilog`: `_owner = NULL`, then `unpark`), which delays its next
    /// step and so lengthens the window in which the monitor is free.
    pub(super) fn release_monitor(&mut self, ctx: &mut Ctx<Event>, b: u16, thread: ThreadRef) -> u64 {
        let now = ctx.now().ns();
        if let Some(trace) = &mut self.hold_trace {
            trace.leave(b, thread, now);
        }
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
                let park = self.parked_for(now, b, next);
                // Asked only where it decides a draw (every wake-up passes here).
                let leaves = self.params.brokers[b as usize].monitor_wake_latency_idle_waker.is_some()
                    && self.brokers[b as usize].leaves_cpu_after_release(thread);
                let wake = self.draw_monitor_wake(ctx, b, next, park, thread == ThreadRef::Netty, leaves);
                let placement = wake.placement;
                let p = &self.params.brokers[b as usize];
                let exit = park.pick(
                    p.monitor_exit_cost,
                    p.monitor_exit_cost_long_park,
                    p.monitor_exit_cost_very_long_park,
                );
                let rng = &mut self.brokers[b as usize].rng;
                let decided_at_release = match placement {
                    Placement::WalkerKeepsCpu | Placement::HeirWaitsForCpu | Placement::OtherCpuAtOnce => true,
                    // On one CPU the heir that preempts the walker is not a release share.
                    Placement::WalkerCpuAtOnce => p.cpus > 1,
                    Placement::Elsewhere | Placement::WalkerCpu => false,
                };
                let exit = if decided_at_release {
                    // The CPU model decided the walker's release on a host with every CPU
                    // wanted: whether it lost its CPU there is `cpu_release_preempt`'s draw (the
                    // loop's `walker_ready_over_1ms`), so its exit is the measured exit of a
                    // thread that kept its CPU. The exit measured apart under load carries the
                    // same displacement in its tail (p90 2-14 ms at 4-12 busy threads on the
                    // validation host: the waiter it unparked took its CPU); drawn whole, it
                    // would count those releases twice (docs/validation.md, the fifteenth session).
                    exit.sample_at_most(rng, DISPLACED_READY_NS)
                } else {
                    exit.sample(rng)
                };
                // The heir's wake-up, from the release or from the end of this exit.
                let latency = if wake.after_exit {
                    wake.latency.saturating_add(exit)
                } else {
                    wake.latency
                };
                self.schedule_wake_event(ctx, b, next, latency);
                exit
            }
        }
    }

    /// CPU placement of a thread the monitor wakes (issue 10; off with `cpus = 0`): can it take
    /// the NettyEventExecutor's CPU? Only a walker on its CPU between two walks (at its own
    /// release, in its exit, its ConsumerManager half or its dispatch) can lose it.
    ///
    /// If a CPU is idle (the walker, the woken thread, the executor threads at work and
    /// `cpu_other_runnable` fit in `cpus`), the woken thread runs there (Linux
    /// `select_idle_sibling`) and nothing else happens. Otherwise:
    /// - the walker's own unpark at its release puts the woken thread on the walker's CPU when
    ///   there is one CPU (`cpus = 1`); with more, at the measured share `cpu_release_preempt` of
    ///   its releases (0 by default: wake-affine sends it to the CPU it last ran on, not the
    ///   walker's), and such a heir runs at once; at the share `cpu_release_other_at_once` of the
    ///   releases where it stays off the walker's CPU it runs at once on another (measured as
    ///   the loop's heirs that got in on the other CPU within 0.1 ms while the walker kept its
    ///   own, beyond the measured wake-up's own fast draws; what lets the scheduler pick them so
    ///   soon is not settled, docs/validation.md, the fourteenth session); and at the share
    ///   `cpu_release_heir_waits` of the releases left it waits for a CPU on the other side (its
    ///   wake-up, then a `cpu_wait` draw) instead of racing the walker back: measured, where the
    ///   measured wake-up alone would let more heirs in than the loop counted there (the Intel
    ///   guest under 4 busy threads, docs/validation.md, the seventeenth session);
    /// - an unpark a heartbeat thread issues at its own release while the walker is in its exit
    ///   or gap lands on the walker's CPU with probability 1/`cpus` (assumption: wake-affine
    ///   picks the waker's or the wakee's previous CPU, either may be the walker's; plausible
    ///   0–1/2 on 2 CPUs). The heartbeat threads that won a gap wake each other one by one, and
    ///   each wake-up is another chance to take the walker's CPU: that is what keeps the walker
    ///   away while they drain their backlog (the harness's hundreds to thousands of
    ///   `registerProducer` calls per won gap, docs/validation.md).
    ///
    /// On the walker's CPU the woken thread preempts the walker when the walker has run at least
    /// a scheduler slice since it last got a CPU (EEVDF, Linux >= 6.6: a task past its slice's
    /// deadline yields to an eligible woken task; `cpu_slice`, base slice 0.75 ms x (1 + log2
    /// CPUs) = 1.5 ms on 2 CPUs). The walker does not sleep between back-to-back walks, so a run
    /// of short walks counts as one run. A preempted walker gets its CPU back when the executor
    /// threads have all left theirs and the host's other work leaves one free, or after a
    /// `cpu_wait` draw, whichever comes first.
    fn place_woken_thread(&mut self, ctx: &mut Ctx<Event>, b: u16) -> Placement {
        let now = ctx.now().ns();
        let params = &self.params.brokers[b as usize];
        let (cpus, slice, other) = (params.cpus, params.cpu_slice_ns, params.cpu_other_runnable);
        if cpus == 0 {
            return Placement::Elsewhere;
        }
        let broker = &mut self.brokers[b as usize];
        let netty = &broker.netty;
        if !netty.runs_on_cpu() {
            return Placement::Elsewhere;
        }
        let at_release = netty.state == NettyState::Holding;
        let past_slice = now - netty.on_cpu_since_ns >= slice;
        let (release_preempt, other_at_once, heir_waits) = (
            params.cpu_release_preempt,
            params.cpu_release_other_at_once,
            params.cpu_release_heir_waits,
        );
        // The walker and the woken thread, the executor threads at work, the host's other work.
        let wanted = 2 + broker.executor_threads_running() + u64::from(other);
        if wanted <= u64::from(cpus) {
            return Placement::Elsewhere;
        }
        // The walker's own unpark at its release with no measured share: the woken thread last ran
        // on another CPU (the walker held its own through the walk), and wake-affine
        // (`wake_affine_weight`) prefers that previous CPU to the waker's, which carries the
        // walker. On one CPU there is no other.
        let stays_off = at_release && cpus > 1 && release_preempt == 0.0;
        // Each draw only where it can decide (no draw at a share of 0).
        let lands_here = past_slice
            && !stays_off
            && if cpus == 1 {
                true
            } else if at_release {
                // Measured, not derived: the share of its releases at which a walker on this host
                // and load lost its CPU (`cpu_release_preempt`; the harness's `walker_ready_over_1ms`).
                broker.rng.gen_bool(release_preempt)
            } else {
                broker.rng.gen_range(0..cpus) == 0
            };
        let placement = if !lands_here {
            // Off the walker's CPU at its own release: at the measured share, the heir still runs
            // at once on another (`cpu_release_other_at_once`).
            if at_release && cpus > 1 && other_at_once > 0.0 && broker.rng.gen_bool(other_at_once) {
                Placement::OtherCpuAtOnce
            } else if at_release && cpus > 1 && heir_waits > 0.0 && broker.rng.gen_bool(heir_waits) {
                // The heir's CPU is taken by the host's other work and it waits its turn: where
                // the measured wake-up alone would let more heirs in than the loop counted.
                Placement::HeirWaitsForCpu
            } else if at_release && cpus > 1 {
                Placement::WalkerKeepsCpu
            } else {
                Placement::Elsewhere
            }
        } else if cpus == 1 || at_release {
            // On one CPU the measured wake-up is the wait for the waker to leave the only CPU, and
            // the heir that takes the walker's CPU at its own release was measured apart from the
            // wake-up (a wakee that had to find a CPU elsewhere): both run at once. A heartbeat
            // thread's unpark on more CPUs keeps its measured wake-up.
            Placement::WalkerCpuAtOnce
        } else {
            Placement::WalkerCpu
        };
        if !matches!(
            placement,
            Placement::Elsewhere | Placement::WalkerKeepsCpu | Placement::HeirWaitsForCpu
        ) {
            // The walker waits as rule 5 says: preempted on its CPU, or, where the heir ran at
            // once on another, blocked on the monitor while the heirs drain their backlog (the
            // harness's `walker_blocked_won_quick_us`: 6-32 ms in all 9 such gaps of `blk1-`,
            // with the heirs' calls a full drain; docs/validation.md, the fourteenth session).
            // With `cpu_time_sharing` the wait lengthens as the host's runnable threads per CPU
            // (`cpu_wait` as at no more runnable threads than CPUs; an assumption: the scheduler
            // owes a thread that ran past its share a fixed amount of CPU time, which it repays
            // the slower the more threads share the CPUs).
            // `cpu_wait_displaced` where set (the heirs' own wait for a CPU keeps `cpu_wait`).
            let broker = &mut self.brokers[b as usize];
            let params = &self.params.brokers[b as usize];
            let wait = params
                .cpu_wait_displaced
                .as_ref()
                .unwrap_or(&params.cpu_wait)
                .sample(&mut broker.rng)
                .max(1);
            let wait = if self.params.brokers[b as usize].cpu_time_sharing {
                self.time_shared(b, wait)
            } else {
                wait
            };
            let netty = &mut self.brokers[b as usize].netty;
            netty.preempted_until_ns = now + wait;
            netty.preemption += 1;
            self.schedule_netty_resume(ctx, b, wait, false);
        }
        placement
    }

    /// The current preemption of the walker ends `delay` from now (stale if another began; with
    /// `after_drain`, also if an executor thread is back on a CPU by then).
    fn schedule_netty_resume(&self, ctx: &mut Ctx<Event>, b: u16, delay: u64, after_drain: bool) {
        let broker = &self.brokers[b as usize];
        let (epoch, preemption) = (broker.epoch, broker.netty.preemption);
        ctx.schedule_in(
            delay,
            Event::NettyResume {
                broker: b,
                epoch,
                preemption,
                after_drain,
            },
        );
    }

    /// An executor thread left its CPU (parked on the monitor or on its empty queue): a
    /// preempted walker gets its CPU back once none of them wants one and the host's other work
    /// leaves a CPU free. Not before: EEVDF runs the woken threads, which slept and are owed
    /// time, ahead of a walker that ran past its share, for as long as they stay runnable.
    ///
    /// Where the host's other work fills its CPUs the walker then waits its turn among it: a
    /// `cpu_wait_after_drain` draw from that moment (measured as the harness's
    /// `won_ready_after_idle_us`: 10-14 µs under 4 busy threads, 0.01-3.5 ms under 8 on the
    /// Intel guest, `ends1-`), or its `cpu_wait`, whichever ends first. Unset, only its
    /// `cpu_wait` ends it (the rule before the fortieth session; docs/validation-log.md). With
    /// `cpu_wait_after_drain_from_idle` the draw waits for the executor's idle moment instead,
    /// as the harness measures it (Z, the sixtieth session).
    pub(super) fn executor_thread_off_cpu(&mut self, ctx: &mut Ctx<Event>, b: u16) {
        let params = &self.params.brokers[b as usize];
        let (cpus, other) = (params.cpus, params.cpu_other_runnable);
        let broker = &self.brokers[b as usize];
        if cpus == 0 || broker.netty.preempted_until_ns == 0 || broker.executor_threads_running() > 0 {
            return;
        }
        if other < cpus {
            self.schedule_netty_resume(ctx, b, 0, false);
        } else if let Some(after) = &params.cpu_wait_after_drain {
            // `cpu_wait_after_drain_from_idle`: the wait was measured from the executor's idle
            // moment (Validate.java's `won_ready_after_idle_us`: no task under way, the parked
            // threads' calls done too), so it starts there, not while a parked or woken thread
            // still holds a call (docs/validation-log.md, the fifty-ninth and sixtieth sessions).
            if params.cpu_wait_after_drain_from_idle && broker.executor_threads_busy() > 0 {
                return;
            }
            let delay = after.sample(&mut self.brokers[b as usize].rng);
            let broker = &self.brokers[b as usize];
            let left = broker.netty.preempted_until_ns.saturating_sub(ctx.now().ns());
            if delay < left {
                self.schedule_netty_resume(ctx, b, delay, true);
            }
        }
    }

    /// The preempted walker runs again: a step that fell due meanwhile is taken now.
    pub(crate) fn on_netty_resume(&mut self, ctx: &mut Ctx<Event>, b: u16, preemption: u32, after_drain: bool) {
        let now = ctx.now().ns();
        let broker = &self.brokers[b as usize];
        if broker.netty.preemption != preemption || broker.netty.preempted_until_ns == 0 {
            return;
        }
        // A heartbeat thread back on a CPU takes the walker's turn: the next idle moment draws again.
        if after_drain && broker.executor_threads_running() > 0 {
            return;
        }
        if after_drain && self.params.brokers[b as usize].cpu_wait_after_drain_from_idle && broker.executor_threads_busy() > 0 {
            return;
        }
        let netty = &mut self.brokers[b as usize].netty;
        netty.preempted_until_ns = 0;
        netty.on_cpu_since_ns = now;
        if std::mem::take(&mut netty.step_deferred) {
            self.netty_step(ctx, b);
        }
    }

    pub(crate) fn on_monitor_wake(&mut self, ctx: &mut Ctx<Event>, b: u16, thread: ThreadRef) {
        let broker = &self.brokers[b as usize];
        if !broker.monitor.is_waiting(thread) && broker.monitor.owner() != Some(thread) {
            // It gave up (tryLock timeout) before the wake-up arrived.
            return;
        }
        if matches!(thread, ThreadRef::Heartbeat(_) | ThreadRef::ClientManage(_)) {
            if self.brokers[b as usize].worker(thread).wake_due_ns != ctx.now().ns() {
                // Brought forward (`monitor_heir_takes_idle_cpu`): it came at the earlier time.
                return;
            }
            // It needs a CPU to compete (run_queue.rs; at once without the run queue).
            self.run_on_cpu(ctx, b, thread, RunPending::Wake);
        } else {
            self.compete_after_wake(ctx, b, thread);
        }
    }

    /// A woken `thread`, on a CPU, competes for the monitor.
    pub(super) fn compete_after_wake(&mut self, ctx: &mut Ctx<Event>, b: u16, thread: ThreadRef) {
        let now = ctx.now().ns();
        let spin = self.spins(b, thread);
        let broker = &mut self.brokers[b as usize];
        if !broker.monitor.is_waiting(thread) && broker.monitor.owner() != Some(thread) {
            // It gave up (tryLock timeout) while it waited for a CPU.
            return;
        }
        let was_owner = broker.monitor.owner() == Some(thread);
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
        } else if !self.brokers[b as usize].monitor.is_spinning(thread) {
            // A futile wake-up without spinning: it parks again at once.
            *self.parked_at(b, thread) = now;
            if matches!(thread, ThreadRef::Heartbeat(_) | ThreadRef::ClientManage(_)) {
                self.leave_cpu(ctx, b, thread);
            }
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
        if let Some(trace) = &mut self.hold_trace {
            trace.give_up(b, thread);
        }
        if let Some(next) = broker.monitor.cancel(thread) {
            let park = self.parked_for(ctx.now().ns(), b, next);
            self.schedule_monitor_wake(ctx, b, next, park);
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
                self.take_cpu(now, b, thread);
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
}
