import { LibvirtUnavailableError, NotFoundError, ToolError } from "../errors.ts";
import { run as defaultRun, which, type RunResult, type Runner } from "../host/run.ts";

/** One connection to libvirt through `virsh -c URI`. */
export interface Virsh {
  uri: string;
  run: Runner;
}

/** Makes the virsh handle every libvirt wrapper takes. */
export function connect(uri: string, run: Runner = defaultRun): Virsh {
  return { uri, run };
}

const UNREACHABLE = /failed to connect|Failed to connect socket|no connection driver|Connection refused/i;
const NO_DOMAIN = /Domain not found|failed to get domain/i;
const NO_NETWORK = /Network not found|failed to get network/i;

/** Runs one virsh verb; connection and not-found failures become typed errors. */
export async function virsh(conn: Virsh, args: string[], allowFailure = false): Promise<RunResult> {
  const argv = ["virsh", "-q", "-c", conn.uri, ...args];
  const result = await conn.run(argv, { allowFailure: true });
  if (result.exitCode === 0 || allowFailure) return result;
  const stderr = result.stderr;
  if (UNREACHABLE.test(stderr)) {
    throw new LibvirtUnavailableError(`Cannot connect to libvirt: "${conn.uri}"`, {
      hint: "start the daemon (systemctl start libvirtd, or libvirtd -d) or pass --connect URI",
    });
  }
  if (NO_DOMAIN.test(stderr)) throw new NotFoundError(`Domain not found: "${args.at(-1)}"`);
  if (NO_NETWORK.test(stderr)) throw new NotFoundError(`libvirt network not found: "${args.at(-1)}"`);
  throw new ToolError(argv, result.exitCode, stderr);
}

/** Domain states as virsh prints them ("running", "shut off", ...). */
export type DomainState = string;

/** Parses `virsh -q list --all` into name → state. */
export function parseDomainList(stdout: string): Map<string, DomainState> {
  const states = new Map<string, DomainState>();
  for (const line of stdout.split("\n")) {
    const match = /^\s*(\S+)\s+(\S+)\s+(.+?)\s*$/.exec(line);
    if (match) states.set(match[2]!, match[3]!);
  }
  return states;
}

/** Every domain of the connection with its state, in one virsh call. */
export async function listDomains(conn: Virsh): Promise<Map<string, DomainState>> {
  return parseDomainList((await virsh(conn, ["list", "--all"])).stdout);
}

/** A domain as `virsh list --all --title` shows it. */
export interface DomainSummary {
  name: string;
  state: DomainState;
  title: string;
}

/** Parses `virsh list --all --title` (with its header: columns are found by the header's offsets). */
export function parseDomainTitles(stdout: string): DomainSummary[] {
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

/** Every domain with its state and title, in one virsh call. */
export async function listDomainSummaries(conn: Virsh): Promise<DomainSummary[]> {
  // Without -q: the header gives the column offsets, and names may hold spaces.
  const argv = ["virsh", "-c", conn.uri, "list", "--all", "--title"];
  const result = await conn.run(argv, { allowFailure: true });
  if (result.exitCode !== 0) await virsh(conn, ["list", "--all", "--title"]);
  return parseDomainTitles(result.stdout);
}

/** The state of one domain, or null when it does not exist. */
export async function domainState(conn: Virsh, name: string): Promise<DomainState | null> {
  const result = await virsh(conn, ["domstate", name], true);
  if (result.exitCode === 0) return result.stdout.trim();
  if (NO_DOMAIN.test(result.stderr)) return null;
  return virsh(conn, ["domstate", name]).then((r) => r.stdout.trim());
}

/** Defines a persistent domain from an XML file. */
export async function defineDomain(conn: Virsh, xmlPath: string): Promise<void> {
  await virsh(conn, ["define", xmlPath]);
}

export async function startDomain(conn: Virsh, name: string): Promise<void> {
  await virsh(conn, ["start", name]);
}

/** Asks the guest to power off (ACPI); returns at once. */
export async function shutdownDomain(conn: Virsh, name: string): Promise<void> {
  await virsh(conn, ["shutdown", name]);
}

/** Hard reset, like pressing the reset button. */
export async function resetDomain(conn: Virsh, name: string): Promise<void> {
  await virsh(conn, ["reset", name]);
}

/** Hard power-off; a domain that is already off is not an error. */
export async function destroyDomain(conn: Virsh, name: string): Promise<void> {
  const result = await virsh(conn, ["destroy", name], true);
  if (result.exitCode !== 0 && !/not running/i.test(result.stderr)) await virsh(conn, ["destroy", name]);
}

/** Removes the domain definition; a domain that is already gone is not an error. */
export async function undefineDomain(conn: Virsh, name: string): Promise<void> {
  const result = await virsh(conn, ["undefine", "--nvram", name], true);
  if (result.exitCode !== 0 && !NO_DOMAIN.test(result.stderr)) {
    await virsh(conn, ["undefine", "--nvram", name]);
  }
}

/** Checks that a libvirt network exists and is active. */
export async function networkActive(conn: Virsh, name: string): Promise<boolean> {
  const result = await virsh(conn, ["net-info", name]);
  return /^Active:\s+yes/m.test(result.stdout);
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

/** The DHCP leases of a libvirt network, in one virsh call. */
export async function networkLeases(conn: Virsh, network: string): Promise<Map<string, string>> {
  return parseLeases((await virsh(conn, ["net-dhcp-leases", network])).stdout);
}

/** True when the domain carries testcloud's <metadata> element, i.e. testcloud made it. */
export async function isOurDomain(conn: Virsh, name: string, namespace: string): Promise<boolean> {
  const result = await virsh(conn, ["metadata", name, namespace], true);
  return result.exitCode === 0 && result.stdout.trim() !== "";
}

/** Attaches the terminal to the domain's serial console (Ctrl-] detaches); returns virsh's status. */
export async function attachConsole(conn: Virsh, name: string): Promise<number> {
  const proc = Bun.spawn([which("virsh"), "-c", conn.uri, "console", name], { stdio: ["inherit", "inherit", "inherit"] });
  return proc.exited;
}
