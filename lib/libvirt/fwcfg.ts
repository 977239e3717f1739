import { UsageError } from "../errors.ts";
import { el, type XmlNode } from "./_xml.ts";

/** fw_cfg name Ignition reads its config from on x86_64 and aarch64 QEMU guests. */
export const IGNITION_FW_CFG = "opt/com.coreos/config";

/** fw_cfg name of a fork's identity, which the hook a template installs reads (lib/guest/fork-hook.sh). */
export const FORK_FW_CFG = "opt/org.testcloud/fork";

/**
 * `<sysinfo type="fwcfg">` passing files to the guest through QEMU fw_cfg
 * (libvirt ≥ 6.5), a child of `<domain>`. Names must start with "opt/".
 * https://libvirt.org/formatdomain.html#smbios-system-information
 */
export function fwcfgSysinfo(entries: Record<string, string>): XmlNode {
  return el(
    "sysinfo",
    { type: "fwcfg" },
    ...Object.entries(entries).map(([name, file]) => {
      if (!name.startsWith("opt/")) throw new Error(`fwcfgSysinfo: name must start with "opt/": "${name}"`);
      // libvirt 9.0 hands the path to -fw_cfg without doubling commas and still
      // XML-escaped ("&" arrives as "&amp;"): QEMU would open another file.
      if (/[,&<>"']/.test(file)) {
        throw new UsageError(`Unsupported path for fw_cfg: "${file}": it must not contain , & < > " or '`, {
          code: "E_UNSAFE_PATH",
          hint: "use a data dir whose path has none of these characters",
        });
      }
      return el("entry", { name, file });
    }),
  );
}
