import type { InstanceInfo } from "../lib/instance/describe.ts";

/** Human rendering of one instance. */
export function formatInstance(info: InstanceInfo): string {
  const lines = [
    `name:    ${info.name}`,
    `state:   ${info.state}`,
    `address: ${info.ip ?? "-"}${info.network === "user" ? ` port ${info.sshPort}` : ""} (${info.network})`,
    `user:    ${info.user}`,
    `dir:     ${info.paths.dir}`,
  ];
  for (const f of info.machine?.forwards ?? []) lines.push(`forward: ${f.hostAddr}:${f.hostPort} → guest ${f.guestPort}/${f.proto}`);
  lines.push(`ssh:     testcloud ssh ${info.name}`);
  return lines.join("\n");
}

/** Human rendering of the instance list as an aligned table. */
export function formatTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? "").length)));
  return rows.map((r) => r.map((cell, col) => cell.padEnd(widths[col]!)).join("  ").trimEnd()).join("\n");
}
