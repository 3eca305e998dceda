#!/usr/bin/env bash
# Installs an edgegw gateway on a Debian 12 host (root), from this checkout or an unpacked release:
#
#   podman/install.sh --gateway-id ID --cloud-host HOST [--cloud-port 8883]
#                     --registry URL --update-key FILE [--registry-ca FILE] [--bundle REF]
#                     [--ot-iface IF --it-iface IF] [--jumphost ADDRESS]
#                     [--log-server URL [--log-ca FILE]] [--no-start]
#
#   --registry     the OCI registry the ota-agent pulls signed bundles from (https://host[:port])
#   --update-key   the release public key (PEM) that every bundle must be signed with
#   --registry-ca  the registry's CA certificate, when it is not in the host's trust store
#   --bundle       a bundle (repository:tag in the registry) the agent installs at first boot;
#                  without it the stack shipped here runs until the first update
#   --log-server   a systemd-journal-remote server (https://host:19532) that the journal goes to:
#                  the containers' logs (podman's journald driver) and the host's, the ota-agent's
#                  among them; the gateway authenticates with its uplink key and certificate
#   --log-ca       the log server's CA certificate, when it is not in the host's trust store
#
# What it does, each step idempotent (docs/security.md maps them to the security checklist):
#   1. installs podman, podman-compose, runc, netavark, aardvark-dns, mosquitto (for mosquitto_passwd),
#      openssl and nftables from Debian's packages;
#   2. copies the stack to /opt/edgegw (compose/gateway.yaml and its files) and the podman settings
#      to /etc/edgegw/containers.conf; writes /etc/edgegw/gateway.env once;
#   3. first-boot provisioning into /etc/edgegw/secrets (podman/provision.sh: kept if present);
#   4. host hardening: OT/IT forwarding drop rules (--ot-iface/--it-iface), sysctl, SSH keys only and
#      from the jumphost only (--jumphost), vendor default services disabled, a LUKS check;
#   5. writes the ota-agent's site settings to /etc/edgegw/ota (once: edits are kept), installs and
#      enables the systemd units of the stack and the ota-agent, and starts them unless --no-start.
#      At boot the stack unit brings back the bundle the agent installed last (stack-compose.sh).
# Afterwards podman/check-host.sh reports each checklist item that can be checked at run time.
set -euo pipefail
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PREFIX=/opt/edgegw ETC=/etc/edgegw

usage() { sed -n '2,30p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
gateway_id="" cloud_host="" cloud_port=8883 ot_iface="" it_iface="" jumphost="" start=true
registry="" update_key="" registry_ca="" bundle="" log_server="" log_ca=""
while [ $# -gt 0 ]; do
  case "$1" in
    --gateway-id) gateway_id=${2:?}; shift ;;
    --cloud-host) cloud_host=${2:?}; shift ;;
    --cloud-port) cloud_port=${2:?}; shift ;;
    --ot-iface) ot_iface=${2:?}; shift ;;
    --it-iface) it_iface=${2:?}; shift ;;
    --jumphost) jumphost=${2:?}; shift ;;
    --registry) registry=${2:?}; shift ;;
    --update-key) update_key=${2:?}; shift ;;
    --registry-ca) registry_ca=${2:?}; shift ;;
    --bundle) bundle=${2:?}; shift ;;
    --log-server) log_server=${2:?}; shift ;;
    --log-ca) log_ca=${2:?}; shift ;;
    --no-start) start=false ;;
    *) echo "install.sh: unknown option '$1'" >&2; usage ;;
  esac
  shift
