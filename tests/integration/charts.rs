//! Charts, `report.html` and `hbsim compare`: files exist and are well formed, compare does not
//! depend on `--jobs`, and the leaky peak dump shows the incident's evidence. No pixel checks.

use crate::common::{repo_root, run_in, text, TempDir};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Three simulated minutes, 300 background clients heartbeating every 5 s against a leaked table
/// of 30,000 groups; a burst of IDLE disconnects at 30 s starts a collapse under `leaky`.
pub const COLLAPSE: &str = r#"
name = "short-collapse"
description = "A leaked table of 30,000 groups & a burst of <IDLE> disconnects: the heartbeat collapse in three minutes."
seed = 11
duration = "3m"
policies = ["leaky", "fixed"]

[clients]
heartbeat_interval = "5s"

[[topics]]
name = "t"
queues_per_broker = 8

[[consumer_groups]]
name = "g"
topic = "t"
consumers = 4
consume_rate = 1000.0

[[producers]]
group = "p"
topic = "t"
send_rate = 1000.0

[background]
clients = 300
live_groups = 20
reconnect_interval = { dist = "exponential", mean = "2h" }

[groups]
initial = 30000
create_interval = "4s"
lifetime = "60s"

[[actions]]
at = "30s"
action = "disconnect_clients"
count = 200
over = "2s"
cause = "idle"
label = "200 clients drop (IDLE)"
"#;

const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";

fn assert_png(path: &Path) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(bytes.len() > 1_000, "{} is too small", path.display());
    assert!(bytes.starts_with(PNG_MAGIC), "{} is not a PNG", path.display());
}

/// Parses the SVG with a real XML parser: well-formed, rooted at <svg>, with drawn content.
fn assert_well_formed_svg(path: &Path) {
    let svg = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{} is not well-formed XML: {e}", path.display()));
    assert_eq!(doc.root_element().tag_name().name(), "svg", "{}", path.display());
    let drawn = doc.descendants().filter(|n| n.is_element()).count();
    assert!(drawn > 20, "{} has only {drawn} elements", path.display());
}

fn summary_value(path: &Path, key: &str) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("\"{key}\":")))
        .unwrap_or_else(|| panic!("{key} missing in {}", path.display()));
    line.split(':').nth(1).unwrap().trim().trim_end_matches(',').to_string()
}

