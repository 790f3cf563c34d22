#!/usr/bin/env bash
# Runs each libFuzzer target of BUILD_DIR (built with -DHOOKD_FUZZ=ON) for SECONDS, two at a time, on a working copy
# of its seed corpus (fuzz/corpus/<target>, which also holds every input that once crashed a target) with its
# dictionary. Fails when a target crashes, leaks or breaks one of its checks; the input is kept in
# BUILD_DIR/fuzz-artifacts/. Prints each target's executions and coverage at the end.
# Usage: scripts/fuzz.sh BUILD_DIR SECONDS [TARGET...]
set -euo pipefail
build=${1:?usage: scripts/fuzz.sh BUILD_DIR SECONDS [TARGET...]}
seconds=${2:?usage: scripts/fuzz.sh BUILD_DIR SECONDS [TARGET...]}
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(api_request json_inputs webhook_url delivery_response signature_header config_values)

dictionaries() {
  case "$1" in
    api_request) echo http json ;;
    json_inputs) echo json ;;
    webhook_url) echo url ;;
    delivery_response) echo http ;;
    signature_header) echo signature ;;
    config_values) echo config ;;
  esac
}

artifacts="$build/fuzz-artifacts"
mkdir -p "$artifacts"
# libFuzzer's check for leaks after each input stops every thread to scan the heap. api_request has threads of its
# own (the writer, the engine, the alerter) whose work spans inputs, so that check would run, and find only their
# work in progress, on nearly every input; its memory is bounded instead by the fresh store every 20,000 inputs.
extra_flags() {
  case "$1" in
    api_request) echo -detect_leaks=0 ;;
  esac
}

run_one() {
  local target=$1 work="$build/fuzz-corpus/$1" dict="$build/fuzz-corpus/$1.dict"
  mkdir -p "$work"
  : > "$dict"
  for d in $(dictionaries "$target"); do cat "$root/fuzz/dict/$d.dict" >> "$dict"; done
  # New inputs go to the working corpus (the first directory); the seeds are only read.
  # shellcheck disable=SC2046
  "$build/fuzz_$target" $(extra_flags "$target") -max_total_time="$seconds" -dict="$dict" -print_final_stats=1 \
    -rss_limit_mb=4096 -timeout=60 -artifact_prefix="$artifacts/$target-" "$work" "$root/fuzz/corpus/$target" \
    > "$build/fuzz-$target.log" 2>&1
}

failed=0
pids=()
names=()
for target in "${targets[@]}"; do
  run_one "$target" &
  pids+=($!)
  names+=("$target")
  if [ ${#pids[@]} -ge 2 ]; then
    wait "${pids[0]}" || { echo "fuzz: ${names[0]} FAILED (log: $build/fuzz-${names[0]}.log)"; failed=1; }
    pids=("${pids[@]:1}")
    names=("${names[@]:1}")
  fi
done
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || { echo "fuzz: ${names[$i]} FAILED (log: $build/fuzz-${names[$i]}.log)"; failed=1; }
done

for target in "${targets[@]}"; do
  log="$build/fuzz-$target.log"
  runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || echo "?")
  echo "fuzz: $target: $runs executions in ${seconds}s, coverage $cov"
done
if [ "$failed" -ne 0 ]; then
  grep -h -A25 -E "ERROR: |fuzz check failed|deadly signal" "$build"/fuzz-*.log | head -80
  exit 1
fi
