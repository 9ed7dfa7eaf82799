#!/bin/bash
# softirq_exact by BPF instead of ftrace (validation/netns-udp-validation.md, "The exact softirq share"): on a
# netns-router-like path of its own (namespaces sxq-g, sxq-r, sxq-s, removed on exit), iperf3 UDP 1472 B
# from CPU 0, the server on CPU 1; validation/netns-udp-softirq-bpf.c (compiled here with gcc) attaches two
# hand-assembled raw-tracepoint programs to irq:softirq_entry / softirq_exit that add each softirq's duration
# (bpf_ktime_get_ns) to a per-CPU array per vector; nothing is recorded per event. Per CPU over a 2 s window:
# that softirq time, busy_exact (cpuidle residency, read pinned on the CPU) and /proc/stat's softirq share;
# and the cost: saturated throughput with and without the programs attached, alternated in the same run.
# As root, on a quiet machine:
#   bash validation/netns-udp-softirq-bpf-probe.sh        (about 3 min)
#   PART=cost bash validation/netns-udp-softirq-bpf-probe.sh   (about 2 min: only the fine-grained cost,
#     programs attached and detached every 250 ms for 10 s under one saturated sender, every softirq timed
#     and one in 8, then the sampled reading beside busy_exact)
#   PART=cost2 bash validation/netns-udp-softirq-bpf-probe.sh  (about 2 min: the same alternation for the
#     BPF programs and for an ftrace instance's two events (instance sxq-cost, removed on exit), 4 rounds each)
set -u
W=${KEEP:-$(mktemp -d)}
T=/sys/kernel/tracing/instances/sxq-cost
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
gcc -O2 -Wall -o $W/softirq-bpf "$(dirname "$0")/netns-udp-softirq-bpf.c" || exit 1
snap() { # $1 = tag: marker, pinned cpuidle reads, /proc/stat
  [ -n "${BPF_PID:-}" ] && { echo >&${BPF[1]}; read -r l <&${BPF[0]}; echo "bpf $l"; }
  for k in 0 1; do taskset -c $k sh -c "echo idle $k \$(date +%s%N) \$(cat /sys/devices/system/cpu/cpu$k/cpuidle/state*/time | paste -sd+ | bc)"; done
  grep '^cpu[01] ' /proc/stat | sed 's/^/stat /'
}
run() { # rate_pps trace(0/1) tag
  local bits=$(( $1 * 1472 * 8 ))
  ip netns exec sxq-s taskset -c 1 iperf3 -s -1 -J -B 10.92.1.2 >$W/s-$3.json & local s=$!
  sleep 0.3
  BPF_PID=
  if [ $2 = 1 ]; then coproc BPF { exec $W/softirq-bpf ${SHIFT:-0}; }; BPF_PID=$BPF_PID; read -r l <&${BPF[0]}; fi
  ip netns exec sxq-g taskset -c 0 iperf3 -J -c 10.92.1.2 -u -l 1472 -b $bits -t 3 >$W/c-$3.json & local c=$!
  sleep 0.5; snap b >$W/b-$3.txt; sleep 2; snap a >$W/a-$3.txt
  wait $c $s
  if [ -n "$BPF_PID" ]; then eval "exec ${BPF[1]}>&-"; wait $BPF_PID; BPF_PID=; fi
}
cost() { # SHIFT [ftrace]: the saturated sender's tx_packets rate with and without the programs, alternated every 250 ms
  ip netns exec sxq-s taskset -c 1 iperf3 -s -1 -J -B 10.92.1.2 >/dev/null & local s=$!
  sleep 0.3
  ip netns exec sxq-g taskset -c 0 iperf3 -J -c 10.92.1.2 -u -l 1472 -b 4710400000 -t 12 >/dev/null & local c=$!
  sleep 1
  if [ "${2:-}" = ftrace ]; then
    echo "cost, ftrace instance: $(nsenter --net=/run/netns/sxq-g taskset -c 1 $W/softirq-bpf costfiles dev:sxqg 250 10 $T/events/irq/softirq_entry/enable $T/events/irq/softirq_exit/enable)"
  else
    echo "cost, one in 2^$1 softirqs timed: $(nsenter --net=/run/netns/sxq-g taskset -c 1 $W/softirq-bpf cost dev:sxqg 250 10 $1)"
  fi
  wait $c $s
}
if [ "${PART:-}" = cost2 ]; then
  mkdir $T; echo 65536 >$T/buffer_size_kb; echo mono >$T/trace_clock; echo 1 >$T/tracing_on
  for i in 1 2 3 4; do cost 0; cost 0 ftrace; done
  exit 0
fi
if [ "${PART:-}" = cost ]; then
  for sh in 0 3 0 3; do cost $sh; done
  SHIFT=3
  for i in 1 2; do run 60000 1 low60k-s3-$i; run 400000 1 sat-s3-$i; done
  python3 - "$W" <<'PY'
