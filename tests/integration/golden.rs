//! Golden outputs: every file in scenarios/ (its summary.json, whose trace hash pins the whole
//! event history) and the small test scenarios (their full timeline.csv too) must come out byte
//! for byte as stored under tests/golden/. `UPDATE_GOLDEN=1 cargo test golden` rewrites them;
//! review the diff like code.

use crate::common::{repo_root, run_in, text, TempDir};
use std::path::Path;

fn compare_or_update(actual_path: &Path, golden_path: &Path) {
    let actual = std::fs::read_to_string(actual_path).unwrap_or_else(|e| panic!("{}: {e}", actual_path.display()));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(golden_path.parent().unwrap()).unwrap();
        std::fs::write(golden_path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(golden_path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run UPDATE_GOLDEN=1 cargo test golden to create it)",
            golden_path.display()
        )
    });
    if actual != expected {
        let (line, (e, a)) = expected
            .lines()
            .zip(actual.lines())
            .enumerate()
            .find(|(_, (e, a))| e != a)
            .map(|(i, p)| (i + 1, p))
            .unwrap_or((expected.lines().count().min(actual.lines().count()) + 1, ("<end>", "<end>")));
        panic!(
            "{} differs from its golden copy at line {line}:\n  expected: {e}\n  actual:   {a}\n(if the change is intended: UPDATE_GOLDEN=1 cargo test golden, then review the diff)",
            golden_path.display()
        );
    }
}

fn golden_run(scenario: &Path, name: &str, with_timeline: bool) {
    let dir = TempDir::new(&format!("golden-{name}"));
    let output = run_in(dir.path(), &["replay", scenario.to_str().unwrap(), "--out", "out", "--no-charts"]);
    assert!(output.status.success(), "{}", text(&output));
    let golden = repo_root().join("tests/golden").join(name);
    for entry in std::fs::read_dir(dir.path().join("out")).unwrap() {
        let policy_dir = entry.unwrap().path();
        if !policy_dir.is_dir() {
            continue;
        }
        let policy = policy_dir.file_name().unwrap().to_str().unwrap().to_string();
        compare_or_update(&policy_dir.join("summary.json"), &golden.join(&policy).join("summary.json"));
        if with_timeline {
            compare_or_update(&policy_dir.join("timeline.csv"), &golden.join(&policy).join("timeline.csv"));
            compare_or_update(
                &policy_dir.join("timeline_brokers.csv"),
                &golden.join(&policy).join("timeline_brokers.csv"),
            );
        }
    }
}

#[test]
fn golden_incident() {
    golden_run(&repo_root().join("scenarios/incident-2024-10.toml"), "incident-2024-10", false);
}

#[test]
fn golden_incident_idle_host() {
    golden_run(
        &repo_root().join("scenarios/incident-2024-10-idle-host.toml"),
        "incident-2024-10-idle-host",
        false,
    );
}

#[test]
fn golden_incident_cluster() {
    golden_run(&repo_root().join("scenarios/incident-cluster.toml"), "incident-cluster", false);
}

#[test]
fn golden_healthy() {
    golden_run(&repo_root().join("scenarios/healthy.toml"), "healthy", false);
}

#[test]
fn golden_mini_collapse() {
    golden_run(&repo_root().join("tests/data/mini-collapse.toml"), "mini-collapse", true);
}

/// Every scenario shipped in scenarios/ has golden outputs (a new scenario needs them too).
#[test]
fn every_shipped_scenario_has_a_golden_test() {
    for entry in std::fs::read_dir(repo_root().join("scenarios")).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_str().unwrap().to_string();
        assert!(
            repo_root().join("tests/golden").join(&stem).is_dir() || std::env::var_os("UPDATE_GOLDEN").is_some(),
            "scenarios/{stem}.toml has no tests/golden/{stem}/"
        );
    }
}
