// The llama-ortgqa fixture has the layout of onnxruntime-genai exports: one com.microsoft
// GroupQueryAttention node per layer (rotary inside), no position_ids input, row lengths given
// to the attention as seqlens_k; its model_q4.onnx also has MatMulNBits linear layers and a
// GatherBlockQuantized embedding. Checks that the hooked graphs reproduce PyTorch, and that a
// batch of prompts of different lengths is split by length: GroupQueryAttention reads each row's
// tokens from the left, so the engine's left padding would corrupt the shorter rows.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadModel, type LensModel, type TraceRequest } from '../../src/engine/index';
import { generateLoop } from '../../src/engine/generate/loop';
import { interventionFeeds, readoutFeeds, ZeroFeeds } from '../../src/engine/generate/feeds';
import type { Direction } from '../../src/engine/directions/direction';
import { assertClose, FIXTURES } from './engine-fixtures';
import { mulberry32 } from '../../src/engine/directions/math';

interface PromptGolden {
  ids: number[];
  logits_last: number[];
  greedy: number[];
}
interface GqaGolden {
  layers: number;
  d_model: number;
  prompts: PromptGolden[];
  /** the same prompts on the model with its weights dequantised from 4 bits (model_q4.onnx) */
  q4: PromptGolden[];
}
const NAME = 'llama-ortgqa';
const g = JSON.parse(readFileSync(join(FIXTURES, NAME, 'golden.json'), 'utf8')) as GqaGolden;

function randomAxis(name: string, seed: number): Direction {
  const rnd = mulberry32(seed);
  return {
    name,
    vectors: Float32Array.from({ length: g.layers * g.d_model }, () => rnd() - 0.5),
    nLayers: g.layers,
    dModel: g.d_model,
    meta: {
      name, modelName: NAME, modelGraphHash: '', hook: 'resid_post', layerBase: 0, method: 'random_control',
      positions: 'all', nPos: 0, nNeg: 0, created: '1970-01-01T00:00:00Z', toolVersion: 'test',
    },
  };
}

describe(`GroupQueryAttention graph: ${NAME}`, () => {
  let model: LensModel;
  const axes = [randomAxis('a', 1), randomAxis('b', 2)];
  before(async () => {
    model = await loadModel(join(FIXTURES, NAME), { threads: 1 });
  });
  after(async () => {
    await model?.dispose();
  });

  it('is recognised: the rewrite hooks every layer and flags the attention as unable to take padding', () => {
    assert.deepEqual(model.loaded.paddingUnsafeOps, ['GroupQueryAttention']);
    assert.equal(model.loaded.hooked.hookLayers, g.layers);
    assert.equal(model.loaded.hooked.positionType, undefined, 'no position_ids input, as in genai exports');
  });

  it('one prompt at a time reproduces PyTorch: next-token logits and greedy tokens through the KV cache', async () => {
    for (const p of g.prompts) {
      const r = await model.generateIds([p.ids], { maxNewTokens: p.greedy.length, stopAtEos: false });
      assertClose(r.rows[0]!.firstLogits, p.logits_last, 1e-4, `logits after ${p.ids.length} tokens`);
      assert.deepEqual(r.rows[0]!.generated, p.greedy);
    }
  });

  it('zero interventions leave the hooked graph bit-identical to the source graph', async () => {
    for (const p of g.prompts) {
      const hooked = await model.generateIds([p.ids], { maxNewTokens: 4, stopAtEos: false });
      const source = await model.generateIds([p.ids], { maxNewTokens: 4, stopAtEos: false }, { hooked: false });
      assert.deepEqual(Array.from(hooked.rows[0]!.firstLogits), Array.from(source.rows[0]!.firstLogits));
      assert.deepEqual(hooked.rows[0]!.generated, source.rows[0]!.generated);
    }
  });

  it('a batch of two lengths equals one-by-one (the engine splits it by length)', async () => {
    const steer = [{ kind: 'steer' as const, axis: 'a', coefficient: 2, layers: [0, 1] }];
    const reqs: TraceRequest[] = g.prompts.map((p) => ({
      prompt: { kind: 'tokens' as const, tokenIds: p.ids },
      axes,
      interventions: steer,
      decoding: { maxNewTokens: 5, stopAtEos: false },
    }));
    const batched = await model.traceBatch(reqs);
    for (let i = 0; i < reqs.length; i++) {
      const alone = await model.trace(reqs[i]!);
      assert.deepEqual(batched[i]!.tokens, alone.tokens);
      batched[i]!.projections.forEach((perLayer, a) =>
        perLayer.forEach((row, l) => assertClose(row, alone.projections[a]![l]!, 1e-5, `row ${i} axis ${a} layer ${l}`)),
      );
    }
  });

  it('generateIds refuses prompts of different lengths and says why', async () => {
    await assert.rejects(
      model.generateIds(g.prompts.map((p) => p.ids), { maxNewTokens: 2 }),
      /GroupQueryAttention takes row lengths instead of an attention mask, so it cannot run a left-padded batch; pass prompts of one length \(got 9, 5\)/,
    );
  });

  it('why: run left-padded anyway, the shorter row comes out wrong in ONNX Runtime', async () => {
    const c = model.loaded.config;
    const z = new ZeroFeeds(g.d_model, g.layers);
    const zeros = { ...interventionFeeds([], [], g.layers, 'prompt', z), ...readoutFeeds([], g.layers, z) };
    const res = await generateLoop(
      g.prompts.map((p) => ({ ids: p.ids, decoding: { maxNewTokens: 0 } })),
      { graph: model.loaded.hooked, eosIds: c.eosIds, padId: 0, nAxes: 0, hookFeeds: { prompt: zeros, generated: zeros } },
    );
    const err = (i: number) => Math.max(...res.rows[i]!.firstLogits.map((x, j) => Math.abs(x - g.prompts[i]!.logits_last[j]!)));
    assert.ok(err(0) < 1e-4, `the unpadded row stays right (${err(0)})`);
    assert.ok(err(1) > 0.1, `the left-padded row is corrupted (${err(1)}); if this fails, ONNX Runtime's GroupQueryAttention handles left padding now and the split by length could go`);
  });
});

