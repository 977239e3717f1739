import { describe, expect, test } from "bun:test";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { TestcloudError } from "../../lib/errors.ts";
import { parseMetaDataArgs, readUserInputs, type UserInputOptions } from "../../lib/guest/read-user-inputs.ts";
import { useTempDirs } from "../_helpers.ts";

const tempDir = useTempDirs();

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEHFuqvwTStnQyTwfeQ9UfDmKOwapln1fgy11XGSqzhY me@laptop";

async function file(name: string, data: string | Uint8Array): Promise<string> {
  const path = join(await tempDir(), name);
  await writeFile(path, data);
  return path;
}

async function failure(options: UserInputOptions): Promise<TestcloudError> {
  const error = await readUserInputs({ home: null, ...options }).then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(TestcloudError);
  return error as TestcloudError;
}

describe("readUserInputs", () => {
  test("reads nothing when nothing is given", async () => {
    expect(await readUserInputs({ home: null })).toEqual({ metaData: {}, sshKeys: [] });
  });

  test("reads every input together", async () => {
    const home = await tempDir();
    await mkdir(join(home, ".ssh"));
    await writeFile(join(home, ".ssh", "id_ed25519.pub"), KEY);
    const inputs = await readUserInputs({
      userDataFile: await file("ud", "#cloud-config\nruncmd: [touch /x]\n"),
      networkConfigFile: await file("nc", "version: 2\nethernets: {eth0: {dhcp4: true}}\n"),
      ignitionFile: await file("ig", '{"ignition": {"version": "3.4.0"}}'),
      metaData: ["region=lab"],
      home,
    });
    expect(inputs.userData).toMatchObject({ kind: "cloud-config", config: { runcmd: ["touch /x"] } });
    expect(inputs.networkConfig).toBe("version: 2\nethernets: {eth0: {dhcp4: true}}\n");
    expect(inputs.ignition).toBe('{"ignition": {"version": "3.4.0"}}');
    expect(inputs.metaData).toEqual({ region: "lab" });
    expect(inputs.sshKeys).toEqual([KEY]);
  });

  test.each([
    ["version 1", "version: 1\nconfig: []\n"],
    ["version 2", "version: 2\n"],
    ["version under network:", "network:\n  version: 2\n  ethernets: {}\n"],
    ["YAML 1.1 booleans, kept as written", "version: 2\nethernets:\n  eth0:\n    dhcp4: yes\n    dhcp6: off\n"],
  ])("accepts a network-config with %s verbatim", async (_label, text) => {
    expect((await readUserInputs({ home: null, networkConfigFile: await file("nc", text) })).networkConfig).toBe(text);
  });
});

