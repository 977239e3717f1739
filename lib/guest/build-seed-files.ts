import { SEED_LIMIT, tooLarge } from "./_read-input.ts";
import { hashPassword } from "./_sha512-crypt.ts";
import { forkHookConfig } from "./fork-hook.ts";
import { mergeCloudConfig } from "./merge-user-data.ts";
import type { UserInputs } from "./read-user-inputs.ts";
import { defaultCloudConfig, renderCloudConfig, renderMetaData, type ShareMount } from "./user-data.ts";
import type { SeedFiles } from "./write-seed.ts";

/** What only exists once the instance does: its name, user and fresh keys. */
export interface SeedInstance {
  name: string;
  user: string;
  /** The instance's own public key, the one testcloud logs in with. */
  instanceKey: string;
  hostKey: { privateKey: string; publicKey: string };
  /** Console password; reaches the guest only as a SHA-512 crypt hash. */
  password?: string;
  /** The hash of a password hashed before (a template's, for its forks): wins over `password`. */
  passwordHash?: string;
  /** A template: install the hook that gives a restored fork its own identity (fork-hook.ts). */
  forkHook?: boolean;
  /** Also allow ssh logins by password (only with `password`). */
  sshPasswordAuth?: boolean;
  /** Default: a fresh `iid-<uuid>`, so cloud-init runs again on every create. */
  instanceId?: string;
  /** virtiofs shares the guest mounts at /mnt/<tag>. */
  shares?: ShareMount[];
}

/** A console password as the seed carries it (SHA-512 crypt): what a template keeps for its forks. */
export function seedPasswordHash(password: string): string {
  return hashPassword(password);
}

/**
 * The NoCloud files of an instance: our defaults, merged with a #cloud-config
 * from the user, or, when the user's user-data is anything else (a script, MIME,
 * #include, a template), that passed through untouched with our defaults as
 * vendor-data, which cloud-init applies too. Warnings say what of the user's was
 * dropped to keep testcloud's access.
 */
export function buildSeedFiles(inputs: UserInputs, instance: SeedInstance): SeedFiles & { warnings: string[] } {
  const ours = defaultCloudConfig({
    user: instance.user,
    authorizedKeys: [instance.instanceKey.trim(), ...inputs.sshKeys],
    hostKey: instance.hostKey,
    passwordHash: instance.passwordHash ?? (instance.password === undefined ? undefined : hashPassword(instance.password)),
    sshPasswordAuth: instance.sshPasswordAuth,
    shares: instance.shares,
  });
  if (instance.forkHook) Object.assign(ours, forkHookConfig());
  const seed: SeedFiles & { warnings: string[] } = {
    metaData: renderMetaData(instance.instanceId ?? `iid-${crypto.randomUUID()}`, instance.name, inputs.metaData),
    userData: "",
    warnings: [],
  };
  const userData = inputs.userData;
  if (userData?.kind === "passthrough") {
    seed.userData = userData.text;
    seed.vendorData = renderCloudConfig(ours);
  } else if (userData?.kind === "cloud-config") {
    const merged = mergeCloudConfig(ours, userData.config);
    seed.userData = renderCloudConfig(merged.config);
    seed.warnings.push(...merged.warnings);
  } else {
    seed.userData = renderCloudConfig(ours);
  }
  if (inputs.networkConfig !== undefined) seed.networkConfig = inputs.networkConfig;
  const bytes = [seed.metaData, seed.userData, seed.vendorData ?? "", seed.networkConfig ?? ""].reduce((n, t) => n + Buffer.byteLength(t), 0);
  if (bytes > SEED_LIMIT) throw tooLarge("the seed's files together", bytes);
  return seed;
}
