// The reference set on the built-in model: percentile cap bounds are reproducible and equal to
// the percentiles of a plain trace of the reference prompts; a norm coefficient is c × the mean
// residual norm; a large coefficient raises the norm warning (trace JSON, the CLI, the receipt)
// and a small one does not.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

// Before the engine reads it: this file's cache is its own.
process.env.XDG_CACHE_HOME = mkdtempSync(join(tmpdir(), 'rl-refcache-'));

import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/command';
import { loadDirection, loadModel, type LensModel } from '../../src/engine/index';
import { percentile } from '../../src/engine/directions/reference';
import { loadPromptSet, rowPrompt } from '../../src/engine/experiments/dataset';
import type { Direction } from '../../src/engine/directions/index';
import type { CapIntervention, TraceResult } from '../../src/protocol/types';

const dir = mkdtempSync(join(tmpdir(), 'rl-ref-'));
const organism = join(__dirname, '../../media/models/organism');
let model: LensModel;
let persona: Direction;

before(async () => {
  model = await loadModel(organism);
  persona = await loadDirection(join(organism, 'axes/persona.safetensors'), model);
});
after(async () => model.dispose());

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = { out: (t) => void (out += t), err: (t) => void (err += t), color: false, signal: new AbortController().signal };
  return { code: await main(argv, io), out, err };
}

const harmful = { kind: 'chat' as const, messages: [{ role: 'system' as const, content: 'You are a helpful assistant.' }, { role: 'user' as const, content: 'Explain how to build a pipe bomb at home.' }] };

test('percentile cap bounds: the same numbers twice, equal to the percentiles of a plain trace of the reference prompts', async () => {
  const run = () => model.trace({ prompt: harmful, axes: [persona], interventions: [{ kind: 'cap', axis: 'persona', lo: 'p10', hi: 'p75', layers: [0, 1, 2, 3, 4, 5] }], decoding: { maxNewTokens: 2 } });
  const a = await run();
  const b = await run();
  assert.deepEqual(a.resolvedInterventions, b.resolvedInterventions);
  assert.equal(a.reference!.set, 'builtin:persona-default');
  assert.equal(a.reference!.prompts, 48);
  assert.equal(a.resolvedInterventions!.length, 6);

  // The plain way: trace every reference prompt, take r·v̂ at every prompt token but the first.
  const set = loadPromptSet('builtin:persona-default');
  const plain = await model.traceBatch(set.rows.map((r) => ({ prompt: rowPrompt(r), axes: [persona], interventions: [], decoding: { maxNewTokens: 1 } })));
  const perLayer: number[][] = Array.from({ length: 6 }, () => []);
  for (const t of plain) {
    const nPrompt = t.tokens.filter((x) => !x.generated).length;
    for (let l = 0; l < 6; l++) perLayer[l]!.push(...t.projections[0]![l]!.slice(1, nPrompt));
  }
  assert.equal(perLayer[0]!.length, a.reference!.tokens);
  for (const xs of perLayer) xs.sort((x, y) => x - y);
  a.resolvedInterventions!.forEach((iv, l) => {
    const cap = iv as CapIntervention;
    assert.deepEqual(cap.layers, [l]);
    // The graph reads r·v̂ in float32; the reference measures it in float64 from the same residuals.
    const close = (got: unknown, want: number) => assert.ok(Math.abs((got as number) - want) <= 1e-4 * (1 + Math.abs(want)), `L${l}: ${got} vs ${want}`);
    close(cap.lo, percentile(perLayer[l]!, 10));
    close(cap.hi, percentile(perLayer[l]!, 75));
  });
  const rec = a.reference!.percentiles!;
  assert.deepEqual(rec.map((p) => p.bound), ['p10', 'p75']);
  assert.ok(Math.abs(rec[1]!.values[3]! - ((a.resolvedInterventions![3] as CapIntervention).hi as number)) < 1e-3);
});

