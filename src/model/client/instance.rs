//! The client instance: creating clients and producer groups, heartbeat timers and rounds,
//! channels, RPCs with their deadlines and close-on-timeout, and shutdown.
//!
//! Mirrors (rocketmq-all-4.9.8):
//! `client/src/main/java/org/apache/rocketmq/client/impl/factory/MQClientInstance.java`
//! (`sendHeartbeatToAllBrokerWithLock`, `unregisterClient`, `shutdown`) and
//! `remoting/src/main/java/org/apache/rocketmq/remoting/netty/NettyRemotingClient.java`
//! (`invokeSync`, `clientCloseSocketIfTimeout`).
//!
//! Must not: touch broker state other than through the boundary (`submit_task`,
//! `push_netty_event` in `super::super::wire`).

use super::*;

impl World {
    pub(super) fn new_client(&mut self, kind: ClientKind, groups: &[GroupId], consumer_group: u16) -> ClientId {
        let id = self.clients.len() as ClientId;
        self.client_rngs.push(self.streams.stream(streams::CLIENT_BASE + u64::from(id)));
        self.channel_slots.extend(std::iter::repeat_n(0, self.brokers.len()));
        let mut group_arr = [INNER_GROUP; 2];
        group_arr[..groups.len()].copy_from_slice(groups);
        self.clients.push(Client {
            kind,
            alive: true,
            groups: group_arr,
            n_groups: groups.len() as u8,
            consumer: NO_CONSUMER,
            consumer_group,
            gen: 0,
            round_active: false,
            pending: None,
            req_seq: 0,
            shutting_down: false,
            unregister_phase: 0,
        });
        id
    }

    pub(super) fn new_group(&mut self, name: GroupName) -> GroupId {
        self.group_names.push(name);
        (self.group_names.len() - 1) as GroupId
    }

    /// Registers `client` on every broker as if its last heartbeat had just been handled (the
    /// run starts in steady state: no warm-up transient).
    pub(super) fn register_at_start(&mut self, client: ClientId) {
        for b in 0..self.brokers.len() as u16 {
            let channel = self.next_channel;
            self.next_channel += 1;
            self.channel_slots[client as usize * self.brokers.len() + b as usize] = channel;
            let c = &self.clients[client as usize];
            let (groups, n, consumer_group) = (c.groups, c.n_groups, c.consumer_group);
            let broker = &mut self.brokers[b as usize];
            broker.seed_registration(channel, client, &groups[..n as usize], consumer_group);
        }
    }

    pub(crate) fn build_clients(&mut self, ctx: &mut Ctx<Event>) {
        let background = self.scenario.background.clone();
        let live_groups: Vec<GroupId> = (0..background.live_groups)
            .map(|i| self.new_group(GroupName::Background(i)))
            .collect();
        for i in 0..background.clients {
            let group = live_groups[(i % background.live_groups) as usize];
            let id = self.new_client(ClientKind::Background, &[INNER_GROUP, group], NO_GROUP);
            self.register_at_start(id);
            self.start_heartbeat_timer(ctx, id, true);
        }
        self.start_background_reconnects(ctx);
        let producers = self.scenario.producers.clone();
        for (p, producer) in producers.iter().enumerate() {
            let group = self.new_group(GroupName::Producer(p as u32));
            for _ in 0..producer.instances {
                let id = self.new_client(ClientKind::Producer, &[INNER_GROUP, group], NO_GROUP);
                self.register_at_start(id);
                self.start_heartbeat_timer(ctx, id, true);
                let index = self.producers.len() as u32;
                self.producers.push(ProducerInstance {
                    client: id,
                    producer: p as u32,
                    next_queue: 0,
                    carry: 0.0,
                });
                let phase = self.client_rngs[id as usize].gen_range(0..producer.send_batch_interval_ns);
                ctx.schedule_in(phase, Event::SendTick(index));
            }
        }
        for g in 0..self.scenario.consumer_groups.len() {
            for _ in 0..self.scenario.consumer_groups[g].consumers {
                self.add_consumer(ctx, g as u16, true);
            }
        }
    }

