import { AlreadyExistsError, UsageError } from "../errors.ts";
import { checkTraversable } from "../host/check-traversable.ts";
import type { MachineSettings } from "../host/_machine-settings.ts";
import { parseSha256, type FetchOptions } from "../image/fetch-image.ts";
import { parseReference } from "../image/parse-reference.ts";
import { domainState, type Virsh } from "../libvirt/virsh.ts";
import type { Machine } from "../machine/machine.ts";
import { checkMachine, draftMachine } from "./build-machine.ts";
import { provisioningMode, type Provisioning } from "./_prepare.ts";
import { readRecord } from "./state.ts";

/** What preflight needs of the create options. */
export interface PreflightOptions {
  image: string;
  /** The first NIC: "user" or a libvirt network. */
  network: string;
  machine: MachineSettings;
  timeoutS: number;
  dataDir: string;
  /** The image cache: the instance's base image is read from it. */
  imageDir: string;
  fetch?: Pick<FetchOptions, "sha256">;
  provisioning?: Provisioning;
}

/**
 * Every check of `create` that needs nothing made or downloaded: the reference, the
 * flags, a taken name, the machine (networks, shared folders, firmware, host tools), a
 * reachable libvirt. Returns the machine as far as it can be known before create.
 */
export async function preflight(conn: Virsh, name: string, options: PreflightOptions): Promise<Machine> {
  const machine = draftChecked(conn, options);
  // Independent checks, each its own query: run them together.
  const [state, record] = await Promise.all([domainState(conn, name), readRecord(options.dataDir, name), checkMachine(machine, conn)]);
  if (state) {
    throw new AlreadyExistsError(`A libvirt domain named "${name}" already exists`, { hint: `testcloud remove ${name}` });
  }
  if (record) {
    throw new AlreadyExistsError(`Instance already exists: "${name}"`, { hint: `testcloud remove ${name}` });
  }
  return machine;
}

/** preflight without an instance name: what `template create` checks before it makes anything. */
export async function preflightMachine(conn: Virsh, options: PreflightOptions): Promise<Machine> {
  const machine = draftChecked(conn, options);
  await checkMachine(machine, conn);
  return machine;
}

function draftChecked(conn: Virsh, options: PreflightOptions): Machine {
  if (!Number.isInteger(options.timeoutS) || options.timeoutS < 1) {
    throw new UsageError(`Invalid --timeout: ${options.timeoutS}: expected seconds, at least 1`);
  }
  parseReference(options.image);
  checkFetchOptions(options.fetch);
  const machine = draftMachine(options.machine, options.network);
  // The Ignition config goes in through QEMU's fw_cfg, which pseries and s390-ccw-virtio do not have.
  if (provisioningMode(options.image, options.provisioning) === "ignition" && (machine.arch === "ppc64le" || machine.arch === "s390x")) {
    throw new UsageError(`Ignition is not supported for ${machine.arch} guests: it needs QEMU's fw_cfg`, {
      code: "E_UNSUPPORTED_ARCH",
      hint: "use an image provisioned with cloud-init (NoCloud), which every architecture reads",
    });
  }
  if (conn.uri.includes("/system")) {
    checkTraversable(options.dataDir);
    checkTraversable(options.imageDir, "image");
  }
  return machine;
}

/** --sha256 is checked up front, so `create --dry-run` refuses what `create` would (--arch is a machine setting). */
function checkFetchOptions(fetch: PreflightOptions["fetch"] = {}): void {
  if (fetch.sha256 !== undefined) parseSha256(fetch.sha256);
}
