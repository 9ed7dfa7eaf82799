#!/bin/bash
# Held-out saturated sets of issue 20 (scenarios/testbed/heldout-saturated*.yaml), each in the
# measured-data schema with its sidecar JSON:
#   validation/testbed-heldout-saturated{,-routes,-threaded}-<DAY>-vm.csv (+ .json)
# Usage (root, on a quiet machine):  VRSIM=path/to/vrsim DAY=2026-12-06 bash validation/testbed-heldout-saturated.sh [which]...
#   which: structure (default: all three), routes, threaded
set -eu
VRSIM=${VRSIM:-vrsim}
DAY=${DAY:-$(date -u +%F)}
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- structure routes threaded
for which in "$@"; do
  case $which in
    structure) f=heldout-saturated ;;
    routes) f=heldout-saturated-routes ;;
    threaded) f=heldout-saturated-threaded ;;
    *) echo "unknown: $which" >&2; exit 2 ;;
  esac
  "$VRSIM" testbed run scenarios/testbed/$f.yaml --experiment $f --out validation/testbed-$f-$DAY-vm.csv
done