    /// Schedules a heartbeat tick: through the tick FIFO when the interval is a constant.
    pub(super) fn schedule_tick(&mut self, ctx: &mut Ctx<Event>, delay: u64, id: ClientId, gen: u32) {
        if !self.scenario.clients.heartbeat_interval.is_const() {
            ctx.schedule_in(delay, Event::HeartbeatTick { client: id, gen });
            return;
        }
        let at = ctx.now().ns().saturating_add(delay);
        match self.tick_fifo.back() {
            // The random phases of t=0 are sorted once, by `sort_tick_fifo`.
            _ if self.building => self.tick_fifo.push_back((at, id, gen)),
            Some(&(last, _, _)) if last > at => {
                // A random phase after t=0 (a new or reconnected client) lands inside.
                let i = self.tick_fifo.partition_point(|(t, _, _)| *t <= at);
                self.tick_fifo.insert(i, (at, id, gen));
            }
            _ => self.tick_fifo.push_back((at, id, gen)),
        }
        if !self.tick_armed && !self.building {
            self.tick_armed = true;
            let head = self.tick_fifo.front().expect("just pushed").0;
            ctx.schedule_at(SimTime(head), Event::TickDue);
        }
    }

    /// Sorts the ticks created with random phases at t=0 and arms the FIFO.
    pub(crate) fn sort_tick_fifo(&mut self, ctx: &mut Ctx<Event>) {
        self.building = false;
        self.tick_fifo.make_contiguous().sort_unstable();
        if let Some(&(head, _, _)) = self.tick_fifo.front() {
            self.tick_armed = true;
            ctx.schedule_at(SimTime(head), Event::TickDue);
        }
    }

    pub(crate) fn on_tick_due(&mut self, ctx: &mut Ctx<Event>) {
        let now = ctx.now().ns();
        // Marked armed while the due ticks run (their next ticks go to the back of the FIFO and
        // must not arm a second timer); re-armed once at the front afterwards.
        debug_assert!(self.tick_armed);
        while let Some(&(at, id, gen)) = self.tick_fifo.front() {
            if at > now {
                break;
            }
            self.tick_fifo.pop_front();
            self.on_heartbeat_tick(ctx, id, gen);
        }
        self.tick_armed = false;
        if let Some(&(head, _, _)) = self.tick_fifo.front() {
            self.tick_armed = true;
            ctx.schedule_at(SimTime(head), Event::TickDue);
        }
    }

    /// Schedules the first heartbeat tick: a random phase at start, one interval later otherwise.
    pub(super) fn start_heartbeat_timer(&mut self, ctx: &mut Ctx<Event>, id: ClientId, random_phase: bool) {
        let interval = self.scenario.clients.heartbeat_interval;
        let rng = &mut self.client_rngs[id as usize];
        // At start the clients are already running: the first tick is the stationary residual
        // of the interval (the renewal process seen at a random instant), so the run starts in
        // steady state. A uniform point in one plain draw over-weights short intervals: with
        // exponential intervals it doubles the arrival rate near t = 0 (issue 10: the M/M/1 check
        // read +13% from that backlog).
        let delay = if random_phase {
            interval.sample_residual(rng)
        } else {
            interval.sample(rng)
        };
        let gen = self.clients[id as usize].gen;
        self.schedule_tick(ctx, delay, id, gen);
    }

