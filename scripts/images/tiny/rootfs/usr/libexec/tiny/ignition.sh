# Ignition (Fedora CoreOS) support for the testcloud tiny image. Sourced by
# /etc/init.d/rcS when no NoCloud seed was found and QEMU fw_cfg offers
# opt/com.coreos/config; rcS has copied it to $RUN/ignition/config.ign.
#
#   ign_load   (before the network comes up) decode + flatten the config and
#              the configs it merges; HOSTNAME_WANT from its /etc/hostname
#   ign_apply  (after) users and groups, then directories, files, links;
#              the ssh host key and the hostname from the files written
#
# Supported (spec 3.x JSON, flattened by json.awk):
#   ignition.config.merge[].source, ignition.config.replace.source: data: URLs
#     only, nested up to 4 levels. Merged configs are applied after the one
#     that references them (child over parent, as Ignition merges them).
#   passwd.users[]: name, sshAuthorizedKeys, groups (a user in "sudo" or
#     "wheel" gets passwordless sudo, as on Fedora CoreOS).
#   passwd.groups[]: name, gid.
#   storage.files[]: path, mode (decimal), contents and append[] (source as a
#     data: URL, base64 or percent-encoded; compression "gzip"), user/group
#     (id or name).
#   storage.directories[]: path, mode, user, group.
#   storage.links[]: path, target, hard.
# Anything else is reported in one "ignition: not supported, ignored: ..."
# marker. Needs rcS' add_user, add_key, valid_name, install_hostkey.

IGN_DIR=$RUN/ignition
IGN_MAX_DEPTH=4

jflat() { awk -f "$TINY/json.awk" "$@"; }

# ign_fields FLAT PREFIX NAME... -> "v_NAME='value'; ..." for eval, one awk
# run instead of a cc_get per field. NAME is a path below PREFIX with "."
# written "_" (contents_source = PREFIX.contents.source); absent -> ''.
ign_fields() {
	awk -v prefix="$2." -v names="$*" '
		function unesc(s,   out, i, n, c) {
			if (index(s, "\\") == 0) return s
			out = ""
			n = length(s)
			for (i = 1; i <= n; i++) {
				c = substr(s, i, 1)
				if (c == "\\" && i < n) {
					c = substr(s, ++i, 1)
					if (c == "n") c = "\n"
					else if (c == "t") c = "\t"
					else if (c == "r") c = "\r"
				}
				out = out c
			}
			return out
		}
		BEGIN {
			k = split(names, a, " ")
			for (i = 3; i <= k; i++) want[a[i]] = 1
			plen = length(prefix)
		}
		substr($0, 1, plen) == prefix {
			t = index($0, "\t")
			name = substr($0, plen + 1, t - plen - 1)
			gsub(/\./, "_", name)
			if (name in want) val[name] = unesc(substr($0, t + 1))
		}
		END {
			for (i = 3; i <= k; i++) {
				v = val[a[i]]
				gsub(/'\''/, "'\''\\'\'''\''", v)
				printf "v_%s='\''%s'\''; ", a[i], v
			}
		}' "$1"
}

# ign_data URL -> the decoded bytes on stdout (RFC 2397 data URL, base64 or
# percent-encoded; any byte, NUL included). Status 1: not a data: URL.
ign_data() {
	local meta body
	case "$1" in
	data:*,*) ;;
	*) return 1 ;;
	esac
	meta=${1%%,*}
	# for printf %b: "\" doubled, %HH -> \0NNN (octal), newline -> \012
	body=$(printf '%s' "${1#*,}" | awk '
		function hex(h) { return index("0123456789abcdef", tolower(substr(h, 1, 1))) * 16 + index("0123456789abcdef", tolower(substr(h, 2, 1))) - 17 }
		{
			n = split($0, b, /[\\]/)
			s = b[1]
			for (i = 2; i <= n; i++) s = s "\\\\" b[i]
			n = split(s, p, "%")
			out = (NR > 1 ? "\\012" : "") p[1]
			for (i = 2; i <= n; i++) {
				h = substr(p[i], 1, 2)
				if (h ~ /^[0-9A-Fa-f][0-9A-Fa-f]$/) out = out sprintf("\\0%03o", hex(h)) substr(p[i], 3)
				else out = out "%" p[i]
			}
			printf "%s", out
		}')
	case "$meta" in
	*";base64") printf '%b' "$body" | base64 -d ;;
	*) printf '%b' "$body" ;;
	esac
}

