#!/usr/bin/env python3
"""Noise gate and training split of the netns testbed data (issue 20).

Usage: netns-gate.py GATED.csv TRAIN.csv DATA.csv...

Keeps the rows of the DATA files' softirq-mode netns traffic trials (experiments fig9, fig9-warmup,
fig8b, routes, identify-platforms, and the held-out saturated sets heldout-saturated and
heldout-saturated-routes: trafgen on CPU 0, every hop in CPU 0's NET_RX softirq) and writes:

- GATED.csv: the trials that pass the noise gate. In softirq mode Linux runs the whole chain
  on the sending CPU and nothing of the testbed on CPU 1, so a trial whose CPU 1 was more than
  10% busy ran beside foreign work (another process on the machine), which also took CPU 0's
  time and is counted in its CPU rows: such a trial is left out (clean trials measure CPU 1 at
  0.4 ... 7%). fig8a (iperf3 clients on both CPUs; the model's generator is trafgen-like) and
  the benchmark experiments are not netns traffic trials of this kind and are left out.
- TRAIN.csv: the gated Fig. 9 search trials (phase ndr or pdr) and identification trials
  (identify-platforms) whose sender fell short of its target by more than 2% (offered < 0.98 x
  target): saturated trials, where the path slowed the sender.

Prints the counts (trials and rows) of each kind to stderr.
"""

import csv
import sys
from collections import OrderedDict

EXPERIMENTS = (
    "fig9", "fig9-warmup", "fig8b", "routes", "identify-platforms", "heldout-saturated", "heldout-saturated-routes"
)
GATE_PCPU1 = 0.10
SHORT = 0.98


def main():
    gated_path, train_path = sys.argv[1:3]
    rows = []
    for data_path in sys.argv[3:]:
        with open(data_path, newline="") as f:
            reader = csv.DictReader(f)
            fields = reader.fieldnames
            rows += list(reader)
    trials = OrderedDict()
    for row in rows:
        if row["source"] != "testbed" or row["experiment"] not in EXPERIMENTS:
            continue
        key = (row["experiment"], row["scenario"], row["set"], row["note"])
        trials.setdefault(key, []).append(row)

    def value(trial_rows, scope, metric):
        for r in trial_rows:
            if r["scope"] == scope and r["metric"] == metric and r["kind"] == "value":
                return float(r["value"])
        return None

    gated, train = [], []
    counts = {"kept": 0, "gated": 0, "train": 0, "no_cpu": 0}
    for key, trial_rows in trials.items():
        pcpu1 = value(trial_rows, "pcpu1", "utilisation")
        if pcpu1 is None:
            counts["no_cpu"] += 1  # summary rows (ndr_pps, pdr_pps): no trial of their own
            continue
        if pcpu1 > GATE_PCPU1:
            counts["gated"] += 1
            continue
        counts["kept"] += 1
        gated.extend(trial_rows)
        offered = value(trial_rows, "aggregate", "offered_pps")
        target = value(trial_rows, "aggregate", "target_pps")
        search = key[0] == "fig9" and ("phase=ndr" in key[3] or "phase=pdr" in key[3])
        if (search or key[0] == "identify-platforms") and offered is not None and target and offered < SHORT * target:
            counts["train"] += 1
            train.extend(trial_rows)
    for path, out in ((gated_path, gated), (train_path, train)):
        with open(path, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
            w.writeheader()
            w.writerows(out)
    print(
        f"trials: {counts['kept']} kept ({counts['train']} of them training), {counts['gated']} left out by the "
        f"gate (CPU 1 > {GATE_PCPU1:.0%} busy); rows: {len(gated)} kept, {len(train)} training",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
