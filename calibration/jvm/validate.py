#!/usr/bin/env python3
"""Runs the validation points of issue #10: the whole heartbeat loop of a 4.9.8 broker in real time
(Validate.java), one JVM per point, and writes for each point

  tests/data/validation/<point>.json   the harness's output (parameters, this session's calibration, outcome)
  tests/data/validation/<point>.toml   an hbsim scenario that mirrors the harness loop, with the
                                       session's calibration as its [broker] values

Usage (from the repository root; needs a JDK 17 on PATH):
  python3 calibration/jvm/validate.py                 # every point (about 1.5 minutes each)
  python3 calibration/jvm/validate.py huge-gap0 large-gap0   # only these points
  python3 calibration/jvm/validate.py --tag lowload huge-gap0 # another session: files lowload-<point>.*
  python3 calibration/jvm/validate.py --rewrite-scenarios     # only the .toml files, from the recorded .json
"""

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(ROOT, "tests", "data", "validation")

# name -> harness options. Each run lasts `duration-s` of real time after the in-session calibration.
# The trigger is sized so that its walks alone end well before the last quarter: whatever still
# times out there is fed by the loop (timed-out heartbeats closing their sockets), not by the trigger.
POINTS = {
    # The incident's table, hot, with the incident files' 15 us gap and a 10,000-close trigger.
    "incident-hot-gap15": dict(groups=15742, gap_us=15, trigger=10000, duration_s=40),
    # The same with no unlocked work between walks.
    "incident-hot-gap0": dict(groups=15742, gap_us=0, trigger=10000, duration_s=40),
    # A large table (400,000 groups, beyond the caches): 60-300 ms walks, 100 closes.
    "large-gap0": dict(groups=400000, gap_us=0, trigger=100, duration_s=40),
    # A very large table: walks of about a second, no gap; idle host, loaded host, cold table.
    "huge-gap0": dict(groups=4000000, gap_us=0, trigger=10, duration_s=60),
    "huge-gap0-busy4": dict(groups=4000000, gap_us=0, trigger=10, duration_s=60, busy_threads=4),
    "huge-gap0-cold": dict(groups=4000000, gap_us=0, trigger=10, duration_s=60, cache_pressure=64, spread=64),
    "huge-gap0-busy8": dict(groups=4000000, gap_us=0, trigger=10, duration_s=60, busy_threads=8),
    # A repeat of huge-gap0-busy4 (how reproducible is a tip on this shared host?).
    "huge-gap0-busy4-repeat": dict(groups=4000000, gap_us=0, trigger=10, duration_s=60, busy_threads=4),
    # The incident's table on a loaded host: load alone, with short walks.
    "incident-hot-gap0-busy4": dict(groups=15742, gap_us=0, trigger=10000, duration_s=40, busy_threads=4),
    # The whole JVM on one CPU (taskset -c 0): the woken heartbeat thread shares the walker's CPU.
    "incident-hot-gap0-onecpu": dict(groups=15742, gap_us=0, trigger=10000, duration_s=40, pin_cpu=True),
    "large-gap0-onecpu": dict(groups=400000, gap_us=0, trigger=100, duration_s=40, pin_cpu=True),
    # A million groups on a loaded host (8 extra runnable threads).
    "million-gap0-busy8": dict(groups=1000000, gap_us=0, trigger=20, duration_s=40, busy_threads=8),
    # Recorded after the CPU model was frozen (held-out points): sizes, gaps and loads in between.
    "million-gap0": dict(groups=1000000, gap_us=0, trigger=20, duration_s=40),
    "two-million-gap0": dict(groups=2000000, gap_us=0, trigger=10, duration_s=60),
    "huge-gap15": dict(groups=4000000, gap_us=15, trigger=10, duration_s=60),
    "large-gap0-busy2": dict(groups=400000, gap_us=0, trigger=100, duration_s=40, busy_threads=2),
    # A heavier host (added 2026-12-02, the Intel guest, where no shipped point tipped off the
    # collapse rule's edge): 12 busy threads stretch the 4,000,000-group walk to about the 3 s
    # deadline, 16 past it (5 closes, so that the trigger's walks still end before the last quarter).
    "huge-gap0-busy12": dict(groups=4000000, gap_us=0, trigger=10, duration_s=60, busy_threads=12),
    "huge-gap0-busy16": dict(groups=4000000, gap_us=0, trigger=5, duration_s=60, busy_threads=16),
    # Between no gap and 15 us (added 2026-12-05, the thirty-sixth session): where the loop's heirs
    # go from losing nearly every release behind long walks to winning about half, and where hbsim
    # weighs in the calibration's wake-up behind a busy gap linearly (an assumption it tests).
    "huge-gap1": dict(groups=4000000, gap_us=1, trigger=10, duration_s=60),
    "huge-gap2": dict(groups=4000000, gap_us=2, trigger=10, duration_s=60),
    "huge-gap3": dict(groups=4000000, gap_us=3, trigger=10, duration_s=60),
    "huge-gap5": dict(groups=4000000, gap_us=5, trigger=10, duration_s=60),
    "huge-gap10": dict(groups=4000000, gap_us=10, trigger=10, duration_s=60),
}