# ign_resource SOURCE COMPRESSION -> decoded (and gunzipped) bytes; an
# absent source is empty contents. Status 1: unsupported source or
# compression (marker printed).
ign_resource() {
	[ -n "$1" ] || return 0
	case "$1" in
	data:*) ;;
	*)
		mark "ignition: source ${1%%:*}:... not supported (only data: URLs)"
		return 1
		;;
	esac
	case "$2" in
	"") ign_data "$1" ;;
	gzip) ign_data "$1" | gunzip ;;
	*)
		mark "ignition: compression '$2' not supported"
		return 1
		;;
	esac
}

# ign_expand JSON-FILE DEPTH: flatten into $IGN_DIR/N.flat, then follow
# ignition.config.replace / merge. Appends the flat files to apply, in
# order, to $IGN_DIR/order.
ign_expand() {
	local src=$1 depth=$2 n flat i s v
	IGN_N=$((IGN_N + 1))
	n=$IGN_N
	flat=$IGN_DIR/$n.flat
	if ! jflat "$src" >"$flat" 2>"$IGN_DIR/$n.err"; then
		mark "ignition: config $n is not valid JSON ($(head -n 1 "$IGN_DIR/$n.err")), ignored"
		return 1
	fi
	v=$(cc_get ignition.version "$flat")
	case "$v" in
	3.*) ;;
	*) mark "ignition: config $n has spec version '$v', expected 3.x (applied anyway)" ;;
	esac
	if s=$(cc_get ignition.config.replace.source "$flat"); then
		if [ "$depth" -ge $IGN_MAX_DEPTH ]; then
			mark "ignition: config $n: replace nested too deep, ignored"
		elif ign_resource "$s" "$(cc_get ignition.config.replace.compression "$flat")" >"$IGN_DIR/$n.replace.json"; then
			mark "ignition: config $n replaced by config $((IGN_N + 1))"
			ign_expand "$IGN_DIR/$n.replace.json" $((depth + 1))
			return
		fi
	fi
	echo "$flat" >>"$IGN_DIR/order"
	for i in $(cc_children ignition.config.merge "$flat"); do
		s=$(cc_get "ignition.config.merge.$i.source" "$flat") || continue
		if [ "$depth" -ge $IGN_MAX_DEPTH ]; then
			mark "ignition: config $n: merge nested too deep, ignored"
		elif ign_resource "$s" "$(cc_get "ignition.config.merge.$i.compression" "$flat")" >"$IGN_DIR/$n.merge$i.json"; then
			mark "ignition: config $n merges config $((IGN_N + 1))"
			ign_expand "$IGN_DIR/$n.merge$i.json" $((depth + 1))
		fi
	done
}

