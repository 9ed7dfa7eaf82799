#!/bin/bash
# The premise of softirq_exact (validation/netns-udp-validation.md, "The exact softirq share"): on a
# netns-router-like path of its own (namespaces sxq-g, sxq-r, sxq-s, removed on exit), iperf3 UDP 1472 B
# from CPU 0, the server on CPU 1, with a private ftrace instance (sxq-probe, removed on exit) recording
# only irq:softirq_entry / irq:softirq_exit, trace_clock mono, a trace_marker line at each end of the
# window. Per CPU over a 2 s window: the softirq time from the paired events (per vector), busy_exact
# (cpuidle residency, read pinned on the CPU) and /proc/stat's softirq share; and the probe's cost:
# saturated throughput with and without the instance recording, alternated in the same run. As root,
# on a quiet machine:
#   bash validation/netns-udp-softirq-probe.sh   (about 1 min)
set -u
W=${KEEP:-$(mktemp -d)}
T=/sys/kernel/tracing/instances/sxq-probe
cleanup() {
  [ -d $T ] && { echo 0 >$T/tracing_on; echo 0 >$T/events/irq/softirq_entry/enable; echo 0 >$T/events/irq/softirq_exit/enable; rmdir $T; }
  for n in sxq-g sxq-r sxq-s; do ip netns pids $n 2>/dev/null | xargs -r kill 2>/dev/null; ip netns del $n 2>/dev/null; done
}
trap 'cleanup; [ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
cleanup
for n in sxq-g sxq-r sxq-s; do ip netns add $n; ip -n $n link set lo up; done
ip link add sxqg type veth peer name sxqr1 ; ip link set sxqg netns sxq-g; ip link set sxqr1 netns sxq-r
ip link add sxqr2 type veth peer name sxqs ; ip link set sxqr2 netns sxq-r; ip link set sxqs netns sxq-s
ip -n sxq-g addr add 10.92.0.1/24 dev sxqg; ip -n sxq-g link set sxqg up; ip -n sxq-g route add default via 10.92.0.2
ip -n sxq-r addr add 10.92.0.2/24 dev sxqr1; ip -n sxq-r addr add 10.92.1.1/24 dev sxqr2
ip -n sxq-r link set sxqr1 up; ip -n sxq-r link set sxqr2 up; ip netns exec sxq-r sysctl -qw net.ipv4.ip_forward=1
ip -n sxq-s addr add 10.92.1.2/24 dev sxqs; ip -n sxq-s link set sxqs up; ip -n sxq-s route add default via 10.92.1.1
mkdir $T
echo 65536 >$T/buffer_size_kb
echo mono >$T/trace_clock
echo 0 >$T/tracing_on
snap() { # $1 = tag: marker, pinned cpuidle reads, /proc/stat
  [ "$(cat $T/tracing_on)" = 1 ] && echo "sxq-$1" >$T/trace_marker
  for k in 0 1; do taskset -c $k sh -c "echo idle $k \$(date +%s%N) \$(cat /sys/devices/system/cpu/cpu$k/cpuidle/state*/time | paste -sd+ | bc)"; done
  grep '^cpu[01] ' /proc/stat | sed 's/^/stat /'
}
run() { # rate_pps trace(0/1) tag
  local bits=$(( $1 * 1472 * 8 ))
  ip netns exec sxq-s taskset -c 1 iperf3 -s -1 -J -B 10.92.1.2 >$W/s-$3.json & local s=$!
  sleep 0.3
  echo >$T/trace
  echo $2 >$T/events/irq/softirq_entry/enable; echo $2 >$T/events/irq/softirq_exit/enable; echo $2 >$T/tracing_on
  ip netns exec sxq-g taskset -c 0 iperf3 -J -c 10.92.1.2 -u -l 1472 -b $bits -t 3 >$W/c-$3.json & local c=$!
  sleep 0.5; snap b >$W/b-$3.txt; sleep 2; snap a >$W/a-$3.txt
  wait $c $s
  echo 0 >$T/tracing_on; echo 0 >$T/events/irq/softirq_entry/enable; echo 0 >$T/events/irq/softirq_exit/enable
  if [ $2 = 1 ]; then cat $T/trace >$W/t-$3.txt; cat $T/per_cpu/cpu0/stats $T/per_cpu/cpu1/stats | grep -E 'overrun|dropped' | tr '\n' ' ' >$W/o-$3.txt; fi
}
for i in 1 2 3 4 5 6; do run 400000 1 sat-on-$i; run 400000 0 sat-off-$i; done
for i in 1 2 3; do run 60000 0 low60k-off-$i; run 60000 1 low60k-$i; done
run 20000 1 low20k
python3 - "$W" <<'PY'
import sys, json, re, os, glob
W = sys.argv[1]
line = re.compile(r'\[(\d+)\].*?\s(\d+)\.(\d+): (softirq_entry|softirq_exit|tracing_mark_write): (?:vec=(\d+) \[action=(\w+)\]|(\S+))')
def tput(tag):
    d = json.load(open(f"{W}/s-{tag}.json"))
    s = d["end"]["sum"]; return s["packets"] / s["seconds"]
