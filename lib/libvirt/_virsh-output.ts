/**
 * Parsers of virsh's output, tested on captured real output of virsh 9.0
 * (tests/fixtures). Columns and fields are read as virsh lays them out; a domain
 * name may hold spaces, never a newline (libvirt refuses one).
 */

/** Parses `virsh -q list --all` into name → state. */
export function parseDomainList(stdout: string): Map<string, string> {
  const states = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    const match = /^\s*(\S+)\s+(\S+)\s+(.+?)\s*$/.exec(line);
    if (match) states.set(match[2]!, match[3]!);
  }
  return states;
}

/** Parses `virsh list --all --title` (with its header: columns are found by the header's offsets). */
export function parseDomainTitles(stdout: string): { name: string; state: string; title: string }[] {
  const lines = stdout.split("\n");
  const header = lines.findIndex((l) => /^\s*Id\s+Name\s+State\s+Title/.test(l));
  if (header < 0) return [];
  const head = lines[header]!;
  const [nameAt, stateAt, titleAt] = ["Name", "State", "Title"].map((c) => head.indexOf(c)) as [number, number, number];
  return lines
    .slice(header + 2)
    .filter((l) => l.trim() !== "")
    .map((l) => ({
      name: l.slice(nameAt, stateAt).trim(),
      state: l.slice(stateAt, titleAt).trim(),
      title: l.slice(titleAt).trim(),
    }));
}

/** Parses `virsh -q list --all --uuid --name` into name → UUID; a name is the rest of its line. */
export function parseDomainUuids(stdout: string): Map<string, string> {
  const uuids = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    const match = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}) (.+)$/i.exec(line);
    // Trimmed like the name column of parseDomainTitles, which it is joined with.
    if (match) uuids.set(match[2]!.trim(), match[1]!.toLowerCase());
  }
  return uuids;
}

/** Parses `virsh dominfo` into field → value ("State" → "shut off"); the first of a field wins. */
export function parseDominfo(stdout: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    const match = /^([^:]+):\s*(.*?)\s*$/.exec(line);
    if (match && !fields.has(match[1]!)) fields.set(match[1]!, match[2]!);
  }
  return fields;
}

/** Parses `virsh -q net-dhcp-leases NET` into MAC → IPv4 address. */
export function parseLeases(stdout: string): Map<string, string> {
  const leases = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    const match = /([0-9a-f]{2}(?::[0-9a-f]{2}){5})\s+ipv4\s+([0-9.]+)\/\d+/i.exec(line);
    if (match) leases.set(match[1]!.toLowerCase(), match[2]!);
  }
  return leases;
}

/** One row of `virsh snapshot-list`. */
export interface SnapshotRow {
  name: string;
  /** ISO-8601, UTC. */
  createdAt: string;
  /** The domain's state when the snapshot was taken: "running", "shut off", "paused", "disk-snapshot". */
  state: string;
  /** Whether it holds the guest's memory (a running machine) besides its disks. */
  memory: boolean;
}

/**
 * Parses `virsh -q snapshot-list DOMAIN`. The name is everything before the last
 * creation-time column (local time with its UTC offset), so it may hold spaces. A
 * snapshot holds memory unless it was taken shut off or is disk-only: libvirt's own
 * rule for "full system" snapshots (`snapshot-list --active`).
 */
export function parseSnapshotList(stdout: string): SnapshotRow[] {
  const rows: SnapshotRow[] = [];
  for (const line of stdout.split("\n")) {
    const match = /^ ?(.*\S)\s+(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) ([+-]\d\d)(\d\d)\s+(\S+)\s*$/.exec(line);
    if (!match) continue;
    const [, name, date, time, offsetHours, offsetMinutes, raw] = match as unknown as string[];
    const state = raw === "shutoff" ? "shut off" : raw!;
    const createdAt = new Date(`${date}T${time}${offsetHours}:${offsetMinutes}`).toISOString();
    rows.push({ name: name!, createdAt, state, memory: state !== "shut off" && state !== "disk-snapshot" });
  }
  return rows;
}
