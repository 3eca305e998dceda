#!/usr/bin/env bash
# Whole-pipeline benchmark (issue #8): simulator -> bridge -> bus -> buffer (stored) -> uplink ->
# the TLS cloud stand-in, on the podman stack (bench/stack.sh with a bigger load generator):
# LOAD=10x1000@100 (10 devices x 1,000 tags, values changing and polled every 100 ms: 100,000
# values/s offered over 10,000 series; 100x1000 at 1 s is the same rate over 100,000 series, which
# made the buffer run out of its 112 MB heap: see docs/benchmarks.md). Reports the
# samples the cloud acknowledged per second over the window (`pipeline_values_per_s`), what the
# bridge published and the buffer stored, the bridge's drops, the uplink's backlog at the start and
# end of the window and each container's CPU; writes bench/results/pipeline.json and a row of the
# "## pipeline" table of docs/benchmarks.md. Run through `bin/gateway bench pipeline`.
set -euo pipefail
export LOAD=${LOAD:-10x1000@100} REPORT=pipeline
export GW_LOAD_HEAP=${GW_LOAD_HEAP:-384m} GW_LOAD_MEM=${GW_LOAD_MEM:-768m}
exec "$(dirname "${BASH_SOURCE[0]}")/stack.sh" "$@"
