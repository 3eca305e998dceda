# Shared by the podman/ scripts: the project's podman settings and where the images come from.
# shellcheck shell=bash

PODMAN_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The host's global podman config is never edited; this file carries what this host needs.
export CONTAINERS_CONF="${CONTAINERS_CONF:-$PODMAN_DIR/containers.conf}"
# Local images are named localhost/edgegw/...; GW_REGISTRY pushes them to a registry as well.
GW_IMAGE_PREFIX=${GW_IMAGE_PREFIX:-localhost/edgegw}

# The Debian suite of this host (bookworm on Debian 12).
debian_suite() {
  # shellcheck disable=SC1091
  (. /etc/os-release && echo "${VERSION_CODENAME:?/etc/os-release has no VERSION_CODENAME}")
}

# The Debian mirror this host's apt uses for suite $1, read from its sources (one-line and deb822);
# with $2=security, the mirror of "$1-security". Prints nothing when there is none.
debian_mirror() {
  local suite=$1 want=$1
  [ "${2:-}" = security ] && want="$1-security"
  {
    grep -hE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      sed -E 's/\[[^]]*\]//' | awk -v s="$want" '$3 == s { print $2; exit }'
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -f "$f" ] || continue
      # One stanza per paragraph: print its URI when its Suites hold the wanted suite.
      awk -v s="$want" 'BEGIN { RS = ""; FS = "\n" }
        { uri = ""; hit = 0
          for (i = 1; i <= NF; i++) {
            if ($i ~ /^URIs:/) { sub(/^URIs:[[:space:]]*/, "", $i); split($i, u, " "); uri = u[1] }
            if ($i ~ /^Suites:/) { n = split($i, t, /[[:space:]]+/); for (j = 2; j <= n; j++) if (t[j] == s) hit = 1 }
          }
          if (hit && uri != "") { print uri; exit } }' "$f"
    done
  } | head -1
}