# The broker's own heap and collector options (distribution/bin/runbroker.sh, rocketmq-all-4.9.8,
# lines 78 and 85-88; as harness_heap_options in src/calibrate.rs, the collector's options from
# broker-jvm-options beside this file, which hbsim calibrate reads too): the heap
# fixed at a quarter of the host's memory, at most the script's 8 GiB (6 GiB on these 24 GiB
# machines), and pre-touched. -XX:+AlwaysPreTouch matters most: without it the loop's heartbeat
# threads first-touch fresh heap pages in every won gap (docs/validation-log.md, the fifty-fourth
# session). Recordings before `user84-` ran with -Xmx6g alone.
def heap_options():
    try:
        with open("/proc/meminfo") as f:
            kib = next(int(l.split()[1]) for l in f if l.startswith("MemTotal:"))
        if kib * 1024 // 4 > 8 << 30:
            return ["-Xms8g", "-Xmx8g"]
    except (OSError, StopIteration, ValueError, IndexError):
        pass
    return ["-XX:InitialRAMPercentage=25", "-XX:MaxRAMPercentage=25"]


def broker_jvm_options():
    with open(os.path.join(HERE, "broker-jvm-options")) as f:
        return [l.strip() for l in f if l.strip() and not l.strip().startswith("#")]


DEFAULTS = dict(rate=367, deadline_ms=3000, trigger_at_s=5, busy_threads=0, cache_pressure=0, spread=0)


def duration_text(ns):
    ns = int(round(max(ns, 0.0)))
    if ns < 1000:
        return f"{ns}ns"
    if ns < 1_000_000:
        return (f"{ns // 1000}.{ns % 1000:03d}".rstrip("0").rstrip(".")) + "us"
    return (f"{ns // 1_000_000}.{ns % 1_000_000:06d}".rstrip("0").rstrip(".")) + "ms"


def sigma(p50, p90):
    if p50 <= 0 or p90 <= p50:
        return 0.0
    return round(min(math.log(p90 / p50) / 1.2815515655, 5.0), 3)


