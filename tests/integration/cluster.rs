//! A cluster of unequal brokers: per-broker overrides, actions on one broker, per-broker outputs,
//! and the claim of `scenarios/incident-cluster.toml`: one sick broker makes consumers drop their
//! queues on the healthy brokers too (a rebalance asks a random broker for the consumer ids).

use crate::common::{repo_root, run_in, text, TempDir};
use hbsim::metrics::summary_out::Summary;
use hbsim::model::policy::Policy;
use hbsim::run::{simulate, RunOptions};
use std::path::Path;

fn cluster_text() -> String {
    std::fs::read_to_string(repo_root().join("scenarios/incident-cluster.toml")).unwrap()
}

fn run(text: &str) -> Summary {
    let scenario = hbsim::scenario::parse(Path::new("cluster.toml"), text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    simulate(&scenario, Policy::Fixed, scenario.seed, &RunOptions::default(), &mut |_| Ok(()))
        .unwrap()
        .summary
}

/// The lag on the healthy brokers' queues is caused by the sick broker: the same cluster with
/// broker 0 healthy too has (almost) none on them.
#[test]
fn sick_broker_causes_lag_on_healthy_brokers_queues() {
    let text = cluster_text();
    let sick = run(&text);
    assert_eq!(sick.brokers.len(), 3);
    assert_eq!(sick.brokers[0].policy, "leaky");
    assert_eq!(sick.brokers[1].policy, "fixed");
    assert!(sick.brokers[0].groups_in_table_max >= 15_742, "{:?}", sick.brokers[0]);
    assert!(sick.brokers[1].groups_in_table_max < 1_000, "{:?}", sick.brokers[1]);
    assert!(sick.brokers[0].heartbeats_timed_out > 0);
    assert_eq!(sick.brokers[1].heartbeats_timed_out, 0, "broker 1 itself is healthy");
    let healthy_text = text.replace("policy = \"leaky\"\ngroups_initial = 15742", "groups_initial = 0");
    assert_ne!(healthy_text, text, "the override was not found in the scenario");
    let healthy = run(&healthy_text);
    for b in [1, 2] {
        let with_sick = sick.brokers[b].lag_max;
        let without = healthy.brokers[b].lag_max;
        assert!(
            with_sick > 20_000,
            "broker {b}: lag {with_sick} on a healthy broker's queues expected"
        );
        assert!(without < 2_000, "broker {b}: lag {without} without a sick broker");
    }
}

/// `restart_broker` with `broker = 0` restarts that broker only: its leaked table is gone, the
/// others keep theirs (here: their live groups).
#[test]
fn restart_targets_one_broker_and_per_broker_timeline_is_written() {
    let dir = TempDir::new("cluster-restart");
    let path = dir.write("cluster.toml", &cluster_text());
    let output = run_in(dir.path(), &["replay", path.to_str().unwrap(), "--out", "out", "--no-charts"]);
    assert!(output.status.success(), "{}", text(&output));
    let csv = std::fs::read_to_string(dir.path().join("out/fixed/timeline_brokers.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|c| *c == name).unwrap();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 3 * 3000, "one row per second and broker over 50 minutes");
    let groups = |b: &str, t: &str| -> u64 {
        let row = rows.iter().find(|r| r[col("broker")] == b && r[col("time_s")] == t).unwrap();
        row[col("groups_in_table")].parse().unwrap()
    };
    // Before the restart at 32 min the sick broker holds the leak; 1 s after it, no more.
    assert!(groups("0", "1919.000") > 15_000);
    assert!(groups("0", "1921.000") < 1_000, "broker 0 was restarted");
    // Broker 1 was not restarted: its 300 live groups stay registered (a restarted broker would
    // have heard from about 1/30 of the clients 1 s later).
    assert!(
        groups("1", "1921.000") >= 300,
        "broker 1 must keep its table: {}",
        groups("1", "1921.000")
    );
}

#[test]
fn bad_overrides_are_clear_errors() {
    let dir = TempDir::new("cluster-bad");
    let base = cluster_text();
    for (from, to, needle) in [
        ("brokers = [0]", "brokers = [5]", "broker_overrides[0].brokers[0]"),
        (
            "brokers = [0]",
            "brokers = [0]\ncount = 2",
            "broker_overrides[0].count: cannot be overridden",
        ),
        ("policy = \"leaky\"", "policy = \"v5.3.3-fast\"", "v5.3.3-fcep"),
        (
            "groups_initial = 15742",
            "groups_initial = 15742\nheartbeat_threads = 0",
            "broker_overrides[0].heartbeat_threads",
        ),
        ("groups_initial = 15742", "groups_initial = 15742\nno_such_key = 1", "no_such_key"),
        (
            "broker_lag_max_above = { brokers = [1, 2]",
            "broker_lag_max_above = { brokers = [1, 7]",
            "broker index 7 does not exist",
        ),
    ] {
        let bad = base.replace(from, to);
        assert_ne!(bad, base, "{from} not found");
        let path = dir.write("bad.toml", &bad);
        let output = run_in(dir.path(), &["replay", path.to_str().unwrap(), "--out", "out", "--no-charts"]);
        assert_eq!(output.status.code(), Some(2), "{needle}: {}", text(&output));
        let err = String::from_utf8_lossy(&output.stderr);
        assert!(err.contains(needle), "expected {needle:?} in: {err}");
    }
}

/// A multi-broker replay draws the per-broker chart and the report shows it.
#[test]
fn multi_broker_replay_draws_the_broker_chart() {
    let dir = TempDir::new("cluster-chart");
    let text = cluster_text().replace("duration = \"50m\"", "duration = \"5m\"").replace(
        "recovers_within = { after = \"restart the sick broker\", within = \"15m\", level = 1000 }",
        "",
    );
    let text: String = text.split("\n[[actions]]").next().unwrap().to_string();
    let path = dir.write("cluster.toml", &text);
    let output = run_in(dir.path(), &["replay", path.to_str().unwrap(), "--out", "out"]);
    assert!(output.status.success(), "{}", crate::common::text(&output));
    for ext in ["png", "svg"] {
        let chart = dir.path().join(format!("out/fixed/brokers.{ext}"));
        let size = std::fs::metadata(&chart).map(|m| m.len()).unwrap_or(0);
        assert!(size > 1_000, "{} missing or empty", chart.display());
    }
    let report = std::fs::read_to_string(dir.path().join("out/report.html")).unwrap();
    assert!(report.contains("Per broker"), "the report must include the per-broker chart");
}
