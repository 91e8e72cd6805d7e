//! The 2-hour incident replay (scenarios/incident-2024-10.toml, about 11,000 clients) under
//! `leaky` and `fixed`, in memory: the timeline rows are discarded instead of written to disk,
//! so this measures the simulation, not the CSV writer. `hbsim replay --stats` measures the
//! command end to end (see docs/performance.md).
//!
//! One iteration takes seconds, so the sample is small and flat.
//! Throughput is reported in elements/s, where an element is one handled event.

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use hbsim::model::policy::Policy;
use hbsim::run::{simulate, RunOptions};
use hbsim::scenario::{self, Scenario};
use std::path::Path;
use std::time::Duration;

/// Runs the scenario once under `policy` and returns the number of events handled.
fn run_once(scenario: &Scenario, policy: Policy) -> u64 {
    let output =
        simulate(scenario, policy, scenario.seed, &RunOptions::default(), &mut |_rows| Ok(())).expect("the incident scenario runs");
    output.summary.events
}

fn incident(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/incident-2024-10.toml");
    let scenario = scenario::load(&path).expect("the incident scenario is valid");
    let mut group = c.benchmark_group("incident-2024-10");
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(30));
    for policy in [Policy::Leaky, Policy::Fixed] {
        let events = run_once(&scenario, policy);
        group.throughput(Throughput::Elements(events));
        group.bench_function(policy.name(), |b| {
            b.iter(|| {
                let handled = run_once(&scenario, policy);
                assert_eq!(handled, events, "the run must be deterministic");
            })
        });
    }
    group.finish();
}

criterion_group!(benches, incident);
criterion_main!(benches);