def loop_walks(outcome):
    """The loop's walks as one close_cost_base (the table keeps its size). Where the loop's walk
    percentiles were recorded: an empirical through them whose minimum gives the recorded mean
    (as tests/integration/validation.rs `loop_walks`); otherwise the mean."""
    mean = outcome["walk_us_mean"]
    ns = lambda us: f'"{max(round(us * 1000), 1)}ns"'
    k = [outcome.get(f"walk_us_{q}") for q in ("p50", "p90", "p99", "max")]
    if any(v is None for v in k) or outcome.get("walks", 0) < 2:
        return ns(mean)
    for i in range(1, 4):
        k[i] = max(k[i], k[i - 1])
    p50, p90, p99, top = k
    if outcome.get("walk_us_min") is not None and outcome.get("walk_us_p10") is not None:
        low, p10 = min(outcome["walk_us_min"], p50), min(max(outcome["walk_us_p10"], outcome["walk_us_min"]), p50)
        return (f'{{ dist = "empirical", min = {ns(low)}, p10 = {ns(p10)}, p50 = {ns(p50)}, p90 = {ns(p90)}, '
                f'p99 = {ns(p99)}, max = {ns(top)} }}')
    above = 0.2 * (p50 + p90) + 0.045 * (p90 + p99) + 0.005 * (p99 + top)
    low = min(max((mean - above) / 0.25 - p50, 0.0), p50)
    return (f'{{ dist = "empirical", min = {ns(low)}, p50 = {ns(p50)}, p90 = {ns(p90)}, '
            f'p99 = {ns(p99)}, max = {ns(top)} }}')


