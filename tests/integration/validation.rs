//! hbsim against the JVM harness (issue 10, docs/validation.md). Each point of
//! tests/data/validation/ is a recorded real-time run of calibration/jvm/Validate.java
//! (`<point>.json`) and an hbsim scenario mirroring its loop with the same session's calibration
//! (`<point>.toml`); the test configures six keys of it from the JSON and the full calibration
//! sessions (see [`configured_scenario`]), runs it with five seeds and takes the majority verdict.
//! hbsim must agree on tipped-or-not at every point and on the median heartbeat response within
//! the tolerance below, except at the points listed as known disagreements (each asserted to
//! still disagree). No JVM and no real time is needed here.

use crate::common::{repo_root, run_in, text, TempDir};
use std::path::PathBuf;

/// Median response: within a factor of 3 either way, or both under 1 ms. The harness's response
/// is the client-side time of a real JVM on a shared 2-core host (scheduling noise, GC, the
/// harness's own threads); hbsim's is the broker-side time in a model whose costs are the
/// calibration's medians. Their medians differ by the host's noise, which the calibration
/// measured at p50 vs p90 ratios of 1.5-3 (wake-up, heartbeat cost): a factor of 3 is that
/// spread, not a fitted number. Below 1 ms both are "no queueing".
pub const P50_FACTOR: f64 = 3.0;
pub const P50_FLOOR_MS: f64 = 1.0;

/// The collapse rule shared with the harness (its `tipped_definition`) and `hbsim sweep`:
/// more than half of the heartbeats of the last quarter failed.
pub const TIPPED_SHARE: f64 = 0.5;

/// Points where hbsim disagrees with the harness today, with the reason (docs/validation.md).
/// `huge-gap0-busy4` (4,000,000 groups, 4 extra runnable threads): its walks (3.0 s in the loop)
/// last as long as the heartbeats' 3 s deadline, so the outcome hangs on which gaps the heartbeats
/// win; the harness tipped there twice (0.79 and, as `huge-gap0-busy4-repeat` with 3.5 s walks,
/// 1.00), hbsim tips in fewer than half of its seeds: hbsim's heartbeat threads never wait for a
/// CPU, so with the walker away they drain the backlog faster than the real ones sharing 2 CPUs
/// with 4 spinning threads. The test asserts it still disagrees, so a model that fixes it has to
/// remove it from this list.
pub const KNOWN_DISAGREEMENTS: [&str; 1] = ["huge-gap0-busy4"];

/// Points where hbsim agrees on tipped-or-not but not on the median response, with the reason
/// (docs/validation.md). `huge-gap0`: the harness's trigger of 10 closes (6.3 s of 630 ms walks)
/// started a 23-second burst in which every heartbeat timed out before the loop recovered (median
/// 1.6 s over the run); in hbsim the heartbeats win nearly every gap after the trigger's walks and
/// drain at once (median 3 µs). hbsim's exit-cost/wake-up race gives the heartbeats a gap far more
/// often than the harness's hand-off experiment measures at a 0 µs gap (2-7%), so it recovers at
/// once where the real loop needed seconds. Asserted to still disagree.
pub const KNOWN_RESPONSE_DISAGREEMENTS: [&str; 1] = ["huge-gap0"];

/// hbsim's verdict at a point: tipped in the majority of these seeds (the harness ran once; hbsim's
/// verdict is "k of n seeds collapsed", as in `hbsim sweep`).
pub const SEEDS: [u64; 5] = [1, 2, 3, 4, 5];

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
    format!("{{ dist = \"exponential\", mean = \"{}us\" }}", (mean_us / 100.0).round() * 100.0)
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

/// The session's measured percentiles [µs] of `key` (p50, p90, p99, max) as an empirical
/// distribution in scenario syntax. The tail is what decides a gap (a walker preempted at its
/// release leaves the monitor to heartbeats for milliseconds); a lognormal through two
/// percentiles cannot hold both the tight body (p90/p50 ≈ 1.1) and the millisecond p99.
fn empirical(cal: &serde_json::Value, key: &str) -> String {
    let mut last = 0.0f64;
    let ns: Vec<String> = ["p50", "p90", "p99", "max"]
        .iter()
        .map(|p| {
            let v = cal[format!("{key}_{p}")]
                .as_f64()
                .unwrap_or_else(|| panic!("no {key}_{p}"))
                .max(last);
            last = v;
            format!("{}ns", (v * 1000.0).round().max(1.0))
        })
        .collect();
    format!(
        "{{ dist = \"empirical\", p50 = \"{}\", p90 = \"{}\", p99 = \"{}\", max = \"{}\" }}",
        ns[0], ns[1], ns[2], ns[3]
    )
}

