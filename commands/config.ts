import type { Globals } from "../lib/cli/globals.ts";
import { loadConfig, settingRows, type LoadedConfig } from "../lib/host/config.ts";
import { defineAction, globalArgs } from "./_action.ts";
import { formatTable } from "./_format.ts";

type Row = ReturnType<typeof settingRows>[number];

export default defineAction({
  meta: { name: "config", description: "Show every effective setting, its value and where it came from" },
  args: { ...globalArgs },
  run: async (_args, globals) => settingRows(await effectiveConfig(globals)),
  human: (rows: Row[]) => formatTable([["KEY", "VALUE", "ORIGIN"], ...rows.map((r) => [r.key, String(r.value), r.origin])]),
});

/** main() loads the config once into the globals; until it does, load it here. */
async function effectiveConfig(globals: Globals & { config?: LoadedConfig }): Promise<LoadedConfig> {
  return globals.config ?? (await loadConfig());
}
