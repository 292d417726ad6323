// Selection on a fixture model: scores equal direct traces with the same interventions, the
// filters hold, and the lowest bypass among the kept candidates wins.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadModel, type LensModel } from '../../src/engine/index';
import { loadPromptSet, rowPrompt } from '../../src/engine/experiments/dataset';
import { selectJson, selectMarkdown, selectRefusalDirection } from '../../src/engine/experiments/select';

const fixture = path.join(__dirname, '../fixtures/models/llama-gqa');
let model: LensModel;
before(async () => {
  model = await loadModel(fixture);
});
after(async () => {
  await model?.dispose();
});

test('select scores, filters and picks; scores match direct traces', async () => {
  const harmful = loadPromptSet('builtin:harmful', { limit: 6 });
  const harmless = loadPromptSet('builtin:harmless', { limit: 6 });
  const r = await selectRefusalDirection(model, harmful, harmless, { positions: 2, klThreshold: 10, maxLayerFraction: 1, induceThreshold: -100, batchSize: 3 });
  const L = model.summary.layers;
  assert.equal(r.candidates.length, 2 * L);
  assert.deepEqual(r.sets.train, [3, 3]);
  assert.deepEqual(r.sets.validation, [3, 3]);
  for (const c of r.candidates) {
    assert.ok(c.kl >= -1e-9, 'KL is non-negative');
    assert.equal(c.rejected.length === 0, c.induce > -100 && c.kl < 10);
  }
  assert.ok(r.chosen && r.direction);
  const kept = r.candidates.filter((c) => !c.rejected.length);
  assert.equal(r.chosen!.bypass, Math.min(...kept.map((c) => c.bypass)));
  assert.equal(r.direction!.meta.sourceLayer, r.chosen!.layer);
  // render conditions travel with it (docs/vectors.md)
  assert.match(r.direction!.meta.other?.render_template_sha256 ?? '', /^[0-9a-f]{64}$/);
  assert.ok(Array.isArray(JSON.parse(r.direction!.meta.other!.render_system_prompts!)));

  // The bypass score of a candidate: the same as tracing the held-out harmful prompts with it ablated everywhere.
  // The chosen direction holds its position's candidates at every layer; take layer 1's.
  const c = r.candidates.find((x) => x.position === r.chosen!.position && x.layer === 1)!;
  const dir = { ...r.direction!, name: 'cand' };
  {
    const val = harmful.rows.filter((_, i) => i % 2 === 1);
    const scores: number[] = [];
    for (const row of val) {
      const t = await model.trace({ prompt: rowPrompt(row), axes: [dir], interventions: [{ kind: 'project_out', axes: ['cand'], layers: [0, 1, 2, 3], sourceLayer: 1 }], decoding: { maxNewTokens: 1 } });
      scores.push(t.label.refusalScore);
    }
    const direct = scores.reduce((a, b) => a + b, 0) / scores.length;
    assert.ok(Math.abs(direct - c.bypass) < 1e-4, `${direct} vs ${c.bypass}`);
  }
  assert.match(selectMarkdown(r), /\| position \| layer \| bypass score \| induce score \| KL \| kept \|/);
  const json = JSON.parse(selectJson(r));
  assert.equal(json.candidates.length, 2 * L);
  assert.equal(json.direction.name, 'refusal');

  // Strict default filters on a random-weight model: whatever passes, passes all three.
  const strict = await selectRefusalDirection(model, harmful, harmless, { positions: 1, batchSize: 3 });
  for (const x of strict.candidates) assert.equal(x.rejected.length === 0, x.induce > 0 && x.kl < 0.1 && x.layer < Math.floor(0.8 * L));
});
