#!/usr/bin/env python3
"""Reads the scheduler counters of the iperf3 processes a testbed run starts (the scheduler probe of
validation/netns-eevdf-validation.md, "The reader's turns").

  proc-sched-sampler.py sample ROOTPID OUT STOPFILE   every 100 ms until STOPFILE exists: for each
      iperf3 child of the vrsim child of ROOTPID, one line of /proc/PID/{stat,schedstat,sched,status,
      autogroup,cgroup,cmdline} (read only; nothing is written under /proc)
  proc-sched-sampler.py summary OUT                   per process, over its active span (the samples
      around its run time's growth, +-100 ms): run
      and wait time (share of the span), switches in per second (schedstat timeslices), voluntary
      and involuntary switches per second, session and autogroup
"""
import glob
import os
import sys
import time


def kids(pid):
    out = []
    for f in glob.glob(f"/proc/{pid}/task/*/children"):
        try:
            out += open(f).read().split()
        except OSError:
            pass
    return out


def read(path):
    try:
        return open(path).read()
    except OSError:
        return ""


def sample(root, out_path, stop):
    out = open(out_path, "w")
    vr = None
    while not os.path.exists(stop):
        t = time.monotonic_ns()
        if vr is None:
            k = [p for p in kids(root) if read(f"/proc/{p}/comm").strip().startswith("vrsim")]
            vr = k[0] if k else None
        for d in kids(vr) if vr else []:
            if read(f"/proc/{d}/comm").strip() != "iperf3":
                continue
            try:
                st = read(f"/proc/{d}/stat").rsplit(")", 1)[1].split()
                run, wait, slices = read(f"/proc/{d}/schedstat").split()[:3]
                sch = {}
                for line in read(f"/proc/{d}/sched").splitlines():
                    if ":" in line:
                        k, v = line.split(":", 1)
                        sch[k.strip()] = v.strip()
                status = {}
                for line in read(f"/proc/{d}/status").splitlines():
                    if "ctxt" in line or line.startswith("Cpus_allowed_list"):
                        k, v = line.split(":", 1)
                        status[k] = v.strip()
            except (IndexError, ValueError):
                continue  # the process ended while read
            fields = [
                t, d, st[3], st[2], run, wait, slices, sch.get("se.sum_exec_runtime", ""),
                status.get("voluntary_ctxt_switches", ""), status.get("nonvoluntary_ctxt_switches", ""),
                status.get("Cpus_allowed_list", ""), read(f"/proc/{d}/autogroup").strip(),
                read(f"/proc/{d}/cmdline").replace("\0", " ").strip(),
            ]
            print("\t".join(str(x) for x in fields), file=out)
        out.flush()
        time.sleep(0.1)


def summary(path):
    procs = {}
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        procs.setdefault(f[1], []).append(f)
    print("| process | CPU | session | autogroup | span s | run | wait | switches in /s | voluntary /s | involuntary /s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for pid, v in procs.items():
        # the active span: from the last sample before its run time starts growing to the first
        # after it stops (a server waits for its client before the test)
        i = next((k for k in range(1, len(v)) if v[k][4] != v[0][4]), 1) - 1
        j = next((k for k in range(len(v) - 1, 0, -1) if v[k][4] != v[k - 1][4]), len(v) - 1)
        a, b = v[i], v[j]
        dt = (int(b[0]) - int(a[0])) / 1e9
        if dt <= 0.5:
            continue
        role = "client" if " -c " in a[12] else "server"
        rate = a[12].split(" -b ")[1].split()[0] if " -b " in a[12] else ""
        name = f"{role} {pid}" + (f" -b {rate}" if rate else "")

        def d(i, scale=1.0):
            return (float(b[i]) - float(a[i])) / scale / dt

        print(
            f"| {name} | {a[10]} | {a[2]} | {a[11].split()[0]} | {dt:.2f} | {d(4, 1e9):.3f} | {d(5, 1e9):.3f} | "
            f"{d(6):,.0f} | {d(8):,.0f} | {d(9):,.0f} |")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "sample":
        sample(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    elif len(sys.argv) == 3 and sys.argv[1] == "summary":
        summary(sys.argv[2])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
