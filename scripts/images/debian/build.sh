#!/usr/bin/env bash
# Build (or reuse) the Debian 12 cloud test image used by testcloud's tests.
#
#   bash scripts/images/debian/build.sh
#
# stdout: exactly one line, the absolute path of the qcow2 image.
# stderr: build log.  Exit status non-zero on failure (nothing is then left
# in the fixtures dir except debootstrap's .deb cache).
#
# The image is cached as ${TESTCLOUD_FIXTURES:-/var/cache/testcloud-fixtures}/
# debian-<hash16>.qcow2, where <hash16> covers every file of this recipe
# directory plus the suite name: editing any recipe file forces a rebuild.
#
# How it is built (no loop devices, no mounts of the image):
#   1. debootstrap --foreign (minbase + packages.list), then drop preseed/
#      files (dpkg excludes, initramfs config) in, then run the second stage
#      in a chroot (debootstrap gives it its own mknod'ed /dev, and mounts and
#      unmounts proc/sys itself; the EXIT trap unmounts anything left over).
#   2. copy overlay/, write fstab + grub.cfg, enable/disable units, clean up
#      (apt lists/cache, logs, ssh host keys, machine-id).
#   3. raw disk, MBR (sfdisk) partitions:
#        1  ext4 root fs [33 MiB, end), made straight from the tree with
#           `mkfs.ext4 -E offset=... -d ROOT` (first in the table and last
#           on the disk, so cloud-init's growpart can grow it)
#        2  EFI system partition (type 0xEF, FAT16) [1 MiB, 33 MiB), written
#           with mtools: Debian's signed shim + GRUB (see bootloaders.sh)
#      and GRUB i386-pc for BIOS (host's grub-pc-bin) written as grub-install
#      would: boot.img into the MBR, core.img at sector 1. OVMF boots an
#      MBR disk's ESP like a GPT one's; one table serves both firmwares.
#   4. qemu-img convert to compressed qcow2, then atomic rename.
#
# Needs (host, root): debootstrap qemu-utils grub-pc-bin e2fsprogs (>= 1.43
# for -d / -E offset) fdisk(sfdisk) util-linux(setsid, flock) dosfstools mtools.
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
SUITE=bookworm
ARCH=amd64
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
DISK_MIB=2048            # virtual disk size
ESP_START_SECTOR=2048    # 1 MiB
ESP_MIB=32
ROOT_START_SECTOR=$(( ESP_START_SECTOR + ESP_MIB * 2048 ))
FS_LABEL=tc-root
GRUB_DIR=/usr/lib/grub/i386-pc

