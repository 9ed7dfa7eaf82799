#!/bin/bash
# The eevdf scheduler model (docs/eevdf.md) against the CFS model on the committed netns data:
# the UDP sets (validation/netns-udp-validation.md: identification = netns-direct, training;
# held out = netns-router and netns-bridge) and the threaded fig8b-scheduled sets
# (validation/netns-fit.sh). Same profiles and run settings as those scripts; only
# scheduler.kind differs. Release build: a few minutes on 2 shared cores.
#   VRSIM=path/to/vrsim bash validation/netns-eevdf.sh [OUTDIR]
set -eu
VRSIM=${VRSIM:-vrsim}
OUT=${1:-$(mktemp -d)}
mkdir -p "$OUT"
cd "$(dirname "$0")/.."
# validation/netns-udp-fit.sh's run settings and hop costs (HOPS: no per-byte cost, dom0's policy
# routing), kept in step with that script by hand
RUN=(--set profile.testbed_window_extra=0s --set run.duration=1s --set run.warmup=100ms --set run.replications=1
  --set profile.udp_send_user=800cycles --set profile.udp_recv_user=900cycles
  --set profile.veth_per_byte=0cycles/B --set profile.fib_rules=1175cycles --set profile.ip_forward=896cycles
  --set profile.sink_blackhole=1876cycles)
# Validates the UDP identification, held-out and repeat sets with profile $1 and the run settings
# after $3 (their simulated rows go to $OUT/udp-SET-$2.csv) and prints the held-out and repeat
# tables, titled by $3.
udp_sets() {
  local profile=$1 tag=$2 title=$3 set data
  shift 3
  for set in identify heldout repeat; do
    data=validation/netns-udp-$set-2026-12-06.csv
    [ $set = repeat ] && data=validation/testbed-udp-repeat-2026-12-06-vm.csv
    "$VRSIM" validate $data --profile "$profile" "$@" --jobs 2 --format csv >"$OUT/udp-$set-$tag.csv"
    [ $set = identify ] && continue
    if [ $set = heldout ]; then
      echo "UDP held out (netns-router, netns-bridge), $title:"
    else
      echo "UDP repeat (all three platforms, saturated), $title:"
    fi
    python3 scripts/netns-udp-validation-table.py $data "$OUT/udp-$set-$tag.csv" validation/netns-udp-identify-2026-12-06.csv
  done
}
for kind in cfs eevdf; do
  udp_sets scenarios/profiles/netns-udp-v1300-fit.yaml $kind "scheduler $kind" "${RUN[@]}" --set scheduler.kind=$kind
done
echo "UDP per trial (measured, cfs, eevdf):"
for set in identify heldout; do
  python3 scripts/netns-eevdf-compare.py validation/netns-udp-$set-2026-12-06.csv "$OUT/udp-$set-cfs.csv" \
    "$OUT/udp-$set-eevdf.csv"
done
# fig8b-scheduled (threaded, 1..8 routers on one CPU), as validation/netns-fit.sh runs it
for kind in cfs eevdf; do
  for day in 2026-12-06 repeats-2026-12-06; do
    "$VRSIM" validate validation/testbed-fig8b-scheduled-$day-vm.csv --profile scenarios/profiles/netns-v1300-fit.yaml \
      --set profile.testbed_window_extra=0s --set profile.cpu_background=0% --set profile.generator_window=1s \
      --set run.duration=2s --set run.warmup=0s --set run.replications=1 --jobs 2 --format csv \
      --set scheduler.kind=$kind >"$OUT/fig8b-scheduled-$day-$kind.csv"
    echo "fig8b-scheduled $day, scheduler $kind:"
    python3 scripts/netns-fig8b-scheduled-table.py validation/testbed-fig8b-scheduled-$day-vm.csv \
      "$OUT/fig8b-scheduled-$day-$kind.csv" --misses
  done
