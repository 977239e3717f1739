import type { UpstreamHost } from "../../host/base-urls.ts";
import type { Resolver } from "./_types.ts";
import { resolveAlma } from "./alma.ts";
import { resolveCentosStream } from "./centos-stream.ts";
import { resolveDebian } from "./debian.ts";
import { resolveFedoraCoreos } from "./fedora-coreos.ts";
import { resolveFedora } from "./fedora.ts";
import { resolveRocky } from "./rocky.ts";
import { resolveUbuntu } from "./ubuntu.ts";

/** One distro a shortcut can name: everything about it is in its entry. */
export interface Distro {
  /** Canonical name, as `distro` in a resolved image. */
  name: string;
  /** Other names a user may type for it. */
  aliases: string[];
  /** How to write the shortcut, for the hint of an unknown one. */
  usage: string;
  /** The upstream hosts its resolver reads: the only ones its context can reach or rebase onto. */
  hosts: UpstreamHost[];
  resolve: Resolver;
}

/** Every distro shortcut, in the order the unknown-shortcut hint lists them. */
export const DISTROS: readonly Distro[] = [
  {
    name: "fedora",
    aliases: [],
    usage: "fedora[:NN|latest|rawhide|branched]",
    hosts: ["fedoraproject.org", "download.fedoraproject.org", "bodhi.fedoraproject.org", "openqa.fedoraproject.org", "kojipkgs.fedoraproject.org"],
    resolve: resolveFedora,
  },
  {
    name: "fedora-coreos",
    aliases: [],
    usage: "fedora-coreos[:stable|testing|next]",
    hosts: ["builds.coreos.fedoraproject.org"],
    resolve: resolveFedoraCoreos,
  },
  { name: "centos-stream", aliases: [], usage: "centos-stream[:N]", hosts: ["cloud.centos.org"], resolve: resolveCentosStream },
  { name: "debian", aliases: [], usage: "debian[:N|CODENAME]", hosts: ["cloud.debian.org"], resolve: resolveDebian },
  { name: "ubuntu", aliases: [], usage: "ubuntu[:NN.NN|CODENAME]", hosts: ["cloud-images.ubuntu.com"], resolve: resolveUbuntu },
  { name: "alma", aliases: ["almalinux"], usage: "alma[:N]", hosts: ["repo.almalinux.org"], resolve: resolveAlma },
  { name: "rocky", aliases: [], usage: "rocky[:N]", hosts: ["dl.rockylinux.org"], resolve: resolveRocky },
];

/** The distro a shortcut's name or alias means, or undefined. */
export function findDistro(name: string): Distro | undefined {
  return DISTROS.find((distro) => distro.name === name || distro.aliases.includes(name));
}
