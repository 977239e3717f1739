# NoCloud user-data / vendor-data for the testcloud tiny image, sourced by
# /etc/init.d/rcS: handle_part tells a #cloud-config part from a script;
# apply_cloud_config applies hostname, users, keys, host keys, write_files
# and bootcmd now and leaves runcmd for rc.userdata. Sets rcS' HOSTNAME_WANT,
# FIRST_USER and SUDO_USERS; needs users.sh.

# apply_cloud_config FLATFILE
apply_cloud_config() {
	CC=$1
	# hostname / fqdn
	v=$(cc_get hostname) && [ -n "$v" ] && HOSTNAME_WANT=$v
	if ! cc_has hostname; then v=$(cc_get fqdn) && [ -n "$v" ] && HOSTNAME_WANT=$v; fi

	# users
	for i in $(cc_children users); do
		name=$(cc_get "users.$i.name") || name=$(cc_get "users.$i") || continue
		[ "$name" = default ] && continue
		if ! valid_name "$name"; then
			mark "user name '$name' rejected"
			continue
		fi
		add_user "$name"
		[ -n "$FIRST_USER" ] || FIRST_USER=$name
		for j in $(cc_children "users.$i.ssh_authorized_keys"); do
			add_key "$name" "$(cc_get "users.$i.ssh_authorized_keys.$j")"
		done
		if cc_has "users.$i.sudo"; then
			s=$(cc_get "users.$i.sudo")
			case "$s" in
			false | False | FALSE | "" | null) cc_has "users.$i.sudo.0" && SUDO_USERS="$SUDO_USERS $name" ;;
			*) SUDO_USERS="$SUDO_USERS $name" ;;
			esac
		fi
	done

	# top-level ssh_authorized_keys -> first user (root when there is none)
	for j in $(cc_children ssh_authorized_keys); do
		add_key "${FIRST_USER:-root}" "$(cc_get "ssh_authorized_keys.$j")"
	done

	# host keys
	for t in rsa ecdsa ed25519; do
		cc_has "ssh_keys.${t}_private" || continue
		umask 077
		cc_get "ssh_keys.${t}_private" >"$RUN/hostkey.$t.openssh"
		umask 022
		install_hostkey "$t" "$RUN/hostkey.$t.openssh" seed
		rm -f "$RUN/hostkey.$t.openssh"
	done

	# write_files
	for i in $(cc_children write_files); do
		p=$(cc_get "write_files.$i.path") || continue
		case "$p" in /*) ;; *) continue ;; esac
		mkdir -p "$(dirname "$p")"
		enc=$(cc_get "write_files.$i.encoding")
		op='>'
		is_true "$(cc_get "write_files.$i.append")" && op='>>'
		case "$enc" in
		b64 | base64) cc_get "write_files.$i.content" | base64 -d >"$RUN/wf" ;;
		gz+b64 | gzip+base64 | gz+base64 | gzip+b64) cc_get "write_files.$i.content" | base64 -d | gunzip >"$RUN/wf" ;;
		*) cc_get "write_files.$i.content" >"$RUN/wf" ;;
		esac
		if [ "$op" = '>>' ]; then cat "$RUN/wf" >>"$p"; else cat "$RUN/wf" >"$p"; fi
		rm -f "$RUN/wf"
		perm=$(cc_get "write_files.$i.permissions") || perm=0644
		chmod "$perm" "$p" 2>/dev/null || chmod 0644 "$p"
		own=$(cc_get "write_files.$i.owner") && chown "$own" "$p" 2>/dev/null
		mark "wrote $p"
	done

	# bootcmd runs now; runcmd later (rc.userdata)
	if cc_has bootcmd; then
		cc_script bootcmd >"$RUN/bootcmd"
		(cd / && sh "$RUN/bootcmd") </dev/null >/dev/console 2>&1
		mark "bootcmd exit $?"
	fi
	if cc_has runcmd; then
		cc_script runcmd >/var/lib/cloud/instance/scripts/runcmd
		chmod 0700 /var/lib/cloud/instance/scripts/runcmd
	fi
}

# handle_part FILE KIND(vendor-data|user-data)
handle_part() {
	f=$1
	kind=$2
	[ -s "$f" ] || return 0
	first=$(head -n 1 "$f" | tr -d '\r')
	case "$first" in
	"#cloud-config"*)
		yflat "$f" >"$RUN/$kind.flat" 2>"$RUN/$kind.flat.err" || mark "$kind: cloud-config parse error"
		mark "$kind: cloud-config"
		apply_cloud_config "$RUN/$kind.flat"
		;;
	"#!"*)
		if [ "$kind" = user-data ]; then dst=/var/lib/cloud/instance/scripts/part-001; else dst=/var/lib/cloud/instance/scripts/vendor/part-001; fi
		cp "$f" "$dst"
		chmod 0700 "$dst"
		mark "$kind: script (${first#\#!})"
		;;
	*)
		mark "$kind: unsupported format ($(echo "$first" | cut -c1-40)), ignored"
		;;
	esac
}
