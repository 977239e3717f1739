# Seed discovery for the testcloud tiny image, sourced by /etc/init.d/rcS:
# the NoCloud seed on a block device (find_seed; sets SEED, SEEDDEV) and the
# Ignition config in QEMU fw_cfg (fwcfg_ignition). rcS runs the scan loop.

# The seed is looked up first with `findfs LABEL=cidata`, as busybox-based
# guests do (volume_id, the probe behind mount LABEL=). It matches the label
# exactly, so a vfat seed labelled CIDATA is found by fs_probe, which reads
# the superblocks itself: fs_probe DEV -> "TYPE LABEL" for iso9660 / vfat.
rd() { dd if="$1" bs=1 skip="$2" count="$3" 2>/dev/null | tr -d '\000'; }
fs_probe() {
	if [ "$(rd "$1" 32769 5)" = CD001 ]; then
		echo "iso9660 $(rd "$1" 32808 32 | sed 's/ *$//')"
	elif [ "$(rd "$1" 82 5)" = FAT32 ]; then
		echo "vfat $(rd "$1" 71 11 | sed 's/ *$//')"
	else
		case "$(rd "$1" 54 5)" in
		FAT12 | FAT16 | FAT) echo "vfat $(rd "$1" 43 11 | sed 's/ *$//')" ;;
		esac
	fi
}
# try_seed DEV METHOD: METHOD "findfs" (label already matched) or "probe"
try_seed() {
	local dev=$1 method=$2 probe fstype="" lbl t f
	if [ "$method" = probe ]; then
		probe=$(fs_probe "$dev")
		[ -n "$probe" ] || return 1
		fstype=${probe%% *}
		lbl=${probe#* }
		case "$lbl" in
		cidata | CIDATA | Cidata) ;;
		*) return 1 ;;
		esac
	fi
	mkdir -p "$RUN/seedmnt"
	for t in $fstype iso9660 vfat; do
		if mount -t "$t" -o ro "$dev" "$RUN/seedmnt" 2>/dev/null; then
			mkdir -p "$RUN/seed"
			for f in meta-data user-data vendor-data network-config; do
				[ -f "$RUN/seedmnt/$f" ] && cp "$RUN/seedmnt/$f" "$RUN/seed/$f"
			done
			umount "$RUN/seedmnt"
			SEED="$RUN/seed"
			SEEDDEV="$dev"
			echo "$dev" >"$RUN/seeddev"
			echo "$method" >"$RUN/seed-method"
			mark "seed found on $dev ($t, by $method)"
			return 0
		fi
	done
	mark "seed $dev (found by $method) could not be mounted"
	return 1
}
find_seed() {
	local dev
	dev=$(findfs LABEL=cidata 2>/dev/null) && try_seed "$dev" findfs && return 0
	for dev in /dev/vd* /dev/sr* /dev/sd* /dev/xvd* /dev/nvme*n*; do
		[ -b "$dev" ] || continue
		try_seed "$dev" probe && return 0
	done
	return 1
}
# Ignition (Fedora CoreOS) through QEMU fw_cfg: -fw_cfg name=opt/com.coreos/config,file=X
# (libvirt: <sysinfo type="fwcfg"><entry name="opt/com.coreos/config" file="X"/>).
# Looked for only when the first scan found no seed; a seed still wins if it
# shows up during IGN_GRACE more scans (SCSI and ATA disks are probed
# asynchronously), then the Ignition config is used. A scan costs ~0.1 s
# per block device under TCG.
FWCFG_IGN=/sys/firmware/qemu_fw_cfg/by_name/opt/com.coreos/config/raw
IGN_GRACE=1
fwcfg_ignition() {
	if [ ! -d /sys/firmware/qemu_fw_cfg ] && [ -n "$FWCFG_KO" ]; then
		insmod "/lib/modules/$KV/$FWCFG_KO" 2>/dev/null || mark "module qemu_fw_cfg FAILED"
	fi
	[ -e "$FWCFG_IGN" ]
}
