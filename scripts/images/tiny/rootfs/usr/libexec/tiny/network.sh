# Network for the testcloud tiny image, sourced by /etc/init.d/rcS, which
# runs net_up in the background: the first ethernet NIC gets a static address
# from the NoCloud network-config (netcfg_static) or DHCP; every other NIC
# DHCP (other_nics_up). Uses rcS' $h (the hostname the DHCP request carries).

# Optional NoCloud network-config: a static IPv4 address for the first NIC
# (v2: ethernets.*.addresses/gateway4/routes/nameservers; v1: a physical
# config's static subnet). Anything else -> DHCP.
S_ADDR=""
S_GW=""
S_DNS=""
S_SEARCH=""
netcfg_static() {
	local N="$RUN/network-config.flat" pre="" ver b e r c sb a nm to d
	yflat "$RUN/seed/network-config" >"$N" 2>/dev/null || return 1
	cc_has network "$N" && pre="network."
	ver=$(cc_get "${pre}version" "$N")
	if [ "$ver" = 2 ]; then
		for e in $(cc_children "${pre}ethernets" "$N"); do
			b="${pre}ethernets.$e"
			a=$(cc_get "$b.addresses.0" "$N") || continue
			S_ADDR=$a
			S_GW=$(cc_get "$b.gateway4" "$N")
			for r in $(cc_children "$b.routes" "$N"); do
				to=$(cc_get "$b.routes.$r.to" "$N")
				case "$to" in default | 0.0.0.0/0) S_GW=$(cc_get "$b.routes.$r.via" "$N") ;; esac
			done
			for d in $(cc_children "$b.nameservers.addresses" "$N"); do S_DNS="$S_DNS $(cc_get "$b.nameservers.addresses.$d" "$N")"; done
			for d in $(cc_children "$b.nameservers.search" "$N"); do S_SEARCH="$S_SEARCH $(cc_get "$b.nameservers.search.$d" "$N")"; done
			break
		done
	elif [ "$ver" = 1 ]; then
		for c in $(cc_children "${pre}config" "$N"); do
			b="${pre}config.$c"
			if [ "$(cc_get "$b.type" "$N")" = nameserver ]; then
				for d in $(cc_children "$b.address" "$N"); do S_DNS="$S_DNS $(cc_get "$b.address.$d" "$N")"; done
				continue
			fi
			[ -n "$S_ADDR" ] && continue
			for r in $(cc_children "$b.subnets" "$N"); do
				sb="$b.subnets.$r"
				case "$(cc_get "$sb.type" "$N")" in static | static4) ;; *) continue ;; esac
				a=$(cc_get "$sb.address" "$N") || continue
				case "$a" in
				*/*) ;;
				*)
					nm=$(cc_get "$sb.netmask" "$N") || nm=$(cc_get "$sb.prefix" "$N") || nm=24
					case "$nm" in *.*) nm=$(ipcalc -p "$a" "$nm" | cut -d= -f2) ;; esac
					a="$a/$nm"
					;;
				esac
				S_ADDR=$a
				S_GW=$(cc_get "$sb.gateway" "$N")
				for d in $(cc_children "$sb.dns_nameservers" "$N"); do S_DNS="$S_DNS $(cc_get "$sb.dns_nameservers.$d" "$N")"; done
				for d in $(cc_children "$sb.dns_search" "$N"); do S_SEARCH="$S_SEARCH $(cc_get "$sb.dns_search.$d" "$N")"; done
				break
			done
		done
	fi
	[ -n "$S_ADDR" ]
}

# net_up runs in the background while user-data is processed, so a slow DHCP
# server (libvirt's dnsmasq pings an address for ~3 s before offering it)
# overlaps with the rest of the boot. The DHCP request carries the meta-data
# hostname.
net_up() {
	NIC=""
	i=0
	while [ -z "$NIC" ] && [ $i -lt 40 ]; do
		for d in /sys/class/net/*; do
			n=${d##*/}
			[ "$n" = lo ] && continue
			[ "$(cat "$d/type" 2>/dev/null)" = 1 ] || continue
			[ -e "$d/device" ] || continue
			NIC=$n
			break
		done
		[ -n "$NIC" ] && break
		i=$((i + 1))
		usleep 50000
	done
	if [ -n "$NIC" ]; then
		echo "$NIC" >"$RUN/nic"
		ip link set "$NIC" up
		if [ -s "$RUN/seed/network-config" ] && netcfg_static; then
			ip addr add "$S_ADDR" dev "$NIC"
			[ -z "$S_GW" ] || ip route add default via "$S_GW" dev "$NIC"
			{
				[ -z "$S_SEARCH" ] || echo "search$S_SEARCH"
				for d in $S_DNS; do echo "nameserver $d"; done
			} >/etc/resolv.conf
			echo "${S_ADDR%/*}" >"$RUN/ip"
			mark "ip ${S_ADDR%/*} (static, from network-config)"
		else
			[ -s "$RUN/seed/network-config" ] && mark "network-config: no static IPv4 config, using DHCP"
			mark "dhcp on $NIC"
			# -b: go to background when no lease after the retries (keeps trying);
			# on success udhcpc daemonizes by itself after "bound".
			udhcpc -i "$NIC" -s /usr/share/udhcpc/default.script -x "hostname:$h" \
				-t 10 -T 1 -A 3 -b -p /run/udhcpc.pid >>/var/log/udhcpc.log 2>&1
			[ -s "$RUN/ip" ] || mark "ip none yet (DHCP still trying on $NIC)"
		fi
		other_nics_up
	else
		mark "no ethernet interface found"
	fi
}

# Every other ethernet NIC asks DHCP too, in the background; it never takes the
# default route (see default.script).
other_nics_up() {
	for d in /sys/class/net/*; do
		n=${d##*/}
		[ "$n" = "$NIC" ] || [ "$n" = lo ] && continue
		[ "$(cat "$d/type" 2>/dev/null)" = 1 ] && [ -e "$d/device" ] || continue
		ip link set "$n" up
		mark "dhcp on $n"
		udhcpc -i "$n" -s /usr/share/udhcpc/default.script -t 10 -T 1 -A 3 -b \
			-p "/run/udhcpc-$n.pid" >>/var/log/udhcpc.log 2>&1 &
	done
}
