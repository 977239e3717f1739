import type { VerbSpec } from "./_command-spec.ts";
import { bashScript } from "./_completion-bash.ts";
import { fishScript } from "./_completion-fish.ts";
import { zshScript } from "./_completion-zsh.ts";

export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];

/** The completion script for `shell`, made from the command table (commands/_command-table.ts). */
export function completionScript(shell: Shell, table: VerbSpec[]): string {
  if (shell === "bash") return bashScript(table);
  if (shell === "zsh") return zshScript(table);
  return fishScript(table);
}
