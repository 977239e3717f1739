import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { TestcloudError } from "../../lib/errors.ts";
import { buildSeedFiles, type SeedInstance } from "../../lib/guest/build-seed-files.ts";
import { parseUserData } from "../../lib/guest/parse-user-data.ts";
import type { UserInputs } from "../../lib/guest/read-user-inputs.ts";
import { writeSeed } from "../../lib/guest/write-seed.ts";
import { run } from "../../lib/host/run.ts";
import { requireTool, useTempDirs } from "../_helpers.ts";
import { pyyamlLoad } from "./_pyyaml.ts";

const tempDir = useTempDirs();

const INSTANCE: SeedInstance = {
  name: "tiny",
  user: "cloud-user",
  instanceKey: "ssh-ed25519 AAAAOURS testcloud-tiny\n",
  hostKey: { privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n", publicKey: "ssh-ed25519 AAAAHOST root@tiny" },
  instanceId: "iid-fixed",
};
const EXTRA = "ssh-rsa AAAAEXTRA me@laptop";
const NONE: UserInputs = { metaData: {}, sshKeys: [] };

type Doc = { users: { name: string; ssh_authorized_keys: string[]; lock_passwd: boolean; passwd?: string }[]; runcmd?: unknown; ssh_keys: Record<string, string> };
const yaml = (text: string | undefined) => Bun.YAML.parse(text ?? "") as Doc;

describe("buildSeedFiles", () => {
  test("without user inputs: our cloud-config, meta-data, nothing else", () => {
    const seed = buildSeedFiles(NONE, INSTANCE);
    expect(Object.keys(seed).sort()).toEqual(["metaData", "userData", "warnings"]);
    expect(seed.userData.startsWith("#cloud-config\n")).toBe(true);
    expect(yaml(seed.userData).users[0]!.ssh_authorized_keys).toEqual(["ssh-ed25519 AAAAOURS testcloud-tiny"]);
    expect(Bun.YAML.parse(seed.metaData)).toEqual({ "instance-id": "iid-fixed", "local-hostname": "tiny" });
  });

  test("adds --ssh-key and ~/.ssh keys after the instance's own", () => {
    const seed = buildSeedFiles({ ...NONE, sshKeys: [EXTRA] }, INSTANCE);
    expect(yaml(seed.userData).users[0]!.ssh_authorized_keys).toEqual(["ssh-ed25519 AAAAOURS testcloud-tiny", EXTRA]);
  });

  test("merges a #cloud-config into user-data and sends no vendor-data", () => {
    const userData = parseUserData("#cloud-config\nruncmd: [touch /marker]\nusers: [default]\n", "/u");
    const seed = buildSeedFiles({ ...NONE, userData }, INSTANCE);
    const doc = yaml(seed.userData);
    expect(doc.runcmd).toEqual(["touch /marker"]);
    expect(doc.users.map((u) => (typeof u === "string" ? u : u.name))).toEqual(["cloud-user", "default"]);
    expect(seed.vendorData).toBeUndefined();
  });

  test("passes a script through verbatim and moves our config to vendor-data", () => {
    const script = "#!/bin/sh\necho hi > /marker\n";
    const seed = buildSeedFiles({ ...NONE, userData: parseUserData(script, "/u"), sshKeys: [EXTRA] }, INSTANCE);
    expect(seed.userData).toBe(script);
    const vendor = yaml(seed.vendorData);
    expect(seed.vendorData!.startsWith("#cloud-config\n")).toBe(true);
    expect(vendor.users[0]!.ssh_authorized_keys).toEqual(["ssh-ed25519 AAAAOURS testcloud-tiny", EXTRA]);
    expect(vendor.ssh_keys.ed25519_public).toBe("ssh-ed25519 AAAAHOST root@tiny");
  });

  test("carries the network-config verbatim and the extra meta-data", () => {
    const seed = buildSeedFiles({ ...NONE, networkConfig: "version: 2\n# mine\n", metaData: { region: "lab" } }, INSTANCE);
    expect(seed.networkConfig).toBe("version: 2\n# mine\n");
    expect(Bun.YAML.parse(seed.metaData)).toMatchObject({ region: "lab", "instance-id": "iid-fixed" });
  });

  test("hashes a password with SHA-512 crypt and never writes it in clear", () => {
    const seed = buildSeedFiles(NONE, { ...INSTANCE, password: "s3cret-Pass" });
    const user = yaml(seed.userData).users[0]!;
    expect(user.lock_passwd).toBe(false);
    expect(user.passwd).toMatch(/^\$6\$rounds=100000\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
    expect(seed.userData).not.toContain("s3cret-Pass");
  });

  test("gives each instance a fresh instance-id unless one is given", () => {
    const { instanceId: _, ...fresh } = INSTANCE;
    const ids = [buildSeedFiles(NONE, fresh), buildSeedFiles(NONE, fresh)].map((s) => (Bun.YAML.parse(s.metaData) as Record<string, string>)["instance-id"]);
    expect(ids[0]).toMatch(/^iid-[0-9a-f-]{36}$/);
    expect(ids[0]).not.toBe(ids[1]);
  });

  test("passes on the merge's warnings", () => {
    const userData = parseUserData("#cloud-config\nusers: [{name: cloud-user, inactive: '0'}]\n", "/u");
    expect(buildSeedFiles({ ...NONE, userData }, INSTANCE).warnings).toHaveLength(1);
  });

  test("refuses a seed over 16 MiB in total", () => {
    const big = `#!/bin/sh\n${"#".repeat(10 * 2 ** 20)}\n`;
    let error: TestcloudError | undefined;
    try {
      buildSeedFiles({ ...NONE, userData: parseUserData(big, "/u"), networkConfig: `version: 2\n${"#".repeat(7 * 2 ** 20)}` }, INSTANCE);
    } catch (e) {
      error = e as TestcloudError;
    }
    expect(error?.code).toBe("E_SEED_TOO_LARGE");
  });
});

// YAML 1.1 (PyYAML, cloud-init's reader) breaks lines at NEL, LS and PS; Bun's YAML 1.2 does not.
// Written raw, such a character ends a scalar and the text after it becomes a key of its own.
describe("buildSeedFiles against line breaks only YAML 1.1 sees, read by PyYAML", () => {
  const BREAKS: [string, string][] = [["LINE SEPARATOR", "\u2028"], ["PARAGRAPH SEPARATOR", "\u2029"], ["NEL", "\u0085"]];
  const attacks = BREAKS.map(([label, c]) => {
    const meta = { note: `x${c}instance-id: evil${c}local-hostname: evil`, script: `line\nx${c}instance-id: evil\n` };
    const text = `#cloud-config\nruncmd:\n  - |\n    echo hi\n    echo x${c}users: []${c}ssh_keys: {}\n`;
    const userData = buildSeedFiles({ ...NONE, userData: parseUserData(text, "/u"), sshKeys: [EXTRA] }, INSTANCE).userData;
    return { label, c, meta, metaData: buildSeedFiles({ ...NONE, metaData: meta }, INSTANCE).metaData, userData };
  });
  // One python3 run for every document: it takes most of a second to start on a busy host.
  const read = pyyamlLoad(attacks.flatMap((a) => [a.metaData, a.userData])).map((result, i) => {
    if (!("value" in result)) throw new Error(`PyYAML failed on document ${i}: ${result.error}`);
    return result.value as Doc & Record<string, unknown>;
  });

  test.each(attacks.map((a, i) => [a.label, i] as const))("a meta-data value with %s then instance-id: evil changes neither instance-id nor hostname", (_label, i) => {
    expect(read[2 * i] as unknown).toEqual({ "instance-id": "iid-fixed", "local-hostname": "tiny", ...attacks[i]!.meta });
  });

  test.each(attacks.map((a, i) => [a.label, i] as const))("a #cloud-config string with %s then users: [] keeps our user, keys and host key", (_label, i) => {
    const doc = read[2 * i + 1]!;
    const { c, userData } = attacks[i]!;
    expect(doc.users[0]).toMatchObject({ name: "cloud-user", ssh_authorized_keys: ["ssh-ed25519 AAAAOURS testcloud-tiny", EXTRA] });
    expect(doc.ssh_keys.ed25519_public).toBe("ssh-ed25519 AAAAHOST root@tiny");
    expect(doc.runcmd).toEqual([`echo hi\necho x${c}users: []${c}ssh_keys: {}\n`]);
    expect(Object.keys(doc).sort()).toEqual(Object.keys(yaml(userData)).sort());
  });
});

describe("buildSeedFiles written as a NoCloud seed", () => {
  test("puts user-data, vendor-data, meta-data and network-config on the ISO exactly", async () => {
    const isoinfo = requireTool("isoinfo", "genisoimage");
    const seed = buildSeedFiles(
      { ...NONE, userData: parseUserData("#!/bin/sh\necho hi\n", "/u"), networkConfig: "version: 2\n" },
      INSTANCE,
    );
    const path = join(await tempDir(), "seed.iso");
    await writeSeed(path, seed);
    const files: [string, string | undefined][] = [
      ["user-data", seed.userData],
      ["vendor-data", seed.vendorData],
      ["meta-data", seed.metaData],
      ["network-config", seed.networkConfig],
    ];
    for (const [name, text] of files) {
      const { stdout } = await run([isoinfo, "-J", "-x", `/${name}`, "-i", path]);
      expect(`${name}: ${stdout}`).toBe(`${name}: ${text}`);
    }
  });
});