describe(`4-bit graph (MatMulNBits, GatherBlockQuantized): ${NAME} --dtype q4`, () => {
  let model: LensModel;
  before(async () => {
    model = await loadModel(join(FIXTURES, NAME), { threads: 1, dtype: 'q4' });
  });
  after(async () => {
    await model?.dispose();
  });

  it('is hooked at every layer, with the last-position Slice on the MatMulNBits lm_head', () => {
    assert.equal(model.loaded.dtype, 'q4');
    assert.equal(model.loaded.hooked.hookLayers, g.layers);
    assert.equal(model.loaded.hookInfo.lastPositionLogits, true);
    assert.deepEqual(model.loaded.paddingUnsafeOps, ['GroupQueryAttention']);
  });

  it('reproduces the dequantised PyTorch model: logits and greedy tokens, and differs from the fp32 one', async () => {
    g.q4.forEach((p, i) => assert.deepEqual(p.ids, g.prompts[i]!.ids));
    for (const [i, p] of g.q4.entries()) {
      const r = await model.generateIds([p.ids], { maxNewTokens: p.greedy.length, stopAtEos: false });
      assertClose(r.rows[0]!.firstLogits, p.logits_last, 1e-4, `q4 logits after ${p.ids.length} tokens`);
      assert.deepEqual(r.rows[0]!.generated, p.greedy);
      const fp32 = g.prompts[i]!.logits_last;
      assert.ok(Math.max(...r.rows[0]!.firstLogits.map((x, j) => Math.abs(x - fp32[j]!))) > 1e-2, 'the 4-bit weights change the logits');
    }
  });

  it('zero interventions: same tokens as the source q4 graph, prefill logits within rounding; a steer changes the output', async () => {
    const p = g.q4[0]!;
    const hooked = await model.generateIds([p.ids], { maxNewTokens: 4, stopAtEos: false });
    const source = await model.generateIds([p.ids], { maxNewTokens: 4, stopAtEos: false }, { hooked: false });
    assert.deepEqual(hooked.rows[0]!.generated, source.rows[0]!.generated);
    // the 4-bit lm_head kernel rounds the 1-row (sliced) product differently from the 9-row one
    assertClose(hooked.rows[0]!.firstLogits, source.rows[0]!.firstLogits, 1e-6, 'q4 prefill logits, hooked vs source');
    const steered = await model.generateIds([p.ids], { maxNewTokens: 0 }, {
      interventions: [{ kind: 'steer', axis: 'a', coefficient: 4, layers: [0, 1] }],
      axes: [randomAxis('a', 1)],
    });
    assert.ok(Math.max(...steered.rows[0]!.firstLogits.map((x, j) => Math.abs(x - p.logits_last[j]!))) > 1e-2);
  });
});
