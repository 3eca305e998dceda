#!/usr/bin/env bash
# First-boot provisioning of a gateway: generates every secret the stack needs into one directory.
#
# Usage: podman/provision.sh [--gateway-id ID] [--demo-cloud] SECRETS_DIR
#   --gateway-id   this gateway's id (uplink.gateway-id, the CSR's common name); default: the host
#                  name; kept in SECRETS_DIR/gateway-id once chosen
#   --demo-cloud   also make the demo's cloud stand-in: a CA, the cloud broker's certificate (host
#                  name "cloud") and this gateway's certificate signed from its CSR
#
# Generated once and kept on every later run (the script is idempotent):
#   bus-<user>.password      broker password of bridge, buffer, rules, uplink, ota (the host's
#                            ota-agent), operator, health
#   db-admin.password        database superuser; db-buffer.password, db-uplink.password: roles
#   buffer-api-token         bearer token of the buffer's query API
#   ota-web-token            login token of the ota-agent's management page
#   uplink.key, uplink.csr   the uplink's EC P-256 key (PKCS#8) and its certificate request, for the
#                            cloud's CA to sign into uplink.crt
# Derived from those on every run:
#   mosquitto.passwd, mosquitto.acl   the broker's hashed password file and per-service ACL
#   mosquitto-health                  mosquitto_sub options of the broker's health check
#   <service>.properties              each service's passwords, read with quarkus.config.locations
#                                     (ota-agent.properties: the host's agent, owned by root)
#
# Every file is mode 0600 in a 0700 directory and, when run as root, owned by the user of the
# container that reads it (services 10001, mosquitto 1883, postgres 70; GW_DB_UID overrides the
# last, e.g. 999 for the Debian-based postgres image). No secret is ever printed.
set -euo pipefail
umask 077

usage() { sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
gateway_id="" demo_cloud=false dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --gateway-id) gateway_id=${2:-}; shift ;;
    --demo-cloud) demo_cloud=true ;;
    -h | --help) usage ;;
    -*) echo "provision.sh: unknown option '$1'" >&2; usage ;;
    *) [ -z "$dir" ] || { echo "provision.sh: one SECRETS_DIR only" >&2; usage; }; dir=$1 ;;
  esac
  shift
done
[ -n "$dir" ] || usage
for tool in openssl mosquitto_passwd; do
  command -v "$tool" >/dev/null ||
    { echo "provision.sh: $tool is missing (apt-get install openssl mosquitto)" >&2; exit 1; }
done

SERVICE_UID=10001 MOSQUITTO_UID=1883 DB_UID=${GW_DB_UID:-70}
BUS_USERS=(bridge buffer rules uplink ota operator health)

mkdir -p "$dir"
chmod 700 "$dir"
cd "$dir"

# A random secret of 32 URL-safe characters, written only when the file is missing or empty.
keep_or_make() {
  [ -s "$1" ] && return 0
  head -c 48 /dev/urandom | base64 | tr -d '/+=\n' | head -c 32 >"$1.tmp"
  mv "$1.tmp" "$1"
}

# --- gateway id ---------------------------------------------------------------------------------
if [ -s gateway-id ]; then
  saved=$(cat gateway-id)
  if [ -n "$gateway_id" ] && [ "$gateway_id" != "$saved" ]; then
    echo "provision.sh: $dir is provisioned for gateway '$saved', not '$gateway_id';" \
      "its key and CSR name it. Use another directory to provision another gateway." >&2
    exit 1
  fi
  gateway_id=$saved
fi
gateway_id=${gateway_id:-$(hostname -s)}
if ! [[ $gateway_id =~ ^[A-Za-z0-9_.-]{1,64}$ ]]; then
  echo "provision.sh: gateway id '$gateway_id' must be 1-64 of [A-Za-z0-9_.-] (--gateway-id)" >&2
  exit 1
fi
[ -s gateway-id ] || printf '%s\n' "$gateway_id" >gateway-id

# --- passwords and tokens -----------------------------------------------------------------------
for user in "${BUS_USERS[@]}"; do keep_or_make "bus-$user.password"; done
for role in admin buffer uplink; do keep_or_make "db-$role.password"; done
keep_or_make buffer-api-token
keep_or_make ota-web-token

# --- the uplink's key and CSR -------------------------------------------------------------------
if [ ! -s uplink.key ]; then
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out uplink.key.tmp 2>/dev/null
  mv uplink.key.tmp uplink.key
  rm -f uplink.csr uplink.crt
fi
[ -s uplink.csr ] ||
  openssl req -new -key uplink.key -subj "/CN=$gateway_id/O=edgegw gateway" -out uplink.csr 2>/dev/null

# --- broker: hashed passwords (mosquitto_passwd -U reads them from the file, not argv) and ACL -----
for user in "${BUS_USERS[@]}"; do printf '%s:%s\n' "$user" "$(cat "bus-$user.password")"; done \
  >mosquitto.passwd.tmp
