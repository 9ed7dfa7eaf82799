#!/usr/bin/env python3
"""fig8b-scheduled beside a same-session reference measured like its trials (issue 20).

Usage:
  netns-fig8bref.py track WINDOW.csv [WINDOW.csv ...]
  netns-fig8bref.py references WINDOW.csv [WINDOW.csv ...] OUT.csv
  netns-fig8bref.py derive TRAIN_REF.csv WINDOW.csv [WINDOW.csv ...] OUTDIR [--clock GHZ] [--model-ref VALIDATE.csv]
  netns-fig8bref.py compare RULE_RUN.csv OUTDIR [VALIDATEDIR] [--switch SECONDS]
  netns-fig8bref.py mechanism WINDOW.csv [WINDOW.csv ...] [--startup SECONDS] [--also DATA.csv ...]

WINDOW.csv: validation/testbed-fig8bref-<DAY>-<WINDOW>-vm.csv, written by
validation/testbed-fig8bref.sh: in one quiet window, the reference (experiment
fig8bref-<W>-ref<k>: scenarios/testbed/fig8b-scheduled.yaml with one router at 100 kp/s, 2 s
trials) before and after every round of the 12 fig8b-scheduled sets (experiment
fig8b-scheduled-<W>-r<k>). A round's reference is the mean of the two references around it
(ref<k-1> and ref<k>).

CPU per frame, as the fig8b-scheduled tables count CPU: CPU 0 = the generators' own CPU time
(`generator_cpu`, getrusage), CPU 1 = the run time of the routers' NAPI threads and
ksoftirqd/1 (`thread_cpu`, schedstat), each divided by the forwarded rate, in ns per frame.

track: per reference and per round, the reference's CPU per frame (both CPUs, with the 95%
interval of its trials), the round's sets' mean CPU per frame (the mean over its sets of
each set's ns per frame) and, across rounds, the Pearson correlation of the two with its 95%
interval (Fisher z, n - 3) and the slope of log(sets) on log(reference) with its 95% interval
(t, n - 2; 1 = the sets move as the reference does). Also set by set: each set's log ns per
frame minus its own mean over the rounds against the same for its round's reference (the
settings' own effects cancel), r and slope. And the reference's repeatability: the change
between the two references around a round.

references: every reference's rows, for `vrsim validate OUT.csv ...` (the model's own figure
for the reference, which derive --model-ref reads).

derive: for every round, OUTDIR/<W>-r<k>-plain.csv (the round's set rows as measured) and
OUTDIR/<W>-r<k>-speed.csv (the same with host.clock = GHZ x speed appended to every set,
speed = (training reference CPU 0 + CPU 1 ns per frame) / (the round's reference's)), for
`vrsim validate`. TRAIN_REF.csv holds the training's reference: the set of the threaded
identification run with one router at 100 kp/s (validation/testbed-poll-split-threaded-
2026-12-06-vm.csv; the same scenario, rate and trial length as the reference, measured in the
session whose run fixed veth_poll). OUTDIR/rounds.csv lists the rounds with their references'
ns per frame and the speed. The scaling comes from reference rows only, never from the rows
being validated. With --model-ref VALIDATE.csv (what `vrsim validate` printed for the rows of
`references`), also OUTDIR/<W>-r<k>-anchored.csv with host.clock = GHZ x (the model's CPU 0 +
CPU 1 ns per frame on the reference) / (the round's reference's): the model put at the speed
at which it reproduces the session's own reference, as the rule at the session's speed takes
its per-frame cost from it.

compare: reads OUTDIR/rounds.csv, every round's rows and `vrsim validate` outputs
VALIDATEDIR/<W>-r<k>-{plain,speed,anchored}-validate.csv (VALIDATEDIR: OUTDIR unless given); per set the model at the training speed, the
model at the session's speed, the model-free CPU rule (RULE_RUN.csv's mean own CPU per
forwarded frame over its sets, x the set's measured offered rate, as
netns-fig8b-scheduled-table.py --cpu-rule computes it) and the rule at the session's speed
(the per-frame cost taken from the round's own reference instead, x offered). MAPE and sets
within 10% per CPU, and the paired comparison model vs rule: the mean over sets of
|error model| - |error rule| with a bootstrap 95% interval (10,000 resamples of the sets,
seed 1; negative = the model is closer), at the training speed and at the session's. A
generator process's fixed CPU (start-up and exit, the profile's `generator_start`) is in the
model's figures: nothing is added to them for it. With --switch W: also the model plus W per
switch for the switches the senders make after a refused send (trafgen's sched_yield hands
CPU 0 to another sender): the set's measured host switches per second above the mean of its
round's 1-router sets (which have no other sender to yield to), x W. This uses the measured
switch count of the set itself: it says what the mechanism is worth if the model made as many
switches, it is no prediction. With --window SEND,BASE,PER (seconds): also the model's CPU 1
x SEND / (SEND + BASE + PER x senders), one sender per router: the testbed divides the threads'
run time by its window (the senders' start to the last one's exit), the model's figure is over
the send time (validation/netns-window-validation.md, "Why CPU 1 per frame falls with the router
count"); CPU 0 is left alone (`generator_cpu` is over the send time). A what-if.

mechanism: what the rule cannot have. Per set (WINDOW files' rounds; --also adds older
fig8b-scheduled data files, e.g. validation/testbed-fig8b-scheduled-repeats-2026-12-06-vm.csv):
CPU 0 ns per frame against the router count and against the host's context switches
(`host_switches`, both CPUs) and the senders' ring refusals (`generator_dropped_pps`: trafgen's
ENOBUFS, after each of which it calls sched_yield) per frame; CPU 1 ns per frame against the
threads' switches per frame. Least-squares slopes with 95% intervals, with and without each
round's reference as a covariate (log ns per frame minus log of the round's reference: the
speed taken out). The generators' CPU seconds per trial by least squares on frames, host
switches and sender processes; with --startup S (the measured fixed CPU of a generator process)
also with the processes' part fixed at S (what is left for a switch once the start-up is known).
"""

