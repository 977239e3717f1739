import { describe, expect, test } from "bun:test";
import type { ValueKind } from "../../lib/cli/_command-spec.ts";
import { valueKind } from "../../lib/cli/value-kind.ts";

describe("valueKind", () => {
  const cases: [string, string[], string, Parameters<typeof valueKind>[2], ValueKind][] = [
    ["a switch takes nothing", ["create"], "keep", { type: "boolean" }, { kind: "none" }],
    ["an enum offers its options", ["wait"], "for", { type: "enum", options: ["ssh", "cloud-init"] }, { kind: "words", words: ["ssh", "cloud-init"] }],
    ["a value hint that lists words offers them", ["create"], "firmware", { type: "string", valueHint: "bios|uefi|uefi-secure" }, { kind: "words", words: ["bios", "uefi", "uefi-secure"] }],
    ["a hint with brackets is a format, not words", ["create"], "disk", { type: "string", valueHint: "SIZE[,serial=S][,bus=virtio|scsi|nvme]" }, { kind: "text" }],
    ["FILE offers files", ["create"], "user-data", { type: "string", valueHint: "FILE" }, { kind: "files" }],
    ["a share offers directories", ["create"], "share", { type: "string", valueHint: "HOSTDIR[:TAG][:ro]" }, { kind: "dirs" }],
    ["--network offers libvirt networks and user", ["create"], "network", { type: "string" }, { kind: "dynamic", source: "networks", words: ["user"] }],
    ["--nic too", ["create"], "nic", { type: "string", valueHint: "NETWORK|user" }, { kind: "dynamic", source: "networks", words: ["user"] }],
    ["--connect offers system and session", ["list"], "connect", { type: "string", valueHint: "URI" }, { kind: "words", words: ["system", "session"] }],
    ["--host offers the configured hosts and auto", ["create"], "host", { type: "string", valueHint: "NAME" }, { kind: "dynamic", source: "hosts", words: ["auto"] }],
    ["--from offers templates", ["create"], "from", { type: "string", valueHint: "TEMPLATE" }, { kind: "dynamic", source: "templates" }],
    ["template remove's NAME is a template, not an instance", ["template", "remove"], "name", { type: "positional" }, { kind: "dynamic", source: "templates" }],
    ["a verb's NAME is an existing instance", ["ssh"], "name", { type: "positional" }, { kind: "dynamic", source: "instances" }],
    ["create's IMAGE is a cached image or a file", ["create"], "image", { type: "positional" }, { kind: "dynamic", source: "images", files: true }],
    ["image pull's REF too", ["image", "pull"], "ref", { type: "positional" }, { kind: "dynamic", source: "images", files: true }],
    ["image remove's REF is a cached image, digests included", ["image", "remove"], "ref", { type: "positional" }, { kind: "dynamic", source: "cached" }],
    ["a positional with a word hint offers the words", ["completion"], "shell", { type: "positional", valueHint: "bash|zsh|fish" }, { kind: "words", words: ["bash", "zsh", "fish"] }],
    ["anything else is free text", ["create"], "name", { type: "string" }, { kind: "text" }],
  ];

  test.each(cases)("%s", (_label, path, name, def, expected) => {
    expect(valueKind(path, name, def)).toEqual(expected);
  });
});
