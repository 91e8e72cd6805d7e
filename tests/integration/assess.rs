//! `hbsim assess`: verdicts for the incident's numbers, the fixed version and a small table,
//! determinism of the JSON, bad input (exit 2), and the thread-dump reader on real `jstack`
//! output (tests/data/jstack/README.md says how each file was made).

use crate::common::{repo_root, run_in, text, TempDir};
use serde_json::Value;
use std::path::PathBuf;

fn data(name: &str) -> String {
    repo_root().join("tests/data").join(name).display().to_string()
}

fn json_of(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(output)))
}

/// The file line a piece of evidence points at (`path:line`).
fn line_at(location: &str) -> String {
    let (path, line) = location.rsplit_once(':').unwrap();
    let n: usize = line.parse().unwrap();
    std::fs::read_to_string(PathBuf::from(path))
        .unwrap()
        .lines()
        .nth(n - 1)
        .unwrap()
        .to_string()
}

#[test]
fn incident_numbers_are_collapsing_and_more_threads_do_not_help() {
    let dir = TempDir::new("assess-incident");
    let out = run_in(dir.path(), &["assess", "--input", &data("assess/incident-2024-10.toml"), "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let a = json_of(&out);
    assert_eq!(a["state"], "collapsing", "{a:#}");
    let analytic = a["analytic"]["sustain"].as_f64().unwrap();
    assert!(analytic > 1.0, "loop gain {analytic}");
    let trigger = a["trigger_simulated"].as_u64().expect("a trigger tips it");
    assert!(trigger <= a["inputs"]["burst"].as_u64().unwrap(), "trigger {trigger}");
    assert_eq!(a["recovers_without_restart"], false);
    // The reference (the burst, as it is) collapses; every recommendation that helps recovers
    // under the same burst; more heartbeat threads or consumers still collapse.
    assert_eq!(a["reference"]["simulated"]["collapsed"], true);
    let recs = a["recommendations"].as_array().unwrap();
    assert!(recs.iter().any(|r| r["action"].as_str().unwrap().contains("restart")));
    assert!(recs.iter().any(|r| r["action"].as_str().unwrap().contains("fixed")));
    for r in recs {
        assert_eq!(r["simulated"]["collapsed"], false, "{r:#}");
    }
    let no_help = a["does_not_help"].as_array().unwrap();
    assert!(no_help.iter().any(|r| r["action"].as_str().unwrap().contains("heartbeat threads")));
    for r in no_help {
        assert_eq!(r["simulated"]["collapsed"], true, "{r:#}");
    }
    // The metastable size lies below the incident's table.
    let g_star = a["analytic"]["metastable_groups"].as_f64().unwrap();
    assert!(g_star < 15_742.0, "{g_star}");
}

#[test]
fn fixed_version_with_the_incident_numbers_is_safe_with_its_margin() {
    let dir = TempDir::new("assess-fixed");
    let out = run_in(
        dir.path(),
        &["assess", "--input", &data("assess/incident-2024-10.toml"), "--version", "fixed"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("SAFE — stable"), "{stdout}");
    assert!(stdout.contains("no table size makes fixed metastable"), "{stdout}");
}

#[test]
fn small_table_is_safe_and_says_how_far_it_can_grow() {
    let dir = TempDir::new("assess-small");
    let html = dir.path().join("assess.html");
    let out = run_in(
        dir.path(),
        &[
            "assess",
            "--groups",
            "500",
            "--clients",
            "2000",
            "--heartbeat-threads",
            "8",
            "--version",
            "v4.9.8",
            "--growth",
            "100/h",
            "--html",
            html.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("SAFE"), "{stdout}");
    assert!(stdout.contains("metastable from"), "{stdout}");
    assert!(stdout.contains("assumptions"), "{stdout}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<svg") && page.contains("Verdict") && page.contains("K + ρ = 1"));
}

#[test]
fn json_is_the_same_for_any_thread_count() {
    let dir = TempDir::new("assess-det");
    let args = ["assess", "--groups", "20000", "--clients", "1500", "--version", "v4.9.8", "--json"];
    let a = run_in(dir.path(), &args);
    let b = std::process::Command::new(crate::common::hbsim_bin())
        .args(args)
        .env("RAYON_NUM_THREADS", "1")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(a.stdout, b.stdout, "{}", text(&a));
    let other_seed = run_in(dir.path(), &[&args[..], &["--seed", "2"]].concat());
    assert_ne!(a.stdout, other_seed.stdout);
}

#[test]
fn calibration_and_measured_walk_pin_the_per_group_cost() {
    let dir = TempDir::new("assess-cal");
    let base = ["assess", "--groups", "23500", "--clients", "1000", "--json"];
    let measured = run_in(dir.path(), &[&base[..], &["--close-walk-time", "24.8ms"]].concat());
    let a = json_of(&measured);
    let range = &a["ranges"]["per_group_ns"];
    assert_eq!(range[0], range[1], "{a:#}");
    assert_eq!(range[0].as_f64().unwrap(), (24.8e6f64 / 23500.0).round());
    let calibrated = run_in(
        dir.path(),
        &[&base[..], &["--calibration", &data("assess/calibration-incident.toml")]].concat(),
    );
    let c = json_of(&calibrated);
    assert_eq!(c["ranges"]["pinned"].as_array().unwrap().len(), 3, "{c:#}");
    assert!(c["calibration"][0].as_str().unwrap().starts_with("cpus"), "{c:#}");
}

/// A calibration pins the wake-up and gap as measured distributions: no corner replaces them (the
/// lowest corner was an exponential of the same mean, 1.80 against the model's own 1.84 at this
/// table). Its walk varies over the table's temperature it measured, hot to cold; a calibration
/// that measured one walk leaves nothing to vary and says so; its CPUs are named as assumed.
#[test]
fn a_calibration_keeps_its_distributions_and_varies_the_tables_temperature() {
    let dir = TempDir::new("assess-cal-range");
    let intel = data("calibration/intel-quick-2026-12-02.toml");
    let base = ["assess", "--groups", "4000000", "--clients", "1200", "--calibration", &intel];
    let a = json_of(&run_in(dir.path(), &[&base[..], &["--json"]].concat()));
    let sustain = a["analytic"]["sustain"].as_f64().unwrap();
    assert_eq!(a["gain_range"][0].as_f64().unwrap(), sustain, "{:#}", a["gain_range"]);
    assert!(a["gain_range"][1].as_f64().unwrap() > 2.0 * sustain, "{:#}", a["gain_range"]);
    let walk = &a["ranges"]["per_group_ns"];
    assert_eq!((walk[0].as_f64().unwrap(), walk[1].as_f64().unwrap()), (15.0, 98.4382));
    let details: Vec<&str> = a["sensitivity"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["detail"].as_str().unwrap())
        .collect();
    assert_eq!(details.len(), 2, "{details:?}");
    assert!(
        details
            .iter()
            .all(|d| d.contains("wake-up as calibrated") && d.contains("gap as calibrated")),
        "{details:?}"
    );
    let assumptions = a["assumptions"].to_string();
    assert!(assumptions.contains("host CPUs: 2, the calibration's host"), "{assumptions}");
    let out = run_in(dir.path(), &base);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("walk per group: 15 … 98 ns (the calibration's own walks, hot to cold"),
        "{text}"
    );
    assert_eq!(text.lines().filter(|l| l.starts_with("calibration:")).count(), 1, "{text}");
    let fixture = run_in(
        dir.path(),
        &[
            "assess",
            "--groups",
            "23500",
            "--clients",
            "1000",
            "--calibration",
            &data("assess/calibration-incident.toml"),
            "--html",
            "one-corner.html",
        ],
    );
    let text = String::from_utf8_lossy(&fixture.stdout);
    assert!(text.contains("nothing to vary") && !text.contains("lowest loop gain"), "{text}");
    assert!(text.contains("walk per group: 1000 ns (pinned by the calibration)"), "{text}");
    let page = std::fs::read_to_string(dir.path().join("one-corner.html")).unwrap();
    assert!(
        page.contains("central") && !page.contains("corner ("),
        "one corner is the central curve, drawn once"
    );
}

#[test]
fn bad_input_exits_2_naming_the_field() {
    let dir = TempDir::new("assess-bad");
    let missing = run_in(dir.path(), &["assess", "--groups", "10"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing).contains("clients: missing"), "{}", text(&missing));
    let input = dir.write("in.toml", "clients = 10\ngroups = 5\nheartbeat_thread = 8\n");
    let typo = run_in(dir.path(), &["assess", "--input", input.to_str().unwrap()]);
    assert_eq!(typo.status.code(), Some(2));
    let message = text(&typo);
    assert!(message.contains("in.toml") && message.contains("heartbeat_thread"), "{message}");
    let rate = run_in(dir.path(), &["assess", "--groups", "10", "--clients", "10", "--growth", "900"]);
    assert_eq!(rate.status.code(), Some(2));
    assert!(text(&rate).contains("growth:"), "{}", text(&rate));
    let version = run_in(dir.path(), &["assess", "--groups", "10", "--clients", "10", "--version", "4.9.9"]);
    assert_eq!(version.status.code(), Some(2));
    assert!(text(&version).contains("version: unknown broker version"), "{}", text(&version));
    let cal = run_in(
        dir.path(),
        &[
            "assess",
            "--groups",
            "10",
            "--clients",
            "10",
            "--calibration",
            &data("assess/calibration-unknown-key.toml"),
        ],
    );
    assert_eq!(cal.status.code(), Some(2));
    let message = text(&cal);
    assert!(
        message.contains("calibration-unknown-key.toml") && message.contains("close_cost_per_grop"),
        "{message}"
    );
}

#[test]
fn jstack_signature_in_real_jstack_and_jstack_l_output() {
    let dir = TempDir::new("assess-jstack");
    for (file, pool) in [
        ("jstack/jdk17-jstack-signature.txt", 8),
        ("jstack/jdk17-jstack-l-signature.txt", 16),
        ("jstack/jdk17-kill3-broker.log", 8),
        ("jstack/jdk8-handwritten-jstack-l-signature.txt", 3),
    ] {
        let out = run_in(dir.path(), &["assess", "--jstack", &data(file), "--json"]);
        assert_eq!(out.status.code(), Some(1), "{file}: {}", text(&out));
        let a = json_of(&out);
        let f = &a["jstack"][0];
        assert_eq!(f["signature"], true, "{file}");
        assert_eq!(f["heartbeat_threads"].as_u64().unwrap(), pool, "{file}");
        assert_eq!(f["owner"], "NettyEventExecutor", "{file}");
        assert_eq!(f["owner_method"], "ProducerManager.doChannelCloseEvent", "{file}");
        assert!(f["version_hint"].as_str().unwrap().contains("synchronized"), "{file}");
        // Every piece of evidence points at a line that says what it quotes.
        for e in f["evidence"].as_array().unwrap() {
            let line = line_at(e["location"].as_str().unwrap());
            let quoted = e["text"].as_str().unwrap();
            let key = quoted.split_whitespace().next().unwrap();
            assert!(line.contains(key.trim_matches('"')), "{file}: {e} vs `{line}`");
        }
    }
}

#[test]
fn jstack_without_the_signature_says_so() {
    let dir = TempDir::new("assess-nosig");
    for file in [
        "jstack/jdk17-jstack-healthy.txt",
        "jstack/jdk17-jstack-l-healthy.txt",
        "jstack/jdk17-jstack-unrelated.txt",
    ] {
        let out = run_in(dir.path(), &["assess", "--jstack", &data(file)]);
        assert_eq!(out.status.code(), Some(0), "{file}: {}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("no signature"),
            "{file}: {}",
            text(&out)
        );
    }
}

#[test]
fn a_file_that_is_not_a_thread_dump_exits_2() {
    let dir = TempDir::new("assess-notdump");
    for file in ["jstack/malformed-truncated.txt", "jstack/not-a-dump.csv"] {
        let out = run_in(dir.path(), &["assess", "--jstack", &data(file)]);
        assert_eq!(out.status.code(), Some(2), "{file}: {}", text(&out));
        assert!(text(&out).contains("not a thread dump"), "{file}: {}", text(&out));
    }
    let missing = run_in(dir.path(), &["assess", "--jstack", "no-such-file.txt"]);
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing));
}

