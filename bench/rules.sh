#!/usr/bin/env bash
# Rules benchmark, in one go (harness io.edgegw.rules.bench.RulesBench in rules-service's test
# sources; each phase starts a Mosquitto of its own from test-support, the services run packaged,
# as child JVMs with bin/jvm-options):
#   1. processing: the rules-service with a generated site of 1,000 devices x 100 tags and 1,000
#      rules (thresholds with hysteresis and delays, rate, stale, quality, expressions; no
#      interlocks), fed 1,000 batches of 100 samples per second (QoS 1) whose values cross the
#      limits; p50/p99/p999 of the service's rules_batch_processing_seconds histogram over the
#      window, batches evaluated vs offered, transitions/s, CPU and RSS of the service;
#   2. end to end: a Modbus TCP simulator, the bridge polling it every 100 ms and the rules with
#      one threshold rule and its interlock; from a register change to the RAISED event on the
#      bus and to the interlock's coil write landing in the simulator, p50/p99/max.
# Writes bench/results/rules.json and adds a row to the rules table of docs/benchmarks.md.
# Bounded (well under 10 minutes): everything runs on 127.0.0.1 and stops after its window or its
# iterations. Run through `bin/gateway bench rules` (it installs packages and selects the JDK),
# holding the build lock if others build in the same checkout.
#
# Settings (environment; the defaults are below): PHASES; PROC_* (devices, tags per device = samples
# per batch, rules, offered samples/s, warm-up and window in s); E2E_* (poll interval in ms,
# measured and warm-up iterations, time budget in s); SERVICE_JVM_EXTRA, options added to the
# services' JVMs after bin/jvm-options (e.g. -XX:StartFlightRecording=filename=/tmp/rules-%p.jfr,
# recorded in the results); SKIP_BUILD=1 reuses target/; MVN_ARGS adds Maven options (e.g. -o).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PHASES=${PHASES:-processing,e2e}
export PROC_DEVICES=${PROC_DEVICES:-1000} PROC_TAGS=${PROC_TAGS:-100} PROC_RULES=${PROC_RULES:-1000}
export PROC_RATE=${PROC_RATE:-100000} PROC_WARMUP=${PROC_WARMUP:-20} PROC_WINDOW=${PROC_WINDOW:-60}
export E2E_POLL_MS=${E2E_POLL_MS:-100} E2E_ITERATIONS=${E2E_ITERATIONS:-100}
export E2E_WARMUP_ITERATIONS=${E2E_WARMUP_ITERATIONS:-5} E2E_BUDGET=${E2E_BUDGET:-180}
started=$(date +%s)
WORK="$ROOT/bench/work/rules"
rm -rf "$WORK" && mkdir -p "$WORK/app/lib"

cd "$ROOT"
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  # shellcheck disable=SC2086 # MVN_ARGS is a list of options
  mvn -B -q -ntp ${MVN_ARGS:-} -DskipTests -Dspotless.check.skip=true \
    -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=test \
    package dependency:build-classpath -pl bridge-service,rules-service,test-support -am
fi

# Run from a copy: other builds in the same checkout may rewrite target/ while this runs.
cp -r rules-service/target/quarkus-app "$WORK/app/rules-app"
cp -r bridge-service/target/quarkus-app "$WORK/app/bridge-app"
cp -r rules-service/target/classes rules-service/target/test-classes "$WORK/app/"
CP="$WORK/app/test-classes:$WORK/app/classes"
# (The file has no final newline, so read reports end of file: not an error here.)
IFS=: read -r -a entries <"rules-service/target/classpath.txt" || true
for entry in "${entries[@]}"; do
  case "$entry" in
    "$ROOT"/*) cp -r "$entry" "$WORK/app/lib/" && CP="$CP:$WORK/app/lib/$(basename "$entry")" ;;
    *) CP="$CP:$entry" ;;
  esac
done

# As bench/bridge.sh starts the bridge: fewer glibc malloc arenas, less RSS (the services inherit
# it from the harness).
MALLOC_ARENA_MAX=2 WORK="$WORK" RAW_OUT="$WORK/raw.json" JVM_OPTIONS_FILE="$ROOT/bin/jvm-options" \
  RULES_JAR="$WORK/app/rules-app/quarkus-run.jar" BRIDGE_JAR="$WORK/app/bridge-app/quarkus-run.jar" \
  java -Xmx512m --enable-native-access=ALL-UNNAMED -cp "$CP" io.edgegw.rules.bench.RulesBench

python3 "$ROOT/bench/rules_report.py" --raw "$WORK/raw.json" \
  --json "$ROOT/bench/results/rules.json" --table "$ROOT/docs/benchmarks.md" \
  --total-s "$(($(date +%s) - started))"
