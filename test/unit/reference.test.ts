// Model-relative numbers without a model: percentiles, the resolution of norm coefficients and
// percentile cap bounds into raw per-layer interventions, the norm warning's threshold, and the
// written forms (CLI strings, prompt files, condition files and their schemas).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { percentile, referenceStats, referenceSpec, type ReferenceAxis, type ReferenceModel, type ReferenceStats, axisKey } from '../../src/engine/directions/reference';
import { normWarning, resolveInterventions } from '../../src/engine/directions/resolve';
import { parsePercentile } from '../../src/protocol/reference';
import { describeIntervention, parseIntervention } from '../../src/cli/interventions';

const parseSteer = (s: string, n: number) => parseIntervention('steer', s, n);
const parseCap = (s: string, n: number) => parseIntervention('cap', s, n);
import { parsePromptFile } from '../../src/engine/prompts/index';
import { ConditionFileError, parseConditions, resolveIntervention } from '../../src/engine/experiments/conditions';
import { validateInterventions } from '../../src/engine/generate/feeds';
import type { Intervention } from '../../src/protocol/types';
import { steerFromForm } from '../../webview/format';
import { initialState } from '../../webview/state';
import { isWebviewToHostMessage } from '../../src/protocol/webview';

test('percentile: linear between closest ranks (numpy default), parsePercentile takes p0…p100 only', () => {
  const xs = [1, 2, 3, 4, 10];
  assert.equal(percentile(xs, 0), 1);
  assert.equal(percentile(xs, 100), 10);
  assert.equal(percentile(xs, 50), 3);
  assert.equal(percentile(xs, 25), 2);
  assert.ok(Math.abs(percentile(xs, 90) - 7.6) < 1e-12); // numpy.percentile([1,2,3,4,10], 90) = 7.6
  assert.equal(percentile([5], 37), 5);
  for (const [s, p] of [['p25', 25], ['p0', 0], ['p100', 100], ['p2.5', 2.5], ['p99.9', 99.9]] as const) assert.equal(parsePercentile(s), p);
  for (const s of ['p101', 'p', '25', 'p-1', 'P25', 'p25%', ' p25', 25]) assert.equal(parsePercentile(s), undefined, String(s));
});

// Two layers, d_model 2: the axis is 2·e0 at layer 0 and 4·e1 at layer 1.
const axis: ReferenceAxis = { name: 'persona', nLayers: 2, dModel: 2, vectors: Float32Array.of(2, 0, 0, 4) };
function stats(projections: number[][]): ReferenceStats {
  return { set: 'builtin:persona-default', sha256: 'ab', prompts: 3, tokens: 5, meanNorm: [10, 20], maxNorm: [30, 60], projections: new Map([[axisKey(axis), projections]]) };
}

test('resolve: a norm steer becomes c·N_l/|v| per layer (source layer: |v_src|); other interventions pass through', () => {
  const ivs: Intervention[] = [
    { kind: 'steer', axis: 'persona', coefficient: 0.5, unit: 'norm', layers: [0, 1], positions: 'prompt' },
    { kind: 'steer', axis: 'persona', coefficient: -1, unit: 'norm', layers: [1], sourceLayer: 0 },
    { kind: 'steer', axis: 'persona', coefficient: 3, layers: [0] },
    { kind: 'project_out', axes: ['persona'], layers: [1] },
  ];
  const r = resolveInterventions(ivs, [axis], stats([[0], [0]]));
  assert.deepEqual(r.interventions, [
    { kind: 'steer', axis: 'persona', coefficient: (0.5 * 10) / 2, layers: [0], positions: 'prompt' },
    { kind: 'steer', axis: 'persona', coefficient: (0.5 * 20) / 4, layers: [1], positions: 'prompt' },
    { kind: 'steer', axis: 'persona', coefficient: (-1 * 20) / 2, layers: [1], sourceLayer: 0 },
    ivs[2],
    ivs[3],
  ]);
  assert.deepEqual(r.percentiles, []);
  // What resolves is what the graph takes.
  assert.doesNotThrow(() => validateInterventions(r.interventions, [axis], 2, 2));
  assert.throws(() => validateInterventions(ivs, [axis], 2, 2), /unit 'norm' was not resolved/);
});

