import type { DynamicSource } from "../cli/_command-spec.ts";
import { listImages } from "../image/list-images.ts";
import type { Virsh } from "../libvirt/virsh.ts";
import { listNetworks } from "../libvirt/virsh-network.ts";
import { instanceNames } from "./state.ts";
import { templateNames } from "./template-state.ts";

export interface CompleteOptions {
  dataDir: string;
  imageDir: string;
  conn: Virsh;
  /** The names of the [hosts] setting. */
  hosts: string[];
}

/**
 * What shell completion offers for an argument only testcloud can fill in: instance names
 * (from the data dir, without asking libvirt), what create and image pull accept from the
 * cache (shortcuts and sources), what image remove accepts (digests too), libvirt networks,
 * template names (from the data dir) and the hosts of the [hosts] setting.
 */
export async function completeValues(source: DynamicSource, options: CompleteOptions): Promise<string[]> {
  switch (source) {
    case "instances":
      return instanceNames(options.dataDir);
    case "images":
    case "cached": {
      const images = listImages(options.imageDir);
      const digests = source === "cached" ? images.map((i) => i.digest.slice(0, 12)) : [];
      return [...new Set([...digests, ...images.flatMap((i) => [...i.references.map((r) => r.reference), ...i.sources])])];
    }
    case "networks":
      return listNetworks(options.conn);
    case "hosts":
      return options.hosts;
    case "templates":
      return templateNames(options.dataDir);
  }
}
