import { connect } from "../../lib/libvirt/virsh.ts";
import { listSnapshots } from "../../lib/instance/list-snapshots.ts";
import type { DomainSnapshot } from "../../lib/libvirt/virsh-snapshot.ts";
import { defineAction, globalArgs } from "../_action.ts";
import { formatTable } from "../_format.ts";
import { nameArg } from "../_instance-args.ts";

export default defineAction({
  group: "snapshot",
  meta: { name: "list", description: "List an instance's snapshots, oldest first" },
  args: { ...nameArg, ...globalArgs },
  run: (args, globals) => listSnapshots(connect(globals.uri), globals.dataDir, args.name),
  human(list: DomainSnapshot[]) {
    if (list.length === 0) return "";
    const rows = list.map((s) => [s.name, s.createdAt.slice(0, 19).replace("T", " "), s.state, s.memory ? "yes" : "no", s.current ? "*" : ""]);
    return formatTable([["NAME", "CREATED (UTC)", "STATE", "MEMORY", "CURRENT"], ...rows]);
  },
});
