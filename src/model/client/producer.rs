//! Long-lived producers: their send ticks, which append messages to queues and wake held pulls.
//!
//! Mirrors (rocketmq-all-4.9.8):
//! `client/src/main/java/org/apache/rocketmq/client/producer/DefaultMQProducer.java` (send) as
//! far as the consumers see it.
//!
//! Must not: model the send RPC's cost on the broker (only heartbeats and unregisters are
//! executor tasks).

use super::*;

impl World {
    pub(crate) fn on_send_tick(&mut self, ctx: &mut Ctx<Event>, index: u32) {
        let instance = &self.producers[index as usize];
        let p = instance.producer as usize;
        let spec = &self.scenario.producers[p];
        let interval = spec.send_batch_interval_ns;
        let topic = spec.topic as u32;
        ctx.schedule_in(interval, Event::SendTick(index));
        let rate = self.params.send_rate[p];
        let exact = rate * interval as f64 / 1e9 + instance.carry;
        let count = exact.floor() as u64;
        let instance = &mut self.producers[index as usize];
        instance.carry = exact - count as f64;
        if count == 0 {
            return;
        }
        let queues = self.topic_ranges[topic as usize].clone();
        let n = queues.len() as u64;
        let (base, extra) = (count / n, count % n);
        let start = u64::from(instance.next_queue) % n;
        instance.next_queue = ((start + extra) % n) as u32;
        for (i, q) in queues.enumerate() {
            let offset = (i as u64 + n - start) % n;
            let added = base + u64::from(offset < extra);
            if added > 0 {
                self.queues[q as usize].produced += added;
                self.recorder.interval.messages_produced += added;
                self.wake_held_pulls(ctx, q);
            }
        }
    }
}
