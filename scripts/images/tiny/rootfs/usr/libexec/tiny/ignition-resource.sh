# Ignition resources for the testcloud tiny image, sourced by ignition.sh:
# a source URL (data: only) decoded to its bytes, gunzipped when the config
# says compression "gzip".

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
