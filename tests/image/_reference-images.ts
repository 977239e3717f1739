/** Images that reference other files, made by the real qemu-img, for the image-store tests. */
import { run } from "../../lib/host/run.ts";

/** A qcow2 whose guest data is `dataFile`, a file on the host (data_file_raw: read as is). */
export async function dataFileImage(path: string, dataFile: string, size = 1 << 20): Promise<string> {
  await run(["qemu-img", "create", "-q", "-f", "qcow2", "-o", `data_file=${dataFile},data_file_raw=on`, path, String(size)]);
  return path;
}

/** A vmdk descriptor (text) whose one extent is `extent`, a file on the host. */
export function flatVmdkDescriptor(extent: string, sectors = 2048): string {
  return [
    "# Disk DescriptorFile",
    "version=1",
    "CID=12345678",
    "parentCID=ffffffff",
    'createType="monolithicFlat"',
    "",
    `RW ${sectors} FLAT "${extent}" 0`,
    "",
    'ddb.adapterType = "ide"',
    "",
  ].join("\n");
}

/** gzip or xz of `bytes`, by the real tools (what a mirror would serve). */
export async function compress(bytes: Uint8Array, kind: "gz" | "xz"): Promise<Uint8Array<ArrayBuffer>> {
  const proc = Bun.spawn(kind === "gz" ? ["gzip", "-1c"] : ["xz", "-0c", "-T1"], { stdin: bytes, stdout: "pipe" });
  const out = new Uint8Array(await new Response(proc.stdout).arrayBuffer());
  if ((await proc.exited) !== 0) throw new Error(`${kind} failed`);
  return out;
}
