#!/usr/bin/env bash
# A minimal Debian 12 root file system made from Debian's packages (debootstrap), for the package test (installed
# into it as into a fresh machine) and as the base of the container image where no registry is reachable. It uses
# the Debian mirror this machine's apt is configured with. Made once: a finished tree is reused.
# Usage: scripts/debian-rootfs.sh DIR
set -euo pipefail
dir=${1:?usage: scripts/debian-rootfs.sh DIR}
if [ -e "$dir/.hookd-rootfs-complete" ]; then exit 0; fi

mirror=$(sed -n 's/^URIs: *\([^ ]*\/debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
if [ -z "$mirror" ]; then
  mirror=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
fi
if [ -z "$mirror" ]; then
  echo "debian-rootfs: no Debian mirror found in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list" >&2
  exit 1
fi
rm -rf "$dir"
mkdir -p "$dir"
debootstrap --variant=minbase bookworm "$dir" "$mirror" >"$dir.log" 2>&1 || {
  tail -20 "$dir.log" >&2
  exit 1
}
# The security updates, as on any installed machine.
security=${mirror%/debian}/debian-security
echo "deb $security bookworm-security main" >>"$dir/etc/apt/sources.list"
touch "$dir/.hookd-rootfs-complete"
