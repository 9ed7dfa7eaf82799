#!/usr/bin/env python3
"""The senders' refill after a switch (issue 20, profile key linux_switch_refill), from the
identification run of scripts/netns-sender-share.py (N trafgen processes sharing one CPU, to the
sink, no router).

Usage: netns-sender-share-fit.py DATA.csv [--clock HZ] [--switch CYCLES]

Each trial's CPU time of its trafgen processes (wait4: user + system, the sink's receive in
their softirq included) is fitted by least squares, with no intercept, as
  cycles = c x frames received + s x switches of the processes (voluntary + involuntary),
over the trials whose other CPUs were at most 10% busy (foreign work; nothing of the run uses
them). s is the cost of one switch as the processes pay it; the refill is s minus the direct
switch cost (--switch, linux_context_switch: 6,500 cycles on this machine), both with their
95% intervals (t quantile 2.02 for about 40 degrees of freedom; normal errors assumed). Also
prints, per process count, the mean cycles per frame and switches per 1,000 frames with the 95%
interval of the mean. --clock: the CPU clock the profile uses (2.5e9).
"""

import csv
import sys
from collections import defaultdict


def solve2(a11, a12, a22, b1, b2):
    det = a11 * a22 - a12 * a12
    return (a22 * b1 - a12 * b2) / det, (a11 * b2 - a12 * b1) / det, det


def main():
    path = sys.argv[1]
    clock = float(sys.argv[sys.argv.index("--clock") + 1]) if "--clock" in sys.argv else 2.5e9
    direct = float(sys.argv[sys.argv.index("--switch") + 1]) if "--switch" in sys.argv else 6500.0
    trials = []
    left = 0
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            if float(r["other_cpus_busy_s"]) > 0.10 * float(r["seconds"]):
                left += 1
                continue
            frames = float(r["received"])
            switches = float(r["voluntary_switches"]) + float(r["involuntary_switches"])
            cycles = (float(r["user_s"]) + float(r["system_s"])) * clock
            trials.append((int(r["procs"]), frames, switches, cycles))
    # normal equations of cycles = c F + s S
    fF = sum(t[1] * t[1] for t in trials)
    fS = sum(t[1] * t[2] for t in trials)
    sS = sum(t[2] * t[2] for t in trials)
    fY = sum(t[1] * t[3] for t in trials)
    sY = sum(t[2] * t[3] for t in trials)
    c, s, det = solve2(fF, fS, sS, fY, sY)
    n = len(trials)
    rss = sum((t[3] - c * t[1] - s * t[2]) ** 2 for t in trials)
    var = rss / (n - 2)
    se_c = (var * sS / det) ** 0.5
    se_s = (var * fF / det) ** 0.5
    t95 = 2.02
    print(f"trials: {n} ({left} left out: other CPUs > 10% busy)")
    print(f"per frame: {c:,.0f} cycles (95%: {c - t95 * se_c:,.0f} ... {c + t95 * se_c:,.0f})")
    print(f"per switch: {s:,.0f} cycles (95%: {s - t95 * se_s:,.0f} ... {s + t95 * se_s:,.0f})")
    print(
        f"refill = per switch - {direct:,.0f} (direct) = {s - direct:,.0f} cycles "
        f"(95%: {max(0.0, s - direct - t95 * se_s):,.0f} ... {s - direct + t95 * se_s:,.0f}), "
        f"{(s - direct) / clock * 1e6:.0f} us at {clock / 1e9:g} GHz"
    )
    by = defaultdict(list)
    for p, frames, switches, cycles in trials:
        by[p].append((cycles / frames, switches / frames * 1e3))
    print("| processes | trials | cycles per frame | 95% | switches per 1,000 frames |")
    print("|---|---|---|---|---|")
    for p in sorted(by):
        v = by[p]
        m = sum(x for x, _ in v) / len(v)
        sd = (sum((x - m) ** 2 for x, _ in v) / (len(v) - 1)) ** 0.5 if len(v) > 1 else float("nan")
        half = 2.2 * sd / len(v) ** 0.5  # t quantile for about 10 trials
        sw = sum(y for _, y in v) / len(v)
        print(f"| {p} | {len(v)} | {m:,.0f} | +-{half:,.0f} | {sw:.2f} |")


if __name__ == "__main__":
    main()
