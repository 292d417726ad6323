// The fixture models (test/fixtures/models, from tools/make_fixtures.sh) are usable: each graph
// runs in onnxruntime-node with a 0-length past (prefill) and then a decode step fed the
// returned presents, and its logits match golden.json (computed in torch, never in ORT).
// ONNX Runtime through src/engine/runtime.ts's thin session and tensor helpers only (the one file
// that imports onnxruntime-node), none of the engine's loading or graph logic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createSession, emptyTensor, int64Tensor, type OrtTensor as Tensor, type Session } from '../../src/engine/runtime';

const ROOT = path.join(__dirname, '..', 'fixtures', 'models');

interface Golden {
  layers: number;
  d_model: number;
  vocab_size: number;
  prompt_ids: number[];
  prompt2_ids: number[];
  cases: Record<string, { logits_last: number[]; prompt2: { logits_last: number[] } }>;
  greedy: { prompt_ids: number[]; n: number; none: number[] };
}

interface Fixture {
  name: string;
  graph: string;
  golden: string; // folder whose golden.json applies (llama-fused shares llama-gqa's)
  kvHeads: number;
  headDim: number;
  fp16?: boolean;
}

const FIXTURES: Fixture[] = [
  { name: 'llama-gqa', graph: 'model.onnx', golden: 'llama-gqa', kvHeads: 2, headDim: 8 },
  { name: 'llama-gqa', graph: 'model_fp16.onnx', golden: 'llama-gqa', kvHeads: 2, headDim: 8, fp16: true },
  { name: 'llama-tied', graph: 'model.onnx', golden: 'llama-tied', kvHeads: 2, headDim: 16 },
  { name: 'gpt2', graph: 'model.onnx', golden: 'gpt2', kvHeads: 4, headDim: 8 },
  { name: 'gemma', graph: 'model.onnx', golden: 'gemma', kvHeads: 1, headDim: 16 },
  { name: 'llama-fused', graph: 'model.onnx', golden: 'llama-fused', kvHeads: 2, headDim: 8 },
];

function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

// IEEE half -> float (Node 20 has no Float16Array).
function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function toFloats(t: Tensor): Float32Array {
  if (t.type === 'float32') return t.data as Float32Array;
  assert.equal(t.type, 'float16');
  return Float32Array.from(t.data as Uint16Array, halfToFloat);
}

// One session per graph file, shared by the tests (session creation dominates the run time).
const sessions = new Map<string, Promise<Session>>();
function session(file: string) {
  if (!sessions.has(file)) sessions.set(file, createSession(file));
  return sessions.get(file)!;
}

const i64 = (xs: number[], dims: number[]) => int64Tensor(xs, dims);

function emptyPast(f: Fixture, n: number, batch: number): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  for (let i = 0; i < n; i++) {
    for (const kv of ['key', 'value']) {
      const dims = [batch, f.kvHeads, 0, f.headDim];
      feeds[`past_key_values.${i}.${kv}`] = emptyTensor(f.fp16 ? 'float16' : 'float32', dims);
    }
  }
  return feeds;
}

function presentsAsPast(out: Record<string, Tensor>, n: number): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  for (let i = 0; i < n; i++) {
    feeds[`past_key_values.${i}.key`] = out[`present.${i}.key`];
    feeds[`past_key_values.${i}.value`] = out[`present.${i}.value`];
  }
  return feeds;
}

/** Logits row `row`, position `pos` of a [batch, seq, vocab] output. */
function logitsAt(t: Tensor, row: number, pos: number): Float32Array {
  const [, seq, vocab] = t.dims;
  return toFloats(t).slice((row * seq + pos) * vocab, (row * seq + pos + 1) * vocab);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'length');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const argmax = (xs: ArrayLike<number>) => {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;
  return best;
};

