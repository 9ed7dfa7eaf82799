#!/bin/bash
# The premise of busy_exact (validation/netns-udp-validation.md, "The exact CPU counter"): on a
# netns-router-like path of its own (namespaces exq-g, exq-r, exq-s, removed on exit), iperf3 UDP
# 1472 B from CPU 0, the server on CPU 1 or 0; over a 3 s window in the sending, per CPU: the busy
# share from cpuidle's residency (read pinned on the CPU), /proc/stat's columns, the idle entries
# per second, and the two iperf3 processes' schedstat run time. As root, on a quiet machine:
#   bash validation/netns-udp-exact-probe.sh   (about 1 min; the figures in the note came from one quiet window)
set -u
W=$(mktemp -d)
cleanup() { for n in exq-g exq-r exq-s; do ip netns pids $n 2>/dev/null | xargs -r kill 2>/dev/null; ip netns del $n 2>/dev/null; done; }
trap 'cleanup; rm -rf "$W"' EXIT
cleanup
for n in exq-g exq-r exq-s; do ip netns add $n; ip -n $n link set lo up; done
ip link add exqg type veth peer name exqr1 ; ip link set exqg netns exq-g; ip link set exqr1 netns exq-r
ip link add exqr2 type veth peer name exqs ; ip link set exqr2 netns exq-r; ip link set exqs netns exq-s
ip -n exq-g addr add 10.91.0.1/24 dev exqg; ip -n exq-g link set exqg up; ip -n exq-g route add default via 10.91.0.2
ip -n exq-r addr add 10.91.0.2/24 dev exqr1; ip -n exq-r addr add 10.91.1.1/24 dev exqr2
ip -n exq-r link set exqr1 up; ip -n exq-r link set exqr2 up; ip netns exec exq-r sysctl -qw net.ipv4.ip_forward=1
ip -n exq-s addr add 10.91.1.2/24 dev exqs; ip -n exq-s link set exqs up; ip -n exq-s route add default via 10.91.1.1
snap() { # per CPU pinned read: ns timestamp + idle residency sum (us)
  for k in 0 1; do taskset -c $k sh -c "date +%s%N; cat /sys/devices/system/cpu/cpu$k/cpuidle/state*/time; cat /sys/devices/system/cpu/cpu$k/cpuidle/state*/usage | paste -sd+ | sed s/^/U/" | tr '\n' ' ' | sed "s/^/idle $k /"; echo; done
  grep '^cpu[01] ' /proc/stat | sed 's/^/stat /'
  for p in $CPID $SPID; do echo "sched $p $(cut -d' ' -f1 /proc/$p/schedstat)"; done
}
run() { # rate_pps recvcpu
  local pps=$1 rc=$2 bits=$(( $1 * 1472 * 8 ))
  ip netns exec exq-s taskset -c $rc iperf3 -s -1 -J -B 10.91.1.2 >$W/s.json & SPID=$!
  sleep 0.3
  ip netns exec exq-g taskset -c 0 iperf3 -J -c 10.91.1.2 -u -l 1472 -b $bits -t 4 >$W/c.json & CPID=$!
  sleep 0.5
  SPID=$(pgrep -f "iperf3 -s -1 -J -B 10.91.1.2" | head -1); CPID=$(pgrep -f "iperf3 -J -c 10.91.1.2" | head -1)
  snap > $W/b.txt; sleep 3; snap > $W/a.txt
  wait
  python3 - "$pps" "$rc" "$W" <<'PY'
import sys
def rd(f):
    d={}
    for l in open(f):
        p=l.split()
        if p[0]=='idle': d[('idle',int(p[1]))]=(int(p[2]),sum(int(x) for x in p[3:] if not x.startswith('U'))); d[('use',int(p[1]))]=sum(int(y) for x in p[3:] if x.startswith('U') for y in x[1:].split('+'))
        elif p[0]=='stat': d[('stat',p[1])]=list(map(int,p[2:]))
        elif p[0]=='sched': d.setdefault('sched',[]).append(int(p[2]))
    return d
b=rd(sys.argv[3] + '/b.txt'); a=rd(sys.argv[3] + '/a.txt')
print(f"rate {sys.argv[1]} pps, receiver CPU {sys.argv[2]}")
for k in (0,1):
    tb,ib=b[('idle',k)]; ta,ia=a[('idle',k)]
    w=(ta-tb)/1e9; busy=1-(ia-ib)/1e6/w
    sb=b[('stat','cpu%d'%k)]; sa=a[('stat','cpu%d'%k)]
    d=[x-y for x,y in zip(sa,sb)]; tot=sum(d[:8])
    ents=(a[('use',k)]-b[('use',k)])/w
    print(f" cpu{k}: idle entries {ents:.0f}/s iowait {d[4]/tot:.4f}")
    print(f" cpu{k}: window {w:.4f}s cpuidle-busy {busy:.4f} | /proc/stat busy(ex idle,iowait,steal) {(tot-d[3]-d[4]-d[7])/tot:.4f} idle {d[3]/tot:.4f} steal {d[7]/tot:.4f} softirq {d[6]/tot:.4f} sys {d[2]/tot:.4f} user {(d[0]+d[1])/tot:.4f} irq {d[5]/tot:.4f} total_jiffies {tot} (expect {w*100:.0f})")
cs=[(x-y)/1e9 for x,y in zip(a['sched'],b['sched'])]
w=(a[('idle',0)][0]-b[('idle',0)][0])/1e9
print(f" schedstat exact: client {cs[0]/w:.4f}  server {cs[1]/w:.4f}  of a CPU")
PY
}
run 1 1
run 20000 1
run 200000 1
run 60000 0
run 200000 0
