#!/usr/bin/env bash
# Measures every performance figure of docs/performance.md and prints it with its target.
#
# Usage: benches/measure.sh [--quick] [--no-criterion] [--no-simpy] [--profile]
#   --quick          3 runs per figure instead of RUNS, no criterion, no SimPy
#   --no-criterion   skip `cargo bench` (about 2.5 minutes)
#   --no-simpy       skip the SimPy comparison (needs PyPI the first time)
#   --profile        also record perf profiles (M/M/1, incident leaky and fixed) and print the
#                    top of `perf report --no-children`
# Environment: RUNS (default 5) runs per wall-time figure, the median is reported;
# WORK (default /tmp/hbsim-measure) holds the scenario variants and the outputs.
#
# Needs hyperfine (Debian: apt-get install hyperfine), GNU time (/usr/bin/time) and python3.
# Relative figures (table size, 24 h vs 2 h, --jobs 1 vs 2) come from benches/paired.py, which
# runs the two commands in alternation and takes the median of the pairwise ratios.
# The whole run takes about 10 minutes on the 2-core machine of docs/performance.md.
set -euo pipefail

cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
WORK=${WORK:-/tmp/hbsim-measure}
criterion=1
simpy=1
profile=0
for arg in "$@"; do
    case $arg in
        --quick) RUNS=3 criterion=0 simpy=0 ;;
        --no-criterion) criterion=0 ;;
        --no-simpy) simpy=0 ;;
        --profile) profile=1 ;;
        *) echo "unknown option $arg" >&2; exit 2 ;;
    esac
done
for tool in hyperfine /usr/bin/time python3; do
    command -v "$tool" >/dev/null || { echo "measure.sh needs $tool" >&2; exit 2; }
done
mkdir -p "$WORK"
bin=./target/release/hbsim
incident=scenarios/incident-2024-10.toml
healthy=scenarios/healthy.toml

section() { printf '\n== %s\n' "$*"; }

# busy_share: the share of both cores in use over one second (by anyone, this script included).
busy_share() {
    python3 - <<'EOF'
import time
def sample():
    fields = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    return fields[3] + fields[4], sum(fields)
idle0, total0 = sample()
time.sleep(1.0)
idle1, total1 = sample()
print(f"{1 - (idle1 - idle0) / max(total1 - total0, 1):.2f}")
EOF
}

# wait_quiet: the machine is shared; wait (at most about a minute) until the other processes
# leave both cores nearly idle, so that a figure is not taken while someone else compiles.
wait_quiet() {
    local try busy
    for try in $(seq 1 30); do
        busy=$(busy_share)
        if python3 -c "import sys; sys.exit(0 if $busy < 0.15 else 1)"; then
            return 0
        fi
        sleep 1
    done
    echo "  (others still use $busy of the CPU: the next figure is noisy)"
}

# median_s LABEL RUNS CMD...: runs CMD with hyperfine, prints a line and sets MEDIAN_S.
median_s() {
    local label=$1 runs=$2
    shift 2
    wait_quiet
    hyperfine --style none --runs "$runs" --export-json "$WORK/hyperfine.json" -- "$*" >/dev/null 2>"$WORK/hyperfine.err" ||
        { cat "$WORK/hyperfine.err" >&2; exit 1; }
    MEDIAN_S=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["median"])' "$WORK/hyperfine.json")
    python3 - "$WORK/hyperfine.json" "$label" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(f"{sys.argv[2]}: median {r['median']:.3f} s wall (min {r['min']:.3f}, max {r['max']:.3f}, "
      f"{len(r['times'])} runs; mean CPU {r['user'] + r['system']:.3f} s)")
EOF
}

# paired LABEL_A LABEL_B RUNS CMD_A CMD_B: times A and B in alternation (benches/paired.py),
# prints both medians and the median pairwise ratio A/B, and sets RATIO. Used for every relative
# figure: the machine's speed drifts too much between two separate series.
paired() {
    local label_a=$1 label_b=$2 runs=$3 cmd_a=$4 cmd_b=$5 out
    wait_quiet
    out=$(python3 benches/paired.py --runs "$runs" --label-a "$label_a" --label-b "$label_b" "$cmd_a" "$cmd_b") ||
        { echo "$out" >&2; exit 1; }
    echo "$out" | grep -v '^RATIO '
    RATIO=$(echo "$out" | sed -n 's/^RATIO //p')
}

