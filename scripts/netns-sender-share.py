#!/usr/bin/env python3
"""Identification run for the senders' switch cost (issue 20): N trafgen processes pinned to one
CPU, sending to the sink on the generator's direct veth (the testbed's generator-to-sink kind:
the sink forwards into its blackhole route), no router.

Each trial starts N trafgen 0.6.8 processes (`--rate R/N pps`, `--num R/N x seconds`, `--cpus 1
--no-sock-mem`, as the testbed starts them), all `taskset -c CPU`, and reads from each one's
wait4() its CPU time (user + system: with tick accounting this includes the sink's receive that
runs in the sender's softirq) and its context switches (voluntary + involuntary), the CPUs'
/proc/stat times and the host's switch count over the trial, and the frames the sink received.

Usage (root, on a quiet machine):
  python3 scripts/netns-sender-share.py --out validation/trials/sender-share-DAY.csv \
      [--procs 1,2,4,8] [--rates 82000,131000,156000,300000] [--repeats 3] [--seconds 2] [--cpu 0]
  python3 scripts/netns-sender-share.py --clean   # removes what a killed run left behind

System state: two network namespaces (vss<PID>g, vss<PID>s, the veth pair lives in them) and
one directory of trafgen configurations. Their names are recorded in /run/vrsim-sender-share/
<PID>.json before they are created; every exit path removes them; --clean removes those of runs
whose process is gone (SIGKILL), and nothing else.
"""
import argparse
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

