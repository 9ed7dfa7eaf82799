#!/bin/bash
# The Fig. 9 / 8a / 8b / routes set re-measured with the MLRsearch, the noise gate and the
# per-trial window metrics (issue 19 item 5), each in the measured-data schema with its
# sidecar JSON: validation/testbed-<part>-<DAY>-vm.csv (+ .json). Parts (run each in a quiet
# window of its own):
#   fig9-direct, fig9-router, fig9-bridge: vrsim testbed search of fig9-forwarding.yaml, --repeat 1
#   runs: fig8a (iperf3, 1 ... 4 routers), fig8b (130 kp/s over 1 ... 4 routers), routes (1k ... 1M)
# Usage (root, on a quiet machine): VRSIM=path/to/vrsim DAY=2026-12-06 bash validation/testbed-remeasure.sh PART...
set -eu
VRSIM=${VRSIM:-vrsim}
DAY=${DAY:-$(date -u +%F)}
cd "$(dirname "$0")/.."
T=scenarios/testbed
for part in "$@"; do
  case $part in
    fig9-direct | fig9-router | fig9-bridge)
      "$VRSIM" testbed search $T/fig9-forwarding.yaml --set platform=netns-${part#fig9-} --repeat 1 \
        --experiment fig9 --out validation/testbed-$part-$DAY-vm.csv ;;
    runs)
      "$VRSIM" testbed run $T/fig8a-iperf3.yaml --generator iperf3 --experiment fig8a \
        --out validation/testbed-fig8a-$DAY-vm.csv
      "$VRSIM" testbed run $T/fig8b-routers.yaml --experiment fig8b --out validation/testbed-fig8b-$DAY-vm.csv
      "$VRSIM" testbed run $T/routes.yaml --experiment routes --out validation/testbed-routes-$DAY-vm.csv ;;
    *) echo "unknown part: $part" >&2; exit 2 ;;
  esac
done
