#!/usr/bin/env bash
# The committed notebooks of notebooks-export/ and the README's figure: the exact command that
# makes each, and a check that CI runs (make test).
#
#   scripts/notebooks.sh regenerate   rewrite every notebook (executed), its sidecar CSV and the
#                                     README figure (notebooks-export/figures/)
#   scripts/notebooks.sh check        regenerate every sidecar CSV into a scratch directory and
#                                     diff it with the committed one (the data a notebook shows
#                                     must be what vrsim produces today from the same inputs),
#                                     then execute every committed notebook afresh; fails on a
#                                     difference or a cell error
#   scripts/notebooks.sh list         print the commands, one block per notebook
#   (regenerate and check take notebook names as further arguments to do only those)
#
# VRSIM (default .build/release/vrsim) is the binary used. The notebooks' Python environment
# (.venv-notebooks) comes from scripts/install-deps.sh.
#
# Inputs and their cost (release build, 2 shared cores; see the README's notebooks section):
#   paper-reproduction        vrsim reproduce paper (every paper experiment, the scenarios' own runs)
#   calibration-report        the posterior of scenarios/profiles/paper-2012-posterior.yaml, as data in
#                             scenarios/profiles/paper-2012-posterior-report.json with its draws, beside the
#                             point fit it started from (validation/paper-2012-fit-report.json); no simulation
#   validation-testbed        vrsim validate on validation/netns-identify-2026-12-06-gated.csv (this
#                             machine's quiet trials of 2026-12-06: identification runs, Fig. 8b and
#                             routes, after scripts/netns-gate.py) with the netns profile fitted on
#                             that machine's data (scenarios/profiles/netns-v1300-fit.yaml)
#   calibration-posterior     vrsim validate --posterior on the paper's Fig. 9 and Fig. 8b rows: 100 draws of
#                             scenarios/profiles/paper-2012-posterior-draws.csv x 8 runs of 600 ms
#   whatif-routers-1-32-10g   vrsim sweep scenarios/whatif/routers-1-32-10g.yaml (21 points x 3)
set -euo pipefail
cd "$(dirname "$0")/.."
VRSIM="${VRSIM:-.build/release/vrsim}"
PY=.venv-notebooks/bin/python
NB=notebooks-export
# The date in every header: the day the testbed data was measured and the profile was fitted.
DATE=2026-12-01
TESTBED=validation/netns-identify-2026-12-06-gated.csv
# The validation notebook's: its data set was measured, and its profile fitted, that day.
TESTBED_DATE=2026-12-06
# A scratch directory inside the checkout (under .build, ignored by git), removed on exit.
WORK=.build/notebooks-work

mode="${1:-}"
case "$mode" in regenerate | check | list) ;; *)
  echo "usage: scripts/notebooks.sh regenerate|check|list" >&2
  exit 2
  ;;
esac

if [ "$mode" != list ]; then
  if [ ! -x "$VRSIM" ]; then
    echo "notebooks: $VRSIM is missing; build it: swift build -c release --product vrsim" >&2
    exit 1
  fi
  if [ ! -x "$PY" ]; then
    echo "notebooks: $PY is missing; install the notebooks' environment: scripts/install-deps.sh" >&2
    exit 1
  fi
  rm -rf "$WORK"
  mkdir -p "$WORK"
  trap 'rm -rf "$WORK"' EXIT
fi

