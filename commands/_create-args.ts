import { machineArgs, machineFlagValues, repeated } from "../lib/cli/machine-flags.ts";
import { eventWriter, progress } from "./_events.ts";
import { logger } from "../lib/cli/logger.ts";
import { effectiveNetwork, type Settings } from "../lib/host/config.ts";
import { fleet } from "../lib/instance/list-all-hosts.ts";
import { placeInstance } from "../lib/instance/place-instance.ts";
import { readPassword } from "../lib/guest/read-password.ts";
import { readUserInputs } from "../lib/guest/read-user-inputs.ts";
import type { CreateOptions } from "../lib/instance/create-instance.ts";
import { commandConfig, globalArgs } from "./_action.ts";
import { waitMode } from "./_instance-args.ts";
import type { Globals } from "../lib/cli/globals.ts";

// What `create` and `template create` share: how the machine is made and provisioned.
// No citty defaults on settings: an absent flag lets the config files and TESTCLOUD_* decide.
export const provisioningArgs = {
  network: { type: "string", description: "libvirt network name, or 'user' for user-mode networking" },
  timeout: { type: "string", description: "Seconds to wait for the instance to be ready (default 300; 900 for a guest of another architecture than the host's)" },
  user: { type: "string", description: "Login user created in the guest (default cloud-user)" },
  "user-data": { type: "string", description: "Your user-data: #cloud-config is merged with ours; scripts and MIME pass through", valueHint: "FILE" },
  "network-config": { type: "string", description: "NoCloud network-config (v1 or v2) for the guest", valueHint: "FILE" },
  "ssh-key": { type: "string", description: "Another public key allowed to log in (repeatable); ~/.ssh/*.pub are added too", valueHint: "FILE" },
  "meta-data": { type: "string", description: "Extra meta-data KEY=VALUE (repeatable)", valueHint: "KEY=VALUE" },
  ignition: { type: "string", description: "Provision with Ignition (fw_cfg) and merge this config into ours; CoreOS images use Ignition anyway", valueHint: "FILE" },
  password: { type: "string", description: "Console password for the user (stored hashed; ssh stays key-only; visible in ps: prefer --password-file)" },
  "password-file": { type: "string", description: "Read the console password from the first line of FILE, or stdin for -", valueHint: "FILE" },
  sha256: { type: "string", description: "Expected sha256 of the image (as downloaded or decompressed)", valueHint: "HEX" },
  offline: { type: "boolean", description: "Use only the image cache: fail at once if the image is not in it (default: the offline setting, false)" },
  "allow-insecure-http": { type: "boolean", description: "Allow plain http to hosts other than this one; nothing read over it counts as verified (default: the allowInsecureHttp setting, false)" },
  // --ram, --vcpus, --firmware, --disk, --nic, --share, --tpm…: one per machine setting.
  ...machineArgs(),
  ...globalArgs,
} as const;

type ArgValues = Record<string, unknown> & { image: string; name?: string; wait?: string | boolean };

/** CreateOptions from the flags, the config files and TESTCLOUD_*; user files are read and checked now. */
export async function createOptions(args: ArgValues, globals: Globals, rawArgs: string[]): Promise<CreateOptions> {
  const str = (key: string) => (typeof args[key] === "string" ? (args[key] as string) : undefined);
  const config = await commandConfig(globals, {
    ...machineFlagValues(args as never, rawArgs),
    timeout: str("timeout"),
    user: str("user"),
    network: str("network"),
    wait: typeof args.wait === "string" ? args.wait : undefined, // --no-wait arrives as false
    offline: args.offline as boolean | undefined,
    allowInsecureHttp: args["allow-insecure-http"] as boolean | undefined,
  });
  const s = config.settings;
  // Checked before anything is made: unreadable files, bad YAML, oversize seeds.
  const inputs = await readUserInputs({
    userDataFile: str("user-data"),
    networkConfigFile: str("network-config"),
    sshKeyFiles: repeated(rawArgs, "--ssh-key"),
    metaData: repeated(rawArgs, "--meta-data"),
    ignitionFile: str("ignition"),
  });
  const onEvent = globals.events ? eventWriter() : undefined;
  const password = await readPassword({ password: str("password"), passwordFile: str("password-file") });
  const uri = globals.hostFlag === "auto" ? await autoHost(s, globals) : globals.uri;
  return {
    image: args.image,
    name: args.name,
    network: effectiveNetwork({ ...s, connect: uri }),
    machine: s,
    timeoutS: s.timeout,
    defaultTimeout: config.origins.timeout === "default",
    sshConnectTimeoutS: s.sshConnectTimeout,
    wait: args.wait === false ? "none" : waitMode(s.wait),
    keep: args.keep as boolean | undefined,
    user: s.user,
    uri,
    dataDir: globals.dataDir,
    imageDir: globals.imageDir,
    provisioning: { inputs, password },
    fetch: {
      sha256: str("sha256"),
      offline: s.offline,
      // Config files' [baseUrls], with TESTCLOUD_MIRRORS on top.
      baseUrls: s.baseUrls,
      allowInsecureHttp: s.allowInsecureHttp,
      maxImageSize: s.maxImageSize,
      onProgress: progress(globals, onEvent),
    },
    signal: globals.signal,
    log: globals.json ? undefined : (message) => logger.info(message),
    onEvent,
  };
}

/** `--host auto`: the host with most free memory, said on stderr (and in the result's uri). */
async function autoHost(s: Settings, globals: Globals): Promise<string> {
  const placed = await placeInstance(fleet(s.hosts, globals.uri), s.ram, { overcommitPercent: s.hostMemoryOvercommit, timeoutMs: s.hostTimeout * 1000 });
  logger.info(`Placing on host "${placed.name}" (${Math.floor(placed.freeBytes / 2 ** 20)} MiB of ${Math.floor(placed.totalBytes / 2 ** 20)} MiB free)`);
  return placed.uri;
}
