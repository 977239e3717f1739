// Bad input, table-wise, through the compiled binary: every row must fail with exactly
// one line of error, the documented exit code and error code, and leave the data dir and
// libvirt exactly as they were.
import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "../../lib/host/run.ts";
import { scratchDir } from "../_helpers.ts";
import { cli, dataDir, NETWORK, testImage, uniqueName, virsh } from "./_env.ts";

const scratch = scratchDir("tce2e-bad-");
const file = (name: string, text: string | Uint8Array) => {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
};
const files = {
  text: file("notes.txt", "just some text\n".repeat(100)),
  empty: file("empty.qcow2", ""),
  badYaml: file("bad.yaml", "#cloud-config\nusers: [\n"),
  badNet: file("net.yaml", "version: 7\n"),
  badKey: file("key.pub", "not a key\n"),
  badIgn: file("config.ign", "{ not json"),
  bigUserData: file("big.yaml", "#cloud-config\n# " + "x".repeat(17 * 2 ** 20) + "\n"),
  qcow2WithBacking: join(scratch, "overlay.qcow2"),
  qcow2WithDataFile: join(scratch, "data-file.qcow2"),
  vmdk: join(scratch, "disk.vmdk"),
};
const tiny = () => testImage("tiny");
/** An instance that exists and is shut off, for the verbs that need one in the wrong state. */
const stopped = uniqueName("stopped");
/** Shut-off instances whose machine cannot be snapshotted: UEFI, and an NVMe disk. */
const stoppedUefi = uniqueName("stopped-uefi");
const stoppedNvme = uniqueName("stopped-nvme");
/** A host port something listens on for the whole file. */
const busy = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
const busyPort = busy.port;

beforeAll(async () => {
  // Every tool create needs but swtpm.
  mkdirSync(join(scratch, "bin-without-swtpm"));
  for (const tool of ["virsh", "qemu-img", "ssh", "ssh-keygen"]) symlinkSync(Bun.which(tool)!, join(scratch, "bin-without-swtpm", tool));
  await run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", tiny(), files.qcow2WithBacking]);
  await run(["qemu-img", "create", "-q", "-f", "vmdk", files.vmdk, "1M"]);
  // The guest would read (and write) the host file this image names as its data file.
  const victim = join(scratch, "host-secret");
  await run(["qemu-img", "create", "-q", "-f", "qcow2", "-o", `data_file=${victim},data_file_raw=on`, files.qcow2WithDataFile, "1M"]);
  expect((await cli(["create", tiny(), "--name", stopped, "--network", NETWORK, "--ram", "256", "--no-wait"])).exitCode).toBe(0);
  expect((await cli(["stop", stopped])).exitCode).toBe(0);
  expect((await cli(["snapshot", "create", stopped, "s1"])).exitCode).toBe(0);
  for (const [name, ...flags] of [[stoppedUefi, "--firmware", "uefi"], [stoppedNvme, "--disk", "16M,bus=nvme"]]) {
    expect((await cli(["create", tiny(), "--name", name!, "--network", NETWORK, "--ram", "256", "--no-wait", ...flags])).exitCode).toBe(0);
    expect((await cli(["stop", name!])).exitCode).toBe(0);
  }
}, 120_000);

const VERBS_WITH_NAME = ["start", "stop", "shutdown", "reboot", "reset", "info", "ip", "ssh", "ssh-config", "console", "wait", "remove", "forward"];
const create = (...args: string[]) => () => ["create", tiny(), "--name", uniqueName("bad"), "--network", NETWORK, ...args];
const argv = (...args: string[]) => () => args;

