//! The closed-form side of `hbsim assess`: the loop gain of the close-walk → timeout → close
//! feedback, the trigger that starts it, and the table size at which it becomes self-sustaining.
//! Every input comes from a validated scenario, so the figures follow the model's defaults.
//! The derivation is in docs/assess.md ("Loop gain").
//!
//! The feedback it estimates, as decided in RocketMQ (tag rocketmq-all-4.9.8):
//! - broker/…/client/ClientHousekeepingService.java: `onChannelClose`, `onChannelIdle` and
//!   `onChannelException` each call `ProducerManager.doChannelCloseEvent` (one walk per event);
//! - broker/…/client/ProducerManager.java: `doChannelCloseEvent` and `registerProducer` are
//!   `synchronized` on the same instance (the walk blocks every heartbeat);
//! - remoting/…/netty/NettyRemotingClient.java `invokeSync`: on `RemotingTimeoutException` the
//!   client closes the channel when `clientCloseSocketIfTimeout` is set (one more CLOSE);
//! - client/…/ClientConfig.java: `heartbeatBrokerInterval` 30 s, `mqClientApiTimeout` 3 s (the
//!   model's `clients.heartbeat_interval` and `rpc_timeout`, read from the scenario here).

use crate::model::policy::{LockKind, Policy, WalkCost};
use crate::scenario::{Dist, Scenario};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// What the estimate needs from a scenario (means in ns, rates per second on one broker).
#[derive(Debug, Clone)]
pub struct Params {
    pub policy: Policy,
    pub close_base_ns: f64,
    pub per_group_ns: f64,
    pub gap: Dist,
    pub wake: Dist,
    /// The walker's exit that wakes a waiter: it returns after this plus the gap.
    pub exit: Dist,
    /// The race behind walks of at least `monitor_long_park` (`None`: off).
    pub long_walk: Option<LongWalk>,
    /// The race behind walks of at least `monitor_very_long_park` (`None`: off).
    pub very_long_walk: Option<LongWalk>,
    pub rpc_timeout_ns: f64,
    /// Heartbeats per second arriving at one broker (every client heartbeats every broker).
    pub heartbeat_rate: f64,
    /// Close walks per second on one broker from churn and periodic groups (not from timeouts).
    pub background_walk_rate: f64,
    pub close_socket_on_timeout: bool,
    pub live_groups: f64,
    pub periodic_alive: f64,
}

/// Behind a walk that held the monitor at least `threshold_ns`, the waiter has been parked that
/// long: it wakes with the long-park wake-up, the walker pays the long-park exit, and the event
/// thread's gap grows by `extra` (`netty_event_gap_long_walk_extra`).
#[derive(Debug, Clone)]
pub struct LongWalk {
    pub threshold_ns: f64,
    pub wake: Dist,
    /// The wake-up counted from the end of the walker's exit (`monitor_wake_after_exit_long_park`):
    /// the race is then the two sides after that exit, which cancels from both.
    pub wake_after_exit: Option<Dist>,
    /// The wake-up behind the walker's busy gap (`monitor_wake_latency_long_park_gap`) and the
    /// share of releases that draw it (`BrokerParams::long_park_gap_weight`), as the engine weighs it in.
    pub gap_wake: Option<(Dist, f64)>,
    pub exit: Dist,
    pub extra: Dist,
}

