/**
 * The shared-memory protocol between ParallelHasher (_hasher.ts) and its worker thread: the
 * ring of slots and its control words, the commands a slot can carry, and the worker's source,
 * which writes each slot's bytes to the sink (with O_DIRECT when aligned) and hashes them.
 */

// 4 slots of 1 MiB: 8 or 16 slots, or 256 KiB slots, were no faster, and what is in the
// ring when a download is killed is fetched again on resume.
export const SLOTS = 4; // a power of two: slot indexes stay right when the counters wrap
export const SLOT = 1 << 20;
// O_DIRECT wants offsets, lengths and addresses aligned to the device's logical block size.
export const ALIGN = 4096;
// Control words: slots published by the main thread, slots done by the worker, a request
// to stop, the worker's exit (after a stop or a failure), slots written with O_DIRECT.
export const PRODUCED = 0;
export const CONSUMED = 1;
export const STOP = 2;
export const EXITED = 3;
export const DIRECT = 4;
export const WORDS = 5;
// A slot's length, or a command below zero, kept in order with the bytes around it.
export const RESET = -1;
export const DIGEST = -2;
// What the worker does with a slot's bytes before hashing them.
export const HASH = 0;
export const WRITE = 1;
export const WRITE_DIRECT = 2;

// Inline source: a Blob URL worker needs no extra entry point in the compiled binary.
const SOURCE = `
const { writeSync } = require("node:fs");
onmessage = ({ data: { control, ring, algorithms, fd, direct } }) => {
  onmessage = null;
  const ctl = new Int32Array(control, 0, ${WORDS}), lengths = new Int32Array(control, ${4 * WORDS}, ${SLOTS});
  const modes = new Int32Array(control, ${4 * (WORDS + SLOTS)}, ${SLOTS}), bytes = new Uint8Array(ring);
  const fresh = () => algorithms.map((a) => new Bun.CryptoHasher(a));
  let hashers = fresh();
  // A file system or device that refuses O_DIRECT says EINVAL (or that it cannot): from
  // then on, write through the page cache.
  const put = (view, mode) => {
    let done = 0;
    if (mode === ${WRITE_DIRECT} && direct >= 0) {
      try { while (done < view.byteLength) done += writeSync(direct, view, done); return void Atomics.add(ctl, ${DIRECT}, 1); }
      catch (error) { if (!["EINVAL", "EOPNOTSUPP", "ENOTSUP"].includes(error.code)) throw error; direct = -1; }
    }
    while (done < view.byteLength) done += writeSync(fd, view, done);
  };
  try {
    for (let consumed = 0; !Atomics.load(ctl, ${STOP}); ) {
      const produced = Atomics.load(ctl, ${PRODUCED});
      if (produced === consumed) { Atomics.wait(ctl, ${PRODUCED}, produced); continue; }
      const slot = consumed & ${SLOTS - 1}, length = lengths[slot];
      if (length === ${RESET}) hashers = fresh();
      else if (length === ${DIGEST}) { postMessage({ digests: hashers.map((h) => h.digest("hex")) }); hashers = fresh(); }
      else {
        const view = bytes.subarray(slot * ${SLOT}, slot * ${SLOT} + length);
        if (modes[slot] !== ${HASH}) put(view, modes[slot]);
        for (const h of hashers) h.update(view);
      }
      consumed = (consumed + 1) | 0;
      Atomics.store(ctl, ${CONSUMED}, consumed);
      Atomics.notify(ctl, ${CONSUMED});
    }
  } catch (error) {
    postMessage({ error: { message: error.message, code: error.code } });
  }
  Atomics.store(ctl, ${EXITED}, 1);
  Atomics.notify(ctl, ${EXITED});
  Atomics.notify(ctl, ${CONSUMED});
};`;

let url: string | undefined;

/** A Blob URL of the worker's source, made once. */
export function hasherWorkerUrl(): string {
  url ??= URL.createObjectURL(new Blob([SOURCE], { type: "application/javascript" }));
  return url;
}