# peak_rss_kb CMD...: peak resident memory of one run [kB] (GNU time's "Maximum resident set size").
peak_rss_kb() {
    /usr/bin/time -f '%M' -o "$WORK/time.txt" "$@" >/dev/null 2>&1
    cat "$WORK/time.txt"
}

# summary_field DIR POLICY FIELD: one number of DIR/POLICY/summary.json.
summary_field() {
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1/$2/summary.json" "$3"
}

# verdict OK TEXT: prints "MET" or "MISSED" after TEXT.
verdict() {
    if [ "$1" = 1 ]; then echo "  -> target $2: MET"; else echo "  -> target $2: MISSED"; fi
}

# check_le A B: 1 when A <= B (floats).
check_le() { python3 -c 'import sys; print(int(float(sys.argv[1]) <= float(sys.argv[2])))' "$1" "$2"; }

section machine
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "commit: $(git rev-parse --short HEAD) ($(git rev-parse --abbrev-ref HEAD))"
echo "cores (nproc): $(nproc)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') $(grep -m1 'cpu MHz' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') MHz"
echo "memory: $(grep MemTotal /proc/meminfo | awk '{printf "%.1f GiB", $2 / 1048576}')"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "rustc: $(rustc --version)"

section build
cargo build --release 2>&1 | tail -1

section "scenario variants (in $WORK)"
for groups in 15000 150000 1500000; do
    sed 's/^initial = 15742$/initial = '"$groups"'/' "$incident" >"$WORK/incident-groups-$groups.toml"
    grep -q "^initial = $groups\$" "$WORK/incident-groups-$groups.toml" || { echo "sed did not apply: groups $groups" >&2; exit 1; }
done
# The same sizes with the per-group walk cost scaled down so that a close walk takes the same
# virtual time (about 15.7 ms): the same dynamics, so only the simulator's own cost can differ.
for groups in 150000 1500000; do
    per_group_ns=$((15742 * 1000 / groups))
    sed -e 's/^initial = 15742$/initial = '"$groups"'/' \
        -e 's/^close_cost_per_group = "1us"$/close_cost_per_group = "'"$per_group_ns"'ns"/' \
        "$incident" >"$WORK/incident-groups-$groups-same-walk.toml"
    grep -q "^close_cost_per_group = \"${per_group_ns}ns\"\$" "$WORK/incident-groups-$groups-same-walk.toml" ||
        { echo "sed did not apply: walk cost for $groups groups" >&2; exit 1; }
done
cp "$incident" "$WORK/incident-groups-15742-same-walk.toml"
sed 's/^duration = "2h"$/duration = "24h"/' "$healthy" >"$WORK/healthy-24h.toml"
sed 's/^duration = "2h"$/duration = "24h"/' "$incident" >"$WORK/incident-24h.toml"
grep -q '^duration = "24h"$' "$WORK/healthy-24h.toml" || { echo "sed did not apply: 24h" >&2; exit 1; }
# The scenario of benches/mm1.rs, for the end-to-end M/M/1 figure and the SimPy comparison.
cp tests/data/mm1.toml "$WORK/mm1.toml"
grep -q '^name = "mm1"$' "$WORK/mm1.toml" || { echo "could not extract the M/M/1 scenario" >&2; exit 1; }
ls "$WORK"/*.toml

if [ "$criterion" = 1 ]; then
    section "criterion (cargo bench): median events/s"
    marker="$WORK/criterion.marker"
    touch "$marker"
    cargo bench --bench engine_hold --bench mm1 --bench incident >"$WORK/criterion.txt" 2>&1
    # Criterion's own line is a mean-like point estimate; read the median from its JSON.
    python3 - "$marker" <<'EOF'
import glob, json, os, sys
since = os.path.getmtime(sys.argv[1])
for path in sorted(glob.glob("target/criterion/**/new/estimates.json", recursive=True)):
    if os.path.getmtime(path) < since:
        continue
    folder = os.path.dirname(path)
    bench = json.load(open(os.path.join(folder, "benchmark.json")))
    elements = bench["throughput"]["Elements"]
    median_ns = json.load(open(path))["median"]["point_estimate"]
    rate = elements / median_ns * 1e9
    line = f"{bench['full_id']}: {rate / 1e6:.2f} M events/s ({elements} events in {median_ns / 1e6:.1f} ms)"
    if bench["group_id"] == "mm1":
        line += f"  -> target >= 15 M events/s: {'MET' if rate >= 15e6 else 'MISSED'}"
    print(line)
