import { statSync } from "node:fs";
import { dirname, resolve } from "./posix-path.ts";
import { DependencyError } from "../errors.ts";

/**
 * The system daemon runs QEMU as its own user (libvirt-qemu, qemu), which must
 * reach the overlay through every parent directory; a 0700 dir in the path only
 * fails later, at `virsh start`, with a less helpful message.
 */
export function checkTraversable(dir: string, kind: "data" | "image" = "data"): void {
  const [what, variable] = kind === "data" ? ["Data", "TESTCLOUD_DATA_DIR"] : ["Image", "TESTCLOUD_IMAGE_DIR"];
  for (let current = resolve(dir); ; current = dirname(current)) {
    const stat = statSync(current, { throwIfNoEntry: false });
    if (stat && (stat.mode & 0o001) === 0) {
      throw new DependencyError(`${what} directory not reachable by the QEMU user: "${current}" is mode ${(stat.mode & 0o777).toString(8)}`, {
        code: "E_PERMISSION",
        hint: `chmod o+x ${current}, or set ${variable} to a directory others can traverse`,
      });
    }
    if (current === dirname(current)) return;
  }
}
