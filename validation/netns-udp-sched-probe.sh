#!/bin/bash
# The scheduler probe of the netns UDP model (validation/netns-eevdf-validation.md, "The reader's
# turns"), 1.5 min on a quiet machine (the 2026-12-06 data: a window with every other process of the session
# stopped): iperf3 through netns-direct with the server on the sending CPU or the other, while
# scripts/proc-sched-sampler.py reads each iperf3 process's switches, run and wait time, session and
# autogroup from /proc (read only).  VRSIM=path/to/vrsim bash validation/netns-udp-sched-probe.sh [DATE]
set -eu
VRSIM=${VRSIM:-vrsim}
DATE=${1:-$(date -u +%F)}
cd "$(dirname "$0")/.."
WORK=$(mktemp -d)
trap 'touch "$WORK/stop"; rm -rf "$WORK"' EXIT
python3 scripts/proc-sched-sampler.py sample $$ "$WORK/samples.tsv" "$WORK/stop" &
SAMPLER=$!
"$VRSIM" testbed run validation/netns-udp-sched-probe.yaml --experiment udp-sched-probe \
  --out "validation/testbed-udp-sched-probe-$DATE-vm.csv"
touch "$WORK/stop"
wait "$SAMPLER"
cp "$WORK/samples.tsv" "validation/trials/udp-sched-probe-samples-$DATE.tsv"
python3 scripts/proc-sched-sampler.py summary "validation/trials/udp-sched-probe-samples-$DATE.tsv"
