#!/usr/bin/env python3
"""Tables of the softirq identification runs (validation/testbed-identify.sh), as in docs/testbed.md.

Usage: python3 validation/testbed-identify-table.py DAY   (e.g. 2026-12-06)
One row per path x hog x load: target and forwarded rate (kp/s, mean of the trials), loss,
the generator's own CPU (pCPU: trafgen's rusage per second of sending), per CPU the busy share
and the softirq share of the window, and CPU 0's softirq time per forwarded packet (us).
"""
import csv
import sys
from collections import defaultdict
from pathlib import Path

day = sys.argv[1] if len(sys.argv) > 1 else "2026-12-06"
here = Path(__file__).resolve().parent
print("| path | hog | target kp/s | forwarded kp/s | loss | gen CPU (pCPU) | CPU0 busy / softirq | CPU1 busy / softirq | CPU0 softirq µs/pkt |")
print("|---|---|---|---|---|---|---|---|---|")
for what in ["platforms", "generator-to-sink", "generator-alone"]:
    for hog in ["nohog", "hog0", "hog1"]:
        f = here / f"testbed-identify-{what}-{hog}-{day}-vm.csv"
        if not f.exists():
            continue
        points = defaultdict(dict)
        order = []
        for r in csv.DictReader(f.open()):
            key = r["set"]
            if key not in points:
                order.append(key)
            points[key][(r["scope"], r["metric"])] = float(r["value"])
        for key in order:
            v = points[key]
            parts = dict(p.split("=", 1) for p in key.split(";") if "=" in p)
            path = parts.get("platform", "") if what == "platforms" else what
            g = lambda s, m: v.get((s, m), float("nan"))
            fwd = g("aggregate", "forwarded_pps")
            window = g("host", "cpu_window")
            soft0 = g("pcpu0", "cpu_softirq_seconds")
            per_pkt = soft0 / (fwd * window) * 1e6 if fwd > 0 else float("nan")
            print(
                f"| {path} | {hog} | {g('aggregate', 'target_pps') / 1e3:.0f} | {fwd / 1e3:.1f} | {g('aggregate', 'loss'):.4f} "
                f"| {g('aggregate', 'generator_cpu'):.2f} | {g('pcpu0', 'utilisation'):.2f} / {g('pcpu0', 'softirq'):.2f} "
                f"| {g('pcpu1', 'utilisation'):.2f} / {g('pcpu1', 'softirq'):.2f} | {per_pkt:.2f} |"
            )
