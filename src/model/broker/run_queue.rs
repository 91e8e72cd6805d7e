//! The executor threads on the host's CPUs as a time-sliced scheduler runs them
//! (`cpu_run_queue`, the forty-second session; off by default).
//!
//! Measured (`HbCalib --mode drain --heartbeat-threads T`, calibration/jvm/Drain.java): the JVM's
//! heartbeat threads draining a backlog on a 2-CPU guest use both CPUs from two threads on
//! (`drain_cpu_share` 0.88-0.97) and almost never find the ProducerManager monitor taken (HotSpot's
//! contended entries 0.002 per `registerProducer` call, the parks behind the hold that queued the
//! backlog): at any moment two of them run, each a slice at a time, and their holds, a few hundred
//! ns in a task of a few µs, seldom meet. A model that lets every executor thread with work run at
//! once makes them meet: 6 of 8 wait for the monitor through hbsim's drain, and the wake-ups, not
//! the CPUs, then set its pace. Beside 4 busy threads the JVM's threads used 0.29-0.32 of the two
//! CPUs with two to eight of them, as two threads' fair share among six (0.33), not eight's among
//! twelve (0.67) (docs/validation-log.md, the forty-second session).
//!
//! So: at most `cpus` executor threads hold a CPU; one that wants to run (a new task, its monitor
//! wake-up) while they all do waits in a FIFO run queue, and gets a CPU when one of them parks on
//! the monitor, goes idle, or takes its next task past its `cpu_slice` with others waiting (the
//! turn is taken between two tasks, never inside a hold). Those that hold a CPU share the CPUs
//! with the host's other work and the walker: each unlocked piece of their work takes its cost
//! times R / `cpus` when R, the executor threads on a CPU + `cpu_other_runnable` + the walker on
//! its CPU, outnumbers the CPUs. A hold takes its own cost: it runs inside the thread's slice
//! (the JVM's holds beside 8 busy threads stayed as short as on an idle host, the forty-second
//! session's trace; stretched evenly, hbsim's drain configured as `user51-huge-gap0-busy8` ran
//! at 80 calls per ms against the JVM's 91-201 beside 8 busy threads, at its own cost 189: the
//! forty-third session, `a_woken_heartbeat_thread_takes_its_fair_share_of_a_busy_host`).
//! A woken thread waiting in the queue stays the monitor's heir (HotSpot's
//! `_succ`): exits wake nobody else meanwhile. With `cpu_executor_share` a hold's CPU counts
//! against the thread's share as its unlocked work's does (the share was measured as the heirs'
//! whole CPU time): what the hold took beyond the share is repaid at the thread's next unlocked
//! piece (L, the forty-seventh session).
//!
//! Must not: decide who owns the monitor (monitor.rs) or the walker's CPU (producer_manager.rs).

use super::*;

impl World {
    /// `cpu_run_queue` is on for broker `b` (and there is a CPU model).
    pub(super) fn run_queue_on(&self, b: u16) -> bool {
        let p = &self.params.brokers[b as usize];
        p.cpu_run_queue && p.cpus > 0
    }

    /// The executor thread `thread` wants to run `pending`: at once if it holds a CPU or one is
    /// free, else behind the threads already waiting for one.
    pub(super) fn run_on_cpu(&mut self, ctx: &mut Ctx<Event>, b: u16, thread: ThreadRef, pending: RunPending) {
        if self.run_queue_on(b) {
            let now = ctx.now().ns();
            let cpus = u64::from(self.params.brokers[b as usize].cpus);
            let broker = &mut self.brokers[b as usize];
            if !broker.worker(thread).on_cpu {
                if broker.executor_threads_on_cpu() >= cpus || !broker.run_queue.is_empty() {
                    broker.run_queue.push_back((thread, pending));
                    return;
                }
                broker.worker(thread).take_cpu(now);
            }
        }
        self.run_pending(ctx, b, thread, pending);
    }

