import { UsageError } from "../lib/errors.ts";
import type { DynamicSource } from "../lib/cli/_command-spec.ts";
import { completeValues } from "../lib/instance/complete-values.ts";
import { connect } from "../lib/libvirt/virsh.ts";
import { defineAction, globalArgs } from "./_action.ts";

const SOURCES: DynamicSource[] = ["instances", "images", "cached", "networks", "hosts", "templates"];

// Hidden: the completion scripts (testcloud completion SHELL) call it for what only testcloud knows.
export default defineAction({
  meta: { name: "__complete", description: "List values for shell completion: instances, images, cached, networks, hosts or templates", hidden: true },
  args: {
    source: { type: "positional", description: "What to list: instances, images, cached, networks, hosts or templates", required: true },
    ...globalArgs,
  },
  run(args, globals) {
    if (!(SOURCES as string[]).includes(args.source)) {
      throw new UsageError(`Unknown completion source: "${args.source}": expected one of ${SOURCES.join(", ")}`);
    }
    const hosts = Object.keys(globals.config?.settings.hosts ?? {});
    const options = { dataDir: globals.dataDir, imageDir: globals.imageDir, conn: connect(globals.uri), hosts };
    return completeValues(args.source as DynamicSource, options);
  },
  human: (values: string[]) => values.join("\n"),
});
