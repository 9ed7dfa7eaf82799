#!/usr/bin/env python3
"""The threaded-mode set (fig8b-scheduled) against a netns profile's prediction (issue 20).

Usage: netns-fig8b-scheduled-table.py DATA.csv VALIDATE.csv [--total] [--misses] [--rule PPS] [--cpu-rule RUN.csv]
       [--window SEND,BASE,PER] [--cpu1 VALIDATE-WINDOW.csv]

DATA.csv: validation/testbed-fig8b-scheduled-2026-12-05-vm.csv; VALIDATE.csv: what
`vrsim validate DATA.csv --profile P --format csv` printed (the rows' scenario, fig8b-scheduled.yaml, says
host.forwarding: threaded).

Per set (routers, load): the forwarded rate, measured and simulated; and the CPU the testbed's
own work used, which foreign processes cannot inflate (the set was measured beside about 1.6
CPUs of foreign work: host foreign_cpu): CPU 0 = the generators' own CPU time (getrusage,
`generator_cpu`), CPU 1 = the run time of the routers' NAPI threads and ksoftirqd/1
(schedstat, `thread_cpu`), each per second of sending, against the model's busy share of CPU 0
and CPU 1 over the send time (profile key testbed_window_extra = 0: that is the send time's).
Prints a Markdown table, the mean absolute percentage errors and how many sets are within 10%;
with --total also each CPU's sum over the sets, measured and simulated (veth_poll's match);
with --misses every set whose CPU misses 10%, with the measured 95% interval (CPU 1: the
threads' half-widths added in quadrature, independent trials) and whether the simulated value
lies inside it; with --rule PPS the model-free rule min(offered, PPS) beside the forwarded rate
(PPS: the training set's one-router rate of the platform) and both MAPEs; with --cpu-rule RUN.csv a
model-free rule for the CPU rows: each CPU's mean own CPU time per forwarded frame over RUN.csv's sets
(a threaded identification run, e.g. validation/testbed-poll-split-threaded-2026-12-06-vm.csv) times
the set's measured offered rate, and the same rule at the set's session speed (x the mean
`generator_ceiling_pps` of RUN.csv / the set's own; scripts/netns-speedref.py says why), with their
MAPEs and sets within 10%. DATA.csv may be a rows file derived by `scripts/netns-speedref.py derive`
(its sets carry host.clock=...). With --window SEND,BASE,PER (seconds) the model's CPU 1 is put
over the testbed's window, x SEND / (SEND + BASE + PER x routers): the testbed divides the threads'
run time by the time from the senders' start to the last one's exit, which grows per trafgen
process (validation/netns-window-validation.md, "Why CPU 1 per frame falls with the router
count"); a what-if, CPU 0 unchanged. With --cpu1 VALIDATE-WINDOW.csv the model's CPU 1 is read from
another `vrsim validate` of the same rows made with the testbed's window in the model
(`--set profile.testbed_window_extra=6.1ms --set profile.testbed_window_per_sender=15.2ms
--set profile.testbed_trial=2s`): the model counting CPU 1 as the testbed does, CPU 0 still from
VALIDATE.csv (the generators' CPU is over the send time). The key changes no simulated event, so
this equals --window with the same figures.
"""

import csv
import sys
from collections import defaultdict


def own_cpu(m):
    """The generators' own CPU (CPU 0) and the routers' threads' with ksoftirqd/1 (CPU 1), pCPU."""
    threads = sum(v for (scope, metric), v in m.items() if metric == "thread_cpu" and scope.startswith("thread:vr"))
    threads += m.get(("thread:ksoftirqd/1", "thread_cpu"), 0)
    return m.get(("aggregate", "generator_cpu")), threads


