//! The engine alone on the classic "hold" model: a pending set of fixed size where every handled
//! event schedules exactly one new event at `now + increment`. It measures `EventQueue` and the
//! run loop with no broker model on top. Increments come from a seeded ChaCha8 stream, either
//! exponential or uniform with the same mean, for pending-set sizes 10, 1,000 and 100,000.
//!
//! Throughput is reported in elements/s, where an element is one handled event.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use hbsim::engine::{self, Ctx, Model, SimTime, Stop};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp};
use std::time::Duration;

/// Mean increment between an event and the one it schedules [ns].
const MEAN_INCREMENT_NS: f64 = 1_000.0;
/// Events handled per benchmark iteration.
const EVENTS_PER_ITERATION: u64 = 100_000;
/// Pending-set sizes, as in the classic hold benchmark.
const PENDING_SIZES: [usize; 3] = [10, 1_000, 100_000];

/// How the increment of a new event is drawn.
#[derive(Clone, Copy, Debug)]
enum Increment {
    /// Exponential with mean `MEAN_INCREMENT_NS`.
    Exponential,
    /// Uniform on [0, 2 × `MEAN_INCREMENT_NS`].
    Uniform,
}

impl Increment {
    fn name(self) -> &'static str {
        match self {
            Increment::Exponential => "exponential",
            Increment::Uniform => "uniform",
        }
    }
}

/// The hold model: each event reschedules itself, so the pending-set size stays constant.
struct Hold {
    rng: ChaCha8Rng,
    exponential: Exp<f64>,
    increment: Increment,
}

impl Hold {
    fn new(increment: Increment) -> Hold {
        Hold {
            rng: ChaCha8Rng::seed_from_u64(42),
            exponential: Exp::new(1.0 / MEAN_INCREMENT_NS).expect("positive rate"),
            increment,
        }
    }

    fn draw_ns(&mut self) -> u64 {
        match self.increment {
            Increment::Exponential => self.exponential.sample(&mut self.rng) as u64,
            Increment::Uniform => self.rng.gen_range(0..=(2.0 * MEAN_INCREMENT_NS) as u64),
        }
    }
}

impl Model for Hold {
    type Event = u32;

    fn handle(&mut self, ctx: &mut Ctx<u32>, event: u32) {
        let delay_ns = self.draw_ns();
        ctx.schedule_in(delay_ns, event);
    }
}

fn hold(c: &mut Criterion) {
    let mut group = c.benchmark_group("hold");
    // Six figures in about half a minute: enough samples for a median, not a long wait.
    group.sample_size(20);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements(EVENTS_PER_ITERATION));
    for increment in [Increment::Exponential, Increment::Uniform] {
        for size in PENDING_SIZES {
            let mut model = Hold::new(increment);
            let mut ctx = Ctx::new();
            for id in 0..size {
                let delay_ns = model.draw_ns();
                ctx.schedule_in(delay_ns, id as u32);
            }
            // The state carries over between iterations: every iteration handles the next
            // EVENTS_PER_ITERATION events of one long run, so the set never has to be rebuilt.
            group.bench_function(BenchmarkId::new(increment.name(), size), |b| {
                b.iter(|| {
                    let outcome = engine::run(&mut model, &mut ctx, SimTime(u64::MAX), EVENTS_PER_ITERATION);
                    assert_eq!(outcome.stop, Stop::MaxEvents);
                    assert_eq!(ctx.pending(), size);
                    outcome.events
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, hold);
criterion_main!(benches);