done
[ "$(id -u)" -eq 0 ] || { echo "install.sh: run as root" >&2; exit 1; }
[ -n "$gateway_id" ] && [ -n "$cloud_host" ] || { echo "install.sh: --gateway-id and --cloud-host are required" >&2; usage; }
# Updates are part of the product: no gateway is installed without where they come from and the key
# they must be signed with.
[ -n "$registry" ] && [ -n "$update_key" ] || { echo "install.sh: --registry and --update-key are required (the ota-agent's registry and release key)" >&2; usage; }
case "$registry" in
  https://?*) ;;
  *) echo "install.sh: --registry must be an https:// URL, got '$registry'" >&2; exit 2 ;;
esac
grep -q -- '-----BEGIN PUBLIC KEY-----' "$update_key" 2>/dev/null ||
  { echo "install.sh: --update-key $update_key is not a PEM public key" >&2; exit 2; }
case "$log_server" in
  "" | https://?*) ;;
  *) echo "install.sh: --log-server must be an https:// URL, got '$log_server'" >&2; exit 2 ;;
esac
[ -z "$log_ca" ] || [ -n "$log_server" ] || { echo "install.sh: --log-ca needs --log-server" >&2; exit 2; }
[ -z "$log_ca" ] || grep -q -- '-----BEGIN CERTIFICATE-----' "$log_ca" 2>/dev/null ||
  { echo "install.sh: --log-ca $log_ca is not a PEM certificate" >&2; exit 2; }
[ -z "$registry_ca" ] || grep -q -- '-----BEGIN CERTIFICATE-----' "$registry_ca" 2>/dev/null ||
  { echo "install.sh: --registry-ca $registry_ca is not a PEM certificate" >&2; exit 2; }
step() { echo "==> $*" >&2; }
warn() { echo "WARNING: $*" >&2; }

step "1. Debian packages"
# shellcheck source=bin/lib.sh
source "$SRC/bin/lib.sh"
need_debs podman podman-compose runc netavark aardvark-dns mosquitto openssl nftables
[ -z "$log_server" ] || need_debs systemd-journal-remote

step "2. the stack in $PREFIX, settings in $ETC"
install -d -m 755 "$PREFIX/compose/db" "$PREFIX/podman" "$PREFIX/docs"
install -m 644 "$SRC/compose/gateway.yaml" "$SRC/compose/mosquitto.conf" "$PREFIX/compose/"
install -m 755 "$SRC/compose/db/10-roles.sh" "$PREFIX/compose/db/"
install -m 755 "$SRC/podman/provision.sh" "$SRC/podman/check-host.sh" "$SRC/podman/stack-compose.sh" \
  "$PREFIX/podman/"
install -m 644 "$SRC/docs/security.md" "$PREFIX/docs/"
# The ota-agent runs on the host, on a JDK >= 21 (bin/lib.sh select_jdk) with the services' options.
select_jdk
ln -sfn "$JAVA_HOME" "$PREFIX/jdk"
install -m 644 "$SRC/bin/jvm-options" "$PREFIX/jvm-options"
if [ -s "$SRC/ota-agent/target/quarkus-app/quarkus-run.jar" ]; then
  rm -rf "$PREFIX/ota-agent" && cp -r "$SRC/ota-agent/target/quarkus-app" "$PREFIX/ota-agent"
else
  warn "ota-agent is not packaged (mvn package -pl ota-agent -am); its unit will not start"
fi
install -d -m 755 "$ETC"
# On a gateway the containers log to the journal (which --log-server forwards), not to files.
sed 's/^\[containers\]$/[containers]\nlog_driver = "journald"/' "$SRC/podman/containers.conf" >"$ETC/containers.conf"
chmod 644 "$ETC/containers.conf"
if [ ! -f "$ETC/gateway.env" ]; then
  cat >"$ETC/gateway.env" <<ENV
# Settings of the edgegw stack (compose/gateway.yaml); read by edgegw-stack.service.
GW_SECRETS=$ETC/secrets
GW_CONFIG=$ETC
GW_STACK_DIR=$PREFIX/compose
GW_CLOUD_HOST=$cloud_host
GW_CLOUD_PORT=$cloud_port
GW_MGMT_ADDRESS=127.0.0.1
GW_OT_IFACE=$ot_iface
GW_IT_IFACE=$it_iface
GW_JUMPHOST=$jumphost
ENV
  chmod 644 "$ETC/gateway.env"
