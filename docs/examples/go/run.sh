#!/bin/sh
# Starts the Go receiver on 127.0.0.1:PORT: run.sh PORT SECRET
# It is built first and then run in this script's place, so stopping the script stops the receiver.
set -e
dir=$(dirname "$0")
build=${TMPDIR:-/tmp}/hookd-example-go-$(id -u)
mkdir -p "$build"
export GOCACHE="${GOCACHE:-$build/cache}"
go build -o "$build/receiver.$$" "$dir/receiver.go"
mv -f "$build/receiver.$$" "$build/receiver"  # atomic: another run may be using the previous build
exec "$build/receiver" "$@"
