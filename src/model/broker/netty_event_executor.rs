//! The NettyEventExecutor: the single thread that runs CONNECT / CLOSE / IDLE / EXCEPTION
//! channel events, calling the ProducerManager's and ConsumerManager's close walks in turn.
//!
//! Mirrors (rocketmq-all-4.9.8):
//! `remoting/src/main/java/org/apache/rocketmq/remoting/netty/NettyRemotingAbstract.java`
//! (`NettyEventExecutor`) and
//! `broker/src/main/java/org/apache/rocketmq/broker/client/ClientHousekeepingService.java`
//! (`onChannelClose`, `onChannelException`, `onChannelIdle`).
//!
//! Must not: run more than one event at a time, or reach into client state.

use super::*;

impl World {
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
            // It was parked on its queue: the scheduler gives it a CPU (and a fresh slice).
            broker.netty.on_cpu_since_ns = now;
            self.netty_next(ctx, b);
        }
    }

    pub(super) fn netty_next(&mut self, ctx: &mut Ctx<Event>, b: u16) {
        let now = ctx.now().ns();
        let broker = &mut self.brokers[b as usize];
        let Some(event) = broker.netty_queue.pop_front() else {
            broker.gaps.walker_idle();
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

    pub(super) fn netty_step(&mut self, ctx: &mut Ctx<Event>, b: u16) {
        let netty = &mut self.brokers[b as usize].netty;
        if netty.preempted_until_ns != 0 {
            // Off its CPU (CPU model): the step waits for `on_netty_resume`.
            netty.step_deferred = true;
            return;
        }
        match self.brokers[b as usize].netty.state {
            NettyState::Holding => self.after_close_walk(ctx, b, true),
            NettyState::Dispatch | NettyState::Gap => self.netty_next(ctx, b),
            state => panic!("NettyEventExecutor stepped while {state:?} at {}", ctx.now()),
        }
    }

    /// The walk is over (or skipped): apply it, release, then ConsumerManager's half outside the
    /// monitor, then the gap before the next event.
    pub(super) fn after_close_walk(&mut self, ctx: &mut Ctx<Event>, b: u16, walked: bool) {
        let event = self.brokers[b as usize].netty.current.expect("walking an event");
        let (client, channel) = (event.client, event.channel);
        let mut exit_cost = 0;
        let mut long_walk = false;
        if walked {
            self.brokers[b as usize].close_producer(client, channel);
            if self.brokers[b as usize].monitor.owner() == Some(ThreadRef::Netty) {
                long_walk = self.past_long_park(b, self.brokers[b as usize].monitor_acquired_ns, ctx.now().ns());
                self.brokers[b as usize].gaps.walk_released(ctx.now().ns());
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
        let gap = self.close_gap(b, was_consumer, notified, long_walk);
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
    /// - `netty_event_gap`: the rest (FilterServerManager, unpark, poll and dispatch);
    /// - after a walk that held the monitor at least `monitor_long_park` (`long_walk`),
    ///   `netty_event_gap_long_walk_extra`: the walk has pushed the event thread's own code and
    ///   data out of its caches, and its next poll and dispatch run cold (measured in the JVM
    ///   harness's loop on an idle host: the walker's return less its exit 21-33 µs behind walks
    ///   of 30 ms and more, 2-5 µs behind 0.2 ms walks; docs/calibration.md).
    ///
    /// Costs of 0 (the defaults of the new parts) draw nothing: the old single draw.
    /// How many consumer groups `ConsumerManager.doChannelCloseEvent` visits for the close of a
    /// channel that was (`was_consumer`) or was not a consumer's (see [`Self::close_gap`]).
    fn consumer_groups_visited(&self, b: u16, was_consumer: bool) -> u64 {
        if self.brokers[b as usize].policy.consumer_close_per_channel() {
            u64::from(was_consumer)
        } else {
            self.brokers[b as usize].consumer_table.len() as u64 + u64::from(self.params.brokers[b as usize].untracked_consumer_groups)
        }
    }

    /// The share of the walker's releases after a long walk at which the heir draws the wake-up
    /// behind a busy gap ([`crate::scenario::BrokerParams::long_park_gap_weight_at`]), from the
    /// event thread's unlocked work before its next walk as it stands at this release:
    /// `netty_event_gap`'s mean and ConsumerManager's walk of the groups it will visit for the
    /// close it is on (the notifications a consumer's close sends are left out). With
    /// `consumer_close_cost_per_group` at 0 it is the validated weight, `netty_event_gap` alone.
    pub(super) fn long_park_gap_weight(&self, b: u16) -> f64 {
        let p = &self.params.brokers[b as usize];
        if p.long_park_gap_range_ns.is_none() {
            return 0.0;
        }
        let mut unlocked = p.netty_event_gap.mean_ns();
        if p.consumer_close_cost_per_group != crate::scenario::Dist::Const(0) {
            let broker = &self.brokers[b as usize];
            let consumer = broker
                .netty
                .current
                .and_then(|e| broker.channels.get(e.client, e.channel))
                .is_some_and(|e| e.consumer_group != NO_GROUP);
            unlocked += p.consumer_close_cost_per_group.mean_ns() * self.consumer_groups_visited(b, consumer) as f64;
        }
        p.long_park_gap_weight_at(unlocked)
    }

    pub(super) fn close_gap(&mut self, b: u16, was_consumer: bool, notified: u64, long_walk: bool) -> u64 {
        let mut gap = self.sample_cost(b, |p| p.netty_event_gap);
        if long_walk && self.params.brokers[b as usize].netty_event_gap_long_walk_extra != crate::scenario::Dist::Const(0) {
            gap = gap.saturating_add(self.sample_cost(b, |p| p.netty_event_gap_long_walk_extra));
        }
        let params = &self.params.brokers[b as usize];
        let visited = self.consumer_groups_visited(b, was_consumer);
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
}
