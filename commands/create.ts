import { UsageError } from "../lib/errors.ts";
import { logger } from "../lib/cli/output.ts";
import { parseSize } from "../lib/host/parse-size.ts";
import { progressPrinter } from "../lib/image/progress.ts";
import { createInstance, type CreateOptions, type CreateResult } from "../lib/instance/create-instance.ts";
import { planInstance, type CreatePlan } from "../lib/instance/plan-instance.ts";
import { defineAction, globalArgs } from "./_action.ts";
import { formatInstance } from "./_format.ts";
import { waitArgs, waitMode } from "./_instance-args.ts";

export default defineAction({
  meta: { name: "create", description: "Create an instance from an image and wait until ssh works" },
  args: {
    image: { type: "positional", description: "Image: a path, file:// or http(s):// URL", required: true },
    name: { type: "string", alias: "n", description: "Instance name (default: a random readable name)" },
    network: { type: "string", description: "libvirt network name, or 'user' for user-mode networking" },
    ram: { type: "string", description: "Memory in MiB", default: "1024" },
    vcpus: { type: "string", description: "Number of virtual CPUs", default: "2" },
    "disk-size": { type: "string", description: "Grow the disk to this size, e.g. 20G (the guest grows its root fs at boot)" },
    timeout: { type: "string", description: "Seconds to wait for the instance to be ready", default: "300" },
    wait: waitArgs.wait,
    keep: { type: "boolean", description: "Keep a failed instance for inspection instead of removing it" },
    "dry-run": { type: "boolean", description: "Check everything and show what would be made; make nothing" },
    vnc: { type: "boolean", description: "Add a VNC display on 127.0.0.1 (default: serial console only)" },
    user: { type: "string", description: "Login user created in the guest", default: "cloud-user" },
    "virt-type": { type: "enum", options: ["kvm", "qemu"], description: "Force KVM or TCG (default: KVM only where it really works)" },
    arch: { type: "string", description: "Architecture for distro shortcuts (default: this host's)", valueHint: "ARCH" },
    sha256: { type: "string", description: "Expected sha256 of the image (as downloaded or decompressed)", valueHint: "HEX" },
    offline: { type: "boolean", description: "Use only the image cache: fail at once if the image is not in it" },
    ...globalArgs,
  },
  async run(args, globals): Promise<CreateResult | CreatePlan> {
    const options: CreateOptions = {
      image: args.image,
      name: args.name,
      network: args.network ?? (globals.uri.endsWith("/session") ? "user" : "default"),
      ramMiB: integer(args.ram, "--ram"),
      vcpus: integer(args.vcpus, "--vcpus"),
      diskSize: args["disk-size"] === undefined ? undefined : parseSize(args["disk-size"], "--disk-size"),
      timeoutS: integer(args.timeout, "--timeout"),
      wait: waitMode(args.wait as string | boolean),
      keep: args.keep,
      vnc: args.vnc,
      user: args.user,
      uri: globals.uri,
      dataDir: globals.dataDir,
      virtType: args["virt-type"] as "kvm" | "qemu" | undefined,
      fetch: { arch: args.arch, sha256: args.sha256, offline: args.offline, onProgress: globals.json ? undefined : progressPrinter() },
      signal: globals.signal,
      log: globals.json ? undefined : (message) => logger.info(message),
    };
    if (args["dry-run"]) return planInstance(options);
    if (!globals.json) logger.start(`Creating instance from ${args.image}`);
    return createInstance(options);
  },
  human: (result) => ("dryRun" in result ? formatPlan(result) : formatInstance(result)),
});

function integer(value: string, flag: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new UsageError(`Invalid ${flag}: ${JSON.stringify(value)}: expected a whole number`);
  return Number(value);
}

function formatPlan(plan: CreatePlan): string {
  return [`# dry run: nothing was created`, `# ${plan.paths.domainXml}`, plan.domainXml, `# user-data`, plan.userData, `# meta-data`, plan.metaData].join("\n");
}
