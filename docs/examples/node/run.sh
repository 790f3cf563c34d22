#!/bin/sh
# Starts the Node.js receiver on 127.0.0.1:PORT: run.sh PORT SECRET
exec node "$(dirname "$0")/receiver.mjs" "$@"
