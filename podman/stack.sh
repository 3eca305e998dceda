#!/usr/bin/env bash
# The gateway stack on this host's podman, with the demo plant and the TLS cloud stand-in
# (compose/gateway.yaml + compose/demo.yaml), for a checkout rather than an installed gateway:
#
#   podman/stack.sh up       build the images if missing, provision run/stack/secrets (kept),
#                            release the stack as a signed bundle (podman/release.sh: a local TLS
#                            registry, images and bundle pushed) and have the host's ota-agent
#                            install it, exactly as a customer's update: on the first run through
#                            its first-boot setting (ota.bootstrap), later by a deploy command on
#                            the bus when the release changed; then wait until every service is
#                            healthy
#   podman/stack.sh status   each container's health, then podman/check-host.sh
#   podman/stack.sh down     stop and remove the containers (data volumes are kept), the agent
#                            and the registry
#   podman/stack.sh purge    down, and remove the data volumes and networks too
#
# GW_DEMO_LOAD=DEVICESxTAGS[@MS] (e.g. 10x1000, 10,000 values/s at the default 1000 ms; 10x1000@100,
# 100,000 values/s) runs the plant container as a load generator (compose/load.yaml) instead of the
# three-device plant, values changing and polled every MS; bench/stack.sh uses it. That stack is
# started with podman-compose directly, not through a bundle and the agent.
#
# State in run/stack/ (ignored by git; GW_RUN_DIR overrides, GW_RELEASE_DIR that of release.sh). Ports on 127.0.0.1: broker GW_BUS_PORT (1883), bridge 8081,
# buffer 8082, uplink 8084, the ota-agent's management page GW_OTA_PORT (8085), the registry
# GW_REGISTRY_PORT (15000), the cloud stand-in GW_DEMO_CLOUD_PORT (18883); they are those of
# bin/gateway up --processes, so run one or the other. JAVA_HOME: a JDK >= 21.
set -euo pipefail
# shellcheck source=podman/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ROOT=$(cd "$PODMAN_DIR/.." && pwd)
PROJECT=${GW_PROJECT:-edgegw}
# Another project (the benchmark's) keeps its own state, so it never touches the demo's.
RUN=$ROOT/run/stack${GW_PROJECT:+-$GW_PROJECT}
[ "$PROJECT" = edgegw ] && RUN=$ROOT/run/stack
RUN=${GW_RUN_DIR:-$RUN}
RELEASE=${GW_RELEASE_DIR:-$ROOT/run/release}
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
  # The operator's broker credentials in mosquitto_sub's and mosquitto_pub's own option files
  # (XDG_CONFIG_HOME=$GW_SECRETS/cli), so that no password appears on a command line.
  mkdir -p "$GW_SECRETS/cli" && chmod 700 "$GW_SECRETS/cli"
  for tool in mosquitto_sub mosquitto_pub; do
    (umask 077; printf -- '-p %s\n-u operator\n-P %s\n' "${GW_BUS_PORT:-1883}" \
      "$(cat "$GW_SECRETS/bus-operator.password")" >"$GW_SECRETS/cli/$tool")
  done
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
  if [ -n "${GW_DEMO_LOAD:-}" ]; then
    "${compose[@]}" up -d >"$RUN/compose-up.log" 2>&1 || { tail -20 "$RUN/compose-up.log" >&2; exit 1; }
  else
    through_agent
  fi
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
$([ -n "${GW_DEMO_LOAD:-}" ] || printf '%s\n' \
  "  manage   http://127.0.0.1:${GW_OTA_PORT:-8085}/ (the ota-agent's page: health, bundle, restart;" \
  "             login token in $GW_SECRETS/ota-web-token), log in $RUN/log/ota-agent.log" \
  "  bundle   $(installed_version) (release in $RELEASE; the agent's state in $OTA)")
  status   bin/gateway status      stop: bin/gateway down
  secrets  $GW_SECRETS (mode 0600)
MSG
}

AGENT_JAR=$ROOT/ota-agent/target/quarkus-app/quarkus-run.jar
OTA=$RUN/ota

# The installed bundle's version (empty when none), from the agent's state.
installed_version() {
  [ -s "$OTA/installed.json" ] || return 0
  tr -d ' \n' <"$OTA/installed.json" | sed -n 's/.*"current":{"version":"\([^"]*\)".*/\1/p'
}

installed_compose() { "$PODMAN_DIR/stack-compose.sh" "$OTA"; }

stop_agent() {
  if [ -s "$RUN/ota-agent.pid" ] && kill "$(cat "$RUN/ota-agent.pid")" 2>/dev/null; then
    while kill -0 "$(cat "$RUN/ota-agent.pid")" 2>/dev/null; do sleep 0.2; done
  fi
  rm -f "$RUN/ota-agent.pid"
}