import csv
import math
import os
import random
import re
import sys
from collections import defaultdict

import numpy as np
from scipy import stats

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns_stats  # noqa: E402
from netns_stats import correlation, slope  # noqa: E402

REF = re.compile(r"^fig8bref-(?P<w>[^-]+)-ref(?P<k>\d+)$")
SETS = re.compile(r"^fig8b-scheduled-(?P<w>[^-]+)-r(?P<k>\d+)$")


def fail(message):
    print(f"netns-fig8bref.py: {message}", file=sys.stderr)
    sys.exit(2)


def read_rows(path):
    return netns_stats.read_rows(path, fail)


def take_number(args, flag, what):
    """Removes `flag VALUE` from args; returns (the value as a float or None, the rest). Exits 2
    naming the flag when the value is missing or not a number."""
    if flag not in args:
        return None, args
    i = args.index(flag)
    try:
        value = float(args[i + 1])
    except (IndexError, ValueError):
        fail(f"{flag} needs {what}")
    return value, args[:i] + args[i + 2:]


def by_set(rows, path, key=lambda r: r["set"]):
    """{key: {(scope, metric): (value, low, high)}} of the value rows."""
    out = defaultdict(dict)
    for line, r in enumerate(rows, start=2):
        if r.get("kind") != "value" or not r.get("value"):
            continue
        try:
            v = float(r["value"])
            lo = float(r["ci95_low"]) if r.get("ci95_low") else float("nan")
            hi = float(r["ci95_high"]) if r.get("ci95_high") else float("nan")
        except ValueError:
            fail(f"{path}:{line}: not a number in value/ci95_low/ci95_high")
        out[key(r)][(r["scope"], r["metric"])] = (v, lo, hi)
    return out


def per_frame(m, where):
    """(CPU 0 ns/frame, CPU 1 ns/frame, CPU 0 half-width, CPU 1 half-width) of one set."""
    if ("aggregate", "forwarded_pps") not in m or ("aggregate", "generator_cpu") not in m:
        fail(f"{where}: no forwarded_pps or generator_cpu row")
    fwd = m[("aggregate", "forwarded_pps")][0]
    gen, glo, ghi = m[("aggregate", "generator_cpu")]
    threads = [
        v for (scope, metric), v in m.items()
        if metric == "thread_cpu" and (scope.startswith("thread:vr") or scope == "thread:ksoftirqd/1")
    ]
    if not threads:
        fail(f"{where}: no thread_cpu rows")
    t = sum(v[0] for v in threads)
    half = math.sqrt(sum(((h - lo) / 2) ** 2 for _, lo, h in threads))
    return gen / fwd * 1e9, t / fwd * 1e9, (ghi - glo) / 2 / fwd * 1e9, half / fwd * 1e9


def order(s):
    parts = dict(p.split("=", 1) for p in s.split(";"))
    rate = parts.get("traffic[0].rate", "0")
    return int(parts.get("routers.count", "1")), float(rate.rstrip("kMps")) * (1e3 if rate.endswith("Mpps") else 1)


def settings(s):
    """A set's settings without run.replications (the same setting in every round)."""
    return ";".join(a for a in s.split(";") if not a.startswith("run.replications"))


