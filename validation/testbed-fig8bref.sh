#!/bin/bash
# fig8b-scheduled with a same-session speed reference measured like its trials (issue 20):
# one quiet window = the reference, then ROUNDS x [the 12 fig8b-scheduled sets, the reference].
# The reference is scenarios/testbed/fig8b-scheduled.yaml itself with one router (netns-direct,
# the router's NAPI thread on CPU 1, trafgen on CPU 0) at a fixed 100 kp/s, 2 s trials, REFN
# trials; the sets are the scenario's own sweep (3 trials each). Every invocation's rows go into
# one measured-data file per window, told apart by the experiment column:
#   fig8bref-<WINDOW>-ref<k>          the k-th reference of the window (k = 0 ... ROUNDS)
#   fig8b-scheduled-<WINDOW>-r<k>     the k-th round's sets (between references k-1 and k)
# Output: validation/testbed-fig8bref-<DAY>-<WINDOW>-vm.csv (+ .json: the invocations' host facts
# in run order) and the start/end times of every invocation in
# validation/trials/fig8bref-times-<DAY>.txt (appended).
# Usage (root, on a quiet machine):
#   VRSIM=path/to/vrsim DAY=2026-12-06 WINDOW=w1 [ROUNDS=2] [REFN=5] bash validation/testbed-fig8bref.sh
set -eu
VRSIM=${VRSIM:-vrsim}
DAY=${DAY:-$(date -u +%F)}
WINDOW=${WINDOW:?WINDOW names the window, e.g. w1}
ROUNDS=${ROUNDS:-2}
REFN=${REFN:-5}
cd "$(dirname "$0")/.."
# The testbed's lock is taken without waiting; say so up front instead of failing halfway.
if ! flock -n /run/vrsim-testbed.lock true; then
  echo "testbed-fig8bref.sh: another testbed run holds /run/vrsim-testbed.lock" >&2
  exit 3
fi
OUT=validation/testbed-fig8bref-$DAY-$WINDOW-vm.csv
TIMES=validation/trials/fig8bref-times-$DAY.txt
mkdir -p .build
# inside the repository, so the rows name the scenario relative to it as in every data set
TMP=$(mktemp -d "$PWD/.build/fig8bref.XXXXXX")
SCEN=scenarios/testbed/fig8b-scheduled.yaml
parts=()
step() {  # step NAME ARGS...: one testbed run, its times appended to $TIMES
  local name=$1
  shift
  local start
  start=$(date -u +%H:%M:%S)
  "$VRSIM" testbed run "$SCEN" --experiment "$name" --out "$TMP/$name.csv" "$@"
  echo "$DAY $WINDOW $name $start $(date -u +%H:%M:%S)" >>"$TIMES"
  parts+=("$name")
}
reference() {
  step "fig8bref-$WINDOW-ref$1" --set 'sweep={routers.count: [1], "traffic[0].rate": [100kpps]}' \
    --set run.replications="$REFN"
}
merge() {  # whatever finished goes into $OUT, also when a later step failed or was stopped
  if [ ${#parts[@]} -gt 0 ]; then
    head -1 "$TMP/${parts[0]}.csv" >"$OUT"
    for p in "${parts[@]}"; do tail -n +2 "$TMP/$p.csv" >>"$OUT"; done
    python3 - "$OUT" "$TMP" "${parts[@]}" <<'EOF'
import json, sys
out, tmp, names = sys.argv[1], sys.argv[2], sys.argv[3:]
facts = [dict(experiment=n, facts=json.load(open(f"{tmp}/{n}.json"))) for n in names]
with open(out[: -len(".csv")] + ".json", "w") as f:
    json.dump({"invocations": facts}, f, indent=1, sort_keys=True)
    f.write("\n")
EOF
    echo "wrote $OUT (${#parts[@]} runs: ${parts[*]})"
  fi
  rm -rf "$TMP"
}
trap merge EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
reference 0
for k in $(seq 1 "$ROUNDS"); do
  step "fig8b-scheduled-$WINDOW-r$k"
  reference "$k"
done
