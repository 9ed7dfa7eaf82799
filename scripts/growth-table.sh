#!/usr/bin/env bash
# Regenerates the README table "Costs that grow with the router count": the Fig. 8b sweep
# (scenarios/paper/fig8b-routers.yaml) and the 16-core what-if on the dom0 bridge
# (scenarios/whatif/routers-16core-bridge.yaml), all mechanisms off, then each one on alone,
# then the credit 4.1 and 4.3 rules (Fig. 8b runs credit 3.2, the what-if 4.0).
# Usage: scripts/growth-table.sh [path/to/vrsim]   (default: .build/release/vrsim)
set -euo pipefail
VRSIM=${1:-.build/release/vrsim}
rows=(
  "all off|"
  "working-set refill|--set profile.cache_refill=0.3cycles/B --set profile.dom0_footprint=2MiB --set profile.guest_footprint=2MiB"
  "per-vif dom0 work|--set profile.vif_scan=200cycles"
  "scheduler time per decision|--set profile.sched_decision=2000cycles"
  "Xen event delivery|--set profile.event_delivery=1000cycles"
  "IPI wake-up latency|--set profile.ipi_latency=3us"
  "credit 4.1 rules|--set scheduler.version=\"4.1\""
  "credit 4.3 rules (1 ms rate limit)|--set scheduler.version=\"4.3\""
)
# Aggregate forwarded kp/s per sweep point, "a / b / c".
kpps() { awk -F, '$3 == "aggregate" && $4 == "forwarded_pps" { printf "%s%.1f", (n++ ? " / " : ""), $7 / 1000 }'; }
echo "| mechanism (value) | Fig. 8b, 1 / 2 / 3 / 4 routers (kp/s) | 16 cores, 1 / 4 / 8 / 16 / 32 routers (kp/s) | command (add to \`vrsim run SCENARIO --format csv\`) |"
echo "|---|---|---|---|"
for row in "${rows[@]}"; do
  name=${row%%|*}
  sets=${row#*|}
  # shellcheck disable=SC2086
  a=$("$VRSIM" run scenarios/paper/fig8b-routers.yaml --format csv $sets | kpps)
  # shellcheck disable=SC2086
  b=$("$VRSIM" run scenarios/whatif/routers-16core-bridge.yaml --format csv $sets | kpps)
  echo "| $name | $a | $b | \`${sets:-(nothing)}\` |"
done
