//! The pending-event set: a binary min-heap ordered by (time, insertion sequence).
//!
//! Equal times come out first-in first-out because every push takes the next value of a global
//! u64 counter. One explicit key field comes before the counter: an *observation* (pushed with
//! [`EventQueue::push_observation`]) goes before every other event of the same time, so a sample
//! taken at t sees the state at the end of the interval, before anything else scheduled at t.
//! The queue knows nothing about what an event means.

use super::clock::SimTime;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// A min-queue of events keyed by (time, seq).
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
}

struct Entry<E> {
    // Time in the high 64 bits, then the "not an observation" bit, then the insertion sequence:
    // one integer comparison.
    key: u128,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    fn cmp(&self, other: &Self) -> Ordering {
        // BinaryHeap is a max-heap: reverse so the smallest key is on top.
        other.key.cmp(&self.key)
    }
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            next_seq: 0,
        }
    }

    /// Schedules `event` at `time`; among equal times it comes out after every earlier push.
    pub fn push(&mut self, time: SimTime, event: E) {
        self.push_keyed(time, 1, event);
    }

    /// Schedules an observation at `time`: it comes out before every ordinary event of that time.
    pub fn push_observation(&mut self, time: SimTime, event: E) {
        self.push_keyed(time, 0, event);
    }

    fn push_keyed(&mut self, time: SimTime, ordinary: u64, event: E) {
        let seq = self.next_seq;
        assert!(seq < 1 << 63, "event sequence counter overflowed");
        self.next_seq = seq + 1;
        let key = (u128::from(time.0) << 64) | u128::from((ordinary << 63) | seq);
        self.heap.push(Entry { key, event });
    }

    /// Removes and returns the earliest event.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.heap.pop().map(|entry| (SimTime((entry.key >> 64) as u64), entry.event))
    }

    /// The time of the earliest event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|entry| SimTime((entry.key >> 64) as u64))
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Drops every pending event (the sequence counter keeps counting).
    pub fn clear(&mut self) {
        self.heap.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use std::collections::BTreeMap;

    #[test]
    fn observations_come_first_at_equal_times() {
        let mut queue = EventQueue::new();
        queue.push(SimTime(5), 1);
        queue.push_observation(SimTime(5), 2);
        queue.push_observation(SimTime(4), 3);
        assert_eq!(queue.pop(), Some((SimTime(4), 3)));
        assert_eq!(queue.pop(), Some((SimTime(5), 2)));
        assert_eq!(queue.pop(), Some((SimTime(5), 1)));
    }

    #[test]
    fn equal_times_are_fifo() {
        let mut queue = EventQueue::new();
        for i in 0..100 {
            queue.push(SimTime(5), i);
        }
        queue.push(SimTime(1), 1000);
        assert_eq!(queue.pop(), Some((SimTime(1), 1000)));
        for i in 0..100 {
            assert_eq!(queue.pop(), Some((SimTime(5), i)));
        }
        assert!(queue.pop().is_none());
    }

    /// Shadow-model check: the heap against a BTreeMap keyed by (time, seq) on random operations.
    #[test]
    fn matches_btreemap_shadow() {
        for seed in 0..20u64 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut queue = EventQueue::new();
            let mut shadow: BTreeMap<(u64, u64), u32> = BTreeMap::new();
            let mut seq = 0u64;
            for step in 0..5_000u32 {
                if rng.gen_bool(0.55) {
                    // Few distinct times so that ties are common.
                    let time = rng.gen_range(0..50u64);
                    queue.push(SimTime(time), step);
                    shadow.insert((time, seq), step);
                    seq += 1;
                } else {
                    let expected = shadow.pop_first().map(|((t, _), v)| (SimTime(t), v));
                    assert_eq!(queue.pop(), expected, "seed {seed} step {step}");
                }
                assert_eq!(queue.len(), shadow.len(), "seed {seed} step {step}");
                let shadow_peek = shadow.first_key_value().map(|((t, _), _)| SimTime(*t));
                assert_eq!(queue.peek_time(), shadow_peek, "seed {seed} step {step}");
            }
        }
    }
}
