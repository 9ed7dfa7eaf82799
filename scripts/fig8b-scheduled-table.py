#!/usr/bin/env python3
"""The table of docs/testbed.md's fig8b-scheduled section from its data set:
python3 scripts/fig8b-scheduled-table.py validation/testbed-fig8b-scheduled-2026-12-05-vm.csv
Per point (arrival, offered load, routers): aggregate forwarded rate, per-router forwarded
rate (smallest and largest), loss, shortfall, where frames were refused (ring), the routers'
NAPI threads' context switches per second, their CPU per packet, and how busy the machine
was (foreign CPU)."""
import csv
import sys
from collections import defaultdict

rows = list(csv.DictReader(open(sys.argv[1])))
points = defaultdict(dict)
for r in rows:
    if r["experiment"] != "fig8b-scheduled":
        continue
    key = dict(kv.split("=", 1) for kv in r["set"].split(";") if "=" in kv)
    p = (key.get("traffic[0].arrival", "cbr"), key.get("traffic[0].rate", "?"), int(key.get("routers.count", "1")))
    points[p][(r["scope"], r["metric"])] = float(r["value"])

def rate(s):
    return float(s.replace("kpps", "")) * 1000 if s.endswith("kpps") else float(s.replace("pps", ""))

print("| arrival | offered (kp/s) | routers | forwarded (kp/s) | per router min-max (kp/s) | loss | shortfall | ring refusals (1/s) | NAPI switches (1/s) | CPU per packet (µs) | foreign CPU (pCPU) | send lateness p99 (µs) |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for (arrival, load, n) in sorted(points, key=lambda p: (p[0], rate(p[1]), p[2])):
    v = points[(arrival, load, n)]
    per = [v.get((f"vr{i}", "forwarded_pps"), 0) / 1000 for i in range(n)]
    ring = sum(v.get((f"vr{i}", "ring_dropped_pps"), 0) for i in range(n))
    def g(scope, metric, fmt):
        x = v.get((scope, metric))
        return fmt % x if x is not None else "-"
    print(f"| {arrival} | {rate(load)/1000:.0f} | {n} | {v.get(('aggregate', 'forwarded_pps'), 0) / 1000:.1f} | "
          f"{min(per):.1f}-{max(per):.1f} | {g('aggregate', 'loss', '%.4f')} | {g('aggregate', 'shortfall', '%.3f')} | {ring:.0f} | "
          f"{g('aggregate', 'thread_switches', '%.0f')} | {g('aggregate', 'cpu_per_packet', '%.2f')} | {g('host', 'foreign_cpu', '%.2f')} | {g('aggregate', 'send_lateness_p99', '%.0f')} |")
