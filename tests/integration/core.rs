//! Core behaviour of `hbsim replay`: determinism, output files, bad input.

use crate::common::{column, read_timeline, run_in, text, TempDir};

pub const SMALL: &str = r#"
name = "small"
seed = 7
duration = "3m"
policies = ["leaky", "fixed"]

[[topics]]
name = "t"
queues_per_broker = 4

[[consumer_groups]]
name = "g"
topic = "t"
consumers = 2
consume_rate = 500.0

[[producers]]
group = "p"
topic = "t"
send_rate = 300.0

[background]
clients = 200
live_groups = 20
reconnect_interval = { dist = "exponential", mean = "10m" }

[groups]
initial = 2000
create_interval = "5s"
lifetime = "30s"
"#;

#[test]
fn replay_writes_timeline_and_summary() {
    let dir = TempDir::new("replay");
    let scenario = dir.write("small.toml", SMALL);
    let output = run_in(dir.path(), &["replay", scenario.to_str().unwrap(), "--out", "out"]);
    assert!(output.status.success(), "{}", text(&output));
    for policy in ["leaky", "fixed"] {
        let timeline = std::fs::read_to_string(dir.path().join("out").join(policy).join("timeline.csv")).unwrap();
        assert_eq!(timeline.lines().count(), 181, "header + 180 rows");
        assert!(timeline.starts_with("time_s,lag_total,lag_g,consumers_registered"));
        let summary = std::fs::read_to_string(dir.path().join("out").join(policy).join("summary.json")).unwrap();
        for key in [
            "scenario",
            "policy",
            "seed",
            "hbsim_version",
            "events",
            "lag_max",
            "lag_final",
            "heartbeats_timed_out",
            "groups_in_table_max",
            "monitor_utilization",
            "monitor_hold_max_ms",
        ] {
            assert!(summary.contains(&format!("\"{key}\"")), "summary lacks {key}");
        }
    }
}

fn replay_to(dir: &TempDir, scenario: &std::path::Path, out: &str, extra: &[&str]) -> std::path::PathBuf {
    let mut args = vec!["replay", scenario.to_str().unwrap(), "--out", out];
    args.extend_from_slice(extra);
    let output = run_in(dir.path(), &args);
    assert!(output.status.success(), "{}", text(&output));
    dir.path().join(out)
}

#[test]
fn same_seed_gives_identical_bytes_and_other_seeds_differ() {
    let dir = TempDir::new("determinism");
    let scenario = dir.write("small.toml", SMALL);
    let mut outputs = Vec::new();
    for (i, seed) in ["0", "0", "0", "1", "1", "1", "2", "2", "2"].iter().enumerate() {
        let out = replay_to(&dir, &scenario, &format!("run{i}"), &["--seed", seed, "--policy", "leaky"]);
        let timeline = std::fs::read(out.join("leaky/timeline.csv")).unwrap();
        let summary = std::fs::read(out.join("leaky/summary.json")).unwrap();
        outputs.push((timeline, summary));
    }
    for group in outputs.chunks(3) {
        assert_eq!(group[0], group[1], "same seed, different bytes");
        assert_eq!(group[0], group[2], "same seed, different bytes");
    }
    let mut distinct = outputs.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 3, "seeds 0, 1, 2 must give 3 distinct outputs");
}

