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

/// mini-collapse without its restart at 10m: a collapse then stays until the end, so "collapsed at
/// the run's steady end" (the last quarter) can be seen.
fn mini_without_restart(dir: &TempDir) -> std::path::PathBuf {
    let text = std::fs::read_to_string(repo_root().join("tests/data/mini-collapse.toml")).unwrap();
    let cut = text.find("[[actions]]\nat = \"10m\"").expect("mini-collapse restarts at 10m");
    dir.write("mini-no-restart.toml", &text[..cut])
}

#[test]
fn sweep_finds_the_tipping_point_and_shards_merge_to_the_same_result() {
    let dir = TempDir::new("sweep");
    let mini = mini_without_restart(&dir);
    let scenario = mini.to_str().unwrap();
    let output = run_in(dir.path(), &args(scenario, &["--out", "whole", "--jobs", "2"]));
    assert!(output.status.success(), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("leaky: tips over at 100: 2 of 2 seeds collapsed (95% CI 34–100%)"),
        "{stdout}"
    );
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

/// A broker restart is an intervention: a run is judged "collapsed" on its last quarter before the
/// first restart, so mini-collapse (restart at 10 min, recovered well before its 20 min end)
/// tipped at a 100-client push and not at a 1-client push. Judged on the whole run's last quarter
/// (after the restart) it would never tip.
#[test]
fn a_collapse_ended_by_a_restart_still_counts_as_tipped() {
    let dir = TempDir::new("sweep-recover");
    let mini = repo_root().join("tests/data/mini-collapse.toml");
    let output = run_in(
        dir.path(),
        &[
            "sweep",
            mini.to_str().unwrap(),
            "--param",
            "actions[0].count",
            "--values",
            "1,100",
            "--seeds",
            "1",
            "--policy",
            "leaky",
            "--out",
            "o",
        ],
    );
    assert!(output.status.success(), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("leaky: tips over at 100"), "{stdout}");
    let first = stdout.lines().find(|l| l.starts_with("1 ")).unwrap_or_default();
    assert!(first.contains("0/1"), "a 1-client push recovers by itself: {stdout}");
}

#[test]
fn sweep_grid_writes_k_of_n_and_the_collapse_map() {
    let dir = TempDir::new("sweep-grid");
    let mini = mini_without_restart(&dir);
    let output = run_in(
        dir.path(),
        &[
            "sweep",
            mini.to_str().unwrap(),
            "--param",
            "actions[0].count",
            "--values",
            "0,100",
            "--param2",
            "broker.heartbeat_threads",
            "--values2",
            "8",
            "--seeds",
            "2",
            "--policy",
            "leaky",
            "--mark",
            "here=8,50",
            "--out",
            "g",
        ],
    );
    assert!(output.status.success(), "{}", text(&output));
    let grid = std::fs::read_to_string(dir.path().join("g/grid.csv")).unwrap();
    let lines: Vec<&str> = grid.lines().collect();
    assert_eq!(lines.len(), 3, "{grid}");
    assert!(lines[1].starts_with("0,8,leaky,2,0,"), "{grid}");
    assert!(lines[2].starts_with("100,8,leaky,2,2,"), "{grid}");
    for ext in ["png", "svg"] {
        let map = dir.path().join(format!("g/collapse-map-leaky.{ext}"));
        assert!(std::fs::metadata(&map).map(|m| m.len() > 0).unwrap_or(false), "{}", map.display());
    }
    let output = run_in(
        dir.path(),
        &[
            "sweep",
            mini.to_str().unwrap(),
            "--param",
            "actions[0].count",
            "--values",
            "0",
            "--param2",
            "broker.heartbeat_threads",
            "--values2",
            "8",
            "--mark",
            "nowhere",
            "--out",
            "g2",
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--mark"), "{}", text(&output));
}
