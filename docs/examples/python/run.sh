#!/bin/sh
# Starts the Python receiver on 127.0.0.1:PORT: run.sh PORT SECRET
exec python3 "$(dirname "$0")/receiver.py" "$@"
