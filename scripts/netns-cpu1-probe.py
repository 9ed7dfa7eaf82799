#!/usr/bin/env python3
"""Where CPU 1's time per frame goes in fig8b-scheduled (issue 20, task cpu1).

Runs `vrsim testbed run scenarios/testbed/fig8b-scheduled.yaml` at one total rate with the given
router counts (alternating their order from round to round), and during every trial samples CPU 1
over a fixed window inside the trial's send time:

- /proc/stat's cpu1 line (user, nice, system, idle, iowait, irq, softirq; USER_HZ ticks),
- /proc/interrupts' CPU 1 column (RES, CAL, LOC, TLB, IWI, ...) and /proc/softirqs' CPU 1 column,
- every NAPI thread of the run and ksoftirqd/1: /proc/PID/schedstat (run ns, wait ns, slices) and
  /proc/PID/status (voluntary and involuntary switches),
- the frames the sink received (rx_packets of the routers' egress peers in the sink namespace),
- on every other trial, `perf record -C 1` (cpu-clock; the VM has no hardware cycle counter) over
  the same window, reported afterwards by symbol.

The testbed makes and removes every namespace, cgroup and process itself; this script creates no
system state other than its output files, and only reads what the run it started created. The
sampler and perf run on CPU 0 (the generator's CPU), never on CPU 1.

Usage (root, in a quiet window):
  python3 scripts/netns-cpu1-probe.py --vrsim VRSIM --routers 1,8 --rate 131kpps --rounds 3 \
      --out validation/trials/cpu1-probe-DAY-wN
Analysis (no root):
  python3 scripts/netns-cpu1-probe.py --analyse DIR [DIR ...]
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def read_cpu1_stat():
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu1 "):
                v = [int(x) for x in line.split()[1:]]
                names = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"]
                return dict(zip(names, v))
    raise RuntimeError("no cpu1 line in /proc/stat")


def read_column(path):
    """CPU 1's column of /proc/interrupts or /proc/softirqs, by row name."""
    out = {}
    with open(path) as f:
        header = f.readline().split()
        col = header.index("CPU1")
        for line in f:
            parts = line.split()
            if not parts:
                continue
            name = parts[0].rstrip(":")
            try:
                out[name] = int(parts[1 + col])
            except (IndexError, ValueError):
                continue
    return out


def proc_comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return None


def thread_stats(pid):
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            run, wait, slices = (int(x) for x in f.read().split()[:3])
        vol = invol = 0
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("voluntary_ctxt_switches"):
                    vol = int(line.split()[1])
                elif line.startswith("nonvoluntary_ctxt_switches"):
                    invol = int(line.split()[1])
        return {"run_ns": run, "wait_ns": wait, "slices": slices, "vol": vol, "invol": invol}
    except OSError:
        return None


