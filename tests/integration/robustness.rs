//! Issue 6: never panic, hang or leave a half-written output, whatever the input.
//!
//! Seeded proptest fuzzing of `scenario::parse` (arbitrary bytes, hostile documents built from
//! the real field names, mutations of real scenario files), the saved corpus, and the real
//! binary against limits, unwritable or hostile output paths, Ctrl-C and a closed stdout.
//! The long standalone fuzz run is `examples/fuzz_scenario.rs` (see docs/robustness.md).

use crate::common::{hbsim_bin, repo_root, run_in, text, TempDir};
use crate::fuzzgen::{self, judge, Outcome};
use proptest::strategy::BoxedStrategy;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Event budget of each simulated fuzz case (per policy) in `cargo test`.
const TEST_EVENT_BUDGET: u64 = 10_000;

/// A proptest runner with a fixed ChaCha seed: the same cases on every machine and every run.
fn seeded_runner(seed: u8, cases: u32) -> TestRunner {
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 256,
        rng_algorithm: RngAlgorithm::ChaCha,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]))
}

/// Feeds `cases` inputs of one class to `judge`; returns how many ended in each outcome.
fn fuzz_class(test: &str, seed: u8, cases: u32, strategy: BoxedStrategy<Vec<u8>>) -> BTreeMap<Outcome, u32> {
    let tally = RefCell::new(BTreeMap::new());
    let result = seeded_runner(seed, cases).run(&strategy, |bytes| match judge(&bytes, TEST_EVENT_BUDGET) {
        Ok(outcome) => {
            *tally.borrow_mut().entry(outcome).or_insert(0) += 1;
            Ok(())
        }
        Err(failure) => Err(TestCaseError::fail(format!(
            "{failure}\n--- input ({} bytes) ---\n{}\n---",
            bytes.len(),
            String::from_utf8_lossy(&bytes)
        ))),
    });
    if let Err(error) = result {
        panic!(
            "fuzz class {test} failed (proptest ChaCha seed [{seed}; 32], {cases} cases; reproduce with \
             `cargo test --test integration robustness::{test}`; save the input under tests/corpus/scenario/): {error}"
        );
    }
    let tally = tally.into_inner();
    eprintln!("{test}: {cases} cases: {tally:?}");
    tally
}

#[test]
fn fuzz_parse_arbitrary_bytes() {
    let tally = fuzz_class("fuzz_parse_arbitrary_bytes", 1, 400, fuzzgen::arbitrary_bytes());
    assert!(tally.get(&Outcome::Rejected).copied().unwrap_or(0) > 300, "{tally:?}");
}

#[test]
fn fuzz_parse_hostile_documents() {
    let strategy = proptest::strategy::Strategy::prop_map(fuzzgen::hostile_document(), String::into_bytes);
    let tally = fuzz_class(
        "fuzz_parse_hostile_documents",
        2,
        300,
        proptest::strategy::Strategy::boxed(strategy),
    );
    assert!(tally.get(&Outcome::Rejected).copied().unwrap_or(0) > 100, "{tally:?}");
}

#[test]
fn fuzz_parse_mutated_scenario_files() {
    let tally = fuzz_class("fuzz_parse_mutated_scenario_files", 3, 200, fuzzgen::mutated_file());
    let accepted: u32 = tally.iter().filter(|(o, _)| **o != Outcome::Rejected).map(|(_, n)| n).sum();
    assert!(
        accepted > 10,
        "few mutants were accepted, the simulation is barely exercised: {tally:?}"
    );
    assert!(tally.get(&Outcome::Rejected).copied().unwrap_or(0) > 10, "{tally:?}");
}

#[test]
fn seed_files_are_valid_and_simulate() {
    for (name, text) in fuzzgen::SEED_FILES {
        let outcome = judge(text.as_bytes(), TEST_EVENT_BUDGET).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_ne!(outcome, Outcome::Rejected, "{name} is a valid scenario");
    }
}

