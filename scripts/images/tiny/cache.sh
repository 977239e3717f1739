# Sourced by build.sh and build-foreign.sh: the fixtures cache.
#
#   cached_or_lock OUT   prints OUT and exits 0 when it is built already; else takes
#                        the build lock (one builder at a time per cache dir: both would
#                        write OUT.tmp), checks again, and makes $TMP, removed on exit
#                        with OUT.tmp
#   publish_image RAW    converts the raw disk RAW into OUT (compressed qcow2, written
#                        as OUT.tmp then renamed) and prints OUT
cached_or_lock() {
	local out=$1
	if [ -f "$out" ]; then
		log "cached: $out"
		echo "$out"
		exit 0
	fi
	exec 9>"$FIX/.tiny-build.lock"
	flock 9
	if [ -f "$out" ]; then
		log "cached (built concurrently): $out"
		echo "$out"
		exit 0
	fi
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/testcloud-tiny.XXXXXX")
	# shellcheck disable=SC2064 # OUT is fixed by now
	trap "rm -rf '$TMP'; rm -f '$out.tmp'" EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM HUP
}

publish_image() {
	log "disk image done, converting to qcow2"
	qemu-img convert -q -f raw -O qcow2 -c "$1" "$OUT.tmp"
	mv -f "$OUT.tmp" "$OUT"
	log "built $OUT ($(du -k "$OUT" | cut -f1) KiB on disk, initrd $(($(stat -c %s "$TMP/initrd.img") / 1024)) KiB)"
	echo "$OUT"
}
