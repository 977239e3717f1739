import { statfsSync } from "node:fs";
import { dirname } from "../host/posix-path.ts";
import { ImageError } from "../errors.ts";

// statfs is a cheap syscall, but once per 64 KiB chunk would still be thousands per GiB.
const CHECK_EVERY = 4 << 20;
const MIN_INTERVAL = 64 << 10;
const MAX_DEFAULT_RESERVE = 1 << 30;

/**
 * Watches the free space of the file system a cache file is written to and stops the
 * write before the disk is full: the host runs other people's VMs, whose disks grow.
 * Call with the bytes written so far; it throws E_DISK_FULL once the space available
 * to unprivileged users (statfs f_bavail: root's reserved blocks do not count) drops
 * below `reserve`, by default 5% of the file system, at most 1 GiB. It looks more often
 * as the space left nears the reserve. (A download's bytes reach the disk up to its ring
 * of 4 MiB later than they are counted: that much may still go into the reserve.)
 */
export function spaceGuard(file: string, reserve?: number): (written: number) => void {
  let next = 0;
  let minimum = reserve;
  return (written) => {
    if (written < next) return;
    const fs = statfsSync(dirname(file));
    minimum ??= Math.min(MAX_DEFAULT_RESERVE, Math.floor((fs.blocks * fs.bsize) / 20));
    const free = fs.bavail * fs.bsize;
    if (free < minimum) throw belowReserve(file, free, minimum);
    next = written + Math.max(MIN_INTERVAL, Math.min(CHECK_EVERY, (free - minimum) / 2));
  };
}

function belowReserve(file: string, free: number, reserve: number): ImageError {
  return new ImageError(
    `No space left for the image cache: "${dirname(dirname(file))}": ${free} bytes free, below the reserve of ${reserve} bytes`,
    { code: "E_DISK_FULL", hint: "free space, or remove unused images: testcloud image prune" },
  );
}
