#!/bin/bash
# Where a netns forward hop's cycles go at 1518 B (issue 20, the netns-router hop), in one quiet
# window (about 6 min; nothing else running):
#   VRSIM=path/to/vrsim PERFDIR=dir bash validation/netns-hop-bytes-measure.sh [DATE]
# 1. Identification data (trafgen, saturated, 3 trials of 1 s per point): netns-direct and
#    netns-router at 64/512/1024/1518 B (scenarios/testbed/hop-bytes.yaml), netns-bridge at 64
#    and 1518 B (hop-bytes-bridge.yaml): validation/testbed-hop-bytes{,-bridge}-DATE-vm.csv.
# 2. Profiles: `perf record -a -g` around one saturated 3 s trial per platform with iperf3
#    (1518 B frames, receiver on CPU 1) and with trafgen at 1518 B and 64 B
#    (hop-bytes-profile.yaml; a 1,000-frame ceiling measure), written to PERFDIR; the
#    trial's CSV beside each (the rate that turns a profile's shares into cycles per frame).
#    scripts/netns-perf-hop.py summarises them (validation/trials/netns-hop-perf-DATE.txt).
set -eu
VRSIM=${VRSIM:-vrsim}
DATE=${1:-$(date -u +%F)}
PERFDIR=${PERFDIR:-$(mktemp -d)}
mkdir -p "$PERFDIR"
cd "$(dirname "$0")/.."
"$VRSIM" testbed run scenarios/testbed/hop-bytes.yaml --experiment hop-bytes \
  --out "validation/testbed-hop-bytes-$DATE-vm.csv"
"$VRSIM" testbed run scenarios/testbed/hop-bytes-bridge.yaml --experiment hop-bytes \
  --out "validation/testbed-hop-bytes-bridge-$DATE-vm.csv"
for platform in netns-direct netns-router netns-bridge; do
  for gen in iperf3 trafgen-1518B trafgen-64B; do
    case $gen in
      iperf3) S=() ;;
      trafgen-*) S=(--set host.generator=trafgen --set "traffic[0].frame=${gen#trafgen-}" --set "traffic[0].rate=1Mpps") ;;
    esac
    perf record -a -g -q -o "$PERFDIR/$platform-$gen.data" -- \
      "$VRSIM" testbed run scenarios/testbed/hop-bytes-profile.yaml --set platform=$platform "${S[@]}" \
      --ceiling-packets 1000 --experiment hop-profile --out "$PERFDIR/$platform-$gen.csv"
  done
done
echo "profiles in $PERFDIR"
