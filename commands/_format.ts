import type { InstanceInfo } from "../lib/instance/describe.ts";
import type { DomainSnapshot } from "../lib/libvirt/virsh-snapshot.ts";

/** Human rendering of one instance (with its snapshots, where `info` asked for them). */
export function formatInstance(info: InstanceInfo & { snapshots?: DomainSnapshot[] }): string {
  const lines = [
    `name:    ${info.name}`,
    `state:   ${info.state}`,
    `address: ${info.ip ?? "-"}${info.network === "user" ? ` port ${info.sshPort}` : ""} (${info.network})`,
    `user:    ${info.user}`,
    `dir:     ${info.paths.dir}`,
  ];
  for (const f of info.machine?.forwards ?? []) lines.push(`forward: ${f.hostAddr}:${f.hostPort} → guest ${f.guestPort}/${f.proto}`);
  if (info.snapshots?.length) lines.push(`snapshots: ${info.snapshots.map((s) => s.name + (s.current ? " (current)" : "")).join(", ")}`);
  lines.push(`ssh:     testcloud ssh ${info.name}`);
  return lines.join("\n");
}

/** Human rendering of the instance list as an aligned table. */
export function formatTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? "").length)));
  return rows.map((r) => r.map((cell, col) => cell.padEnd(widths[col]!)).join("  ").trimEnd()).join("\n");
}
