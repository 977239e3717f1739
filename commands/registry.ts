import type { Verb } from "./_action.ts";

/** Every verb, imported lazily so `testcloud list` loads only what list needs. */
export const commands = {
  create: () => import("./create.ts").then((m) => m.default as Verb),
  list: () => import("./list.ts").then((m) => m.default as Verb),
  info: () => import("./info.ts").then((m) => m.default as Verb),
  ip: () => import("./ip.ts").then((m) => m.default as Verb),
  ssh: () => import("./ssh.ts").then((m) => m.default as Verb),
  cp: () => import("./cp.ts").then((m) => m.default as Verb),
  "ssh-config": () => import("./ssh-config.ts").then((m) => m.default as Verb),
  forward: () => import("./forward.ts").then((m) => m.default as Verb),
  console: () => import("./console.ts").then((m) => m.default as Verb),
  wait: () => import("./wait.ts").then((m) => m.default as Verb),
  start: () => import("./start.ts").then((m) => m.default as Verb),
  stop: () => import("./stop.ts").then((m) => m.default as Verb),
  shutdown: () => import("./shutdown.ts").then((m) => m.default as Verb),
  reboot: () => import("./reboot.ts").then((m) => m.default as Verb),
  reset: () => import("./reset.ts").then((m) => m.default as Verb),
  remove: () => import("./remove.ts").then((m) => m.default as Verb),
  clean: () => import("./clean.ts").then((m) => m.default as Verb),
  snapshot: () => import("./snapshot/index.ts").then((m) => m.default as Verb),
  template: () => import("./template/index.ts").then((m) => m.default as Verb),
  image: () => import("./image/index.ts").then((m) => m.default as Verb),
  config: () => import("./config.ts").then((m) => m.default as Verb),
  completion: () => import("./completion.ts").then((m) => m.default as Verb),
  // Hidden: what the completion scripts ask for instance names, images and networks.
  __complete: () => import("./__complete.ts").then((m) => m.default as Verb),
} satisfies Record<string, () => Promise<Verb>>;

export type CommandName = keyof typeof commands;

/** Other names of verbs: scripts written for the Python testcloud say destroy and force-off. */
export const aliases = { destroy: "remove", "force-off": "stop" } as const satisfies Record<string, CommandName>;
