#!/bin/bash
# The testbed data of the netns UDP model (issue 20 item 2), about 4 min, on a quiet machine
# (nothing else running; the 2026-12-06 data were measured with every other process of the
# session stopped for the window):  bash validation/netns-udp-measure.sh [DATE]   VRSIM=path/to/vrsim.
# Identification (training): iperf3 UDP through netns-direct, receiver on the other CPU or on the
# sending one; held out: the same through netns-router and netns-bridge. The scenarios sweep
# host.generator: [iperf3], so no --generator is needed and every row's set column says it.
set -eu
VRSIM=${VRSIM:-vrsim}
DATE=${1:-$(date -u +%F)}
cd "$(dirname "$0")/.."
"$VRSIM" testbed run validation/netns-udp-identify.yaml --experiment udp-identify \
  --out "validation/testbed-udp-identify-$DATE-vm.csv"
"$VRSIM" testbed run validation/netns-udp-heldout.yaml --experiment udp-heldout \
  --out "validation/testbed-udp-heldout-$DATE-vm.csv"