describe("readUserInputs errors, before anything is created", () => {
  // [label, options maker, code, message part]
  const cases: [string, () => Promise<UserInputOptions>, string, string][] = [
    ["a missing user-data file", async () => ({ userDataFile: join(await tempDir(), "nope") }), "E_USER_DATA_NOT_FOUND", "User-data file not found: "],
    ["a user-data directory", async () => ({ userDataFile: await tempDir() }), "E_USER_DATA_NOT_FOUND", "Not a file: user-data "],
    ["malformed user-data YAML", async () => ({ userDataFile: await file("ud", "#cloud-config\na: [1\n") }), "E_USER_DATA_INVALID", "Invalid user-data: "],
    ["gzip user-data", async () => ({ userDataFile: await file("ud.gz", gzipSync("#cloud-config\n")) }), "E_USER_DATA_INVALID", "gzip-compressed"],
    ["binary user-data", async () => ({ userDataFile: await file("ud", new Uint8Array([0x23, 0x21, 0xff, 0xfe])) }), "E_USER_DATA_INVALID", "not UTF-8 text"],
    ["a missing network-config", async () => ({ networkConfigFile: "/nonexistent/nc" }), "E_NETWORK_CONFIG_NOT_FOUND", "Network-config file not found"],
    ["network-config without a version", async () => ({ networkConfigFile: await file("nc", "ethernets: {}\n") }), "E_NETWORK_CONFIG_INVALID", 'expected "version: 1" or "version: 2"'],
    ["network-config version 3", async () => ({ networkConfigFile: await file("nc", "version: 3\n") }), "E_NETWORK_CONFIG_INVALID", 'expected "version: 1"'],
    ["malformed network-config", async () => ({ networkConfigFile: await file("nc", "version: [2\n") }), "E_NETWORK_CONFIG_INVALID", "Invalid network-config: "],
    ["a network-config with a tab cloud-init's PyYAML refuses", async () => ({ networkConfigFile: await file("nc", "version: 2\nethernets:\t{}\n") }), "E_NETWORK_CONFIG_INVALID", ": line 2, column 11: a tab"],
    ["an Ignition config that is not JSON", async () => ({ ignitionFile: await file("ig", "variant: fcos\nversion: 1.5.0\n") }), "E_IGNITION_INVALID", "not JSON"],
    ["a missing --ssh-key", async () => ({ sshKeyFiles: ["/nonexistent/k.pub"] }), "E_SSH_KEY_NOT_FOUND", "SSH key file not found"],
    ["meta-data replacing the instance-id", async () => ({ metaData: ["instance-id=x"] }), "E_META_DATA_INVALID", '"instance-id" is set by testcloud'],
  ];

  test.each(cases)("rejects %s", async (_label, make, code, message) => {
    const options = await make();
    const error = await failure(options);
    expect(error.code).toBe(code);
    expect(error.message).toContain(message);
    const named = options.userDataFile ?? options.networkConfigFile ?? options.ignitionFile ?? options.sshKeyFiles?.[0];
    if (named) expect(error.message).toContain(named);
  });

  test("refuses a file over the 16 MiB seed limit without reading it", async () => {
    const path = join(await tempDir(), "big");
    await Bun.write(path, new Uint8Array(16 * 2 ** 20 + 1));
    const error = await failure({ userDataFile: path });
    expect([error.code, error.exitCode]).toEqual(["E_SEED_TOO_LARGE", 2]);
    expect(error.message).toContain(path);
  });

  test("refuses inputs that only together exceed the limit", async () => {
    const script = `#!/bin/sh\n${"#".repeat(9 * 2 ** 20)}\n`;
    const network = `version: 2\n${"#".repeat(7 * 2 ** 20)}\n`;
    const error = await failure({ userDataFile: await file("ud", script), networkConfigFile: await file("nc", network) });
    expect(error.code).toBe("E_SEED_TOO_LARGE");
    expect(error.message).toContain("together");
  });

  test("accepts inputs just under the limit", async () => {
    const script = `#!/bin/sh\n${"#".repeat(15 * 2 ** 20)}\n`;
    expect((await readUserInputs({ home: null, userDataFile: await file("ud", script) })).userData?.kind).toBe("passthrough");
  });
});

describe("parseMetaDataArgs", () => {
  test.each([
    [["a=b"], { a: "b" }],
    [["region=eu-west-1", "empty="], { region: "eu-west-1", empty: "" }],
    [["k=v=w"], { k: "v=w" }],
    [["k=1", "k=2"], { k: "2" }],
    [["public-keys.0=ssh-ed25519 AAAA"], { "public-keys.0": "ssh-ed25519 AAAA" }],
  ] as [string[], Record<string, string>][])("reads %p", (args, expected) => {
    expect(parseMetaDataArgs(args)).toEqual(expected);
  });

  test.each([["novalue"], ["=v"], ["bad key=v"], ["local-hostname=x"], ["instance-id=y"]])("rejects %p", (arg) => {
    let error: TestcloudError | undefined;
    try {
      parseMetaDataArgs([arg]);
    } catch (e) {
      error = e as TestcloudError;
    }
    expect(error?.code).toBe("E_META_DATA_INVALID");
    expect(error?.exitCode).toBe(2);
  });
});