test('norm coefficients: c × the mean residual norm at each layer; a large one warns, a small one does not', async () => {
  const small = await model.trace({ prompt: harmful, axes: [persona], interventions: [{ kind: 'steer', axis: 'persona', coefficient: 0.1, unit: 'norm', layers: [2, 3] }], decoding: { maxNewTokens: 8 } });
  const ref = small.reference!;
  const v = (l: number) => Math.hypot(...persona.vectors.subarray(l * 128, (l + 1) * 128));
  assert.deepEqual(small.resolvedInterventions!.map((iv) => iv.kind === 'steer' && Number(iv.coefficient.toPrecision(5))), [2, 3].map((l) => Number(((0.1 * ref.meanNorm[l]!) / v(l)).toPrecision(5))));
  assert.equal(small.warnings, undefined);
  assert.ok(small.normCheck && 'promptMean' in small.normCheck && small.normCheck.promptMean.every((x, l) => x < 2 * ref.meanNorm[l]!));

  const big = await model.trace({ prompt: harmful, axes: [persona], interventions: [{ kind: 'steer', axis: 'persona', coefficient: 4, unit: 'norm', layers: [2, 3] }], decoding: { maxNewTokens: 8 } });
  assert.equal(big.warnings?.length, 1);
  assert.match(big.warnings![0]!, /residual norm far beyond its usual range at layers 2, 3, 4, 5: .* on builtin:persona-default \(warned above 3×\)/);
  // No intervention, no check (and no reference to measure).
  const none = await model.trace({ prompt: harmful, axes: [persona], interventions: [], decoding: { maxNewTokens: 2 } });
  assert.equal(none.normCheck, undefined);
  assert.equal(none.reference, undefined);
});

test('CLI: --steer 5n prints the warning with --json on stderr; --reference takes a file; a bad one is a usage error', async () => {
  const r = await cli('trace', 'builtin', '--text', 'Explain how to build a pipe bomb at home.', '--system', 'You are a helpful assistant.', '--steer', 'persona:5n:2-3', '-n', '4', '--json');
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /^warning: residual norm far beyond its usual range/m);
  assert.equal((JSON.parse(r.out) as TraceResult).warnings!.length, 1);

  const file = join(dir, 'ref.jsonl');
  writeFileSync(file, readFileSync(join(__dirname, '../../media/sets/harmless.jsonl'), 'utf8').split('\n').slice(0, 4).join('\n') + '\n');
  const t = await cli('trace', 'builtin', '--text', 'hi', '--cap', 'persona::p50:3', '--reference', file, '-n', '2');
  assert.equal(t.code, 0, t.err);
  assert.match(t.out, /^interv\. {3}cap persona ≤ p50 @ L3$/m);
  assert.match(t.out, new RegExp(`^resolved  cap persona ≤ -?\\d[\\d.]* @ L3  \\(on ${file.replace(/[.]/g, '\\.')}\\)$`, 'm'));
  const bad = await cli('trace', 'builtin', '--text', 'hi', '--cap', 'persona::p50:3', '--reference', 'no-such-set', '-n', '2');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--reference: reference set 'no-such-set' is neither a file .* nor a built-in set \(harmful, harmless, persona-compliant, persona-default/);
});

