import { run as defaultRun, type Runner } from "../host/run.ts";
import { connect } from "../libvirt/virsh.ts";
import { describe, type InstanceInfo } from "./describe.ts";
import { listInstances } from "./list-instances.ts";
import { instanceNames, instancePaths, readRecord } from "./state.ts";

/** One host of the fleet as `list --all-hosts` found it. */
export interface HostStatus {
  name: string;
  uri: string;
  up: boolean;
  /** Why it is down: libvirt's error, or that it did not answer in time. */
  error: string | null;
  ms: number;
}

/** An instance with the name of its host. */
export type HostInstance = InstanceInfo & { host: string };

export interface FleetList {
  instances: HostInstance[];
  hosts: HostStatus[];
}

/** The configured hosts, and the default connection as "default" unless a host names it already. */
export function fleet(hosts: Record<string, string>, defaultUri: string): Record<string, string> {
  return Object.values(hosts).includes(defaultUri) ? hosts : { default: defaultUri, ...hosts };
}

/**
 * Every instance of the data dir on every host, each host asked at the same time. A host that
 * fails or does not answer within `timeoutMs` is reported down (its instances listed with the
 * state "unknown"), never an error: one host must not hide the others, nor make them wait.
 */
export async function listAllHosts(
  hosts: Record<string, string>,
  dataDir: string,
  options: { timeoutMs: number; run?: Runner },
): Promise<FleetList> {
  const found = await Promise.all(Object.entries(hosts).map(([name, uri]) => askHost(name, uri, dataDir, options)));
  const instances = found.flatMap((f) => f.instances).sort((a, b) => a.host.localeCompare(b.host) || a.name.localeCompare(b.name));
  return { instances, hosts: found.map((f) => f.status) };
}

async function askHost(name: string, uri: string, dataDir: string, options: { timeoutMs: number; run?: Runner }) {
  const started = performance.now();
  const deadline = started + options.timeoutMs;
  const run = options.run ?? defaultRun;
  // Every virsh call gets what is left of the host's time, and is killed when it runs out.
  const bounded: Runner = (argv, o) => run(argv, { ...o, timeoutMs: Math.max(1, deadline - performance.now()) });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${Math.round(options.timeoutMs / 1000)} s`)), options.timeoutMs);
  });
  const ms = () => Math.round(performance.now() - started);
  try {
    const list = await Promise.race([listInstances(connect(uri, bounded), dataDir), late]);
    return { status: { name, uri, up: true, error: null, ms: ms() }, instances: list.map((i) => ({ ...i, host: name })) };
  } catch (error) {
    const message = (error as Error).message;
    return { status: { name, uri, up: false, error: message, ms: ms() }, instances: await unknownInstances(name, uri, dataDir) };
  } finally {
    clearTimeout(timer);
  }
}

/** The instances our records place on a host that did not answer: listed, their state unknown. */
async function unknownInstances(host: string, uri: string, dataDir: string): Promise<HostInstance[]> {
  const rows: HostInstance[] = [];
  for (const name of await instanceNames(dataDir)) {
    const record = await readRecord(dataDir, name);
    if (record?.uri !== uri) continue;
    rows.push({ ...describe(record, instancePaths(dataDir, name), "unknown", null), host, problem: `host "${host}" is down` });
  }
  return rows;
}
