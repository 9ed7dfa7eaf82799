#!/bin/bash
# The netns UDP model (issue 20 item 2): its costs fitted on the identification trials and
# validated on the held-out ones, end to end (release build: a few minutes on 2 shared cores).
#   VRSIM=path/to/vrsim bash validation/netns-udp-fit.sh [OUTDIR]
# The data: validation/netns-udp-measure.sh in one quiet window (2026-12-06, kernel
# 6.18.44-fc-v1300, iperf3 3.12); the base profile: scenarios/profiles/netns-v1300-fit.yaml (the
# veth, forwarding and bridge costs fitted on this machine's trafgen identification runs), its
# forward hops re-split by dom0's policy routing (fib_rules, from the perf profiles of
# validation/netns-hop-bytes-measure.sh; see HOPS below). Also validated: the trafgen set at four
# frame sizes of that script, and the saturated iperf3 rows measured again in a second window.
set -eu
VRSIM=${VRSIM:-vrsim}
OUT=${1:-$(mktemp -d)}
mkdir -p "$OUT"
cd "$(dirname "$0")/.."
# the process rows' whole-time `cpu` beside their user and system parts (scripts/netns-udp-rows.py)
python3 scripts/netns-udp-rows.py validation/netns-udp-identify-2026-12-06.csv validation/testbed-udp-identify-2026-12-06-vm.csv
python3 scripts/netns-udp-rows.py validation/netns-udp-heldout-2026-12-06.csv validation/testbed-udp-heldout-2026-12-06-vm.csv
# Every row: the counters were read over an inner window of the sending (testbed_window_extra 0);
# 1 s simulated after 100 ms. Declared, not fitted: the user parts (udp_send_user, udp_recv_user),
# the measured tick split of the processes' time at saturation with the receiver on CPU 1
# (client 4.8% of 16,500 cycles per datagram, server 10.4% of 8,800: about 800 and 900 cycles).
RUN=(--set profile.testbed_window_extra=0s --set run.duration=1s --set run.warmup=100ms --set run.replications=1
  --set profile.udp_send_user=800cycles --set profile.udp_recv_user=900cycles)
# udp_deliver (the UDP delivery in the softirq: ip_local_deliver, udp_rcv, the socket lookup and
# queueing, the receiver's wake-up) runs in the sender's context right after udp_send_system: the
# rates and the processes' totals cannot tell the two apart (r = -1.000 when both were fitted on
# them alone), but CPU 0's softirq share at saturation (the one /proc/stat row trained on, below)
# can: the sendto is system time, the delivery softirq. It is fitted (the per-byte key fitted
# before in its place stood for it: see "The router hop").
# The chain's hop costs (validation/netns-udp-validation.md, "The router hop"):
# - no per-byte cost: veth_per_byte stays 0. trafgen through netns-direct, -router and -bridge
#   forwards as many frames per second at 1518 B as at 64 B (validation/testbed-hop-bytes-*).
# - dom0's policy routing on netns-router (fib_rules, per dom0 IP-forward hop), declared from the
#   perf profiles of that set's trafgen runs (validation/trials/netns-hop-perf-2026-12-06.txt): a
#   dom0 route lookup costs 1,793 (64 B) and 1,679 (1518 B) cycles more than netns-direct's mean
#   lookup (vr0's forward, the sink's), which is itself 573 and 549: 1,175 cycles more per dom0 hop.
# - The base profile's ip_forward (2,071) was fitted with the same cost on every forward hop, so it
#   carries dom0's rules, averaged. Re-split so that every trafgen chain of the base profile keeps
#   its total: netns-direct is one forward and the sink, netns-router three forwards (two in dom0)
#   and the sink, netns-bridge one forward, two bridge hops and the sink. With F the change of
#   ip_forward and S of sink_blackhole: direct F + S = 0, router 3F + 2 x 1,175 + S = 0, so
#   F = -1,175 and S = +1,175: ip_forward 896, sink_blackhole 1,876 (perf: the sink's blackhole
#   lookup allocates and frees a route per frame, dst_destroy; vr0's and the sink's lookups are
#   not split by it). The rates alone cannot split them: fitted on the trafgen set, ip_forward
#   and sink_blackhole correlate at r = -0.993, and fib_rules fitted with ip_forward ends at 293
#   [131, 652] cycles (the noisy direct rows weigh little).
HOPS=(--set profile.veth_per_byte=0cycles/B --set profile.fib_rules=1175cycles --set profile.ip_forward=896cycles
  --set profile.sink_blackhole=1876cycles)
