import type { Verb } from "../_action.ts";
import { defineGroup } from "../_group.ts";

/** The `image` group: one lazily loaded command per verb. */
export default defineGroup("image", "Manage the image cache: list, pull, remove, prune, and resolve distro shortcuts", {
  list: () => import("./list.ts").then((m) => m.default as Verb),
  pull: () => import("./pull.ts").then((m) => m.default as Verb),
  remove: () => import("./remove.ts").then((m) => m.default as Verb),
  prune: () => import("./prune.ts").then((m) => m.default as Verb),
  resolve: () => import("./resolve.ts").then((m) => m.default as Verb),
});
