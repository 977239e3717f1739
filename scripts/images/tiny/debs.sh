# Sourced by build.sh: the Debian packages the tiny image is made from, found
# with apt-cache and fetched with `apt-get download` (never installed on the
# host), kept in $FIX/downloads.
#
#   KMETA                  kernel metapackage; its Depends names the kernel
#   EFI_DEBS               Debian's signed shim and GRUB (UEFI, Secure Boot too)
#   resolve_debs           -> "PKG VER" lines: the kernel package first, then EFI_DEBS
#   fetch_deb PKG VER [DEB_ARCH]
#                          -> path of the .deb in $DL (downloaded when missing);
#                             DEB_ARCH (default amd64) other than the host's
#                             needs `dpkg --add-architecture DEB_ARCH`
#
# The generic kernel, not the cloud flavour the image started with: only the
# generic one has the drivers of the hardware users test on (e1000/e1000e NICs,
# AHCI for q35's SATA disks and CD-ROMs). Both are signed for Secure Boot.
KMETA=linux-image-amd64
EFI_DEBS="shim-signed grub-efi-amd64-signed"

# The metapackage's Depends is "linux-image-X-amd64 (= VER)".
resolve_debs() {
	local show kpkg kver p v
	# shellcheck disable=SC2086
	show=$(apt-cache show --no-all-versions "$KMETA" $EFI_DEBS 2>/dev/null) || return 1
	read -r kpkg kver < <(printf '%s\n' "$show" | awk -v meta="$KMETA" '
		/^Package:/ { p = $2 }
		p == meta && /^Depends:/ { sub(/^Depends: */, ""); print; exit }' | tr ',|' '\n\n' |
		sed -n 's/^ *\(linux-image-[^ ]*-amd64\)\( *(= *\([^)]*\))\)\{0,1\} *$/\1 \3/p' | head -n 1)
	[ -n "${kpkg:-}" ] || return 1
	[ -n "${kver:-}" ] || kver=$(apt-cache show --no-all-versions "$kpkg" 2>/dev/null | awk '/^Version:/ { print $2; exit }')
	[ -n "$kver" ] || return 1
	echo "$kpkg $kver"
	for p in $EFI_DEBS; do
		v=$(printf '%s\n' "$show" | awk -v want="$p" '/^Package:/ { p = $2 } p == want && /^Version:/ { print $2; exit }')
		[ -n "$v" ] || return 1
		echo "$p $v"
	done
}

fetch_deb() {
	local pkg=$1 ver=$2 arch=${3:-amd64} deb got spec
	deb="$DL/${pkg}_${ver//:/%3a}_$arch.deb"
	spec="$pkg=$ver"
	[ "$arch" = amd64 ] || spec="$pkg:$arch=$ver"
	if [ -f "$deb" ] && dpkg-deb --info "$deb" >/dev/null 2>&1; then
		echo "$deb"
		return 0
	fi
	rm -rf "$TMP/dl"
	mkdir -p "$TMP/dl"
	chmod 0755 "$TMP"
	# apt drops privileges to _apt for downloads
	id _apt >/dev/null 2>&1 && chown _apt "$TMP/dl" 2>/dev/null || true
	log "apt-get download $spec"
	(cd "$TMP/dl" && apt-get download -q "$spec") >&2 || die "apt-get download $spec failed"
	got=$(ls "$TMP"/dl/*.deb 2>/dev/null | head -n 1)
	[ -n "$got" ] && dpkg-deb --info "$got" >/dev/null || die "downloaded $pkg is missing or broken"
	mv "$got" "$deb.part.$$"
	mv "$deb.part.$$" "$deb"
	echo "$deb"
}
