#!/usr/bin/env python3
"""Times two commands in alternation (A B A B ...) and prints the median of each and the median
of the pairwise ratios A/B.

On a shared machine the speed drifts by tens of percent over minutes; timing all runs of one
command and then all runs of the other turns that drift into a false difference. Alternating and
taking the ratio pair by pair cancels most of it.

Usage: benches/paired.py [--runs N] [--label-a TEXT] [--label-b TEXT] -- 'COMMAND A' 'COMMAND B'
Each command is one string, split like a shell would (no pipes or redirections); its standard
output and error are discarded. Exit status 1 if a command fails.
"""

import argparse
import shlex
import statistics
import subprocess
import sys
import time


def run_once(argv):
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"paired.py: {shlex.join(argv)} exited with {done.returncode}")
    return elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--label-a", default="A")
    parser.add_argument("--label-b", default="B")
    parser.add_argument("commands", nargs=2)
    args = parser.parse_args()
    a, b = (shlex.split(c) for c in args.commands)
    # One unmeasured warm-up of each (page cache, CPU frequency).
    run_once(a)
    run_once(b)
    times_a, times_b, ratios = [], [], []
    for _ in range(args.runs):
        ta = run_once(a)
        tb = run_once(b)
        times_a.append(ta)
        times_b.append(tb)
        ratios.append(ta / tb)
    for label, times in ((args.label_a, times_a), (args.label_b, times_b)):
        print(f"{label}: median {statistics.median(times):.3f} s wall "
              f"(min {min(times):.3f}, max {max(times):.3f}, {len(times)} runs)")
    print(f"ratio {args.label_a} / {args.label_b}: median {statistics.median(ratios):.3f} "
          f"(min {min(ratios):.3f}, max {max(ratios):.3f})")
    print(f"RATIO {statistics.median(ratios):.4f}")


if __name__ == "__main__":
    main()