EOF
fi

section "incident replay, one policy, 2 h simulated (hbsim replay --no-charts)"
for policy in leaky fixed; do
    out="$WORK/out-incident"
    median_s "$policy" "$RUNS" "$bin replay $incident --policy $policy --no-charts --out $out"
    events=$(summary_field "$out" "$policy" events)
    rss=$(peak_rss_kb "$bin" replay "$incident" --policy "$policy" --no-charts --out "$out")
    echo "  $events events = $(python3 -c "print(f'{$events / $MEDIAN_S / 1e6:.2f}')") M events/s; peak RSS $rss kB"
    verdict "$(check_le "$MEDIAN_S" 1.0)" "<= 1 s"
    verdict "$(check_le "$rss" 204800)" "< 200 MB"
done
median_s "leaky with charts (PNG+SVG)" "$RUNS" "$bin replay $incident --policy leaky --out $WORK/out-incident-charts"

section "table size: groups.initial 15,000 / 150,000 / 1,500,000 (incident, 2 h; runs in alternation)"
within='import sys; r=float(sys.argv[1]); print(int(0.9 <= r <= 1.1))'
small="$WORK/incident-groups-15000.toml"
# paired_replays POLICY LABEL_A LABEL_B SCENARIO_A SCENARIO_B: the two replays in alternation;
# sets RATIO, EVENTS_A and EVENTS_B.
paired_replays() {
    local policy=$1
    paired "$2" "$3" "$RUNS" \
        "$bin replay $4 --policy $policy --no-charts --out $WORK/out-groups-a" \
        "$bin replay $5 --policy $policy --no-charts --out $WORK/out-groups-b"
    EVENTS_A=$(summary_field "$WORK/out-groups-a" "$policy" events)
    EVENTS_B=$(summary_field "$WORK/out-groups-b" "$policy" events)
    echo "  events: $EVENTS_A vs $EVENTS_B"
}
for groups in 150000 1500000; do
    paired_replays fixed "fixed $groups groups" "fixed 15,000 groups" "$WORK/incident-groups-$groups.toml" "$small"
    verdict "$(python3 -c "$within" "$RATIO")" "fixed, $groups groups: wall within +-10% of 15,000 groups"
done
# Under leaky a larger table makes every close walk longer in virtual time: the collapse is
# deeper and the run handles other (fewer) events. Holding the walk time constant (the
# *-same-walk variants scale close_cost_per_group) keeps the dynamics, so the wall time then
# shows the simulator's own cost of the table size.
for groups in 150000 1500000; do
    paired_replays leaky "leaky $groups groups, same walk time" "leaky 15,742 groups" \
        "$WORK/incident-groups-$groups-same-walk.toml" "$WORK/incident-groups-15742-same-walk.toml"
    verdict "$(python3 -c "$within" "$RATIO")" "leaky (same dynamics), $groups groups: wall within +-10%"
done
for groups in 150000 1500000; do
    paired_replays leaky "leaky $groups groups" "leaky 15,000 groups" "$WORK/incident-groups-$groups.toml" "$small"
    echo "  wall per event relative: $(python3 -c "print(f'{$RATIO * $EVENTS_B / $EVENTS_A:.2f}')") (the larger table collapses harder: other events)"
done

