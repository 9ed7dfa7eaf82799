#!/usr/bin/env python3
"""Every cost key at its declared range's ends, on every platform (reliability sweep).

Usage: extremes-sweep.py [--vrsim PATH] [--duration 5ms] [--timeout 60] [--jobs 2]
                         [--platform NAME ...] [--csv OUT.csv] [--md OUT.md]

For each of the nine platforms, in each of its modes (the netns platforms: softirq and
threaded forwarding with trafgen, softirq with iperf3), the built-in default scenario of
`vrsim run` on that platform (its own scheduler family, one replication of --duration simulated
after a warm-up of a fifth of it), each cost key the platform reads (the "Which platforms read
each cost" table of scenarios/README.md, generated from `PlatformKind.profileKeys`) is set alone
to its declared range's bottom and top (the "allowed" column of the same file), and to 0 when
the range holds 0 and its bottom is not 0. Each run has a CPU-time limit (--timeout
seconds; see `run`).

A run passes when:
- it exits 0 within the timeout (a hang is a timeout; a crash is a signal or another status);
- every number of its JSON summaries (mean, min, max, std_dev, the CI bounds) is finite;
- rates (pps, bit/s, 1/s), latencies and CPU counts are >= 0;
- fractions and shares (loss, utilisation, softirq, busy_exact, jain_index) lie in [0, 1 + 1e-9]
  (1e-9: the printing of an exact 1 after a division) and a CPU count (`cpu`, in pCPUs) in
  [0, host.cpus + 1e-9], and at most 1 + 1e-9 for a one-thread process (`gen*`, `iperf3-s*`).
Keys whose range does not hold 0 are also set to 0 once (on the first platform that reads them):
that must be refused with exit 2 and a message naming the key.
Determinism: a few cases (listed in DETERMINISM) are run twice, with --jobs 1 and --jobs 2, and
their JSON outputs must be byte-identical.

Exit status: 0 when every case passes, 1 otherwise. Writes a CSV of every case (--csv) and a
Markdown summary with the failures (--md).
"""

import argparse
import concurrent.futures
import csv
import json
import math
import os
import re
import resource
import signal
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PLATFORMS = [
    "native", "xen-bridge", "xen-router", "xen-sriov", "openvz", "vmware", "netns-bridge", "netns-router",
    "netns-direct",
]
SCHEDULER = {
    "native": "none", "xen-bridge": "credit", "xen-router": "credit", "xen-sriov": "credit", "openvz": "cfs",
    "vmware": "vmware", "netns-bridge": "cfs", "netns-router": "cfs", "netns-direct": "cfs",
}
NETNS_MODES = {
    "softirq": [],
    "threaded": ["host.forwarding=threaded"],
    "iperf3": ["host.generator=iperf3"],
}
# (platform, mode, key, which end) run twice with --jobs 1 and --jobs 2: must be byte-identical.
DETERMINISM = [
    ("netns-direct", "threaded", "generator_syscall", "bottom"),
    ("netns-bridge", "softirq", "netdev_budget", "bottom"),
    ("netns-router", "iperf3", "udp_pacing", "top"),
    ("xen-bridge", "-", "netback_rx_batch", "bottom"),
    ("vmware", "-", "vmk_cluster_interval", "top"),
    ("openvz", "-", "backlog", "bottom"),
]
FRACTIONS = {"fraction", "share"}
# scopes of one-thread processes (a netns sender, an iperf3 server): their `cpu` is at most 1
PROCESS = re.compile(r"gen[0-9]+|iperf3-s[0-9]+")
NONNEGATIVE = {"pps", "bit/s", "1/s", "us", "1"}


def read_reference():
    """Ranges and readers of every cost key, from scenarios/README.md (generated from the schema)."""
    text = open(os.path.join(ROOT, "scenarios", "README.md"), encoding="utf-8").read()
    ranges, readers = {}, {}
    for m in re.finditer(r"^\| `profile\.([a-z0-9_]+)` \| ([^|]*?) from (\S+) to (\S+) \|", text, re.M):
        ranges[m.group(1)] = (m.group(3), m.group(4))
    section = text.split("## Which platforms read each cost", 1)[1]
    for m in re.finditer(r"^\| `profile\.([a-z0-9_]+)` \| ([a-z0-9, -]+) \|$", section, re.M):
        readers[m.group(1)] = [p.strip() for p in m.group(2).split(",")]
    return ranges, readers


def zero_of(value):
    """The value 0 in `value`'s unit, or None when the unit has no plain 0 (a rate's 0pps is refused)."""
    m = re.fullmatch(r"([0-9.]+)([A-Za-z%/µ]*)", value)
    if not m:
        return None
    unit = m.group(2)
    return "0" + unit


