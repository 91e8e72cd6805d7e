//! Push consumers: adding consumers, issuing pulls with flow control, pull results,
//! consumption batches and scaling.
//!
//! Mirrors (rocketmq-all-4.9.8):
//! `client/src/main/java/org/apache/rocketmq/client/impl/consumer/DefaultMQPushConsumerImpl.java`
//! (`pullMessage`, flow control, 1 s retry) and
//! `client/src/main/java/org/apache/rocketmq/client/impl/consumer/ConsumeMessageConcurrentlyService.java`.
//!
//! Must not: decide whether the broker holds a pull (that is `broker/long_polling.rs`).

use super::*;

impl World {
    pub(super) fn add_consumer(&mut self, ctx: &mut Ctx<Event>, group: u16, at_start: bool) {
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

    pub(super) fn start_next_batch(&mut self, ctx: &mut Ctx<Event>, index: u32) {
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