section "simulated duration: 2 h vs 24 h (healthy, fixed; stationary load; runs in alternation)"
long_runs=$((RUNS < 3 ? RUNS : 3))
paired "24h" "2h" "$long_runs" \
    "$bin replay $WORK/healthy-24h.toml --policy fixed --no-charts --out $WORK/out-24h" \
    "$bin replay $healthy --policy fixed --no-charts --out $WORK/out-2h"
events_ratio=$(python3 -c "print(f'{$(summary_field "$WORK/out-24h" fixed events) / $(summary_field "$WORK/out-2h" fixed events):.2f}')")
short_rss=$(peak_rss_kb "$bin" replay "$healthy" --policy fixed --no-charts --out "$WORK/out-2h")
long_rss=$(peak_rss_kb "$bin" replay "$WORK/healthy-24h.toml" --policy fixed --no-charts --out "$WORK/out-24h")
echo "  24h / 2h: wall $RATIO, events $events_ratio (linear: 12); peak RSS 2h $short_rss kB, 24h $long_rss kB"
verdict "$(python3 -c "print(int(10.8 <= $RATIO <= 13.2))")" "linear in simulated duration (wall ratio 12 +- 10%)"
verdict "$(python3 -c "print(int($long_rss <= 1.1 * $short_rss))")" "memory does not grow with simulated duration"
incident_long_rss=$(peak_rss_kb "$bin" replay "$WORK/incident-24h.toml" --policy leaky --no-charts --out "$WORK/out-incident-24h")
echo "  incident 24h under leaky: peak RSS $incident_long_rss kB"

section "independent runs on $(nproc) cores (runs in alternation)"
paired "compare --jobs 1" "compare --jobs 2" "$RUNS" \
    "$bin compare $incident --jobs 1 --no-charts --out $WORK/out-compare" \
    "$bin compare $incident --jobs 2 --no-charts --out $WORK/out-compare"
echo "  speed-up $RATIO"
verdict "$(check_le 1.8 "$RATIO")" "compare >= 1.8x on 2 cores"
paired "check scenarios/ --jobs 1" "check scenarios/ --jobs 2" "$RUNS" \
    "$bin check scenarios/ --jobs 1" "$bin check scenarios/ --jobs 2"
echo "  speed-up $RATIO"
verdict "$(check_le 1.8 "$RATIO")" "check >= 1.8x on 2 cores"

section "M/M/1 end to end (hbsim replay, includes start-up, parsing and the CSV)"
median_s "hbsim replay mm1.toml" "$RUNS" "$bin replay $WORK/mm1.toml --no-charts --out $WORK/out-mm1"
events=$(summary_field "$WORK/out-mm1" fixed events)
customers=$(summary_field "$WORK/out-mm1" fixed heartbeats_sent)
echo "  $events events, $customers customers (heartbeats): $(python3 -c "print(f'{$events / $MEDIAN_S / 1e6:.2f} M events/s, {$customers / $MEDIAN_S / 1e6:.3f} M customers/s')")"

if [ "$simpy" = 1 ]; then
    section "SimPy, the same M/M/1 (benches/run_simpy.sh)"
    benches/run_simpy.sh --repeat "$RUNS"
fi

if [ "$profile" = 1 ]; then
    section "profiles (perf record -g; perf report --no-children, top symbols)"
    sed 's/^duration = "10m"$/duration = "2h"/' "$WORK/mm1.toml" >"$WORK/mm1-2h.toml"
    for run in "mm1-2h:$WORK/mm1-2h.toml:fixed" "incident-leaky:$incident:leaky" "incident-fixed:$incident:fixed"; do
        IFS=: read -r name scenario policy <<<"$run"
        echo "-- $name: perf report -i $WORK/perf-$name.data --no-children"
        perf record -F 999 -g -o "$WORK/perf-$name.data" "$bin" replay "$scenario" --policy "$policy" --no-charts --out "$WORK/out-perf" >/dev/null 2>&1
        perf report -i "$WORK/perf-$name.data" --no-children --stdio 2>/dev/null | grep -E '^ +[0-9]+\.[0-9]+%' | head -15 || true
    done
fi

section done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
