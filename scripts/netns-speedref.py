#!/usr/bin/env python3
"""Does the machine's same-session speed explain fig8b-scheduled's CPU misses? (issue 20)

Usage:
  netns-speedref.py test TRAIN.csv DATA.csv VALIDATE.csv [DATA.csv VALIDATE.csv ...]
  netns-speedref.py derive TRAIN.csv DATA.csv OUT.csv [--clock GHZ]

Every testbed set carries a same-session speed reference: the row
`aggregate,generator_ceiling_pps`, trafgen's own ceiling (pps) measured in that set's session
just before its trials (on CPU 0, trafgen alone to a blackhole). The reference of the
training data is the mean ceiling over TRAIN.csv's sets (the sets the profile was fitted on,
e.g. validation/netns-identify-2026-12-06-train.csv). A set's speed ratio is
ceiling(set) / ceiling(training).

test: per set of each DATA.csv (a fig8b-scheduled measurement) and its VALIDATE.csv (what
`vrsim validate DATA.csv ... --format csv` printed, the rows as measured), the measured CPU per
frame (CPU 0: the generators' own CPU time, `generator_cpu`; CPU 1: the routers' NAPI threads
and ksoftirqd/1, `thread_cpu`; each divided by the forwarded rate, in ns per frame) and the
model's relative error on each CPU row (as scripts/netns-fig8b-scheduled-table.py computes it).
Over all sets of all DATA files: the Pearson correlation of each with the speed ratio, its 95%
interval (Fisher z, n - 3 degrees of freedom), and the least-squares slope of
log(CPU per frame) on log(ratio) with its 95% interval (t, n - 2 degrees of freedom). If the
sets differed only in the machine's speed and the ceiling measured it, that slope would be -1
(CPU time per frame proportional to 1 / speed) and the model's error would grow with the ratio.
The rank (Spearman) correlation is printed beside it: a few sets with a low ceiling
(two at 0.71 ... 0.73) cannot carry it alone. Also each CPU's correlation with the other (CPU 0 vs CPU 1 per frame): whether a speed common
to both CPUs exists, which the ceiling (measured on CPU 0) cannot show on CPU 1 by itself.
With exactly two DATA files holding the same settings (two measurements of one set list), the
same correlations and slopes over the changes between them (log of second / first, per setting):
the setting's own effects (router count, rate) cancel there.

derive: DATA.csv with `host.clock=<clock x ratio>` appended to every row's `set` (clock: the
scenario's host.clock in GHz, default 2.5), written to OUT.csv for
`vrsim validate OUT.csv ...`: each set simulated at its session's speed. The scaling comes
from the ceiling rows only, measured by the testbed before the trials, never from the
validated rows. A set without a ceiling row is an error (exit 2).
"""

import csv
import math
import os
import sys
from collections import defaultdict

from scipy import stats

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns_stats  # noqa: E402
from netns_stats import correlation, slope  # noqa: E402


def fail(message):
    print(f"netns-speedref.py: {message}", file=sys.stderr)
    sys.exit(2)


def read_rows(path):
    return netns_stats.read_rows(path, fail)


def ceilings(path):
    """The ceiling (pps) of every set of a testbed rows file, by set."""
    out = {}
    for line, r in enumerate(read_rows(path), start=2):
        if r.get("kind") == "value" and r.get("scope") == "aggregate" and r.get("metric") == "generator_ceiling_pps":
            try:
                out[r["set"]] = float(r["value"])
            except ValueError:
                fail(f"{path}:{line}: generator_ceiling_pps is not a number: {r['value']!r}")
    if not out:
        fail(f"{path}: no aggregate,generator_ceiling_pps row")
    return out


def training_reference(path):
    c = ceilings(path)
    return sum(c.values()) / len(c), len(c)


def per_set(data_path, validate_path, reference):
    measured = defaultdict(dict)
    for r in read_rows(data_path):
        if r["kind"] == "value" and r["value"]:
            measured[r["set"]][(r["scope"], r["metric"])] = float(r["value"])
    simulated = defaultdict(dict)
    for r in read_rows(validate_path):
        if r["kind"] == "value" and r["simulated"]:
            simulated[r["set"]][(r["scope"], r["metric"])] = float(r["simulated"])
    out = []
    for s, m in measured.items():
        if ("aggregate", "generator_ceiling_pps") not in m:
            fail(f"{data_path}: set {s} has no generator_ceiling_pps row")
        x = simulated.get(s)
        if not x:
            fail(f"{validate_path}: no simulated rows for set {s}")
        fwd = m[("aggregate", "forwarded_pps")]
        gen = m[("aggregate", "generator_cpu")]
        threads = sum(v for (scope, metric), v in m.items() if metric == "thread_cpu" and scope.startswith("thread:vr"))
        threads += m.get(("thread:ksoftirqd/1", "thread_cpu"), 0)
        out.append(
            {
                "file": data_path,
                "set": s,
                "ratio": m[("aggregate", "generator_ceiling_pps")] / reference,
                "ns0": gen / fwd * 1e9,
                "ns1": threads / fwd * 1e9,
                "err0": x[("pcpu0", "utilisation")] / gen - 1,
                "err1": x[("pcpu1", "utilisation")] / threads - 1,
                "foreign": m.get(("host", "foreign_cpu"), float("nan")),
            }
        )
    return out