done
# held-out threaded sets above saturation (1 and 2 routers' kernel threads on CPU 1 at 1 Mp/s: the
# scheduler shares CPU 1 between them), as validation/netns-fit.sh runs them, with its rule
DIRECT=$(python3 -c 'import csv,sys; v=[float(r["value"]) for r in csv.DictReader(open(sys.argv[1])) if r["scope"]=="aggregate" and r["metric"]=="forwarded_pps" and r["kind"]=="value" and "platform=netns-direct" in r["set"]]; print(sum(v)/len(v))' validation/netns-identify-2026-12-06-train.csv)
for kind in cfs eevdf; do
  "$VRSIM" validate validation/testbed-heldout-saturated-threaded-2026-12-06-vm.csv --profile scenarios/profiles/netns-v1300-fit.yaml \
    --set profile.testbed_window_extra=0s --set profile.cpu_background=0% \
    --set profile.generator_window=1s --set run.duration=2s --set run.warmup=0s --set run.replications=1 --jobs 2 \
    --format csv --set scheduler.kind=$kind >"$OUT/heldout-threaded-$kind.csv"
  echo "held-out saturated threaded, scheduler $kind:"
  python3 scripts/netns-fig8b-scheduled-table.py validation/testbed-heldout-saturated-threaded-2026-12-06-vm.csv \
    "$OUT/heldout-threaded-$kind.csv" --rule "$DIRECT"
done
# trafgen (softirq mode): the v1300 identification set (netns-direct/router/bridge, one to several
# routers: several trafgen senders share CPU 0) and the held-out saturated sets, as netns-fit.sh
# validates them (its gated rows files, committed)
TG=(--set run.duration=300ms --set run.warmup=50ms --set run.replications=1 --jobs 2 --format csv)
for kind in cfs eevdf; do
  "$VRSIM" validate validation/netns-identify-2026-12-06-gated.csv --profile scenarios/profiles/netns-v1300-fit.yaml \
    "${TG[@]}" --set scheduler.kind=$kind >"$OUT/v1300-$kind.csv"
  echo "trafgen v1300 identification set, scheduler $kind:"
  python3 scripts/netns-validation-table.py validation/netns-identify-2026-12-06-gated.csv "$OUT/v1300-$kind.csv" \
    validation/netns-identify-2026-12-06-train.csv
  "$VRSIM" validate validation/netns-heldout-saturated-2026-12-06-gated.csv --profile scenarios/profiles/netns-v1300-fit.yaml \
    "${TG[@]}" --set scheduler.kind=$kind >"$OUT/heldout-saturated-$kind.csv"
  echo "trafgen held-out saturated sets, scheduler $kind:"
  python3 scripts/netns-validation-table.py validation/netns-heldout-saturated-2026-12-06-gated.csv \
    "$OUT/heldout-saturated-$kind.csv" validation/netns-identify-2026-12-06-train.csv \
    --only heldout-saturated,heldout-saturated-routes
done
# The UDP costs refitted under eevdf on the identification set only (validation/netns-udp-fit.sh's
# keys, hop costs, training rows and start values): scenarios/profiles/netns-udp-v1300-eevdf-fit.yaml,
# to be run with scheduler.kind=eevdf, then the held-out sets under eevdf with it.
RUN+=(--set scheduler.kind=eevdf)
TRAIN="scope in [aggregate, gen0, iperf3-s0] and metric in [forwarded_pps, cpu] or scope = pcpu0 and metric = softirq and set has host.udp_receiver_cpu=1 and set has traffic[0].rate=200kpps"
"$VRSIM" calibrate validation/netns-udp-identify-2026-12-06.csv \
  --fit profile.udp_send_system,profile.udp_wakeup,profile.udp_recv_system,profile.udp_deliver --train "$TRAIN" \
  --set profile.udp_send_system=8000cycles --set profile.udp_wakeup=50000cycles --set profile.udp_deliver=1500cycles \
  --set profile.udp_recv_system=7000cycles "${RUN[@]}" --budget 60 --restarts 1 --jobs 2 \
  --out scenarios/profiles/netns-udp-v1300-eevdf-fit.yaml --report validation/netns-udp-v1300-eevdf-fit-report.md
udp_sets scenarios/profiles/netns-udp-v1300-eevdf-fit.yaml eevdf-refit "scheduler eevdf, costs refitted under eevdf" \
  "${RUN[@]}"
echo "UDP per trial (measured, cfs, eevdf refitted):"
for set in identify heldout; do
  python3 scripts/netns-eevdf-compare.py validation/netns-udp-$set-2026-12-06.csv "$OUT/udp-$set-cfs.csv" \
    "$OUT/udp-$set-eevdf-refit.csv"
