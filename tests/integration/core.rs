//! Core behaviour of `hbsim replay`: determinism, output files, bad input.

use crate::common::{run_in, text, TempDir};

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
