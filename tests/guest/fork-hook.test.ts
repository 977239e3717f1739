import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FORK_NETWORK_UP, forkHookConfig } from "../../lib/guest/fork-hook.ts";

const HOOK = readFileSync(join(import.meta.dir, "../../lib/guest/fork-hook.sh"), "utf8");

describe("the fork hook", () => {
  test("says FORK_NETWORK_UP on the console once the network is up: create --from waits for that line", () => {
    const prefix = /echo "(TESTCLOUD-FORK: )\$\* \[/.exec(HOOK)?.[1];
    const message = /log "(network on) \$nic"/.exec(HOOK)?.[1];
    expect(`${prefix}${message}`).toBe(FORK_NETWORK_UP);
  });

  test("is installed by the template's seed with what runs it", () => {
    const config = forkHookConfig();
    expect(JSON.stringify(config.write_files)).toContain('"path":"/usr/local/sbin/testcloud-fork"');
    expect(JSON.stringify(config.runcmd)).toContain("modprobe qemu_fw_cfg");
  });
});
