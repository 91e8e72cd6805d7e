//! The client side (SPEC §2.3): its state ([`Client`], [`Consumer`] with its process queues,
//! [`ProducerInstance`]). The behaviour is in one file per RocketMQ role, each an `impl World`
//! block: instance.rs (MQClientInstance: heartbeat rounds, RPC deadlines, close-on-timeout,
//! shutdown), rebalance.rs, consumer.rs (pulls, consumption), producer.rs, churn.rs.
//!
//! Client facts follow RocketMQ 4.9.4 `MQClientInstance`, `NettyRemotingClient.invokeSync`
//! (`clientCloseSocketIfTimeout`, default true from 4.9.1), `RebalanceImpl` and
//! `AllocateMessageQueueAveragely`, `DefaultMQPushConsumerImpl` (pull flow control, 1 s retry).
//! Mirrors (rocketmq-all-4.9.8): the state of
//! `client/src/main/java/org/apache/rocketmq/client/impl/factory/MQClientInstance.java` and
//! `client/src/main/java/org/apache/rocketmq/client/impl/consumer/ProcessQueue.java`.
//!
//! Must not: name any `broker::` item; what clients share with the broker is in `super::wire`.

mod churn;
mod consumer;
mod instance;
mod producer;
mod rebalance;

use super::wire::{NettyKind, Reply, Task, TaskKind, NO_GROUP};
use super::{streams, ChannelId, ClientId, CloseCause, Event, GroupId, World, INNER_GROUP};
use crate::engine::{Ctx, SimTime};
use rand::Rng;
pub use rebalance::allocate_averagely;
use std::collections::VecDeque;

/// No consumer attached to a client.
pub const NO_CONSUMER: u32 = u32::MAX;

/// What a producer group id stands for (for names in outputs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupName {
    /// `CLIENT_INNER_PRODUCER`.
    Inner,
    /// A live group of the background clients.
    Background(u32),
    /// A long-lived producer group (index into the scenario's producers).
    Producer(u32),
    /// `IotRuleEngine-{timestamp}`, created at this time [ns].
    Periodic(u64),
}

/// The kind of client instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientKind {
    Background,
    Consumer,
    Producer,
    Periodic,
}

/// An RPC the client is waiting for.
#[derive(Clone, Copy, Debug)]
pub struct Pending {
    pub kind: TaskKind,
    pub broker: u16,
    pub req: u32,
    /// A heartbeat to this broker only (5.2.0+ `onChannelActive`), not a round over all brokers.
    pub single: bool,
}

/// One client instance (`MQClientInstance`).
pub struct Client {
    pub kind: ClientKind,
    pub alive: bool,
    pub groups: [GroupId; 2],
    pub n_groups: u8,
    pub consumer: u32,
    pub consumer_group: u16,
    /// Invalidates heartbeat timers and reconnect timers of an earlier life.
    pub gen: u32,
    pub round_active: bool,
    pub pending: Option<Pending>,
    pub req_seq: u32,
    /// Shutting down: UNREGISTER_CLIENT in flight, then close.
    pub shutting_down: bool,
    /// Which UNREGISTER_CLIENT round is running: 0 = the user (or consumer) group, 1 = the inner group.
    pub unregister_phase: u8,
}

impl World {
    /// The open channel of client `id` to broker `b`, or 0.
    #[inline]
    pub fn channel_of(&self, id: ClientId, b: u16) -> ChannelId {
        self.channel_slots[id as usize * self.brokers.len() + b as usize]
    }
}

/// A message queue as one consumer sees it (`ProcessQueue` plus its pull state).
#[derive(Clone, Copy, Debug, Default)]
pub struct ProcessQueue {
    pub assigned: bool,
    /// Increments whenever the queue is assigned or dropped; stale events carry an old value.
    pub gen: u32,
    pub next_offset: u64,
    pub buffered: u64,
    pub in_flight: bool,
    pub inflight_from: u64,
    pub inflight_count: u32,
    pub pull_channel: ChannelId,
    pub held: bool,
    pub pull_seq: u32,
}

/// A batch of pulled messages waiting to be consumed.
#[derive(Clone, Copy, Debug)]
pub struct Batch {
    pub local: u32,
    pub gen: u32,
    pub from: u64,
    pub count: u32,
}

/// A push consumer in a tracked group.
pub struct Consumer {
    pub client: ClientId,
    pub group: u16,
    pub running: bool,
    /// Indexed like `GroupState::queues`.
    pub pqs: Vec<ProcessQueue>,
    pub batches: VecDeque<Batch>,
    pub consuming: bool,
    pub rebalance_pending: bool,
    pub rebalance_chain: bool,
    /// `SubscriptionData.subVersion`: bumped to "now" when a rebalance changes the queue set.
    pub sub_version: u64,
}

