#!/usr/bin/env python3
"""Cycles per frame by kernel function, from `perf record -a -g` profiles of saturated testbed trials.

  python3 scripts/netns-perf-hop.py PERFDIR NAME [NAME...] [--clock 2.5e9] [--top 25]

For each NAME, reads PERFDIR/NAME.data (perf record -a -g around `vrsim testbed run`, as
validation/netns-hop-bytes-measure.sh makes them) and PERFDIR/NAME.csv (the trial's rows). The
sender is the iperf3 or trafgen process with the most samples on CPU 0; the window is its first
to last sample there. Every CPU 0 sample in the window counts (the sender, the softirq it runs,
ksoftirqd/0); frames = the trial's offered_pps x the window. Each sample is one sampling period
of CPU time (cpu-clock, the recorded frequency), so cycles per frame = samples x clock / freq /
frames. Printed per NAME: the busy total; the inclusive cycles of the functions named below (a
sample counts for a function anywhere on its stack); then the self cycles of the symbols with the
largest difference from the first NAME.
"""
import collections
import csv
import re
import subprocess
import sys

INCLUSIVE = [
    "udp_sendmsg", "packet_sendmsg", "net_rx_action", "veth_xmit", "__dev_forward_skb", "ip_rcv",
    "ip_forward", "ip_route_input_noref", "ip_route_input_slow", "fib_rules_lookup",
    "fib_table_lookup", "fib_validate_source", "__fib_validate_source", "ip_local_deliver",
    "udp_rcv", "__udp_enqueue_schedule_skb", "br_handle_frame", "nf_hook_slow",
    "dst_destroy", "kfree_skb_reason", "consume_skb", "skb_release_data", "sock_wfree",
    "__bpf_prog_enter_recur", "csum_partial", "skb_checksum_help", "memcpy_orig", "_copy_from_iter",
    "ip_make_skb", "udp_send_skb", "handle_softirqs", "sock_def_readable", "try_to_wake_up",
    "__smp_call_single_queue", "do_select", "schedule",
]


def samples(path):
    out = subprocess.run(["perf", "script", "-i", path, "-F", "comm,pid,cpu,time,ip,sym"],
                         capture_output=True, text=True, check=True).stdout
    head = re.compile(r"^(.+?)\s+(\d+)\s+\[(\d+)\]\s+([\d.]+):")
    cur = None
    for line in out.splitlines():
        if not line.strip():
            if cur:
                yield cur
            cur = None
            continue
        m = head.match(line)
        if m and not line.startswith("\t"):
            cur = (m.group(1).strip(), int(m.group(2)), int(m.group(3)), float(m.group(4)), [])
        elif cur is not None:
            parts = line.split(None, 1)
            cur[4].append(parts[1].strip() if len(parts) > 1 else "?")
    if cur:
        yield cur


def freq(path):
    out = subprocess.run(["perf", "report", "-i", path, "--header-only"], capture_output=True, text=True).stdout
    m = re.search(r"sample_freq \} = (\d+)", out)
    return int(m.group(1)) if m else 4000


def rate(csvpath):
    for r in csv.DictReader(open(csvpath)):
        if r["scope"] == "aggregate" and r["metric"] == "offered_pps":
            return float(r["value"])
    raise SystemExit(f"{csvpath}: no aggregate offered_pps row")


def profile(perfdir, name, clock):
    data = f"{perfdir}/{name}.data"
    all0 = [s for s in samples(data) if s[2] == 0]
    per = collections.Counter(s[1] for s in all0 if s[0] in ("iperf3", "trafgen"))
    sender = per.most_common(1)[0][0]
    times = [s[3] for s in all0 if s[1] == sender]
    lo, hi = min(times), max(times)
    window = [s for s in all0 if lo <= s[3] <= hi]
    pps = rate(f"{perfdir}/{name}.csv")
    frames = pps * (hi - lo)
    per_sample = clock / freq(data) / frames
    busy = [s for s in window if s[0] != "swapper"]
    inc = collections.Counter()
    selfc = collections.Counter()
    for s in busy:
        names = set(re.sub(r"\+0x[0-9a-f]+$", "", f) for f in s[4])
        for f in INCLUSIVE:
            if f in names:
                inc[f] += 1
        selfc[re.sub(r"\+0x[0-9a-f]+$", "", s[4][0]) if s[4] else "?"] += 1
    return {
        "pps": pps, "window": hi - lo, "busy": len(busy) * per_sample,
        "idle": (len(window) - len(busy)) * per_sample,
        "inc": {f: inc[f] * per_sample for f in INCLUSIVE},
        "self": {k: v * per_sample for k, v in selfc.items()},
    }


def main():
    args = sys.argv[1:]
    clock, top = 2.5e9, 25
    if "--clock" in args:
        i = args.index("--clock"); clock = float(args[i + 1]); del args[i:i + 2]
    if "--top" in args:
        i = args.index("--top"); top = int(args[i + 1]); del args[i:i + 2]
    perfdir, names = args[0], args[1:]
    ps = {n: profile(perfdir, n, clock) for n in names}
    w = max(len(n) for n in names)
    print("cycles per frame on CPU 0 (clock %.3g Hz)" % clock)
    print("%-28s" % "" + "".join("%*s" % (w + 2, n) for n in names))
    print("%-28s" % "offered pps" + "".join("%*.0f" % (w + 2, ps[n]["pps"]) for n in names))
    print("%-28s" % "window s" + "".join("%*.2f" % (w + 2, ps[n]["window"]) for n in names))
    print("%-28s" % "busy (all but idle)" + "".join("%*.0f" % (w + 2, ps[n]["busy"]) for n in names))
    print("%-28s" % "idle" + "".join("%*.0f" % (w + 2, ps[n]["idle"]) for n in names))
    print("inclusive:")
    for f in INCLUSIVE:
        print("  %-26s" % f + "".join("%*.0f" % (w + 2, ps[n]["inc"][f]) for n in names))
    base = ps[names[0]]["self"]
    syms = set().union(*(p["self"] for p in ps.values()))
    diff = sorted(syms, key=lambda k: -max(abs(ps[n]["self"].get(k, 0) - base.get(k, 0)) for n in names))
    print("self, largest differences from %s:" % names[0])
    for k in diff[:top]:
        print("  %-26s" % k[:26] + "".join("%*.0f" % (w + 2, ps[n]["self"].get(k, 0)) for n in names))


if __name__ == "__main__":
    main()
