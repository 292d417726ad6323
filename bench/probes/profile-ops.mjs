// Developer probe (not part of npm run bench): ONNX Runtime per-op profile of batch-1 decode
// steps on the benchmark model, and for a hooked graph the kernel time of the nodes the rewrite
// added (names rl/...). node bench/probes/profile-ops.mjs GRAPH.onnx THREADS
import * as ort from 'onnxruntime-node';
import { readFileSync, readdirSync, statSync } from 'node:fs';
const [graph, threads = '1'] = process.argv.slice(2);
const cfg = JSON.parse(readFileSync(new URL('../../.cache/bench/llama12-d768/config.json', import.meta.url)));
const s = await ort.InferenceSession.create(graph, { graphOptimizationLevel: 'all', intraOpNumThreads: +threads, interOpNumThreads: 1, executionMode: 'sequential', enableMemPattern: false, extra: { session: { intra_op: { allow_spinning: '0' } } }, enableProfiling: true, profileFilePrefix: '/tmp/ortprof' });
const L = cfg.num_hidden_layers, d = cfg.hidden_size, kvh = cfg.num_key_value_heads, dh = cfg.head_dim;
const past = 64;
const feeds = {
  input_ids: new ort.Tensor('int64', BigInt64Array.from([300n]), [1, 1]),
  attention_mask: new ort.Tensor('int64', new BigInt64Array(past + 1).fill(1n), [1, past + 1]),
  position_ids: new ort.Tensor('int64', BigInt64Array.from([BigInt(past)]), [1, 1]),
};
for (let i = 0; i < L; i++) for (const kv of ['key', 'value']) feeds[`past_key_values.${i}.${kv}`] = new ort.Tensor('float32', new Float32Array(kvh * past * dh).fill(0.01), [1, kvh, past, dh]);
for (const n of s.inputNames) {
  if (n.startsWith('rl.add.')) feeds[n] = new ort.Tensor('float32', new Float32Array(d).fill(0.01), [d]);
  if (n.startsWith('rl.proj.')) feeds[n] = new ort.Tensor('float32', new Float32Array(d).fill(0.03), [1, d]);
  if (n.startsWith('rl.projT.')) feeds[n] = new ort.Tensor('float32', new Float32Array(d).fill(0.03), [d, 1]);
  if (n.startsWith('rl.axesT.')) feeds[n] = new ort.Tensor('float32', new Float32Array(d * 3).fill(0.03), [d, 3]);
}
const fetches = s.outputNames.filter((n) => n === 'logits' || n.startsWith('present') || n.startsWith('rl.read'));
for (let i = 0; i < 5; i++) await s.run(feeds, fetches);
const N = 30;
const t = performance.now();
for (let i = 0; i < N; i++) await s.run(feeds, fetches);
const wall = (performance.now() - t) / N;
s.endProfiling();
await s.release();
const file = readdirSync('/tmp').filter((f) => f.startsWith('ortprof')).map((f) => '/tmp/' + f).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
const ev = JSON.parse(readFileSync(file, 'utf8')).filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
const byOp = new Map();
let total = 0;
for (const e of ev) {
  const op = e.args.op_name;
  byOp.set(op, (byOp.get(op) ?? 0) + e.dur);
  total += e.dur;
}
const runs = 35;
const hooks = new Map();
for (const e of ev) if (e.name.startsWith('rl/')) hooks.set(e.args.op_name, (hooks.get(e.args.op_name) ?? 0) + e.dur);
const hookSum = [...hooks.values()].reduce((a, b) => a + b, 0);
console.log(`wall ms/step ${wall.toFixed(2)}; kernel sum ms/step ${(total / runs / 1000).toFixed(2)}; rl/ nodes ${(hookSum / runs / 1000).toFixed(3)} ms (${[...hooks].map(([o, us]) => `${o} ${(us / runs / 1000).toFixed(3)}`).join(', ')})`);
for (const [op, us] of [...byOp].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(op.padEnd(32), (us / runs / 1000).toFixed(3), 'ms');
// Biggest MatMul nodes: effective bandwidth over their weight bytes.
const mm = new Map();
for (const e of ev) if (e.args.op_name === 'MatMul' || e.args.op_name === 'FusedMatMul') mm.set(e.name, (mm.get(e.name) ?? 0) + e.dur);
console.log([...mm].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([n, us]) => `${n.replace('_kernel_time', '')} ${(us / runs / 1000).toFixed(3)}ms`).join('\n'));
