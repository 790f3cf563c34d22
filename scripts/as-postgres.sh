#!/usr/bin/env bash
# Runs a command as the `postgres` user when run as root (PostgreSQL and PgBouncer refuse root), else as is.
if [ "$(id -u)" -eq 0 ]; then exec runuser -u postgres -- "$@"; else exec "$@"; fi
