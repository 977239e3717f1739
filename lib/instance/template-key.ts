import { createHash } from "node:crypto";
import type { UserInputs } from "../guest/read-user-inputs.ts";
import type { Machine } from "../machine/machine.ts";

/** What a template is made from; two templates made from the same are interchangeable. */
export interface TemplateInputs {
  /** The image's sha256: an image that changed upstream makes another template. */
  digest: string;
  /** The machine as the settings describe it, before create gives it MACs and ports. */
  machine: Machine;
  user: string;
  inputs: UserInputs;
  password?: string;
  wait: "ssh" | "cloud-init";
  uri: string;
  /** What the template's seed installs to fork it (the hook, its udev rule and unit): a testcloud with another hook makes another template. */
  forkHook: string;
}

/** sha256 (hex) of a template's inputs, in a canonical JSON form (keys sorted at every depth). */
export function templateKey(inputs: TemplateInputs): string {
  const { password, machine, forkHook, ...rest } = inputs;
  const canonical = {
    ...rest,
    // Given at create, different for every template: not what the template is made from.
    machine: { ...machine, nics: machine.nics.map(({ network }) => ({ network })) },
    // The password counts, as its hash: the plain text is kept nowhere.
    password: password === undefined ? null : createHash("sha256").update(password).digest("hex"),
    forkHook: createHash("sha256").update(forkHook).digest("hex"),
  };
  return createHash("sha256").update(stableJson(canonical)).digest("hex");
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}
