import type { CommandDef } from "citty";

/** Every verb, imported lazily so `testcloud list` loads only what list needs. */
export const commands = {
  create: () => import("./create.ts").then((m) => m.default as CommandDef),
  list: () => import("./list.ts").then((m) => m.default as CommandDef),
  info: () => import("./info.ts").then((m) => m.default as CommandDef),
  ip: () => import("./ip.ts").then((m) => m.default as CommandDef),
  ssh: () => import("./ssh.ts").then((m) => m.default as CommandDef),
  cp: () => import("./cp.ts").then((m) => m.default as CommandDef),
  "ssh-config": () => import("./ssh-config.ts").then((m) => m.default as CommandDef),
  forward: () => import("./forward.ts").then((m) => m.default as CommandDef),
  console: () => import("./console.ts").then((m) => m.default as CommandDef),
  wait: () => import("./wait.ts").then((m) => m.default as CommandDef),
  start: () => import("./start.ts").then((m) => m.default as CommandDef),
  stop: () => import("./stop.ts").then((m) => m.default as CommandDef),
  shutdown: () => import("./shutdown.ts").then((m) => m.default as CommandDef),
  reboot: () => import("./reboot.ts").then((m) => m.default as CommandDef),
  reset: () => import("./reset.ts").then((m) => m.default as CommandDef),
  remove: () => import("./remove.ts").then((m) => m.default as CommandDef),
  clean: () => import("./clean.ts").then((m) => m.default as CommandDef),
  snapshot: () => import("./snapshot/index.ts").then((m) => m.default as CommandDef),
  template: () => import("./template/index.ts").then((m) => m.default as CommandDef),
  image: () => import("./image/index.ts").then((m) => m.default as CommandDef),
  config: () => import("./config.ts").then((m) => m.default as CommandDef),
  completion: () => import("./completion.ts").then((m) => m.default as CommandDef),
  // Hidden: what the completion scripts ask for instance names, images and networks.
  __complete: () => import("./__complete.ts").then((m) => m.default as CommandDef),
} satisfies Record<string, () => Promise<CommandDef>>;

export type CommandName = keyof typeof commands;

/** Other names of verbs: scripts written for the Python testcloud say destroy and force-off. */
export const aliases = { destroy: "remove", "force-off": "stop" } as const satisfies Record<string, CommandName>;
