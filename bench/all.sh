#!/usr/bin/env bash
# Every benchmark harness, one after the other, then the summary of docs/benchmarks.md
# (bench/summary.py): bridge, buffer, rules, uplink (processes on loopback), then pipeline and stack
# (the podman stack: the whole pipeline at 100,000 values/s; startup, memory under 10,000 values/s
# and a cloud outage with its backfill, plotted to bench/results/backfill.png). About 40 minutes on
# a 2-core machine. A harness that fails is reported and the others still run; the exit status is
# non-zero if any failed. Run through `bin/gateway bench all`.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
failed=()
for h in bridge buffer rules uplink pipeline stack; do
  echo "=== bench $h ($(date -u +%H:%M:%S))" >&2
  # The image build (podman) is needed once, by the first podman harness.
  if [ "$h" = stack ]; then export BUILD=false; fi
  "$ROOT/bench/$h.sh" || failed+=("$h")
done
python3 "$ROOT/bench/summary.py"
if [ ${#failed[@]} -gt 0 ]; then
  echo "failed: ${failed[*]}" >&2
  exit 1
fi
