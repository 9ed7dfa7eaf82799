#!/bin/bash
# Identification runs of the testbed's softirq mode (issue 19 item 5), each in the
# measured-data schema with its sidecar JSON:
#   validation/testbed-identify-<what>-<hog>-<DAY>-vm.csv (+ .json)
# <what>: platforms (netns-direct, -router, -bridge x 4 loads, 1 router), generator-to-sink
# (trafgen on the generator's direct veth to the sink, which routes into its blackhole),
# generator-alone (the same link, frames for a MAC nobody has: dropped on arrival);
# <hog>: nohog, hog0 (a busy loop pinned to CPU 0, the sender's and, in softirq mode, the
# forwarding's CPU), hog1 (on CPU 1, the other one).
# Usage (root, on a quiet machine):  VRSIM=path/to/vrsim DAY=2026-12-06 bash validation/testbed-identify.sh [nohog|hog0|hog1]...
set -eu
VRSIM=${VRSIM:-vrsim}
DAY=${DAY:-$(date -u +%F)}
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- nohog hog0 hog1
for hog in "$@"; do
  case $hog in
    nohog) H=() ;;
    hog0) H=(--hog-cpu 0) ;;
    hog1) H=(--hog-cpu 1) ;;
    *) echo "unknown: $hog" >&2; exit 2 ;;
  esac
  "$VRSIM" testbed run scenarios/testbed/identify.yaml "${H[@]}" --experiment identify-platforms \
    --out validation/testbed-identify-platforms-$hog-$DAY-vm.csv
  for path in generator-to-sink generator-alone; do
    "$VRSIM" testbed run scenarios/testbed/identify-generator.yaml --path $path "${H[@]}" --experiment identify-$path \
      --out validation/testbed-identify-$path-$hog-$DAY-vm.csv
  done
done
