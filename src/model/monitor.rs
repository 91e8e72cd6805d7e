//! The ProducerManager monitor as a simulated data structure: an owner and an entry set. It never
//! uses `std::sync`; it only decides who owns the lock and who must be woken.
//!
//! Two hand-off disciplines (SPEC §2.1):
//! - `Fifo`: on release the oldest waiter becomes the owner at once (direct hand-off).
//! - `Barging`: modelled on HotSpot's `ObjectMonitor` (JDK 8, default `QMode`): a thread that
//!   arrives while the monitor is free takes it even when others wait; contended arrivals are
//!   pushed on a LIFO list (`cxq`); on release, if no woken successor is on its way, the `cxq` is
//!   moved to the `EntryList` when that is empty (newest first) and the `EntryList` head is woken.
//!   The woken thread competes again after its wake-up latency and may lose to a barger, in which
//!   case it stays where it was and waits for the next release.

use super::ThreadRef;
use crate::scenario::MonitorKind;
use std::collections::VecDeque;

/// A simulated object monitor.
#[derive(Debug, Clone)]
pub struct Monitor {
    kind: MonitorKind,
    owner: Option<ThreadRef>,
    /// Barging only: contended arrivals, newest last.
    cxq: Vec<ThreadRef>,
    /// Barging: the list woken from its head. Fifo: the queue of waiters, oldest first.
    entry_list: VecDeque<ThreadRef>,
    /// Barging only: a woken waiter whose wake-up is in flight.
    successor: Option<ThreadRef>,
}

impl Monitor {
    /// A free monitor with no waiters.
    pub fn new(kind: MonitorKind) -> Self {
        Monitor {
            kind,
            owner: None,
            cxq: Vec::new(),
            entry_list: VecDeque::new(),
            successor: None,
        }
    }

    /// The current owner.
    #[inline]
    pub fn owner(&self) -> Option<ThreadRef> {
        self.owner
    }

    /// Threads waiting to enter.
    #[inline]
    pub fn waiters(&self) -> usize {
        self.cxq.len() + self.entry_list.len()
    }

    /// True when `thread` is in the entry set.
    pub fn is_waiting(&self, thread: ThreadRef) -> bool {
        self.cxq.contains(&thread) || self.entry_list.contains(&thread)
    }

    /// `thread` asks for the monitor. Returns true when it owns it now; otherwise it waits.
    pub fn request(&mut self, thread: ThreadRef) -> bool {
        assert_ne!(self.owner, Some(thread), "{thread:?} re-entered a monitor it owns");
        debug_assert!(!self.is_waiting(thread), "{thread:?} asked twice");
        let free = self.owner.is_none();
        match self.kind {
            MonitorKind::Barging if free => {
                self.owner = Some(thread);
                true
            }
            MonitorKind::Fifo if free && self.entry_list.is_empty() => {
                self.owner = Some(thread);
                true
            }
            MonitorKind::Barging => {
                self.cxq.push(thread);
                false
            }
            MonitorKind::Fifo => {
                self.entry_list.push_back(thread);
                false
            }
        }
    }

    /// The owner `thread` releases the monitor. Returns the thread to wake, if any: under `Fifo`
    /// it already owns the monitor (hand-off); under `Barging` it will compete when it wakes.
    pub fn release(&mut self, thread: ThreadRef) -> Option<ThreadRef> {
        assert_eq!(self.owner, Some(thread), "{thread:?} released a monitor it does not own");
        self.owner = None;
        match self.kind {
            MonitorKind::Fifo => {
                let next = self.entry_list.pop_front();
                self.owner = next;
                next
            }
            MonitorKind::Barging => self.choose_successor(),
        }
    }

    fn choose_successor(&mut self) -> Option<ThreadRef> {
        if self.successor.is_some() {
            return None;
        }
        if self.entry_list.is_empty() {
            // Move the cxq over, newest first (HotSpot's default QMode).
            while let Some(thread) = self.cxq.pop() {
                self.entry_list.push_back(thread);
            }
        }
        self.successor = self.entry_list.front().copied();
        self.successor
    }

    /// A woken `thread` competes. Returns true when it owns the monitor now.
    pub fn on_wake(&mut self, thread: ThreadRef) -> bool {
        match self.kind {
            MonitorKind::Fifo => {
                assert_eq!(self.owner, Some(thread), "fifo hand-off to {thread:?} lost its ownership");
                true
            }
            MonitorKind::Barging => {
                if self.successor == Some(thread) {
                    self.successor = None;
                }
                if self.owner.is_some() {
                    return false;
                }
                self.remove_waiter(thread);
                self.owner = Some(thread);
                true
            }
        }
    }

