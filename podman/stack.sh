#!/usr/bin/env bash
# The gateway stack on this host's podman, with the demo plant and the TLS cloud stand-in
# (compose/gateway.yaml + compose/demo.yaml), for a checkout rather than an installed gateway:
#
#   podman/stack.sh up       build the images if missing, provision run/stack/secrets (kept),
#                            start the stack and wait until every service is healthy
#   podman/stack.sh status   each container's health, then podman/check-host.sh
#   podman/stack.sh down     stop and remove the containers (data volumes are kept)
#   podman/stack.sh purge    down, and remove the data volumes and networks too
#
# GW_DEMO_LOAD=DEVICESxTAGS[@MS] (e.g. 10x1000, 10,000 values/s at the default 1000 ms; 10x1000@100,
# 100,000 values/s) runs the plant container as a load generator (compose/load.yaml) instead of the
# three-device plant, values changing and polled every MS; bench/stack.sh uses it.
#
# State in run/stack/ (ignored by git). Ports on 127.0.0.1: broker GW_BUS_PORT (1883), bridge 8081,
# buffer 8082, uplink 8084, the cloud stand-in GW_DEMO_CLOUD_PORT (18883); they are those of
# bin/gateway up, so run one or the other. JAVA_HOME: a JDK >= 21 (for the image build).
set -euo pipefail
# shellcheck source=podman/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ROOT=$(cd "$PODMAN_DIR/.." && pwd)
PROJECT=${GW_PROJECT:-edgegw}
# Another project (the benchmark's) keeps its own state, so it never touches the demo's.
RUN=$ROOT/run/stack${GW_PROJECT:+-$GW_PROJECT}
[ "$PROJECT" = edgegw ] && RUN=$ROOT/run/stack
VERSION=$(sed -n 's:^  <version>\(.*\)</version>.*:\1:p' "$ROOT/pom.xml" | head -1)
SERVICES=(bridge buffer rules uplink)
export GW_SECRETS=$RUN/secrets GW_CONFIG=$RUN/config GW_VERSION=$VERSION GW_STACK_DIR=$ROOT/compose
export GW_MOSQUITTO_IMAGE=${GW_MOSQUITTO_IMAGE:-$GW_IMAGE_PREFIX/mosquitto:$(debian_suite)}
export GW_DB_IMAGE=${GW_DB_IMAGE:-$GW_IMAGE_PREFIX/postgres:15}
compose=(podman-compose -p "$PROJECT" -f "$ROOT/compose/gateway.yaml" -f "$ROOT/compose/demo.yaml")
if [ -n "${GW_DEMO_LOAD:-}" ]; then
  [[ $GW_DEMO_LOAD =~ ^([1-9][0-9]*)x([1-9][0-9]*)(@([1-9][0-9]*))?$ ]] || {
    echo "GW_DEMO_LOAD='$GW_DEMO_LOAD' must be DEVICESxTAGS[@MS], e.g. 10x1000 or 10x1000@100" >&2
    exit 2
  }
  export GW_LOAD_DEVICES=${BASH_REMATCH[1]} GW_LOAD_TAGS=${BASH_REMATCH[2]}
  export GW_LOAD_PERIOD_MS=${BASH_REMATCH[4]:-1000}
  compose+=(-f "$ROOT/compose/load.yaml")
fi

healthy() { podman healthcheck run "${PROJECT}_$1_1" >/dev/null 2>&1; }

