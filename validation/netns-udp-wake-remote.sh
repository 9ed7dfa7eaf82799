#!/bin/bash
# The wake-up of a UDP reader on another CPU (profile.udp_wake_remote; validation/netns-udp-validation.md,
# "The wake-up across CPUs"): one key fitted on the identification set measured with the exact softirq
# share (2026-12-07-softirq2: VRSIM=.build/release/vrsim bash validation/netns-udp-measure.sh 2026-12-07-softirq2,
# not repeated here), on its CPU 0 softirq_exact rows with the receiver on CPU 1 (netns-direct, 3 rows,
# training only), over each committed idle-fit profile (cfs, eevdf); writes
# scenarios/profiles/netns-udp-v1300{,-eevdf}-wakeremote-fit.yaml and their reports in validation/, then
# validates both sets with them beside the model-free rule (from the identification set):
#   VRSIM=path/to/vrsim bash validation/netns-udp-wake-remote.sh [OUTDIR]     (release build: about 2 min)
set -eu
VRSIM=${VRSIM:-vrsim}
OUT=${1:-$(mktemp -d)}
mkdir -p "$OUT"
cd "$(dirname "$0")/.."
DAY=${SDAY:-2026-12-07-softirq2}
IDDAY=${IDDAY:-2026-12-07-wake}
ID=validation/testbed-udp-identify-$IDDAY-vm.csv
HO=validation/testbed-udp-heldout-$DAY-vm.csv
# the run settings of every UDP validation (RUN)
source validation/netns-udp-run-settings.sh
TRAIN="scope = pcpu0 and metric = softirq_exact and set has host.udp_receiver_cpu=1 and not set has traffic[0].rate=200kpps"
for kind in cfs eevdf; do
  base=scenarios/profiles/netns-udp-v1300-idle-fit.yaml
  name=netns-udp-v1300-wakeremote-fit
  if [ $kind = eevdf ]; then
    base=scenarios/profiles/netns-udp-v1300-eevdf-idle-fit.yaml
    name=netns-udp-v1300-eevdf-wakeremote-fit
  fi
  "$VRSIM" calibrate "$ID" --profile $base --fit profile.udp_wake_remote --train "$TRAIN" "${RUN[@]}" \
    --set scheduler.kind=$kind --set profile.udp_wake_remote=4000cycles --budget 30 --restarts 1 --jobs 2 --quiet \
    --checkpoint "$OUT/$name.checkpoint" --out scenarios/profiles/$name.yaml --report validation/$name-report.md
  for set in "$ID" "$HO"; do
    csv=$OUT/$(basename "$set" .csv)-$kind.csv
    "$VRSIM" validate "$set" --profile scenarios/profiles/$name.yaml "${RUN[@]}" --set scheduler.kind=$kind \
      --jobs 2 --format csv >"$csv"
    echo
    echo "$set, scenarios/profiles/$name.yaml (udp_wake_remote fitted), scheduler $kind; the rule from $ID:"
    echo
    python3 scripts/netns-udp-validation-table.py "$set" "$csv" "$ID"
  done
done
echo "outputs in $OUT" >&2
