#!/usr/bin/env bash
# Runs the gateway on this host against the bundled simulated plant (see bin/gateway up).
# State lives in run/ (ignored by git): generated secrets (0600), broker config and data, logs.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUN="$ROOT/run"
BUS_PORT=${GW_BUS_PORT:-1883}
PLANT_PORT=${GW_PLANT_PORT:-15020}
HTTP_PORT=${GW_HTTP_PORT:-8081}
BUFFER_PORT=${GW_BUFFER_PORT:-8082}
RULES_PORT=${GW_RULES_PORT:-8083}
UPLINK_PORT=${GW_UPLINK_PORT:-8084}
CLOUD_PORT=${GW_CLOUD_PORT:-18883}
GATEWAY_ID=${GW_GATEWAY_ID:-gw-demo}
DB_PORT=${GW_DB_PORT:-15432}

mkdir -p "$RUN/secrets" "$RUN/mosquitto/data" "$RUN/log"
chmod 700 "$RUN/secrets"

echo "Building the gateway (first run downloads dependencies)..." >&2
cd "$ROOT"
mvn -B -q -ntp -DskipTests -Dspotless.check.skip=true -Dmdep.outputFile=target/classpath.txt \
  package dependency:build-classpath \
  -pl bridge-service,buffer-service,rules-service,uplink-service,test-support -am

# First-run provisioning: one generated password per broker user, kept across runs, never printed.
umask 077
for user in bridge buffer rules uplink operator db-admin db-buffer db-uplink buffer-api-token; do
  f="$RUN/secrets/$user.password"
  [ -s "$f" ] || head -c 24 /dev/urandom | base64 | tr -d '/+=\n' >"$f"
done
mv -f "$RUN/secrets/buffer-api-token.password" "$RUN/secrets/buffer-api-token" 2>/dev/null || true
printf 'bridge.bus.password=%s\n' "$(cat "$RUN/secrets/bridge.password")" >"$RUN/secrets/bridge.properties"
printf 'buffer.bus.password=%s\nquarkus.datasource.password=%s\n' \
  "$(cat "$RUN/secrets/buffer.password")" "$(cat "$RUN/secrets/db-buffer.password")" \
  >"$RUN/secrets/buffer.properties"
printf 'rules.bus.password=%s\n' "$(cat "$RUN/secrets/rules.password")" >"$RUN/secrets/rules.properties"
printf 'uplink.bus.password=%s\nquarkus.datasource.password=%s\n' \
  "$(cat "$RUN/secrets/uplink.password")" "$(cat "$RUN/secrets/db-uplink.password")" \
  >"$RUN/secrets/uplink.properties"
# The demo's cloud: a local Mosquitto with TLS and client certificates, standing in for the
# customer's cloud broker. Its CA, its server certificate (127.0.0.1) and this gateway's client
# certificate are made here on the first run (EC P-256, keys 0600; nothing of it is committed).
PKI="$RUN/cloud-pki"
if [ ! -s "$PKI/gateway.crt" ]; then
  mkdir -p "$PKI"
  issue() { # name subject extensions
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "$2" \
      -keyout "$PKI/$1.key.tmp" -out "$PKI/$1.csr" 2>/dev/null
    openssl pkcs8 -topk8 -nocrypt -in "$PKI/$1.key.tmp" -out "$PKI/$1.key" && rm "$PKI/$1.key.tmp"
    openssl x509 -req -in "$PKI/$1.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
      -days 825 -out "$PKI/$1.crt" -extfile <(printf '%s\n' "$3") 2>/dev/null
    rm "$PKI/$1.csr"
  }
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 825 \
    -subj "/CN=edgegw demo cloud CA" -keyout "$PKI/ca.key" -out "$PKI/ca.crt" 2>/dev/null
  issue broker "/CN=127.0.0.1" "subjectAltName=IP:127.0.0.1
extendedKeyUsage=serverAuth"
  issue gateway "/CN=$GATEWAY_ID" "extendedKeyUsage=clientAuth"
  issue cloud-operator "/CN=cloud-operator" "extendedKeyUsage=clientAuth"
