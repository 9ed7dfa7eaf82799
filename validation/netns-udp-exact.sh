#!/bin/bash
# The netns UDP model's CPU rows against the exact per-CPU busy share (busy_exact: cpuidle's
# idle-state residency, read on each CPU; validation/netns-udp-validation.md, "The exact CPU
# counter"), beside /proc/stat's tick-sampled rows, on the sets measured with it:
#   VRSIM=.build/release/vrsim bash validation/netns-udp-measure.sh 2026-12-06-exact
# (the measurement; not repeated here). This script reproduces the tables from the committed files:
#   VRSIM=path/to/vrsim bash validation/netns-udp-exact.sh [OUTDIR]     (release build: about 1 min)
set -eu
VRSIM=${VRSIM:-vrsim}
OUT=${1:-$(mktemp -d)}
mkdir -p "$OUT"
cd "$(dirname "$0")/.."
DAY=2026-12-06-exact
ID=validation/testbed-udp-identify-$DAY-vm.csv
HO=validation/testbed-udp-heldout-$DAY-vm.csv
# validation/netns-eevdf.sh's run settings for the UDP profiles (validation/netns-udp-fit.sh's hop costs)
RUN=(--set profile.testbed_window_extra=0s --set run.duration=1s --set run.warmup=100ms --set run.replications=1
  --set profile.udp_send_user=800cycles --set profile.udp_recv_user=900cycles
  --set profile.veth_per_byte=0cycles/B --set profile.fib_rules=1175cycles --set profile.ip_forward=896cycles
  --set profile.sink_blackhole=1876cycles)
echo "Per trial: /proc/stat's busy share (tick-sampled) and cpuidle's (busy_exact, exact), both read at the start of"
echo "each counter snapshot, and the iperf3 processes' own time on each CPU: schedstat over the same window"
echo "(process_window_cpu) and getrusage over their whole test (cpu). The exactend sets were measured with every"
echo "CPU counter read at the end of each snapshot, after the ip reads (as before 2026-12-06 evening): their window"
echo "ran past the senders' end (no iperf3 process was left to read, so no process_window_cpu there):"
python3 - "$ID" "$HO" validation/testbed-udp-identify-2026-12-06-exactend-vm.csv validation/testbed-udp-heldout-2026-12-06-exactend-vm.csv <<'PY'
import csv, re, sys
from collections import defaultdict
nan = float("nan")
for path in sys.argv[1:]:
    t = defaultdict(dict)
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            if r["kind"] == "value":
                t[(r["set"], r["note"])][(r["scope"], r["metric"])] = float(r["value"])
    print(f"\n{path} (means of the replications)\n")
    print("| trial | CPU 0 /proc/stat | CPU 0 busy_exact | on CPU 0: processes, window | whole test | CPU 1 /proc/stat | CPU 1 busy_exact | on CPU 1: process, window | whole test |")
    print("|---|---|---|---|---|---|---|---|---|")
    for (s, note), v in t.items():
        rx = int(re.search(r"udp_receiver_cpu=(\d)", s).group(1))
        plat = re.search(r"platform=([\w-]+)", s)
        rate = re.search(r"rate=(\w+)", s).group(1)
        g = lambda k: v.get(k, nan)
        gw, sw = g(("gen0", "process_window_cpu")), g(("iperf3-s0", "process_window_cpu"))
        gc, sc = g(("gen0", "cpu")), g(("iperf3-s0", "cpu"))
        w0, c0 = (gw + sw, gc + sc) if rx == 0 else (gw, gc)
        w1, c1 = (sw, sc) if rx == 1 else (0.0, 0.0)
        name = f"{plat.group(1) if plat else 'netns-direct'} rx{rx} {rate}"
        print(f"| {name} | {g(('pcpu0','utilisation')):.3f} | {g(('pcpu0','busy_exact')):.3f} | {w0:.3f} | {c0:.3f} "
              f"| {g(('pcpu1','utilisation')):.3f} | {g(('pcpu1','busy_exact')):.3f} | {w1:.3f} | {c1:.3f} |")
PY
for kind in cfs eevdf; do
  profile=scenarios/profiles/netns-udp-v1300-wake-fit.yaml
  [ $kind = eevdf ] && profile=scenarios/profiles/netns-udp-v1300-eevdf-wake-fit.yaml
  "$VRSIM" validate "$HO" --profile $profile "${RUN[@]}" --set scheduler.kind=$kind --jobs 2 --format csv \
    >"$OUT/udp-heldout-exact-$kind.csv"
  echo
  echo "UDP held out ($HO), $profile, scheduler $kind; the rule from $ID:"
  echo
  python3 scripts/netns-udp-validation-table.py "$HO" "$OUT/udp-heldout-exact-$kind.csv" "$ID"
done
echo "outputs in $OUT" >&2
