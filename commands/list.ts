import { connect } from "../lib/libvirt/virsh.ts";
import { listInstances } from "../lib/instance/list-instances.ts";
import type { InstanceInfo } from "../lib/instance/describe.ts";
import { defineAction, globalArgs } from "./_action.ts";
import { formatTable } from "./_format.ts";

export default defineAction({
  meta: { name: "list", description: "List instances with their state and address" },
  args: { ...globalArgs },
  run: (_args, globals) => listInstances(connect(globals.uri), globals.dataDir),
  human(list: InstanceInfo[]) {
    if (list.length === 0) return "";
    const rows = list.map((i) => [i.name, i.state, i.ip ?? "-", String(i.sshPort), i.network]);
    return formatTable([["NAME", "STATE", "IP", "PORT", "NETWORK"], ...rows]);
  },
});
