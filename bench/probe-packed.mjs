// Developer probe (not part of npm run bench): would packing the 4·L per-layer hook inputs into 4
// inputs (split in the graph) and the L readout outputs into one (Concat) cut the per-step cost?
// Times session.run decode steps of the source graph, the hooked graph and a packed copy made by
//   /usr/bin/python3 tools/bench/pack_hooked.py HOOKED.onnx .cache/bench/llama12-d768/onnx/model.packed-probe.onnx
//   node bench/probe-packed.mjs THREADS ROUNDS
// (the hooked graph's file name below is the rewrite cache entry of that run; adjust after a rewrite change)
import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';
const dir = '.cache/bench/llama12-d768/onnx/';
const threads = +(process.argv[2] ?? 1), rounds = +(process.argv[3] ?? 8);
const cfg = JSON.parse(readFileSync('.cache/bench/llama12-d768/config.json'));
const L = cfg.num_hidden_layers, d = cfg.hidden_size, kvh = cfg.num_key_value_heads, dh = cfg.head_dim;
const opts = { graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', extra: { session: { intra_op: { allow_spinning: '0' } } } };
const S = {
  plain: await ort.InferenceSession.create(dir + 'model.onnx', opts),
  hooked: await ort.InferenceSession.create(dir + 'model.hooked-72db3f94f936.onnx', opts),
  packed: await ort.InferenceSession.create(dir + 'model.packed-probe.onnx', opts),
};
const past = 64;
const base = {
  input_ids: new ort.Tensor('int64', BigInt64Array.from([300n]), [1, 1]),
  attention_mask: new ort.Tensor('int64', new BigInt64Array(past + 1).fill(1n), [1, past + 1]),
  position_ids: new ort.Tensor('int64', BigInt64Array.from([BigInt(past)]), [1, 1]),
};
for (let i = 0; i < L; i++) for (const kv of ['key', 'value']) base[`past_key_values.${i}.${kv}`] = new ort.Tensor('float32', new Float32Array(kvh * past * dh).fill(0.01), [1, kvh, past, dh]);
const rnd = (n) => Float32Array.from({ length: n }, () => Math.random() * 0.02 - 0.01);
const feeds = { plain: { ...base }, hooked: { ...base }, packed: { ...base } };
for (let l = 0; l < L; l++) {
  feeds.hooked[`rl.add.${l}`] = new ort.Tensor('float32', rnd(d), [d]);
  feeds.hooked[`rl.proj.${l}`] = new ort.Tensor('float32', rnd(d), [1, d]);
  feeds.hooked[`rl.projT.${l}`] = new ort.Tensor('float32', rnd(d), [d, 1]);
  feeds.hooked[`rl.axesT.${l}`] = new ort.Tensor('float32', rnd(d * 3), [d, 3]);
}
feeds.packed['rl.add'] = new ort.Tensor('float32', rnd(L * d), [L, d]);
feeds.packed['rl.proj'] = new ort.Tensor('float32', rnd(L * d), [L, 1, d]);
feeds.packed['rl.projT'] = new ort.Tensor('float32', rnd(L * d), [L, d, 1]);
feeds.packed['rl.axesT'] = new ort.Tensor('float32', rnd(L * d * 3), [L, d, 3]);
const fetch = (s) => s.outputNames.filter((n) => n === 'logits' || n.startsWith('present') || n.startsWith('rl.read'));
const step = async (k, n) => { const t = performance.now(); for (let i = 0; i < n; i++) await S[k].run(feeds[k], fetch(S[k])); return (performance.now() - t) / n; };
for (const k of Object.keys(S)) await step(k, 3);
const res = { plain: [], hooked: [], packed: [] };
for (let r = 0; r < rounds; r++) for (const k of (r % 2 ? ['plain', 'hooked', 'packed'] : ['packed', 'hooked', 'plain'])) res[k].push(await step(k, 12));
const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const ratio = (a, b) => med(res[a].map((x, i) => x / res[b][i]));
console.log(`threads ${threads}: plain ${med(res.plain).toFixed(2)} hooked ${med(res.hooked).toFixed(2)} packed ${med(res.packed).toFixed(2)} ms/step; hooked/plain ${ratio('hooked', 'plain').toFixed(3)} packed/plain ${ratio('packed', 'plain').toFixed(3)} packed/hooked ${ratio('packed', 'hooked').toFixed(3)}`);