# Each function writes DIR/NAME.ipynb and DIR/NAME.csv; extra arguments (--execute) go to
# vrsim export notebook.
paper_reproduction() {
  local dir="$1"
  shift
  "$VRSIM" export notebook --reproduce paper --date "$DATE" --out "$dir/paper-reproduction.ipynb" "$@"
}
calibration_report() {
  local dir="$1"
  shift
  "$VRSIM" export notebook --calibration scenarios/profiles/paper-2012-posterior-report.json \
    --calibration validation/paper-2012-fit-report.json --out "$dir/calibration-report.ipynb" "$@"
}
validation_testbed() {
  local dir="$1"
  shift
  "$VRSIM" validate "$TESTBED" --profile scenarios/profiles/netns-v1300-fit.yaml --format csv \
    >"$WORK/validation-testbed-report.csv"
  "$VRSIM" export notebook --validation "$WORK/validation-testbed-report.csv" --date "$TESTBED_DATE" \
    --out "$dir/validation-testbed.ipynb" "$@"
}
# The posterior's prediction bands (training rows of Fig. 9, held-out Fig. 8b), from the draws
# of `vrsim calibrate --method posterior` (validation/paper-2012-posterior-report.md).
calibration_posterior() {
  local dir="$1"
  shift
  "$VRSIM" validate validation/paper-2012.csv --profile scenarios/profiles/paper-2012-fit.yaml \
    --test "experiment in [fig9, fig8b]" --posterior scenarios/profiles/paper-2012-posterior-draws.csv \
    --draws 100 --set run.duration=600ms --set run.warmup=100ms --set run.replications=1 --format csv \
    >"$WORK/calibration-posterior-report.csv"
  "$VRSIM" export notebook --validation "$WORK/calibration-posterior-report.csv" --date 2026-12-05 \
    --out "$dir/calibration-posterior.ipynb" "$@"
}
whatif_campaign() {
  rm -rf "$WORK/whatif"
  "$VRSIM" sweep scenarios/whatif/routers-1-32-10g.yaml --campaign "$WORK/whatif" >/dev/null
}
whatif_routers_1_32_10g() {
  local dir="$1"
  shift
  whatif_campaign
  "$VRSIM" export notebook --campaign "$WORK/whatif" --date "$DATE" --out "$dir/whatif-routers-1-32-10g.ipynb" "$@"
}
# The README figure: aggregate forwarding vs router count of the what-if (after
# whatif_routers_1_32_10g, which leaves its campaign in $WORK/whatif).
readme_figure() {
  local tmp="$WORK/plot"
  "$VRSIM" plot --campaign "$WORK/whatif" --out "$tmp" >/dev/null
  mkdir -p "$NB/figures"
  cp "$tmp/aggregate_vs_routers.png" "$NB/figures/whatif-aggregate-vs-routers.png"
}

# Each function is named after its notebook (underscores for dashes).
NOTEBOOKS=(paper_reproduction calibration_report validation_testbed calibration_posterior whatif_routers_1_32_10g)
# check and regenerate take a subset: scripts/notebooks.sh check calibration_report
if [ $# -gt 1 ]; then NOTEBOOKS=("${@:2}"); fi
for f in "${NOTEBOOKS[@]}"; do
  case " paper_reproduction calibration_report validation_testbed calibration_posterior whatif_routers_1_32_10g " in
  *" $f "*) ;;
  *) echo "notebooks: unknown notebook $f" >&2; exit 2 ;;
  esac
done

seconds() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(seconds)" 'BEGIN { printf "%.1f", b - a }'; }

case "$mode" in
list)
  for f in "${NOTEBOOKS[@]}" whatif_campaign readme_figure; do
    echo "# $f"
    declare -f "$f" | sed '1,2d;$d' 
    echo
  done
  ;;
regenerate)
  for f in "${NOTEBOOKS[@]}"; do
    t=$(seconds)
    "$f" "$NB" --execute >/dev/null
    echo "notebooks: $f: $(elapsed "$t") s (data + execution)"
  done
  if [ -d "$WORK/whatif" ]; then
    readme_figure
    echo "notebooks: wrote $NB/figures/whatif-aggregate-vs-routers.png"
  fi
  ;;
check)
  total=$(seconds)
  failed=0
  mkdir -p "$WORK/fresh" "$WORK/executed"
  for f in "${NOTEBOOKS[@]}"; do
    t=$(seconds)
    "$f" "$WORK/fresh" >/dev/null
    name="${f//_/-}"
    if ! diff -u "$NB/$name.csv" "$WORK/fresh/$name.csv" >"$WORK/$name.diff"; then
      echo "notebooks: FAILED $NB/$name.csv differs from what vrsim produces now (scripts/notebooks.sh regenerate):" >&2
      head -20 "$WORK/$name.diff" >&2
      failed=1
    fi
    data=$(elapsed "$t")
    t=$(seconds)
    if ! "$PY" "$NB/vrsim_figures.py" execute "$NB/$name.ipynb" --out "$WORK/executed/$name.ipynb" --timeout 300; then
      echo "notebooks: FAILED executing $NB/$name.ipynb" >&2
      failed=1
    fi
    echo "notebooks: $name: sidecar regenerated and compared in $data s, executed in $(elapsed "$t") s"
  done
  echo "notebooks: check took $(elapsed "$total") s"
  exit "$failed"
  ;;
esac