fi
for f in devices.yaml rules.yaml; do
  if [ ! -f "$ETC/$f" ]; then
    example=$SRC/bridge-service/src/main/resources/devices-example.yaml
    [ "$f" = rules.yaml ] && example=$SRC/rules-service/src/main/resources/rules-example.yaml
    install -m 644 "$example" "$ETC/$f"
    warn "$ETC/$f is an example; describe the plant's devices and rules there (docs/configuration.md)"
  fi
done

step "3. first-boot provisioning ($ETC/secrets)"
"$SRC/podman/provision.sh" --gateway-id "$gateway_id" "$ETC/secrets"
[ -s "$ETC/secrets/uplink.crt" ] && [ -s "$ETC/secrets/cloud-ca.crt" ] ||
  warn "have the cloud's CA sign $ETC/secrets/uplink.csr; put the certificate in uplink.crt and the CA in cloud-ca.crt (mode 0600, owner 10001)"

step "4. host hardening"
install -m 644 "$SRC/podman/systemd/99-edgegw.conf" /etc/sysctl.d/99-edgegw.conf
sysctl -q --system >/dev/null 2>&1 || warn "sysctl --system failed (in a container?)"
if [ -n "$ot_iface" ] && [ -n "$it_iface" ]; then
  sed "s/@OT_IFACE@/$ot_iface/g; s/@IT_IFACE@/$it_iface/g" "$SRC/podman/systemd/edgegw-segmentation.nft" \
    >"$ETC/segmentation.nft"
  install -m 644 "$SRC/podman/systemd/edgegw-segmentation.service" /etc/systemd/system/
else
  warn "no --ot-iface/--it-iface: forwarding between the OT and IT interfaces is not blocked"
fi
if [ -n "$jumphost" ]; then
  install -d /etc/ssh/sshd_config.d
  sed "s/@JUMPHOST@/$jumphost/g" "$SRC/podman/systemd/sshd-edgegw.conf" >/etc/ssh/sshd_config.d/50-edgegw.conf
  if command -v sshd >/dev/null && ! sshd -t; then
    rm /etc/ssh/sshd_config.d/50-edgegw.conf
    echo "install.sh: sshd refused the jumphost settings; left unchanged" >&2
    exit 1
  fi
else
  warn "no --jumphost: SSH is not restricted to keys from a jumphost"
fi
# Debian's mosquitto package is installed for mosquitto_passwd only: its own broker would listen on
# 127.0.0.1:1883, where the stack publishes its broker, and would let anyone on the host in.
if systemctl cat mosquitto.service >/dev/null 2>&1; then
  systemctl disable --now mosquitto.service >/dev/null 2>&1 || true
  systemctl mask mosquitto.service >/dev/null 2>&1 && echo "masked the host's mosquitto.service (the broker runs in the stack)" >&2
fi
# Vendor default services a gateway does not need: stopped and disabled where present.
for unit in avahi-daemon.service avahi-daemon.socket cups.service cups.socket cups-browsed.service \
  bluetooth.service ModemManager.service rpcbind.service rpcbind.socket telnet.socket \
  inetd.service nfs-server.service smbd.service nmbd.service snmpd.service exim4.service; do
  if systemctl list-unit-files "$unit" >/dev/null 2>&1 && systemctl cat "$unit" >/dev/null 2>&1; then
    systemctl disable --now "$unit" >/dev/null 2>&1 && echo "disabled $unit" >&2
  fi
