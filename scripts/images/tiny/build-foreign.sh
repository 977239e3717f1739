#!/usr/bin/env bash
# Build (or find in the cache) the tiny test image for an architecture other
# than x86_64: the same busybox + dropbear guest (rootfs/, initramfs.sh) from
# Debian's packages of that architecture (kernel, busybox-static, dropbear-bin
# and its libraries, fetched with apt-get download), on a disk its firmware
# boots the way that architecture's cloud images boot (arches.sh says how).
#
#   bash scripts/images/tiny/build.sh aarch64|ppc64le|s390x
#
# stdout: exactly one line, the absolute path of the image
#         ${TESTCLOUD_FIXTURES:-/var/cache/testcloud-fixtures}/tiny-<arch>-<hash16>.qcow2
# stderr: logs. Exit 0 on success (cached or built), non-zero on failure.
#
# <hash16> covers every file of this directory, the versions of the Debian
# packages used and the host's busybox version (its applet list names the
# links: the foreign busybox cannot run here).
# Needs what build.sh needs, dpkg --add-architecture of the Debian
# architecture (scripts/setup-host.sh), grub-mkimage (grub-common) for
# ppc64le and bun for s390x.
set -euo pipefail
umask 022
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FIX=${TESTCLOUD_FIXTURES:-/var/cache/testcloud-fixtures}
ARCH=$1
T_START=$(date +%s%N)
log() { printf 'tiny-build(%s): [%5.1fs] %s\n' "$ARCH" "$((($(date +%s%N) - T_START) / 1000000))e-3" "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}
# shellcheck source=debs.sh
. "$HERE/debs.sh"
# shellcheck source=arches.sh (after debs.sh: it sets KMETA for this architecture)
. "$HERE/arches.sh"
# shellcheck source=initramfs.sh
. "$HERE/initramfs.sh"
# shellcheck source=cache.sh
. "$HERE/cache.sh"

for c in apt-cache apt-get dpkg-deb depmod cpio gzip sha256sum mkfs.vfat mcopy mmd sfdisk qemu-img flock ldd busybox; do
	command -v "$c" >/dev/null 2>&1 || die "missing command '$c' (see the header of build.sh for the packages needed)"
done
[ "$ARCH" != ppc64le ] || command -v grub-mkimage >/dev/null || die "missing command 'grub-mkimage' (apt-get install grub-common)"
BUN=$(command -v bun || echo "$HERE/../../../node_modules/.bin/bun")
[ "$ARCH" != s390x ] || [ -x "$BUN" ] || die "missing bun (npm ci in the repository)"
# (not `dpkg ... | grep -q`: grep stops reading early, and with pipefail that fails)
FOREIGN=$(dpkg --print-foreign-architectures)
grep -qx "$DEB_ARCH" <<<"$FOREIGN" ||
	die "Debian architecture $DEB_ARCH is not enabled: dpkg --add-architecture $DEB_ARCH && apt-get update (scripts/setup-host.sh does it)"

# ------------------------------------------------------------ inputs
mkdir -p "$FIX" 2>/dev/null || die "cannot create fixtures dir $FIX"
FIX=$(cd "$FIX" && pwd -P)
APT_KEY=$({ stat -c '%n %s %Y' /var/lib/apt/lists/*Packages* /var/lib/dpkg/status \
	/etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null || true; } | sha256sum | cut -c1-16)
DRES="$FIX/.tiny-$ARCH-debs-$APT_KEY"
# "PKG VER" lines: the kernel, then USER_DEBS and BOOT_DEBS, each of $DEB_ARCH
resolve_foreign() {
	local show kpkg kver p v
	# shellcheck disable=SC2086
	show=$(apt-cache show --no-all-versions "$KMETA:$DEB_ARCH" $(printf "%s:$DEB_ARCH " $USER_DEBS $BOOT_DEBS) 2>/dev/null) || return 1
	read -r kpkg kver < <(printf '%s\n' "$show" | awk -v meta="$KMETA" '
		/^Package:/ { p = $2 }
		p == meta && /^Depends:/ { sub(/^Depends: */, ""); sub(/,.*/, ""); gsub(/[()=]/, " "); print $1, $2; exit }')
	[ -n "${kpkg:-}" ] && [ -n "${kver:-}" ] || return 1
	echo "$kpkg $kver"
	for p in $USER_DEBS $BOOT_DEBS; do
		v=$(printf '%s\n' "$show" | awk -v want="$p" '/^Package:/ { p = $2 } p == want && /^Version:/ { print $2; exit }')
		[ -n "$v" ] || return 1
		echo "$p $v"
	done
}
if [ ! -s "$DRES" ]; then
	debs=$(resolve_foreign) || die "cannot resolve $KMETA $USER_DEBS $BOOT_DEBS for $DEB_ARCH with apt-cache (run apt-get update?)"
	rm -f "$FIX"/.tiny-"$ARCH"-debs-* 2>/dev/null || true
	printf '%s\n' "$debs" >"$DRES.$$" && mv -f "$DRES.$$" "$DRES"
