# Shared helpers for the testcloud tiny image (sourced by busybox sh scripts).
TINY=/usr/libexec/tiny
RUN=/run/tiny
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# mark TEXT... -> "TESTCLOUD-TINY: TEXT [UPTIMEs]" on the serial console.
# /dev/console is ttyS0 (console=ttyS0 on the kernel command line); opening it
# never makes it a controlling terminal, unlike opening /dev/ttyS0.
mark() {
	_up=0
	read -r _up _ </proc/uptime 2>/dev/null
	_line="TESTCLOUD-TINY: $* [${_up}s]"
	echo "$_line" >/dev/console 2>/dev/null
	[ -d "$RUN" ] && echo "$_line" >>"$RUN/markers.log"
	return 0
}

# say TEXT... -> plain console line (no marker)
say() { echo "tiny: $*" >/dev/console 2>/dev/null; return 0; }

# Flattened-YAML queries (see yaml.awk / get.awk). FILE defaults to $CC.
yflat() { awk -f "$TINY/yaml-scalar.awk" -f "$TINY/yaml.awk" "$@"; }
cc_get() { awk -v mode=get -v key="$1" -f "$TINY/get.awk" "${2:-$CC}"; }
cc_has() { awk -v mode=has -v key="$1" -f "$TINY/get.awk" "${2:-$CC}"; }
cc_children() { awk -v mode=children -v key="$1" -f "$TINY/get.awk" "${2:-$CC}"; }
cc_script() { awk -v mode=script -v key="$1" -f "$TINY/get.awk" "${2:-$CC}"; }

# is_true VALUE -> YAML-ish boolean
is_true() {
	case "$1" in
	true | True | TRUE | yes | Yes | YES | on | On | ON | 1) return 0 ;;
	esac
	return 1
}

# user_field NAME FIELD(1-7) from /etc/passwd
user_field() { awk -F: -v u="$1" -v f="$2" '$1 == u { print $f; exit }' /etc/passwd; }
