// Compiles cli.ts into one standalone executable: dist/testcloud.
import { $ } from "bun";

const started = performance.now();
await $`rm -rf dist && mkdir -p dist`;
// --bytecode pre-compiles the JS so start-up skips parsing; --splitting keeps each lazily
// imported verb in its own chunk, loaded only when run (docs/design.md has the numbers).
await $`bun build --compile --splitting --bytecode --format=esm --minify cli.ts --outfile dist/testcloud`.quiet();
const seconds = ((performance.now() - started) / 1000).toFixed(1);
const size = (Bun.file("dist/testcloud").size / 2 ** 20).toFixed(0);
console.error(`built dist/testcloud (${size} MiB) in ${seconds} s`);
