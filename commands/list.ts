import { connect } from "../lib/libvirt/virsh.ts";
import { listInstances } from "../lib/instance/list-instances.ts";
import type { FleetList } from "../lib/instance/list-all-hosts.ts";
import type { InstanceInfo } from "../lib/instance/describe.ts";
import { defineAction, globalArgs } from "./_action.ts";
import { formatTable } from "./_format.ts";

export default defineAction({
  meta: { name: "list", description: "List instances with their state and address" },
  args: {
    "all-hosts": { type: "boolean", description: "Every host of the [hosts] setting and the default connection, asked at once; a host that is down is reported, not fatal" },
    ...globalArgs,
  },
  run: async (args, globals) => {
    if (!args["all-hosts"]) return listInstances(connect(globals.uri), globals.dataDir);
    // Loaded only when asked for: plain `list` is what scripts call in a loop.
    const { fleet, listAllHosts } = await import("../lib/instance/list-all-hosts.ts");
    const settings = globals.config!.settings;
    return listAllHosts(fleet(settings.hosts, globals.uri), globals.dataDir, { timeoutMs: settings.hostTimeout * 1000 });
  },
  human(list: InstanceInfo[] | FleetList) {
    if (Array.isArray(list)) {
      if (list.length === 0) return "";
      const rows = list.map((i) => [i.name, i.state, i.ip ?? "-", String(i.sshPort), i.network]);
      return formatTable([["NAME", "STATE", "IP", "PORT", "NETWORK"], ...rows]);
    }
    const rows = list.instances.map((i) => [i.name, i.host, i.state, i.ip ?? "-", String(i.sshPort), i.network]);
    const down = list.hosts.filter((h) => !h.up).map((h) => `host ${h.name} is down: ${h.error}`);
    return [rows.length ? formatTable([["NAME", "HOST", "STATE", "IP", "PORT", "NETWORK"], ...rows]) : "", ...down].filter(Boolean).join("\n");
  },
});

