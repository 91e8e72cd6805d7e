//! What an SRE sees: report.html (narrative, new charts, tables in words), jstack-shaped dumps,
//! the CLI's messages, help, completions, warnings, JUnit details and the sweep's charts, resume
//! and progress. Every test runs the real binary.

use crate::common::{hbsim_bin, read_holds, repo_root, run_in, text, TempDir};
use std::path::{Path, PathBuf};
use std::process::Command;

fn mini() -> String {
    std::fs::read_to_string(repo_root().join("tests/data/mini-collapse.toml")).unwrap()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The ids of elements and the `#...` links of a page parsed as XML (the report is well-formed).
fn ids_and_links(html: &str) -> (Vec<String>, Vec<String>) {
    let doc = roxmltree::Document::parse_with_options(
        html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("report.html is not well-formed: {e}"));
    let mut ids = Vec::new();
    let mut links = Vec::new();
    for node in doc.descendants().filter(|n| n.is_element()) {
        if let Some(id) = node.attribute("id") {
            ids.push(id.to_string());
        }
        if node.tag_name().name() == "a" {
            if let Some(href) = node.attribute("href") {
                links.push(href.trim_start_matches('#').to_string());
            }
        }
    }
    (ids, links)
}

#[test]
fn report_tells_what_happened_with_the_new_charts_and_tables_in_words() {
    let dir = TempDir::new("report");
    dir.write("mini.toml", &mini());
    let output = run_in(dir.path(), &["compare", "mini.toml", "--out", "out"]);
    assert!(output.status.success(), "{}", text(&output));
    let html = read(&dir.path().join("out/report.html"));

    // The narrative comes first, and every sentence links to a chart that is on the page.
    let story = html.find("id=\"what-happened\"").expect("a What happened section");
    let figures = html.find("id=\"figures\"").expect("a figures table");
    assert!(story < figures, "the narrative is at the top");
    let (ids, links) = ids_and_links(&html);
    assert!(links.len() >= 10, "{links:?}");
    for link in &links {
        assert!(ids.contains(link), "link #{link} has no target");
    }
    let narrative = &html[story..figures];
    for needle in [
        "the trigger",
        "heartbeat threads BLOCKED on the ProducerManager monitor, held by NettyEventExecutor",
        "consumers fell out of the broker's consumer table",
        "Lag peaked at",
        "stop group creation",
        "Recovered: after the restart at 0:10:00",
        "Nothing to recover from",
        "Between two close walks with the next close already queued, heartbeat threads got the monitor in",
    ] {
        assert!(narrative.contains(needle), "narrative lacks `{needle}`:\n{narrative}");
    }
    // The gap sentence carries summary.json's walker_gaps figures.
    let gaps: serde_json::Value = serde_json::from_str(&read(&dir.path().join("out/leaky/summary.json"))).unwrap();
    let gaps = &gaps["walker_gaps"];
    assert!(gaps["gaps"].as_u64().unwrap() > 0, "{gaps}");
    let won = gaps["won_by_heartbeats"].as_u64().unwrap();
    assert!(
        narrative.contains(&format!("monitor in {} of", hbsim::report::thousands(won))),
        "{gaps}\n{narrative}"
    );
    // Every policy has the four new charts.
    for policy in ["leaky", "fixed"] {
        for stem in ["consumers", "netty", "latency", "monitor", "lag", "threads", "heartbeats", "table"] {
            assert!(ids.contains(&format!("fig-{policy}-{stem}")), "no chart {stem} for {policy}");
            assert!(dir.path().join(format!("out/{policy}/{stem}.png")).is_file());
        }
    }
    // Tables: words and units, thousands separators, durations; metadata apart; one table of figures.
    let table = &html[figures..html.find("id=\"actions\"").unwrap()];
    assert!(table.contains("Largest consumer lag"), "{table}");
    assert!(table.contains("Gaps between close walks won by heartbeat threads"), "{table}");
    assert!(table.contains("Heartbeat response at the broker, p50 / p90 / p99"), "{table}");
    assert!(!table.contains("lag_max"), "snake_case names in the figures table");
    assert!(!table.contains("trace"), "trace hash among the operator's figures");
    assert!(table.contains(" messages</td>"), "{table}");
    let leaky: serde_json::Value = serde_json::from_str(&read(&dir.path().join("out/leaky/summary.json"))).unwrap();
    let lag_max = leaky["lag_max"].as_u64().unwrap();
    assert!(lag_max >= 1000);
    let grouped = lag_max
        .to_string()
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(",");
    assert!(table.contains(&format!("{grouped} messages")), "no {grouped} in {table}");
    assert!(table.contains(" min "), "durations in words: {table}");
    assert!(table.contains("not needed"), "fixed never needed to recover: {table}");
    assert!(!table.contains("1.000"), "{table}");
    assert_eq!(html.matches("<table class=\"figures\"").count(), 1, "one figures table");
    let meta = &html[html.find("id=\"metadata\"").expect("a metadata section")..];
    assert!(meta.contains("trace hash") && meta.contains(leaky["trace_hash"].as_str().unwrap()));
    // The comparison's lag chart has a log-scale panel, so `fixed` is visible beside `leaky`.
    assert!(read(&dir.path().join("out/compare-lag.svg")).contains("log scale"));
}

/// Loads the report in headless Chromium when it is installed (full-page screenshot and the DOM
/// as the browser built it); without Chromium the structure check above still runs.
#[test]
fn report_loads_in_chromium_when_present() {
    let browser = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| Command::new(b).arg("--version").output().is_ok_and(|o| o.status.success()));
    let dir = TempDir::new("chromium");
    dir.write("mini.toml", &mini());
    let output = run_in(dir.path(), &["compare", "mini.toml", "--out", "out"]);
    assert!(output.status.success(), "{}", text(&output));
    let page = dir.path().join("out/report.html");
    let html = read(&page);
    let (ids, _) = ids_and_links(&html);
    assert!(ids.contains(&"what-happened".to_string()));
    let Some(browser) = browser else {
        eprintln!("no Chromium: checked the HTML structure only");
        return;
    };
    let url = format!("file://{}", page.display());
    let profile = dir.path().join("profile");
    let common = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--allow-file-access-from-files",
    ];
    let dom = Command::new(browser)
        .args(common)
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("What happened") && dom.contains("fig-leaky-monitor"), "{dom}");
    assert!(dom.matches("<svg").count() >= 18, "the charts are in the DOM");
    let shot = dir.path().join("report.png");
    let status = Command::new(browser)
        .args(common)
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--window-size=1300,9000")
        .arg(format!("--screenshot={}", shot.display()))
        .arg(&url)
        .output()
        .expect("chromium runs");
    let png = std::fs::read(&shot).unwrap_or_else(|e| panic!("no screenshot ({e}): {}", text(&status)));
    assert!(png.starts_with(b"\x89PNG") && png.len() > 50_000, "{} bytes", png.len());
}