/// The saved inputs of earlier fuzz runs (crashes that were fixed, and interesting cases).
fn corpus_files() -> Vec<PathBuf> {
    let dir = repo_root().join("tests").join("corpus").join("scenario");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn corpus_never_panics() {
    let files = corpus_files();
    assert!(!files.is_empty(), "tests/corpus/scenario/ is empty");
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        if let Err(failure) = judge(&bytes, TEST_EVENT_BUDGET) {
            panic!("corpus file {}: {failure}", path.display());
        }
    }
}

/// A small scenario for the binary tests: `{duration}` and `{extra}` are filled in.
pub fn small_scenario(name: &str, duration: &str, extra: &str) -> String {
    format!(
        r#"name = "{name}"
seed = 5
duration = "{duration}"
policies = ["leaky"]
{extra}

[[topics]]
name = "t"
queues_per_broker = 2

[[consumer_groups]]
name = "g"
topic = "t"
consumers = 2
consume_rate = 200.0

[[producers]]
group = "p"
topic = "t"
send_rate = 100.0

[background]
clients = 50
live_groups = 5

[groups]
initial = 1000
create_interval = "5s"
lifetime = "20s"
"#
    )
}

/// Every file under `dir`, recursively, relative to it.
fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else { continue };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path.clone());
            }
            out.push(path.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
        }
    }
    out.sort();
    out
}

fn temp_files(dir: &Path) -> Vec<String> {
    files_under(dir).into_iter().filter(|f| f.ends_with(".tmp")).collect()
}

#[test]
fn max_events_stops_with_exit_4_and_leaves_nothing_partial() {
    let dir = TempDir::new("maxev");
    let scenario = dir.write("s.toml", &small_scenario("budget", "3m", "max_events = 2000"));
    let output = run_in(dir.path(), &["replay", scenario.to_str().unwrap(), "--out", "out"]);
    assert_eq!(output.status.code(), Some(4), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("hit max_events = 2000"), "{stderr}");
    assert!(stderr.contains("policy leaky, seed 5"), "{stderr}");
    assert!(temp_files(dir.path()).is_empty(), "{:?}", files_under(dir.path()));
    assert!(!dir.path().join("out/leaky/timeline.csv").exists(), "a partial timeline was left");
    assert!(!dir.path().join("out/leaky/summary.json").exists());
}

