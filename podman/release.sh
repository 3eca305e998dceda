#!/usr/bin/env bash
# The release of this checkout as the signed bundle the ota-agent installs, the path a customer's
# update takes (docs/operations.md, "Push an update"):
#
#   podman/release.sh registry   start the local registry if it is not running: Debian's
#                                docker-registry on 127.0.0.1:GW_REGISTRY_PORT (15000), TLS from a
#                                CA made on the first run (registry/certs/ca.crt)
#   podman/release.sh publish    push the images to it and build, sign and push the bundle
#                                edgegw/bundle:<version>; prints the reference on stdout
#   podman/release.sh stop       stop the registry (its storage is kept)
#
# State in GW_RELEASE_DIR (default run/release, ignored by git).
#
# The bundle's Compose file is compose/gateway.yaml with the demo additions (compose/demo.yaml),
# its images rewritten to the registry's copies and pinned by digest by `gwctl bundle build`; every
# other ${GW_*} variable (secrets, config, ports) stays for the agent's podman-compose to fill in
# on the gateway. The signing key (Ed25519, release.key, 0600) is made on the first run; the agent
# trusts release.pub. Nothing changed since the last publish (same
# image digests and Compose files) reuses its bundle; otherwise the version is made from the time
# (0.<epoch s / 100000>.<epoch s % 100000>), so that every new release is newer than the last.
set -euo pipefail
# shellcheck source=podman/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ROOT=$(cd "$PODMAN_DIR/.." && pwd)
STATE=${GW_RELEASE_DIR:-$ROOT/run/release}
REG=$STATE/registry
PORT=${GW_REGISTRY_PORT:-15000}
HOSTPORT=127.0.0.1:$PORT
REPO=edgegw/bundle
VERSION=$(sed -n 's:^  <version>\(.*\)</version>.*:\1:p' "$ROOT/pom.xml" | head -1)
IMAGES=(bridge buffer rules uplink plant-simulator)
umask 077

answering() { curl -fs --cacert "$REG/certs/ca.crt" "https://$HOSTPORT/v2/" >/dev/null 2>&1; }

