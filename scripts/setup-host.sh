#!/usr/bin/env bash
# Prepares a Debian 12 host for testcloud and its tests: packages, /dev/kvm,
# the libvirt daemons and an isolated test network. Idempotent; run as root.
set -euo pipefail

# One list, read by this script and checked by tests/scripts/host-packages.test.ts.
mapfile -t PACKAGES < <(awk '!/^#/ && NF >= 2 { print $2 }' "$(dirname "$0")/host-packages.txt" | sort -u)
NETWORK=${TESTCLOUD_TEST_NETWORK:-testcloud-test}

log() { printf 'setup-host: %s\n' "$*" >&2; }

if [[ $(id -u) != 0 ]]; then
  log "run as root: as root, bash $0; or sudo bash $0"
  exit 1
fi

# The tiny test image of each other architecture is made from Debian's packages of it
# (apt-get download PKG:ARCH): their package lists must be there.
foreign=$(dpkg --print-foreign-architectures)
added=0
for a in arm64 ppc64el s390x; do
  grep -qx "$a" <<<"$foreign" || { dpkg --add-architecture "$a"; added=1; }
done
((added == 0)) || apt-get update -qq

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# Without udev, /dev/kvm stays root-only and libvirt re-probes QEMU on every call (~60 s per start).
if [[ -e /dev/kvm ]]; then
  chgrp kvm /dev/kvm && chmod 0660 /dev/kvm
fi

if command -v systemctl >/dev/null && systemctl is-system-running >/dev/null 2>&1; then
  systemctl start virtlogd libvirtd
else
  pgrep -x virtlogd >/dev/null || virtlogd -d
  pgrep -x libvirtd >/dev/null || libvirtd -d
fi
for _ in $(seq 50); do
  virsh -c qemu:///system version >/dev/null 2>&1 && break
  sleep 0.2
done
virsh -c qemu:///system version >/dev/null

# An isolated network: no <forward>, DNS off, so test guests reach nothing but the host bridge.
if ! virsh -c qemu:///system net-info "$NETWORK" >/dev/null 2>&1; then
  log "defining isolated network $NETWORK"
  xml=$(mktemp)
  cat >"$xml" <<XML
<network>
  <name>$NETWORK</name>
  <bridge name="tctest0" stp="off"/>
  <dns enable="no"/>
  <ip address="192.168.251.1" netmask="255.255.255.0">
    <dhcp><range start="192.168.251.10" end="192.168.251.250"/></dhcp>
  </ip>
</network>
XML
  virsh -c qemu:///system net-define "$xml" >/dev/null
  rm -f "$xml"
fi
# Capture first: `virsh | grep -q` under pipefail fails when grep exits early.
info=$(virsh -c qemu:///system net-info "$NETWORK")
grep -q '^Active:.*yes' <<<"$info" || virsh -c qemu:///system net-start "$NETWORK" >/dev/null
log "host ready: libvirt up, network $NETWORK active"
