//! The ProducerManager: its monitor (acquire, hold, release, spin and tryLock timeouts) and the
//! cost of each hold (`registerProducer`, `unregisterProducer`, the close walk), per policy.
//! The table itself ([`ProducerTable`], the channel registry) is defined in `broker/mod.rs`.
//!
//! Mirrors (rocketmq-all-4.9.8):
//! `broker/src/main/java/org/apache/rocketmq/broker/client/ProducerManager.java`
//! (`registerProducer`, `unregisterProducer`, `doChannelCloseEvent`, `scanNotActiveChannel`) and,
//! for the other releases, the switches in `policy.rs`.
//!
//! Must not: walk the simulated table to compute a close walk's cost (it is computed from the
//! table size), or call client-side code.

use super::*;

impl World {
    /// `thread` enters a ProducerManager method: takes the monitor or waits for it.
    pub(super) fn acquire_monitor(&mut self, ctx: &mut Ctx<Event>, b: u16, thread: ThreadRef) {
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
    pub(crate) fn on_spin_end(&mut self, b: u16, thread: ThreadRef, attempt: u32) {
        if self.thread_attempt(b, thread) == attempt {
            self.brokers[b as usize].monitor.stop_spinning(thread);
        }
    }

    /// The owner releases. Returns the exiting thread's own exit cost: the unpark it issues after
    /// the release (HotSpot `ExitEpilog`: `_owner = NULL`, then `unpark`), which delays its next
    /// step and so lengthens the window in which the monitor is free.
    pub(super) fn release_monitor(&mut self, ctx: &mut Ctx<Event>, b: u16, thread: ThreadRef) -> u64 {
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
    pub(super) fn walker_preemption(&mut self, b: u16, walk_ns: u64) -> u64 {
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
}
