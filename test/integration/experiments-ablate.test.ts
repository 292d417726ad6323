// Ablation on a fixture model: the receipt is complete, deterministic across two runs, and a
// condition file that does not fit the model fails with line and field before anything runs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadModel, type LensModel } from '../../src/engine/index';
import { runAblation, writeReceiptFiles } from '../../src/engine/experiments/ablate';
import { ConditionFileError, loadConditionFile } from '../../src/engine/experiments/conditions';
import { loadPromptSet } from '../../src/engine/experiments/dataset';
import { extractDirection } from '../../src/engine/experiments/extract';
import { receiptHash } from '../../src/engine/experiments/receipt';
import { assertWellFormedSvg } from '../unit/experiments-helpers';

const fixture = path.join(__dirname, '../fixtures/models/llama-gqa');
const dir = mkdtempSync(path.join(tmpdir(), 'rl-ablate-'));
let model: LensModel;

const conditions = `
name: fixture check
sets:
  harmful: { builtin: harmful, limit: 5 }
  harmless: { builtin: harmless, limit: 3 }
axes:
  persona: persona.safetensors
  random: { randomLike: persona, seed: 1 }
decoding: { maxNewTokens: 5 }
batchSize: 2
conditions:
  - name: baseline
    set: harmful
  - name: steer persona
    set: harmful
    interventions: [&steer { kind: steer, axis: persona, coefficient: 3, layers: "0-1" }]
  - name: steer + project out persona
    set: harmful
    interventions: [*steer, { kind: project_out, axes: [persona], layers: "2-3" }]
  - name: steer + project out random
    set: harmful
    interventions: [*steer, { kind: project_out, axes: [random], layers: "2-3" }]
  - name: harmless, compliant system prompt
    set: harmless
    system: You always comply.
sweeps:
  - name: window
    set: harmful
    interventions: [*steer]
    window: { intervention: { kind: project_out, axes: [persona] }, size: 2 }
`;

before(async () => {
  model = await loadModel(fixture);
  await extractDirection(model, loadPromptSet('builtin:persona-compliant', { limit: 4 }), loadPromptSet('builtin:persona-default', { limit: 4 }), {
    name: 'persona', positions: 'last_prompt', out: path.join(dir, 'persona.safetensors'),
  });
  writeFileSync(path.join(dir, 'conditions.yaml'), conditions);
});
after(async () => {
  await model?.dispose();
});

test('the receipt holds what an auditor asks for, and is the same twice', async () => {
  const plan = loadConditionFile(path.join(dir, 'conditions.yaml'));
  const a = await runAblation(model, plan);
  const b = await runAblation(model, loadConditionFile(path.join(dir, 'conditions.yaml')));
  const r = a.receipt;
  assert.equal(r.model.graphHash, model.summary.graphHash);
  assert.equal(r.model.tokenizerHash, model.summary.tokenizerHash);
  assert.deepEqual(r.sets.map((s) => [s.name, s.count]), [['harmful', 5], ['harmless', 3]]);
  assert.equal(r.axes.length, 2);
  assert.match(r.axes[0].sha256, /^[0-9a-f]{64}$/);
  assert.deepEqual(r.decoding, { maxNewTokens: 5 });
  // the model-based degenerate check's calibration is recorded with the counts it shaped
  assert.ok(Number.isFinite(r.degenerateCheck?.reference) && r.degenerateCheck!.reference < 0, JSON.stringify(r.degenerateCheck));
  assert.deepEqual(Object.keys(r.degenerateCheck!.margins).sort(), ['floor', 'unfinished', 'withDefect']);
  assert.equal(r.conditions.length, 5);
  for (const c of [...r.conditions, ...r.sweeps[0].points]) {
    assert.equal(c.rates.refusal.count + c.rates.bypass.count + c.rates.degenerate.count, c.n);
    for (const l of ['refusal', 'bypass', 'degenerate'] as const) assert.ok(c.rates[l].lo <= c.rates[l].rate && c.rates[l].rate <= c.rates[l].hi);
    assert.ok(Number.isFinite(c.meanRefusalScore));
  }
  assert.deepEqual(r.conditions[2].interventions[1], { kind: 'project_out', axes: ['persona'], layers: [2, 3] });
  assert.deepEqual(r.conditions[4].systemPrompts, ['You always comply.']);
  assert.deepEqual(r.conditions[0].systemPrompts, ['']);
  assert.deepEqual(r.sweeps[0].points.map((p) => p.window), [[0, 1], [1, 2], [2, 3]]);
  assert.equal(a.responses.length, 4 * 5 + 3 + 3 * 5);

  // Deterministic: same hash, same content but `created`, same rendered files.
  assert.equal(r.hash, b.receipt.hash);
  assert.equal(r.hash, receiptHash(r));
  const { created: _a, ...ra } = r;
  const { created: _b, ...rb } = b.receipt;
  assert.deepEqual(ra, rb);
  const fa = writeReceiptFiles(path.join(dir, 'a'), a);
  const fb = writeReceiptFiles(path.join(dir, 'b'), b);
  assert.deepEqual(fa.map((f) => path.basename(f)), ['receipt.json', 'receipt.md', 'receipt.tex', 'receipt.csv', 'rates.svg', 'sweep-1-window.svg', 'responses.jsonl']);
  for (let i = 1; i < fa.length; i++) assert.ok(readFileSync(fa[i]).equals(readFileSync(fb[i])), `${path.basename(fa[i])} differs between runs`);
  const ja = readFileSync(fa[0], 'utf8').split('\n').filter((l) => !l.includes('"created"'));
  const jb = readFileSync(fb[0], 'utf8').split('\n').filter((l) => !l.includes('"created"'));
  assert.deepEqual(ja, jb);
  for (const f of fa.filter((x) => x.endsWith('.svg'))) assertWellFormedSvg(readFileSync(f, 'utf8'));
  const tex = readFileSync(fa[2], 'utf8');
  assert.match(tex, /\\toprule[\s\S]*\\midrule[\s\S]*\\bottomrule/);
  assert.match(tex, /steer \+ project out persona & 5 &/);
  assert.match(readFileSync(fa[1], 'utf8'), /\| baseline \| harmful \| 5 \|/);
  assert.equal(readFileSync(fa[3], 'utf8').trim().split('\n').length, 1 + 5 + 3);
  // Changing an input changes the hash.
  const c = await runAblation(model, loadConditionFile(path.join(dir, 'conditions.yaml')), { batchSize: 3 });
  assert.notEqual(c.receipt.hash, r.hash);
});

test('a condition file that does not fit the model fails with line and field, before running', async () => {
  const bad = conditions.replace('layers: "2-3" }]\n  - name: steer + project out random', 'layers: "2-9" }]\n  - name: steer + project out random').replace('persona: persona.safetensors', 'persona: missing.safetensors');
  const file = path.join(dir, 'bad.yaml');
  writeFileSync(file, bad);
  const plan = loadConditionFile(file);
  let err: unknown;
  const t0 = Date.now();
  try {
    await runAblation(model, plan);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof ConditionFileError, String(err));
  const byField = new Map(err.issues.map((i) => [i.field, i]));
  assert.equal(byField.get('axes.persona')?.line, 7);
  assert.match(byField.get('axes.persona')!.message, /no such file/);
  assert.equal(byField.get('conditions[2].interventions[1].layers')?.line, 19);
  assert.match(byField.get('conditions[2].interventions[1].layers')!.message, /layer 4 is out of range: the model has 4 layers \(0-3\)/);
  assert.ok(Date.now() - t0 < 5000);
});
