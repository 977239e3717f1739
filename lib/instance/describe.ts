import { sshNic, sshPort, type Machine } from "../machine/machine.ts";
import type { InstancePaths, InstanceRecord } from "./state.ts";
import { shellQuote, sshArgv, type SshTarget } from "../host/ssh.ts";
import { sshJumpFor } from "../host/ssh-jump.ts";

/** The stable JSON shape of one instance, printed by create, list and info. */
export interface InstanceInfo {
  name: string;
  state: string;
  ip: string | null;
  sshPort: number;
  user: string;
  keyPath: string;
  knownHostsPath: string;
  sshCommand: string | null;
  uri: string;
  network: string;
  virtType: string;
  ramMiB: number;
  vcpus: number;
  /** The whole machine (lib/machine/machine.ts); null for an instance without a record. */
  machine: Machine | null;
  image: { source: string; digest: string; path: string } | null;
  paths: { dir: string; overlay: string; seed: string; consoleLog: string };
  createdAt: string | null;
  /** Why testcloud's state and libvirt's disagree, or null when they agree. */
  problem: string | null;
  /** The template a fork was restored from (and that generation's directory); null when booted. */
  forkedFrom: { template: string; dir: string } | null;
}

/** ssh target of an instance once its address is known. */
export function sshTarget(record: InstanceRecord, paths: InstancePaths, ip: string): SshTarget {
  return {
    host: ip,
    port: sshPort(record.machine),
    user: record.user,
    keyPath: paths.key,
    knownHostsPath: paths.knownHosts,
    hostKeyAlias: `testcloud-${record.name}`,
    jump: sshJumpFor(record.uri),
  };
}

/** Joins what testcloud remembers with what libvirt says now. */
export function describe(
  record: InstanceRecord,
  paths: InstancePaths,
  state: string,
  ip: string | null,
): InstanceInfo {
  const target = ip ? sshTarget(record, paths, ip) : null;
  return {
    name: record.name,
    state,
    ip,
    sshPort: sshPort(record.machine),
    user: record.user,
    keyPath: paths.key,
    knownHostsPath: paths.knownHosts,
    sshCommand: target ? sshArgv(target).map(shellQuote).join(" ") : null,
    uri: record.uri,
    network: sshNic(record.machine).network,
    virtType: record.machine.virtType,
    ramMiB: record.machine.memoryMiB,
    vcpus: record.machine.vcpus,
    machine: record.machine,
    image: record.image,
    paths: instanceFiles(record, paths),
    createdAt: record.createdAt,
    problem: state === "missing" ? "the libvirt domain is gone; run: testcloud clean" : null,
    forkedFrom: record.forkedFrom ? { template: record.forkedFrom.template, dir: record.forkedFrom.dir } : null,
  };
}

/** Where its disk, seed and console log are: volumes on its host (paths there), or its directory's files in older records. */
function instanceFiles({ volumes }: InstanceRecord, paths: InstancePaths): InstanceInfo["paths"] {
  if (!volumes) return { dir: paths.dir, overlay: paths.overlay, seed: paths.seed, consoleLog: paths.consoleLog };
  const at = (name?: string) => (name ? `${volumes.poolPath}/${name}` : "");
  return { dir: paths.dir, overlay: at(volumes.disk), seed: at(volumes.seed), consoleLog: at(volumes.console) };
}

/** An instance only half there: a testcloud domain without a directory, or a directory without a record. */
export function describeOrphan(name: string, uri: string, state: string, dir: string, problem: string): InstanceInfo {
  return {
    name,
    state,
    ip: null,
    sshPort: 22,
    user: "",
    keyPath: "",
    knownHostsPath: "",
    sshCommand: null,
    uri,
    network: "",
    virtType: "",
    ramMiB: 0,
    vcpus: 0,
    machine: null,
    image: null,
    paths: { dir, overlay: "", seed: "", consoleLog: "" },
    createdAt: null,
    problem,
    forkedFrom: null,
  };
}
