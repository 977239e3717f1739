# Sourced by build.sh: the image's bootloaders, written as grub-install would
# (the image has no grub-pc / grub-efi-amd64 package to run it, and running it
# needs the disk as a block device: a loop device).
#
#   write_grub_cfg      /boot/grub/grub.cfg in $ROOT, read by both loaders
#   install_grub_bios   GRUB i386-pc (host's grub-pc-bin): boot.img in the MBR,
#                       core.img in the gap before the first partition
#   make_esp FILE       the EFI system partition's FAT file system, with
#                       Debian's SIGNED shim and GRUB from the image's own
#                       shim-signed / grub-efi-amd64-signed packages, so that
#                       UEFI with Secure Boot (Microsoft's keys) boots it:
#     \EFI\BOOT\BOOTX64.EFI  shimx64.efi.signed (the removable-media path:
#                            booted without any boot entry in NVRAM)
#     \EFI\BOOT\grubx64.efi  grubx64.efi.signed (shim starts grubx64.efi
#                            from its own directory)
#     \EFI\BOOT\mmx64.efi    MokManager (shim runs it when a check fails)
#     \EFI\debian\grub.cfg   the signed GRUB's prefix is /EFI/debian on the
#                            partition it was loaded from: this file finds
#                            the root fs by UUID and reads /boot/grub/grub.cfg
# Uses: ROOT UUID HASH WORK GRUB_DIR RAW ESP_START_SECTOR CMDLINE

write_grub_cfg() {
  mkdir -p "$ROOT/boot/grub/i386-pc"
  cp "$GRUB_DIR"/*.mod "$GRUB_DIR"/*.lst "$ROOT/boot/grub/i386-pc/"
  cat >"$ROOT/boot/grub/grub.cfg" <<EOF
# testcloud fixture: written by scripts/images/debian/build.sh (no grub-pc or
# grub-efi-amd64 in the image; /vmlinuz and /initrd.img follow kernel upgrades)
# Under UEFI the firmware already mirrors GRUB's console on the serial port.
if [ "\$grub_platform" = pc ]; then
	serial --unit=0 --speed=115200 --word=8 --parity=no --stop=1
	terminal_input serial console
	terminal_output serial console
fi
set default=0
set timeout=0
set timeout_style=hidden
search --no-floppy --fs-uuid --set=root --hint=hd0,msdos1 $UUID
menuentry 'Debian GNU/Linux 12 (testcloud)' {
	echo 'Loading Linux ...'
	linux /vmlinuz $CMDLINE
	echo 'Loading initial ramdisk ...'
	initrd /initrd.img
}
EOF
}

install_grub_bios() {
  local core_size
  cat >"$WORK/early.cfg" <<EOF
search --no-floppy --fs-uuid --set=root --hint=hd0,msdos1 $UUID
set prefix=(\$root)/boot/grub
EOF
  grub-mkimage -O i386-pc -o "$WORK/core.img" -c "$WORK/early.cfg" -p '(hd0,msdos1)/boot/grub' \
    biosdisk part_msdos ext2 search search_fs_uuid search_label normal linux configfile \
    serial terminal echo test
  core_size=$(stat -c %s "$WORK/core.img")
  [ "$core_size" -le $(( (ESP_START_SECTOR - 1) * 512 )) ] || die "core.img too big ($core_size bytes)"
  cp "$GRUB_DIR/boot.img" "$WORK/boot.img"
  # as grub-setup does for a hard disk: kernel_sector (0x5c, le64) = 1,
  # boot_drive (0x64) = 0xff (use BIOS drive), NOP out the drive check jump (0x66)
  printf '\x01\x00\x00\x00\x00\x00\x00\x00' | dd of="$WORK/boot.img" bs=1 seek=$((0x5c)) conv=notrunc status=none
  printf '\xff' | dd of="$WORK/boot.img" bs=1 seek=$((0x64)) conv=notrunc status=none
  printf '\x90\x90' | dd of="$WORK/boot.img" bs=1 seek=$((0x66)) conv=notrunc status=none
  # MBR: boot code only (bytes 0..439): keep disk id + partition table + 0x55aa
  dd if="$WORK/boot.img" of="$RAW" bs=440 count=1 conv=notrunc status=none
  dd if="$WORK/core.img" of="$RAW" bs=512 seek=1 conv=notrunc status=none
}

# make_esp FILE SIZE_MIB
make_esp() {
  local esp=$1 shim="$ROOT/usr/lib/shim/shimx64.efi.signed" mm="$ROOT/usr/lib/shim/mmx64.efi.signed"
  local grub="$ROOT/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed"
  [ -f "$shim" ] && [ -f "$mm" ] && [ -f "$grub" ] || die "signed shim/MokManager/GRUB missing (shim-signed, grub-efi-amd64-signed)"
  cat >"$WORK/esp-grub.cfg" <<EOF
search --no-floppy --fs-uuid --set=root --hint=hd0,msdos1 $UUID
set prefix=(\$root)'/boot/grub'
configfile \$prefix/grub.cfg
EOF
  export MTOOLS_SKIP_CHECK=1 MTOOLSRC=/dev/null
  truncate -s "$2M" "$esp"
  mkfs.vfat -F 16 -n EFI -i "${HASH:8:8}" "$esp" >/dev/null
  mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/EFI/debian
  mcopy -i "$esp" "$shim" ::/EFI/BOOT/BOOTX64.EFI
  mcopy -i "$esp" "$grub" ::/EFI/BOOT/grubx64.efi
  mcopy -i "$esp" "$mm" ::/EFI/BOOT/mmx64.efi
  mcopy -i "$esp" "$WORK/esp-grub.cfg" ::/EFI/debian/grub.cfg
}