def load_windows(paths):
    """refs {(w, k): (ns0, ns1, h0, h1)}, rounds {(w, k): {set: measured}}, rows by round."""
    refs, rounds, rows_of = {}, defaultdict(dict), defaultdict(list)
    for path in paths:
        rows = read_rows(path)
        data = by_set(rows, path, key=lambda r: (r["experiment"], r["set"]))
        for (exp, s), m in data.items():
            if (g := REF.match(exp)) is not None:
                refs[(g["w"], int(g["k"]))] = per_frame(m, f"{path}: {exp}")
            elif (g := SETS.match(exp)) is not None:
                rounds[(g["w"], int(g["k"]))][s] = m
            else:
                fail(f"{path}: experiment {exp} is neither fig8bref-W-refK nor fig8b-scheduled-W-rK")
        for r in rows:
            if (g := SETS.match(r["experiment"])) is not None:
                rows_of[(g["w"], int(g["k"]))].append(r)
    for w, k in rounds:
        if (w, k - 1) not in refs and (w, k) not in refs:
            fail(f"round {w}-r{k} has no reference before or after it (ref{k - 1}, ref{k})")
        if (w, k - 1) not in refs or (w, k) not in refs:
            print(f"note: round {w}-r{k} has a reference on one side only", file=sys.stderr)
    return refs, dict(rounds), rows_of


def round_ref(refs, w, k):
    """The mean of the references before and after the round (one of them if the other is missing)."""
    both = [refs[key] for key in ((w, k - 1), (w, k)) if key in refs]
    return sum(v[0] for v in both) / len(both), sum(v[1] for v in both) / len(both)


def track(paths):
    refs, rounds, _ = load_windows(paths)
    print("references (ns per frame, 95% interval of the trials):")
    print("| reference | CPU 0 | CPU 1 |")
    print("|---|---|---|")
    for (w, k), (a, b, ha, hb) in sorted(refs.items()):
        print(f"| {w}-ref{k} | {a:.0f} +-{ha:.0f} | {b:.0f} +-{hb:.0f} |")
    print()
    print("| round | reference CPU 0 | sets' mean CPU 0 | reference CPU 1 | sets' mean CPU 1 | sets | "
          "reference change across the round (CPU 0, CPU 1) |")
    print("|---|---|---|---|---|---|---|")
    keys = sorted(rounds)
    r0, r1, m0, m1 = [], [], [], []
    pf = {}
    for w, k in keys:
        pf[(w, k)] = {s: per_frame(m, f"{w}-r{k} {s}") for s, m in rounds[(w, k)].items()}
        a, b = round_ref(refs, w, k)
        s0 = sum(v[0] for v in pf[(w, k)].values()) / len(pf[(w, k)])
        s1 = sum(v[1] for v in pf[(w, k)].values()) / len(pf[(w, k)])
        if (w, k - 1) in refs and (w, k) in refs:
            before, after = refs[(w, k - 1)], refs[(w, k)]
            change = f"{100 * (after[0] / before[0] - 1):+.1f}%, {100 * (after[1] / before[1] - 1):+.1f}%"
        else:
            change = "one reference only"
        print(f"| {w}-r{k} | {a:.0f} | {s0:.0f} | {b:.0f} | {s1:.0f} | {len(pf[(w, k)])} | {change} |")
        r0.append(a), r1.append(b), m0.append(s0), m1.append(s1)
    n = len(keys)
    print()
    if n < 3:
        print(f"{n} rounds: too few for a correlation")
        return
    for cpu, ref, sets in (("0", r0, m0), ("1", r1, m1), ("0+1", [a + b for a, b in zip(r0, r1)],
                                                           [a + b for a, b in zip(m0, m1)])):
        r, lo, hi = correlation(ref, sets)
        b, blo, bhi = slope([math.log(v) for v in ref], [math.log(v) for v in sets]) if n > 2 else (0, 0, 0)
        print(f"CPU {cpu}, over {n} rounds: sets' mean vs reference r = {r:+.2f} (95%: {lo:+.2f} ... {hi:+.2f}); "
              f"log-log slope {b:+.2f} (95%: {blo:+.2f} ... {bhi:+.2f}; 1 = the sets move as the reference)")
        spread_sets = (max(sets) / min(sets) - 1) * 100
        spread_ref = (max(ref) / min(ref) - 1) * 100
        print(f"  range over the rounds: sets' mean {spread_sets:.1f}%, reference {spread_ref:.1f}%")
    # set by set, the settings' own effects removed (each set's log ns minus its mean over the rounds)
    common = set.intersection(*(set(map(settings, pf[key])) for key in keys))
    for cpu in (0, 1):
        xs, ys = [], []
        for s in sorted(common, key=order):
            vals = [(math.log(round_ref(refs, *key)[cpu]),
                     math.log(next(v for t, v in pf[key].items() if settings(t) == s)[cpu])) for key in keys]
            mx = sum(v[0] for v in vals) / n
            my = sum(v[1] for v in vals) / n
            xs += [v[0] - mx for v in vals]
            ys += [v[1] - my for v in vals]
        r, lo, hi = correlation(xs, ys)
        b, blo, bhi = slope(xs, ys)
        print(f"CPU {cpu}, set by set ({len(common)} settings x {n} rounds, each about its own mean): "
              f"r = {r:+.2f} (95% as if independent: {lo:+.2f} ... {hi:+.2f}); slope {b:+.2f} ({blo:+.2f} ... {bhi:+.2f})")
    both = [(w, k) for w, k in keys if (w, k - 1) in refs and (w, k) in refs]
    ch0 = [refs[(w, k)][0] / refs[(w, k - 1)][0] - 1 for w, k in both]
    ch1 = [refs[(w, k)][1] / refs[(w, k - 1)][1] - 1 for w, k in both]
    rms = lambda v: 100 * math.sqrt(sum(x * x for x in v) / len(v))
    if both:
        print(f"reference repeatability: change across a round (about 3.5 min, {len(both)} rounds), "
              f"RMS {rms(ch0):.1f}% (CPU 0), {rms(ch1):.1f}% (CPU 1)")


