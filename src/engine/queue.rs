//! The pending-event set: a monotone radix heap ordered by (time, observation bit, insertion
//! sequence).
//!
//! Equal times come out first-in first-out because every push takes the next value of a global
//! u64 counter. One explicit key field comes before the counter: an *observation* (pushed with
//! [`EventQueue::push_observation`]) goes before every other event of the same time, so a sample
//! taken at t sees the state at the end of the interval, before anything else scheduled at t.
//! The queue knows nothing about what an event means.

use super::clock::SimTime;
use std::collections::VecDeque;

/// One pending event: its time, its tie-break rank and the event.
#[derive(Clone, Copy)]
struct Entry<E> {
    time: u64,
    /// `ordinary << 63 | seq`: observations (bit clear) first, then insertion order.
    rank: u64,
    event: E,
}

impl<E> Entry<E> {
    #[inline(always)]
    fn key(&self) -> (u64, u64) {
        (self.time, self.rank)
    }
}

/// A min-queue of events keyed by (time, observation bit, seq): a radix heap on the time, with
/// one entry kept in front of it.
///
/// A discrete-event simulation only ever schedules at or after the current time, so times are
/// pushed in non-decreasing order relative to the last time settled ("monotone"). A radix heap
/// exploits that: an entry lives in the bucket named by the highest 4-bit digit in which its
/// time differs from the last settled time, and by its own value of that digit; when nothing is
/// left at that time, the first non-empty bucket is redistributed around its minimum, into
/// buckets of lower digits only. An entry therefore moves down at most 16 times over its life,
/// so push and pop cost a few instructions and touch little memory. (The binary radix heap this
/// replaced, one bucket per bit, took 3.6% more instructions on the M/M/1 benchmark.)
///
/// The entries *at* the settled time (bucket 0) wait in `now`, sorted by rank: they come from one
/// redistributed bucket (sorted once) or from pushes at that time, which are inserted in rank
/// order (a fresh ordinary push has the highest rank so far and goes to the back).
///
/// In a simulation the event just scheduled is very often the next one to happen (a thread's
/// next step, the answer to a request). The `front` slot keeps the earliest of the recent pushes
/// out of the heap, and a pop takes it without touching the heap whenever the heap's first
/// bucket proves that nothing in the heap comes before it.
pub struct EventQueue<E> {
    /// One entry outside the heap; its time is never below `last`.
    front: Option<Entry<E>>,
    /// Entries at time `last`, in rank order.
    now: VecDeque<Entry<E>>,
    /// `buckets[16 * level + digit]`: entries whose time first differs from `last` in the
    /// 4-bit digit `level` (0 = lowest), where the entry's digit is `digit` (> the digit of
    /// `last`, so never 0: bucket 0 is unused, `now` stands for it).
    buckets: Vec<Vec<Entry<E>>>,
    /// Bit `i % 64` of word `i / 64` set: `buckets[i]` is non-empty.
    occupied: [u64; 4],
    /// The time last settled (the floor below which nothing may be pushed).
    last: u64,
    len: usize,
    next_seq: u64,
}

/// Bits per digit: 16 buckets per level, so an entry moves down at most 16 times (a binary
/// radix heap moves it once per bit, up to 64 times, and measurably more often in practice).
const DIGIT_BITS: u32 = 4;
const BUCKETS: usize = 256;
const ORDINARY: u64 = 1 << 63;

/// The bucket of `time` relative to `last` (0: equal; else 16 × the highest differing digit
/// position + the digit of `time` there).
#[inline(always)]
fn bucket_of(time: u64, last: u64) -> usize {
    let diff = time ^ last;
    if diff == 0 {
        return 0;
    }
    let level = (63 - diff.leading_zeros()) / DIGIT_BITS;
    let digit = (time >> (level * DIGIT_BITS)) & 15;
    (level as usize) << DIGIT_BITS | digit as usize
}

