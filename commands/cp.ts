import { progressPrinter, bytes } from "../lib/image/progress.ts";
import { connect } from "../lib/libvirt/virsh.ts";
import { copyFiles, type CopyResult } from "../lib/instance/copy-files.ts";
import { parseCopyRequest } from "../lib/instance/copy-request.ts";
import { defineAction, globalArgs } from "./_action.ts";

export default defineAction({
  meta: { name: "cp", description: "Copy files between the host and an instance: cp [-r] SRC… DST, one side NAME:PATH" },
  args: {
    paths: { type: "positional", description: "Sources then the destination; NAME:PATH is a path in instance NAME (relative: in its user's home)", required: true },
    recursive: { type: "boolean", alias: "r", description: "Copy directories and everything in them" },
    ...globalArgs,
  },
  variadic: true,
  async run(args, globals) {
    const request = parseCopyRequest(args._.map(String), args.recursive === true);
    // A redrawn line per file on a terminal; elsewhere only the summary.
    const print = !globals.json && process.stderr.isTTY ? progressPrinter() : undefined;
    return copyFiles(request, {
      conn: connect(globals.uri),
      dataDir: globals.dataDir,
      signal: globals.signal,
      onProgress: print && ((p) => print({ phase: "copy", resumedFrom: 0, ...p })),
    });
  },
  human: (r: CopyResult) => {
    const guest = (path: string) => `${r.name}:${path}`;
    const [first] = r.files;
    const what = r.files.length === 1 && first
      ? `${r.direction === "upload" ? first.source : guest(first.source)} to ${r.direction === "upload" ? guest(first.destination) : first.destination}`
      : `${r.files.length} sources ${r.direction === "upload" ? "to" : "from"} ${r.name}`;
    return `copied ${what} (${bytes(r.bytes)} in ${r.seconds.toFixed(1)} s, ${bytes(r.bytes / Math.max(r.seconds, 0.01))}/s)`;
  },
});
