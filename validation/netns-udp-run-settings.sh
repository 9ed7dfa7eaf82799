# Sourced by validation/netns-udp-exact.sh and validation/netns-udp-wake-remote.sh: the run settings
# of every UDP validation and fit since 2026-12-06 (validation/netns-eevdf.sh's, with
# validation/netns-udp-fit.sh's hop costs), as the array RUN of --set options.
RUN=(--set profile.testbed_window_extra=0s --set run.duration=1s --set run.warmup=100ms --set run.replications=1
  --set profile.udp_send_user=800cycles --set profile.udp_recv_user=900cycles
  --set profile.veth_per_byte=0cycles/B --set profile.fib_rules=1175cycles --set profile.ip_forward=896cycles
  --set profile.sink_blackhole=1876cycles)