/// The point's scenario configured from the same session's calibration, as the test runs it:
/// `<point>.toml` with these keys replaced from `<point>.json`:
/// - `close_cost_per_group`: the loop's own walks (`outcome.walk_us_mean / params.groups`); a
///   walk's cost depends on how hot the table is, which back-to-back walks in the loop decide and
///   the session's separate walk measurement does not see;
/// - `monitor_exit_cost` and `monitor_wake_latency`: empirical distributions through the
///   session's p50, p90, p99 and max;
/// - `cpus` (the session's `meta.cpus`), `cpu_other_runnable` (load average before the point plus
///   the harness's busy threads) and `cpu_wait` ([`cpu_wait`]): the CPU model.
pub fn configured_scenario(json: &serde_json::Value, toml_text: &str) -> String {
    let num = |v: &serde_json::Value, key: &str| v[key].as_f64().unwrap_or_else(|| panic!("no {key}"));
    let (outcome, params, cal) = (&json["outcome"], &json["params"], &json["calibration"]);
    // The CPU model: the session's CPUs (1 for the pinned points), the host's other runnable work
    // (the 1-minute load average before the point plus the harness's busy threads: only whether a
    // CPU is idle matters), and the walker's wait from the full calibration sessions.
    let load: f64 = json["loadavg_before"]
        .as_str()
        .and_then(|l| l.split_whitespace().next())
        .and_then(|l| l.parse().ok())
        .unwrap_or(0.0);
    let other = load.floor() as u64 + num(params, "busy_threads") as u64;
    let cpus = json["meta"]["cpus"].as_u64().unwrap_or_else(|| panic!("no meta.cpus"));
    let mut replace: Vec<(&str, String)> = vec![
        ("monitor_exit_cost", empirical(cal, "exit_cost_us")),
        ("monitor_wake_latency", empirical(cal, "wake_latency_us")),
        ("cpus", cpus.to_string()),
        ("cpu_other_runnable", other.to_string()),
        ("cpu_wait", cpu_wait()),
    ];
    if num(outcome, "walks") > 0.0 {
        let per_group = (num(outcome, "walk_us_mean") * 1000.0 / num(params, "groups")).round().max(1.0);
        replace.push(("close_cost_per_group", format!("\"{per_group}ns\"")));
    }
    let mut done = Vec::new();
    let lines: Vec<String> = toml_text
        .lines()
        .map(|line| {
            for (key, value) in &replace {
                if line.starts_with(&format!("{key} =")) {
                    done.push(*key);
                    return format!("{key} = {value}");
                }
            }
            line.to_string()
        })
        .collect();
    let mut text = lines.join("\n") + "\n";
    for (key, value) in &replace {
        if !done.contains(key) {
            // Not in the mirror: add it to [broker].
            text = text.replacen("[broker]\n", &format!("[broker]\n{key} = {value}\n"), 1);
        }
    }
    text
}

/// hbsim's outcome at one point: (last-quarter failed share, median response [ms]).
pub fn hbsim_outcome(dir: &TempDir, scenario: &std::path::Path, out: &str) -> (f64, f64) {
    let output = run_in(
        dir.path(),
        &[
            "replay",
            scenario.to_str().unwrap(),
            "--policy",
            "leaky",
            "--no-charts",
            "--out",
            out,
        ],
    );
    assert!(output.status.success(), "{}", text(&output));
    let timeline = std::fs::read_to_string(dir.path().join(out).join("leaky/timeline.csv")).unwrap();
    let mut lines = timeline.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("no column {name}"));
    let (ok, timed_out, busy, p50) = (
        col("heartbeats_ok"),
        col("heartbeats_timed_out"),
        col("heartbeats_busy"),
        col("heartbeat_latency_p50_ms"),
    );
    let rows: Vec<Vec<f64>> = lines
        .map(|l| l.split(',').map(|v| v.parse::<f64>().unwrap_or(0.0)).collect())
        .collect();
    let last = &rows[rows.len() - rows.len() / 4..];
    let failed: f64 = last.iter().map(|r| r[timed_out] + r[busy]).sum();
    let total: f64 = last.iter().map(|r| r[timed_out] + r[busy] + r[ok]).sum();
    let share = if total == 0.0 { 0.0 } else { failed / total };
    // The run's median response: the heartbeat-weighted median of the per-second medians.
    let mut weighted: Vec<(f64, f64)> = rows.iter().filter(|r| r[ok] > 0.0).map(|r| (r[p50], r[ok])).collect();
    weighted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let half = weighted.iter().map(|w| w.1).sum::<f64>() / 2.0;
    let mut acc = 0.0;
    let mut median = 0.0;
    for (value, weight) in weighted {
        acc += weight;
        if acc >= half {
            median = value;
            break;
        }
    }
    (share, median)
}