/// The thread-header keys of `jstack` on OpenJDK 17, in order.
fn header_keys(line: &str) -> Vec<&str> {
    line.split_whitespace().filter_map(|w| w.split_once('=').map(|(k, _)| k)).collect()
}

#[test]
fn thread_dumps_read_like_jstack_and_come_in_time_order() {
    let dir = TempDir::new("dumps");
    dir.write("mini.toml", &mini());
    // Given out of order on purpose; the maximum-lag dump falls between the two.
    let output = run_in(
        dir.path(),
        &[
            "replay",
            "mini.toml",
            "--policy",
            "leaky",
            "--out",
            "out",
            "--no-charts",
            "--dump-at",
            "15m",
            "--dump-at",
            "3m30s",
        ],
    );
    assert!(output.status.success(), "{}", text(&output));
    let dumps = read(&dir.path().join("out/leaky/thread-dumps.txt"));
    let reference = read(&repo_root().join("tests/data/jstack-openjdk17.txt"));
    let real_header = reference.lines().find(|l| l.starts_with("\"HeartbeatThread")).unwrap();

    let sections: Vec<&str> = dumps.split("hbsim thread dump: ").skip(1).collect();
    assert_eq!(sections.len(), 3, "two --dump-at and the maximum lag:\n{dumps}");
    let mut times = Vec::new();
    let (mut blocked, mut locked, mut idle) = (0, 0, 0);
    for section in &sections {
        let lines: Vec<&str> = section.lines().collect();
        let time: f64 = lines[0]
            .split("virtual time ")
            .nth(1)
            .and_then(|t| t.split(' ').next())
            .and_then(|t| t.parse().ok())
            .unwrap_or_else(|| panic!("{}", lines[0]));
        times.push(time);
        let stamp = lines[1].as_bytes();
        assert!(
            stamp.len() == 19 && stamp[4] == b'-' && stamp[10] == b' ' && stamp[13] == b':',
            "{}",
            lines[1]
        );
        assert!(
            lines[2].starts_with("Full thread dump OpenJDK 64-Bit Server VM (17."),
            "{}",
            lines[2]
        );
        assert!(section.contains("\nJNI global refs: "), "closing line");
        for thread in section.split("\n\n").filter(|b| b.starts_with('"')) {
            let header = thread.lines().next().unwrap();
            assert_eq!(header_keys(header), header_keys(real_header), "{header}");
            assert!(header.contains(" #") && header.ends_with(']'), "{header}");
            let state = thread.lines().nth(1).unwrap();
            assert!(state.starts_with("   java.lang.Thread.State: "), "{thread}");
            let last = thread.lines().last().unwrap();
            assert_eq!(last, "\tat java.lang.Thread.run(java.base@17.0.15/Thread.java:840)", "{thread}");
            let worker = header.starts_with("\"HeartbeatThread_") || header.starts_with("\"ClientManageThread_");
            if worker {
                assert!(
                    thread.contains("\tat java.util.concurrent.ThreadPoolExecutor$Worker.run("),
                    "{thread}"
                );
            }
            if state.contains("BLOCKED") {
                blocked += 1;
                assert!(header.contains("waiting for monitor entry"), "{header}");
                assert!(
                    thread.contains("\t- waiting to lock <0x")
                        && thread.contains("> (a org.apache.rocketmq.broker.client.ProducerManager)"),
                    "{thread}"
                );
            }
            if thread.contains("\t- locked <0x") {
                locked += 1;
            }
            if worker && state.contains("WAITING (parking)") {
                idle += 1;
                for frame in [
                    "\tat jdk.internal.misc.Unsafe.park(",
                    "\t- parking to wait for  <0x",
                    "\tat java.util.concurrent.locks.LockSupport.park(",
                    "\tat java.util.concurrent.LinkedBlockingQueue.take(",
                    "\tat java.util.concurrent.ThreadPoolExecutor.getTask(",
                ] {
                    assert!(thread.contains(frame), "idle worker without `{frame}`:\n{thread}");
                }
            }
        }
    }
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "dumps out of time order: {times:?}");
    assert!(
        blocked > 0 && locked > 0 && idle > 0,
        "blocked {blocked}, locked {locked}, idle {idle}"
    );
}

