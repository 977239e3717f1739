const t0 = performance.now();
const { main } = await import("./commands/main.ts");
const t1 = performance.now();
await main();
console.error("tc import-start", t0.toFixed(1), "imported", t1.toFixed(1), "end", performance.now().toFixed(1));
