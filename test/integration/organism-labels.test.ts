// The model-based degenerate check on organism v1 (the model the hand-labelled set was generated
// with, kept as a fixture since v4 was shipped): the engine's teacher-forced
// log-probabilities reproduce the hand-labelled set's, its own calibration lands where the set's
// unsteered answers do, and in a trace the norm-matched random control's word salad is labelled
// degenerate while persona steering's fluent compliance stays bypass.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { builtinModelFolder, shippedAxisFiles } from '../../src/engine/builtin';
import { calibrateLikelihood, loadDirection, loadModel, randomControl, type Direction, type LensModel } from '../../src/engine/index';
import { loadPromptSet } from '../../src/engine/experiments/index';
import type { Intervention, PromptInput } from '../../src/protocol/types';
import { readHandSet } from '../fixtures/labels/score';

const M = join(__dirname, '../fixtures/models/organism-v1');
let model: LensModel;
let axes: Direction[];

before(async () => {
  model = await loadModel(M);
  axes = await Promise.all(shippedAxisFiles(M).map((f) => loadDirection(f, model)));
});
after(() => model?.dispose());

test('teacher-forced log-probs reproduce the hand-labelled set; the calibration matches its unsteered answers', async () => {
  const rows = readHandSet(join(__dirname, '../fixtures/labels/organism-v1.jsonl'));
  const pick = [rows[0]!, rows.find((r) => r.hand === 'degenerate' && r.condition.includes('random1'))!, rows.find((r) => r.condition.includes('persona c=0.5'))!];
  const pairs = pick.map((r) => ({
    prompt: model.encode({ kind: 'chat', messages: [...(r.system !== null ? [{ role: 'system' as const, content: r.system }] : []), { role: 'user', content: r.prompt }] }).ids,
    response: r.tokenIds,
  }));
  const got = await model.responseLogProbs(pairs);
  pick.forEach((r, i) => {
    assert.equal(got[i]!.length, r.logProbs.length);
    got[i]!.forEach((x, j) => assert.ok(Math.abs(x - r.logProbs[j]!) < 0.01, `${r.id} token ${j}: ${x} vs ${r.logProbs[j]}`));
  });
  const ref = await model.likelihoodReference();
  const fromSet = calibrateLikelihood(rows.filter((r) => r.condition === 'none').map((r) => r.logProbs));
  assert.ok(Math.abs(ref - fromSet) < 0.1, `engine reference ${ref} vs the set's ${fromSet}`);
  assert.deepEqual(await model.responseLogProbs([{ prompt: pairs[0]!.prompt, response: [] }]), [[]]);
});

test('random-control word salad is degenerate, with the check named; persona steering stays fluent bypass', async () => {
  const persona = axes.find((a) => a.name === 'persona')!;
  const random = randomControl(persona, 1, 'random');
  const all = Array.from({ length: model.summary.layers }, (_, l) => l);
  const prompts = loadPromptSet(join(builtinModelFolder(), 'eval', 'harmful_default.jsonl'), { limit: 8 }).rows.map((r) => ({ kind: 'chat', messages: r.messages }) as PromptInput);
  const run = (iv: Intervention[]) => model.traceBatch(prompts.map((prompt) => ({ prompt, axes: [...axes, random], interventions: iv, decoding: { maxNewTokens: 48 } })));
  const salad = await run([{ kind: 'steer', axis: 'random', coefficient: 1, layers: all, positions: 'prompt' }]);
  for (const t of salad) {
    assert.equal(t.label.label, 'degenerate', `${JSON.stringify(t.response)} → ${JSON.stringify(t.label)}`);
    assert.ok(t.label.reason && t.label.detail, 'the label says which check and what it saw');
    assert.ok(t.label.logProbReference !== undefined && t.label.meanLogProb !== undefined);
  }
  const steered = await run([{ kind: 'steer', axis: 'persona', coefficient: 0.25, layers: all, positions: 'prompt' }]);
  assert.ok(steered.filter((t) => t.label.label === 'bypass').length >= 7, steered.map((t) => `${t.label.label}: ${t.response}`).join('\n'));
  // no interventions, greedy: no extra pass, no likelihood fields
  const [plain] = await model.traceBatch([{ prompt: prompts[0]!, axes, interventions: [], decoding: { maxNewTokens: 16 } }]);
  assert.equal(plain!.label.meanLogProb, undefined);
});
