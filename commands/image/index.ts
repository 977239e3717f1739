import { defineCommand, type CommandDef } from "citty";
import { UsageError } from "../../lib/errors.ts";
import { rejectUnknownFlags, wordsBeforeVerb } from "../../lib/cli/unknown-flags.ts";
import { globalArgs } from "../_action.ts";

const subCommands = {
  list: () => import("./list.ts").then((m) => m.default as CommandDef),
  pull: () => import("./pull.ts").then((m) => m.default as CommandDef),
  remove: () => import("./remove.ts").then((m) => m.default as CommandDef),
  prune: () => import("./prune.ts").then((m) => m.default as CommandDef),
  resolve: () => import("./resolve.ts").then((m) => m.default as CommandDef),
} satisfies Record<string, () => Promise<CommandDef>>;

/** The `image` group: one lazily loaded command per verb. */
export default defineCommand({
  meta: { name: "image", description: "Manage the image cache: list, pull, remove, prune, and resolve distro shortcuts" },
  args: { ...globalArgs },
  subCommands,
  // citty runs a group's own run after its subcommand, and without one it throws an
  // unstyled "No command specified"; this turns the bare `testcloud image` into a usage error.
  // Runs before the verb: flags before it are the group's own (the verb checks those after it).
  setup({ rawArgs }) {
    rejectUnknownFlags("image", globalArgs, wordsBeforeVerb(rawArgs, subCommands));
  },
  run({ rawArgs }) {
    if (rawArgs.some((arg) => Object.hasOwn(subCommands, arg))) return;
    throw new UsageError(`Missing image command: expected one of ${Object.keys(subCommands).join(", ")}`, {
      hint: "testcloud image --help",
    });
  },
});