def training_reference(path):
    data = by_set(read_rows(path), path)
    hits = [m for s, m in data.items() if "routers.count=1" in s and "traffic[0].rate=100kpps" in s]
    if len(hits) != 1:
        fail(f"{path}: expected one set with routers.count=1 and traffic[0].rate=100kpps, found {len(hits)}")
    a, b, _, _ = per_frame(hits[0], path)
    return a, b


def references(args):
    if len(args) < 2:
        fail("references needs WINDOW.csv [WINDOW.csv ...] OUT.csv")
    rows = []
    for path in args[:-1]:
        rows += [r for r in read_rows(path) if REF.match(r["experiment"])]
    if not rows:
        fail("no reference rows (experiment fig8bref-W-refK)")
    with open(args[-1], "w", newline="") as f:
        out = csv.DictWriter(f, fieldnames=list(rows[0].keys()), lineterminator="\n")
        out.writeheader()
        out.writerows(rows)


def model_reference(path):
    """The model's CPU 0 and CPU 1 ns per frame on the reference (mean over the validated references)."""
    sim = defaultdict(dict)
    for r in read_rows(path):
        if r["kind"] == "value" and r["simulated"] and REF.match(r["experiment"]):
            sim[(r["experiment"], r["set"])][(r["scope"], r["metric"])] = float(r["simulated"])
    per = []
    for key, m in sim.items():
        try:
            fwd = m[("aggregate", "forwarded_pps")]
            per.append((m[("pcpu0", "utilisation")] / fwd * 1e9, m[("pcpu1", "utilisation")] / fwd * 1e9))
        except KeyError:
            fail(f"{path}: reference {key[0]} lacks simulated forwarded_pps or pcpu utilisation")
    if not per:
        fail(f"{path}: no simulated reference rows")
    return sum(p[0] for p in per) / len(per), sum(p[1] for p in per) / len(per)