def cpu_rule(path):
    """Mean own CPU seconds per forwarded frame (CPU 0, CPU 1) and mean ceiling (pps) of RUN.csv."""
    sets = defaultdict(dict)
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            if r["kind"] == "value" and r["value"]:
                sets[r["set"]][(r["scope"], r["metric"])] = float(r["value"])
    if not sets:
        print(f"netns-fig8b-scheduled-table.py: {path}: no value rows", file=sys.stderr)
        sys.exit(2)
    per0, per1, ceilings = [], [], []
    for s, m in sets.items():
        gen, threads = own_cpu(m)
        fwd = m.get(("aggregate", "forwarded_pps"))
        ceiling = m.get(("aggregate", "generator_ceiling_pps"))
        if gen is None or not fwd or ceiling is None:
            print(f"netns-fig8b-scheduled-table.py: {path}: set {s} lacks generator_cpu, forwarded_pps or "
                  "generator_ceiling_pps", file=sys.stderr)
            sys.exit(2)
        per0.append(gen / fwd)
        per1.append(threads / fwd)
        ceilings.append(ceiling)
    return sum(per0) / len(per0), sum(per1) / len(per1), sum(ceilings) / len(ceilings)


def main():
    data_path, validate_path = sys.argv[1:3]
    total = "--total" in sys.argv[3:]
    misses = "--misses" in sys.argv[3:]
    rule_rate = float(sys.argv[sys.argv.index("--rule") + 1]) if "--rule" in sys.argv else None
    rule_cpu = cpu_rule(sys.argv[sys.argv.index("--cpu-rule") + 1]) if "--cpu-rule" in sys.argv else None
    window = None
    if "--window" in sys.argv:
        i = sys.argv.index("--window")
        try:
            window = tuple(float(v) for v in sys.argv[i + 1].split(","))
        except (IndexError, ValueError):
            window = ()
        if len(window) != 3 or window[0] <= 0 or min(window[1:]) < 0:
            print("netns-fig8b-scheduled-table.py: --window needs SEND,BASE,PER in seconds (SEND > 0)", file=sys.stderr)
            sys.exit(2)
    windowed = None
    if "--cpu1" in sys.argv:
        i = sys.argv.index("--cpu1")
        if i + 1 >= len(sys.argv) or window is not None:
            print("netns-fig8b-scheduled-table.py: --cpu1 needs a validate CSV, and not with --window", file=sys.stderr)
            sys.exit(2)
        windowed = defaultdict(dict)
        with open(sys.argv[i + 1], newline="") as f:
            for r in csv.DictReader(f):
                if r["kind"] == "value" and r["simulated"] and r["scope"] == "pcpu1" and r["metric"] == "utilisation":
                    windowed[r["set"]] = float(r["simulated"])
    measured = defaultdict(dict)
    interval = defaultdict(dict)
    with open(data_path, newline="") as f:
        for r in csv.DictReader(f):
            if r["kind"] == "value" and r["value"]:
                measured[r["set"]][(r["scope"], r["metric"])] = float(r["value"])
                if r["ci95_low"] and r["ci95_high"]:
                    interval[r["set"]][(r["scope"], r["metric"])] = (float(r["ci95_low"]), float(r["ci95_high"]))
    simulated = defaultdict(dict)
    with open(validate_path, newline="") as f:
        for r in csv.DictReader(f):
            if r["kind"] == "value" and r["simulated"]:
                simulated[r["set"]][(r["scope"], r["metric"])] = float(r["simulated"])

    def order(s):
        parts = dict(p.split("=") for p in s.split(";"))
        rate = parts.get("traffic[0].rate", "0")
        scale = 1e3 if rate.endswith("Mpps") else 1
        return (int(parts["routers.count"]), float(rate.rstrip("kMps")) * scale)

    print(
        "| routers | load | forwarded measured | simulated | error | CPU 0 own (generator) | simulated | "
        "CPU 1 own (threads) | simulated | foreign CPU |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    errors = defaultdict(list)
    rule_errors = defaultdict(list)  # --cpu-rule's, printed after the model's
    sums = defaultdict(float)
    missed = []
    for s in sorted(measured, key=order):
        m, x = measured[s], simulated.get(s, {})
        fwd = m[("aggregate", "forwarded_pps")]
        sfwd = x.get(("aggregate", "forwarded_pps"))
        gen, threads = own_cpu(m)
        s0 = x.get(("pcpu0", "utilisation"))
        s1 = x.get(("pcpu1", "utilisation"))
        n, load = order(s)
        if window is not None and s1 is not None:
            s1 *= window[0] / (window[0] + window[1] + window[2] * n)
        if windowed is not None:
            s1 = windowed.get(s)
        if load == 0:  # the set does not name the rate: the trial's target
            load = m.get(("aggregate", "target_pps"), 0) / 1e3
        cells = [f"{n}", f"{load:.0f}k", f"{fwd:,.0f}"]
        if rule_rate is not None:
            off = m.get(("aggregate", "offered_pps"), fwd)
            errors["forwarded, model-free rule"].append((min(off, rule_rate) - fwd) / fwd)
        if rule_cpu is not None:
            off = m.get(("aggregate", "offered_pps"), fwd)
            speed = rule_cpu[2] / m[("aggregate", "generator_ceiling_pps")]
            for per, own, name in ((rule_cpu[0], gen, "cpu0"), (rule_cpu[1], threads, "cpu1")):
                if own:
                    rule_errors[name + ", model-free rule"].append((per * off - own) / own)
                    rule_errors[name + ", model-free rule at the session's speed"].append((per * off * speed - own) / own)
        if sfwd is not None:
            errors["forwarded"].append((sfwd - fwd) / fwd)
            cells += [f"{sfwd:,.0f}", f"{100 * (sfwd - fwd) / fwd:+.1f}%"]
        else:
            cells += ["-", "-"]
        for own, sim, name in ((gen, s0, "cpu0"), (threads, s1, "cpu1")):
            cells.append(f"{own:.3f}" if own is not None else "-")
            cells.append(f"{sim:.3f}" if sim is not None else "-")
            if own and sim is not None:
                errors[name].append((sim - own) / own)
                sums[name + " measured"] += own
                sums[name + " simulated"] += sim
                if abs(sim - own) / own > 0.10:
                    if name == "cpu0":
                        lo, hi = interval[s].get(("aggregate", "generator_cpu"), (float("nan"),) * 2)
                    else:
                        halves = [
                            (h - l) / 2
                            for (scope, metric), (l, h) in interval[s].items()
                            if metric == "thread_cpu" and (scope.startswith("thread:vr") or scope == "thread:ksoftirqd/1")
                        ]
                        half = sum(x * x for x in halves) ** 0.5
                        lo, hi = own - half, own + half
                    missed.append((n, load, name, own, lo, hi, sim))
        cells.append(f"{m.get(('host', 'foreign_cpu'), float('nan')):.2f}")
        print("| " + " | ".join(cells) + " |")
    print()
    for name, e in list(errors.items()) + list(rule_errors.items()):
        print(f"MAPE {name}: {100 * sum(abs(v) for v in e) / len(e):.1f}% over {len(e)} sets")
        within = sum(1 for v in e if abs(v) <= 0.10)
        print(f"  {name} within 10%: {within} of {len(e)} sets; largest {100 * max(e, key=abs):+.1f}%")
    if misses:
        print()
        print("| set | CPU | measured | 95% interval | simulated | error | inside the interval |")
        print("|---|---|---|---|---|---|---|")
        for n, load, name, own, lo, hi, sim in missed:
            inside = "yes" if lo <= sim <= hi else "no"
            print(
                f"| {n} router{'s' if n > 1 else ''}, {load:.0f} kp/s | {name[-1]} | {own:.3f} | [{lo:.3f}, {hi:.3f}] | "
                f"{sim:.3f} | {100 * (sim - own) / own:+.1f}% | {inside} |"
            )
    if total:
        for name in ("cpu0", "cpu1"):
            m, x = sums[name + " measured"], sums[name + " simulated"]
            if m:
                print(f"total {name} over the sets: measured {m:.4f}, simulated {x:.4f} ({100 * (x - m) / m:+.2f}%)")


if __name__ == "__main__":
    main()
