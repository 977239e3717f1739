#!/bin/sh
# testcloud fork hook: installed by a template's seed, it gives a guest restored from the
# template its own identity, then brings up the NIC testcloud plugs into the fork after the
# restore (so nothing reaches the guest before the identity is in place). The identity is
# a QEMU fw_cfg file (opt/org.testcloud/fork): hostname, instance-id, MAC, machine-id, host
# key pair, user key, the template's keys to replace, a random seed and, in user-mode
# networking, the address to take; the template boots with a placeholder ("id=template").
# Runs from udev + systemd (testcloud-fork.service) or busybox `uevent` (no udev), on the
# VM generation ID change (where the kernel sends that uevent: at once on restore) or on
# the NIC's PCI device being added (its interface comes a little later; the identity does
# not wait for it): POSIX sh, busybox and coreutils alike. Only values testcloud checked
# reach it; none is evaluated. Every process started costs tens of ms in an emulated
# guest: files are read and rewritten with the shell's own builtins.
set -u
# busybox uevent runs us for every kernel event: only a new VM generation, PCI device or NIC
# counts. Checked first, before the shell reads the rest of this file.
if [ -n "${ACTION:-}" ] && ! { [ "$ACTION" = change ] && [ "${NEW_VMGENID:-}" = 1 ]; } &&
	! { [ "$ACTION" = add ] && { [ "${SUBSYSTEM:-}" = pci ] || [ "${SUBSYSTEM:-}" = net ]; }; }; then exit 0; fi
FWCFG=/sys/firmware/qemu_fw_cfg/by_name/opt/org.testcloud/fork/raw
STATE=/var/lib/testcloud-fork
NL='
'

# With the uptime, as the tiny image's own lines: where a fork's first seconds go.
log() {
	read -r up _ </proc/uptime
	echo "TESTCLOUD-FORK: $* [${up}s]" >/dev/console 2>/dev/null
}

# replace_in FILE OLD NEW: on every line holding OLD (a literal), its first OLD becomes NEW;
# written in place (owner and mode kept), and only if something changed.
replace_in() {
	[ -f "$1" ] || return 0
	out="" hit=""
	while IFS= read -r line || [ -n "$line" ]; do
		case $line in *"$2"*) line=${line%%"$2"*}$3${line#*"$2"} hit=1 ;; esac
		out=$out$line$NL
	done <"$1"
	[ -z "$hit" ] || printf '%s' "$out" >"$1"
}

# rename_host FILE OLD NEW: in a hosts file, every name OLD (or OLD.domain) becomes NEW.
rename_host() {
	[ -f "$1" ] && [ -n "$2" ] || return 0
	out="" hit="" file=$1 o=$2 n=$3
	while IFS= read -r line || [ -n "$line" ]; do
		case " $line " in
		*[[:space:]]"$o"[[:space:]]* | *[[:space:]]"$o".*)
			set -f
			# shellcheck disable=SC2086
			set -- $line
			line=$1
			shift
			for f; do
				case $f in "$o") f=$n ;; "$o".*) f=$n${f#"$o"} ;; esac
				line="$line $f"
			done
			set +f
			hit=1
			;;
		esac
		out=$out$line$NL
	done <"$file"
	[ -z "$hit" ] || printf '%s' "$out" >"$file"
}

# keypart LINE: sets $kp to the line's "TYPE BLOB" part, what identifies a key whatever
# options or comment surround it.
keypart() {
	set -f
	# shellcheck disable=SC2086
	set -- $1
	kp="${1:-} ${2:-}"
	set +f
}

# wait_gone PID: up to a second for a process we stopped to be gone, zombies too (busybox init
# reaps orphans once a second). Often at first (a test is a builtin, a sleep is a process).
wait_gone() {
	i=0
	while [ -e "/proc/$1/exe" ] && [ $i -lt 1050 ]; do
		[ $i -lt 1000 ] || sleep 0.02
		i=$((i + 1))
	done
}