def derive(args):
    clock = 2.5
    model_ref = None
    if "--model-ref" in args:
        i = args.index("--model-ref")
        if i + 1 >= len(args):
            fail("--model-ref needs a validate CSV")
        model_ref = model_reference(args[i + 1])
        args = args[:i] + args[i + 2:]
    given, args = take_number(args, "--clock", "a number of GHz")
    if given is not None:
        clock = given
    if len(args) < 3:
        fail("derive needs TRAIN_REF.csv WINDOW.csv [WINDOW.csv ...] OUTDIR")
    train0, train1 = training_reference(args[0])
    outdir = args[-1]
    os.makedirs(outdir, exist_ok=True)
    refs, rounds, rows_of = load_windows(args[1:-1])
    with open(os.path.join(outdir, "rounds.csv"), "w", newline="") as f:
        w_ = csv.writer(f, lineterminator="\n")
        w_.writerow(["round", "ref_cpu0_ns", "ref_cpu1_ns", "train_cpu0_ns", "train_cpu1_ns", "speed", "clock_mhz",
                     "model_cpu0_ns", "model_cpu1_ns", "anchored_speed", "anchored_clock_mhz"])
        for w, k in sorted(rounds):
            a, b = round_ref(refs, w, k)
            speed = (train0 + train1) / (a + b)
            clocks = {"plain": None, "speed": round(clock * 1e3 * speed)}
            extra = ["", "", "", ""]
            if model_ref is not None:
                anchored = (model_ref[0] + model_ref[1]) / (a + b)
                clocks["anchored"] = round(clock * 1e3 * anchored)
                extra = [f"{model_ref[0]:.1f}", f"{model_ref[1]:.1f}", f"{anchored:.4f}", clocks["anchored"]]
            w_.writerow([f"{w}-r{k}", f"{a:.1f}", f"{b:.1f}", f"{train0:.1f}", f"{train1:.1f}", f"{speed:.4f}",
                         clocks["speed"]] + extra)
            rows = rows_of[(w, k)]
            for mode, mhz in clocks.items():
                with open(os.path.join(outdir, f"{w}-r{k}-{mode}.csv"), "w", newline="") as g:
                    out = csv.DictWriter(g, fieldnames=list(rows[0].keys()), lineterminator="\n")
                    out.writeheader()
                    for r in rows:
                        r = dict(r)
                        if mhz is not None:
                            r["set"] = f"{r['set']};host.clock={mhz}MHz"
                        out.writerow(r)
    print(f"training reference: CPU 0 {train0:.0f}, CPU 1 {train1:.0f} ns per frame ({args[0]})")
    if model_ref is not None:
        print(f"the model on the reference: CPU 0 {model_ref[0]:.0f}, CPU 1 {model_ref[1]:.0f} ns per frame")
    print(f"wrote {outdir}/rounds.csv and the rows files of {len(rounds)} rounds")


def rule_run(path):
    data = by_set(read_rows(path), path)
    p0, p1 = [], []
    for s, m in data.items():
        a, b, _, _ = per_frame(m, f"{path}: {s}")
        p0.append(a)
        p1.append(b)
    return sum(p0) / len(p0), sum(p1) / len(p1)


def bootstrap_mean(values, seed=1, draws=10000):
    rng = random.Random(seed)
    n = len(values)
    means = sorted(sum(values[rng.randrange(n)] for _ in range(n)) / n for _ in range(draws))
    return sum(values) / n, means[int(0.025 * draws)], means[int(0.975 * draws) - 1]


def take_window(args):
    """--window SEND,BASE,PER (seconds): the testbed's CPU window is SEND + BASE + PER x senders."""
    if "--window" not in args:
        return None, args
    i = args.index("--window")
    if i + 1 >= len(args):
        fail("--window needs SEND,BASE,PER in seconds")
    try:
        send, base, per = (float(x) for x in args[i + 1].split(","))
    except ValueError:
        fail(f"--window {args[i + 1]}: need three numbers in seconds, SEND,BASE,PER")
    if send <= 0 or base < 0 or per < 0:
        fail(f"--window {args[i + 1]}: SEND must be > 0 s, BASE and PER >= 0 s")
    return (send, base, per), args[:i] + args[i + 2:]


