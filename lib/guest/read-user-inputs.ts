import { homedir } from "node:os";
import { UsageError } from "../errors.ts";
import { isMapping, parseYaml11 } from "./_parse-yaml11.ts";
import { INPUTS, invalidInput, readInput, SEED_LIMIT, tooLarge } from "./_read-input.ts";
import { parseIgnition } from "./ignition.ts";
import { parseUserData, type UserData } from "./parse-user-data.ts";
import { readSshKeys } from "./read-ssh-keys.ts";

export type { UserData } from "./parse-user-data.ts";

/** Everything the user adds to provisioning, read and checked. */
export interface UserInputs {
  userData?: UserData;
  /** The file's text, verbatim: cloud-init reads it, we only checked it. */
  networkConfig?: string;
  metaData: Record<string, string>;
  /** `--ssh-key` files' keys, then `~/.ssh/*.pub`. */
  sshKeys: string[];
  /** The user's own Ignition config (JSON text), checked. */
  ignition?: string;
}

/** The file names and arguments of `create` that feed provisioning. */
export interface UserInputOptions {
  userDataFile?: string;
  networkConfigFile?: string;
  sshKeyFiles?: string[];
  /** `--meta-data KEY=VALUE` arguments. */
  metaData?: string[];
  ignitionFile?: string;
  /** Whose `~/.ssh/*.pub` to add; null adds none. Default: the current user's. */
  home?: string | null;
}

/** What testcloud writes into the seed besides the user's files; kept free so the limit holds after merging. */
const RESERVED = 256 * 1024;

/**
 * Reads and checks every user-supplied provisioning input, so that `create`
 * fails before it makes anything: missing or unreadable files, malformed YAML or
 * JSON, a network-config without a version, forbidden meta-data, oversize seeds.
 */
export async function readUserInputs(options: UserInputOptions): Promise<UserInputs> {
  const inputs: UserInputs = {
    metaData: parseMetaDataArgs(options.metaData ?? []),
    sshKeys: await readSshKeys(options.sshKeyFiles ?? [], options.home === undefined ? homedir() : options.home),
  };
  if (options.userDataFile !== undefined) {
    const { path, text } = await readInput(options.userDataFile, INPUTS.userData);
    inputs.userData = parseUserData(text, path);
  }
  if (options.networkConfigFile !== undefined) {
    const { path, text } = await readInput(options.networkConfigFile, INPUTS.networkConfig);
    inputs.networkConfig = checkNetworkConfig(text, path);
  }
  if (options.ignitionFile !== undefined) {
    const { path, text } = await readInput(options.ignitionFile, INPUTS.ignition);
    inputs.ignition = parseIgnition(text, path);
  }
  const bytes = inputBytes(inputs);
  if (bytes + RESERVED > SEED_LIMIT) throw tooLarge("user-data, network-config, meta-data and keys together", bytes + RESERVED);
  return inputs;
}

const META_KEY = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const OURS = ["instance-id", "local-hostname"];

/** `KEY=VALUE` arguments as meta-data; testcloud's own keys cannot be replaced. */
export function parseMetaDataArgs(args: string[]): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const arg of args) {
    const eq = arg.indexOf("=");
    const key = eq < 0 ? arg : arg.slice(0, eq);
    if (eq < 0 || !META_KEY.test(key)) {
      throw new UsageError(`Invalid --meta-data: ${JSON.stringify(arg)}: expected KEY=VALUE with a key of letters, digits, ".", "_" and "-"`, { code: "E_META_DATA_INVALID" });
    }
    if (OURS.includes(key)) {
      throw new UsageError(`Invalid --meta-data: "${key}" is set by testcloud and cannot be replaced`, {
        code: "E_META_DATA_INVALID",
        hint: key === "local-hostname" ? "the hostname is the instance name: use --name" : undefined,
      });
    }
    meta[key] = arg.slice(eq + 1);
  }
  return meta;
}

/** Netplan-style v2 or the legacy v1: `version:` at the top or under `network:`. */
function checkNetworkConfig(text: string, path: string): string {
  const parsed = parseYaml11(text);
  if (!parsed.ok) throw invalidInput(path, INPUTS.networkConfig, parsed.error);
  const doc = parsed.value;
  const root = isMapping(doc) && isMapping(doc.network) ? doc.network : doc;
  const version = isMapping(root) ? root.version : undefined;
  if (version !== 1 && version !== 2) {
    throw invalidInput(path, INPUTS.networkConfig, 'expected "version: 1" or "version: 2", at the top or under "network:"');
  }
  return text;
}

function inputBytes(inputs: UserInputs): number {
  const texts = [
    inputs.userData?.kind === "passthrough" ? inputs.userData.text : JSON.stringify(inputs.userData?.config ?? {}),
    inputs.networkConfig ?? "",
    JSON.stringify(inputs.metaData),
    ...inputs.sshKeys,
  ];
  return texts.reduce((sum, text) => sum + Buffer.byteLength(text), 0);
}