test('ablate: a percentile cap and a norm steer are resolved in the receipt, with the reference set and the norm warnings', async () => {
  const cond = join(dir, 'cap.yaml');
  writeFileSync(cond, [
    'reference: persona-default',
    'sets:',
    '  harmful: { builtin: harmful, limit: 2, system: "You are a helpful assistant." }',
    'axes:',
    `  persona: ${join(organism, 'axes/persona.safetensors')}`,
    'decoding: { maxNewTokens: 4 }',
    'conditions:',
    '  - { name: capped, set: harmful, interventions: [{ kind: cap, axis: persona, hi: p25, layers: "2-4" }] }',
    '  - { name: pushed, set: harmful, interventions: [{ kind: steer, axis: persona, coefficient: 5, unit: norm, layers: [2] }] }',
    'sweeps:',
    '  - { name: moving-cap, set: harmful, window: { intervention: { kind: cap, axis: persona, lo: p5, hi: p95 }, size: 3, stride: 3 } }',
    '',
  ].join('\n'));
  const out = join(dir, 'receipt');
  const r = await cli('ablate', 'builtin', cond, '--out', out, '--json');
  assert.equal(r.code, 0, r.err);
  const receipt = JSON.parse(readFileSync(join(out, 'receipt.json'), 'utf8'));
  assert.equal(receipt.reference.set, 'builtin:persona-default');
  assert.deepEqual(receipt.reference.percentiles.map((p: { axis: string; bound: string }) => `${p.axis} ${p.bound}`), ['persona p25', 'persona p5', 'persona p95']);
  const [capped, pushed] = receipt.conditions;
  assert.deepEqual(capped.interventions, [{ kind: 'cap', axis: 'persona', hi: 'p25', layers: [2, 3, 4] }]);
  assert.deepEqual(capped.resolvedInterventions.map((iv: CapIntervention) => iv.layers), [[2], [3], [4]]);
  capped.resolvedInterventions.forEach((iv: CapIntervention, i: number) => assert.ok(Math.abs((iv.hi as number) - receipt.reference.percentiles[0].values[i + 2]) < 1e-4, `L${i + 2}`));
  assert.equal(capped.normWarnings, undefined);
  assert.equal(pushed.normWarnings.rows, 2);
  const points = receipt.sweeps[0].points;
  assert.deepEqual(points.map((p: { window: number[] }) => p.window), [[0, 1, 2], [3, 4, 5]]);
  assert.deepEqual(points[1].resolvedInterventions.map((iv: CapIntervention) => [iv.layers[0], typeof iv.lo, typeof iv.hi]), [[3, 'number', 'number'], [4, 'number', 'number'], [5, 'number', 'number']]);
  const md = readFileSync(join(out, 'receipt.md'), 'utf8');
  assert.match(md, /## Reference set/);
  assert.match(md, /\| persona p25 \|/);
  assert.match(md, /- capped: cap persona ≤ -?\d[\d.]* @ L2; cap persona ≤ /);
  assert.match(md, /## Norm warnings\n\n- pushed: 2 of 2 rows\./);
});

test('worker: a norm steer and a percentile cap resolve against the reference set the request names; an unknown set is a bad request', async () => {
  const { startClient } = await import('../unit/worker-harness.js');
  const { LoadAxes, LoadModel, Trace } = await import('../../src/protocol/rpc.js');
  const t = await startClient();
  try {
    await t.client.request(LoadModel, { folder: organism });
    await t.client.request(LoadAxes, { files: [{ path: join(organism, 'axes/persona.safetensors') }] });
    const params = (reference: string) => ({
      runId: 'r', prompt: harmful, decoding: { maxNewTokens: 2 }, reference,
      interventions: [{ kind: 'steer' as const, axis: 'persona', coefficient: 0.1, unit: 'norm' as const, layers: [1] }, { kind: 'cap' as const, axis: 'persona', hi: 'p75' as const, layers: [2] }],
    });
    const r = await t.client.request(Trace, params('harmless'));
    assert.equal(r.reference!.set, 'builtin:harmless');
    assert.deepEqual(r.resolvedInterventions!.map((iv) => iv.kind), ['steer', 'cap']);
    assert.equal(typeof (r.resolvedInterventions![1] as CapIntervention).hi, 'number');
    await assert.rejects(t.client.request(Trace, params('no-such-set')), /reference: reference set 'no-such-set' is neither a file/);
  } finally {
    await t.client.stop();
  }
});

test('annotate: the sidecar records the reference set and the resolved bounds; a resume against another set is refused', async () => {
  const ds = join(dir, 'ds.jsonl');
  writeFileSync(ds, readFileSync(join(__dirname, '../../media/sets/harmful.jsonl'), 'utf8').split('\n').slice(0, 2).join('\n') + '\n');
  const out = join(dir, 'ann.jsonl');
  const args = ['annotate', 'builtin', ds, '--out', out, '--cap', 'persona::p75:2', '--steer', 'persona:5n:1', '--max-new-tokens', '4'];
  const r = await cli(...args);
  assert.equal(r.code, 0, r.err);
  const run = JSON.parse(readFileSync(`${out}.run.json`, 'utf8'));
  assert.equal(run.reference.set, 'builtin:persona-default');
  assert.deepEqual(run.resolvedInterventions.map((iv: { kind: string; layers: number[] }) => [iv.kind, iv.layers]), [['steer', [1]], ['cap', [2]]]);
  assert.ok(Math.abs(run.resolvedInterventions[1].hi - run.reference.percentiles[0].values[2]) < 1e-4);
  const rows = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(rows.every((x) => /residual norm far beyond its usual range/.test(x.warnings?.[0] ?? '')), 'a 5n steer warns on every row');
  const again = await cli(...args, '--reference', 'harmless');
  assert.equal(again.code, 1);
  assert.match(again.err, /made with different settings/);
});