def descendants(root):
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                s = f.read()
            ppid = int(s[s.rindex(")") + 2 :].split()[1])
        except (OSError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        for c in children.get(p, []):
            out.append(c)
            todo.append(c)
    return out


def trafgens(root):
    """The trial's trafgen processes under `root`: (pid, device); the ceiling's (`-cg`) left out."""
    out = []
    for pid in descendants(root):
        if proc_comm(pid) != "trafgen":
            continue
        try:
            with open(f"/proc/{pid}/cmdline") as f:
                argv = f.read().split("\0")
        except OSError:
            continue
        dev = argv[argv.index("--dev") + 1] if "--dev" in argv else ""
        if re.search(r"-i\d+g$", dev):
            out.append((pid, dev))
    return out


def start_time(pid):
    """A process's start, in s of CLOCK_BOOTTIME (/proc/PID/stat field 22)."""
    with open(f"/proc/{pid}/stat") as f:
        st = f.read()
    return int(st[st.rindex(")") + 2 :].split()[19]) / CLK_TCK


def sink_rx(prefix):
    r = subprocess.run(["ip", "-n", prefix + "sink", "-s", "-j", "link", "show"], capture_output=True, text=True)
    if r.returncode != 0:
        return None
    total = 0
    for link in json.loads(r.stdout):
        name = link.get("ifname", "")
        if re.search(r"-o\d+s$", name):
            total += link["stats64"]["rx"]["packets"]
    return total


def napi_pids(prefix):
    want = ("napi/" + prefix)[:15]
    out = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            c = proc_comm(int(d))
            if c and (c.startswith(want) or c == "ksoftirqd/1"):
                out[int(d)] = c
    return out


def snapshot(prefix, pids):
    return {
        "t": time.monotonic(),
        "stat": read_cpu1_stat(),
        "irq": read_column("/proc/interrupts"),
        "softirq": read_column("/proc/softirqs"),
        "threads": {str(p): dict(comm=c, **(thread_stats(p) or {})) for p, c in pids.items()},
        "rx": sink_rx(prefix),
    }


def sampler(child, args, perf_data, stop, records):
    os.sched_setaffinity(0, {0})
    trial = 0
    while not stop.is_set():
        tg = trafgens(child.pid)
        if not tg:
            time.sleep(0.05)
            continue
        time.sleep(0.3)
        tg = trafgens(child.pid)
        if not tg:
            continue
        devs = sorted({d for _, d in tg})
        prefix = re.match(r"(.*-)i\d+g$", devs[0]).group(1)
        routers = len(devs)
        start = min(start_time(p) for p, _ in tg)
        now = time.clock_gettime(time.CLOCK_BOOTTIME)
        late = now - start > args.offset
        if not late:
            time.sleep(start + args.offset - now)
        pids = napi_pids(prefix)
        rec = {"trial": trial, "routers": routers, "prefix": prefix, "perf": perf_data is not None}
        rec["a"] = snapshot(prefix, pids)
        time.sleep(args.window)
        rec["b"] = snapshot(prefix, pids)
        alive = all(os.path.exists(f"/proc/{p}") and proc_comm(p) == "trafgen" for p, _ in tg)
        rec["valid"] = bool(alive and not late and rec["a"]["rx"] is not None and rec["b"]["rx"] is not None)
        if perf_data:
            rec["perf_data"] = perf_data
        records.append(rec)
        if not rec["valid"]:
            print(f"probe: trial {trial} not valid (late start {late}, senders alive at the end {alive})",
                  file=sys.stderr, flush=True)
        print(f"probe: trial {trial}, {routers} router(s), perf={rec['perf']}, "
              f"frames {(rec['b']['rx'] or 0) - (rec['a']['rx'] or 0)} over {rec['b']['t'] - rec['a']['t']:.2f} s", file=sys.stderr, flush=True)
        trial += 1
        while not stop.is_set() and any(os.path.exists(f"/proc/{p}") and proc_comm(p) == "trafgen" for p, _ in tg):
            time.sleep(0.05)


def measure(args):
    out_dir = args.out
    os.makedirs(out_dir, exist_ok=True)
    records = []
    for rnd in range(args.rounds):
        counts = [int(x) for x in args.routers.split(",")]
        if rnd % 2 == 1:
            counts.reverse()
        sweep = "sweep={routers.count: [%s], \"traffic[0].rate\": [%s]}" % (", ".join(map(str, counts)), args.rate)
        cmd = [args.vrsim, "testbed", "run", args.scenario, "--set", sweep,
               "--set", f"run.duration={args.duration}s", "--set", f"run.replications={args.reps}",
               "--experiment", f"cpu1probe-r{rnd}", "--out", os.path.join(out_dir, f"testbed-r{rnd}.csv")]
        print("probe: " + " ".join(cmd), file=sys.stderr, flush=True)
        perf, perf_data = None, None
        if args.perf_freq > 0 and (args.perf_all or rnd % 4 in (0, 3)):
            perf_data = f"perf-r{rnd}.data"
            events = (["-e", "cpu-clock", "-F", str(args.perf_freq)] if not args.events
                      else [x for e in args.events.split(",") for x in ("-e", e)])
            perf = subprocess.Popen(
                ["taskset", "-c", "0", "perf", "record", "-q", "-C", "1", *events,
                 "-k", "CLOCK_MONOTONIC", "-o", os.path.join(out_dir, perf_data)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1.0)
        child = subprocess.Popen(cmd, preexec_fn=lambda: os.sched_setaffinity(0, set(range(os.cpu_count()))))
        stop = threading.Event()
        rr = []
        th = threading.Thread(target=sampler, args=(child, args, perf_data, stop, rr))
        th.start()
        try:
            rc = child.wait()
        except KeyboardInterrupt:
            child.send_signal(signal.SIGINT)
            rc = child.wait()
        stop.set()
        th.join()
        if perf:
            perf.send_signal(signal.SIGINT)
            perf.wait()
        for r in rr:
            r["round"] = rnd
        records.extend(rr)
        with open(os.path.join(out_dir, "samples.json"), "w") as f:
            json.dump(records, f)
        if rc != 0:
            print(f"probe: testbed exited {rc}", file=sys.stderr)
            return rc
    return 0


SYMBOL_GROUPS = [
    ("idle", re.compile(r"(default_idle|pv_native_safe_halt|haltpoll|cpuidle|do_idle|arch_cpu_idle|cpu_startup_entry|"
                        r"native_safe_halt|acpi_idle|poll_idle|tick_nohz_idle|mwait|intel_idle|default_enter_idle|"
                        r"cpuidle_enter)")),
]


def perf_time(path, t0, t1, sort, pattern):
    """cpu-clock time (ns) on CPU 1 between CLOCK_MONOTONIC t0 and t1 (s), by the `perf report --sort`
    keys `sort`; `pattern` matches a report line as (period, ..., key) and names the key group 'key'."""
    r = subprocess.run(["perf", "report", "-i", path, "--stdio", "--sort", sort, "-F", f"period,{sort}",
                        "--percent-limit", "0", "--time", f"{t0:.6f},{t1:.6f}"], capture_output=True, text=True)
    out = {}
    for line in r.stdout.splitlines():
        m = re.match(pattern, line)
        if m and not line.lstrip().startswith("#"):
            out[m.group("key")] = out.get(m.group("key"), 0) + int(m.group(1))
    return out


def perf_symbols(path, t0, t1, key="sym"):
    """cpu-clock time (ns) by symbol on CPU 1 between CLOCK_MONOTONIC t0 and t1 (s)."""
    return perf_time(path, t0, t1, key, r"\s*(\d+)\s+(\[.\]\s+)?(?P<key>\S.*?)\s*$")


def perf_pids(path, t0, t1):
    """cpu-clock time (ns) by task id on CPU 1 between CLOCK_MONOTONIC t0 and t1 (s)."""
    return perf_time(path, t0, t1, "comm,pid", r"\s*(\d+)\s.*?\s(?P<key>-?\d+):\S*\s*$")


RCU_SYMBOLS = re.compile(r"^(rcu_do_batch|rcu_cblist_dequeue|rcu_core|rcu_core_si|rcu_segcblist_.*|dst_destroy|"
                         r"dst_destroy_rcu|rcu_needs_cpu)$")


def perf_contexts(path, t0, t1, threads):
    """cpu-clock time (ns) on CPU 1 by (context, group): context napi / ksoftirqd / idle (pid 0) / other,
    group rcu (RCU callback processing: the deferred frees) / halt / rest."""
    r = subprocess.run(["perf", "report", "-i", path, "--stdio", "--sort", "pid,sym", "-F", "period,pid,sym",
                        "--percent-limit", "0", "--time", f"{t0:.6f},{t1:.6f}"], capture_output=True, text=True)
    out = {}
    for line in r.stdout.splitlines():
        m = re.match(r"\s*(\d+)\s+(-?\d+):\S*\s+\[(.)\]\s+(\S+)", line)
        if not m:
            continue
        pid, sym = m.group(2), m.group(4)
        comm = threads.get(pid, {}).get("comm", "")
        ctx = ("napi" if comm.startswith("napi/") else "ksoftirqd" if comm == "ksoftirqd/1"
               else "idle" if pid == "0" else "other")
        grp = "rcu" if RCU_SYMBOLS.match(sym) else "halt" if "halt" in sym else "rest"
        out[(ctx, grp)] = out.get((ctx, grp), 0) + int(m.group(1))
    return out


SOFTIRQ = re.compile(r"vec=(\d+) \[action=(\w+)\]")
NAPI_POLL = re.compile(r"device (\S+) work (\d+) budget (\d+)")


def trace_summary(path, t0, t1, threads):
    """From tracepoints on CPU 1 between t0 and t1 (s, CLOCK_MONOTONIC): each softirq vector's runs and
    time (ns) by the context it ran in (napi, ksoftirqd, idle, other), the NAPI polls and their work
    by device kind, and the switches."""
    r = subprocess.run(["perf", "script", "-i", path, "--time", f"{t0:.6f},{t1:.6f}", "-F", "tid,time,event,trace"],
                       capture_output=True, text=True)
    out = {}
    open_entry = {}

    def add(k, v):
        out[k] = out.get(k, 0) + v

    for line in r.stdout.splitlines():
        parts = line.split(None, 3)
        if len(parts) < 3:
            continue
        tid, ts, ev = parts[0], float(parts[1].rstrip(":")), parts[2].rstrip(":")
        rest = parts[3] if len(parts) > 3 else ""
        comm = threads.get(tid, {}).get("comm", "")
        ctx = ("napi" if comm.startswith("napi/") else "ksoftirqd" if comm == "ksoftirqd/1"
               else "idle" if tid == "0" else "other")
        if ev == "irq:softirq_entry":
            m = SOFTIRQ.search(rest)
            if m:
                open_entry[m.group(2)] = (ts, ctx)
        elif ev == "irq:softirq_exit":
            m = SOFTIRQ.search(rest)
            if m and m.group(2) in open_entry:
                t_in, c_in = open_entry.pop(m.group(2))
                add(f"sirq:{m.group(2)}:{c_in}:runs", 1)
                add(f"sirq:{m.group(2)}:{c_in}:ns", (ts - t_in) * 1e9)
        elif ev == "napi:napi_poll":
            m = NAPI_POLL.search(rest)
            if m:
                dev = m.group(1)
                kind = "router-ingress" if re.search(r"-i\d+r$", dev) else "backlog" if "no_device" in dev else dev
                add(f"poll:{kind}:polls", 1)
                add(f"poll:{kind}:work", int(m.group(2)))
                if int(m.group(2)) == int(m.group(3)):
                    add(f"poll:{kind}:full", 1)
        elif ev == "sched:sched_switch":
            m = re.search(r"==> (.*?):(\d+) ", rest) or re.search(r"next_pid=(\d+)", rest)
            add(f"switch:from-{ctx}", 1)
    return out


def analyse(dirs):
    rows = []
    for d in dirs:
        with open(os.path.join(d, "samples.json")) as f:
            for rec in json.load(f):
                if not rec.get("valid", True):
                    continue
                rec["dir"] = d
                rows.append(rec)
    by_n = {}
    summaries = {}
    traces = {}
    for rec in rows:
        a, b = rec["a"], rec["b"]
        frames = b["rx"] - a["rx"]
        dt = b["t"] - a["t"]
        st = {k: (b["stat"][k] - a["stat"][k]) / CLK_TCK for k in a["stat"]}
        busy = sum(v for k, v in st.items() if k not in ("idle", "iowait", "steal"))
        irq = {k: b["irq"].get(k, 0) - a["irq"].get(k, 0) for k in a["irq"]}
        sirq = {k: b["softirq"].get(k, 0) - a["softirq"].get(k, 0) for k in a["softirq"]}
        run = sw = vol = invol = 0
        napi_run = ksoft_run = 0
        for p, ta in a["threads"].items():
            tb = b["threads"].get(p)
            if not tb or "run_ns" not in ta or "run_ns" not in tb:
                continue
            drun = tb["run_ns"] - ta["run_ns"]
            run += drun
            if ta["comm"] == "ksoftirqd/1":
                ksoft_run += drun
            else:
                napi_run += drun
            vol += tb["vol"] - ta["vol"]
            invol += tb["invol"] - ta["invol"]
        ks_runs = ks_run = nap_runs = 0
        for p, ta in a["threads"].items():
            tb = b["threads"].get(p)
            if tb and "slices" in ta and "slices" in tb:
                if ta["comm"] == "ksoftirqd/1":
                    ks_runs += tb["slices"] - ta["slices"]
                    ks_run += tb["run_ns"] - ta["run_ns"]
                else:
                    nap_runs += tb["slices"] - ta["slices"]
        rec["m"] = {
            "ksoft_runs_per_1000f": ks_runs / frames * 1e3, "ksoft_us_per_run": ks_run / max(ks_runs, 1) / 1e3,
            "napi_runs_per_1000f": nap_runs / frames * 1e3,
            "sirq_RCU_per_s": sirq.get("RCU", 0) / dt, "sirq_NET_RX_per_s": sirq.get("NET_RX", 0) / dt,
            "frames": frames, "dt": dt, "rate": frames / dt,
            "busy_ns_f": busy * 1e9 / frames, "sys_ns_f": st["system"] * 1e9 / frames,
            "softirq_ns_f": st["softirq"] * 1e9 / frames, "irq_ns_f": st["irq"] * 1e9 / frames,
            "user_ns_f": st["user"] * 1e9 / frames,
            "threads_ns_f": run / frames, "napi_ns_f": napi_run / frames, "ksoft_ns_f": ksoft_run / frames,
            "vol_f": vol / frames, "invol_f": invol / frames,
            **{f"{k}_f": irq.get(k, 0) / frames for k in ("RES", "CAL", "LOC", "TLB", "IWI")},
            **{f"sirq_{k}_f": sirq.get(k, 0) / frames for k in ("NET_RX", "NET_TX", "TIMER", "SCHED", "RCU", "HRTIMER")},
        }
        summary_path = os.path.join(rec["dir"], "perf-summary.json")
        trace_path = os.path.join(rec["dir"], "trace-summary.json")
        if rec.get("perf_data") and (os.path.exists(trace_path) or rec["dir"].endswith("-trace")):
            if os.path.exists(os.path.join(rec["dir"], rec["perf_data"])):
                tr = trace_summary(os.path.join(rec["dir"], rec["perf_data"]), a["t"], b["t"], a["threads"])
                traces.setdefault(rec["dir"], {})[f"{rec['round']}-{rec['trial']}"] = tr
            else:
                with open(trace_path) as f:
                    tr = json.load(f)[f"{rec['round']}-{rec['trial']}"]
            rec["trace"] = {k: v / frames for k, v in tr.items()}
            by_n.setdefault(rec["routers"], []).append(rec)
            continue
        if rec.get("perf_data") and not os.path.exists(os.path.join(rec["dir"], rec["perf_data"])):
            # the perf data are not kept in the repository; their per-trial summary is
            with open(summary_path) as f:
                rec["sym_ns_f"] = json.load(f)[f"{rec['round']}-{rec['trial']}"]
        elif rec.get("perf_data"):
            syms = perf_symbols(os.path.join(rec["dir"], rec["perf_data"]), a["t"], b["t"])
            total = sum(syms.values())
            # the cpu-clock periods add up to the window; scale them to it exactly
            rec["perf_cover"] = total / (dt * 1e9)
            rec["sym_ns_f"] = {s: c / total * dt * 1e9 / frames for s, c in syms.items()}
            ctx = perf_contexts(os.path.join(rec["dir"], rec["perf_data"]), a["t"], b["t"], a["threads"])
            for (c, g), v in ctx.items():
                rec["sym_ns_f"][f"ctx:{c}/{g}"] = v / total * dt * 1e9 / frames
            pids = perf_pids(os.path.join(rec["dir"], rec["perf_data"]), a["t"], b["t"])
            ptotal = sum(pids.values())
            for pid, v in pids.items():
                comm = a["threads"].get(pid, {}).get("comm", "")
                key = ("napi" if comm.startswith("napi/") else comm) if comm else ("idle/irq (pid 0)" if pid == "0" else "other")
                rec["sym_ns_f"]["task:" + key] = rec["sym_ns_f"].get("task:" + key, 0) + v / ptotal * dt * 1e9 / frames
        if "sym_ns_f" in rec and os.path.exists(os.path.join(rec["dir"], rec["perf_data"])):
            summaries.setdefault(rec["dir"], {})[f"{rec['round']}-{rec['trial']}"] = rec["sym_ns_f"]
        by_n.setdefault(rec["routers"], []).append(rec)
    for d, tr in traces.items():
        with open(os.path.join(d, "trace-summary.json"), "w") as f:
            json.dump(tr, f)
    for d, summ in summaries.items():
        with open(os.path.join(d, "perf-summary.json"), "w") as f:
            json.dump(summ, f)

    keys = ["rate", "threads_ns_f", "napi_ns_f", "ksoft_ns_f", "ksoft_runs_per_1000f", "ksoft_us_per_run",
            "napi_runs_per_1000f", "sirq_RCU_per_s", "sirq_NET_RX_per_s", "busy_ns_f", "sys_ns_f", "softirq_ns_f", "irq_ns_f",
            "vol_f", "invol_f", "RES_f", "CAL_f", "LOC_f", "TLB_f", "IWI_f", "sirq_NET_RX_f", "sirq_TIMER_f",
            "sirq_SCHED_f", "sirq_RCU_f"]
    ns = sorted(by_n)
    print("per trial (window inside the send time):")
    print("dir round trial routers perf " + " ".join(keys))
    for rec in rows:
        m = rec["m"]
        print(f"{os.path.basename(rec['dir'])} {rec['round']} {rec['trial']} {rec['routers']} {int(rec['perf'])} "
              + " ".join(f"{m[k]:.5g}" for k in keys))
    print()
    print("means by router count, all trials / trials without perf (mean, 95% t half-width):")
    for k in keys:
        cells = []
        for n in ns:
            for sel in ("all", "noperf"):
                v = [r["m"][k] for r in by_n[n] if sel == "all" or not r["perf"]]
                mu, hw = mean_hw(v)
                cells.append(f"n{n} {sel} {mu:.5g} +-{hw:.2g} ({len(v)})")
        print(f"{k}: " + "; ".join(cells))
    print()
    tkeys = sorted({k for n in ns for r in by_n[n] for k in r.get("trace", {})})
    if tkeys:
        print("tracepoints, per frame (mean over the traced trials; 95% t half-width), "
              + " vs ".join(f"{n} router(s)" for n in ns) + ":")
        for k in tkeys:
            cells = []
            for n in ns:
                mu, hw = mean_hw([r["trace"].get(k, 0.0) for r in by_n[n] if "trace" in r])
                cells.append(f"{mu:10.4g} +-{hw:8.2g}")
            print(f"{k:40s} " + "  ".join(cells))
        print()
    syms = {}
    for n in ns:
        for r in by_n[n]:
            for s in r.get("sym_ns_f", {}):
                syms[s] = syms.get(s, 0) + r["sym_ns_f"][s]
    top = sorted(syms, key=lambda s: (not s.startswith("ctx:"), -syms[s]))[:70]
    print("perf by symbol, ns per frame on CPU 1 (mean over the trials with perf; 95% t half-width), "
          + " vs ".join(f"{n} router(s)" for n in ns) + ", difference last - first:")
    for s in top:
        cells, means = [], []
        for n in ns:
            v = [r["sym_ns_f"].get(s, 0.0) for r in by_n[n] if "sym_ns_f" in r]
            mu, hw = mean_hw(v)
            means.append(mu)
            cells.append(f"{mu:8.1f} +-{hw:5.1f}")
        print(f"{s:40s} " + "  ".join(cells) + f"  diff {means[-1] - means[0]:+8.1f}")


def split(files):
    """CPU 1 per frame of committed fig8b-scheduled sets split into the NAPI threads and ksoftirqd/1,
    each regressed on the router count with one level per round (experiment and file), so the
    rounds' speeds are taken out. Reference rows (experiment with `ref`) are left out."""
    import csv

    import numpy as np

    sets = {}
    for path in files:
        with open(path) as f:
            for r in csv.DictReader(f):
                if "ref" in r["experiment"]:
                    continue
                key = (path, r["experiment"], r["set"])
                v = sets.setdefault(key, {})
                m = re.search(r"routers\.count=(\d+)", r["set"])
                if m:
                    v["n"] = int(m.group(1))
                if r["scope"] == "aggregate" and r["metric"] in ("forwarded_pps", "received_packets", "send_time"):
                    v[r["metric"]] = float(r["value"])
                if r["scope"] == "host" and r["metric"] == "cpu_window":
                    v["window"] = float(r["value"])
                if r["scope"].startswith("thread:") and r["metric"] in ("thread_cpu", "thread_run_time"):
                    v[(r["scope"], r["metric"])] = float(r["value"])
    rows = []
    def counted(k, metric):
        return isinstance(k, tuple) and k[1] == metric and (k[0].startswith("thread:vr") or k[0] == "thread:ksoftirqd/1")

    for (fname, exp, _), v in sets.items():
        if "forwarded_pps" not in v or "n" not in v:
            continue
        fw = v["forwarded_pps"]
        napi = sum(x for k, x in v.items() if isinstance(k, tuple) and k == (k[0], "thread_cpu") and k[0].startswith("thread:vr"))
        ks = v.get(("thread:ksoftirqd/1", "thread_cpu"), 0.0)
        run = sum(x for k, x in v.items() if counted(k, "thread_run_time"))
        rows.append((fname + "/" + exp, v["n"], napi / fw * 1e9, ks / fw * 1e9,
                     run / v["received_packets"] * 1e9 if "received_packets" in v else float("nan"),
                     (v["window"] - v["send_time"]) * 1e3 if "window" in v and "send_time" in v else float("nan"),
                     v["send_time"] / v["window"] if "window" in v and "send_time" in v else float("nan")))
    groups = sorted({r[0] for r in rows})
    print(f"{len(rows)} sets in {len(groups)} rounds; ns per frame on CPU 1, mean by router count; "
          "slope per router with the rounds' levels taken out (95% t interval)")
    for name, pick in (("NAPI threads", lambda r: r[2]), ("ksoftirqd/1", lambda r: r[3]),
                       ("both (the testbed's CPU 1: thread_cpu / forwarded_pps)", lambda r: r[2] + r[3]),
                       ("both as run time per received frame", lambda r: r[4]),
                       ("window - send time (ms)", lambda r: r[5]),
                       ("send time / window", lambda r: r[6])):
        y = np.array([pick(r) for r in rows])
        a = np.zeros((len(rows), 1 + len(groups)))
        for i, r in enumerate(rows):
            a[i, 0] = r[1]
            a[i, 1 + groups.index(r[0])] = 1
        b = np.linalg.lstsq(a, y, rcond=None)[0]
        e = y - a @ b
        dof = len(y) - a.shape[1]
        cov = (e @ e / dof) * np.linalg.inv(a.T @ a)
        hw = 1.99 * cov[0, 0] ** 0.5
        means = ", ".join(f"{n}: {np.mean([pick(r) for r in rows if r[1] == n]):.4g}"
                          for n in sorted({r[1] for r in rows}))
        print(f"{name}: {means}; slope {b[0]:+.4g} per router ({b[0] - hw:+.4g} ... {b[0] + hw:+.4g})")
    # the window's extra as one line over every set: intercept + per sender (one sender per router)
    pts = [(r[1], r[5]) for r in rows if r[5] == r[5]]
    if len(pts) > 2:
        x = np.array([[1.0, n] for n, _ in pts])
        y = np.array([v for _, v in pts])
        b = np.linalg.lstsq(x, y, rcond=None)[0]
        e = y - x @ b
        cov = (e @ e / (len(y) - 2)) * np.linalg.inv(x.T @ x)
        print(f"window - send time, one line over the {len(y)} sets: {b[0]:.2f} ms (+-{1.99 * cov[0, 0] ** 0.5:.2f}) + "
              f"{b[1]:.2f} ms (+-{1.99 * cov[1, 1] ** 0.5:.2f}) per sender")


def mean_hw(v):
    t95 = {1: 12.71, 2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 6: 2.45, 7: 2.36, 8: 2.31, 9: 2.26, 10: 2.23, 11: 2.20,
           12: 2.18, 13: 2.16, 14: 2.14, 15: 2.13}
    if not v:
        return float("nan"), float("nan")
    mu = sum(v) / len(v)
    if len(v) < 2:
        return mu, float("nan")
    sd = (sum((x - mu) ** 2 for x in v) / (len(v) - 1)) ** 0.5
    return mu, t95.get(len(v) - 1, 2.0) * sd / len(v) ** 0.5


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--vrsim", default=".build/release/vrsim", help="vrsim binary (default %(default)s)")
    p.add_argument("--scenario", default="scenarios/testbed/fig8b-scheduled.yaml")
    p.add_argument("--routers", default="1,8", help="router counts, comma-separated (default %(default)s)")
    p.add_argument("--rate", default="131kpps", help="total offered rate (default %(default)s)")
    p.add_argument("--rounds", type=int, default=3, help="testbed runs; the router order alternates (default 3)")
    p.add_argument("--reps", type=int, default=2, help="trials per router count and round (default 2)")
    p.add_argument("--duration", type=float, default=10, help="trial send time in s (default 10)")
    p.add_argument("--offset", type=float, default=1.5, help="s after the senders start before sampling (default 1.5)")
    p.add_argument("--window", type=float, default=6, help="sampling window in s (default 6)")
    p.add_argument("--perf-freq", type=int, default=1999, help="perf sampling rate in Hz, 0 = no perf (default 1999)")
    p.add_argument("--events", help="record these tracepoints (comma-separated) instead of cpu-clock samples")
    p.add_argument("--perf-all", action="store_true", help="perf in every round (default: rounds 0 and 3 of every 4)")
    p.add_argument("--out", help="output folder (samples.json, perf data, testbed CSVs)")
    p.add_argument("--analyse", nargs="+", metavar="DIR", help="analyse the given output folders")
    p.add_argument("--split", nargs="+", metavar="CSV", help="split committed fig8b-scheduled sets' CPU 1")
    args = p.parse_args()
    if args.analyse:
        analyse(args.analyse)
        return 0
    if args.split:
        split(args.split)
        return 0
    if not args.out:
        p.error("--out is required when measuring")
    return measure(args)


if __name__ == "__main__":
    sys.exit(main())
