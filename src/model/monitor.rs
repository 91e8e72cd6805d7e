//! The ProducerManager monitor as a simulated data structure: an owner and an entry set. It never
//! uses `std::sync`; it only decides who owns the lock and who must be woken.
//!
//! Three hand-off disciplines (SPEC §2.1, issue 10):
//! - `Fifo`: on release the oldest waiter becomes the owner at once (direct hand-off). A
//!   hypothetical comparison: no JVM lock behaves like this.
//! - `Barging`: modelled on HotSpot's `ObjectMonitor` (objectMonitor.cpp, JDK 8-17, default
//!   `QMode` 0): a thread that arrives while the monitor is free takes it even when others wait;
//!   contended arrivals are pushed on a LIFO list (`cxq`); on release, if no woken successor is on
//!   its way (`_succ`), the `cxq` is moved to the `EntryList` when that is empty (newest first)
//!   and the `EntryList` head is woken. The woken thread competes again after its wake-up latency
//!   and may lose to a barger, in which case it stays where it was and waits for the next release.
//!   With a spin window (`monitor_spin`), a contended requester first spins (`TrySpin` before
//!   enqueueing, `Knob_SpinEarly`) and a futilely woken waiter spins again; spinners set `_succ`
//!   (`Knob_SpinSetSucc`), so the owner's `exit` wakes nobody and the first spinner takes the
//!   monitor at release. A spinner whose window runs out parks (onto the `cxq` if it was not
//!   queued yet).
//! - `Aqs`: `java.util.concurrent.locks.ReentrantLock` (non-fair), which RocketMQ 4.6.0's
//!   ProducerManager uses with `tryLock(3 s)` (`rocketmq-all-4.6.0`
//!   broker/.../client/ProducerManager.java): `tryAcquire` barges when the lock is free; a
//!   contended thread is appended to the CLH queue; `release` → `unparkSuccessor(head)` wakes the
//!   oldest non-cancelled waiter, which retries and, if a barger beat it, parks again at the
//!   front; a timed-out waiter is cancelled and skipped (JDK AbstractQueuedSynchronizer). No spin.

use super::ThreadRef;
use crate::scenario::MonitorKind;
use std::collections::VecDeque;

/// What a release did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Release {
    /// Nobody to wake (no waiter, or a successor or spinner is already on its way).
    Nobody,
    /// This waiter is unparked: it competes when its wake-up latency has passed. Under `Fifo` it
    /// already owns the monitor (hand-off).
    Wake(ThreadRef),
    /// A spinning thread took the monitor at the release (it owns it now; no wake-up).
    Spun(ThreadRef),
}

/// What a request did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// The thread owns the monitor.
    Owned,
    /// The thread spins (HotSpot `TrySpin`): it takes the monitor if it is released before
    /// [`Monitor::stop_spinning`].
    Spinning,
    /// The thread is queued and parked.
    Parked,
}

