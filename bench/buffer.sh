#!/usr/bin/env bash
# Buffer benchmark, in one go (harness io.edgegw.buffer.bench.BufferBench in buffer-service's test
# sources; it starts a PostgreSQL and Mosquitto of its own from test-support):
#   1. writer alone: StoreWriter against a plain JDBC executeBatch insert of the same rows and
#      flushes, on fresh databases of the same server, alternating (plus write paths the service
#      does not use, reported apart);
#   2. end to end: the packaged service as a child JVM, a publisher at a fixed rate on the bus,
#      committed rows/s and publish-to-commit lag over a window;
#   3. query: 30 d x 1 Hz x 10 series loaded with SQL, then the API's 30-day 1-minute aggregate of
#      one series and 24 h raw CSV exports, p50/p99 over repeated requests.
# Writes bench/results/buffer.json and adds a row to the buffer table of docs/benchmarks.md.
# Bounded: everything runs on 127.0.0.1 and stops after its window. Run through
# `bin/gateway bench buffer` (it installs packages and selects the JDK).
#
# Settings (environment; the defaults are below): PHASES; WRITER_* (rows, series, rows per flush,
# runs per path, whether to measure the alternative write paths too); E2E_RATE (offered samples/s,
# a comma-separated list: the first is the headline, the others are reported next to it), E2E_*
# (samples per message, devices, warm-up, window, drain); QUERY_* (days, series, warm-ups, timed
# requests); PG_SETTINGS ("name=value;..." applied with ALTER SYSTEM to test-support's PostgreSQL,
# recorded in the results; the default gives it the shared_buffers of bin/up.sh's cluster, the
# initdb default, instead of test-support's 32MB); SKIP_BUILD=1 reuses target/.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bin/lib.sh
source "$ROOT/bin/lib.sh"
need_debs postgresql
export PHASES=${PHASES:-writer,e2e,query}
export WRITER_SAMPLES=${WRITER_SAMPLES:-2000000} WRITER_SERIES=${WRITER_SERIES:-100}
export WRITER_FLUSH=${WRITER_FLUSH:-5000} WRITER_RUNS=${WRITER_RUNS:-2}
export WRITER_ALTERNATIVES=${WRITER_ALTERNATIVES:-1}
export E2E_RATE=${E2E_RATE:-100000,50000} E2E_BATCH=${E2E_BATCH:-100} E2E_DEVICES=${E2E_DEVICES:-1000}
export E2E_WARMUP=${E2E_WARMUP:-20} E2E_WINDOW=${E2E_WINDOW:-60} E2E_DRAIN=${E2E_DRAIN:-60}
export QUERY_DAYS=${QUERY_DAYS:-30} QUERY_SERIES=${QUERY_SERIES:-10}
export QUERY_WARMUPS=${QUERY_WARMUPS:-2} QUERY_REPS=${QUERY_REPS:-20}
export PG_SETTINGS=${PG_SETTINGS-shared_buffers=128MB}
started=$(date +%s)
WORK="$ROOT/bench/work/buffer"
rm -rf "$WORK" && mkdir -p "$WORK/app/lib"

cd "$ROOT"
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  mvn -B -q -ntp -DskipTests -Dspotless.check.skip=true \
    -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=test \
    package dependency:build-classpath -pl buffer-service,test-support -am
fi

# Run from a copy: other builds in the same checkout may rewrite target/ while this runs.
cp -r buffer-service/target/quarkus-app "$WORK/app/quarkus-app"
cp -r buffer-service/target/classes buffer-service/target/test-classes "$WORK/app/"
CP="$WORK/app/test-classes:$WORK/app/classes"
# (The file has no final newline, so read reports end of file: not an error here.)
IFS=: read -r -a entries <"buffer-service/target/classpath.txt" || true
for entry in "${entries[@]}"; do
  case "$entry" in
    "$ROOT"/*) cp "$entry" "$WORK/app/lib/" && CP="$CP:$WORK/app/lib/$(basename "$entry")" ;;
    *) CP="$CP:$entry" ;;
  esac
done

WORK="$WORK" APP_JAR="$WORK/app/quarkus-app/quarkus-run.jar" JVM_OPTIONS_FILE="$ROOT/bin/jvm-options" \
  RAW_OUT="$WORK/raw.json" \
  java -Xmx1g --enable-native-access=ALL-UNNAMED -cp "$CP" io.edgegw.buffer.bench.BufferBench

python3 "$ROOT/bench/buffer_report.py" --raw "$WORK/raw.json" \
  --json "$ROOT/bench/results/buffer.json" --table "$ROOT/docs/benchmarks.md" \
  --total-s "$(($(date +%s) - started))"
