import type { YamlValue } from "./render-yaml.ts";
import type { CloudConfig } from "./user-data.ts";

/**
 * Merges a user's #cloud-config (`theirs`) into testcloud's defaults (`ours`) so
 * the user gets what they asked for and testcloud keeps its way in:
 *
 * - `users`: our user first, then the user's entries in their order ("default"
 *   and plain names included). An entry named like our user is folded into ours:
 *   its keys win, its `ssh_authorized_keys` are added to ours, and the keys that
 *   would lock testcloud out (USER_LOCKOUT_KEYS) are dropped with a warning.
 *   A comma-separated string or a name → settings mapping is read as a list.
 * - `ssh_keys.ed25519_private` / `ed25519_public`: ours always (the host has
 *   pinned that key); a different value from the user is dropped with a warning.
 *   Their other host keys are kept.
 * - Two lists (runcmd, bootcmd, packages, write_files, ssh_authorized_keys, …):
 *   ours first, then theirs.
 * - Two mappings (growpart, ssh_keys, apt, …): merged key by key by these rules.
 * - Anything else: the user's value wins (ssh_pwauth, disable_root, hostname, …).
 * - A null from the user counts as absent (ours stays): the renderer writes no
 *   null, and for cloud-init a null setting almost always means "not set".
 */
export function mergeCloudConfig(ours: CloudConfig, theirs: Record<string, unknown>): { config: CloudConfig; warnings: string[] } {
  const warnings: string[] = [];
  const config: CloudConfig = {};
  const ourUsers = (ours.users ?? []) as CloudConfig[];
  for (const key of new Set([...Object.keys(ours), ...Object.keys(theirs)])) {
    const merged = key === "users" ? mergeUsers(ourUsers, theirs.users, warnings) : mergeValue(ours[key], theirs[key], key, warnings);
    if (merged !== undefined) config[key] = merged;
  }
  return { config, warnings };
}

/** User keys that would stop testcloud's ssh login as its own user. */
export const USER_LOCKOUT_KEYS = ["ssh_redirect_user", "inactive", "expiredate", "no_create_home", "system"];

/** Paths where our value must survive. */
const PINNED = new Set(["ssh_keys.ed25519_private", "ssh_keys.ed25519_public"]);

function mergeValue(ours: YamlValue | undefined, theirs: unknown, path: string, warnings: string[]): YamlValue | undefined {
  const clean = stripNulls(theirs);
  if (clean === undefined) return ours;
  if (ours === undefined) return clean;
  if (PINNED.has(path)) {
    if (clean !== ours) warnings.push(`Ignored "${path}" from user-data: testcloud pins the instance's host key`);
    return ours;
  }
  if (Array.isArray(ours) && Array.isArray(clean)) return [...ours, ...clean];
  if (isMap(ours) && isMap(clean)) {
    const out: CloudConfig = {};
    for (const key of new Set([...Object.keys(ours), ...Object.keys(clean)])) {
      const merged = mergeValue(ours[key], clean[key], `${path}.${key}`, warnings);
      if (merged !== undefined) out[key] = merged;
    }
    return out;
  }
  return clean;
}

function mergeUsers(ours: CloudConfig[], theirs: unknown, warnings: string[]): YamlValue[] {
  const [own, ...rest] = ours.map((u) => ({ ...u }));
  if (!own) return userList(theirs);
  const out: YamlValue[] = [own, ...rest];
  for (const entry of userList(theirs)) {
    const name = typeof entry === "string" ? entry : isMap(entry) ? entry.name : undefined;
    if (name !== own.name) out.push(entry);
    else if (isMap(entry)) foldInto(own, entry, warnings);
  }
  return out;
}

function foldInto(own: CloudConfig, entry: CloudConfig, warnings: string[]): void {
  for (const [key, value] of Object.entries(entry)) {
    if (key === "name") continue;
    if (USER_LOCKOUT_KEYS.includes(key)) {
      warnings.push(`Ignored "${key}" of user "${own.name}" from user-data: it would lock testcloud out`);
    } else if (key === "ssh_authorized_keys") {
      own[key] = [...((own[key] ?? []) as YamlValue[]), ...(Array.isArray(value) ? value : [value])];
    } else {
      own[key] = value;
    }
  }
}

/** cloud-init accepts `users` as a list, a comma-separated string or a name → settings mapping. */
function userList(value: unknown): YamlValue[] {
  const clean = stripNulls(value);
  if (clean === undefined) return [];
  if (Array.isArray(clean)) return clean;
  if (typeof clean === "string") return clean.split(",").map((n) => n.trim()).filter(Boolean);
  if (isMap(clean)) return Object.entries(clean).map(([name, v]) => (isMap(v) ? { name, ...v } : name));
  return [clean];
}

/** Drops nulls at every depth, in mappings and lists alike. */
function stripNulls(value: unknown): YamlValue | undefined {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) return value.map(stripNulls).filter((v): v is YamlValue => v !== undefined);
  if (isMap(value)) {
    const out: CloudConfig = {};
    for (const [k, v] of Object.entries(value)) {
      const clean = stripNulls(v);
      if (clean !== undefined) out[k] = clean;
    }
    return out;
  }
  return value as YamlValue;
}

function isMap(value: unknown): value is CloudConfig {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
