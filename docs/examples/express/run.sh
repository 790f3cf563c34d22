#!/bin/sh
# Builds the Express receiver (TypeScript) and starts it on 127.0.0.1:PORT: run.sh PORT SECRET
# Its packages come from package-lock.json: `npm ci` here first (make test does). Each run compiles into a directory
# of its own under dist/ (beside node_modules, where Node finds the packages), so runs side by side never read a
# half-written build.
set -e
cd "$(dirname "$0")"
out=dist/run-$$
npx --no-install tsc -p tsconfig.json --outDir "$out"
exec node "$out/receiver.js" "$@"
