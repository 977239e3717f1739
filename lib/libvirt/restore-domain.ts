import { closeSync, constants, createReadStream, createWriteStream, openSync } from "node:fs";
import { rm } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { virsh, type Virsh } from "./virsh.ts";

export interface RestoreOptions {
  /** The save image whose migration stream the new domain resumes from. */
  image: string;
  /** Where that stream starts in `image` (SaveImage.streamOffset). */
  streamOffset: number;
  /** The new domain's header and data area (renderSaveHead): its XML, the image's cookie. */
  head: Uint8Array;
  /** A path for the FIFO libvirt reads, in a directory only we can write. */
  fifo: string;
}

/**
 * Restores a new domain from another domain's save image without copying it: `virsh
 * restore` reads a FIFO into which we write the new head, then the image's stream.
 * libvirt reads a save image once, front to back, so a FIFO serves as well as a file;
 * the new domain is transient (define it to keep it).
 */
export async function restoreDomain(conn: Virsh, options: RestoreOptions): Promise<void> {
  await conn.run(["mkfifo", "-m", "600", options.fifo]);
  try {
    const restoring = virsh(conn, ["restore", options.fifo]);
    const feeding = feed(options).then(
      () => null,
      (error: unknown) => error,
    );
    try {
      await restoring;
    } catch (error) {
      // libvirt gave up, perhaps before it opened the FIFO: our open would wait forever.
      unblock(options.fifo);
      await feeding;
      throw error;
    }
    // A stream cut short makes QEMU, hence the restore, fail; libvirt's answer is what counts.
    await feeding;
  } finally {
    await rm(options.fifo, { force: true });
  }
}

/** Writes the head, then the image's stream from its offset to its end, into the FIFO. */
async function feed(options: RestoreOptions): Promise<void> {
  const chunk = 1 << 20;
  await pipeline(
    async function* () {
      yield options.head;
      yield* createReadStream(options.image, { start: options.streamOffset, highWaterMark: chunk });
    },
    createWriteStream(options.fifo, { highWaterMark: chunk }),
  );
}

/** Opens and closes the FIFO's read end, so that a writer blocked in open() goes on (and fails). */
function unblock(fifo: string): void {
  try {
    closeSync(openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK));
  } catch {
    // Gone already: nobody waits on it.
  }
}