    /// The channel to broker `b`, connecting first if there is none (a CONNECT event).
    pub(crate) fn ensure_channel(&mut self, ctx: &mut Ctx<Event>, id: ClientId, b: u16) -> ChannelId {
        let existing = self.channel_of(id, b);
        if existing != 0 {
            return existing;
        }
        let channel = self.next_channel;
        self.next_channel += 1;
        self.channel_slots[id as usize * self.brokers.len() + b as usize] = channel;
        self.push_netty_event(ctx, b, NettyKind::Connect, id, channel);
        let client = &self.clients[id as usize];
        // A client that is shutting down (its UNREGISTER_CLIENT is about to use this channel)
        // sends no heartbeat: the model keeps one RPC in flight per client.
        if self.scenario.clients.heartbeat_on_reconnect && !client.round_active && !client.shutting_down && client.pending.is_none() {
            // 5.2.0+ (PR #7494): onChannelActive heartbeats only the broker that reconnected
            // (`sendHeartbeatToBroker`, under the same lockHeartbeat.tryLock) and, if that
            // succeeds, calls rebalanceImmediately (rocketmq-all-5.3.3
            // client/…/impl/factory/MQClientInstance.java:180-193): see `rpc_reply`.
            self.clients[id as usize].round_active = true;
            self.recorder.interval.heartbeats_sent += 1;
            let task = self.start_rpc(ctx, id, b, TaskKind::Heartbeat, channel);
            if let Some(pending) = self.clients[id as usize].pending.as_mut() {
                pending.single = true;
            }
            self.submit_task(ctx, b, task);
        }
        channel
    }

    /// The client closes its channel to broker `b` (or the broker closed it): the broker sees
    /// the events of `cause`; requests pending on the channel fail.
    pub(crate) fn close_channel(&mut self, ctx: &mut Ctx<Event>, id: ClientId, b: u16, cause: CloseCause) {
        let channel = self.channel_of(id, b);
        if channel == 0 {
            return;
        }
        self.channel_slots[id as usize * self.brokers.len() + b as usize] = 0;
        match cause {
            CloseCause::Close => {}
            CloseCause::Idle => self.push_netty_event(ctx, b, NettyKind::Idle, id, channel),
            CloseCause::Exception => self.push_netty_event(ctx, b, NettyKind::Exception, id, channel),
        }
        self.push_netty_event(ctx, b, NettyKind::Close, id, channel);
        self.fail_requests_on(ctx, id, b);
    }

    /// The broker restarted: the channel is gone, with no events on the new broker process.
    pub(crate) fn drop_channel_on_restart(&mut self, ctx: &mut Ctx<Event>, id: ClientId, b: u16) {
        if self.channel_of(id, b) == 0 {
            return;
        }
        self.channel_slots[id as usize * self.brokers.len() + b as usize] = 0;
        self.fail_requests_on(ctx, id, b);
    }

    pub(super) fn fail_requests_on(&mut self, ctx: &mut Ctx<Event>, id: ClientId, b: u16) {
        let client = &mut self.clients[id as usize];
        if let Some(pending) = client.pending.filter(|p| p.broker == b) {
            client.pending = None;
            self.after_rpc(ctx, id, pending);
        }
        let consumer = self.clients[id as usize].consumer;
        if consumer != NO_CONSUMER {
            self.fail_held_pulls(ctx, consumer, b);
        }
    }

    pub(crate) fn on_heartbeat_tick(&mut self, ctx: &mut Ctx<Event>, id: ClientId, gen: u32) {
        let client = &self.clients[id as usize];
        if client.gen != gen || !client.alive || client.shutting_down {
            return;
        }
        let round_active = client.round_active;
        let interval = self.scenario.clients.heartbeat_interval.sample(&mut self.client_rngs[id as usize]);
        self.schedule_tick(ctx, interval.max(1), id, gen);
        // sendHeartbeatToAllBrokerWithLock: tryLock fails while the previous round runs.
        if !round_active {
            self.start_heartbeat_round(ctx, id);
        }
    }

    pub(super) fn start_heartbeat_round(&mut self, ctx: &mut Ctx<Event>, id: ClientId) {
        self.clients[id as usize].round_active = true;
        self.send_heartbeat(ctx, id, 0);
    }