fi
read -r KPKG KVER <"$DRES"
KREL=${KPKG#linux-image-}
# The foreign busybox cannot run here to list its applets: the host's
# busybox-static of the same Debian version (binNMU suffix aside) names them.
HOST_BB=$(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null) || die "busybox-static is not installed"
FOREIGN_BB=$(awk '$1 == "busybox-static" { print $2 }' "$DRES")
[ "${HOST_BB%+b*}" = "${FOREIGN_BB%+b*}" ] || die "busybox-static $FOREIGN_BB ($DEB_ARCH) differs from the host's $HOST_BB: its applet list may too"
# the sonames the host's dropbear (the same Debian version) links
SONAMES=$(ldd /usr/sbin/dropbear /usr/bin/dropbearkey /usr/bin/dropbearconvert /usr/bin/dbclient 2>/dev/null |
	awk '$2 == "=>" { print $1 }' | sort -u)
[ -n "$SONAMES" ] || die "could not list dropbear's libraries (ldd; apt-get install dropbear-bin)"

HASH=$({
	echo "testcloud-tiny foreign recipe v1 $ARCH"
	cd "$HERE"
	find . -type f ! -name '*~' ! -name '.*.swp' -printf '%P %m\n' | sort
	find . -type f ! -name '*~' ! -name '.*.swp' -print0 | sort -z | xargs -0 sha256sum
	cat "$DRES"
	echo "host busybox-static=$HOST_BB"
	echo "$SONAMES"
} | sha256sum | cut -c1-16)
OUT="$FIX/tiny-$ARCH-$HASH.qcow2"

# ------------------------------------------------------------ build
cached_or_lock "$OUT"
log "building $OUT ($(tr '\n' ' ' <"$DRES"))"

DL="$FIX/downloads"
mkdir -p "$DL"
while read -r p v; do
	deb=$(fetch_deb "$p" "$v" "$DEB_ARCH")
	case "$p" in
	linux-image-*) dpkg-deb -x "$deb" "$TMP/k" ;;
	*) dpkg-deb -x "$deb" "$TMP/u" ;;
	esac
done <"$DRES"
# first_file FILES...: the first that exists (ppc64el ships vmlinux, an ELF)
first_file() {
	local f
	for f; do [ -f "$f" ] && echo "$f" && return 0; done
	return 0
}
KERNEL=$(first_file "$TMP/k/boot/vmlinuz-$KREL" "$TMP/k/boot/vmlinux-$KREL")
[ -n "$KERNEL" ] || die "no vmlinuz-$KREL or vmlinux-$KREL in $KPKG"
kernel_modules "$KREL"

# --- initramfs (initramfs.sh)
R="$TMP/root"
root_skeleton
install_modules "$KM" "$KREL" "$HERE/modules-foreign.list"
cp "$TMP/u/bin/busybox" "$R/bin/busybox"
for applet in $(busybox --list); do
	[ -e "$R/bin/$applet" ] || ln -s /bin/busybox "$R/bin/$applet"
done
ln -sf /bin/busybox "$R/init"
cp "$TMP/u/usr/sbin/dropbear" "$TMP/u/usr/bin/dropbearkey" "$TMP/u/usr/bin/dropbearconvert" "$TMP/u/usr/bin/dbclient" "$R/bin/"
mkdir -p "$R/lib/$TRIPLET" "$R$(dirname "$LDSO")"
for so in $SONAMES; do
	src=$(first_file "$TMP/u/lib/$TRIPLET/$so" "$TMP/u/usr/lib/$TRIPLET/$so")
	[ -n "$src" ] || die "no $so in the $DEB_ARCH packages ($USER_DEBS)"
	cp -L "$src" "$R/lib/$TRIPLET/$so"
done
# The interpreter's link may be absolute (ppc64el): take the file it names.
cp "$TMP/u/lib/$TRIPLET/$(basename "$LDSO")" "$R$LDSO"
install_overlay "$HASH"
# the root shell goes on this architecture's serial console
sed -i "s/^ttyS0::/$CONSOLE::/" "$R/etc/inittab"
{ echo "hash=$HASH"; echo "arch=$ARCH"; sed 's/ /=/' "$DRES"; } >"$R/etc/tiny/build-info"
write_initramfs "$TMP/initrd.img"

