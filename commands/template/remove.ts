import { removeTemplate, type RemoveTemplateResult } from "../../lib/instance/remove-template.ts";
import { defineAction, globalArgs } from "../_action.ts";

export default defineAction({
  group: "template",
  meta: { name: "remove", description: "Remove a template; refuses while forks use its disk" },
  args: {
    name: { type: "positional", description: "Template name", required: true },
    ...globalArgs,
  },
  run: (args, globals) => removeTemplate(globals.dataDir, args.name),
  human: (r: RemoveTemplateResult) => `removed template ${r.name}`,
});
