#!/usr/bin/env python3
"""trafgen's fixed CPU cost per process: start-up and exit, apart from its frames (issue 20).

Usage (root): netns-trafgen-startup.py [--repeats N] [--frames F] [--rate PPS] [--out CSV]
       netns-trafgen-startup.py --summary CSV [CSV ...]

The testbed counts a generator's CPU as the CPU time of the process it starts, `ip netns exec
NS trafgen ...` (getrusage of its waited-for children over the trial, `generator_cpu_seconds`),
start-up and exit included, and divides it by the send time. This measures the fixed part.
Each repeat runs inside a network namespace and a mount namespace of its own, which the
kernel removes when their last process exits (`unshare -m -n`: a tmpfs on /run and a named
namespace `p` in it are seen by nothing outside, nothing outlives the command, nothing is
left to clean after a kill); frames go to that namespace's loopback only:
  base   the set-up alone (the shell, mount, `ip link set lo up`; the same in every variant)
  exec   base, then `ip netns exec p true` (the testbed's way into a namespace, no trafgen)
  one    base, then `ip netns exec p trafgen ... --num 1` (the testbed's other options)
  many   base, then the same sending F frames at PPS (`--rate`, as the testbed sends)
Each variant's CPU time (user + system, from wait4 over the whole process tree) is printed
with the mean and 95% interval (t) over the repeats. The fixed cost per generator process as
the testbed counts it = one - base (of which `ip netns exec` = exec - base); the cost per
frame on loopback = (many - one) / (F - 1). Variants run interleaved, so a change of the
machine's speed hits all of them alike. --out writes every repeat's figures.

--summary: the fixed cost per generator process (one - base) over every repeat of the given
--out files, per file and pooled on stderr, and the pooled mean in seconds alone on stdout (for
scripts/netns-fig8bref.py compare --startup).
"""

import csv
import math
import os
import subprocess
import sys
import tempfile

from scipy import stats

FRAME = """{
  0x02, 0x76, 0x74, 0x00, 0x00, 0x01, 0x02, 0x76, 0x74, 0x00, 0x00, 0x02, const16(0x0800),
  0x45, 0x00, const16(46), const16(0), const16(0x4000), 64, 17, csumip(14, 33),
  127, 0, 0, 1, 127, 0, 0, 2,
  const16(1024), const16(1024), const16(26), const16(0),
  fill(0x00, 18)
}
"""


def fail(message):
    print(f"netns-trafgen-startup.py: {message}", file=sys.stderr)
    sys.exit(2)


def option(args, name, default, kind):
    if name not in args:
        return default
    i = args.index(name)
    try:
        return kind(args[i + 1])
    except (IndexError, ValueError):
        fail(f"{name} needs a {kind.__name__} value")


def cpu_seconds(script):
    """User + system seconds of `unshare -m -n sh -c SCRIPT` and everything it waited for."""
    p = subprocess.Popen(["unshare", "-m", "-n", "sh", "-c", script], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    err = p.stderr.read().decode(errors="replace").strip()
    p.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        fail(f"`{script}` failed: {err[-300:]}")
    return usage.ru_utime + usage.ru_stime


def summary(values):
    n = len(values)
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else float("nan")
    half = stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n) if n > 1 else float("nan")
    return mean, half


def summarise(paths):
    pooled = []
    for path in paths:
        try:
            with open(path, newline="") as f:
                rows = list(csv.DictReader(f))
        except OSError as e:
            fail(f"{path}: {e.strerror}")
        try:
            fixed = [float(r["one_frame_cpu_s"]) - float(r["base_cpu_s"]) for r in rows]
        except (KeyError, ValueError):
            fail(f"{path}: not an --out file of this script (base_cpu_s, one_frame_cpu_s)")
        if len(fixed) < 2:
            fail(f"{path}: fewer than 2 repeats")
        mean, half = summary(fixed)
        print(f"{path}: {1e3 * mean:.2f} ms (95%: +-{1e3 * half:.2f}) over {len(fixed)} repeats", file=sys.stderr)
        pooled += fixed
    mean, half = summary(pooled)
    print(f"pooled: {1e3 * mean:.2f} ms (95%: +-{1e3 * half:.2f}) over {len(pooled)} repeats", file=sys.stderr)
    print(f"{mean:.6f}")


def main():
    args = sys.argv[1:]
    if args[:1] == ["--summary"]:
        if len(args) < 2:
            fail("--summary needs CSV files")
        summarise(args[1:])
        return
    repeats = option(args, "--repeats", 10, int)
    frames = option(args, "--frames", 20000, int)
    rate = option(args, "--rate", 100000, int)
    out = option(args, "--out", None, str)
    if repeats < 2 or frames < 2 or rate < 1:
        fail("--repeats and --frames need at least 2, --rate at least 1")
    if os.geteuid() != 0:
        fail("needs root (unshare -n, trafgen's packet socket)")
    with tempfile.NamedTemporaryFile("w", suffix=".cfg", prefix="trafgen-startup-") as cfg:
        cfg.write(FRAME)
        cfg.flush()
        base = ("mount -t tmpfs trafgen-startup /run && mkdir /run/netns && touch /run/netns/p && "
                "mount --bind /proc/self/ns/net /run/netns/p && ip link set lo up")
        trafgen = f"ip netns exec p trafgen --in {cfg.name} --dev lo --cpus 1 --no-sock-mem"
        scripts = {
            "base": base,
            "exec": f"{base} && ip netns exec p true",
            "one": f"{base} && {trafgen} --num 1",
            "many": f"{base} && {trafgen} --num {frames} --rate {rate}pps",
        }
        runs = {k: [] for k in scripts}
        for i in range(repeats):
            for k, s in scripts.items():
                runs[k].append(cpu_seconds(s))
            print(f"repeat {i + 1} of {repeats}", file=sys.stderr)
    if out:
        with open(out, "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["repeat", "base_cpu_s", "exec_cpu_s", "one_frame_cpu_s", "many_cpu_s", "frames", "rate_pps"])
            for i in range(repeats):
                w.writerow([i] + [f"{runs[k][i]:.6f}" for k in scripts] + [frames, rate])
    for k in scripts:
        mean, half = summary(runs[k])
        print(f"{k}: {1e3 * mean:.2f} ms CPU (95%: +-{1e3 * half:.2f}) over {repeats} repeats")
    ex, ehalf = summary([b - a for a, b in zip(runs["base"], runs["exec"])])
    print(f"ip netns exec alone (exec - base): {1e3 * ex:.2f} ms (95%: +-{1e3 * ehalf:.2f})")
    fixed, fhalf = summary([b - a for a, b in zip(runs["base"], runs["one"])])
    per, phalf = summary([(c - b) / (frames - 1) for b, c in zip(runs["one"], runs["many"])])
    print(f"fixed CPU per generator process as the testbed counts it (one - base): {1e3 * fixed:.2f} ms (95%: +-{1e3 * fhalf:.2f})")
    print(f"trafgen's CPU per frame on loopback ((many - one) / (F - 1)): {1e9 * per:.0f} ns (95%: +-{1e9 * phalf:.0f})")


if __name__ == "__main__":
    main()
