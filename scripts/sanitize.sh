#!/usr/bin/env bash
# The tests of vrsim's parallel parts under ThreadSanitizer and of its parsers under
# AddressSanitizer (`make sanitize`, run by `make test`).
#
#   scripts/sanitize.sh [thread|address]...   (default: both)
#
# Each sanitizer builds in its own scratch folder (.build-tsan, .build-asan) with only the test
# targets it runs (VRSIM_TEST_TARGETS, see Package.swift), so the normal build is untouched.
# A data race, a memory error or a leak report fails the run (exit 1).
set -euo pipefail
cd "$(dirname "$0")/.."

# thread: the campaign runner and replication scheduler (worker threads sharing a store), the
# resume-after-kill run, and the calibration evaluator (rows evaluated in parallel, a shared cache).
TSAN_TARGETS=ExperimentTests,CalibrationTests
TSAN_FILTER='CampaignRunnerTests|CampaignStoreTests|ResumeAfterKillTests|ThroughputSearchTests|CalibrationRecoveryTests|FuzzRegressionCampaignTests'
# address: every reader of outside input (scenario YAML and --set, profiles, traces, pcaps, route
# files, measured data) and the fuzzers' regression inputs. The campaign store's reading runs under
# AddressSanitizer in the fuzz-campaign target (make fuzz), and its tests under thread above.
ASAN_TARGETS=ScenarioTests,PlatformsTests,CalibrationTests
ASAN_FILTER='ScenarioTests\.|HostileInputFileTests|RouteFileTests|MeasuredDataTests|FuzzRegressionTests'
# Skipped under a sanitizer: tests whose bound is a wall time calibrated for the normal build (the
# sanitizer's own slowdown, not the code, can cross it); the others run the same code.
# - address: the 1 MiB duplicate-key file must be read within 20 s (21 s measured under ASan);
# - thread: threeCostsAreRecoveredFromAStartThirtyPercentOff has a 2-minute limit and took 86 s
#   under TSan on a loaded machine; the two other recovery tests drive the same parallel evaluator.
ASAN_SKIP='manyDuplicateKeysAreFoundInOnePass'
TSAN_SKIP='threeCostsAreRecoveredFromAStartThirtyPercentOff'

run() { # sanitizer, scratch, targets, filter, tests to skip
  local sanitizer=$1 scratch=$2 targets=$3 filter=$4 skip=$5 start
  start=$(date +%s)
  echo "sanitize.sh: $sanitizer: building $targets in $scratch"
  mkdir -p "$scratch"
  if ! VRSIM_TEST_TARGETS=$targets swift build --build-tests --sanitize="$sanitizer" --scratch-path "$scratch" \
    >"$scratch/sanitize-build.log" 2>&1; then
    tail -40 "$scratch/sanitize-build.log" >&2
    exit 1
  fi
  echo "sanitize.sh: $sanitizer: built in $(($(date +%s) - start)) s; testing $filter"
  VRSIM_TEST_TARGETS=$targets swift test --skip-build --sanitize="$sanitizer" --scratch-path "$scratch" \
    --filter "$filter" --skip "$skip"
  echo "sanitize.sh: $sanitizer: done in $(($(date +%s) - start)) s"
}

# halt_on_error: the first report fails the test process, whatever the test's own outcome.
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/Fuzz/lsan.supp:print_suppressions=0}
WHICH=("$@")
((${#WHICH[@]})) || WHICH=(thread address)
for s in "${WHICH[@]}"; do
  case "$s" in
    thread) run thread .build-tsan "$TSAN_TARGETS" "$TSAN_FILTER" "$TSAN_SKIP" ;;
    address) run address .build-asan "$ASAN_TARGETS" "$ASAN_FILTER" "$ASAN_SKIP" ;;
    *) echo "sanitize.sh: unknown sanitizer $s (thread, address)" >&2; exit 2 ;;
  esac
done