STATE = "/run/vrsim-sender-share"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def run(argv, stdin=None):
    r = subprocess.run(argv, input=stdin, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {r.stderr.strip()}")
    return r.stdout


def remove(record):
    for ns in record.get("namespaces", []):
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    d = record.get("workdir")
    if d and os.path.isdir(d):
        shutil.rmtree(d, ignore_errors=True)


def drop_state_dir():
    """Removes the state directory once no run is recorded in it."""
    try:
        os.rmdir(STATE)
    except OSError:
        pass  # absent, or another run's record is still there


def clean():
    if not os.path.isdir(STATE):
        return
    for name in os.listdir(STATE):
        pid = int(name.split(".")[0])
        if os.path.exists(f"/proc/{pid}"):
            continue  # still running: its own exit paths remove it
        path = os.path.join(STATE, name)
        with open(path) as f:
            remove(json.load(f))
        os.remove(path)
        print(f"removed what run {pid} left", file=sys.stderr)
    drop_state_dir()


def cpu_times():
    """Per CPU: (user, nice, system, idle, iowait, irq, softirq, steal) in seconds; and ctxt."""
    cpus, ctxt = {}, 0
    with open("/proc/stat") as f:
        for line in f:
            w = line.split()
            if w[0].startswith("cpu") and w[0] != "cpu":
                cpus[int(w[0][3:])] = [int(x) / CLK_TCK for x in w[1:9]]
            elif w[0] == "ctxt":
                ctxt = int(w[1])
    return cpus, ctxt


def rx_packets(ns, dev):
    out = run(["ip", "-n", ns, "-s", "-j", "link", "show", dev])
    return json.loads(out)[0]["stats64"]["rx"]["packets"]


def frame(src_mac, dst_mac, src, dst, size=64):
    l2 = size - 4
    ip_len = l2 - 14
    udp_len = ip_len - 20

    def mac(m):
        return ", ".join("0x" + b for b in m.split(":"))

    return (
        f"{{\n  {mac(dst_mac)}, {mac(src_mac)}, const16(0x0800),\n"
        f"  0x45, 0x00, const16({ip_len}), const16(0), const16(0x4000), 64, 17, csumip(14, 33),\n"
        f"  {src.replace('.', ', ')}, {dst.replace('.', ', ')},\n"
        f"  const16(1024), const16(1024), const16({udp_len}), const16(0),\n"
        f"  fill(0x00, {udp_len - 8})\n}}\n"
    )


def sent_seconds(text):
    best = None
    for line in text.splitlines():
        if " usec on CPU" in line:
            w = line.split()
            if "sec," in w:
                i = w.index("sec,")
                try:
                    best = max(best or 0, float(w[i - 1]) + float(w[i + 1]) * 1e-6)
                except (ValueError, IndexError):
                    pass
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", help="CSV to write, one row per trial")
    ap.add_argument("--procs", default="1,2,4,8", help="trafgen processes sharing the CPU (list)")
    ap.add_argument("--rates", default="82000,131000,156000,300000", help="aggregate rates, frames/s (list)")
    ap.add_argument("--repeats", type=int, default=3, help="trials per point")
    ap.add_argument("--seconds", type=float, default=2.0, help="trial length, s (whole trafgen windows)")
    ap.add_argument("--cpu", type=int, default=0, help="the CPU every sender is pinned to")
    ap.add_argument("--clean", action="store_true", help="remove what killed runs left, then exit")
    a = ap.parse_args()
    if a.clean:
        clean()
        return 0
    if not a.out:
        ap.error("--out is needed")
    try:
        procs = [int(x) for x in a.procs.split(",")]
        rates = [int(x) for x in a.rates.split(",")]
    except ValueError:
        print("error: --procs and --rates take comma-separated integers", file=sys.stderr)
        return 2
    if any(p < 1 for p in procs) or any(r < 1 for r in rates) or a.repeats < 1 or a.seconds <= 0:
        print("error: --procs, --rates, --repeats, --seconds must be positive", file=sys.stderr)
        return 2
    clean()
    pid = os.getpid()
    g, s = f"vss{pid}g", f"vss{pid}s"
    os.makedirs(STATE, exist_ok=True)
    work = tempfile.mkdtemp(prefix="vrsim-sender-share-")
    record = {"namespaces": [g, s], "workdir": work}
    state_file = os.path.join(STATE, f"{pid}.json")
    with open(state_file, "w") as f:
        json.dump(record, f)

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    rows = []
    try:
        for ns in (g, s):
            run(["ip", "netns", "add", ns])
            keys = [
                "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1",
                "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0",
                f"net.ipv4.ip_forward={1 if ns == s else 0}",
            ]
            run(["ip", "netns", "exec", ns, "sysctl", "-q", "-e", "-w"] + keys)
        run(["ip", "-n", g, "link", "add", "cg", "type", "veth", "peer", "name", "cs", "netns", s])
        run(["ip", "-n", g, "-batch", "-"], "addr add 10.5.0.1/24 dev cg\nlink set cg up\n")
        run(
            ["ip", "-n", s, "-batch", "-"],
            "addr add 10.5.0.2/24 dev cs\nlink set cs up\nroute add blackhole 198.18.0.0/15\n",
        )
        gmac = json.loads(run(["ip", "-n", g, "-j", "link", "show", "cg"]))[0]["address"]
        smac = json.loads(run(["ip", "-n", s, "-j", "link", "show", "cs"]))[0]["address"]
        time.sleep(0.5)
        total = len(procs) * len(rates) * a.repeats
        done = 0
        for rep in range(a.repeats):
            for n in procs:
                for rate in rates:
                    per = max(1, round(rate / n))
                    count = max(1, round(per * a.seconds))
                    argvs = []
                    for k in range(n):
                        cfg = os.path.join(work, f"p{k}.cfg")
                        with open(cfg, "w") as f:
                            f.write(frame(gmac, smac, "10.5.0.1", f"198.18.{k}.1"))
                        argvs.append([
                            "ip", "netns", "exec", g, "taskset", "-c", str(a.cpu), "trafgen", "--in", cfg,
                            "--dev", "cg", "--num", str(count), "--cpus", "1", "--no-sock-mem",
                            "--rate", f"{per}pps",
                        ])
                    rx0 = rx_packets(s, "cs")
                    c0, x0 = cpu_times()
                    t0 = time.monotonic()
                    ps = [subprocess.Popen(v, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for v in argvs]
                    usage = []
                    outs = []
                    for p in ps:
                        _, status, ru = os.wait4(p.pid, 0)
                        p.returncode = os.waitstatus_to_exitcode(status)
                        usage.append(ru)
                        outs.append(p.stdout.read().decode(errors="replace"))
                        p.stdout.close()
                    wall = time.monotonic() - t0
                    c1, x1 = cpu_times()
                    time.sleep(0.1)
                    rx1 = rx_packets(s, "cs")
                    if any(p.returncode != 0 for p in ps):
                        bad = [o[-300:] for p, o in zip(ps, outs) if p.returncode != 0]
                        raise RuntimeError(f"trafgen failed: {bad}")
                    sec = [sent_seconds(o) for o in outs]
                    send = max(x for x in sec if x is not None) if any(x is not None for x in sec) else wall
                    d = {c: [b - a_ for a_, b in zip(c0[c], c1[c])] for c in c0}
                    other = [c for c in d if c != a.cpu]
                    row = {
                        "procs": n, "rate_pps": rate, "repeat": rep, "seconds": a.seconds,
                        "send_time_s": round(send, 6), "wall_s": round(wall, 6), "sent": count * n,
                        "received": rx1 - rx0,
                        "user_s": round(sum(u.ru_utime for u in usage), 6),
                        "system_s": round(sum(u.ru_stime for u in usage), 6),
                        "voluntary_switches": sum(u.ru_nvcsw for u in usage),
                        "involuntary_switches": sum(u.ru_nivcsw for u in usage),
                        "host_switches": x1 - x0,
                        "cpu_user_s": round(d[a.cpu][0] + d[a.cpu][1], 3),
                        "cpu_system_s": round(d[a.cpu][2], 3),
                        "cpu_softirq_s": round(d[a.cpu][6], 3),
                        "cpu_irq_s": round(d[a.cpu][5], 3),
                        "other_cpus_busy_s": round(
                            sum(sum(d[c]) - d[c][3] - d[c][4] for c in other), 3),
                    }
                    rows.append(row)
                    done += 1
                    print(
                        f"[{done}/{total}] {n} procs, {rate} pps: received {row['received']}, "
                        f"cpu {row['user_s'] + row['system_s']:.3f} s, switches "
                        f"{row['voluntary_switches'] + row['involuntary_switches']}",
                        file=sys.stderr, flush=True)
    finally:
        remove(record)
        os.remove(state_file)
        drop_state_dir()
    with open(a.out, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
