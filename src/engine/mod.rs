//! The discrete-event engine: virtual time, the pending-event set, seeded random streams and the
//! run loop. It is generic over the event type and knows nothing of brokers, clients or output;
//! it does no I/O and reads no clock.

pub mod clock;
pub mod queue;
pub mod rng;

pub use clock::{SimTime, MS, SEC, US};
pub use queue::EventQueue;
pub use rng::RngStreams;

/// What a handler sees: the current time and the scheduler.
pub struct Ctx<E> {
    now: SimTime,
    queue: EventQueue<E>,
}

impl<E: Copy> Ctx<E> {
    /// A context at time zero with nothing scheduled.
    pub fn new() -> Self {
        Ctx {
            now: SimTime::ZERO,
            queue: EventQueue::new(),
        }
    }

    /// The current virtual time.
    #[inline]
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Schedules `event` after `delay_ns` from now.
    #[inline]
    pub fn schedule_in(&mut self, delay_ns: u64, event: E) {
        self.queue.push(self.now.after(delay_ns), event);
    }

    /// Schedules `event` at `time`, which must not be in the past.
    #[inline]
    pub fn schedule_at(&mut self, time: SimTime, event: E) {
        assert!(time >= self.now, "scheduled at {time} before now {}", self.now);
        self.queue.push(time, event);
    }

    /// Schedules an observation (a sample, a dump) after `delay_ns`: at equal times it runs
    /// before every ordinary event, so it sees the state at the end of the interval.
    #[inline]
    pub fn observe_in(&mut self, delay_ns: u64, event: E) {
        self.queue.push_observation(self.now.after(delay_ns), event);
    }

    /// Schedules an observation at `time`, which must not be in the past.
    #[inline]
    pub fn observe_at(&mut self, time: SimTime, event: E) {
        assert!(time >= self.now, "observation at {time} before now {}", self.now);
        self.queue.push_observation(time, event);
    }

    /// Number of pending events.
    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    /// Drops every pending event.
    pub fn clear(&mut self) {
        self.queue.clear();
    }
}

impl<E: Copy> Default for Ctx<E> {
    fn default() -> Self {
        Self::new()
    }
}

/// A simulated system: it reacts to one event at a time.
pub trait Model {
    /// The closed set of events this model schedules.
    type Event: Copy;
    /// Handles `event` at `ctx.now()`.
    fn handle(&mut self, ctx: &mut Ctx<Self::Event>, event: Self::Event);
}

/// Why a run stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The next event lies beyond the end time (or nothing is left).
    EndTime,
    /// The event budget ran out before the end time.
    MaxEvents,
}

/// The outcome of [`run`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunOutcome {
    /// Why the loop stopped.
    pub stop: Stop,
    /// Events handled.
    pub events: u64,
    /// Virtual time when it stopped.
    pub now: SimTime,
}

/// Runs `model` until `end` (events at exactly `end` are handled) or until `max_events` were
/// handled, whichever comes first.
pub fn run<M: Model>(model: &mut M, ctx: &mut Ctx<M::Event>, end: SimTime, max_events: u64) -> RunOutcome {
    let mut events = 0u64;
    loop {
        let next = if events < max_events {
            ctx.queue.pop_until(end)
        } else if ctx.queue.peek_time().is_some_and(|time| time <= end) {
            return RunOutcome {
                stop: Stop::MaxEvents,
                events,
                now: ctx.now,
            };
        } else {
            None
        };
        let Some((time, event)) = next else {
            // The next event lies beyond the end time (or nothing is left).
            ctx.now = end.max(ctx.now);
            return RunOutcome {
                stop: Stop::EndTime,
                events,
                now: ctx.now,
            };
        };
        assert!(time >= ctx.now, "time went back from {} to {time}", ctx.now);
        ctx.now = time;
        events += 1;
        model.handle(ctx, event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A toy model: a single server with deterministic arrivals, to test the loop without brokers.
    struct Toy {
        log: Vec<(u64, u32)>,
    }

    impl Model for Toy {
        type Event = u32;
        fn handle(&mut self, ctx: &mut Ctx<u32>, event: u32) {
            self.log.push((ctx.now().ns(), event));
            if event < 5 {
                ctx.schedule_in(10, event + 1);
            }
        }
    }

    #[test]
    fn runs_to_end_time() {
        let mut toy = Toy { log: Vec::new() };
        let mut ctx = Ctx::new();
        ctx.schedule_in(0, 0);
        let outcome = run(&mut toy, &mut ctx, SimTime(30), 100);
        assert_eq!(outcome.stop, Stop::EndTime);
        assert_eq!(toy.log, vec![(0, 0), (10, 1), (20, 2), (30, 3)]);
        assert_eq!(outcome.now, SimTime(30));
    }

    #[test]
    fn max_events_is_reported() {
        let mut toy = Toy { log: Vec::new() };
        let mut ctx = Ctx::new();
        ctx.schedule_in(0, 0);
        let outcome = run(&mut toy, &mut ctx, SimTime(1_000), 3);
        assert_eq!(outcome.stop, Stop::MaxEvents);
        assert_eq!(outcome.events, 3);
    }
}
