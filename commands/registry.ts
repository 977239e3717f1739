import type { CommandDef } from "citty";

/** Every verb, imported lazily so `testcloud list` loads only what list needs. */
export const commands = {
  create: () => import("./create.ts").then((m) => m.default as CommandDef),
  list: () => import("./list.ts").then((m) => m.default as CommandDef),
  ssh: () => import("./ssh.ts").then((m) => m.default as CommandDef),
  remove: () => import("./remove.ts").then((m) => m.default as CommandDef),
} satisfies Record<string, () => Promise<CommandDef>>;

export type CommandName = keyof typeof commands;
