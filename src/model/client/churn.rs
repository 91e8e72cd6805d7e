//! Client churn: background clients reconnecting (one population-level Poisson process),
//! periodic producer groups created and shut down, and scripted disconnects.
//!
//! Mirrors no single RocketMQ class: it models applications that start and stop
//! `MQClientInstance`s (`client/src/main/java/org/apache/rocketmq/client/impl/factory/MQClientInstance.java`,
//! rocketmq-all-4.9.8) and lose their connections.
//!
//! Must not: schedule one heap event per background client (churn is one Poisson process).

use super::*;

impl World {
    /// Starts reconnect churn for every background client (when an interval is configured).
    /// Exponential intervals make the population's reconnects one Poisson process of rate
    /// clients / mean with a uniformly chosen client: one pending event instead of one per client.
    pub(crate) fn start_background_reconnects(&mut self, ctx: &mut Ctx<Event>) {
        let Some(interval) = self.params.reconnect_interval else { return };
        let clients = self.scenario.background.clients;
        if clients == 0 {
            return;
        }
        if let crate::scenario::Dist::Exponential { mean_ns } = interval {
            if !self.reconnect_aggregate {
                self.reconnect_aggregate = true;
                let delay = crate::scenario::Dist::Exponential {
                    mean_ns: mean_ns / f64::from(clients),
                }
                .sample(&mut self.reconnect_rng);
                ctx.schedule_in(delay, Event::ReconnectDue);
            }
            return;
        }
        self.reconnect_aggregate = false;
        for id in 0..clients {
            let delay = interval.sample(&mut self.client_rngs[id as usize]);
            let gen = self.clients[id as usize].gen;
            ctx.schedule_in(delay, Event::BackgroundReconnect { client: id, gen });
        }
    }

    pub(crate) fn on_reconnect_due(&mut self, ctx: &mut Ctx<Event>) {
        let Some(interval) = self.params.reconnect_interval else { return };
        let crate::scenario::Dist::Exponential { mean_ns } = interval else {
            // A `set` switched to another distribution: per-client timers from now on.
            self.reconnect_aggregate = false;
            self.start_background_reconnects(ctx);
            return;
        };
        let clients = self.scenario.background.clients;
        let delay = crate::scenario::Dist::Exponential {
            mean_ns: mean_ns / f64::from(clients),
        }
        .sample(&mut self.reconnect_rng);
        ctx.schedule_in(delay, Event::ReconnectDue);
        let id = self.reconnect_rng.gen_range(0..clients);
        let b = self.reconnect_rng.gen_range(0..self.brokers.len() as u16);
        let share = self.params.abnormal_disconnect_share;
        let abnormal = share > 0.0 && self.reconnect_rng.gen_bool(share);
        self.reconnect(ctx, id, b, abnormal);
    }

    /// A background client's connection to broker `b` drops and it connects again at once.
    pub(super) fn reconnect(&mut self, ctx: &mut Ctx<Event>, id: ClientId, b: u16, abnormal: bool) {
        if !self.clients[id as usize].alive {
            return;
        }
        let cause = if abnormal { CloseCause::Idle } else { CloseCause::Close };
        self.close_channel(ctx, id, b, cause);
        self.ensure_channel(ctx, id, b);
    }

    pub(crate) fn on_group_create(&mut self, ctx: &mut Ctx<Event>, chain: u32) {
        if !self.creating || chain != self.creation_chain {
            return;
        }
        let Some(interval) = self.params.create_interval else { return };
        let next = interval.sample(&mut self.creation_rng).max(1);
        ctx.schedule_in(next, Event::GroupCreate { chain });
        let group = self.new_group(GroupName::Periodic(ctx.now().ns()));
        let id = self.new_client(ClientKind::Periodic, &[INNER_GROUP, group], NO_GROUP);
        // DefaultMQProducer.start: connect, heartbeat at once, then every interval.
        self.start_heartbeat_round(ctx, id);
        self.start_heartbeat_timer(ctx, id, false);
        let lifetime = self.params.group_lifetime.sample(&mut self.creation_rng);
        ctx.schedule_in(lifetime, Event::PeriodicShutdown(id));
    }

    pub(crate) fn on_periodic_shutdown(&mut self, ctx: &mut Ctx<Event>, id: ClientId) {
        let p = self.params.unregister_probability;
        let unregister = p > 0.0 && self.client_rngs[id as usize].gen_bool(p);
        self.shutdown_client(ctx, id, unregister);
    }

    pub(crate) fn on_background_reconnect(&mut self, ctx: &mut Ctx<Event>, id: ClientId, gen: u32) {
        let Some(interval) = self.params.reconnect_interval else { return };
        if self.reconnect_aggregate {
            return;
        }
        let share = self.params.abnormal_disconnect_share;
        let brokers = self.brokers.len() as u16;
        let client = &self.clients[id as usize];
        if client.gen != gen || !client.alive {
            return;
        }
        let rng = &mut self.client_rngs[id as usize];
        let next = interval.sample(rng).max(1);
        let b = rng.gen_range(0..brokers);
        let abnormal = share > 0.0 && rng.gen_bool(share);
        ctx.schedule_in(next, Event::BackgroundReconnect { client: id, gen });
        self.reconnect(ctx, id, b, abnormal);
    }

    pub(crate) fn on_disconnect(&mut self, ctx: &mut Ctx<Event>, id: ClientId, cause: CloseCause) {
        if !self.clients[id as usize].alive {
            return;
        }
        // The client reconnects on its next request (its next heartbeat tick).
        for b in 0..self.brokers.len() as u16 {
            self.close_channel(ctx, id, b, cause);
        }
    }
}
