#!/usr/bin/env bash
# A private PostgreSQL 15 server for tests and benchmarks: initdb and pg_ctl in DIR, listening on 127.0.0.1:PORT
# and a socket in DIR only, trust authentication for those local connections. Run as root, it runs the server as
# the `postgres` user (PostgreSQL refuses root). Settings are the defaults a production server keeps (fsync and
# synchronous_commit on) but for more connections, since tests run several hookd processes with their pools.
#
#   scripts/pg-server.sh start DIR PORT   creates and starts the server; prints the URL of its database "hookd"
#   scripts/pg-server.sh stop DIR         stops it (fast shutdown)
#   scripts/pg-server.sh restart DIR      an immediate restart (no checkpoint: crash recovery on start)
#
# HOOKD_PG_STATEMENTS=1 at creation loads pg_stat_statements (for profiling: bench/run.py --pg-statements).
set -euo pipefail

bin=/usr/lib/postgresql/15/bin
cmd=${1:?usage: pg-server.sh start DIR PORT | stop DIR | restart DIR}
dir=${2:?DIR required}

as_owner() { "$(dirname "$0")/as-postgres.sh" "$@"; }

case "$cmd" in
  start)
    port=${3:?PORT required}
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; fi
    chmod 700 "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
      cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 300
shared_buffers = 256MB
CONF
      if [ "${HOOKD_PG_STATEMENTS:-0}" = 1 ]; then
        echo "shared_preload_libraries = 'pg_stat_statements'" >>"$dir/data/postgresql.conf"
      fi
    fi
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null
    as_owner "$bin/psql" -h "$dir" -p "$port" -U postgres -d postgres -qtA \
      -c "SELECT 1 FROM pg_database WHERE datname = 'hookd'" | grep -q 1 ||
      as_owner "$bin/createdb" -h "$dir" -p "$port" -U postgres hookd
    echo "postgres://postgres@127.0.0.1:$port/hookd"
    ;;
  stop)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
  restart)
    # Crash recovery replays the WAL since the last checkpoint: up to max_wal_size (1 GB) on a server a whole test
    # suite has been writing to, which a slow disk may take well over pg_ctl's default minute to replay.
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m immediate -w -t 300 restart >/dev/null
    ;;
  *)
    echo "usage: pg-server.sh start DIR PORT | stop DIR | restart DIR" >&2
    exit 2
    ;;
esac
