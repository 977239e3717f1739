import { describe, expect, test } from "bun:test";
import { LibvirtUnavailableError, NotFoundError, ToolError } from "../../lib/errors.ts";
import {
  connect,
  destroyDomain,
  domainState,
  listDomains,
  undefineDomain,
  virsh,
} from "../../lib/libvirt/virsh.ts";
import { networkActive, networkLeases } from "../../lib/libvirt/virsh-network.ts";
import { fakeRunner, fixture, requireTool } from "../_helpers.ts";

const URI = "qemu:///system";

// Real stderr of virsh 9.0 for each failure class.
const UNREACHABLE =
  "error: failed to connect to the hypervisor\n" +
  "error: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory\n";
const NO_DOMAIN = "error: failed to get domain 'nosuch'\nerror: Domain not found: no domain with matching name 'nosuch'\n";
const NO_NETWORK = "error: failed to get network 'nonet'\nerror: Network not found: no network with matching name 'nonet'\n";
const NOT_RUNNING = "error: Failed to destroy domain 'tiny'\nerror: Requested operation is not valid: domain is not running\n";
const OTHER = "error: Failed to start domain 'tiny'\nerror: internal error: process exited while connecting to monitor\n";

const read = (name: string) => Bun.file(fixture(name)).text();

describe("virsh", () => {
  test("runs virsh quietly against the connection URI", async () => {
    const run = fakeRunner(() => ({ stdout: "running\n" }));
    const result = await virsh(connect(URI, run), ["domstate", "tiny"]);
    expect(run.calls[0]!.argv).toEqual(["virsh", "-q", "-c", URI, "domstate", "tiny"]);
    expect(result.stdout).toBe("running\n");
  });

  const failures: [string, string, new (...args: never[]) => Error][] = [
    ["an unreachable daemon", UNREACHABLE, LibvirtUnavailableError],
    ["a missing domain", NO_DOMAIN, NotFoundError],
    ["a missing network", NO_NETWORK, NotFoundError],
    ["any other failure", OTHER, ToolError],
  ];

  test.each(failures)("maps %s to its error class", async (_label, stderr, errorClass) => {
    const run = fakeRunner(() => ({ exitCode: 1, stderr }));
    const error = await virsh(connect(URI, run), ["start", "tiny"]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(errorClass);
  });

  test.each([
    [["domstate", "tiny"], "tiny"],
    [["qemu-monitor-command", "tiny", "--hmp", "info status"], "tiny"],
    [["attach-device", "tiny", "/tmp/nic.xml", "--live"], "tiny"],
    [["snapshot-list", "--domain", "tiny"], "tiny"],
  ])("names the domain that is missing, wherever %j has it", async (args, domain) => {
    const run = fakeRunner(() => ({ exitCode: 1, stderr: NO_DOMAIN }));
    const error = (await virsh(connect(URI, run), args).catch((e: unknown) => e)) as NotFoundError;
    expect(error.message).toBe(`Domain not found: "${domain}"`);
  });

  test("names the URI and a next step when libvirt is unreachable", async () => {
    const run = fakeRunner(() => ({ exitCode: 1, stderr: UNREACHABLE }));
    const error = (await virsh(connect(URI, run), ["list"]).catch((e: unknown) => e)) as LibvirtUnavailableError;
    expect(error.message).toContain(`"${URI}"`);
    expect(error.exitCode).toBe(9);
    expect(error.hint).toContain("--connect");
  });

  test("a ToolError carries virsh's argv and stderr", async () => {
    const run = fakeRunner(() => ({ exitCode: 1, stderr: OTHER }));
    const error = (await virsh(connect(URI, run), ["start", "tiny"]).catch((e: unknown) => e)) as ToolError;
    expect(error.argv).toEqual(["virsh", "-q", "-c", URI, "start", "tiny"]);
    expect(error.stderr).toBe(OTHER);
    expect(error.message).toEndWith("process exited while connecting to monitor");
  });

  test("returns a failed result when allowFailure is set", async () => {
    const run = fakeRunner(() => ({ exitCode: 1, stderr: NO_DOMAIN }));
    expect((await virsh(connect(URI, run), ["domstate", "nosuch"], true)).exitCode).toBe(1);
  });
});

describe("domainState", () => {
  test("returns the trimmed state", async () => {
    const run = fakeRunner(() => ({ stdout: "shut off\n\n" }));
    expect(await domainState(connect(URI, run), "tiny")).toBe("shut off");
  });

  test("returns null for a missing domain", async () => {
    const run = fakeRunner(() => ({ exitCode: 1, stderr: NO_DOMAIN }));
    expect(await domainState(connect(URI, run), "nosuch")).toBeNull();
  });

  test("throws LibvirtUnavailableError rather than reporting a missing domain", async () => {
    const run = fakeRunner(() => ({ exitCode: 1, stderr: UNREACHABLE }));
    await expect(domainState(connect(URI, run), "tiny")).rejects.toBeInstanceOf(LibvirtUnavailableError);
  });
});

describe("destroyDomain and undefineDomain", () => {
  test("destroying a domain that is not running is not an error", async () => {
    const run = fakeRunner(() => ({ exitCode: 1, stderr: NOT_RUNNING }));
    await destroyDomain(connect(URI, run), "tiny");
    expect(run.calls).toHaveLength(1);
  });

  test("any other destroy failure is an error", async () => {
    const run = fakeRunner(() => ({ exitCode: 1, stderr: OTHER }));
    await expect(destroyDomain(connect(URI, run), "tiny")).rejects.toBeInstanceOf(ToolError);
  });

  test("undefining a domain that is gone is not an error", async () => {
    const run = fakeRunner(() => ({ exitCode: 1, stderr: NO_DOMAIN }));
    await undefineDomain(connect(URI, run), "nosuch");
    // The UEFI variables, the TPM state and the snapshots' metadata go with the domain.
    expect(run.calls[0]!.argv.slice(-5)).toEqual(["undefine", "--nvram", "--tpm", "--snapshots-metadata", "nosuch"]);
  });

  test("any other undefine failure is an error", async () => {
    const run = fakeRunner(() => ({ exitCode: 1, stderr: OTHER }));
    await expect(undefineDomain(connect(URI, run), "tiny")).rejects.toBeInstanceOf(ToolError);
  });
});

describe("networkActive and networkLeases", () => {
  const netInfo = (active: string) =>
    `Name:           default\nUUID:           d7e22300-300a-4bb5-8b17-e0505da785d5\nActive:         ${active}\nPersistent:     yes\nAutostart:      no\nBridge:         virbr0\n\n`;

  test("networkActive reads the Active line of net-info", async () => {
    expect(await networkActive(connect(URI, fakeRunner(() => ({ stdout: netInfo("yes") }))), "default")).toBe(true);
    expect(await networkActive(connect(URI, fakeRunner(() => ({ stdout: netInfo("no") }))), "default")).toBe(false);
  });

  test("networkActive on a missing network is a NotFoundError", async () => {
    const run = fakeRunner(() => ({ exitCode: 1, stderr: NO_NETWORK }));
    await expect(networkActive(connect(URI, run), "nonet")).rejects.toBeInstanceOf(NotFoundError);
  });

  test("networkLeases parses net-dhcp-leases of the named network", async () => {
    const leases = await read("virsh-net-dhcp-leases.txt");
    const run = fakeRunner(() => ({ stdout: leases }));
    const result = await networkLeases(connect(URI, run), "tcnet");
    expect(run.calls[0]!.argv.slice(-2)).toEqual(["net-dhcp-leases", "tcnet"]);
    expect(result.get("52:54:00:aa:bb:cc")).toBe("192.168.250.10");
  });
});

// The real virsh against libvirt's built-in test driver: no daemon, one domain "test".
describe("virsh with the real tool", () => {
  const conn = connect("test:///default");

  test("listDomains reads the test driver's domain", async () => {
    requireTool("virsh", "libvirt-clients");
    expect(await listDomains(conn)).toEqual(new Map([["test", "running"]]));
  });

  test("domainState is null for a domain the driver does not have", async () => {
    expect(await domainState(conn, "testcloud-no-such-domain")).toBeNull();
  });

  test("an unknown URI is a LibvirtUnavailableError", async () => {
    const error = await listDomains(connect("qemu:///testcloud-nowhere")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LibvirtUnavailableError);
  });
});