/// The leak is metastable: the same table survives without the trigger and collapses, and stays
/// collapsed until the restart, with it. Under `fixed` the trigger is absorbed.
#[test]
fn leak_is_metastable_and_restart_recovers() {
    let dir = TempDir::new("metastable");
    let text_with = std::fs::read_to_string(crate::common::repo_root().join("tests/data/mini-collapse.toml")).unwrap();
    let with_trigger = dir.write("with.toml", &text_with);
    let without = text_with.replace("count = 100", "count = 0");
    let without_trigger = dir.write("without.toml", &without);

    let out = replay_to(&dir, &without_trigger, "without", &["--policy", "leaky"]);
    let (h, rows) = read_timeline(&out.join("leaky/timeline.csv"));
    let timeouts: f64 = column(&h, &rows, "heartbeats_timed_out").iter().sum();
    assert_eq!(timeouts, 0.0, "without the trigger the leaky broker must stay healthy");

    let out = replay_to(&dir, &with_trigger, "with", &[]);
    let (h, rows) = read_timeline(&out.join("leaky/timeline.csv"));
    let time = column(&h, &rows, "time_s");
    let timed_out = column(&h, &rows, "heartbeats_timed_out");
    let blocked = column(&h, &rows, "heartbeat_threads_blocked_mean");
    let lag = column(&h, &rows, "lag_total");
    let holder_i = h.iter().position(|c| c == "monitor_holder").unwrap();
    // Before the trigger (3 min): healthy.
    for i in (0..rows.len()).filter(|i| time[*i] <= 180.0) {
        assert_eq!(timed_out[i], 0.0, "timeouts before the trigger at t={}", time[i]);
    }
    // From 30 s after the trigger until the restart at 10 min: collapsed in every second.
    let collapsed: Vec<usize> = (0..rows.len()).filter(|i| time[*i] > 210.0 && time[*i] < 600.0).collect();
    for i in &collapsed {
        assert!(
            timed_out[*i] > 0.0,
            "heartbeats stopped timing out at t={}: the collapse must sustain itself",
            time[*i]
        );
        assert!(blocked[*i] > 7.0, "heartbeat threads not BLOCKED together at t={}", time[*i]);
    }
    let netty_holds = collapsed.iter().filter(|i| rows[**i][holder_i] == "NettyEventExecutor").count();
    assert!(
        netty_holds * 10 > collapsed.len() * 9,
        "the Netty thread must hold the monitor nearly always while collapsed"
    );
    let lag_max = lag.iter().cloned().fold(0.0, f64::max);
    assert!(lag_max > 20_000.0, "lag must build up while collapsed, max {lag_max}");
    // After the restart lag drains to zero.
    assert_eq!(*lag.last().unwrap(), 0.0, "lag must drain after the restart");
    assert_eq!(*timed_out.last().unwrap(), 0.0);

    // Under `fixed` the same trigger does nothing visible.
    let (h, rows) = read_timeline(&out.join("fixed/timeline.csv"));
    let timeouts: f64 = column(&h, &rows, "heartbeats_timed_out").iter().sum();
    assert_eq!(timeouts, 0.0, "fixed must absorb the trigger");
}

/// produced = consumed + lag at every sample (one consumer group per topic).
#[test]
fn messages_are_conserved_at_every_sample() {
    let dir = TempDir::new("conservation");
    let mini = std::fs::read_to_string(crate::common::repo_root().join("tests/data/mini-collapse.toml")).unwrap();
    for (name, text_) in [("small.toml", SMALL.to_string()), ("mini.toml", mini)] {
        let scenario = dir.write(name, &text_);
        let out = replay_to(&dir, &scenario, &format!("out-{name}"), &[]);
        for policy in ["leaky", "fixed"] {
            let (h, rows) = read_timeline(&out.join(policy).join("timeline.csv"));
            let produced = column(&h, &rows, "messages_produced");
            let consumed = column(&h, &rows, "messages_consumed");
            let lag = column(&h, &rows, "lag_total");
            let (mut p, mut c) = (0.0, 0.0);
            for i in 0..rows.len() {
                p += produced[i];
                c += consumed[i];
                assert_eq!(
                    p - c,
                    lag[i],
                    "{name}/{policy}: produced {p} - consumed {c} != lag {} at row {i}",
                    lag[i]
                );
            }
            assert!(p > 0.0);
        }
    }
}

/// Mean heartbeat queue wait [ms] of `scenario` for seeds 1..=n, one replay each.
fn queue_waits(scenario: &str, n: u64) -> Vec<f64> {
    let dir = TempDir::new("mm");
    let scenario = crate::common::repo_root().join(scenario);
    (1..=n)
        .map(|seed| {
            let out = replay_to(&dir, &scenario, &format!("s{seed}"), &["--seed", &seed.to_string(), "--no-charts"]);
            let summary: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(out.join("fixed/summary.json")).unwrap()).unwrap();
            summary["heartbeat_queue_wait_mean_ms"].as_f64().unwrap()
        })
        .collect()
}

