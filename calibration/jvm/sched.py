#!/usr/bin/env python3
"""Joins a hold trace of the validation loop (`--trace-holds FILE`, see holds.py) with the kernel's
scheduler events recorded over the same run, and says what the threads were doing: for each
hold of 100 us or more, whether its heartbeat thread was switched out while runnable (preempted),
what else ran on the CPUs (a `VM Thread` or `GC Thread` is a safepoint; nothing at all is time the
guest does not see, e.g. the hypervisor's); for each won gap in which the returning walker was
blocked 1 ms or more, when it parked, when and by whom it was woken, and how many holds the
heartbeat threads made meanwhile; and the heartbeat threads woken while it sat parked: how many,
each one's time from its wake-up to its CPU, and how many of them were woken and not yet running
at once (HotSpot wakes at a monitor exit only when no woken successor is on its way: woken one at a
time, each waiting for a CPU, they hold the walker's own wake-up back).

The events come from tracefs with the monotonic clock (System.nanoTime's on Linux), as root:

  T=/sys/kernel/tracing; mountpoint -q $T || mount -t tracefs nodev $T
  echo mono > $T/trace_clock; echo 300000 > $T/buffer_size_kb; echo > $T/trace
  echo 1 > $T/events/sched/sched_switch/enable; echo 1 > $T/events/sched/sched_wakeup/enable
  echo 1 > $T/tracing_on    # once the loop runs ("validate NAME: running" on stderr)
  ... the run with --trace-holds /tmp/holds.csv ...
  echo 0 > $T/tracing_on; cat $T/trace > /tmp/sched.txt; echo 0 > $T/events/enable

  python3 calibration/jvm/sched.py /tmp/holds.csv /tmp/sched.txt

Thread names are the kernel's (15 characters): HeartbeatThread, NettyEventExecu (the walker),
busy-N (the harness's busy threads).
"""

import bisect
import collections
import re
import sys

import holds as H

LINE = re.compile(r"^\s*(.+?)-(\d+)\s+\[(\d+)\]\s+\S+\s+([\d.]+): (sched_switch|sched_wakeup): (.*)$")
SWITCH = re.compile(r"prev_comm=(.*?) prev_pid=(\d+) prev_prio=\d+ prev_state=(\S+) ==> next_comm=(.*?) next_pid=(\d+) ")
WAKEUP = re.compile(r"comm=(.*?) pid=(\d+) prio=\d+ target_cpu=(\d+)")


def role(comm):
    if comm.startswith("HeartbeatThr"):
        return "heir"
    if comm.startswith("NettyEventExe"):
        return "walker"
    if comm.startswith("busy-"):
        return "busy"
    if comm.startswith("VM Thread") or comm.startswith("GC Thread"):
        return "vm/gc"
    return "other"


