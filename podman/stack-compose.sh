#!/bin/sh
# Prints the Compose file that brings the gateway's stack back: the one of the bundle the ota-agent
# installed and committed last (its state directory's installed.json), or DEFAULT when no bundle is
# installed yet (exit 1 without DEFAULT). Used by edgegw-stack.service at boot and by stack.sh, so
# that a reboot brings back what the last update installed, never the stack first shipped.
#
#   podman/stack-compose.sh STATE_DIR [DEFAULT]
set -eu
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: stack-compose.sh STATE_DIR [DEFAULT]" >&2; exit 2; }
state=$1 default=${2:-}
dir=""
if [ -s "$state/installed.json" ]; then
  dir=$(tr -d ' \n' <"$state/installed.json" |
    sed -n 's/.*"current":{[^}]*"directory":"\([^"]*\)".*/\1/p')
fi
if [ -n "$dir" ]; then
  file=$state/bundles/$dir/compose.yaml
  [ -s "$file" ] || { echo "stack-compose.sh: $state/installed.json names $dir, but $file is missing" >&2; exit 1; }
  echo "$file"
elif [ -n "$default" ]; then
  echo "$default"
else
  echo "stack-compose.sh: no bundle installed in $state" >&2
  exit 1
fi