impl Params {
    /// Reads the parameters of `scenario` (one broker's view).
    pub fn from_scenario(scenario: &Scenario, policy: Policy) -> Params {
        let b = &scenario.broker;
        let c = &scenario.clients;
        let brokers = f64::from(b.count);
        let consumers: u32 = scenario.consumer_groups.iter().map(|g| g.consumers).sum();
        let producers: u32 = scenario.producers.iter().map(|p| p.instances).sum();
        let clients = f64::from(scenario.background.clients) + f64::from(consumers) + f64::from(producers);
        let interval_s = c.heartbeat_interval.mean_ns() / 1e9;
        let churn = match &scenario.background.reconnect_interval {
            // Each drop closes the channel to one random broker; abnormal drops walk twice.
            Some(d) => {
                f64::from(scenario.background.clients) / (d.mean_ns() / 1e9) / brokers
                    * (1.0 + scenario.background.abnormal_disconnect_share)
            }
            None => 0.0,
        };
        let (create_rate, lifetime_s) = match &scenario.groups.create_interval {
            Some(d) => (1e9 / d.mean_ns(), scenario.groups.lifetime.mean_ns() / 1e9),
            None => (0.0, 0.0),
        };
        Params {
            policy,
            close_base_ns: b.close_cost_base.mean_ns(),
            per_group_ns: b.close_cost_per_group.mean_ns(),
            gap: b.netty_event_gap,
            wake: b.monitor_wake_latency,
            exit: b.monitor_exit_cost,
            long_walk: (b.monitor_long_park_ns > 0).then(|| LongWalk {
                threshold_ns: b.monitor_long_park_ns as f64,
                wake: b.monitor_wake_latency_long_park.unwrap_or(b.monitor_wake_latency),
                wake_after_exit: b.monitor_wake_after_exit_long_park,
                gap_wake: b
                    .monitor_wake_latency_long_park_gap
                    .filter(|_| b.long_park_gap_weight() > 0.0 && b.monitor_wake_after_exit_long_park.is_none())
                    .map(|d| (d, b.long_park_gap_weight())),
                exit: b.monitor_exit_cost_long_park.unwrap_or(b.monitor_exit_cost),
                extra: b.netty_event_gap_long_walk_extra,
            }),
            very_long_walk: (b.monitor_long_park_ns > 0 && b.monitor_very_long_park_ns > 0).then(|| LongWalk {
                threshold_ns: b.monitor_very_long_park_ns as f64,
                wake: b
                    .monitor_wake_latency_very_long_park
                    .or(b.monitor_wake_latency_long_park)
                    .unwrap_or(b.monitor_wake_latency),
                // The tier's own wake-up (from the release) where it sets one, as the engine.
                wake_after_exit: b
                    .monitor_wake_latency_very_long_park
                    .is_none()
                    .then_some(b.monitor_wake_after_exit_long_park)
                    .flatten(),
                // As the engine: the tier's own wake-up (where it sets one) is not weighed.
                gap_wake: b
                    .monitor_wake_latency_long_park_gap
                    .filter(|_| {
                        b.long_park_gap_weight() > 0.0
                            && b.monitor_wake_latency_very_long_park.is_none()
                            && b.monitor_wake_after_exit_long_park.is_none()
                    })
                    .map(|d| (d, b.long_park_gap_weight())),
                exit: b
                    .monitor_exit_cost_very_long_park
                    .or(b.monitor_exit_cost_long_park)
                    .unwrap_or(b.monitor_exit_cost),
                extra: b.netty_event_gap_long_walk_extra,
            }),
            rpc_timeout_ns: c.rpc_timeout_ns as f64,
            heartbeat_rate: clients / interval_s,
            // A periodic group's producer closes its channel to every broker when it shuts down.
            background_walk_rate: churn + create_rate,
            close_socket_on_timeout: c.close_socket_on_timeout,
            live_groups: f64::from(scenario.background.live_groups),
            periodic_alive: create_rate * lifetime_s,
        }
    }

    /// Groups a close walk visits when the table holds `groups` (leaked included).
    pub fn walked_groups(&self, groups: f64) -> f64 {
        if self.policy.walk_cost() == WalkCost::ChannelGroups {
            // Only the closing channel's own groups: CLIENT_INNER_PRODUCER and its group.
            return 2.0;
        }
        if self.policy.scan_removes_empty() {
            // PR #8672 and later: the expiry scan (every 10 s) removes empty groups, so the
            // table holds the live groups and the periodic groups still alive.
            return self.live_groups + self.periodic_alive;
        }
        groups
    }

    /// Mean hold of one close walk [ns].
    pub fn walk_ns(&self, groups: f64) -> f64 {
        self.close_base_ns + self.per_group_ns * self.walked_groups(groups)
    }

    /// The race at the walker's release behind a walk of `walk_ns`: the woken waiter's wake-up,
    /// and the parts of the walker's way back (its exit, the gap, and behind a long walk the
    /// extra).
    /// Where the wake-up counts from the end of the walker's exit, the two sides after it: the
    /// wake-up against the gap and the extra.
    pub fn race(&self, walk_ns: f64) -> (&Dist, Vec<&Dist>) {
        match self.tier(walk_ns) {
            Some(l) => match &l.wake_after_exit {
                Some(after) => (after, vec![&self.gap, &l.extra]),
                None => (&l.wake, vec![&l.exit, &self.gap, &l.extra]),
            },
            None => (&self.wake, vec![&self.exit, &self.gap]),
        }
    }

    /// P(a woken heir wins the gap after a walk of `walk_ns`): the race of [`Self::race`], and
    /// behind a long walk with a busy gap the wake-up behind it weighed in as the engine draws it.
    pub fn heir_win_probability(&self, walk_ns: f64) -> f64 {
        let (wake, back) = self.race(walk_ns);
        let win = win_probability(wake, &back);
        match self.tier(walk_ns).and_then(|l| l.gap_wake.as_ref()) {
            Some((gap_wake, weight)) => (1.0 - weight) * win + weight * win_probability(gap_wake, &back),
            None => win,
        }
    }

