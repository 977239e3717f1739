import { logger } from "../lib/cli/logger.ts";
import { type CreateResult } from "../lib/instance/create-instance.ts";
import { createOrFork } from "../lib/instance/create-or-fork.ts";
import { planInstance, type CreatePlan } from "../lib/instance/plan-instance.ts";
import { UsageError } from "../lib/errors.ts";
import { defineAction } from "./_action.ts";
import { createOptions, provisioningArgs } from "./_create-args.ts";
import { formatInstance } from "./_format.ts";

export default defineAction({
  meta: { name: "create", description: "Create an instance from an image (or fork one from a template) and wait until ssh works" },
  args: {
    image: { type: "positional", description: "Image: a path, file:// or http(s):// URL, or a distro shortcut such as fedora:41 (none with --from)", required: false },
    name: { type: "string", alias: "n", description: "Instance name (default: a random readable name)" },
    from: { type: "string", description: "Fork the instance from this template (see testcloud template create): ready in seconds", valueHint: "TEMPLATE" },
    "or-boot": { type: "boolean", description: "With --from: boot the template's image instead when the fork fails" },
    wait: { type: "string", description: "Ready means: ssh (default) or cloud-init; --no-wait returns once started", valueHint: "ssh|cloud-init" },
    keep: { type: "boolean", description: "Keep a failed instance for inspection instead of removing it" },
    "dry-run": { type: "boolean", description: "Check everything and show what would be made; make nothing" },
    ...provisioningArgs,
  },
  async run(args, globals, rawArgs): Promise<CreateResult | CreatePlan> {
    if (args.from === undefined && !args.image) throw new UsageError("Missing image: create needs an IMAGE or --from TEMPLATE", { hint: "testcloud create fedora:41" });
    if (args.from !== undefined && args.image) throw new UsageError("Give an IMAGE or --from TEMPLATE, not both", { hint: `testcloud create --from ${args.from}` });
    if (args["or-boot"] && args.from === undefined) throw new UsageError("--or-boot goes with --from TEMPLATE");
    const options = await createOptions({ ...args, image: args.image ?? "" }, globals, rawArgs);
    if (args["dry-run"]) return planInstance(options);
    if (!globals.json) logger.start(args.from === undefined ? `Creating instance from ${args.image}` : `Forking instance from template ${args.from}`);
    return createOrFork(options, { from: args.from, orBoot: args["or-boot"], network: rawArgs.includes("--network") || rawArgs.some((a) => a.startsWith("--network=")) });
  },
  human: (result) => ("dryRun" in result ? formatPlan(result) : formatInstance(result)),
});

function formatPlan(plan: CreatePlan): string {
  return [`# dry run: nothing was created`, `# ${plan.paths.domainXml}`, plan.domainXml, `# user-data`, plan.userData, `# meta-data`, plan.metaData].join("\n");
}
