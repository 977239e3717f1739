// Makes a disk IPL-able by QEMU's s390x firmware (s390-ccw.img) the way zipl
// does for a SCSI-style (512-byte block) disk, without zipl (an s390x program):
//
//   bun zipl-bootmap.ts DISK PART_START_BLOCK KERNEL INITRD CMDLINE
//
// Block 0 keeps its partition table and gets zipl's boot record ("zIPL",
// version 1, a pointer to the program table). From PART_START_BLOCK on (the
// partition the recipe set aside): the program table, one component table that
// loads the kernel at 0x10000 and the initramfs above it and starts the kernel
// at 0x10000, one block list per component, then the data. zipl's stage 3 would
// write the initramfs' address and size and the command line into the kernel's
// parameter area (0x10400); here they are written into the kernel image instead.
// Structures: QEMU's pc-bios/s390-ccw/bootmap.h; all numbers big-endian.
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";

const BLOCK = 512;
const KERNEL_ENTRY = 0x10000;
const PARMAREA = 0x10400;
const MIB = 1024 * 1024;

const [disk, startText, kernelPath, initrdPath, cmdline] = process.argv.slice(2);
if (!disk || !startText || !kernelPath || !initrdPath || cmdline === undefined) {
  console.error("usage: bun zipl-bootmap.ts DISK PART_START_BLOCK KERNEL INITRD CMDLINE");
  process.exit(2);
}
const start = Number(startText);
const image = readFileSync(kernelPath);
const initrd = readFileSync(initrdPath);
if (image.toString("latin1", 0x10008, 0x1000e) !== "S390EP") throw new Error(`${kernelPath}: no "S390EP" at 0x10008: not an s390x kernel image`);

// The initramfs goes above the kernel and room for its decompressor's heap; the
// kernel moves it further up if its decompressed image would reach it.
const initrdAddress = Math.ceil((image.length + 4 * MIB) / MIB) * MIB;
const kernel = Buffer.from(image.subarray(KERNEL_ENTRY));
const parm = (offset: number) => offset - KERNEL_ENTRY;
kernel.writeBigUInt64BE(BigInt(initrdAddress), parm(PARMAREA + 0x08));
kernel.writeBigUInt64BE(BigInt(initrd.length), parm(PARMAREA + 0x10));
const maxCmdline = Number(kernel.readBigUInt64BE(parm(PARMAREA + 0x30))) || 896;
if (cmdline.length >= maxCmdline) throw new Error(`command line longer than the kernel's ${maxCmdline - 1} bytes`);
kernel.fill(0, parm(PARMAREA + 0x80), parm(PARMAREA + 0x80) + maxCmdline);
kernel.write(cmdline, parm(PARMAREA + 0x80), "latin1");

const blocks = (bytes: number) => Math.ceil(bytes / BLOCK);
const programTable = start;
const componentTable = start + 1;
const kernelList = start + 2;
const initrdList = start + 3;
const kernelData = start + 8;
const initrdData = kernelData + blocks(kernel.length);

/** A ScsiBlockPtr: block number, block size, number of blocks after the first. */
function blockPointer(buffer: Buffer, offset: number, block: number, count: number): void {
  buffer.writeBigUInt64BE(BigInt(block), offset);
  buffer.writeUInt16BE(BLOCK, offset + 8);
  buffer.writeUInt16BE(count - 1, offset + 10);
}

/** The block list of `count` blocks from `first`: at most 65536 blocks per pointer, then a zero one. */
function blockList(first: number, count: number): Buffer {
  const list = Buffer.alloc(BLOCK);
  let offset = 0;
  for (let done = 0; done < count; done += 65536, offset += 16) {
    if (offset + 32 > BLOCK) throw new Error("component too large for one block list");
    blockPointer(list, offset, first + done, Math.min(65536, count - done));
  }
  return list;
}

const zipl = Buffer.from("zIPL", "latin1");
const mbr = Buffer.alloc(32);
zipl.copy(mbr, 0);
mbr.writeUInt32BE(1, 4);
blockPointer(mbr, 16, programTable, 1);

const table = Buffer.alloc(BLOCK);
zipl.copy(table, 0);
blockPointer(table, 16, componentTable, 1);

const components = Buffer.alloc(BLOCK);
zipl.copy(components, 0); // header type 0: IPL
const LOAD = 0x02;
const EXEC = 0x01;
[
  [kernelList, LOAD, KERNEL_ENTRY],
  [initrdList, LOAD, initrdAddress],
  [0, EXEC, 0x80000000 + KERNEL_ENTRY], // a 31-bit PSW address
].forEach(([list, type, address], i) => {
  const offset = 32 + 32 * i;
  if (list) blockPointer(components, offset, list, 1);
  components[offset + 23] = type!;
  components.writeBigUInt64BE(BigInt(address!), offset + 24);
});

const fd = openSync(disk, "r+");
const write = (data: Buffer, block: number) => writeSync(fd, data, 0, data.length, block * BLOCK);
write(mbr, 0);
write(table, programTable);
write(components, componentTable);
write(blockList(kernelData, blocks(kernel.length)), kernelList);
write(blockList(initrdData, blocks(initrd.length)), initrdList);
write(kernel, kernelData);
write(initrd, initrdData);
closeSync(fd);
console.log(`zipl-bootmap: kernel ${kernel.length} bytes at block ${kernelData}, initramfs ${initrd.length} bytes at block ${initrdData} (loaded at 0x${initrdAddress.toString(16)})`);
