#!/usr/bin/env bash
# Install the outside tools the test suite runs for real: PostgreSQL server binaries,
# Prometheus, promtool, the Pushgateway, Chromium (headless, for screenshots of the
# reports) and, unless docker or podman can build images here, buildah and debootstrap (the
# image test builds and runs the image with them). Debian packages, installed with apt-get
# when we are root; otherwise a clear message naming what is missing. Never a silent skip.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
./scripts/local-postgres.sh bindir >/dev/null 2>&1 || missing+=(postgresql)
command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v prometheus-pushgateway >/dev/null 2>&1 || missing+=(prometheus-pushgateway)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
case "$(./scripts/build-image.sh builder 2>/dev/null)" in
  docker | podman) ;;
  *)
    PATH="$PATH:/usr/sbin:/sbin" type -P buildah >/dev/null || missing+=(buildah)
    PATH="$PATH:/usr/sbin:/sbin" type -P debootstrap >/dev/null || missing+=(debootstrap)
    ;;
esac

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
packages=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing Debian packages: $packages"
  apt-get update -qq
  # policy-rc.d keeps the packages from starting system services; the tests start their own.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $packages >/dev/null
  rm -f /usr/sbin/policy-rc.d
else
  echo "missing tools; install the Debian packages: $packages" >&2
  exit 1
fi
