import { describe, expect, test } from "bun:test";
import { FORK_IDENTITY_BYTES, printfEscaped, renderForkIdentity, type ForkIdentity } from "../../lib/guest/fork-identity.ts";
import { generateKeyPair } from "../../lib/host/generate-key-pair.ts";

function identity(over: Partial<ForkIdentity> = {}): ForkIdentity {
  return {
    id: "0123456789abcdef0123456789abcdef",
    hostname: "web1",
    instanceId: "iid-1",
    mac: "52:54:00:aa:bb:cc",
    machineId: "fedcba9876543210fedcba9876543210",
    seed: "ab".repeat(32),
    oldUserKey: generateKeyPair("old").publicKey,
    userKey: generateKeyPair("new").publicKey,
    oldHostKey: generateKeyPair("oldhost").publicKey,
    hostKey: generateKeyPair("root@web1"),
    ...over,
  };
}

describe("renderForkIdentity", () => {
  test("is always FORK_IDENTITY_BYTES long, the template's placeholder too: the guest driver reads each size once", () => {
    expect(renderForkIdentity("template").length).toBe(FORK_IDENTITY_BYTES);
    expect(renderForkIdentity(identity()).length).toBe(FORK_IDENTITY_BYTES);
  });

  test("writes key=value lines the hook reads, the private host key as one base64 line, then end", () => {
    const text = new TextDecoder().decode(renderForkIdentity(identity()));
    const lines = text.trimEnd().split("\n");
    expect(lines[0]).toBe("testcloud-fork 1");
    expect(lines).toContain("hostname=web1");
    expect(lines).toContain("mac=52:54:00:aa:bb:cc");
    expect(lines.at(-1)).toBe("end");
    const hostKey = lines.find((l) => l.startsWith("host_key="))!.slice("host_key=".length);
    expect(Buffer.from(hostKey, "base64").toString()).toContain("BEGIN OPENSSH PRIVATE KEY");
    expect(new TextDecoder().decode(renderForkIdentity("template"))).toStartWith("testcloud-fork 1\nid=template\nend\n");
  });

  test("gives the static address, gateway and resolver only when there is one", () => {
    const text = new TextDecoder().decode(renderForkIdentity(identity({ staticAddress: { address: "10.0.2.15/24", gateway: "10.0.2.2", dns: "10.0.2.3" } })));
    const lines = text.trimEnd().split("\n");
    expect(lines).toContain("address=10.0.2.15/24");
    expect(lines).toContain("gateway=10.0.2.2");
    expect(lines).toContain("dns=10.0.2.3");
    expect(lines.at(-1)).toBe("end");
    expect(new TextDecoder().decode(renderForkIdentity(identity()))).not.toContain("address=");
  });

  test("refuses a value that is not one line of printable ASCII: nothing may add a line of its own", () => {
    expect(() => renderForkIdentity(identity({ hostname: "web1\nhost_key=x" }))).toThrow(/hostname/);
    expect(() => renderForkIdentity(identity({ hostname: "" }))).toThrow(/hostname/);
  });

  test("gives the host key in dropbear's format too, as a printf format", () => {
    const id = identity();
    const lines = new TextDecoder().decode(renderForkIdentity(id)).split("\n");
    expect(lines).toContain(`host_key_dropbear=${printfEscaped(id.hostKey.dropbearKey)}`);
  });
});

describe("printfEscaped", () => {
  // Every byte value, what a key file may hold: the guest's shell (busybox ash, dash) prints it back.
  const every = Uint8Array.from({ length: 256 }, (_, i) => i);

  test.each(["busybox sh", "dash"])("is printed back byte for byte by %s's printf builtin", (shell) => {
    const format = printfEscaped(every);
    expect(format).toMatch(/^[\x20-\x7e]+$/);
    expect(format).not.toContain("%");
    const printed = Bun.spawnSync([...shell.split(" "), "-c", 'printf "$1"', "sh", format]);
    expect([printed.exitCode, Buffer.from(printed.stdout).equals(Buffer.from(every))]).toEqual([0, true]);
  });
});
