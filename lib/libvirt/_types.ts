/** Types domain-xml.ts and its helpers share (kept here so no helper imports domain-xml.ts back). */

/** The files of an instance the domain refers to, all in its directory. */
export interface DomainFiles {
  rootDisk: string;
  /** The NoCloud seed disk; absent for Ignition guests. */
  seed?: string;
  /** An Ignition config handed to the guest through QEMU fw_cfg (CoreOS). */
  ignition?: string;
  /** A template's or fork's identity file, handed to the guest through QEMU fw_cfg. */
  forkIdentity?: string;
  consoleLog: string;
  /** The per-instance copy of the UEFI variables (made by libvirt from the template). */
  nvram: string;
  /** One per machine.disks entry, in its order. */
  disks: string[];
  /** Per share: the virtiofsd wrapper that serves it read-only, or undefined. */
  shareHelpers: (string | undefined)[];
}
