#!/usr/bin/env python3
"""The saturated rate on one CPU against the router count (issue 20, satgrowth), from the passes of
validation/netns-satgrowth-rates.sh:

  python3 scripts/netns-satgrowth-summary.py PASS.csv|PASS.txt ...

A pass is a testbed CSV (its aggregate forwarded_pps rows: the mean of the point's trials) or a
text file of the lines vrsim printed per point ("netns-router routers.count=8: forwarded 155624 ...").
Prints each point's rate and cycles per frame (clock / rate, 2.5 GHz) per pass, then per platform
the least-squares slope of cycles per frame against the router count with one intercept per pass
(so a pass-to-pass drift of the machine's speed is not read as a trend), its standard error and
95% interval (t with the residual degrees of freedom), and what the slope adds at 4 routers.
"""
import csv
import re
import sys

import numpy as np

CLOCK = 2.5e9
T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
        11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131}


def read(path):
    points = {}
    if path.endswith(".csv"):
        for row in csv.DictReader(open(path)):
            if row["scope"] == "aggregate" and row["metric"] == "forwarded_pps":
                plat = re.search(r"platform=(netns-\w+)", row["set"]).group(1)
                n = int(re.search(r"routers\.count=(\d+)", row["set"]).group(1))
                points[(plat, n)] = float(row["value"])
    else:
        for line in open(path):
            m = re.match(r"(netns-\w+) routers\.count=(\d+): forwarded (\d+)", line)
            if m:
                points[(m.group(1), int(m.group(2)))] = float(m.group(3))
    return points


passes = [(p.rsplit("/", 1)[-1], read(p)) for p in sys.argv[1:]]
for plat in ("netns-router", "netns-bridge"):
    print(plat)
    rows = []
    for k, (name, pts) in enumerate(passes):
        for (pl, n), rate in sorted(pts.items()):
            if pl == plat:
                rows.append((k, n, CLOCK / rate))
                print(f"  {name:48s} {n} routers: {rate / 1e3:7.1f} kp/s, {CLOCK / rate:7.0f} cycles/frame")
    used = sorted({k for k, _, _ in rows})
    X = np.array([[n] + [1.0 if k == u else 0.0 for u in used] for k, n, _ in rows])
    y = np.array([c for _, _, c in rows])
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    dof = len(y) - X.shape[1]
    resid = y - X @ coef
    s2 = resid @ resid / dof
    se = (s2 * np.linalg.inv(X.T @ X)[0, 0]) ** 0.5
    t = T975[dof]
    b = coef[0]
    base = np.mean([c for _, n, c in rows if n == 1])
    print(f"  slope {b:+.0f} cycles/frame per router (se {se:.0f}; 95% {b - t * se:+.0f} ... {b + t * se:+.0f}; "
          f"{len(y)} points, {len(used)} passes, {dof} dof); from 1 to 4 routers {3 * b:+.0f} cycles "
          f"({3 * b / base * 100:+.1f}% of the 1-router {base:.0f}; 95% {3 * (b - t * se) / base * 100:+.1f} ... "
          f"{3 * (b + t * se) / base * 100:+.1f}%)")
