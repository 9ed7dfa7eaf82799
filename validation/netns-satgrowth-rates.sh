#!/bin/bash
# The saturated rate on one CPU against the router count, without perf (issue 20), in one quiet
# window (about 4 min):  VRSIM=path/to/vrsim bash validation/netns-satgrowth-rates.sh [DATE]
# netns-router and netns-bridge at 1, 2, 4 and 8 routers, trafgen 64 B at 1 Mp/s for all (one
# trafgen, every chain on CPU 0; scenarios/testbed/heldout-saturated.yaml's protocol), 3 trials
# of 1 s per point, swept twice: counts ascending, then descending, so a drift of the machine's
# speed over the window shows as a difference between the two passes, not as a trend in N.
# PASSES="up" or "down" runs one pass only (default: both).
set -eu
VRSIM=${VRSIM:-vrsim}
DATE=${1:-$(date -u +%F)}
cd "$(dirname "$0")/.."
for tag in ${PASSES:-up down}; do
  case $tag in
    up) order="1, 2, 4, 8" ;;
    down) order="8, 4, 2, 1" ;;
    *) echo "PASSES: up and/or down, not '$tag'" >&2; exit 2 ;;
  esac
  "$VRSIM" testbed run scenarios/testbed/heldout-saturated.yaml \
    --set "sweep={platform: [netns-router, netns-bridge], routers.count: [$order]}" \
    --experiment satgrowth-$tag --out "validation/testbed-satgrowth-$tag-$DATE-vm.csv"
done