    /// `thread` stops waiting (a timed-out `tryLock`). Returns a thread to wake if the monitor is
    /// free and the cancelled thread was the one on its way.
    pub fn cancel(&mut self, thread: ThreadRef) -> Option<ThreadRef> {
        assert_ne!(self.owner, Some(thread), "{thread:?} cancelled while owning");
        self.remove_waiter(thread);
        if self.successor == Some(thread) {
            self.successor = None;
            if self.owner.is_none() && self.kind == MonitorKind::Barging {
                return self.choose_successor();
            }
        }
        None
    }

    fn remove_waiter(&mut self, thread: ThreadRef) {
        if let Some(i) = self.entry_list.iter().position(|t| *t == thread) {
            self.entry_list.remove(i);
        } else if let Some(i) = self.cxq.iter().position(|t| *t == thread) {
            self.cxq.remove(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hb(i: u16) -> ThreadRef {
        ThreadRef::Heartbeat(i)
    }

    #[test]
    fn fifo_serves_in_arrival_order() {
        let mut m = Monitor::new(MonitorKind::Fifo);
        assert!(m.request(ThreadRef::Netty));
        for i in 0..5 {
            assert!(!m.request(hb(i)));
        }
        let mut served = Vec::new();
        let mut current = ThreadRef::Netty;
        while let Some(next) = m.release(current) {
            assert!(m.on_wake(next));
            served.push(next);
            current = next;
        }
        assert_eq!(served, (0..5).map(hb).collect::<Vec<_>>());
        assert_eq!(m.owner(), None);
    }

    #[test]
    fn fifo_arrival_does_not_barge() {
        let mut m = Monitor::new(MonitorKind::Fifo);
        assert!(m.request(hb(0)));
        assert!(!m.request(hb(1)));
        assert_eq!(m.release(hb(0)), Some(hb(1)));
        // The monitor is handed to hb(1) even before it wakes: a newcomer must queue.
        assert!(!m.request(ThreadRef::Netty));
        assert_eq!(m.owner(), Some(hb(1)));
    }

    #[test]
    fn barging_newcomer_wins_over_woken_waiter() {
        let mut m = Monitor::new(MonitorKind::Barging);
        assert!(m.request(ThreadRef::Netty));
        assert!(!m.request(hb(0)));
        let woken = m.release(ThreadRef::Netty);
        assert_eq!(woken, Some(hb(0)));
        // The Netty thread asks again before hb(0) wakes up: it barges in.
        assert!(m.request(ThreadRef::Netty));
        assert!(!m.on_wake(hb(0)));
        assert!(m.is_waiting(hb(0)));
        // Next release wakes hb(0) again, and this time nobody barges.
        assert_eq!(m.release(ThreadRef::Netty), Some(hb(0)));
        assert!(m.on_wake(hb(0)));
        assert_eq!(m.owner(), Some(hb(0)));
        assert_eq!(m.waiters(), 0);
    }

    #[test]
    fn barging_wakes_newest_first() {
        let mut m = Monitor::new(MonitorKind::Barging);
        assert!(m.request(ThreadRef::Netty));
        for i in 0..3 {
            assert!(!m.request(hb(i)));
        }
        assert_eq!(m.release(ThreadRef::Netty), Some(hb(2)));
    }

    #[test]
    fn barging_one_successor_at_a_time() {
        let mut m = Monitor::new(MonitorKind::Barging);
        assert!(m.request(hb(9)));
        assert!(!m.request(hb(0)));
        assert!(!m.request(hb(1)));
        assert_eq!(m.release(hb(9)), Some(hb(1)));
        assert!(m.request(hb(9)));
        // A successor is already on its way: nobody else is woken.
        assert_eq!(m.release(hb(9)), None);
    }

    #[test]
    fn cancel_of_the_successor_wakes_another() {
        let mut m = Monitor::new(MonitorKind::Barging);
        assert!(m.request(hb(9)));
        assert!(!m.request(hb(0)));
        assert!(!m.request(hb(1)));
        let successor = m.release(hb(9)).unwrap();
        let other = m.cancel(successor);
        assert!(other.is_some());
        assert_ne!(other, Some(successor));
    }

    /// Every waiter is eventually served under barging too, as long as releases keep coming.
    #[test]
    fn barging_serves_everyone_eventually() {
        let mut m = Monitor::new(MonitorKind::Barging);
        assert!(m.request(ThreadRef::Netty));
        for i in 0..8 {
            assert!(!m.request(hb(i)));
        }
        let mut served = 0;
        let mut owner = ThreadRef::Netty;
        for _ in 0..100 {
            let woken = m.release(owner);
            match woken {
                Some(thread) => {
                    assert!(m.on_wake(thread));
                    served += 1;
                    owner = thread;
                }
                None => break,
            }
        }
        assert_eq!(served, 8);
    }
}