# --- disk: MBR, the boot partition(s) at 1 MiB
MIB=1048576
DISK="$TMP/disk.raw"
export MTOOLS_SKIP_CHECK=1 MTOOLSRC=/dev/null
sed "s|@CMDLINE@|$CMDLINE|" "$HERE/grub.cfg" >"$TMP/grub.cfg"
# fat_partition MIB FILES...: a FAT16 file system labelled TINYBOOT with the
# kernel (as /vmlinuz) and the initramfs at its root
fat_partition() {
	local size=$1
	truncate -s $((size * MIB)) "$TMP/part.raw"
	mkfs.vfat -F 16 -n TINYBOOT -i 7e57c10d -h 2048 "$TMP/part.raw" >/dev/null
	cp "$KERNEL" "$TMP/vmlinuz"
	mcopy -i "$TMP/part.raw" "$TMP/vmlinuz" "$TMP/initrd.img" ::/
}
mib_for() { # FILES... -> MiB they fill, plus room for the file system
	local need=0 f
	for f; do need=$((need + $(stat -c %s "$f"))); done
	echo $(((need + MIB - 1) / MIB + 8))
}
case $ARCH in
aarch64)
	PART_MB=$(mib_for "$KERNEL" "$TMP/initrd.img" "$TMP/u/usr/lib/shim/shimaa64.efi.signed" "$TMP/u/usr/lib/grub/arm64-efi-signed/grubaa64.efi.signed")
	truncate -s $(((PART_MB + 1) * MIB)) "$DISK"
	printf 'label: dos\nlabel-id: 0x7e57c10d\nunit: sectors\n2048,%d,ef,*\n' $((PART_MB * 2048)) |
		sfdisk -q --no-reread --no-tell-kernel "$DISK" >&2
	fat_partition "$PART_MB"
	mmd -i "$TMP/part.raw" ::/EFI ::/EFI/BOOT ::/EFI/debian
	mcopy -i "$TMP/part.raw" "$TMP/u/usr/lib/shim/shimaa64.efi.signed" ::/EFI/BOOT/BOOTAA64.EFI
	mcopy -i "$TMP/part.raw" "$TMP/u/usr/lib/grub/arm64-efi-signed/grubaa64.efi.signed" ::/EFI/BOOT/grubaa64.efi
	mcopy -i "$TMP/part.raw" "$TMP/grub.cfg" ::/EFI/debian/grub.cfg
	dd if="$TMP/part.raw" of="$DISK" bs=$MIB seek=1 conv=notrunc,sparse status=none
	;;
ppc64le)
	# SLOF loads the ELF in the PReP partition (type 0x41): GRUB, which finds
	# the FAT partition by its label and reads /boot/grub/grub.cfg from it.
	printf 'search --no-floppy --label TINYBOOT --set=root\nset prefix=($root)/boot/grub\n' >"$TMP/early.cfg"
	grub-mkimage -O powerpc-ieee1275 -d "$TMP/u/usr/lib/grub/powerpc-ieee1275" -c "$TMP/early.cfg" \
		-p /boot/grub -o "$TMP/core.elf" part_msdos fat search search_label configfile normal linux echo test boot
	PART_MB=$(mib_for "$KERNEL" "$TMP/initrd.img")
	truncate -s $(((PART_MB + 9) * MIB)) "$DISK"
	printf 'label: dos\nlabel-id: 0x7e57c10d\nunit: sectors\n2048,16384,41,*\n18432,%d,c\n' $((PART_MB * 2048)) |
		sfdisk -q --no-reread --no-tell-kernel "$DISK" >&2
	dd if="$TMP/core.elf" of="$DISK" bs=$MIB seek=1 conv=notrunc status=none
	fat_partition "$PART_MB"
	mmd -i "$TMP/part.raw" ::/boot ::/boot/grub
	mcopy -i "$TMP/part.raw" "$TMP/grub.cfg" ::/boot/grub/grub.cfg
	dd if="$TMP/part.raw" of="$DISK" bs=$MIB seek=9 conv=notrunc,sparse status=none
	;;
s390x)
	# No file system: zipl-bootmap.ts writes the boot record into block 0 and
	# the program, its block lists, the kernel and the initramfs into the partition.
	PART_MB=$(mib_for "$KERNEL" "$TMP/initrd.img")
	truncate -s $(((PART_MB + 1) * MIB)) "$DISK"
	printf 'label: dos\nlabel-id: 0x7e57c10d\nunit: sectors\n2048,%d,83\n' $((PART_MB * 2048)) |
		sfdisk -q --no-reread --no-tell-kernel "$DISK" >&2
	"$BUN" "$HERE/zipl-bootmap.ts" "$DISK" 2048 "$KERNEL" "$TMP/initrd.img" "$CMDLINE" >&2
	;;
esac

publish_image "$DISK"