# The fork's host key for its ssh server; sshd re-reads its keys on SIGHUP, dropbear is
# started again (in the background: it comes up while the rest of the identity goes in).
host_key() {
	umask 077
	if [ -x /usr/sbin/sshd ]; then
		rm -f /etc/ssh/ssh_host_*_key /etc/ssh/ssh_host_*_key.pub
		echo "$HOSTKEY" | base64 -d >/etc/ssh/ssh_host_ed25519_key
		(umask 022 && echo "$HOSTPUB" >/etc/ssh/ssh_host_ed25519_key.pub)
		# SIGHUP: sshd re-executes itself and reads its host keys again (what `systemctl reload ssh` does).
		pid="" && read -r pid 2>/dev/null </run/sshd.pid && kill -HUP "$pid"
	fi
	# dropbear's key comes in dropbear's own format, made by testcloud: the printf builtin
	# writes its bytes.
	# shellcheck disable=SC2059
	if [ -d /etc/dropbear ] && printf "$DBKEY" >/etc/dropbear/dropbear_ed25519_host_key; then
		# dropbear reads its keys once: start it again with its own arguments.
		pid="" && read -r pid 2>/dev/null </run/dropbear.pid
		if [ -n "$pid" ] && args=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) && [ -n "$args" ]; then
			kill "$pid" && wait_gone "$pid"
			# shellcheck disable=SC2086
			setsid $args </dev/null >/dev/console 2>&1 &
		fi
	fi
	umask 022
}