#[test]
fn hbsim_agrees_with_the_jvm_harness_at_every_recorded_point() {
    let points = points();
    if !repo_root().join("tests/data/validation").is_dir() {
        eprintln!("no tests/data/validation/: nothing recorded yet");
        return;
    }
    assert!(!points.is_empty(), "tests/data/validation/ holds no <point>.json");
    let dir = TempDir::new("validation");
    let mut problems = Vec::new();
    for (name, json, toml) in &points {
        assert!(toml.is_file(), "{name}: {} is missing", toml.display());
        let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
        let outcome = &doc["outcome"];
        let harness_tipped = outcome["tipped"].as_bool().unwrap_or_else(|| panic!("{name}: outcome.tipped"));
        let harness_p50 = outcome["response_ms_p50"].as_f64().unwrap_or(0.0);
        let base = configured_scenario(&doc, &std::fs::read_to_string(toml).unwrap());
        assert!(base.contains("\nseed = 1\n"), "{name}: the mirror sets no `seed = 1`");
        let mut shares = Vec::new();
        let mut p50s = Vec::new();
        for seed in SEEDS {
            let configured = dir.write(
                &format!("{name}-{seed}.toml"),
                &base.replacen("\nseed = 1\n", &format!("\nseed = {seed}\n"), 1),
            );
            let (share, p50) = hbsim_outcome(&dir, &configured, &format!("{name}-{seed}"));
            shares.push(share);
            p50s.push(p50);
        }
        let collapsed = shares.iter().filter(|s| **s > TIPPED_SHARE).count();
        let tipped = 2 * collapsed > SEEDS.len();
        p50s.sort_by(f64::total_cmp);
        let p50 = p50s[p50s.len() / 2];
        let share = format!(
            "{collapsed} of {} seeds collapsed, shares {}",
            SEEDS.len(),
            shares.iter().map(|s| format!("{s:.2}")).collect::<Vec<_>>().join(" ")
        );
        if KNOWN_DISAGREEMENTS.contains(&name.as_str()) {
            if tipped == harness_tipped {
                problems.push(format!(
                    "{name}: now agrees (tipped = {tipped}): remove it from KNOWN_DISAGREEMENTS"
                ));
            }
            eprintln!("{name}: KNOWN DISAGREEMENT harness tipped={harness_tipped} | hbsim tipped={tipped} ({share})");
            continue;
        }
        if tipped != harness_tipped {
            problems.push(format!(
                "{name}: harness tipped = {harness_tipped} (last-quarter timeout share {}), hbsim tipped = {tipped} ({share})",
                outcome["last_quarter_timeout_share"]
            ));
        }
        let close = (harness_p50 < P50_FLOOR_MS && p50 < P50_FLOOR_MS)
            || (harness_p50 > 0.0 && p50 > 0.0 && (p50 / harness_p50).max(harness_p50 / p50) <= P50_FACTOR);
        // Points with extra busy threads on the host: hbsim's CPU model covers only the walker's
        // preemption at its release (its heartbeat threads never wait for a CPU), so the harness's
        // responses there carry CPU queueing hbsim cannot see; compared on tipped-or-not only.
        let busy = doc["params"]["busy_threads"].as_f64().unwrap_or(0.0) > 0.0;
        let compared = !tipped && !harness_tipped && !busy;
        if compared && KNOWN_RESPONSE_DISAGREEMENTS.contains(&name.as_str()) {
            if close {
                problems.push(format!(
                    "{name}: the median response now agrees ({p50:.3} ms vs {harness_p50:.3} ms): remove it from KNOWN_RESPONSE_DISAGREEMENTS"
                ));
            }
            eprintln!("{name}: KNOWN RESPONSE DISAGREEMENT harness p50={harness_p50:.3} ms | hbsim p50={p50:.3} ms");
        } else if compared && !close {
            problems.push(format!("{name}: median response harness {harness_p50:.3} ms, hbsim {p50:.3} ms (tolerance ×{P50_FACTOR} or both < {P50_FLOOR_MS} ms)"));
        }
        eprintln!("{name}: harness tipped={harness_tipped} p50={harness_p50:.3} ms | hbsim tipped={tipped} ({share}) p50={p50:.3} ms");
    }
    assert!(problems.is_empty(), "hbsim disagrees with the harness:\n{}", problems.join("\n"));
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