/// A simulated object monitor.
#[derive(Debug, Clone)]
pub struct Monitor {
    kind: MonitorKind,
    owner: Option<ThreadRef>,
    /// Barging only: contended arrivals, newest last.
    cxq: Vec<ThreadRef>,
    /// Barging: the list woken from its head. Fifo and Aqs: the queue of waiters, oldest first.
    entry_list: VecDeque<ThreadRef>,
    /// Barging and Aqs: a woken waiter whose wake-up is in flight.
    successor: Option<ThreadRef>,
    /// Barging only: spinning threads, in arrival order (queued or not).
    spinners: Vec<ThreadRef>,
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
            spinners: Vec::new(),
        }
    }

    /// The hand-off discipline.
    #[inline]
    pub fn kind(&self) -> MonitorKind {
        self.kind
    }

    /// The current owner.
    #[inline]
    pub fn owner(&self) -> Option<ThreadRef> {
        self.owner
    }

    /// Barging and Aqs: the woken waiter whose wake-up is in flight (HotSpot's `_succ`).
    #[inline]
    pub fn successor(&self) -> Option<ThreadRef> {
        self.successor
    }

    /// Threads waiting to enter (parked or spinning).
    #[inline]
    pub fn waiters(&self) -> usize {
        self.cxq.len() + self.entry_list.len() + self.spinners.iter().filter(|t| !self.is_queued(**t)).count()
    }

    fn is_queued(&self, thread: ThreadRef) -> bool {
        self.cxq.contains(&thread) || self.entry_list.contains(&thread)
    }

    /// True when `thread` is in the entry set (parked or spinning).
    pub fn is_waiting(&self, thread: ThreadRef) -> bool {
        self.is_queued(thread) || self.spinners.contains(&thread)
    }

    /// True when `thread` spins.
    pub fn is_spinning(&self, thread: ThreadRef) -> bool {
        self.spinners.contains(&thread)
    }

    /// `thread` asks for the monitor and parks if it cannot have it. Returns true when it owns
    /// it now.
    pub fn request(&mut self, thread: ThreadRef) -> bool {
        self.enter(thread, false) == Entry::Owned
    }

    /// `thread` asks for the monitor; with `may_spin` (barging only) a contended request spins
    /// instead of parking.
    pub fn enter(&mut self, thread: ThreadRef, may_spin: bool) -> Entry {
        assert_ne!(self.owner, Some(thread), "{thread:?} re-entered a monitor it owns");
        debug_assert!(!self.is_waiting(thread), "{thread:?} asked twice");
        let free = self.owner.is_none();
        match self.kind {
            MonitorKind::Barging | MonitorKind::Aqs if free => {
                self.owner = Some(thread);
                Entry::Owned
            }
            MonitorKind::Fifo if free && self.entry_list.is_empty() => {
                self.owner = Some(thread);
                Entry::Owned
            }
            MonitorKind::Barging if may_spin => {
                self.spinners.push(thread);
                Entry::Spinning
            }
            MonitorKind::Barging => {
                self.cxq.push(thread);
                Entry::Parked
            }
            MonitorKind::Fifo | MonitorKind::Aqs => {
                self.entry_list.push_back(thread);
                Entry::Parked
            }
        }
    }

    /// A spinning `thread` gives up and parks: onto the `cxq` if it was not queued yet, else it
    /// stays where it was (a futilely woken waiter). Returns false when it was not spinning.
    pub fn stop_spinning(&mut self, thread: ThreadRef) -> bool {
        let Some(i) = self.spinners.iter().position(|t| *t == thread) else {
            return false;
        };
        self.spinners.remove(i);
        if !self.is_queued(thread) {
            self.cxq.push(thread);
        }
        true
    }

    /// The owner `thread` releases the monitor: a spinner takes it at once, or one waiter is
    /// woken (under `Fifo` it already owns the monitor; under `Barging`/`Aqs` it will compete
    /// when it wakes).
    pub fn release(&mut self, thread: ThreadRef) -> Release {
        assert_eq!(self.owner, Some(thread), "{thread:?} released a monitor it does not own");
        self.owner = None;
        match self.kind {
            MonitorKind::Fifo => {
                let next = self.entry_list.pop_front();
                self.owner = next;
                next.map_or(Release::Nobody, Release::Wake)
            }
            MonitorKind::Barging if !self.spinners.is_empty() => {
                // A spinner set _succ: exit wakes nobody, and the spinner's CAS wins at release.
                let next = self.spinners.remove(0);
                self.remove_queued(next);
                self.owner = Some(next);
                Release::Spun(next)
            }
            MonitorKind::Barging | MonitorKind::Aqs => self.choose_successor().map_or(Release::Nobody, Release::Wake),
        }
    }

    fn choose_successor(&mut self) -> Option<ThreadRef> {
        if self.successor.is_some() {
            return None;
        }
        if self.kind == MonitorKind::Barging && self.entry_list.is_empty() {
            // Move the cxq over, newest first (HotSpot's default QMode).
            while let Some(thread) = self.cxq.pop() {
                self.entry_list.push_back(thread);
            }
        }
        self.successor = self.entry_list.front().copied();
        self.successor
    }

    /// A woken `thread` competes. Returns true when it owns the monitor now; with `may_spin`
    /// (barging) a thread that finds it taken spins again while staying queued.
    pub fn on_wake(&mut self, thread: ThreadRef, may_spin: bool) -> bool {
        match self.kind {
            MonitorKind::Fifo => {
                assert_eq!(self.owner, Some(thread), "fifo hand-off to {thread:?} lost its ownership");
                true
            }
            MonitorKind::Barging | MonitorKind::Aqs => {
                if self.successor == Some(thread) {
                    self.successor = None;
                }
                if self.owner == Some(thread) {
                    return true;
                }
                if self.owner.is_some() {
                    if may_spin && self.kind == MonitorKind::Barging && !self.spinners.contains(&thread) {
                        self.spinners.push(thread);
                    }
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
            if self.owner.is_none() && self.kind != MonitorKind::Fifo {
                return self.choose_successor();
            }
        }
        None
    }

    fn remove_queued(&mut self, thread: ThreadRef) {
        if let Some(i) = self.entry_list.iter().position(|t| *t == thread) {
            self.entry_list.remove(i);
        } else if let Some(i) = self.cxq.iter().position(|t| *t == thread) {
            self.cxq.remove(i);
        }
    }

    fn remove_waiter(&mut self, thread: ThreadRef) {
        self.remove_queued(thread);
        if let Some(i) = self.spinners.iter().position(|t| *t == thread) {
            self.spinners.remove(i);
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
        while let Release::Wake(next) = m.release(current) {
            assert!(m.on_wake(next, false));
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
        assert_eq!(m.release(hb(0)), Release::Wake(hb(1)));
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
        assert_eq!(woken, Release::Wake(hb(0)));
        // The Netty thread asks again before hb(0) wakes up: it barges in.
        assert!(m.request(ThreadRef::Netty));
        assert!(!m.on_wake(hb(0), false));
        assert!(m.is_waiting(hb(0)));
        // Next release wakes hb(0) again, and this time nobody barges.
        assert_eq!(m.release(ThreadRef::Netty), Release::Wake(hb(0)));
        assert!(m.on_wake(hb(0), false));
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
        assert_eq!(m.release(ThreadRef::Netty), Release::Wake(hb(2)));
    }

    #[test]
    fn barging_one_successor_at_a_time() {
        let mut m = Monitor::new(MonitorKind::Barging);
        assert!(m.request(hb(9)));
        assert!(!m.request(hb(0)));
        assert!(!m.request(hb(1)));
        assert_eq!(m.release(hb(9)), Release::Wake(hb(1)));
        assert!(m.request(hb(9)));
        // A successor is already on its way: nobody else is woken.
        assert_eq!(m.release(hb(9)), Release::Nobody);
    }

    #[test]
    fn cancel_of_the_successor_wakes_another() {
        let mut m = Monitor::new(MonitorKind::Barging);
        assert!(m.request(hb(9)));
        assert!(!m.request(hb(0)));
        assert!(!m.request(hb(1)));
        let Release::Wake(successor) = m.release(hb(9)) else {
            panic!("nobody woken")
        };
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
                Release::Wake(thread) => {
                    assert!(m.on_wake(thread, false));
                    served += 1;
                    owner = thread;
                }
                _ => break,
            }
        }
        assert_eq!(served, 8);
    }

    #[test]
    fn spinner_takes_the_monitor_at_release_and_suppresses_the_wake() {
        let mut m = Monitor::new(MonitorKind::Barging);
        assert!(m.request(hb(9)));
        assert!(!m.request(hb(0)));
        assert_eq!(m.enter(ThreadRef::Netty, true), Entry::Spinning);
        assert!(m.is_waiting(ThreadRef::Netty));
        // hb(0) is parked, but the spinner set _succ: it gets the monitor and nobody is woken.
        assert_eq!(m.release(hb(9)), Release::Spun(ThreadRef::Netty));
        assert_eq!(m.owner(), Some(ThreadRef::Netty));
        assert_eq!(m.waiters(), 1);
        // Without a spinner the parked waiter is woken.
        assert_eq!(m.release(ThreadRef::Netty), Release::Wake(hb(0)));
    }

    #[test]
    fn a_spinner_whose_window_ends_parks_on_the_cxq() {
        let mut m = Monitor::new(MonitorKind::Barging);
        assert!(m.request(hb(9)));
        assert_eq!(m.enter(ThreadRef::Netty, true), Entry::Spinning);
        assert!(m.stop_spinning(ThreadRef::Netty));
        assert!(!m.stop_spinning(ThreadRef::Netty));
        assert!(m.is_waiting(ThreadRef::Netty));
        assert_eq!(m.release(hb(9)), Release::Wake(ThreadRef::Netty));
    }

    #[test]
    fn a_futilely_woken_waiter_spins_while_queued() {
        let mut m = Monitor::new(MonitorKind::Barging);
        assert!(m.request(ThreadRef::Netty));
        assert!(!m.request(hb(0)));
        assert_eq!(m.release(ThreadRef::Netty), Release::Wake(hb(0)));
        assert!(m.request(hb(1)));
        assert!(!m.on_wake(hb(0), true));
        assert!(m.is_spinning(hb(0)));
        assert_eq!(m.release(hb(1)), Release::Spun(hb(0)));
        assert_eq!(m.waiters(), 0);
    }

    #[test]
    fn aqs_barges_when_free_and_wakes_the_oldest() {
        let mut m = Monitor::new(MonitorKind::Aqs);
        assert!(m.request(ThreadRef::Netty));
        for i in 0..3 {
            assert!(!m.request(hb(i)));
        }
        // Oldest first, unlike HotSpot's newest-first cxq.
        assert_eq!(m.release(ThreadRef::Netty), Release::Wake(hb(0)));
        // A barger takes the free lock before hb(0) runs; hb(0) parks again at the front.
        assert!(m.request(ThreadRef::Netty));
        assert!(!m.on_wake(hb(0), true));
        assert!(!m.is_spinning(hb(0)));
        assert_eq!(m.release(ThreadRef::Netty), Release::Wake(hb(0)));
        assert!(m.on_wake(hb(0), false));
        // A cancelled waiter is skipped.
        assert_eq!(m.cancel(hb(1)), None);
        assert_eq!(m.release(hb(0)), Release::Wake(hb(2)));
    }
}
