# Sourced by build.sh and build-foreign.sh: the steps that make the initramfs,
# the same for every architecture. Each takes the tree's root $R.
#
#   kernel_modules KREL            sets KM: the modules of the kernel package unpacked
#                                  in $TMP/k, indexed (depmod)
#   root_skeleton                  directories and the merged-/usr links
#   install_modules KM KREL LIST   modules of LIST (see modules.list), in dependency order
#   install_overlay HASH           the recipe's rootfs/ (init scripts, shims, awk parsers)
#   write_initramfs OUT            gzip'd newc cpio of $R, /dev/console first

# The kernel package's modules dir (usr-merged packages ship usr/lib/modules:
# linked from lib/modules, where depmod -b and install_modules look)
kernel_modules() {
	local krel=$1
	[ -d "$TMP/k/lib/modules/$krel" ] || { [ -d "$TMP/k/usr/lib/modules/$krel" ] && mkdir -p "$TMP/k/lib" && ln -s ../usr/lib/modules "$TMP/k/lib/modules"; }
	KM="$TMP/k/lib/modules/$krel"
	[ -d "$KM" ] || die "no modules dir for $krel in $KPKG"
	depmod -b "$TMP/k" "$krel"
}

# initramfs tree (merged-/usr layout: sbin, usr/bin, usr/sbin -> bin)
root_skeleton() {
	mkdir -p "$R"/{bin,lib,lib64,etc/tiny,proc,sys,dev,run,tmp,root,home,mnt,var/log,var/lib,usr/share,usr/libexec}
	ln -s bin "$R/sbin"
	ln -s ../bin "$R/usr/bin"
	ln -s ../bin "$R/usr/sbin"
	ln -s ../lib "$R/usr/lib"
	ln -s /run "$R/var/run"
	chmod 1777 "$R/tmp"
	chmod 0700 "$R/root"
}

# modules, in dependency order
install_modules() {
	local km=$1 krel=$2 list=$3 want ko
	want=$(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$list" | tr '\n' ' ')
	awk -v want="$want" -f "$HERE/modules.awk" "$km/modules.dep" "$km/modules.builtin" \
		>"$R/etc/tiny/modules.load" || die "module resolution failed"
	while read -r ko; do
		install -D -m 0644 "$km/$ko" "$R/lib/modules/$krel/$ko"
	done <"$R/etc/tiny/modules.load"
	cp "$km/modules.builtin" "$km/modules.builtin.modinfo" "$km/modules.order" "$R/lib/modules/$krel/"
	depmod -b "$R" "$krel"
	log "modules: $(sed -e 's|.*/||' -e 's|\.ko$||' "$R/etc/tiny/modules.load" | tr '\n' ' ')"
}

# recipe overlay (init scripts, shims, awk parsers)
install_overlay() {
	tar -C "$HERE/rootfs" -cf - . | tar -C "$R" -xf - --keep-directory-symlink --no-same-owner
	find "$R/etc" "$R/usr/libexec/tiny" -type f -exec chmod 0644 {} +
	chmod 0755 "$R"/etc/init.d/* "$R"/etc/acpi/PWRF/* "$R/bin/cloud-init" "$R/bin/sudo" \
		"$R/usr/share/udhcpc/default.script" "$R/bin/bash" "$R/usr/libexec/tiny/console-shell" \
		"$R/usr/libexec/tiny/disk-links"
	cat >"$R/etc/os-release" <<OS
PRETTY_NAME="testcloud tiny test image"
NAME="testcloud-tiny"
ID=testcloud-tiny
VERSION_ID="$1"
HOME_URL="https://example.invalid/testcloud"
OS
}

# cpio (newc). The first, hand-made archive holds /dev/console so that the
# kernel can give init a console without mknod on the build host.
newc() { # NAME MODE(octal) RDEVMAJOR RDEVMINOR INO
	local name=$1 mode=$((8#$2)) maj=$3 min=$4 ino=$5
	local nsz=$((${#name} + 1))
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		"$ino" "$mode" 0 0 1 0 0 0 0 "$maj" "$min" "$nsz" 0
	printf '%s\0' "$name"
	local pad=$(((4 - (110 + nsz) % 4) % 4))
	[ $pad -eq 0 ] || head -c "$pad" /dev/zero
}
write_initramfs() {
	{
		newc dev 040755 0 0 1
		newc dev/console 020600 5 1 2
		newc 'TRAILER!!!' 0 0 0 0
		(cd "$R" && find . -mindepth 1 -printf '%P\n' | sort | cpio -o -H newc -R 0:0 --quiet)
	} | gzip -6 -n >"$1"
	log "initramfs done"
}
