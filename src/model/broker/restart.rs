//! A broker restart: a new epoch, empty tables and executors, every client's channel dropped.
//!
//! Mirrors (rocketmq-all-4.9.8): `broker/src/main/java/org/apache/rocketmq/broker/BrokerController.java`
//! (`shutdown`, `start`) as seen by the clients.
//!
//! Must not: keep any state of the old epoch (events of an older epoch are ignored).

use super::*;

impl World {
    /// The broker process restarts: every table is empty, every channel gone.
    pub(crate) fn restart_broker(&mut self, ctx: &mut Ctx<Event>, b: u16) {
        let now = ctx.now().ns();
        if let Some(trace) = &mut self.hold_trace {
            trace.restart(b);
        }
        let scenario = &self.scenario;
        let old = &mut self.brokers[b as usize];
        let rng = old.rng.clone();
        let epoch = old.epoch + 1;
        let mut fresh = Broker::new(scenario, &self.params.brokers[b as usize], old.policy, b, 0, rng);
        fresh.epoch = epoch;
        fresh.hb_blocked_changed_ns = now;
        fresh.interval_start_ns = old.interval_start_ns;
        // Blocked time and monitor time accrued before the restart stay in this interval.
        old.set_blocked(now, 0);
        fresh.hb_blocked_integral_ns = old.hb_blocked_integral_ns;
        fresh.monitor_busy_integral_ns = old.monitor_busy_integral_ns
            + if old.monitor.owner().is_some() {
                now - old.monitor_acquired_ns.max(old.interval_start_ns)
            } else {
                0
            };
        *old = fresh;
        ctx.schedule_in(
            self.params.brokers[b as usize].housekeeping_interval_ns,
            Event::Housekeeping { broker: b, epoch },
        );
        for queue in self.queues.iter_mut().filter(|q| q.broker == b) {
            queue.held.clear();
        }
        for client in 0..self.clients.len() as u32 {
            self.drop_channel_on_restart(ctx, client, b);
        }
    }
}
