//! hbsim against the JVM harness (issue 10, docs/validation.md). Each point of
//! tests/data/validation/ is a recorded real-time run of calibration/jvm/Validate.java
//! (`<point>.json`) and an hbsim scenario mirroring its loop with the same session's calibration
//! (`<point>.toml`); the test configures some keys of it from the JSON and the full calibration
//! sessions (see [`configured_scenario`]), runs it with [`SEEDS`] seeds and compares, point by
//! point, the figures the harness records: tipped or not, the share of gaps between walks that
//! heartbeat threads won, the `registerProducer` calls per won gap, and the median and p90
//! heartbeat response. Each within the tolerance stated at its constant, except at the points
//! listed as known disagreements (each asserted to still disagree, so a model that fixes one has
//! to take it off its list). No JVM and no real time is needed here.

use crate::common::{column, read_holds, read_timeline, repo_root, run_in, text, HoldRow, TempDir};
use std::path::{Path, PathBuf};

/// hbsim's verdict at a point: tipped in the majority of these seeds ("k of n seeds collapsed",
/// as in `hbsim sweep`). The harness ran each point once; where a walk lasts about as long as
/// the heartbeats' deadline hbsim's single seeds fall on both sides, and 20 seeds tell a 40%
/// collapse rate from a 60% one (Wilson 95% half-width about 0.2) where 5 could not.
pub const SEEDS: u64 = 20;

/// hbsim's verdict is on the edge when the Wilson 95% interval of its k collapsed of [`SEEDS`]
/// holds 1/2 (6 to 14 of 20): hbsim then answers "as likely to collapse as not", and the
/// harness's one recording, one draw of a two-valued outcome, agrees whichever way it fell. A
/// single draw cannot tell a 40% collapse rate from a 60% one; a verdict that calls it a
/// disagreement grades the coin, not the model. Outside the edge the majority must match.
pub fn on_the_edge(collapsed: u64) -> bool {
    let (lo, hi) = wilson(collapsed, SEEDS);
    lo <= 0.5 && 0.5 <= hi
}

/// A recording whose host carried work the point does not describe: its 1-minute load average,
/// before or after the point, exceeds the harness's busy threads by more than this. The points'
/// own threads leave a trace in the next point's load (a busy-8 point's threads decay to about 8
/// over the next minute: `lowload-huge-gap0-cold` 8.0); above that the host ran other work
/// (the first session: other builds, 11-21 over the busy threads on 2 CPUs). Such a point's
/// figures are compared and printed, not gated: its conditions are not what its mirror states,
/// and the harness records no run queue to state them. The second session repeats all twelve of
/// the first session's points under controlled load.
pub const UNCONTROLLED_LOAD: f64 = 10.0;

/// The host's load beyond the point's busy threads (the larger of the 1-minute load average
/// before and after the point, less the busy threads).
pub fn load_beyond_point(doc: &serde_json::Value) -> f64 {
    let one_minute = |key: &str| -> f64 {
        let v = &doc[key];
        v.as_f64()
            .or_else(|| v.as_str().and_then(|s| s.split_whitespace().next()).and_then(|s| s.parse().ok()))
            .unwrap_or_else(|| panic!("{key}: no 1-minute load average"))
    };
    let busy = doc["params"]["busy_threads"].as_f64().unwrap_or(0.0);
    one_minute("loadavg_before").max(one_minute("loadavg_after")) - busy
}

/// The collapse rule shared with the harness (its `tipped_definition`) and `hbsim sweep`:
/// more than half of the heartbeats of the last quarter failed.
pub const TIPPED_SHARE: f64 = hbsim::sweep::COLLAPSED_END_SHARE;

/// Share of gaps won by heartbeats: hbsim's (pooled over the seeds) within the harness's 95%
/// Wilson interval for its k won of n gaps, widened by this much either way. The widening is the
/// harness's own repeatability: two recordings of one point in one session differ by up to 0.15
/// (huge-gap0-busy4: 0.50 and 0.38; lowload-huge-gap0-busy4: 0.47 and 0.62). Compared where the
/// harness saw at least [`MIN_GAPS`] gaps.
pub const SHARE_SLACK: f64 = 0.15;
pub const MIN_GAPS: u64 = 10;

/// `registerProducer` calls per won gap: within this factor either way. Repeat recordings differ
/// by up to 1.4x (3,626 and 2,878; 1,957 and 1,422), and the figure goes as 1/share: the share's
/// tolerance at the long-walk points (about 20 gaps) moves it by as much again.
pub const REGISTERS_FACTOR: f64 = 2.0;

/// With the executor threads sharing the host's CPUs (E, [`TIME_SHARING`]): hbsim's drain measured
/// on its own within this factor of the JVM's at every load. The idle drain itself runs 1.4-1.9
/// times the JVM's on the guests measured (hbsim's hand-off among the heartbeat threads, which no
/// CPU model changes), and the JVM's rounds scatter by up to 2 times between two runs.
pub const SHARED_DRAIN_FACTOR: f64 = 2.5;
/// ... compared where the harness won at least this many gaps: a mean over one or two won gaps is
/// one or two events (`holdout-two-million-gap0`: one won gap, 3 calls).
pub const MIN_WON_GAPS: u64 = 5;

/// Median and p90 heartbeat response: within a factor of 3 either way, or both under the floor
/// (1 ms for the median, 10 ms for the p90: no queueing behind a walk). The p90 also agrees
/// within a rank: when each side's p90 lies between the other's p50 and p99. Where about 10% of
/// the heartbeats arrive while the trigger's walks run (4-6 s of a 40-60 s run), a shift of a
/// fraction of a percent moves the p90 from "no wait" to "a walk's wait"; the value then says
/// nothing and the rank does. The harness's response is
/// the client-side time of a real JVM on a shared 2-core host (scheduling, GC, the harness's own
/// threads); hbsim's is the broker-side time in a model whose costs are the calibration's
/// distributions. The calibration measures p90/p50 ratios of 1.5-3 for the wake-up and the
/// heartbeat cost on this host: a factor of 3 is that spread, not a fitted number. Compared
/// where neither side tipped (a tipped side's responses are the deadline and beyond).
pub const RESPONSE_FACTOR: f64 = 3.0;
pub const P50_FLOOR_MS: f64 = 1.0;
pub const P90_FLOOR_MS: f64 = 10.0;

/// The harness ran each point once: each of its figures is one draw. Where the loop may stop
/// after the trigger or run on (the sustain edge), hbsim's seeds fall into two modes, a median
/// response of microseconds or of a walk's wait, and so do the harness's own repeats
/// (`spread-huge-gap0-busy4` and its repeat, 20 minutes apart: median 0.04 ms and 875 ms). A
/// figure (calls per won gap, p50, p90) therefore agrees when it is within its tolerance of
/// hbsim's median over the seeds **or** of at least this many seeds' own values (a mode holding
/// 10% of hbsim's runs; a harness draw from the same distribution lands in a mode that hbsim
/// shows in fewer than 2 of 20 seeds with probability under 5%). Tipped or not stays the
/// majority of the seeds.
pub const MODE_SEEDS: usize = 2;

/// The failed share of the last quarter, the figure the tipped-or-not verdict thresholds at
/// [`TIPPED_SHARE`]: within this much (absolute) of hbsim's median over the seeds or of at least
/// [`MODE_SEEDS`] seeds' own values. Under a busy host both sides end in a continuum of partial
/// failure (a seed's last quarter anywhere from 15% to 100% at 16 busy threads), which a 50%
/// threshold cuts into two verdicts; this asks whether the loop's own end is one hbsim produces.
/// The last quarter of a 40-60 s run is 10-15 s, and its failures come in whole seconds (every
/// heartbeat of a second times out behind a walk, or none does: the harness's
/// `per_second_timed_out`): one second more or less moves the share by 0.07-0.10.
pub const LAST_QUARTER_SLACK: f64 = 0.10;

/// Known disagreements: (point, figure, reason). The figures: "tipped", "last quarter", "share",
/// "registers", "p50", "p90". docs/validation.md explains each.
pub const KNOWN: &[(&str, &str, &str)] = &[
    (
        "lowload-incident-hot-gap0-busy4",
        "p90",
        "20 ms against hbsim's 1.9 ms: the walks' spread on a busy host (the loop's mean walk 1.3 ms against 0.5 ms idle: some walks were preempted inside the monitor); this session did not record the walk percentiles, which the mirror uses where it has them (spread-incident-hot-gap0-busy4 agrees)",
    ),
    // Held out: recorded after the model was frozen (commit adbcbc9; the spread- session after
    // f0e566e), run once, listed as found.
    (
        "holdout-huge-gap0",
        "tipped",
        "a knife edge: the loop's mean walk (298 ms) times the trigger's ten walks is 2.98 s against the 3 s deadline, and this session recorded only the mean; hbsim's walks are then all 298 ms and no heartbeat times out during the trigger. The same configuration was recorded eight times (huge-gap0 in each session): walks of 283-630 ms, tipped in 5",
    ),
    ("holdout-huge-gap0", "registers", "the harness tipped and hbsim did not (see tipped)"),
    (
        "holdout-large-gap0-busy2",
        "share",
        "the walker's own unpark: with 2 busy threads on 2 CPUs the harness's heartbeats won 89% of the gaps, as if the woken thread always took the walker's CPU; hbsim's rule (the wakee goes to its previous CPU on more than one CPU) gives 49%. The first round's rule (1/cpus) would give about 75% and loses two tipped-or-not verdicts elsewhere. Its repeat in the spread- session won 70%, and hbsim agrees there",
    ),
    (
        "spread-incident-hot-gap0",
        "registers",
        "an idle host with hot 0.1 ms walks: the harness's heartbeats won 0.5% of the gaps (52 of 9,999), each draining about 11 heartbeats that had queued behind many walks; hbsim's won 5%, one heartbeat each (the same registrations per gap, 0.1, split differently: the share agrees within its tolerance, its value does not). No heartbeat waits long on either side",
    ),
    // The park- session: recorded after b1e1b0f to try the long-park costs in the mirror (not
    // kept, docs/validation.md); with the mirror unchanged since b1e1b0f, as found.
    (
        "park-incident-hot-gap0",
        "registers",
        "as spread-incident-hot-gap0: the harness's heartbeats won 0.7% of the gaps (66 of 9,999), draining 10 heartbeats each; hbsim's 6%, one each",
    ),
    (
        "park-large-gap0",
        "p90",
        "the share's edge: this session's walks (32 ms) made the trigger's hundred outlast the 3 s deadline, so a heartbeat that lost about 94 gaps in a row timed out and its close fed the loop for a while (252 gaps, p90 1.5 s, none in the last quarter); the harness's heartbeats won 3% of the gaps (0.97^94 = 6%), hbsim's 13% (0.87^94: never), inside the share's tolerance",
    ),
    // The inloop- session: recorded after 1c11b83 with both sides of the race measured in the
    // loop; the in-loop mirror (`loop_return_gap`) was written before its results were read.
    (
        "inloop-incident-hot-gap0",
        "registers",
        "as spread-incident-hot-gap0: the harness's heartbeats won 0.5% of the gaps (54 of 9,999), draining 11 heartbeats each; hbsim's 5%, one or two each",
    ),
    (
        "inloop-large-gap0-busy2",
        "share",
        "as holdout-large-gap0-busy2: with 2 busy threads on 2 CPUs the harness's heartbeats won 84% of the gaps, hbsim's 60%: the walker's own unpark at its release (hbsim: the wakee goes to its previous CPU); the park- and spread- recordings of this point (64%, 70%) agree",
    ),
    // The inloop2- session: the same, recorded after 6126c8d with the in-loop mirror frozen.
    (
        "inloop2-incident-hot-gap0",
        "registers",
        "as spread-incident-hot-gap0: the harness's heartbeats won 0.6% of the gaps (63 of 9,999), draining about 10 heartbeats each; hbsim's 8%, one each",
    ),
    // The user- session: recorded after f278333, each point configured from `hbsim calibrate
    // --quick` runs (`user_scenario`), compared as found with the calibration that matches the
    // point's load (docs/validation.md).
    (
        "user-incident-hot-gap0",
        "registers",
        "as spread-incident-hot-gap0: the harness's heartbeats won 0.5% of the gaps (51 of 9,999), draining about 10 heartbeats each; hbsim's 5%, one each",
    ),
    // The user2- session: recorded after 4c78705 with both user paths frozen, its five
    // calibrations first; compared once, as found.
    (
        "user2-huge-gap0-busy4",
        "tipped",
        "the collapse rule's edge: the loop's last quarter timed out 51% (rule: more than 50%); hbsim's heartbeats won 92% of the gaps against the loop's 61% (see share), and no seed ran on",
    ),
    (
        "user2-incident-hot-gap0",
        "registers",
        "as spread-incident-hot-gap0: the harness's heartbeats won 0.7% of the gaps (65 of 9,999), draining about 11 heartbeats each; hbsim's 7%, one each",
    ),
    // The knots- session: recorded after 26b110d with p1 and p5 of every distribution (the
    // mirror takes them as knots), compared once, as found.
    (
        "knots-huge-gap0",
        "tipped",
        "the trigger at the deadline's knife edge again: walks of 279-341 ms (mean 295 ms), ten of them 2.95 s against the 3 s deadline; the loop tipped and ran on (186 gaps, heartbeats won 2.7%), hbsim's iid draws of the same walks sum past 3 s rarely: 1 of 20. The twelfth recording of this configuration; the harness tipped in 6",
    ),
    ("knots-huge-gap0", "registers", "see tipped: the loop ran on for 186 gaps, hbsim's seeds did not"),
    // The edge- sessions: huge-gap0 recorded three times after 26b110d with the trigger's span
    // (Validate.java `trigger_span_ms`), to test the knife edge; compared once, as found.
    (
        "edge-huge-gap0",
        "tipped",
        "the race after 300 ms walks: the trigger's ten walks took 3.17 s (past the deadline, so the spark was there), but hbsim's heartbeats won 29% of the gaps against the loop's 5%, and the loop did not start in 18 of 20 seeds. The session's long-park wake-up was measured after 50 ms parks (p10 44 us) against a walker back in 49 us (p50); after 200-300 ms parks this host's wake-up has a p10 of 51-67 us (eight runs, docs/calibration.md), and with one such run as the long-park wake-up hbsim gives 16 of 20 and 8% of the gaps",
    ),
    ("edge-huge-gap0", "share", "see tipped"),
    (
        "edge3-huge-gap0",
        "tipped",
        "as edge-huge-gap0: trigger span 3.12 s, the session's long-park wake-up p10 39 us after 50 ms parks against the walker's 46 us; hbsim's heartbeats won 36% of the gaps against the loop's 4%, 1 of 20 seeds collapsed (12 of 20 and 10% with a wake-up measured after 300 ms parks)",
    ),
    ("edge3-huge-gap0", "share", "see tipped"),
    ("edge3-huge-gap0", "registers", "see tipped: the loop ran on for 175 gaps, hbsim's seeds did not"),
    // The very- session: recorded after b565e87 (the harness's 300 ms park in every session
    // calibration); compared once with the in-loop mirror frozen at 26b110d, as found.
    (
        "very-incident-hot-gap15",
        "registers",
        "2.0 calls per won gap against hbsim's 5.0 (just outside the factor of 2): the harness's heartbeats won 11% of the gaps here (7-9% in the seven other recordings since spread-, 13-16% in the first two sessions), hbsim's 5%, so each of hbsim's wins drains the heartbeats of twice as many walks",
    ),
    // The inrace- sessions: recorded after 8314002 with the race in the loop's own state measured
    // before each point (Validate.java `raceInLoop`; `inrace-` first thing in the JVM, `inrace2-`
    // to `inrace4-` after the session's calibration on the point's table); the mirror's shift to
    // it was frozen there, compared once each way, and not applied until the twenty-sixth
    // session ([`RACE_IN_LOOP_SHIFT`]; it needs the pre-run's second run, which these sessions
    // did not record, so their mirrors are unshifted). As found with the mirror applied.
    // The loop's heirs won all 9 gaps, so it recorded no uncontested return of the walker; the
    // mirror takes the pre-run's (55 µs, same table) since the walker's-return fallback (with the
    // harness's gap and the short-park costs instead, hbsim's heirs won 30% and 20 of 20 seeds
    // ran on). Tipped or not now agrees (4 of 20).
    (
        "inrace-huge-gap15",
        "share",
        "the loop ran on for a while after the trigger (185 gaps, p50 846 ms, 1.5% timed out in the last quarter) and its heirs won 35% of the gaps, hbsim's 59%; no seed ran on",
    ),
    ("inrace-huge-gap15", "p50", "see share: the loop ran on for a while, hbsim's seeds did not"),
    ("inrace-huge-gap15", "p90", "as its p50"),
    (
        "inrace-incident-hot-gap15",
        "registers",
        "13 calls per won gap against the loop's 2: hbsim's heirs won 1% of the gaps, the loop's 8%. This session's short-park wake-up (p1 30 us) is slower than the walker's return (16 us), while the loop's heirs came in at 21 us (p50): behind 0.2 ms walks they wake faster in the loop than the separate measurement says, the opposite of behind long walks",
    ),
    (
        "inrace2-incident-hot-gap0",
        "registers",
        "37 calls per won gap against hbsim's 202: the other side of the idle hot points' race (see spread-incident-hot-gap0): this session's wake-up has its p1 at 25 us against the walker's 14 us return, so hbsim's heirs win about 0.1% of the gaps and drain 100 heartbeats each; the loop's won 0.45%",
    ),
    (
        "inrace2-incident-hot-gap15",
        "registers",
        "2.0 calls per won gap against hbsim's 5.0, as very-incident-hot-gap15: the loop's heirs won 7% of the gaps, hbsim's 3%",
    ),
    (
        "inrace2-large-gap0-busy2",
        "share",
        "the loop's heirs won 53% of the gaps, hbsim's 85%: the low end of this point's spread (53-89% across its twelve recordings); the session's wake-up with 2 busy threads was fast (p10 4 us after the long park)",
    ),
    (
        "inrace4-huge-gap0",
        "tipped",
        "the race after 300 ms walks, as edge-huge-gap0: the trigger's span was 3.37 s (the spark was there) and the loop's heirs won 2 of 165 gaps; the session's long-park wake-up (p10 39 us) against the walker's 44 us return gives hbsim's heirs 21%, and 3 of 20 seeds ran on",
    ),
    ("inrace4-huge-gap0", "share", "see tipped"),
    // The warm- sessions: the pre-run twice, the second recorded (after 29a5208); warm- and
    // warm2- before the shift's rule was frozen, warm3- to warm5- held out; as found with the
    // mirror unshifted then. Since the twenty-sixth session the shift applies
    // ([`RACE_IN_LOOP_SHIFT`]): warm- and warm2-'s misses agree, these are its own.
    (
        "warm5-huge-gap0",
        "tipped",
        "the knife edge the other way: span 3.44 s and the loop's heirs won 1 of the trigger's 9 gaps, which drained the queue before enough heartbeats timed out; 18 of 20 seeds ran on with the race's shift (its pre-run's heirs won 0 of 29), 16 of 20 without",
    ),
    (
        "warm4-huge-gap0",
        "tipped",
        "as warm5-huge-gap0, moved by the race's shift: span 3.32 s, the loop's heirs won 1 of the trigger's 9 gaps and it stopped; its pre-run's won 1 of 29, and shifted there 17 of 20 seeds ran on (14 of 20 without, on the edge)",
    ),
    (
        "warm3-large-gap0",
        "tipped",
        "moved by the race's shift: the loop tipped (1.00; its heirs won 6 of 1,131 gaps behind 31 ms walks) where 5 of 20 seeds collapsed (20 of 20 unshifted: this session's long-park wake-up, p50 98 us, lost hbsim's heirs every race; its pre-run's heirs won 3 of 187, and shifted there they win about as often as the loop's and most seeds recover)",
    ),
    (
        "warm3-huge-gap15",
        "last quarter",
        "moved by the race's shift: the loop ran on after the trigger (161 gaps, its heirs in at 55%) and failed 14% of its last quarter; hbsim's heirs win 51% of the gaps shifted (36% unshifted) and no seed runs on (median 0.00, one within 0.10 where the rule asks two; four unshifted)",
    ),
    // The back- sessions (after 5d39480, held out for the walker's-return fallback, which applied
    // at their three cold points: tipped or not agrees there either way). As found: the two
    // misses are the collapse rule's own edge, and per configuration both agree.
    (
        "back2-huge-gap0-busy4",
        "tipped",
        "the collapse rule's edge: the loop's last quarter failed 55% (rule: more than 50%), with its heirs winning 71% of the gaps against hbsim's 55%; 2 of 20 seeds ran on. Per configuration (the Intel host, 4 busy: 6 recordings) the loop tipped in 1, hbsim expects 0.4, p = 0.67",
    ),
    // The hg- sessions (after e2bf609 and fe654a5, on an Intel Xeon guest): the idle huge-gap0
    // eight times, held out for the race's shift per configuration. As found, unshifted.
    (
        "hg2-huge-gap0",
        "share",
        "the loop ran on after the trigger (136 gaps, 14% of the last quarter timed out, p50 1.1 s) with its heirs winning 46% of the gaps; hbsim's won 85% (the walker's return 87 µs against a long-park wake-up of p10 55 µs) and no seed ran on. hg6- ran on the same way (130 gaps, 33%) and hbsim is on the edge there (10 of 20, 16% won)",
    ),
    ("hg2-huge-gap0", "p50", "see share: the loop ran on for a while, hbsim's seeds did not"),
    ("hg2-huge-gap0", "p90", "as its p50"),
    // The user3- session (after 7c44b4b, on the Intel guest): as found with each point's own
    // calibration. Nothing tipped in the loop there; the share misses go the other way from the
    // AMD guests' (the loop's heirs won more gaps than hbsim's behind long walks).
    (
        "user3-incident-hot-gap0",
        "registers",
        "6.8 calls per won gap against hbsim's 2.1 with 374 won gaps of 9,998: behind 0.3 ms walks a won gap drains the heartbeats of one walk or a few, and the loop's heirs won fewer gaps (4% against 12%), each after a longer backlog",
    ),
    // The load1- to load5- sessions (after 4507b13, on the Intel guest): 12 and 16 busy threads,
    // pre-registered, compared once with the mirror as it stood, as found. Under that load the
    // session's long-park wake-up, measured apart, is the scheduler's tick (p50 about 4 ms) in 8 of
    // the 10 sessions, where the loop's heirs got in at 40-86 us (p10-p50 in won gaps) and won
    // 53-75% of the gaps: hbsim's walker, back in about 50 us, keeps the gaps its heirs lose by ms.
    // ready1-, ready2- (the harness with walker_ready_us, after 1ffc9df; the Intel guest): as found.
    // ready3- (pre-registered at 21:22; 2, 4 and 8 busy threads): as found.
    (
        "ready3-huge-gap0-busy8",
        "p50",
        "the loop's heirs won all 9 gaps of the trigger (its walker ready again after 94 us at the median, 6.7 ms at p90: displaced at some releases) and nothing queued; hbsim's heirs won 61% behind the session's long-park wake-up and its median heartbeat waited out a walk (4 of 20 seeds collapsed): the same race as the busy-16 points, milder",
    ),
    // The race at the walker's release with cpu_release_preempt (the thirteenth session; the
    // rule measured on disp1-, frozen before disp2-): applied to every point, as found.
    // disp1- (the thirteenth session's training recordings: cpu_release_preempt is their count).
    // disp2-, disp3- (pre-registered at 23:00, the rule frozen at 711683e; 23:01-23:21): held
    // out, as found.
    (
        "disp2-huge-gap0-busy8",
        "p50",
        "the loop's heirs won 10 of 11 gaps, so half its heartbeats never waited a walk (p50 0.03 ms); hbsim's won 66% and a heartbeat that loses a gap waits out the next walk (p50 1.2 s): as inrace-huge-gap0-busy4; the same before the rule",
    ),
    (
        "disp2-large-gap0-busy2",
        "share",
        "the loop's heirs won 90 of 99 gaps behind 30 ms walks with 2 busy threads, hbsim's 53%: the walker's own unpark with 2 busy threads, as holdout- and inloop-large-gap0-busy2 (53-96% across its recordings); the rule adds nothing here (9 of 99 releases displaced, less the session's fast wake-ups); the same before the rule",
    ),
    // cpu1-, cpu2- (pre-registered at 23:34, the rule frozen at 711683e): as found.
    // park3- (pre-registered at 00:00): as found.
    // With cpu_release_other_at_once (the fourteenth session; measured on quick1- and the
    // recordings with the CPU probe, frozen before quick2-): applied to every point, as found.
    // park4- (pre-registered at 00:19): as found.
    // The walker waits out the drain of a heir that ran at once on another CPU (the fourteenth
    // session, after blk1-): applied to every point, as found.
    // quick2- to quick4- (pre-registered at 01:22, cpu_release_other_at_once frozen at 07f4b8a):
    // held out, as found.
    // blk2-, blk3- (pre-registered at 02:28, the walker's wait frozen at 0c5372c): held out, as
    // found.
    // The CPU shares pooled over every recording that counts them but the point's own (the
    // fifteenth session, leave one recording out): applied to every point, as found.
    // pool1-, pool2- (pre-registered, the pooled rule frozen at fc464da): held out, as found; their
    // counts joined every other point's pool.
    // The walker's exit drawn under 1 ms where the CPU model decides its release, and the
    // displaced share as counted (the fifteenth session, one account of the release): applied to
    // every point, as found.
    // acct1-, acct2- (pre-registered, the one account frozen at 48ec9f5): held out, as found;
    // their counts joined every other point's pool.
    // runs1-, runs2- (pre-registered at f3840e7, the model unchanged since 48ec9f5): held out, as
    // found; their counts joined every other point's pool.
    (
        "runs2-huge-gap0-busy4",
        "tipped",
        "the busy-4 drain short of the arrivals: the loop's heirs won 29 of 61 gaps (runs1-'s 42 of 59 and 8 of 10 minutes before), a heir got in on the other CPU with the walker quick at 3 of its 37 kept releases (the pool's 43%), and each won gap drained about 1,000 registerProducer calls: 0.48 x 505 heartbeats per 0.9 s walk against 330 arriving, so the backlog outran the deadline from the trigger on and every heartbeat of the last quarter failed. hbsim's heirs won 68% and no seed collapsed; with its long-park wake-up shifted 40 us (its heirs then win 48%) 1 of 20 collapsed, its won gaps draining 1,010-1,604 calls (8 seeds) (docs/validation.md, the sixteenth session)",
    ),
    ("runs2-huge-gap0-busy4", "last quarter", "see tipped (1.00 against 0.00-0.29)"),
    (
        "runs2-huge-gap0-busy4-repeat",
        "tipped",
        "as runs2-huge-gap0-busy4, the next point of the same session: the loop's heirs won 28 of 60 gaps, a heir on the other CPU with the walker quick at 0 of 34 kept releases; hbsim's won 81% and no seed collapsed",
    ),
    ("runs2-huge-gap0-busy4-repeat", "last quarter", "see tipped (1.00 against 0.00-0.12)"),
    // runs3- (pre-registered at c70c727): its three points agree; its counts joined every other
    // point's pool, which put these back on the list, as found.
    // runs4- (pre-registered at 6dfc81e): its four points agree; its counts
    // (few heirs on the other CPU at 8-16 busy threads) joined every other point's pool, as found.
    // runs5- (pre-registered at 2d009ed, the model unchanged since 48ec9f5): held out, as found;
    // its counts joined every other point's pool.
    // cpu_release_heir_waits (the seventeenth session, frozen before runs6-): the race at the
    // walker's kept releases held to the share the configuration's other recordings counted.
    (
        "disp1-huge-gap0-busy4",
        "share",
        "the loop's heirs won 56 of 62 gaps (0.90) in the thirteenth session, when this guest's heirs still got in at about half the releases its walker kept (acct1-, cpu1-, runs1-: 43-56%); since runs2- they get in at 6-25%, and the configuration's pool (31%) holds hbsim's heirs to 0.61 of the gaps (0.95 before)",
    ),
    (
        "disp1-huge-gap0-busy8",
        "share",
        "as disp1-huge-gap0-busy4 at 8 busy threads: the loop's heirs won 30 of 32 gaps (0.94); the configuration's pool (25% of kept releases) holds hbsim's to 0.57 (0.73 before)",
    ),
    // runs6- (pre-registered at 4ff2357, the model frozen at 36ca856): held out, as found; its
    // counts joined every other point's pool and moved these knife edges back on.
    // runs7- (pre-registered at 8857bfb, the model frozen at 36ca856): held out, as found.
    // runs8- (pre-registered at 17b8ad1, the model frozen at 6c33278): held out, as found; its
    // counts joined every other point's pool and moved these knife edges on.
    // runs9- (pre-registered at bd50e64, the model frozen at 6c33278): held out, as found; its
    // counts joined every other point's pool and moved these knife edges on.
    // runs10- (pre-registered at 00063c5, the model frozen at 6c33278): held out, as found; its
    // counts joined every other point's pool and moved these knife edges on (the largest move of
    // any session: seven older verdicts, each a collapse rate crossing 14 of 20).
    (
        "runs10-huge-gap0-busy4",
        "tipped",
        "the collapse rule's edge at 4 busy threads, as back2-huge-gap0-busy4: the loop fed itself all run (56 walks, its heirs in at 29 of 55 gaps and at 7 of 32 kept releases) and its backlog outran the deadline in the last 7 s: 55% of the last quarter failed; no seed collapsed (median 0.01). Per configuration it tips the busy-4 table (see KNOWN_CONFIGURATIONS)",
    ),
    ("runs10-huge-gap0-busy4", "last quarter", "see tipped (0.55 against a median of 0.01, no seed within 0.10)"),
    // The last quarter's failed share (the figure the verdict thresholds; session 16), as found.
    // The idle AMD 300 ms edge: as their tipped entries.
    ("edge-huge-gap0", "last quarter", "as its tipped entry: the loop failed 100%, hbsim's seeds 0% but for 2"),
    ("edge3-huge-gap0", "last quarter", "as its tipped entry (0.60; one seed within 0.10)"),
    ("holdout-huge-gap0", "last quarter", "as its tipped entry (0.80)"),
    ("inrace4-huge-gap0", "last quarter", "as its tipped entry (1.00; hbsim's median 0.26)"),
    ("knots-huge-gap0", "last quarter", "as its tipped entry (0.73; one seed within 0.10)"),
    (
        "hg2-huge-gap0",
        "last quarter",
        "the Intel guest idle: the loop fed itself through the whole run (137 walks) and failed 14% of the last quarter in two bursts; every hbsim seed stopped after the trigger (0%); its tipped-or-not agrees",
    ),
    // 4 busy threads: the loop's low-grade sustain bursts to full failure.
    ("spread-huge-gap0-busy4-repeat", "last quarter", "as disp1-huge-gap0-busy4 (0.44, 58 walks)"),
    ("user2-huge-gap0-busy4", "last quarter", "as disp1-huge-gap0-busy4 (0.51, 63 walks)"),
    // 8 to 16 busy threads: the loop's end is more extreme than hbsim's seeds.
    (
        "quick3-huge-gap0-busy12",
        "last quarter",
        "a tail at 12-16 busy threads: the loop failed 100% of the last quarter (after the trigger its backlog drained for 5 s in all) where hbsim's seeds end in a partial failure (as of runs4-: median 0.39, none within 0.10). Over each configuration the loop's mean and its scatter about hbsim's means agree (busy 12: 0.44 against 0.44, 1.1 times hbsim's spread; busy 16: 0.66 against 0.59, 1.1): hbsim reaches the extremes, full failure or none, less often than the loop",
    ),
    // fc1- (pre-registered at d6e9406, the model frozen at 2e889c5): an AMD guest of a kind no
    // recording came from (no cpuidle driver, walks 2.4 times the older AMD guests'); held out,
    // as found. Its counts joined every other point's pool and moved the knife edges after it.
    (
        "fc1-incident-hot-gap0",
        "registers",
        "as spread-incident-hot-gap0: behind 0.4 ms walks the harness's heartbeats won 0.3% of the gaps (27 of 9,999), draining about 115 heartbeats each; hbsim's won 2%, 18 each. The walker is back in 7 us (p50) and this session's wake-up has its p1 at 6.7 us",
    ),
    // fc2- (pre-registered at 6833322, the model frozen since 2e889c5): the fc1- guest's smaller
    // tables, held out, as found, with the test's host rule of the same commit (a recorded idle
    // driver other than haltpoll names its own host): its counts joined the pools by load and
    // moved these.
    (
        "fc2-huge-gap15",
        "last quarter",
        "the collapse rule's edge: the loop failed 50.03% of its last quarter (tipped by the rule, as hbsim's 20 of 20 seeds), hbsim's seeds 100% but one (a 15 us gap behind 0.63 s walks)",
    ),
    (
        "runs5-huge-gap0-busy8",
        "last quarter",
        "the busy-8 knife edge: the loop's heirs won 12 of 27 gaps and six gaps lost in a row at the end let the backlog outrun the deadline (0.99); 8 of 20 seeds collapsed after fc2-'s counts joined the pool (on hbsim's edge, so tipped or not agrees), median 0.47, one seed within 0.10",
    ),
    (
        "inrace-huge-gap0-busy8",
        "share",
        "the busy-8 pool after fc2-'s counts joined it (its walker displaced at 18 of 47 releases, its heirs in at 18 of 47 gaps): the loop's heirs won 26 of 30 gaps (87%, the top of the configuration's spread), hbsim's 54%; tipped or not agrees",
    ),
    // fc3- (pre-registered at aa4216a, the model frozen at d922d3b): as found, with the pools it moved
    (
        "fc3-large-gap0",
        "tipped",
        "the idle race on the slower fc guest: behind 83 ms walks (the trigger's 100 spanned 8.6 s) the loop's heirs won 25 of 424 gaps (6%) and it fed itself to the end; hbsim's, racing this session's wake-up (short p10 31 us, long-park p1 77 us) against the walker's 50 us return, won 19%, inside the share's tolerance but enough for every seed to recover. fc2-'s recording of this configuration: the loop's heirs 1%, hbsim's 5%, 8 of 20 seeds",
    ),
    (
        "fc3-large-gap0",
        "last quarter",
        "as its tipped entry: the loop failed all of its last quarter, hbsim's seeds none of theirs",
    ),
    // fc4- to fc6- (pre-registered at 3713164, the model frozen at d922d3b), with the release shares pooled per host as that pre-registration decided
    // fc7- (pre-registered at 76e5474, the model frozen at d922d3b, the rules of 33ea880): as found, with the pools it moved
    (
        "fc7-incident-hot-gap0-busy4",
        "p90",
        "as its p50: 81 ms against 5.1 ms",
    ),
    // The hot table under load, as found again with the shares pooled per walk class (fc8-, fc9-, pre-registered at 85f0fab)
    (
        "fc7-incident-hot-gap0-busy4",
        "share",
        "the hot table under 4 busy threads on the fc guest: its walker lost its CPU at 5-8% of its releases (fc7- to fc9-: 827, 529 and 548 of 9,999), and hbsim, given that share (the release shares pooled per walk class), still lets its heirs in at 54% of the gaps against the loop's 36% (behind 2.4 ms walks; the trigger spanned 34 s): what lets them in is the wake-up race and the other CPU, not the displacement. Neither side tips (docs/validation.md, the twenty-first session)",
    ),
    (
        "inrace2-incident-hot-gap0-busy4",
        "share",
        "the loop's heirs won 6% of the gaps behind 0.4 ms walks under 4 busy threads on an older AMD guest, hbsim's 22% with every host's hot-table pool at that load (the fc guest's three recordings, 6% displaced): as fc7-incident-hot-gap0-busy4, the heirs get in through the wake-up race and the other CPU, not the displacement",
    ),
    (
        "fc8-incident-hot-gap0-busy4",
        "share",
        "the hot table under 4 busy threads on the fc guest: its walker lost its CPU at 5-8% of its releases (fc7- to fc9-: 827, 529 and 548 of 9,999), and hbsim, given that share (the release shares pooled per walk class), still lets its heirs in at 39% of the gaps against the loop's 21%: what lets them in is the wake-up race and the other CPU, not the displacement. Neither side tips (docs/validation.md, the twenty-first session)",
    ),
    (
        "fc8-incident-hot-gap0-busy4",
        "p90",
        "as its p50: 76 ms against 6.7 ms",
    ),
    (
        "fc9-incident-hot-gap0-busy4",
        "share",
        "the hot table under 4 busy threads on the fc guest: its walker lost its CPU at 5-8% of its releases (fc7- to fc9-: 827, 529 and 548 of 9,999), and hbsim, given that share (the release shares pooled per walk class), still lets its heirs in at 47% of the gaps against the loop's 30%: what lets them in is the wake-up race and the other CPU, not the displacement. Neither side tips (docs/validation.md, the twenty-first session)",
    ),
    (
        "fc9-incident-hot-gap0-busy4",
        "p90",
        "as fc8-'s: 86 ms against 5.1 ms (the p50 agrees, 0.8 ms against 0.010 ms within the tolerance)",
    ),
    // fc10- (pre-registered at 109f099, the model frozen at d922d3b): as found
    (
        "fc10-incident-hot-gap0-busy4",
        "share",
        "as fc7- to fc9-'s: the loop's heirs won 23% of the gaps behind 0.8 ms walks, hbsim's 42%. This session counted the releases at which a heartbeat thread wanted the monitor: the walker lost its CPU at 429 of those 6,468 (6.6%; 4.4% of every release), so the hot class's low displaced share holds per woken heir too; what lets hbsim's heirs in is the wake-up race and the other CPU (docs/validation.md, the twenty-first session)",
    ),
    (
        "fc10-incident-hot-gap0-busy4",
        "p90",
        "as its share: 52 ms against 4.9 ms (the p50 agrees)",
    ),
    // fc11-, fc12- (pre-registered at ed6c23b, the model frozen at d922d3b): as found
    (
        "fc11-incident-hot-gap0-busy4",
        "p90",
        "as fc7- to fc10-'s: 43 ms against 5.9 ms (the share agrees this time, 37% of the gaps against hbsim's 40%, and the p50): the loop's slowest tenth waited out walks that hbsim's heartbeats did not",
    ),
    // fc13- to fc15- (pre-registered at 78fdaf1, the model frozen at d922d3b): as found
    (
        "fc14-large-gap0",
        "last quarter",
        "the deadline's knife edge on the idle 400,000-group table: the trigger's 100 walks of 44 ms spanned 5.7 s and the loop fed itself for a while (42% of all heartbeats timed out) but recovered into its last quarter (0.18); with the race's shift 14 of 20 seeds fed themselves to the end (on the edge, so tipped or not agreed; 20 of 20 unshifted), median 0.71, none within 0.10; at the trigger's level (the thirty-second session) 17 of 20, median 1.00, and tipped or not is a miss too",
    ),
    (
        "fc29-huge-gap0-busy4",
        "tipped",
        "the busy-4 table at the collapse rule's edge on the fc guest (1.1 s walks): the loop kept feeding itself and failed 53% of its last quarter, its heirs in at 22 of 49 gaps; hbsim's won 48%, 2 of 20 seeds collapsed (median 0.28, 4 within 0.10, so its last quarter agrees)",
    ),
    (
        "fc1-huge-gap0-busy4",
        "registers",
        "moved by the pool: fc27- to fc29- joined this table's release shares and hbsim's heirs now drain 2,371 calls per won gap against the loop's 930 (2,512 before, inside the test's spread then); the loop's drained at 69 per ms, the JVM's drain under load that hbsim's heartbeat threads do not slow to (docs/validation.md, the nineteenth and twenty-third sessions)",
    ),
    (
        "fc32-huge-gap0-busy4",
        "last quarter",
        "held out (the twenty-fourth session): the loop fed itself to 0.92 with its heirs in at 18 of 41 gaps; hbsim's won 44% (as the loop's), 6 of 20 seeds collapsed (on the edge, so tipped or not agrees), median 0.33, one within 0.10: the busy-4 table's full collapse hbsim's seeds reach less often (KNOWN_CONFIGURATIONS)",
    ),
    // fc45- to fc52- (the twenty-sixth session; pre-registered for the `fc` guest, recorded on
    // a guest reporting `haltpoll`, so graded with the older AMD guests' configurations), held
    // out, as found. Their four huge-gap15 misses agree with the race's shift, switched on by
    // fc53- to fc55-'s pre-registered rule.
    (
        "fc49-incident-hot-gap0",
        "registers",
        "as fc1-incident-hot-gap0: behind 0.3 ms walks the loop's heirs won 52 of 9,999 gaps, draining 38.9 heartbeats each; hbsim's won more gaps, 3.1 each",
    ),
    (
        "fc50-incident-hot-gap0",
        "registers",
        "as fc1-incident-hot-gap0: behind 0.3 ms walks the loop's heirs won 37 of 9,999 gaps, draining 51.0 heartbeats each; hbsim's won more gaps, 2.4 each",
    ),
    (
        "fc52-incident-hot-gap0",
        "registers",
        "as fc1-incident-hot-gap0: behind 0.3 ms walks the loop's heirs won 33 of 9,999 gaps, draining 39.2 heartbeats each; hbsim's won more gaps, 3.5 each",
    ),
    // fc53- to fc55- (the twenty-sixth session, pre-registered at 82ecb5f: the race's shift
    // against the mirror as it stands), held out, as found with the shift, which their rule
    // switched on (tipped or not 11 of 12 shifted against 7 of 12, the last quarter 10 against 9).
    (
        "fc53-huge-gap0",
        "last quarter",
        "the idle AMD 300 ms edge: the trigger's ten walks spanned 3.03 s, the loop's heirs won 3 of 183 gaps and it fed itself to 0.89; 8 of 20 seeds collapsed (on the edge, so tipped or not agrees), median 0.00, one within 0.10",
    ),
    (
        "fc54-huge-gap15",
        "last quarter",
        "the loop ran on after the trigger (165 gaps, its heirs in at 33%) and failed 13% of its last quarter; hbsim's heirs win 51% shifted (22% unshifted, 3 of 20 seeds ran on) and no seed runs on (median 0.00, none within 0.10)",
    ),
    // fc56- to fc58- (pre-registered at 37bdfac: the shift held out after it was switched on),
    // as found: 8 of 9 on tipped or not and on the last quarter (unshifted 5 and 5).
    (
        "fc58-large-gap0",
        "tipped",
        "the loop tipped behind 30 ms walks (0.82; its heirs in at 8 of 1,083 gaps, the older AMD guests' large-gap0 4 of 23 now), where its pre-run's heirs won 6 of 187 (3%) and, shifted there, hbsim's won 3% and every seed recovered; unshifted (this session's long-park wake-up p50 99 us) 20 of 20 seeds collapsed",
    ),
    ("fc58-large-gap0", "last quarter", "as its tipped entry (0.82 against a median of 0.00)"),
    ("fc58-large-gap0", "registers", "as its tipped entry: the loop's heirs drained a collapsed loop's backlog (3,188 calls a won gap), hbsim's a recovering one's (536)"),
    // Moved by the race's shift at the points recorded before it.
    (
        "hg6-huge-gap0",
        "last quarter",
        "moved by the race's shift: behind 419 ms walks (span 4.29 s) the loop ran on for 130 gaps with its heirs in at 30% and failed 33% of its last quarter; its pre-run's heirs won 15 of 26, and shifted there hbsim's win 57% and no seed runs on (10 of 20 unshifted, on the edge, with 16%)",
    ),
    ("hg6-huge-gap0", "share", "see last quarter"),
    ("hg6-huge-gap0", "p50", "see last quarter: the loop ran on, hbsim's seeds did not"),
    ("hg6-huge-gap0", "p90", "as its p50"),
    // The twenty-seventh session (`user4-` to `user6-`, pre-registered): configured from the
    // calibration recorded just before each set, which carries the race's shift fitted behind
    // its own long loop's walks with no gap between them.
    (
        "user5-large-gap0",
        "tipped",
        "400,000 groups walked in 39 ms (the other two sets' 30-31 ms): the trigger's 100 walks outlast the 3 s deadline by a second and the loop fed itself to 0.53 of its last quarter with its heirs in at 14 of 897 gaps; hbsim's heirs win 3% too and its seeds mostly drain the backlog in time (2 of 20 collapsed; 6 of 20 with the calibration unshifted, on the edge)",
    ),
    ("user5-large-gap0", "last quarter", "as its tipped entry (0.53 against a median of 0.00)"),
    // Its second part (`user7-` to `user9-`, pre-registered): the calibration's second race is
    // offered, not applied; these are the one-race shift's misses.
    (
        "user7-large-gap0",
        "tipped",
        "as user5-large-gap0: 400,000 groups in 39 ms, the trigger's 100 walks spanning 4.15 s, and the loop fed itself to 0.70 of its last quarter (its heirs in at 15 of 893 gaps); hbsim's heirs win 3% too and 2 of 20 seeds collapsed",
    ),
    // The twenty-eighth session (`user10-` to `user12-`, pre-registered): the calibration's
    // long-park wake-up is its third race's (behind a 200 us gap, every heir's time in).
    (
        "user10-huge-gap0",
        "tipped",
        "the loop's heirs won 2 of 9 gaps behind no gap (its pre-run 2 of 29) and drained the backlog each time, so nothing timed out though the trigger's walks spanned 3.66 s; hbsim's heirs win under 1% there and 20 of 20 seeds collapsed (20 with the one-race shift too)",
    ),
    ("user10-huge-gap0", "last quarter", "see tipped (0.00 against a median of 1.00)"),
    // Held out (`user13-` to `user15-`), the open race applied, as found.
    (
        "user14-large-gap0",
        "tipped",
        "the 400,000-group knife edge again: the trigger's walks spanned 3.43 s and the loop fed itself to 0.74 of its last quarter; this run's open race is flagged in its file (under the model its heirs win 10.8% behind no gap against 1 of 74 in its first race) and hbsim's heirs won 11% of the gaps where the loop's won 1%: 0 of 20 seeds (6 of 20 with the shifted line, on the edge)",
    ),
    ("user14-large-gap0", "last quarter", "see tipped (0.74 against 0.00 in every seed)"),
    ("user14-large-gap0", "registers", "see tipped: the loop's heirs drained a collapsed loop's backlog (2,295 calls a won gap), hbsim's a recovering one's (173)"),
    // The twenty-ninth session (`user16-` to `user18-`), the open race applied, as found.
    (
        "user17-huge-gap0",
        "last quarter",
        "the loop's heirs won 6 of 161 gaps behind no gap and cut its last quarter to 0.78; under this run's open race (0.2% behind no gap under the model) hbsim's won none and every seed stayed at 1.00. The race after the walker's exit, offered in the file, gives them 3% and agrees (18 of 20 seeds, median within 0.1)",
    ),
    // Held out (`user19-` to `user21-`), the open race applied, as found.
    // The thirtieth session (`user22-` to `user24-`), as found.
    // Held out (`user25-` to `user27-`), as found.
    // The thirty-first session (`user28-` to `user30-`), as found.
    // Held out (`user31-` to `user33-`), as found.
    // The thirty-second session: the own-walks mirror at the trigger's level, as found.
    (
        "back2-huge-gap0-busy4",
        "last quarter",
        "see tipped: the loop at the rule's edge (0.55); 2 seeds within 0.10 before the own-walks mirror at the trigger's level (WALKS_AT_TRIGGER_LEVEL, the thirty-second session), none with it (median 0.02)",
    ),
    (
        "fc14-large-gap0",
        "tipped",
        "the deadline's knife edge on the idle 400,000-group table (see its last quarter): the trigger's 100 walks averaged 57 ms against the run's 46, so with the own-walks mirror at the trigger's level (WALKS_AT_TRIGGER_LEVEL, the thirty-second session) hbsim's seeds feed themselves to the end at 17 of 20 (14 of 20 before, on the edge) where the loop recovered into its last quarter (0.18)",
    ),
    (
        "very3-huge-gap0",
        "registers",
        "the loop's heirs won 6 of 150 gaps, hbsim's none in 19 of 20 seeds: at the trigger's level (the own-walks mirror at the trigger's level (WALKS_AT_TRIGGER_LEVEL, the thirty-second session): 323 ms against the run's mean of 365) one seed's heirs won gaps, and its calls per won gap (22,798: a collapsed loop's whole backlog) are the only ones compared",
    ),
    // The thirty-third session, the release shares pooled by guest under load, as found.
    (
        "knots-huge-gap0-busy4",
        "share",
        "an older AMD recording (no recording of its guest counts the race at the walker's release) configured with every host's pooled shares at 4 busy threads: the displaced share counted there on top of this session's fast wake-up (long-park p50 25 us against the walker's 52 us return) lets hbsim's heirs win 92% of the gaps against the loop's 59% (37 of 63); the AMD busy-4 configuration agrees on tipping. Off KNOWN in the thirty-second session while this guest's counts stood in its host's pool, back on pooled by guest",
    ),
    ("knots-huge-gap0-busy4", "p50", "see share: hbsim's heartbeats rarely wait a walk (0.001 ms against 714 ms)"),
    (
        "user2-huge-gap0-busy4",
        "share",
        "as knots-huge-gap0-busy4 (the older AMD guest's busy-4 point on every host's shares): hbsim's heirs win 96% of the gaps against the loop's 61% (38 of 62)",
    ),
    // trig1- to trig6- (this guest under 4 and 8 busy threads, the thirty-third session), as found.
    (
        "trig4-huge-gap0-busy4",
        "tipped",
        "this guest under 4 busy threads tipped in 3 of trig4- to trig6- (0.56, 1.00, 0.86) and in none of trig1- to trig3-, with its heirs at 27-48% of the gaps against 46-57%; hbsim's heirs win 44-50% at every one and 0-2 of 20 seeds collapse. Not the drain: a won gap carries the same calls on both sides (1,387 against 1,438, the loop's heirs at 234 calls per ms inside the loop, hbsim's at 144), though the JVM's drain measured apart slows beside busy threads and hbsim's does not (the_jvms_drain_slows_under_load_and_hbsims_does_not). Not the share's drift between runs either: spread to the loop's own scatter (trial F), hbsim's seeds still recover. Open: the loop's won gaps are shorter at the median (3.9 ms against hbsim's exponential of mean 10.4) and its next walk comes before a backlog that outlasts one won gap is drained (docs/validation-log.md, the thirty-fourth session)",
    ),
    ("trig5-huge-gap0-busy4", "tipped", "as trig4-huge-gap0-busy4: the loop's heirs won 18 of 67 gaps and it collapsed fully (1.00); hbsim's won 50%, 0 of 20 seeds"),
    ("trig5-huge-gap0-busy4", "last quarter", "see tipped (1.00 against hbsim's median 0.03)"),
    ("trig6-huge-gap0-busy4", "tipped", "as trig4-huge-gap0-busy4 (0.86; hbsim 2 of 20 seeds)"),
    ("trig6-huge-gap0-busy4", "last quarter", "see tipped (0.86 against hbsim's median 0.15)"),
    // trig11- to trig15- (H2 held out, the thirty-fourth session), as found.
    (
        "trig14-huge-gap0-busy4",
        "tipped",
        "as trig5-huge-gap0-busy4: the loop's heirs won 19 of 61 gaps (0.31, the low end of this guest's busy-4 scatter) and it fed itself to 0.53; hbsim's win 49% and 0 of 20 seeds collapse. This guest's fifteen busy-4 recordings tipped 4 times against 0.74 expected (p = 0.004) (docs/validation-log.md, the thirty-fourth session)",
    ),
    // The thirty-fifth session (`user37-`, pre-registered): a fourth host, an Intel Xeon guest
    // without a cpuidle driver, held out; as found. A user session: this table takes its quick
    // calibrations with the loop's own walks.
    (
        "user37-incident-hot-gap0",
        "registers",
        "as fc1-incident-hot-gap0: behind 0.6 ms walks the loop's heirs won 12 of 9,999 gaps, 309 calls each; hbsim's won 12%, 3.6 each",
    ),
    ("user37-incident-hot-gap0", "p90", "see registers: the loop's few won gaps came after long backlogs (330 ms against hbsim's 5.6 ms)"),
    (
        "user37-incident-hot-gap0-busy4",
        "p90",
        "the loop's heirs won 19% of the gaps behind 0.6 ms walks, 5.4 calls each, hbsim's 34%, 6 each: between its won gaps the loop's heartbeats waited longer (55 ms against 3.9 ms)",
    ),
    (
        "user37-large-gap0",
        "last quarter",
        "as user5-large-gap0: 400,000 groups walked in 37 ms on this host, so the trigger's 100 walks outlast the 3 s deadline and the loop fed itself to 0.41 of its last quarter with its heirs in at 19 of 967 gaps; hbsim's heirs won 2% too, 6 of 20 seeds collapse (on the edge), median 0.00, one within 0.10",
    ),
    // The thirty-fifth session, second part (`user38-`, the fourth host again), as found.
    // The thirty-sixth session: G applied (the wake-up behind a busy gap, held out on `user39-` to
    // `user41-`); what it moved, as found.
    (
        "user15-huge-gap15",
        "share",
        "the loop ran on for a while (its heartbeats waited 0.84 s at the median) and its heirs won 41 of 158 gaps; with the calibration's race behind 15 us (52 of 74 won) hbsim's heirs win 75% and its seeds never run on (before G: 47%, inside the loop's interval)",
    ),
    ("user15-huge-gap15", "registers", "see share: the loop's won gaps drained a run-on backlog (982 calls each), hbsim's a short one (284)"),
    ("user15-huge-gap15", "p50", "see share (0.84 s against 0.003 ms)"),
    ("user15-huge-gap15", "p90", "see share (4.06 s against 0.005 ms)"),
    // The thirty-sixth session, second part (`user42-` to `user44-`: where the loop turns between
    // no gap and 5 us), as found; since the thirty-seventh's M (a busy gap adds to the file's own)
    // G weighs in at the busy gap / 15 us there.
    (
        "user42-huge-gap0",
        "last quarter",
        "the loop tipped but fed itself part-way (0.80 of its last quarter, its heirs in at 6 of 174 gaps); every hbsim seed at 1.00 (heirs at 0%)",
    ),
    ("user43-huge-gap0", "last quarter", "as user42-huge-gap0 (0.58, its heirs in at 5 of 161 gaps; hbsim 1.00)"),
    (
        "user43-huge-gap5",
        "last quarter",
        "the loop ran on part-way (0.43, its heirs in at 16 of 157 gaps) and held under the half; with M G weighs in at a third of the releases, hbsim's heirs win 32% and every seed recovers (median 0.00, none within 0.10)",
    ),
    ("user43-huge-gap5", "registers", "see share: the loop's fewer won gaps drained a run-on backlog (2,124 calls each), hbsim's more a short one (693)"),
    ("user44-huge-gap5", "last quarter", "the loop ran on part-way (0.17); hbsim's median 0.27 (5 of 20 seeds collapse), one seed within 0.10"),
    // The thirty-seventh session (`user45-` to `user47-`, held out for M), as found.
    (
        "user45-huge-gap5",
        "tipped",
        "the loop held (its heirs in at 2 of 9 gaps) behind walks of 424 ms; this file's second race was won at 42 of 74 (the other sets' 60-69), so its wake-up behind a gap sits 4 us before the applied one and hbsim's heirs win 7% at a third of the releases: 17 of 20 seeds with the loop's long walks, 6 of 20 (on the edge) with the calibration's",
    ),
    (
        "user46-huge-gap2",
        "tipped",
        "the loop ran on part-way (0.22, its heirs in at 15 of 177 gaps) and held under the half; behind 2 us G weighs in at 0.13 of the releases and hbsim's heirs win 3%: 19 of 20 seeds. Behind 2 us the loop held at three of three, behind no gap it tipped at five of five on this host",
    ),
    ("user46-huge-gap2", "last quarter", "see tipped (0.22 against 1.00)"),
    ("user46-huge-gap3", "last quarter", "the loop ran on part-way (0.38, its heirs in at 16 of 159 gaps); hbsim's seeds split on the edge (11 of 20), median 0.58, none within 0.10"),
    // The thirty-seventh session, second part (`user48-` to `user50-`, M frozen), as found.
    ("user50-huge-gap1", "last quarter", "the loop tipped part-way (0.64, its heirs in at 8 of 145 gaps); hbsim's seeds all at 1.00 but one"),
    // The thirty-ninth session (`user54-` to `user56-`, this guest under 4 and 12 busy threads), as found.
    (
        "ends1-huge-gap0-busy12",
        "share",
        "the loop's heirs got in at none of 19 gaps: its walker kept its CPU at every release (user55-huge-gap0-busy12, 2 of 27, agrees since this point's counts joined the pool; this guest's other busy-12 recordings lost their walker's CPU at 4-10 of 17-23 releases); hbsim's pool gives 37%. Tipped agrees (20 of 20 seeds)",
    ),
    // The fortieth session (`user57-` to `user59-`, held out for D, which was not kept), as found.
    (
        "user57-huge-gap0-busy12",
        "last quarter",
        "the loop tipped just over the half (0.52, its heirs in at 10 of 19 gaps); hbsim's seeds collapse whole (median 1.00, none within 0.10). Tipped agrees",
    ),
    (
        "user58-huge-gap0-busy8",
        "tipped",
        "the loop tipped (0.80; its heirs in at 12 of 36 gaps, hbsim's 51%) after holding at all five busy-8 recordings before it on this guest; hbsim 2 of 20 seeds (median 0.23). user59- tipped too (1.00, on hbsim's edge at 10 of 20): the configuration, 2 tips in 8, agrees (3.6 expected, p = 0.37)",
    ),
    ("user58-huge-gap0-busy8", "last quarter", "see tipped (0.80 against a median of 0.23, one seed within 0.10)"),
    // The forty-first session (`user60-` and `user61-`, held out for E, which was not kept), as
    // found; user52-huge-gap0-busy8's last quarter came off this list as they joined its pool.
    ("user59-huge-gap0-busy12", "share", "see tipped (24 of 29 gaps against the pool's 31%)"),
    // The forty-second session: F on an idle host applied (the executor threads as the JVM runs
    // them in a drain, heirs that spin, a walker that parks behind them, the loop's hold), and
    // `user62-`, `user63-` held out for it. As found under F; the idle points it moved.
    ("fc54-huge-gap15", "p50", "the loop ran on part-way behind 15 us (0.13 of its last quarter, its heirs in at 54 of 165 gaps) and its heartbeats waited 0.5 s at the median; under F hbsim's heirs win 53% and drain each gap, none waits (0.005 ms)"),
    ("fc54-huge-gap15", "p90", "as its p50 (2.1 s against 0.04 ms)"),
    ("park-large-gap0", "registers", "under F a won gap ends when the parked walker is woken behind the spinning heirs: 178 registrations against the loop's 552 (heirs in at 7 of 252 gaps; 13% in hbsim)"),
    (
        "spread-huge-gap0",
        "tipped",
        "the spread table's loop tipped (0.87, its heirs in at 12 of 171 gaps); under F hbsim's heirs win 12% and drain each gap at the JVM's pace: 3 of 20 seeds collapse (as it stood, the table's collapse came from heirs that won few gaps and drained them at twice the pace in a tenth of the time)",
    ),
    ("spread-huge-gap0", "last quarter", "see tipped (0.87 against a median of 0.00, one seed within 0.10)"),
    ("user15-huge-gap0", "last quarter", "the loop fed itself to 0.88 (heirs in at 2 of 166 gaps); under F 7 of 20 seeds collapse (on the edge, so tipped or not agrees), median 0.00, one within 0.10"),
    ("user2-huge-gap0", "last quarter", "the loop fed itself part-way (0.80, heirs in at 10 of 177 gaps); under F 19 of 20 seeds at 1.00"),
    ("user4-huge-gap15", "registers", "behind 15 us the loop's heirs won 7 of 9 gaps with 291 registrations each; under F hbsim's heirs win 4% and drain 1,890 in each (13 of 20 seeds collapse, on the edge)"),
    ("user44-huge-gap3", "last quarter", "the one 3 us loop on this guest that tipped, part-way (0.69); under F 15 of 20 seeds at 1.00"),
    ("user45-huge-gap3", "last quarter", "as user44-huge-gap3 (the loop 0.74, under F 15 of 20 seeds at 1.00)"),
    ("user46-huge-gap3", "p50", "the loop ran on part-way (0.38) and its heartbeats waited 2.2 s at the median; under F 8 of 20 seeds collapse (the edge), the median seed none waits"),
    ("user47-huge-gap3", "last quarter", "the loop ran on part-way (0.43, heirs in at 11 of 158 gaps); under F 11 of 20 seeds collapse (the edge), median 1.00"),
    ("user47-huge-gap3", "registers", "the loop's 11 won gaps drained 3,458 registrations each (walker away for ms); under F 894"),
    ("user5-huge-gap15", "last quarter", "the loop ran on part-way behind 15 us (0.18, heirs in at 59 of 165 gaps); under F 4 of 20 seeds collapse, the rest recover fully (median 0.00), one within 0.10"),
    ("user5-huge-gap15", "p50", "see last quarter (0.5 s against 0.005 ms)"),
    ("user5-large-gap0", "registers", "under F a won gap ends when the parked walker is woken behind the spinning heirs: 412 registrations against the loop's 1,834"),
    (
        "user63-huge-gap0",
        "tipped",
        "held out (the forty-second session): this guest's idle no-gap loop held for the first time in six (0.00, its heirs in at 1 of 9 gaps); hbsim collapses in 20 of 20 seeds with and without F, as at the five that tipped",
    ),
    ("user63-huge-gap0", "last quarter", "see tipped (0.00 against 1.00)"),
    ("warm-huge-gap0-cold", "tipped", "the cold table's loop held (0.00, its heirs in at 9 of 9 gaps); under F hbsim's heirs win 26% and 15 of 20 seeds collapse (as it stood the heirs' faster drain carried it)"),
    ("warm3-huge-gap15", "p50", "the loop ran on part-way behind 15 us (0.14, heirs in at 88 of 161 gaps) with its heartbeats waiting 1.4 s at the median; under F none waits (0.004 ms)"),
    ("warm3-huge-gap15", "p90", "as its p50 (3.9 s against 0.01 ms)"),
    ("warm5-huge-gap0", "last quarter", "the loop held (0.00); under F 19 of 20 seeds at 1.00 (tipped or not was known)"),
    // The forty-fourth session (`user64-` and `user65-`, held out for H, which was not kept), as
    // found; user-huge-gap0-busy8 moved as they joined every host's pool at 8 busy threads.
    ("user-huge-gap0-busy8", "p50", "the loop's heartbeats got through between walks at a median 0.03 ms (heirs in at 8 of 9 gaps, held); with user64- and user65- in every host's busy-8 pool that this older guest's point draws, hbsim's median response 1.8 s (tipped agrees)"),
    ("user65-huge-gap0-busy8", "last quarter", "the loop held (0.08) with its heirs in at 26 of 32 gaps (its walker lost its CPU at 19 of 32 releases, user64-'s 5 of 30 an hour earlier); hbsim 14 of 20 seeds collapse (median 0.65, one within 0.10), on the edge, so tipped or not agrees"),
    ("user65-huge-gap0-busy8", "share", "see last quarter (26 of 32 gaps against the pool's 40%)"),
    // The forty-fourth session's I (applied, at every load where the busy threads fill the CPUs),
    // as found over every recording with user66- and user67- in the pools.
    ("inrace2-incident-hot-gap0-busy4", "registers", "as found under I (the forty-fourth session): the loop's won gaps drained 8 registrations each; hbsim's 3, before I 5"),
    ("user-incident-hot-gap0-busy4", "registers", "as found under I (the forty-fourth session): the loop's won gaps drained 6 registrations each; hbsim's 3, before I 5"),
    ("user37-incident-hot-gap0-busy4", "share", "as found under I (the forty-fourth session): the loop's heirs won 0.19 (1918/9999) of the gaps; hbsim's 0.37, before I 0.34"),
    ("user66-huge-gap0-busy12", "tipped", "as found under I (the forty-fourth session): the loop held (0.31, its heirs in at 0.41 (9/22)); 18 of 20 seeds collapse (median 0.78), before I 19 of 20"),
    // The forty-fifth session: as found when user68- (4 and 16 busy threads) joined the pools.
    ("disp2-huge-gap0-busy12", "last quarter", "as found when user68- joined the pools (the forty-fifth session): the loop held (0.00); hbsim's seeds run on part-way (median 0.45, 0 within 0.10; 5 of 20 collapse), before it median 0.47 (9 of 20)"),
    // The forty-seventh session: as found when L was applied with user69- (8, 12 and 4 busy threads) in the pools.
    ("knots-huge-gap0-busy4", "p90", "see p50 (360.7 ms against 2471.6 ms)"),
    ("user-huge-gap0-busy8", "p90", "see p50 (6845.1 ms against 1055.1 ms)"),
    ("user2-huge-gap0-busy8", "last quarter", "as found when L was applied with user69- in the pools (the forty-seventh session): the loop failed 0.04 of its last quarter; hbsim's seeds fail more (median 0.51, 1 within 0.10; 10 of 20 collapse), under I median 0.51 (10 of 20)"),
    ("user65-huge-gap0-busy12", "tipped", "as found when L was applied with user69- in the pools (the forty-seventh session): the loop held (0.47, its heirs in at 0.33 (8/24)); 15 of 20 seeds collapse (median 0.58), under I 9 of 20"),
    ("user65-huge-gap0-busy8", "tipped", "as found when L was applied with user69- in the pools (the forty-seventh session): the loop held (0.08, its heirs in at 0.81 (26/32)); 19 of 20 seeds collapse (median 1.00), under I 12 of 20"),
    // The forty-eighth session: as found when user70- (8, 12 and 4 busy threads) joined the pools, N applied.
    ("fc28-huge-gap0-busy4", "tipped", "as found when user70- joined the pools, N applied (the forty-eighth session): the loop tipped (1.00) with its heirs in at 0.35 (13/37); 3 of 20 seeds collapse (median 0.29), before it 6 of 20"),
    ("inrace-huge-gap0-busy4", "p50", "as found when user70- joined the pools, N applied (the forty-eighth session): the loop's median heartbeat passed between walks (0.051 ms); hbsim's median seed puts it behind a walk (2214.593 ms; last quarter median 0.45, 7 of 20 collapse), as before it (2483.028 ms)"),
    ("runs5-huge-gap0-busy8", "tipped", "as found when user70- joined the pools, N applied (the forty-eighth session): the loop tipped (0.99) with its heirs in at 0.44 (12/27); 5 of 20 seeds collapse (median 0.41), before it 6 of 20"),
    // The forty-eighth session's second part: user71- (an idle host) as found, N applied there.
    ("user71-huge-gap0", "last quarter", "as found with N on an idle host (the forty-eighth session): the loop tipped and fed itself part-way (0.60 of its last quarter); 19 of 20 seeds collapse throughout (median 1.00, none within 0.10)"),
    ("user71-huge-gap3", "last quarter", "as found with N on an idle host (the forty-eighth session): the loop held with 0.32 of its last quarter failed; 11 of 20 seeds collapse (median 0.80, none within 0.10), 13 of 20 before N"),
    // The forty-ninth session: as found when user72- (8, 12 and 4 busy threads) and user73- (idle) joined the pools.
    ("user66-huge-gap0-busy12", "last quarter", "as found when user72- and user73- joined the pools (the forty-ninth session): the loop failed 0.31 of its last quarter; hbsim's seeds fail more (median 0.84, 0 within 0.10; 19 of 20 collapse), before it median 1.00 (15 of 20)"),
    ("user73-huge-gap3", "tipped", "as found with P's hold-out (the forty-ninth session): the loop held (0.50, its heirs in at 0.13 (23/183)); 17 of 20 seeds collapse (median 1.00)"),
    ("user73-huge-gap3", "last quarter", "as found with P's hold-out (the forty-ninth session): the loop failed 0.50 of its last quarter; hbsim's seeds fail more (median 1.00, 0 within 0.10; 17 of 20 collapse)"),
    // The fifty-first session: user76- (the fc-v1300 AMD guest under load) held out, as found.
    ("user77-huge-gap0-busy8", "last quarter", "as found with user77- (the fifty-first session, fourth part): the loop tipped (1.00), its walker back before its heirs had drained at 9 of 11 displaced won gaps (0.21 of its won gaps ended drained; hbsim's 0.91), as user76-'s did; hbsim's seeds fail less of the last quarter (none within 0.10; tipped agrees since user78- joined the pools)"),
    // The fifty-third session: user81- to user83- held out for S, S applied, as found.
    // The fifty-fourth session: user84- to user86- held out for T (the broker's JVM options), as found.
    ("quick3-huge-gap0-busy12", "tipped", "as found when user84- to user86- (T, the broker's JVM options) joined the pools and the first table's return was frozen again at 61.0 ms (the fifty-fourth session): the loop tipped (1.00); 5 of 20 seeds collapse"),
    ("runs8-huge-gap0-busy16", "tipped", "as found when user84- to user86- (T, the broker's JVM options) joined the pools and the first table's return was frozen again at 61.0 ms (the fifty-fourth session): the loop held (0.46); 16 of 20 seeds collapse"),
    ("trig14-huge-gap0-busy4", "last quarter", "as found when user84- to user86- (T, the broker's JVM options) joined the pools and the first table's return was frozen again at 61.0 ms (the fifty-fourth session): the loop failed 0.53 of its last quarter; hbsim's seeds fail less (median 0.14, 0 within 0.10)"),
    ("user79-huge-gap0-busy8", "tipped", "as found when user84- to user86- (T, the broker's JVM options) joined the pools and the first table's return was frozen again at 61.0 ms (the fifty-fourth session): the loop tipped (0.77); 3 of 20 seeds collapse"),
    // The fifty-fourth session, second part: user87- held out for U, as found.
    // The fifty-fifth session: user88- and user89- joined, U applied, as found.
    // The fifty-fifth session, second part: user90- and user91- joined (U checked), as found.
    // The fifty-sixth session: user92- and drain-share-busy8- joined the pools and the return was refrozen at 64.7 ms, as found.
    ("fc28-huge-gap0-busy4", "last quarter", "as found when user92- (W held out) and W's first calibration joined the pools and the first table's return was refrozen at 64.7 ms (the fifty-sixth session): the loop failed 1.00 of its last quarter; hbsim's seeds fail less (median 0.26, 0 within 0.10)"),
    ("fc7-huge-gap0-busy4", "last quarter", "as found when user92- (W held out) and W's first calibration joined the pools and the first table's return was refrozen at 64.7 ms (the fifty-sixth session): the loop failed 1.00 of its last quarter; hbsim's seeds fail less (median 0.59, 0 within 0.10)"),
    ("trig14-huge-gap0-busy8", "last quarter", "as found when user92- (W held out) and W's first calibration joined the pools and the first table's return was refrozen at 64.7 ms (the fifty-sixth session): the loop failed 0.93 of its last quarter; hbsim's seeds fail less (median 0.56, 1 within 0.10)"),
    ("trig6-huge-gap0-busy8", "last quarter", "as found when user92- (W held out) and W's first calibration joined the pools and the first table's return was refrozen at 64.7 ms (the fifty-sixth session): the loop failed 1.00 of its last quarter; hbsim's seeds fail less (median 0.48, 1 within 0.10)"),
    // The fifty-seventh session: user93- and user94- joined the pools and user92- to user94- the user sessions, as found.
    ("user94-huge-gap0-busy8", "tipped", "as found when user93- and user94- (W held out, not applied) joined the pools and user92- to user94- the user sessions (the fifty-seventh session): the loop tipped (0.51); 2 of 20 seeds collapse"),
    // The fifty-seventh session: user95- joined the pools and the user sessions, as found.
    // The fifty-eighth session: user96- (held out of the frozen pools), as found.
    // The fifty-eighth session: the first table's return refrozen at 68.2 ms (user93- to user97-'s calibrations), as found.
    ("back-huge-gap0-busy4-repeat", "last quarter", "as found when user93- to user97-'s calibrations moved the pooled return past 5% and the first table's return was refrozen at 68.2 ms (the fifty-eighth session): the loop failed 0.36 of its last quarter; hbsim's seeds fail less (median 0.00, 1 within 0.10)"),
    ("disp1-huge-gap0-busy16", "last quarter", "as found when user93- to user97-'s calibrations moved the pooled return past 5% and the first table's return was refrozen at 68.2 ms (the fifty-eighth session): the loop failed 1.00 of its last quarter; hbsim's seeds fail less (median 0.64, 1 within 0.10)"),
    ("fc32-huge-gap0-busy4", "tipped", "as found when user93- to user97-'s calibrations moved the pooled return past 5% and the first table's return was refrozen at 68.2 ms (the fifty-eighth session): the loop tipped (0.92); 5 of 20 seeds collapse"),
    ("user55-huge-gap0-busy12", "share", "as found when user93- to user97-'s calibrations moved the pooled return past 5% and the first table's return was refrozen at 68.2 ms (the fifty-eighth session): the loop's heirs won 2 of 27 gaps (0.07); hbsim's 0.42"),
    // The fifty-ninth session: the release pools frozen again over every recording to user98- (user96- to user98- moved the fc-v1300 busy-12 displaced share), as found.
    ("user80-huge-gap0-busy8", "tipped", "as found when user96- to user98-'s recordings moved the fc-v1300 busy-12 displaced share past its standard error and the release pools were frozen again over every recording to user98- (the fifty-ninth session): the loop tipped (0.56); 4 of 20 seeds collapse"),
    ("user98-huge-gap0-busy8", "p50", "as found with user98- (held out of both freezes, pre-registered; the fifty-ninth session), missed before the pools were frozen again too: with no close fed back and 9 gaps between walks the loop's median heartbeat passed between walks; the loop's p50 0.025 ms, hbsim's median seed's 1308.623 ms"),
    // The fifty-ninth session, again: the release pools frozen to user99- (its million-gap0-busy8 stood in a pool the frozen ones did not hold), as found.
    ("user95-huge-gap0-busy8", "tipped", "as found when user99-'s three recordings (its million-gap0-busy8 the first of that table on this guest, a pool the frozen ones did not hold) were taken into the release pools, frozen again to user99- (the fifty-ninth session): the loop tipped (0.60); 5 of 20 seeds collapse"),
    ("back2-huge-gap0-busy4-repeat", "last quarter", "Z (the sixtieth session), as found: last quarter failed: harness 0.19, hbsim median 0.00, 1 of 20 seeds within 0.1"),
    ("back3-huge-gap0-busy8", "tipped", "Z (the sixtieth session), as found: harness tipped = true (last quarter 0.51), hbsim 5 of 20 seeds"),
    ("blk2-huge-gap0-busy12", "last quarter", "Z (the sixtieth session), as found: last quarter failed: harness 0.79, hbsim median 0.44, 0 of 20 seeds within 0.1"),
    ("disp1-huge-gap0-busy4", "last quarter", "Z (the sixtieth session), as found: last quarter failed: harness 0.24, hbsim median 0.00, 1 of 20 seeds within 0.1"),
    ("fc6-huge-gap0-busy4", "last quarter", "Z (the sixtieth session), as found: last quarter failed: harness 1.00, hbsim median 0.54, 1 of 20 seeds within 0.1"),
    ("inloop-huge-gap0-busy8", "tipped", "Z (the sixtieth session), as found: harness tipped = true (last quarter 0.62), hbsim 5 of 20 seeds"),
    ("inrace-huge-gap0-busy4", "share", "Z (the sixtieth session), as found: gaps won: harness 0.88 (15 of 17, 95% 0.66-0.97), hbsim 0.50"),
    ("inrace-huge-gap0-busy8", "last quarter", "Z (the sixtieth session), as found: last quarter failed: harness 0.02, hbsim median 0.44, 1 of 20 seeds within 0.1"),
    ("load4-huge-gap0-busy16", "last quarter", "Z (the sixtieth session), as found: last quarter failed: harness 0.30, hbsim median 0.59, 1 of 20 seeds within 0.1"),
    ("park-huge-gap0-busy4-repeat", "last quarter", "Z (the sixtieth session), as found: last quarter failed: harness 0.23, hbsim median 0.00, 0 of 20 seeds within 0.1"),
    ("pool1-huge-gap0-busy8", "last quarter", "Z (the sixtieth session), as found: last quarter failed: harness 0.38, hbsim median 0.15, 1 of 20 seeds within 0.1"),
    ("quick3-huge-gap0-busy16", "last quarter", "Z (the sixtieth session), as found: last quarter failed: harness 0.95, hbsim median 0.57, 1 of 20 seeds within 0.1"),
    ("ready1-huge-gap0-busy16", "tipped", "Z (the sixtieth session), as found: harness tipped = false (last quarter 0.49), hbsim 16 of 20 seeds"),
    ("ready3-huge-gap0-busy8", "last quarter", "Z (the sixtieth session), as found: last quarter failed: harness 0.00, hbsim median 0.38, 0 of 20 seeds within 0.1"),
    ("runs5-huge-gap0-busy12", "last quarter", "Z (the sixtieth session), as found: last quarter failed: harness 0.60, hbsim median 0.49, 1 of 20 seeds within 0.1"),
    ("trig10-huge-gap0-busy4", "share", "Z (the sixtieth session), as found: gaps won: harness 0.86 (12 of 14, 95% 0.60-0.96), hbsim 0.43"),
    ("user100-huge-gap0-busy8", "p50", "held out (the sixtieth session), as `user96-` and `user98-`'s busy 8: the loop fed no close back, so its heartbeats passed between walks (median response: harness 0.030 ms, hbsim 1241.514 ms); the standing model before Z missed it too"),
    ("user100-huge-gap0-busy8", "p90", "held out (the sixtieth session), as `user96-` and `user98-`'s busy 8: the loop fed no close back, so its heartbeats passed between walks (p90 response: harness 726.389 ms, hbsim 4429.185 ms); the standing model before Z missed it too"),
    ("user74-huge-gap2", "last quarter", "Z (the sixtieth session), as found: last quarter failed: harness 0.37, hbsim median 0.18, 1 of 20 seeds within 0.1"),
    ("user77-huge-gap0-busy8", "tipped", "Z (the sixtieth session), as found: harness tipped = true (last quarter 1.00), hbsim 3 of 20 seeds"),
    ("user78-huge-gap0-busy8", "tipped", "Z (the sixtieth session), as found: harness tipped = true (last quarter 1.00), hbsim 5 of 20 seeds"),
    ("user79-huge-gap0-busy8", "last quarter", "Z (the sixtieth session), as found: last quarter failed: harness 0.77, hbsim median 0.23, 0 of 20 seeds within 0.1"),
    ("user83-huge-gap0-busy8", "last quarter", "Z (the sixtieth session), as found: last quarter failed: harness 1.00, hbsim median 0.59, 0 of 20 seeds within 0.1"),
    ("user88-huge-gap0-busy8", "tipped", "Z (the sixtieth session), as found: harness tipped = true (last quarter 0.58), hbsim 4 of 20 seeds"),
    ("user12-huge-gap0", "last quarter", "the sixty-first session: Z2 applied, with user102-: last quarter failed: harness 1.00, hbsim median 0.00, 1 of 20 seeds within 0.1"),
    ("user38-huge-gap0-busy8", "last quarter", "the sixty-first session: Z2 applied, with user102-: last quarter failed: harness 0.26, hbsim median 0.48, 1 of 20 seeds within 0.1"),
    ("user38-incident-hot-gap0-busy4", "p90", "the sixty-first session: Z2 applied, with user102-: p90 response: harness 22.537 ms, hbsim 7.209 ms"),
    ("user43-huge-gap5", "share", "the sixty-first session: Z2 applied, with user102-: gaps won: harness 0.10 (16 of 157, 95% 0.06-0.16), hbsim 0.32"),
    ("user44-huge-gap3", "registers", "the sixty-first session: Z2 applied, with user102-: registerProducer per won gap: harness 3274.0, hbsim 1000.8"),
    ("user49-huge-gap2", "tipped", "the sixty-first session: Z2 applied, with user102-: harness tipped = false (last quarter 0.00), hbsim 15 of 20 seeds"),
    ("user5-huge-gap15", "p90", "the sixty-first session: Z2 applied, with user102-: p90 response: harness 2545.509 ms, hbsim 0.014 ms"),
    ("user58-huge-gap0-busy12", "registers", "the sixty-first session: Z2 applied, with user102-: registerProducer per won gap: harness 4615.0, hbsim 1402.9"),
    ("user60-huge-gap0-busy8", "tipped", "the sixty-first session: Z2 applied, with user102-: harness tipped = true (last quarter 0.74), hbsim 4 of 20 seeds"),
    ("user60-huge-gap0-busy8", "last quarter", "the sixty-first session: Z2 applied, with user102-: last quarter failed: harness 0.74, hbsim median 0.30, 1 of 20 seeds within 0.1"),
    ("user63-huge-gap3", "last quarter", "the sixty-first session: Z2 applied, with user102-: last quarter failed: harness 0.39, hbsim median 0.00, 0 of 20 seeds within 0.1"),
    ("user66-huge-gap0-busy8", "last quarter", "the sixty-first session: Z2 applied, with user102-: last quarter failed: harness 0.20, hbsim median 0.50, 1 of 20 seeds within 0.1"),
    ("user76-huge-gap0-busy8", "last quarter", "the sixty-first session: Z2 applied, with user102-: last quarter failed: harness 0.91, hbsim median 0.60, 1 of 20 seeds within 0.1"),
    ("user78-huge-gap0-busy4", "last quarter", "the sixty-first session: Z2 applied, with user102-: last quarter failed: harness 0.11, hbsim median 0.00, 0 of 20 seeds within 0.1"),
    ("user81-huge-gap0-busy8", "last quarter", "the sixty-first session: Z2 applied, with user102-: last quarter failed: harness 0.69, hbsim median 0.45, 1 of 20 seeds within 0.1"),
    ("user86-huge-gap0-busy12", "last quarter", "the sixty-first session: Z2 applied, with user102-: last quarter failed: harness 0.08, hbsim median 0.52, 0 of 20 seeds within 0.1"),
    ("user94-huge-gap0-busy8", "last quarter", "the sixty-first session: Z2 applied, with user102-: last quarter failed: harness 0.51, hbsim median 0.23, 1 of 20 seeds within 0.1"),
    ("user95-huge-gap0-busy8", "last quarter", "the sixty-first session: Z2 applied, with user102-: last quarter failed: harness 0.60, hbsim median 0.26, 1 of 20 seeds within 0.1"),
    ("user96-huge-gap0-busy8", "p50", "the sixty-first session: Z2 applied, with user102-: median response: harness 0.026 ms, hbsim 1375.732 ms"),
    ("user96-huge-gap0-busy8", "p90", "the sixty-first session: Z2 applied, with user102-: p90 response: harness 706.518 ms, hbsim 4697.620 ms"),
    ("user98-huge-gap0-busy8", "p90", "the sixty-first session: Z2 applied, with user102-: p90 response: harness 846.131 ms, hbsim 4966.056 ms"),
    ("user103-huge-gap0-busy8", "p50", "the sixty-first session: user103-, as found (D2's hold-out; the loop's heartbeats passed in two won gaps of three): median response: harness 0.024 ms, hbsim 1308.623 ms"),
    ("user103-huge-gap0-busy8", "p90", "the sixty-first session: user103-, as found (D2's hold-out; the loop's heartbeats passed in two won gaps of three): p90 response: harness 820.213 ms, hbsim 4697.620 ms"),
];

/// The two full calibration sessions recorded on the validation host the same day: the CPU
/// model's `cpu_wait` comes from their hand-off experiment (the validation points' own sessions
/// do not run it).
pub const CPU_WAIT_SESSIONS: [&str; 2] = [
    "tests/data/calibration/full-2026-12-02.harness.json",
    "tests/data/calibration/full-2026-12-02-b.harness.json",
];

/// `cpu_wait` for the validation points: an exponential whose mean is
/// [`hbsim::calibrate::walker_wait_mean_us`] over [`CPU_WAIT_SESSIONS`] (pooled), to 0.1 ms.
pub fn cpu_wait() -> String {
    let docs: Vec<serde_json::Value> = CPU_WAIT_SESSIONS
        .iter()
        .map(|p| serde_json::from_str(&std::fs::read_to_string(repo_root().join(p)).unwrap()).unwrap())
        .collect();
    let measured: Vec<&serde_json::Map<String, serde_json::Value>> =
        docs.iter().map(|d| d["measured"].as_object().expect("measured")).collect();
    let mean_us = hbsim::calibrate::walker_wait_mean_us(&measured).expect("hand-off walker waits recorded");
    hbsim::calibrate::exponential_text((mean_us / 100.0).round() * 100_000.0)
}

/// The recorded points: (name, json, toml).
pub fn points() -> Vec<(String, PathBuf, PathBuf)> {
    let dir = repo_root().join("tests/data/validation");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let path = e.path();
            (path.extension()? == "json").then(|| path.file_stem()?.to_str().map(str::to_string))?
        })
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| (n.clone(), dir.join(format!("{n}.json")), dir.join(format!("{n}.toml"))))
        .collect()
}

/// The session's measured percentiles [µs] of `key` as an empirical distribution in scenario
/// syntax: `hbsim calibrate`'s ([`hbsim::calibrate::empirical_toml`]; p50, p90, p99, max). The tail is what decides a gap (a walker preempted at its release
/// leaves the monitor to heartbeats for milliseconds); a lognormal through two percentiles cannot
/// hold both the tight body (p90/p50 ≈ 1.1) and the millisecond p99.
fn empirical(cal: &serde_json::Value, key: &str) -> String {
    let measured = cal.as_object().expect("calibration is an object");
    hbsim::calibrate::empirical_toml(measured, key).unwrap_or_else(|e| panic!("{key}: {e}"))
}

/// As [`empirical`], with the recorded min and p10 ([`hbsim::calibrate::empirical_toml_with_tail`]).
fn empirical_with_tail(cal: &serde_json::Value, key: &str) -> String {
    let measured = cal.as_object().expect("calibration is an object");
    hbsim::calibrate::empirical_toml_with_tail(measured, key).unwrap_or_else(|e| panic!("{key}: {e}"))
}

/// The loop's own walks [ns] as one `close_cost_base` (the harness's table keeps its size, so the
/// walk is not split into a per-group cost rounded to whole nanoseconds: at 4,000,000 groups one
/// nanosecond per group is 4 ms a walk, 40 ms over the trigger's ten walks, which is the margin
/// between a 2.96 s and a 3.0 s run of walks against the 3 s deadline).
///
/// Where the session recorded the loop's walk percentiles (`outcome.walk_us_p50` … `_max`,
/// Validate.java since the `race-` session), an `empirical` through them, with its minimum chosen
/// so that the distribution's mean is the recorded `walk_us_mean` (clamped to `[0, p50]`; with
/// few walks the recorded percentiles are coarse). A walk's duration in the loop includes the
/// walker's own preemptions inside it on a busy host, which hbsim does not model separately.
/// Where the minimum and p10 were recorded too (the `inloop-` session on), all six knots as
/// recorded. Older sessions recorded only the mean: a constant.
///
/// Where the loop walked more than its trigger and recorded the trigger's mean walk, the whole
/// distribution is first scaled to the trigger's level ([`at_trigger_level`], the thirty-second
/// session): the walks the deadline races are the trigger's.
pub fn loop_walks(json: &serde_json::Value) -> String {
    let scaled = at_trigger_level(json);
    let outcome = scaled.as_ref().unwrap_or(&json["outcome"]);
    let mean = outcome["walk_us_mean"].as_f64().expect("outcome.walk_us_mean");
    let ns = |us: f64| format!("\"{}ns\"", (us * 1000.0).round().max(1.0));
    let knots: Option<Vec<f64>> = ["p50", "p90", "p99", "max"]
        .iter()
        .map(|p| outcome[format!("walk_us_{p}")].as_f64())
        .collect();
    let Some(k) = knots.filter(|_| outcome["walks"].as_u64().unwrap_or(0) >= 2) else {
        return ns(mean);
    };
    if outcome["walk_us_min"].as_f64().is_some() {
        // Recorded with its lower tail (the `inloop-` session on): the percentiles as they are.
        return empirical_with_tail(outcome, "walk_us");
    }
    let (p50, p90, p99, max) = (k[0], k[1].max(k[0]), k[2].max(k[1]).max(k[0]), k[3].max(k[2]).max(k[1]).max(k[0]));
    // The mean of the quantile function linear through (0, min), (0.5, p50), (0.9, p90),
    // (0.99, p99), (1, max) is 0.25 (min + p50) + 0.2 (p50 + p90) + 0.045 (p90 + p99) + 0.005 (p99 + max).
    let above = 0.2 * (p50 + p90) + 0.045 * (p90 + p99) + 0.005 * (p99 + max);
    let min = ((mean - above) / 0.25 - p50).clamp(0.0, p50);
    format!(
        "{{ dist = \"empirical\", min = {}, p50 = {}, p90 = {}, p99 = {}, max = {} }}",
        ns(min),
        ns(p50),
        ns(p90),
        ns(p99),
        ns(max)
    )
}

/// Whether the own-walks mirror draws a run's walks at its trigger's level
/// ([`at_trigger_level`]); pre-registered in docs/validation.md, the thirty-second session.
pub const WALKS_AT_TRIGGER_LEVEL: bool = true;

/// The loop's outcome with every walk figure (`walk_us_*`) scaled so that the mean is the
/// trigger's (`trigger_walk_us_mean`), where the loop walked more than its trigger; `None`
/// elsewhere (a loop that stopped after its trigger: its walks *are* the trigger's), where the
/// session did not record the trigger's mean, or with [`WALKS_AT_TRIGGER_LEVEL`] off.
///
/// Why: a loop's first walks after the quiet before its trigger are slower than those it makes
/// once it runs on (the first a median 8% at four million groups, the ten 1.9% over the run's
/// median; docs/validation.md, the thirty-second session). Drawn from the whole run's walks, the
/// trigger of a run that tipped came out faster than the one of a run that did not, whose walks
/// are only the trigger's: the mirror's input depended on the outcome it predicts.
pub fn at_trigger_level(json: &serde_json::Value) -> Option<serde_json::Value> {
    if !WALKS_AT_TRIGGER_LEVEL {
        return None;
    }
    let outcome = &json["outcome"];
    let trigger = json["params"]["trigger_closes"].as_u64()?;
    let walks = outcome["walks"].as_u64()?;
    let trigger_mean = outcome["trigger_walk_us_mean"].as_f64().filter(|m| *m > 0.0)?;
    let mean = outcome["walk_us_mean"].as_f64().filter(|m| *m > 0.0)?;
    if walks <= trigger {
        return None;
    }
    let factor = trigger_mean / mean;
    let mut scaled = outcome.clone();
    let map = scaled.as_object_mut()?;
    for q in ["mean", "min", "p1", "p5", "p10", "p50", "p90", "p99", "max"] {
        let key = format!("walk_us_{q}");
        if let Some(v) = map.get(&key).and_then(serde_json::Value::as_f64) {
            map.insert(key, serde_json::json!(v * factor));
        }
    }
    Some(scaled)
}

/// The walker's own return in the loop, as hbsim's event-thread gap: `(netty_event_gap,
/// netty_event_gap_long_walk_extra)` from [`hbsim::calibrate::walker_return_gap_us`], as
/// `hbsim calibrate` derives them: the walker's uncontested time back to the monitor
/// (`outcome.walker_back_uncontested_us_p50`: gaps no heartbeat won, since the `inloop-` session)
/// less the exit that woke the heir, never below the harness's gap. Behind walks shorter than
/// [`hbsim::calibrate::LONG_PARK_NS`] that is `netty_event_gap` (no extra); behind longer ones
/// the exit is the long-park one, `netty_event_gap` stays the harness's gap and the rest is the
/// extra a long walk adds: the walker's next poll and dispatch run cold (`park-large-gap0`: back
/// at 39 µs against a 12 µs exit; after 0.2 ms walks, 11 µs against 11 µs). `None` where the
/// session did not record it or the long-park costs (the heir's side of the same race): those
/// sessions keep the harness's gap and the short-park costs.
pub fn loop_return_gap(json: &serde_json::Value) -> Option<(String, Option<String>)> {
    let (outcome, params, cal) = (&json["outcome"], &json["params"], &json["calibration"]);
    let back = walker_back_us(json)?;
    cal["wake_latency_us_long_park_p50"].as_f64()?;
    let gap = params["gap_us"].as_f64()?;
    outcome["walk_us_mean"].as_f64()?;
    let long = walks_past_long_park(json);
    let exit = cal[if long { "exit_cost_us_long_park_p50" } else { "exit_cost_us_p50" }].as_f64()?;
    let us = |v: f64| format!("\"{}ns\"", (v * 1000.0).round());
    let ret = hbsim::calibrate::walker_return_gap_us(back, gap, exit);
    Some(if long { (us(gap), Some(us(ret - gap))) } else { (us(ret), None) })
}

/// Sessions whose points are configured the way a user would: from `hbsim calibrate --quick`
/// runs on the same host that day rather than from each point's own measurements
/// ([`user_scenario`]): (tag, calibration files' stem). A point with N busy threads takes
/// `<stem>-busyN.toml` (`--busy-threads N`), one with cache pressure `<stem>-cold.toml`
/// (`--cache-pressure 64`), the others `<stem>.toml`: a user calibrates under the load the broker
/// sees (docs/validation.md, the `user-` session).
pub const USER_SESSIONS: &[(&str, &str)] = &[
    ("user", "tests/data/calibration/user-session-2026-12-02"),
    // Recorded after 4c78705 (both user paths frozen): the five calibrations first, then the points.
    ("user2", "tests/data/calibration/user2-session-2026-12-02"),
    // Recorded after 7c44b4b on an Intel Xeon guest (every earlier session: AMD EPYC): the five
    // calibrations first, then the points (docs/validation.md, the eleventh session).
    ("user3", "tests/data/calibration/user3-session-2026-12-02"),
    // Pre-registered after `hbsim calibrate` took the race's shift (the twenty-seventh session):
    // each set's idle quick calibration first, then its four idle long-walk points.
    ("user4", "tests/data/calibration/user4-session-2026-12-04"),
    ("user5", "tests/data/calibration/user5-session-2026-12-04"),
    ("user6", "tests/data/calibration/user6-session-2026-12-04"),
    // Pre-registered with the calibration's second race (behind a 15 us gap, the two-race fit
    // offered as a comment): the twenty-seventh session, second part.
    ("user7", "tests/data/calibration/user7-session-2026-12-04"),
    ("user8", "tests/data/calibration/user8-session-2026-12-04"),
    ("user9", "tests/data/calibration/user9-session-2026-12-04"),
    // Pre-registered with the calibration's third race (behind a 200 us gap, its heirs' times in
    // offered as the long-park wake-up): the twenty-eighth session.
    ("user10", "tests/data/calibration/user10-session-2026-12-04"),
    ("user11", "tests/data/calibration/user11-session-2026-12-04"),
    ("user12", "tests/data/calibration/user12-session-2026-12-04"),
    // Held out after the open race was applied (the twenty-eighth session).
    ("user13", "tests/data/calibration/user13-session-2026-12-04"),
    ("user14", "tests/data/calibration/user14-session-2026-12-04"),
    ("user15", "tests/data/calibration/user15-session-2026-12-04"),
    // Pre-registered with each gap's walker exit paired with the heir's time in (the race after
    // the exit offered as a comment): the twenty-ninth session.
    ("user16", "tests/data/calibration/user16-session-2026-12-04"),
    ("user17", "tests/data/calibration/user17-session-2026-12-04"),
    ("user18", "tests/data/calibration/user18-session-2026-12-04"),
    // Held out after the twenty-ninth session's comparison (the open race applied, the race
    // after the exit offered).
    ("user19", "tests/data/calibration/user19-session-2026-12-04"),
    ("user20", "tests/data/calibration/user20-session-2026-12-04"),
    ("user21", "tests/data/calibration/user21-session-2026-12-04"),
    ("user22", "tests/data/calibration/user22-session-2026-12-04"),
    ("user23", "tests/data/calibration/user23-session-2026-12-04"),
    ("user24", "tests/data/calibration/user24-session-2026-12-04"),
    ("user25", "tests/data/calibration/user25-session-2026-12-04"),
    ("user26", "tests/data/calibration/user26-session-2026-12-04"),
    ("user27", "tests/data/calibration/user27-session-2026-12-04"),
    ("user28", "tests/data/calibration/user28-session-2026-12-05"),
    ("user29", "tests/data/calibration/user29-session-2026-12-05"),
    ("user30", "tests/data/calibration/user30-session-2026-12-05"),
    ("user31", "tests/data/calibration/user31-session-2026-12-05"),
    ("user32", "tests/data/calibration/user32-session-2026-12-05"),
    ("user33", "tests/data/calibration/user33-session-2026-12-05"),
    // Held out for the trigger's walks and the calibration's mean walk (the thirty-second session).
    ("user34", "tests/data/calibration/user34-session-2026-12-05"),
    ("user35", "tests/data/calibration/user35-session-2026-12-05"),
    ("user36", "tests/data/calibration/user36-session-2026-12-05"),
    // Held out on a fourth host, an Intel Xeon guest without a cpuidle driver (the thirty-fifth
    // session): four quick calibrations (idle, 4, 8, 12 busy threads) first, then eleven points.
    ("user37", "tests/data/calibration/user37-session-2026-12-05"),
    // The same host again, its pools filled by `user37-` (the thirty-fifth session, second part).
    ("user38", "tests/data/calibration/user38-session-2026-12-05"),
    // G held out on the same host (the thirty-sixth session): each set's idle quick calibration
    // (which offers the wake-up behind a busy gap), then `huge-gap5`, `huge-gap10`, `huge-gap15`.
    ("user39", "tests/data/calibration/user39-session-2026-12-05"),
    ("user40", "tests/data/calibration/user40-session-2026-12-05"),
    ("user41", "tests/data/calibration/user41-session-2026-12-05"),
    // Where the loop turns between no gap and 5 us (the thirty-sixth session, second part): each
    // set's idle quick calibration (G applied), then `huge-gap0`, `huge-gap3`, `huge-gap5`.
    ("user42", "tests/data/calibration/user42-session-2026-12-05"),
    ("user43", "tests/data/calibration/user43-session-2026-12-05"),
    ("user44", "tests/data/calibration/user44-session-2026-12-05"),
    ("user45", "tests/data/calibration/user45-session-2026-12-05"),
    ("user46", "tests/data/calibration/user46-session-2026-12-05"),
    ("user47", "tests/data/calibration/user47-session-2026-12-05"),
    ("user48", "tests/data/calibration/user48-session-2026-12-05"),
    ("user49", "tests/data/calibration/user49-session-2026-12-05"),
    ("user50", "tests/data/calibration/user50-session-2026-12-05"),
    // This guest under 8 busy threads (the thirty-eighth session, second part): each set's idle
    // quick calibration, then `huge-gap0-busy8`.
    ("user51", "tests/data/calibration/user51-session-2026-12-05"),
    ("user52", "tests/data/calibration/user52-session-2026-12-05"),
    ("user53", "tests/data/calibration/user53-session-2026-12-05"),
    // This guest under 4 and 12 busy threads (the thirty-ninth session): each set's idle, busy-4
    // and busy-12 quick calibrations, then `huge-gap0-busy4` and `huge-gap0-busy12`.
    ("user54", "tests/data/calibration/user54-session-2026-12-05"),
    ("user55", "tests/data/calibration/user55-session-2026-12-05"),
    ("user56", "tests/data/calibration/user56-session-2026-12-05"),
    // D held out on this guest (the fortieth session): each set's busy-4, busy-8 and busy-12
    // quick calibrations (their long loops count the won gaps' drain), then `huge-gap0-busy4`,
    // `huge-gap0-busy8`, `huge-gap0-busy12`.
    ("user57", "tests/data/calibration/user57-session-2026-12-05"),
    ("user58", "tests/data/calibration/user58-session-2026-12-05"),
    ("user59", "tests/data/calibration/user59-session-2026-12-05"),
    ("user60", "tests/data/calibration/user60-session-2026-12-06"),
    ("user61", "tests/data/calibration/user61-session-2026-12-06"),
    // F on an idle host held out (the forty-second session): each set's idle quick calibration,
    // then `huge-gap0`, `huge-gap3`, `huge-gap5`.
    ("user62", "tests/data/calibration/user62-session-2026-12-06"),
    ("user63", "tests/data/calibration/user63-session-2026-12-06"),
    // H held out (the forty-fourth session, 2a667f7): each set's quick calibrations under 8 and
    // 12 busy threads, then `huge-gap0-busy8`, `huge-gap0-busy12`.
    ("user64", "tests/data/calibration/user64-session-2026-12-06"),
    ("user65", "tests/data/calibration/user65-session-2026-12-06"),
    // I held out (the forty-fourth session's third part, 1143959): the same steps as H's sets.
    ("user66", "tests/data/calibration/user66-session-2026-12-06"),
    ("user67", "tests/data/calibration/user67-session-2026-12-06"),
    // I as applied, checked beside 4 and 16 busy threads (the forty-fifth session).
    ("user68", "tests/data/calibration/user68-session-2026-12-06"),
    ("user69", "tests/data/calibration/user69-session-2026-12-06"),
    // N held out (the forty-eighth session, 745c2e6): the same steps as L's set, the harness
    // timing the heartbeat's settled cost too.
    ("user70", "tests/data/calibration/user70-session-2026-12-06"),
    // N on an idle host held out (the forty-eighth session's second part, 5fd57f9): the idle
    // quick calibration, then `huge-gap0`, `huge-gap3`, `huge-gap5`.
    ("user71", "tests/data/calibration/user71-session-2026-12-06"),
    // P held out (the forty-ninth session, 64e33cb): user70-'s and user71-'s steps again, each
    // calibration timing the settled heartbeat in three JVMs.
    ("user72", "tests/data/calibration/user72-session-2026-12-06"),
    ("user73", "tests/data/calibration/user73-session-2026-12-06"),
    // Q held out (the fiftieth session, 752a752): an idle quick calibration, then `huge-gap0`,
    // `-gap2`, `-gap3`, `-gap5` and `million-gap0`.
    ("user74", "tests/data/calibration/user74-session-2026-12-07"),
    // The standing held out on a new AMD guest build, `fc-v1300` (the fifty-first session,
    // 1bff755): an idle quick calibration, then `huge-gap0`, `-gap2`, `-gap3`, `-gap5` and
    // `million-gap0`.
    ("user75", "tests/data/calibration/user75-session-2026-12-07"),
    // The same guest under load (the fifty-first session, second part, 96b8491): `--busy-threads
    // 4`, `8`, `12` calibrations, then `huge-gap0-busy4`, `-busy8`, `-busy12`.
    ("user76", "tests/data/calibration/user76-session-2026-12-07"),
    // Its busy 8 and 12 again (the fifty-first session, fourth part, 2b3ab2a).
    ("user77", "tests/data/calibration/user77-session-2026-12-07"),
    // R held out (the fifty-second session, 77eb86b): busy 4, 8, 12 calibrations with the return
    // loop, then `huge-gap0-busy4`, `-busy8`, `-busy12`.
    ("user78", "tests/data/calibration/user78-session-2026-12-07"),
    // R again under 8 and 12 busy threads (the fifty-second session, second part, 6b9521d).
    ("user79", "tests/data/calibration/user79-session-2026-12-07"),
    // S held out (the fifty-second session, fourth part, 8eb52dc): busy 8 and 12 with the return
    // loop's --gap-cpu; graded here under the standing model (S off).
    ("user80", "tests/data/calibration/user80-session-2026-12-07"),
    // S's other held-out sets (the fifty-third session, 75c007e): the same steps as user80-'s.
    ("user81", "tests/data/calibration/user81-session-2026-12-07"),
    ("user82", "tests/data/calibration/user82-session-2026-12-07"),
    ("user83", "tests/data/calibration/user83-session-2026-12-07"),
    ("user84", "tests/data/calibration/user84-session-2026-12-07"),
    ("user85", "tests/data/calibration/user85-session-2026-12-07"),
    ("user86", "tests/data/calibration/user86-session-2026-12-07"),
    // U held out (the fifty-fourth session, second part, 00ec0a0): the steps of user84-.
    ("user87", "tests/data/calibration/user87-session-2026-12-07"),
    ("user88", "tests/data/calibration/user88-session-2026-12-07"),
    ("user89", "tests/data/calibration/user89-session-2026-12-07"),
    // U checked after it was applied (the fifty-fifth session, second part).
    ("user90", "tests/data/calibration/user90-session-2026-12-07"),
    ("user91", "tests/data/calibration/user91-session-2026-12-07"),
    // W held out, its calibrations' huge loop warmed and counting its heirs' drains (the
    // fifty-sixth session's second part); compared once, W against U, in the fifty-seventh.
    ("user92", "tests/data/calibration/user92-session-2026-12-07"),
    ("user93", "tests/data/calibration/user93-session-2026-12-07"),
    ("user94", "tests/data/calibration/user94-session-2026-12-07"),
    // Checked after W's decision, U's share standing (the fifty-seventh session).
    ("user95", "tests/data/calibration/user95-session-2026-12-07"),
    // Checks of the frozen release pools (the fifty-eighth session): held out of them.
    ("user96", "tests/data/calibration/user96-session-2026-12-07"),
    ("user97", "tests/data/calibration/user97-session-2026-12-07"),
    // A check of both freezes, the release pools' and the return's (the fifty-ninth session).
    ("user98", "tests/data/calibration/user98-session-2026-12-07"),
    // The freezes again, and the won gaps a call sits through (the fifty-ninth session).
    ("user99", "tests/data/calibration/user99-session-2026-12-07"),
    // Z held out: the chain of parked heartbeat threads (the sixtieth session).
    ("user100", "tests/data/calibration/user100-session-2026-12-08"),
    // Z held out again, beside 4 busy threads too (the sixtieth session, second part).
    ("user101", "tests/data/calibration/user101-session-2026-12-08"),
    // Z2 held out (the sixty-first session).
    ("user102", "tests/data/calibration/user102-session-2026-12-08"),
    // D2 held out (the sixty-first session, third part).
    ("user103", "tests/data/calibration/user103-session-2026-12-08"),
];

/// The calibration file for point `name` of a user session (`None`: not a user session).
pub fn user_calibration(name: &str, json: &serde_json::Value) -> Option<PathBuf> {
    let (_, stem) = USER_SESSIONS
        .iter()
        .find(|(tag, _)| name.strip_prefix(tag).is_some_and(|rest| rest.starts_with('-')))?;
    let params = &json["params"];
    let busy = params["busy_threads"].as_u64().unwrap_or(0);
    let suffix = if busy > 0 {
        format!("-busy{busy}")
    } else if params["cache_pressure_mb"].as_u64().unwrap_or(0) > 0 {
        "-cold".to_string()
    } else {
        String::new()
    };
    Some(repo_root().join(format!("{stem}{suffix}.toml")))
}

/// Whether the user path takes each calibration's offered race after the walker's exit in place
/// of the applied open race ([`after_exit_offer_applied`]): the thirty-third session's E.
/// **Not applied**: held out on `user22-` to `user36-` (60 points, recorded after it was frozen)
/// it called the 15 µs table right (0.2-0.5 of the gaps to the heirs against the loop's 0.2-0.9;
/// 4.6 expected tips of 35 on the whole path, 6.5 with the open race) but tipped the 400,000-group
/// knife edge behind no gap where the loop did not (`user24-large-gap0`: 15 of 20 seeds; the
/// heirs' share there 0.00 against the loop's 0.03): Brier 0.013 against 0.006 with the loop's
/// own walks, 0.046 against 0.052 on the whole path, and the rule needed both lower
/// (docs/validation-log.md, the thirty-third session).
pub const AFTER_EXIT_RACE: bool = false;

/// Whether the user path takes each calibration's wake-up behind a busy gap
/// (`monitor_wake_latency_long_park_gap` and its range, [`hbsim::calibrate::gap_race_from`]: the
/// same code `hbsim calibrate` writes them with, so the files written before it are configured as
/// `--from-output` writes them now): the thirty-sixth session's G. **Applied**: pre-registered and
/// held out on `user39-` to `user41-` (nine points behind 5, 10 and 15 µs, none tipped), Brier
/// 0.675 → 0.158 with the loops' own walks and 0.494 → 0.104 on the whole user path, tipped or not
/// 3 → 8 and 5 → 9 of 9 (docs/validation-log.md). `HBSIM_GAP_RACE=0` leaves it out for a comparison
/// (where the file does not write it applied itself: every file before that session's).
pub const GAP_RACE: bool = true;

/// Whether the user path takes the walker's wait after a lost gap from each calibration's long
/// loop where the host's busy threads fill its CPUs ([`hbsim::calibrate::drain_wait_from`]: its
/// own return through the won gaps' drain as `cpu_wait`, and `cpu_wait_after_drain`): the
/// fortieth session's D. **Not applied**: pre-registered (a6213a2) and held out on `user57-` to
/// `user59-` (nine points under 4, 8 and 12 busy threads; no calibration before them counts the
/// loop's drain), it brought hbsim's won gaps to the loop's drained share (0.83-0.92 against
/// 0.44-0.92 at busy 8) but, with heartbeat threads that never wait for a CPU, drained them in
/// 3-5 ms against the loop's 9-14 (500-670 calls per ms against 170-290), and tipped the busy-8
/// points less often where the loop tipped at two of three: on the whole user path tipped or not
/// 8 → 6 of 9, Brier 0.194 → 0.216 (docs/validation-log.md). `HBSIM_DRAIN_WAIT=1` applies it
/// for a comparison.
pub const DRAIN_WAIT: bool = false;

/// A rule's switch for a comparison: `var` set to `0` leaves it out, set otherwise applies it,
/// unset takes `default` (the rule as decided).
fn switch(var: &str, default: bool) -> bool {
    match std::env::var(var) {
        Ok(v) => v != "0",
        Err(_) => default,
    }
}

fn drain_wait_applied() -> bool {
    switch("HBSIM_DRAIN_WAIT", DRAIN_WAIT)
}

/// Whether the user path takes the walker's own return from R's loop where the calibration ran it
/// ([`hbsim::calibrate::ReturnLoop`]: heartbeats at ten times the rate, so the heirs' drains
/// outlast the return the long loop's short drains censor), as `hbsim calibrate` writes it:
/// pre-registered in the fifty-second session and held out on `user78-` (docs/validation-log.md).
/// `HBSIM_RETURN_LOOP=0` takes D from the same file for the paired comparison.
pub const RETURN_LOOP: bool = true;

fn return_loop_applied() -> bool {
    switch("HBSIM_RETURN_LOOP", RETURN_LOOP)
}

/// Whether the user path takes the heirs' share of the CPUs from the calibration's return loop
/// where it counted enough busy drains ([`hbsim::calibrate::ExecutorShare::Measured`]) in place of the
/// Intel guest's [`EXECUTOR_SHARE`]: S, pre-registered in the fifty-second session's fourth part
/// and held out on `user80-` to `user83-` (8 points, compared once in the fifty-third session:
/// 7 of 8 against 6, Brier 0.237 against 0.341; docs/validation-log.md). Applied, as `hbsim
/// calibrate` writes it since; the files recorded before then carry 0.3 and take it here.
/// `HBSIM_BUSY_SHARE=0` takes the Intel guest's 0.3 for the paired comparison.
pub const BUSY_SHARE: bool = true;

fn busy_share_applied() -> bool {
    switch("HBSIM_BUSY_SHARE", BUSY_SHARE)
}

/// Whether the user path takes the Intel guest's [`EXECUTOR_SHARE`] in place of S's where the
/// calibration's JVMs pre-touched their heap ([`hbsim::calibrate::ExecutorShare::PreTouched`]):
/// U, pre-registered in the fifty-fourth session's second part and held out on `user87-` to
/// `user89-` (docs/validation-log.md). `HBSIM_PRETOUCH_SHARE=0` keeps S's measured share there
/// for the paired comparison.
pub const PRETOUCH_SHARE: bool = true;

fn pretouch_share_applied() -> bool {
    switch("HBSIM_PRETOUCH_SHARE", PRETOUCH_SHARE)
}

/// Whether the user path takes the heirs' share of the CPUs from the drains of the calibration's
/// warmed huge loop where it counted enough won gaps ([`hbsim::calibrate::HUGE_DRAIN`]),
/// in place of S's or U's: W, pre-registered in the fifty-sixth session's second part and held
/// out on `user92-` to `user94-` (6 points). **Not applied**: compared once in the fifty-seventh
/// session it called 5 of 6 as U did, Brier 0.230 against 0.183, the won gaps' calls per ms
/// further from the loops' (median |ln ratio| 0.38 against 0.25; docs/validation-log.md).
/// Files recorded before it have no such loop. `HBSIM_DRAIN_SHARE=1` applies it for a
/// comparison.
pub const DRAIN_SHARE: bool = false;

fn drain_share_applied() -> bool {
    switch("HBSIM_DRAIN_SHARE", DRAIN_SHARE)
}

/// Whether every point draws its run's `cpu_release_preempt` from its pool's drift between runs
/// ([`preempt_drift`], `cpu_release_preempt_sd`): X, the fifty-eighth session. A loaded loop's
/// last quarter follows the gaps its heirs won, and those follow the share of its releases at
/// which its walker lost its CPU, which drifts between runs of one configuration beyond the
/// counts' noise (the `fc-v1300` guest under T: 0.41 pooled over 13 runs beside 8 busy threads,
/// a spread of about 0.09); hbsim's seeds spread by the binomial noise alone. **Not applied**:
/// tried in-sample over every recording it moved no verdict in aggregate (tipped or not 710 →
/// 711 of 763, Brier 0.1020 → 0.1025, the user path's 0.1265 → 0.1263), too small an effect to
/// hold out (docs/validation-log.md, the fifty-eighth session's second part).
/// `HBSIM_PREEMPT_DRIFT=1` applies it.
pub const PREEMPT_DRIFT: bool = false;

fn preempt_drift_applied() -> bool {
    switch("HBSIM_PREEMPT_DRIFT", PREEMPT_DRIFT)
}

/// Whether every point runs with the executor threads sharing the host's CPUs (the forty-first
/// session's E: `cpu_time_sharing`, which also lengthens the walker's `cpu_wait` as the runnable
/// threads per CPU, and `cpu_wait_after_drain = "0"` where the host's other work fills its CPUs).
/// **Not applied**: pre-registered (0e3b9d8) and held out on `user60-` and `user61-` (six points
/// under 4, 8 and 12 busy threads), it brought hbsim's drain measured on its own to the JVM's at
/// every load and the won gaps' length nearer the loop's (median |ln ratio| 0.59 → 0.46), and
/// agreed on tipped or not at 6 of 6 where the standing model agrees at 5 (first table; Brier
/// 0.122 → 0.107; user path 6 and 6, 0.087 → 0.105), but the calls per ms of a won gap moved away
/// from the loop's (0.41 → 0.57), and the rule needed both nearer: hbsim's drain with few busy
/// threads runs at 320-680 calls per ms against the loop's 180-190 (docs/validation-log.md).
/// `HBSIM_TIME_SHARING=1` applies it for a comparison.
pub const TIME_SHARING: bool = false;

/// Whether the idle points run with the executor threads as the JVM runs them in a drain (the
/// forty-second session's F on an idle host: `cpu_run_queue`, heartbeat threads that spin 10 µs
/// before parking, a walker that parks at once, `register_producer_cost` = [`LOOP_HOLD`]).
/// **Applied**: pre-registered (aa19148) and held out on `user62-` and `user63-` (six idle points
/// behind 0, 3 and 5 µs), the won gaps' calls per ms and length came near the loop's (median
/// |ln ratio| 1.49 → 0.24 and 2.03 → 0.82 over the three with won gaps), tipped or not 5 and 5 of 6
/// on both tables, Brier 0.237 → 0.224 on the first and 0.175 → 0.179 on the user path
/// (docs/validation-log.md). Loaded points as they stand (there it over-collapses).
/// `HBSIM_RUN_QUEUE=0` takes it off for a comparison.
pub const RUN_QUEUE: bool = true;

fn run_queue_applied() -> bool {
    switch("HBSIM_RUN_QUEUE", RUN_QUEUE)
}

/// Whether F also runs at the loaded points, as I since the forty-fourth session: where the
/// busy threads fill the CPUs, a preempted walker is back once its heirs have drained
/// (`cpu_wait_after_drain`) or after a draw of the calibrations' own return
/// (`cpu_wait_displaced`: the point's calibration on the user path, [`first_table_displaced_wait`]
/// on the first table), and the executor threads on a CPU take [`EXECUTOR_SHARE`] of the CPUs
/// between them (`cpu_executor_share`) in place of an even share. F alone over-collapsed under
/// load (its walker back after a `cpu_wait` draw, before its heirs had drained: 76 → 49 of 80
/// under 8 busy threads); H (without the share) drained the won gaps at 92-170 calls per ms
/// against the loops' 192-252 and was not kept (held out on `user64-`, `user65-`). **Applied**:
/// I, pre-registered (1143959) and held out on `user66-` and `user67-` (four points under 8 and
/// 12 busy threads), brought the won gaps' calls per ms and length nearer the loops' (median
/// |ln ratio| 0.29 → 0.15 and 0.51 → 0.19 on the first table, 0.43 → 0.15 and 0.51 → 0.24 on the
/// user path), tipped or not 3 → 3 and 3 → 4 of 4, Brier 0.309 → 0.251 and 0.225 → 0.073
/// (docs/validation-log.md, the forty-fourth session). `HBSIM_RUN_QUEUE_LOADED=0` takes it off
/// (the model before it), `HBSIM_EXECUTOR_SHARE=0` leaves out the share (H) for a comparison.
pub const RUN_QUEUE_LOADED: bool = true;

fn run_queue_loaded() -> bool {
    switch("HBSIM_RUN_QUEUE_LOADED", RUN_QUEUE_LOADED)
}

fn executor_share_applied() -> bool {
    switch("HBSIM_EXECUTOR_SHARE", RUN_QUEUE_LOADED)
}

/// Whether the points whose busy threads fill the CPUs take the heartbeat's unlocked cost after
/// the JIT has settled (the forty-eighth session's N, [`hbsim::calibrate::warm_heartbeat_from`]:
/// `heartbeat_unlocked_steady_us_*`, the median of the harness's later rounds, in place of its
/// first round, which runs early in a fresh JVM and reads 2-3 times as much): on the user path
/// from the point's calibration file, as `hbsim calibrate` writes it, on the first table from the
/// point's own calibration. **Applied**: pre-registered (745c2e6) and held out on `user70-`
/// (8, 12 and 4 busy threads), it agreed on tipped or not at 6 of 6 as L did, with a Brier of
/// 0.044 against 0.047 and the won gaps' calls per ms nearer the loops' (median |ln ratio| 0.07
/// against 0.19); no recording before `user70-` measures it, so the others run as they did
/// (docs/validation-log.md, the forty-eighth session). `HBSIM_WARM_HEARTBEAT=0` takes it off for
/// a comparison; `HBSIM_WARM_HEARTBEAT_US=x` (an in-sample probe) gives the recordings without
/// the figures a median of x µs (sigma 0.11).
pub const WARM_HEARTBEAT: bool = true;

fn warm_heartbeat_applied() -> bool {
    switch("HBSIM_WARM_HEARTBEAT", WARM_HEARTBEAT)
}

/// Whether N also runs where the host has a CPU to spare (the forty-eighth session's second
/// part). **Applied**: pre-registered (5fd57f9) and held out on `user71-` (an idle host, behind 0,
/// 3 and 5 µs), it agreed on tipped or not at 6 of 6 as before, with a Brier of 0.159 against
/// 0.221 and the won gaps' calls per ms as near the loops' (median |ln ratio| 0.107 against
/// 0.110); all three loops fed themselves part-way (last quarter 0.22-0.60), which neither reaches
/// (docs/validation-log.md). `HBSIM_WARM_HEARTBEAT_IDLE=0` takes it off for a comparison.
pub const WARM_HEARTBEAT_IDLE: bool = true;

fn warm_heartbeat_idle_applied() -> bool {
    switch("HBSIM_WARM_HEARTBEAT_IDLE", WARM_HEARTBEAT_IDLE)
}

/// Whether a calibration that timed the settled heartbeat in several JVMs gives the median JVM's
/// (the forty-ninth session's P, [`hbsim::calibrate::settled_heartbeats`]) rather than its main
/// run's (N, [`hbsim::calibrate::warm_heartbeat_from`]). **Not applied**: pre-registered (64e33cb)
/// and held out on `user72-` and `user73-` (their points take the heartbeat from their session's
/// calibration on both tables), it agreed on tipped or not at 11 of 12 calls as N did, with a
/// higher Brier, 0.114 against 0.091; no JVM of the twelve settled slow that hour, so the JVMs
/// differed by at most 0.2 µs (docs/validation-log.md). `HBSIM_HEARTBEAT_JVMS=1` runs it.
pub const HEARTBEAT_JVMS: bool = false;

fn heartbeat_jvms_applied() -> bool {
    switch("HBSIM_HEARTBEAT_JVMS", HEARTBEAT_JVMS)
}

/// Whether an idle point's heartbeat holds carry the idle loop's long-hold tail (the fiftieth
/// session's Q, [`hbsim::calibrate::LOOP_HOLD_IDLE`]: the won gaps' `registerProducer` holds of
/// four idle hold traces, a heartbeat thread now and then switched out while it holds the
/// monitor) in place of [`LOOP_HOLD`], which has none. **Not applied**: in-sample it moved the idle
/// won gaps a little toward the loop's (median ln(hbsim / loop) of their length -0.53 -> -0.51) and
/// agreed at one more point; pre-registered (752a752) and held out on `user74-` (five idle points,
/// both tables), it agreed on tipped or not at 9 of 10 as the model without it, with a higher Brier
/// (0.155 against 0.126) and the won gaps' length no nearer (median |ln ratio| 0.66 against 0.64)
/// (docs/validation-log.md, the fiftieth session). `HBSIM_IDLE_HOLD_TAIL=1` runs it.
pub const IDLE_HOLD_TAIL: bool = false;

fn idle_hold_tail_applied() -> bool {
    switch("HBSIM_IDLE_HOLD_TAIL", IDLE_HOLD_TAIL)
}

/// Q on a point's scenario `text`: at an idle point whose heartbeat hold is [`LOOP_HOLD`] (F's,
/// from the mirror or its session's calibration), the idle loop's hold with its tail.
fn with_idle_hold_tail(json: &serde_json::Value, text: &str) -> String {
    let busy = json["params"]["busy_threads"].as_u64().unwrap_or(0);
    if !idle_hold_tail_applied() || busy > 0 {
        return text.to_string();
    }
    let hold = format!("register_producer_cost = {LOOP_HOLD}");
    if text.contains(&hold) {
        return text.replace(&hold, &format!("register_producer_cost = {}", hbsim::calibrate::LOOP_HOLD_IDLE));
    }
    // A user session's point that takes the hold from its calibration file: set it over the file's.
    if !text.contains("\nregister_producer_cost = ") && calibration_hold(text).as_deref() == Some(LOOP_HOLD) {
        return replace_keys(text, &[("register_producer_cost", hbsim::calibrate::LOOP_HOLD_IDLE.to_string())]);
    }
    text.to_string()
}

/// The `register_producer_cost` of the calibration file a scenario `text` names, as written.
fn calibration_hold(text: &str) -> Option<String> {
    let path = text.lines().find_map(|l| l.strip_prefix("calibration = "))?;
    let path: String = toml::from_str::<toml::Table>(&format!("p = {path}")).ok()?["p"]
        .as_str()?
        .to_string();
    let file = std::fs::read_to_string(path).ok()?;
    file.lines()
        .find_map(|l| l.strip_prefix("register_producer_cost = "))
        .map(str::to_string)
}

/// N's `heartbeat_cost` for a point under `busy` busy threads on `cpus` CPUs from figures `m`
/// (`None`: not applied, a CPU to spare unless [`WARM_HEARTBEAT_IDLE`], or neither the figures
/// nor the probe).
fn warm_heartbeat(m: &serde_json::Map<String, serde_json::Value>, cpus: u64, busy: u64) -> Option<String> {
    if !warm_heartbeat_applied() || (busy < cpus && !warm_heartbeat_idle_applied()) {
        return None;
    }
    let warm = if heartbeat_jvms_applied() {
        // P: the JVM whose settled p50 is the median (the lower middle of an even count).
        let mut jvms = hbsim::calibrate::settled_heartbeats(m);
        jvms.sort_by(|a, b| a.0.total_cmp(&b.0));
        let median = jvms.len().checked_sub(1).map(|last| jvms[last / 2]);
        median.map(|(p50, p90)| hbsim::calibrate::lognormal_text(p50, p90))
    } else {
        hbsim::calibrate::warm_heartbeat_from(m)
    };
    warm.or_else(|| {
        let probe = std::env::var("HBSIM_WARM_HEARTBEAT_US").ok()?.parse::<f64>().ok()?;
        Some(format!(
            "{{ dist = \"lognormal\", median = \"{}\", sigma = 0.11 }}",
            hbsim::calibrate::duration_text(probe * 1000.0)
        ))
    })
}

/// The loop's heirs' CPU share in its won gaps on the Intel guest, as `hbsim calibrate` writes it.
const EXECUTOR_SHARE: f64 = hbsim::calibrate::EXECUTOR_SHARE;

/// D's pooled return: Σ won × gap [µs] and Σ (won − drained + 1) over the calibration files
/// recorded under busy threads that fill the CPUs ([`hbsim::calibrate::drain_wait_from`]), the
/// frozen ones ([`frozen_returns`]) and those held out of them.
struct PooledReturn {
    exposure_us: f64,
    returns: f64,
}

impl PooledReturn {
    fn mean_ms(&self) -> f64 {
        self.exposure_us / self.returns / 1e3
    }

    /// The mean's standard error [ms], an exponential's over the estimator's own count of returns.
    fn se_ms(&self) -> f64 {
        self.mean_ms() / self.returns.sqrt()
    }

    fn add(&mut self, other: &PooledReturn) {
        self.exposure_us += other.exposure_us;
        self.returns += other.returns;
    }
}

/// Every calibration file whose long loop counts D's return, by name (the file's stem), with its
/// share of the pool.
fn calibration_returns() -> &'static [(String, PooledReturn)] {
    static RETURNS: std::sync::OnceLock<Vec<(String, PooledReturn)>> = std::sync::OnceLock::new();
    RETURNS.get_or_init(|| {
        let dir = repo_root().join("tests/data/calibration");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("tests/data/calibration")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        files
            .into_iter()
            .filter_map(|file| {
                let text = std::fs::read_to_string(&file).expect("calibration");
                let cal: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
                let meta = cal.get("meta")?.as_table()?;
                let measured = cal.get("measured")?.as_table()?;
                let cpus = meta.get("cpus").and_then(|v| v.as_integer()).unwrap_or(0);
                let busy = meta.get("busy_threads").and_then(|v| v.as_integer()).unwrap_or(0);
                let measured: serde_json::Map<String, serde_json::Value> =
                    serde_json::from_str(&serde_json::to_string(measured).expect("json")).expect("measured");
                let d = hbsim::calibrate::drain_wait_from(&measured, cpus, busy)?;
                let name = file.file_stem().expect("stem").to_string_lossy().into_owned();
                let share = PooledReturn {
                    exposure_us: d.won as f64 * d.gap_us,
                    returns: (d.won - d.drained) as f64 + 1.0,
                };
                Some((name, share))
            })
            .collect()
    })
}

/// D's return pooled over the calibration files `keep` takes.
fn pooled_return(keep: impl Fn(&str) -> bool) -> PooledReturn {
    let mut pool = PooledReturn {
        exposure_us: 0.0,
        returns: 0.0,
    };
    for (_, share) in calibration_returns().iter().filter(|(name, _)| keep(name)) {
        pool.add(share);
    }
    assert!(
        pool.returns > 0.0,
        "no calibration under busy threads counts the long loop's won gaps"
    );
    pool
}

/// The file that names the calibrations whose returns stand in the first table's pool
/// ([`frozen_returns`]).
const FROZEN_RETURN_FILE: &str = "tests/data/validation/pooled-returns.txt";

/// The calibrations whose long loops' returns stand in the first table's `cpu_wait_displaced`:
/// those [`FROZEN_RETURN_FILE`] names, every one to `user97-` (82 files, 68.2 ms), frozen by
/// membership in the fifty-ninth session as the release pools are ([`frozen_pool`]).
///
/// The pool moves with every calibration recorded under load, and a move of a tenth of a
/// millisecond redraws every loaded point's seeds: `user76-`'s three calibrations moved it from
/// 53.5 to 53.1 ms, which turned 17 of the first table's knife-edge calls against the loop and 21
/// back (docs/validation-log.md, the fifty-first session, second part). From then to the
/// fifty-eighth session it was a frozen figure, frozen again whenever the pool moved past 5% of it
/// (57.7 ms to `user83-`, 61.0 to `user86-`, 64.7 to `user92-`, 68.2 to `user97-`), each time with
/// 20 to 40 calls of churn. Frozen by membership, a new calibration is held out of the pool until
/// [`the_frozen_return_stays_the_pools`] finds that the held-out ones move it past its own
/// standard error; then `FREEZE_POOLS=1 cargo test --test integration
/// the_frozen_return_stays_the_pools` writes the file again (an intended change, with its churn).
fn frozen_returns() -> &'static std::collections::BTreeSet<String> {
    static FROZEN: std::sync::OnceLock<std::collections::BTreeSet<String>> = std::sync::OnceLock::new();
    FROZEN.get_or_init(|| named_in(FROZEN_RETURN_FILE))
}

/// The names a freeze file lists, one a line, `#` comments and blank lines skipped.
fn named_in(file: &str) -> std::collections::BTreeSet<String> {
    let path = repo_root().join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// One freeze procedure for both freeze files. Under `FREEZE_POOLS`, writes `file` over every name
/// `counted` gives (`header` as its comments) and returns `None`: the test that called it stops
/// there. Otherwise checks that every name `frozen` holds is still counted and returns the
/// counted names.
fn freeze_or_check<'a>(
    file: &str,
    header: &str,
    frozen: &std::collections::BTreeSet<String>,
    counted: impl Iterator<Item = &'a str>,
) -> Option<std::collections::BTreeSet<&'a str>> {
    let counted: std::collections::BTreeSet<&str> = counted.collect();
    if std::env::var_os("FREEZE_POOLS").is_some() {
        write_freeze(file, header, counted.iter().copied());
        return None;
    }
    let gone: Vec<&String> = frozen.iter().filter(|n| !counted.contains(n.as_str())).collect();
    assert!(gone.is_empty(), "{file}: names {gone:?}, which nothing recorded counts any more");
    Some(counted)
}

/// Writes a freeze file: `header` as comments, then `names` sorted, one a line.
fn write_freeze<'a>(file: &str, header: &str, names: impl IntoIterator<Item = &'a str>) {
    let path = repo_root().join(file);
    let mut names: Vec<&str> = names.into_iter().collect();
    names.sort_unstable();
    let mut text: String = header.lines().map(|l| format!("# {l}\n")).collect();
    for name in names {
        text.push_str(name);
        text.push('\n');
    }
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// I's `cpu_wait_displaced` on the first table, whose points have no calibration of their own:
/// D's censored exponential pooled over the frozen calibrations ([`frozen_returns`]), Σ won × gap
/// / Σ (won − drained + 1), to 0.1 ms.
fn first_table_displaced_wait() -> String {
    let mean_us = pooled_return(|name| frozen_returns().contains(name)).mean_ms() * 1e3;
    hbsim::calibrate::exponential_text((mean_us / 100.0).round() * 100_000.0)
}

/// The frozen pools ([`frozen_pool`]) are the recordings' within their own noise: at every pool the
/// points draw (the displaced and the other-CPU shares by pool, walk class and load, the kept
/// releases' by configuration and pool), adding the recordings held out of it moves its share by
/// less than the frozen pool's standard error, and no held-out recording stands in a pool the
/// frozen ones do not hold. Past that the pools are frozen again: `FREEZE_POOLS=1` writes
/// [`FROZEN_POOL_FILE`] over every recording that counts the race.
#[test]
fn the_frozen_pools_stay_the_pools() {
    let header = "The recordings whose counts of the race at the walker's release stand in the pools the\n\
                  validation's points draw (tests/integration/validation.rs, frozen_pool). Written by\n\
                  FREEZE_POOLS=1 cargo test --test integration the_frozen_pools_stay_the_pools";
    let counted = release_counts().iter().map(|c| c.name.as_str());
    if freeze_or_check(FROZEN_POOL_FILE, header, frozen_pool(), counted).is_none() {
        return;
    }
    // (what, pool, group) -> [(counted, of) frozen, (counted, of) held out]
    type Pools<'a> = std::collections::BTreeMap<(&'a str, String, String), [(u64, u64); 2]>;
    let mut pools = Pools::new();
    for c in release_counts() {
        let class = if c.short_walks { "short walks" } else { "long walks" };
        let by_load = format!("{class}, {} busy", c.busy);
        let by_configuration = format!("the configuration {}", c.configuration);
        for (what, key, count) in [
            ("displaced", by_load.clone(), c.displaced),
            ("other CPU", by_load, c.other),
            ("kept releases won", by_configuration, c.kept_won),
        ] {
            if let Some((k, n)) = count {
                let entry = pools.entry((what, c.pool_key.clone(), key)).or_default();
                let side = &mut entry[usize::from(!c.pooled)];
                side.0 += k;
                side.1 += n;
            }
        }
    }
    let mut moved = Vec::new();
    for ((what, pool, group), [(kf, nf), (kh, nh)]) in &pools {
        if *nh == 0 {
            continue;
        }
        let at = format!("{what}, {pool}, {group}");
        if *nf == 0 {
            moved.push(format!("{at}: {kh} of {nh} held out, none frozen"));
            continue;
        }
        let frozen = *kf as f64 / *nf as f64;
        let all = (kf + kh) as f64 / (nf + nh) as f64;
        let p = frozen.clamp(0.5 / *nf as f64, 1.0 - 0.5 / *nf as f64);
        let se = (p * (1.0 - p) / *nf as f64).sqrt();
        if (all - frozen).abs() > se {
            moved.push(format!(
                "{at}: {frozen:.3} frozen ({kf} of {nf}), {all:.3} with {kh} of {nh} held out (se {se:.3})"
            ));
        }
    }
    assert!(
        moved.is_empty(),
        "the recordings held out of the pools have moved them: freeze them again (FREEZE_POOLS=1 cargo test --test integration the_frozen_pools_stay_the_pools), then regrade and take the churn into KNOWN:\n{}",
        moved.join("\n")
    );
}

/// The frozen return ([`frozen_returns`]) is the calibrations' within its own noise: adding the
/// calibrations held out of it moves the pool's mean by less than the frozen pool's standard
/// error. Past that it is frozen again: `FREEZE_POOLS=1` writes [`FROZEN_RETURN_FILE`] over every
/// calibration that counts the return.
#[test]
fn the_frozen_return_stays_the_pools() {
    let header = "The calibrations whose long loops' returns stand in the first table's cpu_wait_displaced\n\
                  (tests/integration/validation.rs, frozen_returns). Written by\n\
                  FREEZE_POOLS=1 cargo test --test integration the_frozen_return_stays_the_pools";
    let counted = calibration_returns().iter().map(|(name, _)| name.as_str());
    let Some(counted) = freeze_or_check(FROZEN_RETURN_FILE, header, frozen_returns(), counted) else {
        return;
    };
    let frozen = pooled_return(|name| frozen_returns().contains(name));
    let all = pooled_return(|_| true);
    let held_out = counted.len() - frozen_returns().len();
    assert!(
        (all.mean_ms() - frozen.mean_ms()).abs() <= frozen.se_ms(),
        "the {held_out} calibrations held out of the first table's return move it from {:.1} ms to {:.1} ms, past the frozen pool's standard error {:.1} ms: freeze it again (FREEZE_POOLS=1 cargo test --test integration the_frozen_return_stays_the_pools), then regrade and take the churn into KNOWN",
        frozen.mean_ms(),
        all.mean_ms(),
        frozen.se_ms(),
    );
}

/// What `hbsim calibrate` writes for the walker's own return where its long loop did not count
/// it is the pool's figure, within a quarter.
#[test]
fn the_return_calibrate_falls_back_on_is_the_pools() {
    let mean = pooled_return(|_| true).mean_ms();
    let written = hbsim::calibrate::DISPLACED_WAIT_POOLED_MS;
    assert!(
        (mean / written - 1.0).abs() <= 0.25,
        "the calibrations' pooled return is {mean} ms, hbsim calibrate writes {written} ms: update DISPLACED_WAIT_POOLED_MS"
    );
}

fn time_sharing_applied() -> bool {
    switch("HBSIM_TIME_SHARING", TIME_SHARING)
}

fn gap_race_applied() -> bool {
    switch("HBSIM_GAP_RACE", GAP_RACE)
}

/// Whether a busy gap the harness ran between walks adds to the event thread's own gap in the
/// user path (`netty_event_gap` = the calibration's own + the busy gap, and G's range
/// `[own, own + the second race's busy gap]`) where it replaced it (`netty_event_gap` = the busy
/// gap alone, G's range `[own, the busy gap]`): the thirty-seventh session's candidate M. The
/// loops' walker returned after its exit in 6.0-7.8 µs behind no gap, 9.1-10.4 behind 3 µs and
/// 11.2-12.0 behind 5 µs (`user42-` to `user44-`): the busy gap adds to the poll and dispatch the
/// calibration measures as its own gap. **Applied**: pre-registered (e85d78c) and held out on
/// `user45-` to `user47-` (nine points behind 2, 3 and 5 µs), Brier 0.465 → 0.264 with the loops'
/// own walks and 0.330 → 0.213 on the whole user path, tipped or not 4 → 7 and 5 → 8 of 9
/// (docs/validation-log.md). `HBSIM_BUSY_GAP_ADDS=0` or `=1` switches it for a comparison.
pub const BUSY_GAP_ADDS: bool = true;

fn busy_gap_adds() -> bool {
    switch("HBSIM_BUSY_GAP_ADDS", BUSY_GAP_ADDS)
}

/// `calibration`, or with [`AFTER_EXIT_RACE`] a copy at `copy` with the file's offer taken
/// ([`after_exit_offer_applied`]; the file itself where it offers none).
fn with_after_exit_race(calibration: &Path, copy: &Path) -> PathBuf {
    let text = std::fs::read_to_string(calibration).unwrap();
    let applied = after_exit_offer_applied(&text).filter(|_| AFTER_EXIT_RACE);
    // Z off (`HBSIM_CHAIN=0`): a calibration written since the sixtieth session carries its keys,
    // which a scenario cannot unset; the copy leaves them out, and Z2's with them (it needs Z's
    // idle waker). Z2 off (`HBSIM_HEIR_IDLE=0`): a calibration written since the sixty-first
    // session carries its key; the copy leaves it out. Z2 on, a calibration written between the
    // two carries Z's keys only; the copy adds Z2's beside Z's idle waker, as the scenarios of
    // the first table get it.
    const Z2_KEY: &str = "monitor_heir_takes_idle_cpu = ";
    let z_keys = ["monitor_wake_latency_idle_waker = ", "cpu_wait_after_drain_from_idle = "];
    let carries = |t: &str, key: &str| t.lines().any(|l| l.starts_with(key));
    let z_on = chain_applied();
    let z2_on = z_on && heir_idle_applied();
    let strip_z = !z_on && z_keys.iter().any(|k| carries(&text, k));
    let strip_z2 = !z2_on && carries(&text, Z2_KEY);
    let add_z2 = z2_on && carries(&text, z_keys[0]) && !carries(&text, Z2_KEY);
    if applied.is_none() && !strip_z && !strip_z2 && !add_z2 {
        return calibration.to_path_buf();
    }
    let mut lines: Vec<String> = applied
        .unwrap_or(text)
        .lines()
        .filter(|l| {
            let dropped_z = strip_z && z_keys.iter().any(|k| l.starts_with(k));
            !(dropped_z || strip_z2 && l.starts_with(Z2_KEY))
        })
        .map(str::to_string)
        .collect();
    if add_z2 {
        let waker = lines.iter().position(|l| l.starts_with(z_keys[0])).expect("carries the idle waker");
        lines.insert(waker + 1, format!("{Z2_KEY}true"));
    }
    std::fs::write(copy, lines.join("\n") + "\n").unwrap();
    copy.to_path_buf()
}

/// A calibration file's `text` as its offer of the race after the exit says (its offered
/// `monitor_wake_after_exit_long_park` and `netty_event_gap_long_walk_extra` lines in place of the
/// applied long-park wake-up and long-walk extra); `None` where it offers none.
pub fn after_exit_offer_applied(text: &str) -> Option<String> {
    const OFFERED: [&str; 2] = ["monitor_wake_after_exit_long_park = ", "netty_event_gap_long_walk_extra = "];
    const REPLACED: [&str; 2] = ["monitor_wake_latency_long_park = ", "netty_event_gap_long_walk_extra = "];
    fn offered(l: &str) -> Option<&str> {
        l.strip_prefix("# ").filter(|rest| OFFERED.iter().any(|o| rest.starts_with(o)))
    }
    text.lines()
        .any(|l| offered(l).is_some_and(|r| r.starts_with(OFFERED[0])))
        .then(|| {
            text.lines()
                .filter(|l| !REPLACED.iter().any(|r| l.starts_with(r)))
                .map(|l| offered(l).unwrap_or(l).to_string() + "\n")
                .collect()
        })
}

/// A user-session point as a user would configure it: `<point>.toml` with
/// `calibration = "<the session's hbsim calibrate file>"`, and every `[broker]` key that file sets
/// taken out of the mirror so the calibration's applies: the wake-up and exit, the long-park
/// costs, `netty_event_gap` and `netty_event_gap_long_walk_extra` (from its two short runs of
/// the loop), the heartbeat's costs. Kept from the point: the loop's own walks as the close cost
/// ([`loop_walks`]: what a walk costs depends on the table's size and temperature, which one
/// calibration of the incident's hot table does not tell), a busy gap the harness ran between
/// walks (the scenario's own `netty_event_gap`, as a scenario that models the broker's unlocked
/// work sets its own), and the CPU model's keys as for every point.
/// Where a user-session point's close walks come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Walks {
    /// The point's own loop ([`loop_walks`]): isolates the race at the walker's release.
    Loop,
    /// The calibration: its hot per-group cost (the incident's table) below
    /// [`LARGE_TABLE_GROUPS`], its long loop's (`--table large`) from there on: the whole user path.
    Calibration,
}

/// From this many groups on a user takes `hbsim calibrate --table large` (docs/calibration.md:
/// "a few hundred thousand groups and more"); the points are 15,742 or at least 400,000 groups.
pub const LARGE_TABLE_GROUPS: f64 = 200_000.0;

pub fn user_scenario(json: &serde_json::Value, toml_text: &str, calibration: &Path, walks: Walks) -> String {
    let cal: toml::Table = std::fs::read_to_string(calibration)
        .unwrap_or_else(|e| panic!("{}: {e}", calibration.display()))
        .parse()
        .unwrap_or_else(|e| panic!("{}: {e}", calibration.display()));
    let gap_us = json["params"]["gap_us"].as_f64().expect("params.gap_us");
    let keep = |key: &str| {
        matches!(
            key,
            "close_cost_base"
                | "close_cost_per_group"
                | "cpus"
                | "cpu_other_runnable"
                | "cpu_wait"
                | "cpu_release_preempt"
                | "cpu_release_other_at_once"
                | "cpu_release_heir_waits"
                | "cpu_release_heir_waits_sd"
        ) || (key == "netty_event_gap" && gap_us > 0.0)
    };
    let from_calibration: Vec<String> = cal["broker"]
        .as_table()
        .expect("[broker]")
        .keys()
        .filter(|k| !keep(k))
        .cloned()
        .collect();
    let mut in_broker = false;
    let mut lines = Vec::new();
    for line in toml_text.lines() {
        if line.starts_with('[') {
            in_broker = line == "[broker]";
        }
        let key = line.split(" =").next().unwrap_or("");
        // The point's own in-loop race goes whether or not the calibration replaces it.
        let own_race = matches!(
            key,
            "monitor_long_park" | "monitor_wake_latency_long_park" | "monitor_exit_cost_long_park" | "netty_event_gap_long_walk_extra"
        );
        let dropped = in_broker && (own_race || from_calibration.iter().any(|k| k == key));
        if !dropped {
            lines.push(line.to_string());
        }
    }
    let text = lines.join("\n") + "\n";
    let text = format!("calibration = {}\n{text}", toml::Value::String(calibration.display().to_string()));
    let (outcome, params) = (&json["outcome"], &json["params"]);
    let mut replace = cpu_model_keys(json);
    // The heir's fast wake-ups are the calibration's here, not the session's.
    let measured: serde_json::Map<String, serde_json::Value> = cal
        .get("measured")
        .and_then(|m| serde_json::to_value(m).ok())
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default();
    let broker = cal["broker"].as_table().expect("[broker]");
    let long_walks = walks_past_long_park(json);
    // The race counted from the end of the walker's exit where the calibration writes it
    // (the twenty-ninth session): the third race's heirs after the exit against the walker's
    // return after it, the point's busy gap in place of the calibration's gap.
    let after_exit = broker.contains_key("monitor_wake_after_exit_long_park") && long_walks;
    let key = if after_exit {
        AFTER_EXIT_KEY
    } else if broker.contains_key("monitor_wake_latency_long_park") && long_walks {
        "wake_latency_us_long_park"
    } else {
        "wake_latency_us"
    };
    let written_with_tail = broker
        .get(&format!("monitor_{}", key.replace("_us", "")))
        .is_some_and(|d| d.to_string().contains("min"));
    let busy = params["busy_threads"].as_f64().expect("params.busy_threads") as u64;
    let back_key = if long_walks {
        "loop_long_walker_back_uncontested_us_p50"
    } else {
        "loop_short_walker_back_uncontested_us_p50"
    };
    let back = if after_exit {
        let f = |k: &str| measured.get(k).and_then(|v| v.as_f64());
        let short_gap = hbsim::calibrate::walker_return_gap_us(
            f("loop_short_walker_back_uncontested_us_p50").expect("loop_short_walker_back_uncontested_us_p50"),
            0.0,
            f("exit_cost_us_p50").expect("exit_cost_us_p50"),
        );
        let extra = (f("loop_long_walker_back_after_exit_us_p50").expect("loop_long_walker_back_after_exit_us_p50") - short_gap).max(0.0);
        Some(
            if gap_us > 0.0 && !busy_gap_adds() {
                gap_us
            } else {
                short_gap + gap_us
            } + extra,
        )
    } else {
        measured.get(back_key).and_then(|v| v.as_f64())
    };
    if let Some((preempt, other, waits, waits_sd)) =
        cpu_shares_for(&measured, key, written_with_tail, back, gap_us, busy, &Pooling::of(json))
    {
        replace.retain(|(k, _)| {
            !matches!(
                *k,
                "cpu_release_preempt" | "cpu_release_other_at_once" | "cpu_release_heir_waits" | "cpu_release_heir_waits_sd"
            )
        });
        replace.push(("cpu_release_preempt", format!("{preempt:.3}")));
        replace.push(("cpu_release_other_at_once", format!("{other:.3}")));
        replace.push(("cpu_release_heir_waits", format!("{waits:.3}")));
        replace.push(("cpu_release_heir_waits_sd", format!("{waits_sd:.3}")));
    }
    // D: the walker's wait after a lost gap from the calibration's long loop, as `hbsim
    // calibrate` offers it (the same code; files written before the fortieth session offer none).
    let cal_cpus = cal["meta"]["cpus"].as_integer().expect("meta.cpus");
    let drain = hbsim::calibrate::drain_wait_from(&measured, cal_cpus, busy as i64).map(|d| {
        if return_loop_applied() {
            d
        } else {
            d.without_return_loop()
        }
    });
    // D2 (`HBSIM_AFTER_KNOTS=1`; held out on `user103-` and not applied, the sixty-first
    // session): the after-drain wait through its recorded knots.
    let after_drain = |d: &hbsim::calibrate::DrainWait| {
        hbsim::calibrate::after_drain_knots(&measured)
            .filter(|_| switch("HBSIM_AFTER_KNOTS", false))
            .unwrap_or_else(|| d.after_drain_text())
    };
    match drain {
        Some(d) if drain_wait_applied() => {
            replace.retain(|(k, _)| !matches!(*k, "cpu_wait" | "cpu_wait_after_drain"));
            replace.push(("cpu_wait", d.cpu_wait_text()));
            replace.push(("cpu_wait_after_drain", after_drain(&d)));
        }
        // I: the same return as the walker's wait while its heirs still run (the heirs' own
        // wait for a CPU keeps `cpu_wait`), as `hbsim calibrate` writes it.
        Some(d) if run_queue_loaded() && run_queue_applied() => {
            replace.retain(|(k, _)| !matches!(*k, "cpu_wait_displaced" | "cpu_wait_after_drain"));
            replace.push(("cpu_wait_displaced", d.cpu_wait_text()));
            replace.push(("cpu_wait_after_drain", after_drain(&d)));
        }
        // Left out: never before the `cpu_wait` draw ends (a file that sets it by hand).
        _ if broker.contains_key("cpu_wait_after_drain") && !replace.iter().any(|(k, _)| *k == "cpu_wait_after_drain") => {
            replace.push(("cpu_wait_after_drain", "\"1h\"".to_string()))
        }
        _ => {}
    }
    // S: the heirs' share of the CPUs from the calibration's return loop (pre-registered in the
    // fifty-second session's fourth part, applied in the fifty-third), or the Intel guest's for
    // the paired comparison.
    // U: not where the calibration's JVMs pre-touched their heap (the fifty-fifth session).
    let jvm_flags = cal["meta"].get("jvm_flags").and_then(|v| v.as_str()).unwrap_or_default();
    let pre_touched = pretouch_share_applied() && hbsim::calibrate::pre_touched_heap(jvm_flags);
    let written = hbsim::calibrate::ExecutorShare::of(hbsim::calibrate::busy_drain_cpu(&measured), pre_touched);
    // W: the warmed huge loop's drains where they counted enough, under HBSIM_DRAIN_SHARE=1 only
    // (not applied: the fifty-seventh session).
    let drained = hbsim::calibrate::huge_drain_cpu(&measured)
        .filter(|_| drain_share_applied())
        .and_then(|cpu| cpu.applied_share());
    use hbsim::calibrate::ExecutorShare::{Measured, PreTouched};
    if matches!(written, Measured { .. } | PreTouched { .. }) || drained.is_some() {
        let share = if busy_share_applied() {
            drained.unwrap_or(written.value())
        } else {
            EXECUTOR_SHARE
        };
        for (_, value) in replace.iter_mut().filter(|(k, _)| *k == "cpu_executor_share") {
            *value = format!("{share:.2}");
        }
    }
    // N: the heartbeat's unlocked cost after the JIT has settled, from the calibration.
    if let Some(warm) = warm_heartbeat(&measured, cal_cpus as u64, busy) {
        replace.push(("heartbeat_cost", warm));
    }
    // The calibration's own gap between walks (the poll and dispatch of the next close).
    let own_gap_us = broker
        .get("netty_event_gap")
        .and_then(|v| v.as_str())
        .map(|t| {
            hbsim::scenario::parse_duration(t).unwrap_or_else(|e| panic!("{}: netty_event_gap: {e}", calibration.display())) as f64 / 1000.0
        })
        .unwrap_or(0.0);
    if gap_us > 0.0 {
        let total_us = if busy_gap_adds() { own_gap_us + gap_us } else { gap_us };
        replace.push(("netty_event_gap", format!("\"{}ns\"", (total_us * 1000.0).round())));
    }
    if gap_race_applied() {
        // G: the calibration's wake-up behind a busy gap, as `hbsim calibrate` offers it from the
        // file's own figures (the same code; files written before it offer none).
        if let Some(g) = hbsim::calibrate::gap_race_from(&measured).unwrap_or_else(|e| panic!("{}: {e}", calibration.display())) {
            let text = |us: f64| hbsim::calibrate::duration_text((us * 1000.0).round());
            replace.push(("monitor_wake_latency_long_park_gap", g.wake));
            let hi = if busy_gap_adds() { g.range_us.1 } else { g.gap_us };
            replace.push((
                "monitor_wake_long_park_gap_range",
                format!("[\"{}\", \"{}\"]", text(g.range_us.0), text(hi)),
            ));
        }
    }
    // Z: the user path's keys from the calibration file, the after-drain wait as it stands here.
    with_chain_keys(&serde_json::Value::Object(measured.clone()), &mut replace);
    match walks {
        Walks::Loop if outcome["walks"].as_f64().unwrap_or(0.0) > 0.0 => {
            replace.push(("close_cost_base", loop_walks(json)));
            replace.push(("close_cost_per_group", "\"0\"".to_string()));
        }
        Walks::Loop => {}
        Walks::Calibration => {
            let m = cal["measured"].as_table().expect("[measured]");
            let f = |key: &str| {
                m.get(key)
                    .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
                    .unwrap_or_else(|| panic!("{}: measured.{key}", calibration.display()))
            };
            let groups = params["groups"].as_f64().expect("groups");
            let per_group = if groups >= LARGE_TABLE_GROUPS {
                // As `hbsim calibrate --table large --groups <the point's>` writes it: between the
                // loop's walks of a million and four million groups where the file has both.
                let num = |key: &str| m.get(key).and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)));
                hbsim::calibrate::LargeTableWalks::read(num)
                    .unwrap_or_else(|| panic!("{}: measured.loop_long_*", calibration.display()))
                    .at(groups)
            } else {
                f("walk_ns_per_group_hot_p50")
            };
            replace.push(("close_cost_base", "\"0\"".to_string()));
            replace.push(("close_cost_per_group", format!("\"{}ns\"", per_group.round().max(1.0))));
            // A run's walks stray from the calibration's together: each seed draws its factor as
            // `--table large` writes the drift (the thirty-first session).
            if groups >= LARGE_TABLE_GROUPS {
                replace.push(("close_cost_per_group_drift", hbsim::calibrate::LARGE_TABLE_WALK_DRIFT.to_string()));
            }
        }
    }
    replace_keys(&text, &replace)
}

/// The mirror `configured` without F's keys: no run queue, no spin, a walker that spins, and the
/// point's own `register_producer_cost` (from `toml_text`, its `.toml`).
fn without_f(configured: &str, toml_text: &str) -> String {
    let own = toml_text
        .lines()
        .find_map(|l| l.strip_prefix("register_producer_cost = "))
        .expect("the point's register_producer_cost");
    replace_keys(
        configured,
        &[
            ("cpu_run_queue", "false".to_string()),
            ("monitor_spin", "\"0\"".to_string()),
            ("monitor_spin_walker", "true".to_string()),
            ("register_producer_cost", own.to_string()),
        ],
    )
}

/// F's keys: the executor threads run at most `cpus` at once, their contention resolved by a 10 µs
/// spin; the walker parks at once behind them; a hold as the loop's won gaps measured it.
/// Z (the sixtieth session; **applied**): the chain of parked heartbeat threads
/// in a won gap as the loop runs it. Traced, hbsim's won gaps let one or two of the threads parked
/// at the walker's release in where the loop lets all of them in (`Validate.java`'s `chain_*`: in
/// a diagnostic loop at `million-gap0-busy8`, 24 of 24, one after another 10-13 µs apart once
/// the first heir had drained; hbsim's seeds 9 of 65, 85 µs apart), and they sit through the next
/// walk (`calls_sat_through_won_gaps`). Two keys where F runs: a heir woken by an executor thread
/// that leaves its CPU right after (`monitor_wake_latency_idle_waker`, the calibration's
/// `wake_latency_us_yield`), and, where I's walker comes back after its heirs' drain, that wait
/// counted from the executor's idle moment as the harness measures it
/// (`cpu_wait_after_drain_from_idle`). Pre-registered (fce5b7c) and held out on `user100-` (three
/// points beside 8 and 12 busy threads, the harness counting the chain): the share of parked
/// threads left out of their gap, the chain's link and the calls that sat through a won gap came
/// nearer the loops' at 3 of 3 each (left out 0-8% in the loops, 42-75% standing, 10-15% with
/// Z; links 16-21 µs, 74-3,680 and 21-1,650), the won gaps' length and calls per ms nearer
/// (median |ln ratio| 0.24 → 0.12 and 0.45 → 0.07), tipped or not 3 of 3 either way on both
/// tables, Brier 0.051 → 0.043 and 0.027 → 0.017 (docs/validation-log.md, the sixtieth session).
/// `hbsim calibrate` writes both keys since. `HBSIM_CHAIN=0` takes it off for a comparison.
pub const CHAIN: bool = true;

fn chain_applied() -> bool {
    switch("HBSIM_CHAIN", CHAIN)
}

/// Z2: a heir woken and still on its way when an executor thread goes idle takes the CPU that
/// thread leaves (`monitor_heir_takes_idle_cpu`), with Z's idle-waker wake-up. In-sample through
/// `user101-` the outcomes held where they were; pre-registered (eabc32b, cdfab89) and held out
/// on `user102-` (three points beside 8 and 12 busy threads, the harness counting the chain): the
/// whole chain, the parked threads' way in after the release and the chain's link p90 came
/// nearer the loops' at 3 of 3 each (whole chain p50 3,194-3,672 and 385 µs in the loops,
/// 7,512-10,448 and 3,302 under Z, 6,636-9,218 and 881 with Z2), tipped or not 3 of 3 either way
/// on both tables, Brier 0.071 → 0.044 and 0.031 → 0.014 (docs/validation-log.md, the
/// sixty-first session). `hbsim calibrate` writes it since. `HBSIM_HEIR_IDLE=0` takes it off
/// for a comparison.
pub const HEIR_IDLE: bool = true;

fn heir_idle_applied() -> bool {
    switch("HBSIM_HEIR_IDLE", HEIR_IDLE)
}

/// Z's keys for a point whose `keys` are set ([`CHAIN`]), from the calibration `measured`.
fn with_chain_keys(measured: &serde_json::Value, keys: &mut Vec<(&'static str, String)>) {
    keys.retain(|(k, _)| {
        !matches!(
            *k,
            "monitor_wake_latency_idle_waker" | "cpu_wait_after_drain_from_idle" | "monitor_heir_takes_idle_cpu"
        )
    });
    if !chain_applied() {
        return;
    }
    let has = |keys: &[(&str, String)], key: &str| keys.iter().any(|(k, v)| *k == key && v != "false");
    let after_drain = has(keys, "cpu_wait_after_drain");
    if has(keys, "cpu_run_queue") && measured.get("wake_latency_us_yield_p50").is_some() {
        let wake = if measured.get("wake_latency_us_yield_min").is_some() {
            empirical_with_tail(measured, "wake_latency_us_yield")
        } else {
            empirical(measured, "wake_latency_us_yield")
        };
        keys.push(("monitor_wake_latency_idle_waker", wake));
        if heir_idle_applied() {
            keys.push(("monitor_heir_takes_idle_cpu", "true".to_string()));
        }
    }
    if after_drain {
        keys.push(("cpu_wait_after_drain_from_idle", "true".to_string()));
    }
}

fn run_queue_keys() -> [(&'static str, String); 4] {
    [
        ("cpu_run_queue", "true".to_string()),
        ("monitor_spin", "\"10us\"".to_string()),
        ("monitor_spin_walker", "false".to_string()),
        ("register_producer_cost", LOOP_HOLD.to_string()),
    ]
}

/// The CPU model's keys for a point, as every session sets them: `cpus` (the session's
/// `meta.cpus`), `cpu_other_runnable` (the harness's busy threads), `cpu_wait` ([`cpu_wait`]),
/// `cpu_release_preempt`, `cpu_release_other_at_once`, `cpu_release_heir_waits` and
/// `cpu_release_heir_waits_sd` ([`session_cpu_shares`]); F's ([`run_queue_keys`]), and I's where
/// the busy threads fill the CPUs ([`RUN_QUEUE_LOADED`]).
fn cpu_model_keys(json: &serde_json::Value) -> Vec<(&'static str, String)> {
    let cpus = json["meta"]["cpus"].as_u64().expect("meta.cpus");
    let busy = json["params"]["busy_threads"].as_f64().expect("params.busy_threads") as u64;
    let (preempt, other, waits, waits_sd) = session_cpu_shares(json, busy);
    let sharing = time_sharing_applied();
    let mut keys = Vec::new();
    if sharing && busy >= cpus {
        // E's walker, back when its heirs have drained (`ends1-`).
        keys.push(("cpu_wait_after_drain", "\"0\"".to_string()));
    }
    if (busy == 0 || run_queue_loaded()) && run_queue_applied() {
        // F (the forty-second session; at every load since the forty-fourth's I): the executor
        // threads run at most `cpus` at once, bound by the CPUs, their contention resolved by a
        // spin; the walker parks at once behind them; a hold as the loop's won gaps measured it.
        keys.extend(run_queue_keys());
    }
    keys.extend([
        ("cpu_time_sharing", sharing.to_string()),
        ("cpus", cpus.to_string()),
        ("cpu_other_runnable", busy.to_string()),
        ("cpu_wait", cpu_wait()),
        ("cpu_release_preempt", format!("{preempt:.3}")),
        ("cpu_release_other_at_once", format!("{other:.3}")),
        ("cpu_release_heir_waits", format!("{waits:.3}")),
        ("cpu_release_heir_waits_sd", format!("{waits_sd:.3}")),
    ]);
    // X: the displaced share's drift between runs, where the point's pool drifts (held out).
    if let Some(sd) = preempt_drift(busy, &Pooling::of(json)).filter(|_| preempt_drift_applied()) {
        keys.push(("cpu_release_preempt_sd", format!("{sd:.3}")));
    }
    if busy >= cpus && run_queue_loaded() && run_queue_applied() {
        // I: the walker that lost its CPU at its release is back once its heirs have drained, or
        // after a draw of the pooled calibrations' own return, whichever comes first; its heirs
        // take the loop's share of the CPUs.
        keys.retain(|(k, _)| *k != "cpu_wait_after_drain");
        keys.push(("cpu_wait_after_drain", "\"0\"".to_string()));
        keys.push(("cpu_wait_displaced", first_table_displaced_wait()));
        if executor_share_applied() {
            keys.push(("cpu_executor_share", format!("{EXECUTOR_SHARE}")));
        }
    }
    with_chain_keys(&json["calibration"], &mut keys);
    keys
}

/// What one recording counted of the race at the walker's release, for pooling across sessions.
#[derive(Clone, Debug)]
pub struct ReleaseCounts {
    /// The recording (`<session>-<point>`).
    pub name: String,
    /// Its host ([`host`]).
    pub host: String,
    /// What it pools with ([`pool_key`]): its guest under load, its host idle.
    pub pool_key: String,
    /// Its configuration ([`configuration`]: host, table, gap, trigger, load).
    pub configuration: String,
    /// Its walks' class ([`short_walks`]).
    pub short_walks: bool,
    pub busy: u64,
    /// (releases displaced, releases): `walker_ready_over_1ms` of `walker_ready_gaps`, or 0 of
    /// the gaps where the harness did not count but its largest ready time was under 1 ms.
    pub displaced: Option<(u64, u64)>,
    /// (releases at which the walker kept its CPU and a heir on the other CPU won, releases at
    /// which it kept its CPU): `won_heir_on_other_cpu_walker_quick` of
    /// `walker_ready_gaps - walker_ready_over_1ms`.
    pub other: Option<(u64, u64)>,
    /// (releases at which the walker kept its CPU and a heir won, on either CPU, releases at
    /// which it kept its CPU): `won_heir_on_release_cpu_walker_quick` +
    /// `won_heir_on_other_cpu_walker_quick` of `walker_ready_gaps - walker_ready_over_1ms`.
    pub kept_won: Option<(u64, u64)>,
    /// Whether its counts stand in the pools the other points draw ([`frozen_pool`]).
    pub pooled: bool,
}

/// The file that names the recordings whose release counts the pools hold
/// ([`frozen_pool`]).
pub const FROZEN_POOL_FILE: &str = "tests/data/validation/pooled-releases.txt";

/// The recordings whose counts stand in the pools ([`pooled_without`], [`kept_won`],
/// [`kept_won_drift`]): those [`FROZEN_POOL_FILE`] names, frozen in the fifty-eighth session over
/// every recording to `user95-` and again in the fifty-ninth to `user98-` (whose three sets moved
/// the `fc-v1300` busy-12 displaced share from 0.326 to 0.350, past its 0.020), then to `user99-`
/// (whose `million-gap0-busy8` stood in a pool the frozen ones did not hold). Before it every new recording joined every other point's pool
/// as it was committed, so each data commit redrew the seeds of the knife edges in its pools and
/// turned a handful of calls each way (the KNOWN churn of the fifty-first to fifty-seventh
/// sessions: 7 to 43 entries a session, none of them about the new data). Frozen, a new
/// recording is graded against pools recorded before it, as a held-out point, and moves no other
/// point's grade; [`the_frozen_pools_stay_the_pools`] says when the recordings since have moved a
/// pool past its own noise, and `FREEZE_POOLS=1 cargo test --test integration
/// the_frozen_pools_stay_the_pools` writes the file again (an intended change, with its churn).
pub fn frozen_pool() -> &'static std::collections::BTreeSet<String> {
    static FROZEN: std::sync::OnceLock<std::collections::BTreeSet<String>> = std::sync::OnceLock::new();
    FROZEN.get_or_init(|| named_in(FROZEN_POOL_FILE))
}

/// Every recording under controlled load ([`UNCONTROLLED_LOAD`]) that counts the race at the
/// walker's release (the Intel guest's sessions from `disp1-` on, and `ready1-huge-gap0`, whose
/// every ready time was under 1 ms).
pub fn release_counts() -> &'static [ReleaseCounts] {
    static COUNTS: std::sync::OnceLock<Vec<ReleaseCounts>> = std::sync::OnceLock::new();
    COUNTS.get_or_init(|| {
        points()
            .into_iter()
            .filter_map(|(name, _, _)| {
                let (busy, json) = recorded(&name);
                if load_beyond_point(&json) > UNCONTROLLED_LOAD {
                    return None;
                }
                let out = &json["outcome"];
                let displaced = match (out["walker_ready_over_1ms"].as_u64(), out["walker_ready_gaps"].as_u64()) {
                    (Some(over), Some(gaps)) => Some((over, gaps)),
                    _ => out["walker_ready_us_max"]
                        .as_f64()
                        .filter(|max| *max < 1_000.0)
                        .and_then(|_| out["gaps_between_walks"].as_u64())
                        .map(|gaps| (0, gaps)),
                };
                let other = match (out["won_heir_on_other_cpu_walker_quick"].as_u64(), displaced) {
                    (Some(won), Some((over, gaps))) => Some((won.min(gaps - over), gaps - over)),
                    _ => None,
                };
                let kept_won = match (
                    out["won_heir_on_release_cpu_walker_quick"].as_u64(),
                    out["won_heir_on_other_cpu_walker_quick"].as_u64(),
                    displaced,
                ) {
                    (Some(same), Some(won), Some((over, gaps))) => Some(((same + won).min(gaps - over), gaps - over)),
                    _ => None,
                };
                (displaced.is_some() || other.is_some()).then_some(ReleaseCounts {
                    host: host(&json),
                    pool_key: pool_key(&json),
                    configuration: configuration(&json),
                    short_walks: short_walks(&json),
                    busy,
                    displaced,
                    other,
                    kept_won,
                    pooled: frozen_pool().contains(&name),
                    name,
                })
            })
            .collect()
    })
}

/// The recordings whose counts stand in the pools ([`frozen_pool`]), but `name`: what every
/// pooled share of a point is drawn from.
fn pooled_others(name: &str) -> impl Iterator<Item = &'static ReleaseCounts> + '_ {
    release_counts().iter().filter(move |c| c.pooled && c.name != name)
}

/// `cpu_release_preempt` for `point` with `busy` busy threads: the displaced share of
/// [`release_counts`], every pooled recording ([`frozen_pool`]) but the point's own, pooled at that load
/// ([`pooled_without`]).
pub fn release_preempt(busy: u64, point: &Pooling) -> f64 {
    pooled_without(busy, point, |c| c.displaced)
}

/// The share `count` picks of [`release_counts`], every recording but `point`'s own, at `busy`,
/// from the recordings of the point's walk class ([`short_walks`]; every recording where its
/// class has none counted): pooled over the other recordings of the point's pool ([`pool_key`]:
/// its guest under load, its host idle) at that load where the pool counted it there, else over
/// every host ([`pooled_share`], which interpolates between loads).
///
/// Under load the guest decides, not the CPU model: this guest's busy-8 loops let their heirs in
/// at 33-46% of the gaps where the older AMD guests' (same CPU model, same idle driver, none of
/// whose recordings counts the race) did at 43-89% (median 53%, 11 gated recordings), and with
/// this guest's counts pooled in, the older busy-8 configuration tipped in hbsim 6.8 times of 12
/// against the loop's 2 (p = 0.005); pooled by guest, 4.1 (p = 0.27). Decided as pre-registered, in-sample: the older guests are
/// gone (docs/validation-log.md, the thirty-third session).
///
/// The host decides how its scheduler places a woken thread at the walker's release: under 8
/// busy threads the `fc` guests' heirs got in on the other CPU at 5% of the kept releases where
/// the Intel guest's did at 23%, and pooled over both hosts each one's recordings moved the
/// other's tables (the Intel busy-8 table's last quarter after `fc3-`). Decided as
/// pre-registered for `fc4-` to `fc6-` (docs/validation.md, the twentieth session).
///
/// The walk decides how often the walker loses its CPU at its release: behind the incident's
/// table (walks of 1-2 ms under 4 busy threads) the `fc` guest displaced its walker at 5-8% of
/// its releases, behind 4,000,000 groups (walks of 2 s) at 32-55%. Summed over releases, one hot
/// recording's 9,999 outweighed every long-walk recording at its load. Decided as
/// pre-registered for `fc8-` and `fc9-` (docs/validation.md, the twenty-first session).
fn pooled_without(busy: u64, point: &Pooling, count: impl Fn(&ReleaseCounts) -> Option<(u64, u64)>) -> f64 {
    let others = || pooled_others(&point.name);
    let class_counted = others().any(|c| c.short_walks == point.short_walks && count(c).is_some());
    let pool = || others().filter(move |c| !class_counted || c.short_walks == point.short_walks);
    let (own_k, own_n) = pool()
        .filter(|c| c.pool_key == point.pool_key && c.busy == busy)
        .filter_map(&count)
        .fold((0, 0), |(k, n), (ck, cn)| (k + ck, n + cn));
    if own_n > 0 {
        return own_k as f64 / own_n as f64;
    }
    let counts: Vec<(u64, u64, u64)> = pool().filter_map(|c| count(c).map(|(k, n)| (c.busy, k, n))).collect();
    pooled_share(&counts, busy)
}

/// Whether a recording's table walks short: under 10 ms uncontested (its groups at its session's
/// median per-group cost, `walk_ns_per_group_p50`). The incident's 15,742 groups walk in
/// 0.1-6.2 ms that way on every session, 400,000 groups in 12 ms or more: any bound between
/// classifies alike.
pub fn short_walks(doc: &serde_json::Value) -> bool {
    let groups = doc["params"]["groups"].as_f64().expect("params.groups");
    let per_group_ns = doc["calibration"]["walk_ns_per_group_p50"]
        .as_f64()
        .expect("calibration.walk_ns_per_group_p50");
    groups * per_group_ns < 10e6
}

/// The share of the releases its walker kept at which a heir won, on either CPU, for `point`:
/// [`ReleaseCounts::kept_won`] pooled over its configuration's other recordings; `None` where none
/// counts it. Per configuration, unlike the other two shares (pooled by load over the host's
/// recordings, [`pooled_without`]): who wins at a kept release is the race itself, which the
/// table's walk (how long the heirs park) and the host decide, and the AMD hosts' loops, which do
/// not count it, let their heirs in there more often than the Intel guest's (docs/validation.md,
/// the seventeenth session).
pub fn kept_won(point: &Pooling) -> Option<f64> {
    let (won, kept) =
        kept_won_counts(&point.name, &point.configuration, Some(&point.pool_key)).fold((0, 0), |(w, k), (cw, ck)| (w + cw, k + ck));
    (kept > 0).then(|| won as f64 / kept as f64)
}

/// [`ReleaseCounts::kept_won`] of the configuration's recordings but `name`, of the pool
/// `pool_key` ([`pool_key`]) where one is given.
fn kept_won_counts<'a>(name: &'a str, configuration: &'a str, pool_key: Option<&'a str>) -> impl Iterator<Item = (u64, u64)> + 'a {
    pooled_others(name)
        .filter(move |c| c.configuration == configuration)
        .filter(move |c| pool_key.is_none_or(|key| c.pool_key == key))
        .filter_map(|c| c.kept_won)
}

/// How far [`kept_won`] drifts between the configuration's other recordings beyond their binomial
/// noise ([`hbsim::calibrate::kept_won_drift`]), of the pool `pool_key` where one is given;
/// `None` where they agree within it.
pub fn kept_won_drift(name: &str, configuration: &str, pool_key: Option<&str>) -> Option<f64> {
    hbsim::calibrate::kept_won_drift(&kept_won_counts(name, configuration, pool_key).collect::<Vec<_>>())
}

/// X's `cpu_release_preempt_sd` for `point` with `busy` busy threads: how far the displaced
/// share drifts between the other pooled recordings of the point's pool, walk class and load,
/// beyond their binomial noise ([`hbsim::calibrate::kept_won_drift`]: DerSimonian-Laird's spread
/// where Cochran's Q says they disagree at p < 0.05, over at least 3 recordings); `None`
/// elsewhere.
pub fn preempt_drift(busy: u64, point: &Pooling) -> Option<f64> {
    let counts: Vec<(u64, u64)> = pooled_others(&point.name)
        .filter(|c| c.pool_key == point.pool_key && c.busy == busy && c.short_walks == point.short_walks)
        .filter_map(|c| c.displaced)
        .collect();
    hbsim::calibrate::kept_won_drift(&counts)
}

/// `cpu_release_other_at_once` for `point` with `busy` busy threads: the share of the
/// releases at which the walker kept its CPU and a heir on the other CPU still won, of
/// [`release_counts`], every pooled recording ([`frozen_pool`]) but the point's own, pooled as
/// [`release_preempt`].
pub fn other_at_once(busy: u64, point: &Pooling) -> f64 {
    pooled_without(busy, point, |c| c.other)
}

/// `cpu_release_preempt`, `cpu_release_other_at_once` and `cpu_release_heir_waits` for a point,
/// from the session's own wake-up and exit at the walker's release (the long-park ones in the
/// in-loop mirror behind walks past `monitor_long_park`, [`walks_past_long_park`], else the short
/// ones): [`cpu_shares_for`].
fn session_cpu_shares(json: &serde_json::Value, busy: u64) -> (f64, f64, f64, f64) {
    let cal = json["calibration"].as_object().expect("calibration");
    let in_loop = loop_return_gap(json).is_some();
    let key = if in_loop && walks_past_long_park(json) {
        "wake_latency_us_long_park"
    } else {
        "wake_latency_us"
    };
    let gap_us = json["params"]["gap_us"].as_f64().expect("params.gap_us");
    cpu_shares_for(cal, key, in_loop, walker_back_us(json), gap_us, busy, &Pooling::of(json))
        .unwrap_or_else(|| panic!("{}: no {key}", json["point"]))
}

/// The walker's uncontested return to the monitor in the point's loop [µs] (its own, else its
/// session's pre-run's), as [`loop_return_gap`] takes it.
fn walker_back_us(json: &serde_json::Value) -> Option<f64> {
    json["outcome"]["walker_back_uncontested_us_p50"]
        .as_f64()
        .or_else(|| json["calibration"]["race_walker_back_uncontested_us_p50"].as_f64())
}

/// A point as the other recordings' counts are pooled for it: every recording but its own
/// (`name`), of its host or of its configuration.
pub struct Pooling {
    pub name: String,
    /// [`pool_key`].
    pub pool_key: String,
    pub configuration: String,
    pub short_walks: bool,
}

impl Pooling {
    fn of(json: &serde_json::Value) -> Pooling {
        Pooling {
            name: recording_name(json),
            pool_key: pool_key(json),
            configuration: configuration(json),
            short_walks: short_walks(json),
        }
    }
}

/// A recording's name, `<session>-<point>` (its file's stem).
fn recording_name(json: &serde_json::Value) -> String {
    let point = json["point"].as_str().expect("point");
    match json["session_tag"].as_str() {
        Some(tag) => format!("{tag}-{point}"),
        None => point.to_string(),
    }
}

/// The share of kept releases at which the configured scenario's heir wins on its own
/// ([`hbsim::calibrate::heir_beats_walker_in_model`]): the wake-up `key` of `measured` against the
/// walker's exit of the same tier (`exit_cost_us…`) and the return gap the mirror writes
/// ([`hbsim::calibrate::walker_return_gap_us`] from the loop's return `back_us`; the harness's gap
/// `gap_us` where none was measured).
/// The third race's heirs counted from the end of the walker's exit (the twenty-ninth session).
const AFTER_EXIT_KEY: &str = "race_open_heir_after_exit_us";

fn model_race(
    measured: &serde_json::Map<String, serde_json::Value>,
    key: &str,
    lower_tail: bool,
    back_us: Option<f64>,
    gap_us: f64,
) -> Option<f64> {
    if key == AFTER_EXIT_KEY {
        // Both sides after the exit: `back_us` is the walker's return after it, gap included.
        return hbsim::calibrate::heir_beats_walker_share(measured, key, true, back_us);
    }
    if !MODEL_RACE {
        return hbsim::calibrate::heir_beats_walker_share(measured, key, lower_tail, back_us);
    }
    let exit_key = key.replace("wake_latency", "exit_cost");
    let exit_p50 = measured.get(&format!("{exit_key}_p50")).and_then(|v| v.as_f64())?;
    let gap = back_us.map_or(gap_us, |back| hbsim::calibrate::walker_return_gap_us(back, gap_us, exit_p50));
    let tail = |k: &str| lower_tail && measured.contains_key(&format!("{k}_min"));
    hbsim::calibrate::heir_beats_walker_in_model(measured, key, tail(key), &exit_key, tail(&exit_key), gap)
}

/// Whether the loop's walks (their mean) last at least `monitor_long_park`
/// ([`hbsim::calibrate::LONG_PARK_NS`]), as [`loop_return_gap`] decides it: a heir parked through
/// one of them draws the long-park wake-up and exit, so the race the shares are derived beyond
/// ([`model_race`]) is that tier's; behind shorter walks the short-park one (before the
/// twenty-fourth session the long-park race wherever the session measured it; no verdict moved).
pub fn walks_past_long_park(json: &serde_json::Value) -> bool {
    json["outcome"]["walk_us_mean"].as_f64().unwrap_or(0.0) * 1000.0 >= hbsim::calibrate::LONG_PARK_NS as f64
}

/// Whether `cpu_release_other_at_once` and `cpu_release_heir_waits` are derived beyond the race
/// the configured scenario runs at a kept release ([`model_race`]: the heir's wake-up against the
/// walker's exit drawn under 1 ms plus its return gap), as `hbsim calibrate` derives them since
/// the twenty-fourth session, or, `false`, beyond the wake-up's draws under the loop's measured
/// return alone (before). Measured over 10 seeds of `fc28-huge-gap0-busy4`: before, the model's
/// heir won 42 of the 72 releases where it raced a walker that kept its CPU (the derivation
/// assumed 24%), so its heirs won 20% of the kept releases against the loop's 9% and 53% of the
/// gaps against 44%; with the model's race, 10% and 45% (docs/validation.md, the twenty-fourth
/// session). `false` is kept for the pre-registered comparison of `fc30-` to `fc32-`.
pub const MODEL_RACE: bool = true;

/// The shares the loop measured at `busy` busy threads, without recording `name`: the displaced
/// share as counted ([`release_preempt`]; the walker's exit is drawn under 1 ms where the CPU model
/// decides its release, so nothing else displaces it there), [`other_at_once`] beyond the share
/// of the wake-up `key` of `measured` (drawn with its lower tail or not, as the scenario writes
/// it) that beats the walker's return `back_us` ([`hbsim::calibrate::heir_beats_walker_share`],
/// [`hbsim::calibrate::other_at_once_beyond_wake`]), and the share of kept releases at which the
/// heir waits, where the wake-up would let more heirs in than the configuration's loops counted
/// ([`kept_won`], [`hbsim::calibrate::heir_waits_beyond_share`]; 0 where none of the
/// `configuration`'s other recordings counts it), with its spread between runs where those
/// recordings drift beyond their binomial noise ([`kept_won_drift`],
/// [`hbsim::calibrate::heir_waits_sd`]; 0 elsewhere); `None` without that wake-up.
fn cpu_shares_for(
    measured: &serde_json::Map<String, serde_json::Value>,
    key: &str,
    lower_tail: bool,
    back_us: Option<f64>,
    gap_us: f64,
    busy: u64,
    point: &Pooling,
) -> Option<(f64, f64, f64, f64)> {
    let fast = model_race(measured, key, lower_tail, back_us, gap_us)?;
    let q = hbsim::calibrate::other_at_once_beyond_wake(other_at_once(busy, point), fast);
    let waits = kept_won(point).map_or(0.0, |won| hbsim::calibrate::heir_waits_beyond_share(won, q, fast));
    // The drift spreads the key where it holds the race at all (0 where the race alone lets in
    // fewer than the loop counted: a spread there would only ever hold heirs back).
    let waits_sd = match kept_won_drift(&point.name, &point.configuration, Some(&point.pool_key)) {
        Some(tau) if waits > 0.0 => hbsim::calibrate::heir_waits_sd(tau, q, fast),
        _ => 0.0,
    };
    Some((release_preempt(busy, point), q, waits, waits_sd))
}

/// A recording's busy threads and its harness output (`tests/data/validation/<name>.json`).
fn recorded(name: &str) -> (u64, serde_json::Value) {
    let path = repo_root().join(format!("tests/data/validation/{name}.json"));
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let busy = json["params"]["busy_threads"].as_f64().expect("busy_threads") as u64;
    (busy, json)
}

/// The share of `counts` (busy threads, counted, of) pooled at `busy`; between two measured loads,
/// linear in the busy threads; beyond the measured loads, the nearest's.
fn pooled_share(counts: &[(u64, u64, u64)], busy: u64) -> f64 {
    let mut by_load: Vec<(u64, u64, u64)> = Vec::new();
    for &(b, over, gaps) in counts {
        match by_load.iter_mut().find(|(l, _, _)| *l == b) {
            Some(entry) => {
                entry.1 += over;
                entry.2 += gaps;
            }
            None => by_load.push((b, over, gaps)),
        }
    }
    by_load.sort();
    let share = |&(_, over, gaps): &(u64, u64, u64)| over as f64 / gaps as f64;
    if let Some(exact) = by_load.iter().find(|(l, _, _)| *l == busy) {
        return share(exact);
    }
    let (first, last) = (by_load.first().expect("sessions"), by_load.last().expect("sessions"));
    if busy > last.0 {
        return share(last);
    }
    if busy < first.0 {
        return share(first);
    }
    let hi = by_load.iter().position(|(l, _, _)| *l > busy).expect("a load above");
    let (lo, hi) = (&by_load[hi - 1], &by_load[hi]);
    let t = (busy - lo.0) as f64 / (hi.0 - lo.0) as f64;
    share(lo) + t * (share(hi) - share(lo))
}

/// `text` with each `key = …` line of `replace` rewritten, or added to `[broker]` when absent.
fn replace_keys(text: &str, replace: &[(&str, String)]) -> String {
    let mut done = Vec::new();
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            for (key, value) in replace {
                if line.starts_with(&format!("{key} =")) {
                    done.push(*key);
                    return format!("{key} = {value}");
                }
            }
            line.to_string()
        })
        .collect();
    let mut text = lines.join("\n") + "\n";
    for (key, value) in replace {
        if !done.contains(key) {
            // Not in the mirror: add it to [broker].
            text = text.replacen("[broker]\n", &format!("[broker]\n{key} = {value}\n"), 1);
        }
    }
    text
}

/// The point's scenario configured from the same session's calibration, as the test runs it:
/// `<point>.toml` with these keys replaced from `<point>.json`:
/// - `close_cost_base` and `close_cost_per_group`: the loop's own walks ([`loop_walks`]) and 0; a
///   walk's cost depends on how hot the table is, which back-to-back walks in the loop decide and
///   the session's separate walk measurement does not see;
/// - `monitor_exit_cost` and `monitor_wake_latency`: empirical distributions through the
///   session's p50, p90, p99 and max;
/// - where the session recorded both sides of the race at the walker's release in the loop (the
///   `inloop-` session on): `monitor_long_park` ([`hbsim::calibrate::LONG_PARK_NS`]), the
///   long-park exit and wake-up, `netty_event_gap` and `netty_event_gap_long_walk_extra`
///   ([`loop_return_gap`]); there every
///   distribution carries its recorded min and p10 ([`empirical_with_tail`]);
/// - `cpus` (the session's `meta.cpus`), `cpu_other_runnable` (the harness's busy threads: the
///   only other work known to want a CPU all the time; the host's load average counts waiting
///   tasks too, and the sessions' own wake-ups, p50 13-55 µs, show a CPU was usually free) and
///   `cpu_wait` ([`cpu_wait`]): the CPU model.
pub fn configured_scenario(json: &serde_json::Value, toml_text: &str) -> String {
    configured_scenario_with(json, toml_text, RACE_IN_LOOP_SHIFT)
}

/// Whether the mirror moves the long-park wake-up to the race the session measured in the loop's
/// own state ([`race_in_loop_shift_us`]: behind walks of at least `monitor_long_park`, with no
/// busy threads, where the pre-run ran twice). **Applied since the twenty-sixth session.** The
/// `inrace-` sessions' pre-runs (once, the first time the JVM ran the loop's code) gave the heirs
/// far more gaps than the loop that followed (huge-gap0: 21-52% against 1-4% in four
/// recordings), and with the shift frozen at 8314002 tipped or not agreed at 33 of their 36
/// points against 34 without it. Run a second time, the pre-run matched the loop at the idle
/// points behind long walks (`warm-`: huge-gap0 3.5% and 3.1%, large-gap0 1.1% and 0.8%). Frozen
/// at 29a5208 and held out on `warm3-` to `warm5-` (8 points): tipped or not 5 of 8 shifted
/// against 7 of 8 without, so it stayed off. On a guest whose long-park wake-up measured apart
/// ran slow (p50 69-132 µs against the loop's heirs' 40-55 µs in its own race), `fc45-` to
/// `fc48-` (`huge-gap15`) missed all four unshifted and agreed at all four shifted; pre-registered
/// then (82ecb5f: switched on if, at twelve new idle long-walk points, it agrees on tipped or not
/// at more and on the last quarter at no fewer), `fc53-` to `fc55-` gave 11 of 12 shifted against
/// 7 of 12 on tipped or not and 10 against 9 on the last quarter, and it was switched on; held
/// out after that (`fc56-` to `fc58-`), 8 of 9 against 5 of 9. Its held-out record on tipped or
/// not, with `hg1-` to `hg8-` (8 of 8 either way): 36 of 41 against 27 of 41 (docs/validation.md,
/// the tenth and twenty-sixth sessions).
pub const RACE_IN_LOOP_SHIFT: bool = true;

/// Whether the mirror takes the candidate of the twenty-third session: a `registerProducer` hold
/// as the loop's won gaps measured it ([`LOOP_HOLD`], the `fc` guest under 4 busy threads, traced
/// with `--trace-holds`; 10-15 times the back-to-back figure the session's calibration gives),
/// heartbeat threads that spin 10 µs before parking (the loop's entered within 5 µs at 99.4% of
/// their calls) and a walker that parks at once when it finds the monitor owned
/// (`monitor_spin_walker = false`: the loop's did at all 10 such attempts in two scheduler-traced
/// runs). **Not applied**: in-sample it agreed per configuration at 29 of 30 on the tips and 27 of
/// 30 on the last quarter (28 and 25 as it stands) but per point at 367 and 355 of 395 (368 and
/// 365); pre-registered against `fc27-` to `fc29-` (docs/validation.md, the twenty-third session).
pub const LOOP_HOLD_AND_SUCCESSION: bool = false;

/// The `registerProducer` hold in the loop's won gaps (`fc` guest, 4 busy threads, holds under
/// 100 µs; the probe's two clock reads, about 40 ns, included).
pub const LOOP_HOLD: &str = hbsim::calibrate::LOOP_HOLD;

/// Candidate K (the forty-sixth session; in-sample only, not applied): beside busy threads the
/// wake-ups drawn without the scheduler's tick. The wake-up measured apart under load waits for
/// the tick (p90 above 1 ms at 25 of 62 busy-4 sessions and every session from 8 busy threads
/// on), the loop's own heir at the walker's release seldom does (8 of 62, 8 of 51, 9 of 32, 3 of
/// 25; median p90 64-83 µs). Each of the three wake-up figures' knots above 1 ms is set to the
/// largest knot at or under it (the sub-millisecond part, its top knot standing for the mass
/// above: an approximation). `HBSIM_TICKLESS_WAKE=1` runs it.
pub const TICKLESS_WAKE: bool = false;

/// The tick's edge [µs] for [`TICKLESS_WAKE`]: a 250 Hz tick is 4 ms, the fastest wake-up that
/// waited for one 1 ms or more.
const TICK_EDGE_US: f64 = 1000.0;

fn tickless_wake_applied() -> bool {
    switch("HBSIM_TICKLESS_WAKE", TICKLESS_WAKE)
}

/// The recording with its calibration's wake-up knots above [`TICK_EDGE_US`] brought down to the
/// largest one at or under it ([`TICKLESS_WAKE`]).
pub fn without_tick(json: &serde_json::Value) -> serde_json::Value {
    let mut json = json.clone();
    let Some(cal) = json["calibration"].as_object_mut() else {
        return json;
    };
    for base in ["wake_latency_us", "wake_latency_us_long_park", "wake_latency_us_very_long_park"] {
        let keys: Vec<String> = ["min", "p1", "p5", "p10", "p50", "p90", "p99", "max"]
            .iter()
            .map(|q| format!("{base}_{q}"))
            .collect();
        let cap = keys
            .iter()
            .filter_map(|k| cal.get(k)?.as_f64())
            .filter(|v| *v <= TICK_EDGE_US)
            .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
        let Some(cap) = cap else {
            continue;
        };
        for k in &keys {
            if cal.get(k).and_then(|v| v.as_f64()).is_some_and(|v| v > TICK_EDGE_US) {
                cal.insert(k.clone(), serde_json::json!(cap));
            }
        }
    }
    json
}

/// In-sample probe (the forty-sixth session, not applied, no measurement behind it):
/// `HBSIM_TASK_SCALE=x` multiplies the heartbeat's unlocked cost (`heartbeat_cost`'s median) by
/// x, to see what a slower drain would change. hbsim's task (the heartbeat plus two
/// `LOOP_HOLD` holds) already costs about the 5.6 µs of CPU the JVM's drains measure per task.
fn scaled_task(text: &str) -> String {
    let Some(scale) = std::env::var("HBSIM_TASK_SCALE").ok().and_then(|v| v.parse::<f64>().ok()) else {
        return text.to_string();
    };
    text.lines()
        .map(|line| {
            let Some(rest) = line.strip_prefix("heartbeat_cost = { dist = \"lognormal\", median = \"") else {
                return line.to_string();
            };
            let (value, tail) = rest.split_once('"').expect("a quoted median");
            let (number, unit) = value.split_at(value.find(|c: char| c.is_ascii_alphabetic()).expect("a unit"));
            let median_us = number.parse::<f64>().expect("a number") * if unit == "ns" { 1e-3 } else { 1.0 };
            format!(
                "heartbeat_cost = {{ dist = \"lognormal\", median = \"{:.3}us\"{tail}",
                median_us * scale
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// [`configured_scenario`], with the race's shift on or off.
pub fn configured_scenario_with(json: &serde_json::Value, toml_text: &str, race_shift: bool) -> String {
    let busy = json["params"]["busy_threads"].as_f64().unwrap_or(0.0);
    let capped;
    let json = if tickless_wake_applied() && busy > 0.0 {
        capped = without_tick(json);
        &capped
    } else {
        json
    };
    let num = |v: &serde_json::Value, key: &str| v[key].as_f64().unwrap_or_else(|| panic!("no {key}"));
    let (outcome, cal) = (&json["outcome"], &json["calibration"]);
    let in_loop = loop_return_gap(json);
    let in_loop_mirror = in_loop.is_some();
    let dist = if in_loop_mirror { empirical_with_tail } else { empirical };
    let mut replace: Vec<(&str, String)> = vec![
        ("monitor_exit_cost", dist(cal, "exit_cost_us")),
        ("monitor_wake_latency", dist(cal, "wake_latency_us")),
    ];
    replace.extend(cpu_model_keys(json));
    if LOOP_HOLD_AND_SUCCESSION {
        replace.push(("register_producer_cost", LOOP_HOLD.to_string()));
        replace.push(("monitor_spin", "\"10us\"".to_string()));
        replace.push(("monitor_spin_walker", "false".to_string()));
    }
    if let Some(gap) = in_loop {
        // The race at the walker's release as the loop ran it: both sides measured in it.
        let long_park = hbsim::calibrate::duration_text(hbsim::calibrate::LONG_PARK_NS as f64);
        replace.push(("monitor_long_park", format!("\"{long_park}\"")));
        replace.push(("monitor_wake_latency_long_park", dist(cal, "wake_latency_us_long_park")));
        replace.push(("monitor_exit_cost_long_park", dist(cal, "exit_cost_us_long_park")));
        replace.push(("netty_event_gap", gap.0));
        if let Some(extra) = gap.1 {
            replace.push(("netty_event_gap_long_walk_extra", extra));
        }
    }
    if num(outcome, "walks") > 0.0 {
        replace.push(("close_cost_base", loop_walks(json)));
        replace.push(("close_cost_per_group", "\"0\"".to_string()));
    }
    // N: the heartbeat's unlocked cost after the JIT has settled, from the point's own calibration.
    let cpus = json["meta"]["cpus"].as_u64().expect("meta.cpus");
    if let Some(warm) = cal.as_object().and_then(|m| warm_heartbeat(m, cpus, busy as u64)) {
        replace.push(("heartbeat_cost", warm));
    }
    let text = replace_keys(toml_text, &replace);
    let text = scaled_task(&text);
    let shift = (race_shift && in_loop_mirror).then(|| race_in_loop_shift_us(json, &text)).flatten();
    match shift {
        Some(shift_us) => {
            // Every knot of the session's long-park wake-up later (earlier) by the shift.
            let measured = cal.as_object().expect("calibration is an object");
            let shifted = hbsim::calibrate::shifted_figures(measured, "wake_latency_us_long_park", shift_us);
            let wake = empirical_with_tail(&serde_json::Value::Object(shifted), "wake_latency_us_long_park");
            replace_keys(&text, &[("monitor_wake_latency_long_park", wake)])
        }
        None => text,
    }
}

/// The race at the walker's release as the session measured it in the loop's own state
/// (Validate.java `raceInLoop`, the `race_*` keys of its calibration, since the `inrace-`
/// session): the shift [µs] of the long-park wake-up at which hbsim's race, as `hbsim assess`
/// computes it from `text` ([`hbsim::assess::analytic::win_probability`]), gives the heirs the
/// share of gaps they won in the pre-run ([`hbsim::assess::analytic::race_share`]). Behind long
/// walks only (both the pre-run's and the point's at least
/// [`hbsim::calibrate::LONG_PARK_NS`]): a waiter parked that long wakes later in the loop than
/// after the separate 50 ms park (docs/validation.md, the tenth session); behind short walks the
/// race is the short-park wake-up's, measured as before. `None` where the session did not
/// measure it. Used only with [`RACE_IN_LOOP_SHIFT`].
pub fn race_in_loop_shift_us(json: &serde_json::Value, text: &str) -> Option<f64> {
    // The pre-run's second run (`race_warmup_*` recorded: the `warm-` sessions on), behind walks
    // of at least `LONG_PARK_NS` ([`hbsim::calibrate::loop_race`]): `hbsim calibrate` fits its
    // shift with the same code. Where the session has none, the other sessions' of its pool
    // ([`POOLED_RACE_SHIFT`]).
    let race = match hbsim::calibrate::loop_race(json["calibration"].as_object()?) {
        Some(race) => race,
        None if POOLED_RACE_SHIFT => pooled_race(json)?,
        None => return None,
    };
    let walk_ns = json["outcome"]["walk_us_mean"].as_f64()? * 1000.0;
    // No busy threads: the shift is fitted with `hbsim assess`'s race, which has no CPU model.
    let busy = json["params"]["busy_threads"].as_u64().unwrap_or(0);
    if walk_ns < hbsim::calibrate::LONG_PARK_NS as f64 || busy > 0 {
        return None;
    }
    let scenario = hbsim::scenario::parse(Path::new("mirror.toml"), text.as_bytes()).unwrap_or_else(|e| panic!("mirror: {e}"));
    Some(hbsim::calibrate::race_in_loop_shift_us(&race, &scenario))
}

/// Whether the mirror shifts the long-park wake-up of an idle long-walk point whose session ran
/// no second pre-run to the race its pool's other sessions ran ([`pooled_race`]): the thirty-third
/// session's D. **Not applied**: in-sample it brought the idle four-million-group configuration
/// into agreement (23 tips of 30, 19.9 expected against 16.6) but took the earlier sessions'
/// `huge-gap15` and cold points from agreeing to collapsing in 15-20 of 20 seeds where the loop
/// recovered (the 15 µs and cold configurations: 5.3 and 3.9 expected tips against 0), Brier 0.098
/// against 0.090 over the 576 gated points, tipped or not 534 against 541; pooled by guest, the
/// same (docs/validation-log.md, the thirty-third session). A session's race does not transfer.
pub const POOLED_RACE_SHIFT: bool = false;

/// A session's second pre-run ([`hbsim::calibrate::loop_race`]), once per session.
struct SessionRace {
    session: String,
    pool_key: String,
    race: hbsim::calibrate::LoopRace,
}

fn session_races() -> &'static [SessionRace] {
    static RACES: std::sync::OnceLock<Vec<SessionRace>> = std::sync::OnceLock::new();
    RACES.get_or_init(|| {
        let mut races: Vec<SessionRace> = Vec::new();
        for (name, _, _) in points() {
            let (busy, json) = recorded(&name);
            let session = json["session_tag"].as_str().unwrap_or("").to_string();
            if busy > 0 || races.iter().any(|r| r.session == session) {
                continue;
            }
            if let Some(race) = json["calibration"].as_object().and_then(hbsim::calibrate::loop_race) {
                races.push(SessionRace {
                    session,
                    pool_key: pool_key(&json),
                    race,
                });
            }
        }
        races
    })
}

/// The race of the other sessions of `json`'s pool ([`pool_key`]) that ran the pre-run twice:
/// their gaps and won gaps summed (one count per session), behind their mean walk; `None` where
/// none did.
fn pooled_race(json: &serde_json::Value) -> Option<hbsim::calibrate::LoopRace> {
    let session = json["session_tag"].as_str().unwrap_or("");
    let key = pool_key(json);
    let pool: Vec<&SessionRace> = session_races()
        .iter()
        .filter(|r| r.session != session && r.pool_key == key)
        .collect();
    if pool.is_empty() {
        return None;
    }
    Some(hbsim::calibrate::LoopRace {
        gaps: pool.iter().map(|r| r.race.gaps).sum(),
        won: pool.iter().map(|r| r.race.won).sum(),
        walk_ns: pool.iter().map(|r| r.race.walk_ns).sum::<f64>() / pool.len() as f64,
    })
}

/// One hbsim run at a point.
#[derive(Clone, Debug)]
pub struct RunOutcome {
    /// Failed share (timed out or SYSTEM_BUSY) of the heartbeats of the last quarter.
    pub last_quarter_failed: f64,
    pub gaps: u64,
    pub gaps_won: u64,
    pub registers_per_won_gap: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    /// The mean length of a won gap (the walker's absence), ms.
    pub won_gap_ms_mean: f64,
    /// The share of won gaps that ended with the backlog drained.
    pub won_gaps_drained_share: f64,
    /// The close walks of the run, the trigger's included.
    pub close_walks: u64,
}

/// Runs `scenario` under `leaky` and reads its figures.
pub fn hbsim_outcome(scenario: &Path) -> RunOutcome {
    // In process, as `hbsim replay SCENARIO --policy leaky --no-charts` runs it (the same load,
    // seed and simulation; the CLI's own path is tested in cli.rs): the timeline's rows and the
    // summary's JSON are read as they would be from its files, without writing them (a process
    // and an output set per seed were most of this test's time).
    let loaded = hbsim::scenario::load(scenario).unwrap_or_else(|e| panic!("{}: {e}", scenario.display()));
    let mut rows: Vec<(u64, u64, u64)> = Vec::new();
    let output = hbsim::run::simulate(
        &loaded,
        hbsim::model::policy::Policy::parse("leaky").expect("the leaky policy"),
        loaded.seed,
        &hbsim::run::RunOptions::default(),
        &mut |chunk| {
            rows.extend(chunk.iter().map(|r| (r.heartbeats_ok, r.heartbeats_timed_out, r.heartbeats_busy)));
            Ok(())
        },
    )
    .unwrap_or_else(|e| panic!("{}: {e}", scenario.display()));
    let last = &rows[rows.len() - rows.len() / 4..];
    let failed: f64 = last.iter().map(|&(_, timed_out, busy)| (timed_out + busy) as f64).sum();
    let total: f64 = last.iter().map(|&(ok, timed_out, busy)| (ok + timed_out + busy) as f64).sum();
    let summary: serde_json::Value = serde_json::from_str(&output.summary.to_json()).unwrap();
    let gaps = &summary["walker_gaps"];
    RunOutcome {
        last_quarter_failed: if total == 0.0 { 0.0 } else { failed / total },
        gaps: gaps["gaps"].as_u64().expect("walker_gaps.gaps"),
        gaps_won: gaps["won_by_heartbeats"].as_u64().expect("walker_gaps.won_by_heartbeats"),
        registers_per_won_gap: gaps["registers_per_won_gap"].as_f64().expect("registers_per_won_gap"),
        p50_ms: summary["heartbeat_latency_p50_ms"].as_f64().expect("heartbeat_latency_p50_ms"),
        p90_ms: summary["heartbeat_latency_p90_ms"].as_f64().expect("heartbeat_latency_p90_ms"),
        p99_ms: summary["heartbeat_latency_p99_ms"].as_f64().expect("heartbeat_latency_p99_ms"),
        won_gap_ms_mean: gaps["won_gap_ms_mean"].as_f64().expect("won_gap_ms_mean"),
        won_gaps_drained_share: gaps["won_gaps_drained_share"].as_f64().expect("won_gaps_drained_share"),
        close_walks: summary["close_walks"].as_u64().expect("close_walks"),
    }
}

/// The 95% Wilson interval of k successes in n: `hbsim sweep`'s.
pub fn wilson(k: u64, n: u64) -> (f64, f64) {
    hbsim::sweep::wilson95(k as usize, n as usize)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Within `factor` either way, or both under `floor`.
fn close(a: f64, b: f64, factor: f64, floor: f64) -> bool {
    (a < floor && b < floor) || (a > 0.0 && b > 0.0 && (a / b).max(b / a) <= factor)
}

/// One point compared: the figures that disagree (with what was seen) and the table row.
pub struct Comparison {
    pub name: String,
    pub disagreements: Vec<(&'static str, String)>,
    /// Recorded under a load the point does not describe ([`UNCONTROLLED_LOAD`]): shown, not gated.
    pub uncontrolled: bool,
    pub row: String,
    /// The harness's configuration ([`configuration`]): the recordings of one are compared
    /// together ([`compare_configurations`]).
    pub configuration: String,
    pub harness_tipped: bool,
    /// hbsim's seeds collapsed, of [`SEEDS`].
    pub collapsed: u64,
    /// The loop's failed share of its last quarter, and each of hbsim's seeds'.
    pub harness_last_quarter: f64,
    pub last_quarter: Vec<f64>,
    /// The heirs' drain in won gaps, both sides (recorded from `runs3-` on). Shown, not gated.
    pub drain: Option<Drain>,
    /// Whether the trigger fed back: the loop walked a close beyond the trigger's (`outcome.walks`
    /// against `params.trigger_closes`), and how many of hbsim's seeds did. Shown per
    /// configuration, not gated ([`compare_configurations`]).
    pub fed_back: Option<(bool, u64)>,
}

/// How the heirs drained in the gaps they won: the harness's figures and hbsim's, pooled over the
/// seeds.
#[derive(Clone, Debug)]
pub struct Drain {
    /// `registerProducer` calls per ms of the walker's absence in won gaps.
    pub harness_rate: f64,
    pub rate: f64,
    /// The mean won gap (the walker's absence), ms.
    pub harness_mean_ms: f64,
    pub mean_ms: f64,
    /// The share of won gaps that ended with the backlog drained (at most 10 heartbeats queued as
    /// the walker got back in; the harness's from `runs5-` on).
    pub harness_drained: Option<f64>,
    pub drained: f64,
    /// The harness's won gaps whose executor fell idle before the walker was ready again, of
    /// those it won, with the median of the walker's readiness after that idle moment [µs]
    /// (`won_gaps_idle_before_ready`, `won_ready_after_idle_us_p50`; from `ends1-` on).
    pub harness_ready_after_idle: Option<(u64, u64, f64)>,
}

/// Runs and compares one point.
pub fn compare_point(dir: &Path, name: &str, json: &Path, toml: &Path, walks: Walks, known: &[(&str, &str, &str)]) -> Comparison {
    assert!(toml.is_file(), "{name}: {} is missing", toml.display());
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    let o = &doc["outcome"];
    let f = |key: &str| o[key].as_f64().unwrap_or_else(|| panic!("{name}: outcome.{key}"));
    let harness_tipped = o["tipped"].as_bool().unwrap_or_else(|| panic!("{name}: outcome.tipped"));
    let mirror = std::fs::read_to_string(toml).unwrap();
    let base = match user_calibration(name, &doc) {
        Some(calibration) => user_scenario(
            &doc,
            &mirror,
            &with_after_exit_race(&calibration, &dir.join(format!("{name}-calibration.toml"))),
            walks,
        ),
        None => configured_scenario(&doc, &mirror),
    };
    let base = with_idle_hold_tail(&doc, &base);
    assert!(base.contains("\nseed = 1\n"), "{name}: the mirror sets no `seed = 1`");
    let runs: Vec<RunOutcome> = (1..=SEEDS)
        .map(|seed| {
            let path = dir.join(format!("{name}-{seed}.toml"));
            std::fs::write(&path, base.replacen("\nseed = 1\n", &format!("\nseed = {seed}\n"), 1)).unwrap();
            hbsim_outcome(&path)
        })
        .collect();
    let collapsed = runs.iter().filter(|r| r.last_quarter_failed > TIPPED_SHARE).count() as u64;
    let tipped = 2 * collapsed > SEEDS;
    let (lo, hi) = wilson(collapsed, SEEDS);
    let edge = on_the_edge(collapsed);
    let uncontrolled = load_beyond_point(&doc) > UNCONTROLLED_LOAD;
    let mut disagreements = Vec::new();
    if tipped != harness_tipped && !edge {
        disagreements.push((
            "tipped",
            format!(
                "harness tipped = {harness_tipped} (last quarter {:.2}), hbsim {collapsed} of {SEEDS} seeds",
                f("last_quarter_timeout_share")
            ),
        ));
    }
    // The last quarter's failed share, which the verdict thresholds.
    let h_last = f("last_quarter_timeout_share");
    let last = median(&mut runs.iter().map(|r| r.last_quarter_failed).collect::<Vec<_>>());
    let near_last = |v: f64| (v - h_last).abs() <= LAST_QUARTER_SLACK;
    let last_seeds = runs.iter().filter(|r| near_last(r.last_quarter_failed)).count();
    if !near_last(last) && last_seeds < MODE_SEEDS {
        disagreements.push((
            "last quarter",
            format!("last quarter failed: harness {h_last:.2}, hbsim median {last:.2}, {last_seeds} of {SEEDS} seeds within {LAST_QUARTER_SLACK}"),
        ));
    }
    // Share of gaps won, pooled over the seeds.
    let (gaps, won) = runs.iter().fold((0, 0), |(g, w), r| (g + r.gaps, w + r.gaps_won));
    let share = if gaps == 0 { 0.0 } else { won as f64 / gaps as f64 };
    let (h_gaps, h_won) = (f("gaps_between_walks") as u64, f("gaps_won_by_heartbeats") as u64);
    let h_share = f("gap_won_share");
    let (w_lo, w_hi) = wilson(h_won, h_gaps);
    let share_compared = h_gaps >= MIN_GAPS;
    if share_compared && !(w_lo - SHARE_SLACK..=w_hi + SHARE_SLACK).contains(&share) {
        disagreements.push((
            "share",
            format!("gaps won: harness {h_share:.2} ({h_won} of {h_gaps}, 95% {w_lo:.2}-{w_hi:.2}), hbsim {share:.2}"),
        ));
    }
    // registerProducer calls per won gap (the harness's `heartbeats_per_won_gap` counts calls).
    let mut per_won: Vec<f64> = runs.iter().filter(|r| r.gaps_won > 0).map(|r| r.registers_per_won_gap).collect();
    let h_regs = f("heartbeats_per_won_gap");
    let regs = if per_won.is_empty() { 0.0 } else { median(&mut per_won) };
    let regs_compared = h_won >= MIN_WON_GAPS && !per_won.is_empty();
    let regs_seeds = per_won.iter().filter(|r| close(**r, h_regs, REGISTERS_FACTOR, 0.0)).count();
    if regs_compared && !close(regs, h_regs, REGISTERS_FACTOR, 0.0) && regs_seeds < MODE_SEEDS {
        disagreements.push((
            "registers",
            format!("registerProducer per won gap: harness {h_regs:.1}, hbsim {regs:.1}"),
        ));
    }
    // Responses where neither side tipped.
    let p50 = median(&mut runs.iter().map(|r| r.p50_ms).collect::<Vec<_>>());
    let p90 = median(&mut runs.iter().map(|r| r.p90_ms).collect::<Vec<_>>());
    let (h_p50, h_p90) = (f("response_ms_p50"), f("response_ms_p90"));
    // The p99 is not checked on its own: the slowest 1% of a 40-60 s run (150-220 heartbeats) is
    // typically one stall behind a single walk, a one-off on either side.
    let (p99, h_p99) = (median(&mut runs.iter().map(|r| r.p99_ms).collect::<Vec<_>>()), f("response_ms_p99"));
    let responses_compared = !tipped && !harness_tipped;
    let p50_seeds = runs
        .iter()
        .filter(|r| close(r.p50_ms, h_p50, RESPONSE_FACTOR, P50_FLOOR_MS))
        .count();
    if responses_compared && !close(p50, h_p50, RESPONSE_FACTOR, P50_FLOOR_MS) && p50_seeds < MODE_SEEDS {
        disagreements.push(("p50", format!("median response: harness {h_p50:.3} ms, hbsim {p50:.3} ms")));
    }
    // Rank tolerance at the p90: each side's p90 between the other's p50 and p99 (values under
    // the median's floor count as the floor: no wait on either side).
    let within = |v: f64, lo: f64, hi: f64| (lo.max(P50_FLOOR_MS)..=hi.max(P50_FLOOR_MS)).contains(&v.max(P50_FLOOR_MS));
    let p90_agrees = |p50: f64, p90: f64, p99: f64| {
        close(p90, h_p90, RESPONSE_FACTOR, P90_FLOOR_MS) || (within(p90, h_p50, h_p99) && within(h_p90, p50, p99))
    };
    let p90_seeds = runs.iter().filter(|r| p90_agrees(r.p50_ms, r.p90_ms, r.p99_ms)).count();
    if responses_compared && !p90_agrees(p50, p90, p99) && p90_seeds < MODE_SEEDS {
        disagreements.push(("p90", format!("p90 response: harness {h_p90:.3} ms, hbsim {p90:.3} ms")));
    }
    let mark = |figure: &str, compared: bool| {
        if !compared {
            "—"
        } else if disagreements.iter().any(|(d, _)| *d == figure) {
            if uncontrolled {
                "**no** (uncontrolled load)"
            } else if known.iter().any(|(p, f, _)| *p == name && *f == figure) {
                "**no** (known)"
            } else {
                "**no**"
            }
        } else if figure == "tipped" && edge {
            "yes (edge)"
        } else {
            "yes"
        }
    };
    let params = &doc["params"];
    let row = format!(
        "| {name} | {} groups, {} µs, {} closes{} | {} ({:.2}) | {collapsed} of {SEEDS} ({lo:.2}-{hi:.2}) | {} | {h_share:.2} ({h_won}/{h_gaps}) | {share:.2} | {} | {h_regs:.0} | {regs:.0} | {} | {h_p50:.3} / {h_p90:.1} / {h_p99:.0} ms | {p50:.3} / {p90:.1} / {p99:.0} ms | {} / {} | {h_last:.2} | {last:.2} ({last_seeds}) | {} |",
        params["groups"],
        params["gap_us"],
        params["trigger_closes"],
        match params["busy_threads"].as_u64().unwrap_or(0) {
            0 => String::new(),
            n => format!(", {n} busy"),
        },
        if harness_tipped { "**yes**" } else { "no" },
        f("last_quarter_timeout_share"),
        mark("tipped", true),
        mark("share", share_compared),
        mark("registers", regs_compared),
        mark("p50", responses_compared),
        mark("p90", responses_compared),
        mark("last quarter", true),
    );
    Comparison {
        name: name.to_string(),
        disagreements,
        uncontrolled,
        row,
        configuration: graded_configuration(name, &doc),
        harness_tipped,
        collapsed,
        harness_last_quarter: h_last,
        last_quarter: runs.iter().map(|r| r.last_quarter_failed).collect(),
        fed_back: o["walks"]
            .as_u64()
            .zip(doc["params"]["trigger_closes"].as_u64())
            .map(|(walks, trigger)| {
                let seeds = runs.iter().filter(|r| r.close_walks > trigger).count() as u64;
                (walks > trigger, seeds)
            }),
        drain: o["won_calls_per_ms"].as_f64().map(|harness_rate| {
            let (calls, ms, drained) = runs.iter().fold((0.0, 0.0, 0.0), |(c, m, d), r| {
                (
                    c + r.registers_per_won_gap * r.gaps_won as f64,
                    m + r.won_gap_ms_mean * r.gaps_won as f64,
                    d + r.won_gaps_drained_share * r.gaps_won as f64,
                )
            });
            let won: u64 = runs.iter().map(|r| r.gaps_won).sum();
            let per_won = |v: f64| if won > 0 { v / won as f64 } else { 0.0 };
            Drain {
                harness_rate,
                rate: if ms > 0.0 { calls / ms } else { 0.0 },
                harness_mean_ms: f("won_gap_ms_total") / h_won.max(1) as f64,
                mean_ms: per_won(ms),
                harness_drained: o["won_gaps_drained_share"].as_f64(),
                drained: per_won(drained),
                harness_ready_after_idle: o["won_gaps_idle_before_ready"]
                    .as_u64()
                    .map(|idle| (idle, h_won, o["won_ready_after_idle_us_p50"].as_f64().unwrap_or(f64::NAN))),
            }
        }),
    }
}

/// The host a recording ran on: its CPU model, with its idle driver wherever one other than
/// `haltpoll` is recorded (why: [`configuration`]).
pub fn host(doc: &serde_json::Value) -> String {
    let model = doc["meta"]["cpu_model"].as_str().unwrap_or("unknown CPU");
    match doc["meta"]["cpu_idle"].as_str().and_then(|idle| idle.split_whitespace().next()) {
        Some(driver) if driver != "driver=haltpoll" => format!("{model} ({driver})"),
        _ => model.to_string(),
    }
}

/// The guest a recording ran on: its [`host`] and its kernel build (`meta.os`, e.g.
/// `6.18.44-fc-v1252`). The older AMD guests (`fc-v669`, `fc-v1098`) and the one from the
/// twenty-sixth session on (`fc-v1252`) share a CPU model and an idle driver and were found alike
/// idle, but under 8 busy threads this guest's heirs won 33-46% of the gaps where the older
/// guests' won 43-89% (median 53%; docs/validation-log.md, the thirty-second and thirty-third
/// sessions).
pub fn guest(doc: &serde_json::Value) -> String {
    format!("{} / {}", host(doc), kernel_build(doc))
}

/// The guest's kernel build (the release in `meta.os`, e.g. `6.18.44-fc-v1252`).
fn kernel_build(doc: &serde_json::Value) -> &str {
    doc["meta"]["os"]
        .as_str()
        .and_then(|os| os.split_whitespace().nth(1))
        .unwrap_or("unknown kernel")
}

/// The build number at the end of [`kernel_build`] (1252 for `6.18.44-fc-v1252`; 0 where it has
/// none): the guests' kernels were built in that order.
fn kernel_build_number(doc: &serde_json::Value) -> u64 {
    let build = kernel_build(doc);
    let digits = build.rsplit_once("-v").map_or("", |(_, n)| n);
    digits.parse().unwrap_or(0)
}

/// Where the release-share pools split by [`guest`] rather than by [`host`]: the thirty-third
/// session's C (under load) and C1 (at every load), against neither.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum GuestPools {
    Never,
    UnderLoad,
    Always,
}

/// The rule the comparison runs with (docs/validation-log.md, the thirty-third session).
pub const GUEST_POOLS: GuestPools = GuestPools::UnderLoad;

/// What a recording's release shares pool with ([`pooled_without`], [`kept_won`]): its [`guest`]
/// where [`GUEST_POOLS`] splits its load, else its [`host`].
pub fn pool_key(doc: &serde_json::Value) -> String {
    pool_key_by(doc, GUEST_POOLS)
}

/// [`pool_key`] under `rule`.
fn pool_key_by(doc: &serde_json::Value, rule: GuestPools) -> String {
    let busy = doc["params"]["busy_threads"].as_f64().unwrap_or(0.0) as u64;
    match rule {
        GuestPools::Always => guest(doc),
        GuestPools::UnderLoad if busy > 0 => guest(doc),
        _ => host(doc),
    }
}

/// The harness's configuration of a recording: the host's CPU model (`meta.cpu_model`) and what
/// `validate.py` sets (table, busy gap, trigger, busy threads, cache pressure, CPU pinning,
/// duration), not the session. Recordings of one configuration are draws of the same loop on
/// the same kind of host at different moments. The host belongs in it: the idle 4,000,000-group
/// table walked in 280-360 ms on the AMD EPYC guests and tipped in 18 of 26 recordings, in
/// 400-430 ms on an Intel Xeon guest, whose walker came back twice as slowly, and tipped in 0 of
/// 8 (docs/validation.md, the eleventh session). The CPU model alone does not name the host: the
/// `fc1-` and `fc2-` guests (AMD EPYC too) idle without a cpuidle driver where every earlier guest
/// that recorded it ran `haltpoll`, walk 2.4 times slower, and under 2 busy threads their heirs won
/// 38 of 99 gaps where the older AMD guests' won 52-88 of 99; so a recorded idle driver other than
/// `haltpoll` is part of the host (the recordings that predate `cpu_idle` ran on older kernel
/// builds, fc-v669 and fc-v1098, the latter recording `haltpoll` wherever it recorded a driver).
/// Decided after `fc2-` was compared as found (docs/validation.md, the nineteenth session).
pub fn configuration(doc: &serde_json::Value) -> String {
    let host = host(doc);
    let p = &doc["params"];
    let mut text = format!(
        "{} groups, {} µs, {} closes, {} s",
        p["groups"],
        p["gap_us"].as_f64().unwrap_or(0.0),
        p["trigger_closes"],
        p["duration_s"].as_f64().unwrap_or(0.0)
    );
    match p["busy_threads"].as_u64().unwrap_or(0) {
        0 => {}
        n => text.push_str(&format!(", {n} busy")),
    }
    if p["cache_pressure_mb"].as_u64().unwrap_or(0) > 0 {
        text.push_str(", cold");
    }
    if p["cpu_pinning"].as_str().is_some_and(|pin| pin != "none") {
        text.push_str(", one CPU");
    }
    format!("{host}: {text}")
}

/// The configuration a comparison is graded in ([`compare_configurations`]): the loop's
/// [`configuration`], and for a user session's point ([`USER_SESSIONS`]) that hbsim was configured
/// from a user's calibration, not from the point's own measurements: a configuration grades one
/// way of configuring hbsim against the loop's recordings, so the two are graded apart (since the
/// twenty-seventh session; before, a user session's points were pooled with the others). Under
/// load a configuration is graded per guest ([`pool_key`], the kernel build in brackets), as the
/// release shares are pooled: pooled across guests, this guest's busy-4 lean (4 tips of 15
/// against 0.7) and the older guests' (0 of 16 against 1.8) hid each other under one label
/// (since the thirty-fourth session).
pub fn graded_configuration(name: &str, doc: &serde_json::Value) -> String {
    let loop_configuration = if pool_key(doc) != host(doc) {
        format!("{} [{}]", configuration(doc), kernel_build(doc))
    } else {
        configuration(doc)
    };
    match user_calibration(name, doc) {
        Some(_) => format!("{loop_configuration}, a user's calibration"),
        None => loop_configuration,
    }
}

/// A configuration is graded on its own once it has this many gated recordings.
pub const CONFIGURATION_RECORDINGS: usize = 5;

/// Below this two-sided probability the loop's count of tipped recordings is too unlikely under
/// hbsim's collapse probabilities ([`configuration_p_value`]): hbsim misjudges how likely the
/// configuration is to tip. At most 5% per configuration by chance; over many configurations a
/// chance miss is not rare where they sit near the bound (most sit far from it: nothing tips on
/// either side and the tail is 1), so each miss is read before it is listed.
pub const CONFIGURATION_P: f64 = 0.05;

/// The distribution of the number of successes of independent trials with probabilities `ps`
/// (Poisson binomial): `pmf[k]`, k = 0..=ps.len().
pub fn poisson_binomial(ps: &[f64]) -> Vec<f64> {
    let mut pmf = vec![1.0];
    for &p in ps {
        let mut next = vec![0.0; pmf.len() + 1];
        for (k, q) in pmf.iter().enumerate() {
            next[k] += q * (1.0 - p);
            next[k + 1] += q * p;
        }
        pmf = next;
    }
    pmf
}

/// hbsim's collapse probability at a recording from its k of [`SEEDS`] seeds: (k + 1/2) /
/// (SEEDS + 1), the mean under Jeffreys' prior.
pub fn collapse_rate(collapsed: u64) -> f64 {
    (collapsed as f64 + 0.5) / (SEEDS as f64 + 1.0)
}

/// How likely the loop's count of tipped recordings is if each recording tips with hbsim's
/// probability there: hbsim's k of [`SEEDS`] seeds at recording i, as (k + 1/2) / (SEEDS + 1)
/// (the mean under Jeffreys' prior: never 0 or 1, since 20 seeds cannot rule a tip out), and the
/// loop's `tipped` of them counted; two-sided (twice the smaller tail, at most 1). Each recording
/// keeps its own conditions (its walks, its calibration, how far its trigger outlasted the
/// deadline), which a pooled rate would average away.
pub fn configuration_p_value(collapsed: &[u64], tipped: usize) -> f64 {
    let ps: Vec<f64> = collapsed.iter().map(|k| collapse_rate(*k)).collect();
    let pmf = poisson_binomial(&ps);
    let below: f64 = pmf[..=tipped].iter().sum();
    let above: f64 = pmf[tipped..].iter().sum();
    (2.0 * below.min(above)).min(1.0)
}

/// The failed share of a configuration's last quarters: the loop's mean over its recordings
/// against hbsim's (each recording's mean over its seeds), as a z score whose variance is hbsim's
/// own spread over the seeds at each recording (each floored at the spread of a value known to
/// [`LAST_QUARTER_SLACK`]: a recording where every seed ends alike still has the figure's
/// whole-second granularity).
pub fn last_quarter_test(recordings: &[(f64, &[f64])]) -> LastQuarterTest {
    let floor = (LAST_QUARTER_SLACK / 3f64.sqrt()).powi(2);
    let n = recordings.len() as f64;
    let (mut loop_sum, mut hbsim_sum, mut var_sum, mut scaled) = (0.0, 0.0, 0.0, 0.0);
    for (harness, seeds) in recordings {
        let k = seeds.len() as f64;
        let mean = seeds.iter().sum::<f64>() / k;
        let var = (seeds.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (k - 1.0)).max(floor);
        // One draw against a mean estimated from k seeds.
        let var = var * (1.0 + 1.0 / k);
        loop_sum += harness;
        hbsim_sum += mean;
        var_sum += var;
        scaled += (harness - mean).powi(2) / var;
    }
    let z = (loop_sum - hbsim_sum) / var_sum.sqrt();
    LastQuarterTest {
        loop_mean: loop_sum / n,
        hbsim_mean: hbsim_sum / n,
        p: 2.0 * (1.0 - hbsim::scenario::units::normal_cdf(z.abs())),
        dispersion: (scaled / n).sqrt(),
    }
}

/// What [`last_quarter_test`] found for one configuration.
#[derive(Clone, Copy, Debug)]
pub struct LastQuarterTest {
    pub loop_mean: f64,
    pub hbsim_mean: f64,
    /// Two-sided.
    pub p: f64,
    /// The root mean square of each recording's distance from hbsim's mean in units of hbsim's
    /// spread there: about 1 when the loop's ends scatter as hbsim's seeds do.
    pub dispersion: f64,
}

/// One configuration graded ([`compare_configurations`]).
struct Graded<'a> {
    config: &'a str,
    recordings: usize,
    /// The loop's tips, hbsim's expected tips and the Poisson binomial p.
    tipped: usize,
    expects: f64,
    p: f64,
    last: LastQuarterTest,
}

/// Configurations hbsim is known to misjudge, with the figure ("tipped": the count of tips;
/// "last quarter": the mean failed share, [`last_quarter_test`]) and the reason:
/// (configuration, figure, reason). Each is asserted to still disagree.
pub const KNOWN_CONFIGURATIONS: &[(&str, &str, &str)] = &[ (
    "AMD EPYC: 4000000 groups, 0 µs, 10 closes, 60 s",
    "tipped",
    "the idle 4,000,000-group table at 280-360 ms walks on the AMD hosts: the loop tipped in 18 of 26 recordings, hbsim's collapse rates add up to 11.5; with fc53- to fc55- (all three tipped) and the race's shift (RACE_IN_LOOP_SHIFT, the twenty-sixth session), 21 of 29 against 14.3 (13.2 unshifted), p = 0.001; with fc56- to fc58- (all three tipped) 24 of 32 against 16.7. Its heirs win 21-36% of the gaps behind those walks against the loop's 1-5%: the long-park wake-up measured apart (a 50 ms park, p10 36-54 µs) sits on the walker's 45 µs return, and the loop's heirs wake later than that (docs/validation.md, one configuration). The misses are the sessions that ran no second race pre-run; the other sessions' race pooled in their place (POOLED_RACE_SHIFT, the thirty-third session) brings this table to 19.9 expected but collapses those sessions' 15 us and cold points",
), (
    "AMD EPYC: 4000000 groups, 0 µs, 10 closes, 60 s",
    "last quarter",
    "as its tipped entry: the loop's last quarters failed 0.64 on average, hbsim's 0.42; with fc53- to fc55- and the race's shift 0.68 against 0.47, with fc56- to fc58- 0.71 against 0.50",
), (
    "Intel(R) Xeon(R) Processor: 4000000 groups, 0 µs, 10 closes, 60 s, 4 busy [6.18.44-fc-v1045]",
    "last quarter",
    "the low-grade sustain at 4 busy threads: in 4 of 26 recordings the loop fed itself a few closes per 1 s walk for the whole run and its backlog outran the 3 s deadline for seconds at a time (last quarter 0.19-0.55), and in runs2-'s two it tipped (1.00); hbsim's seeds sustain too but fail less (as of runs7-: mean 0.05 against the loop's 0.15 with cpu_release_heir_waits, 0.02 before; docs/validation.md, the sixteenth and seventeenth sessions)",
), (
    "Intel(R) Xeon(R) Processor: 4000000 groups, 0 µs, 10 closes, 60 s",
    "last quarter",
    "graded apart from the user path since the twenty-seventh session (user3-huge-gap0 left it): of its eight recordings hg2- and hg6- fed themselves part-way (0.14 and 0.33 of the last quarter, each in KNOWN) where every hbsim seed recovered, so the loop's mean 0.06 against hbsim's 0.01 (p = 0.022); the tips agree (0 of 8 against 0.2)",
), (
    "AMD EPYC (driver=none): 4000000 groups, 0 µs, 10 closes, 60 s, 4 busy [6.18.44-fc-v1147]",
    "last quarter",
    "the loop's full collapse under 4 busy threads on the fc guest: eight of its first nine recordings (fc1-, fc3- to fc10-) failed their whole last quarter and fc8- half of it; with fc27- to fc29- (0.14, 1.00, 0.53) the loop's twelve average 0.85, hbsim's seeds 0.60 (p < 0.001; 0.94 against 0.67 before); with fc30- to fc32- (0.18, 0.35, 0.92) and the model's own race, fifteen: 0.77 against 0.57 (p = 0.001). As the tips agreed then (9 against 6.4, p = 0.071). As on the Intel guest at that load, what hbsim does not reach is the full collapse: its seeds that feed themselves end part-way. It agreed from fc7- until the release shares were pooled per walk class, only because the hot recording's 8% displaced share had pulled this table's pool down from its own recordings' 39% (docs/validation.md, the twentieth and twenty-first sessions)",
), (
    "AMD EPYC: 4000000 groups, 0 µs, 10 closes, 60 s, 4 busy [6.18.44-fc-v1252]",
    "tipped",
    "this guest under 4 busy threads, graded apart from the older AMD guests since the thirty-fourth session: the loop tipped in 4 of 15 (trig4- to trig6-, trig14-), hbsim expects 0.7 (p = 0.0085). Two of the four ran with the heirs at a third of the gaps or fewer (trig5-, trig14-) where hbsim's draw about half; the won gaps agree on both sides; neither the displaced share's spread (F), the guest's own walker wait (G) nor the loop's hold and succession (H1, H2) reached it (docs/validation-log.md, the thirty-fourth session)",
), (
    "AMD EPYC (driver=none): 4000000 groups, 0 µs, 10 closes, 60 s, 4 busy [6.18.44-fc-v1147]",
    "tipped",
    "as found under I (the forty-fourth session): the loop tipped in 12 of 15, hbsim's collapse rates add up to 6.7 (p = 0.005), where before I 8.5 (p = 0.053). As its last quarter entry: what hbsim does not reach on this guest at 4 busy threads is the loop's full collapse, and I's heirs drain more of each won gap there (in-sample 261 calls per ms against the loops' 184 at 4 busy threads)",
), (
    "Intel(R) Xeon(R) Processor: 4000000 groups, 0 µs, 10 closes, 60 s, 4 busy [6.18.44-fc-v1045]",
    "tipped",
    "as found when user70- joined the pools, N applied (the forty-eighth session): the loop tipped in 4 of 29 recordings, hbsim expects 1.1 (p = 0.046), where before it 1.5 (p = 0.106). As its last quarter entry: the loop's low-grade sustain at 4 busy threads, which hbsim's seeds reach less often",
), (
    "Intel(R) Xeon(R) Processor (driver=none): 4000000 groups, 5 µs, 10 closes, 60 s, a user's calibration",
    "tipped",
    "as found when user71- joined, N on an idle host (the forty-eighth session): the loop tipped in 0 of 12 recordings behind 5 µs, hbsim expects 2.5 (p = 0.044; 2.6 before N): user71-huge-gap5's seeds collapse at 8 of 20",
), (
    "AMD EPYC: 4000000 groups, 0 µs, 10 closes, 60 s, 8 busy [6.18.44-fc-v1300], a user's calibration",
    "tipped",
    "as found when user80- joined (the fifty-second session, fourth part): the loop tipped at all 5 busy-8 recordings on the fc-v1300 AMD guest (user76- to user80-), hbsim's collapse rates add up to 1.4 (p = 0.001): the guest's heirs drain their busy won gaps at about 100-170 calls per ms where hbsim's run at 215-235, their share of the CPUs measured at 0.22-0.24 by the return loop against the 0.3 hbsim takes (S, pre-registered, held out until at least 6 loaded points); with user81- to user83- (S applied) 8 of 8 against 3.0 (p = 0.001)",
), (
    "AMD EPYC: 4000000 groups, 0 µs, 10 closes, 60 s, 4 busy [6.18.44-fc-v1252]",
    "last quarter",
    "as found when user93- to user97-'s calibrations moved the pooled return past 5% and the first table's return was refrozen at 68.2 ms (the fifty-eighth session): the loop's last quarters failed 0.25 on average, hbsim's seeds 0.15 (p = 0.0085)",
) ];

/// One configuration at a time: where a recording is a coin (a point near a knife edge), the
/// per-point verdict grades the coin; over a configuration's recordings the loop's count of tips
/// tests hbsim's collapse probability. Prints the table; returns the problems (a configuration
/// with at least [`CONFIGURATION_RECORDINGS`] gated recordings whose p-value is under
/// [`CONFIGURATION_P`] and is not in `known`, or one in `known` that now agrees).
pub fn compare_configurations(results: &[Comparison], known: &[(&str, &str, &str)]) -> Vec<String> {
    let mut by: std::collections::BTreeMap<&str, Vec<&Comparison>> = std::collections::BTreeMap::new();
    for r in results.iter().filter(|r| !r.uncontrolled) {
        by.entry(r.configuration.as_str()).or_default().push(r);
    }
    let graded: Vec<Graded> = by
        .into_iter()
        .filter(|(_, recordings)| recordings.len() >= CONFIGURATION_RECORDINGS)
        .map(|(config, recordings)| {
            let collapsed: Vec<u64> = recordings.iter().map(|r| r.collapsed).collect();
            let tipped = recordings.iter().filter(|r| r.harness_tipped).count();
            let expects = collapsed.iter().map(|k| collapse_rate(*k)).sum();
            let last: Vec<(f64, &[f64])> = recordings
                .iter()
                .map(|r| (r.harness_last_quarter, r.last_quarter.as_slice()))
                .collect();
            Graded {
                config,
                recordings: recordings.len(),
                tipped,
                expects,
                p: configuration_p_value(&collapsed, tipped),
                last: last_quarter_test(&last),
            }
        })
        .collect();
    let mut problems = Vec::new();
    if graded.is_empty() {
        return problems;
    }
    eprintln!();
    eprintln!("| configuration | recordings | loop tipped | hbsim expects (sum of its collapse rates) | p | agrees | last quarter failed: loop mean | hbsim mean | p | dispersion | agrees |");
    eprintln!("|---|---|---|---|---|---|---|---|---|---|---|");
    let listed = |config: &str, figure: &str| known.iter().any(|(c, f, _)| *c == config && *f == figure);
    let mark = |agrees: bool, listed: bool| match (agrees, listed) {
        (true, _) => "yes",
        (false, true) => "**no** (known)",
        (false, false) => "**no**",
    };
    for g in &graded {
        let (config, n, tipped, expects, p) = (g.config, g.recordings, g.tipped, g.expects, g.p);
        let (l_loop, l_hbsim, l_p, l_disp) = (g.last.loop_mean, g.last.hbsim_mean, g.last.p, g.last.dispersion);
        let (agrees, l_agrees) = (p >= CONFIGURATION_P, l_p >= CONFIGURATION_P);
        let (tip_mark, last_mark) = (
            mark(agrees, listed(config, "tipped")),
            mark(l_agrees, listed(config, "last quarter")),
        );
        eprintln!("| {config} | {n} | {tipped} | {expects:.1} | {p:.3} | {tip_mark} | {l_loop:.2} | {l_hbsim:.2} | {l_p:.3} | {l_disp:.1} | {last_mark} |");
        if !agrees && !listed(config, "tipped") {
            problems.push(format!(
                "configuration {config}: the loop tipped in {tipped} of {n} recordings, hbsim expects {expects:.1} (p = {p:.4})"
            ));
        }
        if !l_agrees && !listed(config, "last quarter") {
            problems.push(format!(
                "configuration {config}: the loop's last quarters failed {l_loop:.2} on average, hbsim's {l_hbsim:.2} (p = {l_p:.4})"
            ));
        }
    }
    fed_back_by_configuration(results);
    for (config, figure, _) in known {
        match graded.iter().find(|g| g.config == *config) {
            None => problems.push(format!("the known configurations name {config}, which has too few recordings")),
            Some(g) if (if *figure == "tipped" { g.p } else { g.last.p }) >= CONFIGURATION_P => {
                problems.push(format!("configuration {config}: {figure} now agrees: take it off the known list"))
            }
            Some(_) => {}
        }
    }
    problems
}

/// Whether the trigger fed back, per configuration (at least [`CONFIGURATION_RECORDINGS`]
/// recordings that count their walks): the loop's recordings that walked a close beyond the
/// trigger's, against hbsim's seeds' share at each recording as [`collapse_rate`] takes it, with
/// the Poisson binomial p of [`configuration_p_value`]. A recording that feeds back may still
/// recover, so this asks an earlier question than the tips: whether the trigger's walks make the
/// first heartbeat time out. Shown, not gated (the fifty-ninth session, as found).
fn fed_back_by_configuration(results: &[Comparison]) {
    let mut by: std::collections::BTreeMap<&str, Vec<(bool, u64)>> = std::collections::BTreeMap::new();
    for r in results.iter().filter(|r| !r.uncontrolled) {
        if let Some(fed) = r.fed_back {
            by.entry(r.configuration.as_str()).or_default().push(fed);
        }
    }
    let rows: Vec<String> = by
        .into_iter()
        .filter(|(_, recordings)| recordings.len() >= CONFIGURATION_RECORDINGS)
        .map(|(config, recordings)| {
            let fed = recordings.iter().filter(|(harness, _)| *harness).count();
            let seeds: Vec<u64> = recordings.iter().map(|(_, k)| *k).collect();
            let expects: f64 = seeds.iter().map(|k| collapse_rate(*k)).sum();
            let p = configuration_p_value(&seeds, fed);
            format!("| {config} | {} | {fed} | {expects:.1} | {p:.3} |", recordings.len())
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    eprintln!();
    eprintln!("| configuration | recordings | loop fed back (a close beyond the trigger's walked) | hbsim expects (its seeds' share at each) | p |");
    eprintln!("|---|---|---|---|---|");
    for row in rows {
        eprintln!("{row}");
    }
}

/// The Poisson binomial sums to 1, is the binomial when every probability is the same, and the
/// p-value is 1 at the expected count and small far from it.
#[test]
fn configuration_test_is_the_poisson_binomial_tail() {
    let pmf = poisson_binomial(&[0.2, 0.5, 0.9]);
    assert!((pmf.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    // P(0) = 0.8 x 0.5 x 0.1; P(3) = 0.2 x 0.5 x 0.9.
    assert!((pmf[0] - 0.04).abs() < 1e-12 && (pmf[3] - 0.09).abs() < 1e-12);
    let binomial = poisson_binomial(&[0.3; 10]);
    let choose = |n: u64, k: u64| (1..=k).fold(1.0, |acc, i| acc * (n - k + i) as f64 / i as f64);
    for (k, q) in binomial.iter().enumerate() {
        let exact = choose(10, k as u64) * 0.3f64.powi(k as i32) * 0.7f64.powi(10 - k as i32);
        assert!((q - exact).abs() < 1e-12, "{k}");
    }
    // Ten recordings at which hbsim collapsed in 10 of 20 seeds: 5 tips is the middle, 0 or 10
    // are each (about 0.5^10) far out.
    assert!(configuration_p_value(&[10; 10], 5) > 0.99);
    assert!(configuration_p_value(&[10; 10], 0) < 0.01 && configuration_p_value(&[10; 10], 10) < 0.01);
    // hbsim never collapses (0 of 20 at each of 12 recordings): one tip in 12 is not a miss
    // (Jeffreys: 0.5 / 21 each), four are.
    assert!(configuration_p_value(&[0; 12], 1) >= CONFIGURATION_P);
    assert!(configuration_p_value(&[0; 12], 4) < CONFIGURATION_P);
}

/// The last quarter's per-configuration test: a loop that ends where hbsim's seeds do agrees; one
/// off by several of hbsim's spreads does not; the floor keeps a recording whose seeds all end
/// alike from making any difference infinitely significant.
#[test]
fn last_quarter_test_weighs_the_loop_against_hbsims_spread() {
    let spread: Vec<f64> = (0..20).map(|i| f64::from(i) / 19.0).collect();
    let LastQuarterTest {
        loop_mean,
        hbsim_mean,
        p,
        dispersion,
    } = last_quarter_test(&[(0.5, spread.as_slice()); 10]);
    assert!((loop_mean - 0.5).abs() < 1e-12 && (hbsim_mean - 0.5).abs() < 1e-12 && p > 0.99 && dispersion < 1e-12);
    // Ten loops at 0.9 where hbsim's seeds spread evenly over 0-1 (sd 0.31): z = 0.4 / (0.31 x 1.02 / sqrt 10).
    let LastQuarterTest { p, dispersion, .. } = last_quarter_test(&[(0.9, spread.as_slice()); 10]);
    assert!(p < 0.001 && (1.1..1.5).contains(&dispersion), "{p} {dispersion}");
    // Draws that scatter as the seeds do: about one spread.
    let draws: Vec<(f64, &[f64])> = [0.05, 0.3, 0.5, 0.7, 0.95, 0.2, 0.8]
        .iter()
        .map(|h| (*h, spread.as_slice()))
        .collect();
    let LastQuarterTest { p, dispersion, .. } = last_quarter_test(&draws);
    assert!(p > 0.5 && (0.6..1.4).contains(&dispersion), "{p} {dispersion}");
    // Every seed at 0: one loop at 0.05 of five is within the floor; all five at 0.10 are not.
    let zeros = [0.0; 20];
    let one = [
        (0.05, zeros.as_slice()),
        (0.0, &zeros[..]),
        (0.0, &zeros[..]),
        (0.0, &zeros[..]),
        (0.0, &zeros[..]),
    ];
    assert!(last_quarter_test(&one).p >= CONFIGURATION_P);
    assert!(last_quarter_test(&[(0.1, zeros.as_slice()); 5]).p < CONFIGURATION_P);
}

#[test]
fn hbsim_agrees_with_the_jvm_harness_at_every_recorded_point() {
    if !repo_root().join("tests/data/validation").is_dir() {
        eprintln!("no tests/data/validation/: nothing recorded yet");
        return;
    }
    let points = points();
    assert!(!points.is_empty(), "tests/data/validation/ holds no <point>.json");
    compare_all(&points, Walks::Loop, KNOWN, KNOWN_CONFIGURATIONS, "validation");
}

/// Known disagreements of the whole user path ([`Walks::Calibration`]): the user session's
/// points with the close walk from the calibration too. docs/validation.md explains each.
pub const KNOWN_CALIBRATION_WALKS: &[(&str, &str, &str)] = &[
    ("user-incident-hot-gap0", "registers", "as in KNOWN"),
    ("user2-huge-gap0-busy4", "tipped", "as in KNOWN"),
    ("user2-incident-hot-gap0", "registers", "as in KNOWN"),
    (
        "user2-large-gap0",
        "tipped",
        "the knife edge of the trigger against the deadline: the loop's hundred 31 ms walks took 3.1 s and tipped (with them hbsim is on the edge, 10 of 20); the calibration's 69.8 ns per group makes them 2.8 s, under the deadline: 0 of 20",
    ),
    // user3- (the Intel guest), as found on the whole user path.
    ("user3-incident-hot-gap0", "registers", "as in KNOWN"),
    (
        "user3-incident-hot-gap0-busy4",
        "share",
        "the loop's heirs won 26% of the gaps behind 0.3 ms walks with 4 busy threads, hbsim's 8% from the busy-4 calibration (27% from the point's own): a quick calibration under load swings between runs (docs/validation.md, the user2- session)",
    ),
    ("user3-large-gap0-onecpu", "registers", "as user-large-gap0-onecpu (23 calls against 5.4)"),
    // The last quarter's failed share (session 16), as found.
    ("user2-huge-gap0", "last quarter", "see tipped (0.80 against 0% in every seed)"),
    ("user2-huge-gap0-busy4", "last quarter", "as in KNOWN"),
    // The twenty-seventh session, as in KNOWN.
    ("user5-large-gap0", "tipped", "as in KNOWN (2 of 20 seeds (0 before the walk's drift) with the calibration's walks)"),
    ("user5-large-gap0", "last quarter", "see tipped"),
    ("user7-large-gap0", "tipped", "as in KNOWN (0 of 20 seeds (0 before the walk's drift) with the calibration's walks)"),
    ("user7-large-gap0", "last quarter", "see tipped"),
    // The twenty-eighth session, with the third race's wake-up, as found.
    (
        "user11-large-gap0",
        "tipped",
        "the 400,000-group knife edge: the trigger's walks spanned 3.18 s and the loop fed itself to 0.56 of its last quarter; 3 of 20 seeds (4 before the walk's drift) with the calibration's walk cost (10 of 20 with the point's own, on the edge)",
    ),
    (
        "user12-huge-gap0",
        "tipped",
        "the run whose two races disagree under the model (the calibration says so): its third race's lowest knots (30 and 42 us) let hbsim's heirs win 18% of the gaps behind no gap where the loop's won 2 of 162 (its own race none of 74), and no seed collapsed with the calibration's walks (7 of 20 with the point's own, on the edge; 20 of 20 with the one-race shift)",
    ),
    ("user12-huge-gap0", "last quarter", "see tipped (1.00 against 0.00 in every seed)"),
    // Held out (`user13-` to `user15-`), as found.
    ("user14-large-gap0", "tipped", "as in KNOWN (0 of 20 seeds (0 before the walk's drift) with the calibration's walks)"),
    ("user14-large-gap0", "last quarter", "see tipped"),
    ("user14-large-gap0", "registers", "as in KNOWN (171 calls a won gap against 2,295)"),
    (
        "user14-huge-gap0",
        "tipped",
        "the flagged run (its file: the open race's heirs win 10.8% behind no gap under the model, against 1 of 74) with the calibration's walk cost (74.9 ms walks of a million groups, 300 ms at four million, against the loop's 318 ms and its 3.19 s trigger span): 5 of 20 seeds (0 before the walk's drift) where the loop tipped",
    ),
    // The twenty-ninth session (`user16-` to `user18-`), as found.
    (
        "user17-huge-gap0",
        "tipped",
        "the deadline's knife edge with the calibration's walk cost: 63 ms walks of a million groups, 252 ms at four million, against the loop's 341 ms and its 3.44 s trigger span; 2 of 20 seeds (0 before the walk's drift) (20 of 20 with the point's own walks)",
    ),
    ("user17-huge-gap0", "last quarter", "see tipped"),
    (
        "user18-huge-gap0",
        "tipped",
        "as user17-huge-gap0: 64 ms walks of a million groups, 254 ms at four million, against the loop's 307 ms and its 3.11 s trigger span; 1 of 20 seeds (0 before the walk's drift) (12 of 20 with the point's own walks, on the edge)",
    ),
    // Held out (`user19-` to `user21-`), as found.
    (
        "user19-huge-gap0",
        "tipped",
        "the deadline's knife edge with the calibration's walk cost: 74 ms walks of a million groups, 298 ms at four million, against the loop's 381 ms and its 3.47 s trigger span; 4 of 20 seeds (0 before the walk's drift) (8 of 20 with the point's own walks, on the edge)",
    ),
    (
        "user20-huge-gap0",
        "tipped",
        "as user19-huge-gap0: 69 ms walks of a million groups, 276 ms at four million, against the loop's 303 ms and its 3.09 s trigger span; 5 of 20 seeds (0 before the walk's drift) (19 of 20 with the point's own walks)",
    ),
    (
        "user21-huge-gap0",
        "tipped",
        "as user19-huge-gap0: 63 ms walks of a million groups, 251 ms at four million, against the loop's 314 ms and its 3.12 s trigger span; 2 of 20 seeds (0 before the walk's drift) (18 of 20 with the point's own walks)",
    ),
    // The thirtieth session (`user22-` to `user24-`), the walk at the table's size, as found.
    // Held out (`user25-` to `user27-`), as found.
    (
        "user15-huge-gap0",
        "tipped",
        "as user14-huge-gap0, the other flagged run (13.7% against 0 of 74), the loop's 330 ms walks spanning 3.32 s: 2 of 20 seeds (0 before the walk's drift)",
    ),
    ("user15-huge-gap0", "last quarter", "see tipped"),
    ("user15-huge-gap15", "p50", "see registers: the loop's heartbeats waited 0.84 s at the median while it ran on, hbsim's none"),
    ("user15-huge-gap15", "p90", "as its p50 (4.06 s against 0.004 ms)"),
    // The thirty-first session: each seed draws the walk's drift (`close_cost_per_group_drift`,
    // 0.123); what it turned, as found.
    ("user11-large-gap0", "last quarter", "see tipped (0.56 against 0.00 in 17 of 20 seeds)"),
    (
        "user5-huge-gap15",
        "last quarter",
        "the loop ran on part-way (0.18); hbsim's seeds recover (median 0.00) or collapse (3 of 20), one within 0.1 (two before the walk's drift)",
    ),
    ("user5-huge-gap15", "p50", "see last quarter: the loop's heartbeats waited 0.5 s at the median while it ran on, hbsim's seeds that recover none"),
    // The thirty-third session, the release shares pooled by guest under load, as found.
    ("user2-huge-gap0-busy4", "share", "as in KNOWN (hbsim 94% against the loop's 61%)"),
    // The thirty-fifth session (`user37-`, a fourth host, held out), as found.
    ("user37-incident-hot-gap0", "registers", "as in KNOWN (309 calls against 3.7)"),
    ("user37-incident-hot-gap0", "p90", "as in KNOWN (330 ms against 7.7 ms)"),
    ("user37-incident-hot-gap0-busy4", "p90", "as in KNOWN (55 ms against 0.6 ms)"),
    (
        "user38-incident-hot-gap0-busy4",
        "p90",
        "as user37-incident-hot-gap0-busy4: the loop's heirs won 24% of the gaps, hbsim's 15% from this set's busy-4 calibration (29% from the point's own); between won gaps the loop's heartbeats waited longer (p90 23 ms against 0.3 ms)",
    ),
    (
        "user-incident-hot-gap0-busy4",
        "registers",
        "6.2 calls per won gap against hbsim's 2.9, its heirs at 7% of the gaps as the loop's: this older guest's calibration predates the release counts, so the point draws every host's short-walk busy-4 pool, which user37-incident-hot-gap0-busy4 (its walker displaced at 209 of 9,999 releases) joined",
    ),
    // The thirty-sixth session: G applied, as found.
    ("user15-huge-gap15", "share", "as in KNOWN (hbsim 74% against the loop's 26% of 158)"),
    ("user15-huge-gap15", "registers", "as in KNOWN (238 calls a won gap against 982)"),
    // The thirty-sixth session, second part, as found.
    ("user42-huge-gap0", "last quarter", "as in KNOWN (0.80 against 1.00)"),
    ("user43-huge-gap0", "last quarter", "as in KNOWN (0.58 against 1.00)"),
    (
        "user44-huge-gap3",
        "tipped",
        "the one 3 us loop of the thirty-sixth session that tipped, part-way (0.69, its heirs in at 11 of 136 gaps); with the calibration's walks (shorter than the loop's) and M's weight of 0.2 hbsim's heirs win 11% and 2 of 20 seeds collapse (7 of 20 without M); with the loop's own walks 11 of 20 (on the edge)",
    ),
    ("user44-huge-gap3", "registers", "see tipped: the loop's won gaps drained a run-on backlog (3,274 calls each), hbsim's recovering seeds short ones (818)"),
    ("user44-huge-gap3", "last quarter", "see tipped (0.69 against a median of 0.00)"),
    ("user44-huge-gap5", "last quarter", "the loop ran on part-way (0.17); with the calibration's walks 1 of 20 seeds collapses, the rest recover (median 0.00), none within 0.10"),
    // The thirty-seventh session (`user45-` to `user47-`, held out for M), as found.
    (
        "user45-huge-gap3",
        "last quarter",
        "the loop tipped part-way (0.74, its heirs in at 15 of 135 gaps) behind walks of 405 ms; with the calibration's shorter walks hbsim's seeds split on the edge (6 of 20), median 0.00",
    ),
    ("user46-huge-gap2", "tipped", "as in KNOWN (16 of 20 seeds)"),
    ("user46-huge-gap2", "last quarter", "see tipped (0.22 against 1.00)"),
    ("user46-huge-gap3", "last quarter", "as in KNOWN (0.38 against a median of 0.80, 12 of 20 seeds on the edge)"),
    (
        "user47-huge-gap3",
        "last quarter",
        "the loop ran on part-way (0.43, its heirs in at 11 of 158 gaps) and held under the half; with the calibration's walks hbsim's seeds recover (1 of 20 collapses), none within 0.10",
    ),
    ("user47-huge-gap3", "p50", "see last quarter: the loop's heartbeats waited 2.7 s at the median while it ran on, hbsim's recovering seeds none"),
    ("user47-huge-gap3", "p90", "as its p50 (9.9 s against 0.003 ms)"),
    // The thirty-seventh session, second part, as found.
    ("user49-huge-gap2", "tipped", "as in KNOWN (16 of 20 seeds)"),
    ("user50-huge-gap1", "last quarter", "as in KNOWN (0.64 against 1.00; 13 of 20 seeds on the edge, those that recover at 0.00)"),
    // The thirty-ninth session: moved by the pool (user54- to user56- joined this guest's busy-4
    // and busy-12 release counts), as found.
    // The fortieth session (`user57-` to `user59-`, held out for D, not kept), as found; the
    // pool they joined took user37-huge-gap0-busy12's and user56-huge-gap0-busy12's last quarters
    // off this list.
    ("user55-huge-gap0-busy12", "share", "the loop's heirs won 2 of 27 gaps; from this set's busy-12 calibration hbsim's win 39% (on the first table it agrees since I)"),
    ("user57-huge-gap0-busy12", "last quarter", "as in KNOWN (0.52 against 1.00, 20 of 20 seeds)"),
    // The forty-first session (`user60-`, `user61-`), as found: their joining this guest's busy-8
    // pool moved user58-'s last quarter onto this list and user59-'s off it.
    ("user59-huge-gap0-busy12", "tipped", "as in KNOWN (20 of 20 seeds)"),
    ("user59-huge-gap0-busy12", "last quarter", "as in KNOWN (0.18 against 1.00)"),
    ("user59-huge-gap0-busy12", "share", "as in KNOWN (24 of 29 gaps against 32%)"),
    // The forty-second session: F on an idle host applied, and `user62-`, `user63-` held out for
    // it. As found under F.
    ("user2-huge-gap0", "registers", "the loop's 10 won gaps drained 3,354 registrations each; with the calibration's walks under F 1,378"),
    ("user37-large-gap0", "last quarter", "the loop ran on part-way (0.41, heirs in at 19 of 967 gaps); with the calibration's walks under F 11 of 20 seeds collapse (the edge), median 1.00, one within 0.10"),
    ("user39-huge-gap5", "last quarter", "as in KNOWN (0.23 against a median of 0.00, none within 0.10)"),
    ("user43-huge-gap0", "registers", "the loop's 5 won gaps drained 7,388 registrations each; with the calibration's walks under F 1,566"),
    ("user46-huge-gap3", "tipped", "the loop ran on part-way (0.38) and held; with the calibration's walks under F 15 of 20 seeds collapse"),
    ("user47-huge-gap3", "registers", "as in KNOWN (3,458 against 540)"),
    ("user5-huge-gap15", "p90", "the loop ran on part-way behind 15 us (0.18) with its heartbeats waiting 2.5 s at p90; with the calibration's walks under F 0.01 ms"),
    (
        "user62-huge-gap0",
        "tipped",
        "held out (the forty-second session): the loop tipped (0.94, heirs in at 4 of 204 gaps); from the quick calibration alone hbsim collapses in 2 of 20 seeds with and without F (on the first table, with the loop's own walks, 8-9 of 20: the edge)",
    ),
    // The forty-fourth session (`user64-`, `user65-`), as found (see KNOWN).
    ("user65-huge-gap0-busy8", "last quarter", "as in KNOWN (the loop 0.08; hbsim median 0.60 from this set's busy-8 calibration, none within 0.10; tipped agrees on the edge)"),
    ("user65-huge-gap0-busy8", "share", "as in KNOWN (hbsim 38% against the loop's 26 of 32)"),
    ("user65-huge-gap0-busy12", "tipped", "the loop held part-way (0.47; the second of this guest's 13 busy-12 loops since its fc-v1252 kernels to hold, user59- the other; its heirs in at 8 of 24 gaps); from this set's busy-12 calibration 15 of 20 seeds collapse (on the first table 14 of 20, the edge)"),
    // The forty-fourth session's I, as found (see KNOWN).
    ("user37-incident-hot-gap0-busy4", "registers", "as found under I (the forty-fourth session): the loop's won gaps drained 5 registrations each; hbsim's from this set's calibration 2, before I 4"),
    ("user59-huge-gap0-busy12", "registers", "as found under I (the forty-fourth session): the loop's won gaps drained 1665 registrations each; hbsim's from this set's calibration 6306, before I 3974"),
    // The forty-seventh session: as found when L was applied with user69- (8, 12 and 4 busy threads) in the pools.
    ("user66-huge-gap0-busy12", "tipped", "as found when L was applied with user69- in the pools (the forty-seventh session): the loop held (0.31, its heirs in at 0.41 (9/22)); 18 of 20 seeds from this set's calibration collapse (median 0.83), under I 15 of 20"),
    // The forty-eighth session: as found when user70- (8, 12 and 4 busy threads) joined the pools, N applied.
    // The forty-eighth session's second part: user71- (an idle host) as found, N applied there.
    ("user71-huge-gap0", "last quarter", "as found with N on an idle host (the forty-eighth session): the loop tipped and fed itself part-way (0.60 of its last quarter); 19 of 20 seeds from this set's calibration collapse throughout (median 1.00, none within 0.10)"),
    ("user71-huge-gap0", "registers", "as found with N on an idle host (the forty-eighth session): the loop's 6 won gaps drained 5,885 registrations each, hbsim's from this set's calibration 1,231 (before N 758)"),
    ("user71-huge-gap3", "last quarter", "as found with N on an idle host (the forty-eighth session): the loop held with 0.32 of its last quarter failed; 13 of 20 seeds from this set's calibration collapse (median 1.00, none within 0.10)"),
    ("user71-huge-gap5", "last quarter", "as found with N on an idle host (the forty-eighth session): the loop held with 0.22 of its last quarter failed; 15 of 20 seeds from this set's calibration recover fully (median 0.00, none within 0.10; 5 of 20 collapse)"),
    // The forty-ninth session: as found when user72- (8, 12 and 4 busy threads) and user73- (idle) joined the pools.
    ("user69-huge-gap0-busy8", "tipped", "as found when user72- and user73- joined the pools (the forty-ninth session): the loop tipped (0.65) with its heirs in at 0.41 (14/34); 5 of 20 seeds from this set's calibration collapse (median 0.30), before it 8 of 20"),
    ("user73-huge-gap3", "last quarter", "as found with P's hold-out (the forty-ninth session): the loop failed 0.50 of its last quarter; hbsim's seeds from this set's calibration fail less (median 0.00, 0 within 0.10; 2 of 20 collapse)"),
    ("user73-huge-gap3", "p50", "as found with P's hold-out (the forty-ninth session): the loop's median heartbeat 3105.776 ms, hbsim's median seed's from this set's calibration 0.004 ms (last quarter median 0.00, 2 of 20 collapse)"),
    ("user73-huge-gap3", "p90", "see p50 (0.0 ms against 8098.7 ms)"),
    ("user74-huge-gap2", "tipped", "as found with Q's hold-out (the fiftieth session): the loop held (0.37, fed part-way; heirs in at 17 of 140 gaps); 16 of 20 seeds from this set's calibration collapse (median 1.00)"),
    ("user74-huge-gap3", "last quarter", "as found with Q's hold-out (the fiftieth session): the loop failed 0.30 of its last quarter; hbsim's seeds from this set's calibration end at 0 or 1 (median 0.57, 1 within 0.10; 12 of 20 collapse)"),
    // The fifty-first session: user76- held out, as found.
    // The fifty-second session: user78- to user80- (R applied, S off), as found.
    // The fifty-third session: user81- to user83- held out for S, S applied, as found.
    ("user83-huge-gap0-busy8", "last quarter", "as found when user81- to user83- joined the pools, S applied (the fifty-third session): the loop failed 1.00 of its last quarter; hbsim's seeds fail less (median 0.28, 1 within 0.10)"),
    // The fifty-fourth session: user84- to user86- held out for T (the broker's JVM options), as found.
    // The fifty-fourth session, second part: user87- held out for U, as found.
    // The fifty-fifth session: user88- and user89- joined, U applied, as found.
    ("user88-huge-gap0-busy8", "tipped", "as found when user88- and user89- (U held out) joined the pools and U was applied (the fifty-fifth session): the loop tipped (0.58); 5 of 20 seeds collapse"),
    // The fifty-fifth session, second part: user90- and user91- joined (U checked), as found.
    // The fifty-sixth session: user92- and drain-share-busy8- joined the pools and the return was refrozen at 64.7 ms, as found.
    // The fifty-seventh session: user93- and user94- joined the pools and user92- to user94- the user sessions, as found.
    ("user94-huge-gap0-busy8", "tipped", "as found when user93- and user94- (W held out, not applied) joined the pools and user92- to user94- the user sessions (the fifty-seventh session): the loop tipped (0.51); 5 of 20 seeds collapse"),
    // The fifty-seventh session: user95- joined the pools and the user sessions, as found.
    ("user77-huge-gap0-busy8", "last quarter", "as found when user95- (a check after W was not applied) joined the pools and the user sessions (the fifty-seventh session): the loop failed 1.00 of its last quarter; hbsim's seeds fail less (median 0.40, 1 within 0.10)"),
    ("user95-huge-gap0-busy8", "tipped", "as found when user95- (a check after W was not applied) joined the pools and the user sessions (the fifty-seventh session): the loop tipped (0.60); 2 of 20 seeds collapse"),
    ("user95-huge-gap0-busy8", "last quarter", "as found when user95- (a check after W was not applied) joined the pools and the user sessions (the fifty-seventh session): the loop failed 0.60 of its last quarter; hbsim's seeds fail less (median 0.23, 1 within 0.10)"),
    // The fifty-eighth session: user96- (held out of the frozen pools), as found.
    // The fifty-eighth session: the first table's return refrozen at 68.2 ms (user93- to user97-'s calibrations), as found.
    // The fifty-ninth session: the release pools frozen again over every recording to user98- (user96- to user98- moved the fc-v1300 busy-12 displaced share), as found.
    // The fifty-ninth session, again: the release pools frozen to user99- (its million-gap0-busy8 stood in a pool the frozen ones did not hold), as found.
    ("user58-huge-gap0-busy8", "last quarter", "Z (the sixtieth session), as found: last quarter failed: harness 0.80, hbsim median 0.31, 0 of 20 seeds within 0.1"),
    ("user65-huge-gap0-busy12", "last quarter", "Z (the sixtieth session), as found: last quarter failed: harness 0.47, hbsim median 0.80, 1 of 20 seeds within 0.1"),
    ("user66-huge-gap0-busy12", "last quarter", "Z (the sixtieth session), as found: last quarter failed: harness 0.31, hbsim median 1.00, 1 of 20 seeds within 0.1"),
    ("user100-huge-gap0-busy8", "p50", "the sixty-first session: Z2 applied, with user102-: median response: harness 0.030 ms, hbsim 1308.623 ms"),
    ("user100-huge-gap0-busy8", "p90", "the sixty-first session: Z2 applied, with user102-: p90 response: harness 726.389 ms, hbsim 4697.620 ms"),
    ("user19-huge-gap0", "last quarter", "the sixty-first session: Z2 applied, with user102-: last quarter failed: harness 1.00, hbsim median 0.00, 1 of 20 seeds within 0.1"),
    ("user37-huge-gap0-busy8", "tipped", "the sixty-first session: Z2 applied, with user102-: harness tipped = false (last quarter 0.40), hbsim 16 of 20 seeds"),
    ("user43-huge-gap5", "last quarter", "the sixty-first session: Z2 applied, with user102-: last quarter failed: harness 0.43, hbsim median 0.00, 1 of 20 seeds within 0.1"),
    ("user59-huge-gap0-busy8", "last quarter", "the sixty-first session: Z2 applied, with user102-: last quarter failed: harness 1.00, hbsim median 0.46, 1 of 20 seeds within 0.1"),
    ("user60-huge-gap0-busy8", "tipped", "the sixty-first session: Z2 applied, with user102-: harness tipped = true (last quarter 0.74), hbsim 5 of 20 seeds"),
    ("user65-huge-gap0-busy8", "tipped", "the sixty-first session: Z2 applied, with user102-: harness tipped = false (last quarter 0.08), hbsim 15 of 20 seeds"),
    ("user70-huge-gap0-busy8", "last quarter", "the sixty-first session: Z2 applied, with user102-: last quarter failed: harness 0.18, hbsim median 0.40, 1 of 20 seeds within 0.1"),
    ("user72-huge-gap0-busy12", "last quarter", "the sixty-first session: Z2 applied, with user102-: last quarter failed: harness 1.00, hbsim median 0.61, 1 of 20 seeds within 0.1"),
    ("user74-huge-gap2", "last quarter", "the sixty-first session: Z2 applied, with user102-: last quarter failed: harness 0.37, hbsim median 1.00, 0 of 20 seeds within 0.1"),
    ("user77-huge-gap0-busy8", "tipped", "the sixty-first session: Z2 applied, with user102-: harness tipped = true (last quarter 1.00), hbsim 3 of 20 seeds"),
    ("user79-huge-gap0-busy12", "tipped", "the sixty-first session: Z2 applied, with user102-: harness tipped = false (last quarter 0.39), hbsim 18 of 20 seeds"),
    ("user79-huge-gap0-busy12", "last quarter", "the sixty-first session: Z2 applied, with user102-: last quarter failed: harness 0.39, hbsim median 0.65, 1 of 20 seeds within 0.1"),
    ("user86-huge-gap0-busy12", "last quarter", "the sixty-first session: Z2 applied, with user102-: last quarter failed: harness 0.08, hbsim median 0.51, 0 of 20 seeds within 0.1"),
    ("user87-huge-gap0-busy12", "tipped", "the sixty-first session: Z2 applied, with user102-: harness tipped = false (last quarter 0.46), hbsim 15 of 20 seeds"),
    ("user88-huge-gap0-busy12", "last quarter", "the sixty-first session: Z2 applied, with user102-: last quarter failed: harness 0.18, hbsim median 0.58, 0 of 20 seeds within 0.1"),
    ("user88-huge-gap0-busy8", "last quarter", "the sixty-first session: Z2 applied, with user102-: last quarter failed: harness 0.58, hbsim median 0.28, 1 of 20 seeds within 0.1"),
    ("user91-huge-gap0-busy12", "last quarter", "the sixty-first session: Z2 applied, with user102-: last quarter failed: harness 0.85, hbsim median 0.45, 1 of 20 seeds within 0.1"),
];

/// Configurations the whole user path ([`Walks::Calibration`]) is known to misjudge, as
/// [`KNOWN_CONFIGURATIONS`].
pub const KNOWN_CALIBRATION_CONFIGURATIONS: &[(&str, &str, &str)] = &[
    (
        "AMD EPYC: 4000000 groups, 0 µs, 10 closes, 60 s, a user's calibration",
        "tipped",
        "the deadline's knife edge with the calibration's walk cost (user9-huge-gap0: 2.88 s of trigger walks against the loop's 3.18 s, 0 of 20 seeds where it tipped): 7 of 8 against 5.2 expected (p = 0.036); with each point's own walks it agrees (6.8). Through user27- (26 recordings, 18 tipped) 7.6 expected: the sessions before the thirtieth scale a million groups' walk to four million, 10-25% short (the thirtieth session's six files take the walk at the table's size: within 1-10% of the loops', median 1.5%)",
    ),
    (
        "AMD EPYC: 4000000 groups, 0 µs, 10 closes, 60 s, a user's calibration",
        "last quarter",
        "as its tipped entry: 0.85 against 0.64 (through user27-: 0.67 against 0.28)",
    ),
    (
        "AMD EPYC: 4000000 groups, 0 µs, 10 closes, 60 s, 8 busy [6.18.44-fc-v1300], a user's calibration",
        "tipped",
        "as in KNOWN_CONFIGURATIONS: the loop tipped at all 5 busy-8 recordings on the fc-v1300 AMD guest, hbsim from each set's own calibration expects 1.7 (p = 0.006); the guest's heirs drain slower than hbsim's (S, pre-registered, held out); with user81- to user83- and S 8 of 8 against 3.8 (p = 0.004; 3.6 without S)",
    ),
];

/// The user session's points as a user would run them end to end: every `[broker]` key from
/// `hbsim calibrate`, the close walk included ([`Walks::Calibration`]), and the same comparison.
#[test]
fn user_calibrations_alone_reproduce_the_loop() {
    let points: Vec<_> = points()
        .into_iter()
        .filter(|(name, json, _)| {
            let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
            user_calibration(name, &doc).is_some()
        })
        .collect();
    if points.is_empty() {
        eprintln!("no user- session recorded");
        return;
    }
    compare_all(
        &points,
        Walks::Calibration,
        KNOWN_CALIBRATION_WALKS,
        KNOWN_CALIBRATION_CONFIGURATIONS,
        "validation-user",
    );
}

/// Compares `points` (two workers: independent runs of the hbsim binary), prints the table, and
/// fails on any disagreement not in `known` or any entry of `known` that now agrees.
fn compare_all(
    points: &[(String, PathBuf, PathBuf)],
    walks: Walks,
    known: &[(&str, &str, &str)],
    known_configurations: &[(&str, &str, &str)],
    tag: &str,
) {
    let dir = TempDir::new(tag);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<Comparison> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        let Some((name, json, toml)) = points.get(i) else {
                            return done;
                        };
                        done.push(compare_point(dir.path(), name, json, toml, walks, known));
                    }
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
    });
    results.sort_by(|a, b| a.name.cmp(&b.name));
    eprintln!("| point | table, gap, trigger | harness tipped (last quarter) | hbsim collapsed (95%) | tipped agrees | harness gaps won | hbsim gaps won | agrees | harness regs/won gap | hbsim | agrees | harness p50 / p90 / p99 | hbsim p50 / p90 / p99 | p50 / p90 agree | harness last quarter failed | hbsim median (seeds within 0.10) | agrees |");
    eprintln!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for r in &results {
        eprintln!("{}", r.row);
    }
    if results.iter().any(|r| r.drain.is_some()) {
        eprintln!();
        eprintln!("| point | harness: calls per ms of a won gap | mean won gap (ms) | won gaps drained | walker ready after the drain (won gaps; p50) | hbsim: calls per ms | mean won gap (ms) | won gaps drained |");
        eprintln!("|---|---|---|---|---|---|---|---|");
        for r in &results {
            if let Some(d) = &r.drain {
                let harness_drained = d.harness_drained.map_or("—".to_string(), |v| format!("{v:.2}"));
                let after_idle = match d.harness_ready_after_idle {
                    None => "—".to_string(),
                    Some((idle, won, p50)) if p50.is_finite() => format!("{idle} of {won}; {:.2} ms", p50 / 1000.0),
                    Some((idle, won, _)) => format!("{idle} of {won}"),
                };
                eprintln!(
                    "| {} | {:.1} | {:.1} | {harness_drained} | {after_idle} | {:.1} | {:.1} | {:.2} |",
                    r.name, d.harness_rate, d.harness_mean_ms, d.rate, d.mean_ms, d.drained
                );
            }
        }
    }
    let mut problems = Vec::new();
    for r in results.iter().filter(|r| !r.uncontrolled) {
        for (figure, seen) in &r.disagreements {
            if !known.iter().any(|(p, f, _)| *p == r.name && f == figure) {
                problems.push(format!("{}: {seen}", r.name));
            }
        }
    }
    problems.extend(compare_configurations(&results, known_configurations));
    for (point, figure, _) in known {
        match results.iter().find(|r| r.name == *point) {
            None => problems.push(format!("the known list names {point}, which is not recorded")),
            Some(r) if r.uncontrolled => problems.push(format!(
                "the known list names {point}, recorded under uncontrolled load (not gated): take it off"
            )),
            Some(r) if !r.disagreements.iter().any(|(f, _)| f == figure) => {
                problems.push(format!("{point}: {figure} now agrees: take it off the known list"))
            }
            Some(_) => {}
        }
    }
    assert!(problems.is_empty(), "hbsim disagrees with the harness:\n{}", problems.join("\n"));
}

/// The drain measured on its own on the guests that carry the latest sessions (`HbCalib --mode
/// drain --busy-threads B --hold-ms H`, B 0, 4, 8 and H 50 ms and 3 s, two rounds of each in
/// alternation, the median round over both): the JVM's heartbeat threads drain slower beside busy
/// threads than idle, and hbsim's, configured as the guest's busy-4 point is, drain far faster
/// than the JVM's under 4 busy threads. Asserted as it stands, so that a model which slows the
/// drain turns it around.
///
/// - The AMD `trig` guest (`fc-v1252`, after `trig4-` to `trig6-`, the thirty-third session): 2.6-2.9
///   times slower beside 4 busy threads than idle. Not the reason of its busy-4 misses: inside
///   the loop's won gaps its heirs drain as fast as hbsim's or faster (the thirty-fourth session).
/// - This Intel guest (`cpu_idle driver=none`, `fc-v1252`, the thirty-eighth session): 2.0 and 2.4
///   times slower after a 50 ms and a 3 s park (its idle 50 ms rounds scattered, 531 and 274
///   calls per ms at the two rounds' medians).
///
/// With E ([`TIME_SHARING`], `HBSIM_TIME_SHARING=1`) hbsim's drain is asserted within
/// [`SHARED_DRAIN_FACTOR`] of the JVM's instead (366 and 395 calls per ms against 281 and 212),
/// and so with I ([`RUN_QUEUE_LOADED`], since the forty-fourth session: the heirs at the loop's
/// share of the CPUs, 0.3, about a fair share among the six threads beside 4 busy ones).
#[test]
fn the_jvms_drain_slows_under_load_and_hbsims_does_not() {
    // (files' guest tag, the guest's busy-4 point for hbsim, idle over busy-4 at least, at each park)
    let guests = [("trig", "trig4-huge-gap0-busy4", 2.2), ("intel", "user38-huge-gap0-busy4", 1.8)];
    for (guest, point, idle_over_busy4) in guests {
        let jvm = |busy: u64, hold_ms: u64| {
            let hold = if hold_ms == 50 {
                String::new()
            } else {
                format!("-hold{}s", hold_ms / 1000)
            };
            let stems = [
                format!("drain-{guest}{hold}-busy{busy}-a"),
                format!("drain-{guest}{hold}-busy{busy}-b"),
            ];
            median_drain_round(&[&stems[0], &stems[1]], busy, hold_ms)
        };
        for hold_ms in [50, 3000] {
            let (idle, busy4, busy8) = (jvm(0, hold_ms), jvm(4, hold_ms), jvm(8, hold_ms));
            assert!(
                idle > idle_over_busy4 * busy4 && busy4 > busy8,
                "{guest}, {hold_ms} ms: {idle:.0}, {busy4:.0}, {busy8:.0} calls per ms"
            );
        }
        let hbsim = hbsim_isolated_drain(point);
        let real = jvm(4, 3000);
        eprintln!(
            "{guest}, busy 4: JVM {real:.0} calls per ms after a 3 s park (idle {:.0}), hbsim {hbsim:.0}",
            jvm(0, 3000)
        );
        if time_sharing_applied() || (run_queue_loaded() && executor_share_applied() && run_queue_applied()) {
            assert!(
                (1.0 / SHARED_DRAIN_FACTOR..=SHARED_DRAIN_FACTOR).contains(&(hbsim / real)),
                "{guest}: hbsim {hbsim:.0} against the JVM's {real:.0} calls per ms under 4 busy threads"
            );
        } else {
            assert!(
                hbsim > REGISTERS_FACTOR * real,
                "{guest}: hbsim {hbsim:.0} against the JVM's {real:.0} calls per ms under 4 busy threads: the drain under load agrees: update the test, KNOWN and the docs"
            );
        }
    }
}

/// The guests the release shares pool by ([`pool_key`]): this guest's busy recordings and the
/// older AMD guests' share a host ([`host`]) but not a pool under load, idle only under C1; and
/// this guest's busy-8 loops let their heirs in at fewer gaps than the older AMD guests' busy-8
/// loops (the split's reason, the thirty-second session: below every one of theirs but one; held,
/// `trig4-` to `trig6-`, 25-39%; with `trig11-` to `trig15-`, 33-56%, the eleven pooled 0.39
/// against the older twelve's median 0.53). The older guests are those whose kernel build comes
/// before this guest's: the newer `fc-v1300` guest, which since the fifty-first session has its own
/// pool under load, let them in at 0.33-0.58 of its gaps (median 0.43 over 16 busy-8 loops, the
/// fifty-fifth session), and counting it among the older ones brought their median to 0.47.
#[test]
fn release_pools_split_this_guest_from_the_older_amd_guests() {
    let (_, trig) = recorded("trig1-huge-gap0-busy8");
    let (_, older) = recorded("very-huge-gap0-busy8");
    let (_, trig_idle) = recorded("fc45-huge-gap15");
    let (_, older_idle) = recorded("very-huge-gap15");
    assert_eq!(host(&trig), host(&older));
    assert_eq!(host(&trig_idle), host(&older_idle));
    let same = |a: &serde_json::Value, b: &serde_json::Value, rule| pool_key_by(a, rule) == pool_key_by(b, rule);
    assert!(same(&trig, &older, GuestPools::Never));
    assert!(!same(&trig, &older, GuestPools::UnderLoad));
    assert!(!same(&trig, &older, GuestPools::Always));
    assert!(same(&trig_idle, &older_idle, GuestPools::Never));
    assert!(same(&trig_idle, &older_idle, GuestPools::UnderLoad));
    assert!(!same(&trig_idle, &older_idle, GuestPools::Always));
    // The heirs' share of gaps at 8 busy threads behind 4,000,000 groups, this guest's against
    // the older guests' of the same host.
    let (this, others): (Vec<_>, Vec<_>) = points()
        .into_iter()
        .map(|(name, _, _)| recorded(&name).1)
        .filter(|doc| doc["params"]["busy_threads"].as_u64() == Some(8) && doc["params"]["groups"].as_u64() == Some(4_000_000))
        .filter(|doc| host(doc) == host(&trig) && kernel_build_number(doc) <= kernel_build_number(&trig))
        .partition(|doc| guest(doc) == guest(&trig));
    let share = |doc: &serde_json::Value| doc["outcome"]["gap_won_share"].as_f64().expect("gap_won_share");
    let count = |doc: &serde_json::Value, key: &str| doc["outcome"][key].as_u64().unwrap_or_else(|| panic!("{key}"));
    let (won, gaps) = this.iter().fold((0, 0), |(w, g), doc| {
        (w + count(doc, "gaps_won_by_heartbeats"), g + count(doc, "gaps_between_walks"))
    });
    let pooled = won as f64 / gaps as f64;
    let older_median = median(&mut others.iter().map(share).collect::<Vec<_>>());
    assert!(this.len() >= 6, "{}", this.len());
    assert!(others.len() >= 10, "{}", others.len());
    assert!(
        pooled + 0.1 < older_median,
        "this guest's pooled {pooled:.2} against the older guests' median {older_median:.2}"
    );
}

/// The thirty-third session's D as it was compared ([`POOLED_RACE_SHIFT`]): a session without a
/// second pre-run draws its pool's, every other session's once; a session with one is left out of
/// its own pool; on the AMD hosts the heirs won about 2% of those gaps.
#[test]
fn pooled_race_counts_every_other_session_once() {
    let (_, edge) = recorded("edge-huge-gap0");
    let (_, user4) = recorded("user4-huge-gap0");
    assert!(hbsim::calibrate::loop_race(edge["calibration"].as_object().unwrap()).is_none());
    let own = hbsim::calibrate::loop_race(user4["calibration"].as_object().unwrap()).expect("user4- ran the pre-run twice");
    let (a, b) = (pooled_race(&edge).expect("a pool"), pooled_race(&user4).expect("a pool"));
    assert_eq!(a.gaps, b.gaps + own.gaps);
    assert_eq!(a.won, b.won + own.won);
    let sessions = session_races().iter().filter(|r| r.pool_key == pool_key(&edge)).count();
    assert!(sessions >= 30, "{sessions}");
    let share = a.won as f64 / a.gaps as f64;
    assert!(share > 0.005 && share < 0.04, "{share}");
}

/// E as it was compared ([`AFTER_EXIT_RACE`]): the offer taken leaves a calibration that loads,
/// with the after-exit wake-up and the offered long-walk extra in place of the applied ones.
#[test]
fn the_after_exit_offer_taken_replaces_the_open_race() {
    let path = repo_root().join("tests/data/calibration/user22-session-2026-12-04.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let applied = after_exit_offer_applied(&text).expect("user22- offers the race after the exit");
    let (before, after): (toml::Table, toml::Table) = (toml::from_str(&text).unwrap(), toml::from_str(&applied).unwrap());
    let (before, after) = (before["broker"].as_table().unwrap(), after["broker"].as_table().unwrap());
    assert!(before.contains_key("monitor_wake_latency_long_park") && !before.contains_key("monitor_wake_after_exit_long_park"));
    assert!(!after.contains_key("monitor_wake_latency_long_park") && after.contains_key("monitor_wake_after_exit_long_park"));
    assert_eq!(after["netty_event_gap_long_walk_extra"].as_str(), Some("6.821us"));
    assert_ne!(before["netty_event_gap_long_walk_extra"], after["netty_event_gap_long_walk_extra"]);
    let dir = std::env::temp_dir().join(format!("hbsim-after-exit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("cal.toml");
    std::fs::write(&file, &applied).unwrap();
    let scenario = format!(
        "calibration = {}\nname = \"x\"\nduration = \"1s\"\n",
        toml::Value::String(file.display().to_string())
    );
    let parsed = hbsim::scenario::parse(&dir.join("s.toml"), scenario.as_bytes());
    std::fs::remove_dir_all(&dir).unwrap();
    parsed.unwrap_or_else(|e| panic!("the offer taken does not load: {e}"));
    let old = repo_root().join("tests/data/calibration/user4-session-2026-12-04.toml");
    assert_eq!(after_exit_offer_applied(&std::fs::read_to_string(old).unwrap()), None);
}

/// The walk classes the release shares are pooled by ([`short_walks`]) split the incident's
/// 15,742-group table from every larger one at every recording, and the two classes count
/// different populations: at 4 busy threads on the `fc` guest the short walks displaced their
/// walker at under a quarter of the long walks' share (5-8% against 32-55%).
#[test]
fn walk_classes_split_the_hot_table_from_the_long_walks() {
    for (name, _, _) in points() {
        let (_, doc) = recorded(&name);
        let groups = doc["params"]["groups"].as_u64().expect("groups");
        assert_eq!(short_walks(&doc), groups <= 15_742, "{name}: {groups} groups");
    }
    let share = |short: bool| {
        let (k, n) = release_counts()
            .iter()
            .filter(|c| c.busy == 4 && c.host.starts_with("AMD EPYC (driver=none)") && c.short_walks == short)
            .filter_map(|c| c.displaced)
            .fold((0, 0), |(k, n), (ck, cn)| (k + ck, n + cn));
        assert!(n > 0, "no busy-4 recording of the fc guest with short walks {short}");
        k as f64 / n as f64
    };
    let (short, long) = (share(true), share(false));
    assert!(short < long / 4.0, "short walks {short:.3}, long walks {long:.3}");
}

/// The edge is 6 to 14 collapsed of 20 seeds; the uncontrolled-load rule picks the first
/// session's twelve points (other builds on the host) and, of the later sessions, only
/// `inrace-million-gap0`: recorded right after a busy-8 point whose 8 threads had run through a
/// longer calibration (its pre-run too), the 1-minute load was 10.05 before it (the rule's
/// threshold is 10; it agrees on every figure either way); `ready1-huge-gap0` and
/// `cpu1-huge-gap0-busy4`, each recorded right after a point with 12 or 16 busy threads (load
/// 13.7 and 16.9 before them; `cpu1-huge-gap0-busy4` agrees on every figure).
#[test]
fn edge_and_uncontrolled_load_rules_pick_what_they_say() {
    let edge: Vec<u64> = (0..=SEEDS).filter(|k| on_the_edge(*k)).collect();
    assert_eq!(edge, (6..=14).collect::<Vec<u64>>());
    let mut uncontrolled = Vec::new();
    for (name, json, _) in points() {
        let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        if load_beyond_point(&doc) > UNCONTROLLED_LOAD {
            uncontrolled.push(name);
        }
    }
    let listed = [
        "cpu1-huge-gap0-busy4",
        "huge-gap0",
        "huge-gap0-busy4",
        "huge-gap0-busy4-repeat",
        "huge-gap0-busy8",
        "huge-gap0-cold",
        "incident-hot-gap0",
        "incident-hot-gap0-busy4",
        "incident-hot-gap0-onecpu",
        "incident-hot-gap15",
        "inrace-million-gap0",
        "large-gap0",
        "large-gap0-onecpu",
        "million-gap0-busy8",
        "ready1-huge-gap0",
    ];
    uncontrolled.sort();
    assert_eq!(uncontrolled, listed);
}

/// The race's shift ([`RACE_IN_LOOP_SHIFT`]) does what it says: at a point behind 360 ms walks
/// the mirrored race (`hbsim assess`'s) gives the heirs the share they won in the pre-run's
/// second run, which the unshifted one does not; behind short walks, after a pre-run whose loop
/// code ran for the first time, and with busy threads it leaves the mirror alone.
#[test]
fn race_in_loop_shift_reaches_the_pre_runs_share() {
    let dir = repo_root().join("tests/data/validation");
    let read = |name: &str| {
        let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap()).unwrap();
        (json, std::fs::read_to_string(dir.join(format!("{name}.toml"))).unwrap())
    };
    let race = |json: &serde_json::Value, text: &str| {
        let scenario = hbsim::scenario::parse(Path::new("mirror.toml"), text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        let params = hbsim::assess::analytic::Params::from_scenario(&scenario, hbsim::model::policy::Policy::Leaky);
        let walk_ns = json["calibration"]["race_walk_us_mean"].as_f64().unwrap() * 1000.0;
        let (wake, back) = params.race(walk_ns);
        hbsim::assess::analytic::win_probability(wake, &back)
    };
    let (json, toml_text) = read("warm-huge-gap0");
    let cal = &json["calibration"];
    let target = hbsim::assess::analytic::race_share(
        cal["race_gaps_won_by_heartbeats"].as_u64().unwrap(),
        cal["race_gaps_between_walks"].as_u64().unwrap(),
    );
    let shifted = race(&json, &configured_scenario_with(&json, &toml_text, true));
    let unshifted = race(&json, &configured_scenario_with(&json, &toml_text, false));
    assert!((shifted - target).abs() < 0.01, "shifted race {shifted} vs the pre-run's {target}");
    assert!((unshifted - target).abs() > 0.05, "unshifted race {unshifted} vs {target}");
    assert_eq!(
        configured_scenario(&json, &toml_text),
        configured_scenario_with(&json, &toml_text, RACE_IN_LOOP_SHIFT)
    );
    for (point, why) in [
        ("warm-incident-hot-gap15", "behind short walks"),
        ("inrace2-huge-gap0", "a pre-run whose loop code ran for the first time"),
        ("inrace2-huge-gap0-busy4", "with busy threads"),
    ] {
        let (json, toml_text) = read(point);
        assert_eq!(
            configured_scenario_with(&json, &toml_text, true),
            configured_scenario_with(&json, &toml_text, false),
            "{point}: {why} the shift does not apply"
        );
    }
}

#[test]
fn wilson_interval_matches_its_formula() {
    let (lo, hi) = wilson(9, 18);
    assert!((lo - 0.290).abs() < 0.005 && (hi - 0.710).abs() < 0.005, "{lo} {hi}");
    assert_eq!(wilson(0, 0), (0.0, 1.0));
    let (lo, hi) = wilson(0, 20);
    assert_eq!(lo, 0.0);
    assert!(hi > 0.15 && hi < 0.17, "{hi}");
}

/// `calibration = "file.toml"`: its [broker] applies beneath the scenario's (the scenario wins),
/// [meta]/[measured] reach summary.json, and a bad key is reported with the calibration file's
/// name, line and field.
#[test]
fn calibration_file_applies_beneath_the_scenario_and_is_recorded() {
    let dir = TempDir::new("calibration");
    std::fs::create_dir_all(dir.path().join("cal")).unwrap();
    dir.write(
        "cal/host.toml",
        "[meta]\njvm = \"test-jvm\"\ncpus = 2\n[measured]\nwalk_ns_per_group_hot_p50 = 25.0\n[broker]\nheartbeat_threads = 3\nclose_cost_per_group = \"25ns\"\n",
    );
    let base = "name = \"cal\"\nduration = \"20s\"\npolicies = [\"leaky\"]\ncalibration = \"cal/host.toml\"\n";
    // The scenario sets close_cost_per_group itself: it wins; heartbeat_threads comes from the file.
    let scenario = dir.write("s.toml", &format!("{base}[broker]\nclose_cost_per_group = \"1us\"\n"));
    let parsed = hbsim::scenario::load(&scenario).unwrap();
    assert_eq!(parsed.broker.heartbeat_threads, 3);
    assert_eq!(parsed.broker.close_cost_per_group, hbsim::scenario::Dist::Const(1_000));
    let output = run_in(dir.path(), &["replay", "s.toml", "--no-charts", "--out", "o"]);
    assert!(output.status.success(), "{}", text(&output));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("o/leaky/summary.json")).unwrap()).unwrap();
    assert_eq!(summary["calibration"]["meta"]["jvm"], "test-jvm");
    assert_eq!(summary["calibration"]["measured"]["walk_ns_per_group_hot_p50"], 25.0);
    assert_eq!(summary["calibration"]["file"], "cal/host.toml");
    // Without the calibration line the defaults apply and nothing is recorded.
    let plain = dir.write("p.toml", "name = \"cal\"\nduration = \"20s\"\npolicies = [\"leaky\"]\n");
    assert_eq!(hbsim::scenario::load(&plain).unwrap().broker.heartbeat_threads, 8);

    dir.write("cal/bad.toml", "[broker]\nheartbeat_thread = 3\n");
    let bad = dir.write("b.toml", &base.replace("cal/host.toml", "cal/bad.toml"));
    let output = run_in(dir.path(), &["replay", bad.to_str().unwrap(), "--out", "o2"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("bad.toml") && err.contains("line 2") && err.contains("heartbeat_thread"),
        "{err}"
    );
    let missing = dir.write("m.toml", &base.replace("cal/host.toml", "cal/none.toml"));
    let output = run_in(dir.path(), &["replay", missing.to_str().unwrap(), "--out", "o3"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("m.toml") && err.contains("calibration") && err.contains("none.toml"),
        "{err}"
    );
    assert!(!dir.path().join("o3").exists(), "no output folder for a bad scenario");
}

/// The CPU model's drain (issue 10): heartbeat threads that won a gap wake each other, and each
/// wake-up may take the walker's CPU (it ran past its slice), so the walker stays away until
/// they have drained their backlog. Without it (`cpus = 0`) a won gap ends as soon as the
/// walker's exit is over, a few registrations later, and the low-load 400,000-group point
/// collapses in most seeds where the harness sailed through (0 timeouts in its last quarter).
#[test]
fn heartbeat_wakeups_keep_the_walker_away_until_the_backlog_drains() {
    let dir = TempDir::new("cpu-model");
    let root = repo_root().join("tests/data/validation");
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(root.join("lowload-large-gap0.json")).unwrap()).unwrap();
    let base = configured_scenario(&doc, &std::fs::read_to_string(root.join("lowload-large-gap0.toml")).unwrap());
    assert!(base.contains("\ncpus = 2\n"), "the point ran on 2 CPUs");
    let run = |base: &str, name: &str, cpus: u32| -> Vec<RunOutcome> {
        (1..=5)
            .map(|seed| {
                let text =
                    base.replace("\ncpus = 2\n", &format!("\ncpus = {cpus}\n"))
                        .replacen("\nseed = 1\n", &format!("\nseed = {seed}\n"), 1);
                let path = dir.write(&format!("{name}-cpus{cpus}-{seed}.toml"), &text);
                hbsim_outcome(&path)
            })
            .collect()
    };
    let with = run(&base, "as-run", 2);
    // With F on an idle host the walker also parks behind heirs that spin (HotSpot's succession),
    // which keeps it away as the CPU model does: without either, the model before both.
    let without = if run_queue_applied() {
        let plain = without_f(&base, &std::fs::read_to_string(root.join("lowload-large-gap0.toml")).unwrap());
        run(&plain, "plain", 0)
    } else {
        run(&base, "as-run", 0)
    };
    let collapsed = |runs: &[RunOutcome]| runs.iter().filter(|r| r.last_quarter_failed > TIPPED_SHARE).count();
    let drained = |runs: &[RunOutcome]| median(&mut runs.iter().map(|r| r.registers_per_won_gap).collect::<Vec<_>>());
    assert_eq!(collapsed(&with), 0, "with the CPU model: {with:?}");
    assert!(collapsed(&without) >= 3, "without it most seeds collapse: {without:?}");
    assert!(
        drained(&with) >= 2.0 * drained(&without),
        "won gaps drain the backlog: {} vs {} registerProducer calls per won gap",
        drained(&with),
        drained(&without)
    );
}

/// The Intel guest of the eleventh to twenty-fifth sessions (`haltpoll`, `fc-v1045`), as [`host`]
/// names it; the Intel guest without a cpuidle driver (`user37-`) is another host.
const INTEL_HALTPOLL: &str = "Intel(R) Xeon(R) Processor";

/// `hbsim calibrate` offers the Intel guest's drift of the kept-release share between sessions
/// (`GUEST_KEPT_WON_DRIFT`) as an assumption: it is what the recordings give, and the recordings
/// do drift there beyond their noise; under 16 busy threads they do not.
#[test]
fn the_offered_drift_is_the_recordings() {
    let intel = |busy: &str| {
        let mut names: Vec<String> = release_counts()
            .iter()
            .filter(|c| c.host == INTEL_HALTPOLL && c.configuration.ends_with(busy) && c.kept_won.is_some())
            .map(|c| c.configuration.clone())
            .collect();
        names.dedup();
        assert_eq!(names.len(), 1, "{names:?}");
        kept_won_drift("", &names[0], None)
    };
    let tau = intel("4000000 groups, 0 µs, 10 closes, 60 s, 4 busy").expect("the busy-4 recordings drift");
    assert!(
        (tau - hbsim::calibrate::GUEST_KEPT_WON_DRIFT).abs() < 0.03,
        "{tau} against {}",
        hbsim::calibrate::GUEST_KEPT_WON_DRIFT
    );
    assert_eq!(intel("5 closes, 60 s, 16 busy"), None);
}

/// `close_cost_per_group_drift` as `hbsim calibrate --table large` writes it
/// ([`hbsim::calibrate::LARGE_TABLE_WALK_DRIFT`]) is what the recordings give: the root mean
/// square of ln(the trigger's mean walk per group / the calibration's figure at the point's
/// size) over the 42 idle points of `user4-` to `user27-` (400,000 to 4,000,000 groups) where the
/// calibration has the walk at that size (a million's alone is not taken beyond two million; the
/// thirty-first session).
#[test]
fn the_large_table_drift_is_the_recordings() {
    let mut logs = Vec::new();
    for (tag, stem) in USER_SESSIONS {
        let n: u32 = match tag.strip_prefix("user").and_then(|n| n.parse().ok()) {
            Some(n) if (4..=27).contains(&n) => n,
            _ => continue,
        };
        let text = std::fs::read_to_string(repo_root().join(format!("{stem}.toml"))).unwrap();
        let cal: toml::Value = toml::from_str(&text).unwrap();
        let m = cal["measured"].as_table().unwrap();
        let num = |key: &str| m.get(key).and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)));
        let walks = hbsim::calibrate::LargeTableWalks::read(num).unwrap_or_else(|| panic!("{tag}: loop walks"));
        let has_huge = num("loop_huge_groups").is_some();
        for point in ["large-gap0", "two-million-gap0", "huge-gap0", "huge-gap15"] {
            let path = repo_root().join(format!("tests/data/validation/user{n}-{point}.json"));
            let Ok(text) = std::fs::read_to_string(&path) else { continue };
            let json: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(json["params"]["busy_threads"].as_u64(), Some(0), "{}", path.display());
            let groups = json["params"]["groups"].as_f64().unwrap();
            if groups > 1_000_000.0 && !has_huge {
                continue;
            }
            let trigger = json["outcome"]["trigger_walk_us_mean"].as_f64().unwrap() * 1000.0 / groups;
            logs.push((trigger / walks.at(groups)).ln());
        }
    }
    assert_eq!(logs.len(), 42, "the points the constant was derived from");
    let rms = (logs.iter().map(|x| x * x).sum::<f64>() / logs.len() as f64).sqrt();
    assert!(
        (rms - hbsim::calibrate::LARGE_TABLE_WALK_DRIFT).abs() < 0.0005,
        "RMS {rms:.4} against {}",
        hbsim::calibrate::LARGE_TABLE_WALK_DRIFT
    );
}

/// The first walk after a quiet spell (`java HbCalib --mode firstwalk`, calibration/jvm/FirstWalk.java),
/// recorded once per table size on the idle AMD guest: what docs/calibration.md says of it, and
/// why the own-walk mirrors take a run's walks at its trigger's level ([`at_trigger_level`]). After
/// 100 ms or more of quiet the first walk is the slow one (by about a millisecond at the
/// incident's size, 4-5% at 400,000 groups, 1-2% at four million) and the walk after it is back
/// to the base beyond the caches; back to back (no idle) the first is the base.
#[test]
fn the_first_walk_after_a_quiet_spell_is_the_slow_one() {
    let rows = |groups: u64| -> Vec<(u64, f64, f64, f64)> {
        let path = repo_root().join(format!("tests/data/calibration/firstwalk-2026-12-05-{groups}.harness.json"));
        let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(doc["mode"].as_str(), Some("firstwalk"));
        assert_eq!(doc["params"]["groups"].as_u64(), Some(groups));
        assert_eq!(doc["params"]["busy_threads"].as_u64(), Some(0));
        let f = |row: &serde_json::Value, key: &str| row[key].as_f64().unwrap_or_else(|| panic!("{groups}: {key}"));
        doc["by_idle"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["idle_ms"].as_u64().unwrap(),
                    f(r, "first_over_base_p50"),
                    f(r, "second_over_base_p50"),
                    f(r, "base_walk_ms_p50"),
                )
            })
            .collect()
    };
    for (groups, quiet_first, quiet_excess_ms) in [
        (15_742, (3.0, 6.0), (0.5, 2.0)),
        (400_000, (1.02, 1.10), (0.5, 3.0)),
        (4_000_000, (1.0, 1.04), (-1.0, 12.0)),
    ] {
        let rows = rows(groups);
        assert!(rows.len() >= 5, "{groups}: {rows:?}");
        for &(idle, first, second, base) in &rows {
            if idle == 0 {
                assert!(first < 1.25, "{groups} groups back to back: the first walk {first} times the base");
            }
            if idle >= 100 {
                assert!(
                    (quiet_first.0..quiet_first.1).contains(&first),
                    "{groups} groups after {idle} ms: the first walk {first} times the base"
                );
                let excess = (first - 1.0) * base;
                assert!(
                    (quiet_excess_ms.0..quiet_excess_ms.1).contains(&excess),
                    "{groups} groups after {idle} ms: {excess} ms more"
                );
                if groups > 100_000 {
                    assert!(
                        (second - 1.0).abs() < 0.015,
                        "{groups} groups after {idle} ms: the second walk {second}"
                    );
                }
            }
        }
    }
}

/// The heartbeat threads' drain on their own (`java HbCalib --mode drain`, calibration/jvm/Drain.java):
/// eight threads take a backlog of 2,000 heartbeats off the queue once the monitor they blocked on
/// is released, nobody else wanting it, beside 0-16 busy threads. Recorded twice on the `fc1-`
/// guest (`-a` and `-b`, 14:25 and 14:32), within the half hour after that session's validation
/// points, whose mirrors configure hbsim at the same load: (busy threads, the recordings' file
/// stem, the validation point).
pub const DRAIN_RECORDINGS: [(u64, &str, &str); 5] = [
    (0, "drain-fc1-busy0", "fc1-huge-gap0"),
    (4, "drain-fc1-busy4", "fc1-huge-gap0-busy4"),
    (8, "drain-fc1-busy8", "fc1-huge-gap0-busy8"),
    (12, "drain-fc1-busy12", "fc1-huge-gap0-busy12"),
    (16, "drain-fc1-busy16", "fc1-huge-gap0-busy16"),
];

/// The JVM's drain after a park as long as the loop's (its walks of 0.8-5 s on this guest): (busy
/// threads, recording, `--hold-ms`); one recording of 7 rounds each, the 1 s ones on the `fc1-`
/// guest, the 3 s ones on the `fc3-` guest (docs/validation.md, the nineteenth and twentieth
/// sessions).
pub const LONG_PARK_DRAIN_RECORDINGS: [(u64, &str, u64); 7] = [
    (0, "drain-fc1-hold1s-busy0", 1000),
    (4, "drain-fc1-hold1s-busy4", 1000),
    (16, "drain-fc1-hold1s-busy16", 1000),
    (0, "drain-fc3-hold3s-busy0", 3000),
    (4, "drain-fc3-hold3s-busy4", 3000),
    (8, "drain-fc3-hold3s-busy8", 3000),
    (16, "drain-fc3-hold3s-busy16", 3000),
];

/// The median round of the drain recordings `stems` (`tests/data/calibration/<stem>.harness.json`,
/// each checked to be a 2,000-heartbeat backlog at `busy` busy threads after a `hold_ms` park), in
/// `registerProducer` calls per ms.
/// The drain recording `tests/data/calibration/<stem>.harness.json`, checked to be what its name
/// says: `busy` busy threads, a `hold_ms` hold, a `backlog` of heartbeats, and `threads` heartbeat
/// threads where the recording names them (`--heartbeat-threads`, from the forty-second session).
fn drain_recording(stem: &str, busy: u64, threads: Option<u64>, hold_ms: u64, backlog: u64) -> serde_json::Value {
    let path = repo_root().join(format!("tests/data/calibration/{stem}.harness.json"));
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let params = &doc["params"];
    assert_eq!(params["busy_threads"].as_u64(), Some(busy), "{stem}");
    assert_eq!(params["hold_ms"].as_u64(), Some(hold_ms), "{stem}");
    assert_eq!(params["backlog_heartbeats"].as_u64(), Some(backlog), "{stem}");
    if let Some(threads) = threads {
        assert_eq!(params["heartbeat_threads"].as_u64(), Some(threads), "{stem}");
    }
    doc
}

fn median_drain_round(stems: &[&str], busy: u64, hold_ms: u64) -> f64 {
    let mut rounds = Vec::new();
    for stem in stems {
        let doc = drain_recording(stem, busy, None, hold_ms, 2000);
        let per_round = doc["measured"]["drain_calls_per_ms"].as_array().expect("drain_calls_per_ms");
        rounds.extend(per_round.iter().map(|v| v.as_f64().expect("a rate")));
    }
    rounds.sort_by(f64::total_cmp);
    let n = rounds.len();
    if n % 2 == 0 {
        (rounds[n / 2 - 1] + rounds[n / 2]) / 2.0
    } else {
        rounds[n / 2]
    }
}

/// hbsim's drain with the same backlog: the point's mirror ([`configured_scenario`]) with one walk
/// of 5.45 s (367 heartbeats/s queue about 2,000 behind it), no timeout (so no close feeds it) and
/// 1 ms samples. `registerProducer` calls per ms from the first sample after the walk in which a
/// heartbeat completes to the first with the queue empty; the median over 5 seeds.
fn hbsim_isolated_drain(point: &str) -> f64 {
    let (_, json) = recorded(point);
    let toml_text = std::fs::read_to_string(repo_root().join(format!("tests/data/validation/{point}.toml"))).unwrap();
    isolated_drain_of(point, &configured_scenario(&json, &toml_text)).0
}

/// [`hbsim_isolated_drain`] of the scenario text `configured` (a point's mirror, configured), with
/// the threads waiting for the monitor over the drain's samples (the mean of the per-sample
/// counts, 1 ms apart), each the median over the 5 seeds.
fn isolated_drain_of(point: &str, configured: &str) -> (f64, f64) {
    // A 25 s walk queues about 9,200 heartbeats at 367 per second: the drain spans 10-40 samples,
    // so the 1 ms sampling is within a few percent of the rate (a 5.45 s walk's 2,000 drained in 4-6
    // samples).
    let walk_s = 25.0;
    let scenario = replace_keys(
        configured,
        &[
            ("close_cost_base", format!("\"{}ms\"", walk_s * 1000.0)),
            ("duration", "\"40s\"".to_string()),
            ("sample_interval", "\"1ms\"".to_string()),
            ("count", "1".to_string()),
            ("close_socket_on_timeout", "false".to_string()),
            ("rpc_timeout", "\"300s\"".to_string()),
        ],
    );
    assert!(scenario.contains("at = \"5000ms\""), "{point}: the trigger moved");
    let walk_end = 5.0 + walk_s;
    let (mut rates, mut waiting): (Vec<f64>, Vec<f64>) = (1..=5)
        .map(|seed| {
            let dir = TempDir::new("drain");
            dir.write("s.toml", &replace_keys(&scenario, &[("seed", seed.to_string())]));
            let out = run_in(dir.path(), &["replay", "s.toml", "--policy", "leaky", "--no-charts", "--out", "o"]);
            assert!(out.status.success(), "{point}: {}", text(&out));
            let (header, fields) = read_timeline(&dir.path().join("o/leaky/timeline.csv"));
            let [t, ok, queue, waiters] =
                ["time_s", "heartbeats_ok", "heartbeat_queue_len", "monitor_waiters"].map(|n| column(&header, &fields, n));
            let start = (0..t.len())
                .position(|i| t[i] > walk_end && ok[i] > 0.0)
                .expect("a heartbeat after the walk");
            let end = start + (start..t.len()).position(|i| queue[i] == 0.0).expect("the queue drained");
            let done: f64 = ok[start..=end].iter().sum();
            assert!(done > 8_000.0, "{point}: {done} heartbeats in the drain");
            let samples = (end - start + 1) as f64;
            // Every background heartbeat registers two groups (see the mirror's [background]).
            (2.0 * done / samples, waiters[start..=end].iter().sum::<f64>() / samples)
        })
        .unzip();
    rates.sort_by(f64::total_cmp);
    waiting.sort_by(f64::total_cmp);
    (rates[2], waiting[2])
}

/// The drain by heartbeat-thread count on the Intel guest (`HbCalib --mode drain --heartbeat-threads
/// T --busy-threads B`, the forty-second session; `-a` and `-b` at 04:25-04:28, `-c` and `-d`, which
/// also run the task's body back to back before each round, at 04:30-04:31): (busy threads, T,
/// recordings). The busy-4 `-d` recordings of 2 and 8 threads were not kept (the session compiled
/// while they waited for the load).
pub const DRAIN_BY_THREADS: [(u64, u64, &[&str]); 8] = [
    (0, 1, &["a", "b", "c", "d"]),
    (0, 2, &["a", "b", "c", "d"]),
    (0, 4, &["a", "b"]),
    (0, 8, &["a", "b", "c", "d"]),
    (4, 1, &["a", "b", "c", "d"]),
    (4, 2, &["a", "b", "c"]),
    (4, 4, &["a", "b"]),
    (4, 8, &["a", "b", "c"]),
];

/// **Measured**: the JVM's heartbeat threads drain a backlog bound by the CPUs, not by the
/// monitor. On the 2-CPU Intel guest, idle, one thread uses one CPU (`drain_cpu_share` 0.50) and
/// two or more use both (0.88-0.98), draining 1.4-1.9 times one thread's rate; HotSpot's entries
/// that went past the spin to park (`sun.rt._sync_ContendedLockAttempts`) come to 0.002 per
/// `registerProducer` call, and its parks to about the T per round behind the hold that queued the
/// backlog, none in the drain itself; a task's CPU time in the drain is 1.4-1.5 times its body run
/// back to back at the same moment (two or more threads; one thread's 1.1-2.0). Beside 4 busy
/// threads two to eight threads use 0.28-0.33 of the two CPUs, two threads' fair share among six
/// (0.33), not eight's among twelve (0.67): at any moment about as many of them run as there are
/// CPUs. hbsim's drain, configured as `user42-huge-gap0`: with F (applied on idle hosts: at most
/// `cpus` executor threads run, their holds passed on by a spin, the loop's hold) within a factor
/// 1.6 of the JVM's eight threads (0.8); without it every thread runs at once, 6 of 8 wait for
/// the monitor's wake-ups, and it drains twice as fast (docs/validation-log.md, the forty-second
/// session).
#[test]
fn the_jvms_drain_is_bound_by_the_cpus() {
    let mut table = String::from(
        "| busy | threads | calls per ms (median round, per recording) | CPU share | contended entries per call | parks | drain / back to back |\n|---|---|---|---|---|---|---|\n",
    );
    let mut idle_rate = std::collections::BTreeMap::new();
    for (busy, threads, runs) in DRAIN_BY_THREADS {
        let mut rates = Vec::new();
        let mut ratios = Vec::new();
        let mut row = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for run in runs {
            let stem = format!("drain-threads-intel-busy{busy}-t{threads}-{run}");
            let doc = drain_recording(&stem, busy, Some(threads), 50, 2000);
            let m = &doc["measured"];
            let f = |k: &str| m[k].as_f64().unwrap_or_else(|| panic!("{stem}: no {k}"));
            let (rate, share, contended, parks) = (
                f("drain_calls_per_ms_p50"),
                f("drain_cpu_share_p50"),
                f("sync_ContendedLockAttempts_per_call"),
                f("sync_Parks"),
            );
            let rounds = doc["params"]["rounds"].as_f64().expect("rounds");
            // The parks behind the main thread's hold (one per thread and round), and a few more.
            assert!(
                parks <= 1.5 * threads as f64 * rounds + 5.0,
                "{stem}: {parks} parks: the threads park in the drain itself"
            );
            assert!(contended < 0.005, "{stem}: {contended} contended entries per call");
            if busy == 0 && threads == 1 {
                assert!((0.45..=0.55).contains(&share), "{stem}: one thread on {share} of the CPUs");
            } else if busy == 0 {
                assert!(share >= 0.85, "{stem}: {share} of the CPUs: not bound by them");
            } else if threads >= 2 {
                assert!(
                    (0.25..=0.40).contains(&share),
                    "{stem}: {share} of the CPUs beside 4 busy threads (two threads' fair share 0.33, eight's 0.67)"
                );
            }
            if let Some(ratio) = m["drain_over_back_to_back_p50"].as_f64().filter(|_| busy == 0 && threads >= 2) {
                assert!(
                    (1.2..=1.8).contains(&ratio),
                    "{stem}: a task costs {ratio} times its body back to back"
                );
            }
            if let Some(ratio) = m["drain_over_back_to_back_p50"].as_f64() {
                ratios.push(format!("{ratio:.2}"));
            }
            rates.push(rate);
            row.0.push(format!("{rate:.0}"));
            row.1.push(format!("{share:.2}"));
            row.2.push(format!("{contended:.4}"));
            row.3.push(format!("{parks:.0}"));
        }
        rates.sort_by(f64::total_cmp);
        let n = rates.len();
        let median = if n % 2 == 0 {
            (rates[n / 2 - 1] + rates[n / 2]) / 2.0
        } else {
            rates[n / 2]
        };
        if busy == 0 {
            idle_rate.insert(threads, median);
        }
        table.push_str(&format!(
            "| {busy} | {threads} | {} | {} | {} | {} | {} |\n",
            row.0.join(", "),
            row.1.join(", "),
            row.2.join(", "),
            row.3.join(", "),
            if ratios.is_empty() { "—".to_string() } else { ratios.join(", ") }
        ));
    }
    let one = idle_rate[&1];
    for (&threads, &rate) in idle_rate.iter().filter(|(t, _)| **t >= 2) {
        assert!(
            (1.3..=2.2).contains(&(rate / one)),
            "idle, {threads} threads drain {rate:.0} against one thread's {one:.0}: not bound by two CPUs\n{table}"
        );
    }
    // hbsim's drain, configured as an idle point on this guest, by thread count.
    let point = "user42-huge-gap0";
    let (_, json) = recorded(point);
    let toml_text = std::fs::read_to_string(repo_root().join(format!("tests/data/validation/{point}.toml"))).unwrap();
    let base = configured_scenario(&json, &toml_text);
    table.push_str(&format!(
        "\n| hbsim ({point}): threads | calls per ms | threads waiting for the monitor (mean) |\n|---|---|---|\n"
    ));
    let mut at_8 = (0.0, 0.0);
    for threads in [1, 2, 8] {
        let (rate, waiting) = isolated_drain_of(point, &replace_keys(&base, &[("heartbeat_threads", threads.to_string())]));
        table.push_str(&format!("| {threads} | {rate:.0} | {waiting:.2} |\n"));
        if threads == 8 {
            at_8 = (rate, waiting);
        }
    }
    // The JVM's eight threads on this guest, idle: the median of the four recordings' rounds.
    let jvm_8 = idle_rate[&8];
    let ratio = at_8.0 / jvm_8;
    table.push_str(&format!("\nhbsim's eight threads over the JVM's: {ratio:.2}\n"));
    eprintln!("{table}");
    if run_queue_applied() {
        // F (at most `cpus` run, their holds passed on by a spin, the loop's hold): the JVM's
        // drain within a factor 1.6; the six that wait are parked once, not woken in turn.
        assert!((1.0 / 1.6..=1.6).contains(&ratio), "F's drain against the JVM's\n{table}");
    } else {
        assert!(
            at_8.1 >= 4.0 && ratio > 1.6,
            "hbsim's drain no longer waits on the monitor's wake-ups: update the test and docs\n{table}"
        );
    }
}

/// The forty-third session's drains on the Intel guest after a hold of 50 ms or 3 s (`drain-threads-
/// intel-hold{50ms,3s}-busyB-tT[-n8000]`, `-a` and `-b`, 06:54-07:19 UTC): (busy threads, T, hold,
/// backlog).
pub const DRAIN_AFTER_SLEEP: [(u64, u64, &str, u64); 7] = [
    (8, 8, "50ms", 2000),
    (8, 8, "3s", 2000),
    (8, 2, "50ms", 2000),
    (8, 2, "3s", 2000),
    (4, 8, "3s", 2000),
    (0, 8, "3s", 2000),
    (8, 8, "3s", 8000),
];

/// **Measured**: a heartbeat thread woken after a long sleep takes no more than its fair share of
/// a busy host's CPUs. Beside 8 busy threads the drain's threads use 0.15-0.24 of the two CPUs
/// after a 50 ms hold and after a 3 s one (as long as the loop's walks), with 2 threads or 8: two
/// threads' fair share among ten (0.2), no credit for the sleep. What moves its rate is the CPU
/// time a task takes: 4.2-7.4 µs in a drain of 2,000 heartbeats, 2.1-2.4 µs in one of 8,000, which
/// drains 2-3 times as fast at the same share (364 and 501 calls per ms against 151 and 201).
/// hbsim with F (the run queue, a spin, the loop's hold, each hold at its own speed), configured
/// as `user51-huge-gap0-busy8`, drains within a factor 1.6 of the JVM's 2,000-heartbeat drains
/// beside 8 busy threads (the loop's won gaps there drain 1,000-1,200); its drain does not speed
/// up with the backlog as the JVM's does (docs/validation-log.md, the forty-third session).
#[test]
fn a_woken_heartbeat_thread_takes_its_fair_share_of_a_busy_host() {
    let mut table = String::from(
        "| busy | threads | hold | backlog | calls per ms (median round, -a, -b) | CPU share | CPU per task (us) |\n|---|---|---|---|---|---|---|\n",
    );
    let mut short_busy8 = Vec::new();
    let mut long_busy8 = Vec::new();
    for (busy, threads, hold, backlog) in DRAIN_AFTER_SLEEP {
        let mut row = (Vec::new(), Vec::new(), Vec::new());
        for run in ["a", "b"] {
            let n = if backlog == 2000 { String::new() } else { format!("-n{backlog}") };
            let stem = format!("drain-threads-intel-hold{hold}-busy{busy}-t{threads}{n}-{run}");
            let hold_ms = if hold == "3s" { 3000 } else { 50 };
            let doc = drain_recording(&stem, busy, Some(threads), hold_ms, backlog);
            let m = &doc["measured"];
            let f = |k: &str| m[k].as_f64().unwrap_or_else(|| panic!("{stem}: no {k}"));
            let (rate, share, per_task) = (
                f("drain_calls_per_ms_p50"),
                f("drain_cpu_share_p50"),
                f("drain_cpu_per_task_us_p50"),
            );
            if busy == 8 {
                // Two threads' fair share among ten, whatever the hold: no credit for the sleep.
                assert!((0.12..=0.30).contains(&share), "{stem}: {share} of the CPUs beside 8 busy threads");
                if backlog == 2000 {
                    short_busy8.push((rate, per_task));
                } else {
                    long_busy8.push((rate, per_task));
                }
            }
            row.0.push(format!("{rate:.0}"));
            row.1.push(format!("{share:.2}"));
            row.2.push(format!("{per_task:.2}"));
        }
        table.push_str(&format!(
            "| {busy} | {threads} | {hold} | {backlog} | {} | {} | {} |\n",
            row.0.join(", "),
            row.1.join(", "),
            row.2.join(", ")
        ));
    }
    // The long drain is the faster, by its CPU per task.
    let fastest_short = short_busy8.iter().map(|r| r.0).fold(0.0, f64::max);
    let cheapest_short = short_busy8.iter().map(|r| r.1).fold(f64::MAX, f64::min);
    for &(rate, per_task) in &long_busy8 {
        assert!(rate > 1.5 * fastest_short, "the 8,000 backlog drains at {rate:.0}\n{table}");
        assert!(per_task < cheapest_short, "the 8,000 backlog's CPU per task {per_task}\n{table}");
    }
    let mut rates: Vec<f64> = short_busy8.iter().map(|r| r.0).collect();
    let jvm = median(&mut rates);
    // hbsim with F, configured as a busy-8 point on this guest, its threads at an even share.
    let point = "user51-huge-gap0-busy8";
    let (busy, json) = recorded(point);
    assert_eq!(busy, 8);
    let toml_text = std::fs::read_to_string(repo_root().join(format!("tests/data/validation/{point}.toml"))).unwrap();
    let configured = replace_keys(&configured_scenario(&json, &toml_text), &run_queue_keys());
    let even = replace_keys(&configured, &[("cpu_executor_share", "0.0".to_string())]);
    let (rate, _) = isolated_drain_of(point, &even);
    let ratio = rate / jvm;
    table.push_str(&format!(
        "\nhbsim with F ({point}): {rate:.0} calls per ms, {ratio:.2} of the JVM's 2,000-heartbeat drains beside 8 busy threads ({jvm:.0})\n"
    ));
    // With I's share (the loop's heirs took 0.29 of the CPUs beside 8 busy threads, where these
    // drains' threads took a fair share): faster than the isolated drain, by about the ratio of
    // the shares (1.35 of the JVM's with L, 1.97 before). Known: the model has one share for both
    // (docs/validation-log.md, the forty-fourth and forty-seventh sessions).
    let (share_rate, _) = isolated_drain_of(
        point,
        &replace_keys(&configured, &[("cpu_executor_share", format!("{EXECUTOR_SHARE}"))]),
    );
    let share_ratio = share_rate / jvm;
    table.push_str(&format!(
        "hbsim with I's share {EXECUTOR_SHARE}: {share_rate:.0} calls per ms, {share_ratio:.2} of the JVM's\n"
    ));
    eprintln!("{table}");
    assert!((1.0 / 1.6..=1.6).contains(&ratio), "F's drain beside 8 busy threads\n{table}");
    assert!(
        share_rate > rate && share_ratio > 1.3,
        "I's drain beside 8 busy threads no longer above the isolated JVM's: update the test and docs\n{table}"
    );
}

/// With I's share, the heartbeat threads draining a backlog beside busy threads use no more of the
/// CPUs than the share, their holds counted with their unlocked work, as the harness counts the
/// loop's heirs (ThreadMXBean CPU time over the won gaps' wall time times the CPUs: 0.36, 0.29,
/// 0.26 and 0.27 beside 4 to 16 busy threads, the forty-fourth session). Counted from the hold
/// trace with the heartbeat's unlocked cost fixed; a hold's CPU that ran past the share is repaid
/// before the thread's next unlocked piece (L, docs/validation-log.md, the forty-seventh session;
/// without it the same count gave 0.38-0.41 at the validation's busy points).
#[test]
fn the_heirs_holds_count_against_their_share_of_the_cpus() {
    let point = "user51-huge-gap0-busy8";
    let (busy, json) = recorded(point);
    assert_eq!(busy, 8);
    let toml_text = std::fs::read_to_string(repo_root().join(format!("tests/data/validation/{point}.toml"))).unwrap();
    let configured = replace_keys(&configured_scenario(&json, &toml_text), &run_queue_keys());
    let unlocked_ns = 2_000u64;
    let scenario = replace_keys(
        &configured,
        &[
            ("cpu_executor_share", format!("{EXECUTOR_SHARE}")),
            ("heartbeat_cost", format!("\"{unlocked_ns}ns\"")),
            ("close_cost_base", "\"10s\"".to_string()),
            ("duration", "\"25s\"".to_string()),
            ("count", "1".to_string()),
            ("close_socket_on_timeout", "false".to_string()),
            ("rpc_timeout", "\"300s\"".to_string()),
        ],
    );
    let dir = TempDir::new("share");
    dir.write("s.toml", &scenario);
    let out = run_in(
        dir.path(),
        &[
            "replay",
            "s.toml",
            "--policy",
            "leaky",
            "--no-charts",
            "--out",
            "o",
            "--trace-holds",
        ],
    );
    assert!(out.status.success(), "{point}: {}", text(&out));
    let rows = read_holds(&dir.path().join("o/leaky/holds.csv"));
    // The drain: from the long walk's release to the first lull of a millisecond.
    let release = rows.iter().filter(|r| r.kind == 'W').map(|r| r.out_ns).max().expect("the walk");
    let mut drain: Vec<&HoldRow> = rows.iter().filter(|r| r.kind == 'H' && r.in_ns >= release).collect();
    drain.sort_by_key(|r| r.in_ns);
    let end = drain
        .windows(2)
        .position(|w| w[1].in_ns - w[0].out_ns > 1_000_000)
        .map_or(drain.len(), |i| i + 1);
    let drain = &drain[..end];
    assert!(drain.len() > 4_000, "{point}: {} holds in the drain", drain.len());
    let held: u64 = drain.iter().map(|r| r.out_ns - r.in_ns).sum();
    // Each heartbeat registers two groups, one trace row per call; one unlocked piece per heartbeat.
    let cpu = held + drain.len() as u64 / 2 * unlocked_ns;
    let wall = drain.last().unwrap().out_ns - release;
    let share = cpu as f64 / (wall as f64 * 2.0);
    eprintln!(
        "{point}: {} calls in {:.1} ms, CPU share {share:.3} (holds {:.3})",
        drain.len(),
        wall as f64 / 1e6,
        held as f64 / (wall as f64 * 2.0)
    );
    assert!(
        (EXECUTOR_SHARE - 0.05..=EXECUTOR_SHARE + 0.01).contains(&share),
        "{point}: the draining threads took {share:.3} of the CPUs, the share is {EXECUTOR_SHARE}"
    );
}

/// **Known**: hbsim's heartbeat threads drain a backlog faster than the JVM's under load, and the
/// more so the busier the host (on an idle host, with F since the forty-second session, within a
/// factor 1.6 of it: 0.7-0.8). The JVM's drain after a 50 ms park falls about tenfold from 0
/// to 16 busy threads, its rounds in steps of the scheduler's 4 ms tick (which suggests a
/// heartbeat thread preempted while it holds the monitor, and woken ones waiting for a CPU; not
/// measured apart); hbsim's executor threads do their work without waiting for a CPU, so its
/// drain does not slow with the busy threads at all (docs/validation.md, the nineteenth session).
/// Asserted as it stands, so that a model which makes them wait turns this test around: hbsim
/// above the JVM's median round everywhere, beyond [`REGISTERS_FACTOR`] from 4 busy threads on,
/// and its excess at 16 busy threads at least three times its excess on the idle host. After a
/// park as long as the loop's (1 s, 3 s: [`LONG_PARK_DRAIN_RECORDINGS`]) the JVM drains faster under
/// load (83 and 77 calls per ms under 16 busy threads against 43) and hbsim is still above it at
/// every load.
///
/// With I ([`RUN_QUEUE_LOADED`], since the forty-fourth session) the heartbeat threads take the
/// loop's share of the CPUs in its won gaps (0.3), more than the isolated drain's threads take (a
/// fair share: 0.15-0.24 beside 8 busy threads, [`a_woken_heartbeat_thread_takes_its_fair_share_of_a_busy_host`]):
/// With L (the forty-seventh session) their holds count against that share too: hbsim drains at
/// 137-175 calls per ms beside 4 to 16 busy threads (197-246 before L), at the JVM's isolated
/// drain beside 4 busy threads (1.1; 0.9 and 1.0 after a 1 s and a 3 s park: within a factor
/// 1.6) and 2.4-3.6 times it beside 8-16, so beyond [`REGISTERS_FACTOR`] from 8 busy threads on.
#[test]
fn the_heartbeat_threads_drain_faster_than_the_jvms_and_do_not_slow_under_load() {
    let mut table = String::from(
        "| busy threads | JVM: calls per ms (median of the -a and -b rounds) | hbsim (median of 5 seeds) | hbsim / JVM |\n|---|---|---|---|\n",
    );
    let mut ratios = Vec::new();
    let mut hbsim_at = Vec::new();
    for (busy, stem, point) in DRAIN_RECORDINGS {
        let jvm = median_drain_round(&[&format!("{stem}-a"), &format!("{stem}-b")], busy, 50);
        let hbsim = hbsim_isolated_drain(point);
        let ratio = hbsim / jvm;
        table.push_str(&format!("| {busy} | {jvm:.0} | {hbsim:.0} | {ratio:.1} |\n"));
        ratios.push((busy, ratio));
        hbsim_at.push((busy, hbsim));
    }
    table.push_str("\n| busy threads | park | JVM: calls per ms (median round) | hbsim / JVM |\n|---|---|---|---|\n");
    let mut long_park = Vec::new();
    for (busy, stem, hold_ms) in LONG_PARK_DRAIN_RECORDINGS {
        let jvm = median_drain_round(&[stem], busy, hold_ms);
        let hbsim = hbsim_at.iter().find(|(b, _)| *b == busy).expect("hbsim at that load").1;
        table.push_str(&format!("| {busy} | {} s | {jvm:.0} | {:.1} |\n", hold_ms / 1000, hbsim / jvm));
        long_park.push((busy, hold_ms, hbsim / jvm));
    }
    eprintln!("{table}");
    if time_sharing_applied() {
        // E: the drain slows with the load as the JVM's does; what is left is the idle drain's
        // own excess (hbsim's hand-off, not the CPU).
        for &(busy, ratio) in &ratios {
            assert!(
                (1.0 / SHARED_DRAIN_FACTOR..=SHARED_DRAIN_FACTOR).contains(&ratio),
                "busy {busy}: hbsim's drain against the JVM's\n{table}"
            );
        }
        for (busy, hold_ms, ratio) in long_park {
            assert!(
                (1.0 / SHARED_DRAIN_FACTOR..=SHARED_DRAIN_FACTOR).contains(&ratio),
                "busy {busy}, {hold_ms} ms park: hbsim's drain against the JVM's\n{table}"
            );
        }
        let (idle, loaded) = (ratios[0].1, ratios.last().expect("16 busy threads").1);
        assert!(loaded < 1.5 * idle, "the excess grows with the load again\n{table}");
        return;
    }
    // F on an idle host (run as the JVM runs them, the loop's hold): the idle drain is the
    // JVM's within a factor 1.6; with I and L beside 4 busy threads too; the loaded ones as they
    // stand.
    let shared = run_queue_loaded() && executor_share_applied() && run_queue_applied();
    let idle_agrees =
        |busy: u64, ratio: f64| ((busy == 0 && run_queue_applied()) || (busy == 4 && shared)) && (1.0 / 1.6..=1.6).contains(&ratio);
    for (busy, hold_ms, ratio) in long_park {
        assert!(
            ratio > 1.0 || idle_agrees(busy, ratio),
            "busy {busy}, {hold_ms} ms park: hbsim's drain no faster than the JVM's: update the test and docs\n{table}"
        );
        if busy == 0 && run_queue_applied() {
            assert!(idle_agrees(busy, ratio), "busy 0, {hold_ms} ms park: F's idle drain\n{table}");
        }
    }
    let idle = ratios[0].1;
    for &(busy, ratio) in &ratios {
        assert!(
            ratio > 1.0 || idle_agrees(busy, ratio),
            "busy {busy}: hbsim's drain no faster than the JVM's: update the test and docs\n{table}"
        );
        if busy == 0 && run_queue_applied() {
            assert!(idle_agrees(busy, ratio), "busy 0: F's idle drain\n{table}");
        }
        let beyond_from = if shared { 8 } else { 4 };
        if busy >= beyond_from {
            assert!(
                ratio > REGISTERS_FACTOR,
                "busy {busy}: the drain under load agrees: update the test and docs\n{table}"
            );
        }
    }
    let loaded = ratios.last().expect("16 busy threads").1;
    assert!(
        loaded > 3.0 * idle,
        "hbsim's drain now slows with the load: update the test and docs\n{table}"
    );
}

#[test]
fn without_tick_caps_the_wake_up_knots_above_a_millisecond() {
    let json = serde_json::json!({"calibration": {
        "wake_latency_us_long_park_min": 3.0, "wake_latency_us_long_park_p1": 3.0,
        "wake_latency_us_long_park_p5": 3.5, "wake_latency_us_long_park_p10": 3.8,
        "wake_latency_us_long_park_p50": 19.9, "wake_latency_us_long_park_p90": 2463.4,
        "wake_latency_us_long_park_p99": 4253.5, "wake_latency_us_long_park_max": 4253.5,
        "wake_latency_us_p50": 4001.0, "wake_latency_us_max": 4100.0,
        "exit_cost_us_p90": 5000.0
    }});
    let capped = without_tick(&json);
    let cal = &capped["calibration"];
    for q in ["p90", "p99", "max"] {
        assert_eq!(cal[format!("wake_latency_us_long_park_{q}")], 19.9, "{q}");
    }
    assert_eq!(cal["wake_latency_us_long_park_p50"], 19.9);
    assert_eq!(cal["wake_latency_us_long_park_p10"], 3.8);
    // No knot under the edge: left as measured. Other figures: untouched.
    assert_eq!(cal["wake_latency_us_p50"], 4001.0);
    assert_eq!(cal["exit_cost_us_p90"], 5000.0);
}

/// One point's scenarios as the validation runs them (`<point>-first.toml`, the first table's,
/// and for a user session's point `<point>-user.toml`, its calibration's): each loads, at the
/// loop's seed 1 and duration, and the user path's names its session's calibration. The point is
/// `HBSIM_MIRROR_POINT` (default `user73-huge-gap3`), the folder `HBSIM_MIRROR_OUT` (default a
/// temporary one): set both to run and trace one point with `hbsim replay --trace-holds`.
#[test]
fn a_points_mirror_loads_as_the_validation_runs_it() {
    let name = std::env::var("HBSIM_MIRROR_POINT").unwrap_or_else(|_| "user73-huge-gap3".to_string());
    let temp = TempDir::new("mirror");
    let out = std::env::var("HBSIM_MIRROR_OUT").map_or_else(|_| temp.path().to_path_buf(), PathBuf::from);
    std::fs::create_dir_all(&out).unwrap();
    let (_, doc) = recorded(&name);
    let mirror = std::fs::read_to_string(repo_root().join(format!("tests/data/validation/{name}.toml"))).unwrap();
    let calibration = user_calibration(&name, &doc).map(|c| with_after_exit_race(&c, &out.join(format!("{name}-calibration.toml"))));
    let mut files = vec![(
        format!("{name}-first.toml"),
        match &calibration {
            Some(c) => user_scenario(&doc, &mirror, c, Walks::Loop),
            None => configured_scenario(&doc, &mirror),
        },
    )];
    if let Some(c) = &calibration {
        files.push((format!("{name}-user.toml"), user_scenario(&doc, &mirror, c, Walks::Calibration)));
    }
    let duration_s = doc["params"]["duration_s"].as_f64().expect("params.duration_s");
    for (file, text) in files {
        let path = out.join(&file);
        std::fs::write(&path, with_idle_hold_tail(&doc, &text)).unwrap();
        let scenario = hbsim::scenario::load(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(scenario.seed, 1, "{file}");
        assert_eq!(scenario.duration_ns, (duration_s * 1e9) as u64, "{file}");
        if file.ends_with("-user.toml") {
            assert!(text.contains("calibration = "), "{file} names no calibration");
        }
    }
    assert!(calibration.is_some() || name != "user73-huge-gap3", "user73- is a user session");
}

/// Q's hold ([`hbsim::calibrate::LOOP_HOLD_IDLE`], not applied) is the recorded idle traces' won
/// gaps: each knot the pooled holds' quantile (nearest rank), and `max` where the draws above
/// p99.9, linear up to it, average what the traces' did.
#[test]
fn the_idle_hold_is_the_traces() {
    let text = std::fs::read_to_string(repo_root().join("tests/data/holds/idle-won-gap-holds-2026-12-07.txt")).unwrap();
    let mut holds: Vec<u64> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .flat_map(|l| l.split_whitespace().skip(1).map(|v| v.parse::<u64>().expect("a hold in ns")))
        .collect();
    assert_eq!(holds.len(), 45_153);
    holds.sort_unstable();
    let quantile = |p: f64| holds[(p * (holds.len() - 1) as f64).round() as usize] as f64;
    let knots: toml::Table = format!("x = {}", hbsim::calibrate::LOOP_HOLD_IDLE).parse().unwrap();
    let knot = |key: &str| hbsim::scenario::parse_duration(knots["x"][key].as_str().unwrap()).unwrap() as f64;
    // Every knot but `max`, at the quantile the scenario format gives it.
    let keys = hbsim::scenario::units::EMPIRICAL_KEYS.iter();
    for (&key, &p) in keys.zip(&hbsim::scenario::units::EMPIRICAL_QUANTILES).filter(|(k, _)| **k != "max") {
        let (written, traced) = (knot(key), quantile(p));
        assert!(
            (written - traced).abs() <= traced * 0.001 + 1.0,
            "{key}: {written} ns written, {traced} ns traced"
        );
    }
    let p999 = quantile(0.999);
    let top: Vec<f64> = holds.iter().map(|&h| h as f64).filter(|&h| h >= p999).collect();
    let top_mean = top.iter().sum::<f64>() / top.len() as f64;
    let uniform_mean = (knot("p999") + knot("max")) / 2.0;
    assert!(
        (uniform_mean - top_mean).abs() < 1_000.0,
        "{uniform_mean} against the traces' {top_mean}"
    );
    // One hold in a thousand is 0.1 ms or more: the tail LOOP_HOLD lacks.
    let long = holds.iter().filter(|&&h| h >= 100_000).count();
    assert_eq!(long, 45);
}
