/** `stream` with `onBytes(n)` called for each chunk that passes, for progress and counts. */
export function counted(stream: ReadableStream<Uint8Array>, onBytes: (n: number) => void): ReadableStream<Uint8Array> {
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        onBytes(chunk.byteLength);
        controller.enqueue(chunk);
      },
    }),
  );
}

/**
 * Splits the guest's first line (the size and checksum it announces) from the data after
 * it. Null when the stream ends first or the line is absurdly long: the guest failed.
 */
export async function readHeader(stream: ReadableStream<Uint8Array>): Promise<{ header: string; rest: ReadableStream<Uint8Array> } | null> {
  const reader = stream.getReader();
  let head = new Uint8Array(0);
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return null;
    const joined = new Uint8Array(head.byteLength + value.byteLength);
    joined.set(head);
    joined.set(value, head.byteLength);
    head = joined;
    const newline = head.indexOf(10);
    if (newline >= 0) return { header: new TextDecoder().decode(head.subarray(0, newline)), rest: prepend(head.subarray(newline + 1), reader) };
    if (head.byteLength > 4096) {
      await reader.cancel();
      return null;
    }
  }
}

/** A stream of `first`, then whatever `reader` still yields. */
function prepend(first: Uint8Array, reader: { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(reason?: unknown): Promise<void> }): ReadableStream<Uint8Array> {
  let pending: Uint8Array | null = first.byteLength > 0 ? first : null;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (pending) {
        controller.enqueue(pending);
        pending = null;
        return;
      }
      const { value, done } = await reader.read();
      if (done) controller.close();
      else if (value) controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}
