//! The broker's periodic scans: `ClientHousekeepingService.scanExceptionChannel` every 10 s,
//! which runs `ProducerManager.scanNotActiveChannel` and `ConsumerManager.scanNotActiveChannel`.
//!
//! Mirrors (rocketmq-all-4.9.8):
//! `broker/src/main/java/org/apache/rocketmq/broker/client/ClientHousekeepingService.java` and
//! `broker/src/main/java/org/apache/rocketmq/broker/client/ProducerManager.java`
//! (`scanNotActiveChannel`).
//!
//! Must not: close a channel other than through the boundary (`close_channel` in
//! `super::super::wire`).

use super::*;

impl World {
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
    pub(super) fn scan(&mut self, ctx: &mut Ctx<Event>, b: u16, now: u64) {
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
}
