//! Which `ProducerManager` code the simulated broker runs (SPEC §2.2). Each policy is a small set
//! of switches; the model reads the switches, never the policy's name.
//!
//! Sources (apache/rocketmq, `broker/src/main/java/org/apache/rocketmq/broker/client/ProducerManager.java`):
//! - `v4.6.0`: `ReentrantLock groupChannelLock`, `tryLock(3000 ms)`, the operation is skipped on
//!   timeout; the expiry scan also takes the lock (tag rocketmq-all-4.6.0).
//! - `leaky` = `v4.9.8`: `synchronized` methods, scan unlocked, empty groups removed only by
//!   `unregisterProducer` when the map was non-empty on entry (tag rocketmq-all-4.9.8).
//! - `fixed` = `v4.9.x-pr8672`: as leaky, plus `scanNotActiveChannel` removes empty groups
//!   (commit 11e049ca14 on branch 4.9.x).
//! - `v5.0`: `doChannelCloseEvent` also removes a group its removal emptied (tag rocketmq-all-5.0.0).
//! - `v5.3.2`: no `synchronized` (PR #8840); the close walk still costs O(groups) on the Netty
//!   event thread but blocks nobody else.
//! - `v5.3.3-fast`: `enableFastChannelEventProcess`: the walk touches only the channel's groups.

use std::fmt;

/// How the ProducerManager methods are serialised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockKind {
    /// An object monitor (`synchronized`), waits unbounded.
    Synchronized,
    /// `ReentrantLock.tryLock(timeout)`: skip the operation when the wait times out.
    TryLock,
    /// No lock at all (lock-free maps).
    None,
}

/// How long a close walk holds the Netty event thread (and the lock, if any).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WalkCost {
    /// Every group in the table is visited.
    AllGroups,
    /// Only the groups the closing channel belongs to.
    ChannelGroups,
}

/// A broker code variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Policy {
    /// 4.0.0 … 4.6.0.
    V460,
    /// 4.6.1 … 4.9.8: the incident's code.
    Leaky,
    /// 4.9.x with PR #8672.
    Fixed,
    /// 5.0.0 … 5.3.1.
    V50,
    /// 5.3.2.
    V532,
    /// 5.3.3 with `enableFastChannelEventProcess=true`.
    V533Fast,
}

impl Policy {
    /// Every policy, in release order.
    pub const ALL: [Policy; 6] = [
        Policy::V460,
        Policy::Leaky,
        Policy::Fixed,
        Policy::V50,
        Policy::V532,
        Policy::V533Fast,
    ];

    /// Parses a policy name as written in scenario files and on the command line.
    pub fn parse(name: &str) -> Option<Policy> {
        match name {
            "v4.6.0" => Some(Policy::V460),
            "leaky" | "v4.9.8" => Some(Policy::Leaky),
            "fixed" | "v4.9.x-pr8672" => Some(Policy::Fixed),
            "v5.0" => Some(Policy::V50),
            "v5.3.2" => Some(Policy::V532),
            "v5.3.3-fast" => Some(Policy::V533Fast),
            _ => None,
        }
    }

    /// The canonical name (used for output folders and tables).
    pub fn name(self) -> &'static str {
        match self {
            Policy::V460 => "v4.6.0",
            Policy::Leaky => "leaky",
            Policy::Fixed => "fixed",
            Policy::V50 => "v5.0",
            Policy::V532 => "v5.3.2",
            Policy::V533Fast => "v5.3.3-fast",
        }
    }

    /// The accepted names, for error messages.
    pub fn names() -> &'static str {
        "v4.6.0, leaky (= v4.9.8), fixed (= v4.9.x-pr8672), v5.0, v5.3.2, v5.3.3-fast"
    }

    /// How ProducerManager methods are serialised.
    pub fn lock(self) -> LockKind {
        match self {
            Policy::V460 => LockKind::TryLock,
            Policy::Leaky | Policy::Fixed | Policy::V50 => LockKind::Synchronized,
            Policy::V532 | Policy::V533Fast => LockKind::None,
        }
    }

    /// The expiry scan removes groups whose channel map is empty.
    pub fn scan_removes_empty(self) -> bool {
        !matches!(self, Policy::V460 | Policy::Leaky)
    }

    /// `doChannelCloseEvent` removes a group when its own removal emptied the map.
    pub fn close_removes_emptied(self) -> bool {
        matches!(self, Policy::V50 | Policy::V532 | Policy::V533Fast)
    }

    /// The expiry scan runs under the lock (only the ReentrantLock era).
    pub fn scan_takes_lock(self) -> bool {
        self == Policy::V460
    }

    /// What a close walk visits.
    pub fn walk_cost(self) -> WalkCost {
        if self == Policy::V533Fast {
            WalkCost::ChannelGroups
        } else {
            WalkCost::AllGroups
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for policy in Policy::ALL {
            assert_eq!(Policy::parse(policy.name()), Some(policy));
        }
        assert_eq!(Policy::parse("v4.9.8"), Some(Policy::Leaky));
        assert_eq!(Policy::parse("nope"), None);
    }
}