// [what, argv, extra env, exit code, error code]
const cases: [string, () => string[], Record<string, string>, number, string][] = [
  // The command line itself
  ["an unknown verb", argv("frobnicate"), {}, 2, "E_USAGE"],
  ["an unknown flag before the verb", argv("--bogus", "list"), {}, 2, "E_USAGE"],
  ["an unknown flag after the verb", argv("list", "--bogus"), {}, 2, "E_USAGE"],
  ["an unknown short flag", argv("list", "-z"), {}, 2, "E_USAGE"],
  ["an extra word", argv("list", "extra"), {}, 2, "E_USAGE"],
  ["--connect without a value", argv("list", "--connect"), {}, 2, "E_USAGE"],
  ["an ext:// URI, which runs a program", argv("--connect", "qemu+ext:///system?command=/bin/true", "list"), {}, 2, "E_USAGE"],
  ["a netcat= URI parameter", argv("--connect", "qemu+ssh://h/system?netcat=/bin/true", "list"), {}, 2, "E_USAGE"],
  ["a command= URI parameter", argv("--connect", "qemu+unix:///system?command=/bin/true", "list"), {}, 2, "E_USAGE"],
  ["a non-qemu driver", argv("--connect", "xen:///system", "list"), {}, 2, "E_USAGE"],
  ["TESTCLOUD_CONNECT with the ext transport", argv("list"), { TESTCLOUD_CONNECT: "qemu+ext:///system" }, 2, "E_CONFIG"],
  ["a malformed TESTCLOUD_RAM", argv("list"), { TESTCLOUD_RAM: "lots" }, 2, "E_CONFIG"],
  ["a malformed TESTCLOUD_MIRRORS", argv("list"), { TESTCLOUD_MIRRORS: "{not json" }, 2, "E_CONFIG"],
  // create: names
  ["create without an image", argv("create"), {}, 2, "E_USAGE"],
  ["create --dryrun (a typo, not a dry run)", create("--dryrun"), {}, 2, "E_USAGE"],
  ["an all-digit name (a domain ID to virsh)", () => ["create", tiny(), "--name", "1"], {}, 2, "E_INVALID_NAME"],
  ["a UUID as name", () => ["create", tiny(), "--name", "0b0e7a52-4c3f-4a8e-9d52-5c4b1d1f2e3a"], {}, 2, "E_INVALID_NAME"],
  ["a name with a space", () => ["create", tiny(), "--name", "bad name"], {}, 2, "E_INVALID_NAME"],
  ["an uppercase name", () => ["create", tiny(), "--name", "Bad"], {}, 2, "E_INVALID_NAME"],
  ["a name with a dot", () => ["create", tiny(), "--name", "a.b"], {}, 2, "E_INVALID_NAME"],
  ["a name like a flag", () => ["create", tiny(), "--name", "-rf"], {}, 2, "E_INVALID_NAME"],
  ["an empty name", () => ["create", tiny(), "--name", ""], {}, 2, "E_INVALID_NAME"],
  ["a 64-character name", () => ["create", tiny(), "--name", "a".repeat(64)], {}, 2, "E_INVALID_NAME"],
  ["a name ending in a dash", () => ["create", tiny(), "--name", "bad-"], {}, 2, "E_INVALID_NAME"],
  ["a name with a slash", () => ["create", tiny(), "--name", "../etc"], {}, 2, "E_INVALID_NAME"],
  ["the name of an existing instance", () => ["create", tiny(), "--name", stopped, "--network", NETWORK], {}, 5, "E_EXISTS"],
  // create: sizes and settings
  ["--ram 0", create("--ram", "0"), {}, 2, "E_USAGE"],
  ["a negative --ram", create("--ram", "-5"), {}, 2, "E_USAGE"],
  ["--ram above the host's memory", create("--ram", "99999999"), {}, 2, "E_USAGE"],
  ["a word as --ram", create("--ram", "lots"), {}, 2, "E_USAGE"],
  ["--vcpus 0", create("--vcpus", "0"), {}, 2, "E_USAGE"],
  ["more --vcpus than the host has", create("--vcpus", "999"), {}, 2, "E_USAGE"],
  ["fractional --vcpus", create("--vcpus", "1.5"), {}, 2, "E_USAGE"],
  ["--timeout 0", create("--timeout", "0"), {}, 2, "E_USAGE"],
  ["a word as --timeout", create("--timeout", "soon"), {}, 2, "E_USAGE"],
  ["a negative --disk-size", create("--disk-size", "-1G"), {}, 2, "E_USAGE"],
  ["a --disk-size with an unknown unit", create("--disk-size", "10Q"), {}, 2, "E_USAGE"],
  ["a --disk-size above 1 PiB", create("--disk-size", "2P"), {}, 2, "E_USAGE"],
  ["a --disk-size smaller than the image", create("--disk-size", "1K"), {}, 6, "E_IMAGE"],
  ["an unknown --wait", create("--wait", "forever"), {}, 2, "E_USAGE"],
  ["an unknown --virt-type", create("--virt-type", "xen"), {}, 2, "E_USAGE"],
  ["a network name with bad characters", create("--network", "bad net!"), {}, 2, "E_USAGE"],
  ["a network that does not exist", create("--network", "no-such-net"), {}, 4, "E_NOT_FOUND"],
  ["an uppercase --user", create("--user", "Root"), {}, 2, "E_USAGE"],
  ["an unknown --arch", create("--arch", "sparc"), {}, 2, "E_USAGE"],
  ["another architecture's machine type with --arch", create("--arch", "aarch64", "--machine", "q35"), {}, 2, "E_UNSUPPORTED_ARCH"],
  ["a malformed --sha256", create("--sha256", "xyz"), {}, 2, "E_USAGE"],
  ["a --sha256 that does not match", create("--sha256", "0".repeat(64)), {}, 6, "E_CHECKSUM_MISMATCH"],
  ["--dry-run with a malformed --sha256", create("--dry-run", "--sha256", "xyz"), {}, 2, "E_USAGE"],
  ["--dry-run with KVM for another architecture", create("--dry-run", "--arch", "s390x", "--virt-type", "kvm"), {}, 2, "E_UNSUPPORTED_ARCH"],
  // create: the machine
  ["an extra disk of size 0", create("--disk", "0"), {}, 2, "E_USAGE"],
  ["an extra disk on an unknown bus", create("--disk", "1G,bus=ide"), {}, 2, "E_USAGE"],
  ["two extra disks with one serial", create("--disk", "1G,serial=a", "--disk", "2G,serial=a"), {}, 2, "E_USAGE"],
  ["a share with a relative directory", create("--share", "relative/dir:tag"), {}, 2, "E_USAGE"],
  ["a share whose directory does not exist", create("--share", "/nonexistent/dir:tag"), {}, 4, "E_SHARE_NOT_FOUND"],
  ["a share tag with a space", create("--share", "/tmp:has space"), {}, 2, "E_USAGE"],
  ["two shares with one tag", create("--share", "/tmp:t", "--share", "/var:t"), {}, 2, "E_USAGE"],
  ["an extra NIC on a network that does not exist", create("--nic", "no-such-net"), {}, 4, "E_NOT_FOUND"],
  ["a forward to a guest port above 65535", create("--network", "user", "--forward", "8080:70000"), {}, 2, "E_USAGE"],
  ["a forward to guest port 0", create("--network", "user", "--forward", "8080:0"), {}, 2, "E_USAGE"],
  ["a forward from a host address that is not local", create("--network", "user", "--forward", "198.51.100.7:8080:80"), {}, 2, "E_USAGE"],
  ["the same forward twice", create("--network", "user", "--forward", "18080:80", "--forward", "18080:81"), {}, 2, "E_USAGE"],
  ["a forward on a libvirt network", create("--forward", "8080:80"), {}, 2, "E_USAGE"],
  ["a forward from a host port in use", () => ["create", tiny(), "--name", uniqueName("bad"), "--network", "user", "--forward", `${busyPort}:80`], {}, 5, "E_PORT_IN_USE"],
  ["forward --add on a libvirt-network instance", () => ["forward", stopped, "--add", "0:80"], {}, 2, "E_USAGE"],
  ["forward --remove of no such forward", () => ["forward", stopped, "--remove", "1234:80"], {}, 2, "E_USAGE"],
  ["an unknown firmware", create("--firmware", "coreboot"), {}, 2, "E_USAGE"],
  ["Secure Boot on the pc machine type", create("--machine", "pc", "--firmware", "uefi-secure"), {}, 2, "E_USAGE"],
  ["an unknown machine type", create("--machine", "isapc"), {}, 2, "E_USAGE"],
  ["another architecture's machine type for this host's", create("--machine", "virt"), {}, 2, "E_UNSUPPORTED_ARCH"],
  ["a CPU model with shell characters", create("--cpu", "max;reboot"), {}, 2, "E_USAGE"],
  ["--tpm without swtpm on the PATH", create("--tpm"), { PATH: join(scratch, "bin-without-swtpm") }, 3, "E_MISSING_TOOL"],
  // create: images
  ["an image that does not exist", () => ["create", "/nonexistent/x.qcow2", "--network", NETWORK], {}, 4, "E_IMAGE_NOT_FOUND"],
  ["a directory as image", () => ["create", scratch, "--network", NETWORK], {}, 4, "E_IMAGE_NOT_FOUND"],
  ["a text file as image", () => ["create", files.text, "--network", NETWORK], {}, 6, "E_NOT_AN_IMAGE"],
  ["an empty file as image", () => ["create", files.empty, "--network", NETWORK], {}, 6, "E_NOT_AN_IMAGE"],
  ["a qcow2 with a backing file", () => ["create", files.qcow2WithBacking, "--network", NETWORK], {}, 6, "E_IMAGE_REFERENCES_FILE"],
  ["--dry-run of a qcow2 with a backing file", () => ["create", files.qcow2WithBacking, "--dry-run", "--network", NETWORK], {}, 6, "E_IMAGE_REFERENCES_FILE"],
  ["a qcow2 with an external data file (a host file)", () => ["create", files.qcow2WithDataFile, "--network", NETWORK], {}, 6, "E_IMAGE_REFERENCES_FILE"],
  ["--dry-run of a qcow2 with an external data file", () => ["create", files.qcow2WithDataFile, "--dry-run", "--network", NETWORK], {}, 6, "E_IMAGE_REFERENCES_FILE"],
  ["image pull of a qcow2 with an external data file", () => ["image", "pull", files.qcow2WithDataFile], {}, 6, "E_IMAGE_REFERENCES_FILE"],
  ["a plain-http URL of a host that is not local", () => ["create", "http://198.51.100.7/x.qcow2", "--network", NETWORK], {}, 6, "E_INSECURE_HTTP"],
  ["a vmdk image", () => ["create", files.vmdk, "--network", NETWORK], {}, 6, "E_IMAGE_FORMAT"],
  ["an ftp:// URL", () => ["create", "ftp://127.0.0.1/x.qcow2", "--network", NETWORK], {}, 2, "E_USAGE"],
  ["an unknown distro shortcut", () => ["create", "nosuchdistro:1", "--network", NETWORK], {}, 2, "E_UNKNOWN_IMAGE"],
  ["a shortcut not in the cache, offline", () => ["create", "fedora:41", "--offline", "--network", NETWORK], {}, 4, "E_NOT_CACHED"],
  // create: provisioning inputs
  ["--user-data that does not exist", create("--user-data", "/nonexistent.yaml"), {}, 4, "E_USER_DATA_NOT_FOUND"],
  ["--user-data that is not YAML", create("--user-data", files.badYaml), {}, 2, "E_USER_DATA_INVALID"],
  ["--user-data over the seed limit", create("--user-data", files.bigUserData), {}, 2, "E_SEED_TOO_LARGE"],
  ["--network-config that does not exist", create("--network-config", "/nonexistent.yaml"), {}, 4, "E_NETWORK_CONFIG_NOT_FOUND"],
  ["--network-config of an unknown version", create("--network-config", files.badNet), {}, 2, "E_NETWORK_CONFIG_INVALID"],
  ["--ssh-key that does not exist", create("--ssh-key", "/nonexistent.pub"), {}, 4, "E_SSH_KEY_NOT_FOUND"],
  ["--ssh-key that is not a key", create("--ssh-key", files.badKey), {}, 2, "E_SSH_KEY_INVALID"],
  ["--meta-data without =", create("--meta-data", "novalue"), {}, 2, "E_META_DATA_INVALID"],
  ["--ignition that does not exist", create("--ignition", "/nonexistent.ign"), {}, 4, "E_IGNITION_NOT_FOUND"],
  ["--ignition that is not JSON", create("--ignition", files.badIgn), {}, 2, "E_IGNITION_INVALID"],
  // verbs on instances that do not exist, or with bad names
  ...VERBS_WITH_NAME.map((verb): [string, () => string[], Record<string, string>, number, string] => [`${verb} of an unknown instance`, argv(verb, "no-such-instance"), {}, 4, "E_INSTANCE_NOT_FOUND"]),
  ...VERBS_WITH_NAME.map((verb): [string, () => string[], Record<string, string>, number, string] => [`${verb} of a domain ID`, argv(verb, "1"), {}, 2, "E_INVALID_NAME"]),
  ["start without a name", argv("start"), {}, 2, "E_USAGE"],
  // verbs on an instance in the wrong state, or with bad flags
  ["ssh to a stopped instance", () => ["ssh", stopped, "--", "true"], {}, 10, "E_NOT_RUNNING"],
  ["reset of a stopped instance", () => ["reset", stopped], {}, 10, "E_NOT_RUNNING"],
  ["wait for a stopped instance", () => ["wait", stopped, "--timeout", "5"], {}, 10, "E_NOT_RUNNING"],
  ["console --log --lines that is not a number", () => ["console", stopped, "--log", "--lines", "ten"], {}, 2, "E_USAGE"],
  ["console --log --lines 0", () => ["console", stopped, "--log", "--lines", "0"], {}, 2, "E_USAGE"],
  ["shutdown with a word as --timeout", () => ["shutdown", stopped, "--timeout", "soon"], {}, 2, "E_USAGE"],
  ["wait --for something unknown", () => ["wait", stopped, "--for", "godot"], {}, 2, "E_USAGE"],
  ["start --wait forever", () => ["start", stopped, "--wait", "forever"], {}, 2, "E_USAGE"],
  // cp and ssh's flags
  ["cp to a stopped instance", () => ["cp", files.text, `${stopped}:/tmp/`], {}, 10, "E_NOT_RUNNING"],
  ["cp from a stopped instance", () => ["cp", `${stopped}:/etc/hostname`, scratch], {}, 10, "E_NOT_RUNNING"],
  ["cp to an unknown instance", () => ["cp", files.text, "no-such-instance:/tmp/"], {}, 4, "E_INSTANCE_NOT_FOUND"],
  ["cp with an invalid instance name", () => ["cp", files.text, "Bad:/tmp/"], {}, 2, "E_INVALID_NAME"],
  ["cp with both sides in instances", () => ["cp", `${stopped}:/etc/hostname`, `${stopped}:/tmp/`], {}, 2, "E_USAGE"],
  ["cp with neither side in an instance", () => ["cp", files.text, join(scratch, "copy.txt")], {}, 2, "E_USAGE"],
  ["cp with host and instance sources mixed", () => ["cp", files.text, `${stopped}:/etc/hostname`, scratch], {}, 2, "E_USAGE"],
  ["cp with a source only", () => ["cp", files.text], {}, 2, "E_USAGE"],
  ["cp of a host file that does not exist", () => ["cp", "/nonexistent/file", `${stopped}:/tmp/`], {}, 4, "E_NOT_FOUND"],
  ["cp of a directory without -r", () => ["cp", scratch, `${stopped}:/tmp/`], {}, 2, "E_USAGE"],
  ["cp of a device", () => ["cp", "/dev/null", `${stopped}:/tmp/`], {}, 2, "E_USAGE"],
  ["cp with an unknown flag", () => ["cp", "--preserve", files.text, `${stopped}:/tmp/`], {}, 2, "E_USAGE"],
  ["ssh --env without =", () => ["ssh", stopped, "--env", "NOVALUE", "--", "true"], {}, 2, "E_USAGE"],
  ["ssh --env with a name that is not a variable name", () => ["ssh", stopped, "--env", "1X=y", "--", "true"], {}, 2, "E_USAGE"],
  ["ssh --workdir to a stopped instance", () => ["ssh", stopped, "--workdir", "/tmp", "--", "true"], {}, 10, "E_NOT_RUNNING"],
  // snapshots
  ["snapshot without a verb", argv("snapshot"), {}, 2, "E_USAGE"],
  ["an unknown snapshot verb", argv("snapshot", "frob"), {}, 2, "E_USAGE"],
  ["snapshot create without a snapshot name", () => ["snapshot", "create", stopped], {}, 2, "E_USAGE"],
  ["a snapshot name with a space", () => ["snapshot", "create", stopped, "bad name"], {}, 2, "E_INVALID_SNAPSHOT_NAME"],
  ["a snapshot name with a slash", () => ["snapshot", "create", stopped, "../s1"], {}, 2, "E_INVALID_SNAPSHOT_NAME"],
  ["a snapshot name starting with a dot", () => ["snapshot", "create", stopped, ".s1"], {}, 2, "E_INVALID_SNAPSHOT_NAME"],
  ["a 65-character snapshot name", () => ["snapshot", "create", stopped, "s".repeat(65)], {}, 2, "E_INVALID_SNAPSHOT_NAME"],
  ["a snapshot name with shell characters", () => ["snapshot", "create", stopped, "s1;reboot"], {}, 2, "E_INVALID_SNAPSHOT_NAME"],
  ["snapshot revert to a bad snapshot name", () => ["snapshot", "revert", stopped, "s 1"], {}, 2, "E_INVALID_SNAPSHOT_NAME"],
  ["snapshot remove of a bad snapshot name", () => ["snapshot", "remove", stopped, "s/1"], {}, 2, "E_INVALID_SNAPSHOT_NAME"],
  ["snapshot create of a name that exists", () => ["snapshot", "create", stopped, "s1"], {}, 5, "E_SNAPSHOT_EXISTS"],
  ["snapshot revert to a snapshot that does not exist", () => ["snapshot", "revert", stopped, "nope"], {}, 4, "E_SNAPSHOT_NOT_FOUND"],
  ["snapshot remove of a snapshot that does not exist", () => ["snapshot", "remove", stopped, "nope"], {}, 4, "E_SNAPSHOT_NOT_FOUND"],
  ["snapshot revert --wait forever", () => ["snapshot", "revert", stopped, "s1", "--wait", "forever"], {}, 2, "E_USAGE"],
  ["snapshot create of an unknown instance", argv("snapshot", "create", "no-such-instance", "s1"), {}, 4, "E_INSTANCE_NOT_FOUND"],
  ["snapshot list of an unknown instance", argv("snapshot", "list", "no-such-instance"), {}, 4, "E_INSTANCE_NOT_FOUND"],
  ["snapshot revert of an unknown instance", argv("snapshot", "revert", "no-such-instance", "s1"), {}, 4, "E_INSTANCE_NOT_FOUND"],
  ["snapshot remove of an unknown instance", argv("snapshot", "remove", "no-such-instance", "s1"), {}, 4, "E_INSTANCE_NOT_FOUND"],
  ["snapshot list of a domain ID", argv("snapshot", "list", "1"), {}, 2, "E_INVALID_NAME"],
  ["snapshot create of a UEFI instance (raw pflash NVRAM)", () => ["snapshot", "create", stoppedUefi, "s1"], {}, 10, "E_SNAPSHOT_UNSUPPORTED"],
  ["snapshot create of an instance with an NVMe disk", () => ["snapshot", "create", stoppedNvme, "s1"], {}, 10, "E_SNAPSHOT_UNSUPPORTED"],
  // the image cache
  ["image without a verb", argv("image"), {}, 2, "E_USAGE"],
  ["an unknown image verb", argv("image", "frob"), {}, 2, "E_USAGE"],
  ["image pull without a reference", argv("image", "pull"), {}, 2, "E_USAGE"],
  ["image pull of a missing file", argv("image", "pull", "/nonexistent.qcow2"), {}, 4, "E_IMAGE_NOT_FOUND"],
  ["image pull of a text file", () => ["image", "pull", files.text], {}, 6, "E_NOT_AN_IMAGE"],
  ["image pull with a malformed --sha256", () => ["image", "pull", tiny(), "--sha256", "xyz"], {}, 2, "E_USAGE"],
  ["image pull --offline of a shortcut not cached", argv("image", "pull", "debian:12", "--offline"), {}, 4, "E_NOT_CACHED"],
  ["image remove of an unknown digest", argv("image", "remove", "0".repeat(64)), {}, 4, "E_NOT_CACHED"],
  ["image prune with a bad --older-than", argv("image", "prune", "--older-than", "soon"), {}, 2, "E_USAGE"],
  ["image prune with a bad --max-size", argv("image", "prune", "--max-size", "big"), {}, 2, "E_USAGE"],
  ["image resolve of an unknown distro", argv("image", "resolve", "nosuchdistro:1"), {}, 2, "E_UNKNOWN_IMAGE"],
  ["image resolve for an unknown --arch", argv("image", "resolve", "fedora:41", "--arch", "sparc", "--offline"), {}, 2, "E_USAGE"],
  ["config with an unknown flag", argv("config", "--bogus"), {}, 2, "E_USAGE"],
  ["clean with an extra word", argv("clean", "everything"), {}, 2, "E_USAGE"],
];

