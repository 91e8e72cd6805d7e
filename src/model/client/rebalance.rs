//! Consumer rebalance: requests (NOTIFY_CONSUMER_IDS_CHANGED, the 20 s timer), the
//! heartbeat before a rebalance, applying an assignment, and `AllocateMessageQueueAveragely`.
//!
//! Mirrors (rocketmq-all-4.9.8):
//! `client/src/main/java/org/apache/rocketmq/client/impl/consumer/RebalanceImpl.java`,
//! `client/src/main/java/org/apache/rocketmq/client/impl/consumer/RebalanceService.java` and
//! `client/src/main/java/org/apache/rocketmq/client/consumer/rebalance/AllocateMessageQueueAveragely.java`.
//!
//! Must not: read broker state other than the consumer id list a real client would fetch.

use super::*;

impl World {
    /// NOTIFY_CONSUMER_IDS_CHANGED reached the client: rebalance at once (coalesced).
    pub(crate) fn request_rebalance(&mut self, ctx: &mut Ctx<Event>, id: ClientId) {
        let index = self.clients[id as usize].consumer;
        if index == NO_CONSUMER {
            return;
        }
        let consumer = &mut self.consumers[index as usize];
        if !consumer.running || consumer.rebalance_pending {
            return;
        }
        consumer.rebalance_pending = true;
        let delay = self.scenario.clients.network_rtt.sample(&mut self.client_rngs[id as usize]);
        ctx.schedule_in(
            delay,
            Event::Rebalance {
                consumer: index,
                periodic: false,
            },
        );
    }

    pub(crate) fn on_rebalance(&mut self, ctx: &mut Ctx<Event>, index: u32, periodic: bool) {
        let consumer = &mut self.consumers[index as usize];
        if periodic {
            if !consumer.running {
                consumer.rebalance_chain = false;
                return;
            }
            ctx.schedule_in(
                self.scenario.clients.rebalance_interval_ns,
                Event::Rebalance {
                    consumer: index,
                    periodic: true,
                },
            );
        } else {
            consumer.rebalance_pending = false;
        }
        if !consumer.running {
            return;
        }
        let (id, group) = (consumer.client, consumer.group);
        // findConsumerIdList asks a random broker of the topic route.
        let b = self.client_rngs[id as usize].gen_range(0..self.brokers.len() as u16);
        self.ensure_channel(ctx, id, b);
        let ids = self.brokers[b as usize].consumer_ids(group);
        if ids.is_empty() {
            // The broker answered "no consumer for this group": keep the current assignment.
            return;
        }
        let queue_count = self.groups[group as usize].queues.len();
        let range = allocate_averagely(queue_count, &ids, id);
        let changed = self.apply_assignment(ctx, index, range);
        if changed && self.scenario.clients.heartbeat_after_rebalance {
            self.rebalance_heartbeat(ctx, index);
        }
    }

    /// `RebalancePushImpl.messageQueueChanged` (every tag 4.6.0 … 5.3.3; rocketmq-all-4.9.8
    /// client/…/impl/consumer/RebalancePushImpl.java:51-81, called from RebalanceImpl.java:304
    /// when the queue set changed): the subscription version becomes "now", and
    /// `sendHeartbeatToAllBrokerWithLock` heartbeats every broker at once (skipped, like the
    /// tick, while a round holds lockHeartbeat).
    pub(super) fn rebalance_heartbeat(&mut self, ctx: &mut Ctx<Event>, index: u32) {
        let now = ctx.now().ns();
        let consumer = &mut self.consumers[index as usize];
        consumer.sub_version = now.max(consumer.sub_version + 1);
        let id = consumer.client;
        let client = &self.clients[id as usize];
        if client.alive && !client.round_active && !client.shutting_down && client.pending.is_none() {
            self.start_heartbeat_round(ctx, id);
        }
    }

    /// Applies an allocation; true when a queue was dropped or gained (`changed`).
    pub(super) fn apply_assignment(&mut self, ctx: &mut Ctx<Event>, index: u32, range: std::ops::Range<usize>) -> bool {
        let mut changed = false;
        let consumer = &self.consumers[index as usize];
        let group = consumer.group as usize;
        let queue_count = consumer.pqs.len();
        for local in 0..queue_count {
            let should = range.contains(&local);
            let pq = &mut self.consumers[index as usize].pqs[local];
            if pq.assigned && !should {
                changed = true;
                // Dropped: buffered messages are not consumed; the offset stays where it was.
                *pq = ProcessQueue {
                    gen: pq.gen + 1,
                    pull_seq: pq.pull_seq,
                    ..ProcessQueue::default()
                };
            } else if !pq.assigned && should {
                changed = true;
                let start = self.groups[group].consumed[local];
                *pq = ProcessQueue {
                    assigned: true,
                    gen: pq.gen + 1,
                    next_offset: start,
                    pull_seq: pq.pull_seq,
                    ..ProcessQueue::default()
                };
                let gen = pq.gen;
                self.issue_pull(ctx, index, local as u32, gen);
            }
        }
        changed
    }
}

/// `AllocateMessageQueueAveragely`: the contiguous range of the sorted queues that the client at
/// the first position of `id` in the sorted id list gets (empty when it is not in the list).
pub fn allocate_averagely(queue_count: usize, ids: &[ClientId], id: ClientId) -> std::ops::Range<usize> {
    let Some(index) = ids.iter().position(|c| *c == id) else {
        return 0..0;
    };
    let consumers = ids.len();
    if queue_count == 0 {
        return 0..0;
    }
    let remainder = queue_count % consumers;
    let size = if queue_count <= consumers {
        1
    } else if remainder > 0 && index < remainder {
        queue_count / consumers + 1
    } else {
        queue_count / consumers
    };
    let start = if remainder > 0 && index < remainder {
        index * size
    } else {
        index * size + remainder
    };
    let len = size.min(queue_count.saturating_sub(start));
    start..start + len
}