def scenario(point, doc):
    p = doc["params"]
    c = doc["calibration"]
    live = p["live_groups"]
    lines = [
        f"# Mirrors tests/data/validation/{point}.json: the harness loop of calibration/jvm/Validate.java",
        "# (written by calibration/jvm/validate.py). Harness and hbsim differ where the format cannot follow:",
        "# hbsim's clients heartbeat with random phases (the harness: evenly spaced), reconnecting clients",
        "# cause a CONNECT event (the harness has none: connect_event_cost = 0), and the harness's monitor is",
        "# the real one on this host.",
    ]
    if p.get("cpu_pinning", "none") != "none":
        lines += [f'# The harness ran pinned: {p["cpu_pinning"]}; the validation test runs hbsim with cpus = meta.cpus.']
    lines += [
        f'name = "validation-{point}"',
        "seed = 1",
        f'duration = "{int(p["duration_s"])}s"',
        'sample_interval = "1s"',
        'policies = ["leaky"]',
        "",
        "[broker]",
        f'heartbeat_threads = {p["heartbeat_threads"]}',
        f'heartbeat_queue_capacity = {p["heartbeat_queue_capacity"]}',
        f'netty_event_queue_cap = {p["netty_event_queue_cap"]}',
        'monitor = "barging"',
        f'# the loop\'s own walks over its {p["groups"]} groups: walk_us_mean = {doc["outcome"]["walk_us_mean"]} (the',
        f'# session\'s separate walk measurement, before the loop: walk_ns_per_group_p50 = {c["walk_ns_per_group_p50"]})',
        f'close_cost_base = {loop_walks(doc["outcome"])}',
        'close_cost_per_group = "0"',
        f'netty_event_gap = "{duration_text(p["gap_us"] * 1000)}"',
        'connect_event_cost = "0"',
        f'# this session: wake_latency_us_p50 = {c["wake_latency_us_p50"]}, p90 = {c["wake_latency_us_p90"]}',
        f'monitor_wake_latency = {{ dist = "lognormal", median = "{duration_text(c["wake_latency_us_p50"] * 1000)}", '
        f'sigma = {sigma(c["wake_latency_us_p50"], c["wake_latency_us_p90"])} }}',
        f'# this session: heartbeat_unlocked_us_p50 = {c["heartbeat_unlocked_us_p50"]}, p90 = {c["heartbeat_unlocked_us_p90"]}',
        f'heartbeat_cost = {{ dist = "lognormal", median = "{duration_text(c["heartbeat_unlocked_us_p50"] * 1000)}", '
        f'sigma = {sigma(c["heartbeat_unlocked_us_p50"], c["heartbeat_unlocked_us_p90"])} }}',
        f'register_producer_cost = "{duration_text(c["register_producer_ns_p50"])}"',
        f'# this session: exit_cost_us_p50 = {c["exit_cost_us_p50"]} (key of the monitor-model change)',
        f'monitor_exit_cost = "{duration_text(c["exit_cost_us_p50"] * 1000)}"',
    ]
    o = doc["outcome"]
    back = o.get("walker_back_uncontested_us_p50")
    back_from = "walker_back_uncontested_us_p50"
    if back is None and c.get("race_walker_back_uncontested_us_p50") is not None:
        # The loop's heirs won every gap: its walker never came back uncontested. The pre-run
        # measured the walker's return on the same table in the same state (tests/integration/
        # validation.rs `loop_return_gap`).
        back, back_from = c["race_walker_back_uncontested_us_p50"], "race_walker_back_uncontested_us_p50 (the pre-run's)"
    if c.get("wake_latency_us_long_park_p50") is not None and back is not None:
        # Both sides of the race at the walker's release as the loop ran it (tests/integration/
        # validation.rs `loop_return_gap`): the long-park costs and the walker's own return.
        long = o["walk_us_mean"] * 1000 >= 20e6
        exit_p50 = c["exit_cost_us_long_park_p50" if long else "exit_cost_us_p50"]
        extra = max(back - p["gap_us"] - exit_p50, 0.0)
        lines = [l for l in lines if not l.startswith("netty_event_gap =")]
        lines += [
            f'# the loop\'s race: the waiter parked {c.get("long_park_hold_ms", 50)} ms wakes in wake_latency_us_long_park_p50 = '
            f'{c["wake_latency_us_long_park_p50"]}; the walker is back in {back_from} = {back}',
            'monitor_long_park = "20ms"',
            f'monitor_wake_latency_long_park = "{duration_text(c["wake_latency_us_long_park_p50"] * 1000)}"',
            f'monitor_exit_cost_long_park = "{duration_text(c["exit_cost_us_long_park_p50"] * 1000)}"',
        ]
        if c.get("wake_latency_us_very_long_park_p50") is not None:
            lines += [
                f'# the waiter parked {c.get("very_long_park_hold_ms", 300)} ms: wake_latency_us_very_long_park_p50 = '
                f'{c["wake_latency_us_very_long_park_p50"]}, exit_cost_us_very_long_park_p50 = {c["exit_cost_us_very_long_park_p50"]}',
                '# (the second tier, monitor_very_long_park: not applied; docs/validation.md, the very- session)',
            ]
        if c.get("race_gaps_between_walks") is not None:
            lines += [
                f'# the race in the loop\'s own state, measured before it (race_*): heirs won {c["race_gaps_won_by_heartbeats"]} '
                f'of {c["race_gaps_between_walks"]} gaps behind',
                f'# {c["race_walk_us_mean"] / 1000:.1f} ms walks; the validation test can shift the long-park wake-up to that share',
                '# (RACE_IN_LOOP_SHIFT: on since the twenty-sixth session, idle points behind long walks; docs/validation.md)',
            ]
        if long:
            # Behind walks of 20 ms and more the extra is what a long walk adds (hbsim calibrate's
            # netty_event_gap_long_walk_extra); the gap stays the harness's.
            lines += [
                f'netty_event_gap = "{duration_text(p["gap_us"] * 1000)}"',
                f'netty_event_gap_long_walk_extra = "{duration_text(extra * 1000)}"',
            ]
        else:
            lines.append(f'netty_event_gap = "{duration_text((p["gap_us"] + extra) * 1000)}"')
    elif c.get("wake_latency_us_long_park_p50") is not None:
        lines += [
            f'# this session, the waiter parked {c.get("long_park_hold_ms", 50)} ms: exit_cost_us_long_park_p50 = '
            f'{c["exit_cost_us_long_park_p50"]}, wake_latency_us_long_park_p50 = {c["wake_latency_us_long_park_p50"]}',
            '# (not applied: with the long park alone the walker wins too many gaps; docs/validation.md, the park session)',
        ]
    lines += [
        "",
        "[clients]",
        f'heartbeat_interval = "{p["heartbeat_interval_s"]}s"',
        f'rpc_timeout = "{duration_text(p["deadline_ms"] * 1e6)}"',
        "close_socket_on_timeout = true",
        "heartbeat_on_reconnect = false",
        "",
        "[background]",
        f'# {p["heartbeat_rate_per_s"]} heartbeats/s = clients / 30 s; each heartbeat registers 2 producer groups',
        f'clients = {p["clients"]}',
        f"live_groups = {live}",
        "",
        "[groups]",
        f'initial = {p["groups"] - live}',
    ]
    if p["trigger_closes"] > 0:
        lines += [
            "",
            "[[actions]]",
            f'at = "{duration_text(p["trigger_at_s"] * 1e9)}"',
            'action = "disconnect_clients"',
            f'count = {p["trigger_closes"]}',
            'over = "0"',
            'cause = "close"',
            f'label = "{p["trigger_closes"]} closes"',
        ]
    return "\n".join(lines) + "\n"


