#!/usr/bin/env bash
# make deb: the Debian package of hookd, built with Debian's own tooling (dpkg-buildpackage and debhelper, from
# debian/) out of this tree; the binary is the one `make build` made (debian/rules builds it if it is missing).
# The package lands in build/deb/.
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(sed -n 's/.*kVersion = "\(.*\)";.*/\1/p' src/common/version.h)
packaged=$(dpkg-parsechangelog -S Version)
if [ "$version" != "$packaged" ]; then
  echo "build-deb: debian/changelog says $packaged but src/common/version.h says $version" >&2
  exit 1
fi

# dpkg-buildpackage writes its products beside the source tree; they are moved into build/deb/.
parent=$(cd .. && pwd)
dpkg-buildpackage -b -us -uc --no-pre-clean >build/deb-build.log 2>&1 || {
  tail -40 build/deb-build.log >&2
  exit 1
}
rm -rf build/deb && mkdir -p build/deb
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
for f in "hookd_${version}_${arch}.deb" "hookd-dbgsym_${version}_${arch}.deb" "hookd_${version}_${arch}.buildinfo" \
  "hookd_${version}_${arch}.changes"; do
  if [ -e "$parent/$f" ]; then mv "$parent/$f" build/deb/; fi
done
debian/rules clean >/dev/null 2>&1 || true
echo "build-deb: build/deb/hookd_${version}_${arch}.deb"
