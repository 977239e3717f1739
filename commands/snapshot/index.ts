import type { Verb } from "../_action.ts";
import { defineGroup } from "../_group.ts";

/** The `snapshot` group: one lazily loaded command per verb. */
export default defineGroup("snapshot", "Save an instance's disks (and a running one's memory) and go back to them: create, list, revert, remove", {
  create: () => import("./create.ts").then((m) => m.default as Verb),
  list: () => import("./list.ts").then((m) => m.default as Verb),
  revert: () => import("./revert.ts").then((m) => m.default as Verb),
  remove: () => import("./remove.ts").then((m) => m.default as Verb),
});
