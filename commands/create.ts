import { machineArgs, machineFlagValues, repeated } from "../lib/cli/machine-flags.ts";
import { eventWriter, progress } from "./_events.ts";
import { logger } from "../lib/cli/logger.ts";
import { effectiveNetwork, type Settings } from "../lib/host/config.ts";
import type { Globals } from "../lib/cli/globals.ts";
import { fleet } from "../lib/instance/list-all-hosts.ts";
import { placeInstance } from "../lib/instance/place-instance.ts";
import { readPassword } from "../lib/guest/read-password.ts";
import { readUserInputs } from "../lib/guest/read-user-inputs.ts";
import { createInstance, type CreateOptions, type CreateResult } from "../lib/instance/create-instance.ts";
import { planInstance, type CreatePlan } from "../lib/instance/plan-instance.ts";
import { commandConfig, defineAction, globalArgs } from "./_action.ts";
import { formatInstance } from "./_format.ts";
import { waitMode } from "./_instance-args.ts";

// No citty defaults on settings: an absent flag lets the config files and TESTCLOUD_* decide.
export default defineAction({
  meta: { name: "create", description: "Create an instance from an image and wait until ssh works" },
  args: {
    image: { type: "positional", description: "Image: a path, file:// or http(s):// URL, or a distro shortcut such as fedora:41", required: true },
    name: { type: "string", alias: "n", description: "Instance name (default: a random readable name)" },
    network: { type: "string", description: "libvirt network name, or 'user' for user-mode networking" },
    timeout: { type: "string", description: "Seconds to wait for the instance to be ready (default 300)" },
    wait: { type: "string", description: "Ready means: ssh (default) or cloud-init; --no-wait returns once started", valueHint: "ssh|cloud-init" },
    keep: { type: "boolean", description: "Keep a failed instance for inspection instead of removing it" },
    "dry-run": { type: "boolean", description: "Check everything and show what would be made; make nothing" },
    user: { type: "string", description: "Login user created in the guest (default cloud-user)" },
    "user-data": { type: "string", description: "Your user-data: #cloud-config is merged with ours; scripts and MIME pass through", valueHint: "FILE" },
    "network-config": { type: "string", description: "NoCloud network-config (v1 or v2) for the guest", valueHint: "FILE" },
    "ssh-key": { type: "string", description: "Another public key allowed to log in (repeatable); ~/.ssh/*.pub are added too", valueHint: "FILE" },
    "meta-data": { type: "string", description: "Extra meta-data KEY=VALUE (repeatable)", valueHint: "KEY=VALUE" },
    ignition: { type: "string", description: "Provision with Ignition (fw_cfg) and merge this config into ours; CoreOS images use Ignition anyway", valueHint: "FILE" },
    password: { type: "string", description: "Console password for the user (stored hashed; ssh stays key-only; visible in ps: prefer --password-file)" },
    "password-file": { type: "string", description: "Read the console password from the first line of FILE, or stdin for -", valueHint: "FILE" },
    arch: { type: "string", description: "Architecture for distro shortcuts (default: this host's)", valueHint: "ARCH" },
    sha256: { type: "string", description: "Expected sha256 of the image (as downloaded or decompressed)", valueHint: "HEX" },
    offline: { type: "boolean", description: "Use only the image cache: fail at once if the image is not in it (default: the offline setting, false)" },
    "allow-insecure-http": { type: "boolean", description: "Allow plain http to hosts other than this one; nothing read over it counts as verified (default: the allowInsecureHttp setting, false)" },
    // --ram, --vcpus, --firmware, --disk, --nic, --share, --tpm…: one per machine setting.
    ...machineArgs(),
    ...globalArgs,
  },
  async run(args, globals, rawArgs): Promise<CreateResult | CreatePlan> {
    const s = (await commandConfig(globals, {
      ...machineFlagValues(args, rawArgs),
      timeout: args.timeout,
      user: args.user,
      network: args.network,
      wait: typeof args.wait === "string" ? args.wait : undefined, // --no-wait arrives as false
      offline: args.offline,
      allowInsecureHttp: args["allow-insecure-http"],
    })).settings;
    // Checked before anything is made: unreadable files, bad YAML, oversize seeds.
    const inputs = await readUserInputs({
      userDataFile: args["user-data"],
      networkConfigFile: args["network-config"],
      sshKeyFiles: repeated(rawArgs, "--ssh-key"),
      metaData: repeated(rawArgs, "--meta-data"),
      ignitionFile: args.ignition,
    });
    const onEvent = globals.events ? eventWriter() : undefined;
    const password = await readPassword({ password: args.password, passwordFile: args["password-file"] });
    const uri = globals.hostFlag === "auto" ? await autoHost(s, globals) : globals.uri;
    const options: CreateOptions = {
      image: args.image,
      name: args.name,
      network: effectiveNetwork({ ...s, connect: uri }),
      machine: s,
      timeoutS: s.timeout,
      sshConnectTimeoutS: s.sshConnectTimeout,
      wait: (args.wait as unknown) === false ? "none" : waitMode(s.wait),
      keep: args.keep,
      user: s.user,
      uri,
      dataDir: globals.dataDir,
      imageDir: globals.imageDir,
      provisioning: { inputs, password },
      fetch: {
        arch: args.arch,
        sha256: args.sha256,
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
    if (args["dry-run"]) return planInstance(options);
    if (!globals.json) logger.start(`Creating instance from ${args.image}`);
    return createInstance(options);
  },
  human: (result) => ("dryRun" in result ? formatPlan(result) : formatInstance(result)),
});

/** `--host auto`: the host with most free memory, said on stderr (and in the result's uri). */
async function autoHost(s: Settings, globals: Globals): Promise<string> {
  const placed = await placeInstance(fleet(s.hosts, globals.uri), s.ram, { overcommitPercent: s.hostMemoryOvercommit, timeoutMs: s.hostTimeout * 1000 });
  logger.info(`Placing on host "${placed.name}" (${Math.floor(placed.freeBytes / 2 ** 20)} MiB of ${Math.floor(placed.totalBytes / 2 ** 20)} MiB free)`);
  return placed.uri;
}

function formatPlan(plan: CreatePlan): string {
  return [`# dry run: nothing was created`, `# ${plan.paths.domainXml}`, plan.domainXml, `# user-data`, plan.userData, `# meta-data`, plan.metaData].join("\n");
}
