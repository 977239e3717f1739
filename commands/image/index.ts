import { defineCommand, type CommandDef } from "citty";
import { UsageError } from "../../lib/errors.ts";
import { globalArgs } from "../_action.ts";

const subCommands = {
  resolve: () => import("./resolve.ts").then((m) => m.default as CommandDef),
} satisfies Record<string, () => Promise<CommandDef>>;

/** The `image` group: one lazily loaded command per verb. */
export default defineCommand({
  meta: { name: "image", description: "Resolve distro image shortcuts (list, pull, remove and prune to come)" },
  args: { ...globalArgs },
  subCommands,
  // citty runs a group's own run after its subcommand, and without one it throws an
  // unstyled "No command specified"; this turns the bare `testcloud image` into a usage error.
  run({ rawArgs }) {
    if (rawArgs.some((arg) => Object.hasOwn(subCommands, arg))) return;
    throw new UsageError("Missing image command", { hint: `testcloud image ${Object.keys(subCommands).join("|")} --help` });
  },
});