/// Theory must lie inside the 95% Student-t interval of the per-seed means (n = 10, t = 2.262)
/// and the grand mean within 2% of it. The runs start in steady state (each client's first tick
/// is the stationary residual of its interval), so no warm-up is cut.
fn assert_matches_theory(label: &str, waits: &[f64], theory: f64) {
    let n = waits.len() as f64;
    let mean = waits.iter().sum::<f64>() / n;
    let sd = (waits.iter().map(|w| (w - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let half = 2.262 * sd / n.sqrt();
    assert!(
        (mean - half..=mean + half).contains(&theory),
        "{label}: theory {theory} ms outside the 95% interval {mean:.4} ± {half:.4} ms ({waits:?})"
    );
    assert!(
        (mean - theory).abs() / theory < 0.02,
        "{label}: mean wait {mean:.4} ms is more than 2% from theory {theory} ms ({waits:?})"
    );
}

/// A single-server queue built from the scenario format: one heartbeat thread, Poisson heartbeat
/// arrivals (1,000 clients, exponential intervals of mean 2 s: λ = 500/s), exponential service
/// (mean 1 ms: μ = 1000/s), nothing else. M/M/1: Wq = ρ/(μ−λ) = 1 ms. Ten seeds.
#[test]
fn mm1_mean_wait_matches_closed_form() {
    let waits = queue_waits("tests/data/mm1.toml", 10);
    assert_matches_theory("M/M/1", &waits, 1.0);
    let dir = TempDir::new("mm1");
    let out = replay_to(
        &dir,
        &crate::common::repo_root().join("tests/data/mm1.toml"),
        "out",
        &["--no-charts"],
    );
    let summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("fixed/summary.json")).unwrap()).unwrap();
    let sent = summary["heartbeats_sent"].as_f64().unwrap();
    let rate = sent / 600.0;
    assert!((rate - 500.0).abs() < 15.0, "arrival rate {rate}/s, expected 500/s");
}

/// Two servers: 2,000 clients (λ = 1000/s), two heartbeat threads of μ = 1000/s each. Erlang C
/// with a = 1, c = 2: P(wait) = 1/3, Wq = P(wait)/(cμ − λ) = 1/3 ms. Ten seeds.
#[test]
fn mmc_mean_wait_matches_erlang_c() {
    let (a, c) = (1.0f64, 2u32);
    let mu = 1.0; // per ms
    let lambda = a * mu;
    let fact = |k: u32| (1..=k).map(f64::from).product::<f64>();
    let top = a.powi(c as i32) / fact(c) * f64::from(c) / (f64::from(c) - a);
    let below: f64 = (0..c).map(|k| a.powi(k as i32) / fact(k)).sum();
    let p_wait = top / (below + top);
    let theory = p_wait / (f64::from(c) * mu - lambda);
    let waits = queue_waits("tests/data/mmc.toml", 10);
    assert_matches_theory("M/M/2", &waits, theory);
}

fn expect_error(scenario_text: &str, needles: &[&str]) {
    let dir = TempDir::new("bad");
    let scenario = dir.write("bad.toml", scenario_text);
    let output = run_in(dir.path(), &["replay", scenario.to_str().unwrap(), "--out", "out"]);
    let err = String::from_utf8_lossy(&output.stderr).to_string();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(err.contains("bad.toml"), "the message must name the file: {err}");
    for needle in needles {
        assert!(err.contains(needle), "expected {needle:?} in: {err}");
    }
    assert!(!dir.path().join("out").exists(), "nothing may be written for a bad scenario");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn bad_scenarios_give_clear_errors() {
    expect_error("name = \"x\"\nduration = \"10\"\n", &["duration", "no unit"]);
    expect_error("name = \"x\"\nduration = \"1000000000h\"\n", &["duration", "too long"]);
    expect_error("name = \"x\"\nduration = \"1m\"\nbogus = 1\n", &["bogus"]);
    expect_error(
        "name = \"x\"\nduration = \"1m\"\n[broker]\nheartbeat_treads = 8\n",
        &["heartbeat_treads"],
    );
    expect_error(
        "name = \"x\"\nduration = \"1m\"\npolicies = [\"leakyy\"]\n",
        &["policies[0]", "unknown policy"],
    );
    expect_error(
        "name = \"x\"\nduration = \"1m\"\n[broker]\nheartbeat_cost = { dist = \"gamma\", mean = \"1ms\" }\n",
        &["heartbeat_cost", "gamma"],
    );
    expect_error("name = \"x\"\nduration = \"1m\"\nthis is not toml\n", &["line 3"]);
    // Several problems are all reported at once, each with its field path.
    expect_error(
        "name = \"x\"\nduration = \"1m\"\n[broker]\nheartbeat_threads = 0\nmonitor = \"fair\"\n[groups]\nunregister_probability = 1.5\n[[consumer_groups]]\nname = \"g\"\ntopic = \"missing\"\nconsumers = 1\nconsume_rate = -1.0\n",
        &["broker.heartbeat_threads", "broker.monitor", "groups.unregister_probability", "consumer_groups[0].topic", "consumer_groups[0].consume_rate", "5 problems"],
    );
    // The CPU model's shares and the drift's spread: out of range, each named.
    expect_error(
        "name = \"x\"\nduration = \"1m\"\n[broker]\ncpu_release_heir_waits = 1.5\ncpu_release_heir_waits_sd = -0.1\n",
        &[
            "broker.cpu_release_heir_waits:",
            "broker.cpu_release_heir_waits_sd",
            "standard deviation between 0 and 1",
            "-0.1",
        ],
    );
    expect_error(
        "name = \"x\"\nduration = \"1m\"\n[broker]\ncpu_release_heir_waits_sd = nan\n",
        &["broker.cpu_release_heir_waits_sd", "NaN"],
    );
    expect_error(
        "name = \"x\"\nduration = \"1m\"\n[broker]\nclose_cost_per_group_drift = 1.5\n",
        &["broker.close_cost_per_group_drift", "between 0 and 1", "1.5"],
    );
    expect_error(
        "name = \"x\"\nduration = \"1m\"\n[broker]\nclose_cost_per_group_drift = -inf\n",
        &["broker.close_cost_per_group_drift", "-inf"],
    );
    expect_error(
        "name = \"x\"\nduration = \"1m\"\n[[actions]]\nat = \"2m\"\naction = \"explode\"\n[[actions]]\nat = \"10s\"\naction = \"set\"\nparam = \"broker.heartbeat_threads\"\nvalue = 3\n",
        &["actions[0].at", "actions[0].action", "actions[1].param"],
    );
}

#[test]
fn missing_file_and_unwritable_output_are_clear_errors() {
    let dir = TempDir::new("io");
    let output = run_in(dir.path(), &["replay", "nope.toml"]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("nope.toml"));
    let scenario = dir.write("small.toml", SMALL);
    dir.write("file", "not a folder");
    let output = run_in(dir.path(), &["replay", scenario.to_str().unwrap(), "--out", "file/sub"]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("file/sub"), "{}", text(&output));
    let output = run_in(dir.path(), &["replay", scenario.to_str().unwrap(), "--policy", "v9"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
}

/// Regression: stopping and restarting group creation must not leave two creation chains.
#[test]
fn stop_then_start_group_creation_does_not_double_it() {
    let dir = TempDir::new("restart-creation");
    let scenario = dir.write(
        "c.toml",
        r#"
name = "creation"
duration = "100s"
policies = ["leaky"]
[groups]
create_interval = "10s"
lifetime = "1000s"
[[actions]]
at = "5s"
action = "stop_group_creation"
[[actions]]
at = "6s"
action = "start_group_creation"
"#,
    );
    let out = replay_to(&dir, &scenario, "out", &["--no-charts"]);
    let summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("leaky/summary.json")).unwrap()).unwrap();
    // One chain from 6 s: groups at 16, 26, …, 96 s = 9 groups, plus CLIENT_INNER_PRODUCER that
    // their clients register too (two chains would give 19 + 1).
    assert_eq!(summary["groups_in_table_final"].as_u64(), Some(10), "{summary}");
}

/// Regression: with several brokers, a heartbeat timeout that starts the round's next RPC from
/// inside the deadline handler armed a second deadline timer each time, and the timers multiplied
/// into an event storm (a billion events within 10 simulated minutes). The collapse on 3 brokers
/// must stay within a few million events.
#[test]
fn multi_broker_timeouts_do_not_multiply_deadline_timers() {
    let dir = TempDir::new("multi-broker");
    let mini = std::fs::read_to_string(crate::common::repo_root().join("tests/data/mini-collapse.toml")).unwrap();
    let three = mini.replace("[broker]\n", "[broker]\ncount = 3\n").replace(
        "policies = [\"leaky\", \"fixed\"]",
        "policies = [\"leaky\"]\nmax_events = 5_000_000",
    );
    assert!(three.contains("count = 3") && three.contains("max_events"));
    let scenario = dir.write("three.toml", &three);
    let out = replay_to(&dir, &scenario, "out", &["--no-charts"]);
    let summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("leaky/summary.json")).unwrap()).unwrap();
    assert!(
        summary["heartbeats_timed_out"].as_u64().unwrap() > 10_000,
        "the 3-broker mini scenario must still collapse: {summary}"
    );
}
