#!/usr/bin/env python3
"""The netns UDP data sets as the fit and the validation read them.

Usage: netns-udp-rows.py OUT.csv IN.csv [IN.csv ...]

Copies every row of the testbed CSVs (validation/testbed-udp-*-vm.csv) and, for each trial
(experiment, set, note) that has an iperf3 process's `process_user` and `process_system` rows but
no `cpu` row for its scope, adds that scope's `cpu` row: their sum, the process's whole time as
getrusage counts it (iperf3's `cpu_utilization_percent` total; the 2026-12-06 sets were measured
before the testbed wrote this row itself). Its confidence interval is left empty: the two parts'
intervals do not add.
"""

import csv
import sys


def main():
    out_path, inputs = sys.argv[1], sys.argv[2:]
    rows = []
    for path in inputs:
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            fields = reader.fieldnames
            rows += list(reader)
    have = {(r["experiment"], r["set"], r["note"], r["scope"]) for r in rows if r["metric"] == "cpu"}
    parts = {}
    for r in rows:
        if r["kind"] == "value" and r["metric"] in ("process_user", "process_system"):
            parts.setdefault((r["experiment"], r["set"], r["note"], r["scope"]), {})[r["metric"]] = r
    added = []
    for key, p in parts.items():
        if key in have or len(p) != 2:
            continue
        base = dict(p["process_user"])
        base["metric"] = "cpu"
        base["unit"] = "pCPU"
        base["value"] = "%.6g" % (float(p["process_user"]["value"]) + float(p["process_system"]["value"]))
        base["ci95_low"] = ""
        base["ci95_high"] = ""
        added.append(base)
    with open(out_path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        for r in rows + added:
            w.writerow(r)
    print(f"{out_path}: {len(rows)} rows copied, {len(added)} cpu rows added", file=sys.stderr)


if __name__ == "__main__":
    main()