    /// HEART_BEAT to broker `b`, synchronously, with the RPC timeout.
    pub(super) fn send_heartbeat(&mut self, ctx: &mut Ctx<Event>, id: ClientId, b: u16) {
        let channel = self.ensure_channel(ctx, id, b);
        self.recorder.interval.heartbeats_sent += 1;
        let task = self.start_rpc(ctx, id, b, TaskKind::Heartbeat, channel);
        self.submit_task(ctx, b, task);
    }

    pub(super) fn start_rpc(&mut self, ctx: &mut Ctx<Event>, id: ClientId, b: u16, kind: TaskKind, channel: ChannelId) -> Task {
        let now = ctx.now().ns();
        let client = &mut self.clients[id as usize];
        client.req_seq = client.req_seq.wrapping_add(1);
        let req = client.req_seq;
        assert!(client.pending.is_none(), "client {id} has two RPCs in flight at {}", ctx.now());
        client.pending = Some(Pending {
            kind,
            broker: b,
            req,
            single: false,
        });
        let sub_version = match client.consumer {
            NO_CONSUMER => 0,
            index => self.consumers[index as usize].sub_version,
        };
        let task = Task {
            sub_version,
            kind,
            client: id,
            channel,
            req,
            enqueued_ns: now,
            groups: client.groups,
            n_groups: client.n_groups,
            consumer_group: client.consumer_group,
        };
        let deadline = now + self.scenario.clients.rpc_timeout_ns;
        debug_assert!(self.rpc_deadlines.back().is_none_or(|d| d.0 <= deadline), "deadlines out of order");
        self.rpc_deadlines.push_back((deadline, id, req));
        if !self.rpc_timer_armed {
            self.rpc_timer_armed = true;
            ctx.schedule_at(SimTime(deadline), Event::RpcDeadline);
        }
        task
    }

    /// The broker answered request `req` of `client` (the answer is wasted if the client gave up).
    pub(crate) fn rpc_reply(&mut self, ctx: &mut Ctx<Event>, id: ClientId, req: u32, reply: Reply) {
        let client = &mut self.clients[id as usize];
        let Some(pending) = client.pending.filter(|p| p.req == req) else {
            return;
        };
        client.pending = None;
        if pending.kind == TaskKind::Heartbeat && reply == Reply::Success {
            self.recorder.interval.heartbeats_ok += 1;
            if pending.single {
                // onChannelActive: the heartbeat succeeded, so rebalanceImmediately.
                self.request_rebalance(ctx, id);
            }
        }
        self.after_rpc(ctx, id, pending);
    }

    /// The shared deadline timer: times out every outstanding RPC whose deadline has passed.
    pub(crate) fn on_rpc_deadline(&mut self, ctx: &mut Ctx<Event>) {
        let now = ctx.now().ns();
        // The timer stays marked armed while timeouts run: an RPC started by one of them (the
        // next broker of a heartbeat round) goes to the back of the FIFO and must not arm a
        // second timer; the one timer is re-armed at the front below.
        debug_assert!(self.rpc_timer_armed);
        while let Some(&(deadline, id, req)) = self.rpc_deadlines.front() {
            let outstanding = self.clients[id as usize].pending.is_some_and(|p| p.req == req);
            if !outstanding {
                self.rpc_deadlines.pop_front();
                continue;
            }
            if deadline > now {
                break;
            }
            self.rpc_deadlines.pop_front();
            self.rpc_timed_out(ctx, id);
        }
        self.rpc_timer_armed = false;
        if let Some(&(deadline, _, _)) = self.rpc_deadlines.front() {
            self.rpc_timer_armed = true;
            ctx.schedule_at(SimTime(deadline), Event::RpcDeadline);
        }
    }

