#!/bin/bash
# The testbed data of the netns UDP model (issue 20 item 2), in one quiet window (about 4 min):
#   /work/notes/quiet-run --max 700 -- bash validation/netns-udp-measure.sh [DATE]
# (on a machine without quiet-run: bash validation/netns-udp-measure.sh). VRSIM=path/to/vrsim.
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
