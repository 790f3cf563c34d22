#!/bin/sh
# Starts the Sinatra receiver on 127.0.0.1:PORT: run.sh PORT SECRET
exec ruby "$(dirname "$0")/receiver.rb" "$@"