    pub(super) fn rpc_timed_out(&mut self, ctx: &mut Ctx<Event>, id: ClientId) {
        let pending = self.clients[id as usize].pending.take().expect("outstanding RPC");
        if pending.kind == TaskKind::Heartbeat {
            self.recorder.interval.heartbeats_timed_out += 1;
            self.recorder.broker_heartbeat_timed_out(pending.broker);
        }
        if self.params.close_socket_on_timeout {
            // NettyRemotingClient.invokeSync closes the channel on RemotingTimeoutException.
            self.close_channel(ctx, id, pending.broker, CloseCause::Close);
        }
        self.after_rpc(ctx, id, pending);
    }

    /// An RPC ended (answer, timeout or failure): go on with the heartbeat round or shutdown.
    pub(super) fn after_rpc(&mut self, ctx: &mut Ctx<Event>, id: ClientId, pending: Pending) {
        let next = pending.broker + 1;
        let more = usize::from(next) < self.brokers.len();
        match pending.kind {
            TaskKind::Heartbeat => {
                let client = &mut self.clients[id as usize];
                if more && client.alive && !client.shutting_down && !pending.single {
                    self.send_heartbeat(ctx, id, next);
                } else {
                    client.round_active = false;
                }
            }
            TaskKind::Unregister => {
                let client = &mut self.clients[id as usize];
                if more {
                    self.send_unregister(ctx, id, next);
                } else if self.scenario.clients.unregister_per_group && client.unregister_phase == 0 {
                    // The user group's round is over: MQClientInstance.shutdown now unregisters
                    // CLIENT_INNER_PRODUCER from every broker (a second round).
                    client.unregister_phase = 1;
                    self.send_unregister(ctx, id, 0);
                } else {
                    self.finish_shutdown(ctx, id);
                }
            }
        }
    }

    /// Shuts a client down: optionally UNREGISTER_CLIENT to each broker first, then close.
    pub(super) fn shutdown_client(&mut self, ctx: &mut Ctx<Event>, id: ClientId, unregister: bool) {
        let client = &mut self.clients[id as usize];
        if !client.alive || client.shutting_down {
            return;
        }
        client.shutting_down = true;
        client.gen += 1;
        client.pending = None;
        client.round_active = false;
        // UNREGISTER_CLIENT carries one group (ClientManageProcessor.unregisterClient reads one
        // producerGroup / consumerGroup, rocketmq-all-4.9.8 broker/…/processor/
        // ClientManageProcessor.java:129-162): the user group's round first
        // (DefaultMQProducerImpl.shutdown / DefaultMQPushConsumerImpl.shutdown), then the inner
        // group's (MQClientInstance.shutdown, 4.9.8 line 848). A client with no group of its own
        // has only the second round.
        let has_own = client.consumer_group != NO_GROUP || client.n_groups > 1;
        client.unregister_phase = if has_own { 0 } else { 1 };
        if unregister {
            self.send_unregister(ctx, id, 0);
        } else {
            self.finish_shutdown(ctx, id);
        }
    }

    pub(super) fn send_unregister(&mut self, ctx: &mut Ctx<Event>, id: ClientId, b: u16) {
        let channel = self.ensure_channel(ctx, id, b);
        let mut task = self.start_rpc(ctx, id, b, TaskKind::Unregister, channel);
        if self.scenario.clients.unregister_per_group {
            let client = &self.clients[id as usize];
            if client.unregister_phase == 0 {
                if client.consumer_group != NO_GROUP {
                    // unregisterConsumer: the consumer group only.
                    task.n_groups = 0;
                } else {
                    task.groups = [client.groups[1], INNER_GROUP];
                    task.n_groups = 1;
                }
            } else {
                task.groups = [INNER_GROUP; 2];
                task.n_groups = 1;
                task.consumer_group = NO_GROUP;
            }
        }
        self.submit_task(ctx, b, task);
    }

    pub(super) fn finish_shutdown(&mut self, ctx: &mut Ctx<Event>, id: ClientId) {
        for b in 0..self.brokers.len() as u16 {
            self.close_channel(ctx, id, b, CloseCause::Close);
        }
        let client = &mut self.clients[id as usize];
        client.alive = false;
        client.shutting_down = false;
    }
}
