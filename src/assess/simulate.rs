//! The simulated side of `hbsim assess`: one seeded run of a generated scenario, stopped as soon
//! as its outcome is settled (recovered or collapsed), and the searches built on such runs
//! (trigger size, metastable table size). Runs are independent; callers run them in parallel
//! and keep the results in input order, so nothing depends on the number of threads.

use crate::engine::{self, Ctx, SimTime, Stop};
use crate::error::Error;
use crate::model::policy::Policy;
use crate::model::World;
use crate::scenario::Scenario;
use serde::Serialize;

/// Seconds after the observation start that a run goes on at most.
pub const OBSERVE_MAX_S: u64 = 240;
/// A run with no heartbeat timeout for this long (and an idle Netty queue) has recovered.
pub const QUIET_S: u64 = 30;
/// A run in which at least `COLLAPSE_SHARE` of the heartbeats answered in the last
/// `COLLAPSE_WINDOW_S` seconds timed out, `COLLAPSE_MIN_S` or more after the trigger, has
/// collapsed: the backlog is sustained, not a transient (a transient of K + ρ < 1 after any
/// burst the searches use has drained well before; see docs/assess.md).
pub const COLLAPSE_WINDOW_S: usize = 30;
pub const COLLAPSE_SHARE: f64 = 0.3;
pub const COLLAPSE_MIN_S: u64 = 150;

/// What one run showed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Outcome {
    pub collapsed: bool,
    /// Virtual second at which the run was stopped (its outcome settled).
    pub stopped_at_s: u64,
    /// Heartbeats answered after the observation start, and how many of them timed out.
    pub heartbeats: u64,
    pub timed_out: u64,
    /// Timed-out share of heartbeats after the observation start.
    pub timeout_ratio: f64,
    /// Seconds from the observation start to the last heartbeat timeout (0: none).
    pub last_timeout_after_s: u64,
    /// Close walks after the observation start.
    pub close_walks: u64,
    pub events: u64,
}

/// Runs `scenario` under `policy` and watches heartbeat timeouts from `observe_from_s` on.
pub fn run(scenario: &Scenario, policy: Policy, seed: u64, observe_from_s: u64) -> Result<Outcome, Error> {
    let mut ctx = Ctx::new();
    let mut world = World::new(scenario.clone(), policy, seed, &mut ctx, &[]);
    let interval_ns = scenario.sample_interval_ns;
    let end_s = (observe_from_s + OBSERVE_MAX_S).min(scenario.duration_ns / 1_000_000_000);
    let mut events = 0u64;
    let mut now_s = 0u64;
    // Per observed second: (heartbeats answered or timed out, of which timed out).
    let mut seconds: Vec<(u64, u64)> = Vec::new();
    let (mut heartbeats, mut timed_out, mut walks) = (0u64, 0u64, 0u64);
    let mut last_timeout_s = observe_from_s;
    let mut netty_idle = true;
    loop {
        let until_s = (now_s + 10).min(end_s);
        let outcome = engine::run(&mut world, &mut ctx, SimTime(until_s * 1_000_000_000), scenario.max_events - events);
        events += outcome.events;
        if outcome.stop == Stop::MaxEvents {
            return Err(Error::MaxEvents {
                scenario: scenario.name.clone(),
                policy: policy.to_string(),
                seed,
                max_events: scenario.max_events,
                at_s: outcome.now.as_secs_f64(),
            });
        }
        for sample in world.recorder.drain_samples() {
            let t_s = sample.time_ns / interval_ns.max(1) * interval_ns / 1_000_000_000;
            if t_s <= observe_from_s {
                continue;
            }
            heartbeats += sample.heartbeats_ok + sample.heartbeats_timed_out + sample.heartbeats_busy;
            timed_out += sample.heartbeats_timed_out;
            walks += sample.close_walks;
            if sample.heartbeats_timed_out > 0 {
                last_timeout_s = t_s;
            }
            seconds.push((
                sample.heartbeats_ok + sample.heartbeats_timed_out + sample.heartbeats_busy,
                sample.heartbeats_timed_out,
            ));
            netty_idle = sample.netty_queue_len == 0;
        }
        now_s = until_s;
        if crate::interrupt::interrupted() {
            return Err(Error::Interrupted);
        }
        let observed = now_s.saturating_sub(observe_from_s);
        let recovered = observed >= QUIET_S && now_s - last_timeout_s >= QUIET_S && netty_idle;
        let collapsed = observed >= COLLAPSE_MIN_S && collapse_share(&seconds) >= COLLAPSE_SHARE;
        if recovered || collapsed || now_s >= end_s {
            // At the end of the window, a run still timing out counts as collapsed.
            let collapsed = collapsed || (!recovered && collapse_share(&seconds) >= COLLAPSE_SHARE);
            return Ok(Outcome {
                collapsed,
                stopped_at_s: now_s,
                heartbeats,
                timed_out,
                timeout_ratio: if heartbeats == 0 {
                    0.0
                } else {
                    round4(timed_out as f64 / heartbeats as f64)
                },
                last_timeout_after_s: last_timeout_s - observe_from_s,
                close_walks: walks,
                events,
            });
        }
    }
}