#[test]
fn hbsim_replay_dumps_are_read_too() {
    // The committed dump of the incident replay, and a fresh one of the mini scenario.
    let dir = TempDir::new("assess-replay");
    let out = run_in(
        dir.path(),
        &["assess", "--jstack", &data("jstack/hbsim-replay-incident-leaky.txt"), "--json"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(json_of(&out)["jstack"][0]["heartbeat_blocked"], 8);
    let replay = run_in(
        dir.path(),
        &[
            "replay",
            &data("mini-collapse.toml"),
            "--policy",
            "leaky",
            "--no-charts",
            "--dump-at",
            "5m",
            "--out",
            "o",
        ],
    );
    assert!(replay.status.success(), "{}", text(&replay));
    let dump = dir.path().join("o/leaky/thread-dumps.txt");
    let out = run_in(dir.path(), &["assess", "--jstack", dump.to_str().unwrap(), "--json"]);
    let a = json_of(&out);
    assert!(a["jstack"].as_array().unwrap().iter().any(|f| f["signature"] == true), "{a:#}");
}

/// The host's CPUs (issue 10's CPU model): on a small host with every CPU busy the heartbeat
/// threads that win a gap drain their backlog and the incident's broker survives its burst; on a
/// host with cores to spare it collapses as without the model. Without `--cpus` the answer says
/// what it assumed.
#[test]
fn host_cpus_decide_whether_won_gaps_drain() {
    let dir = TempDir::new("assess-cpus");
    let input = data("assess/incident-2024-10.toml");
    let run = |extra: &[&str]| {
        let mut args = vec!["assess", "--input", input.as_str(), "--json"];
        args.extend_from_slice(extra);
        let out = run_in(dir.path(), &args);
        (out.status.code(), json_of(&out))
    };
    let (code, plain) = run(&[]);
    assert_eq!(code, Some(1));
    assert!(
        plain["assumptions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a.as_str().unwrap().starts_with("host CPUs: not modelled")),
        "{plain:#}"
    );
    let (code, small) = run(&["--cpus", "4", "--busy-threads", "4"]);
    assert_eq!(code, Some(0), "{small:#}");
    assert_eq!(small["state"], "stable");
    assert_eq!(small["inputs"]["cpus"], 4);
    assert!(!small["assumptions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a.as_str().unwrap().starts_with("host CPUs")));
    // The assumptions of an answer that begin with `prefix`.
    let starting = |v: &serde_json::Value, prefix: &str| -> Vec<String> {
        v["assumptions"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|a| a.as_str())
            .filter(|a| a.starts_with(prefix))
            .map(str::to_string)
            .collect()
    };
    // Busy threads with no calibration: the walker's release is not measured, and says so.
    let release = |v: &serde_json::Value| starting(v, "the walker's release");
    assert!(release(&plain).is_empty(), "no busy threads, nothing to say: {plain:#}");
    // The heartbeat threads' drain is said to be the model's idle one where the host is busy.
    let drain = |v: &serde_json::Value| starting(v, "the heartbeat threads' drain on a loaded host").len();
    assert_eq!(drain(&plain), 0, "{plain:#}");
    assert_eq!(drain(&small), 1, "{small:#}");
    // ... with where the validation found a loaded host's answer optimistic.
    let few = |v: &serde_json::Value| starting(v, "a few busy threads");
    assert!(few(&plain).is_empty(), "{plain:#}");
    assert_eq!(few(&small).len(), 1, "{small:#}");
    assert!(few(&small)[0].contains("as optimistic"), "{small:#}");
    // ... and where the calibration ran beside busy threads, though none is given.
    let busy_cal = dir.write(
        "cal-busy.toml",
        "[meta]\njvm = \"test-jvm\"\ncpus = 2\nbusy_threads = 4\n[broker]\n",
    );
    let (_, from_cal) = run(&["--calibration", busy_cal.to_str().unwrap()]);
    assert_eq!(drain(&from_cal), 1, "{from_cal:#}");
    let drain_text = |v: &serde_json::Value| starting(v, "the heartbeat threads' drain on a loaded host").join("\n");
    assert!(
        drain_text(&from_cal).contains("run hbsim calibrate --busy-threads N"),
        "{from_cal:#}"
    );
    // A calibration with I's keys (hbsim calibrate --busy-threads since the forty-fourth session)
    // says the drain as the JVM runs it, with its share.
    let i_cal = dir.write(
        "cal-busy-i.toml",
        "[meta]\njvm = \"test-jvm\"\ncpus = 2\nbusy_threads = 8\n[broker]\ncpus = 2\ncpu_run_queue = true\n\
         cpu_executor_share = 0.3\ncpu_wait_after_drain = \"0\"\n",
    );
    let (_, from_i) = run(&["--cpus", "2", "--busy-threads", "8", "--calibration", i_cal.to_str().unwrap()]);
    assert_eq!(drain(&from_i), 1, "{from_i:#}");
    assert!(drain_text(&from_i).contains("taking 0.3 of the CPUs between them"), "{from_i:#}");
    let idle_cal = dir.write(
        "cal-idle.toml",
        "[meta]\njvm = \"test-jvm\"\ncpus = 2\nbusy_threads = 0\n[broker]\n",
    );
    let (_, from_idle) = run(&["--calibration", idle_cal.to_str().unwrap()]);
    assert_eq!(drain(&from_idle), 0, "{from_idle:#}");
    assert_eq!(release(&small).len(), 1, "{small:#}");
    assert!(release(&small)[0].contains("not measured at this load"), "{small:#}");
    // A calibration that measured it says its share: the walker's-release assumptions of a run
    // on 2 CPUs with `busy` busy threads and a calibration whose [broker] holds `broker`.
    let calibrated = |file: &str, busy: &str, broker: &str| -> Vec<String> {
        let cal = dir.write(file, &format!("[meta]\njvm = \"test-jvm\"\ncpus = 2\n[broker]\n{broker}"));
        let (_, out) = run(&["--cpus", "2", "--busy-threads", busy, "--calibration", cal.to_str().unwrap()]);
        let lines = release(&out);
        assert_eq!(lines.len(), 1, "{out:#}");
        lines
    };
    let measured = calibrated("cal-release.toml", "16", "cpu_release_preempt = 0.27\n");
    assert!(measured[0].contains("at 27% of them"), "{measured:?}");
    assert!(!measured[0].contains("on another"), "not measured, not said: {measured:?}");
    let both = calibrated(
        "cal-release-other.toml",
        "16",
        "cpu_release_preempt = 0.27\ncpu_release_other_at_once = 0.31\n",
    );
    assert!(both[0].contains("at 31% of the rest it runs at once on another"), "{both:?}");
    assert!(!both[0].contains("cpu_release_heir_waits"), "not measured, not said: {both:?}");
    // The held race at kept releases, as one session counted it, and with its drift.
    let waits = calibrated(
        "cal-release-waits.toml",
        "4",
        "cpu_release_preempt = 0.44\ncpu_release_heir_waits = 0.45\n",
    );
    assert!(waits[0].contains("at 45% of the releases it keeps"), "{waits:?}");
    assert!(waits[0].contains("as one session counted"), "{waits:?}");
    let drift = calibrated(
        "cal-release-drift.toml",
        "4",
        "cpu_release_preempt = 0.44\ncpu_release_heir_waits = 0.45\ncpu_release_heir_waits_sd = 0.3\n",
    );
    assert!(
        drift[0].contains("each run draws its own (cpu_release_heir_waits_sd 0.30)"),
        "{drift:?}"
    );
    // The walk's drift between runs, where the calibration gives it (`--table large`).
    let walk_drift = |broker: &str| {
        let cal = dir.write("cal-drift.toml", &format!("[meta]\njvm = \"test-jvm\"\n[broker]\n{broker}"));
        let (_, out) = run(&["--calibration", cal.to_str().unwrap()]);
        starting(&out, "the walk cost drifts between runs")
    };
    let drifting = walk_drift("close_cost_per_group_drift = 0.123\n");
    assert_eq!(drifting.len(), 1, "{drifting:?}");
    assert!(drifting[0].contains("exp(0.123 z)"), "{drifting:?}");
    assert!(walk_drift("").is_empty(), "no drift, not said");
    assert!(
        walk_drift("close_cost_per_group_drift = 0.0\n").is_empty(),
        "0 draws nothing, not said"
    );
    let (code, large) = run(&["--cpus", "16", "--busy-threads", "4"]);
    assert_eq!(code, Some(1), "{large:#}");
    assert_eq!(large["state"], "collapsing");
    // --busy-threads alone is an error naming the field.
    let out = run_in(dir.path(), &["assess", "--input", &input, "--busy-threads", "4"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("busy_threads: needs cpus"),
        "{}",
        text(&out)
    );
}

/// The assumptions `hbsim assess` lists for a small broker (4,000 groups, 1,200 clients) with the
/// calibration `cal` (under tests/data), run in `dir`.
fn calibration_assumptions(dir: &std::path::Path, cal: &str) -> Vec<String> {
    assumptions_with(dir, &data(cal))
}

/// As [`calibration_assumptions`], with the calibration at `path` (relative to `dir` or absolute).
fn assumptions_with(dir: &std::path::Path, path: &str) -> Vec<String> {
    let base = ["assess", "--groups", "4000", "--clients", "1200", "--json"];
    let a = json_of(&run_in(dir, &[&base[..], &["--calibration", path]].concat()));
    a["assumptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

/// The assumption on the heartbeat threads' drain on a loaded host as the JVM runs it.
fn loaded_drain(named: &[String]) -> String {
    named
        .iter()
        .find(|a| a.starts_with("the heartbeat threads' drain on a loaded host: as the JVM runs it"))
        .cloned()
        .unwrap_or_else(|| panic!("{named:#?}"))
}

/// A calibration that timed the settled heartbeat in three JVMs (`user72-`, 8 busy threads):
/// the answer names the JVMs' figures among its assumptions, its own first, and the figure it
/// took (this file's, written by the forty-ninth session's P: the median JVM's, 1.49 µs); one
/// from before (`intel-quick-2026-12-02`) names none.
#[test]
fn a_calibrations_heartbeat_jvms_are_named_as_an_assumption() {
    let dir = TempDir::new("assess-cal-jvms");
    let assumptions = |cal: &str| calibration_assumptions(dir.path(), cal);
    let named = assumptions("calibration/user72-session-2026-12-06-busy8.toml");
    assert!(
        named
            .iter()
            .any(|a| a.contains("its 3 JVMs ran it at 1.29, 1.49, 1.54 µs") && a.contains("heartbeat_cost (median 1.49 µs)")),
        "{named:#?}"
    );
    let older = assumptions("calibration/intel-quick-2026-12-02.toml");
    assert!(!older.iter().any(|a| a.contains("JVMs ran it")), "{older:#?}");
}

/// An idle calibration's drain (F) names what the validation found it misses on an idle host; a
/// loaded one's, or one written before F, does not.
#[test]
fn an_idle_calibrations_drain_names_its_known_miss() {
    let dir = TempDir::new("assess-idle-drain");
    let assumptions = |cal: &str| calibration_assumptions(dir.path(), cal);
    let idle = assumptions("calibration/user74-session-2026-12-07.toml");
    assert!(
        idle.iter()
            .any(|a| a.starts_with("an idle host:") && a.contains("0.44 of them") && a.contains("(0.78)")),
        "{idle:#?}"
    );
    for other in [
        "calibration/user72-session-2026-12-06-busy8.toml",
        "calibration/intel-quick-2026-12-02.toml",
    ] {
        let named = assumptions(other);
        assert!(!named.iter().any(|a| a.starts_with("an idle host:")), "{other}: {named:#?}");
    }
}

/// A loaded calibration's drain names the host it misses: a walker back on its own mid-drain,
/// which the calibration's long loop cannot see (docs/validation-log.md, the fifty-first session),
/// and its return loop measures (R, the fifty-second).
#[test]
fn a_loaded_calibrations_drain_names_the_mid_drain_return() {
    let dir = TempDir::new("assess-loaded-drain");
    let named = calibration_assumptions(dir.path(), "calibration/user77-session-2026-12-07-busy8.toml");
    let long = loaded_drain(&named);
    assert!(long.contains("mid-drain") && long.contains("cannot see that return"), "{long}");
    // With R's return loop (the fifty-second session) the return is measured, and said so.
    let named = calibration_assumptions(dir.path(), "calibration/user78-session-2026-12-07-busy8.toml");
    let measured = loaded_drain(&named);
    assert!(
        measured.contains("cpu_wait_displaced from its return loop, whose drains outlast that return: 35.4 ms")
            && measured.contains("measures that return")
            && !measured.contains("cannot see"),
        "{measured}"
    );
}

/// The heirs' share of the CPUs (S, the fifty-third session): a calibration whose return loop
/// measured it says so, with how it did held out; one that carries the Intel guest's 0.3 calls
/// that an assumption with its plausible range, and names the share it left out where its JVMs
/// pre-touched their heap (U, the fifty-fifth).
#[test]
fn a_loaded_calibrations_share_says_whether_it_was_measured() {
    let dir = TempDir::new("assess-busy-share");
    // The drain assess names from the calibration `hbsim calibrate` writes from a harness output.
    let drain_from = |harness: &str| {
        let written = run_in(dir.path(), &["calibrate", "--from-output", &data(harness), "--out", "cal.toml"]);
        assert!(written.status.success(), "{}", text(&written));
        loaded_drain(&assumptions_with(dir.path(), "cal.toml"))
    };
    let measured = drain_from("calibration/drain-cpu-busy8-2026-12-07.harness.json");
    assert!(
        measured.contains("taking 0.22 of the CPUs")
            && measured.contains("measured on this host by the calibration's return loop over 24 won gaps")
            && !measured.contains("an assumption, plausible"),
        "{measured}"
    );
    // U (the fifty-fifth session): the share measured by JVMs with a pre-touched heap is named,
    // and the Intel guest's written in its place is called an assumption.
    let touched = drain_from("calibration/user84-session-2026-12-07-busy12.harness.json");
    assert!(
        touched.contains("taking 0.3 of the CPUs")
            && touched.contains("an assumption, plausible 0.2-0.4. This host's return loop measured 0.14")
            && touched.contains("a pre-touched heap")
            && touched.contains("held out on")
            && !touched.contains("measured on this host by the calibration's return loop"),
        "{touched}"
    );
    let named = calibration_assumptions(dir.path(), "calibration/user78-session-2026-12-07-busy8.toml");
    let assumed = named
        .iter()
        .find(|s| s.contains("taking 0.3 of the CPUs"))
        .unwrap_or_else(|| panic!("{named:#?}"));
    assert!(
        assumed.contains("not measured on this host: an assumption, plausible 0.2-0.4"),
        "{assumed}"
    );
}

/// Z (the sixtieth session) and Z2 (the sixty-first): a loaded calibration that writes the
/// chain's keys says how the parked heartbeat threads come in and what was held out; one written
/// before either says what its answer misses.
#[test]
fn a_loaded_calibrations_drain_says_whether_it_carries_the_chain() {
    let dir = TempDir::new("assess-chain");
    let z = "[meta]\njvm = \"test-jvm\"\ncpus = 2\nbusy_threads = 8\n[broker]\ncpus = 2\ncpu_run_queue = true\n\
             cpu_executor_share = 0.3\ncpu_wait_after_drain = \"0\"\ncpu_wait_after_drain_from_idle = true\n\
             monitor_wake_latency_idle_waker = \"10us\"\n";
    let z_only = dir.write("cal-busy-z.toml", z);
    let with = loaded_drain(&assumptions_with(dir.path(), z_only.to_str().unwrap()));
    assert!(
        with.contains("(cpu_wait_after_drain_from_idle)")
            && with.contains("(Z)")
            && with.contains("The calibration predates Z2")
            && !with.contains("predates Z ("),
        "{with}"
    );
    let both = dir.write("cal-busy-z2.toml", &format!("{z}monitor_heir_takes_idle_cpu = true\n"));
    let with = loaded_drain(&assumptions_with(dir.path(), both.to_str().unwrap()));
    assert!(
        with.contains("(monitor_heir_takes_idle_cpu)") && with.contains("(Z, Z2)") && !with.contains("predates"),
        "{with}"
    );
    let before = loaded_drain(&calibration_assumptions(
        dir.path(),
        "calibration/user78-session-2026-12-07-busy8.toml",
    ));
    assert!(
        before.contains("The calibration predates Z (") && !before.contains("(Z)") && !before.contains("Z2"),
        "{before}"
    );
}