done
# Sensitivity of the training point (netns-direct, server on CPU 0, 200k pps) to the tick (the
# kernel's is 4 ms) and to the slice, with the refitted costs
for opt in scheduler.eevdf.tick=2ms scheduler.eevdf.tick=1ms scheduler.eevdf.tick=250us scheduler.eevdf.base_slice=375us; do
  "$VRSIM" validate validation/netns-udp-identify-2026-12-06.csv --profile scenarios/profiles/netns-udp-v1300-eevdf-fit.yaml \
    "${RUN[@]}" --set "$opt" --jobs 2 --format csv >"$OUT/udp-identify-eevdf-$opt.csv"
  echo "$opt (measured, eevdf refitted at the kernel's 4 ms tick and 0.75 ms base slice, eevdf with $opt):"
  python3 scripts/netns-eevdf-compare.py validation/netns-udp-identify-2026-12-06.csv "$OUT/udp-identify-eevdf-refit.csv" \
    "$OUT/udp-identify-eevdf-$opt.csv" | grep -E "^\| (trial|---)|rx0 200kpps"
done
# The reader's turns (validation/netns-eevdf-validation.md, "The reader's turns"): the receiver's cost
# per wake-up (profile.udp_recv_wakeup) fitted with the four UDP keys under eevdf, on the same training
# rows; declared from the scheduler probe (bash validation/netns-udp-sched-probe.sh, summary in
# validation/trials/udp-sched-probe-2026-12-06.txt): linux_context_switch 0 (the switch back into the
# preempted sender costs it nothing measurable; the switch into the reader is in udp_recv_wakeup) and
# ipi_latency 10 us (the reader's wake-up on its idle CPU: 3.0 datagrams read per turn at 136k pps).
WAKE=(--set profile.linux_context_switch=0cycles --set profile.ipi_latency=10us)
"$VRSIM" calibrate validation/netns-udp-identify-2026-12-06.csv \
  --fit profile.udp_send_system,profile.udp_wakeup,profile.udp_recv_system,profile.udp_deliver,profile.udp_recv_wakeup \
  --train "$TRAIN" --set profile.udp_send_system=8000cycles --set profile.udp_wakeup=50000cycles \
  --set profile.udp_deliver=1500cycles --set profile.udp_recv_system=5000cycles --set profile.udp_recv_wakeup=5000cycles \
  "${RUN[@]}" "${WAKE[@]}" --budget 60 --restarts 1 --jobs 2 \
  --out scenarios/profiles/netns-udp-v1300-eevdf-wake-fit.yaml --report validation/netns-udp-v1300-eevdf-wake-fit-report.md
udp_sets scenarios/profiles/netns-udp-v1300-eevdf-wake-fit.yaml eevdf-wake \
  "scheduler eevdf, the reader's wake-up cost, refitted" "${RUN[@]}"
echo "UDP per trial (measured, eevdf refitted, eevdf with the reader's wake-up cost refitted):"
for set in identify heldout; do
  python3 scripts/netns-eevdf-compare.py validation/netns-udp-$set-2026-12-06.csv "$OUT/udp-$set-eevdf-refit.csv" \
    "$OUT/udp-$set-eevdf-wake.csv"
done
# The same under cfs (the default scheduler): how much of the change is the scheduler and how much the
# costs. Committed as scenarios/profiles/netns-udp-v1300-wake-fit.yaml, the UDP profile for the default
# scheduler (validation/netns-eevdf-validation.md, "The reader's turns")
RUNCFS=("${RUN[@]/scheduler.kind=eevdf/scheduler.kind=cfs}")
"$VRSIM" calibrate validation/netns-udp-identify-2026-12-06.csv \
  --fit profile.udp_send_system,profile.udp_wakeup,profile.udp_recv_system,profile.udp_deliver,profile.udp_recv_wakeup \
  --train "$TRAIN" --set profile.udp_send_system=8000cycles --set profile.udp_wakeup=50000cycles \
  --set profile.udp_deliver=1500cycles --set profile.udp_recv_system=5000cycles --set profile.udp_recv_wakeup=5000cycles \
  "${RUNCFS[@]}" "${WAKE[@]}" --budget 60 --restarts 1 --jobs 2 \
  --out scenarios/profiles/netns-udp-v1300-wake-fit.yaml --report validation/netns-udp-v1300-wake-fit-report.md
udp_sets scenarios/profiles/netns-udp-v1300-wake-fit.yaml cfs-wake \
  "scheduler cfs, the reader's wake-up cost, refitted under cfs" "${RUNCFS[@]}"
echo "outputs in $OUT" >&2
