/**
 * The verbs and flags of the CLI as plain data, read from the command definitions
 * (commands/_command-table.ts): what shell completion and the man page are made from,
 * so neither can disagree with --help.
 */

/** What a flag's value, or a positional argument, is: how a shell completes it. */
export type ValueKind =
  | { kind: "none" } // a switch: takes no value
  | { kind: "text" } // anything: nothing to offer
  | { kind: "words"; words: string[] }
  | { kind: "files" }
  | { kind: "dirs" }
  /** Asked of testcloud at completion time: `testcloud __complete SOURCE`. */
  | { kind: "dynamic"; source: DynamicSource; files?: boolean; words?: string[] };

/** What `testcloud __complete` lists. */
export type DynamicSource = "instances" | "images" | "cached" | "networks" | "hosts" | "templates";

export interface ArgSpec {
  /** The flag's name without dashes, or the positional's name. */
  name: string;
  positional: boolean;
  /** One-letter and other spellings of a flag, without dashes. */
  aliases: string[];
  /** The flag also has a --no-NAME form. */
  negatable: boolean;
  description: string;
  /** What the help shows for its value, e.g. FILE or ssh|cloud-init. */
  valueHint?: string;
  required: boolean;
  default?: string;
  value: ValueKind;
}

export interface VerbSpec {
  /** ["create"], ["image", "pull"]; [] is testcloud itself. */
  path: string[];
  description: string;
  /** Other names of the verb (destroy for remove). */
  aliases: string[];
  args: ArgSpec[];
  /** The verbs of a group (image): list, pull… */
  verbs: string[];
}
