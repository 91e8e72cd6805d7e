//! `hbsim check`: thresholds, exit codes, JUnit, jobs, baselines.

use crate::common::{repo_root, run_in, text, TempDir};

fn mini() -> String {
    std::fs::read_to_string(repo_root().join("tests/data/mini-collapse.toml")).unwrap()
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).to_string()
}

#[test]
fn breached_threshold_exits_1_and_names_everything() {
    let dir = TempDir::new("check-breach");
    let scenario = format!(
        "{}\n[expect.fixed]\nlag_max_below = 1000000\n[expect.leaky]\nlag_max_below = 1000\n",
        mini()
    );
    dir.write("mini.toml", &scenario);
    let output = run_in(dir.path(), &["check", "mini.toml", "--junit", "report.xml"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let out = stdout(&output);
    let fail = out
        .lines()
        .find(|l| l.starts_with("FAIL"))
        .unwrap_or_else(|| panic!("no FAIL line: {out}"));
    for needle in ["mini-collapse", "leaky", "lag_max_below", "< 1000"] {
        assert!(fail.contains(needle), "{needle:?} missing from {fail}");
    }
    assert!(
        out.lines().any(|l| l.starts_with("PASS mini-collapse fixed lag_max_below")),
        "{out}"
    );
    assert!(out.trim_end().ends_with("1 passed, 1 failed"), "{out}");
    // The JUnit report is well-formed XML with the right counts.
    let xml = std::fs::read_to_string(dir.path().join("report.xml")).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("well-formed JUnit XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(root.attribute("tests"), Some("2"));
    assert_eq!(root.attribute("failures"), Some("1"));
    let cases: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("testcase")).collect();
    assert_eq!(cases.len(), 2);
    let failures: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("failure")).collect();
    assert_eq!(failures.len(), 1);
    assert!(failures[0].attribute("message").unwrap().contains("lag_max_below"));
}

#[test]
fn malformed_expect_exits_2() {
    let dir = TempDir::new("check-malformed");
    dir.write("a.toml", &format!("{}\n[expect]\nlag_max_bellow = 5\n", mini()));
    let output = run_in(dir.path(), &["check", "a.toml"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("a.toml") && err.contains("expect.lag_max_bellow") && err.contains("unknown threshold"),
        "{err}"
    );

    dir.write(
        "b.toml",
        &format!(
            "{}\n[expect.leaky]\nheartbeat_timeout_ratio_above = 1.5\nrecovers_within = {{ after = \"nothing\", within = \"1m\" }}\n",
            mini()
        ),
    );
    let output = run_in(dir.path(), &["check", "b.toml"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("expect.leaky.heartbeat_timeout_ratio_above") && err.contains("expect.leaky.recovers_within.after"),
        "{err}"
    );
}

#[test]
fn jobs_do_not_change_the_output() {
    let dir = TempDir::new("check-jobs");
    let scenario = format!(
        "{}\n[expect]\nlag_max_below = 10000000\n[expect.leaky]\nlag_max_above = 1000\nrecovers_within = {{ after = \"restart_broker\", within = \"9m\", level = 1000 }}\n",
        mini()
    );
    dir.write("one.toml", &scenario);
    dir.write(
        "two.toml",
        &scenario
            .replace("name = \"mini-collapse\"", "name = \"mini-two\"")
            .replace("seed = 11", "seed = 12"),
    );
    let a = run_in(dir.path(), &["check", ".", "--jobs", "1"]);
    let b = run_in(dir.path(), &["check", ".", "--jobs", "2"]);
    assert_eq!(a.status.code(), Some(0), "{}", text(&a));
    assert_eq!(stdout(&a), stdout(&b));
    assert_eq!(a.status.code(), b.status.code());
    assert!(stdout(&a).contains("PASS mini-collapse leaky recovers_within"));
}

#[test]
fn baseline_passes_against_itself_and_fails_against_a_better_policy() {
    let dir = TempDir::new("check-baseline");
    dir.write("mini.toml", &format!("{}\n[expect.leaky]\nlag_max_above = 0\n", mini()));
    let output = run_in(dir.path(), &["replay", "mini.toml", "--out", "base/mini-collapse"]);
    assert!(output.status.success(), "{}", text(&output));
    let output = run_in(dir.path(), &["check", "mini.toml", "--baseline", "base"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(stdout(&output).contains("PASS mini-collapse leaky baseline:lag_max"));

    // A baseline where "leaky" performed like "fixed": the leaky run is now a regression.
    let better = dir.path().join("better/mini-collapse/leaky");
    std::fs::create_dir_all(&better).unwrap();
    // (Relabelled as a leaky run: a baseline of another policy is refused, issue 14.)
    let fixed = std::fs::read_to_string(dir.path().join("base/mini-collapse/fixed/summary.json")).unwrap();
    std::fs::write(
        better.join("summary.json"),
        fixed.replace("\"policy\": \"fixed\"", "\"policy\": \"leaky\""),
    )
    .unwrap();
    let output = run_in(dir.path(), &["check", "mini.toml", "--baseline", "better", "--tolerance", "10%"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let out = stdout(&output);
    for figure in ["baseline:lag_max", "baseline:heartbeat_timeout_ratio"] {
        assert!(
            out.lines().any(|l| l.starts_with("FAIL") && l.contains(figure)),
            "{figure} should fail: {out}"
        );
    }
}
