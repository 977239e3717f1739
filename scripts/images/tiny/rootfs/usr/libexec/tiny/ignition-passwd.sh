# Ignition passwd section for the testcloud tiny image, sourced by
# ignition.sh: ign_passwd creates passwd.groups and passwd.users, adds their
# ssh keys and group memberships ("sudo" / "wheel" -> rcS' SUDO_USERS).
# Needs users.sh.

# ign_group NAME [GID]: create the group when missing
ign_group() {
	local gid=$2
	grep -q "^$1:" /etc/group && return 0
	if [ -z "$gid" ]; then
		gid=1000
		while awk -F: -v u="$gid" '$3 == u { f = 1 } END { exit !f }' /etc/passwd /etc/group; do
			gid=$((gid + 1))
		done
	fi
	echo "$1:x:$gid:" >>/etc/group
}

# ign_member USER GROUP: USER joins GROUP (a supplementary group)
ign_member() {
	awk -F: -v OFS=: -v u="$1" -v g="$2" '
		$1 == g {
			n = split($4, m, ",")
			for (i = 1; i <= n; i++) if (m[i] == u) { print; next }
			$4 = ($4 == "") ? u : $4 "," u
		}
		{ print }' /etc/group >"$RUN/group.new" && cat "$RUN/group.new" >/etc/group
	rm -f "$RUN/group.new"
}

ign_passwd() {
	local F=$1 i j name g
	for i in $(cc_children passwd.groups "$F"); do
		name=$(cc_get "passwd.groups.$i.name" "$F") || continue
		if valid_name "$name"; then ign_group "$name" "$(cc_get "passwd.groups.$i.gid" "$F")"; else mark "ignition group name '$name' rejected"; fi
	done
	for i in $(cc_children passwd.users "$F"); do
		name=$(cc_get "passwd.users.$i.name" "$F") || continue
		if ! valid_name "$name"; then
			mark "ignition user name '$name' rejected"
			continue
		fi
		case " $IGN_USERS " in
		*" $name "*) ;;
		*)
			IGN_USERS="$IGN_USERS $name"
			mark "ignition user $name"
			;;
		esac
		add_user "$name"
		[ -n "$FIRST_USER" ] || FIRST_USER=$name
		for j in $(cc_children "passwd.users.$i.sshAuthorizedKeys" "$F"); do
			add_key "$name" "$(cc_get "passwd.users.$i.sshAuthorizedKeys.$j" "$F")"
		done
		for j in $(cc_children "passwd.users.$i.groups" "$F"); do
			g=$(cc_get "passwd.users.$i.groups.$j" "$F")
			valid_name "$g" || continue
			ign_group "$g"
			ign_member "$name" "$g"
			case "$g" in
			sudo | wheel)
				case " $SUDO_USERS " in
				*" $name "*) ;;
				*) SUDO_USERS="$SUDO_USERS $name" ;;
				esac
				;;
			esac
		done
	done
}
