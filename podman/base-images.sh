#!/usr/bin/env bash
# Builds local base images from Debian's packages, for a host that cannot pull public images (such
# as the development machines). The Containerfiles default to public images; build-images.sh
# passes these instead.
#
#   localhost/edgegw/base:<suite>      debootstrap --variant=minbase, docs and apt lists removed
#   localhost/edgegw/mosquitto:<suite> + Debian's mosquitto and mosquitto-clients, user 1883
#   localhost/edgegw/postgres:15       + Debian's postgresql-15, user 70, an entrypoint that
#                                        initialises from *_FILE secrets like the public image
#
# Usage: podman/base-images.sh [--rebuild]   (root; an existing image is kept unless --rebuild)
# The mirror is the one this host's apt uses. Takes about a minute the first time.
set -euo pipefail
# shellcheck source=podman/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

rebuild=false
[ "${1:-}" = --rebuild ] && rebuild=true
[ "$(id -u)" -eq 0 ] || { echo "base-images.sh: debootstrap needs root" >&2; exit 1; }
for tool in debootstrap podman; do
  command -v "$tool" >/dev/null || { echo "base-images.sh: $tool is missing (apt-get install $tool)" >&2; exit 1; }
done

SUITE=$(debian_suite)
MIRROR=$(debian_mirror "$SUITE")
SECURITY=$(debian_mirror "$SUITE" security)
if [ -z "$MIRROR" ]; then
  echo "base-images.sh: no Debian mirror for '$SUITE' in /etc/apt/sources.list{,.d/*}" >&2
  exit 1
fi
BASE="$GW_IMAGE_PREFIX/base:$SUITE"

exists() { ! $rebuild && podman image exists "$1"; }

if exists "$BASE"; then
  echo "kept $BASE" >&2
else
  work=$(mktemp -d /var/tmp/edgegw-base.XXXXXX)
  trap 'rm -rf "$work"' EXIT
  echo "debootstrap $SUITE from $MIRROR ..." >&2
  debootstrap --variant=minbase "$SUITE" "$work/root" "$MIRROR" >"$work/debootstrap.log" 2>&1 || {
    tail -20 "$work/debootstrap.log" >&2
    echo "base-images.sh: debootstrap failed (log above)" >&2
    exit 1
  }
  root=$work/root
  {
    echo "deb $MIRROR $SUITE main"
    echo "deb $MIRROR $SUITE-updates main"
    [ -n "$SECURITY" ] && echo "deb $SECURITY $SUITE-security main"
  } >"$root/etc/apt/sources.list"
  # Later package installs leave out documentation; apt keeps no caches in the image.
  cat >"$root/etc/dpkg/dpkg.cfg.d/01-edgegw-nodoc" <<'CFG'
path-exclude /usr/share/doc/*
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
CFG
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' \
    >"$root/etc/apt/apt.conf.d/01-edgegw-norecommends"
  # Services never start at package install in an image.
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d" && chmod 755 "$root/usr/sbin/policy-rc.d"
  rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
    "$root"/usr/share/locale/* "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* \
    "$root"/var/cache/debconf/*-old "$root"/var/log/* "$root"/tmp/*
  tar --numeric-owner -C "$root" -c . |
    podman import --change 'CMD ["/bin/bash"]' --change 'ENV LANG=C.UTF-8' - "$BASE" >/dev/null
  rm -rf "$work"
  trap - EXIT
  echo "built $BASE" >&2
fi

build() { # name tag dir
  local image="$GW_IMAGE_PREFIX/$1:$2"
  if exists "$image"; then
    echo "kept $image" >&2
    return
  fi
  # --network host: apt in the build reaches the mirror as the host does.
  podman build -q --format docker --network host --build-arg BASE="$BASE" -t "$image" \
    "$PODMAN_DIR/images/$1" >/dev/null
  echo "built $image" >&2
}
build mosquitto "$SUITE"
build postgres 15

podman images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep "^$GW_IMAGE_PREFIX/\(base\|mosquitto\|postgres\):"
