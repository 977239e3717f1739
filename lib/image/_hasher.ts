/**
 * Writes a download to its file and computes its sha256 (and sha512) on a worker thread,
 * while the main thread receives. Chunks reach the worker through a ring of slots in shared
 * memory: one copy, and no message per chunk (a postMessage per 64 KiB fetch chunk cost
 * about as much CPU as the hashing itself). Whole aligned slots are written with O_DIRECT:
 * no copy into the page cache and no writeback left for the final fsync, about a quarter
 * of the CPU time of a download on loopback (issue 3, scripts/bench-download.ts). The ring's
 * layout and the worker's source are in _hasher-ring.ts.
 */

import {
  ALIGN,
  CONSUMED,
  DIGEST,
  DIRECT,
  EXITED,
  HASH,
  hasherWorkerUrl,
  PRODUCED,
  RESET,
  SLOT,
  SLOTS,
  STOP,
  WORDS,
  WRITE,
  WRITE_DIRECT,
} from "./_hasher-ring.ts";

/** The file `write()` appends to: an O_APPEND descriptor, and one with O_DIRECT if it opened. */
export interface Sink {
  fd: number;
  direct: number | null;
}

type Reply = { digests?: string[]; error?: { message: string; code?: string } };
type Pending = { chunk: Uint8Array; mode: typeof HASH | typeof WRITE } | typeof RESET | typeof DIGEST;

export class ParallelHasher {
  /** Bytes hashed since the last reset, queued ones included: the file's size once settled. */
  offset = 0;
  private worker: Worker;
  private ctl: Int32Array;
  private lengths: Int32Array;
  private modes: Int32Array;
  private bytes: Uint8Array;
  /** Slots published so far (wraps like the worker's counter), and their bytes since the reset. */
  private produced = 0;
  private published = 0;
  /** Bytes in the slot being filled, not yet published, and what they are for. */
  private fill = 0;
  private mode: typeof HASH | typeof WRITE = HASH;
  /** What did not fit in the ring yet, in order; `copied` bytes of the first chunk did. */
  private pending: Pending[] = [];
  private copied = 0;
  private replies: ((digests: string[]) => void)[] = [];
  private failure: Error | null = null;
  private reported!: () => void;
  /** Settles when the worker reported a failure. */
  private failed = new Promise<void>((resolve) => (this.reported = resolve));

  constructor(algorithms: ("sha256" | "sha512")[], sink: Sink | null = null) {
    const url = hasherWorkerUrl();
    const control = new SharedArrayBuffer(4 * (WORDS + 2 * SLOTS));
    // A buffer of its own, so that the slots start at its (page-aligned) beginning.
    const ring = new SharedArrayBuffer(SLOTS * SLOT);
    this.ctl = new Int32Array(control, 0, WORDS);
    this.lengths = new Int32Array(control, 4 * WORDS, SLOTS);
    this.modes = new Int32Array(control, 4 * (WORDS + SLOTS), SLOTS);
    this.bytes = new Uint8Array(ring);
    // smol: a small JSC heap for a thread that only writes and hashes (about 18 MiB less peak RSS).
    this.worker = new Worker(url, { smol: true });
    this.worker.onmessage = ({ data }: MessageEvent<Reply>) => {
      if (data.digests) this.replies.shift()?.(data.digests);
      else if (data.error) this.fail(workerError(data.error));
    };
    this.worker.onerror = (event) => {
      this.fail(new Error(`Hashing worker failed: ${event.message}`));
      Atomics.notify(this.ctl, CONSUMED); // ends a wait for space
    };
    this.worker.postMessage({ control, ring, algorithms, fd: sink?.fd ?? -1, direct: sink?.direct ?? -1 });
  }

  /** Slots written with O_DIRECT so far: the rest went through the page cache. */
  get directWrites(): number {
    return Atomics.load(this.ctl, DIRECT);
  }

  /** True when nothing is queued or in progress: the file holds exactly `offset` bytes. */
  get idle(): boolean {
    return this.pending.length === 0 && this.fill === 0 && Atomics.load(this.ctl, CONSUMED) === this.produced;
  }

  /** Starts over with empty digests at offset zero. */
  reset(): void {
    // Bytes not yet handed over belong to the old digests: drop them.
    this.pending = [RESET];
    this.copied = 0;
    this.fill = 0;
    this.offset = 0;
    this.published = 0;
    this.flush();
  }

  /**
   * Queues `chunk` for hashing and takes it over: it is copied into the ring now or during
   * `drain()`, then a chunk that spans its whole ArrayBuffer is detached, which frees the
   * memory at once instead of at the next GC (fetch chunks made the heap grow by ~25 MiB).
   */
  update(chunk: Uint8Array): void {
    this.queue(chunk, HASH);
  }

  /** Like `update`, but the worker first appends the chunk to the sink. */
  write(chunk: Uint8Array): void {
    this.queue(chunk, WRITE);
  }

  /** Waits until every queued chunk is in the ring; memory stays bounded by the ring. */
  async drain(): Promise<void> {
    while (this.pending.length > 0) {
      await this.space();
      this.flush();
    }
    if (this.stopped()) await this.raise();
  }

