#!/bin/sh
# Starts the Flask receiver on 127.0.0.1:PORT: run.sh PORT SECRET (Debian's Python, which has the package)
exec /usr/bin/python3 "$(dirname "$0")/receiver.py" "$@"
