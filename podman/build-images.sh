#!/usr/bin/env bash
# Builds the gateway's images with podman:
#   localhost/edgegw/{bridge,buffer,rules,uplink}:<version>   the services (JVM build)
#   localhost/edgegw/plant-simulator:<version>               the demo plant (Modbus TCP)
#   localhost/edgegw/runtime:<jdk>                           local JRE base (--local-base only)
# and prints their sizes. <version> is the Maven project version.
#
# Usage: podman/build-images.sh [--local-base] [--skip-package] [--registry HOST:PORT]
#   --local-base    build on the local Debian base images (podman/base-images.sh, run first if
#                   missing) and a JRE jlinked from this host's JDK, for a host that cannot pull
#                   public images; without it the Containerfiles' public bases are used
#   --skip-package  use the existing target/quarkus-app of each service instead of `mvn package`
#                   (and GW_PLANT_CLASSPATH or test-support/target/classpath.txt for the plant)
#   --registry      also tag and push each image as HOST:PORT/edgegw/<name>:<version>
# JAVA_HOME must be a JDK >= 21 (bin/gateway images selects one).
set -euo pipefail
# shellcheck source=podman/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ROOT=$(cd "$PODMAN_DIR/.." && pwd)
SERVICES=(bridge buffer rules uplink)

local_base=false package=true registry=""
while [ $# -gt 0 ]; do
  case "$1" in
    --local-base) local_base=true ;;
    --skip-package) package=false ;;
    --registry) registry=${2:?--registry needs HOST:PORT}; shift ;;
    *) echo "build-images.sh: unknown option '$1'" >&2; sed -n '2,16p' "$0" >&2; exit 2 ;;
  esac
  shift
done
JAVA_HOME=${JAVA_HOME:?set JAVA_HOME to a JDK of version 21 or newer}
cd "$ROOT"
VERSION=$(sed -n 's:^  <version>\(.*\)</version>.*:\1:p' pom.xml | head -1)
[ -n "$VERSION" ] || { echo "build-images.sh: no <version> in pom.xml" >&2; exit 1; }

start=$(date +%s)
if $package; then
  echo "mvn package (services and the plant simulator)..." >&2
  mvn -B -q -ntp -DskipTests -Dspotless.check.skip=true -Dmdep.outputFile=target/classpath.txt \
    -Dmdep.includeScope=runtime -pl "$(printf '%s-service,' "${SERVICES[@]}")test-support" -am \
    package dependency:build-classpath
fi
for s in "${SERVICES[@]}"; do
  [ -s "$s-service/target/quarkus-app/quarkus-run.jar" ] ||
    { echo "build-images.sh: $s-service/target/quarkus-app is missing; run without --skip-package" >&2; exit 1; }
done
# The simulator's classpath: test-support's jar and its runtime dependencies, from
# GW_PLANT_CLASSPATH (a class path, as a test passes its own) or from the local Maven repository as
# dependency:build-classpath listed them.
plant_cp=${GW_PLANT_CLASSPATH:-$(cat test-support/target/classpath.txt 2>/dev/null || true)}
if [ -z "$plant_cp" ] || ! ls test-support/target/test-support-*.jar >/dev/null 2>&1; then
  echo "build-images.sh: test-support is not packaged; run without --skip-package" >&2
  exit 1
fi
rm -rf test-support/target/container
mkdir -p test-support/target/container/lib
tr ':' '\n' <<<"$plant_cp" | grep '\.jar$' | grep -v '/test-support-[^/]*\.jar$' |
  xargs -r cp -t test-support/target/container/lib

base_args=()
if $local_base; then
  SUITE=$(debian_suite)
  podman image exists "$GW_IMAGE_PREFIX/base:$SUITE" || "$PODMAN_DIR/base-images.sh"
  # A JRE with the modules the services use, found by jdeps in their jars. jdk.compiler is named
  # only by vertx-codegen, a build-time annotation processor; the services never load it.
  modules=$("$JAVA_HOME/bin/java" "$PODMAN_DIR/JreModules.java" \
    "${SERVICES[@]/%/-service/target/quarkus-app}" | sed 's/,jdk\.compiler//; s/jdk\.compiler,//')
  # Needed at run time but invisible to jdeps: zip file system (Quarkus' runner), DNS (Netty,
  # JNDI), elliptic curves for TLS (separate before JDK 22), RMI (java.rmi.RemoteException, loaded
  # by the transaction manager's context propagation in code jdeps skips for missing classes).
  extra=jdk.zipfs,jdk.naming.dns,jdk.crypto.ec,java.rmi
  for m in ${extra//,/ }; do
    "$JAVA_HOME/bin/java" --list-modules | grep -q "^$m@" && modules="$modules,$m"
  done
  jdk=$("$JAVA_HOME/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.version = //p')
  RUNTIME="$GW_IMAGE_PREFIX/runtime:$jdk-$(echo "$modules" | sha256sum | cut -c1-8)"
  if ! podman image exists "$RUNTIME"; then
    work=$(mktemp -d /var/tmp/edgegw-jre.XXXXXX)
    "$JAVA_HOME/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages \
      --no-header-files --compress=zip-6 --output "$work/jre"
    cp "$PODMAN_DIR/images/runtime/Containerfile" "$work/"
    podman build -q --format docker --build-arg BASE="$GW_IMAGE_PREFIX/base:$SUITE" \
      -t "$RUNTIME" "$work" >/dev/null
    rm -rf "$work"
    echo "built $RUNTIME (JRE modules: $modules)" >&2
  fi
  base_args=(--build-arg "BASE=$RUNTIME")
fi

build() { # name containerfile
  local image="$GW_IMAGE_PREFIX/$1:$VERSION"
  podman build -q --format docker "${base_args[@]}" -f "$2" -t "$image" . >/dev/null
  if [ -n "$registry" ]; then
    podman tag "$image" "$registry/edgegw/$1:$VERSION"
    podman push -q "$registry/edgegw/$1:$VERSION"
  fi
  echo "built $image" >&2
}
for s in "${SERVICES[@]}"; do
  build "$s" "$s-service/src/main/container/Containerfile.jvm"
done
build plant-simulator podman/images/simulator/Containerfile
echo "images built in $(($(date +%s) - start)) s" >&2

printf '%-45s %s\n' IMAGE SIZE
for name in "${SERVICES[@]}" plant-simulator; do
  podman image inspect --format '{{.Size}}' "$GW_IMAGE_PREFIX/$name:$VERSION" |
    awk -v n="$GW_IMAGE_PREFIX/$name:$VERSION" '{ printf "%-45s %.1f MB\n", n, $1 / 1e6 }'
done
