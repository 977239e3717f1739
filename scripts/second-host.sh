#!/usr/bin/env bash
# A second libvirt host on this machine, for the remote-host tests: its own network
# namespace (a veth pair to this one, 10.213.0.1/30 <-> 10.213.0.2/30), its own mount
# namespace (its own /run, /etc/libvirt, /var/lib/libvirt, /var/log/libvirt, /var/cache/libvirt,
# so no socket, pidfile or state is shared with the main libvirtd), its own libvirtd and
# virtlogd, and an sshd on 10.213.0.2 that lets in one test key as root.
#
#   bash scripts/second-host.sh start   # idempotent; prints KEY=VALUE lines (URI, key, ...)
#   bash scripts/second-host.sh stop    # idempotent; leaves nothing behind
#   bash scripts/second-host.sh status  # exit 0 when it answers
#
# The client side needs no change to root's ~/.ssh: the URI uses libvirt's libssh transport
# with the key and a known_hosts file of our own (known_hosts_verify=normal).
# Only traffic between this machine's namespaces: nothing is routed or forwarded.
set -euo pipefail

NS=${TESTCLOUD_SECOND_HOST_NS:-testcloud-host2}
STATE=${TESTCLOUD_SECOND_HOST_STATE:-/var/lib/testcloud-second-host}
NSDIR=/run/$NS
HOST_ADDR=10.213.0.1
ADDR=10.213.0.2
VETH_MAIN=tch2-main
VETH_NS=tch2-ns

log() { printf 'second-host: %s\n' "$*" >&2; }
inside() { nsenter --mount="$NSDIR/mnt" --net="/run/netns/$NS" -- "$@"; }

uri() {
  printf 'qemu+libssh://root@%s/system?keyfile=%s&known_hosts=%s&known_hosts_verify=normal&sshauth=privkey' \
    "$ADDR" "$STATE/client/id_ed25519" "$STATE/client/known_hosts"
}

print_env() {
  # Single-quoted (the URI holds "&"), so `eval "$(second-host.sh env)"` works.
  echo "TESTCLOUD_SECOND_HOST_URI='$(uri)'"
  echo "TESTCLOUD_SECOND_HOST_ADDR='$ADDR'"
  echo "TESTCLOUD_SECOND_HOST_KEY='$STATE/client/id_ed25519'"
  echo "TESTCLOUD_SECOND_HOST_KNOWN_HOSTS='$STATE/client/known_hosts'"
}

answers() { virsh -c "$(uri)" version >/dev/null 2>&1; }

network() {
  [[ -e /run/netns/$NS ]] || ip netns add "$NS"
  if ! ip link show "$VETH_MAIN" >/dev/null 2>&1; then
    ip link add "$VETH_MAIN" type veth peer name "$VETH_NS"
    ip link set "$VETH_NS" netns "$NS"
    ip addr add "$HOST_ADDR/30" dev "$VETH_MAIN"
    ip link set "$VETH_MAIN" up
    ip netns exec "$NS" ip addr add "$ADDR/30" dev "$VETH_NS"
    ip netns exec "$NS" ip link set "$VETH_NS" up
    ip netns exec "$NS" ip link set lo up
  fi
}

# A mount namespace kept by a bind mount of its nsfs file, so it outlives any process.
mount_namespace() {
  mkdir -p "$NSDIR"
  if ! mountpoint -q "$NSDIR"; then
    mount --bind "$NSDIR" "$NSDIR"
    mount --make-private "$NSDIR"
  fi
  [[ -e $NSDIR/mnt ]] && mountpoint -q "$NSDIR/mnt" && return 0
  touch "$NSDIR/mnt"
  unshare --mount="$NSDIR/mnt" --propagation private true
  mkdir -p "$STATE"/{run,etc,lib,log,cache,client,sshd}
  chmod 0700 "$STATE"
  cp -a /etc/libvirt/. "$STATE/etc/"
  # Definitions are the main host's: the second host starts with no domain, network or pool.
  rm -rf "$STATE/etc/qemu" "$STATE/etc/storage" "$STATE/etc/secrets"
  mkdir -p "$STATE/etc/qemu" "$STATE/etc/storage"
  # No cgroups: scope names (machine-qemu-ID-NAME) could clash with the main daemon's.
  printf '\ncgroup_controllers = [ ]\n' >>"$STATE/etc/qemu.conf"
  # QEMU's capabilities cache: a copy saves the second daemon a minute of probing under TCG.
  [[ -d /var/cache/libvirt/qemu ]] && cp -a /var/cache/libvirt/qemu "$STATE/cache/" || true
  inside sh -ec "
    mount --bind '$STATE/run' /run
    mkdir -p /run/libvirt /run/sshd /run/lock
    mount --bind '$STATE/etc' /etc/libvirt
    mount --bind '$STATE/lib' /var/lib/libvirt
    mount --bind '$STATE/log' /var/log/libvirt
    mount --bind '$STATE/cache' /var/cache/libvirt
    mkdir -p /var/lib/libvirt/images /var/lib/libvirt/qemu /var/log/libvirt/qemu
    chown libvirt-qemu:kvm /var/lib/libvirt/qemu 2>/dev/null || true
  "
}

