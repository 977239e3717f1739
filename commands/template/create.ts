import { logger } from "../../lib/cli/logger.ts";
import { createTemplate, type TemplateResult } from "../../lib/instance/create-template.ts";
import { bytes } from "../../lib/image/progress.ts";
import { defineAction } from "../_action.ts";
import { createOptions, provisioningArgs } from "../_create-args.ts";

export default defineAction({
  group: "template",
  meta: { name: "create", description: "Boot an image, wait for cloud-init, and save its disk and memory as a template" },
  args: {
    template: { type: "positional", description: "Template name", required: true },
    image: { type: "positional", description: "Image: a path, file:// or http(s):// URL, or a distro shortcut such as fedora:41", required: true },
    ...provisioningArgs,
  },
  async run(args, globals, rawArgs): Promise<TemplateResult> {
    const options = await createOptions({ ...args, name: args.template, wait: "cloud-init" }, globals, rawArgs);
    if (!globals.json) logger.start(`Creating template ${args.template} from ${args.image}`);
    return createTemplate({ ...options, name: args.template });
  },
  human: (t: TemplateResult) => `${t.reused ? "reused" : "created"} template ${t.name} (${t.image.source}, ${bytes(t.sizeBytes)} on disk) in ${t.dir}`,
});
