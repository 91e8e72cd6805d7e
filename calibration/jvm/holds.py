#!/usr/bin/env python3
"""Reads a hold trace of the validation loop (`HbCalib --mode validate ... --trace-holds FILE`), or
hbsim's of a run (`hbsim replay ... --trace-holds`: <policy>/holds.csv, the same rows with the broker
in a sixth column; broker 0 is read unless --broker N), and says who held the ProducerManager
monitor while a walker, back from its gap, was kept out.

A diagnostic, not a recording: the trace adds two clock reads to every registerProducer hold.

For each gap the heartbeat threads won (a registerProducer between the walker's release and its
next acquisition), the walker's side: ready (release to its next attempt to enter) and blocked
(that attempt to its acquisition). For the gaps where it was blocked, what filled the blocked
time: the heartbeat threads' holds (their count, their time, the longest one) and the time the
monitor was free while the walker still waited (the longest such stretch). Then every hold's
length: a hold of 100 us or more is a heartbeat thread that lost its CPU while it held the monitor
(the work under it is a few hundred ns).

Parked through: a heartbeat thread that asked for the monitor before the walker's release and
entered only after the walker's next entry stayed out through the whole won gap (the others
drained the queue past it); per won gap, how many threads did, the first gaps listed.

  python3 calibration/jvm/holds.py TRACE [TRACE...]     # one summary per trace
  python3 calibration/jvm/holds.py --gaps TRACE          # and every won gap
  python3 calibration/jvm/holds.py --broker 1 holds.csv  # hbsim's trace, broker 1

The won gaps' drain: calls per ms of the walker's absence and the share of the CPUs (--cpus N,
default 2) the holds took. With --unlocked-us X (hbsim's trace, a scenario whose `heartbeat_cost`
is X on average): the heirs' whole CPU share, each heartbeat's holds plus X, as `Validate.java
--gap-cpu` counts the JVM's (ThreadMXBean CPU time over the gaps' wall time times the CPUs). A
heartbeat is a call that does not enter where its thread's last call left (hbsim writes a merged
hold's calls back to back).

  python3 calibration/jvm/holds.py --unlocked-us 1.51 o/leaky/holds.csv
"""

import bisect
import sys

LONG_HOLD_NS = 100_000
BLOCKED_NS = 1_000_000


def load(path, broker=0):
    holds, walks = [], []
    with open(path) as f:
        for line in f:
            if not (line.startswith("H,") or line.startswith("W,")):
                continue
            parts = line.strip().split(",")
            # hbsim's trace has the broker in a sixth column; the harness's has one broker.
            if len(parts) > 5 and int(parts[5]) != broker:
                continue
            kind, a, t_in, t_out, d = parts[0], int(parts[1]), int(parts[2]), int(parts[3]), int(parts[4])
            if kind == "H":
                holds.append((t_in, t_out, a, d))
            else:
                walks.append((a, t_in, t_out, d))
    holds.sort()
    return holds, walks


def pct(sorted_values, q):
    if not sorted_values:
        return 0
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def won_gaps(holds, walks):
    """Per won gap: (index, release, ready, entered, holds in the gap)."""
    starts = [h[0] for h in holds]
    out = []
    for k in range(1, len(walks)):
        ready, entered, _, counted = walks[k]
        release = walks[k - 1][2]
        if not counted:
            continue
        a = bisect.bisect_left(starts, release)
        b = bisect.bisect_left(starts, entered)
        if a < b:
            out.append((k, release, ready, entered, holds[a:b]))
    return out


def blocked_parts(ready, entered, gap_holds):
    """The heartbeat threads' holds that began while the walker was blocked, and what was free."""
    inside = [h for h in gap_holds if h[0] >= ready]
    held = sum(min(h[1], entered) - h[0] for h in inside)
    long_held = sum(min(h[1], entered) - h[0] for h in inside if h[1] - h[0] >= LONG_HOLD_NS)
    t, longest_free = ready, 0
    for h in inside:
        longest_free = max(longest_free, h[0] - t)
        t = max(t, h[1])
    longest_free = max(longest_free, entered - t)
    longest_hold = max((h[1] - h[0] for h in inside), default=0)
    return inside, held, long_held, longest_free, longest_hold


def drain(gaps):
    """Over the won gaps: calls, time held by them (cut at the walker's entry), the gaps' wall
    time (release to the walker's next entry) and heartbeats (calls not entering where their
    thread's last call left)."""
    calls = held = wall = heartbeats = 0
    for _, release, _, entered, gh in gaps:
        wall += entered - release
        calls += len(gh)
        last_out = {}
        for t_in, t_out, arrive, thread in gh:
            held += min(t_out, entered) - t_in
            if not (arrive == t_in == last_out.get(thread)):
                heartbeats += 1
            last_out[thread] = t_out
    return calls, held, wall, heartbeats


def parked_through(holds, gaps):
    """Per won gap: the heartbeat threads that asked before the release and entered only after
    the walker's next entry."""
    out = []
    for k, release, ready, entered, gh in gaps:
        out.append(len({h[3] for h in holds if h[2] < release and h[0] > entered and h[2] > 0}))
    return out


def chain(holds, gaps):
    """Per won gap, the chain as the harness counts it (`chain_*`, Validate.java): the heartbeat
    threads that had asked before the walker's release and were not in at it, and the times from
    the release at which they got in before the walker's next entry, in order."""
    out = []
    for _, release, _, entered, _ in gaps:
        parked = [h for h in holds if 0 < h[2] < release < h[0]]
        entries = sorted(h[0] - release for h in parked if h[0] < entered)
        out.append((len({h[3] for h in parked}), entries))
    return out