start_agent() { # first-boot bundle reference
  stop_agent
  mkdir -p "$OTA" "$RUN/log"
  # The agent's podman-compose fills the bundle's ${GW_*} variables from this environment.
  nohup "$JAVA_HOME/bin/java" -XX:TieredStopAtLevel=1 \
    -Dquarkus.http.port="${GW_OTA_PORT:-8085}" \
    -Dquarkus.config.locations="$GW_SECRETS/ota-agent.properties" \
    -Dota.state-dir="$OTA" \
    -Dota.bootstrap="$1" \
    -Dota.registry.url="https://127.0.0.1:${GW_REGISTRY_PORT:-15000}" \
    -Dota.registry.ca-file="$RELEASE/registry/certs/ca.crt" \
    -Dota.trust.keys="$RELEASE/release.pub" \
    -Dota.stack.project="$PROJECT" \
    -Dota.stack.containers-conf="$CONTAINERS_CONF" \
    -Dota.bus.port="${GW_BUS_PORT:-1883}" \
    -Dota.web.token-file="$GW_SECRETS/ota-web-token" \
    -jar "$AGENT_JAR" >"$RUN/log/ota-agent.log" 2>&1 &
  echo $! >"$RUN/ota-agent.pid"
}

# The stack as the customer's updates bring it: release.sh publishes this checkout as a signed
# bundle, and the agent installs it (first boot) or is told to deploy it (a deploy command on the
# bus, as from the cloud), then health-gates it, commits it or rolls back.
through_agent() {
  if [ ! -s "$AGENT_JAR" ] || [ ! -s "$ROOT/gwctl/target/gwctl.jar" ]; then
    echo "Packaging gwctl and the ota-agent..." >&2
    (cd "$ROOT" && mvn -B -q -ntp -DskipTests -Dspotless.check.skip=true package -pl gwctl,ota-agent -am)
  fi
  local bundle version before id deadline
  bundle=$("$PODMAN_DIR/release.sh" publish)
  version=${bundle##*:}
  before=$(installed_version)
  if [ -n "$before" ]; then
    # The installed bundle comes back first (after a down, or a reboot without systemd).
    podman-compose -p "$PROJECT" -f "$(installed_compose)" up -d >"$RUN/compose-up.log" 2>&1 ||
      { tail -20 "$RUN/compose-up.log" >&2; exit 1; }
  fi
  start_agent "$bundle"
  if [ -z "$before" ]; then
    echo "ota-agent: first boot, installing $bundle (log: $RUN/log/ota-agent.log)..." >&2
  elif [ "$before" != "$version" ]; then
    echo "ota-agent: updating $before -> $version by a deploy command on the bus..." >&2
    # Commands are not retained: the agent must be on the bus first (its readiness says so).
    deadline=$((SECONDS + 120))
    until curl -fs "http://127.0.0.1:${GW_OTA_PORT:-8085}/q/health/ready" >/dev/null 2>&1; do
      [ $SECONDS -lt $deadline ] || { echo "the ota-agent is not on the bus after 120 s" >&2; tail -5 "$RUN/log/ota-agent.log" >&2; exit 1; }
      sleep 0.5
    done
    send_deploy "$bundle"
  else
    echo "ota-agent: $bundle is installed" >&2
    return 0
  fi
  deadline=$((SECONDS + 600))
  until [ "$(installed_version)" = "$version" ]; do
    if ! kill -0 "$(cat "$RUN/ota-agent.pid")" 2>/dev/null; then
      echo "the ota-agent exited; its log ends:" >&2
      tail -20 "$RUN/log/ota-agent.log" >&2
      exit 1
    fi
    if grep -q '"lastOk":false\|first boot: installing .* failed\|rolled back' "$RUN/log/ota-agent.log" 2>/dev/null; then
      echo "the ota-agent did not install $bundle; its log ends:" >&2
      tail -20 "$RUN/log/ota-agent.log" >&2
      exit 1
    fi
    [ $SECONDS -lt $deadline ] || { echo "$bundle not installed after 600 s" >&2; exit 1; }
    sleep 1
  done
  echo "ota-agent: $bundle installed and health-gated" >&2
}

# A deploy command on the local bus as the operator, the same payload the cloud sends through
# uplink; the password goes through mosquitto_pub's own options file, never argv.
send_deploy() { # bundle reference
  local id="up-$(date +%s)"
  local deadline_ms=$(( ($(date +%s) + 3600) * 1000 ))
  XDG_CONFIG_HOME=$GW_SECRETS/cli mosquitto_pub -h 127.0.0.1 -q 1 -t gw/v1/cmd/ota/deploy -m \
    "{\"v\":1,\"id\":\"$id\",\"target\":\"ota\",\"verb\":\"deploy\",\"args\":{\"repository\":\"${1%:*}\",\"reference\":\"${1##*:}\"},\"replyTo\":\"gw/v1/reply/$id\",\"deadline\":$deadline_ms}"
}

down() {
  stop_agent
  if [ -n "$(installed_version)" ]; then
    podman-compose -p "$PROJECT" -f "$(installed_compose)" down >/dev/null 2>&1
  else
    "${compose[@]}" down >/dev/null 2>&1
  fi
  "$PODMAN_DIR/release.sh" stop
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
  down) down && echo "stack $PROJECT stopped (data volumes kept)" >&2 ;;
  purge)
    down || true
    for v in db-data mosquitto-data; do podman volume rm -f "${PROJECT}_$v" >/dev/null 2>&1 || true; done
    for n in ot bus it mgmt; do podman network rm "${PROJECT}_$n" >/dev/null 2>&1 || true; done
    echo "stack $PROJECT removed with its data" >&2
    ;;
  *) sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
