// Developer probe (not part of npm run bench): ONNX Runtime's memory patterns on vs off (and the
// CPU arena off) for decode steps whose past length grows every step, as in generation, and for
// 64-token prefills; interleaved rounds, hooked 12-layer bench graph.
//   node bench/probe-mempattern.mjs THREADS ROUNDS   (after npm run bench has made .cache/bench)
import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';
const dir = '.cache/bench/llama12-d768/onnx/';
const threads = +(process.argv[2] ?? 1), rounds = +(process.argv[3] ?? 6);
const cfg = JSON.parse(readFileSync('.cache/bench/llama12-d768/config.json'));
const L = cfg.num_hidden_layers, d = cfg.hidden_size, kvh = cfg.num_key_value_heads, dh = cfg.head_dim;
const mk = (pattern, arena) => ort.InferenceSession.create(dir + 'model.hooked-72db3f94f936.onnx', { graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', enableMemPattern: pattern, enableCpuMemArena: arena, extra: { session: { intra_op: { allow_spinning: '0' } } } });
const S = { pat: await mk(true, true), nopat: await mk(false, true), noarena: await mk(false, false) };
const rnd = (n) => Float32Array.from({ length: n }, () => Math.random() * 0.02 - 0.01);
const hook = {};
for (let l = 0; l < L; l++) {
  hook[`rl.add.${l}`] = new ort.Tensor('float32', rnd(d), [d]);
  hook[`rl.proj.${l}`] = new ort.Tensor('float32', rnd(d), [1, d]);
  hook[`rl.projT.${l}`] = new ort.Tensor('float32', rnd(d), [d, 1]);
  hook[`rl.axesT.${l}`] = new ort.Tensor('float32', rnd(d * 3), [d, 3]);
}
const kv0 = new Float32Array(kvh * 128 * dh).fill(0.01);
async function decode(s, past0, n) {
  const fetches = s.outputNames.filter((x) => x === 'logits' || x.startsWith('present') || x.startsWith('rl.read'));
  let pk = Array.from({ length: 2 * L }, () => new ort.Tensor('float32', kv0.subarray(0, kvh * past0 * dh), [1, kvh, past0, dh]));
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    const past = past0 + i;
    const feeds = { ...hook, input_ids: new ort.Tensor('int64', BigInt64Array.from([300n]), [1, 1]), attention_mask: new ort.Tensor('int64', new BigInt64Array(past + 1).fill(1n), [1, past + 1]), position_ids: new ort.Tensor('int64', BigInt64Array.from([BigInt(past)]), [1, 1]) };
    for (let l = 0; l < L; l++) { feeds[`past_key_values.${l}.key`] = pk[2 * l]; feeds[`past_key_values.${l}.value`] = pk[2 * l + 1]; }
    const out = await s.run(feeds, fetches);
    pk = Array.from({ length: L }, (_, l) => [out[`present.${l}.key`], out[`present.${l}.value`]]).flat();
  }
  return (performance.now() - t) / n;
}
for (const k of Object.keys(S)) await decode(S[k], 60, 4);
const res = { pat: [], nopat: [], noarena: [] };
for (let r = 0; r < rounds; r++) for (const k of (r % 2 ? Object.keys(S) : Object.keys(S).reverse())) res[k].push(await decode(S[k], 64, 24));
const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const ratio = (a, b) => med(res[a].map((x, i) => x / res[b][i]));
console.log(`threads ${threads}: pattern ${med(res.pat).toFixed(2)} nopattern ${med(res.nopat).toFixed(2)} noarena ${med(res.noarena).toFixed(2)} ms/step; nopat/pat ${ratio('nopat', 'pat').toFixed(3)} noarena/pat ${ratio('noarena', 'pat').toFixed(3)}`);
async function prefill(s, n) {
  const fetches = s.outputNames.filter((x) => x === 'logits' || x.startsWith('present') || x.startsWith('rl.read'));
  const T = 64;
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    const feeds = { ...hook, input_ids: new ort.Tensor('int64', BigInt64Array.from({ length: T }, (_, j) => BigInt(300 + j + i)), [1, T]), attention_mask: new ort.Tensor('int64', new BigInt64Array(T).fill(1n), [1, T]), position_ids: new ort.Tensor('int64', BigInt64Array.from({ length: T }, (_, j) => BigInt(j)), [1, T]) };
    for (let l = 0; l < L; l++) for (const kv of ['key', 'value']) feeds[`past_key_values.${l}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [1, kvh, 0, dh]);
    await s.run(feeds, fetches);
  }
  return (performance.now() - t) / n;
}
const pre = { pat: [], nopat: [], noarena: [] };
for (let r = 0; r < rounds; r++) for (const k of (r % 2 ? Object.keys(S) : Object.keys(S).reverse())) pre[k].push(await prefill(S[k], 4));
const rp = (a, b) => med(pre[a].map((x, i) => x / pre[b][i]));
console.log(`prefill threads ${threads}: pattern ${med(pre.pat).toFixed(2)} nopattern ${med(pre.nopat).toFixed(2)} noarena ${med(pre.noarena).toFixed(2)} ms; nopat/pat ${rp('nopat', 'pat').toFixed(3)} noarena/pat ${rp('noarena', 'pat').toFixed(3)}; rss ${(process.memoryUsage().rss/2**20).toFixed(0)} MiB`);
