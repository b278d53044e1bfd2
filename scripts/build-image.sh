#!/usr/bin/env bash
# Build the EPA image, epa:<version of pyproject.toml>, with whichever builder is here:
# docker (with a running engine), podman or buildah, in that order.
#
#   scripts/build-image.sh           build it (make image); prints the tag last
#   scripts/build-image.sh builder   print the builder that would build it, build nothing
#
# With no builder: one line saying what to install, and exit 2.
#
# buildah builds without an engine and without root daemons (chroot isolation, the vfs
# storage driver, the host's network), so it works inside a container or a CI runner. When
# the Dockerfile's base, python:3.11-slim-bookworm, is neither stored nor pullable (no
# access to Docker Hub), a Debian bookworm base with python3 is made with debootstrap from
# the host's Debian mirror, once: it is kept as localhost/epa-base:bookworm and reused.
#
# Environment: EPA_IMAGE (the tag, default epa:<version>), PYTHON_IMAGE (a base to use as
# is), EPA_DEBIAN_MIRROR (the mirror for debootstrap, default the one of the apt sources),
# STORAGE_DRIVER (buildah's storage driver, when its default does not work here: vfs).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' pyproject.toml | head -n 1)
tag=${EPA_IMAGE:-epa:$version}
upstream_base=python:3.11-slim-bookworm
local_base=localhost/epa-base:bookworm

buildah() { command buildah ${STORAGE_DRIVER:+--storage-driver "$STORAGE_DRIVER"} "$@"; }

builder() {
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    echo docker
  elif command -v podman >/dev/null 2>&1; then
    echo podman
  elif type -P buildah >/dev/null; then
    echo buildah
  else
    echo "no image builder: install docker, podman or buildah (apt-get install buildah debootstrap)" >&2
    return 2
  fi
}

# The mirror of Debian's main archive in the apt sources (deb822 or one-line style).
debian_mirror() {
  if [ -n "${EPA_DEBIAN_MIRROR:-}" ]; then
    echo "$EPA_DEBIAN_MIRROR"
    return
  fi
  local found
  found=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
    /^[[:space:]]*$/ { if (uri != "" && suites ~ /(^| )bookworm( |$)/) { print uri; exit } uri = ""; suites = "" }
    /^URIs:/ { uri = $2 }
    /^Suites:/ { suites = substr($0, 9) }
    END { if (uri != "" && suites ~ /(^| )bookworm( |$)/) print uri }' | head -n 1)
  if [ -z "$found" ]; then
    found=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
      | awk '$1 == "deb" && $0 ~ / bookworm / { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' \
      | head -n 1)
  fi
  echo "${found:-http://deb.debian.org/debian}"
}

have_image() { buildah inspect --type image "$1" >/dev/null 2>&1; }

# A minimal Debian bookworm with python3 (3.11, as the Dockerfile's default base), made
# once: debootstrap needs root and a few minutes.
make_local_base() {
  if ! command -v debootstrap >/dev/null 2>&1; then
    echo "no base image and no debootstrap to make one: apt-get install debootstrap" >&2
    exit 2
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "making the base image with debootstrap needs root (or give PYTHON_IMAGE=an image with python 3.11)" >&2
    exit 2
  fi
  local mirror dir ctr mnt
  mirror=$(debian_mirror)
  dir=$(mktemp -d /var/tmp/epa-base.XXXXXX)
  trap 'rm -rf "$dir"' EXIT
  echo "making $local_base with debootstrap from $mirror"
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates,passwd \
    bookworm "$dir" "$mirror" >"$dir.log" 2>&1 || { tail -n 20 "$dir.log" >&2; exit 1; }
  rm -f "$dir.log"
  # What the image never uses (the python images leave them out too): downloaded packages,
  # package lists, documentation and the translations of the system's programs (33 MB).
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/* \
    "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/info/* \
    "$dir"/usr/share/locale/*/
  # `python` as in the official python images, which the Dockerfile's RUN lines call.
  ln -sf python3 "$dir"/usr/bin/python
  ctr=$(buildah from scratch)
  mnt=$(buildah mount "$ctr")
  cp -a "$dir"/. "$mnt"/
  buildah umount "$ctr" >/dev/null
  buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env LANG=C.UTF-8 --cmd python3 "$ctr"
  buildah commit --quiet --rm "$ctr" "$local_base" >/dev/null
  rm -rf "$dir"
  trap - EXIT
}

# The base for buildah: PYTHON_IMAGE when given, else the official one when it is stored or
# can be pulled, else the debootstrap one (made the first time).
buildah_base() {
  if [ -n "${PYTHON_IMAGE:-}" ]; then
    echo "$PYTHON_IMAGE"
  elif have_image "$upstream_base"; then
    echo "$upstream_base"
  elif have_image "$local_base"; then
    echo "$local_base"
  elif timeout 60 buildah pull --quiet "docker.io/library/$upstream_base" >/dev/null 2>&1; then
    echo "$upstream_base"
  else
    make_local_base >&2
    echo "$local_base"
  fi
}

build() {
  local tool base
  tool=$(builder) || exit 2
  echo "building $tag with $tool"
  case "$tool" in
    docker | podman)
      "$tool" build ${PYTHON_IMAGE:+--build-arg "PYTHON_IMAGE=$PYTHON_IMAGE"} -t "$tag" .
      ;;
    buildah)
      base=$(buildah_base)
      # The host's pip configuration and certificates reach the RUN steps (a PyPI mirror
      # behind a private CA works as on the host); they are mounted, not copied in.
      local mounts=()
      [ -f /etc/pip.conf ] && mounts+=(-v /etc/pip.conf:/etc/pip.conf:ro)
      [ -d /etc/ssl/certs ] && mounts+=(-v /etc/ssl/certs:/etc/ssl/certs:ro)
      buildah bud --isolation chroot --network host --layers \
        --build-arg "PYTHON_IMAGE=$base" "${mounts[@]}" -t "$tag" .
      ;;
  esac
  echo "$tag"
}

case "${1:-build}" in
  builder) builder ;;
  build) build ;;
  *)
    echo "usage: $0 [build|builder]" >&2
    exit 2
    ;;
esac