up() {
  local missing=false
  for image in "${SERVICES[@]/#/$GW_IMAGE_PREFIX/}" "$GW_IMAGE_PREFIX/plant-simulator"; do
    podman image exists "$image:$VERSION" || missing=true
  done
  podman image exists "$GW_MOSQUITTO_IMAGE" && podman image exists "$GW_DB_IMAGE" || missing=true
  if $missing; then
    echo "Building the images (first time: a few minutes)..." >&2
    "$PODMAN_DIR/build-images.sh" --local-base
  fi
  "$PODMAN_DIR/provision.sh" --gateway-id "${GW_GATEWAY_ID:-gw-demo}" --demo-cloud "$GW_SECRETS"
  mkdir -p "$GW_CONFIG"
  if [ -n "${GW_DEMO_LOAD:-}" ]; then
    # The load generator's devices, as the plant image's SimulatedFleet lays them out.
    podman run --rm --network none --entrypoint java "$GW_IMAGE_PREFIX/plant-simulator:$VERSION" \
      -cp '/opt/plant/*:/opt/plant/lib/*' io.edgegw.testsupport.SimulatedFleet --yaml-only \
      --devices "$GW_LOAD_DEVICES" --tags "$GW_LOAD_TAGS" --base-port 15020 \
      --period-ms "$GW_LOAD_PERIOD_MS" --yaml-host plant --devices-yaml - >"$GW_CONFIG/devices.yaml"
    # One threshold rule and one quality rule per load device: the engine sees every value.
    { echo "version: 1"; echo "rules:"
      for ((d = 0; d < GW_LOAD_DEVICES; d++)); do
        echo "  - { id: dev$d-t0-high, severity: WARNING, threshold: { device: dev$d, tag: t0, hi: 25000, hysteresis: 100 } }"
        echo "  - { id: dev$d-t1-quality, severity: WARNING, quality: { device: dev$d, tag: t1 } }"
      done; } >"$GW_CONFIG/rules.yaml"
  else
    sed 's/host: 127.0.0.1/host: plant/' "$ROOT/bin/plant-devices.yaml" >"$GW_CONFIG/devices.yaml"
  fi
  # The plant's rules, copied once: edits to run/stack/config/rules.yaml are kept.
  [ -n "${GW_DEMO_LOAD:-}" ] || [ -s "$GW_CONFIG/rules.yaml" ] || cp "$ROOT/bin/plant-rules.yaml" "$GW_CONFIG/rules.yaml"
  local start=$SECONDS
  "${compose[@]}" up -d >"$RUN/compose-up.log" 2>&1 || { tail -20 "$RUN/compose-up.log" >&2; exit 1; }
  echo "Waiting for the services to be healthy..." >&2
  local deadline=$((SECONDS + 180)) s
  for s in "${SERVICES[@]}"; do
    until healthy "$s"; do
      if [ $SECONDS -ge $deadline ]; then
        echo "$s is not healthy after 180 s; its log ends:" >&2
        podman logs --tail 20 "${PROJECT}_${s}_1" >&2
        exit 1
      fi
      sleep 1
    done
  done
  cat >&2 <<MSG

Gateway stack running (project $PROJECT), ready $((SECONDS - start)) s after start.
  health   http://127.0.0.1:${GW_BRIDGE_PORT:-8081}/q/health/ready (bridge), :${GW_BUFFER_PORT:-8082} (buffer), :${GW_UPLINK_PORT:-8084} (uplink)
  metrics  the same ports, /q/metrics
  data     curl -H "Authorization: Bearer \$(cat $GW_SECRETS/buffer-api-token)" http://127.0.0.1:${GW_BUFFER_PORT:-8082}/api/v1/series
  cloud    mosquitto_sub -h 127.0.0.1 -p ${GW_DEMO_CLOUD_PORT:-18883} --cafile $GW_SECRETS/demo-cloud/ca.crt \\
             --cert $GW_SECRETS/uplink.crt --key $GW_SECRETS/uplink.key -t 'edgegw/#' -v
  status   podman/stack.sh status      stop: podman/stack.sh down
  secrets  $GW_SECRETS (mode 0600)
MSG
}

status() {
  local s state
  for s in mosquitto db "${SERVICES[@]}" plant cloud; do
    state=$(podman inspect --format '{{.State.Status}}' "${PROJECT}_${s}_1" 2>/dev/null || echo absent)
    if [ "$state" = running ]; then healthy "$s" && state="running, healthy" || state="running, NOT healthy"; fi
    printf '%-10s %s\n' "$s" "$state"
  done
  echo
  "$PODMAN_DIR/check-host.sh" "$GW_SECRETS" "$PROJECT" || true
}

case "${1:-}" in
  up) up ;;
  status) status ;;
  down) "${compose[@]}" down >/dev/null 2>&1 && echo "stack $PROJECT stopped (data volumes kept)" >&2 ;;
  purge)
    "${compose[@]}" down >/dev/null 2>&1 || true
    for v in db-data mosquitto-data; do podman volume rm -f "${PROJECT}_$v" >/dev/null 2>&1 || true; done
    for n in ot bus it mgmt; do podman network rm "${PROJECT}_$n" >/dev/null 2>&1 || true; done
    echo "stack $PROJECT removed with its data" >&2
    ;;
  *) sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
