import { closeSync, constants, openSync } from "node:fs";
import { open, rm } from "node:fs/promises";
import { restoreDomainFrom } from "./virsh-save.ts";
import type { Virsh } from "./virsh.ts";

// libvirt answers a restore once the guest runs again: seconds, minutes for a large guest under emulation.
const RESTORE_TIMEOUT_MS = 600_000;

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
    const restoring = restoreDomainFrom(conn, options.fifo, RESTORE_TIMEOUT_MS);
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

/**
 * Writes the head, then the image's stream from its offset to its end, into the FIFO. The
 * stream goes by Bun.write, which moves it in the kernel (sendfile): through a JS stream it
 * took three times as long, and QEMU waited on it. Bun.write copies from the descriptor's
 * position (a slice's offset it ignores when writing to a pipe, Bun 1.4), so the image is
 * read up to the stream first.
 */
export async function feed(options: Pick<RestoreOptions, "image" | "streamOffset" | "head" | "fifo">): Promise<void> {
  const image = await open(options.image, "r");
  try {
    const size = (await image.stat()).size;
    const skip = Buffer.alloc(Math.min(options.streamOffset, 1 << 20));
    for (let at = 0; at < options.streamOffset; ) {
      const { bytesRead } = await image.read(skip, 0, Math.min(skip.length, options.streamOffset - at), null);
      if (bytesRead === 0) throw new Error(`restoreDomain: ${options.image} ends before its stream`);
      at += bytesRead;
    }
    const fifo = await open(options.fifo, "w");
    try {
      await fifo.writeFile(options.head);
      const written = await Bun.write(Bun.file(fifo.fd), Bun.file(image.fd));
      if (written !== size - options.streamOffset) throw new Error(`restoreDomain: wrote ${written} bytes of ${options.image}'s stream, not ${size - options.streamOffset}`);
    } finally {
      await fifo.close();
    }
  } finally {
    await image.close();
  }
}

/** Opens and closes the FIFO's read end, so that a writer blocked in open() goes on (and fails). */
function unblock(fifo: string): void {
  try {
    closeSync(openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK));
  } catch {
    // Gone already: nobody waits on it.
  }
}
