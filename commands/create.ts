import { UsageError } from "../lib/errors.ts";
import { logger } from "../lib/cli/output.ts";
import { createInstance } from "../lib/instance/create-instance.ts";
import { defineAction, globalArgs } from "./_action.ts";
import { formatInstance } from "./_format.ts";

export default defineAction({
  meta: { name: "create", description: "Create an instance from an image and wait until ssh works" },
  args: {
    image: { type: "positional", description: "Image: a path, file:// or http(s):// URL", required: true },
    name: { type: "string", alias: "n", description: "Instance name (default: a random readable name)" },
    network: { type: "string", description: "libvirt network name, or 'user' for user-mode networking" },
    ram: { type: "string", description: "Memory in MiB", default: "1024" },
    vcpus: { type: "string", description: "Number of virtual CPUs", default: "2" },
    timeout: { type: "string", description: "Seconds to wait for ssh", default: "300" },
    user: { type: "string", description: "Login user created in the guest", default: "cloud-user" },
    "virt-type": { type: "enum", options: ["kvm", "qemu"], description: "Force KVM or TCG (default: KVM only where it really works)" },
    ...globalArgs,
  },
  async run(args, globals) {
    const network = args.network ?? (globals.uri.endsWith("/session") ? "user" : "default");
    if (!globals.json) logger.start(`Creating instance from ${args.image}`);
    return createInstance({
      image: args.image,
      name: args.name,
      network,
      ramMiB: integer(args.ram, "--ram"),
      vcpus: integer(args.vcpus, "--vcpus"),
      timeoutS: integer(args.timeout, "--timeout"),
      user: args.user,
      uri: globals.uri,
      dataDir: globals.dataDir,
      virtType: args["virt-type"] as "kvm" | "qemu" | undefined,
      signal: globals.signal,
      log: globals.json ? undefined : (message) => logger.info(message),
    });
  },
  human: formatInstance,
});

function integer(value: string, flag: string): number {
  if (!/^\d+$/.test(value.trim())) throw new UsageError(`Invalid ${flag}: ${JSON.stringify(value)}: expected a whole number`);
  return Number(value);
}