test('resolve: percentile bounds become the per-layer percentiles of the reference projections, recorded', () => {
  const dist = [[0, 1, 2, 3, 4], [10, 20, 30, 40, 50]];
  const r = resolveInterventions([{ kind: 'cap', axis: 'persona', lo: 'p25', hi: 'p100', layers: [0, 1] }, { kind: 'cap', axis: 'persona', hi: 'p50', layers: [1] }], [axis], stats(dist));
  assert.deepEqual(r.interventions, [
    { kind: 'cap', axis: 'persona', lo: 1, hi: 4, layers: [0] },
    { kind: 'cap', axis: 'persona', lo: 20, hi: 50, layers: [1] },
    { kind: 'cap', axis: 'persona', hi: 30, layers: [1] },
  ]);
  assert.deepEqual(r.percentiles, [
    { axis: 'persona', bound: 'p25', values: [1, 20] },
    { axis: 'persona', bound: 'p100', values: [4, 50] },
    { axis: 'persona', bound: 'p50', values: [2, 30] },
  ]);
  // A number against a percentile can cross it at some layer: named with both values.
  assert.throws(() => resolveInterventions([{ kind: 'cap', axis: 'persona', lo: 'p50', hi: 5, layers: [0, 1] }], [axis], stats(dist)), /at layer 1 the lower bound p50 = 30\.00 is above the upper bound 5/);
  assert.throws(() => validateInterventions([{ kind: 'cap', axis: 'persona', hi: 'p50', layers: [0] }], [axis], 2, 2), /percentile bound 'p50' was not resolved/);
});

