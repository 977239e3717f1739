/**
 * Title of every testcloud domain: `list` and `clean` find a data dir's domains
 * with one `virsh list --title`, and leave other data dirs' domains alone.
 * (Its own module: `list` needs it and none of the domain XML.)
 */
export function domainTitle(dataDir: string): string {
  return `testcloud instance in ${dataDir}`;
}

/** Title of a template's domain while the template is made: `list` does not take it for an instance. */
export function templateTitle(dataDir: string): string {
  return `testcloud template in ${dataDir}`;
}
