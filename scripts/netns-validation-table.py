#!/usr/bin/env python3
"""Error per metric and regime of a netns profile on the testbed data, beside a model-free rule.

Usage: netns-validation-table.py DATA.csv VALIDATE.csv TRAIN.csv [--only EXPERIMENT,...] [--target]

DATA.csv is the measured data (validation/netns-paper-2026-12-02-gated.csv, written by
scripts/netns-gate.py), VALIDATE.csv what `vrsim validate DATA.csv --format csv` printed for it,
TRAIN.csv the training trials (validation/netns-paper-2026-12-02-train.csv): a trial of DATA.csv
(experiment, set, note) that is also in TRAIN.csv is a training trial.

The model-free rule (issue 20): a trial forwards min(offered, the training set's one-router rate
of its platform), spread evenly over its routers; a CPU row is the training trials' mean of the
same row scaled by min(1, offered / that rate). Regimes: saturated when the trial's target is at
least the platform's training rate, else below. Rows of the training trials are left out.
Prints a Markdown table of MAPE per metric group and regime, model and rule side by side. CPU
rows of the CPUs the testbed leaves idle (pcpu1: 0.4 ... 7% busy with background work, simulated
0) have no meaningful relative error: their mean absolute difference is printed instead.
With --only, the held-out rows are those of the named experiments alone (the training rates
still come from TRAIN.csv's trials in DATA.csv). With --target the rule reads the trial's target
rate (what a user asks for) instead of the measured offered rate: at saturation trafgen is
slowed to what the path takes and nothing is lost, so the measured offered rate equals the
forwarded one and min(offered, rate) is exact by construction.
"""

import csv
import re
import sys
from collections import defaultdict


def platform_of(scenario_platform, set_text):
    m = re.search(r"platform=([a-z-]+)", set_text)
    return m.group(1) if m else scenario_platform


def main():
    data_path, validate_path, train_path = sys.argv[1:4]
    only = set(sys.argv[sys.argv.index("--only") + 1].split(",")) if "--only" in sys.argv else None
    use_target = "--target" in sys.argv
    with open(train_path, newline="") as f:
        training = {(r["experiment"], r["set"], r["note"]) for r in csv.DictReader(f)}

    def is_training(row):
        return (row["experiment"], row["set"], row["note"]) in training

    with open(data_path, newline="") as f:
        data = list(csv.DictReader(f))
    # the scenario's own platform (when the set does not name one)
    scenario_platform = {}
    for row in data:
        s = row["scenario"]
        if s and s not in scenario_platform:
            try:
                text = open(s).read()
                m = re.search(r"^platform:\s*([a-z-]+)", text, re.M)
                scenario_platform[s] = m.group(1) if m else "?"
            except OSError:
                scenario_platform[s] = "?"

    def trial(row):
        return (row["experiment"], row["scenario"], row["set"], row["note"])

    offered = {}
    target = {}
    routers = defaultdict(int)
    for row in data:
        if row["kind"] != "value":
            continue
        t = trial(row)
        if row["scope"] == "aggregate" and row["metric"] == "offered_pps":
            offered[t] = float(row["value"])
        if row["scope"] == "aggregate" and row["metric"] == "target_pps":
            target[t] = float(row["value"])
        if re.fullmatch(r"vr\d+", row["scope"]) and row["metric"] == "forwarded_pps":
            routers[t] += 1

    # training: the one-router saturation rate and mean CPU rows per platform
    rate = defaultdict(list)
    cpu = defaultdict(list)
    for row in data:
        if row["kind"] != "value" or not is_training(row):
            continue
        p = platform_of(scenario_platform.get(row["scenario"], "?"), row["set"])
        if row["scope"] == "aggregate" and row["metric"] == "forwarded_pps":
            rate[p].append(float(row["value"]))
        if row["metric"] in ("cpu", "utilisation", "softirq"):
            cpu[(p, row["scope"], row["metric"])].append(float(row["value"]))
    rate = {p: sum(v) / len(v) for p, v in rate.items()}
    cpu = {k: sum(v) / len(v) for k, v in cpu.items()}

    by_line = {i + 2: row for i, row in enumerate(data)}  # header is line 1
    groups = defaultdict(lambda: {"model": [], "rule": []})
    idle = defaultdict(list)
    with open(validate_path, newline="") as f:
        for v in csv.DictReader(f):
            if v["kind"] != "value" or not v["simulated"]:
                continue
            row = by_line[int(v["line"])]
            if is_training(row):
                continue  # training trial
            if only is not None and row["experiment"] not in only:
                continue
            t = trial(row)
            p = platform_of(scenario_platform.get(row["scenario"], "?"), row["set"])
            if p not in rate or t not in offered:
                continue
            measured = float(v["measured"])
            simulated = float(v["simulated"])
            r = rate[p]
            off = offered[t]
            goal = target.get(t, off)
            if use_target:
                off = goal
            regime = "saturated" if goal >= r else "below"
            n = max(1, routers[t])
            metric, scope = row["metric"], row["scope"]
            if metric == "forwarded_pps":
                group = "throughput (forwarded_pps)"
                rule = min(off, r) if scope == "aggregate" else min(off, r) / n
            elif metric in ("cpu", "utilisation", "softirq"):
                key = (p, scope, metric)
                if key not in cpu:
                    continue
                rule = cpu[key] * min(1.0, off / r)
                if scope not in ("pcpu0", "host"):
                    idle[metric].append((abs(simulated - measured), abs(rule - measured)))
                    continue
                group = f"CPU {scope} ({metric})"
            else:
                continue
            if measured == 0:
                continue
            groups[(group, regime)]["model"].append(abs(simulated - measured) / abs(measured))
            groups[(group, regime)]["rule"].append(abs(rule - measured) / abs(measured))
            groups[(group, "all")]["model"].append(abs(simulated - measured) / abs(measured))
            groups[(group, "all")]["rule"].append(abs(rule - measured) / abs(measured))

    print("| metric | regime | rows | model MAPE | model-free rule MAPE |")
    print("|---|---|---|---|---|")
    for (group, regime) in sorted(groups):
        g = groups[(group, regime)]
        n = len(g["model"])
        print(
            f"| {group} | {regime} | {n} | {100 * sum(g['model']) / n:.2f}% | {100 * sum(g['rule']) / n:.2f}% |"
        )
    print()
    for metric, pairs in sorted(idle.items()):
        n = len(pairs)
        print(
            f"Idle CPUs ({metric}, {n} rows): mean absolute difference model {sum(a for a, _ in pairs) / n:.3f}, "
            f"rule {sum(b for _, b in pairs) / n:.3f}"
        )
    print("Training rates (pps): " + ", ".join(f"{p} {r:,.0f}" for p, r in sorted(rate.items())))


if __name__ == "__main__":
    main()