def paired(sets):
    """The same settings measured twice (two DATA files): changes between the measurements."""
    files = sorted({p["file"] for p in sets})
    if len(files) != 2:
        return

    def key(p):
        return ";".join(a for a in p["set"].split(";") if not a.startswith("run.replications"))

    first = {key(p): p for p in sets if p["file"] == files[0]}
    pairs = [(first[key(p)], p) for p in sets if p["file"] == files[1] and key(p) in first]
    if len(pairs) < 4:
        return
    d_ratio = [math.log(b["ratio"] / a["ratio"]) for a, b in pairs]
    print()
    print(f"between the two measurements, the same {len(pairs)} settings (log changes, second / first):")
    for cpu in ("0", "1"):
        d = [math.log(b["ns" + cpu] / a["ns" + cpu]) for a, b in pairs]
        r, lo, hi = correlation(d_ratio, d)
        b, blo, bhi = slope(d_ratio, d)
        print(
            f"  CPU {cpu} ns per frame change vs ceiling change: r = {r:+.2f} (95%: {lo:+.2f} ... {hi:+.2f}); "
            f"slope {b:+.2f} (95%: {blo:+.2f} ... {bhi:+.2f}; -1 = pure speed)"
        )
    d0 = [math.log(b["ns0"] / a["ns0"]) for a, b in pairs]
    d1 = [math.log(b["ns1"] / a["ns1"]) for a, b in pairs]
    r, lo, hi = correlation(d0, d1)
    print(f"  CPU 0 change vs CPU 1 change: r = {r:+.2f} (95%: {lo:+.2f} ... {hi:+.2f})")


def test(args):
    if len(args) < 3 or len(args) % 2 != 1:
        fail("test needs TRAIN.csv and pairs of DATA.csv VALIDATE.csv")
    reference, n_train = training_reference(args[0])
    print(f"training reference: mean ceiling {reference:,.0f} pps over {n_train} sets of {args[0]}")
    sets = []
    for data_path, validate_path in zip(args[1::2], args[2::2]):
        sets += per_set(data_path, validate_path, reference)
    print()
    print("| file | set | ceiling ratio | CPU 0 ns/frame | CPU 1 ns/frame | CPU 0 error | CPU 1 error | foreign CPU |")
    print("|---|---|---|---|---|---|---|---|")
    for p in sets:
        name = p["file"].rsplit("/", 1)[-1].removeprefix("testbed-fig8b-scheduled-").removesuffix("-vm.csv")
        label = ";".join(a for a in p["set"].split(";") if not a.startswith("run.replications"))
        print(
            f"| {name} | {label} | {p['ratio']:.3f} | {p['ns0']:.0f} | {p['ns1']:.0f} | "
            f"{100 * p['err0']:+.1f}% | {100 * p['err1']:+.1f}% | {p['foreign']:.2f} |"
        )

    def report(chosen, title):
        ratio = [p["ratio"] for p in chosen]
        log_ratio = [math.log(v) for v in ratio]
        print()
        print(f"{title} ({len(chosen)} sets): ceiling ratio {min(ratio):.3f} ... {max(ratio):.3f}")
        for cpu in ("0", "1"):
            r, lo, hi = correlation(ratio, [p["err" + cpu] for p in chosen])
            print(f"  CPU {cpu} model error vs ceiling ratio: r = {r:+.2f} (95%: {lo:+.2f} ... {hi:+.2f})")
            r, lo, hi = correlation(ratio, [p["ns" + cpu] for p in chosen])
            rho = stats.spearmanr(ratio, [p["ns" + cpu] for p in chosen]).statistic
            print(
                f"  CPU {cpu} ns per frame vs ceiling ratio: r = {r:+.2f} (95%: {lo:+.2f} ... {hi:+.2f}); "
                f"rank correlation {rho:+.2f}"
            )
            b, lo, hi = slope(log_ratio, [math.log(p["ns" + cpu]) for p in chosen])
            print(f"  CPU {cpu} log(ns per frame) on log(ratio): slope {b:+.2f} (95%: {lo:+.2f} ... {hi:+.2f}; -1 = pure speed)")
        r, lo, hi = correlation([p["ns0"] for p in chosen], [p["ns1"] for p in chosen])
        print(f"  CPU 0 vs CPU 1 ns per frame: r = {r:+.2f} (95%: {lo:+.2f} ... {hi:+.2f})")

    report(sets, "all sets")
    paired(sets)
    quiet = [p for p in sets if p["foreign"] <= 0.1]
    if len(quiet) != len(sets):
        report(quiet, "quiet sets only (foreign CPU <= 0.1)")


def derive(args):
    clock = 2.5
    if "--clock" in args:
        i = args.index("--clock")
        try:
            clock = float(args[i + 1])
        except (IndexError, ValueError):
            fail("--clock needs a number of GHz")
        args = args[:i] + args[i + 2 :]
    if len(args) != 3:
        fail("derive needs TRAIN.csv DATA.csv OUT.csv")
    train_path, data_path, out_path = args
    reference, _ = training_reference(train_path)
    per = ceilings(data_path)
    rows = read_rows(data_path)
    for line, r in enumerate(rows, start=2):
        if r["set"] not in per:
            fail(f"{data_path}:{line}: set {r['set']} has no generator_ceiling_pps row")
        if "host.clock=" in r["set"]:
            fail(f"{data_path}:{line}: set already names host.clock")
    with open(out_path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()), lineterminator="\n")
        w.writeheader()
        for r in rows:
            mhz = round(clock * 1e3 * per[r["set"]] / reference)
            r = dict(r)
            r["set"] = f"{r['set']};host.clock={mhz}MHz"
            w.writerow(r)


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("test", "derive"):
        fail("usage: netns-speedref.py test|derive ... (see the docstring)")
    (test if sys.argv[1] == "test" else derive)(sys.argv[2:])


if __name__ == "__main__":
    main()
