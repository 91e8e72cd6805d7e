#!/usr/bin/env python3
"""The M/M/1 queue of benches/mm1.rs in SimPy, to compare event rates with hbsim.

lambda = 500/s Poisson arrivals, one server with exponential service of rate mu = 1000/s, 600 s
(10 minutes) of simulated time, a fixed seed. Prints, for each repetition, the SimPy events
processed, the wall time, events/s and customers (arrivals) per second of wall time, then the
median of each over the repetitions. The mean wait in queue is printed as a sanity check: the
closed form is rho / (mu - lambda) = 1 ms.
"""

import argparse
import random
import statistics
import time

import simpy

ARRIVAL_RATE_PER_S = 500.0
SERVICE_RATE_PER_S = 1000.0


def customer(env, server, rng, stats):
    arrived = env.now
    with server.request() as request:
        yield request
        stats["wait_s"] += env.now - arrived
        stats["served"] += 1
        yield env.timeout(rng.expovariate(SERVICE_RATE_PER_S))


def source(env, server, rng, stats):
    while True:
        yield env.timeout(rng.expovariate(ARRIVAL_RATE_PER_S))
        stats["arrived"] += 1
        env.process(customer(env, server, rng, stats))


def run_once(duration_s, seed):
    rng = random.Random(seed)
    env = simpy.Environment()
    server = simpy.Resource(env, capacity=1)
    stats = {"arrived": 0, "served": 0, "wait_s": 0.0}
    env.process(source(env, server, rng, stats))
    started = time.perf_counter()
    env.run(until=duration_s)
    wall_s = time.perf_counter() - started
    # SimPy numbers every scheduled event with the counter `_eid`; what is still queued was
    # scheduled but not processed. Reading the counter costs nothing during the run, unlike
    # wrapping Environment.step.
    scheduled = next(env._eid)
    processed = scheduled - len(env._queue)
    return processed, wall_s, stats


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=600.0, help="simulated seconds (default 600)")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=5, help="runs; the median is reported")
    args = parser.parse_args()
    print(f"simpy {simpy.__version__}: M/M/1 lambda={ARRIVAL_RATE_PER_S:.0f}/s mu={SERVICE_RATE_PER_S:.0f}/s, {args.duration:.0f} s simulated")
    rates, customer_rates = [], []
    for run in range(args.repeat):
        events, wall_s, stats = run_once(args.duration, args.seed + run)
        rate = events / wall_s
        customer_rate = stats["arrived"] / wall_s
        rates.append(rate)
        customer_rates.append(customer_rate)
        wait_ms = 1000.0 * stats["wait_s"] / max(stats["served"], 1)
        print(
            f"run {run}: {events} events, {stats['arrived']} customers in {wall_s:.3f} s wall = "
            f"{rate / 1e6:.3f} M events/s, {customer_rate / 1e6:.3f} M customers/s; mean wait {wait_ms:.3f} ms"
        )
    print(f"median: {statistics.median(rates) / 1e6:.3f} M events/s, {statistics.median(customer_rates) / 1e6:.3f} M customers/s")


if __name__ == "__main__":
    main()