    fn run_pending(&mut self, ctx: &mut Ctx<Event>, b: u16, thread: ThreadRef, pending: RunPending) {
        match pending {
            RunPending::Step(cost) => {
                let owed = std::mem::take(&mut self.brokers[b as usize].worker(thread).cpu_owed_ns);
                let cost = self.time_shared(b, cost).saturating_add(owed);
                self.schedule_step(ctx, b, thread, cost);
            }
            RunPending::Wake => self.compete_after_wake(ctx, b, thread),
        }
    }

    /// With `cpu_executor_share`, a hold of `cost` just begun by the executor thread `thread`
    /// runs at its own speed, but its CPU counts against the thread's share as its unlocked
    /// work's does: the share was measured as the heirs' whole CPU time in the loop's won gaps,
    /// their holds included (`Validate.java --gap-cpu`, ThreadMXBean). What the hold took beyond
    /// the share is owed and repaid at the thread's next unlocked piece of work, as a fair
    /// scheduler keeps a thread's lag across its sleeps (Linux EEVDF, `place_entity`'s lag).
    /// Called with the run queue on.
    pub(super) fn owe_for_hold(&mut self, b: u16, thread: ThreadRef, cost: u64) {
        if self.params.brokers[b as usize].cpu_executor_share <= 0.0 {
            return;
        }
        let owed = self.time_shared(b, cost).saturating_sub(cost);
        let w = self.brokers[b as usize].worker(thread);
        w.cpu_owed_ns = w.cpu_owed_ns.saturating_add(owed);
    }

    /// The executor thread `thread` leaves its CPU (parked on the monitor, idle on its queue):
    /// the threads waiting for one take it.
    pub(super) fn leave_cpu(&mut self, ctx: &mut Ctx<Event>, b: u16, thread: ThreadRef) {
        if !self.run_queue_on(b) {
            return;
        }
        let w = self.brokers[b as usize].worker(thread);
        if !w.on_cpu {
            return;
        }
        w.on_cpu = false;
        self.grant_cpus(ctx, b);
    }

    /// A thread that had no CPU runs without one being free (a `tryLock` that timed out: v4.6.0
    /// only, not validated with the run queue): it holds one from now, over the count if need
    /// be, and the next to leave gives none away until the count is back under the CPUs.
    pub(super) fn take_cpu(&mut self, now: u64, b: u16, thread: ThreadRef) {
        if self.run_queue_on(b) {
            let w = self.brokers[b as usize].worker(thread);
            if !w.on_cpu {
                w.take_cpu(now);
            }
        }
    }

    /// Free CPUs go to the threads waiting for one, first come first served.
    fn grant_cpus(&mut self, ctx: &mut Ctx<Event>, b: u16) {
        let now = ctx.now().ns();
        let cpus = u64::from(self.params.brokers[b as usize].cpus);
        while self.brokers[b as usize].executor_threads_on_cpu() < cpus {
            let broker = &mut self.brokers[b as usize];
            let Some((next, pending)) = broker.run_queue.pop_front() else {
                break;
            };
            broker.worker(next).take_cpu(now);
            self.run_pending(ctx, b, next, pending);
        }
    }

    /// Between two tasks: a thread that has held its CPU for a `cpu_slice` or more while others
    /// wait for one gives it up and queues behind them.
    pub(super) fn yield_cpu_past_slice(&mut self, ctx: &mut Ctx<Event>, b: u16, thread: ThreadRef) {
        if !self.run_queue_on(b) || self.brokers[b as usize].run_queue.is_empty() {
            return;
        }
        let now = ctx.now().ns();
        let slice = self.params.brokers[b as usize].cpu_slice_ns;
        let w = self.brokers[b as usize].worker(thread);
        if w.on_cpu && now - w.on_cpu_since_ns >= slice {
            w.on_cpu = false;
            self.grant_cpus(ctx, b);
        }
    }
}
