//! The client side (SPEC §2.3): client instances with their heartbeat rounds, RPC deadlines and
//! close-on-timeout; consumers with rebalance, pulls and consumption; long-lived producers;
//! periodic producer groups; background clients with reconnect churn.
//!
//! Client facts follow RocketMQ 4.9.4 `MQClientInstance`, `NettyRemotingClient.invokeSync`
//! (`clientCloseSocketIfTimeout`, default true from 4.9.1), `RebalanceImpl` and
//! `AllocateMessageQueueAveragely`, `DefaultMQPushConsumerImpl` (pull flow control, 1 s retry).

use super::broker::{NettyKind, Task, TaskKind, NO_GROUP};
use super::{streams, ChannelId, ClientId, CloseCause, Event, GroupId, World, INNER_GROUP};
use crate::engine::{Ctx, SimTime};
use rand::Rng;
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

/// The answer a client gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply {
    Success,
    /// SYSTEM_BUSY (queue full, or dropped by the fast-failure sweep).
    Busy,
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

impl World {
    fn new_client(&mut self, kind: ClientKind, groups: &[GroupId], consumer_group: u16) -> ClientId {
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

    fn new_group(&mut self, name: GroupName) -> GroupId {
        self.group_names.push(name);
        (self.group_names.len() - 1) as GroupId
    }

    /// Registers `client` on every broker as if its last heartbeat had just been handled (the
    /// run starts in steady state: no warm-up transient).
    fn register_at_start(&mut self, client: ClientId) {
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
    fn reconnect(&mut self, ctx: &mut Ctx<Event>, id: ClientId, b: u16, abnormal: bool) {
        if !self.clients[id as usize].alive {
            return;
        }
        let cause = if abnormal { CloseCause::Idle } else { CloseCause::Close };
        self.close_channel(ctx, id, b, cause);
        self.ensure_channel(ctx, id, b);
    }

    /// Schedules a heartbeat tick: through the tick FIFO when the interval is a constant.
    fn schedule_tick(&mut self, ctx: &mut Ctx<Event>, delay: u64, id: ClientId, gen: u32) {
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

    fn add_consumer(&mut self, ctx: &mut Ctx<Event>, group: u16, at_start: bool) {
        let id = self.new_client(ClientKind::Consumer, &[INNER_GROUP], group);
        let index = self.consumers.len() as u32;
        let queue_count = self.groups[group as usize].queues.len();
        self.consumers.push(Consumer {
            client: id,
            group,
            running: true,
            pqs: vec![ProcessQueue::default(); queue_count],
            batches: VecDeque::new(),
            consuming: false,
            rebalance_pending: false,
            rebalance_chain: true,
            sub_version: 0,
        });
        self.clients[id as usize].consumer = index;
        self.groups[group as usize].members.push(index);
        if at_start {
            self.register_at_start(id);
        } else {
            // DefaultMQPushConsumer.start: connect and heartbeat at once.
            self.start_heartbeat_round(ctx, id);
        }
        self.start_heartbeat_timer(ctx, id, at_start);
        self.request_rebalance(ctx, id);
        let period = self.scenario.clients.rebalance_interval_ns;
        let phase = self.client_rngs[id as usize].gen_range(0..period);
        ctx.schedule_in(
            phase,
            Event::Rebalance {
                consumer: index,
                periodic: true,
            },
        );
    }

    /// Schedules the first heartbeat tick: a random phase at start, one interval later otherwise.
    fn start_heartbeat_timer(&mut self, ctx: &mut Ctx<Event>, id: ClientId, random_phase: bool) {
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

    // ---------------------------------------------------------------- channels

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

    fn fail_requests_on(&mut self, ctx: &mut Ctx<Event>, id: ClientId, b: u16) {
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

    // ---------------------------------------------------------------- heartbeats

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

    fn start_heartbeat_round(&mut self, ctx: &mut Ctx<Event>, id: ClientId) {
        self.clients[id as usize].round_active = true;
        self.send_heartbeat(ctx, id, 0);
    }

    /// HEART_BEAT to broker `b`, synchronously, with the RPC timeout.
    fn send_heartbeat(&mut self, ctx: &mut Ctx<Event>, id: ClientId, b: u16) {
        let channel = self.ensure_channel(ctx, id, b);
        self.recorder.interval.heartbeats_sent += 1;
        let task = self.start_rpc(ctx, id, b, TaskKind::Heartbeat, channel);
        self.submit_task(ctx, b, task);
    }

    fn start_rpc(&mut self, ctx: &mut Ctx<Event>, id: ClientId, b: u16, kind: TaskKind, channel: ChannelId) -> Task {
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

    fn rpc_timed_out(&mut self, ctx: &mut Ctx<Event>, id: ClientId) {
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
    fn after_rpc(&mut self, ctx: &mut Ctx<Event>, id: ClientId, pending: Pending) {
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

    // ---------------------------------------------------------------- shutdown

    /// Shuts a client down: optionally UNREGISTER_CLIENT to each broker first, then close.
    fn shutdown_client(&mut self, ctx: &mut Ctx<Event>, id: ClientId, unregister: bool) {
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

    fn send_unregister(&mut self, ctx: &mut Ctx<Event>, id: ClientId, b: u16) {
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

    fn finish_shutdown(&mut self, ctx: &mut Ctx<Event>, id: ClientId) {
        for b in 0..self.brokers.len() as u16 {
            self.close_channel(ctx, id, b, CloseCause::Close);
        }
        let client = &mut self.clients[id as usize];
        client.alive = false;
        client.shutting_down = false;
    }

    // ---------------------------------------------------------------- periodic groups

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

    // ---------------------------------------------------------------- background churn

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

    // ---------------------------------------------------------------- producers

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

    // ---------------------------------------------------------------- consumers

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
    fn rebalance_heartbeat(&mut self, ctx: &mut Ctx<Event>, index: u32) {
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
    fn apply_assignment(&mut self, ctx: &mut Ctx<Event>, index: u32, range: std::ops::Range<usize>) -> bool {
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

    /// Sends a pull for one assigned queue (unless one is already out or flow control holds it).
    pub(crate) fn issue_pull(&mut self, ctx: &mut Ctx<Event>, index: u32, local: u32, gen: u32) {
        let threshold = u64::from(self.scenario.clients.pull_threshold_per_queue);
        let consumer = &self.consumers[index as usize];
        let pq = consumer.pqs[local as usize];
        if !consumer.running || !pq.assigned || pq.gen != gen || pq.in_flight || pq.held {
            return;
        }
        if pq.buffered >= threshold {
            ctx.schedule_in(
                self.scenario.clients.flow_control_delay_ns,
                Event::PullIssue {
                    consumer: index,
                    queue: local,
                    gen,
                },
            );
            return;
        }
        let (id, group) = (consumer.client, consumer.group);
        let q = self.groups[group as usize].queues[local as usize];
        let b = self.queues[q as usize].broker;
        let channel = self.ensure_channel(ctx, id, b);
        let rtt = self.scenario.clients.network_rtt.sample(&mut self.client_rngs[id as usize]);
        if self.pull_refused(index, b) {
            // SUBSCRIPTION_NOT_EXIST or SUBSCRIPTION_NOT_LATEST: the client retries after
            // pullTimeDelayMillsWhenException.
            ctx.schedule_in(
                rtt + self.scenario.clients.pull_retry_delay_ns,
                Event::PullIssue {
                    consumer: index,
                    queue: local,
                    gen,
                },
            );
            return;
        }
        let available = self.queues[q as usize].produced.saturating_sub(pq.next_offset);
        let pq = &mut self.consumers[index as usize].pqs[local as usize];
        pq.pull_channel = channel;
        if available > 0 {
            let count = available.min(u64::from(self.params.brokers[b as usize].pull_batch_max)) as u32;
            pq.in_flight = true;
            pq.inflight_from = pq.next_offset;
            pq.inflight_count = count;
            ctx.schedule_in(
                rtt,
                Event::PullResult {
                    consumer: index,
                    queue: local,
                    gen,
                },
            );
        } else {
            // Long polling: the broker holds the pull until a message arrives or it times out.
            pq.held = true;
            pq.pull_seq = pq.pull_seq.wrapping_add(1);
            let seq = pq.pull_seq;
            self.queues[q as usize].held.push((index, seq));
            // Every hold lasts the same time, so the deadlines come in order: one FIFO and one
            // pending event for all of them. PullRequestHoldService looks for timed-out holds
            // only every 5 s (`waitForRunning(5 * 1000)`, rocketmq-all-4.9.8 broker/…/longpolling/
            // PullRequestHoldService.java:72), so a 15 s hold ends at the first check after 15 s
            // (rounding up keeps the deadlines in order).
            let params = &self.params.brokers[b as usize];
            let mut deadline = ctx.now().ns() + params.long_poll_timeout_ns;
            if params.long_poll_check_interval_ns > 0 {
                deadline = deadline.div_ceil(params.long_poll_check_interval_ns) * params.long_poll_check_interval_ns;
            }
            self.long_polls.push_back((deadline, index, local, seq));
            if !self.long_poll_armed {
                self.long_poll_armed = true;
                ctx.schedule_at(SimTime(deadline), Event::LongPollDue);
            }
        }
    }

    /// The subscription checks of `PullMessageProcessor.processRequest` (rocketmq-all-4.9.8
    /// broker/…/processor/PullMessageProcessor.java): SUBSCRIPTION_NOT_EXIST when the group has no
    /// consumer on broker `b` (lines 174-180); SUBSCRIPTION_NOT_LATEST when the pull carries a
    /// newer subscription version than the broker stored from the group's last heartbeat
    /// (lines 197-203; the client sets it in PullAPIWrapper.java:192).
    fn pull_refused(&self, index: u32, b: u16) -> bool {
        let consumer = &self.consumers[index as usize];
        let broker = &self.brokers[b as usize];
        if !broker.group_has_consumers(consumer.group) {
            return true;
        }
        self.params.brokers[b as usize].check_subscription_version
            && broker.consumer_sub_version[consumer.group as usize] < consumer.sub_version
    }

    /// New messages on queue `q`: every pull held on it is answered.
    fn wake_held_pulls(&mut self, ctx: &mut Ctx<Event>, q: u32) {
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

    fn answer_held_pull(&mut self, ctx: &mut Ctx<Event>, index: u32, local: u32) {
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

    fn on_long_poll_timeout(&mut self, ctx: &mut Ctx<Event>, index: u32, local: u32, seq: u32) {
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
    fn fail_held_pulls(&mut self, ctx: &mut Ctx<Event>, index: u32, b: u16) {
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

    pub(crate) fn on_pull_result(&mut self, ctx: &mut Ctx<Event>, index: u32, local: u32, gen: u32) {
        let consumer = &self.consumers[index as usize];
        let id = consumer.client;
        let q = self.groups[consumer.group as usize].queues[local as usize];
        let b = self.queues[q as usize].broker;
        let channel_open = self.channel_of(id, b);
        let pq = &mut self.consumers[index as usize].pqs[local as usize];
        if pq.gen != gen || !pq.in_flight {
            return;
        }
        pq.in_flight = false;
        if pq.pull_channel != channel_open {
            // The channel closed while the response was on its way: the pull failed.
            ctx.schedule_in(
                self.scenario.clients.pull_retry_delay_ns,
                Event::PullIssue {
                    consumer: index,
                    queue: local,
                    gen,
                },
            );
            return;
        }
        let (from, count) = (pq.inflight_from, pq.inflight_count);
        if count > 0 {
            pq.next_offset = from + u64::from(count);
            pq.buffered += u64::from(count);
            let consumer = &mut self.consumers[index as usize];
            consumer.batches.push_back(Batch { local, gen, from, count });
            if !consumer.consuming {
                self.start_next_batch(ctx, index);
            }
        }
        self.issue_pull(ctx, index, local, gen);
    }

    fn start_next_batch(&mut self, ctx: &mut Ctx<Event>, index: u32) {
        let consumer = &mut self.consumers[index as usize];
        while let Some(batch) = consumer.batches.front() {
            let pq = consumer.pqs[batch.local as usize];
            if pq.assigned && pq.gen == batch.gen && consumer.running {
                let rate = self.params.consume_rate[consumer.group as usize];
                let duration = crate::scenario::units::round_u64(f64::from(batch.count) * 1e9 / rate);
                consumer.consuming = true;
                ctx.schedule_in(duration.max(1), Event::ConsumeDone { consumer: index });
                return;
            }
            // The queue was dropped: its buffered messages are thrown away.
            consumer.batches.pop_front();
        }
        consumer.consuming = false;
    }

    pub(crate) fn on_consume_done(&mut self, ctx: &mut Ctx<Event>, index: u32) {
        let consumer = &mut self.consumers[index as usize];
        consumer.consuming = false;
        if let Some(batch) = consumer.batches.pop_front() {
            let group = consumer.group as usize;
            let pq = &mut consumer.pqs[batch.local as usize];
            if pq.assigned && pq.gen == batch.gen {
                pq.buffered -= u64::from(batch.count);
                let end = batch.from + u64::from(batch.count);
                let committed = &mut self.groups[group].consumed[batch.local as usize];
                if end > *committed {
                    self.recorder.interval.messages_consumed += end - *committed;
                    *committed = end;
                }
            }
        }
        self.start_next_batch(ctx, index);
    }

    // ---------------------------------------------------------------- scaling

    pub(crate) fn scale_consumers(&mut self, ctx: &mut Ctx<Event>, group: usize, count: u32) {
        let running: Vec<u32> = self.groups[group]
            .members
            .iter()
            .copied()
            .filter(|c| self.consumers[*c as usize].running)
            .collect();
        let current = running.len() as u32;
        for _ in current..count {
            self.add_consumer(ctx, group as u16, false);
        }
        for index in running.iter().rev().take(current.saturating_sub(count) as usize) {
            let consumer = &mut self.consumers[*index as usize];
            consumer.running = false;
            for pq in consumer.pqs.iter_mut() {
                *pq = ProcessQueue {
                    gen: pq.gen + 1,
                    pull_seq: pq.pull_seq,
                    ..ProcessQueue::default()
                };
            }
            consumer.batches.clear();
            let id = consumer.client;
            // DefaultMQPushConsumer.shutdown: UNREGISTER_CLIENT, then close.
            self.shutdown_client(ctx, id, true);
        }
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