identity() {
	log "applying identity of $HOST"

	# The clock is as old as the template: the RTC follows the host's (to the second) across a restore.
	read -r rtc </sys/class/rtc/rtc0/since_epoch 2>/dev/null && date -u -s "@$rtc" >/dev/null 2>&1

	# Randomness: the kernel's generator is the template's until reseeded. A VM generation ID
	# reseeds it where the kernel's vmgenid driver has the device; elsewhere mix in our seed
	# and force a reseed (RNDRESEEDCRNG), so every fork's /dev/urandom differs from the next
	# read on.
	printf '%s' "$SEED" >/dev/urandom
	vmgenid=""
	for d in /sys/bus/acpi/drivers/vmgenid/*:* /sys/bus/platform/drivers/vmgenid/*:*; do [ -e "$d" ] && vmgenid=$d; done
	# (In the background: the network, last, waits for it.)
	reseed=""
	if [ -z "$vmgenid" ] && command -v perl >/dev/null 2>&1; then
		perl -e 'open(my $f, "<", "/dev/urandom") or exit 1; ioctl($f, 0x5207, 0)' &
		reseed=$!
	fi

	host_key

	[ -s /etc/machine-id ] && echo "$MID" >/etc/machine-id
	oldhost="" && read -r oldhost </proc/sys/kernel/hostname
	echo "$HOST" >/proc/sys/kernel/hostname
	echo "$HOST" >/etc/hostname
	rename_host /etc/hosts "$oldhost" "$HOST"

	# cloud-init: this is another instance, which on its next boot finds the same id in its
	# seed (its directory is renamed once the network is up: no login waits for that).
	if [ -d /var/lib/cloud/data ]; then
		read -r oldiid 2>/dev/null </var/lib/cloud/data/instance-id
		echo "$IID" >/var/lib/cloud/data/instance-id
	fi
	[ -d /run/cloud-init ] && echo "$IID" >/run/cloud-init/.instance-id

	# Keys: the fork's user key replaces the template's wherever it was authorized, and the
	# fork's host key replaces the template's wherever the guest pinned it.
	keypart "$OLDKEY" && old=$kp && keypart "$KEY"
	for f in /root/.ssh/authorized_keys /home/*/.ssh/authorized_keys; do replace_in "$f" "$old" "$kp"; done
	keypart "$OLDHOSTKEY" && old=$kp && keypart "$HOSTPUB"
	for f in /root/.ssh/known_hosts /home/*/.ssh/known_hosts; do replace_in "$f" "$old" "$kp"; done

	[ -z "$reseed" ] || wait "$reseed"
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

# The address testcloud gave, with its route and resolver (unless a resolver daemon owns
# the file), then announced.
take_address() {
	ip addr add "$ADDR" dev "$nic"
	ip route add default via "$GW" dev "$nic"
	[ -L /etc/resolv.conf ] || echo "nameserver $DNS" >/etc/resolv.conf
	announce
}

# A gratuitous ARP (or, without arping, an ARP request for the gateway): QEMU's user-mode
# network learns our MAC from it and forwards connections to us without asking first.
announce() {
	if command -v arping >/dev/null 2>&1; then
		arping -U -c 1 -I "$nic" "${ADDR%/*}" >/dev/null 2>&1
	else
		ping -c 1 -W 1 -I "$nic" "$GW" >/dev/null 2>&1 &
	fi
}

# has_route NIC: whether NIC has its default route yet (/proc/net/route: "IFACE 00000000 ...").
has_route() {
	while read -r iface dest _; do
		[ "$iface" = "$1" ] && [ "$dest" = 00000000 ] && return 0
	done </proc/net/route
	return 1
}

# Network, last: the address testcloud gave (user-mode networking, whose DHCP server always
# offers the same one), or DHCP from the fork's own MAC, with its own hostname.
network() {
	nic=""
	find_nic || { log "no NIC with $MAC"; return 0; }
	if [ -d /run/systemd/netif ]; then
		# systemd-networkd: the template's config matched the template's MAC; this one matches ours.
		if [ -n "$ADDR" ]; then
			printf '[Match]\nMACAddress=%s\n\n[Network]\nAddress=%s\nGateway=%s\nDNS=%s\n' "$MAC" "$ADDR" "$GW" "$DNS" >/etc/systemd/network/10-testcloud-fork.network
		else
			printf '[Match]\nMACAddress=%s\n\n[Network]\nDHCP=ipv4\n\n[DHCPv4]\nClientIdentifier=mac\n' "$MAC" >/etc/systemd/network/10-testcloud-fork.network
		fi
		networkctl reload
		# networkd sets the address when it gets to it: announced once it is there.
		i=0
		while [ -n "$ADDR" ] && ! has_route "$nic" && [ $i -lt 150 ]; do
			sleep 0.02
			i=$((i + 1))
		done
		[ -z "$ADDR" ] || announce
	elif [ -n "$nic" ] && command -v udhcpc >/dev/null 2>&1; then
		# The template's client served the NIC that is gone (and may share its name): its
		# lease is the template's, so it goes without a word, and at once.
		pid="" comm="" && read -r pid 2>/dev/null </run/udhcpc.pid && read -r comm 2>/dev/null <"/proc/$pid/comm" &&
			[ "$comm" = udhcpc ] && kill -KILL "$pid"
		ip link set "$nic" up
		if [ -n "$ADDR" ]; then
			take_address
		else
			script=""
			for s in /usr/share/udhcpc/default.script /etc/udhcpc/default.script; do [ -x "$s" ] && script=$s && break; done
			udhcpc -i "$nic" ${script:+-s "$script"} -x "hostname:$HOST" -t 10 -T 1 -A 3 -b -p /run/udhcpc.pid >>/var/log/udhcpc.log 2>&1
		fi
	elif [ -n "$nic" ] && command -v dhclient >/dev/null 2>&1; then
		ip link set "$nic" up
		if [ -n "$ADDR" ]; then
			take_address
		else
			dhclient -nw "$nic"
		fi
	fi
	echo "$ID" >"$STATE/network"
	log "network on $nic"
}

[ -r "$FWCFG" ] || modprobe qemu_fw_cfg 2>/dev/null
[ -r "$FWCFG" ] || exit 0
# One read of the whole file (the shell's `read` would ask fw_cfg for it byte by byte).
ident=$(cat "$FWCFG") || exit 0
ID="" HOST="" IID="" MAC="" MID="" SEED="" OLDKEY="" KEY="" OLDHOSTKEY="" HOSTPUB="" HOSTKEY="" DBKEY="" ADDR="" GW="" DNS=""
set -f
IFS=$NL
# shellcheck disable=SC2086
set -- $ident
unset IFS
set +f
for line; do
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
	host_key_dropbear=*) DBKEY=${line#host_key_dropbear=} ;;
	address=*) ADDR=${line#address=} ;;
	gateway=*) GW=${line#gateway=} ;;
	dns=*) DNS=${line#dns=} ;;
	end) break ;;
	esac
done
# The template's own boot, or a fork that has its identity already (a later NIC event, a reboot).
[ -n "$ID" ] && [ "$ID" != template ] || exit 0
[ -d "$STATE" ] || mkdir -p "$STATE"
applied="" networked=""
read -r applied 2>/dev/null <"$STATE/applied"
read -r networked 2>/dev/null <"$STATE/network"
[ "$networked" = "$ID" ] && exit 0

rtc="" oldiid=""
[ "$applied" = "$ID" ] || identity
network
[ -n "$oldiid" ] && [ -d "/var/lib/cloud/instances/$oldiid" ] && mv "/var/lib/cloud/instances/$oldiid" "/var/lib/cloud/instances/$IID" &&
	ln -sfn "/var/lib/cloud/instances/$IID" /var/lib/cloud/instance

# Now to the millisecond: set the clock again at the RTC's next second (once identity ran).
[ -n "$rtc" ] || exit 0
i=0 now=""
while read -r now </sys/class/rtc/rtc0/since_epoch && [ "$now" = "$rtc" ] && [ $i -lt 75 ]; do
	sleep 0.02
	i=$((i + 1))
done
[ -n "$now" ] && [ "$now" != "$rtc" ] && date -u -s "@$now" >/dev/null 2>&1
exit 0
