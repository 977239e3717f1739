#!/usr/bin/env bash
# Build (or find in the cache) the testcloud "tiny" test disk image: a few-MiB
# qcow2 that behaves like a distro cloud image (own bootloaders: syslinux for
# BIOS, Debian's signed shim + GRUB for UEFI with or without Secure Boot;
# Debian's kernel; busybox + dropbear initramfs that reads a cloud-init
# NoCloud seed) and boots in seconds under TCG.
#
#   bash scripts/images/tiny/build.sh [ARCH]
#
# ARCH: x86_64 (the default, this file) or aarch64, ppc64le, s390x
# (build-foreign.sh: the same guest from Debian's packages of that
# architecture, booted by that architecture's firmware; see arches.sh).
#
# stdout: exactly one line, the absolute path of the image
#         ${TESTCLOUD_FIXTURES:-/var/cache/testcloud-fixtures}/tiny-<hash16>.qcow2
# stderr: logs. Exit 0 on success (cached or built), non-zero on failure, in
# which case no image (nor <image>.tmp) is left in the cache.
#
# <hash16> = first 16 hex digits of a sha256 over every file of this
# directory plus the versions of the Debian packages used (kernel, shim-signed,
# grub-efi-amd64-signed, busybox-static, dropbear-bin, syslinux) and the bytes
# of the host binaries and shared libraries copied into the image.
#
# Needs (Debian): apt (for `apt-get download` of the kernel, shim and GRUB:
# see debs.sh), dpkg, kmod (depmod), busybox-static, dropbear-bin, cpio, gzip,
# dosfstools, mtools, syslinux, syslinux-common, fdisk (sfdisk), qemu-utils,
# util-linux (flock).
# No loop devices, no mount, no root-only operations except what apt needs.
set -euo pipefail
umask 022
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
case ${1:-x86_64} in
x86_64 | amd64) ;;
*) exec bash "$HERE/build-foreign.sh" "$1" ;;
esac
FIX=${TESTCLOUD_FIXTURES:-/var/cache/testcloud-fixtures}
MBR_BIN=/usr/lib/syslinux/mbr/mbr.bin

