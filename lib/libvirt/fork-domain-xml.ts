import { el, renderXml } from "./_xml.ts";

/** What changes between a template's saved domain XML and its fork's. */
export interface ForkXmlChange {
  /** The template generation's directory, where every file of the saved XML is. */
  fromDir: string;
  /** The fork's directory: the same file names. */
  toDir: string;
  name: string;
  uuid: string;
  /** A fresh VM generation ID: the guest kernel reseeds its RNG when it changes. */
  genid: string;
  title: string;
  createdAt: string;
  /** The fork's `<qemu:commandline>` arguments (its user-mode network, without the NIC); none drops the element. */
  qemuArgs: string[];
}

const QEMU_NS = "http://libvirt.org/schemas/domain/qemu/1.0";

/**
 * The XML a fork is restored with: the template's as libvirt saved it (every device at the
 * address libvirt gave it, so QEMU's state matches), with the fork's name, UUID, generation
 * ID, title and files. libvirt writes that XML itself and always the same way (migratable
 * form, single-quoted attributes); each change is checked to have happened exactly once.
 */
export function forkDomainXml(saved: string, change: ForkXmlChange): string {
  for (const dir of [change.fromDir, change.toDir]) {
    // Kept out of the XML's syntax, so a plain text replacement cannot miss an escaped form.
    if (/["'&<>]/.test(dir)) throw new Error(`forkDomainXml: unsupported directory "${dir}"`);
  }
  let xml = saved;
  const replaceOnce = (pattern: RegExp, value: string) => {
    const hits = xml.match(new RegExp(pattern.source, "g"))?.length ?? 0;
    if (hits !== 1) throw new Error(`forkDomainXml: expected one match of ${pattern} in the saved XML, found ${hits}`);
    xml = xml.replace(pattern, value);
  };
  replaceOnce(/<name>[^<]*<\/name>/, text("name", change.name));
  replaceOnce(/<uuid>[^<]*<\/uuid>/, text("uuid", change.uuid));
  replaceOnce(/<genid>[^<]*<\/genid>/, text("genid", change.genid));
  replaceOnce(/<title>[^<]*<\/title>/, text("title", change.title));
  replaceOnce(/<tc:created>[^<]*<\/tc:created>/, text("tc:created", change.createdAt));
  xml = xml.replaceAll(`${change.fromDir}/`, `${change.toDir}/`).replaceAll(`>${change.fromDir}<`, `>${change.toDir}<`);
  if (xml.includes(change.fromDir)) throw new Error("forkDomainXml: the template's directory is still named in the XML");
  return withQemuArgs(xml, change.qemuArgs);
}

/** Replaces the saved `<qemu:commandline>` (if any) by one with `args` (if any). */
function withQemuArgs(xml: string, args: string[]): string {
  const block = args.length ? renderXml(el("qemu:commandline", {}, ...args.map((value) => el("qemu:arg", { value }))), 1) : "";
  const without = xml.replace(/\n? *<qemu:commandline>[\s\S]*<\/qemu:commandline>/, "");
  if (!block) return without;
  const root = /^<domain\b[^>]*>/.exec(without)?.[0];
  if (!root) throw new Error("forkDomainXml: no <domain> element");
  const withNs = root.includes("xmlns:qemu=") ? without : without.replace(root, `${root.slice(0, -1)} xmlns:qemu='${QEMU_NS}'>`);
  return withNs.replace(/\n<\/domain>\s*$/, `\n${block}\n</domain>\n`);
}

function text(name: string, value: string): string {
  return renderXml(el(name, {}, value));
}