/// Every file under `dir`, by relative path.
fn files_under(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.insert(path.strip_prefix(dir).unwrap().to_path_buf(), std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

#[test]
fn replay_draws_every_chart_and_the_report() {
    let dir = TempDir::new("charts-replay");
    let scenario = dir.write("collapse.toml", COLLAPSE);
    let output = run_in(
        dir.path(),
        &["replay", scenario.to_str().unwrap(), "--policy", "leaky", "--out", "out"],
    );
    assert!(output.status.success(), "{}", text(&output));
    let policy_dir = dir.path().join("out").join("leaky");
    for stem in ["lag", "consumers", "threads", "monitor", "netty", "latency", "heartbeats", "table"] {
        assert_png(&policy_dir.join(format!("{stem}.png")));
        assert_well_formed_svg(&policy_dir.join(format!("{stem}.svg")));
    }
    let report = std::fs::read_to_string(dir.path().join("out").join("report.html")).unwrap();
    let lag_max = summary_value(&policy_dir.join("summary.json"), "lag_max");
    assert!(lag_max.parse::<u64>().unwrap() > 0, "the collapse scenario has lag");
    let grouped = hbsim::report::thousands(lag_max.parse().unwrap());
    assert!(
        report.contains(&format!("<td class=\"num\">{grouped} messages</td>")),
        "report shows lag_max {grouped}"
    );
    assert!(report.starts_with("<!DOCTYPE html>") && report.trim_end().ends_with("</html>"));
    assert_eq!(report.matches("<svg").count(), 8, "eight inline charts");
    assert!(report.contains("A leaked table of 30,000 groups &amp; a burst of &lt;IDLE&gt; disconnects"));
    assert!(report.contains("200 clients drop (IDLE)"), "actions timeline");
    assert!(report.contains("0:00:30"), "action time");
    assert!(report.contains("waiting to lock &lt;0x"), "thread dumps, escaped");
    for fetch in ["<script", "<link", "src=", "@import", "url("] {
        assert!(!report.contains(fetch), "report.html must be self-contained, found {fetch}");
    }
}

#[test]
fn replay_without_charts_draws_none() {
    let dir = TempDir::new("charts-none");
    let scenario = dir.write("collapse.toml", COLLAPSE);
    let args = [
        "replay",
        scenario.to_str().unwrap(),
        "--policy",
        "fixed",
        "--out",
        "out",
        "--no-charts",
    ];
    let output = run_in(dir.path(), &args);
    assert!(output.status.success(), "{}", text(&output));
    let files = files_under(&dir.path().join("out"));
    assert!(
        files.keys().all(|p| p.extension().is_none_or(|e| e != "png" && e != "svg")),
        "{:?}",
        files.keys()
    );
    assert!(files.contains_key(Path::new("report.html")));
}

#[test]
fn compare_writes_one_row_per_policy_and_does_not_depend_on_jobs() {
    let dir = TempDir::new("compare-jobs");
    let scenario = dir.write("collapse.toml", COLLAPSE);
    let scenario = scenario.to_str().unwrap();
    for (jobs, out) in [("1", "out1"), ("2", "out2")] {
        let args = ["compare", scenario, "--jobs", jobs, "--out", out, "--dump-at", "1m"];
        let output = run_in(dir.path(), &args);
        assert!(output.status.success(), "--jobs {jobs}: {}", text(&output));
        assert!(String::from_utf8_lossy(&output.stdout).contains("heartbeat_timeout_ratio"));
    }
    let first = files_under(&dir.path().join("out1"));
    let second = files_under(&dir.path().join("out2"));
    assert_eq!(first.keys().collect::<Vec<_>>(), second.keys().collect::<Vec<_>>());
    for (path, bytes) in &first {
        assert!(bytes == &second[path], "{} differs between --jobs 1 and --jobs 2", path.display());
    }
    let csv = String::from_utf8(first[Path::new("comparison.csv")].clone()).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "header + leaky + fixed:\n{csv}");
    assert!(lines[0].starts_with("policy,lag_max,lag_final,time_above_lag_1000_s,"));
    assert!(lines[0].ends_with(",heartbeat_timeout_ratio,consumers_registered_min,groups_in_table_final,monitor_utilization"));
    assert!(lines[1].starts_with("leaky,") && lines[2].starts_with("fixed,"));
    for stem in ["compare-lag", "compare-timeouts"] {
        assert_png(&dir.path().join("out1").join(format!("{stem}.png")));
        assert_well_formed_svg(&dir.path().join("out1").join(format!("{stem}.svg")));
    }
    let report = String::from_utf8(first[Path::new("report.html")].clone()).unwrap();
    assert_eq!(report.matches("<svg").count(), 2 + 2 * 8, "compare charts + eight per policy");
    let dumps = String::from_utf8(first[Path::new("leaky/thread-dumps.txt")].clone()).unwrap();
    assert!(dumps.contains("virtual time 60.000 s"), "--dump-at reaches every run");
}

#[test]
fn leaky_peak_dump_shows_every_heartbeat_thread_blocked_behind_the_close_walk() {
    let dir = TempDir::new("peak-dump");
    let scenario = dir.write("collapse.toml", COLLAPSE);
    let output = run_in(
        dir.path(),
        &["replay", scenario.to_str().unwrap(), "--policy", "leaky", "--out", "out"],
    );
    assert!(output.status.success(), "{}", text(&output));
    let dumps = std::fs::read_to_string(dir.path().join("out/leaky/thread-dumps.txt")).unwrap();
    let peak = dumps
        .split("hbsim thread dump: ")
        .find(|d| d.contains("(maximum lag)"))
        .unwrap_or_else(|| panic!("no dump at the lag peak:\n{dumps}"));
    let threads: Vec<&str> = peak.split("\n\n").filter(|t| t.starts_with('"')).collect();
    let heartbeat: Vec<&&str> = threads.iter().filter(|t| t.starts_with("\"HeartbeatThread_")).collect();
    assert_eq!(heartbeat.len(), 8, "eight heartbeat threads in the dump");
    let netty = threads
        .iter()
        .find(|t| t.starts_with("\"NettyEventExecutor\""))
        .expect("the Netty event thread is in the dump");
    assert!(netty.contains("ProducerManager.doChannelCloseEvent"), "{netty}");
    let held = netty
        .lines()
        .find_map(|l| l.trim().strip_prefix("- locked <"))
        .and_then(|l| l.split_once('>'))
        .filter(|(_, what)| what.contains("ProducerManager"))
        .map(|(address, _)| address.to_string())
        .unwrap_or_else(|| panic!("NettyEventExecutor holds no ProducerManager:\n{netty}"));
    for thread in heartbeat {
        assert!(thread.contains("java.lang.Thread.State: BLOCKED"), "{thread}");
        assert!(thread.contains("ProducerManager.registerProducer"), "{thread}");
        let waiting = format!("- waiting to lock <{held}> (a org.apache.rocketmq.broker.client.ProducerManager)");
        assert!(thread.contains(&waiting), "{thread}");
    }
}

#[test]
fn compare_rejects_zero_jobs() {
    let dir = TempDir::new("compare-zero-jobs");
    let scenario = repo_root().join("scenarios").join("incident-2024-10.toml");
    let output = run_in(dir.path(), &["compare", scenario.to_str().unwrap(), "--jobs", "0", "--out", "out"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--jobs"));
    assert!(!dir.path().join("out").exists(), "nothing written");
}
