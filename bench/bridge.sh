#!/usr/bin/env bash
# Bridge benchmark: N simulated Modbus TCP devices x M tags at a 1 s poll, published to a real
# Mosquitto. Measures achieved values/s, requests per poll cycle, p99 poll-start jitter, CPU and
# RSS of the bridge over a fixed window, then writes bench/results/bridge.json and adds a row to
# docs/benchmarks.md. Bounded: everything runs on 127.0.0.1 and stops after the window.
# Run through `bin/gateway bench bridge` (it installs packages and selects the JDK).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEVICES=${DEVICES:-100}
TAGS=${TAGS:-1000}
WARMUP=${WARMUP:-20}
WINDOW=${WINDOW:-60}
BASE_PORT=${BASE_PORT:-16000}
BUS_PORT=${BUS_PORT:-18830}
HTTP_PORT=${HTTP_PORT:-18081}
WORK="$ROOT/bench/work"
rm -rf "$WORK" && mkdir -p "$WORK/secrets" "$WORK/mosquitto" && chmod 700 "$WORK/secrets"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

cd "$ROOT"
mvn -B -q -ntp -DskipTests -Dspotless.check.skip=true -Dmdep.outputFile=target/classpath.txt \
  package dependency:build-classpath -pl bridge-service,test-support -am
FLEET_CP="$ROOT/test-support/target/classes:$(cat "$ROOT/test-support/target/classpath.txt")"

# Broker: generated password, loopback only.
PASS=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
(umask 077; printf 'bridge.bus.password=%s\n' "$PASS" >"$WORK/secrets/bridge.properties")
mosquitto_passwd -c -b "$WORK/mosquitto/passwd" bridge "$PASS" >/dev/null
cat >"$WORK/mosquitto/mosquitto.conf" <<CONF
listener $BUS_PORT 127.0.0.1
allow_anonymous false
password_file $WORK/mosquitto/passwd
persistence false
max_queued_messages 100000
CONF
mosquitto -c "$WORK/mosquitto/mosquitto.conf" >"$WORK/mosquitto.log" 2>&1 &
pids+=($!)

java -Xmx1g -cp "$FLEET_CP" io.edgegw.testsupport.SimulatedFleet \
  --devices "$DEVICES" --tags "$TAGS" --base-port "$BASE_PORT" \
  --devices-yaml "$WORK/devices.yaml" >"$WORK/fleet.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 600); do [ -s "$WORK/devices.yaml" ] && break; sleep 0.1; done
[ -s "$WORK/devices.yaml" ] || { echo "fleet did not start; see $WORK/fleet.log" >&2; exit 1; }

MALLOC_ARENA_MAX=2 java $(grep -v "^#" "$ROOT/bin/jvm-options") -XX:NativeMemoryTracking=summary \
  -Dquarkus.http.port="$HTTP_PORT" \
  -Dbridge.devices-file="$WORK/devices.yaml" \
  -Dbridge.bus.port="$BUS_PORT" \
  -Dquarkus.config.locations="$WORK/secrets/bridge.properties" \
  -Dquarkus.log.console.json.enabled=false \
  -jar bridge-service/target/quarkus-app/quarkus-run.jar >"$WORK/bridge.log" 2>&1 &
BRIDGE=$!
pids+=($BRIDGE)

for _ in $(seq 1 600); do
  curl -fs "http://127.0.0.1:$HTTP_PORT/q/health/ready" >/dev/null 2>&1 && break; sleep 0.1
done
curl -fs "http://127.0.0.1:$HTTP_PORT/q/health/ready" >/dev/null || { echo "bridge not ready; see $WORK/bridge.log" >&2; exit 1; }

sleep "$WARMUP"
cpu0=$(awk '{print $14+$15}' "/proc/$BRIDGE/stat"); t0=$(date +%s.%N)
curl -fs "http://127.0.0.1:$HTTP_PORT/q/metrics" >"$WORK/metrics0.txt"
rss_peak=0
end=$(( $(date +%s) + WINDOW ))
while [ "$(date +%s)" -lt "$end" ]; do
  rss=$(awk '/VmRSS/{print $2}' "/proc/$BRIDGE/status")
  [ "$rss" -gt "$rss_peak" ] && rss_peak=$rss
  sleep 1
done
cpu1=$(awk '{print $14+$15}' "/proc/$BRIDGE/stat"); t1=$(date +%s.%N)
curl -fs "http://127.0.0.1:$HTTP_PORT/q/metrics" >"$WORK/metrics1.txt"
# Where the bridge's memory is, for anyone chasing the RSS figure.
jcmd "$BRIDGE" VM.native_memory summary >"$WORK/nmt.txt" 2>&1 || true
jcmd "$BRIDGE" GC.heap_info >"$WORK/heap.txt" 2>&1 || true

python3 "$ROOT/bench/bridge_report.py" \
  --before "$WORK/metrics0.txt" --after "$WORK/metrics1.txt" \
  --t0 "$t0" --t1 "$t1" --cpu0 "$cpu0" --cpu1 "$cpu1" --clk-tck "$(getconf CLK_TCK)" \
  --rss-kb "$rss_peak" --devices "$DEVICES" --tags "$TAGS" \
  --json "$ROOT/bench/results/bridge.json" --table "$ROOT/docs/benchmarks.md"