T_START=$(date +%s%N)
log() { printf 'tiny-build: [%5.1fs] %s\n' "$((($(date +%s%N) - T_START) / 1000000))e-3" "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}

for c in apt-cache apt-get dpkg-deb dpkg-query depmod cpio gzip sha256sum mkfs.vfat mcopy mmd mdir syslinux sfdisk qemu-img flock ldd; do
	command -v "$c" >/dev/null 2>&1 || die "missing command '$c' (see the header of $0 for the packages needed)"
done
[ -f "$MBR_BIN" ] || die "missing $MBR_BIN (apt-get install syslinux-common)"

# ------------------------------------------------------------ inputs
# shellcheck source=debs.sh
. "$HERE/debs.sh"
# shellcheck source=initramfs.sh
. "$HERE/initramfs.sh"
# shellcheck source=cache.sh
. "$HERE/cache.sh"
# apt-cache takes ~1 s here (no pkgcache.bin), so the answer is cached in the
# fixtures dir, keyed on the apt lists / dpkg status / apt config it depends on.
mkdir -p "$FIX" 2>/dev/null || die "cannot create fixtures dir $FIX"
FIX=$(cd "$FIX" && pwd -P)
APT_KEY=$({ stat -c '%n %s %Y' /var/lib/apt/lists/*Packages* /var/lib/dpkg/status \
	/etc/apt/sources.list /etc/apt/sources.list.d/* /etc/apt/preferences /etc/apt/preferences.d/* \
	2>/dev/null || true; } | sha256sum | cut -c1-16)
DRES="$FIX/.tiny-debs-$APT_KEY"
if [ "$(wc -l 2>/dev/null <"$DRES")" != 3 ]; then
	debs=$(resolve_debs) && [ "$(printf '%s\n' "$debs" | wc -l)" = 3 ] ||
		die "cannot resolve $KMETA $EFI_DEBS with apt-cache (run apt-get update?)"
	rm -f "$FIX"/.tiny-debs-* "$FIX"/.tiny-kernel-* 2>/dev/null || true
	printf '%s\n' "$debs" >"$DRES.$$" && mv -f "$DRES.$$" "$DRES" || rm -f "$DRES.$$"
fi
{ read -r KPKG KVER && read -r SHIM_PKG SHIM_VER && read -r GRUB_PKG GRUB_VER; } <"$DRES"
KREL=${KPKG#linux-image-}

read -r BB_VER DB_VER SL_VER SLC_VER < <(
	for p in busybox-static dropbear-bin syslinux syslinux-common; do
		v=$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null) || v=""
		printf '%s ' "${v:-none}"
	done
	echo
)
[ "$BB_VER" != none ] || BB_VER=""
[ "$DB_VER" != none ] || DB_VER=""
[ -n "$BB_VER" ] || die "busybox-static is not installed (apt-get install busybox-static)"
[ -n "$DB_VER" ] || die "dropbear-bin is not installed (apt-get install dropbear-bin)"

BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] || die "$BUSYBOX missing (busybox-static)"
if ldd "$BUSYBOX" 2>&1 | grep -q '=>'; then die "$BUSYBOX is not static (install busybox-static, not busybox)"; fi
# rcS looks the seed up with findfs, as busybox-based guests do. (Not grep -q:
# it would stop reading early, and with pipefail busybox's SIGPIPE fails this.)
"$BUSYBOX" --list | grep -x findfs >/dev/null || die "$BUSYBOX has no findfs applet"
DROPBEAR_BINS="/usr/sbin/dropbear /usr/bin/dropbearkey /usr/bin/dropbearconvert /usr/bin/dbclient"
for b in $DROPBEAR_BINS; do [ -x "$b" ] || die "$b missing (dropbear-bin)"; done
# shared libraries (and the ELF interpreter) the dropbear binaries need
# shellcheck disable=SC2086
LIBS=$(ldd $DROPBEAR_BINS 2>/dev/null | awk '
	$2 == "=>" && $3 ~ /^\// { print $3 }
	$1 ~ /^\// && $2 ~ /^\(/ { print $1 }' | sort -u)
[ -n "$LIBS" ] || die "could not list the shared libraries of dropbear (ldd)"

recipe_hash() {
	{
		echo "testcloud-tiny recipe v1"
		cd "$HERE"
		# names + executable bits, then contents
		find . -type f ! -name '*~' ! -name '.*.swp' -printf '%P %m\n' | sort |
			awk '{ print $1, (substr($2, length($2) - 2, 1) % 2 ? "x" : "-") }'
		find . -type f ! -name '*~' ! -name '.*.swp' -print0 | sort -z | xargs -0 sha256sum
		cat "$DRES"
		echo "busybox-static=$BB_VER"
		echo "dropbear-bin=$DB_VER"
		echo "syslinux=$SL_VER syslinux-common=$SLC_VER"
		# shellcheck disable=SC2086
		sha256sum $BUSYBOX $DROPBEAR_BINS $LIBS $MBR_BIN
	} | sha256sum | cut -c1-16
}
HASH=$(recipe_hash)
OUT="$FIX/tiny-$HASH.qcow2"

# ------------------------------------------------------------ build
cached_or_lock "$OUT"
log "building $OUT (kernel $KPKG $KVER, $SHIM_PKG $SHIM_VER, $GRUB_PKG $GRUB_VER, busybox $BB_VER, dropbear $DB_VER)"

# --- Debian packages (download cache: $FIX/downloads)
DL="$FIX/downloads"
mkdir -p "$DL"
log "extracting $KPKG, $SHIM_PKG, $GRUB_PKG"
deb=$(fetch_deb "$KPKG" "$KVER")
dpkg-deb -x "$deb" "$TMP/k"
for p in "$SHIM_PKG=$SHIM_VER" "$GRUB_PKG=$GRUB_VER"; do
	deb=$(fetch_deb "${p%%=*}" "${p#*=}")
	dpkg-deb -x "$deb" "$TMP/efi"
done
SHIM_EFI="$TMP/efi/usr/lib/shim/shimx64.efi.signed"
GRUB_EFI="$TMP/efi/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed"
[ -f "$SHIM_EFI" ] && [ -f "$GRUB_EFI" ] || die "no shimx64.efi.signed / grubx64.efi.signed in $SHIM_PKG / $GRUB_PKG"
VMLINUZ="$TMP/k/boot/vmlinuz-$KREL"
[ -f "$VMLINUZ" ] || die "no vmlinuz-$KREL in $KPKG"
kernel_modules "$KREL"

# --- initramfs (initramfs.sh)
R="$TMP/root"
root_skeleton
install_modules "$KM" "$KREL" "$HERE/modules.list"

# busybox + its applet links (all in /bin, which every PATH directory is)
cp "$BUSYBOX" "$R/bin/busybox"
"$BUSYBOX" --install -s "$R/bin"
ln -sf /bin/busybox "$R/init"

# dropbear + its libraries
for b in $DROPBEAR_BINS; do
	cp -L "$b" "$R/bin/"
done
for l in $LIBS; do
	mkdir -p "$R$(dirname "$l")"
	cp -L "$l" "$R$l"
done

install_overlay "$HASH"
printf 'hash=%s\nkernel=%s %s\nshim=%s %s\ngrub=%s %s\nbusybox-static=%s\ndropbear-bin=%s\n' "$HASH" \
	"$KPKG" "$KVER" "$SHIM_PKG" "$SHIM_VER" "$GRUB_PKG" "$GRUB_VER" "$BB_VER" "$DB_VER" >"$R/etc/tiny/build-info"
write_initramfs "$TMP/initrd.img"

# --- disk: MBR (syslinux mbr.bin) + one active FAT16 partition at 1 MiB, of
# type 0xEF (EFI system partition) so that UEFI firmware treats it as the ESP;
# BIOS (SeaBIOS + mbr.bin) boots the active partition whatever its type. Both
# firmwares boot the same kernel, initramfs and command line from it:
#   BIOS  mbr.bin -> syslinux (ldlinux.sys) -> /syslinux.cfg
#   UEFI  \EFI\BOOT\BOOTX64.EFI (the removable-media path, no boot entry
#         needed) = Debian's signed shim -> \EFI\BOOT\grubx64.efi = Debian's
#         signed GRUB -> /EFI/debian/grub.cfg (its built-in prefix). The kernel
#         is signed too, so this chain also boots with Secure Boot enforced.
# Shim+GRUB rather than systemd-boot or syslinux.efi: the only chain that
# boots under Secure Boot with Microsoft's keys (OVMF_VARS*.ms.fd), the way
# Debian's own images do. All written with mtools: no loop device, no mount.
CMDLINE=$(cat "$HERE/cmdline")
sed "s|@CMDLINE@|$CMDLINE|" "$HERE/syslinux.cfg" >"$TMP/syslinux.cfg"
sed "s|@CMDLINE@|$CMDLINE|" "$HERE/grub.cfg" >"$TMP/grub.cfg"
cp "$VMLINUZ" "$TMP/vmlinuz"
MIB=1048576
need=0
for f in "$TMP/vmlinuz" "$TMP/initrd.img" "$SHIM_EFI" "$GRUB_EFI"; do need=$((need + $(stat -c %s "$f"))); done
PART_MB=$(((need + MIB - 1) / MIB + 8))
[ $PART_MB -ge 32 ] || PART_MB=32
DISK="$TMP/disk.raw"
truncate -s $(((PART_MB + 1) * MIB)) "$DISK"
printf 'label: dos\nlabel-id: 0x7e57c10d\nunit: sectors\n2048,%d,ef,*\n' $((PART_MB * 2048)) |
	sfdisk -q --no-reread --no-tell-kernel "$DISK" >&2
dd if="$MBR_BIN" of="$DISK" bs=440 count=1 conv=notrunc status=none
export MTOOLS_SKIP_CHECK=1 MTOOLSRC=/dev/null
truncate -s $((PART_MB * MIB)) "$TMP/part.raw"
mkfs.vfat -F 16 -n TINYBOOT -i 7e57c10d -h 2048 "$TMP/part.raw" >/dev/null
mcopy -i "$TMP/part.raw" "$TMP/vmlinuz" "$TMP/initrd.img" "$TMP/syslinux.cfg" ::/
mmd -i "$TMP/part.raw" ::/EFI ::/EFI/BOOT ::/EFI/debian
mcopy -i "$TMP/part.raw" "$SHIM_EFI" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$TMP/part.raw" "$GRUB_EFI" ::/EFI/BOOT/grubx64.efi
mcopy -i "$TMP/part.raw" "$TMP/grub.cfg" ::/EFI/debian/grub.cfg
dd if="$TMP/part.raw" of="$DISK" bs=$MIB seek=1 conv=notrunc,sparse status=none
syslinux --install --offset $MIB "$DISK" >&2
mdir -i "$DISK@@$MIB" -b ::/EFI/BOOT >/dev/null || die "partition unreadable after syslinux --install"

# --- qcow2 (cache.sh)
publish_image "$DISK"
