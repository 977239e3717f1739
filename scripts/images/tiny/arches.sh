# Sourced by build-foreign.sh: what the tiny image of each architecture other
# than x86_64 is made of. Debian's packages of that architecture (fetched with
# `apt-get download PKG:DEB_ARCH`, which needs `dpkg --add-architecture`, done
# by scripts/setup-host.sh), and how its firmware boots it:
#
#   aarch64  UEFI (AAVMF): \EFI\BOOT\BOOTAA64.EFI = Debian's shim, then its
#            signed GRUB and /EFI/debian/grub.cfg, as on x86_64 under UEFI
#   ppc64le  SLOF (pseries): GRUB (powerpc-ieee1275, made with grub-mkimage
#            from grub-ieee1275-bin) in a PReP boot partition, which reads
#            /boot/grub/grub.cfg from the FAT partition: what grub-install
#            does on Debian's, Fedora's and Ubuntu's ppc64le images
#   s390x    s390-ccw (QEMU's IPL firmware): a zipl boot record in block 0,
#            program table, component table and block lists as zipl writes
#            them for a SCSI-style disk (zipl-bootmap.ts), loading the kernel
#            and initramfs from the boot partition
#
#   DEB_ARCH   Debian's name of the architecture
#   KMETA      kernel metapackage; its Depends names the kernel
#   BOOT_DEBS  boot loader packages
#   TRIPLET    multiarch directory of the shared libraries
#   LDSO       the ELF interpreter dropbear names
#   CONSOLE    the serial console: PL011, spapr-vty, SCLP VT220
case $ARCH in
aarch64)
	DEB_ARCH=arm64 KMETA=linux-image-arm64 BOOT_DEBS="shim-signed grub-efi-arm64-signed"
	TRIPLET=aarch64-linux-gnu LDSO=/lib/ld-linux-aarch64.so.1 CONSOLE=ttyAMA0
	;;
ppc64le)
	DEB_ARCH=ppc64el KMETA=linux-image-powerpc64le BOOT_DEBS="grub-ieee1275-bin"
	TRIPLET=powerpc64le-linux-gnu LDSO=/lib64/ld64.so.2 CONSOLE=hvc0
	;;
s390x)
	DEB_ARCH=s390x KMETA=linux-image-s390x BOOT_DEBS=""
	TRIPLET=s390x-linux-gnu LDSO=/lib/ld64.so.1 CONSOLE=ttysclp0
	;;
*)
	echo "tiny-build: unknown architecture '$ARCH': expected x86_64, aarch64, ppc64le or s390x" >&2
	exit 2
	;;
esac
# busybox and dropbear of that architecture, and the libraries dropbear links
# (the same sonames as the host's dropbear, which is the same Debian version)
USER_DEBS="busybox-static dropbear-bin libc6 libcrypt1 libtomcrypt1 libtommath1 libgmp10 zlib1g"
CMDLINE="console=$CONSOLE quiet loglevel=4 cryptomgr.notests"
