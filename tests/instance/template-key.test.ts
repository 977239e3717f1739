import { describe, expect, test } from "bun:test";
import { templateKey, type TemplateInputs } from "../../lib/instance/template-key.ts";
import { testMachine } from "../_machine.ts";

function inputs(over: Partial<TemplateInputs> = {}): TemplateInputs {
  return { digest: "a".repeat(64), machine: testMachine(), user: "cloud-user", inputs: { metaData: {}, sshKeys: [] }, wait: "cloud-init", uri: "qemu:///system", forkHook: "#!/bin/sh\n", ...over };
}

describe("templateKey", () => {
  test("is the same for the same inputs, whatever MAC or port create gave the template", () => {
    const a = inputs();
    const b = inputs({ machine: testMachine() });
    b.machine.nics[0]!.mac = "52:54:00:12:34:56";
    expect(templateKey(a)).toBe(templateKey(b));
  });

  test("changes with the image digest, the machine, the provisioning inputs, the password and the fork hook", () => {
    const base = templateKey(inputs());
    const machine = testMachine();
    machine.memoryMiB += 1;
    for (const other of [
      inputs({ digest: "b".repeat(64) }),
      inputs({ machine }),
      inputs({ inputs: { metaData: {}, sshKeys: ["ssh-ed25519 AAAA x"] } }),
      inputs({ password: "secret" }),
      inputs({ user: "other" }),
      inputs({ forkHook: "#!/bin/sh\n# another testcloud's hook\n" }),
    ]) {
      expect(templateKey(other)).not.toBe(base);
    }
  });
});
