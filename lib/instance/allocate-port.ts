import { createSocket } from "node:dgram";

/** Picks a free TCP port on 127.0.0.1 for the ssh forward, skipping ports other instances hold. */
export function allocatePort(taken: Set<number> = new Set(), hostname = "127.0.0.1"): number {
  for (let attempt = 0; attempt < 20; attempt++) {
    // The kernel hands out an unused ephemeral port; QEMU binds it moments later.
    const listener = Bun.listen({ hostname, port: 0, socket: { data() {} } });
    const port = listener.port;
    listener.stop(true);
    if (!taken.has(port)) return port;
  }
  throw new Error("allocatePort: no free port found");
}

/** Picks a free UDP port on `hostname`. */
export async function allocateUdpPort(hostname: string): Promise<number> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve, reject) => socket.once("error", reject).bind(0, hostname, () => resolve()));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** True when nothing listens on the port now (TCP: a listener; UDP: a bound socket). */
export async function portFree(proto: "tcp" | "udp", hostname: string, port: number): Promise<boolean> {
  if (proto === "tcp") {
    try {
      Bun.listen({ hostname, port, socket: { data() {} } }).stop(true);
      return true;
    } catch {
      return false;
    }
  }
  const socket = createSocket("udp4");
  const bound = await new Promise<boolean>((resolve) => socket.once("error", () => resolve(false)).bind(port, hostname, () => resolve(true)));
  await new Promise<void>((resolve) => (bound ? socket.close(() => resolve()) : resolve()));
  return bound;
}
