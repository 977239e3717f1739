#!/bin/sh
# testcloud fork hook: installed by a template's seed, it gives a guest restored from the
# template its own identity, then brings up the NIC testcloud plugs into the fork after the
# restore (so nothing reaches the guest before the identity is in place).
#
# The identity is a QEMU fw_cfg file of the restored process (opt/org.testcloud/fork): the
# fork's hostname, instance-id, MAC, machine-id, host key pair, user key, the template's
# keys to replace and a random seed. The template itself boots with a placeholder ("id=template").
# Runs from udev + systemd (testcloud-fork.service) or busybox `uevent` (no udev), on the
# kernel's VM generation ID change (Linux >= 6.0: at once on restore, while the NIC is still
# being plugged) or on a NIC being added: POSIX sh, busybox and coreutils alike. Only values
# testcloud checked reach it; none is evaluated.
set -u
FWCFG=/sys/firmware/qemu_fw_cfg/by_name/opt/org.testcloud/fork/raw
STATE=/var/lib/testcloud-fork

# With the uptime, as the tiny image's own lines: where a fork's first seconds go.
log() {
	read -r up _ </proc/uptime
	echo "TESTCLOUD-FORK: $* [${up}s]" >/dev/console 2>/dev/null
}

# busybox uevent runs us for every kernel event: only a new VM generation or NIC counts.
if [ -n "${ACTION:-}" ] && ! { [ "$ACTION" = change ] && [ "${NEW_VMGENID:-}" = 1 ]; } &&
	! { [ "$ACTION" = add ] && [ "${SUBSYSTEM:-}" = net ]; }; then exit 0; fi

[ -r "$FWCFG" ] || modprobe qemu_fw_cfg 2>/dev/null
[ -r "$FWCFG" ] || exit 0
ID="" HOST="" IID="" MAC="" MID="" SEED="" OLDKEY="" KEY="" OLDHOSTKEY="" HOSTPUB="" HOSTKEY=""
while IFS= read -r line; do
	case $line in
	id=*) ID=${line#id=} ;;
	hostname=*) HOST=${line#hostname=} ;;
	instance_id=*) IID=${line#instance_id=} ;;
	mac=*) MAC=${line#mac=} ;;
	machine_id=*) MID=${line#machine_id=} ;;
	seed=*) SEED=${line#seed=} ;;
	old_user_key=*) OLDKEY=${line#old_user_key=} ;;
	user_key=*) KEY=${line#user_key=} ;;
	old_host_key=*) OLDHOSTKEY=${line#old_host_key=} ;;
	host_key_pub=*) HOSTPUB=${line#host_key_pub=} ;;
	host_key=*) HOSTKEY=${line#host_key=} ;;
	end) break ;;
	esac
done <"$FWCFG"
# The template's own boot, or a fork that has its identity already (a later NIC event, a reboot).
[ -n "$ID" ] && [ "$ID" != template ] || exit 0
mkdir -p "$STATE"
applied="" networked=""
read -r applied 2>/dev/null <"$STATE/applied"
read -r networked 2>/dev/null <"$STATE/network"
[ "$networked" = "$ID" ] && exit 0

