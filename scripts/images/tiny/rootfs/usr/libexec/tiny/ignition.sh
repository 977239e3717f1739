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
# marker. Needs users.sh' add_user, add_key, valid_name, install_hostkey.
# Decoding sources: ignition-resource.sh; applying the passwd and storage
# sections: ignition-passwd.sh, ignition-storage.sh.

IGN_DIR=$RUN/ignition
IGN_MAX_DEPTH=4

jflat() { awk -f "$TINY/json.awk" "$@"; }

. "$TINY/ignition-resource.sh"
. "$TINY/ignition-passwd.sh"
. "$TINY/ignition-storage.sh"

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
