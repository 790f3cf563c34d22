#!/usr/bin/env bash
# Installs the Debian packages hookd needs to build, run and test. Idempotent: does nothing when all are present.
# Usage: scripts/install-deps.sh [build|test|fuzz]   (default: build)
set -euo pipefail

build_packages=(
  g++ cmake make pkg-config
  libboost1.81-dev libcurl4-openssl-dev libsqlite3-dev libssl-dev libpq-dev libjemalloc-dev
)
# postgresql-15: the tests start private servers of their own (scripts/pg-server.sh), never the packaged cluster.
# prometheus: promtool checks /metrics and the alert rules; the server scrapes a hookd in test_monitoring.py.
# python3-yaml: the tests read the alert rules and write Prometheus's configuration.
# debhelper, dpkg-dev, debootstrap, systemd: make deb builds the package with Debian's tooling; the package test
# installs it into a debootstrap tree and checks its unit with systemd-analyze.
# podman, buildah, runc: the container test builds the image (buildah) and runs it (podman with runc).
# nginx-light: the TLS proxy example of deploy/nginx/ runs in front of hookd in test_tls_proxy.py.
# golang-go, php-cli, ruby, ruby-webrick, python3-flask, python3-django, ruby-sinatra: the receivers in
# docs/examples/, which the tests run against real deliveries.
# python3-jsonschema: the integration tests check every JSON body they receive against the OpenAPI document.
# python3-nacl: libsodium, with which the tests verify Ed25519 (v1a) signatures as the guide's example does.
# tinyproxy: the egress proxy deliveries leave through in test_egress_proxy.py.
# pgbouncer: the PostgreSQL integration suite runs once through it in transaction mode (scripts/pgbouncer.sh).
# clang-format-19: make format-check (part of make test) holds the C++ sources to .clang-format.
test_packages=(
  libgtest-dev python3 python3-pytest python3-aiosmtpd chromium openssl postgresql-15 prometheus
  golang-go php-cli ruby ruby-webrick python3-flask python3-django ruby-sinatra python3-jsonschema python3-yaml
  clang-format-19 nginx-light tinyproxy python3-nacl
  debhelper dpkg-dev debootstrap systemd podman buildah runc pgbouncer
)

# The fuzzers need Clang with libFuzzer and its sanitizer runtimes.
fuzz_packages=(clang-19 libclang-rt-19-dev)

wanted=("${build_packages[@]}")
if [ "${1:-build}" = "fuzz" ]; then
  wanted+=("${fuzz_packages[@]}")
fi
if [ "${1:-build}" = "test" ]; then
  wanted+=("${test_packages[@]}")
  # The browser tests run on Node.js (playwright-core from npm). Use the machine's Node if it has one.
  command -v node >/dev/null 2>&1 || wanted+=(nodejs)
  command -v npm >/dev/null 2>&1 || wanted+=(npm)
fi

missing=()
for pkg in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
