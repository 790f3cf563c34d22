#!/usr/bin/env bash
# A private PgBouncer in front of a private PostgreSQL (scripts/pg-server.sh), for tests: transaction pooling, as
# managed PostgreSQL services put in front of their databases; every database of the server is reachable under its
# own name; trust authentication (PgBouncer then still needs an auth_file that lists the user). Run as root, it runs
# as the `postgres` user (PgBouncer refuses root), in DIR, which that user owns.
#
#   scripts/pgbouncer.sh start DIR PG_PORT PORT [MODE]   starts it (MODE: transaction or session); prints its URL
#   scripts/pgbouncer.sh stop DIR                        stops it
set -euo pipefail

cmd=${1:?usage: pgbouncer.sh start DIR PG_PORT PORT [MODE] | stop DIR}
dir=${2:?DIR required}

as_owner() { "$(dirname "$0")/as-postgres.sh" "$@"; }

case "$cmd" in
  start)
    pg_port=${3:?PG_PORT required}
    port=${4:?PORT required}
    mode=${5:-transaction}
    mkdir -p "$dir"
    echo '"postgres" ""' >"$dir/userlist.txt"
    # Server connections: at most max_user_connections in all (the server allows 300, and hookd's sessions of its
    # own go to it directly); an idle one is closed after 10 s, so the many short-lived test databases do not hold
    # the server's connections. While the server is away a query waits at most 3 s for it (PgBouncer's default is
    # 120 s, which would hold hookd's requests instead of letting it answer 503), and reconnecting is tried every
    # second (docs/operations.md recommends the same).
    cat >"$dir/pgbouncer.ini" <<CONF
[databases]
* = host=127.0.0.1 port=$pg_port

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = $mode
max_client_conn = 4000
default_pool_size = 40
max_user_connections = 180
server_idle_timeout = 10
query_wait_timeout = 3
server_login_retry = 1
server_connect_timeout = 3
server_lifetime = 3600
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
CONF
    if [ "$(id -u)" -eq 0 ]; then chown -R postgres: "$dir"; fi
    as_owner /usr/sbin/pgbouncer -d "$dir/pgbouncer.ini"
    for _ in $(seq 50); do
      if /usr/lib/postgresql/15/bin/pg_isready -q -h 127.0.0.1 -p "$port" -d postgres; then break; fi
      sleep 0.1
    done
    echo "postgres://postgres@127.0.0.1:$port/hookd"
    ;;
  stop)
    if [ -f "$dir/pgbouncer.pid" ]; then kill "$(cat "$dir/pgbouncer.pid")" 2>/dev/null || true; fi
    ;;
  *)
    echo "usage: pgbouncer.sh start DIR PG_PORT PORT [MODE] | stop DIR" >&2
    exit 2
    ;;
esac