fi
mkdir -p "$RUN/cloud/data"
cat >"$RUN/cloud/mosquitto.conf" <<CONF
user $(id -un)
listener $CLOUD_PORT 127.0.0.1
cafile $PKI/ca.crt
certfile $PKI/broker.crt
keyfile $PKI/broker.key
tls_version tlsv1.2
require_certificate true
use_identity_as_username true
allow_anonymous false
persistence true
persistence_location $RUN/cloud/data/
log_dest file $RUN/log/cloud-mosquitto.log
CONF
rm -f "$RUN/mosquitto/passwd"
mosquitto_passwd -c -b "$RUN/mosquitto/passwd" bridge "$(cat "$RUN/secrets/bridge.password")" 2>/dev/null
mosquitto_passwd -b "$RUN/mosquitto/passwd" buffer "$(cat "$RUN/secrets/buffer.password")" 2>/dev/null
mosquitto_passwd -b "$RUN/mosquitto/passwd" rules "$(cat "$RUN/secrets/rules.password")" 2>/dev/null
mosquitto_passwd -b "$RUN/mosquitto/passwd" uplink "$(cat "$RUN/secrets/uplink.password")" 2>/dev/null
mosquitto_passwd -b "$RUN/mosquitto/passwd" operator "$(cat "$RUN/secrets/operator.password")" 2>/dev/null
cat >"$RUN/mosquitto/acl" <<ACL
# bridge: publishes telemetry, status, replies and dead letters; reads only its commands.
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
# uplink: relays cloud commands to their targets and their replies back; publishes its status.
user uplink
topic write gw/v1/cmd/#
topic read gw/v1/reply/#
topic readwrite gw/v1/status/uplink
topic read gw/v1/status/gateway
# operator: watches the bus and may send commands.
user operator
topic read gw/v1/#
topic write gw/v1/cmd/#
ACL
cat >"$RUN/mosquitto/mosquitto.conf" <<CONF
user $(id -un)
listener $BUS_PORT 127.0.0.1
allow_anonymous false
password_file $RUN/mosquitto/passwd
acl_file $RUN/mosquitto/acl
persistence true
persistence_location $RUN/mosquitto/data/
log_dest file $RUN/log/mosquitto.log
# The buffer's persistent session keeps what arrives while it restarts.
max_queued_messages 1000000
# Unacknowledged messages in flight per client: the buffer acknowledges after commit.
max_inflight_messages 1000
# No Nagle delay: alarm events and command replies are small and must not wait ~40 ms for the
# peer's delayed ACK.
set_tcp_nodelay true
CONF
umask 022

pids=()
stop_all() {
  echo >&2; echo "Stopping the gateway..." >&2
  for p in "${pids[@]}"; do
    if [ "$p" = pg ]; then
      as_pg "$PG_BIN/pg_ctl" -D "$RUN/postgres" -m fast stop >/dev/null 2>&1 || true
    else
      kill "$p" 2>/dev/null || true
    fi
  done
  wait 2>/dev/null || true
}
trap stop_all EXIT INT TERM

if (exec 3<>"/dev/tcp/127.0.0.1/$BUS_PORT") 2>/dev/null; then
  echo "Port $BUS_PORT is taken (a system mosquitto?). Stop it, or set GW_BUS_PORT." >&2
  exit 1
fi
mosquitto -c "$RUN/mosquitto/mosquitto.conf" &
pids+=($!)
if (exec 3<>"/dev/tcp/127.0.0.1/$CLOUD_PORT") 2>/dev/null; then
  echo "Port $CLOUD_PORT is taken. Stop what uses it, or set GW_CLOUD_PORT." >&2
  exit 1
fi
mosquitto -c "$RUN/cloud/mosquitto.conf" &
pids+=($!)

# The edge store: a PostgreSQL cluster of this run in run/postgres (TimescaleDB is not packaged
# for Debian here; the buffer runs its plain mode). PostgreSQL refuses to run as root.
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ ! -s "$RUN/postgres/PG_VERSION" ]; then
  mkdir -p "$RUN/postgres"
  [ "$(id -u)" = 0 ] && chown postgres "$RUN/postgres" "$RUN/secrets/db-admin.password" && chmod 711 "$RUN" "$RUN/secrets"
  as_pg "$PG_BIN/initdb" -D "$RUN/postgres" -U gateway --auth=scram-sha-256 \
    --pwfile="$RUN/secrets/db-admin.password" --encoding=UTF8 >"$RUN/log/initdb.log"
  [ "$(id -u)" = 0 ] && chown root "$RUN/secrets/db-admin.password" && chmod 700 "$RUN/secrets"
  printf "listen_addresses = '127.0.0.1'\nport = %s\nunix_socket_directories = ''\n" "$DB_PORT" \
    >>"$RUN/postgres/postgresql.auto.conf"
