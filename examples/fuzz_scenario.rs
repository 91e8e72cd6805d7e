//! The long standalone fuzz run of issue 6: feeds `hbsim::scenario::parse` (and, for small
//! accepted scenarios, `hbsim::run::simulate`) with the same generators as the fuzz tests, from a
//! seeded ChaCha RNG, until a wall-clock budget runs out. Never OS entropy: the same `--seed`
//! gives the same sequence of inputs (how many get tried depends on the machine's speed).
//!
//! ```text
//! nice -n 19 cargo run --release --example fuzz_scenario -- --minutes 10 --seed 1 --save tests/corpus/scenario
//! cargo run --example fuzz_scenario -- --show 5 --class documents   # print a few inputs and verdicts
//! ulimit -v 4000000; cargo run --example fuzz_scenario -- --minutes 5 --last-case /tmp/last.toml  # the input an abort left behind
//! ```
//!
//! Every failing input (panic, unlocated problem, unexpected error) is written to the `--save`
//! folder as `crash-<class>-<fnv>.toml`; the first accepted inputs of each class as
//! `accepted-<class>-<fnv>.toml`. The test `robustness::corpus_never_panics` replays that folder.

#[path = "../tests/integration/fuzzgen.rs"]
mod fuzzgen;

use fuzzgen::{judge, Outcome};
use proptest::strategy::{BoxedStrategy, Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Event budget of each simulated case (per policy).
const EVENT_BUDGET: u64 = 100_000;
/// Accepted inputs kept per class (interesting: they reach the simulation).
const ACCEPTED_KEPT: u32 = 3;

struct Options {
    minutes: f64,
    seed: u64,
    save: Option<PathBuf>,
    show: u32,
    class: Option<String>,
    /// Each case is written here before it is judged: after a crash the process cannot report
    /// (an abort, the OOM killer), the file holds the input that caused it.
    last_case: Option<PathBuf>,
}

fn options() -> Options {
    let mut options = Options {
        minutes: 1.0,
        seed: 1,
        save: None,
        show: 0,
        class: None,
        last_case: None,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--minutes" => options.minutes = value.parse().expect("--minutes takes a number"),
            "--seed" => options.seed = value.parse().expect("--seed takes a u64"),
            "--save" => options.save = Some(PathBuf::from(value)),
            "--show" => options.show = value.parse().expect("--show takes a count"),
            "--class" => options.class = Some(value),
            "--last-case" => options.last_case = Some(PathBuf::from(value)),
            other => panic!("unknown argument {other} (see the //! comment of examples/fuzz_scenario.rs)"),
        }
        i += 2;
    }
    options
}

fn classes() -> Vec<(&'static str, BoxedStrategy<Vec<u8>>)> {
    vec![
        ("bytes", fuzzgen::arbitrary_bytes()),
        ("documents", fuzzgen::hostile_document().prop_map(String::into_bytes).boxed()),
        ("mutations", fuzzgen::mutated_file()),
    ]
}

fn main() {
    let options = options();
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&options.seed.to_le_bytes());
    let config = Config {
        rng_algorithm: RngAlgorithm::ChaCha,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes));
    let classes: Vec<_> = classes()
        .into_iter()
        .filter(|(name, _)| options.class.as_deref().is_none_or(|c| c == *name))
        .collect();
    let deadline = Duration::from_secs_f64(options.minutes * 60.0);
    let started = Instant::now();
    let mut tally: BTreeMap<(&str, String), u64> = BTreeMap::new();
    let mut accepted_saved: BTreeMap<&str, u32> = BTreeMap::new();
    let mut cases = 0u64;
    let mut last_report = Instant::now();
    while started.elapsed() < deadline || (options.show > 0 && cases < u64::from(options.show)) {
        if options.show > 0 && cases >= u64::from(options.show) {
            break;
        }
        let (class, strategy) = &classes[(cases % classes.len() as u64) as usize];
        let bytes = strategy.new_tree(&mut runner).expect("generator").current();
        cases += 1;
        if let Some(path) = &options.last_case {
            std::fs::write(path, &bytes).expect("--last-case file");
        }
        let verdict = judge(&bytes, EVENT_BUDGET);
        if options.show > 0 {
            println!("=== case {cases} ({class}) ===\n{}", String::from_utf8_lossy(&bytes));
            println!("--- verdict: {verdict:?}");
            if let Err(hbsim::Error::Scenario { problems, .. }) = hbsim::scenario::parse(std::path::Path::new("x"), &bytes) {
                for problem in problems {
                    println!("  - {problem}");
                }
            }
        }
        let key = match &verdict {
            Ok(outcome) => format!("{outcome:?}"),
            Err(_) => "FAILURE".to_string(),
        };
        *tally.entry((*class, key)).or_insert(0) += 1;
        let keep = match verdict {
            Err(failure) => {
                eprintln!("FAILURE in class {class} (case {cases}, seed {}): {failure}", options.seed);
                Some("crash")
            }
            Ok(Outcome::Rejected) => None,
            Ok(_) => {
                let saved = accepted_saved.entry(class).or_insert(0);
                *saved += 1;
                (*saved <= ACCEPTED_KEPT).then_some("accepted")
            }
        };
        if let (Some(kind), Some(dir)) = (keep, &options.save) {
            std::fs::create_dir_all(dir).expect("corpus folder");
            let path = dir.join(format!("{kind}-{class}-{:016x}.toml", hbsim::scenario::fnv1a(&bytes)));
            std::fs::write(&path, &bytes).expect("corpus file");
            eprintln!("saved {}", path.display());
        }
        if last_report.elapsed() > Duration::from_secs(60) {
            last_report = Instant::now();
            eprintln!("{:.0}s: {cases} cases: {tally:?}", started.elapsed().as_secs_f64());
        }
    }
    println!(
        "fuzz_scenario: seed {}, {cases} cases in {:.1}s",
        options.seed,
        started.elapsed().as_secs_f64()
    );
    for ((class, outcome), count) in &tally {
        println!("  {class:10} {outcome:13} {count}");
    }
    let failures: u64 = tally.iter().filter(|((_, o), _)| o == "FAILURE").map(|(_, n)| n).sum();
    if failures > 0 {
        println!("{failures} failing inputs");
        std::process::exit(1);
    }
}
