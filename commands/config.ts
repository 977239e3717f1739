import { settingRows } from "../lib/host/config.ts";
import { commandConfig, defineAction, globalArgs } from "./_action.ts";
import { formatTable } from "./_format.ts";

type Row = ReturnType<typeof settingRows>[number];

export default defineAction({
  meta: { name: "config", description: "Show every effective setting, its value and where it came from" },
  args: { ...globalArgs },
  run: async (_args, globals) => settingRows(await commandConfig(globals)),
  human: (rows: Row[]) => formatTable([["KEY", "VALUE", "ORIGIN"], ...rows.map((r) => [r.key, typeof r.value === "object" ? JSON.stringify(r.value) : String(r.value), r.origin])]),
});