for (const f of FIXTURES) {
  const folder = path.join(ROOT, f.name);
  const label = `${f.name}/${f.graph}`;
  const tol = f.fp16 ? 3e-2 : 1e-4;

  test(`${label}: inputs, outputs and dtypes are the Optimum layout`, async () => {
    const g = readJson<Golden>(path.join(ROOT, f.golden, 'golden.json'));
    const s = await session(path.join(folder, 'onnx', f.graph));
    const pastNames = Array.from({ length: g.layers }, (_, i) => [`past_key_values.${i}.key`, `past_key_values.${i}.value`]).flat();
    const presentNames = Array.from({ length: g.layers }, (_, i) => [`present.${i}.key`, `present.${i}.value`]).flat();
    assert.deepEqual([...s.inputNames], ['input_ids', 'attention_mask', 'position_ids', ...pastNames]);
    assert.deepEqual([...s.outputNames], ['logits', ...presentNames]);
    const meta = s.inputMetadata as unknown as Array<{ name: string; type: string; isTensor: boolean }>;
    if (Array.isArray(meta)) {
      const types = Object.fromEntries(meta.map((m) => [m.name, m.type]));
      assert.equal(types.input_ids, 'int64');
      assert.equal(types['past_key_values.0.key'], f.fp16 ? 'float16' : 'float32');
    }
    for (const file of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json']) {
      assert.ok(fs.existsSync(path.join(folder, file)), `${f.name} lacks ${file}`);
    }
    const gen = readJson<{ eos_token_id: number[] }>(path.join(folder, 'generation_config.json'));
    assert.ok(Array.isArray(gen.eos_token_id) && gen.eos_token_id.length > 0, 'eos_token_id is a list');
  });

  test(`${label}: prefill with 0-length past, then a cached decode step, match golden`, async () => {
    const g = readJson<Golden>(path.join(ROOT, f.golden, 'golden.json'));
    const s = await session(path.join(folder, 'onnx', f.graph));
    const ids = g.prompt_ids;
    const T = ids.length;
    const head = ids.slice(0, T - 1);
    const pre = await s.run({
      input_ids: i64(head, [1, T - 1]),
      attention_mask: i64(head.map(() => 1), [1, T - 1]),
      position_ids: i64(head.map((_, i) => i), [1, T - 1]),
      ...emptyPast(f, g.layers, 1),
    });
    assert.deepEqual(pre.logits.dims, [1, T - 1, g.vocab_size]);
    assert.deepEqual(pre['present.0.key'].dims, [1, f.kvHeads, T - 1, f.headDim]);
    const step = await s.run({
      input_ids: i64([ids[T - 1]], [1, 1]),
      attention_mask: i64(ids.map(() => 1), [1, T]),
      position_ids: i64([T - 1], [1, 1]),
      ...presentsAsPast(pre, g.layers),
    });
    assert.deepEqual(step['present.0.key'].dims, [1, f.kvHeads, T, f.headDim]);
    const d = maxAbsDiff(logitsAt(step.logits, 0, 0), g.cases.none.logits_last);
    assert.ok(d < tol, `${label}: decode-step logits differ from golden by ${d} (tolerance ${tol})`);
  });

  test(`${label}: a left-padded batch of two prompts matches golden per row`, async () => {
    const g = readJson<Golden>(path.join(ROOT, f.golden, 'golden.json'));
    const s = await session(path.join(folder, 'onnx', f.graph));
    const a = g.prompt_ids;
    const b = g.prompt2_ids;
    const T = Math.max(a.length, b.length);
    const rows = [a, b].map((r) => ({ pad: T - r.length, ids: r }));
    const out = await s.run({
      input_ids: i64(rows.flatMap((r) => [...Array(r.pad).fill(0), ...r.ids]), [2, T]),
      attention_mask: i64(rows.flatMap((r) => [...Array(r.pad).fill(0), ...r.ids.map(() => 1)]), [2, T]),
      // Padding gets position 0; real tokens count from 0 after it.
      position_ids: i64(rows.flatMap((r) => [...Array(r.pad).fill(0), ...r.ids.map((_, i) => i)]), [2, T]),
      ...emptyPast(f, g.layers, 2),
    });
    const d1 = maxAbsDiff(logitsAt(out.logits, 0, T - 1), g.cases.none.logits_last);
    const d2 = maxAbsDiff(logitsAt(out.logits, 1, T - 1), g.cases.none.prompt2.logits_last);
    assert.ok(d1 < tol && d2 < tol, `${label}: batch rows differ from golden by ${d1}, ${d2}`);
  });

  if (!f.fp16) {
    test(`${label}: greedy decoding with the KV cache equals torch full recomputation`, async () => {
      const g = readJson<Golden>(path.join(ROOT, f.golden, 'golden.json'));
      const s = await session(path.join(folder, 'onnx', f.graph));
      const seq = [...g.greedy.prompt_ids];
      let feeds: Record<string, Tensor> = {
        input_ids: i64(seq, [1, seq.length]),
        attention_mask: i64(seq.map(() => 1), [1, seq.length]),
        position_ids: i64(seq.map((_, i) => i), [1, seq.length]),
        ...emptyPast(f, g.layers, 1),
      };
      const got: number[] = [];
      for (let k = 0; k < g.greedy.n; k++) {
        const out = await s.run(feeds);
        const next = argmax(logitsAt(out.logits, 0, out.logits.dims[1] - 1));
        got.push(next);
        seq.push(next);
        feeds = {
          input_ids: i64([next], [1, 1]),
          attention_mask: i64(seq.map(() => 1), [1, seq.length]),
          position_ids: i64([seq.length - 1], [1, 1]),
          ...presentsAsPast(out, g.layers),
        };
      }
      assert.deepEqual(got, g.greedy.none);
    });
  }
}

test('llama-fused: residual adds and RMSNorms are fused, llama-gqa unfused', () => {
  const fused = fs.readFileSync(path.join(ROOT, 'llama-fused', 'onnx', 'model.onnx'));
  const plain = fs.readFileSync(path.join(ROOT, 'llama-gqa', 'onnx', 'model.onnx'));
  const count = (buf: Buffer, s: string) => {
    let n = 0;
    for (let i = buf.indexOf(s); i >= 0; i = buf.indexOf(s, i + 1)) n++;
    return n;
  };
  const g = readJson<Golden>(path.join(ROOT, 'llama-gqa', 'golden.json'));
  // op_type strings: one Skip per post-attention norm, per later input norm, and the final norm.
  assert.equal(count(fused, 'SkipSimplifiedLayerNormalization'), 2 * g.layers);
  assert.equal(count(fused, 'ReduceMean'), 0);
  assert.equal(count(plain, 'SkipSimplifiedLayerNormalization'), 0);
  assert.ok(count(plain, 'ReduceMean') >= 2 * g.layers + 1);
});