def snap(f):
    d = {}
    for l in open(f):
        p = l.split()
        if p[0] == "idle": d[("idle", int(p[1]))] = (int(p[2]), int(p[3]))
        else: d[("stat", int(p[1][3:]))] = list(map(int, p[2:]))
    return d
def trace(tag):
    marks = {}; open_ = {}; tot = {}; vec = {}; unpaired = 0
    ev = []
    for l in open(f"{W}/t-{tag}.txt"):
        m = line.search(l)
        if not m: continue
        cpu, t = int(m.group(1)), int(m.group(2)) * 1_000_000 + int(m.group(3))
        ev.append((cpu, t, m.group(4), m.group(6), m.group(7)))
    for cpu, t, k, v, mk in ev:
        if k == "tracing_mark_write": marks[mk] = t
    t0, t1 = marks["sxq-b"], marks["sxq-a"]
    for cpu, t, k, v, mk in ev:
        if k == "softirq_entry": open_[cpu] = (t, v)
        elif k == "softirq_exit":
            if cpu in open_:
                s, vv = open_.pop(cpu)
                a, b = max(s, t0), min(t, t1)
                if b > a:
                    tot[cpu] = tot.get(cpu, 0) + (b - a); vec[(cpu, vv)] = vec.get((cpu, vv), 0) + (b - a)
            else: unpaired += 1
    return t1 - t0, tot, vec, unpaired
on = [tput(f"sat-on-{i}") for i in range(1, 7)]; off = [tput(f"sat-off-{i}") for i in range(1, 7)]
print("saturated throughput (pps, server-received), trace on:", [round(x) for x in on], "off:", [round(x) for x in off])
print(f"  cost: {100*(1-sum(on)/sum(off)):.2f}%  per pair:", [f"{100*(1-a/b):.2f}%" for a, b in zip(on, off)])
def busy(tag, k):
    b, a = snap(f"{W}/b-{tag}.txt"), snap(f"{W}/a-{tag}.txt")
    (tb, ib), (ta, ia) = b[("idle", k)], a[("idle", k)]
    return 1 - (ia - ib) * 1000 / (ta - tb)
print("60 kp/s, CPU 0 busy_exact with the instance recording:", [f"{busy(f'low60k-{i}', 0):.4f}" for i in (1, 2, 3)],
      "without:", [f"{busy(f'low60k-off-{i}', 0):.4f}" for i in (1, 2, 3)])
for tag in ["sat-on-1", "sat-on-2", "sat-on-3", "low20k", "low60k-1", "low60k-2"]:
    b, a = snap(f"{W}/b-{tag}.txt"), snap(f"{W}/a-{tag}.txt")
    win, tot, vec, unp = trace(tag)
    print(f"\n{tag}: trace window {win/1e6:.4f} s, unpaired exits {unp}, overruns: {open(f'{W}/o-{tag}.txt').read()}; throughput {tput(tag):.0f} pps")
    for k in (0, 1):
        (tb, ib), (ta, ia) = b[("idle", k)], a[("idle", k)]
        be = 1 - (ia - ib) * 1000 / (ta - tb)
        d = [x - y for x, y in zip(a[("stat", k)], b[("stat", k)])]; jt = sum(d[:8])
        vs = " ".join(f"{v}={vec[(c, v)]/win:.4f}" for (c, v) in sorted(vec) if c == k)
        print(f"  cpu{k}: softirq_exact {tot.get(k,0)/win:.4f} | busy_exact {be:.4f} | /proc/stat softirq {d[6]/jt:.4f} busy {(jt-d[3]-d[4]-d[7])/jt:.4f} ({jt} jiffies) | per vec: {vs}")
PY
