#!/usr/bin/env bash
# Diagnostics of the security checklist items that can be checked on a running gateway
# (docs/security.md). One line per item: PASS, FAIL or SKIP with the reason; exits 1 on any FAIL.
#
# Usage: podman/check-host.sh [SECRETS_DIR] [COMPOSE_PROJECT]   (defaults /etc/edgegw/secrets, edgegw)
set -uo pipefail
SECRETS=${1:-/etc/edgegw/secrets}
PROJECT=${2:-edgegw}
ENV_FILE=${GW_ENV_FILE:-/etc/edgegw/gateway.env}
# shellcheck disable=SC1090
[ -r "$ENV_FILE" ] && . "$ENV_FILE"
# The installed podman settings, or this checkout's.
[ -z "${CONTAINERS_CONF:-}" ] && [ -f /etc/edgegw/containers.conf ] && CONTAINERS_CONF=/etc/edgegw/containers.conf
export CONTAINERS_CONF=${CONTAINERS_CONF:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/containers.conf}
failed=0
pass() { printf 'PASS  %-28s %s\n' "$1" "$2"; }
fail() { printf 'FAIL  %-28s %s\n' "$1" "$2"; failed=1; }
skip() { printf 'SKIP  %-28s %s\n' "$1" "$2"; }

# Per-device secrets: present, 0600, in a 0700 directory.
if [ -d "$SECRETS" ]; then
  loose=$(find "$SECRETS" \( -type f ! -perm 600 \) -o \( -type d ! -perm 700 \) 2>/dev/null | head -3)
  if [ -n "$loose" ]; then fail secrets "not 0600/0700: $loose"; else pass secrets "$SECRETS: files 0600, directories 0700"; fi
else
  fail secrets "$SECRETS is missing (run podman/provision.sh)"
fi

# Segmentation: no container on both ot and it; the bus network internal.
if command -v podman >/dev/null && podman network exists "${PROJECT}_bus" 2>/dev/null; then
  both=""
  for c in $(podman ps -q --filter "label=io.podman.compose.project=$PROJECT"); do
    nets=$(podman inspect --format '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' "$c")
    case " $nets " in *" ${PROJECT}_ot "*) case " $nets " in *" ${PROJECT}_it "*) both="$both $(podman inspect --format '{{.Name}}' "$c")" ;; esac ;; esac
  done
  [ -z "$both" ] && pass "ot/it separation" "no container on both ${PROJECT}_ot and ${PROJECT}_it" || fail "ot/it separation" "on both:$both"
  [ "$(podman network inspect --format '{{.Internal}}' "${PROJECT}_bus")" = true ] &&
    pass "bus internal" "${PROJECT}_bus has no route out" || fail "bus internal" "${PROJECT}_bus is not internal"
else
  skip "ot/it separation" "stack $PROJECT is not running"
fi

# No IP forwarding between the OT and the IT interface.
if [ -n "${GW_OT_IFACE:-}" ] && [ -n "${GW_IT_IFACE:-}" ]; then
  if nft list table inet edgegw_segmentation 2>/dev/null | grep -q "iifname \"$GW_OT_IFACE\" oifname \"$GW_IT_IFACE\".*drop"; then
    pass "no OT/IT forwarding" "$GW_OT_IFACE <-> $GW_IT_IFACE dropped"
  else
    fail "no OT/IT forwarding" "table inet edgegw_segmentation is not loaded"
  fi
else
  skip "no OT/IT forwarding" "GW_OT_IFACE/GW_IT_IFACE not set in $ENV_FILE"
fi

# SSH: keys only, no root, from the jumphost only.
if command -v sshd >/dev/null; then
  cfg=$(sshd -T 2>/dev/null)
  if grep -qx 'passwordauthentication no' <<<"$cfg" && grep -qx 'permitrootlogin no' <<<"$cfg"; then
    if [ -n "${GW_JUMPHOST:-}" ] && grep -qi "^allowusers .*@${GW_JUMPHOST}" <<<"$cfg"; then
      pass ssh "keys only, no root, only from $GW_JUMPHOST"
    else
      fail ssh "keys only, but not restricted to a jumphost (GW_JUMPHOST)"
    fi
  else
    fail ssh "password or root login allowed (sshd -T)"
  fi
else
  skip ssh "no sshd on this host"
fi

# LUKS: the storage of containers and secrets is on dm-crypt.
src=$(findmnt -no SOURCE --target "$SECRETS" 2>/dev/null || true)
if [ -n "$src" ] && lsblk -rso TYPE "$src" 2>/dev/null | grep -q crypt; then
  pass luks "$SECRETS is on an encrypted device"
elif [ -n "$src" ] && [ -b "$src" ]; then
  fail luks "$SECRETS is on $src, not on a LUKS device"
else
  skip luks "cannot tell the block device of $SECRETS (${src:-unknown})"
fi

# Vendor default services off.
if [ -d /run/systemd/system ]; then
  on=""
  for unit in avahi-daemon cups cups-browsed bluetooth ModemManager rpcbind telnet.socket inetd nfs-server smbd nmbd snmpd; do
    systemctl is-active --quiet "$unit" && on="$on $unit"
  done
  [ -z "$on" ] && pass "vendor services" "none of the default services runs" || fail "vendor services" "running:$on"
else
  skip "vendor services" "systemd is not running"
fi

# Local broker: no anonymous access.
if command -v mosquitto_sub >/dev/null && [ -n "$(podman ps -q --filter "name=${PROJECT}_mosquitto" 2>/dev/null)" ]; then
  answer=$(timeout 5 mosquitto_sub -h 127.0.0.1 -p "${GW_BUS_PORT:-1883}" -t 'gw/v1/#' -C 1 -W 2 2>&1)
  if grep -qi "not authori" <<<"$answer"; then
    pass "bus: no anonymous" "anonymous connect refused"
  else
    fail "bus: no anonymous" "anonymous connect was not refused"
  fi
else
  skip "bus: no anonymous" "broker not running"
fi
exit $failed
