#!/usr/bin/env bash
# Uplink benchmark, in one go (harness io.edgegw.uplink.bench.UplinkBench in uplink-service's test
# sources; one PostgreSQL from test-support for both parts, and per part a fresh database migrated
# by buffer-service's Flyway script, a local Mosquitto, a TLS Mosquitto standing in for the cloud
# (mTLS) and the packaged uplink-service as a child JVM with bin/jvm-options):
#   1. backfill: 1,000,000 samples written as the backlog before the service starts, both backfill
#      token buckets at 1e9; from the first backfill message at the cloud to the cloud's count of
#      unique samples reaching 1,000,000: samples/s, messages/s, bytes/s, compression, CPU;
#   2. throttle: backfill at 20 messages/s (100 samples each) with a backlog that outlasts the run,
#      live commits of 10 samples every 100 ms; over a 60 s window after a 10 s warm-up: backfill
#      messages/s at the cloud against the limit, and commit-to-cloud latency of every live commit.
# Writes bench/results/uplink.json and adds a row to the uplink table of docs/benchmarks.md.
# Bounded (about 3 minutes after the build): everything runs on 127.0.0.1. Run through
# `bin/gateway bench uplink`, holding the build lock if others build in the same checkout.
#
# Settings (environment; the defaults are in UplinkBench): PHASES (backfill,throttle);
# BACKFILL_SAMPLES, BACKFILL_SERIES, BACKFILL_PER_COMMIT, BACKFILL_BUDGET (s), BACKFILL_VACUUM=1
# (VACUUM ANALYZE after writing the backlog, which summarizes the BRIN; default ANALYZE only);
# THROTTLE_RATE,
# THROTTLE_SAMPLES_PER_MESSAGE, THROTTLE_WARMUP, THROTTLE_WINDOW (s); LIVE_EVERY_MS, LIVE_TAGS;
# SERVICE_JVM_EXTRA, options added to the service's JVM after bin/jvm-options (e.g. a flight
# recording); SKIP_BUILD=1 reuses target/; MVN_ARGS adds Maven options (e.g. -o).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
started=$(date +%s)
WORK="$ROOT/bench/work/uplink"
rm -rf "$WORK" && mkdir -p "$WORK/app/lib"

cd "$ROOT"
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  # shellcheck disable=SC2086 # MVN_ARGS is a list of options
  mvn -B -q -ntp ${MVN_ARGS:-} -DskipTests -Dspotless.check.skip=true \
    -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=test \
    package dependency:build-classpath -pl uplink-service,test-support -am
fi

# Run from a copy: other builds in the same checkout may rewrite target/ while this runs.
cp -r uplink-service/target/quarkus-app "$WORK/app/uplink-app"
cp -r uplink-service/target/classes uplink-service/target/test-classes "$WORK/app/"
cp -r buffer-service/src/main/resources/db/migration "$WORK/app/migration"
CP="$WORK/app/test-classes:$WORK/app/classes"
# (The file has no final newline, so read reports end of file: not an error here.)
IFS=: read -r -a entries <"uplink-service/target/classpath.txt" || true
for entry in "${entries[@]}"; do
  case "$entry" in
    "$ROOT"/*) cp -r "$entry" "$WORK/app/lib/" && CP="$CP:$WORK/app/lib/$(basename "$entry")" ;;
    *) CP="$CP:$entry" ;;
  esac
done

MALLOC_ARENA_MAX=2 RAW_OUT="$WORK/raw.json" JVM_OPTIONS_FILE="$ROOT/bin/jvm-options" \
  UPLINK_JAR="$WORK/app/uplink-app/quarkus-run.jar" MIGRATIONS="$WORK/app/migration" \
  java -Xmx1g --enable-native-access=ALL-UNNAMED -cp "$CP" io.edgegw.uplink.bench.UplinkBench

python3 "$ROOT/bench/uplink_report.py" --raw "$WORK/raw.json" \
  --json "$ROOT/bench/results/uplink.json" --table "$ROOT/docs/benchmarks.md" \
  --total-s "$(($(date +%s) - started))"