/// Timed-out share of the heartbeats of the last `COLLAPSE_WINDOW_S` seconds.
fn collapse_share(seconds: &[(u64, u64)]) -> f64 {
    let window = &seconds[seconds.len().saturating_sub(COLLAPSE_WINDOW_S)..];
    let all: u64 = window.iter().map(|(a, _)| a).sum();
    let timed_out: u64 = window.iter().map(|(_, t)| t).sum();
    if all == 0 {
        return 0.0;
    }
    timed_out as f64 / all as f64
}

fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

/// The smallest tipping value found (`None`: none) and every point tried.
pub type Searched = (Option<u64>, Vec<(u64, bool)>);

/// Smallest value in `lo..=hi` for which `tips` is true, assuming monotonicity, by a parallel
/// grid (`grid`, evaluated at once) and then bisection (two points per step, in parallel) until
/// the bracket is within `tolerance` (relative). `Ok(None)`: even `hi` does not tip.
pub fn search<F>(lo: u64, hi: u64, grid: &[u64], tolerance: f64, tips: F) -> Result<Searched, Error>
where
    F: Fn(u64) -> Result<bool, Error> + Sync,
{
    use rayon::prelude::*;
    let mut tried: Vec<(u64, bool)> = Vec::new();
    let mut points: Vec<u64> = grid.iter().copied().filter(|v| (lo..=hi).contains(v)).collect();
    points.push(hi);
    points.sort_unstable();
    points.dedup();
    let results: Vec<Result<bool, Error>> = points.par_iter().map(|v| tips(*v)).collect();
    for (v, r) in points.iter().zip(results) {
        tried.push((*v, r?));
    }
    let bracket = |tried: &[(u64, bool)]| {
        let high = tried.iter().filter(|(_, t)| *t).map(|(v, _)| *v).min();
        let low = high.map_or(hi, |h| {
            tried
                .iter()
                .filter(|(v, t)| !*t && *v < h)
                .map(|(v, _)| *v)
                .max()
                .unwrap_or(lo.saturating_sub(1))
        });
        (low, high)
    };
    for _ in 0..6 {
        let (low, high) = bracket(&tried);
        let Some(high) = high else { break };
        if high <= low + 1 || (high as f64) <= (low as f64) * (1.0 + tolerance) {
            break;
        }
        let step = (high - low) / 3;
        let mids: Vec<u64> = if step >= 1 {
            vec![low + step, low + 2 * step]
        } else {
            vec![(low + high) / 2]
        };
        let results: Vec<Result<bool, Error>> = mids.par_iter().map(|v| tips(*v)).collect();
        for (v, r) in mids.iter().zip(results) {
            tried.push((*v, r?));
        }
    }
    tried.sort_unstable();
    let (_, high) = bracket(&tried);
    Ok((high, tried))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_finds_a_threshold() {
        let (found, tried) = search(1, 10_000, &[10, 100, 1000], 0.05, |v| Ok(v >= 437)).unwrap();
        let found = found.unwrap();
        assert!((437..=460).contains(&found), "{found} {tried:?}");
        let (none, _) = search(1, 100, &[10], 0.05, |_| Ok(false)).unwrap();
        assert_eq!(none, None);
    }
}
