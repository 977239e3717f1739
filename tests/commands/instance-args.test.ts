/**
 * How start, reboot, reset and shutdown read their waits: each flag over its setting
 * (timeout, wait, sshConnectTimeout, shutdownTimeout) from the config main() loaded.
 */
import { describe, expect, test } from "bun:test";
import { powerWait, shutdownSeconds } from "../../commands/_instance-args.ts";
import { UsageError } from "../../lib/errors.ts";
import type { Globals } from "../../lib/cli/globals.ts";
import { loadConfig } from "../../lib/host/config.ts";

async function globals(env: Record<string, string>): Promise<Globals> {
  const config = await loadConfig({ files: [], env, uid: 1000 });
  const signal = new AbortController().signal;
  return { json: true, verbose: false, uri: "test:///default", dataDir: "/nonexistent", imageDir: "/nonexistent/images", config, signal };
}

describe("powerWait", () => {
  test("without flags waits as the timeout, wait and sshConnectTimeout settings say", async () => {
    const g = await globals({ TESTCLOUD_TIMEOUT: "42", TESTCLOUD_WAIT: "cloud-init", TESTCLOUD_SSH_CONNECT_TIMEOUT: "9" });
    expect(await powerWait({}, g)).toEqual({ for: "cloud-init", timeoutS: 42, defaultTimeout: false, sshConnectTimeoutS: 9, signal: g.signal });
  });

  test("without flags or settings waits the default 300 s for ssh (longer for another architecture), each login attempt connecting for 3 s", async () => {
    expect(await powerWait({}, await globals({}))).toMatchObject({ for: "ssh", timeoutS: 300, defaultTimeout: true, sshConnectTimeoutS: 3 });
  });

  test("--timeout and --wait beat the settings, and a --timeout is not the default", async () => {
    const g = await globals({ TESTCLOUD_TIMEOUT: "42", TESTCLOUD_WAIT: "cloud-init" });
    expect(await powerWait({ timeout: "7", wait: "ssh" }, g)).toMatchObject({ for: "ssh", timeoutS: 7, defaultTimeout: false });
  });

  test("--no-wait does not wait, whatever the wait setting", async () => {
    const g = await globals({ TESTCLOUD_WAIT: "cloud-init" });
    expect((await powerWait({ wait: false }, g)).for).toBe("none");
  });

  test("a --timeout that is no whole number of seconds is a usage error naming the flag", async () => {
    const error = await powerWait({ timeout: "soon" }, await globals({})).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toStartWith('Invalid --timeout: "soon"');
  });
});

describe("shutdownSeconds", () => {
  test("is the shutdownTimeout setting without --timeout, 120 s without either", async () => {
    expect(await shutdownSeconds(undefined, await globals({ TESTCLOUD_SHUTDOWN_TIMEOUT: "17" }))).toBe(17);
    expect(await shutdownSeconds(undefined, await globals({}))).toBe(120);
  });

  test("--timeout beats the setting, and a bad one is named as --timeout", async () => {
    const g = await globals({ TESTCLOUD_SHUTDOWN_TIMEOUT: "17" });
    expect(await shutdownSeconds("5", g)).toBe(5);
    await expect(shutdownSeconds("0", g)).rejects.toThrow('Invalid --timeout: "0"');
  });
});
