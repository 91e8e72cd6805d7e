//! The ConsumerManager: consumer registration and unregistration, channel removal and the
//! NOTIFY_CONSUMER_IDS_CHANGED notifications that make consumers rebalance.
//!
//! Mirrors (rocketmq-all-4.9.8):
//! `broker/src/main/java/org/apache/rocketmq/broker/client/ConsumerManager.java`
//! (`registerConsumer`, `unregisterConsumer`, `doChannelCloseEvent`) and
//! `broker/src/main/java/org/apache/rocketmq/broker/client/DefaultConsumerIdsChangeListener.java`.
//!
//! Must not: take the ProducerManager monitor, or change client state other than through the
//! boundary methods listed in `super::super::wire` (`channel_of`, `request_rebalance`).

use super::*;

impl World {
    /// `ConsumerManager.registerConsumer`: refreshes the channel; a new channel fires CHANGE.
    pub(super) fn register_consumer(&mut self, ctx: &mut Ctx<Event>, b: u16, task: &Task) {
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
    pub(super) fn unregister_consumer(&mut self, ctx: &mut Ctx<Event>, b: u16, task: &Task) {
        if task.consumer_group == NO_GROUP {
            return;
        }
        if self.remove_consumer_channel(b, task.client, task.channel) {
            let _ = self.notify_consumer_ids_changed(ctx, b, task.consumer_group);
        }
    }

    /// Removes `channel` from its consumer group; true when it was there.
    pub(super) fn remove_consumer_channel(&mut self, b: u16, client: ClientId, channel: ChannelId) -> bool {
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
    pub(super) fn notify_consumer_ids_changed(&mut self, ctx: &mut Ctx<Event>, b: u16, group: u16) -> u64 {
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
}
