#!/usr/bin/env bash
# Runs ramguard's fuzz targets (fuzz/fuzz_targets/) with libFuzzer.
#
#   scripts/fuzz.sh [--seconds N] [--jobs J] [--keep] [TARGET...]
#
# Each target runs N seconds (default 60) from its committed corpus
# (fuzz/corpus/TARGET); what it finds new goes to target/fuzz-corpus/TARGET,
# so the committed corpus only changes with --keep, which replaces it with
# the fewest inputs, old and new, that reach every edge either reached
# (libFuzzer's -set_cover_merge=1 -use_counters=0). J targets
# run at once (default 1). With no TARGET, all of them run.
#
# An input that makes a target fail, panic, run longer than 10 seconds or
# use more than 2 GB is saved under fuzz/artifacts/TARGET/, the script
# prints how to replay it, and it exits 1. At the end it prints, for each
# target, the executions, executions per second and coverage reached.
#
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`). It builds on the
# stable toolchain with `-s none`: ramguard has no unsafe code, so address
# sanitizer adds little; coverage guidance, debug assertions and overflow
# checks are on.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
jobs=1
keep=0
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="${2:?--seconds needs a number}"; shift 2 ;;
    --jobs) jobs="${2:?--jobs needs a number}"; shift 2 ;;
    --keep) keep=1; shift ;;
    -h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1 (see --help)" >&2; exit 1 ;;
    *) targets+=("$1"); shift ;;
  esac
done
case "$seconds" in '' | *[!0-9]*) echo "fuzz.sh: --seconds must be a whole number" >&2; exit 1 ;; esac
case "$jobs" in '' | *[!0-9]* | 0) echo "fuzz.sh: --jobs must be a positive whole number" >&2; exit 1 ;; esac

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz.sh: cargo-fuzz is required: cargo install cargo-fuzz --locked" >&2
  exit 1
fi
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cd fuzz && cargo fuzz list)
fi
for t in "${targets[@]}"; do
  if [ ! -f "fuzz/fuzz_targets/$t.rs" ]; then
    echo "fuzz.sh: no target $t (targets: $(cd fuzz && cargo fuzz list | tr '\n' ' '))" >&2
    exit 1
  fi
done

echo "== building the fuzz targets"
if ! (cd fuzz && cargo fuzz build -s none); then
  echo "fuzz.sh: the build failed" >&2
  exit 1
fi

logs="target/fuzz-logs"
mkdir -p "$logs"

run_one() {
  local t="$1"
  local scratch="target/fuzz-corpus/$t"
  mkdir -p "$scratch" "fuzz/corpus/$t" "fuzz/artifacts/$t"
  local status=0
  (cd fuzz && cargo fuzz run -s none "$t" "../$scratch" "corpus/$t" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="artifacts/$t/") >"$logs/$t.log" 2>&1 || status=$?
  echo "$status" >"$logs/$t.status"
}

running=0
for t in "${targets[@]}"; do
  echo "== fuzzing $t for ${seconds}s (log: $logs/$t.log)"
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait || true

failed=0
printf '\n%-16s %12s %10s %8s %s\n' target executions "execs/s" coverage result
for t in "${targets[@]}"; do
  log="$logs/$t.log"
  status="$(cat "$logs/$t.status" 2>/dev/null || echo 1)"
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)"
  cov="$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)"
  if [ "$status" = 0 ]; then
    result=ok
  else
    result=FAILED
    failed=1
  fi
  printf '%-16s %12s %10s %8s %s\n' "$t" "${runs:-?}" "${rate:-?}" "${cov:-?}" "$result"
  if [ "$status" != 0 ]; then
    artifact="$(grep -o 'artifacts/[^ ]*' "$log" | tail -n 1 || true)"
    grep -m 1 -B 2 -A 12 -E "panicked at|ERROR: libFuzzer|SUMMARY" "$log" | sed 's/^/    /' || tail -n 20 "$log" | sed 's/^/    /'
    if [ -n "$artifact" ]; then
      echo "    replay: (cd fuzz && cargo fuzz run -s none $t $artifact)"
    fi
  fi
  if [ "$keep" = 1 ] && [ "$status" = 0 ]; then
    # The fewest inputs that reach every edge the committed corpus and this
    # run reached (edges, not hit counts: it stays small).
    merged="target/fuzz-merged/$t"
    rm -rf "$merged"
    mkdir -p "$merged"
    if (cd fuzz && cargo fuzz run -s none "$t" "../$merged" "corpus/$t" "../target/fuzz-corpus/$t" -- \
      -set_cover_merge=1 -use_counters=0 >"../$logs/$t.merge.log" 2>&1); then
      rm -rf "fuzz/corpus/$t"
      mv "$merged" "fuzz/corpus/$t"
      echo "    corpus/$t: $(find "fuzz/corpus/$t" -type f | wc -l) inputs"
    else
      echo "    corpus/$t: the merge failed (log: $logs/$t.merge.log); left as it was"
      failed=1
    fi
  fi
done
exit "$failed"