# stdout is reserved for the final path; everything else goes to stderr.
exec 3>&1 1>&2
log() { printf '[debian-image %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap/chroot)"
for t in debootstrap chroot sfdisk mkfs.ext4 mkfs.vfat mcopy mmd qemu-img setsid flock sha256sum; do
  command -v "$t" >/dev/null || die "missing tool: $t"
done
[ -f "$GRUB_DIR/boot.img" ] || die "missing $GRUB_DIR/boot.img (apt-get install grub-pc-bin)"
command -v grub-mkimage >/dev/null || die "missing grub-mkimage (apt-get install grub2-common)"

# --- recipe hash ---------------------------------------------------------
HASH=$(
  cd "$HERE"
  {
    find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
    echo "suite=$SUITE arch=$ARCH"
  } | sha256sum | cut -c1-16
)

FIX=${TESTCLOUD_FIXTURES:-/var/cache/testcloud-fixtures}
mkdir -p "$FIX"
FIX=$(cd "$FIX" && pwd -P)
OUT="$FIX/debian-$HASH.qcow2"

if [ -f "$OUT" ]; then
  echo "$OUT" >&3
  exit 0
fi

# Serialise concurrent builds (lock the fixtures dir itself: no lock file).
exec 9<"$FIX"
flock 9
if [ -f "$OUT" ]; then
  echo "$OUT" >&3
  exit 0
fi

START=$SECONDS
CACHE="$FIX/debootstrap-cache/$SUITE-$ARCH"
mkdir -p "$CACHE"
WORK=$(mktemp -d "$FIX/.build-debian-$HASH.XXXXXX")
ROOT="$WORK/root"
CHILD=

# --- cleanup -----------------------------------------------------------------
mounts_under() {
  # mount points at or below $1, deepest first
  awk -v p="$1" '$5 == p || index($5, p "/") == 1 { print $5 }' /proc/self/mountinfo |
    sort -r
}
cleanup() {
  local rc=$? m left
  trap - EXIT INT TERM HUP
  set +e
  if [ -n "$CHILD" ] && kill -0 -- "-$CHILD" 2>/dev/null; then
    log "stopping build process group $CHILD"
    kill -TERM -- "-$CHILD" 2>/dev/null
    for _ in $(seq 1 40); do kill -0 -- "-$CHILD" 2>/dev/null || break; sleep 0.25; done
    kill -KILL -- "-$CHILD" 2>/dev/null
    wait "$CHILD" 2>/dev/null
  fi
  for _ in 1 2 3; do
    left=$(mounts_under "$ROOT")
    [ -z "$left" ] && break
    for m in $left; do umount "$m" 2>/dev/null || umount -l "$m"; done
  done
  if [ -n "$(mounts_under "$ROOT")" ]; then
    log "WARNING: still mounted below $ROOT; NOT deleting $WORK"
  else
    rm -rf --one-file-system "$WORK"
  fi
  rm -f "$OUT.tmp"
  if [ "$rc" != 0 ]; then log "build FAILED (exit $rc)"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# Run a long command in its own process group, in the background, so that a
# signal to this script is handled at once (bash defers traps while it waits
# for a foreground child) and the trap can stop the whole group.
run() {
  # explicit exec: $! must be setsid itself, i.e. the new group's leader
  { exec setsid "$@" </dev/null; } &
  CHILD=$!
  local rc=0
  wait "$CHILD" || rc=$?
  CHILD=
  return "$rc"
}

log "recipe hash $HASH; building $OUT"
log "workdir $WORK; .deb cache $CACHE"

# --- 1. root tree --------------------------------------------------------------
PKGS=$(sed -e 's/#.*//' "$HERE/packages.list" | tr -s ' \t\n' '\n' | grep -v '^$' | paste -sd, -)

log "debootstrap first stage ($SUITE, minbase + $(tr ',' '\n' <<<"$PKGS" | wc -l) packages)"
run debootstrap --foreign --arch="$ARCH" --variant=minbase --merged-usr \
  --include="$PKGS" --cache-dir="$CACHE" "$SUITE" "$ROOT" "$MIRROR"

log "preseeding dpkg/initramfs configuration"
cp -a "$HERE/preseed/." "$ROOT/"
# fstab before the kernel is installed: initramfs-tools' fsck hook then puts
# e2fsck in the initrd and the root fs is checked there, as on Debian's images
UUID=$(cat /proc/sys/kernel/random/uuid)
cat >"$ROOT/etc/fstab" <<EOF
# <file system>	<mount point>	<type>	<options>	<dump>	<pass>
UUID=$UUID	/	ext4	rw,discard,errors=remount-ro	0	1
EOF
# build-time only: no fsync storm in dpkg
echo force-unsafe-io >"$ROOT/etc/dpkg/dpkg.cfg.d/00-testcloud-build-unsafe-io"
# never start services in the chroot (debootstrap also does this while it runs)
printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
chmod 755 "$ROOT/usr/sbin/policy-rc.d"

log "debootstrap second stage (chroot)"
run env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
  chroot "$ROOT" /debootstrap/debootstrap --second-stage || {
  tail -n 60 "$ROOT/debootstrap/debootstrap.log" >&2 || true
  die "debootstrap second stage failed"
}
[ -z "$(mounts_under "$ROOT")" ] || die "mounts left below $ROOT after second stage"

log "configuring the image"
KVER=$(cd "$ROOT/boot" && ls vmlinuz-* | sed 's/^vmlinuz-//' | sort -V | tail -n1)
[ -n "$KVER" ] || die "no kernel installed"
[ -s "$ROOT/boot/initrd.img-$KVER" ] || die "no initrd for $KVER"
[ -e "$ROOT/vmlinuz" ] && [ -e "$ROOT/initrd.img" ] || die "missing /vmlinuz or /initrd.img symlink"

cp -a "$HERE/overlay/." "$ROOT/"

# console=ttyS0: the kernel's messages ("secureboot: Secure boot enabled")
# and the login prompt on the serial port
CMDLINE="root=UUID=$UUID ro console=tty0 console=ttyS0,115200 earlyprintk=ttyS0,115200 consoleblank=0 net.ifnames=0"
# shellcheck source=bootloaders.sh
. "$HERE/bootloaders.sh"
write_grub_cfg

# units: networkd (renders netplan config from cloud-init) + wait-online;
# drop periodic jobs that only cost time in short-lived test VMs.
systemctl --root="$ROOT" enable systemd-networkd.service systemd-resolved.service ssh.service >&2
for u in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
         e2scrub_reap.service fstrim.timer man-db.timer; do
  if [ -e "$ROOT/usr/lib/systemd/system/$u" ] || [ -e "$ROOT/lib/systemd/system/$u" ]; then
    systemctl --root="$ROOT" disable "$u" >&2
  fi
done
ln -sfn ../run/systemd/resolve/stub-resolv.conf "$ROOT/etc/resolv.conf"

# no password anywhere: every shadow entry must be locked ('*' or '!...')
if awk -F: '$2 != "*" && $2 !~ /^!/ { bad = 1; print "password set for " $1 > "/dev/stderr" } END { exit bad }' "$ROOT/etc/shadow"; then :; else
  die "an account in /etc/shadow has a password"
fi

log "cleaning up the tree"
rm -f "$ROOT/usr/sbin/policy-rc.d" "$ROOT/etc/dpkg/dpkg.cfg.d/00-testcloud-build-unsafe-io"
rm -f "$ROOT"/etc/ssh/ssh_host_*
: >"$ROOT/etc/machine-id"
rm -f "$ROOT/var/lib/dbus/machine-id"
: >"$ROOT/etc/hostname"
rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/*.bin "$ROOT"/var/cache/apt/archives/*.deb \
  "$ROOT"/var/cache/apt/archives/partial/* "$ROOT"/var/cache/debconf/*-old "$ROOT"/var/lib/dpkg/*-old
: >"$ROOT/var/lib/dpkg/available"
rm -rf "$ROOT"/var/log/apt "$ROOT"/var/log/*.log "$ROOT"/var/log/journal/*
find "$ROOT/tmp" "$ROOT/var/tmp" "$ROOT/run" "$ROOT/dev" -mindepth 1 -delete
rm -rf "$ROOT/debootstrap"
mkdir -p "$ROOT/var/lib/apt/lists/partial"

# --- 3. disk -------------------------------------------------------------------
RAW="$WORK/disk.raw"
log "partitioning ${DISK_MIB} MiB raw disk"
truncate -s "${DISK_MIB}M" "$RAW"
DISK_ID=$(printf '0x%s' "${HASH:0:8}")
printf 'label: dos\nlabel-id: %s\nstart=%s, type=83, bootable\nstart=%s, size=%s, type=ef\n' \
  "$DISK_ID" "$ROOT_START_SECTOR" "$ESP_START_SECTOR" $(( ESP_MIB * 2048 )) |
  sfdisk --quiet --no-reread --no-tell-kernel "$RAW" >&2
PART_BYTES=$(( DISK_MIB * 1024 * 1024 - ROOT_START_SECTOR * 512 ))
OFFSET=$(( ROOT_START_SECTOR * 512 ))

log "EFI system partition (signed shim + GRUB)"
make_esp "$WORK/esp.raw" "$ESP_MIB"
dd if="$WORK/esp.raw" of="$RAW" bs=512 seek="$ESP_START_SECTOR" conv=notrunc,sparse status=none

log "mkfs.ext4 -d (root fs from the tree, uuid $UUID)"
# metadata_csum_seed/orphan_file: not understood by GRUB 2.06 / older tools
run mkfs.ext4 -q -F -L "$FS_LABEL" -U "$UUID" -O '^metadata_csum_seed,^orphan_file' \
  -E "offset=$OFFSET" -d "$ROOT" "$RAW" "$(( PART_BYTES / 1024 ))k"
run e2fsck -fn "$RAW?offset=$OFFSET" >&2

log "installing GRUB (i386-pc) into the MBR gap"
install_grub_bios
sfdisk --quiet --dump "$RAW" >&2 || die "partition table damaged"

# --- 4. qcow2 -----------------------------------------------------------------
# the tree is no longer needed: delete it while converting
[ -z "$(mounts_under "$ROOT")" ] || die "mounts appeared below $ROOT"
rm -rf --one-file-system "$ROOT" &
RMPID=$!
log "converting to qcow2"
# zstd-compressed clusters: ~4x faster to write than zlib (qemu >= 5.1 to read)
run qemu-img convert -f raw -O qcow2 -c -o compression_type=zstd,cluster_size=65536 "$RAW" "$OUT.tmp"
wait "$RMPID" || true
mv -f "$OUT.tmp" "$OUT"
qemu-img info "$OUT" >&2
log "done in $(( SECONDS - START )) s: $OUT"
echo "$OUT" >&3
