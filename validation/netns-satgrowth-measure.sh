#!/bin/bash
# Why the saturated rate on one CPU falls with the router count (issue 20), in one quiet window:
#   VRSIM=path/to/vrsim PERFDIR=dir bash validation/netns-satgrowth-measure.sh [COUNTS]
# For netns-router and netns-bridge at each router count (default 1 2 4 8): `perf record -a -g`
# around one saturated 3 s trafgen trial (scenarios/testbed/satgrowth-profile.yaml, 64 B at
# 1 Mp/s, every chain on CPU 0), written to PERFDIR/PLATFORM-N.{data,csv}; while the trial
# runs, dom0's policy rules, bridge FDB and link counters of this run's own namespaces are read
# once a second from CPU 1 (PERFDIR/PLATFORM-N.state, every reading, each after its time).
# scripts/netns-perf-hop.py PERFDIR NAME... turns the profiles into cycles per frame.
set -eu
VRSIM=${VRSIM:-vrsim}
PERFDIR=${PERFDIR:-$(mktemp -d)}
COUNTS=${1:-1 2 4 8}
mkdir -p "$PERFDIR"
cd "$(dirname "$0")/.."
for platform in netns-router netns-bridge; do
  for n in $COUNTS; do
    name=$platform-$n
    perf record -a -g -q -o "$PERFDIR/$name.data" -- \
      "$VRSIM" testbed run scenarios/testbed/satgrowth-profile.yaml --set platform=$platform \
      --set routers.count=$n --ceiling-packets 1000 --experiment satgrowth --out "$PERFDIR/$name.csv" &
    perfpid=$!
    state=$PERFDIR/$name.state
    : >"$state"
    while kill -0 $perfpid 2>/dev/null; do
      vpid=$(pgrep -P $perfpid -x vrsim || true)
      if [ -n "$vpid" ]; then
        ns=vrt$(printf %x "$vpid")-dom0
        if ip netns list | grep -q "^$ns\b"; then
          taskset -c 1 bash -c "{ echo \"@@ \$(date -u +%T.%N)\"; ip -n $ns rule show; bridge -n $ns fdb show; \
            ip -n $ns -s link show; for r in \$(ip netns list | grep -o '^vrt$(printf %x "$vpid")-vr[0-9]*'); do echo \"== \$r\"; ip -n \$r -s link show; done; } >$state.tmp 2>&1" \
            && cat "$state.tmp" >>"$state"
        fi
      fi
      sleep 1
    done
    wait $perfpid
  done
done
echo "profiles in $PERFDIR"
