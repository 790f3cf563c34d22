#!/bin/sh
# Builds the Express receiver (TypeScript) and starts it on 127.0.0.1:PORT: run.sh PORT SECRET
# Its packages come from package-lock.json: `npm ci` here first (make test does).
set -e
cd "$(dirname "$0")"
npx --no-install tsc -p tsconfig.json
exec node dist/receiver.js "$@"
