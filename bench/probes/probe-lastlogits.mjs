// Developer probe (not part of npm run bench): prefill of 64 tokens on the source graph vs the same
// graph with a Slice to the last position before lm_head (made by tools/bench/make_lastlogits.py).
// node bench/probes/probe-lastlogits.mjs THREADS
import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';
const dir = new URL('../../.cache/bench/llama12-d768/', import.meta.url).pathname;
const cfg = JSON.parse(readFileSync(dir + 'config.json'));
const threads = +(process.argv[2] ?? 1);
const opt = { graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential' };
const A = await ort.InferenceSession.create(dir + 'onnx/model.onnx', opt);
const B = await ort.InferenceSession.create(dir + 'onnx/model_lastlogits.onnx', opt);
const T = 64, L = cfg.num_hidden_layers;
const feeds = {
  input_ids: new ort.Tensor('int64', BigInt64Array.from({ length: T }, (_, i) => BigInt(300 + i * 37)), [1, T]),
  attention_mask: new ort.Tensor('int64', new BigInt64Array(T).fill(1n), [1, T]),
  position_ids: new ort.Tensor('int64', BigInt64Array.from({ length: T }, (_, i) => BigInt(i)), [1, T]),
};
for (let i = 0; i < L; i++) for (const kv of ['key', 'value']) feeds[`past_key_values.${i}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [1, cfg.num_key_value_heads, 0, cfg.head_dim]);
const time = async (s) => { const t = performance.now(); const o = await s.run(feeds); const ms = performance.now() - t; return [ms, o.logits]; };
const ra = [], rb = [];
for (let r = 0; r < 11; r++) {
  const order = r % 2 ? [B, A] : [A, B];
  const res = new Map();
  for (const s of order) res.set(s, await time(s));
  if (r === 0) {
    const la = res.get(A)[1], lb = res.get(B)[1];
    const V = la.dims[2];
    let maxd = 0;
    for (let v = 0; v < V; v++) maxd = Math.max(maxd, Math.abs(la.data[(T - 1) * V + v] - lb.data[v]));
    console.log('logits dims', la.dims, lb.dims, 'max |diff| last position', maxd);
    continue;
  }
  ra.push(res.get(A)[0]); rb.push(res.get(B)[0]);
}
const med = (x) => [...x].sort((a, b) => a - b)[x.length >> 1];
console.log(`threads ${threads}: full logits ${med(ra).toFixed(1)} ms, last-position logits ${med(rb).toFixed(1)} ms, per-round ratio median ${med(ra.map((a, i) => rb[i] / a)).toFixed(3)} (min ${Math.min(...ra.map((a, i) => rb[i] / a)).toFixed(3)}, max ${Math.max(...ra.map((a, i) => rb[i] / a)).toFixed(3)})`);