def chain_line(chains):
    parked = sum(p for p, _ in chains)
    inside = sum(min(len(e), p) for p, e in chains)
    left_any = sum(1 for p, e in chains if p > len(e))
    ins = sorted(t for _, e in chains for t in e)
    links = sorted(b - a for _, e in chains for a, b in zip([0] + e, e))
    whole = sorted(e[p - 1] for p, e in chains if p and len(e) >= p)
    us = lambda v, q: pct(v, q) / 1e3
    return (f"chain: {len(chains)} won gaps, {parked} threads parked at the releases, {inside} in before the "
            f"walker, {parked - inside} left out ({left_any} gaps); in after the release p50 {us(ins, .5):.0f} us "
            f"p90 {us(ins, .9):.0f}; link p50 {us(links, .5):.0f} us p90 {us(links, .9):.0f}; whole chain p50 "
            f"{us(whole, .5):.0f} us p90 {us(whole, .9):.0f} ({len(whole)} gaps)")


def summary(path, show_gaps, broker=0, cpus=2, unlocked_ns=None):
    holds, walks = load(path, broker)
    lengths = sorted(h[1] - h[0] for h in holds)
    gaps = won_gaps(holds, walks)
    print(f"== {path}")
    print(f"holds: {len(holds)}; p50 {pct(lengths, .5) / 1e3:.2f} us, p99 {pct(lengths, .99) / 1e3:.1f} us, "
          f"p99.9 {pct(lengths, .999) / 1e3:.1f} us, max {lengths[-1] / 1e6 if lengths else 0:.2f} ms; "
          f">= 100 us: {sum(1 for v in lengths if v >= LONG_HOLD_NS)}, >= 1 ms: {sum(1 for v in lengths if v >= 1e6)}")
    in_gaps = sorted(h[1] - h[0] for g in gaps for h in g[4])
    long_in_gaps = sum(1 for v in in_gaps if v >= LONG_HOLD_NS)
    print(f"won gaps: {len(gaps)}; their holds {len(in_gaps)}, of them >= 100 us: {long_in_gaps} "
          f"({long_in_gaps / max(1, len(in_gaps)):.1e} per hold)")
    blocked = [g for g in gaps if g[3] - g[2] >= BLOCKED_NS]
    tot = sum(g[3] - g[2] for g in blocked)
    held = long_held = free = 0
    frees = []
    rows = []
    for k, release, ready, entered, gh in gaps:
        inside, h, lh, lf, lhold = blocked_parts(ready, entered, gh)
        if entered - ready >= BLOCKED_NS:
            held += h
            long_held += lh
            free += entered - ready - h
            frees.append(lf)
        rows.append((k, (ready - release) / 1e6, (entered - ready) / 1e6, len(gh) - len(inside), len(inside),
                     h / 1e6, lh / 1e6, lhold / 1e6, lf / 1e6))
    frees.sort()
    print(f"walker blocked >= 1 ms after its attempt: {len(blocked)} of {len(gaps)} won gaps; blocked "
          f"{tot / 1e6:.1f} ms in all: heirs held {held / 1e6:.1f} ms ({long_held / 1e6:.1f} ms in holds >= 100 us), "
          f"free {free / 1e6:.1f} ms (longest free stretch per gap p50 {pct(frees, .5) / 1e6:.2f} ms, "
          f"max {frees[-1] / 1e6 if frees else 0:.2f} ms)")
    calls, held, wall, heartbeats = drain(gaps)
    line = (f"won gaps' drain: {calls} calls in {wall / 1e6:.1f} ms ({calls / max(wall / 1e6, 1e-9):.0f} per ms); "
            f"the holds took {held / max(wall * cpus, 1):.3f} of {cpus} CPUs")
    if unlocked_ns is not None:
        cpu = held + heartbeats * unlocked_ns
        line += (f"; with {unlocked_ns / 1e3:g} us unlocked per heartbeat ({heartbeats} heartbeats) "
                 f"{cpu / max(wall * cpus, 1):.3f}, {cpu / max(calls, 1) / 1e3:.2f} us per call")
    print(line)
    through = parked_through(holds, gaps)
    print(f"won gaps with heartbeat threads parked through them: {sum(1 for n in through if n)} of {len(gaps)}; "
          f"threads per won gap, the first ten: {through[:10]}")
    print(chain_line(chain(holds, gaps)))
    if show_gaps:
        print("| gap | ready ms | blocked ms | holds before the attempt | holds while blocked | held ms | "
              "in holds >= 100 us ms | longest hold ms | longest free ms |")
        print("|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            print("| %d | %.2f | %.2f | %d | %d | %.2f | %.2f | %.3f | %.2f |" % r)


def main():
    args = sys.argv[1:]
    show = "--gaps" in args
    broker = 0
    if "--broker" in args:
        i = args.index("--broker")
        if i + 1 >= len(args) or not args[i + 1].isdigit():
            sys.exit("--broker needs a broker number")
        broker = int(args[i + 1])
        del args[i:i + 2]
    def number(flag, cast):
        if flag not in args:
            return None
        i = args.index(flag)
        try:
            value = cast(args[i + 1])
        except (IndexError, ValueError):
            sys.exit(f"{flag} needs a number")
        del args[i:i + 2]
        return value
    cpus = number("--cpus", int) or 2
    unlocked_us = number("--unlocked-us", float)
    unlocked_ns = None if unlocked_us is None else unlocked_us * 1e3
    paths = [a for a in args if a != "--gaps"]
    if not paths:
        sys.exit(__doc__)
    for p in paths:
        summary(p, show, broker, cpus, unlocked_ns)


if __name__ == "__main__":
    main()
