// Developer probe (not part of npm run bench): batch-1 decode steps at N threads with ONNX Runtime's
// default spinning intra-op pool vs session.intra_op.allow_spinning = 0. node bench/probes/probe-spin.mjs 2
import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';
const dir = new URL('../../.cache/bench/llama12-d768/', import.meta.url).pathname;
const cfg = JSON.parse(readFileSync(dir + 'config.json'));
const threads = +(process.argv[2] ?? 2);
const base = { graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential' };
const A = await ort.InferenceSession.create(dir + 'onnx/model.onnx', base);
const B = await ort.InferenceSession.create(dir + 'onnx/model.onnx', { ...base, extra: { session: { intra_op: { allow_spinning: '0' } } } });
const past = 64, L = cfg.num_hidden_layers;
const feeds = {
  input_ids: new ort.Tensor('int64', BigInt64Array.from([300n]), [1, 1]),
  attention_mask: new ort.Tensor('int64', new BigInt64Array(past + 1).fill(1n), [1, past + 1]),
  position_ids: new ort.Tensor('int64', BigInt64Array.from([BigInt(past)]), [1, 1]),
};
for (let i = 0; i < L; i++) for (const kv of ['key', 'value']) feeds[`past_key_values.${i}.${kv}`] = new ort.Tensor('float32', new Float32Array(cfg.num_key_value_heads * past * cfg.head_dim).fill(0.01), [1, cfg.num_key_value_heads, past, cfg.head_dim]);
const steps = async (s) => { const t = performance.now(); for (let i = 0; i < 20; i++) await s.run(feeds); return (performance.now() - t) / 20; };
const ra = [], rb = [];
for (let r = 0; r < 9; r++) {
  const [x, y] = r % 2 ? [B, A] : [A, B];
  const tx = await steps(x), ty = await steps(y);
  if (r === 0) continue;
  ra.push(x === A ? tx : ty); rb.push(x === A ? ty : tx);
}
const med = (x) => [...x].sort((a, b) => a - b)[x.length >> 1];
const q = ra.map((a, i) => rb[i] / a);
console.log(`threads ${threads}: spinning ${med(ra).toFixed(1)} ms/step, no spinning ${med(rb).toFixed(1)} ms/step, ratio ${med(q).toFixed(3)} (${Math.min(...q).toFixed(3)}–${Math.max(...q).toFixed(3)})`);
