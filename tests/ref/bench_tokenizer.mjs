// bench_tokenizer.mjs FILE - js-tiktoken's gpt2 encode throughput on FILE
// (the encoding is built before the clock starts; best of 3 runs).
import { readFileSync } from "node:fs";
import { getEncoding } from "js-tiktoken";
const text = readFileSync(process.argv[2], "utf8");
const bytes = Buffer.byteLength(text, "utf8");
const enc = getEncoding("gpt2");
let best = Infinity, n = 0;
for (let r = 0; r < 3; r++) {
  const t0 = process.hrtime.bigint();
  n = enc.encode(text, "all").length;
  best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
}
console.log(`js-tiktoken: ${bytes} bytes -> ${n} tokens in ${best.toFixed(3)} s = ${(bytes / 1e6 / best).toFixed(2)} MB/s`);