  /** Waits until the worker has written and hashed everything queued. */
  async settle(): Promise<void> {
    await this.drain();
    this.publishFill();
    for (;;) {
      if (this.stopped()) await this.raise();
      const consumed = Atomics.load(this.ctl, CONSUMED);
      if (consumed === this.produced) return;
      await this.wait(consumed);
    }
  }

  /** The hex digests, in the order of the algorithms. */
  async digests(): Promise<string[]> {
    const reply = new Promise<string[]>((resolve) => this.replies.push(resolve));
    this.pending.push(DIGEST);
    this.flush();
    await this.settle();
    return reply;
  }

  /** Stops the worker, dropping what is still queued; resolves once it no longer writes. */
  async close(): Promise<void> {
    Atomics.store(this.ctl, STOP, 1);
    Atomics.notify(this.ctl, PRODUCED);
    // A write in progress ends, then the worker sees STOP; only then may the caller close
    // the descriptors, whose numbers a later open could reuse. Bounded, for a hung disk.
    const exit = Atomics.waitAsync(this.ctl, EXITED, 0);
    if (exit.async) await within(Promise.race([exit.value, this.failed]), 5000);
    this.worker.terminate();
  }

  private queue(chunk: Uint8Array, mode: typeof HASH | typeof WRITE): void {
    if (chunk.byteLength === 0) return;
    this.offset += chunk.byteLength;
    this.pending.push({ chunk, mode });
    this.flush();
  }

  /** Moves pending chunks and commands into free slots, as far as they fit. */
  private flush(): void {
    while (this.pending.length > 0) {
      const next = this.pending[0]!;
      if (typeof next === "number" || next.mode !== this.mode) this.publishFill();
      if (this.fill === 0 && this.free() === 0) return;
      if (typeof next === "number") {
        this.publish(next, HASH);
        this.pending.shift();
        continue;
      }
      this.mode = next.mode;
      // Slots end at multiples of SLOT in the file, so that after a short one (a resumed
      // file of odd size) the next slots are aligned for O_DIRECT again.
      const start = this.published + this.fill;
      const n = Math.min(SLOT - (start % SLOT), next.chunk.byteLength - this.copied);
      this.bytes.set(next.chunk.subarray(this.copied, this.copied + n), (this.produced & (SLOTS - 1)) * SLOT + this.fill);
      this.fill += n;
      this.copied += n;
      if (this.copied === next.chunk.byteLength) {
        this.pending.shift();
        this.copied = 0;
        release(next.chunk);
      }
      if ((start + n) % SLOT === 0) this.publishFill();
    }
  }

  private publishFill(): void {
    if (this.fill === 0) return;
    const aligned = this.published % ALIGN === 0 && this.fill % ALIGN === 0;
    this.published += this.fill;
    this.publish(this.fill, this.mode === WRITE && aligned ? WRITE_DIRECT : this.mode);
  }

  private publish(length: number, mode: number): void {
    const slot = this.produced & (SLOTS - 1);
    this.lengths[slot] = length;
    this.modes[slot] = mode;
    this.produced = (this.produced + 1) | 0;
    this.fill = 0;
    Atomics.store(this.ctl, PRODUCED, this.produced);
    Atomics.notify(this.ctl, PRODUCED);
  }

  /** Slots neither published nor being worked on; the one being filled is one of them. */
  private free(): number {
    return SLOTS - ((this.produced - Atomics.load(this.ctl, CONSUMED)) | 0);
  }

  /** Resolves once the worker has released a slot. */
  private async space(): Promise<void> {
    for (;;) {
      if (this.stopped()) await this.raise();
      const consumed = Atomics.load(this.ctl, CONSUMED);
      if (((this.produced - consumed) | 0) < SLOTS) return;
      await this.wait(consumed);
    }
  }

  private async wait(consumed: number): Promise<void> {
    // The timeout only re-checks for a failure: the worker's notify normally ends the wait.
    const wait = Atomics.waitAsync(this.ctl, CONSUMED, consumed, 1000);
    if (wait.async) await wait.value;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.reported();
  }

  private stopped(): boolean {
    return this.failure !== null || Atomics.load(this.ctl, EXITED) === 1;
  }

  private async raise(): Promise<never> {
    // The worker posts its error before it exits; the message may still be on its way.
    if (!this.failure) await within(this.failed, 1000);
    throw this.failure ?? new Error("Hashing worker stopped");
  }
}

/** An errno error (ENOSPC…) keeps its code for the caller to word; anything else is ours. */
function workerError({ message, code }: { message: string; code?: string }): Error {
  return code ? Object.assign(new Error(message), { code }) : new Error(`Hashing worker failed: ${message}`);
}

/**
 * Waits for `promise`, at most `ms`. The timer also keeps Bun's event loop alive, which a
 * pending Atomics.waitAsync does not once the worker has exited.
 */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: Timer | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

function release(chunk: Uint8Array): void {
  const buffer = chunk.buffer;
  if (buffer instanceof ArrayBuffer && chunk.byteOffset === 0 && chunk.byteLength === buffer.byteLength) buffer.transfer(0);
}