/// A long-lived producer instance.
pub struct ProducerInstance {
    pub client: ClientId,
    pub producer: u32,
    pub next_queue: u32,
    pub carry: f64,
}

impl World {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SEC;
    use crate::model::policy::Policy;

    /// One consumer on one queue, nothing produced: its pull is held. `broker` adds [broker] keys.
    fn held_world(broker: &str) -> (World, Ctx<Event>) {
        let text = format!(
            "name = \"held\"\nduration = \"1h\"\n[broker]\n{broker}\n[[topics]]\nname = \"t\"\nqueues_per_broker = 1\n\
             [[consumer_groups]]\nname = \"g\"\ntopic = \"t\"\nconsumers = 1\nconsume_rate = 1000.0\n"
        );
        let scenario = crate::scenario::parse(std::path::Path::new("held.toml"), text.as_bytes()).unwrap();
        let mut ctx = Ctx::new();
        let world = World::new(scenario, Policy::Leaky, 1, &mut ctx, &[]);
        (world, ctx)
    }

    /// D7 (PullRequestHoldService → executeRequestWhenWakeup re-runs processRequest): a held
    /// pull woken after its group left the broker's table gets SUBSCRIPTION_NOT_EXIST, no data.
    fn wake_after_group_left(recheck: bool) -> u64 {
        let (mut world, mut ctx) = held_world(&format!("held_pull_recheck = {recheck}"));
        crate::engine::run(&mut world, &mut ctx, SimTime(2 * SEC), u64::MAX);
        assert!(world.consumers[0].pqs[0].held, "the pull must be held (no message yet)");
        // The group's last registration goes (a ghost channel's CLOSE) while the pull is held.
        world.brokers[0].consumer_table[0].clear();
        world.queues[0].produced = 10;
        world.wake_held_pulls(&mut ctx, 0);
        crate::engine::run(&mut world, &mut ctx, SimTime(2 * SEC + SEC / 10), u64::MAX);
        world.consumers[0].pqs[0].next_offset
    }

    #[test]
    fn held_pull_rechecks_the_group_on_wake() {
        assert_eq!(wake_after_group_left(true), 0, "a woken pull of an absent group must get no data");
        assert_eq!(wake_after_group_left(false), 10, "without the re-check the old answer comes back");
    }

    /// D7: the hold checker runs every 5 s, so a 15 s hold ends at the first check after 15 s.
    #[test]
    fn hold_timeouts_are_found_by_the_5s_checker() {
        // The first pull left at the consumer's first rebalance, one RTT (1 ms) after t=0.
        for (interval, earliest, latest) in [("5s", 20 * SEC, 20 * SEC), ("0", 15 * SEC, 15 * SEC + SEC / 10)] {
            let (mut world, mut ctx) = held_world(&format!("long_poll_check_interval = \"{interval}\""));
            crate::engine::run(&mut world, &mut ctx, SimTime(SEC), u64::MAX);
            let &(deadline, _, _, _) = world.long_polls.front().expect("a held pull");
            assert!(
                (earliest..=latest).contains(&deadline),
                "check interval {interval}: deadline {deadline}"
            );
        }
    }

    #[test]
    fn averagely_splits_like_rocketmq() {
        let ids = [10, 20, 30];
        assert_eq!(allocate_averagely(8, &ids, 10), 0..3);
        assert_eq!(allocate_averagely(8, &ids, 20), 3..6);
        assert_eq!(allocate_averagely(8, &ids, 30), 6..8);
        // More consumers than queues: the last ones get nothing.
        assert!(allocate_averagely(2, &ids, 30).is_empty());
        // Missing from the list: nothing.
        assert_eq!(allocate_averagely(8, &ids, 99), 0..0);
    }

    #[test]
    fn averagely_covers_every_queue_once() {
        for consumers in 1..20usize {
            for queues in 0..40usize {
                let ids: Vec<u32> = (0..consumers as u32).collect();
                let mut seen = vec![0; queues];
                for id in &ids {
                    for q in allocate_averagely(queues, &ids, *id) {
                        seen[q] += 1;
                    }
                }
                assert!(seen.iter().all(|s| *s == 1), "{consumers} consumers, {queues} queues: {seen:?}");
            }
        }
    }

    #[test]
    fn duplicate_ids_leave_queues_unowned() {
        // The same client twice (a ghost channel): its second slot's queues belong to nobody.
        let ids = [1, 1, 2];
        assert_eq!(allocate_averagely(6, &ids, 1), 0..2);
        assert_eq!(allocate_averagely(6, &ids, 2), 4..6);
    }
}