    /// The long-walk tier behind a walk of `walk_ns`, if any.
    fn tier(&self, walk_ns: f64) -> Option<&LongWalk> {
        [self.very_long_walk.as_ref(), self.long_walk.as_ref()]
            .into_iter()
            .flatten()
            .find(|l| walk_ns >= l.threshold_ns)
    }

    /// The walker's way back after a walk of `walk_ns`: its exit, the gap, and behind a long
    /// walk the extra.
    pub fn way_back(&self, walk_ns: f64) -> Vec<&Dist> {
        match self.tier(walk_ns) {
            Some(l) => vec![&l.exit, &self.gap, &l.extra],
            None => vec![&self.exit, &self.gap],
        }
    }

    /// Mean Netty time of one close walk plus its way back to the next (exit and gap) [ns].
    pub fn walk_cycle_ns(&self, groups: f64) -> f64 {
        let walk = self.walk_ns(groups);
        walk + self.way_back(walk).iter().map(|d| d.mean_ns()).sum::<f64>()
    }
}

/// Probability that a woken heartbeat thread comes back before the Netty thread does (and so
/// wins the monitor between two walks): P(wake < the sum of `back`: the walker's exit and gap),
/// estimated from 20,000 seeded draws of each distribution (exact for constants).
pub fn win_probability(wake: &Dist, back: &[&Dist]) -> f64 {
    win_probability_shifted(wake, 0.0, back)
}

/// As [`win_probability`], with every wake-up later by `shift_ns` (earlier when negative; a
/// wake-up never below 0). The draws are the same for every shift, so the probability falls
/// monotonically as the shift grows.
pub fn win_probability_shifted(wake: &Dist, shift_ns: f64, back: &[&Dist]) -> f64 {
    let shifted = |w: u64| (w as f64 + shift_ns).max(0.0);
    let consts: Option<Vec<u64>> = back
        .iter()
        .map(|d| match d {
            Dist::Const(v) => Some(*v),
            _ => None,
        })
        .collect();
    if let (Dist::Const(w), Some(b)) = (wake, consts) {
        return if shifted(*w) < b.iter().sum::<u64>() as f64 { 1.0 } else { 0.0 };
    }
    let mut rng = ChaCha8Rng::seed_from_u64(0x6173_7365_7373);
    let n = 20_000;
    let wins = (0..n)
        .filter(|_| {
            let w = shifted(wake.sample(&mut rng));
            w < back.iter().map(|d| d.sample(&mut rng)).fold(0u64, u64::saturating_add) as f64
        })
        .count();
    wins as f64 / n as f64
}