test('norm warning: only above the factor × the reference mean, in the prompt or the generated tokens', () => {
  const ref = { set: 'builtin:persona-default', meanNorm: [10, 20] };
  assert.equal(normWarning({ factor: 3, promptMean: [29, 59], generatedMean: [12, 25] }, ref), undefined);
  const w = normWarning({ factor: 3, promptMean: [11, 21], generatedMean: [12, 80] }, ref);
  assert.match(w!, /at layer 1: the generated tokens' mean norm at L1 is 80\.00, 4\.0× the mean 20\.00 on builtin:persona-default/);
  assert.match(normWarning({ factor: 3, promptMean: [31, 70] }, ref)!, /layers 0, 1: the prompt tokens' mean norm at L1 is 70\.00, 3\.5×/);
  assert.equal(normWarning({ skipped: 'x' }, ref), undefined);
});

test('reference statistics: measured once, then read from the cache folder; tokens after the first only', async () => {
  // A fake model whose block outputs are known: token t of every prompt is (t, 1) at layer 0, (0, 2t) at layer 1.
  let calls = 0;
  const model: ReferenceModel = {
    summary: { graphHash: 'g', dtype: 'fp32', layers: 2, dModel: 2 },
    residuals: async (p) => {
      calls++;
      const n = p.kind === 'tokens' ? p.tokenIds.length : 0;
      const l0 = new Float32Array(n * 2);
      const l1 = new Float32Array(n * 2);
      for (let t = 0; t < n; t++) {
        l0.set([t, 1], t * 2);
        l1.set([0, 2 * t], t * 2);
      }
      return [l0, l1];
    },
  };
  const set = { display: 'x.jsonl', sha256: 'cafe', prompts: [{ kind: 'tokens' as const, tokenIds: [1, 2, 3] }, { kind: 'tokens' as const, tokenIds: [1, 2] }] };
  const dir = mkdtempSync(path.join(tmpdir(), 'rl-ref-'));
  const a = await referenceStats(model, set, [axis], { dir });
  assert.equal(calls, 2);
  assert.equal(a.tokens, 3); // 2 + 1 tokens after the first
  assert.deepEqual(a.projections.get(axisKey(axis)), [[1, 1, 2], [2, 2, 4]]);
  assert.deepEqual(a.meanNorm.map((x) => Number(x.toFixed(6))), [Number(((Math.SQRT2 * 2 + Math.sqrt(5)) / 3).toFixed(6)), Number((8 / 3).toFixed(6))]);
  assert.deepEqual(a.maxNorm, [Math.sqrt(5), 4]);
  assert.equal(readdirSync(dir).length, 2, 'one norms file, one axis file');
  const b = await referenceStats(model, set, [axis], { dir });
  assert.equal(calls, 2, 'the second ask is answered from the cache');
  assert.deepEqual({ ...b, projections: [...b.projections] }, { ...a, projections: [...a.projections] });
  // Another set (another sha256) is measured again.
  await referenceStats(model, { ...set, sha256: 'beef' }, [], { dir });
  assert.equal(calls, 4);
});

test('referenceSpec: builtin:NAME, a bare built-in name, or a file; anything else names the choices', () => {
  const builtins = ['persona-default', 'harmful'];
  assert.equal(referenceSpec('persona-default', '/d', builtins, () => false), 'builtin:persona-default');
  assert.equal(referenceSpec('builtin:harmful', '/d', builtins, () => false), 'builtin:harmful');
  assert.equal(referenceSpec('mine.jsonl', '/d', builtins, (f) => f === '/d/mine.jsonl'), '/d/mine.jsonl');
  assert.throws(() => referenceSpec('nope', '/d', builtins, () => false), /neither a file \(\/d\/nope\) nor a built-in set \(persona-default, harmful\)/);
  assert.throws(() => referenceSpec('builtin:nope', '/d', builtins, () => false), /no built-in prompt set 'nope'/);
});

test('CLI forms: 0.3n is a norm coefficient, p75 a percentile bound; bad ones say what is accepted', () => {
  assert.deepEqual(parseSteer('persona:0.3n:2-4', 6), { kind: 'steer', axis: 'persona', coefficient: 0.3, unit: 'norm', layers: [2, 3, 4] });
  assert.deepEqual(parseSteer('persona:-1.5n:2:generated', 6), { kind: 'steer', axis: 'persona', coefficient: -1.5, unit: 'norm', layers: [2], positions: 'generated' });
  assert.deepEqual(parseSteer('persona:2:2', 6), { kind: 'steer', axis: 'persona', coefficient: 2, layers: [2] });
  assert.throws(() => parseSteer('persona:n:2', 6), /coefficient 'n' is not a number \(or a number with the suffix n/);
  assert.throws(() => parseSteer('persona:0.3x:2', 6), /coefficient '0.3x' is not a number/);
  assert.deepEqual(parseCap('persona::p75:2-4', 6), { kind: 'cap', axis: 'persona', hi: 'p75', layers: [2, 3, 4] });
  assert.deepEqual(parseCap('persona:p25:3:1', 6), { kind: 'cap', axis: 'persona', lo: 'p25', hi: 3, layers: [1] });
  assert.throws(() => parseCap('persona:p75:p25:1', 6), /cap bounds: lo p75 is above hi p25/);
  assert.throws(() => parseCap('persona::p101:1', 6), /'p101' is not a percentile p0…p100/);
  assert.equal(describeIntervention(parseSteer('persona:0.3n:2-4', 6)), 'steer persona +0.3n @ L2-4');
  assert.equal(describeIntervention(parseCap('persona:p25::2-4', 6)), 'cap persona ≥ p25 @ L2-4');
});

test('prompt files: "unit": "norm", percentile bounds and "reference"; a bad one is located', () => {
  const ok = parsePromptFile(
    JSON.stringify({ user: 'hi', reference: 'persona-default', axes: ['persona'], interventions: [{ kind: 'steer', axis: 'persona', coefficient: 0.2, unit: 'norm', layers: '2-3' }, { kind: 'cap', axis: 'persona', lo: 'p5', hi: 'p95', layers: [1] }] }),
    'p.rlprompt',
    { nLayers: 6 },
  );
  assert.deepEqual(ok.diagnostics, []);
  assert.equal(ok.prompt!.reference, 'persona-default');
  assert.deepEqual(ok.prompt!.interventions[0], { kind: 'steer', axis: 'persona', coefficient: 0.2, unit: 'norm', layers: [2, 3], layerSpec: '2-3' });
  assert.deepEqual(ok.prompt!.interventions[1], { kind: 'cap', axis: 'persona', lo: 'p5', hi: 'p95', layers: [1] });
  const text = '{\n  "user": "hi",\n  "interventions": [\n    { "kind": "cap", "axis": "persona", "hi": "q75", "layers": [1] },\n    { "kind": "steer", "axis": "persona", "coefficient": 1, "unit": "sigma", "layers": [1] }\n  ]\n}';
  const bad = parsePromptFile(text, 'b.rlprompt', { nLayers: 6 });
  assert.equal(bad.prompt, undefined);
  const msgs = bad.diagnostics.map((d) => `${d.line}:${d.field}: ${d.message}`);
  assert.ok(msgs.some((m) => /^4:interventions\[0\]\.hi: hi must be a number or a percentile such as "p25"/.test(m)), msgs.join('\n'));
  assert.ok(msgs.some((m) => /^5:interventions\[1\]\.unit: unit must be "raw" or "norm"/.test(m)), msgs.join('\n'));
});

test('condition files: the schema takes p25 bounds, unit norm and reference; refuses p250 and a reversed pair', () => {
  const base = (iv: string, extra = '') => `${extra}sets:\n  h: builtin:harmful\naxes:\n  persona: a.safetensors\ndecoding:\n  maxNewTokens: 4\nconditions:\n  - name: c\n    set: h\n    interventions:\n      - ${iv}\n`;
  const plan = parseConditions(base('{ kind: cap, axis: persona, lo: p25, layers: "1-2" }', 'reference: persona-default\n') + '      - { kind: steer, axis: persona, coefficient: 0.3, unit: norm, layers: [1] }\n', 'c.yaml');
  assert.equal(plan.reference, 'persona-default');
  const problems: never[] = [];
  assert.deepEqual(resolveIntervention(plan, plan.conditions[0]!.interventions[0]!, 6, problems), { kind: 'cap', axis: 'persona', lo: 'p25', layers: [1, 2] });
  assert.deepEqual(resolveIntervention(plan, plan.conditions[0]!.interventions[1]!, 6, problems), { kind: 'steer', axis: 'persona', coefficient: 0.3, unit: 'norm', layers: [1] });
  const issues = (text: string) => {
    try {
      parseConditions(text, 'c.yaml');
    } catch (e) {
      if (e instanceof ConditionFileError) return e.issues.map((i) => `${i.line}:${i.field}: ${i.message}`).join('\n');
      throw e;
    }
    return '';
  };
  assert.match(issues(base('{ kind: cap, axis: persona, hi: p250, layers: [1] }')), /^11:conditions\[0\]\.interventions\[0\]\.hi: "p250" is not valid \(a percentile p0…p100/m);
  assert.match(issues(base('{ kind: cap, axis: persona, lo: p75, hi: p25, layers: [1] }')), /cap bounds: lo p75 is above hi p25/);
  assert.match(issues(base('{ kind: steer, axis: persona, coefficient: 1, unit: sigma, layers: [1] }')), /unit/);
});

test('inspector form and message: 0.3n is a norm coefficient, checked by the webview message validator', () => {
  const form = { ...initialState().form, steerAxis: 'persona', coefficient: '0.3n', steerFrom: '1', steerTo: '2' };
  const r = steerFromForm(form, ['persona'], 6);
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual({ coefficient: r.message.coefficient, unit: r.message.unit, layers: r.message.layers }, { coefficient: 0.3, unit: 'norm', layers: [1, 2] });
  assert.equal(isWebviewToHostMessage(r.message), true);
  assert.equal(isWebviewToHostMessage({ ...r.message, unit: 'sigma' }), false);
  const bad = steerFromForm({ ...form, coefficient: '0.3x' }, ['persona'], 6);
  assert.ok(!bad.ok && /a multiple of the mean residual norm such as 0\.3n/.test(bad.error));
});