def compare(args):
    if "--startup" in args:
        fail("compare: --startup is gone: the model's CPU 0 holds the start-up (profile key generator_start)")
    switch, args = take_number(args, "--switch", "seconds")
    window, args = take_window(args)
    if len(args) not in (2, 3):
        fail("compare needs RULE_RUN.csv OUTDIR [VALIDATEDIR]")
    rule0, rule1 = rule_run(args[0])
    outdir = args[1]
    vdir = args[2] if len(args) == 3 else outdir
    rounds = read_rows(os.path.join(outdir, "rounds.csv"))
    err = defaultdict(list)  # (kind, cpu) -> [errors], in set order
    print(f"model-free rule: CPU 0 {rule0:.0f}, CPU 1 {rule1:.0f} ns per frame ({args[0]}) x offered; at the "
          "session's speed: the round's reference's ns per frame x offered")
    print()
    print("| round | set | speed | CPU 0 measured | model | model, session | rule | rule, session | "
          "CPU 1 measured | model | model, session | rule | rule, session |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for rd in rounds:
        name = rd["round"]
        ref0, ref1, speed = float(rd["ref_cpu0_ns"]), float(rd["ref_cpu1_ns"]), float(rd["speed"])
        data = by_set(read_rows(os.path.join(outdir, f"{name}-plain.csv")), name)
        ones = [m[("host", "host_switches")][0] for t, m in data.items() if order(t)[0] == 1]
        base_switches = sum(ones) / len(ones) if ones else 0.0
        sims = {}
        modes = ("plain", "speed", "anchored") if rd.get("anchored_speed") else ("plain", "speed")
        for mode in modes:
            p = os.path.join(vdir, f"{name}-{mode}-validate.csv")
            sim = defaultdict(dict)
            for r in read_rows(p):
                if r["kind"] == "value" and r["simulated"]:
                    key = ";".join(a for a in r["set"].split(";") if not a.startswith("host.clock="))
                    sim[key][(r["scope"], r["metric"])] = float(r["simulated"])
            sims[mode] = sim
        for s in sorted(data, key=order):
            m = data[s]
            ns0, ns1, _, _ = per_frame(m, f"{name} {s}")
            fwd = m[("aggregate", "forwarded_pps")][0]
            off = m.get(("aggregate", "offered_pps"), (fwd,))[0]
            own = (ns0 * fwd * 1e-9, ns1 * fwd * 1e-9)
            cells = [name, "; ".join(f"{k}" for k in order(s)), f"{speed:.3f}"]
            for cpu, scope, rule, ref in ((0, "pcpu0", rule0, ref0), (1, "pcpu1", rule1, ref1)):
                vals = {}
                label = {"plain": "model", "speed": "model, session", "anchored": "model, anchored"}
                for mode in modes:
                    x = sims[mode].get(s, {}).get((scope, "utilisation"))
                    if x is None:
                        fail(f"{vdir}/{name}-{mode}-validate.csv: no {scope} utilisation for set {s}")
                    vals[label[mode]] = x
                vals["rule"] = rule * off * 1e-9
                vals["rule, session"] = ref * off * 1e-9
                if switch is not None and cpu == 0:
                    more = max(0.0, m[("host", "host_switches")][0] - base_switches) * switch
                    for kind in [k for k in vals if k.startswith("model")]:
                        vals[kind + " + yield switches"] = vals[kind] + more
                if window is not None and cpu == 1:
                    # the testbed divides the threads' run time by its window (the senders' start to
                    # the last one's exit), not by the send time the model's figure is over
                    send, base, per = window
                    f = send / (send + base + per * order(s)[0])
                    for kind in [k for k in vals if k.startswith("model") and "+" not in k]:
                        vals[kind + " + window"] = vals[kind] * f
                cells.append(f"{own[cpu]:.3f}")
                for kind in vals:
                    e = vals[kind] / own[cpu] - 1
                    err[(kind, cpu)].append(e)
                    if kind in ("model", "model, session", "rule", "rule, session"):
                        cells.append(f"{vals[kind]:.3f} ({100 * e:+.0f}%)")
            print("| " + " | ".join(cells) + " |")
    print()
    kinds = [k for k in ("model", "model, session", "model, anchored", "rule", "rule, session") if (k, 0) in err]
    print("| CPU | " + " | ".join(kinds) + " |")
    print("|---" * (len(kinds) + 1) + "|")
    for cpu in (0, 1):
        cells = [str(cpu)]
        for kind in kinds:
            e = err[(kind, cpu)]
            mape = 100 * sum(abs(v) for v in e) / len(e)
            within = sum(1 for v in e if abs(v) <= 0.10)
            cells.append(f"{mape:.1f}% ({within} of {len(e)}), largest {100 * max(e, key=abs):+.1f}%")
        print("| " + " | ".join(cells) + " |")
    print()
    print("paired, per set: |error model| - |error rule| (percentage points; bootstrap 95%, 10,000 resamples, seed 1):")
    for cpu in (0, 1):
        for a, b in (("model", "rule"), ("model, session", "rule, session"), ("model, anchored", "rule, session"),
                     ("model", "model, session"), ("model", "model, anchored"), ("rule", "rule, session")):
            if (a, cpu) not in err or (b, cpu) not in err:
                continue
            d = [100 * (abs(x) - abs(y)) for x, y in zip(err[(a, cpu)], err[(b, cpu)])]
            mean, lo, hi = bootstrap_mean(d)
            print(f"  CPU {cpu}: {a} vs {b}: {mean:+.2f} ({lo:+.2f} ... {hi:+.2f})")
    if window is not None:
        print()
        send, base, per = window
        print(f"with the model's CPU 1 over the testbed's window, send x {send:g} s / ({send:g} s + {1e3 * base:.1f} ms + "
              f"{1e3 * per:.1f} ms x senders) (what-if):")
        for kind in [k for k, c in err if c == 1 and k.endswith("+ window")]:
            e = err[(kind, 1)]
            mape = 100 * sum(abs(v) for v in e) / len(e)
            within = sum(1 for v in e if abs(v) <= 0.10)
            print(f"  CPU 1, {kind}: {mape:.1f}% ({within} of {len(e)}), largest {100 * max(e, key=abs):+.1f}%")
        for a, b in (("model + window", "rule"), ("model, session + window", "rule, session"),
                     ("model, anchored + window", "rule, session"), ("model + window", "model"),
                     ("model, anchored + window", "model, anchored")):
            if (a, 1) not in err or (b, 1) not in err:
                continue
            d = [100 * (abs(x) - abs(y)) for x, y in zip(err[(a, 1)], err[(b, 1)])]
            mean, lo, hi = bootstrap_mean(d)
            print(f"  CPU 1: {a} vs {b}: {mean:+.2f} ({lo:+.2f} ... {hi:+.2f})")
    if switch is not None:
        print()
        print(f"with {1e6 * switch:.2f} us per switch above the round's 1-router sets' switches added to the "
              "model's CPU 0 (what-if):")
        for kind in [k for k, c in err if c == 0 and ("yield switches" in k)]:
            e = err[(kind, 0)]
            mape = 100 * sum(abs(v) for v in e) / len(e)
            within = sum(1 for v in e if abs(v) <= 0.10)
            print(f"  CPU 0, {kind}: {mape:.1f}% ({within} of {len(e)}), largest {100 * max(e, key=abs):+.1f}%")
        for a, b in (("model + yield switches", "rule"),
                     ("model, anchored + yield switches", "rule, session"),
                     ("model, anchored + yield switches", "model, anchored")):
            if (a, 0) not in err:
                continue
            d = [100 * (abs(x) - abs(y)) for x, y in zip(err[(a, 0)], err[(b, 0)])]
            mean, lo, hi = bootstrap_mean(d)
            print(f"  CPU 0: {a} vs {b}: {mean:+.2f} ({lo:+.2f} ... {hi:+.2f})")


def mechanism(args):
    startup, args = take_number(args, "--startup", "seconds")
    also = []
    if "--also" in args:
        i = args.index("--also")
        also, args = args[i + 1:], args[:i]
    refs, rounds, _ = load_windows(args)
    points = []  # (routers, rate, ns0, ns1, host switches/frame, refusals/frame, thread switches/frame, log ref0, log ref1)
    for (w, k), sets in sorted(rounds.items()):
        a, b = round_ref(refs, w, k)
        for s, m in sets.items():
            points.append(point(s, m, f"{w}-r{k}", math.log(a), math.log(b)))
    extra = []
    for path in also:
        for s, m in by_set(read_rows(path), path).items():
            extra.append(point(s, m, path, None, None))
    allp = points + extra
    print(f"{len(points)} sets with a round reference, {len(extra)} more without (--also)")
    print()
    print("| routers | sets | CPU 0 ns/frame | CPU 1 ns/frame | host switches per frame | refusals per frame | "
          "threads' switches per frame |")
    print("|---|---|---|---|---|---|---|")
    for n in sorted({p["routers"] for p in allp}):
        g = [p for p in allp if p["routers"] == n]
        mean = lambda key: sum(p[key] for p in g) / len(g)
        print(f"| {n} | {len(g)} | {mean('ns0'):.0f} | {mean('ns1'):.0f} | {mean('sw'):.4f} | {mean('ref'):.4f} | "
              f"{mean('tsw'):.5f} |")
    print()

    def fit(name, xs, ys, unit):
        b, lo, hi = slope(xs, ys)
        r, rlo, rhi = correlation(xs, ys)
        print(f"  {name}: slope {b:+,.0f} {unit} (95%: {lo:+,.0f} ... {hi:+,.0f}); r = {r:+.2f} ({rlo:+.2f} ... {rhi:+.2f})")

    for label, group in (("all sets", allp), ("sets with a round reference", points)):
        if len(group) < 4:
            continue
        print(f"{label} ({len(group)}):")
        fit("CPU 0 ns/frame vs host switches per frame", [p["sw"] for p in group], [p["ns0"] for p in group], "ns per switch")
        fit("CPU 0 ns/frame vs refusals per frame", [p["ref"] for p in group], [p["ns0"] for p in group], "ns per refusal")
        fit("CPU 0 ns/frame vs routers", [p["routers"] for p in group], [p["ns0"] for p in group], "ns per router")
        fit("CPU 1 ns/frame vs threads' switches per frame", [p["tsw"] for p in group], [p["ns1"] for p in group],
            "ns per switch")
        fit("CPU 1 ns/frame vs routers", [p["routers"] for p in group], [p["ns1"] for p in group], "ns per router")
    quiet = [p for p in allp if p["foreign"] <= 0.1]
    print(f"the generators' CPU seconds per trial by least squares, quiet sets (foreign CPU <= 0.1, {len(quiet)}):")
    y = np.array([p["gen_s"] for p in quiet])
    for names in (("sent",), ("sent", "routers"), ("sent", "sw_trial"), ("sent", "sw_trial", "routers")):
        a = np.column_stack([[p[k] for p in quiet] for k in names])
        b, *_ = np.linalg.lstsq(a, y, rcond=None)
        res = y - a @ b
        cov = (res @ res / (len(y) - len(names))) * np.linalg.inv(a.T @ a)
        t = stats.t.ppf(0.975, len(y) - len(names))
        unit = {"sent": ("ns per frame", 1e9), "routers": ("ms per sender process", 1e3),
                "sw_trial": ("us per host switch", 1e6)}
        terms = "; ".join(f"{unit[k][0]} {b[i] * unit[k][1]:,.2f} (95%: {(b[i] - t * math.sqrt(cov[i, i])) * unit[k][1]:,.2f}"
                          f" ... {(b[i] + t * math.sqrt(cov[i, i])) * unit[k][1]:,.2f})" for i, k in enumerate(names))
        print(f"  {' + '.join(names)}: {terms}; residual RMS {1e3 * math.sqrt(res @ res / len(y)):.1f} ms")
    if startup is not None:
        fixed = y - startup * np.array([p["routers"] for p in quiet])
        for names in (("sent",), ("sent", "sw_trial")):
            a = np.column_stack([[p[k] for p in quiet] for k in names])
            b, *_ = np.linalg.lstsq(a, fixed, rcond=None)
            res = fixed - a @ b
            cov = (res @ res / (len(y) - len(names))) * np.linalg.inv(a.T @ a)
            t = stats.t.ppf(0.975, len(y) - len(names))
            unit = {"sent": ("ns per frame", 1e9), "sw_trial": ("us per host switch", 1e6)}
            terms = "; ".join(f"{unit[k][0]} {b[i] * unit[k][1]:,.2f} (95%: {(b[i] - t * math.sqrt(cov[i, i])) * unit[k][1]:,.2f}"
                              f" ... {(b[i] + t * math.sqrt(cov[i, i])) * unit[k][1]:,.2f})" for i, k in enumerate(names))
            print(f"  {' + '.join(names)} + processes x {1e3 * startup:.2f} ms (fixed): {terms}; "
                  f"residual RMS {1e3 * math.sqrt(res @ res / len(y)):.1f} ms")
    if points:
        print("speed taken out (ns per frame x the mean round reference / the set's round reference):")
        m0 = math.exp(sum(p["lr0"] for p in points) / len(points))
        m1 = math.exp(sum(p["lr1"] for p in points) / len(points))
        for p in points:
            p["adj0"] = p["ns0"] * m0 / math.exp(p["lr0"])
            p["adj1"] = p["ns1"] * m1 / math.exp(p["lr1"])
        fit("CPU 0 vs host switches per frame", [p["sw"] for p in points], [p["adj0"] for p in points], "ns per switch")
        fit("CPU 0 vs refusals per frame", [p["ref"] for p in points], [p["adj0"] for p in points], "ns per refusal")
        fit("CPU 0 vs routers", [p["routers"] for p in points], [p["adj0"] for p in points], "ns per router")
        fit("CPU 1 vs threads' switches per frame", [p["tsw"] for p in points], [p["adj1"] for p in points],
            "ns per switch")
        fit("CPU 1 vs routers", [p["routers"] for p in points], [p["adj1"] for p in points], "ns per router")


def point(s, m, where, lr0, lr1):
    ns0, ns1, _, _ = per_frame(m, f"{where} {s}")
    fwd = m[("aggregate", "forwarded_pps")][0]
    tsw = sum(v[0] for (scope, metric), v in m.items()
              if metric == "thread_switches" and (scope.startswith("thread:vr") or scope == "thread:ksoftirqd/1"))
    routers, rate = order(s)
    return {
        "routers": routers, "rate": rate, "ns0": ns0, "ns1": ns1,
        "sw": m.get(("host", "host_switches"), (float("nan"),))[0] / fwd,
        "ref": m.get(("host", "generator_dropped_pps"), (0,))[0] / fwd,
        "tsw": tsw / fwd, "lr0": lr0, "lr1": lr1,
        "sent": m[("aggregate", "sent_packets")][0], "gen_s": m[("aggregate", "generator_cpu_seconds")][0],
        "sw_trial": m.get(("host", "host_switches"), (float("nan"),))[0] * m[("aggregate", "send_time")][0],
        "foreign": m.get(("host", "foreign_cpu"), (0,))[0],
    }


def main():
    commands = {"track": track, "references": references, "derive": derive, "compare": compare,
                "mechanism": mechanism}
    if len(sys.argv) < 3 or sys.argv[1] not in commands:
        fail("usage: netns-fig8bref.py track|references|derive|compare|mechanism ... (see the docstring)")
    commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
