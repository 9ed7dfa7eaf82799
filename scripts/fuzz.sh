#!/usr/bin/env bash
# Coverage-guided fuzzing of vrsim's input readers: libFuzzer + AddressSanitizer.
#
#   scripts/fuzz.sh [--seconds N] [--build-only] [TARGET...]
#
# Builds the targets of Fuzz/ (declared in Package.swift only when VRSIM_FUZZ is set) in
# .build-fuzz, writes each target's dictionary from vrsim's declarations, seeds its corpus
# from the repository's files, and runs each for N seconds (default 60). Targets: scenario set
# profile trace-csv trace-pcap routes measured campaign (default: all).
#
# Property checked on every input: the reader returns a value or a located error; a trap, a
# sanitizer report, an input taking more than TIMEOUT s or more than RSS_MB of memory is a
# finding. Findings are written to .build-fuzz/findings/<target>/ and the script exits 1.
# The corpus grows across runs in .build-fuzz/corpus/<target>/ (not tracked).
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH=60
BUILD_ONLY=0
TARGETS=()
while (($#)); do
  case "$1" in
    --seconds) SECONDS_EACH="$2"; shift 2 ;;
    --build-only) BUILD_ONLY=1; shift ;;
    -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) TARGETS+=("$1"); shift ;;
  esac
done
ALL=(scenario set profile trace-csv trace-pcap routes measured campaign)
((${#TARGETS[@]})) || TARGETS=("${ALL[@]}")

TIMEOUT=${FUZZ_TIMEOUT:-10}   # seconds one input may take (-timeout)
RSS_MB=${FUZZ_RSS_MB:-2560}   # memory the process may use (-rss_limit_mb), MiB
MAX_LEN=${FUZZ_MAX_LEN:-65536} # longest input tried, bytes
SCRATCH=.build-fuzz

export VRSIM_FUZZ=1
FLAGS=(-Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xcc -fsanitize=fuzzer-no-link,address)
for t in "${TARGETS[@]}"; do
  [[ " ${ALL[*]} " == *" $t "* ]] || { echo "fuzz.sh: unknown target $t (known: ${ALL[*]})" >&2; exit 2; }
done
# One build of every target: with VRSIM_FUZZ set the package holds only them and what they read.
start=$(date +%s)
echo "fuzz.sh: building the fuzz targets in $SCRATCH"
mkdir -p "$SCRATCH"
if ! swift build --scratch-path "$SCRATCH" "${FLAGS[@]}" >"$SCRATCH/build.log" 2>&1; then
  tail -40 "$SCRATCH/build.log" >&2
  echo "fuzz.sh: the fuzz targets did not build" >&2
  exit 1
fi
echo "fuzz.sh: built in $(($(date +%s) - start)) s"
((BUILD_ONLY)) && exit 0

# Seed files of each target: the repository's own inputs of that kind plus Fuzz/seeds/<target>.
seeds() {
  case "$1" in
    scenario) git ls-files 'scenarios/*.yaml' ':!scenarios/profiles/*' 'Tests/ScenarioTests/Fixtures/*' ;;
    profile) git ls-files 'scenarios/profiles/*.yaml' ;;
    measured) git ls-files 'validation/*.csv' ;;
  esac
  git ls-files "Fuzz/seeds/$1/*" "Tests/FuzzRegressions/$1/*"
}

status=0
for t in "${TARGETS[@]}"; do
  bin="$SCRATCH/debug/fuzz-$t"
  corpus="$SCRATCH/corpus/$t"
  findings="$SCRATCH/findings/$t"
  dict="$SCRATCH/dict/$t.dict"
  mkdir -p "$corpus" "$findings" "$SCRATCH/dict" "$SCRATCH/seed/$t"
  VRSIM_FUZZ_DICT="$dict" "$bin" >/dev/null 2>&1
  while read -r f; do cp "$f" "$SCRATCH/seed/$t/$(echo "$f" | tr / _)"; done < <(seeds "$t")
  echo "fuzz.sh: fuzz-$t for ${SECONDS_EACH} s ($(ls "$SCRATCH/seed/$t" | wc -l) seeds, $(grep -c '^"' "$dict") dictionary words, $(ls "$corpus" | wc -l) corpus files)"
  log="$SCRATCH/fuzz-$t.log"
  if ! LSAN_OPTIONS=suppressions=$PWD/Fuzz/lsan.supp:print_suppressions=0 ASAN_OPTIONS=detect_leaks=1 "$bin" "$corpus" "$SCRATCH/seed/$t" \
    -dict="$dict" -max_total_time="$SECONDS_EACH" -timeout="$TIMEOUT" -rss_limit_mb="$RSS_MB" \
    -malloc_limit_mb="$RSS_MB" -max_len="$MAX_LEN" -artifact_prefix="$findings/" -print_final_stats=1 \
    -close_fd_mask=1 >"$log" 2>&1; then
    status=1
    echo "fuzz.sh: fuzz-$t FOUND A PROBLEM (input in $findings/, log $log):" >&2
    grep -E "ERROR|SUMMARY|Fatal error|fuzz:|Test unit written" "$log" | head -20 >&2
  fi
  # The last status line: executions, coverage (cov: edges, ft: features), corpus size.
  last=$(grep -E "^#[0-9]+" "$log" | tail -1 || true)
  echo "fuzz.sh: fuzz-$t: ${last:-no status line (see $log)}; corpus now $(ls "$corpus" | wc -l) files"
done
echo "fuzz.sh: done in $(($(date +%s) - start)) s"
exit $status
