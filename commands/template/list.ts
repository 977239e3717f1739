import { bytes } from "../../lib/image/progress.ts";
import { listTemplates, type TemplateInfo } from "../../lib/instance/list-templates.ts";
import { defineAction, globalArgs } from "../_action.ts";
import { formatTable } from "../_format.ts";

export default defineAction({
  group: "template",
  meta: { name: "list", description: "List templates, with their image, size on disk and forks" },
  args: { ...globalArgs },
  run: (_args, globals) => listTemplates(globals.dataDir),
  human(list: TemplateInfo[]) {
    if (list.length === 0) return "";
    const rows = list.map((t) => [t.name, t.image.source, bytes(t.sizeBytes), String(t.forks.length), t.createdAt.slice(0, 19).replace("T", " ")]);
    return formatTable([["NAME", "IMAGE", "SIZE", "FORKS", "CREATED (UTC)"], ...rows]);
  },
});
