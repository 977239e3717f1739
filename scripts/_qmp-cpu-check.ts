// What every restore on this host pays before QEMU reads the saved state, whatever testcloud
// does: libvirt (before 11.x) asks a QEMU it just started for each boolean property of the
// guest CPU, one QMP `qom-get` each (~400 on x86), to check the CPU it got. bench-fork.ts
// prints this beside the fork's time. Here QEMU is started the same way (-S, no devices)
// and asked the same questions directly, without libvirt: its answers alone.
import { createConnection } from "node:net";
import { createInterface } from "node:readline";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface CpuCheckCost {
  /** The qom-gets libvirt sends: one per boolean property of the CPU object. */
  calls: number;
  ms: number;
  /** One query-version, for the monitor's round trip alone. */
  roundTripMs: number;
  /** Whether this QEMU has qom-list-get, which newer libvirt uses to ask once. */
  hasQomListGet: boolean;
}

const CPU_PATH = "/machine/unattached/device[0]";

/** Starts qemu-system-x86_64 paused and times the questions libvirt's CPU check asks it. */
export async function cpuCheckCost(accel = "kvm:tcg"): Promise<CpuCheckCost> {
  const scratch = mkdtempSync(join(tmpdir(), "tc-qmp-"));
  const path = join(scratch, "qmp.sock");
  const qemu = Bun.spawn(
    ["qemu-system-x86_64", "-machine", `q35,accel=${accel}`, "-cpu", "max", "-m", "64", "-S", "-nodefaults", "-display", "none", "-qmp", `unix:${path},server=on,wait=on`],
    { stdout: "ignore", stderr: "ignore" },
  );
  try {
    const qmp = await connectQmp(path);
    await qmp.ask("qmp_capabilities");
    const commands = (await qmp.ask("query-commands")) as { name: string }[];
    const props = ((await qmp.ask("qom-list", { path: CPU_PATH })) as { name: string; type: string }[]).filter((p) => p.type === "bool");
    let t = performance.now();
    for (const { name } of props) await qmp.ask("qom-get", { path: CPU_PATH, property: name });
    const ms = performance.now() - t;
    t = performance.now();
    for (let i = 0; i < props.length; i++) await qmp.ask("query-version");
    const roundTripMs = (performance.now() - t) / props.length;
    qmp.close();
    return { calls: props.length, ms, roundTripMs, hasQomListGet: commands.some((c) => c.name === "qom-list-get") };
  } finally {
    qemu.kill();
    await qemu.exited;
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** A QMP client that asks one thing at a time. */
async function connectQmp(path: string) {
  let socket: ReturnType<typeof createConnection> | undefined;
  for (let tries = 0; !socket; tries++) {
    try {
      socket = await new Promise((resolve, reject) => {
        const s = createConnection(path, () => resolve(s)).once("error", reject);
      });
    } catch (error) {
      if (tries > 100) throw error;
      await Bun.sleep(50);
    }
  }
  const lines = createInterface({ input: socket })[Symbol.asyncIterator]();
  await lines.next(); // the greeting
  return {
    async ask(execute: string, args?: object): Promise<unknown> {
      socket.write(JSON.stringify({ execute, ...(args && { arguments: args }) }) + "\n");
      for (;;) {
        const { value, done } = await lines.next();
        if (done) throw new Error(`QMP closed while asked ${execute}`);
        const reply = JSON.parse(value);
        if ("error" in reply) throw new Error(`QMP ${execute}: ${reply.error.desc}`);
        if ("return" in reply) return reply.return;
      }
    },
    close: () => socket.destroy(),
  };
}
