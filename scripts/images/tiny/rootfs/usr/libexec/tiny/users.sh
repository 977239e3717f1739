# Users and keys for the testcloud tiny image, sourced by /etc/init.d/rcS and
# used by cloud-config.sh and ignition.sh: user names checked, users created,
# authorized keys added (each non-root key also to rcS' $AUTH_ALL), ssh host
# keys converted for dropbear.

valid_name() {
	case "$1" in
	"" | *[!A-Za-z0-9_.-]* | -* | .*) return 1 ;;
	esac
	return 0
}

add_user() {
	local name=$1 uid
	grep -q "^$name:" /etc/passwd && return 0
	uid=1000
	while awk -F: -v u="$uid" '$3 == u { f = 1 } END { exit !f }' /etc/passwd /etc/group; do
		uid=$((uid + 1))
	done
	echo "$name:x:$uid:$uid:$name:/home/$name:/bin/sh" >>/etc/passwd
	echo "$name:x:$uid:" >>/etc/group
	mkdir -p "/home/$name"
	chown "$uid:$uid" "/home/$name"
	chmod 0755 "/home/$name"
	mark "user $name created (uid $uid)"
}

# add_key USER KEYLINE [OPTIONS]
add_key() {
	local u=$1 k=$2 home uid gid f
	[ -n "$k" ] || return 0
	home=$(user_field "$u" 6)
	uid=$(user_field "$u" 3)
	gid=$(user_field "$u" 4)
	[ -n "$home" ] || return 1
	mkdir -p "$home/.ssh"
	f="$home/.ssh/authorized_keys"
	touch "$f"
	grep -qxF "$k" "$f" || echo "$k" >>"$f"
	chown "$uid:$gid" "$home/.ssh" "$f"
	chmod 0700 "$home/.ssh"
	chmod 0600 "$f"
	[ "$u" = root ] || echo "$k" >>"$AUTH_ALL"
}

# install_hostkey TYPE OPENSSH-PRIVATE-KEY-FILE ORIGIN: convert it into
# dropbear's TYPE host key
install_hostkey() {
	local t=$1 k=/etc/dropbear/dropbear_$1_host_key
	umask 077
	if dropbearconvert openssh dropbear "$2" "$k.new" >"$RUN/dropbearconvert.$t.log" 2>&1; then
		mv "$k.new" "$k"
		mark "hostkey $t from $3"
	else
		mark "hostkey $t from $3 could NOT be converted: $(tail -n 1 "$RUN/dropbearconvert.$t.log")"
	fi
	rm -f "$k.new"
	umask 022
}