def load_sched(path):
    """(switches sorted: (t, cpu, prev_comm, prev_pid, prev_state, next_comm, next_pid)), wakeups by pid: [(t, waker)]."""
    switches, wakeups = [], collections.defaultdict(list)
    with open(path) as f:
        for line in f:
            m = LINE.match(line)
            if not m:
                continue
            t = int(round(float(m.group(4)) * 1e9))
            if m.group(5) == "sched_switch":
                s = SWITCH.search(m.group(6) + " ")
                if s:
                    switches.append((t, int(m.group(3)), s.group(1), int(s.group(2)), s.group(3), s.group(4), int(s.group(5))))
            else:
                w = WAKEUP.search(m.group(6))
                if w:
                    wakeups[int(w.group(2))].append((t, m.group(1)))
    switches.sort()
    return switches, wakeups


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    holds, walks = H.load(sys.argv[1])
    switches, wakeups = load_sched(sys.argv[2])
    times = [s[0] for s in switches]
    walker = {s[3] for s in switches if role(s[2]) == "walker"} | {s[6] for s in switches if role(s[5]) == "walker"}
    heirs = {s[3] for s in switches if role(s[2]) == "heir"} | {s[6] for s in switches if role(s[5]) == "heir"}
    # When each thread got a CPU: the switches to it, by pid.
    runs_of = collections.defaultdict(list)
    for s in switches:
        runs_of[s[6]].append(s[0])

    causes = collections.Counter()
    cause_ms = collections.Counter()
    for h in holds:
        if h[1] - h[0] < H.LONG_HOLD_NS:
            continue
        inside = switches[bisect.bisect_left(times, h[0]):bisect.bisect_left(times, h[1])]
        if any(role(s[5]) == "vm/gc" for s in inside):
            cause = "a VM or GC thread ran (safepoint)"
        elif any(role(s[2]) == "heir" and s[4].startswith("R") for s in inside):
            cause = "a heartbeat thread preempted"
        elif not inside:
            cause = "no switch on either CPU (unseen by the guest)"
        else:
            cause = "other switches only"
        causes[cause] += 1
        cause_ms[cause] += (h[1] - h[0]) / 1e6
    print(f"holds of 100 us or more: {sum(causes.values())}, {sum(cause_ms.values()):.1f} ms")
    for cause, n in causes.most_common():
        print(f"  {cause}: {n}, {cause_ms[cause]:.1f} ms")

    starts = [h[0] for h in holds]
    print("won gaps with the walker blocked >= 1 ms: parked (after its attempt), woken, in")
    print("| gap | blocked ms | held at its attempt | parked to woken ms | woken by | heirs' holds meanwhile | monitor held meanwhile | woken to in ms "
          "| heirs woken meanwhile | their wake-up to a CPU: p50 / max / sum ms | woken, not yet running: most at once |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for k, release, ready, entered, gap_holds in H.won_gaps(holds, walks):
        if entered - ready < H.BLOCKED_NS:
            continue
        seg = switches[bisect.bisect_left(times, ready):bisect.bisect_right(times, entered)]
        parks = [s[0] for s in seg if s[3] in walker and s[4].startswith("S")]
        if not parks:
            print(f"| {k} | {(entered - ready) / 1e6:.2f} | | no park seen | | | | |")
            continue
        park = parks[0]
        woken = sorted((t, who) for p in walker for t, who in wakeups[p] if park <= t <= entered)
        wake, waker = woken[0] if woken else (entered, "?")
        runs = [s[0] for s in seg if s[6] in walker and s[0] >= wake]
        j = bisect.bisect_right(starts, ready) - 1
        held_at_attempt = j >= 0 and holds[j][1] > ready
        between = holds[bisect.bisect_left(starts, park):bisect.bisect_left(starts, wake)]
        held = sum(min(h[1], wake) - h[0] for h in between)
        # The heartbeat threads woken while the walker sat parked, and each one's wait for a CPU.
        waits = []
        for pid in heirs:
            for t, _ in wakeups[pid]:
                if park <= t < wake:
                    later = runs_of[pid][bisect.bisect_left(runs_of[pid], t):][:1]
                    waits.append((t, later[0] if later else wake))
        waits.sort()
        delays = sorted(b - a for a, b in waits)
        edges = sorted([(a, 1) for a, _ in waits] + [(b, -1) for _, b in waits])
        pending = most = 0
        for _, d in edges:
            pending += d
            most = max(most, pending)
        spread = (f"{delays[len(delays) // 2] / 1e6:.3f} / {delays[-1] / 1e6:.3f} / {sum(delays) / 1e6:.2f}" if delays else "—")
        print(f"| {k} | {(entered - ready) / 1e6:.2f} | {'yes' if held_at_attempt else 'no'} | {(wake - park) / 1e6:.2f} | "
              f"{role(waker)} | {len(between)} | {100 * held / max(1, wake - park):.0f}% | "
              f"{(runs[0] - wake) / 1e6 if runs else float('nan'):.3f} | {len(waits)} | {spread} | {most} |")


if __name__ == "__main__":
    main()
