//! Long polling on the broker: whether a pull is refused, held pulls woken by new messages,
//! answered, timed out by the 5 s checker, and failed when a channel goes.
//!
//! Mirrors (rocketmq-all-4.9.8):
//! `broker/src/main/java/org/apache/rocketmq/broker/longpolling/PullRequestHoldService.java`
//! and `broker/src/main/java/org/apache/rocketmq/broker/processor/PullMessageProcessor.java`.
//!
//! Must not: schedule one heap event per held pull (15 s holds are a FIFO).

use super::*;

impl World {
    /// The subscription checks of `PullMessageProcessor.processRequest` (rocketmq-all-4.9.8
    /// broker/…/processor/PullMessageProcessor.java): SUBSCRIPTION_NOT_EXIST when the group has no
    /// consumer on broker `b` (lines 174-180); SUBSCRIPTION_NOT_LATEST when the pull carries a
    /// newer subscription version than the broker stored from the group's last heartbeat
    /// (lines 197-203; the client sets it in PullAPIWrapper.java:192).
    pub(crate) fn pull_refused(&self, index: u32, b: u16) -> bool {
        let consumer = &self.consumers[index as usize];
        let broker = &self.brokers[b as usize];
        if !broker.group_has_consumers(consumer.group) {
            return true;
        }
        self.params.brokers[b as usize].check_subscription_version
            && broker.consumer_sub_version[consumer.group as usize] < consumer.sub_version
    }

    /// New messages on queue `q`: every pull held on it is answered.
    pub(crate) fn wake_held_pulls(&mut self, ctx: &mut Ctx<Event>, q: u32) {
        if self.queues[q as usize].held.is_empty() {
            return;
        }
        let mut held = std::mem::take(&mut self.queues[q as usize].held);
        let local = self.queues[q as usize].local;
        for &(index, seq) in &held {
            let pq = self.consumers[index as usize].pqs[local as usize];
            if pq.held && pq.pull_seq == seq {
                self.answer_held_pull(ctx, index, local);
            }
        }
        // Answers arrive later as events, so nothing was held meanwhile: keep the allocation.
        held.clear();
        if self.queues[q as usize].held.is_empty() {
            self.queues[q as usize].held = held;
        }
    }

    pub(super) fn answer_held_pull(&mut self, ctx: &mut Ctx<Event>, index: u32, local: u32) {
        let consumer = &self.consumers[index as usize];
        let (id, group) = (consumer.client, consumer.group as usize);
        let q = self.groups[group].queues[local as usize];
        let b = self.queues[q as usize].broker;
        let produced = self.queues[q as usize].produced;
        let batch = u64::from(self.params.brokers[b as usize].pull_batch_max);
        if self.params.brokers[b as usize].held_pull_recheck && !self.brokers[b as usize].group_has_consumers(group as u16) {
            // PullRequestHoldService re-runs the whole processRequest on wake-up
            // (executeRequestWhenWakeup, PullRequestHoldService.java:141, 152): a group that went
            // away meanwhile answers SUBSCRIPTION_NOT_EXIST and the client retries after
            // pullTimeDelayMillsWhenException. (The version check cannot newly fail: the held
            // request keeps the version it was accepted with, and the stored one only grows
            // until the group leaves the table.)
            let pq = &mut self.consumers[index as usize].pqs[local as usize];
            pq.held = false;
            let gen = pq.gen;
            let rtt = self.scenario.clients.network_rtt.sample(&mut self.client_rngs[id as usize]);
            ctx.schedule_in(
                rtt / 2 + self.scenario.clients.pull_retry_delay_ns,
                Event::PullIssue {
                    consumer: index,
                    queue: local,
                    gen,
                },
            );
            return;
        }
        let pq = &mut self.consumers[index as usize].pqs[local as usize];
        pq.held = false;
        let count = produced.saturating_sub(pq.next_offset).min(batch) as u32;
        pq.in_flight = true;
        pq.inflight_from = pq.next_offset;
        pq.inflight_count = count;
        let gen = pq.gen;
        let rtt = self.scenario.clients.network_rtt.sample(&mut self.client_rngs[id as usize]);
        ctx.schedule_in(
            rtt / 2,
            Event::PullResult {
                consumer: index,
                queue: local,
                gen,
            },
        );
    }

    /// Held pulls whose hold time is over are answered (stale entries are skipped).
    pub(crate) fn on_long_poll_due(&mut self, ctx: &mut Ctx<Event>) {
        let now = ctx.now().ns();
        // Marked armed while timeouts run (same reason as the RPC and tick FIFOs).
        debug_assert!(self.long_poll_armed);
        while let Some(&(deadline, index, local, seq)) = self.long_polls.front() {
            let pq = self.consumers[index as usize].pqs[local as usize];
            if pq.held && pq.pull_seq == seq && deadline > now {
                break;
            }
            self.long_polls.pop_front();
            self.on_long_poll_timeout(ctx, index, local, seq);
        }
        self.long_poll_armed = false;
        if let Some(&(deadline, _, _, _)) = self.long_polls.front() {
            self.long_poll_armed = true;
            ctx.schedule_at(SimTime(deadline), Event::LongPollDue);
        }
    }

    pub(super) fn on_long_poll_timeout(&mut self, ctx: &mut Ctx<Event>, index: u32, local: u32, seq: u32) {
        let pq = self.consumers[index as usize].pqs[local as usize];
        if !pq.held || pq.pull_seq != seq {
            return;
        }
        let group = self.consumers[index as usize].group as usize;
        let q = self.groups[group].queues[local as usize];
        self.queues[q as usize].held.retain(|(c, s)| !(*c == index && *s == seq));
        // NO_NEW_MSG (or the few that arrived): the client pulls again at once.
        self.answer_held_pull(ctx, index, local);
    }

    /// The channel to broker `b` is gone: pulls held there fail and are retried after 1 s.
    pub(crate) fn fail_held_pulls(&mut self, ctx: &mut Ctx<Event>, index: u32, b: u16) {
        let retry = self.scenario.clients.pull_retry_delay_ns;
        let group = self.consumers[index as usize].group as usize;
        for local in 0..self.consumers[index as usize].pqs.len() {
            let q = self.groups[group].queues[local];
            let pq = &mut self.consumers[index as usize].pqs[local];
            if pq.held && self.queues[q as usize].broker == b {
                pq.held = false;
                let gen = pq.gen;
                ctx.schedule_in(
                    retry,
                    Event::PullIssue {
                        consumer: index,
                        queue: local as u32,
                        gen,
                    },
                );
            }
        }
    }
}