import sys
W = sys.argv[1]
def snap(f):
    d = {}
    for l in open(f):
        p = l.split()
        if p[0] == "bpf": d["bpf"] = (int(p[1]), {int(x.split(":")[0][3:]): list(map(int, x.split(":")[1].split(","))) for x in p[2:]})
        elif p[0] == "idle": d[("idle", int(p[1]))] = (int(p[2]), int(p[3]))
        else: d[("stat", int(p[1][3:]))] = list(map(int, p[2:]))
    return d
for tag in ["low60k-s3-1", "low60k-s3-2", "sat-s3-1", "sat-s3-2"]:
    b, a = snap(f"{W}/b-{tag}.txt"), snap(f"{W}/a-{tag}.txt")
    (t0, x0), (t1, x1) = b["bpf"], a["bpf"]
    for k in (0, 1):
        (tb, ib), (ta, ia) = b[("idle", k)], a[("idle", k)]
        d = [x - y for x, y in zip(a[("stat", k)], b[("stat", k)])]; jt = sum(d[:8])
        print(f"{tag} cpu{k}: softirq_exact (1 in 8) {(sum(x1[k]) - sum(x0[k])) / (t1 - t0):.4f} | busy_exact {1 - (ia - ib) * 1000 / (ta - tb):.4f} | /proc/stat softirq {d[6]/jt:.4f}")
PY
  exit 0
fi
for i in 1 2 3 4 5 6; do run 400000 1 sat-on-$i; run 400000 0 sat-off-$i; done
for i in 1 2 3; do run 60000 0 low60k-off-$i; run 60000 1 low60k-$i; done
run 20000 1 low20k
python3 - "$W" <<'PY'
import sys, json, re, os, glob
W = sys.argv[1]
VEC = ['HI', 'TIMER', 'NET_TX', 'NET_RX', 'BLOCK', 'IRQ_POLL', 'TASKLET', 'SCHED', 'HRTIMER', 'RCU']
def tput(tag):
    d = json.load(open(f"{W}/s-{tag}.json"))
    s = d["end"]["sum"]; return s["packets"] / s["seconds"]
def snap(f):
    d = {}
    for l in open(f):
        p = l.split()
        if p[0] == "bpf": d["bpf"] = (int(p[1]), {int(x.split(":")[0][3:]): list(map(int, x.split(":")[1].split(","))) for x in p[2:]})
        elif p[0] == "idle": d[("idle", int(p[1]))] = (int(p[2]), int(p[3]))
        else: d[("stat", int(p[1][3:]))] = list(map(int, p[2:]))
    return d
def trace(tag):
    b, a = snap(f"{W}/b-{tag}.txt"), snap(f"{W}/a-{tag}.txt")
    (t0, x0), (t1, x1) = b["bpf"], a["bpf"]
    tot = {c: sum(x1[c]) - sum(x0[c]) for c in x1}
    vec = {(c, VEC[v]): x1[c][v] - x0[c][v] for c in x1 for v in range(10) if x1[c][v] > x0[c][v]}
    return t1 - t0, tot, vec, 0
on = [tput(f"sat-on-{i}") for i in range(1, 7)]; off = [tput(f"sat-off-{i}") for i in range(1, 7)]
print("saturated throughput (pps, server-received), programs attached:", [round(x) for x in on], "not:", [round(x) for x in off])
print(f"  cost: {100*(1-sum(on)/sum(off)):.2f}%  per pair:", [f"{100*(1-a/b):.2f}%" for a, b in zip(on, off)])
def busy(tag, k):
    b, a = snap(f"{W}/b-{tag}.txt"), snap(f"{W}/a-{tag}.txt")
    (tb, ib), (ta, ia) = b[("idle", k)], a[("idle", k)]
    return 1 - (ia - ib) * 1000 / (ta - tb)
print("60 kp/s, CPU 0 busy_exact with the programs attached:", [f"{busy(f'low60k-{i}', 0):.4f}" for i in (1, 2, 3)],
      "without:", [f"{busy(f'low60k-off-{i}', 0):.4f}" for i in (1, 2, 3)])
for tag in ["sat-on-1", "sat-on-2", "sat-on-3", "low20k", "low60k-1", "low60k-2"]:
    b, a = snap(f"{W}/b-{tag}.txt"), snap(f"{W}/a-{tag}.txt")
    win, tot, vec, unp = trace(tag)
    print(f"\n{tag}: window {win/1e9:.4f} s; throughput {tput(tag):.0f} pps")
    for k in (0, 1):
        (tb, ib), (ta, ia) = b[("idle", k)], a[("idle", k)]
        be = 1 - (ia - ib) * 1000 / (ta - tb)
        d = [x - y for x, y in zip(a[("stat", k)], b[("stat", k)])]; jt = sum(d[:8])
        vs = " ".join(f"{v}={vec[(c, v)]/win:.4f}" for (c, v) in sorted(vec) if c == k)
        print(f"  cpu{k}: softirq_exact {tot.get(k,0)/win:.4f} | busy_exact {be:.4f} | /proc/stat softirq {d[6]/jt:.4f} busy {(jt-d[3]-d[4]-d[7])/jt:.4f} ({jt} jiffies) | per vec: {vs}")
PY
