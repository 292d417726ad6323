// Every fixture model through LensModel against PyTorch golden values: residuals, readouts,
// last logits for each intervention case, batched prompts of mixed length, greedy generation
// with the KV cache vs full recomputation, hooked vs unhooked logits.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadModel, type LensModel } from '../../src/engine/index';
import { axesOf, checkGoldenCase, FIXTURES, golden, maxAbs, MODELS, type ProjectOutIntervention } from './engine-fixtures';

const REL = 1e-4;

for (const name of MODELS) {
  describe(`golden: ${name}`, () => {
    const g = golden(name);
    const axes = axesOf(g);
    let model: LensModel;
    before(async () => {
      model = await loadModel(join(FIXTURES, name), { threads: 1 });
    });
    after(() => model?.dispose());

    it('summary matches config and golden shapes', () => {
      assert.equal(model.summary.layers, g.layers);
      assert.equal(model.summary.dModel, g.d_model);
      assert.equal(model.summary.vocabSize, g.vocab_size);
      assert.match(model.summary.graphHash, /^[0-9a-f]{64}$/);
      assert.match(model.summary.tokenizerHash, /^[0-9a-f]{64}$/);
    });

    for (const [caseName, c] of Object.entries(g.cases)) {
      it(`${caseName}: residuals, readouts and last logits`, async () => {
        // Both prompts in one left-padded batch (14 and 9 tokens) against one-at-a-time golden values.
        await checkGoldenCase(model, g, c, axes, REL);
      });
    }

    it('project-out leaves a zero readout on its axis at its layers', async () => {
      const c = g.cases['project_out_A_l123']!;
      const r = await model.trace({ prompt: { kind: 'tokens', tokenIds: g.prompt_ids }, axes, interventions: c.interventions, decoding: { maxNewTokens: 2 } });
      const layers = (c.interventions[0] as ProjectOutIntervention).layers;
      for (const l of layers) {
        const bound = 1e-5 * maxAbs(c.resid[l]!);
        for (const x of r.projections[0]![l]!) assert.ok(Math.abs(x) < bound, `layer ${l}: ${x}`);
      }
      assert.equal(r.projections[0]![1]!.length, r.tokens.length);
    });

    for (const [caseName, expected] of [['none', g.greedy.none], ['steer_A_l12', g.greedy.steer_A_l12]] as const) {
      it(`greedy with the KV cache equals full recomputation (${caseName})`, async () => {
        const interventions = g.cases[caseName]?.interventions ?? [];
        const r = await model.trace({
          prompt: { kind: 'tokens', tokenIds: g.greedy.prompt_ids },
          axes,
          interventions,
          decoding: { maxNewTokens: g.greedy.n, stopAtEos: false },
        });
        assert.deepEqual(r.tokens.filter((t) => t.generated).map((t) => t.id), expected);
        assert.deepEqual(r.tokens.map((t) => t.position), r.tokens.map((_, i) => i));
      });
    }

    it('without interventions the hooked graph gives the unhooked logits exactly', async () => {
      const a = await model.generateIds([g.prompt_ids], { maxNewTokens: 3, stopAtEos: false });
      const b = await model.generateIds([g.prompt_ids], { maxNewTokens: 3, stopAtEos: false }, { hooked: false });
      assert.deepEqual(Array.from(a.rows[0]!.firstLogits), Array.from(b.rows[0]!.firstLogits));
      assert.deepEqual(a.rows[0]!.generated, b.rows[0]!.generated);
    });
  });
}
