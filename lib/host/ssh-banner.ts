import { createConnection } from "node:net";

/** What one look at host:port found. */
export type BannerCheck = "ssh" | "not-ssh" | "connect-timeout";

export interface BannerOptions {
  /**
   * Give up on the TCP handshake after this long (default 1000 ms). Kept short while
   * polling: a SYN sent before the guest answered ARP is retransmitted by the kernel
   * only after a full second, while a fresh connect goes out at once.
   */
  connectTimeoutMs?: number;
  /** Once connected, wait this long for the server to speak (default 2000 ms). */
  bannerTimeoutMs?: number;
  /**
   * Count a finished TCP handshake as enough, without waiting for the greeting: right
   * when the guest itself answers (a libvirt network), not through QEMU's forward.
   */
  connectIsEnough?: boolean;
}

/**
 * Whether something at host:port speaks SSH (sends "SSH-"). A plain TCP connect is not
 * enough: QEMU's user-mode forward accepts on the host side before the guest listens,
 * then drops the connection. The socket is destroyed before this returns, pending
 * handshake included, so nothing outlives the check (or keeps the process alive).
 */
export async function sshBanner(host: string, port: number, options: BannerOptions = {}): Promise<BannerCheck> {
  const { promise, resolve } = Promise.withResolvers<BannerCheck>();
  const socket = createConnection({ host, port });
  let timer = setTimeout(() => resolve("connect-timeout"), options.connectTimeoutMs ?? 1000);
  let received = "";
  socket.on("connect", () => {
    if (options.connectIsEnough) return resolve("ssh");
    clearTimeout(timer);
    timer = setTimeout(() => resolve("not-ssh"), options.bannerTimeoutMs ?? 2000);
  });
  socket.on("data", (chunk: Buffer) => {
    received += chunk.toString("latin1");
    if (received.length >= 4) resolve(received.startsWith("SSH-") ? "ssh" : "not-ssh");
  });
  socket.on("close", () => resolve("not-ssh"));
  socket.on("error", () => resolve("not-ssh"));
  try {
    return await promise;
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}