ign_load() {
	local f i v
	IGN_N=0
	: >"$IGN_DIR/order"
	ign_expand "$IGN_DIR/config.ign" 0
	# what this script does not handle, once for all configs
	v=$(cat $(cat "$IGN_DIR/order") /dev/null | awk -F'\t' '
		{
			p = $1
			gsub(/\.[0-9]+(\.|$)/, ".", p)
			sub(/\.$/, "", p)
			n = split(p, c, ".")
			if (c[1] == "ignition") next
			if (p ~ /^passwd\.users\.(name|sshAuthorizedKeys|groups)$/) next
			if (p ~ /^passwd\.groups\.(name|gid)$/) next
			if (p ~ /^storage\.(files|directories|links)\.(path|mode|overwrite|(user|group)\.(id|name))$/) next
			if (p ~ /^storage\.files\.(contents|append)\.(source|compression|verification\..*)$/) next
			if (p ~ /^storage\.links\.(target|hard)$/) next
			s = c[1] (n > 1 ? "." c[2] : "")
			if (s ~ /^(passwd\.(users|groups)|storage\.(files|directories|links))$/ && n > 2) s = s "." c[3]
			if (!(s in seen)) { seen[s] = 1; out = out " " s }
		}
		END { printf "%s", out }')
	[ -z "$v" ] || mark "ignition: not supported, ignored:$v"
	# the hostname now: the DHCP request carries it
	for f in $(cat "$IGN_DIR/order"); do
		for i in $(cc_children storage.files "$f"); do
			eval "$(ign_fields "$f" "storage.files.$i" path contents_source contents_compression)"
			[ "$v_path" = /etc/hostname ] || continue
			v=$(ign_resource "$v_contents_source" "$v_contents_compression" 2>/dev/null | head -n 1 | tr -d ' \t\r')
			[ -z "$v" ] || HOSTNAME_WANT=$v
		done
	done
}

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

# ign_owner PATH: chown from the v_user_* / v_group_* fields
ign_owner() {
	local u=${v_user_id:-$v_user_name} g=${v_group_id:-$v_group_name}
	[ -n "$u$g" ] || return 0
	chown -h "$u${g:+:$g}" "$1" 2>/dev/null || mark "ignition: chown $u${g:+:$g} $1 failed"
}

# ign_mode PATH DEFAULT: chmod from v_mode (decimal, as in Ignition JSON)
ign_mode() {
	chmod "$(printf '%o' "${v_mode:-$2}")" "$1"
}

ign_storage() {
	local F=$1 i j b ok
	for i in $(cc_children storage.directories "$F"); do
		eval "$(ign_fields "$F" "storage.directories.$i" path mode user_id user_name group_id group_name)"
		case "$v_path" in /*) ;; *) continue ;; esac
		mkdir -p "$v_path"
		ign_mode "$v_path" 493
		ign_owner "$v_path"
		mark "ignition directory $v_path"
	done
	for i in $(cc_children storage.files "$F"); do
		b=storage.files.$i
		eval "$(ign_fields "$F" "$b" path mode contents_source contents_compression user_id user_name group_id group_name)"
		case "$v_path" in
		/*) ;;
		*)
			mark "ignition: file path '$v_path' is not absolute, skipped"
			continue
			;;
		esac
		mkdir -p "$(dirname "$v_path")"
		# decoded into a scratch file first: nothing is written on failure
		umask 077
		ok=1
		if [ -n "$v_contents_source" ] || ! cc_has "$b.append" "$F"; then
			if ign_resource "$v_contents_source" "$v_contents_compression" >"$RUN/ign.file"; then
				cat "$RUN/ign.file" >"$v_path"
			else
				ok=""
			fi
		fi
		if [ -n "$ok" ]; then
			for j in $(cc_children "$b.append" "$F"); do
				if ign_resource "$(cc_get "$b.append.$j.source" "$F")" "$(cc_get "$b.append.$j.compression" "$F")" >"$RUN/ign.file"; then
					cat "$RUN/ign.file" >>"$v_path"
				else
					ok=""
				fi
			done
		fi
		rm -f "$RUN/ign.file"
		umask 022
		if [ -z "$ok" ] || [ ! -e "$v_path" ]; then
			mark "ignition: $v_path not written (or not completely)"
			continue
		fi
		ign_mode "$v_path" 420
		ign_owner "$v_path"
		IGN_FILES="$IGN_FILES $v_path"
		mark "ignition wrote $v_path"
	done
	for i in $(cc_children storage.links "$F"); do
		eval "$(ign_fields "$F" "storage.links.$i" path target hard user_id user_name group_id group_name)"
		case "$v_path" in /*) ;; *) continue ;; esac
		[ -n "$v_target" ] || continue
		mkdir -p "$(dirname "$v_path")"
		rm -rf "$v_path"
		if [ "$v_hard" = true ]; then ln "$v_target" "$v_path"; else ln -s "$v_target" "$v_path"; fi
		ign_owner "$v_path"
		mark "ignition link $v_path -> $v_target"
	done
}

ign_apply() {
	local f t v
	IGN_FILES=""
	IGN_USERS=""
	# Ignition's files stage: users and groups first, so files can be theirs
	for f in $(cat "$IGN_DIR/order"); do ign_passwd "$f"; done
	for f in $(cat "$IGN_DIR/order"); do ign_storage "$f"; done
	for t in rsa ecdsa ed25519; do
		case " $IGN_FILES " in
		*" /etc/ssh/ssh_host_${t}_key "*) install_hostkey "$t" "/etc/ssh/ssh_host_${t}_key" ignition ;;
		esac
	done
	case " $IGN_FILES " in
	*" /etc/hostname "*)
		v=$(head -n 1 /etc/hostname | tr -d ' \t\r')
		[ -z "$v" ] || HOSTNAME_WANT=$v
		;;
	esac
}