def is_zero(value):
    m = re.fullmatch(r"([0-9.]+)([A-Za-z%/µ]*)", value)
    return m is not None and float(m.group(1)) == 0


def run(vrsim, platform, mode_sets, key, value, duration_ms, timeout, jobs=1):
    """One `vrsim run`: (status, stdout, stderr, CPU seconds).

    The limit is the run's CPU time (RLIMIT_CPU, `timeout` seconds), not its wall time: another
    user's quiet window (a measuring tool that SIGSTOPs other processes) may stop every vrsim
    process for minutes, which a wall limit would call a hang; a stuck event loop spins. A run
    that blocks without spinning is caught by the wall limit, 30 x `timeout`.
    """
    warmup_us = duration_ms * 200
    args = [
        vrsim, "run", "--format", "json", "--jobs", str(jobs), "--set", f"platform={platform}",
        "--set", f"scheduler.kind={SCHEDULER[platform]}", "--set", f"run.duration={duration_ms}ms",
        "--set", f"run.warmup={warmup_us}us", "--set", "run.replications=1",
    ]
    for s in mode_sets:
        args += ["--set", s]
    if key is not None:
        args += ["--set", f"profile.{key}={value}"]
    limit = int(math.ceil(timeout))

    def cpu_limit():
        resource.setrlimit(resource.RLIMIT_CPU, (limit, limit + 5))

    p = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, preexec_fn=cpu_limit)
    chunks = {"out": b"", "err": b""}

    def drain(name, stream):
        chunks[name] = stream.read()

    readers = [
        threading.Thread(target=drain, args=("out", p.stdout)),
        threading.Thread(target=drain, args=("err", p.stderr)),
    ]
    for t in readers:
        t.start()
    killer = threading.Timer(30 * timeout, p.kill)
    killer.start()
    _, raw, usage = os.wait4(p.pid, 0)
    killer.cancel()
    for t in readers:
        t.join()
    p.returncode = 0  # reaped here; keeps Popen from waiting for it again
    status = os.waitstatus_to_exitcode(raw)
    if status in (-signal.SIGXCPU, -signal.SIGKILL):
        status = "timeout"
    cpu = usage.ru_utime + usage.ru_stime
    return status, chunks["out"], chunks["err"].decode(errors="replace"), cpu


