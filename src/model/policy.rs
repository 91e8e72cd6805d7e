//! Which `ProducerManager` (and, for 5.3.3, `ConsumerManager`) code the simulated broker runs
//! (SPEC §2.2). Each policy is a small set of switches; the model reads the switches, never the
//! policy's name. `hbsim policies` prints [`Policy::describe`] for every policy.
//!
//! Sources (apache/rocketmq, `broker/src/main/java/org/apache/rocketmq/broker/client/ProducerManager.java`
//! unless named otherwise; review: shared/domain/source-review-2026-12.md §2):
//! - `v4.6.0`: `ReentrantLock groupChannelLock`, `tryLock(3000 ms)`, the operation is skipped on
//!   timeout; the expiry scan also takes the lock and walks every group and channel entry under
//!   it (tag rocketmq-all-4.6.0, lines 42, 76-111).
//! - `leaky` = `v4.9.8`: `synchronized` methods, scan unlocked, empty groups removed only by
//!   `unregisterProducer` when the map was non-empty on entry (tag rocketmq-all-4.9.8).
//! - `fixed` = `v4.9.x-pr8672`: as leaky, plus `scanNotActiveChannel` removes empty groups
//!   (commit 11e049ca14, PR #8672, on branch 4.9.x only: in no release tag).
//! - `v5.0`: `doChannelCloseEvent` also removes a group its removal emptied (tag rocketmq-all-5.0.0).
//! - `v5.3.2`: no `synchronized` (PR #8840); the close walk still costs O(groups) on the Netty
//!   event thread but blocks nobody else.
//! - `v5.3.3`: as v5.3.2 for producers. `BrokerController` builds `new ProducerManager(
//!   brokerStatsManager)` (rocketmq-all-5.3.3 `BrokerController.java:378`), so `brokerConfig` is
//!   null and the producer fast path of `ProducerManager.doChannelCloseEvent` (line 148) is dead
//!   code whatever `enableFastChannelEventProcess` says.
//! - `v5.3.3-fcep`: stock 5.3.3 with `enableFastChannelEventProcess=true`: only
//!   `ConsumerManager.doChannelCloseEvent` (rocketmq-all-5.3.3 `ConsumerManager.java:138`) goes
//!   per channel; the producer walk is still O(all groups).
//! - `unreleased-a6e3bf2b62`: the flag *and* commit a6e3bf2b62 "fix producerManager init"
//!   (2025-08-01, on no branch or tag of the mirror): the producer walk touches only the
//!   channel's groups too. A build nobody ships.

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
    /// 5.3.3 as shipped (flag off): the producer walk of 5.3.2.
    V533,
    /// 5.3.3 with `enableFastChannelEventProcess=true`: per-channel consumer close walk only.
    V533Fcep,
    /// develop + commit a6e3bf2b62 with the flag: per-channel producer and consumer walks.
    UnreleasedA6e3bf2b62,
}

impl Policy {
    /// Every policy, in release order.
    pub const ALL: [Policy; 8] = [
        Policy::V460,
        Policy::Leaky,
        Policy::Fixed,
        Policy::V50,
        Policy::V532,
        Policy::V533,
        Policy::V533Fcep,
        Policy::UnreleasedA6e3bf2b62,
    ];

    /// Parses a policy name as written in scenario files and on the command line.
    pub fn parse(name: &str) -> Option<Policy> {
        match name {
            "v4.6.0" => Some(Policy::V460),
            "leaky" | "v4.9.8" => Some(Policy::Leaky),
            "fixed" | "v4.9.x-pr8672" => Some(Policy::Fixed),
            "v5.0" => Some(Policy::V50),
            "v5.3.2" => Some(Policy::V532),
            "v5.3.3" => Some(Policy::V533),
            "v5.3.3-fcep" => Some(Policy::V533Fcep),
            "unreleased-a6e3bf2b62" => Some(Policy::UnreleasedA6e3bf2b62),
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
            Policy::V533 => "v5.3.3",
            Policy::V533Fcep => "v5.3.3-fcep",
            Policy::UnreleasedA6e3bf2b62 => "unreleased-a6e3bf2b62",
        }
    }