test('no-residual: runs, has input_ids and logits, and no KV cache', async () => {
  const folder = path.join(ROOT, 'no-residual');
  const s = await createSession(path.join(folder, 'onnx', 'model.onnx'));
  assert.deepEqual([...s.inputNames], ['input_ids']);
  assert.deepEqual([...s.outputNames], ['logits']);
  const cfg = readJson<{ vocab_size: number }>(path.join(folder, 'config.json'));
  const out = await s.run({ input_ids: i64([1, 2, 3], [1, 3]) });
  assert.deepEqual(out.logits.dims, [1, 3, cfg.vocab_size]);
});

// golden.json is consistent with the stated semantics (checked in plain arithmetic, not torch).
interface FullCase {
  resid: number[][][];
  readouts: Record<string, number[][]>;
}
for (const name of ['llama-gqa', 'llama-tied', 'gpt2', 'gemma']) {
  test(`${name}: golden cases follow the intervention semantics`, () => {
    const g = readJson<Golden & { axes: Record<string, number[][]>; cases: Record<string, FullCase> }>(
      path.join(ROOT, name, 'golden.json'));
    const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);
    const unit = (v: number[]) => v.map((x) => x / Math.sqrt(dot(v, v)));
    const none = g.cases.none;
    // readout = resid . unit(axis_l)
    for (const [c, cs] of Object.entries(g.cases)) {
      for (const ax of ['A', 'B']) {
        const l = g.layers - 1;
        const want = dot(cs.resid[l][0], unit(g.axes[ax][l]));
        assert.ok(Math.abs(cs.readouts[ax][l][0] - want) < 1e-4, `${c} readout ${ax}`);
      }
    }
    // project-out zeroes the readout along the removed axes at the active layers
    for (const l of [1, 2, 3].filter((x) => x < g.layers)) {
      for (const r of g.cases.project_out_A_l123.readouts.A[l]) assert.ok(Math.abs(r) < 1e-4);
    }
    for (const ax of ['A', 'B']) for (const r of g.cases.project_out_AB_l1.readouts[ax][1]) assert.ok(Math.abs(r) < 1e-4);
    // the first steered layer differs from 'none' by exactly c·v (upstream is untouched)
    const s = g.cases.steer_A_l12.resid[1];
    const src = g.cases.steer_A_src0_l23.resid[2];
    for (let t = 0; t < s.length; t++) {
      for (let k = 0; k < g.d_model; k++) {
        assert.ok(Math.abs(s[t][k] - none.resid[1][t][k] - 2.5 * g.axes.A[1][k]) < 1e-4);
        assert.ok(Math.abs(src[t][k] - none.resid[2][t][k] - 2.5 * g.axes.A[0][k]) < 1e-4);
      }
    }
    // and the steer changes the logits
    assert.ok(maxAbsDiff(g.cases.steer_A_l12.logits_last, none.logits_last) > 1e-2);
  });
}

test('the engine tokenizer reproduces the Python tokenizer ids, decodes back and renders the chat template', async () => {
  const { loadTokenizer } = await import('../../src/engine/model/tokenizer.js');
  for (const name of ['llama-gqa', 'gpt2', 'gemma']) {
    const g = readJson<Golden & { prompt_text: string; prompt2_text: string }>(path.join(ROOT, name, 'golden.json'));
    const tok = await loadTokenizer(path.join(ROOT, name));
    assert.deepEqual(tok.encodeText(g.prompt_text), g.prompt_ids, name);
    assert.deepEqual(tok.encodeText(g.prompt2_text), g.prompt2_ids, name);
    assert.equal(tok.decode(g.prompt_ids), g.prompt_text);
    const cfg = readJson<{ vocab_size: number; eos_token_id: number }>(path.join(ROOT, name, 'config.json'));
    // config's eos is the <|im_end|> special, and specials are the last ids of the vocab
    assert.deepEqual(tok.encodeText('<|im_end|>'), [cfg.eos_token_id]);
    assert.equal(tok.eosId, cfg.eos_token_id);
    assert.equal(tok.tokenText(cfg.eos_token_id), '<|im_end|>');
    const chat = tok.encodePrompt({ kind: 'chat', messages: [{ role: 'user', content: 'Hi' }] });
    assert.deepEqual(chat, tok.encodeText('<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n'));
    assert.equal(tok.decode(chat), 'user\nHi\nassistant\n', 'specials dropped when decoding');
    assert.equal(cfg.vocab_size, g.vocab_size);
    assert.ok(cfg.eos_token_id < cfg.vocab_size);
  }
});
