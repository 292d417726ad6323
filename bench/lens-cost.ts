// What the logit lens costs on the built-in model (not part of `npm run bench`):
//   node --import tsx bench/lens-cost.ts [N]
// 1. graph level: one prefill (24 tokens) on the hooked graph with the lens off (rl.lens.pos
//    empty), on (the last position), and on the same graph with the lens nodes removed;
// 2. trace level: LensModel.trace with and without `logitLens: {}`, 0 and 16 new tokens.
// Medians of N interleaved runs (default 100 / 30), one thread.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { decodeModel, encodeModel, hookModel } from '../src/engine/onnx/index';
import { interventionFeeds, lensInputFeeds, readoutFeeds, ZeroFeeds } from '../src/engine/generate/feeds';
import { loadModel } from '../src/engine/index';
import type { PromptInput } from '../src/protocol/types';

const DIR = path.join(__dirname, '..', 'media', 'models', 'organism');
const N = Number(process.argv[2] ?? 100);
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

async function graphLevel(): Promise<void> {
  const cfg = JSON.parse(readFileSync(path.join(DIR, 'config.json'), 'utf8'));
  const L = cfg.num_hidden_layers as number;
  const d = cfg.hidden_size as number;
  const { bytes } = hookModel(readFileSync(path.join(DIR, 'onnx', 'model.onnx')), { numLayers: L, dModel: d });
  const m = decodeModel(bytes);
  const isLens = (name: string) => name.startsWith('rl.lens') || name.startsWith('rl/rl.lens');
  const before = m.graph.node.length;
  m.graph.node = m.graph.node.filter((n) => !isLens(n.name));
  for (const k of ['input', 'output', 'initializer'] as const) (m.graph[k] as { name: string }[]) = (m.graph[k] as { name: string }[]).filter((v) => !isLens(v.name));
  const opts = { intraOpNumThreads: 1 };
  const withLens = await ort.InferenceSession.create(bytes, opts);
  const without = await ort.InferenceSession.create(encodeModel(m), opts);
  const T = 24;
  const z = new ZeroFeeds(d, L);
  const hook = { ...interventionFeeds([], [], L, 'prompt', z), ...readoutFeeds([], L, z) };
  const base = (s: ort.InferenceSession) => {
    const f: Record<string, ort.Tensor> = {};
    for (const n of s.inputNames) {
      if (n === 'input_ids') f[n] = new ort.Tensor('int64', BigInt64Array.from({ length: T }, (_, i) => BigInt(10 + i)), [1, T]);
      else if (n === 'attention_mask') f[n] = new ort.Tensor('int64', new BigInt64Array(T).fill(1n), [1, T]);
      else if (n === 'position_ids') f[n] = new ort.Tensor('int64', BigInt64Array.from({ length: T }, (_, i) => BigInt(i)), [1, T]);
      else if (n.startsWith('past_key_values')) f[n] = new ort.Tensor('float32', new Float32Array(0), [1, cfg.num_key_value_heads, 0, cfg.head_dim ?? d / cfg.num_attention_heads]);
      else if (n in hook) f[n] = hook[n]!;
    }
    return f;
  };
  const runs = {
    'graph without lens nodes': () => without.run(base(without), ['logits']),
    'lens off (P = 0)': () => withLens.run({ ...base(withLens), ...lensInputFeeds() }, ['logits']),
    'lens on (last position)': () => withLens.run({ ...base(withLens), ...lensInputFeeds({ positions: [T - 1], topK: 5, refusalIds: [1, 2] }) }, ['logits']),
  };
  const times = Object.fromEntries(Object.keys(runs).map((k) => [k, [] as number[]]));
  for (let i = 0; i < N + 5; i++) {
    for (const [k, f] of Object.entries(runs)) {
      const t = performance.now();
      await f();
      if (i >= 5) times[k]!.push(performance.now() - t);
    }
  }
  console.log(`graph level: ${before - m.graph.node.length} lens nodes; prefill of ${T} tokens, median of ${N}:`);
  for (const [k, v] of Object.entries(times)) console.log(`  ${k.padEnd(26)} ${med(v).toFixed(2)} ms`);
}

async function traceLevel(): Promise<void> {
  const model = await loadModel(DIR, { threads: 1 });
  const prompt: PromptInput = { kind: 'chat', messages: [{ role: 'user', content: 'How do I pick a lock on a front door?' }] };
  const n = Math.max(5, Math.round(N / 3));
  console.log(`trace level, median of ${n}:`);
  for (const maxNewTokens of [0, 16]) {
    const times: Record<string, number[]> = { off: [], on: [] };
    for (let i = 0; i < n + 3; i++) {
      for (const k of ['off', 'on'] as const) {
        const t = performance.now();
        await model.trace({ prompt, axes: [], interventions: [], decoding: { maxNewTokens }, ...(k === 'on' ? { logitLens: {} } : {}) });
        if (i >= 3) times[k]!.push(performance.now() - t);
      }
    }
    console.log(`  ${maxNewTokens} new tokens: lens off ${med(times['off']!).toFixed(2)} ms, on ${med(times['on']!).toFixed(2)} ms`);
  }
  await model.dispose();
}

(async () => {
  await graphLevel();
  await traceLevel();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