RUN+=("${HOPS[@]}")
KEYS=profile.udp_send_system,profile.udp_wakeup,profile.udp_recv_system,profile.udp_deliver
# Training rows: the rates and the processes' own time (getrusage: precise in total). Not the
# /proc/stat rows: with tick accounting at HZ=250 their samples alias with iperf3's 1 ms pacing
# timer below saturation (validation/netns-udp-validation.md); not the socket-buffer drops, which
# depend on the receiver's scheduling (validated, not fitted).
# One /proc/stat row is trained on: CPU 0's softirq share at saturation with the receiver on
# CPU 1 (CPU 0 busy 98% of the time, so its ticks sample the sender's system time against the
# chain's softirq time without idle gaps to alias with).
TRAIN="scope in [aggregate, gen0, iperf3-s0] and metric in [forwarded_pps, cpu] or scope = pcpu0 and metric = softirq and set has host.udp_receiver_cpu=1 and set has traffic[0].rate=200kpps"
"$VRSIM" calibrate validation/netns-udp-identify-2026-12-06.csv \
  --fit "$KEYS" --train "$TRAIN" \
  --set profile.udp_send_system=8000cycles --set profile.udp_wakeup=50000cycles --set profile.udp_deliver=1500cycles \
  --set profile.udp_recv_system=7000cycles "${RUN[@]}" --budget 60 --restarts 1 --jobs 2 \
  --out scenarios/profiles/netns-udp-v1300-fit.yaml --report validation/netns-udp-v1300-fit-report.md
for set in identify heldout; do
  "$VRSIM" validate validation/netns-udp-$set-2026-12-06.csv --profile scenarios/profiles/netns-udp-v1300-fit.yaml \
    "${RUN[@]}" --jobs 2 --format csv >"$OUT/udp-$set-validate.csv"
done
# the trafgen identification set (64 ... 1518 B; the profile's hop costs against it: not fitted on)
"$VRSIM" validate validation/testbed-hop-bytes-2026-12-06-vm.csv validation/testbed-hop-bytes-bridge-2026-12-06-vm.csv \
  --profile scenarios/profiles/netns-udp-v1300-fit.yaml "${RUN[@]}" --jobs 2 --format csv >"$OUT/hop-bytes-validate.csv"
python3 -c 'import csv,sys
for r in csv.DictReader(open(sys.argv[1])):
    if r["scope"] == "aggregate" and r["metric"] == "forwarded_pps":
        print("trafgen %-45s measured %8.0f simulated %8.0f %s" % (r["set"], float(r["measured"]), float(r["simulated"]), r["comparison"]))' "$OUT/hop-bytes-validate.csv"
echo "Held out (netns-router, netns-bridge):"
python3 scripts/netns-udp-validation-table.py validation/netns-udp-heldout-2026-12-06.csv "$OUT/udp-heldout-validate.csv" \
  validation/netns-udp-identify-2026-12-06.csv
# The same profile with a slice as EEVDF gives it (Linux 6.6+: base_slice 0.75 ms, scaled like
# CFS's latency; RUN_TO_PARITY: a woken task waits for the current one's slice rather than
# preempting it), in the CFS model's terms: latency = min_granularity = 0.75 ms, and a wake-up
# granularity past the sleeper credit (no wake-up preemption).
EEVDF=(--set scheduler.cfs.latency=750us --set scheduler.cfs.min_granularity=750us --set scheduler.cfs.wakeup_granularity=10ms)
"$VRSIM" validate validation/netns-udp-heldout-2026-12-06.csv --profile scenarios/profiles/netns-udp-v1300-fit.yaml \
  "${RUN[@]}" "${EEVDF[@]}" --jobs 2 --format csv >"$OUT/udp-heldout-eevdf-validate.csv"
echo "Held out, EEVDF-like slices:"
python3 scripts/netns-udp-validation-table.py validation/netns-udp-heldout-2026-12-06.csv \
  "$OUT/udp-heldout-eevdf-validate.csv" validation/netns-udp-identify-2026-12-06.csv
# The saturated iperf3 rows measured again in another quiet window (scenarios/testbed/udp-repeat.yaml,
# 3 trials per platform): netns-direct (the training platform) and the two held-out ones
"$VRSIM" validate validation/testbed-udp-repeat-2026-12-06-vm.csv --profile scenarios/profiles/netns-udp-v1300-fit.yaml \
  "${RUN[@]}" --jobs 2 --format csv >"$OUT/udp-repeat-validate.csv"
echo "The repeat (all three platforms, saturated):"
python3 scripts/netns-udp-validation-table.py validation/testbed-udp-repeat-2026-12-06-vm.csv "$OUT/udp-repeat-validate.csv" \
  validation/netns-udp-identify-2026-12-06.csv
python3 -c 'import csv,sys
for r in csv.DictReader(open(sys.argv[1])):
    if r["scope"] == "aggregate" and r["metric"] == "forwarded_pps":
        print("repeat %-20s measured %8.0f simulated %8.0f %s" % (r["set"], float(r["measured"]), float(r["simulated"]), r["comparison"]))' "$OUT/udp-repeat-validate.csv"
echo "Per trial: $OUT/udp-heldout-validate.csv, $OUT/udp-heldout-eevdf-validate.csv, $OUT/udp-identify-validate.csv"