identity() {
	log "applying identity of $HOST"

	# The clock is as old as the template: the RTC follows the host's (to the second) across a restore.
	rtc="" now=""
	read -r rtc </sys/class/rtc/rtc0/since_epoch 2>/dev/null && date -u -s "@$rtc" >/dev/null 2>&1

	# Randomness: the kernel's generator is the template's until reseeded. A VM generation ID
	# reseeds it where the kernel has vmgenid; mix in our seed and force a reseed anyway
	# (RNDRESEEDCRNG), so every fork's /dev/urandom differs from the next read on.
	printf '%s' "$SEED" >/dev/urandom
	command -v perl >/dev/null 2>&1 && perl -e 'open(my $f, "<", "/dev/urandom") && ioctl($f, 0x5207, 0)'

	[ -s /etc/machine-id ] && echo "$MID" >/etc/machine-id

	# replace_in FILE OLD NEW: every line holding OLD (a literal) gets NEW in its place; owner and mode kept.
	replace_in() {
		[ -f "$1" ] && grep -qF "$2" "$1" || return 0
		awk -v old="$2" -v new="$3" '{ i = index($0, old); if (i) $0 = substr($0, 1, i - 1) new substr($0, i + length(old)); print }' "$1" >"$1.tcfork" &&
			cat "$1.tcfork" >"$1"
		rm -f "$1.tcfork"
}
# wait_gone PID: up to a second for a process we stopped to be gone.
wait_gone() {
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.01
		i=$((i + 1))
	done
}
# A key line's "TYPE BLOB" part: what identifies it, whatever options or comment surround it.
keypart() {
	# shellcheck disable=SC2086
	set -f && set -- $1 && echo "${1:-} ${2:-}"
}

OLDHOST=$(hostname)
hostname "$HOST"
echo "$HOST" >/etc/hostname
[ -n "$OLDHOST" ] && [ -f /etc/hosts ] &&
	awk -v old="$OLDHOST" -v new="$HOST" '{ for (i = 2; i <= NF; i++) { if ($i == old) $i = new; else if (index($i, old ".") == 1) $i = new substr($i, length(old) + 1) } print }' /etc/hosts >/etc/hosts.tcfork &&
	cat /etc/hosts.tcfork >/etc/hosts
rm -f /etc/hosts.tcfork

# cloud-init: this is another instance, which on its next boot finds the same id in its seed.
if [ -d /var/lib/cloud/data ]; then
	old=$(cat /var/lib/cloud/data/instance-id 2>/dev/null)
	[ -n "$old" ] && [ -d "/var/lib/cloud/instances/$old" ] && mv "/var/lib/cloud/instances/$old" "/var/lib/cloud/instances/$IID" &&
		ln -sfn "/var/lib/cloud/instances/$IID" /var/lib/cloud/instance
	echo "$IID" >/var/lib/cloud/data/instance-id
fi
[ -d /run/cloud-init ] && echo "$IID" >/run/cloud-init/.instance-id

# Keys: the fork's user key replaces the template's wherever it was authorized, and the
# fork's host key replaces the template's in the ssh server and wherever the guest pinned it.
old=$(keypart "$OLDKEY") new=$(keypart "$KEY")
for f in /root/.ssh/authorized_keys /home/*/.ssh/authorized_keys; do replace_in "$f" "$old" "$new"; done
old=$(keypart "$OLDHOSTKEY") new=$(keypart "$HOSTPUB")
for f in /root/.ssh/known_hosts /home/*/.ssh/known_hosts; do replace_in "$f" "$old" "$new"; done
umask 077
echo "$HOSTKEY" | base64 -d >"$STATE/host_key"
if [ -x /usr/sbin/sshd ]; then
	rm -f /etc/ssh/ssh_host_*_key /etc/ssh/ssh_host_*_key.pub
	cp "$STATE/host_key" /etc/ssh/ssh_host_ed25519_key
	(umask 022 && echo "$HOSTPUB" >/etc/ssh/ssh_host_ed25519_key.pub)
	# SIGHUP: sshd re-executes itself and reads its host keys again (what `systemctl reload ssh` does).
	[ -r /run/sshd.pid ] && kill -HUP "$(cat /run/sshd.pid)"
fi
if command -v dropbearconvert >/dev/null 2>&1; then
	dropbearconvert openssh dropbear "$STATE/host_key" /etc/dropbear/dropbear_ed25519_host_key >/dev/null 2>&1
	# dropbear reads its keys once: start it again with its own arguments.
	if pid=$(cat /run/dropbear.pid 2>/dev/null) && args=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) && [ -n "$args" ]; then
		kill "$pid" && wait_gone "$pid"
		# shellcheck disable=SC2086
		setsid $args </dev/null >/dev/console 2>&1 &
	fi
fi
rm -f "$STATE/host_key"
umask 022

echo "$ID" >"$STATE/applied"
log "identity applied"
}

# The NIC with the fork's MAC, waiting up to 30 s for testcloud to plug it in.
find_nic() {
	i=0
	while [ $i -lt 600 ]; do
		for d in /sys/class/net/*; do
			a="" && read -r a <"$d/address" 2>/dev/null
			[ "$a" = "$MAC" ] && nic=${d##*/} && return 0
		done
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

# Network, last: DHCP from the fork's own MAC, with its own hostname.
network() {
	nic=""
	find_nic || { log "no NIC with $MAC"; return 0; }
	if [ -d /run/systemd/netif ]; then
		# systemd-networkd: the template's config matched the template's MAC; this one matches ours.
		printf '[Match]\nMACAddress=%s\n\n[Network]\nDHCP=ipv4\n\n[DHCPv4]\nClientIdentifier=mac\n' "$MAC" >/etc/systemd/network/10-testcloud-fork.network
		networkctl reload
	elif [ -n "$nic" ] && command -v udhcpc >/dev/null 2>&1; then
		# The template's client served the NIC that is gone (and may share its name): stop it first.
		pid=$(cat /run/udhcpc.pid 2>/dev/null) && kill "$pid" 2>/dev/null && wait_gone "$pid"
		script=""
		for s in /usr/share/udhcpc/default.script /etc/udhcpc/default.script; do [ -x "$s" ] && script=$s && break; done
		ip link set "$nic" up
		udhcpc -i "$nic" ${script:+-s "$script"} -x "hostname:$HOST" -t 10 -T 1 -A 3 -b -p /run/udhcpc.pid >>/var/log/udhcpc.log 2>&1
	elif [ -n "$nic" ] && command -v dhclient >/dev/null 2>&1; then
		ip link set "$nic" up
		dhclient -nw "$nic"
	fi
	echo "$ID" >"$STATE/network"
	log "network on $nic"
}

[ "$applied" = "$ID" ] || identity
network

# Now to the millisecond: set the clock again at the RTC's next second (once identity ran).
[ -n "${rtc:-}" ] || exit 0
i=0
while read -r now </sys/class/rtc/rtc0/since_epoch && [ "$now" = "$rtc" ] && [ $i -lt 150 ]; do
	sleep 0.01
	i=$((i + 1))
done
[ -n "$now" ] && [ "$now" != "$rtc" ] && date -u -s "@$now" >/dev/null 2>&1
exit 0