    /// The accepted names, for error messages.
    pub fn names() -> &'static str {
        "v4.6.0, leaky (= v4.9.8), fixed (= v4.9.x-pr8672), v5.0, v5.3.2, v5.3.3, v5.3.3-fcep, unreleased-a6e3bf2b62"
    }

    /// The message for a name `parse` rejected (a renamed policy says what it became).
    pub fn unknown_message(name: &str) -> String {
        if name == "v5.3.3-fast" {
            return "policy `v5.3.3-fast` was removed: stock 5.3.3 never runs the producer fast path \
                    (BrokerController builds ProducerManager without the broker config); use `v5.3.3-fcep` \
                    (the shipped flag: per-channel consumer close only) or `unreleased-a6e3bf2b62` \
                    (the unreleased fix that enables the producer fast path)"
                .to_string();
        }
        format!("unknown policy `{name}` (expected one of {})", Policy::names())
    }

    /// How ProducerManager methods are serialised.
    pub fn lock(self) -> LockKind {
        match self {
            Policy::V460 => LockKind::TryLock,
            Policy::Leaky | Policy::Fixed | Policy::V50 => LockKind::Synchronized,
            Policy::V532 | Policy::V533 | Policy::V533Fcep | Policy::UnreleasedA6e3bf2b62 => LockKind::None,
        }
    }

    /// The expiry scan removes groups whose channel map is empty.
    pub fn scan_removes_empty(self) -> bool {
        !matches!(self, Policy::V460 | Policy::Leaky)
    }

    /// `doChannelCloseEvent` removes a group when its own removal emptied the map.
    pub fn close_removes_emptied(self) -> bool {
        !matches!(self, Policy::V460 | Policy::Leaky | Policy::Fixed)
    }

    /// The expiry scan runs under the lock (only the ReentrantLock era).
    pub fn scan_takes_lock(self) -> bool {
        self == Policy::V460
    }

    /// What a close walk visits.
    pub fn walk_cost(self) -> WalkCost {
        if self == Policy::UnreleasedA6e3bf2b62 {
            WalkCost::ChannelGroups
        } else {
            WalkCost::AllGroups
        }
    }

    /// `ConsumerManager.doChannelCloseEvent` looks only at the channel's own consumer groups
    /// (`enableFastChannelEventProcess`, rocketmq-all-5.3.3 `ConsumerManager.java:138`) instead
    /// of iterating the whole consumer table (every tag before 5.3.3, and 5.3.3 with the flag off).
    pub fn consumer_close_per_channel(self) -> bool {
        matches!(self, Policy::V533Fcep | Policy::UnreleasedA6e3bf2b62)
    }

    /// The RocketMQ releases (or branch/commit) this policy stands for.
    pub fn versions(self) -> &'static str {
        match self {
            Policy::V460 => "4.0.0 … 4.6.0 (ReentrantLock era)",
            Policy::Leaky => "4.6.1 … 4.9.8 (the incident's 4.9.8)",
            Policy::Fixed => "branch 4.9.x with PR #8672 (commit 11e049ca14): in no release tag",
            Policy::V50 => "5.0.0 … 5.3.1",
            Policy::V532 => "5.3.2",
            Policy::V533 => "5.3.3 as shipped (enableFastChannelEventProcess=false, the default)",
            Policy::V533Fcep => "5.3.3 as shipped with enableFastChannelEventProcess=true",
            Policy::UnreleasedA6e3bf2b62 => "no release: develop + commit a6e3bf2b62 (on no branch or tag), flag on",
        }
    }

    /// What the policy changes, in the model's terms.
    pub fn changes(self) -> &'static str {
        match self {
            Policy::V460 => "tryLock(3 s) instead of synchronized: a waiter gives up and skips the registration or walk; the expiry scan holds the lock over every group and channel entry; groups emptied by a close or scan stay (only unregister removes a group)",
            Policy::Leaky => "synchronized register/unregister/close; the close walk is O(all groups) under the monitor; groups emptied by a close stay in the table for ever (the leak)",
            Policy::Fixed => "as leaky, but the 10 s expiry scan removes empty groups: the table stays small, so walks stay short",
            Policy::V50 => "as fixed, and a close also removes a group it emptied",
            Policy::V532 => "no lock at all: heartbeats never wait for a walk; the O(groups) walk still occupies the Netty event thread",
            Policy::V533 => "identical to v5.3.2 (the producer fast path is dead code in the shipped broker)",
            Policy::V533Fcep => "as v5.3.3; the consumer half of a close visits only the channel's consumer group (a shorter gap between walks)",
            Policy::UnreleasedA6e3bf2b62 => "as v5.3.3-fcep, and the producer close walk visits only the channel's groups (O(1) per close)",
        }
    }

    /// Where the behaviour is in the RocketMQ source.
    pub fn source(self) -> &'static str {
        match self {
            Policy::V460 => "rocketmq-all-4.6.0 broker/…/client/ProducerManager.java (lock 42, scan 76-111)",
            Policy::Leaky => "rocketmq-all-4.9.8 broker/…/client/ProducerManager.java (synchronized 105, 125, 148)",
            Policy::Fixed => "apache/rocketmq PR #8672, commit 11e049ca14 on branch 4.9.x, ProducerManager.scanNotActiveChannel",
            Policy::V50 => "rocketmq-all-5.0.0 broker/…/client/ProducerManager.java (close 133-156, scan 125-129)",
            Policy::V532 => "rocketmq-all-5.3.2 ProducerManager.java (PR #8840 removes synchronized)",
            Policy::V533 => "rocketmq-all-5.3.3 BrokerController.java:378 (ProducerManager without brokerConfig), ProducerManager.java:148",
            Policy::V533Fcep => "rocketmq-all-5.3.3 ConsumerManager.java:138 (fast path, brokerConfig passed at BrokerController.java:377)",
            Policy::UnreleasedA6e3bf2b62 => {
                "apache/rocketmq commit a6e3bf2b62 \"fix producerManager init\" (2025-08-01) + ProducerManager.java:148-180"
            }
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
        assert_eq!(Policy::parse("v5.3.3-fast"), None);
        assert!(Policy::unknown_message("v5.3.3-fast").contains("v5.3.3-fcep"));
    }

    #[test]
    fn shipped_533_walks_every_producer_group() {
        // The producer fast path is unreachable in the shipped broker (BrokerController.java:378).
        for policy in [Policy::V533, Policy::V533Fcep] {
            assert_eq!(policy.walk_cost(), WalkCost::AllGroups, "{policy}");
            assert_eq!(policy.lock(), Policy::V532.lock());
        }
        assert_eq!(Policy::UnreleasedA6e3bf2b62.walk_cost(), WalkCost::ChannelGroups);
        assert!(!Policy::V533.consumer_close_per_channel());
        assert!(Policy::V533Fcep.consumer_close_per_channel());
    }
}
