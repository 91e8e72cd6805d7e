//! `hbsim sweep`: tipping points, shards that merge to the unsharded result, bad parameters.

use crate::common::{repo_root, run_in, text, TempDir};

fn args<'a>(scenario: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "sweep",
        scenario,
        "--param",
        "actions[0].count",
        "--values",
        "0,100",
        "--seeds",
        "2",
        "--policy",
        "leaky",
        "--policy",
        "fixed",
    ];
    a.extend_from_slice(extra);
    a
}

#[test]
fn sweep_finds_the_tipping_point_and_shards_merge_to_the_same_result() {
    let dir = TempDir::new("sweep");
    let mini = repo_root().join("tests/data/mini-collapse.toml");
    let scenario = mini.to_str().unwrap();
    let output = run_in(dir.path(), &args(scenario, &["--out", "whole", "--jobs", "2"]));
    assert!(output.status.success(), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("leaky: tips over (heartbeat timeouts > 5%) at 100"), "{stdout}");
    assert!(stdout.contains("fixed: does not tip over"), "{stdout}");

    for shard in ["0/3", "1/3", "2/3"] {
        let output = run_in(dir.path(), &args(scenario, &["--out", "shards", "--shard", shard, "--jobs", "1"]));
        assert!(output.status.success(), "{}", text(&output));
    }
    let output = run_in(dir.path(), &["sweep", scenario, "--merge", "shards"]);
    assert!(output.status.success(), "{}", text(&output));
    let whole = std::fs::read_to_string(dir.path().join("whole/sweep.csv")).unwrap();
    let merged = std::fs::read_to_string(dir.path().join("shards/sweep.csv")).unwrap();
    assert_eq!(whole, merged, "merged shards must equal the unsharded sweep");
}

#[test]
fn sweep_rejects_bad_parameters() {
    let dir = TempDir::new("sweep-bad");
    let mini = repo_root().join("tests/data/mini-collapse.toml");
    let scenario = mini.to_str().unwrap();
    let output = run_in(
        dir.path(),
        &["sweep", scenario, "--param", "actions[9].count", "--values", "1", "--out", "o"],
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("actions[9]"));
    let output = run_in(
        dir.path(),
        &[
            "sweep",
            scenario,
            "--param",
            "broker.heartbeat_threads",
            "--values",
            "0",
            "--out",
            "o",
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("broker.heartbeat_threads"),
        "{}",
        text(&output)
    );
    let output = run_in(
        dir.path(),
        &[
            "sweep",
            scenario,
            "--param",
            "groups.initial",
            "--values",
            "1",
            "--shard",
            "3/3",
            "--out",
            "o",
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
}
