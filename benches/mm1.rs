//! The whole stack on an M/M/1 queue built from the scenario format: one heartbeat thread,
//! Poisson heartbeat arrivals (1,000 clients, exponential intervals of mean 2 s: λ = 500/s) and
//! exponential service (mean 1 ms: μ = 1000/s), 10 minutes of virtual time. The scenario is
//! parsed and validated, simulated under `fixed`, and the timeline rows are discarded.
//!
//! The same model in SimPy is benches/simpy_mm1.py (run it with benches/run_simpy.sh).
//! Throughput is reported in elements/s, where an element is one handled event.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hbsim::model::policy::Policy;
use hbsim::run::{simulate, RunOptions};
use hbsim::scenario::{self, Scenario};
use std::path::Path;
use std::time::Duration;

/// The scenario of `mm1_mean_wait_matches_closed_form` in tests/integration/core.rs.
const MM1: &str = include_str!("../tests/data/mm1.toml");

/// Runs the scenario once and returns the number of events handled.
fn run_once(scenario: &Scenario) -> u64 {
    let output =
        simulate(scenario, Policy::Fixed, scenario.seed, &RunOptions::default(), &mut |_rows| Ok(())).expect("the M/M/1 scenario runs");
    output.summary.events
}

fn mm1(c: &mut Criterion) {
    let scenario = scenario::parse(Path::new("mm1.toml"), MM1.as_bytes()).expect("the M/M/1 scenario is valid");
    let events = run_once(&scenario);
    let mut group = c.benchmark_group("mm1");
    group.sample_size(20);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(events));
    group.bench_function("10m", |b| {
        b.iter(|| {
            let handled = run_once(&scenario);
            assert_eq!(handled, events, "the run must be deterministic");
        })
    });
    group.finish();
}

criterion_group!(benches, mm1);
criterion_main!(benches);