done
# LUKS is set up when the OS is installed (the data partition cannot be encrypted in place here);
# the installer checks it and says so.
if ! lsblk -rno TYPE "$(findmnt -no SOURCE /var/lib/containers 2>/dev/null || findmnt -no SOURCE /)" 2>/dev/null |
  grep -q crypt && ! lsblk -rso TYPE "$(findmnt -no SOURCE /)" 2>/dev/null | grep -q crypt; then
  warn "the container and secrets storage is not on a LUKS (dm-crypt) device; see docs/security.md"
fi

step "5. the ota-agent's settings ($ETC/ota) and the systemd units"
install -d -m 755 "$ETC/ota"
install -m 644 "$update_key" "$ETC/ota/trusted.pem"
[ -z "$registry_ca" ] || install -m 644 "$registry_ca" "$ETC/ota/registry-ca.crt"
if [ ! -f "$ETC/ota/application.properties" ]; then
  {
    echo "# The ota-agent's site settings (podman/install.sh; docs/configuration.md). Kept on a"
    echo "# later install; restart edgegw-ota-agent after an edit. Secrets: $ETC/secrets."
    echo "ota.registry.url=$registry"
    [ -z "$registry_ca" ] || echo "ota.registry.ca-file=$ETC/ota/registry-ca.crt"
    echo "ota.trust.keys=$ETC/ota/trusted.pem"
    [ -z "$bundle" ] || echo "ota.bootstrap=$bundle"
  } >"$ETC/ota/application.properties"
  chmod 644 "$ETC/ota/application.properties"
fi
install -m 644 "$SRC/podman/systemd/edgegw-stack.service" "$SRC/podman/systemd/edgegw-ota-agent.service" \
  /etc/systemd/system/
if [ -n "$log_server" ]; then
  # systemd-journal-upload runs as a dynamic user: at each start it gets a copy of the uplink's key
  # and certificate in its own runtime directory (removed when it stops), and it waits for the
  # certificate (the cloud's CA signs uplink.csr).
  install -d -m 755 /etc/systemd/journal-upload.conf.d /etc/systemd/system/systemd-journal-upload.service.d
  [ -z "$log_ca" ] || install -m 644 "$log_ca" "$ETC/log-ca.crt"
  run=/run/edgegw-journal-upload
  {
    echo "# podman/install.sh --log-server: the journal goes to the site's log server over TLS, the"
    echo "# server verified against the CA below, the gateway presenting its uplink certificate."
    echo "[Upload]"
    echo "URL=$log_server"
    echo "ServerKeyFile=$run/uplink.key"
    echo "ServerCertificateFile=$run/uplink.crt"
    echo "TrustedCertificateFile=$([ -n "$log_ca" ] && echo "$ETC/log-ca.crt" || echo /etc/ssl/certs/ca-certificates.crt)"
  } >/etc/systemd/journal-upload.conf.d/50-edgegw.conf
  cat >/etc/systemd/system/systemd-journal-upload.service.d/50-edgegw.conf <<UNIT
# podman/install.sh --log-server
[Unit]
ConditionPathExists=$ETC/secrets/uplink.crt
[Service]
RuntimeDirectory=edgegw-journal-upload
RuntimeDirectoryMode=0700
ExecStartPre=+/bin/sh -c 'install -m 0400 -o "\$(stat -c %%u $run)" $ETC/secrets/uplink.key $ETC/secrets/uplink.crt $run/'
Restart=on-failure
RestartSec=30
UNIT
fi
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  units=(edgegw-stack.service edgegw-ota-agent.service)
  [ -f /etc/systemd/system/edgegw-segmentation.service ] && units=(edgegw-segmentation.service "${units[@]}")
  [ -n "$log_server" ] && units+=(systemd-journal-upload.service)
  systemctl enable "${units[@]}"
  [ -n "$jumphost" ] && systemctl reload ssh 2>/dev/null || true
  if $start; then systemctl start "${units[@]}"; fi
else
  warn "systemd is not running here: units installed, not enabled"
fi
echo "Installed. Check the host with: $PREFIX/podman/check-host.sh" >&2
