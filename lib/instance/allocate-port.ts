/** Picks a free TCP port on 127.0.0.1 for the ssh forward, skipping ports other instances hold. */
export function allocatePort(taken: Set<number> = new Set()): number {
  for (let attempt = 0; attempt < 20; attempt++) {
    // The kernel hands out an unused ephemeral port; QEMU binds it moments later.
    const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = listener.port;
    listener.stop(true);
    if (!taken.has(port)) return port;
  }
  throw new Error("allocatePort: no free port found");
}