mosquitto_passwd -U mosquitto.passwd.tmp
mv mosquitto.passwd.tmp mosquitto.passwd
cat >mosquitto.acl <<'ACL'
# The local bus ACL, one block per service (podman/provision.sh; topics: docs/architecture.md).
# bridge: publishes telemetry, its status, replies and dead letters; reads only its commands.
user bridge
topic write gw/v1/telemetry/#
topic write gw/v1/status/bridge
topic write gw/v1/reply/#
topic write gw/v1/dlq/bridge
topic read gw/v1/cmd/bridge/#
# buffer: stores telemetry and alarm events; publishes its status and dead letters; answers its
# export command (buffer.export) with replies.
user buffer
topic read gw/v1/telemetry/#
topic read gw/v1/event/alarm
topic write gw/v1/status/buffer
topic write gw/v1/dlq/buffer
topic read gw/v1/cmd/buffer/#
topic write gw/v1/reply/#
# rules: evaluates telemetry; owns alarm states and events; sends interlock writes to the bridge
# and answers its acknowledgement commands. Reads its own retained status (the restore marker).
user rules
topic read gw/v1/telemetry/#
topic readwrite gw/v1/alarm/#
topic readwrite gw/v1/status/rules
topic write gw/v1/event/#
topic write gw/v1/dlq/rules
topic write gw/v1/cmd/bridge/write
topic read gw/v1/cmd/rules/#
topic readwrite gw/v1/reply/#
# uplink: relays cloud commands to their targets and their replies back, and the gateway's health
# to the cloud; publishes its status.
user uplink
topic write gw/v1/cmd/#
topic read gw/v1/reply/#
topic readwrite gw/v1/status/uplink
topic read gw/v1/status/gateway
# ota: the host's ota-agent; reads every status for the health gate and its commands, publishes
# the gateway's health aggregate, its own status, the device artifacts' download status and its
# replies.
user ota
topic read gw/v1/status/#
topic write gw/v1/status/ota
topic write gw/v1/status/gateway
topic write gw/v1/status/artifacts
topic read gw/v1/cmd/ota/#
topic write gw/v1/reply/#
topic write gw/v1/dlq/ota
# operator: watches the bus and may send commands.
user operator
topic read gw/v1/#
topic write gw/v1/cmd/#
# health: the broker's own health check reads its uptime, nothing else.
user health
topic read $SYS/broker/uptime
ACL
printf -- '-u health\n-P %s\n' "$(cat bus-health.password)" >mosquitto-health

# --- per-service settings with their secrets (quarkus.config.locations) ---------------------------
printf 'bridge.bus.password=%s\n' "$(cat bus-bridge.password)" >bridge.properties
printf 'buffer.bus.password=%s\nquarkus.datasource.password=%s\n' \
  "$(cat bus-buffer.password)" "$(cat db-buffer.password)" >buffer.properties
printf 'rules.bus.password=%s\n' "$(cat bus-rules.password)" >rules.properties
printf 'uplink.gateway-id=%s\nuplink.bus.password=%s\nquarkus.datasource.password=%s\n' \
  "$gateway_id" "$(cat bus-uplink.password)" "$(cat db-uplink.password)" >uplink.properties
printf 'ota.bus.password=%s\n' "$(cat bus-ota.password)" >ota-agent.properties

# --- the demo's cloud stand-in ------------------------------------------------------------------
if $demo_cloud; then
  mkdir -p demo-cloud
  chmod 700 demo-cloud
  if [ ! -s demo-cloud/ca.crt ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 825 \
      -subj "/CN=edgegw demo cloud CA" -keyout demo-cloud/ca.key -out demo-cloud/ca.crt 2>/dev/null
    rm -f demo-cloud/broker.crt uplink.crt
  fi
  sign() { # csr out extensions
    openssl x509 -req -in "$1" -CA demo-cloud/ca.crt -CAkey demo-cloud/ca.key -CAcreateserial \
      -days 825 -out "$2" -extfile <(printf '%s\n' "$3") 2>/dev/null
  }
  if [ ! -s demo-cloud/broker.crt ]; then
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out demo-cloud/broker.key 2>/dev/null
    openssl req -new -key demo-cloud/broker.key -subj "/CN=cloud" -out demo-cloud/broker.csr 2>/dev/null
    sign demo-cloud/broker.csr demo-cloud/broker.crt \
      "subjectAltName=DNS:cloud,DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth"
    rm demo-cloud/broker.csr
  fi
  [ -s uplink.crt ] || sign uplink.csr uplink.crt "extendedKeyUsage=clientAuth"
  # Certificates are public, but stay 0600 like everything here; the copy of the CA certificate
  # next to the gateway's is what uplink.cloud.tls.ca-file names.
  cp demo-cloud/ca.crt cloud-ca.crt
fi

# --- modes and owners ---------------------------------------------------------------------------
find . -type f -exec chmod 600 {} +
if [ "$(id -u)" -eq 0 ]; then
  chown "$SERVICE_UID:$SERVICE_UID" ./*.properties buffer-api-token uplink.key uplink.csr
  chown 0:0 ota-agent.properties # the host's agent, not a container
  [ -f uplink.crt ] && chown "$SERVICE_UID:$SERVICE_UID" uplink.crt cloud-ca.crt
  chown "$MOSQUITTO_UID:$MOSQUITTO_UID" mosquitto.passwd mosquitto.acl mosquitto-health
  chown "$DB_UID:$DB_UID" db-admin.password db-buffer.password db-uplink.password
  if [ -d demo-cloud ]; then chown -R "$MOSQUITTO_UID:$MOSQUITTO_UID" demo-cloud; fi
fi
echo "provisioned gateway '$gateway_id' in $dir" >&2