/** What a failed command must leave as it found it: the data dir's files and libvirt's domains. */
async function snapshot(): Promise<string> {
  const tree = (dir: string): string[] =>
    existsSync(dir)
      ? readdirSync(dir, { recursive: true, encoding: "utf8" })
          .filter((f) => !f.endsWith("index.sqlite-wal") && !f.endsWith("index.sqlite-shm") && !f.startsWith("locks"))
          .map((f) => `${f} ${statSync(join(dir, f)).isFile() ? statSync(join(dir, f)).size : "dir"}`)
          .sort()
      : [];
  // Other test runs may make domains meanwhile: only this file's names count.
  const ours = (await virsh("list", "--all", "--name")).stdout.split("\n").filter((n) => n.startsWith("tce2e-bad-") || [stopped, stoppedUefi, stoppedNvme].includes(n));
  return JSON.stringify({ files: tree(dataDir), domains: ours });
}

describe("bad input through dist/testcloud", () => {
  test("the table has at least 80 rows", () => {
    expect(cases.length).toBeGreaterThanOrEqual(80);
  });

  test.each(cases)("%s → one line, documented exit code and error code, nothing left", async (_what, args, env, exitCode, code) => {
    const before = await snapshot();
    // --json goes before a "--": what follows it is the remote command's.
    const words = args();
    const dashes = words.includes("--") ? words.indexOf("--") : words.length;
    const result = await cli([...words.slice(0, dashes), "--json", ...words.slice(dashes)], env);
    expect({ exitCode: result.exitCode, code: result.json?.error?.code }).toEqual({ exitCode, code });
    expect(result.json.error.exitCode).toBe(exitCode);
    expect(result.json.error.message).not.toContain("\n");
    expect(await snapshot()).toBe(before);
    // Without --json: one "error:" line on stderr, nothing on stdout.
    const human = await cli(args(), env);
    expect(human.exitCode).toBe(exitCode);
    expect(human.stdout).toBe("");
    expect(human.stderr.split("\n").filter((l) => l.startsWith("error: "))).toHaveLength(1);
  }, 30_000);
});