/// The earliest time an entry of bucket `b` can have relative to `last`: the digits of `last`
/// above the bucket's level, the bucket's digit at it, zeros below.
#[inline(always)]
fn bucket_floor(b: usize, last: u64) -> u64 {
    let level = (b >> DIGIT_BITS) as u32;
    let digit = (b & 15) as u64;
    let shift = level * DIGIT_BITS;
    let high = last
        .checked_shr(shift + DIGIT_BITS)
        .map_or(0, |h| h.checked_shl(shift + DIGIT_BITS).unwrap_or(0));
    high | digit << shift
}

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Copy> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        EventQueue {
            front: None,
            now: VecDeque::new(),
            buckets: (0..BUCKETS).map(|_| Vec::new()).collect(),
            occupied: [0; 4],
            last: 0,
            len: 0,
            next_seq: 0,
        }
    }

    /// Schedules `event` at `time`; among equal times it comes out after every earlier push.
    #[inline]
    pub fn push(&mut self, time: SimTime, event: E) {
        let rank = self.next_rank() | ORDINARY;
        self.push_entry(Entry { time: time.0, rank, event });
    }

    /// Schedules an observation at `time`: it comes out before every ordinary event of that time.
    #[inline]
    pub fn push_observation(&mut self, time: SimTime, event: E) {
        let rank = self.next_rank();
        self.push_entry(Entry { time: time.0, rank, event });
    }

    #[inline]
    fn next_rank(&mut self) -> u64 {
        let seq = self.next_seq;
        assert!(seq < ORDINARY, "event sequence counter overflowed");
        self.next_seq = seq + 1;
        seq
    }

    /// Keeps the earlier of `entry` and the current front out of the heap.
    #[inline]
    fn push_entry(&mut self, entry: Entry<E>) {
        assert!(
            entry.time >= self.last,
            "event pushed at {}, before the earliest event already settled",
            SimTime(entry.time)
        );
        self.len += 1;
        match &mut self.front {
            None => self.front = Some(entry),
            Some(front) => {
                if entry.key() < front.key() {
                    let later = std::mem::replace(front, entry);
                    self.push_heap(later);
                } else {
                    self.push_heap(entry);
                }
            }
        }
    }

    /// Puts `entry` (never before `last`) into the radix heap.
    #[inline]
    fn push_heap(&mut self, entry: Entry<E>) {
        let b = bucket_of(entry.time, self.last);
        if b == 0 {
            if self.now.back().is_none_or(|e| e.rank < entry.rank) {
                self.now.push_back(entry);
            } else {
                let at = self.now.partition_point(|e| e.rank < entry.rank);
                self.now.insert(at, entry);
            }
            return;
        }
        self.buckets[b].push(entry);
        self.occupied[b / 64] |= 1 << (b % 64);
    }

    /// The first non-empty bucket, if any.
    #[inline(always)]
    fn first_occupied(&self) -> Option<usize> {
        for (i, word) in self.occupied.iter().enumerate() {
            if *word != 0 {
                return Some(i * 64 + word.trailing_zeros() as usize);
            }
        }
        None
    }

    /// Removes and returns the earliest event if its time is at most `end`.
    #[inline]
    pub fn pop_until(&mut self, end: SimTime) -> Option<(SimTime, E)> {
        let entry = self.take_min(end.0)?;
        self.len -= 1;
        Some((SimTime(entry.time), entry.event))
    }

    /// Removes and returns the earliest event.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.pop_until(SimTime(u64::MAX))
    }

    /// The earliest entry, removed if its time is at most `end`.
    #[inline]
    fn take_min(&mut self, end: u64) -> Option<Entry<E>> {
        if let Some(head) = self.now.front() {
            // `now` holds the heap's minimum; the front entry may still come first.
            if let Some(front) = &self.front {
                if front.key() < head.key() {
                    return self.take_front(end);
                }
            }
            if head.time > end {
                return None;
            }
            return self.now.pop_front();
        }
        let Some(b) = self.first_occupied() else {
            return self.take_front(end);
        };
        if let Some(front) = &self.front {
            // No entry of the first bucket (nor of any later one) is earlier than its floor.
            if front.time < bucket_floor(b, self.last) {
                return self.take_front(end);
            }
        }
        if self.buckets[b].len() == 1 {
            // A lone entry is the heap's minimum: compare it with the front, no redistribution.
            let lone = self.buckets[b][0];
            if let Some(front) = &self.front {
                if front.key() < lone.key() {
                    return self.take_front(end);
                }
            }
            if lone.time > end {
                return None;
            }
            self.buckets[b].clear();
            self.occupied[b / 64] &= !(1 << (b % 64));
            // The front (if any) comes after `lone`, so it stays at or above the new `last`.
            self.last = lone.time;
            return Some(lone);
        }
        // The front may fall among the bucket's entries: settle with it inside, so that `last`
        // never passes a pending entry.
        if let Some(front) = self.front.take() {
            self.push_heap(front);
        }
        if self.now.is_empty() {
            self.redistribute();
        }
        let head = self.now.front().expect("settled");
        if head.time > end {
            return None;
        }
        self.now.pop_front()
    }

    #[inline(always)]
    fn take_front(&mut self, end: u64) -> Option<Entry<E>> {
        match self.front {
            Some(front) if front.time <= end => self.front.take(),
            _ => None,
        }
    }

    /// Moves the first non-empty bucket down around its minimum (`now` is empty).
    #[inline(never)]
    fn redistribute(&mut self) {
        let b = self.first_occupied().expect("an occupied bucket");
        self.occupied[b / 64] &= !(1 << (b % 64));
        let mut items = std::mem::take(&mut self.buckets[b]);
        let min = items.iter().map(|e| e.time).min().expect("occupied bucket is non-empty");
        self.last = min;
        for &entry in &items {
            let nb = bucket_of(entry.time, min);
            if nb == 0 {
                self.now.push_back(entry);
            } else {
                debug_assert!(nb < b, "radix heap entry did not move down");
                self.buckets[nb].push(entry);
                self.occupied[nb / 64] |= 1 << (nb % 64);
            }
        }
        // Entries of one bucket arrive in no particular order.
        if self.now.len() > 1 {
            self.now.make_contiguous().sort_unstable_by_key(|e| e.rank);
        }
        // Keep the allocation for the next time this bucket fills.
        items.clear();
        self.buckets[b] = items;
    }

    /// The time of the earliest event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        let heap_min = if let Some(head) = self.now.front() {
            Some(head.time)
        } else {
            self.buckets.iter().filter_map(|b| b.iter().map(|e| e.time).min()).min()
        };
        match (self.front.as_ref().map(|f| f.time), heap_min) {
            (Some(f), Some(h)) => Some(SimTime(f.min(h))),
            (f, h) => f.or(h).map(SimTime),
        }
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
        self.front = None;
        self.now.clear();
        for bucket in &mut self.buckets {
            bucket.clear();
        }
        self.occupied = [0; 4];
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

    /// Shadow-model check: the heap against a BTreeMap keyed by (time, ordinary, seq) on random
    /// operations, with observations, pushes at the settled time and bounded pops mixed in.
    #[test]
    fn matches_btreemap_shadow() {
        for seed in 0..20u64 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut queue = EventQueue::new();
            let mut shadow: BTreeMap<(u64, bool, u64), u32> = BTreeMap::new();
            let mut seq = 0u64;
            let mut floor = 0u64;
            for step in 0..5_000u32 {
                if rng.gen_bool(0.55) {
                    // Never before the last popped time (the engine's contract); few distinct
                    // times so that ties are common, some far ahead to exercise high buckets.
                    let time = if rng.gen_bool(0.05) {
                        floor + rng.gen_range(0..1u64 << 40)
                    } else {
                        floor + rng.gen_range(0..50u64)
                    };
                    let observation = rng.gen_bool(0.2);
                    if observation {
                        queue.push_observation(SimTime(time), step);
                    } else {
                        queue.push(SimTime(time), step);
                    }
                    shadow.insert((time, !observation, seq), step);
                    seq += 1;
                } else {
                    // A pop bounded by an end time, as the run loop does (sometimes unbounded).
                    let end = if rng.gen_bool(0.2) {
                        u64::MAX
                    } else {
                        floor + rng.gen_range(0..60u64)
                    };
                    let first = shadow.first_key_value().map(|((t, _, _), _)| *t);
                    let expected = match first {
                        Some(t) if t <= end => shadow.pop_first().map(|((t, _, _), v)| (SimTime(t), v)),
                        _ => None,
                    };
                    assert_eq!(queue.pop_until(SimTime(end)), expected, "seed {seed} step {step}");
                    // A pop (even one that found nothing due) may settle the heap up to the
                    // earliest pending time: nothing may be pushed before it afterwards.
                    if let Some(t) = first {
                        floor = floor.max(t);
                    }
                }
                assert_eq!(queue.len(), shadow.len(), "seed {seed} step {step}");
                let shadow_peek = shadow.first_key_value().map(|((t, _, _), _)| SimTime(*t));
                assert_eq!(queue.peek_time(), shadow_peek, "seed {seed} step {step}");
            }
        }
    }
}
