#!/usr/bin/env bash
# Runs the same commands with two vrsim builds and reports every output that differs: the check
# that a refactoring left outputs byte-identical (docs/DESIGN.md). Timing lines ("took N s", and
# calibrate's "evaluations/s" run line) are the only expected differences.
#
#   scripts/compare-builds.sh OLD_VRSIM NEW_VRSIM
#
# Build the old one from a worktree of the base commit (git worktree add --detach ../old BASE;
# swift build -c release there). Runs from the repository root; about 1 minute per build.
set -uo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 2 ] || { echo "usage: scripts/compare-builds.sh OLD_VRSIM NEW_VRSIM" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
Q=(--set run.duration=200ms --set run.warmup=50ms --set run.replications=2)
commands=(
  "run --format csv --jobs 2"
  "run --jobs 2 --set run.replications=3"
  "run --format json --jobs 2 ${Q[*]}"
)
for f in scenarios/paper/*.yaml scenarios/whatif/*.yaml; do
  commands+=("sweep $f --campaign CAMPAIGN --format csv --jobs 2 ${Q[*]}")
done
commands+=(
  "reproduce paper --quick --format csv --jobs 2"
  "reproduce paper --check"
  "search --set run.duration=100ms --set run.warmup=20ms --low 50kpps --high 200kpps --resolution 5%"
  "search --set run.duration=100ms --set run.warmup=20ms --low 50kpps --high 200kpps --resolution 2kpps"
  "validate validation/paper-2012.csv --test experiment~=~fig8b --jobs 2"
  "validate validation/paper-2012.csv --test experiment~=~fig8b --jobs 2 --format csv"
  "validate validation/paper-2012.csv --test experiment~=~fig8b --jobs 2 --format json"
  "validate validation/paper-2012.csv --test experiment~=~fig8b --baseline experiment~=~fig9 --jobs 2 ${Q[*]}"
  "host-demo --weights 256,512,128 --caps 30,0,0 --duration 2s"
  "calibrate validation/paper-2012.csv --fit profile.driver_rx --train experiment~=~fig9 --budget 6 --restarts 0 --lm-iterations 1 --jobs 2 --quiet ${Q[*]}"
  "slurm submit scenarios/paper/fig8b-routers.yaml --campaign .build/compare-slurm --tasks 5 --max-array-size 3 --vrsim /bin/true --dry-run"
  "run nonexistent.yaml"
  "run --set routers.count=abc"
)
differ=0
for i in "${!commands[@]}"; do
  for side in old new; do
    bin=$1; [ $side = new ] && bin=$2
    campaign=$(mktemp -d)
    # Words split at spaces; a ~ inside a word stands for a space (filters: experiment~=~fig8b).
    # shellcheck disable=SC2206
    args=(${commands[$i]//CAMPAIGN/$campaign/c})
    "$bin" "${args[@]//\~/ }" >"$out/$i.$side.out" 2>"$out/$i.$side.err"
    echo $? >"$out/$i.$side.rc"
    rm -rf "$campaign"
    grep -v ' took [0-9.]* s$' "$out/$i.$side.err" >"$out/$i.$side.err2"
    # calibrate's run line holds its wall time.
    grep -v ' evaluations/s on ' "$out/$i.$side.out" >"$out/$i.$side.out2"
  done
  for part in out2 err2 rc; do
    if ! cmp -s "$out/$i.old.$part" "$out/$i.new.$part"; then
      differ=1
      echo "differs ($part): vrsim ${commands[$i]}"
      diff "$out/$i.old.$part" "$out/$i.new.$part" | head -20
    fi
  done
done
[ $differ = 0 ] && echo "all ${#commands[@]} commands give identical output"
exit $differ
