#!/usr/bin/env bash
# Runs each argument as a shell command, all at once; prints each one's output in turn once all have ended, and
# fails when any failed. For test passes that wait more than they compute (each PostgreSQL pass has its own server).
#
#   scripts/concurrently.sh "CMD1" "CMD2" ...
set -uo pipefail

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
pids=()
for i in $(seq 0 $(($# - 1))); do
  cmd=${*:$((i + 1)):1}
  bash -c "$cmd" >"$dir/$i.log" 2>&1 &
  pids+=($!)
done
status=0
for i in "${!pids[@]}"; do
  if wait "${pids[$i]}"; then result=passed; else result=FAILED; status=1; fi
  cmd=${*:$((i + 1)):1}
  echo "=== $result: $cmd"
  cat "$dir/$i.log"
done
exit $status
