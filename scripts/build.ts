// Compiles cli.ts into one standalone executable, dist/testcloud, and writes what the
// install script (scripts/install.sh) puts beside it: the man page dist/testcloud.1 and the
// completion scripts under dist/share/, all made from the command definitions.
import { $ } from "bun";
import { compile } from "./compile.ts";
import { completionFiles, manPageText } from "./man-page.ts";

const started = performance.now();
await $`rm -rf dist && mkdir -p dist`;
// Each verb in its own chunk, loaded only when run; the bytecode of the commands scripts call
// in a loop laid out first (docs/design.md has the numbers).
await compile(".", "cli.ts", "dist/testcloud", { splitting: true, profile: [["list", "--json"], ["--version"]] });
// SOURCE_DATE_EPOCH keeps the page's date reproducible, as Debian's builds set it.
const epoch = Number(process.env.SOURCE_DATE_EPOCH ?? Date.now() / 1000);
await Bun.write("dist/testcloud.1", await manPageText(new Date(epoch * 1000).toISOString().slice(0, 10)));
for (const { file, text } of await completionFiles()) await Bun.write(`dist/share/${file}`, text);
const seconds = ((performance.now() - started) / 1000).toFixed(1);
const size = (Bun.file("dist/testcloud").size / 2 ** 20).toFixed(0);
console.error(`built dist/testcloud (${size} MiB) in ${seconds} s`);
