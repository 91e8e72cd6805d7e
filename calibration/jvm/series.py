#!/usr/bin/env python3
"""Reads the in-order series a validation point records (Validate.java: `gap_series`,
`walk_ms_series`) and asks what independent draws leave out:

  - do lost gaps come in runs? Wald-Wolfowitz runs test on the won/lost sequence (a gap is won
    when a heartbeat got in, `w` or `d`; lost, `l`, when the walker got back in first), one-sided
    (too few runs), and P(lost | the gap before was lost) against the share lost;
  - are consecutive walks' durations correlated? The lag-1 autocorrelation of the walks after the
    trigger, against its 95% band under independence (+-1.96 / sqrt(n)).

Usage (from the repository root):
  python3 calibration/jvm/series.py tests/data/validation/runs1-huge-gap0-busy4.json ...
"""

import json
import math
import sys


def normal_cdf(x):
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def runs_test(seq):
    """(runs, expected runs, z, one-sided p for too few runs) of a two-valued sequence."""
    n1 = sum(1 for x in seq if x)
    n2 = len(seq) - n1
    n = n1 + n2
    if n1 == 0 or n2 == 0 or n < 3:
        return None
    runs = 1 + sum(1 for a, b in zip(seq, seq[1:]) if a != b)
    mean = 2.0 * n1 * n2 / n + 1.0
    var = 2.0 * n1 * n2 * (2.0 * n1 * n2 - n) / (n * n * (n - 1.0))
    z = (runs - mean) / math.sqrt(var) if var > 0 else 0.0
    return runs, mean, z, normal_cdf(z)


def longest(seq, value):
    best = cur = 0
    for x in seq:
        cur = cur + 1 if x == value else 0
        best = max(best, cur)
    return best


def lag1(xs):
    n = len(xs)
    if n < 3:
        return None
    mean = sum(xs) / n
    var = sum((x - mean) ** 2 for x in xs)
    if var == 0:
        return None
    return sum((a - mean) * (b - mean) for a, b in zip(xs, xs[1:])) / var


def main(paths):
    for path in paths:
        doc = json.load(open(path))
        o = doc["outcome"]
        name = path.rsplit("/", 1)[-1].removesuffix(".json")
        gaps = o.get("gap_series")
        walks = o.get("walk_ms_series")
        if gaps is None or walks is None:
            print(f"{name}: no series (recorded before Validate.java wrote them)")
            continue
        lost = [c == "l" for c in gaps]
        won = [not x for x in lost]
        share_lost = sum(lost) / len(lost) if lost else 0.0
        after_lost = [b for a, b in zip(lost, lost[1:]) if a]
        p_ll = sum(after_lost) / len(after_lost) if after_lost else float("nan")
        rt = runs_test(won)
        print(f"{name}: {len(gaps)} gaps, lost {sum(lost)} ({share_lost:.2f}), "
              f"P(lost | lost before) {p_ll:.2f}, longest run lost {longest(lost, True)}, "
              f"displaced {gaps.count('d')}, last quarter {o['last_quarter_timeout_share']:.2f}, walks {o['walks']}")
        if rt:
            runs, mean, z, p = rt
            print(f"    runs {runs} against {mean:.1f} expected, z {z:.2f}, p (too few) {p:.3f}")
        trigger = int(doc["params"]["trigger_closes"])
        after = walks[trigger:]
        r = lag1(after)
        if r is not None:
            band = 1.96 / math.sqrt(len(after))
            print(f"    walks after the trigger {len(after)}: mean {sum(after) / len(after):.0f} ms, "
                  f"lag-1 correlation {r:.2f} (band +-{band:.2f})")


if __name__ == "__main__":
    main(sys.argv[1:])