/// The shift [ns] of the wake-up `wake` at which a woken waiter wins the race against `back`
/// with probability `share`: how much later (or earlier) than the separately measured wake-up
/// the waiters of a loop come back, given the share of gaps they won in it. Bisection to 0.1 µs
/// between −10 ms and +10 ms; a share that no shift reaches in that range gets the range's end.
pub fn race_wake_shift_ns(wake: &Dist, back: &[&Dist], share: f64) -> f64 {
    let (mut lo, mut hi) = (-10e6, 10e6);
    while hi - lo > 100.0 {
        let mid = 0.5 * (lo + hi);
        if win_probability_shifted(wake, mid, back) > share {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The race's draws kept ([`win_probability_shifted`]'s: the same seed, the same order), so that
/// many transforms of the wake-up can be tried against them cheaply.
pub struct RaceDraws {
    /// (wake-up, the walker's way back) [ns].
    draws: Vec<(f64, f64)>,
}

impl RaceDraws {
    pub fn new(wake: &Dist, back: &[&Dist]) -> RaceDraws {
        let mut rng = ChaCha8Rng::seed_from_u64(0x6173_7365_7373);
        let draws = (0..20_000)
            .map(|_| {
                let w = wake.sample(&mut rng) as f64;
                let b = back.iter().map(|d| d.sample(&mut rng)).fold(0u64, u64::saturating_add) as f64;
                (w, b)
            })
            .collect();
        RaceDraws { draws }
    }

    /// P(`shift_ns` + `scale` × wake < back), the wake-up never below 0.
    pub fn win(&self, shift_ns: f64, scale: f64) -> f64 {
        let wins = self.draws.iter().filter(|(w, b)| (scale * w + shift_ns).max(0.0) < *b).count();
        wins as f64 / self.draws.len() as f64
    }

    /// The shift [ns] at which, with `scale`, the wake-up wins with probability `share`
    /// (bisection to 0.1 µs between −10 ms and +10 ms, as [`race_wake_shift_ns`]).
    pub fn shift_for(&self, scale: f64, share: f64) -> f64 {
        let (mut lo, mut hi) = (-10e6, 10e6);
        while hi - lo > 100.0 {
            let mid = 0.5 * (lo + hi);
            if self.win(mid, scale) > share {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    }
}

/// The smallest and largest scale [`race_wake_affine`] tries.
pub const RACE_SCALE_RANGE: (f64, f64) = (0.1, 4.0);

/// The wake-up transformed as `shift + scale × wake` so that it wins two races: with probability
/// `share_a` against `back_a` and `share_b` against `back_b` (the loop's race with no gap between
/// walks and with one; both sides drawn as in [`win_probability`]). One share pins the wake-up's
/// quantile at that share and the other another quantile: a shift alone moves both together. For
/// each scale the shift is fitted to the first race; the scale is then bisected (geometrically,
/// in [`RACE_SCALE_RANGE`]) on the second. Returns (shift [ns], scale, whether the scale hit the
/// range's end: the second share not reached).
pub fn race_wake_affine(wake: &Dist, back_a: &[&Dist], share_a: f64, back_b: &[&Dist], share_b: f64) -> (f64, f64, bool) {
    let (a, b) = (RaceDraws::new(wake, back_a), RaceDraws::new(wake, back_b));
    // With the first race held, a wider wake-up (a larger scale) puts more of it late: the second
    // race is won less often as the scale grows.
    let second = |scale: f64| b.win(a.shift_for(scale, share_a), scale);
    let (mut lo, mut hi) = RACE_SCALE_RANGE;
    if second(lo) < share_b {
        return (a.shift_for(lo, share_a), lo, true);
    }
    if second(hi) > share_b {
        return (a.shift_for(hi, share_a), hi, true);
    }
    for _ in 0..30 {
        let mid = (lo * hi).sqrt();
        if second(mid) > share_b {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let scale = (lo * hi).sqrt();
    (a.shift_for(scale, share_a), scale, false)
}

/// A share of gaps won, `won` of `gaps`, as the race's target: the plain ratio, kept half a gap
/// off 0 and 1 (no finite shift makes a race never or always won).
pub fn race_share(won: u64, gaps: u64) -> f64 {
    let n = gaps.max(1) as f64;
    (won as f64).clamp(0.5, n - 0.5) / n
}

/// The closed-form figures at one table size.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Estimate {
    /// Groups a walk visits.
    pub walked_groups: f64,
    /// One close walk plus the gap after it [ms].
    pub walk_cycle_ms: f64,
    /// Heartbeats per second at the broker.
    pub heartbeat_rate_per_s: f64,
    /// P(a woken heartbeat thread wins the monitor between two walks).
    pub win_probability: f64,
    /// Closes caused per close walk once heartbeats time out (K).
    pub loop_gain: f64,
    /// Share of the Netty thread's time spent on background walks (ρ).
    pub netty_load: f64,
    /// K + ρ: ≥ 1 means a backlog beyond the RPC timeout never drains by itself.
    pub sustain: f64,
    /// Abnormal disconnects (IDLE + CLOSE: two walks) within the RPC timeout that tip it;
    /// `None` when no burst can (sustain < 1).
    pub trigger_disconnects: Option<u64>,
    /// Table size at which sustain reaches 1 (`None` when the walk does not depend on it).
    pub metastable_groups: Option<f64>,
}

/// Evaluates the model at `groups`.
pub fn estimate(p: &Params, groups: f64) -> Estimate {
    let cycle_ns = p.walk_cycle_ns(groups);
    let cycle_s = cycle_ns / 1e9;
    let win = p.heir_win_probability(p.walk_ns(groups));
    let back_ns: f64 = p.way_back(p.walk_ns(groups)).iter().map(|d| d.mean_ns()).sum();
    let blocks = p.policy.lock() != LockKind::None;
    // While the Netty thread walks back to back, heartbeats are served only when a woken
    // thread wins a gap (about one per cycle): the rest wait for the whole busy period, and
    // every heartbeat that waits past the RPC timeout closes its socket: one more walk.
    let loop_gain = if blocks && p.close_socket_on_timeout {
        (p.heartbeat_rate * cycle_s - win).max(0.0)
    } else {
        0.0
    };
    let netty_load = p.background_walk_rate * cycle_s;
    let sustain = loop_gain + netty_load;
    let trigger_disconnects = (sustain >= 1.0 && loop_gain > 0.0).then(|| {
        // The burst must keep the Netty thread busy for longer than the RPC timeout; the
        // background walks fill (ρ) of that time.
        let walks = (p.rpc_timeout_ns * (1.0 - netty_load).max(0.0) / cycle_ns).ceil();
        ((walks / 2.0).ceil() as u64).max(1)
    });
    let depends_on_table = blocks
        && p.close_socket_on_timeout
        && p.policy.walk_cost() == WalkCost::AllGroups
        && !p.policy.scan_removes_empty()
        && p.per_group_ns > 0.0;
    let metastable_groups = depends_on_table.then(|| {
        // (λ + r_bg)(W(G) + g) − p_win = 1  ⇒  G* = ((1 + p_win)/(λ + r_bg) − base − gap)/per_group.
        let rate = p.heartbeat_rate + p.background_walk_rate;
        let cycle_star_ns = (1.0 + win) / rate * 1e9;
        ((cycle_star_ns - p.close_base_ns - back_ns) / p.per_group_ns).max(0.0)
    });
    Estimate {
        walked_groups: p.walked_groups(groups),
        walk_cycle_ms: cycle_ns / 1e6,
        heartbeat_rate_per_s: p.heartbeat_rate,
        win_probability: win,
        loop_gain,
        netty_load,
        sustain,
        trigger_disconnects,
        metastable_groups,
    }
}

/// The plausible range of each uncertain parameter (docs/assess.md cites the sources).
#[derive(Debug, Clone, Serialize)]
pub struct Ranges {
    pub per_group_ns: (f64, f64),
    pub wake_mean_us: (f64, f64),
    pub gap_mean_us: (f64, f64),
    /// Which of the three a calibration or a measured walk pinned. A pinned wake-up or gap keeps
    /// its own distribution at every corner; a pinned walk varies only over `measured_walk`.
    pub pinned: Vec<String>,
    /// Where the walk-per-group range comes from.
    pub per_group_basis: String,
}

/// Walk per group: 18 ns (issue #10, hot JVM) … 1.06 µs (issue #7737: 24.8 ms at 23.5K groups).
pub const PER_GROUP_RANGE_NS: (f64, f64) = (18.0, 1060.0);
/// Wake latency: p50 40–90 µs (issue #10), as exponential means p50 / ln 2.
pub const WAKE_P50_RANGE_US: (f64, f64) = (40.0, 90.0);
/// Gap after a walk: 15 µs (incident files) … 50 µs (the default); exit ~20 µs measured.
pub const GAP_RANGE_US: (f64, f64) = (15.0, 50.0);

impl Ranges {
    /// Is `key` pinned (set by a calibration or a measured walk)?
    pub fn is_pinned(&self, key: &str) -> bool {
        self.pinned.iter().any(|k| k == key)
    }
}

/// Where the walk per group comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WalkSource {
    /// Nobody measured it: the plausible range.
    Plausible,
    /// A walk measured on the broker itself (`--close-walk-time`): pinned.
    Broker,
    /// A calibration's walk on the harness's table, with its fastest and slowest walk per group
    /// for this table where it measured the table hot and cold (`Calibration::walk_per_group_range`).
    Calibration(Option<(f64, f64)>),
}

/// The ranges, widened to include the central value, or collapsed to it where pinned. A walk from
/// a calibration that measured the table both hot and cold varies over that: how warm the broker
/// keeps its own table is not measured.
pub fn ranges(p: &Params, pinned: &[String], walk: WalkSource) -> Ranges {
    let central_gap_us = p.gap.mean_ns() / 1e3;
    let central_wake_us = p.wake.mean_ns() / 1e3;
    let widen = |(lo, hi): (f64, f64), c: f64| (lo.min(c), hi.max(c));
    let ln2 = std::f64::consts::LN_2;
    let mut r = Ranges {
        per_group_ns: widen(PER_GROUP_RANGE_NS, p.per_group_ns),
        wake_mean_us: widen((WAKE_P50_RANGE_US.0 / ln2, WAKE_P50_RANGE_US.1 / ln2), central_wake_us),
        gap_mean_us: widen(GAP_RANGE_US, central_gap_us),
        pinned: pinned.to_vec(),
        per_group_basis: "plausible range: issue #10's JVM (hot) to issue #7737's broker".into(),
    };
    let (range, basis) = match walk {
        WalkSource::Plausible => (r.per_group_ns, r.per_group_basis.clone()),
        WalkSource::Broker => ((p.per_group_ns, p.per_group_ns), "pinned: the walk measured on the broker".into()),
        WalkSource::Calibration(None) => ((p.per_group_ns, p.per_group_ns), "pinned by the calibration".into()),
        WalkSource::Calibration(Some(measured)) => (
            widen(measured, p.per_group_ns),
            "the calibration's own walks, hot to cold: how warm the broker keeps its table is not measured".into(),
        ),
    };
    r.per_group_ns = range;
    r.per_group_basis = basis;
    if r.is_pinned("monitor_wake_latency") {
        r.wake_mean_us = (central_wake_us, central_wake_us);
    }
    if r.is_pinned("netty_event_gap") {
        r.gap_mean_us = (central_gap_us, central_gap_us);
    }
    r
}

/// The parameters at one corner of the ranges: the walk per group, and an exponential wake-up
/// and gap of these means where given (`None`: the model's own distribution, as calibrated).
pub fn corner(p: &Params, per_group_ns: f64, wake_us: Option<f64>, gap_us: Option<f64>) -> Params {
    let mut q = p.clone();
    q.per_group_ns = per_group_ns;
    if let Some(wake_us) = wake_us {
        q.wake = Dist::Exponential { mean_ns: wake_us * 1e3 };
        for l in [q.long_walk.as_mut(), q.very_long_walk.as_mut()].into_iter().flatten() {
            // The corner's wake-up behind long walks too: the range is over the race, not one half.
            l.wake = q.wake;
        }
    }
    if let Some(gap_us) = gap_us {
        q.gap = Dist::Exponential { mean_ns: gap_us * 1e3 };
    }
    q
}

/// Every distinct corner of the ranges (at most 2 × 2 × 2), in a fixed order. A pinned wake-up
/// or gap is not replaced; a range of one value gives one corner, not two equal ones.
pub fn corners(p: &Params, r: &Ranges) -> Vec<Params> {
    let ends = |(lo, hi): (f64, f64)| if lo == hi { vec![lo] } else { vec![lo, hi] };
    let varied = |(lo, hi): (f64, f64), key: &str| -> Vec<Option<f64>> {
        if r.is_pinned(key) {
            vec![None]
        } else {
            ends((lo, hi)).into_iter().map(Some).collect()
        }
    };
    let mut out = Vec::new();
    for pg in ends(r.per_group_ns) {
        for w in varied(r.wake_mean_us, "monitor_wake_latency") {
            for g in varied(r.gap_mean_us, "netty_event_gap") {
                out.push(corner(p, pg, w, g));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {

    /// Two races pin two quantiles: a wake-up transformed by a known shift and scale is found again
    /// from the shares it would win (uniform wake-ups, constant ways back: closed forms).
    #[test]
    fn two_races_give_back_the_shift_and_the_scale() {
        let wake = Dist::Uniform {
            min_ns: 0,
            max_ns: 100_000,
        };
        let (a, b) = (Dist::Const(20_000), Dist::Const(50_000));
        // −10 µs + 0.8 × U[0, 100 µs] is below 20 µs with probability 0.375, below 50 µs with 0.75.
        let (shift, scale, clamped) = race_wake_affine(&wake, &[&a], 0.375, &[&b], 0.75);
        assert!(!clamped);
        assert!((shift + 10_000.0).abs() < 1_500.0, "shift {shift} ns");
        assert!((scale - 0.8).abs() < 0.03, "scale {scale}");
        // A shift alone (scale 1) holds the first race and misses the second.
        let draws = RaceDraws::new(&wake, &[&b]);
        let one = RaceDraws::new(&wake, &[&a]).shift_for(1.0, 0.375);
        assert!((draws.win(one, 1.0) - 0.675).abs() < 0.02);
        // A second share no scale in range reaches is clamped and says so.
        // (at the widest scale, 4, the wake-up held at 20 µs still wins 45% below 50 µs).
        let (_, scale, clamped) = race_wake_affine(&wake, &[&a], 0.375, &[&b], 0.3);
        assert!(clamped && scale == RACE_SCALE_RANGE.1, "{scale}");
        // The kept draws are win_probability_shifted's.
        let kept = RaceDraws::new(&wake, &[&a]);
        for shift in [-30_000.0, 0.0, 12_345.0] {
            assert_eq!(kept.win(shift, 1.0), win_probability_shifted(&wake, shift, &[&a]));
        }
    }
    use super::*;

    fn params(policy: Policy, clients: f64) -> Params {
        Params {
            policy,
            close_base_ns: 20_000.0,
            per_group_ns: 1_000.0,
            gap: Dist::Exponential { mean_ns: 15_000.0 },
            wake: Dist::Exponential { mean_ns: 60_000.0 },
            exit: Dist::Const(0),
            long_walk: None,
            very_long_walk: None,
            rpc_timeout_ns: 3e9,
            heartbeat_rate: clients / 30.0,
            background_walk_rate: 0.0,
            close_socket_on_timeout: true,
            live_groups: 300.0,
            periodic_alive: 0.0,
        }
    }

    #[test]
    fn win_probability_of_exponentials_is_the_rate_ratio() {
        let p = win_probability(
            &Dist::Exponential { mean_ns: 60_000.0 },
            &[&Dist::Exponential { mean_ns: 15_000.0 }],
        );
        assert!((p - 0.2).abs() < 0.01, "{p}");
    }

    /// The shift that makes a uniform wake-up on [0, 100 µs] win a race against a constant 50 µs
    /// 20% of the time is 30 µs (P(U + 30 < 50) = 0.2); -30 µs for 80%; a share of 0 or 1 is
    /// kept half a gap inside.
    #[test]
    fn race_shift_reaches_the_share() {
        let wake = Dist::Uniform {
            min_ns: 0,
            max_ns: 100_000,
        };
        let back = Dist::Const(50_000);
        let later = race_wake_shift_ns(&wake, &[&back], 0.2);
        assert!((later - 30_000.0).abs() < 1_500.0, "{later}");
        let earlier = race_wake_shift_ns(&wake, &[&back], 0.8);
        assert!((earlier + 30_000.0).abs() < 1_500.0, "{earlier}");
        assert!((win_probability_shifted(&wake, later, &[&back]) - 0.2).abs() < 0.01);
        assert_eq!(win_probability_shifted(&wake, 0.0, &[&back]), win_probability(&wake, &[&back]));
        assert_eq!(race_share(0, 10), 0.05);
        assert_eq!(race_share(10, 10), 0.95);
        assert_eq!(race_share(3, 30), 0.1);
    }

    /// The walker's way back is its exit plus the gap; behind a walk of at least the long-park
    /// threshold, the long-park wake-up and exit and the gap's extra.
    #[test]
    fn the_race_counts_the_exit_and_the_long_walk() {
        let mut p = params(Policy::Leaky, 11_000.0);
        p.wake = Dist::Const(30_000);
        p.gap = Dist::Const(5_000);
        assert_eq!(estimate(&p, 15_742.0).win_probability, 0.0, "30 us against 5 us");
        p.exit = Dist::Const(20_000);
        assert_eq!(estimate(&p, 15_742.0).win_probability, 0.0, "30 us against 25 us");
        p.exit = Dist::Const(30_000);
        assert_eq!(estimate(&p, 15_742.0).win_probability, 1.0, "30 us against 35 us");
        p.exit = Dist::Const(20_000);
        p.long_walk = Some(LongWalk {
            threshold_ns: 10e6,
            wake: Dist::Const(90_000),
            wake_after_exit: None,
            gap_wake: None,
            exit: Dist::Const(20_000),
            extra: Dist::Const(80_000),
        });
        // 15,742 groups at 1 us: 15.8 ms walks, past the 10 ms threshold.
        let long = estimate(&p, 15_742.0);
        assert_eq!(long.win_probability, 1.0, "90 us against 20 + 5 + 80 us");
        assert!((long.walk_cycle_ms - (15.762 + 0.105)).abs() < 1e-9, "{}", long.walk_cycle_ms);
        let short = estimate(&p, 5_000.0);
        assert_eq!(short.win_probability, 0.0, "5 ms walks: the short race, 30 us against 25 us");
        // A second tier from 20 ms: a waiter parked that long wakes in 200 us.
        p.very_long_walk = Some(LongWalk {
            threshold_ns: 20e6,
            wake: Dist::Const(200_000),
            wake_after_exit: None,
            gap_wake: None,
            exit: Dist::Const(30_000),
            extra: Dist::Const(80_000),
        });
        assert_eq!(estimate(&p, 15_742.0).win_probability, 1.0, "15.8 ms walks: still the long tier");
        let very = estimate(&p, 25_000.0);
        assert_eq!(very.win_probability, 0.0, "25 ms walks: 200 us against 30 + 5 + 80 us");
    }

    /// Counted from the end of the walker's exit, the wake-up races the gap and the extra alone:
    /// the exit is on neither side of the race, and still in the walker's cycle.
    #[test]
    fn a_wake_up_after_the_exit_leaves_the_exit_out_of_the_race() {
        let mut p = params(Policy::Leaky, 11_000.0);
        p.gap = Dist::Const(5_000);
        let long = |after: u64| LongWalk {
            threshold_ns: 10e6,
            wake: Dist::Const(1_000_000),
            wake_after_exit: Some(Dist::Const(after)),
            gap_wake: None,
            exit: Dist::Const(40_000),
            extra: Dist::Const(8_000),
        };
        p.long_walk = Some(long(15_000));
        let est = estimate(&p, 15_742.0);
        assert_eq!(est.win_probability, 0.0, "15 us after the exit against 5 + 8 us after it");
        assert!((est.walk_cycle_ms - (15.762 + 0.053)).abs() < 1e-9, "{}", est.walk_cycle_ms);
        p.long_walk = Some(long(10_000));
        assert_eq!(estimate(&p, 15_742.0).win_probability, 1.0, "10 us against 13 us");
    }

    /// Behind the walker's busy gap the wake-up measured behind one weighs in at its share of the
    /// releases (the engine's draw): the heirs' chance is the two races' weighted mean, and the
    /// short race (walks under the threshold) is untouched.
    #[test]
    fn a_wake_up_behind_a_busy_gap_weighs_in_at_its_share() {
        let mut p = params(Policy::Leaky, 11_000.0);
        p.gap = Dist::Const(5_000);
        p.exit = Dist::Const(20_000);
        p.wake = Dist::Const(30_000);
        let long = |gap_wake: Option<(Dist, f64)>| LongWalk {
            threshold_ns: 10e6,
            wake: Dist::Const(90_000),
            wake_after_exit: None,
            gap_wake,
            exit: Dist::Const(20_000),
            extra: Dist::Const(8_000),
        };
        p.long_walk = Some(long(None));
        assert_eq!(estimate(&p, 15_742.0).win_probability, 0.0, "90 us against 20 + 5 + 8 us");
        p.long_walk = Some(long(Some((Dist::Const(10_000), 1.0))));
        assert_eq!(estimate(&p, 15_742.0).win_probability, 1.0, "10 us against 33 us at every release");
        p.long_walk = Some(long(Some((Dist::Const(10_000), 0.25))));
        assert!((estimate(&p, 15_742.0).win_probability - 0.25).abs() < 1e-12);
        assert_eq!(
            estimate(&p, 5_000.0).win_probability,
            0.0,
            "5 ms walks: the short race, 30 us against 25 us"
        );
    }

    #[test]
    fn gain_grows_with_the_table_and_crosses_one_at_the_metastable_size() {
        let p = params(Policy::Leaky, 11_000.0);
        let small = estimate(&p, 100.0);
        let big = estimate(&p, 15_742.0);
        assert!(small.sustain < 1.0 && small.trigger_disconnects.is_none());
        assert!(big.sustain > 1.0, "{big:?}");
        let g_star = big.metastable_groups.unwrap();
        let at = estimate(&p, g_star);
        assert!((at.sustain - 1.0).abs() < 0.01, "{at:?}");
        // 3 s of walks of about 15.8 ms, two walks per abnormal disconnect.
        let n = big.trigger_disconnects.unwrap();
        assert!((90..=100).contains(&n), "{n}");
    }

    #[test]
    fn fixed_and_lock_free_versions_have_no_loop() {
        assert_eq!(estimate(&params(Policy::V532, 11_000.0), 15_742.0).loop_gain, 0.0);
        let fixed = estimate(&params(Policy::Fixed, 11_000.0), 15_742.0);
        assert!(fixed.sustain < 1.0, "{fixed:?}");
        assert!(fixed.metastable_groups.is_none());
    }
    /// A calibrated (pinned) wake-up and gap stay the calibration's own distributions at every
    /// corner: only what is uncertain is varied, and a range of one value is one corner.
    #[test]
    fn corners_keep_what_a_calibration_pinned() {
        let mut p = params(Policy::Leaky, 11_000.0);
        p.wake = Dist::Uniform {
            min_ns: 40_000,
            max_ns: 60_000,
        };
        p.gap = Dist::Const(25_000);
        let none = ranges(&p, &[], WalkSource::Plausible);
        assert_eq!(corners(&p, &none).len(), 8);
        assert!(corners(&p, &none).iter().all(|q| matches!(q.wake, Dist::Exponential { .. })));
        let all: Vec<String> = ["close_cost_per_group", "monitor_wake_latency", "netty_event_gap"]
            .map(String::from)
            .into();
        let pinned = ranges(&p, &all, WalkSource::Calibration(None));
        assert_eq!(pinned.per_group_ns, (1_000.0, 1_000.0));
        let one = corners(&p, &pinned);
        assert_eq!(one.len(), 1);
        assert_eq!(estimate(&one[0], 15_742.0).sustain, estimate(&p, 15_742.0).sustain);
        assert!(matches!(one[0].wake, Dist::Uniform { .. }) && matches!(one[0].gap, Dist::Const(25_000)));
        // A calibration that measured the table hot and cold: the walk varies over that only.
        let walk = ranges(&p, &all, WalkSource::Calibration(Some((15.0, 98.0))));
        assert_eq!(walk.per_group_ns, (15.0, 1_000.0), "widened to the central value");
        let two = corners(&p, &walk);
        assert_eq!(two.iter().map(|q| q.per_group_ns).collect::<Vec<_>>(), [15.0, 1_000.0]);
        assert!(two.iter().all(|q| matches!(q.gap, Dist::Const(25_000))));
    }
}
