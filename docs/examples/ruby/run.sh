#!/bin/sh
# Starts the Ruby receiver on 127.0.0.1:PORT: run.sh PORT SECRET
exec ruby "$(dirname "$0")/receiver.rb" "$@"
