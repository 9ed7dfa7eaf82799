#!/usr/bin/env python3
"""Per trial: measured beside two models' simulated values (validation/netns-eevdf.sh).

Usage: netns-eevdf-compare.py DATA.csv CFS.csv EEVDF.csv

DATA.csv: measured rows (scripts/netns-udp-rows.py output); CFS.csv and EEVDF.csv: what
`vrsim validate DATA.csv --format csv` printed with scheduler.kind cfs and eevdf. Prints a Markdown
table per trial (platform, receiver CPU, target) of the rate, the socket-buffer drops, the
datagrams read and the two processes' CPU: measured, cfs, eevdf.
"""

import csv
import re
import sys

KEYS = [
    (("aggregate", "forwarded_pps"), "forwarded pps", 1),
    (("sink", "udp_rcvbuf_errors"), "drops pps", 1),
    (("sink", "udp_in_datagrams"), "read pps", 1),
    (("gen0", "cpu"), "gen0 cpu", 0),
    (("iperf3-s0", "cpu"), "iperf3-s0 cpu", 0),
]


def simulated(path, data):
    out = {}
    with open(path, newline="") as f:
        for v in csv.DictReader(f):
            if v["kind"] != "value" or not v["simulated"]:
                continue
            row = data[int(v["line"])]
            out[(row["set"], row["note"], row["scope"], row["metric"])] = float(v["simulated"])
    return out


def main():
    data_path, cfs_path, eevdf_path = sys.argv[1:4]
    with open(data_path, newline="") as f:
        rows = list(csv.DictReader(f))
    data = {i + 2: r for i, r in enumerate(rows)}
    cfs, eevdf = simulated(cfs_path, data), simulated(eevdf_path, data)
    trials = {}
    for r in rows:
        if r["kind"] == "value":
            trials.setdefault((r["set"], r["note"]), {})[(r["scope"], r["metric"])] = float(r["value"])
    print("| trial | " + " | ".join(k[1] for k in KEYS) + " |")
    print("|---|" + "---|" * len(KEYS))
    for (s, note), values in trials.items():
        plat = re.search(r"platform=([\w-]+)", s)
        rx = re.search(r"udp_receiver_cpu=(\d+)", s)
        rate = re.search(r"rate=(\w+)", s)
        name = f"{plat.group(1) if plat else 'netns-direct'} rx{rx.group(1) if rx else '?'} {rate.group(1) if rate else ''}"
        cells = []
        for key, _, digits in KEYS:
            m = values.get(key)
            c, e = cfs.get((s, note) + key), eevdf.get((s, note) + key)

            def fmt(x):
                if x is None:
                    return "-"
                return f"{x / 1000:.1f}k" if digits else f"{x:.3f}"

            cells.append(f"{fmt(m)} / {fmt(c)} / {fmt(e)}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    print()


if __name__ == "__main__":
    main()
