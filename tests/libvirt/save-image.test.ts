import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseSaveImage, readSaveImage, renderSaveHead, SAVE_HEADER_BYTES } from "../../lib/libvirt/save-image.ts";

// The header and data area of a real `virsh save` of a template (libvirt 9.0, QEMU 7.2).
const HEAD = join(import.meta.dir, "../fixtures/libvirt-save/template-head.bin");

describe("save images", () => {
  test("readSaveImage finds the domain XML, the cookie and where the stream starts in libvirt's own file", async () => {
    const image = await readSaveImage(HEAD);
    expect(image.version).toBe(2);
    expect(image.wasRunning).toBe(true);
    expect(image.xml).toStartWith("<domain type='qemu'");
    expect(image.xml.trimEnd()).toEndWith("</domain>");
    expect(new TextDecoder().decode(image.cookie)).toStartWith("<cookie>");
    expect(image.cookie.at(-1)).toBe(0);
    expect(image.streamOffset).toBe(readFileSync(HEAD).length);
  });

  test("renderSaveHead writes a head parseSaveImage reads back, with the new XML's length", async () => {
    const image = await readSaveImage(HEAD);
    const xml = image.xml.replace("<name>template.tt</name>", "<name>a-much-longer-fork-name</name>");
    const head = renderSaveHead({ ...image, xml });
    const again = parseSaveImage(head);
    expect(again).toEqual({ ...image, xml, streamOffset: head.length });
  });

  test("parseSaveImage refuses what is not a libvirt save image, a compressed one, and a cut-short one", () => {
    const head = readFileSync(HEAD);
    expect(() => parseSaveImage(Buffer.from("not a save image".padEnd(200, " ")))).toThrow(/not a libvirt QEMU save image/);
    const compressed = Buffer.from(head);
    compressed.writeUInt32LE(1, 28);
    expect(() => parseSaveImage(compressed)).toThrow(/compressed/);
    expect(() => parseSaveImage(head.subarray(0, SAVE_HEADER_BYTES + 100))).toThrow(/cut short/);
    try {
      parseSaveImage(head.subarray(0, 10));
    } catch (error) {
      expect((error as { code: string }).code).toBe("E_TEMPLATE_CORRUPT");
    }
  });
});