registry() {
  mkdir -p "$REG/certs" "$REG/data"
  if [ ! -s "$REG/certs/ca.crt" ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 825 \
      -subj "/CN=edgegw local registry CA" -keyout "$REG/ca.key" -out "$REG/certs/ca.crt" 2>/dev/null
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
      -keyout "$REG/server.key" -out "$REG/server.csr" 2>/dev/null
    openssl x509 -req -in "$REG/server.csr" -CA "$REG/certs/ca.crt" -CAkey "$REG/ca.key" \
      -CAcreateserial -days 825 -out "$REG/server.crt" \
      -extfile <(printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n') 2>/dev/null
    rm -f "$REG/server.csr"
  fi
  answering && return 0
  cat >"$REG/config.yml" <<YML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $REG/data
  delete:
    enabled: true
http:
  addr: $HOSTPORT
  tls:
    certificate: $REG/server.crt
    key: $REG/server.key
YML
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    echo "release.sh: port $PORT is taken by something other than this registry; set GW_REGISTRY_PORT" >&2
    exit 1
  fi
  nohup docker-registry serve "$REG/config.yml" >"$REG/registry.log" 2>&1 &
  echo $! >"$REG/pid"
  for _ in $(seq 1 100); do
    answering && { echo "registry answering on https://$HOSTPORT" >&2; return 0; }
    sleep 0.1
  done
  echo "release.sh: the registry did not answer on $HOSTPORT; its log ends:" >&2
  tail -5 "$REG/registry.log" >&2
  exit 1
}

stop() {
  if [ -s "$REG/pid" ] && kill "$(cat "$REG/pid")" 2>/dev/null; then
    echo "registry stopped" >&2
  fi
  rm -f "$REG/pid"
  # The local tags of the pushed copies, and the names by digest that the agent's pulls added (on
  # the same images: \`podman images\` does not list them), of this registry. The images stay under
  # their localhost/edgegw names.
  podman images --format '{{.Repository}}:{{.Tag}}' | grep "^$HOSTPORT/edgegw/" | grep -v ':<none>$' |
    xargs -r podman rmi >/dev/null 2>&1 || true
  podman images -q | sort -u |
    xargs -r podman image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' 2>/dev/null |
    grep "^$HOSTPORT/edgegw/" | sort -u | xargs -r podman rmi >/dev/null 2>&1 || true
}

# gwctl with the registry's CA in a trust store of its own (the JDK's is never edited).
gwctl() {
  local store=$STATE/gwctl-trust.p12
  if [ ! -s "$store" ] || [ "$REG/certs/ca.crt" -nt "$store" ]; then
    rm -f "$store"
    head -c 18 /dev/urandom | base64 >"$STATE/gwctl-trust.pass"
    "$JAVA_HOME/bin/keytool" -importcert -noprompt -alias registry -file "$REG/certs/ca.crt" \
      -keystore "$store" -storetype PKCS12 -storepass:file "$STATE/gwctl-trust.pass" >/dev/null
  fi
  "$JAVA_HOME/bin/java" -XX:TieredStopAtLevel=1 -Djavax.net.ssl.trustStore="$store" \
    -Djavax.net.ssl.trustStoreType=PKCS12 \
    -Djavax.net.ssl.trustStorePassword="$(cat "$STATE/gwctl-trust.pass")" \
    -jar "$ROOT/gwctl/target/gwctl.jar" "$@"
}

publish() {
  JAVA_HOME=${JAVA_HOME:?set JAVA_HOME to a JDK of version 21 or newer}
  [ -s "$ROOT/gwctl/target/gwctl.jar" ] ||
    { echo "release.sh: gwctl/target/gwctl.jar is missing (mvn package -pl gwctl -am)" >&2; exit 1; }
  registry
  local suite image target sums
  suite=$(debian_suite)
  # What goes into the bundle: the images (by their local ids) and the Compose files.
  sums=$( { for image in "${IMAGES[@]/#/$GW_IMAGE_PREFIX/}"; do podman image inspect --format '{{.Id}}' "$image:$VERSION"; done
    podman image inspect --format '{{.Id}}' "$GW_IMAGE_PREFIX/mosquitto:$suite" "$GW_IMAGE_PREFIX/postgres:15"
    cat "$ROOT/compose/gateway.yaml" "$ROOT/compose/demo.yaml" "${BASH_SOURCE[0]}"; } | sha256sum | cut -c1-16)
  if [ -s "$STATE/published" ] && [ "$(cut -d' ' -f1 "$STATE/published")" = "$sums" ] &&
    curl -fs --cacert "$REG/certs/ca.crt" -o /dev/null \
      -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
      "https://$HOSTPORT/v2/$REPO/manifests/$(cut -d' ' -f2 "$STATE/published")"; then
    echo "release unchanged: $REPO:$(cut -d' ' -f2 "$STATE/published")" >&2
    echo "$REPO:$(cut -d' ' -f2 "$STATE/published")"
    return 0
  fi
  for image in "${IMAGES[@]}"; do
    target=$HOSTPORT/edgegw/$image:$VERSION
    podman tag "$GW_IMAGE_PREFIX/$image:$VERSION" "$target"
    podman push -q --cert-dir "$REG/certs" "$target"
  done
  podman tag "$GW_IMAGE_PREFIX/mosquitto:$suite" "$HOSTPORT/edgegw/mosquitto:$suite"
  podman push -q --cert-dir "$REG/certs" "$HOSTPORT/edgegw/mosquitto:$suite"
  podman tag "$GW_IMAGE_PREFIX/postgres:15" "$HOSTPORT/edgegw/postgres:15"
  podman push -q --cert-dir "$REG/certs" "$HOSTPORT/edgegw/postgres:15"
  echo "images pushed to https://$HOSTPORT" >&2

  [ -s "$STATE/release.key" ] ||
    gwctl keys generate --out "$STATE" --name release >/dev/null
  # The images' variables become the registry's copies; gwctl pins them by digest.
  local work=$STATE/build
  rm -rf "$work" && mkdir -p "$work"
  for f in gateway demo; do
    sed -E "s#\\\$\\{GW_IMAGES:-[^}]*\\}#$HOSTPORT/edgegw#g
      s#\\\$\\{GW_VERSION:-[^}]*\\}#$VERSION#g
      s#\\\$\\{GW_MOSQUITTO_IMAGE:-[^}]*\\}#$HOSTPORT/edgegw/mosquitto:$suite#g
      s#\\\$\\{GW_DB_IMAGE:-[^}]*\\}#$HOSTPORT/edgegw/postgres:15#g" \
      "$ROOT/compose/$f.yaml" >"$work/$f.yaml"
  done
  local release now
  # Newer than any earlier release of this checkout: the epoch seconds, split to fit the
  # version's parts (at most 9 digits each).
  now=$(date +%s)
  release=0.$((now / 100000)).$((now % 100000))
  local ports=() s
  for s in bridge:${GW_BRIDGE_PORT:-8081} buffer:${GW_BUFFER_PORT:-8082} uplink:${GW_UPLINK_PORT:-8084}; do
    ports+=(--health "${s%%:*}=http://127.0.0.1:${s##*:}/q/health/ready")
  done
  gwctl bundle build --compose "$work/gateway.yaml" --compose "$work/demo.yaml" \
    --version "$release" --min-agent "$(sed -n "s/^quarkus.application.version=//p" "$ROOT/ota-agent/src/main/resources/application.properties")" \
    --registry "https://$HOSTPORT" "${ports[@]}" --health rules=status \
    --out "$work/bundle" >&2
  gwctl bundle sign --key "$STATE/release.key" "$work/bundle" >&2
  gwctl bundle push --registry "https://$HOSTPORT" --repo "$REPO" --tag "$release" "$work/bundle" >&2
  echo "$sums $release" >"$STATE/published"
  echo "$REPO:$release"
}

case "${1:-}" in
  registry) registry ;;
  publish) publish ;;
  stop) stop ;;
  *) sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
