//! The broker's request executors and their fast failure: `heartbeatExecutor` and
//! `clientManageExecutor` (thread pools with bounded queues), the worker threads that decode a
//! request, call into the ProducerManager / ConsumerManager and reply, and `BrokerFastFailure`,
//! which answers SYSTEM_BUSY to requests that waited too long in a queue.
//!
//! Mirrors (rocketmq-all-4.9.8): `broker/src/main/java/org/apache/rocketmq/broker/BrokerController.java`
//! (`heartbeatExecutor`, `clientManageExecutor`, `registerProcessor`),
//! `broker/src/main/java/org/apache/rocketmq/broker/processor/ClientManageProcessor.java`
//! (`heartBeat`, `unregisterClient`) and
//! `broker/src/main/java/org/apache/rocketmq/broker/latency/BrokerFastFailure.java`.
//!
//! Must not: touch the ProducerManager table or its monitor directly (that is
//! producer_manager.rs), or touch client state (replies go through the boundary in
//! `super::super::wire`).

use super::*;
use crate::model::wire::Reply;

impl World {
    #[inline]
    pub(super) fn sample_cost(&mut self, b: u16, cost: fn(&crate::scenario::BrokerParams) -> crate::scenario::Dist) -> u64 {
        // Per broker: `[[broker_overrides]]` may give each broker its own costs.
        let dist = cost(&self.params.brokers[b as usize]);
        dist.sample(&mut self.brokers[b as usize].rng)
    }

    pub(super) fn schedule_step(&self, ctx: &mut Ctx<Event>, b: u16, thread: ThreadRef, delay_ns: u64) {
        let epoch = self.brokers[b as usize].epoch;
        ctx.schedule_in(delay_ns, Event::ThreadStep { broker: b, thread, epoch });
    }

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
            self.rpc_reply(ctx, task.client, task.req, Reply::Busy);
        } else {
            pool.queue.push_back(task);
            if task.kind == TaskKind::Heartbeat {
                self.arm_fast_failure(ctx, b);
            }
        }
    }

    pub(super) fn start_task(&mut self, ctx: &mut Ctx<Event>, b: u16, kind: TaskKind, worker: u16, task: Task) {
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
            parked_ns: w.parked_ns,
            on_cpu: w.on_cpu,
            on_cpu_since_ns: w.on_cpu_since_ns,
            cpu_owed_ns: w.cpu_owed_ns,
            wake_due_ns: w.wake_due_ns,
        };
        let cost = match kind {
            TaskKind::Heartbeat => self.sample_cost(b, |p| p.heartbeat_cost),
            TaskKind::Unregister => 0,
        };
        self.run_on_cpu(ctx, b, thread, RunPending::Step(cost));
    }

    pub(super) fn worker_step(&mut self, ctx: &mut Ctx<Event>, b: u16, thread: ThreadRef) {
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
                if task.kind == TaskKind::Heartbeat {
                    broker.gaps.registers += u64::from(batch_end - group_idx);
                }
                broker.worker(thread).group_idx = batch_end;
                self.next_producer_group(ctx, b, thread);
            }
            state => panic!("{thread:?} stepped while {state:?} at {}", ctx.now()),
        }
    }

    /// Starts the next `registerProducer`/`unregisterProducer` call, or finishes the request.
    pub(super) fn next_producer_group(&mut self, ctx: &mut Ctx<Event>, b: u16, thread: ThreadRef) {
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

    pub(super) fn finish_task(&mut self, ctx: &mut Ctx<Event>, b: u16, thread: ThreadRef, task: Task) {
        let now = ctx.now().ns();
        if task.kind == TaskKind::Heartbeat {
            self.recorder.heartbeat_latency(now - task.enqueued_ns);
        }
        self.rpc_reply(ctx, task.client, task.req, Reply::Success);
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
            Some(next) => {
                // A thread past its slice with others waiting for a CPU takes its next task
                // behind them (`cpu_run_queue`): the scheduler's turn, taken between two tasks.
                self.yield_cpu_past_slice(ctx, b, thread);
                self.start_task(ctx, b, task.kind, index, next);
            }
            None => {
                pool.idle.push_back(index);
                self.leave_cpu(ctx, b, thread);
                self.heir_takes_idle_cpu(ctx, b);
                self.executor_thread_off_cpu(ctx, b);
            }
        }
    }

    /// Arms BrokerFastFailure for the head of the heartbeat queue. The real sweep runs every
    /// 10 ms from +1 s; it only acts when the head is old enough, so one event at the first
    /// sweep tick at or after the head's expiry gives the same result.
    pub(super) fn arm_fast_failure(&mut self, ctx: &mut Ctx<Event>, b: u16) {
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
            self.rpc_reply(ctx, task.client, task.req, Reply::Busy);
        }
        self.arm_fast_failure(ctx, b);
    }
}
