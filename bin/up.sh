#!/usr/bin/env bash
# Runs the gateway on this host against the bundled simulated plant (see bin/gateway up).
# State lives in run/ (ignored by git): generated secrets (0600), broker config and data, logs.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUN="$ROOT/run"
BUS_PORT=${GW_BUS_PORT:-1883}
PLANT_PORT=${GW_PLANT_PORT:-15020}
HTTP_PORT=${GW_HTTP_PORT:-8081}

mkdir -p "$RUN/secrets" "$RUN/mosquitto/data" "$RUN/log"
chmod 700 "$RUN/secrets"

echo "Building the gateway (first run downloads dependencies)..." >&2
cd "$ROOT"
mvn -B -q -ntp -DskipTests -Dspotless.check.skip=true -Dmdep.outputFile=target/classpath.txt \
  package dependency:build-classpath -pl bridge-service,test-support -am

# First-run provisioning: one generated password per broker user, kept across runs, never printed.
umask 077
for user in bridge operator; do
  f="$RUN/secrets/$user.password"
  [ -s "$f" ] || head -c 24 /dev/urandom | base64 | tr -d '/+=\n' >"$f"
done
printf 'bridge.bus.password=%s\n' "$(cat "$RUN/secrets/bridge.password")" >"$RUN/secrets/bridge.properties"
rm -f "$RUN/mosquitto/passwd"
mosquitto_passwd -c -b "$RUN/mosquitto/passwd" bridge "$(cat "$RUN/secrets/bridge.password")" 2>/dev/null
mosquitto_passwd -b "$RUN/mosquitto/passwd" operator "$(cat "$RUN/secrets/operator.password")" 2>/dev/null
cat >"$RUN/mosquitto/acl" <<ACL
# bridge: publishes telemetry, status, replies and dead letters; reads only its commands.
user bridge
topic write gw/v1/telemetry/#
topic write gw/v1/status/bridge
topic write gw/v1/reply/#
topic write gw/v1/dlq/bridge
topic read gw/v1/cmd/bridge/#
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
CONF
umask 022

pids=()
stop_all() {
  echo >&2; echo "Stopping the gateway..." >&2
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_all EXIT INT TERM

if (exec 3<>"/dev/tcp/127.0.0.1/$BUS_PORT") 2>/dev/null; then
  echo "Port $BUS_PORT is taken (a system mosquitto?). Stop it, or set GW_BUS_PORT." >&2
  exit 1
fi
mosquitto -c "$RUN/mosquitto/mosquitto.conf" &
pids+=($!)

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

echo "Waiting for the bridge to be ready..." >&2
for _ in $(seq 1 300); do
  curl -fs "http://127.0.0.1:$HTTP_PORT/q/health/ready" >/dev/null 2>&1 && break
  kill -0 "${pids[-1]}" 2>/dev/null || { echo "bridge exited; see $RUN/log/bridge.log" >&2; tail -20 "$RUN/log/bridge.log" >&2; exit 1; }
  sleep 0.2
done
cat >&2 <<MSG

Gateway running.
  health   http://127.0.0.1:$HTTP_PORT/q/health/ready
  metrics  http://127.0.0.1:$HTTP_PORT/q/metrics
  logs     $RUN/log/ (bridge.log is JSON)
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