#[test]
fn dump_at_parses_like_scenario_durations_and_past_the_end_is_an_error() {
    let dir = TempDir::new("dumpat");
    dir.write("mini.toml", &mini());
    let output = run_in(
        dir.path(),
        &[
            "replay",
            "mini.toml",
            "--policy",
            "fixed",
            "--out",
            "a",
            "--no-charts",
            "--dump-at",
            "1m30s",
        ],
    );
    assert!(output.status.success(), "{}", text(&output));
    assert!(read(&dir.path().join("a/fixed/thread-dumps.txt")).contains("virtual time 90.000 s"));
    let output = run_in(dir.path(), &["replay", "mini.toml", "--out", "b", "--dump-at", "1h30m"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let err = stderr(&output);
    assert!(
        err.contains("--dump-at 1h30m") && err.contains("past the end") && err.contains("20m"),
        "{err}"
    );
    assert!(!dir.path().join("b").exists(), "nothing written");
}

#[test]
fn typos_get_a_did_you_mean_where_they_were_made() {
    let dir = TempDir::new("typos");
    let field = mini().replacen("seed = 11", "sed = 11", 1);
    let field_line = field.lines().position(|l| l.starts_with("sed = 11")).unwrap() + 1;
    dir.write("field.toml", &field);
    let output = run_in(dir.path(), &["replay", "field.toml"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains("field.toml") && err.contains(&format!("line {field_line},")) && err.contains("did you mean `seed`?"),
        "{err}"
    );

    let action = mini().replacen("\"disconnect_clients\"", "\"disconect_clients\"", 1);
    let line = action.lines().position(|l| l.contains("disconect_clients")).unwrap() + 1;
    dir.write("action.toml", &action);
    let err = stderr(&run_in(dir.path(), &["replay", "action.toml"]));
    assert!(
        err.contains(&format!("line {line}")) && err.contains("did you mean `disconnect_clients`?"),
        "{err}"
    );

    dir.write("mini.toml", &mini());
    let err = stderr(&run_in(dir.path(), &["replay", "mini.toml", "--policy", "fixd"]));
    assert!(
        err.contains("unknown policy `fixd`") && err.contains("did you mean `fixed`?"),
        "{err}"
    );
    let err = stderr(&run_in(
        dir.path(),
        &["sweep", "mini.toml", "--param", "groups.intial", "--values", "1"],
    ));
    assert!(
        err.contains("--param groups.intial") && err.contains("did you mean `initial`?"),
        "{err}"
    );
    assert!(!err.contains("line "), "a --param typo is not on a file line: {err}");
    let err = stderr(&run_in(
        dir.path(),
        &["sweep", "mini.toml", "--param", "group.initial", "--values", "1"],
    ));
    assert!(err.contains("did you mean `groups`?") && !err.contains("line "), "{err}");
}

#[test]
fn wrong_seed_output_folder_and_baseline_say_what_to_do() {
    let dir = TempDir::new("messages");
    dir.write("mini.toml", &mini());
    let output = run_in(dir.path(), &["replay", "mini.toml", "--seed", "-1"]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("`-1` is negative") && err.contains("--seed 1"), "{err}");

    dir.write("taken", "a file");
    for args in [
        vec!["replay", "mini.toml", "--out", "taken"],
        vec!["compare", "mini.toml", "--out", "taken/sub"],
        vec!["sweep", "mini.toml", "--param", "seed", "--values", "1", "--out", "taken"],
    ] {
        let output = run_in(dir.path(), &args);
        assert_eq!(output.status.code(), Some(3), "{args:?}: {}", text(&output));
        let err = stderr(&output);
        assert!(err.contains("`taken` is a file") && err.contains("--out"), "{err}");
    }

    std::fs::create_dir_all(dir.path().join("base/other")).unwrap();
    dir.write("checked.toml", &format!("{}\n[expect.leaky]\nlag_max_above = 0\n", mini()));
    let output = run_in(dir.path(), &["check", "checked.toml", "--baseline", "base"]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    let err = stderr(&output);
    assert!(
        err.contains("no baseline for scenario `mini-collapse`") && err.contains("summary.json") && err.contains("hbsim compare"),
        "{err}"
    );
}

#[test]
fn help_has_examples_and_policies_and_completions_are_generated() {
    for command in ["replay", "compare", "check", "sweep", "completions"] {
        let output = Command::new(hbsim_bin()).args([command, "--help"]).output().unwrap();
        let help = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success() && help.contains("Examples:\n  hbsim "), "{command}: {help}");
        if matches!(command, "replay" | "compare" | "sweep") {
            assert!(
                help.contains("v4.6.0") && help.contains("v5.3.3-fcep") && help.contains("leaky (= v4.9.8)"),
                "{help}"
            );
        }
    }
    for (shell, needle) in [("bash", "_hbsim()"), ("zsh", "#compdef hbsim"), ("fish", "complete -c hbsim")] {
        let output = Command::new(hbsim_bin()).args(["completions", shell]).output().unwrap();
        let script = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && script.contains(needle) && script.contains("sweep"),
            "{shell}"
        );
    }
    let output = Command::new(hbsim_bin()).args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn implausible_values_warn_naming_the_range() {
    let dir = TempDir::new("plausible");
    let scenario = mini().replacen("[broker]\n", "[broker]\nclose_cost_per_group = \"1ms\"\n", 1);
    dir.write("slow.toml", &scenario);
    let output = run_in(
        dir.path(),
        &["replay", "slow.toml", "--policy", "fixed", "--no-charts", "--out", "o"],
    );
    assert!(output.status.success(), "{}", text(&output));
    let err = stderr(&output);
    assert!(
        err.contains("warning: slow.toml: broker.close_cost_per_group = 1ms is outside its plausible range (5ns to 20us)"),
        "{err}"
    );
    // Under a calibration, an event-thread gap below the calibration's own (the harness's floor:
    // a broker's unlocked work adds to it) warns, naming both and the file.
    let cal = repo_root().join("tests/data/calibration/user45-session-2026-12-05.toml");
    let under = |gap: &str| {
        let text = format!(
            "calibration = {}\n{}",
            toml::Value::String(cal.display().to_string()),
            mini()
                .lines()
                .filter(|l| !l.starts_with("netty_event_gap "))
                .map(|l| format!("{l}\n"))
                .collect::<String>()
                .replacen("[broker]\n", &format!("[broker]\nnetty_event_gap = \"{gap}\"\n"), 1)
        );
        let s = hbsim::scenario::parse(&dir.path().join("under.toml"), text.as_bytes()).unwrap();
        hbsim::scenario::plausibility_warnings(&s)
    };
    let warned = under("2us");
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert!(
        warned[0].starts_with("broker.netty_event_gap's mean 2us is below the calibration's 2.359us (")
            && warned[0].contains("user45-session-2026-12-05.toml"),
        "{warned:?}"
    );
    assert_eq!(under("2.359us"), Vec::<String>::new());
    assert_eq!(under("17.359us"), Vec::<String>::new());
    // The run queue (F) beside the host's other work: validated on idle hosts, and on hosts whose
    // other work fills the CPUs with I's keys (the forty-fourth session).
    let queue = |keys: &str| {
        let text = mini().replacen("[broker]\n", &format!("[broker]\ncpus = 2\ncpu_run_queue = true\n{keys}"), 1);
        let s = hbsim::scenario::parse(&dir.path().join("queue.toml"), text.as_bytes()).unwrap();
        hbsim::scenario::plausibility_warnings(&s)
    };
    assert_eq!(queue(""), Vec::<String>::new());
    let i_keys = "cpu_executor_share = 0.3\ncpu_wait_after_drain = \"0\"\n";
    assert_eq!(queue(&format!("cpu_other_runnable = 4\n{i_keys}")), Vec::<String>::new());
    let loaded = queue("cpu_other_runnable = 4\ncpu_wait_after_drain = \"0\"\n");
    assert_eq!(loaded.len(), 1, "{loaded:?}");
    assert!(
        loaded[0].starts_with(
            "broker.cpu_run_queue = true with broker.cpu_other_runnable = 4 on broker.cpus = 2 without broker.cpu_executor_share:"
        ),
        "{loaded:?}"
    );
    let bare = queue("cpu_other_runnable = 2\n");
    assert!(
        bare.len() == 1 && bare[0].contains("without broker.cpu_executor_share and broker.cpu_wait_after_drain"),
        "{bare:?}"
    );
    let between = queue(&format!("cpu_other_runnable = 1\n{i_keys}"));
    assert!(between.len() == 1 && between[0].contains("not between"), "{between:?}");
    // The shipped scenarios warn about nothing, the measured calibrations' included (a hot
    // table's 25 ns per group once warned in the idle-host companion).
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo_root().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "{files:?}");
    files.push(repo_root().join("tests/data/mini-collapse.toml"));
    for file in &files {
        let s = hbsim::scenario::load(file).unwrap();
        assert_eq!(
            hbsim::scenario::plausibility_warnings(&s),
            Vec::<String>::new(),
            "{}",
            file.display()
        );
    }
}

#[test]
fn junit_passing_cases_carry_measured_value_and_threshold() {
    let dir = TempDir::new("junit");
    dir.write("mini.toml", &format!("{}\n[expect.leaky]\nlag_max_above = 1000\n", mini()));
    let output = run_in(dir.path(), &["check", "mini.toml", "--junit", "r.xml", "--jobs", "1"]);
    assert!(output.status.success(), "{}", text(&output));
    let xml = read(&dir.path().join("r.xml"));
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let case = doc
        .descendants()
        .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some("lag_max_above"))
        .expect("a testcase");
    let property = |name: &str| {
        case.descendants()
            .find(|n| n.has_tag_name("property") && n.attribute("name") == Some(name))
            .and_then(|n| n.attribute("value"))
            .map(str::to_string)
    };
    let measured: f64 = property("measured").expect("measured").parse().unwrap();
    assert!(measured > 1000.0, "{xml}");
    assert!(property("threshold").expect("threshold").contains("1000"), "{xml}");
    assert!(case.descendants().all(|n| !n.has_tag_name("failure")));
}

#[test]
fn sweep_draws_each_figure_and_a_rerun_reuses_finished_runs() {
    let dir = TempDir::new("sweepui");
    dir.write("mini.toml", &mini());
    let args = [
        "sweep",
        "mini.toml",
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
        "--jobs",
        "2",
        "--out",
        "s",
    ];
    let first = run_in(dir.path(), &args);
    assert!(first.status.success(), "{}", text(&first));
    // Not a terminal: no progress bar.
    assert_eq!(stderr(&first), "", "stderr is not a terminal: nothing on it");
    let page = read(&dir.path().join("s/sweep.html"));
    for stem in [
        "sweep-lag_max",
        "sweep-lag_steady",
        "sweep-heartbeat_timeout_ratio",
        "sweep-time_above_lag_100000_s",
    ] {
        assert!(dir.path().join(format!("s/{stem}.png")).is_file(), "{stem}");
        let svg = read(&dir.path().join(format!("s/{stem}.svg")));
        assert!(
            svg.contains("leaky (mean, 95% interval)") && svg.contains("fixed (mean, 95% interval)"),
            "{stem}"
        );
        assert!(page.contains(&format!("id=\"{stem}\"")), "{stem}");
    }
    roxmltree::Document::parse_with_options(
        &page,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .expect("sweep.html is well-formed");
    let sweep_csv = read(&dir.path().join("s/sweep.csv"));
    let second = run_in(dir.path(), &args);
    assert!(second.status.success(), "{}", text(&second));
    assert!(stderr(&second).contains("reused 8 finished run(s)"), "{}", text(&second));
    assert_eq!(
        read(&dir.path().join("s/sweep.csv")),
        sweep_csv,
        "reused runs give the same figures"
    );
}

/// Ctrl-C in the middle of a sweep keeps the runs that finished; the same command again reuses
/// them and ends with the figures of an uninterrupted sweep.
#[test]
fn interrupted_sweep_keeps_finished_runs() {
    let dir = TempDir::new("sweepint");
    dir.write("mini.toml", &mini());
    let args = |out: &'static str| {
        vec![
            "sweep",
            "mini.toml",
            "--param",
            "actions[0].count",
            "--values",
            "0,50,100,150",
            "--seeds",
            "2",
            "--policy",
            "leaky",
            "--jobs",
            "1",
            "--out",
            out,
        ]
    };
    let mut child = Command::new(hbsim_bin())
        .args(args("s"))
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let runs = dir.path().join("s/runs");
    let finished = || {
        std::fs::read_dir(&runs).map_or(0, |d| {
            d.filter_map(Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == "csv"))
                .count()
        })
    };
    while finished() == 0 && child.try_wait().unwrap().is_none() {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let interrupted = child.try_wait().unwrap().is_none();
    if interrupted {
        let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    }
    let status = child.wait().unwrap();
    let kept = finished();
    assert!(kept >= 1, "no finished run kept");
    if interrupted && status.code() == Some(130) {
        assert!(kept < 8, "the sweep was interrupted before its end");
        assert!(!dir.path().join("s/sweep.csv").exists());
    }
    let rerun = run_in(dir.path(), &args("s"));
    assert!(rerun.status.success(), "{}", text(&rerun));
    assert!(
        stderr(&rerun).contains(&format!("reused {kept} finished run(s)")),
        "{}",
        text(&rerun)
    );
    let whole = run_in(dir.path(), &args("t"));
    assert!(whole.status.success(), "{}", text(&whole));
    assert_eq!(read(&dir.path().join("s/sweep.csv")), read(&dir.path().join("t/sweep.csv")));
    assert_eq!(read(&dir.path().join("s/runs.csv")), read(&dir.path().join("t/runs.csv")));
}

/// On a terminal (a pseudo-terminal from util-linux `script`, when installed) the sweep draws a
/// progress bar on stderr: runs done and the ETA. Without one, nothing (see the sweep test above).
#[test]
fn progress_is_drawn_on_a_terminal() {
    let has_script = Command::new("script").arg("--version").output().is_ok_and(|o| o.status.success());
    if !has_script {
        eprintln!("no `script`: the terminal case is not checked");
        return;
    }
    let dir = TempDir::new("progress");
    dir.write("mini.toml", &mini());
    let command = format!(
        "{} sweep mini.toml --param 'actions[0].count' --values 0,100 --seeds 2 --policy leaky --jobs 2 --out s",
        hbsim_bin().display()
    );
    let output = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let screen = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{screen}");
    assert!(
        screen.contains("sweep [") && screen.contains("/4 runs") && screen.contains("ETA"),
        "{screen}"
    );
    assert!(dir.path().join("s/sweep.csv").is_file());
}

/// `replay --trace-holds` writes every ProducerManager monitor hold in the harness's trace format
/// (what calibration/jvm/holds.py reads): one owner at a time, each hold entered no sooner than it
/// was asked for, and one `W` row per close walk the summary counts.
#[test]
fn hold_trace_has_one_owner_at_a_time_and_every_walk() {
    let dir = TempDir::new("holds");
    dir.write("mini.toml", &mini());
    let args = ["replay", "mini.toml", "--policy", "leaky", "--no-charts", "--out"];
    let output = run_in(dir.path(), &[&args[..], &["traced", "--trace-holds"]].concat());
    assert!(output.status.success(), "{}", text(&output));
    let mut rows = read_holds(&dir.path().join("traced/leaky/holds.csv"));
    for r in &rows {
        assert_eq!(r.broker, 0, "one broker: {r:?}");
    }
    rows.sort_by_key(|r| (r.in_ns, r.out_ns));
    for pair in rows.windows(2) {
        assert!(
            pair[0].out_ns <= pair[1].in_ns,
            "two owners at once: {:?} and {:?}",
            pair[0],
            pair[1]
        );
    }
    let summary: serde_json::Value = serde_json::from_str(&read(&dir.path().join("traced/leaky/summary.json"))).unwrap();
    let walks = rows.iter().filter(|r| r.kind == 'W').count() as u64;
    // A walk under way when the broker restarts ends unrecorded.
    let counted = summary["close_walks"].as_u64().unwrap();
    assert!(
        walks > 100 && walks <= counted && counted - walks <= 1,
        "{walks} walks traced, {counted} counted"
    );
    let waited = rows.iter().filter(|r| r.kind == 'H' && r.in_ns > r.arrive_ns).count();
    assert!(waited > 100, "heartbeat threads waited at {waited} holds");
    // One row per registerProducer call, as the harness writes them: a heartbeat's second call
    // (the monitor kept between them under barging) enters where its first left.
    let second = rows
        .windows(2)
        .filter(|w| w[0].kind == 'H' && w[1].kind == 'H' && w[1].arrive_ns == w[0].out_ns && w[1].in_ns == w[0].out_ns)
        .count();
    assert!(second > 100, "{second} calls entered where the last left");

    // Without the flag there is no trace, and the run is the same.
    let output = run_in(dir.path(), &[&args[..], &["plain"]].concat());
    assert!(output.status.success(), "{}", text(&output));
    assert!(!dir.path().join("plain/leaky/holds.csv").exists());
    assert_eq!(
        read(&dir.path().join("plain/leaky/timeline.csv")),
        read(&dir.path().join("traced/leaky/timeline.csv")),
        "tracing holds changes nothing in the run"
    );
}
