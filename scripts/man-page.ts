// The man page and the shell completion scripts, made from the command definitions at
// build time (scripts/build.ts writes them to dist/): they cannot disagree with --help.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { commandTable } from "../commands/_command-table.ts";
import { completionScript, SHELLS, type Shell } from "../lib/cli/completion-script.ts";
import { manPage, parseExitTable, type EnvRow } from "../lib/cli/man-page.ts";
import { SCHEMA, type SettingKey } from "../lib/host/_config-schema.ts";
import { MACHINE_ROWS } from "../lib/host/_machine-settings.ts";
import pkg from "../package.json" with { type: "json" };

const root = join(import.meta.dir, "..");

/** testcloud(1) in roff, dated `date` (YYYY-MM-DD). */
export async function manPageText(date: string): Promise<string> {
  const { rows, note } = parseExitTable(readFileSync(join(root, "docs/exit-codes.md"), "utf8"));
  const environment: EnvRow[] = (Object.keys(SCHEMA) as SettingKey[]).map((key) => ({
    key,
    ...SCHEMA[key],
    description: (MACHINE_ROWS as Record<string, { description: string } | undefined>)[key]?.description,
  }));
  return manPage({
    table: await commandTable(pkg.description),
    version: pkg.version,
    date,
    exitRows: rows,
    exitNote: note,
    environment,
    files: [
      { path: "/etc/testcloud/config.toml", what: "System configuration (TOML; keys as in the ENVIRONMENT section)." },
      { path: "$XDG_CONFIG_HOME/testcloud/config.toml", what: "Your configuration, above the system's (default ~/.config/testcloud/config.toml)." },
      { path: "/var/lib/testcloud", what: "Instances and the image cache when run as root (~/.local/share/testcloud otherwise; the dataDir and imageDir settings)." },
    ],
  });
}

/** Where each shell looks for a completion script, under a PREFIX/share, and its text. */
export async function completionFiles(): Promise<{ shell: Shell; file: string; text: string }[]> {
  const table = await commandTable(pkg.description);
  const files: Record<Shell, string> = {
    bash: "bash-completion/completions/testcloud",
    zsh: "zsh/site-functions/_testcloud",
    fish: "fish/vendor_completions.d/testcloud.fish",
  };
  return SHELLS.map((shell) => ({ shell, file: files[shell], text: completionScript(shell, table) }));
}
