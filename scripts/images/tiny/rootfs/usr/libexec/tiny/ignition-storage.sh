# Ignition storage section for the testcloud tiny image, sourced by
# ignition.sh: ign_storage makes storage.directories, writes storage.files
# (contents then append[], nothing written when a source fails; their paths
# collected in IGN_FILES) and makes storage.links, each with its mode and
# owner. Needs ignition-resource.sh.

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
