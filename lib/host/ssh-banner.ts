/**
 * True once something at host:port speaks SSH (sends "SSH-"). A plain TCP
 * connect is not enough: QEMU's user-mode forward accepts on the host side
 * before the guest listens, then drops the connection.
 */
export async function sshBannerSeen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  const { promise, resolve } = Promise.withResolvers<boolean>();
  const timer = setTimeout(() => resolve(false), timeoutMs);
  let received = "";
  try {
    const socket = await Bun.connect({
      hostname: host,
      port,
      socket: {
        data(s, chunk) {
          received += chunk.toString();
          if (received.length >= 4) {
            resolve(received.startsWith("SSH-"));
            s.end();
          }
        },
        close: () => resolve(false),
        error: () => resolve(false),
        connectError: () => resolve(false),
      },
    });
    const seen = await promise;
    socket.end();
    return seen;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