#[test]
fn over_budget_scenarios_are_refused_at_validation() {
    let dir = TempDir::new("budget");
    let cases = [
        (
            "clients",
            small_scenario("c", "1m", "").replace("clients = 50", "clients = 10000000"),
            "background.clients",
        ),
        ("rows", small_scenario("r", "365d", "sample_interval = \"1ms\""), "timeline rows"),
        ("events", small_scenario("e", "1m", "max_events = 1_000_000_000_000"), "max_events"),
        ("overflow", small_scenario("o", "1000000000h", ""), "too long"),
        ("u64", small_scenario("u", "18446744073709551616ns", ""), "too long"),
        ("year", small_scenario("y", "366d", ""), "at most 365d"),
    ];
    for (tag, text_, expected) in cases {
        let path = dir.write(&format!("{tag}.toml"), &text_);
        let started = Instant::now();
        let output = run_in(dir.path(), &["replay", path.to_str().unwrap(), "--out", tag]);
        assert_eq!(output.status.code(), Some(2), "{tag}: {}", text(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{tag}: expected {expected:?} in {stderr}");
        assert!(started.elapsed() < Duration::from_secs(10), "{tag}: refusing took too long");
        assert!(
            !dir.path().join(tag).exists(),
            "{tag}: an output folder was made for a refused scenario"
        );
    }
    // The duration overflow is reported at parse time, with its line.
    let output = run_in(dir.path(), &["replay", dir.path().join("overflow.toml").to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("line 3") && stderr.contains("duration"), "{stderr}");
}

#[test]
fn output_under_a_regular_file_is_exit_3_before_simulating() {
    let dir = TempDir::new("unwritable");
    // A long scenario: if the folder were checked only at the end, the run would take minutes.
    let scenario = dir.write("s.toml", &small_scenario("blocked", "7d", "sample_interval = \"1m\""));
    dir.write("blocker", "a regular file");
    let started = Instant::now();
    let output = run_in(dir.path(), &["replay", scenario.to_str().unwrap(), "--out", "blocker/sub"]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the simulation ran before the folder was checked"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("blocker/sub") && stderr.contains("cannot create the output folder"),
        "{stderr}"
    );
    assert_eq!(files_under(dir.path()), vec!["blocker".to_string(), "s.toml".to_string()]);

    // Without --out, a file named `output` in the working folder blocks output/<name>.
    dir.write("output", "not a folder");
    let output = run_in(dir.path(), &["replay", scenario.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    assert_eq!(std::fs::read_to_string(dir.path().join("output")).unwrap(), "not a folder");
}

#[test]
fn scenario_names_cannot_redirect_output() {
    let names = [
        "../../escaped",
        "/tmp/hbsim-absolute-escape",
        "a/b/../../c",
        "..",
        ".hidden",
        "x\\\\..\\\\y",
        "名前/..",
    ];
    let dir = TempDir::new("names");
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    for (i, name) in names.iter().enumerate() {
        let file = format!("n{i}.toml");
        dir.write(&file, &small_scenario(name, "10s", ""));
        let output = run_in(&work, &["replay", dir.path().join(&file).to_str().unwrap()]);
        assert!(output.status.success(), "name {name:?}: {}", text(&output));
    }
    // Only work/output/ was written: nothing beside the scenario files, nothing outside output/.
    let mut top = files_under(dir.path());
    top.retain(|f| !f.starts_with("work"));
    assert!(
        top.iter().all(|f| f.ends_with(".toml")),
        "written outside the working folder: {top:?}"
    );
    let in_work: Vec<String> = std::fs::read_dir(&work)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(in_work, vec!["output".to_string()]);
    let folders: Vec<String> = std::fs::read_dir(work.join("output"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(folders.len(), names.len(), "one folder per scenario: {folders:?}");
    for folder in &folders {
        assert!(!folder.starts_with('.') && !folder.contains('/'), "unsafe folder name {folder:?}");
        assert!(work.join("output").join(folder).join("leaky").join("timeline.csv").is_file());
    }
    assert!(!Path::new("/tmp/hbsim-absolute-escape").exists());
}

#[test]
fn sigint_leaves_no_partial_file() {
    let dir = TempDir::new("sigint");
    let scenario = repo_root().join("scenarios").join("incident-2024-10.toml");
    let mut child = Command::new(hbsim_bin())
        .args(["replay", scenario.to_str().unwrap(), "--policy", "leaky", "--out", "out"])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hbsim starts");
    // Wait until the timeline is being written (its hidden temporary file exists), then Ctrl-C.
    let started = Instant::now();
    while temp_files(dir.path()).is_empty() {
        assert!(started.elapsed() < Duration::from_secs(20), "no temporary timeline appeared");
        assert!(child.try_wait().unwrap().is_none(), "hbsim ended before it could be interrupted");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    let kill = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stderr).contains("interrupted"));
    assert!(temp_files(dir.path()).is_empty(), "{:?}", files_under(dir.path()));
    assert!(!dir.path().join("out/leaky/timeline.csv").exists(), "a partial timeline was left");
}

#[test]
fn broken_pipe_exits_0_quietly() {
    let dir = TempDir::new("pipe");
    let scenario = dir.write("s.toml", &small_scenario("pipe", "30s", ""));
    // The exit status of hbsim itself (not of the reader) is written to `status`.
    for reader in ["head -1", "true"] {
        let script = format!("{{ \"$0\" replay s.toml --out out 2>err; echo $? > status; }} | {reader}");
        let output = Command::new("sh")
            .arg("-c")
            .arg(&script)
            .arg(hbsim_bin())
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(output.status.success(), "{reader}: {}", text(&output));
        let status = std::fs::read_to_string(dir.path().join("status")).unwrap();
        assert_eq!(status.trim(), "0", "{reader}: hbsim exit status");
        let err = std::fs::read_to_string(dir.path().join("err")).unwrap();
        assert!(err.is_empty(), "{reader}: hbsim wrote to stderr: {err}");
    }
    let _ = scenario;
}
