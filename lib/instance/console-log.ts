import { rm } from "node:fs/promises";
import { join } from "../host/posix-path.ts";
import { downloadVolume, refreshPool } from "../libvirt/virsh-pool.ts";
import type { Virsh } from "../libvirt/virsh.ts";
import { consoleTail } from "./console-tail.ts";
import type { LoadedInstance } from "./load-instance.ts";
import type { InstancePaths, InstanceRecord } from "./state.ts";

/**
 * The last `lines` lines of the instance's serial console log, read through libvirt: virtlogd
 * writes it into the instance's pool on its host, so the same call reads it here or there.
 * (Records older than pools have it in the instance directory.)
 */
export async function instanceConsoleTail(conn: Virsh, record: InstanceRecord, paths: InstancePaths, lines = 15): Promise<string[]> {
  const { volumes } = record;
  if (!volumes) return consoleTail(paths.consoleLog, lines);
  const copy = join(paths.dir, `.console-${process.pid}-${crypto.randomUUID().slice(0, 8)}.log`);
  try {
    let found = await downloadVolume(conn, volumes.pool, volumes.console, copy);
    // virtlogd made the file: libvirt lists it once the pool has looked again.
    if (!found) {
      await refreshPool(conn, volumes.pool);
      found = await downloadVolume(conn, volumes.pool, volumes.console, copy);
    }
    return found ? await consoleTail(copy, lines) : [];
  } finally {
    await rm(copy, { force: true });
  }
}

/** `console --log`: the log's lines, and where the log is on the instance's host. */
export async function consoleLog(conn: Virsh, { record, paths }: LoadedInstance, lines: number): Promise<{ name: string; path: string; lines: string[] }> {
  const path = record.volumes ? join(record.volumes.poolPath, record.volumes.console) : paths.consoleLog;
  return { name: record.name, path, lines: await instanceConsoleTail(conn, record, paths, lines) };
}
