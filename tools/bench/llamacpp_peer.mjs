// llama.cpp through node-llama-cpp, run as a child of `npm run bench` (bench/checkpoint.ts) so its
// threads and memory are its own. Greedy decoding at batch 1 on one GGUF file: prefill ms (time to
// the first generated token: the prompt's forward pass + one sampling) and decode ms per token
// (the following tokens), plus the generated ids (to compare with Refusal Lens's greedy tokens).
//   node tools/bench/llamacpp_peer.mjs '{"module": DIR/node_modules/node-llama-cpp, "model": F.gguf,
//     "threads": 1, "prompt": [ids], "newTokens": 32, "rounds": 3}'
// Prints one JSON line: {ok, runs: [{prefillMs, decodeMs, steps, tokens}], loadMs, rssPeakBytes}
// or {ok: false, error}.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import * as path from 'node:path';

const a = JSON.parse(process.argv[2]);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
try {
  const entry = path.join(a.module, JSON.parse(readFileSync(path.join(a.module, 'package.json'), 'utf8')).exports?.['.']?.import ?? 'dist/index.js');
  const { getLlama, LlamaLogLevel } = await import(pathToFileURL(entry).href);
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error, maxThreads: a.threads });
  const t0 = performance.now();
  const model = await llama.loadModel({ modelPath: a.model, useMmap: true });
  const loadMs = performance.now() - t0;
  const ctx = await model.createContext({ contextSize: 512, batchSize: 512, threads: { ideal: a.threads, min: a.threads }, sequences: 1 });
  const runs = [];
  for (let r = 0; r < (a.rounds ?? 3); r++) {
    const seq = ctx.getSequence();
    const tokens = [];
    const start = performance.now();
    let first = 0;
    for await (const t of seq.evaluate(a.prompt, { temperature: 0 })) {
      if (!tokens.length) first = performance.now();
      tokens.push(t);
      if (tokens.length >= a.newTokens) break;
    }
    const end = performance.now();
    runs.push({ prefillMs: first - start, decodeMs: end - first, steps: tokens.length - 1, tokens });
    seq.dispose();
  }
  const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
  await ctx.dispose();
  await model.dispose();
  out({ ok: true, loadMs, runs, rssPeakBytes: m ? Number(m[1]) * 1024 : undefined, threads: a.threads });
} catch (e) {
  out({ ok: false, error: String(e?.stack ?? e) });
}
process.exit(0);