keys() {
  [[ -e $STATE/sshd/ssh_host_ed25519_key ]] || ssh-keygen -q -t ed25519 -N '' -C second-host -f "$STATE/sshd/ssh_host_ed25519_key"
  [[ -e $STATE/client/id_ed25519 ]] || ssh-keygen -q -t ed25519 -N '' -C testcloud-tests -f "$STATE/client/id_ed25519"
  cp "$STATE/client/id_ed25519.pub" "$STATE/sshd/authorized_keys"
  printf '%s %s\n' "$ADDR" "$(cut -d' ' -f1,2 "$STATE/sshd/ssh_host_ed25519_key.pub")" >"$STATE/client/known_hosts"
  cat >"$STATE/sshd/sshd_config" <<EOF
ListenAddress $ADDR
HostKey $STATE/sshd/ssh_host_ed25519_key
PidFile /run/sshd.pid
AuthorizedKeysFile $STATE/sshd/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
AllowTcpForwarding yes
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
}

# The daemons run under names of their own (a symlink's name is the process name): the main
# host's `pgrep -x libvirtd || libvirtd -d` and a test's `pkill -x libvirtd` must not see them.
daemons() {
  mkdir -p "$STATE/bin"
  ln -sfn "$(command -v libvirtd)" "$STATE/bin/libvirtd-host2"
  ln -sfn "$(command -v virtlogd)" "$STATE/bin/virtlogd-host2"
  inside sh -ec "
    alive() { [ -s \"\$1\" ] && kill -0 \"\$(cat \"\$1\")\" 2>/dev/null; }
    alive /run/virtlogd.pid || '$STATE/bin/virtlogd-host2' -d
    alive /run/libvirtd.pid || '$STATE/bin/libvirtd-host2' -d
  "
  inside sh -ec "[ -s /run/sshd.pid ] && kill -0 \$(cat /run/sshd.pid) 2>/dev/null || /usr/sbin/sshd -f '$STATE/sshd/sshd_config'"
}

start() {
  network
  mount_namespace
  keys
  daemons
  for _ in $(seq 150); do
    answers && break
    sleep 0.2
  done
  answers || { log "the second libvirtd does not answer at $(uri)"; exit 1; }
  print_env
}

# Stops what start started, in its namespaces only: the second daemon's domains (all made by
# tests against it), then its daemons by pidfile, then the namespaces, the veth and the state.
stop() {
  if [[ -e $NSDIR/mnt ]] && mountpoint -q "$NSDIR/mnt" && [[ -e /run/netns/$NS ]]; then
    if inside test -S /run/libvirt/libvirt-sock; then
      for dom in $(inside virsh -c qemu:///system list --all --uuid 2>/dev/null); do
        inside virsh -c qemu:///system destroy "$dom" >/dev/null 2>&1 || true
        inside virsh -c qemu:///system undefine --nvram "$dom" >/dev/null 2>&1 || true
      done
    fi
    for pidfile in /run/sshd.pid /run/libvirtd.pid /run/virtlogd.pid; do
      pid=$(inside cat "$pidfile" 2>/dev/null || true)
      [[ -n $pid ]] && kill "$pid" 2>/dev/null || true
    done
    for pidfile in /run/sshd.pid /run/libvirtd.pid /run/virtlogd.pid; do
      for _ in $(seq 50); do inside test -e "$pidfile" || break; sleep 0.1; done
    done
  fi
  if [[ -e $NSDIR/mnt ]]; then umount "$NSDIR/mnt" 2>/dev/null || true; fi
  if mountpoint -q "$NSDIR" 2>/dev/null; then umount "$NSDIR"; fi
  rm -rf "$NSDIR"
  ip link del "$VETH_MAIN" 2>/dev/null || true
  [[ -e /run/netns/$NS ]] && ip netns del "$NS"
  rm -rf "$STATE"
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status) answers ;;
  env) print_env ;;
  # Stops only its libvirtd (sshd stays): what a host that is down looks like to a client.
  stop-libvirtd)
    pid=$(inside cat /run/libvirtd.pid 2>/dev/null || true)
    [[ -n $pid ]] && kill "$pid"
    for _ in $(seq 50); do inside test -e /run/libvirtd.pid || break; sleep 0.1; done ;;
  start-libvirtd) daemons; for _ in $(seq 150); do answers && break; sleep 0.2; done; answers ;;
  *) echo "usage: $0 start|stop|status|env|stop-libvirtd|start-libvirtd" >&2; exit 2 ;;
esac
