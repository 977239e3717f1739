import { createConnection, type Socket } from "node:net";

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
  /**
   * While the server is silent, open another connection this often (the earlier ones stay
   * open); the first answer counts. For QEMU's user-mode forward: it accepts at once and
   * passes the guest one SYN, which is lost if the guest has no address yet and not sent
   * again for seconds, while a new connection's SYN goes out at once.
   */
  retryEveryMs?: number;
}

/**
 * Whether something at host:port speaks SSH (sends "SSH-"). A plain TCP connect is not
 * enough: QEMU's user-mode forward accepts on the host side before the guest listens,
 * then drops the connection. The sockets are destroyed before this returns, pending
 * handshakes included, so nothing outlives the check (or keeps the process alive).
 */
export async function sshBanner(host: string, port: number, options: BannerOptions = {}): Promise<BannerCheck> {
  const { promise, resolve } = Promise.withResolvers<BannerCheck>();
  const sockets: Socket[] = [];
  let retry: ReturnType<typeof setInterval> | undefined;
  const open = () => {
    const socket = createConnection({ host, port });
    sockets.push(socket);
    let received = "";
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
      if (received.length >= 4) resolve(received.startsWith("SSH-") ? "ssh" : "not-ssh");
    });
    socket.on("close", () => resolve("not-ssh"));
    socket.on("error", () => resolve("not-ssh"));
    return socket;
  };
  let timer = setTimeout(() => resolve("connect-timeout"), options.connectTimeoutMs ?? 1000);
  open().on("connect", () => {
    if (options.connectIsEnough) return resolve("ssh");
    clearTimeout(timer);
    timer = setTimeout(() => resolve("not-ssh"), options.bannerTimeoutMs ?? 2000);
    if (options.retryEveryMs) retry = setInterval(open, options.retryEveryMs);
  });
  try {
    return await promise;
  } finally {
    clearTimeout(timer);
    clearInterval(retry);
    for (const socket of sockets) socket.destroy();
  }
}
