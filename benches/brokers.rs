//! Cost of a cluster: the healthy scenario (scenarios/healthy.toml, about 11,000 clients, 2 h)
//! with 1, 2 and 4 brokers under `fixed`, in memory. Every client heartbeats every broker and
//! every broker has its own threads, tables and queues, so B brokers should cost about B times
//! one broker (events grow with B; events/s should stay flat). Reported in elements/s,
//! one element being one handled event; docs/performance.md has the figures.

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use hbsim::model::policy::Policy;
use hbsim::run::{simulate, RunOptions};
use hbsim::scenario::{self, Scenario};
use std::path::Path;
use std::time::Duration;

/// The healthy scenario with `brokers` brokers.
fn cluster(brokers: u32) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/healthy.toml");
    let text = std::fs::read_to_string(&path).expect("scenarios/healthy.toml");
    let text = text.replacen("count = 1\n", &format!("count = {brokers}\n"), 1);
    scenario::parse(&path, text.as_bytes()).expect("the cluster variant is valid")
}

fn run_once(scenario: &Scenario) -> u64 {
    let output = simulate(scenario, Policy::Fixed, scenario.seed, &RunOptions::default(), &mut |_rows| Ok(())).expect("the scenario runs");
    output.summary.events
}

fn brokers(c: &mut Criterion) {
    let mut group = c.benchmark_group("brokers");
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(40));
    for b in [1, 2, 4] {
        let scenario = cluster(b);
        let events = run_once(&scenario);
        group.throughput(Throughput::Elements(events));
        group.bench_function(format!("{b}"), |bench| {
            bench.iter(|| {
                let handled = run_once(&scenario);
                assert_eq!(handled, events, "the run must be deterministic");
            })
        });
    }
    group.finish();
}

criterion_group!(benches, brokers);
criterion_main!(benches);
