import type { Verb } from "../_action.ts";
import { defineGroup } from "../_group.ts";

/** The `template` group: booted, saved machines that `create --from` forks. */
export default defineGroup("template", "Manage templates: booted and saved machines that create --from forks in seconds", {
  create: () => import("./create.ts").then((m) => m.default as Verb),
  list: () => import("./list.ts").then((m) => m.default as Verb),
  remove: () => import("./remove.ts").then((m) => m.default as Verb),
});
