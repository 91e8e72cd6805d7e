//! The pending-event set: a monotone radix heap ordered by (time, insertion sequence).
//!
//! Equal times come out first-in first-out because every push takes the next value of a global
//! u64 counter. One explicit key field comes before the counter: an *observation* (pushed with
//! [`EventQueue::push_observation`]) goes before every other event of the same time, so a sample
//! taken at t sees the state at the end of the interval, before anything else scheduled at t.
//! The queue knows nothing about what an event means.

use super::clock::SimTime;

/// A min-queue of events keyed by (time, observation bit, seq): a radix heap.
///
/// A discrete-event simulation only ever schedules at or after the current time, so keys are
/// pushed in non-decreasing order relative to the last key popped ("monotone"). A radix heap
/// exploits that: an entry lives in the bucket numbered by the highest bit in which its key
/// differs from the last popped key; the minimum is always in bucket 0 after the first
/// non-empty bucket is redistributed. Each entry moves down at most 128 times over its life and
/// usually only once or twice, so push and pop cost a few instructions and touch little memory.
pub struct EventQueue<E> {
    buckets: Vec<Vec<(u128, E)>>,
    /// Bit `i` set: bucket `i` is non-empty.
    occupied: [u64; 3],
    /// The last key popped (or the floor below which nothing may be pushed).
    last: u128,
    len: usize,
    next_seq: u64,
}

const BUCKETS: usize = 129;

#[inline]
fn bucket_of(key: u128, last: u128) -> usize {
    (128 - (key ^ last).leading_zeros()) as usize
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
            buckets: (0..BUCKETS).map(|_| Vec::new()).collect(),
            occupied: [0; 3],
            last: 0,
            len: 0,
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
        assert!(
            key >= self.last,
            "event pushed at {time}, before the earliest event already settled"
        );
        let b = bucket_of(key, self.last);
        self.buckets[b].push((key, event));
        self.occupied[b / 64] |= 1 << (b % 64);
        self.len += 1;
    }

    /// Makes bucket 0 hold the minimum (redistributing the first non-empty bucket); false when
    /// the queue is empty.
    fn settle(&mut self) -> bool {
        if !self.buckets[0].is_empty() {
            return true;
        }
        let Some(b) = self.first_occupied() else { return false };
        let mut items = std::mem::take(&mut self.buckets[b]);
        self.occupied[b / 64] &= !(1 << (b % 64));
        let min = items.iter().map(|(k, _)| *k).min().expect("occupied bucket is non-empty");
        self.last = min;
        for (key, event) in items.drain(..) {
            let nb = bucket_of(key, min);
            debug_assert!(nb < b, "radix heap entry did not move down");
            self.buckets[nb].push((key, event));
            self.occupied[nb / 64] |= 1 << (nb % 64);
        }
        // Keep the allocation for the next time this bucket fills.
        if self.buckets[b].is_empty() {
            self.buckets[b] = items;
        }
        true
    }

    fn first_occupied(&self) -> Option<usize> {
        self.occupied
            .iter()
            .enumerate()
            .find(|(_, w)| **w != 0)
            .map(|(i, w)| i * 64 + w.trailing_zeros() as usize)
    }

    /// Removes and returns the earliest event.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        if !self.settle() {
            return None;
        }
        let (key, event) = self.buckets[0].pop().expect("settled");
        debug_assert_eq!(key, self.last);
        if self.buckets[0].is_empty() {
            self.occupied[0] &= !1;
        }
        self.len -= 1;
        Some((SimTime((key >> 64) as u64), event))
    }

    /// The time of the earliest event, if any. Like a pop, a peek settles the minimum: nothing
    /// may be pushed before the peeked event afterwards (the engine only schedules from handlers,
    /// at or after the time of the event being handled, so this always holds there).
    pub fn peek_time(&mut self) -> Option<SimTime> {
        if !self.settle() {
            return None;
        }
        Some(SimTime((self.last >> 64) as u64))
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Drops every pending event (the sequence counter keeps counting).
    pub fn clear(&mut self) {
        for bucket in &mut self.buckets {
            bucket.clear();
        }
        self.occupied = [0; 3];
        self.len = 0;
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
            let mut floor = 0u64;
            for step in 0..5_000u32 {
                if rng.gen_bool(0.55) {
                    // Never before the last popped time (the engine's contract); few distinct
                    // times so that ties are common.
                    let time = floor + rng.gen_range(0..50u64);
                    queue.push(SimTime(time), step);
                    shadow.insert((time, seq), step);
                    seq += 1;
                } else {
                    let expected = shadow.pop_first().map(|((t, _), v)| (SimTime(t), v));
                    assert_eq!(queue.pop(), expected, "seed {seed} step {step}");
                    if let Some((t, _)) = expected {
                        floor = t.0;
                    }
                }
                assert_eq!(queue.len(), shadow.len(), "seed {seed} step {step}");
                let shadow_peek = shadow.first_key_value().map(|((t, _), _)| SimTime(*t));
                assert_eq!(queue.peek_time(), shadow_peek, "seed {seed} step {step}");
                // A peek settles the minimum: later pushes must not go before it either.
                if let Some(t) = shadow_peek {
                    floor = floor.max(t.0);
                }
            }
        }
    }
}