def check(stdout, cpus):
    """The invariants a run's JSON output breaks, as short texts."""
    try:
        data = json.loads(stdout)
    except ValueError as e:
        return [f"output is not JSON ({e})"]
    problems = []
    for s in data.get("summaries", []):
        name = f"{s['scope']}.{s['metric']}"
        for field in ("mean", "min", "max", "std_dev", "ci_low", "ci_high", "ci_half_width"):
            v = s.get(field)
            if v is None and field.startswith("ci"):
                continue
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
                problems.append(f"{name}.{field} = {v!r} (not finite)")
        v = s.get("mean")
        if not isinstance(v, (int, float)) or not math.isfinite(v):
            continue
        lo, hi = s.get("min", v), s.get("max", v)
        unit = s["unit"]
        if unit in FRACTIONS and (lo < 0 or hi > 1 + 1e-9):
            problems.append(f"{name} = {lo}..{hi} {unit} (outside [0, 1])")
        elif unit == "pCPU" and (lo < 0 or hi > cpus + 1e-9):
            problems.append(f"{name} = {lo}..{hi} pCPU (outside [0, {cpus}])")
        elif unit == "pCPU" and PROCESS.fullmatch(s["scope"]) and hi > 1 + 1e-9:
            problems.append(f"{name} = {hi} pCPU (a one-thread process above one CPU)")
        elif unit in NONNEGATIVE and lo < 0:
            problems.append(f"{name} = {lo} {unit} (negative)")
    if not data.get("summaries"):
        problems.append("no summaries")
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vrsim", default=os.path.join(ROOT, ".build", "release", "vrsim"))
    ap.add_argument("--duration", default="5ms", help="simulated time per run, ms (default 5ms)")
    ap.add_argument("--timeout", type=float, default=60, help="CPU seconds per run (default 60)")
    ap.add_argument("--jobs", type=int, default=2, help="runs at once (default 2)")
    ap.add_argument("--platform", action="append", help="only these platforms (repeatable)")
    ap.add_argument("--csv", help="write every case here")
    ap.add_argument("--md", help="write the summary and failures here (Markdown)")
    a = ap.parse_args()
    duration_ms = int(a.duration.removesuffix("ms"))
    cpus = 4  # the built-in default scenario's host.cpus
    ranges, readers = read_reference()
    platforms = a.platform or PLATFORMS

    cases = []  # (platform, mode, key, end, value)
    zero_checked = set()
    for platform in platforms:
        modes = NETNS_MODES if platform.startswith("netns-") else {"-": []}
        keys = [k for k in ranges if platform in readers.get(k, [])]
        for mode in modes:
            cases.append((platform, mode, None, "default", ""))
            for key in keys:
                bottom, top = ranges[key]
                cases.append((platform, mode, key, "bottom", bottom))
                cases.append((platform, mode, key, "top", top))
                if not is_zero(bottom) and key not in zero_checked and zero_of(bottom):
                    zero_checked.add(key)
                    cases.append((platform, mode, key, "zero-refused", zero_of(bottom)))

    def one(case):
        platform, mode, key, end, value = case
        mode_sets = NETNS_MODES.get(mode, [])
        status, out, err, wall = run(a.vrsim, platform, mode_sets, key, value, duration_ms, a.timeout)
        if end == "zero-refused":
            ok = status == 2 and key in err
            problems = [] if ok else [f"0 not refused with exit 2 naming the key (status {status})"]
        elif status == 0:
            problems = check(out, cpus)
        elif status == "timeout":
            problems = [f"no result within {a.timeout:g} s of CPU (hang)"]
        else:
            last = err.strip().splitlines()[-1] if err.strip() else ""
            problems = [f"exit {status}: {last[:300]}"]
        return case, status, wall, problems

    results = []
    done = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as pool:
        for case, status, wall, problems in pool.map(one, cases):
            done += 1
            results.append((case, status, wall, problems))
            if problems:
                print(f"FAIL {case[0]} {case[1]} {case[2]}={case[4]}: {'; '.join(problems)}", file=sys.stderr)
            if done % 50 == 0 or done == len(cases):
                print(f"{done}/{len(cases)} runs", file=sys.stderr)

    determinism = []
    for platform, mode, key, end in DETERMINISM:
        if platform not in platforms:
            continue
        value = ranges[key][0 if end == "bottom" else 1]
        outs = [
            run(a.vrsim, platform, NETNS_MODES.get(mode, []), key, value, duration_ms, a.timeout, jobs)
            for jobs in (1, 2)
        ]
        same = outs[0][0] == 0 and outs[1][0] == 0 and outs[0][1] == outs[1][1]
        determinism.append((platform, mode, key, value, same))
        if not same:
            print(f"FAIL determinism {platform} {mode} {key}={value}", file=sys.stderr)

    failures = [r for r in results if r[3]] + [d for d in determinism if not d[4]]
    if a.csv:
        with open(a.csv, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["platform", "mode", "key", "end", "value", "status", "cpu_s", "problems"])
            for (platform, mode, key, end, value), status, wall, problems in results:
                w.writerow([platform, mode, key or "", end, value, status, f"{wall:.2f}", "; ".join(problems)])
    if a.md:
        with open(a.md, "w") as f:
            f.write(summary(results, determinism, a, duration_ms))
    print(f"{len(results)} runs, {len(determinism)} determinism pairs, {len(failures)} failures", file=sys.stderr)
    return 1 if failures else 0


def summary(results, determinism, a, duration_ms):
    lines = ["| platform | mode | runs | passed | most CPU of a run (s) |", "|---|---|---|---|---|"]
    groups = {}
    for (platform, mode, *_), status, wall, problems in results:
        g = groups.setdefault((platform, mode), [0, 0, 0.0])
        g[0] += 1
        g[1] += 0 if problems else 1
        g[2] = max(g[2], wall)
    for (platform, mode), (n, ok, slow) in groups.items():
        lines.append(f"| {platform} | {mode} | {n} | {ok} | {slow:.1f} |")
    fails = ["| platform | mode | key | value | problem |", "|---|---|---|---|---|"]
    for (platform, mode, key, end, value), status, wall, problems in results:
        if problems:
            fails.append(f"| {platform} | {mode} | {key} | {value} ({end}) | {'; '.join(problems)} |")
    det = ["| platform | mode | key | value | --jobs 1 and 2 byte-identical |", "|---|---|---|---|---|"]
    for platform, mode, key, value, same in determinism:
        det.append(f"| {platform} | {mode} | {key} | {value} | {'yes' if same else 'NO'} |")
    return "\n".join(
        [f"Runs of {duration_ms} ms simulated, one replication, {a.timeout:g} s CPU-time limit each.", ""]
        + lines + ["", "Failures:", ""] + (fails if len(fails) > 2 else ["none"]) + ["", "Determinism:", ""] + det
    ) + "\n"


if __name__ == "__main__":
    sys.exit(main())
