#!/usr/bin/env bash
# Stack benchmark (issue #7): the gateway stack on podman (compose/gateway.yaml + demo.yaml, with
# compose/load.yaml's load generator as the plant), measured for
#   startup_s           from `podman/stack.sh up` to every service healthy, images already built;
#   max_service_rss_mb  the largest Java service RSS under the demo load;
#   stack_rss_mb        the whole stack's memory (PSS) under the demo load.
# Writes bench/results/stack.json and adds a row to the "## stack" table of docs/benchmarks.md.
# Bounded: its own compose project (edgegw-bench), purged before and after; ports on 127.0.0.1 are
# those of the demo stack, so that must be down. Run through `bin/gateway bench stack`.
#   LOAD=10x1000 (devices x tags at a 1 s poll: 10,000 values/s)  WARMUP=60  WINDOW=60  INTERVAL=10
#   BUILD=false skips the image build (images already built from this checkout)
#   REPORT=pipeline reports the whole pipeline instead (bench/pipeline.sh sets it)
#   BACKFILL=false skips the outage and backfill recording that follows the stack report
#   (bench/backfill_timeline.py: OUTAGE=60 s with the cloud stopped; bench/results/backfill.png)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOAD=${LOAD:-10x1000}
WARMUP=${WARMUP:-60}
WINDOW=${WINDOW:-60}
INTERVAL=${INTERVAL:-10}
export GW_PROJECT=edgegw-bench GW_DEMO_LOAD=$LOAD
# Debian's Python, which has the python3-paho-mqtt and python3-matplotlib packages bin/gateway
# installs (a python3 earlier on PATH, e.g. pyenv's, may not).
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

if podman ps --format '{{.Names}}' | grep -q '^edgegw_'; then
  echo "the demo stack (project edgegw) is running and holds the same ports: podman/stack.sh down first" >&2
  exit 1
fi
cleanup() { "$ROOT/podman/stack.sh" purge >/dev/null 2>&1 || true; }
trap cleanup EXIT
cleanup

# Images first, from this checkout (not timed), so that startup is the stack's alone.
[ "${BUILD:-true}" = false ] || "$ROOT/podman/build-images.sh" --local-base
start=$(date +%s.%N)
"$ROOT/podman/stack.sh" up
ready=$(date +%s.%N)
startup=$("$PY" -c "print(round($ready - $start, 1))")
echo "stack ready in $startup s; load $LOAD, warming up ${WARMUP} s" >&2
sleep "$WARMUP"
report=(--json "$ROOT/bench/results/stack.json")
[ "${REPORT:-stack}" = pipeline ] && report=(--pipeline --json "$ROOT/bench/results/pipeline.json")
"$PY" "$ROOT/bench/stack_report.py" --project "$GW_PROJECT" --startup-s "$startup" --load "$LOAD" \
  --window "$WINDOW" --interval "$INTERVAL" "${report[@]}" --table "$ROOT/docs/benchmarks.md"
if [ "${REPORT:-stack}" = stack ] && [ "${BACKFILL:-true}" != false ]; then
  mkdir -p "$ROOT/bench/work/stack"
  offered=$("$PY" -c "import sys; sys.path.insert(0, '$ROOT/bench'); import stack_report as s; print(s.offered_rate('$LOAD'))")
  "$PY" "$ROOT/bench/backfill_timeline.py" --project "$GW_PROJECT" \
    --secrets "$ROOT/run/stack-$GW_PROJECT/secrets" --work "$ROOT/bench/work/stack" \
    --offered "$offered" --outage "${OUTAGE:-60}" --json "$ROOT/bench/results/backfill-timeline.json" \
    --plot "$ROOT/bench/results/backfill.png" --table "$ROOT/docs/benchmarks.md"
fi
