#!/bin/bash
# The netns UDP model's CPU rows against the exact per-CPU busy share (busy_exact: cpuidle's
# idle-state residency, read on each CPU; validation/netns-udp-validation.md, "The exact CPU
# counter"), beside /proc/stat's tick-sampled rows, on the sets measured with it:
#   VRSIM=.build/release/vrsim /work/notes/quiet-run --max 600 -- bash validation/netns-udp-measure.sh 2026-12-06-exact
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
echo "Per trial: CPU rows of the same window, /proc/stat (tick-sampled) against cpuidle (exact), and the"
echo "iperf3 processes' own time (getrusage over their whole test) on each CPU:"
python3 - "$ID" "$HO" <<'PY'
import csv, re, sys
from collections import defaultdict
for path in sys.argv[1:]:
    t = defaultdict(dict)
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            if r["kind"] == "value":
                t[(r["set"], r["note"])][(r["scope"], r["metric"])] = float(r["value"])
    print(f"\n{path}\n")
    print("| trial | rep | CPU 0 /proc/stat | CPU 0 busy_exact | processes on CPU 0 | CPU 1 /proc/stat | CPU 1 busy_exact | processes on CPU 1 |")
    print("|---|---|---|---|---|---|---|---|")
    for (s, note), v in t.items():
        rx = int(re.search(r"udp_receiver_cpu=(\d)", s).group(1))
        plat = re.search(r"platform=([\w-]+)", s)
        rate = re.search(r"rate=(\w+)", s).group(1)
        gen, srv = v.get(("gen0", "cpu"), float("nan")), v.get(("iperf3-s0", "cpu"), float("nan"))
        p0 = gen + srv if rx == 0 else gen
        p1 = srv if rx == 1 else 0.0
        g = lambda k: v.get(k, float("nan"))
        name = f"{plat.group(1) if plat else 'netns-direct'} rx{rx} {rate}"
        print(f"| {name} | {note} | {g(('pcpu0','utilisation')):.3f} | {g(('pcpu0','busy_exact')):.3f} | {p0:.3f} "
              f"| {g(('pcpu1','utilisation')):.3f} | {g(('pcpu1','busy_exact')):.3f} | {p1:.3f} |")
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
