// The fused graph form of a checkpoint (build-fused.ts: GroupQueryAttention with rotary,
// SkipSimplifiedLayerNormalization) against the same torch goldens as the standard form: residuals,
// readouts and last logits for every intervention case, a batch of two prompts (grouped by length:
// GQA takes no left padding), greedy tokens through the KV cache. The hooked graph must report
// GroupQueryAttention as padding-unsafe and hook every layer.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadModel, type LensModel } from '../../src/engine/index';
import { buildCheckpoint } from '../../src/engine/checkpoint/index';
import { axesOf, checkGoldenCase, golden, type Golden } from './engine-fixtures';

const CHECKPOINTS = join(__dirname, '..', 'fixtures', 'checkpoints');
const REL = 1e-4;
const cacheDir = mkdtempSync(join(tmpdir(), 'rl-ckpt-fused-'));
after(() => rmSync(cacheDir, { recursive: true, force: true }));

for (const name of ['llama3', 'qwen2-bf16-tied', 'qwen3-sharded', 'mistral-fp16']) {
  describe(`fused checkpoint golden: ${name}`, () => {
    const g: Golden = golden(join('..', 'checkpoints', name));
    const axes = axesOf(g);
    let model: LensModel;
    before(async () => {
      model = await loadModel(join(CHECKPOINTS, name), { threads: 1, cacheDir, graphForm: 'fused' });
    });
    after(() => model?.dispose());

    it('is the fused form, hooked on every layer', async () => {
      const built = await buildCheckpoint(join(CHECKPOINTS, name), { cacheDir, form: 'fused' });
      assert.equal(built.cached, true);
      assert.equal(built.form, 'fused');
      assert.equal(model.summary.layers, g.layers);
    });

    for (const [caseName, c] of Object.entries(g.cases)) {
      it(`${caseName}: residuals, readouts (batch of two) and last logits`, async () => {
        // generateIds takes one batch as given: prompts of two lengths go one by one under GQA
        await checkGoldenCase(model, g, c, axes, REL, { logitsOneByOne: true });
      });
    }

    for (const [caseName, expected] of [['none', g.greedy.none], ['steer_A_l12', g.greedy.steer_A_l12]] as const) {
      it(`greedy tokens through the KV cache equal torch (${caseName})`, async () => {
        const r = await model.trace({
          prompt: { kind: 'tokens', tokenIds: g.greedy.prompt_ids },
          axes,
          interventions: g.cases[caseName]?.interventions ?? [],
          decoding: { maxNewTokens: g.greedy.n, stopAtEos: false },
        });
        assert.deepEqual(r.tokens.filter((t) => t.generated).map((t) => t.id), expected);
      });
    }
  });
}

describe('fused form: architectures it does not implement', () => {
  it('gemma2 is refused with a message naming the form and what is missing', async () => {
    await assert.rejects(buildCheckpoint(join(CHECKPOINTS, 'gemma2'), { cacheDir, form: 'fused' }), /fused graph form does not implement model_type gemma2/);
  });
});
