#!/bin/sh
# Starts the PHP receiver on 127.0.0.1:PORT with PHP's built-in server: run.sh PORT SECRET
# The server's own access log (stderr) is left out: the receiver prints one line per request.
set -e
[ $# -eq 2 ] || { echo "usage: run.sh PORT SECRET" >&2; exit 2; }
WEBHOOK_SECRET=$2
SEEN_DIR=$(mktemp -d)  # the webhook-ids handled, one empty file each
export WEBHOOK_SECRET SEEN_DIR
echo "listening on 127.0.0.1:$1"
exec php -S "127.0.0.1:$1" "$(dirname "$0")/receiver.php" 2>/dev/null