fi
as_pg "$PG_BIN/pg_ctl" -D "$RUN/postgres" status >/dev/null 2>&1 ||
  as_pg "$PG_BIN/pg_ctl" -D "$RUN/postgres" -l "$RUN/postgres/server.log" -w start >/dev/null
pids+=("pg")
# Roles and database, made idempotently on every start so that the passwords follow the files.
# The password reaches psql through a file it reads itself, never through argv.
(umask 077; printf '127.0.0.1:%s:*:gateway:%s\n' "$DB_PORT" "$(cat "$RUN/secrets/db-admin.password")" \
  >"$RUN/secrets/pgpass")
PGPASSFILE="$RUN/secrets/pgpass" "$PG_BIN/psql" -q -h 127.0.0.1 -p "$DB_PORT" \
  -U gateway -d postgres -v ON_ERROR_STOP=1 <<SQL
\\set pw \`cat $RUN/secrets/db-buffer.password\`
SELECT 'CREATE ROLE buffer LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'buffer') \\gexec
ALTER ROLE buffer PASSWORD :'pw';
\\set upw \`cat $RUN/secrets/db-uplink.password\`
SELECT 'CREATE ROLE uplink LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'uplink') \\gexec
ALTER ROLE uplink PASSWORD :'upw';
SELECT 'CREATE DATABASE gateway OWNER buffer'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'gateway') \\gexec
SQL

java -cp "$ROOT/test-support/target/classes:$(cat "$ROOT/test-support/target/classpath.txt")" \
  io.edgegw.testsupport.SimulatedPlant "$PLANT_PORT" >"$RUN/log/plant.log" 2>&1 &
pids+=($!)

sed "s/15020/$PLANT_PORT/; s/15021/$((PLANT_PORT + 1))/; s/15022/$((PLANT_PORT + 2))/" \
  "$ROOT/bin/plant-devices.yaml" >"$RUN/devices.yaml"

MALLOC_ARENA_MAX=2 java $(grep -v "^#" "$ROOT/bin/jvm-options") \
  -Dbridge.devices-file="$RUN/devices.yaml" \
  -Dbridge.bus.port="$BUS_PORT" \
  -Dquarkus.http.port="$HTTP_PORT" \
  -Dquarkus.config.locations="$RUN/secrets/bridge.properties" \
  -jar "$ROOT/bridge-service/target/quarkus-app/quarkus-run.jar" >"$RUN/log/bridge.log" 2>&1 &
pids+=($!)

BRIDGE=${pids[-1]}

MALLOC_ARENA_MAX=2 java $(grep -v "^#" "$ROOT/bin/jvm-options") \
  -Dquarkus.datasource.jdbc.url="jdbc:postgresql://127.0.0.1:$DB_PORT/gateway" \
  -Dbuffer.bus.port="$BUS_PORT" \
  -Dbuffer.devices-file="$RUN/devices.yaml" \
  -Dbuffer.api.token-file="$RUN/secrets/buffer-api-token" \
  -Dquarkus.http.port="$BUFFER_PORT" \
  -Dquarkus.config.locations="$RUN/secrets/buffer.properties" \
  -jar "$ROOT/buffer-service/target/quarkus-app/quarkus-run.jar" >"$RUN/log/buffer.log" 2>&1 &
pids+=($!)
BUFFER=${pids[-1]}

# The plant's rules, copied once: edits to run/rules.yaml are kept across runs.
[ -s "$RUN/rules.yaml" ] || cp "$ROOT/bin/plant-rules.yaml" "$RUN/rules.yaml"
MALLOC_ARENA_MAX=2 java $(grep -v "^#" "$ROOT/bin/jvm-options") \
  -Drules.rules-file="$RUN/rules.yaml" \
  -Drules.devices-file="$RUN/devices.yaml" \
  -Drules.bus.port="$BUS_PORT" \
  -Dquarkus.http.port="$RULES_PORT" \
  -Dquarkus.config.locations="$RUN/secrets/rules.properties" \
  -jar "$ROOT/rules-service/target/quarkus-app/quarkus-run.jar" >"$RUN/log/rules.log" 2>&1 &
pids+=($!)
RULES=${pids[-1]}

wait_ready() { # name pid port log
  for _ in $(seq 1 300); do
    curl -fs "http://127.0.0.1:$3/q/health/ready" >/dev/null 2>&1 && return 0
    kill -0 "$2" 2>/dev/null || { echo "$1 exited; see $4" >&2; tail -20 "$4" >&2; exit 1; }
    sleep 0.2
  done
  echo "$1 is not ready after 60 s; see $4" >&2
  exit 1
}
echo "Waiting for the bridge, the buffer and the rules to be ready..." >&2
wait_ready bridge "$BRIDGE" "$HTTP_PORT" "$RUN/log/bridge.log"
wait_ready buffer "$BUFFER" "$BUFFER_PORT" "$RUN/log/buffer.log"
wait_ready rules "$RULES" "$RULES_PORT" "$RUN/log/rules.log"

# The uplink reads what the buffer stores (the buffer's migrations have run once it is ready) and
# keeps its own outbox positions: read access to the store, write access to those two tables.
PGPASSFILE="$RUN/secrets/pgpass" "$PG_BIN/psql" -q -h 127.0.0.1 -p "$DB_PORT" \
  -U gateway -d gateway -v ON_ERROR_STOP=1 <<SQL
GRANT USAGE ON SCHEMA public TO uplink;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO uplink;
ALTER DEFAULT PRIVILEGES FOR ROLE buffer IN SCHEMA public GRANT SELECT ON TABLES TO uplink;
GRANT INSERT, UPDATE, DELETE ON outbox_position, outbox_delivered TO uplink;
SQL
MALLOC_ARENA_MAX=2 java $(grep -v "^#" "$ROOT/bin/jvm-options") \
  -Duplink.gateway-id="$GATEWAY_ID" \
  -Duplink.cloud.host=127.0.0.1 \
  -Duplink.cloud.port="$CLOUD_PORT" \
  -Duplink.cloud.tls.ca-file="$PKI/ca.crt" \
  -Duplink.cloud.tls.cert-file="$PKI/gateway.crt" \
  -Duplink.cloud.tls.key-file="$PKI/gateway.key" \
  -Duplink.bus.port="$BUS_PORT" \
  -Dquarkus.datasource.jdbc.url="jdbc:postgresql://127.0.0.1:$DB_PORT/gateway" \
  -Dquarkus.http.port="$UPLINK_PORT" \
  -Dquarkus.config.locations="$RUN/secrets/uplink.properties" \
  -jar "$ROOT/uplink-service/target/quarkus-app/quarkus-run.jar" >"$RUN/log/uplink.log" 2>&1 &
pids+=($!)
UPLINK=${pids[-1]}
wait_ready uplink "$UPLINK" "$UPLINK_PORT" "$RUN/log/uplink.log"
cat >&2 <<MSG

Gateway running.
  bridge   http://127.0.0.1:$HTTP_PORT/q/health/ready   (metrics: /q/metrics)
  buffer   http://127.0.0.1:$BUFFER_PORT/q/health/ready   (metrics: /q/metrics)
  rules    http://127.0.0.1:$RULES_PORT/q/health/ready   (alarms: gw/v1/alarm/+, rules in $RUN/rules.yaml)
  uplink   http://127.0.0.1:$UPLINK_PORT/q/health/ready   (link state: gw/v1/status/uplink)
  cloud    the demo cloud broker, TLS with client certificates, on 127.0.0.1:$CLOUD_PORT:
           mosquitto_sub -h 127.0.0.1 -p $CLOUD_PORT --cafile $PKI/ca.crt \\
             --cert $PKI/cloud-operator.crt --key $PKI/cloud-operator.key -t 'edgegw/#' -v
  data     curl -H "Authorization: Bearer \$(cat $RUN/secrets/buffer-api-token)" \\
             http://127.0.0.1:$BUFFER_PORT/api/v1/series
  logs     $RUN/log/ (service logs are JSON)
  secrets  $RUN/secrets/ (mode 0600)
Live bus traffic follows (gw/v1/#). Ctrl-C stops everything.

MSG
# The operator's credentials go in mosquitto_sub's own options file, not on the command line.
mkdir -p "$RUN/secrets/cli" && chmod 700 "$RUN/secrets/cli"
for tool in mosquitto_sub mosquitto_pub; do
  (umask 077; printf -- '-p %s\n-u operator\n-P %s\n' "$BUS_PORT" "$(cat "$RUN/secrets/operator.password")" >"$RUN/secrets/cli/$tool")
done
XDG_CONFIG_HOME="$RUN/secrets/cli" mosquitto_sub -h 127.0.0.1 -p "$BUS_PORT" -v -t 'gw/v1/#' &
pids+=($!)
wait "${pids[-1]}"