def run_point(classes, point, opts, tag=None):
    o = dict(DEFAULTS)
    o.update(opts)
    pin = o.pop("pin_cpu", False)
    prefix = ["taskset", "-c", "0"] if pin else []
    args = prefix + ["java"] + heap_options() + broker_jvm_options() + ["-cp", classes, "HbCalib", "--mode", "validate", "--point", point]
    for k, v in o.items():
        args += ["--" + k.replace("_", "-"), str(v)]
    print("running", " ".join(args), file=sys.stderr, flush=True)
    out = subprocess.run(args, check=True, stdout=subprocess.PIPE).stdout.decode()
    doc = json.loads(out)
    doc["params"]["cpu_pinning"] = "taskset -c 0 (the whole JVM on one CPU)" if pin else "none"
    doc["command"] = "python3 calibration/jvm/validate.py " + (f"--tag {tag} " if tag else "") + point
    if tag:
        doc["session_tag"] = tag
    stem = f"{tag}-{point}" if tag else point
    os.makedirs(OUT, exist_ok=True)
    for name, text in ((stem + ".json", json.dumps(doc, indent=2) + "\n"), (stem + ".toml", scenario(stem, doc))):
        path = os.path.join(OUT, name)
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)
    oc = doc["outcome"]
    print(f'{stem}: tipped={oc["tipped"]} last_quarter_timeout_share={oc["last_quarter_timeout_share"]:.3f} '
          f'gap_won_share={oc["gap_won_share"]:.3f} p50={oc["response_ms_p50"]}ms p99={oc["response_ms_p99"]}ms '
          f'load {doc["loadavg_before"]} -> {doc["loadavg_after"]}', flush=True)


def rewrite_scenarios():
    """Rewrites every tests/data/validation/<point>.toml from its recorded .json (no JVM needed)."""
    for name in sorted(os.listdir(OUT)):
        if name.endswith(".json"):
            point = name[:-5]
            with open(os.path.join(OUT, name)) as f:
                doc = json.load(f)
            with open(os.path.join(OUT, point + ".toml"), "w") as f:
                f.write(scenario(point, doc))


def main():
    if sys.argv[1:] == ["--rewrite-scenarios"]:
        rewrite_scenarios()
        return
    args = sys.argv[1:]
    tag = None
    if args[:1] == ["--tag"]:
        if len(args) < 2 or not args[1].replace("-", "").isalnum():
            sys.exit("--tag needs a name of letters, digits and dashes")
        tag, args = args[1], args[2:]
    names = args or list(POINTS)
    for n in names:
        if n not in POINTS:
            sys.exit(f"unknown point {n}; points: {', '.join(POINTS)}")
    if shutil.which("javac") is None or shutil.which("java") is None:
        sys.exit("validate.py needs a JDK 17 (java and javac) on PATH")
    with tempfile.TemporaryDirectory(prefix="hbsim-validate-") as tmp:
        sources = [os.path.join(HERE, f) for f in sorted(os.listdir(HERE)) if f.endswith(".java")]
        subprocess.run(["javac", "-nowarn", "-d", tmp] + sources, check=True)
        for n in names:
            run_point(tmp, n, POINTS[n], tag)


if __name__ == "__main__":
    main()
